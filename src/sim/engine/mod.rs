//! The Monte Carlo engine: many simulated months, in parallel, reproducibly.
//!
//! Guarantee: the result depends only on the scenario, the seed and the number of trials — not on
//! the thread count, the chunking, or the machine. Each trial draws from generators keyed by
//! (seed, trial) (see [`rng`]); trials run in parallel in fixed chunks, their outcomes are
//! collected in trial order and folded sequentially, so even floating-point sums are the same.
//!
//! Memory does not grow with traffic or with trials: a trial's requests are folded into totals as
//! they are simulated, and a run keeps per-month detail (daily spend, workflows, contracts,
//! sampled users and latencies) for its first [`DETAIL_MONTHS`] simulated months only. Every
//! month, kept or not, feeds each stack's [`SpendStream`], which holds the headline spend
//! figures (mean, standard error, percentiles, breach and alert probabilities) in bounded memory.

mod capacity;
pub mod draw;
pub mod exact;
pub mod fast;
mod fast_shape;
mod fast_users;
mod ledger;
pub mod outcome;
pub mod policy;
mod provisioned;
pub mod quota;
pub mod rng;
mod samples;
mod stack_month;
mod sums;
mod support;

pub use outcome::{MonthOutcome, StackTrial, ToolUse, TrialOutcome};

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use rayon::prelude::*;
use serde::Serialize;

use crate::base::error::{Error, UsageKind};
use crate::base::stats::SpendStream;
use crate::billing::classes::{CostBreakdown, Tokens};
use crate::model::Scenario;
pub use crate::model::sizes::{MAX_PLAN_BYTES, MAX_TRIAL_BYTES, month_bytes, plan_bytes};

/// Most simulated months whose detail a run keeps (10× the default trials): enough for every
/// figure's standard error to be small.
pub const DETAIL_MONTHS: usize = 100_000;

/// Memory a run's kept detail may take, in bytes: it keeps as many months as fit, at least one
/// trial's, at most [`DETAIL_MONTHS`]. Fewer than the trials run are labelled as thinned.
pub const DETAIL_BYTES: usize = 256 << 20;

/// Memory the spend streams of a run may take to keep every simulated month's spend (and, with
/// incidents, its spend without them), so that percentiles are order statistics of every month
/// rather than a sketch's: 64 MiB, about four million months of one stack.
pub const EXACT_SPEND_BYTES: usize = 64 << 20;

/// Months each stack's [`SpendStream`] keeps exactly within [`EXACT_SPEND_BYTES`].
pub fn exact_spend_months(s: &Scenario) -> usize {
    let per_month = 8 * s.stacks.len().max(1) * if s.incidents.is_empty() { 1 } else { 2 };
    EXACT_SPEND_BYTES / per_month
}

/// Memory the trials being simulated, and those being folded, may take at one time, in bytes:
/// the chunks of trials handed to the worker threads shrink to fit (at least one trial).
pub const IN_FLIGHT_BYTES: usize = 128 << 20;

/// Simulated months whose detail a run of `s` keeps: as many as fit in [`DETAIL_BYTES`], at most
/// [`DETAIL_MONTHS`], and at least the months of one trial.
pub fn detail_months(s: &Scenario) -> usize {
    (DETAIL_BYTES / month_bytes(s).max(1))
        .min(DETAIL_MONTHS)
        .max(s.simulation.months.max(1) as usize)
}

/// Which engine produced a result, and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct EngineChoice {
    pub name: String,
    pub reason: String,
    /// Why the result may be less accurate than the engine promises (auto ran the fast engine
    /// where its approximation was not shown to hold), for a warning.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub caveat: Option<String>,
}

/// Which engine a run asks for.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum EngineRequest {
    /// The fast engine where its accuracy conditions hold, the exact engine otherwise.
    #[default]
    Auto,
    Exact,
    /// The fast engine, refused (a usage error) where its accuracy conditions do not hold.
    Fast,
    /// The fast engine even where its accuracy conditions do not hold, saying so in the result's
    /// caveat: a run paired with one that `auto` sent to the fast engine for its size.
    FastWithCaveat,
}

