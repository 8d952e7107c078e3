//! The backlog's figures: each candidate's effect on each stack, the stacks before any lever, the
//! best levers of a stack together, and the ranking of the rows of one stack.

use serde::Serialize;

use super::assumptions::Assumptions;
use super::lever::NotApplicable;
use crate::base::stats::paired::{Delta, ProbabilityChange};

/// The effect of one candidate on one stack.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct StackEffect {
    pub stack: String,
    /// Whether any simulated month of this stack changed.
    pub affected: bool,
    /// Monthly saving (base − candidate), per trial.
    pub saving_usd: Delta,
    /// Mean saving as a share of the base mean spend.
    pub saving_share: f64,
    pub breach_probability: Option<ProbabilityChange>,
    pub acceptance_rate_before: Option<f64>,
    pub acceptance_rate_after: Option<f64>,
    /// p95 request latency of each workflow whose latency is modelled, before and after.
    pub latency_p95_ms: Vec<LatencyChange>,
    /// Share of months in which a contract the candidate signs is under-used.
    pub underused_probability: Option<f64>,
}

/// A workflow's p95 request latency before and after a lever, in milliseconds.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LatencyChange {
    pub workflow: String,
    pub before: f64,
    pub after: f64,
}

/// One candidate's row of the backlog.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Row {
    pub lever: &'static str,
    /// What the candidate changes (see `Candidate::key`).
    pub key: String,
    pub change: String,
    /// The stack the candidate was sized for; it is ranked under that stack only.
    pub for_stack: Option<String>,
    pub stacks: Vec<StackEffect>,
}

/// One stack before any lever.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Baseline {
    pub stack: String,
    pub mean_usd: f64,
    pub p95_usd: f64,
    pub breach_probability: Option<f64>,
    pub acceptance_rate: Option<f64>,
}

/// The best levers of a stack simulated together. Savings measured one lever at a time do not
/// add: two levers that cut the same spend (a prompt cache and a trimmed prefix, a semantic cache
/// and anything per call) save less together than the sum of their savings.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Combined {
    pub stack: String,
    /// The levers combined (their keys), best first.
    pub levers: Vec<String>,
    /// What was changed, lever by lever, in the order they were applied.
    pub changes: Vec<String>,
    /// The effect of all of them at once on the stack, on the same simulated months.
    pub effect: StackEffect,
    /// Their savings one at a time, added up as if they were additive.
    pub sum_of_savings_usd: f64,
}

/// How many of a stack's best levers `levers` simulates together.
pub const COMBINED_LEVERS: usize = 3;

/// The optimization backlog of a scenario.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Backlog {
    pub scenario: String,
    pub trials: u64,
    pub seed: u64,
    pub assumptions: Assumptions,
    pub budget_usd: Option<f64>,
    pub baseline: Vec<Baseline>,
    pub rows: Vec<Row>,
    /// Per stack with at least two levers that clearly save, its best ones simulated together.
    pub combined: Vec<Combined>,
    pub not_applicable: Vec<NotApplicable>,
}

impl Backlog {
    /// Rows for stack `k`, most saving first; rows with no effect on the stack last. A row sized
    /// for another stack is left out.
    pub fn ranked(&self, k: usize) -> Vec<(&Row, &StackEffect)> {
        let name = &self.baseline[k].stack;
        let mut rows: Vec<(&Row, &StackEffect)> = self
            .rows
            .iter()
            .filter(|r| r.for_stack.as_ref().is_none_or(|f| f == name))
            .map(|r| (r, &r.stacks[k]))
            .collect();
        rows.sort_by(|(_, x), (_, y)| {
            y.affected
                .cmp(&x.affected)
                .then(y.saving_usd.mean.total_cmp(&x.saving_usd.mean))
        });
        rows
    }
}
