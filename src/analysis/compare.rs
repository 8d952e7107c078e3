//! Comparing plans under common random numbers.
//!
//! A plan is one stack of one scenario. The engine draws every random number from (seed, trial,
//! a key-path label), so two stacks of one run — or the same stack in two versions of a scenario
//! run with the same seed and trials — see the same users, sessions and prompts in every trial.
//! The difference between two plans is therefore measured trial by trial: its spread holds only
//! what really differs between them, not the month-to-month noise they share, and its standard
//! error is often many times smaller than two independent runs would give (reported alongside as
//! `independent_standard_error_usd`).
//!
//! Where latency is modelled, each plan carries its latency percentiles per workflow with their
//! 95% intervals, and each pair the difference of its p95 latencies. Latency comes from sampled
//! requests, which the two plans do not share one for one (a hard cap or a different chain stops
//! them at different points), so the standard error of that difference treats the two samples as
//! independent: it is an upper bound. The recommendation asks a plan to meet both its budget and
//! every latency target of its scenario, and, since a refused request is billed nothing, it sets
//! aside plans whose input windows refuse prompts while another qualifying plan serves them all.

use serde::Serialize;

use crate::analysis::break_even::{BreakEven, break_even};
use crate::analysis::detail::latency_misses;
use crate::analysis::detail::{Headline, LatencyDetail, latency_details, trial_ratio};
use crate::base::error::{Error, UsageKind};
use crate::base::format::{count, money, money_with_se};
use crate::base::format::{prob_inline, share_inline};
use crate::base::stats;
use crate::base::stats::estimate::{Estimate, Interval};
use crate::model::RequestPath;
use crate::model::Scenario;
use crate::sim::engine::SimResult;

/// Default largest breach probability for a plan to count as meeting its budget.
pub const DEFAULT_MAX_BREACH: f64 = 0.05;

/// One plan: a stack of a scenario, with its per-trial outcomes.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Plan {
    /// How the comparison names it: the stack, or `version · stack` across two files.
    pub label: String,
    pub scenario: String,
    pub stack: String,
    pub budget_usd: Option<f64>,
    pub monthly_spend_usd: Estimate,
    pub p95_usd: Interval,
    pub breach_probability: Option<Estimate>,
    pub acceptance_rate: Option<Estimate>,
    pub cost_per_accepted_task_usd: Option<Estimate>,
    /// Whether the acceptance rate is an expected value without a standard error (the fast
    /// engine's counts; see `StackDetail::counts_expected`).
    #[serde(skip)]
    pub counts_expected: bool,
    /// Trials behind the plan's figures (the independent unit of its probabilities).
    #[serde(skip)]
    pub trials: u64,
    /// Request latency of every workflow whose latency is modelled on this plan, with each
    /// target's verdict; empty when latency is not modelled.
    pub latency: Vec<LatencyDetail>,
    /// Whether the plan meets every latency target of its scenario: `None` without a target, or
    /// when none is missed but a target's workflow has no latency model on this plan.
    pub latency_target_met: Option<bool>,
    /// Live workflows with a latency target whose latency is not modelled on this plan.
    pub latency_unchecked: Vec<String>,
    /// Share of the plan's requests refused because their input exceeds a model's window (not
    /// billed; the request fails); absent when no prompt of its scenario can exceed a window.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub window_refused_share: Option<f64>,
    /// The same share with its standard error over trials, for the plans table (none where the
    /// fast engine drew the counts: an expected value).
    #[serde(skip)]
    pub window_refused: Option<Estimate>,
    /// Monthly spend of each trial, in trial order.
    #[serde(skip)]
    pub spend: Vec<f64>,
    #[serde(skip)]
    pub requests: Vec<f64>,
    #[serde(skip)]
    pub accepted: Vec<f64>,
    /// Months of the horizon (`spend` holds `trial × months + month`).
    #[serde(skip)]
    pub months: usize,
    /// One-time fees (fine-tuning jobs) over the horizon, and the last month (0-based) with one.
    #[serde(skip)]
    pub one_time: (f64, usize),
}