/// Request walks below which `auto` runs the exact engine: it is then quick and needs no
/// approximation.
pub const EXACT_WALK_BUDGET: f64 = 2e7;

/// Request walks beyond which `auto` runs the fast engine even where its accuracy conditions do
/// not all hold (with a warning): a few minutes of the exact engine on two cores.
pub const EXACT_AUTO_MAX_WALKS: f64 = 5e8;

/// Request walks and model calls together beyond which `auto` treats the exact engine as too slow,
/// as for [`EXACT_AUTO_MAX_WALKS`]: few requests of thousands of steps each are as slow as many
/// requests of one.
pub const EXACT_AUTO_MAX_WORK: f64 = 2e9;

/// The most work the exact engine takes on for one simulated trial (all months and stacks),
/// counted as request walks plus model calls: about a minute and a half of one core. A trial
/// cannot be interrupted part way, so beyond this a run would neither finish nor stop at
/// `--max-seconds`.
pub const EXACT_MAX_WORK_PER_TRIAL: f64 = 1e9;

/// The exact engine's expected work for one trial: request walks plus model calls (retries,
/// agent loops and incident repeats included), over all months and stacks.
pub fn exact_work_per_trial(s: &Scenario) -> f64 {
    let e = crate::sim::estimate::estimate(s);
    let per_month: f64 = e
        .stacks
        .iter()
        .flat_map(|st| &st.workflows)
        .map(|w| {
            let calls: f64 = w
                .steps
                .iter()
                .map(|step| {
                    step.reach_probability
                        * step.links.iter().map(|l| l.calls_per_request).sum::<f64>()
                })
                .sum();
            w.requests_per_month * w.incident_factor.max(1.0) * (1.0 + calls)
        })
        .sum();
    per_month * f64::from(s.simulation.months)
}

/// Refuse an exact simulation whose single trial is too large to finish (see
/// [`EXACT_MAX_WORK_PER_TRIAL`]); `why_exact` says why the exact engine was chosen.
fn exact_within_reach(s: &Scenario, why_exact: &str) -> Result<(), Error> {
    let work = exact_work_per_trial(s);
    if !(work > EXACT_MAX_WORK_PER_TRIAL) {
        return Ok(());
    }
    let minutes = work / EXACT_MAX_WORK_PER_TRIAL * 1.5;
    let help = match fast::unsupported(s) {
        None => {
            "use --engine auto or --engine fast: the fast engine's time does not grow with traffic"
                .to_string()
        }
        Some(why) => format!(
            "the fast engine, whose time does not grow with traffic, cannot run it: {why}; change that to use it"
        ),
    };
    Err(UsageKind::ExactTooMuchWork {
        work: crate::base::format::count(work),
        why_exact: why_exact.to_string(),
        minutes: crate::base::format::count(minutes),
        max: crate::base::format::count(EXACT_MAX_WORK_PER_TRIAL),
    }
    .help(help)
    .into())
}

/// How to run a simulation.
#[derive(Clone, Debug)]
pub struct SimOptions {
    pub trials: u64,
    pub seed: u64,
    pub engine: EngineRequest,
    /// Worker threads; `None` uses one per core.
    pub threads: Option<usize>,
    pub progress: Option<indicatif::ProgressBar>,
    /// Stop cleanly after this instant, keeping the trials done so far.
    pub deadline: Option<Instant>,
    /// Stop cleanly when this becomes true (Ctrl-C).
    pub cancel: Option<Arc<AtomicBool>>,
    /// Simulated months whose detail is kept (whole trials; at least one trial); `None` keeps
    /// [`detail_months`] of the scenario.
    pub detail_months: Option<usize>,
    /// Receives every trial's outcome, in trial order, as it is folded in.
    pub sink: Option<TrialSink>,
    /// Months whose spend each stack's stream keeps exactly (beyond them percentiles come from
    /// its sketch); `None` keeps [`exact_spend_months`] of the scenario.
    pub exact_spend_months: Option<usize>,
}

