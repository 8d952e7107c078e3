//! The Monte Carlo engine: many simulated months, in parallel, reproducibly.
//!
//! Guarantee: the result depends only on the scenario, the seed and the number of trials — not on
//! the thread count, the chunking, or the machine. Each trial draws from generators keyed by
//! (seed, trial) (see [`rng`]); trials run in parallel in fixed chunks, their outcomes are
//! collected in trial order and folded sequentially, so even floating-point sums are the same.
//! Memory holds per-trial totals only (a few numbers per stack and trial), never per request.

pub mod draw;
pub mod exact;
pub mod rng;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use rayon::prelude::*;
use serde::Serialize;

use crate::error::Error;
use crate::model::Scenario;
use draw::TrialDraw;

/// Tokens of a month by how they are billed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct Tokens {
    /// Billed at the input price (variable prompt, retrieval, uncacheable prefix).
    pub input: f64,
    /// Prefix read from the prompt cache.
    pub cached_input: f64,
    /// Prefix written to the prompt cache.
    pub cache_write: f64,
    pub output: f64,
}

impl From<[f64; 4]> for Tokens {
    fn from(t: [f64; 4]) -> Self {
        Tokens {
            input: t[0],
            cached_input: t[1],
            cache_write: t[2],
            output: t[3],
        }
    }
}

impl Tokens {
    fn add(&mut self, o: &Tokens) {
        self.input += o.input;
        self.cached_input += o.cached_input;
        self.cache_write += o.cache_write;
        self.output += o.output;
    }

    pub fn scaled(&self, f: f64) -> Tokens {
        Tokens {
            input: self.input * f,
            cached_input: self.cached_input * f,
            cache_write: self.cache_write * f,
            output: self.output * f,
        }
    }
}

/// Spend of a month by billing class, in USD.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct CostByClass {
    /// Tokens at the input price (variable prompt, retrieval, uncacheable prefix).
    pub input: f64,
    pub cached_input: f64,
    pub cache_write: f64,
    pub output: f64,
}

impl From<[f64; 4]> for CostByClass {
    fn from(c: [f64; 4]) -> Self {
        CostByClass {
            input: c[0],
            cached_input: c[1],
            cache_write: c[2],
            output: c[3],
        }
    }
}

impl CostByClass {
    fn add(&mut self, o: &CostByClass) {
        self.input += o.input;
        self.cached_input += o.cached_input;
        self.cache_write += o.cache_write;
        self.output += o.output;
    }

    pub fn scaled(&self, f: f64) -> CostByClass {
        CostByClass {
            input: self.input * f,
            cached_input: self.cached_input * f,
            cache_write: self.cache_write * f,
            output: self.output * f,
        }
    }

    pub fn total(&self) -> f64 {
        self.input + self.cached_input + self.cache_write + self.output
    }
}

/// One stack's totals for one simulated month.
#[derive(Clone, Debug, Default)]
pub struct StackTrial {
    pub spend: f64,
    pub requests: u64,
    pub accepted: u64,
    pub calls: u64,
    /// Spend on calls after the first call of each step (retries and escalations).
    pub retry_spend: f64,
    /// Requests that moved to a later model of a chain at least once.
    pub escalated: u64,
    pub tokens: Tokens,
    pub cost_by_class: CostByClass,
    pub workflow_spend: Vec<f64>,
    pub workflow_requests: Vec<u64>,
    pub model_spend: Vec<f64>,
    /// Spend per day of the month.
    pub daily: Vec<f64>,
    /// Monthly cost of sampled users, per segment.
    pub user_costs: Vec<Vec<f64>>,
}

/// Everything one trial produces.
#[derive(Clone, Debug)]
pub struct TrialOutcome {
    pub users: Vec<u64>,
    pub stacks: Vec<StackTrial>,
}

impl TrialOutcome {
    pub fn new(s: &Scenario, draw: &TrialDraw) -> Self {
        TrialOutcome {
            users: draw.segments.iter().map(|d| d.users).collect(),
            stacks: (0..s.stacks.len())
                .map(|_| StackTrial {
                    user_costs: vec![Vec::new(); s.segments.len()],
                    ..StackTrial::default()
                })
                .collect(),
        }
    }
}

/// Which engine produced a result, and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct EngineChoice {
    pub name: String,
    pub reason: String,
}

/// How to run a simulation.
#[derive(Clone, Debug)]
pub struct SimOptions {
    pub trials: u64,
    pub seed: u64,
    /// Worker threads; `None` uses one per core.
    pub threads: Option<usize>,
    pub progress: Option<indicatif::ProgressBar>,
    /// Stop cleanly after this instant, keeping the trials done so far.
    pub deadline: Option<Instant>,
    /// Stop cleanly when this becomes true (Ctrl-C).
    pub cancel: Option<Arc<AtomicBool>>,
}