impl Plan {
    fn new(label: String, s: &Scenario, r: &SimResult, k: usize) -> Plan {
        let st = &r.stacks[k];
        let budget = s.budget.as_ref().map(|b| b.monthly_usd);
        // The plan's own figures are the stack's headline, as the report and brief print them.
        let head = Headline::of(s, r, st);
        let counts_expected = r.engine.name == "fast";
        // `Σ refused / Σ requests` over every month, as the report's share.
        let window_refused = crate::analysis::detail::windows_matter(s).then(|| {
            trial_ratio(&st.window_refused, &st.requests, r.months).map_or(
                Estimate::new(0.0, 0.0),
                |e| {
                    if counts_expected {
                        Estimate::new(e.value, f64::NAN)
                    } else {
                        e
                    }
                },
            )
        });
        let latency = latency_details(s, st);
        let latency_unchecked: Vec<String> = s
            .workflows
            .iter()
            .filter(|w| w.latency_target.is_some() && w.path == RequestPath::Live)
            .filter(|w| !latency.iter().any(|l| l.workflow == w.name))
            .map(|w| w.name.clone())
            .collect();
        let verdicts: Vec<bool> = latency
            .iter()
            .filter_map(LatencyDetail::target_met)
            .collect();
        let latency_target_met = if verdicts.contains(&false) {
            Some(false)
        } else if verdicts.is_empty() || !latency_unchecked.is_empty() {
            None
        } else {
            Some(true)
        };
        Plan {
            label,
            scenario: s.name.clone(),
            stack: st.name.clone(),
            budget_usd: budget,
            monthly_spend_usd: head.mean,
            p95_usd: head.p95,
            breach_probability: head.breach,
            acceptance_rate: trial_ratio(&st.accepted, &st.requests, r.months).map(|e| {
                if counts_expected {
                    Estimate::new(e.value, f64::NAN)
                } else {
                    e
                }
            }),
            cost_per_accepted_task_usd: trial_ratio(&st.spend, &st.accepted, r.months),
            counts_expected,
            trials: r.trials,
            latency,
            latency_target_met,
            latency_unchecked,
            window_refused_share: window_refused.as_ref().map(|e| e.value),
            window_refused,
            spend: st.spend.clone(),
            requests: st.requests.clone(),
            accepted: st.accepted.clone(),
            months: r.months.max(1) as usize,
            one_time: one_time_fees(s, k, r.months, r.days),
        }
    }

    /// Whether the plan's scenario sets a latency target it can be held to.
    pub(crate) fn has_latency_target(&self) -> bool {
        self.latency_target_met.is_some() || !self.latency_unchecked.is_empty()
    }

    /// The latency targets the plan misses, in words: `answer p95 (8,193 ms > 4,000 ms)`.
    pub(crate) fn latency_misses(&self) -> Option<String> {
        latency_misses(&self.latency)
    }

    /// Whether the plan stays under its budget often enough; `None` without a budget.
    pub(crate) fn meets_budget(&self, max_breach: f64) -> Option<bool> {
        self.breach_probability.map(|p| p.value <= max_breach)
    }

    /// Whether the plan's windows refuse its prompts (more than one request in a million): the
    /// provider bills nothing for them, so its spend leaves out demand it does not serve.
    pub fn refuses_prompts(&self) -> bool {
        self.window_refused_share
            .is_some_and(|x| x >= crate::model::prompt::WINDOW_WARNING_SHARE)
    }

    fn breaches(&self) -> Option<Vec<f64>> {
        self.budget_usd.map(|b| {
            self.spend
                .iter()
                .map(|x| if *x > b { 1.0 } else { 0.0 })
                .collect()
        })
    }
}

/// The p95 latency of one workflow on two plans.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LatencyDifference {
    pub workflow: String,
    pub a_ms: f64,
    pub b_ms: f64,
    /// p95(A) − p95(B) in milliseconds; the standard error treats the two samples as
    /// independent (see the module documentation).
    pub difference_ms: Estimate,
}

impl LatencyDifference {
    fn between(a: &Plan, b: &Plan) -> Vec<LatencyDifference> {
        a.latency
            .iter()
            .filter_map(|la| {
                let lb = b.latency.iter().find(|l| l.workflow == la.workflow)?;
                let (x, y) = (la.p95_ms, lb.p95_ms);
                Some(LatencyDifference {
                    workflow: la.workflow.clone(),
                    a_ms: x.value,
                    b_ms: y.value,
                    difference_ms: Estimate::new(
                        x.value - y.value,
                        x.implied_se().hypot(y.implied_se()),
                    ),
                })
            })
            .collect()
    }
}