/// A consumer of every trial's outcome, such as the `--trials-out` writer: a run of more trials
/// than it keeps can still hand each of them on.
#[derive(Clone)]
pub struct TrialSink(pub Arc<std::sync::Mutex<TrialConsumer>>);

/// What a [`TrialSink`] calls with each trial's index and outcome.
pub type TrialConsumer = dyn FnMut(u64, &TrialOutcome) + Send;

impl std::fmt::Debug for TrialSink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TrialSink")
    }
}

impl SimOptions {
    pub fn new(trials: u64, seed: u64) -> Self {
        SimOptions {
            trials,
            seed,
            engine: EngineRequest::Auto,
            threads: None,
            progress: None,
            deadline: None,
            cancel: None,
            detail_months: None,
            sink: None,
            exact_spend_months: None,
        }
    }

    fn should_stop(&self) -> bool {
        self.deadline.is_some_and(|d| Instant::now() >= d)
            || self
                .cancel
                .as_ref()
                .is_some_and(|c| c.load(Ordering::Relaxed))
    }
}

/// One contract of one stack across all simulated months.
#[derive(Clone, Debug, Default)]
pub struct ContractSim {
    pub billed: Vec<f64>,
    pub unused: Vec<f64>,
    pub overage: Vec<f64>,
}

/// One simulated month's totals that [`StackSim`] otherwise only sums; kept so that reports can
/// give shares and ratios (spend by model or billing class, retries, attempts) a standard error.
#[derive(Clone, Debug, Default)]
pub struct TrialTotals {
    pub calls: f64,
    pub retry_spend: f64,
    pub escalated: f64,
    pub cost_by_class: CostBreakdown,
    /// Per model, spend of the month.
    pub model_spend: Vec<f64>,
}

/// One stack across all trials. Per-month vectors are indexed `trial × months + month`.
#[derive(Clone, Debug, Default)]
pub struct StackSim {
    pub name: String,
    /// Spend of each simulated month.
    pub spend: Vec<f64>,
    pub requests: Vec<f64>,
    pub accepted: Vec<f64>,
    pub rejected: Vec<f64>,
    /// What the refused requests of each month would have been billed.
    pub rejected_usd: Vec<f64>,
    /// Requests of each month refused for an input beyond a model's window.
    pub window_refused: Vec<f64>,
    pub cap_hit_day: Vec<Option<u32>>,
    pub review_usd: Vec<f64>,
    pub incident_extra: Vec<f64>,
    pub calls: f64,
    pub retry_spend: f64,
    pub escalated: f64,
    pub errored_calls: f64,
    pub semantic_hits: f64,
    /// Token totals summed over months.
    pub tokens: Tokens,
    /// Spend by billing class summed over months.
    pub cost_by_class: CostBreakdown,
    /// Per tool, calls and fees summed over months.
    pub tools: Vec<ToolUse>,
    pub flex_calls: f64,
    pub flex_refused: f64,
    /// Per workflow, spend of each month.
    pub workflow_spend: Vec<Vec<f64>>,
    /// Per workflow, sums over months.
    pub workflow_requests: Vec<f64>,
    pub workflow_accepted: Vec<f64>,
    pub workflow_failed: Vec<f64>,
    /// Per model, spend summed over months.
    pub model_spend: Vec<f64>,
    /// Per day, spend of each month (`daily[day][month index]`).
    pub daily: Vec<Vec<f64>>,
    /// Per segment, sampled users' monthly costs.
    pub user_costs: Vec<Vec<f64>>,
    pub contracts: Vec<ContractSim>,
    /// Per workflow, sampled request latencies in milliseconds.
    pub latency_ms: Vec<Vec<f64>>,
    /// Per simulated month, the totals summed above (in order).
    pub trial_totals: Vec<TrialTotals>,
    /// Spend of every simulated month, kept or not.
    pub stream: SpendStream,
    /// Per simulated month, what the budget policies did (empty without policies).
    pub policy: Vec<policy::PolicyMonth>,
    /// Per simulated month, the bill of each provisioned capacity the stack calls (empty
    /// without one).
    pub capacity: Vec<Vec<crate::billing::provisioned::CapacityMonth>>,
    /// What the rate-limit quotas did, summed over simulated months.
    pub quota: quota::QuotaTotals,
}