impl SimOptions {
    pub fn new(trials: u64, seed: u64) -> Self {
        SimOptions {
            trials,
            seed,
            threads: None,
            progress: None,
            deadline: None,
            cancel: None,
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

/// One trial's totals that [`StackSim`] otherwise only sums over trials; kept so that reports can
/// give shares and ratios (spend by model or billing class, retries, attempts) a standard error.
#[derive(Clone, Debug, Default)]
pub struct TrialTotals {
    pub calls: f64,
    pub retry_spend: f64,
    pub escalated: f64,
    pub cost_by_class: CostByClass,
    /// Per model, spend of the trial.
    pub model_spend: Vec<f64>,
}

/// One stack across all trials.
#[derive(Clone, Debug, Default)]
pub struct StackSim {
    pub name: String,
    /// Monthly spend of each trial, in trial order.
    pub spend: Vec<f64>,
    pub requests: Vec<f64>,
    pub accepted: Vec<f64>,
    pub calls: f64,
    pub retry_spend: f64,
    pub escalated: f64,
    /// Token totals summed over trials.
    pub tokens: Tokens,
    /// Spend by billing class summed over trials.
    pub cost_by_class: CostByClass,
    /// Per workflow, spend of each trial.
    pub workflow_spend: Vec<Vec<f64>>,
    /// Per workflow, requests summed over trials.
    pub workflow_requests: Vec<f64>,
    /// Per model, spend summed over trials.
    pub model_spend: Vec<f64>,
    /// Per day, spend of each trial (`daily[day][trial]`).
    pub daily: Vec<Vec<f64>>,
    /// Per segment, sampled users' monthly costs.
    pub user_costs: Vec<Vec<f64>>,
    /// Per trial, the totals summed above (in trial order).
    pub trial_totals: Vec<TrialTotals>,
}

/// The outcome of a run: per-trial totals for every stack.
#[derive(Clone, Debug)]
pub struct SimResult {
    /// Trials completed (fewer than requested when stopped early).
    pub trials: u64,
    pub requested_trials: u64,
    pub seed: u64,
    pub engine: EngineChoice,
    pub days: u32,
    /// Per segment, users of each trial.
    pub segment_users: Vec<Vec<f64>>,
    pub stacks: Vec<StackSim>,
}

impl SimResult {
    /// Whether the run stopped before all requested trials (deadline or Ctrl-C).
    pub fn is_partial(&self) -> bool {
        self.trials < self.requested_trials
    }

    /// Total users of each trial.
    pub fn users(&self) -> Vec<f64> {
        let n = self.trials as usize;
        (0..n)
            .map(|t| self.segment_users.iter().map(|s| s[t]).sum())
            .collect()
    }

    fn empty(s: &Scenario, opts: &SimOptions, engine: EngineChoice) -> Self {
        let n = opts.trials.min(1 << 20) as usize;
        SimResult {
            trials: 0,
            requested_trials: opts.trials,
            seed: opts.seed,
            engine,
            days: s.simulation.days,
            segment_users: vec![Vec::with_capacity(n); s.segments.len()],
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
                    model_spend: vec![0.0; s.models.len()],
                    daily: vec![Vec::with_capacity(n); s.simulation.days as usize],
                    user_costs: vec![Vec::new(); s.segments.len()],
                    ..StackSim::default()
                })
                .collect(),
        }
    }

    /// Fold one trial in; trials must arrive in index order.
    fn push(&mut self, o: TrialOutcome) {
        self.trials += 1;
        for (seg, users) in self.segment_users.iter_mut().zip(&o.users) {
            seg.push(*users as f64);
        }
        for (acc, t) in self.stacks.iter_mut().zip(o.stacks) {
            acc.spend.push(t.spend);
            acc.requests.push(t.requests as f64);
            acc.accepted.push(t.accepted as f64);
            acc.calls += t.calls as f64;
            acc.retry_spend += t.retry_spend;
            acc.escalated += t.escalated as f64;
            acc.tokens.add(&t.tokens);
            acc.cost_by_class.add(&t.cost_by_class);
            for (w, x) in acc.workflow_spend.iter_mut().zip(&t.workflow_spend) {
                w.push(*x);
            }
            for (w, x) in acc.workflow_requests.iter_mut().zip(&t.workflow_requests) {
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

/// Run a simulation with the engine the options ask for.
pub fn simulate(s: &Scenario, opts: &SimOptions) -> Result<SimResult, Error> {
    simulate_exact(s, opts)
}

/// Run the exact engine.
pub fn simulate_exact(s: &Scenario, opts: &SimOptions) -> Result<SimResult, Error> {
    let plan = exact::Plan::new(s, opts.trials);
    let engine = EngineChoice {
        name: "exact".to_string(),
        reason: "every request simulated".to_string(),
    };
    run_trials(s, opts, engine, |t| plan.run_trial(opts.seed, t))
}

/// Run `trial` for every trial index in parallel chunks and fold the outcomes in order.
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
        .map_err(|e| Error::Usage(format!("cannot start worker threads: {e}")))?;
    let threads = pool.current_num_threads() as u64;
    let chunk = (threads * 16).clamp(16, 1024);
    let mut result = SimResult::empty(s, opts, engine);
    let mut done = 0;
    while done < opts.trials {
        if done > 0 && opts.should_stop() {
            break;
        }
        let end = (done + chunk).min(opts.trials);
        let outcomes: Vec<TrialOutcome> = pool.install(|| {
            (done..end)
                .into_par_iter()
                .map(|t| {
                    let o = trial(t);
                    if let Some(pb) = &opts.progress {
                        pb.inc(1);
                    }
                    o
                })
                .collect()
        });
        for o in outcomes {
            result.push(o);
        }
        done = end;
    }
    Ok(result)
}