/// Plan `a` against plan `b`, trial by trial.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Difference {
    pub a: String,
    pub b: String,
    /// Distribution of spend(A) − spend(B) over trials.
    pub mean_usd: Estimate,
    pub p5_usd: f64,
    pub p50_usd: f64,
    pub p95_usd: f64,
    /// The standard error the mean difference would have from two independent runs of the same
    /// size (no common random numbers).
    pub independent_standard_error_usd: f64,
    /// Share of trials in which A costs strictly less than B (ties count as not cheaper).
    pub probability_a_cheaper: Estimate,
    /// P(A breaches its budget) − P(B breaches its budget); `None` unless both have a budget.
    pub breach_probability_difference: Option<Estimate>,
    /// Acceptance rate of A − that of B.
    pub acceptance_rate_difference: Option<Estimate>,
    /// p95 latency of A − that of B, per workflow whose latency both model.
    pub latency_p95_differences: Vec<LatencyDifference>,
    /// When the plan that pays more one-time fees (a fine-tuning job) has paid them back
    /// against the other; absent when their one-time fees are the same.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub break_even: Option<BreakEven>,
    /// Per-trial differences, in trial order.
    #[serde(skip)]
    pub per_trial: Vec<f64>,
}

impl Difference {
    pub fn between(a: &Plan, b: &Plan) -> Difference {
        let n = a.spend.len().min(b.spend.len());
        let d: Vec<f64> = (0..n).map(|t| a.spend[t] - b.spend[t]).collect();
        let sorted = stats::sorted(&d);
        let var = |x: &[f64]| {
            let s = stats::sd(&x[..n]);
            s * s
        };
        let independent = ((var(&a.spend) + var(&b.spend)) / n.max(1) as f64).sqrt();
        let breach = match (a.breaches(), b.breaches()) {
            (Some(x), Some(y)) => {
                let diff: Vec<f64> = (0..n).map(|t| x[t] - y[t]).collect();
                Some(Estimate::mean_of(&diff))
            }
            _ => None,
        };
        Difference {
            a: a.label.clone(),
            b: b.label.clone(),
            mean_usd: Estimate::mean_of(&d),
            p5_usd: stats::quantile_sorted(&sorted, 0.05),
            p50_usd: stats::quantile_sorted(&sorted, 0.5),
            p95_usd: stats::quantile_sorted(&sorted, 0.95),
            independent_standard_error_usd: independent,
            probability_a_cheaper: Estimate::proportion(d.iter().filter(|x| **x < 0.0).count(), n),
            breach_probability_difference: breach,
            // Counts the fast engine gives as expected values have no standard error, and
            // neither has their difference.
            acceptance_rate_difference: ratio_difference(
                &a.accepted[..n],
                &a.requests[..n],
                &b.accepted[..n],
                &b.requests[..n],
            )
            .map(|e| {
                if a.counts_expected || b.counts_expected {
                    Estimate::new(e.value, f64::NAN)
                } else {
                    e
                }
            }),
            latency_p95_differences: LatencyDifference::between(a, b),
            break_even: plans_break_even(a, b),
            per_trial: d,
        }
    }

    /// How many times smaller the standard error is than with independent runs.
    pub(crate) fn noise_reduction(&self) -> Option<f64> {
        let se = self.mean_usd.standard_error;
        (se > 0.0 && self.independent_standard_error_usd > 0.0)
            .then(|| self.independent_standard_error_usd / se)
    }

    /// Whether the mean difference is at least two standard errors from zero.
    pub(crate) fn is_clear(&self) -> bool {
        let se = self.mean_usd.standard_error;
        if se > 0.0 {
            self.mean_usd.value.abs() >= 2.0 * se
        } else {
            self.mean_usd.value != 0.0
        }
    }
}

/// One-time fees of stack `k` over a horizon of `months` months of `days` days, and the last
/// month (0-based) that has one.
fn one_time_fees(s: &Scenario, k: usize, months: u32, days: u32) -> (f64, usize) {
    let mut total = 0.0;
    let mut last = 0;
    for m in 0..months.max(1) {
        for fee in crate::billing::capacity::month_fees(s, k, m, days) {
            if fee.class == crate::billing::classes::CostClass::Training {
                total += fee.usd;
                last = m as usize;
            }
        }
    }
    (total, last)
}