impl StackSim {
    /// Spend of every simulated month in trial order (`trial × months + month`): all of them
    /// when the stream kept them (every run of up to a few million months), else the months
    /// whose detail the run kept.
    pub fn all_spend(&self) -> &[f64] {
        self.stream.months().unwrap_or(&self.spend)
    }

    /// Whether [`StackSim::all_spend`] holds every simulated month.
    pub fn keeps_all_spend(&self) -> bool {
        self.stream.months().is_some()
    }

    /// Spend of month `m` (0-based) of the horizon of `months` months in each trial of
    /// [`StackSim::all_spend`].
    pub fn month_spend(&self, m: usize, months: usize) -> Vec<f64> {
        self.all_spend()
            .iter()
            .skip(m)
            .step_by(months.max(1))
            .copied()
            .collect()
    }

    /// Spend of each trial over its whole horizon of `months` months, for the trials of
    /// [`StackSim::all_spend`].
    pub fn horizon_totals(&self, months: usize) -> Vec<f64> {
        self.all_spend()
            .chunks(months.max(1))
            .map(crate::base::stats::sum)
            .collect()
    }

    /// Spend of the months of [`StackSim::all_spend`] less what incidents added to them.
    pub fn spend_without_incidents(&self) -> Vec<f64> {
        match self.stream.months_without_incidents() {
            Some(without) if self.keeps_all_spend() => without.to_vec(),
            _ => self
                .spend
                .iter()
                .zip(&self.incident_extra)
                .map(|(x, e)| x - e)
                .collect(),
        }
    }
}

/// The outcome of a run: per-month totals for every stack.
#[derive(Clone, Debug)]
pub struct SimResult {
    /// Trials completed (fewer than requested when stopped early).
    pub trials: u64,
    /// Trials whose per-month detail is kept (the first ones); fewer than `trials` only when
    /// `trials × months` exceeds the detail limit.
    pub detail_trials: u64,
    detail_limit: usize,
    pub requested_trials: u64,
    pub seed: u64,
    pub engine: EngineChoice,
    pub days: u32,
    /// Months per trial (the horizon).
    pub months: u32,
    /// Per segment, users of each simulated month.
    pub segment_users: Vec<Vec<f64>>,
    /// Per incident, whether it happened in each simulated month.
    pub incident_happened: Vec<Vec<bool>>,
    pub stacks: Vec<StackSim>,
}

impl SimResult {
    /// Whether the run stopped before all requested trials (deadline or Ctrl-C).
    pub fn is_partial(&self) -> bool {
        self.trials < self.requested_trials
    }

    /// Number of simulated months whose detail is kept (trials × months, up to the limit).
    pub fn samples(&self) -> usize {
        self.stacks.first().map_or(0, |s| s.spend.len())
    }

    /// Whether some trials fed only the spend streams (their detail was not kept).
    pub fn is_thinned(&self) -> bool {
        self.detail_trials < self.trials
    }

    /// Total users of each simulated month.
    pub fn users(&self) -> Vec<f64> {
        (0..self.samples())
            .map(|t| self.segment_users.iter().map(|s| s[t]).sum())
            .collect()
    }

    fn empty(s: &Scenario, opts: &SimOptions, engine: EngineChoice) -> Self {
        let detail_limit = opts
            .detail_months
            .unwrap_or_else(|| detail_months(s))
            .max(s.simulation.months as usize);
        let n = (opts.trials.saturating_mul(u64::from(s.simulation.months)))
            .min(detail_limit as u64) as usize;
        let thresholds: Vec<f64> = s
            .budget
            .as_ref()
            .map(|b| {
                std::iter::once(b.monthly_usd)
                    .chain(b.alert_fractions.iter().map(|f| f * b.monthly_usd))
                    .collect()
            })
            .unwrap_or_default();
        SimResult {
            trials: 0,
            detail_trials: 0,
            detail_limit,
            requested_trials: opts.trials,
            seed: opts.seed,
            engine,
            days: s.simulation.days,
            months: s.simulation.months,
            segment_users: vec![Vec::with_capacity(n); s.segments.len()],
            incident_happened: vec![Vec::with_capacity(n); s.incidents.len()],
            stacks: s
                .stacks
                .iter()
                .map(|st| StackSim {
                    name: st.name.clone(),
                    spend: Vec::with_capacity(n),
                    requests: Vec::with_capacity(n),
                    accepted: Vec::with_capacity(n),
                    workflow_spend: vec![Vec::with_capacity(n); s.workflows.len()],
                    workflow_requests: vec![0.0; s.workflows.len()],
                    workflow_accepted: vec![0.0; s.workflows.len()],
                    workflow_failed: vec![0.0; s.workflows.len()],
                    model_spend: vec![0.0; s.models.len()],
                    tools: vec![ToolUse::default(); s.tools.len()],
                    daily: vec![Vec::with_capacity(n); s.simulation.days as usize],
                    user_costs: vec![Vec::new(); s.segments.len()],
                    contracts: vec![ContractSim::default(); s.contracts.len()],
                    latency_ms: vec![Vec::new(); s.workflows.len()],
                    stream: SpendStream::new(
                        thresholds.clone(),
                        opts.exact_spend_months
                            .unwrap_or_else(|| exact_spend_months(s)),
                    ),
                    ..StackSim::default()
                })
                .collect(),
        }
    }

    /// Fold one trial in; trials must arrive in index order. Every trial feeds the spend
    /// streams; only trials that fit within the detail limit are kept month by month.
    fn push(&mut self, o: TrialOutcome) {
        self.trials += 1;
        for (k, acc) in self.stacks.iter_mut().enumerate() {
            let spend: Vec<f64> = o.months.iter().map(|m| m.stacks[k].spend).collect();
            let extra: Vec<f64> = o
                .months
                .iter()
                .map(|m| m.stacks[k].incident_extra)
                .collect();
            let extra: &[f64] = if self.incident_happened.is_empty() {
                &[]
            } else {
                &extra
            };
            acc.stream.add_trial(&spend, extra);
        }
        if self.samples() + o.months.len() > self.detail_limit {
            return;
        }
        self.detail_trials += 1;
        for month in o.months {
            for (seg, users) in self.segment_users.iter_mut().zip(&month.users) {
                seg.push(*users as f64);
            }
            for (inc, happened) in self.incident_happened.iter_mut().zip(&month.incidents) {
                inc.push(*happened);
            }
            for (acc, t) in self.stacks.iter_mut().zip(month.stacks) {
                acc.spend.push(t.spend);
                acc.requests.push(t.requests as f64);
                acc.accepted.push(t.accepted as f64);
                acc.rejected.push(t.rejected as f64);
                acc.rejected_usd.push(t.rejected_usd);
                acc.window_refused.push(t.window_refused as f64);
                acc.cap_hit_day.push(t.cap_hit_day);
                acc.review_usd.push(t.review_usd);
                acc.incident_extra.push(t.incident_extra);
                acc.calls += t.calls as f64;
                acc.retry_spend += t.retry_spend;
                acc.escalated += t.escalated as f64;
                acc.errored_calls += t.errored_calls as f64;
                acc.semantic_hits += t.semantic_hits as f64;
                acc.tokens.add(&t.tokens);
                acc.cost_by_class.add(&t.cost_by_class);
                for (a, x) in acc.tools.iter_mut().zip(&t.tools) {
                    a.calls += x.calls;
                    a.usd += x.usd;
                }
                acc.flex_calls += t.flex_calls as f64;
                acc.flex_refused += t.flex_refused as f64;
                for (w, x) in acc.workflow_spend.iter_mut().zip(&t.workflow_spend) {
                    w.push(*x);
                }
                for (w, x) in acc.workflow_requests.iter_mut().zip(&t.workflow_requests) {
                    *w += *x as f64;
                }
                for (w, x) in acc.workflow_accepted.iter_mut().zip(&t.workflow_accepted) {
                    *w += *x as f64;
                }
                for (w, x) in acc.workflow_failed.iter_mut().zip(&t.workflow_failed) {
                    *w += *x as f64;
                }
                for (m, x) in acc.model_spend.iter_mut().zip(&t.model_spend) {
                    *m += x;
                }
                for (d, x) in acc.daily.iter_mut().zip(&t.daily) {
                    d.push(*x);
                }
                for (u, mut x) in acc.user_costs.iter_mut().zip(t.user_costs) {
                    u.append(&mut x);
                }
                for (c, x) in acc.contracts.iter_mut().zip(&t.contracts) {
                    c.billed.push(x.billed);
                    c.unused.push(x.unused);
                    c.overage.push(x.overage);
                }
                for (l, mut x) in acc.latency_ms.iter_mut().zip(t.latency_ms) {
                    l.append(&mut x);
                }
                if !t.policy.fired_day.is_empty() {
                    acc.policy.push(t.policy);
                }
                if !t.capacity.is_empty() {
                    acc.capacity.push(t.capacity);
                }
                acc.quota.add(&t.quota, t.requests);
                acc.trial_totals.push(TrialTotals {
                    calls: t.calls as f64,
                    retry_spend: t.retry_spend,
                    escalated: t.escalated as f64,
                    cost_by_class: t.cost_by_class,
                    model_spend: t.model_spend,
                });
            }
        }
    }
}