/// The break-even of the plan with more one-time fees against the other, on the same horizon.
fn plans_break_even(a: &Plan, b: &Plan) -> Option<BreakEven> {
    if a.one_time.0 == b.one_time.0 || a.months != b.months {
        return None;
    }
    let (i, o) = if a.one_time.0 > b.one_time.0 {
        (a, b)
    } else {
        (b, a)
    };
    break_even(
        (&i.label, &i.spend),
        (&o.label, &o.spend),
        i.months,
        i.one_time.0 - o.one_time.0,
        i.one_time.1,
    )
}

/// `Σx₁/Σy₁ − Σx₂/Σy₂` over paired trials, with the delta-method standard error.
fn ratio_difference(x1: &[f64], y1: &[f64], x2: &[f64], y2: &[f64]) -> Option<Estimate> {
    let n = x1.len();
    let (s1, s2) = (stats::sum(y1), stats::sum(y2));
    if !(s1 > 0.0 && s2 > 0.0) {
        return None;
    }
    let (r1, r2) = (stats::sum(x1) / s1, stats::sum(x2) / s2);
    let (m1, m2) = (s1 / n as f64, s2 / n as f64);
    let z: Vec<f64> = (0..n)
        .map(|t| (x1[t] - r1 * y1[t]) / m1 - (x2[t] - r2 * y2[t]) / m2)
        .collect();
    let se = if n < 2 {
        f64::NAN
    } else {
        stats::sd(&z) / (n as f64).sqrt()
    };
    Some(Estimate::new(r1 - r2, se))
}

/// The plan to choose, and why, in one sentence.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Recommendation {
    /// The recommended plan's label; `None` when no plan meets its budget.
    pub plan: Option<String>,
    pub text: String,
}

/// Several plans under common random numbers, every pair compared.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Comparison {
    pub aicost_version: &'static str,
    /// What is compared: `stacks` of one scenario, or two `versions` of a scenario.
    pub kind: &'static str,
    pub title: String,
    pub trials: u64,
    pub partial: bool,
    pub seed: u64,
    /// The engine that ran every plan (pairing needs one engine for all).
    pub engine: String,
    pub max_breach_probability: f64,
    pub plans: Vec<Plan>,
    pub differences: Vec<Difference>,
    pub recommendation: Recommendation,
}

impl Comparison {
    /// Every stack of one run, each pair in file order.
    pub fn of_stacks(s: &Scenario, r: &SimResult, max_breach: f64) -> Comparison {
        let plans: Vec<Plan> = (0..r.stacks.len())
            .map(|k| Plan::new(r.stacks[k].name.clone(), s, r, k))
            .collect();
        let mut differences = Vec::new();
        for i in 0..plans.len() {
            for j in i + 1..plans.len() {
                differences.push(Difference::between(&plans[i], &plans[j]));
            }
        }
        Comparison::assemble(
            "stacks",
            s.name.clone(),
            r,
            r.is_partial(),
            max_breach,
            plans,
            differences,
        )
    }