/// Run a simulation with the engine the options ask for (see [`EngineRequest`]).
pub fn simulate(s: &Scenario, opts: &SimOptions) -> Result<SimResult, Error> {
    let unsupported = fast::unsupported(s);
    let walks = crate::model::traffic::requests_per_month(s)
        * f64::from(s.simulation.months)
        * opts.trials as f64
        * s.stacks.len() as f64;
    let exact = |reason: String| {
        exact_within_reach(s, &reason)?;
        exact_fits_in_memory(s).map_err(|e| match (opts.engine, e) {
            (EngineRequest::Auto, Error::Usage(u)) => {
                Error::from((*u).note(format!("auto chose the exact engine because {reason}")))
            }
            (_, e) => e,
        })?;
        let plan = exact::Plan::new(s, opts.trials);
        let engine = EngineChoice {
            name: "exact".to_string(),
            reason,
            caveat: None,
        };
        run_months(s, opts, engine, |t| plan.run_trial(opts.seed, t))
    };
    let fast_with_caveat = |plan: &fast::FastPlan, reason: &str, why: &str| {
        let caveat = format!("the fast engine's approximation may not hold: {why}");
        let engine = EngineChoice {
            name: "fast".to_string(),
            reason: format!("{reason}, though {caveat}"),
            caveat: Some(caveat),
        };
        run_months(s, opts, engine, |t| plan.run_trial(opts.seed, t))
    };
    match opts.engine {
        EngineRequest::Exact => exact("requested with --engine exact".to_string()),
        EngineRequest::Fast | EngineRequest::FastWithCaveat => {
            if let Some(why) = unsupported {
                return Err(UsageKind::FastUnsupported { why }.into());
            }
            let plan = fast::FastPlan::new(s, opts.trials, opts.seed);
            let reason = "requested with --engine fast";
            match plan.inaccurate() {
                None => {
                    let engine = EngineChoice {
                        name: "fast".to_string(),
                        reason: reason.to_string(),
                        caveat: None,
                    };
                    run_months(s, opts, engine, |t| plan.run_trial(opts.seed, t))
                }
                Some(why) if opts.engine == EngineRequest::FastWithCaveat => {
                    fast_with_caveat(&plan, "paired with a run of the fast engine", &why)
                }
                // A figure the engine cannot vouch for is not printed: its mean is exact, but
                // its percentiles and breach probability may be far off.
                Some(why) => Err(UsageKind::FastCannotVouch { why }.into()),
            }
        }
        EngineRequest::Auto => {
            if let Some(why) = unsupported {
                return exact(format!("the fast engine does not apply: {why}"));
            }
            // Few requests, but each with so many calls (agent loops, retries, incident repeats)
            // that one exact trial would not finish: the fast engine, whatever its accuracy.
            let work_per_trial = exact_work_per_trial(s);
            let exact_out_of_reach = work_per_trial > EXACT_MAX_WORK_PER_TRIAL;
            let work = work_per_trial * opts.trials as f64;
            if walks <= EXACT_WALK_BUDGET && work <= EXACT_AUTO_MAX_WORK && !exact_out_of_reach {
                return exact(format!(
                    "small enough to simulate every request (about {} request walks)",
                    crate::base::format::count(walks)
                ));
            }
            let plan = fast::FastPlan::new(s, opts.trials, opts.seed);
            // Many requests, but a part of the scenario the fast engine cannot vouch for (a
            // workflow of a few requests a month, say): the exact engine would take an hour
            // where the fast one takes a second, so auto runs the fast one and says so.
            let exact_too_slow = walks > EXACT_AUTO_MAX_WALKS || work > EXACT_AUTO_MAX_WORK;
            match plan.inaccurate() {
                // Where the fast engine's spread would have its mass at $0, no figure of it but
                // the mean means anything: refuse rather than print a p50 of $0.
                Some(_) if (exact_out_of_reach || exact_too_slow) && plan.shapeless().is_some() => {
                    Err(UsageKind::NoEngineVouches {
                        why: plan.shapeless().unwrap_or_default(),
                        walks: crate::base::format::count(walks),
                    }
                    .into())
                }
                Some(why) if exact_out_of_reach || exact_too_slow => {
                    let size = if exact_out_of_reach {
                        "a trial is too large for the exact engine".to_string()
                    } else if walks <= EXACT_AUTO_MAX_WALKS {
                        format!(
                            "simulating every request would take about {} request walks and model calls",
                            crate::base::format::count(work)
                        )
                    } else {
                        format!(
                            "simulating every request would take about {} request walks",
                            crate::base::format::count(walks)
                        )
                    };
                    fast_with_caveat(&plan, &size, &why)
                }
                Some(why) => exact(format!(
                    "the fast engine's approximation does not hold: {why}"
                )),
                None => {
                    let engine = EngineChoice {
                        name: "fast".to_string(),
                        reason: format!(
                            "about {} request walks; traffic, expected costs and the invoice are exact, each day's sum of request costs follows its limiting shape",
                            crate::base::format::count(walks)
                        ),
                        caveat: None,
                    };
                    run_months(s, opts, engine, |t| plan.run_trial(opts.seed, t))
                }
            }
        }
    }
}