    /// Two versions of a scenario, run with the same seed and trials: stacks are paired by name,
    /// or, when each version has exactly one stack, those two are paired whatever their names.
    pub(crate) fn of_versions(
        a: (&str, &Scenario, &SimResult),
        b: (&str, &Scenario, &SimResult),
        max_breach: f64,
    ) -> Result<Comparison, Error> {
        let (la, sa, ra) = a;
        let (lb, sb, rb) = b;
        if ra.seed != rb.seed || ra.trials != rb.trials {
            return Err(UsageKind::RunsDiffer {
                seeds: (ra.seed, rb.seed),
                trials: (ra.trials, rb.trials),
            }
            .into());
        }
        // The two engines draw different random numbers from the same seed: pairing their months
        // would measure the difference with the noise of independent runs while claiming more.
        if ra.engine.name != rb.engine.name {
            return Err(UsageKind::EnginesDiffer {
                labels: (la.to_string(), lb.to_string()),
                engines: (ra.engine.name.clone(), rb.engine.name.clone()),
            }
            .into());
        }
        let pairs: Vec<(usize, usize)> = if ra.stacks.len() == 1 && rb.stacks.len() == 1 {
            vec![(0, 0)]
        } else {
            ra.stacks
                .iter()
                .enumerate()
                .filter_map(|(i, st)| {
                    rb.stacks
                        .iter()
                        .position(|o| o.name == st.name)
                        .map(|j| (i, j))
                })
                .collect()
        };
        if pairs.is_empty() {
            let names = |r: &SimResult| {
                r.stacks
                    .iter()
                    .map(|s| format!("`{}`", s.name))
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            return Err(UsageKind::NoStackInCommon {
                labels: (la.to_string(), lb.to_string()),
                stacks: (names(ra), names(rb)),
            }
            .into());
        }
        let single = pairs.len() == 1 && ra.stacks.len() == 1 && rb.stacks.len() == 1;
        let label = |side: &str, stack: &str| {
            if single {
                side.to_string()
            } else {
                format!("{side} · {stack}")
            }
        };
        let mut plans = Vec::new();
        let mut differences = Vec::new();
        for (i, j) in pairs {
            let pa = Plan::new(label(la, &ra.stacks[i].name), sa, ra, i);
            let pb = Plan::new(label(lb, &rb.stacks[j].name), sb, rb, j);
            differences.push(Difference::between(&pa, &pb));
            plans.push(pa);
            plans.push(pb);
        }
        let title = if sa.name == sb.name {
            sa.name.clone()
        } else {
            format!("{} vs {}", sa.name, sb.name)
        };
        Ok(Comparison::assemble(
            "versions",
            title,
            ra,
            ra.is_partial() || rb.is_partial(),
            max_breach,
            plans,
            differences,
        ))
    }

    fn assemble(
        kind: &'static str,
        title: String,
        r: &SimResult,
        partial: bool,
        max_breach: f64,
        plans: Vec<Plan>,
        differences: Vec<Difference>,
    ) -> Comparison {
        let recommendation = recommend(&plans, max_breach);
        Comparison {
            aicost_version: env!("CARGO_PKG_VERSION"),
            kind,
            title,
            trials: r.trials,
            partial,
            seed: r.seed,
            engine: r.engine.name.clone(),
            max_breach_probability: max_breach,
            plans,
            differences,
            recommendation,
        }
    }

    /// The comparison as pretty JSON with a trailing newline.
    pub fn to_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).expect("comparison serializes");
        s.push('\n');
        s
    }
}

/// `0.95` → `95%`, `0.975` → `97.5%`.
pub(crate) fn whole_percent(p: f64) -> String {
    let pct = p * 100.0;
    if (pct - pct.round()).abs() < 1e-9 {
        format!("{pct:.0}%")
    } else {
        format!("{pct:.1}%")
    }
}

fn budget_phrase(plans: &[&Plan]) -> String {
    let budgets: Vec<f64> = plans.iter().filter_map(|p| p.budget_usd).collect();
    match budgets.first() {
        Some(b) if budgets.iter().all(|x| x == b) => format!("the {} budget", money(*b)),
        _ => "its budget".to_string(),
    }
}

/// A plan's breach probability in words: `breach probability 3.0% ± 1.2 pt`.
fn breach_words(p: &Plan) -> String {
    match p.breach_probability {
        Some(b) if b.value == 0.0 => "no simulated month over it".to_string(),
        Some(b) => format!(
            "breach probability {}",
            prob_inline(&b, Some(p.trials as usize))
        ),
        None => "no budget of its own".to_string(),
    }
}

/// Why a plan does not qualify: `misses answer p95 (8,193 ms > 4,000 ms) and breaches the budget
/// in 30.0% ± 2.1 pt of months`.
fn shortfalls(p: &Plan, max_breach: f64) -> String {
    let mut why = Vec::new();
    if let Some(m) = p.latency_misses() {
        why.push(format!("misses {m}"));
    }
    if p.meets_budget(max_breach) == Some(false)
        && let Some(b) = p.breach_probability
    {
        why.push(format!(
            "breaches the budget in {} of months",
            prob_inline(&b, Some(p.trials as usize))
        ));
    }
    why.join(" and ")
}

/// Choose the cheapest plan (by mean monthly spend) among those whose breach probability is at
/// most `max_breach` (every plan, when none has a budget) and that meet every latency target of
/// their scenario (a plan whose latency is not modelled is not held to its target, and the text
/// says so). When none qualifies, say which condition fails for whom.
// Long on purpose: the recommendation's cases in the order they are decided (no plan, one that
// qualifies, none that does and why), each writing the same record's text.
pub(crate) fn recommend(plans: &[Plan], max_breach: f64) -> Recommendation {
    if plans.is_empty() {
        return Recommendation {
            plan: None,
            text: "Nothing to compare.".to_string(),
        };
    }
    let budgeted = plans.iter().any(|p| p.budget_usd.is_some());
    let targets = plans.iter().any(Plan::has_latency_target);
    let within_budget = |p: &Plan| p.meets_budget(max_breach).unwrap_or(!budgeted);
    let fast_enough = |p: &Plan| p.latency_target_met != Some(false);
    let by_mean = |a: &&Plan, b: &&Plan| {
        a.monthly_spend_usd
            .value
            .total_cmp(&b.monthly_spend_usd.value)
    };
    let mut eligible: Vec<&Plan> = plans
        .iter()
        .filter(|p| within_budget(p) && fast_enough(p))
        .collect();
    eligible.sort_by(by_mean);
    // A refused request is free, so "cheapest" would reward a window that turns demand away:
    // where some qualifying plan serves every prompt, plans that refuse prompts are set aside.
    let mut refusing: Vec<&Plan> = Vec::new();
    if eligible.iter().any(|p| !p.refuses_prompts()) {
        refusing = eligible
            .iter()
            .copied()
            .filter(|p| p.refuses_prompts())
            .collect();
        eligible.retain(|p| !p.refuses_prompts());
    }
    let all: Vec<&Plan> = plans.iter().collect();
    let limit = format!("in at least {} of months", whole_percent(1.0 - max_breach));
    let Some(best) = eligible.first().copied() else {
        return Recommendation {
            plan: None,
            text: none_qualifies(plans, max_breach, budgeted, targets, &all, &limit),
        };
    };
    let mean = money_with_se(
        best.monthly_spend_usd.value,
        best.monthly_spend_usd.standard_error,
    );
    let latency = if !targets {
        String::new()
    } else if best.latency_target_met == Some(true) {
        " and meets its latency targets".to_string()
    } else if !best.latency_unchecked.is_empty() {
        format!(
            " (its latency is not modelled for {}, so that target is unchecked)",
            best.latency_unchecked.join(", ")
        )
    } else {
        String::new()
    };
    let served = if refusing.is_empty() {
        ""
    } else {
        " and serves every prompt"
    };
    let mut text = if budgeted {
        format!(
            "Choose {}: the cheapest plan that stays under {} {limit} ({}){latency}{served}, at {mean} a month",
            best.label,
            budget_phrase(&[best]),
            breach_words(best),
        )
    } else if targets {
        format!(
            "No budget is set; the cheapest plan that meets its latency targets{served} is {}, at {mean} a month",
            best.label
        )
    } else {
        format!(
            "No budget is set; the cheapest plan{served} is {}, at {mean} a month",
            best.label
        )
    };
    if let Some(next) = eligible.get(1) {
        let d = Difference::between(best, next);
        let amount = money_with_se(d.mean_usd.value.abs(), d.mean_usd.standard_error);
        if d.is_clear() {
            text.push_str(&format!(
                ", {amount} less than {}{}",
                next.label,
                if budgeted || targets {
                    ", the next cheapest that does"
                } else {
                    ""
                }
            ));
        } else {
            text.push_str(&format!(
                "; {} costs the same within the simulation's noise (difference {amount}), so decide on other grounds",
                next.label
            ));
        }
    }
    text.push('.');
    // Cheaper plans within the budget that the latency targets rule out.
    let mut faster_needed: Vec<&Plan> = plans
        .iter()
        .filter(|p| within_budget(p) && !fast_enough(p))
        .filter(|p| p.monthly_spend_usd.value < best.monthly_spend_usd.value)
        .collect();
    faster_needed.sort_by(by_mean);
    for p in faster_needed {
        let d = Difference::between(best, p);
        text.push_str(&format!(
            " Cheaper by {} a month, {} misses {}.",
            money_with_se(d.mean_usd.value.abs(), d.mean_usd.standard_error),
            p.label,
            p.latency_misses().unwrap_or_default()
        ));
    }
    // Plans set aside for refusing prompts, cheaper or not: their spend leaves out what they
    // turn away.
    for p in &refusing {
        let d = Difference::between(best, p);
        let cheaper = if d.mean_usd.value > 0.0 {
            format!(
                "costs {} a month less but ",
                money_with_se(d.mean_usd.value.abs(), d.mean_usd.standard_error)
            )
        } else {
            String::new()
        };
        text.push_str(&format!(
            " {} {cheaper}is not recommended: it refuses {} of requests, whose input exceeds a model's window; the provider bills nothing for them and they fail, so its spend leaves out demand it does not serve.",
            p.label,
            crate::base::format::small_percent(p.window_refused_share.unwrap_or(0.0))
        ));
    }
    // A verdict the simulation's noise could still turn.
    let close: Vec<String> = best
        .latency
        .iter()
        .flat_map(|l| {
            l.targets.iter().filter(|t| t.close_call).map(move |t| {
                format!(
                    "{} {} ({} ms against {} ms)",
                    l.workflow,
                    t.percentile,
                    count(t.measured_ms.value),
                    count(t.target_ms)
                )
            })
        })
        .collect();
    if !close.is_empty() {
        text.push_str(&format!(
            " Its {} lies within the simulation's 95% interval of the target; more trials could turn that verdict.",
            close.join(", ")
        ));
    }
    // The acceptance trade-off, when another plan is clearly more reliable.
    if let Some(acc) = best.acceptance_rate {
        let better = plans
            .iter()
            .filter(|p| p.label != best.label)
            .filter_map(|p| {
                let d = Difference::between(p, best).acceptance_rate_difference?;
                // Clear (two standard errors) and large enough to matter (a percentage point).
                (d.value > 2.0 * d.standard_error.max(0.0) && d.value >= 0.01).then_some((p, d))
            })
            .max_by(|x, y| x.1.value.total_cmp(&y.1.value));
        if let Some((p, _)) = better {
            let pa = p
                .acceptance_rate
                .map_or("n/a".to_string(), |e| share_inline(&e, p.counts_expected));
            text.push_str(&format!(
                " Its acceptance rate is lower: {} against {pa} for {}",
                share_inline(&acc, best.counts_expected),
                p.label
            ));
            if let (Some(cb), Some(cp)) = (
                best.cost_per_accepted_task_usd,
                p.cost_per_accepted_task_usd,
            ) {
                text.push_str(&format!(
                    "; per accepted task it costs {} against {}",
                    money(cb.value),
                    money(cp.value)
                ));
            }
            text.push('.');
        }
    }
    Recommendation {
        plan: Some(best.label.clone()),
        text,
    }
}