/// Run every scenario with the same seed and trials; results in the same order.
pub fn simulate_all(scenarios: &[&Scenario], opts: &SimOptions) -> Result<Vec<SimResult>, Error> {
    scenarios.iter().map(|s| simulate(s, opts)).collect()
}

/// Run the fast engine whether or not it vouches for its shape (its means are exact either way):
/// for measuring it against the exact engine. [`simulate`] with [`EngineRequest::Fast`] refuses
/// a scenario where its accuracy conditions do not hold.
pub fn simulate_fast(s: &Scenario, opts: &SimOptions, reason: String) -> Result<SimResult, Error> {
    let plan = fast::FastPlan::new(s, opts.trials, opts.seed);
    let engine = EngineChoice {
        name: "fast".to_string(),
        reason,
        caveat: None,
    };
    run_months(s, opts, engine, |t| plan.run_trial(opts.seed, t))
}

/// Sessions of one month the exact engine will hold (24 bytes each, twice while it orders them
/// by day, per worker thread): about 1 GB per thread at the limit.
pub const MAX_EXACT_SESSIONS_PER_MONTH: f64 = 2e7;

/// The exact engine lists a month's sessions before it walks them; refuse a scenario whose list
/// would not fit in memory rather than exhaust it.
fn exact_fits_in_memory(s: &Scenario) -> Result<(), Error> {
    let sessions = crate::model::traffic::sessions_per_month(s);
    if sessions > MAX_EXACT_SESSIONS_PER_MONTH {
        return Err(UsageKind::ExactTooManySessions {
            sessions: crate::base::format::count(sessions),
            max: crate::base::format::count(MAX_EXACT_SESSIONS_PER_MONTH),
        }
        .into());
    }
    Ok(())
}