/// The sentence when no plan qualifies: without latency targets, the plan closest to its budget;
/// with them, which condition fails for each plan.
fn none_qualifies(
    plans: &[Plan],
    max_breach: f64,
    budgeted: bool,
    targets: bool,
    all: &[&Plan],
    limit: &str,
) -> String {
    if targets {
        let reasons: Vec<String> = plans
            .iter()
            .map(|p| format!("{} {}", p.label, shortfalls(p, max_breach)))
            .collect();
        return if budgeted {
            format!(
                "No plan both stays under {} {limit} and meets its latency targets: {}.",
                budget_phrase(all),
                reasons.join("; ")
            )
        } else {
            format!("No plan meets its latency targets: {}.", reasons.join("; "))
        };
    }
    let closest = plans
        .iter()
        .filter(|p| p.breach_probability.is_some())
        .min_by(|a, b| {
            let pa = a.breach_probability.map_or(1.0, |e| e.value);
            let pb = b.breach_probability.map_or(1.0, |e| e.value);
            pa.total_cmp(&pb)
        });
    let mut text = format!("No plan stays under {} {limit}", budget_phrase(all));
    if let Some(c) = closest
        && let Some(p) = c.breach_probability
    {
        text.push_str(&format!(
            "; the closest is {} (breach probability {}, mean {} a month)",
            c.label,
            prob_inline(&p, Some(c.trials as usize)),
            money_with_se(
                c.monthly_spend_usd.value,
                c.monthly_spend_usd.standard_error
            )
        ));
    }
    text.push('.');
    text
}