/// Run the exact engine.
pub fn simulate_exact(s: &Scenario, opts: &SimOptions) -> Result<SimResult, Error> {
    exact_within_reach(s, "requested")?;
    exact_fits_in_memory(s)?;
    let plan = exact::Plan::new(s, opts.trials);
    let engine = EngineChoice {
        name: "exact".to_string(),
        reason: "every request simulated".to_string(),
        caveat: None,
    };
    run_months(s, opts, engine, |t| plan.run_trial(opts.seed, t))
}

/// Run an engine's `trial` for every trial index with [`run_trials`], each trial's months
/// carrying the fees that do not depend on traffic (`billing::capacity`), the same for both
/// engines.
fn run_months<F>(
    s: &Scenario,
    opts: &SimOptions,
    engine: EngineChoice,
    trial: F,
) -> Result<SimResult, Error>
where
    F: Fn(u64) -> TrialOutcome + Sync,
{
    run_trials(s, opts, engine, |t| {
        let mut o = trial(t);
        capacity::add_fees(s, &mut o);
        provisioned::settle_months(s, &mut o);
        o
    })
}

/// Run `trial` for every trial index in parallel chunks and fold the outcomes in order: the
/// outcomes as given (a resampled run folds outcomes that already carry their fees).
pub fn run_trials<F>(
    s: &Scenario,
    opts: &SimOptions,
    engine: EngineChoice,
    trial: F,
) -> Result<SimResult, Error>
where
    F: Fn(u64) -> TrialOutcome + Sync,
{
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(opts.threads.unwrap_or(0))
        .build()
        .map_err(|e| UsageKind::WorkerThreads {
            error: e.to_string(),
        })?;
    let threads = pool.current_num_threads() as u64;
    // Chunks grow while they are quick (less time lost joining threads and folding) and shrink
    // when slow (a deadline or Ctrl-C is noticed soon), never past what fits in
    // IN_FLIGHT_BYTES; results do not depend on them.
    // Large trials run fewer at a time than there are threads, so the bound holds on any
    // machine.
    let trial_bytes = month_bytes(s) * s.simulation.months.max(1) as usize;
    let max_chunk = ((IN_FLIGHT_BYTES / trial_bytes.max(1)) as u64).clamp(1, threads * 1024);
    let min_chunk = threads.min(max_chunk);
    let mut chunk = (threads * 4).min(max_chunk);
    let mut result = SimResult::empty(s, opts, engine);
    // The trials of the previous chunk, folded on this thread while the pool runs the next
    // chunk; folding stays in trial order, so results do not depend on the overlap.
    let mut pending: Option<(u64, Vec<TrialOutcome>)> = None;
    let fold = |result: &mut SimResult, batch: Option<(u64, Vec<TrialOutcome>)>| {
        let Some((first, outcomes)) = batch else {
            return;
        };
        for (t, o) in (first..).zip(outcomes) {
            if let Some(sink) = &opts.sink {
                let mut f = sink.0.lock().unwrap_or_else(|e| e.into_inner());
                f(t, &o);
            }
            result.push(o);
        }
    };
    let mut done = 0;
    while done < opts.trials {
        if done > 0 && opts.should_stop() {
            break;
        }
        let started = Instant::now();
        let end = (done + chunk).min(opts.trials);
        let previous = pending.take();
        let (outcomes, ()) = pool.install(|| {
            rayon::join(
                || {
                    (done..end)
                        .into_par_iter()
                        .map(|t| {
                            let o = trial(t);
                            if let Some(pb) = &opts.progress {
                                pb.inc(1);
                            }
                            o
                        })
                        .collect::<Vec<TrialOutcome>>()
                },
                || fold(&mut result, previous),
            )
        });
        pending = Some((done, outcomes));
        done = end;
        let took = started.elapsed().as_secs_f64();
        if took < 0.05 {
            chunk = (chunk * 2).min(max_chunk);
        } else if took > 0.2 {
            chunk = (chunk / 2).max(min_chunk);
        }
    }
    fold(&mut result, pending);
    Ok(result)
}
