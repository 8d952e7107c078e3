//! What one simulated trial produces, month by month and stack by stack: the totals both engines
//! fill in and [`SimResult`](super::SimResult) folds, in trial order.

use serde::Serialize;

use crate::billing::classes::{CostBreakdown, Tokens};
use crate::billing::invoice::ContractMonth;

/// Calls and fees of one external tool over a month.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct ToolUse {
    pub calls: f64,
    pub usd: f64,
}

/// One stack's totals for one simulated month.
#[derive(Clone, Debug, Default)]
pub struct StackTrial {
    pub spend: f64,
    pub requests: u64,
    pub accepted: u64,
    /// Requests refused because the hard cap was reached.
    pub rejected: u64,
    /// What those requests would have been billed at the month's prices when they were
    /// refused: the demand the cap turned away.
    pub rejected_usd: f64,
    pub calls: u64,
    /// Spend on calls after the first call of each step (retries and escalations).
    pub retry_spend: f64,
    /// Requests that moved to a later model of a chain at least once.
    pub escalated: u64,
    /// Calls that failed at the provider.
    pub errored_calls: u64,
    /// Requests answered by the semantic cache.
    pub semantic_hits: u64,
    /// Requests a model refused because their input exceeds its window.
    pub window_refused: u64,
    pub tokens: Tokens,
    pub cost_by_class: CostBreakdown,
    /// Per tool of [`Scenario::tools`](crate::model::Scenario::tools).
    pub tools: Vec<ToolUse>,
    /// Calls sent at the flex tier, and those refused and re-sent at standard.
    pub flex_calls: u64,
    pub flex_refused: u64,
    pub workflow_spend: Vec<f64>,
    pub workflow_requests: Vec<u64>,
    pub workflow_accepted: Vec<u64>,
    /// Served (not rejected) but not accepted.
    pub workflow_failed: Vec<u64>,
    pub model_spend: Vec<f64>,
    /// Spend per day of the month.
    pub daily: Vec<f64>,
    /// Monthly cost of sampled users, per segment.
    pub user_costs: Vec<Vec<f64>>,
    /// Day (1-based) of the first request refused by the hard cap.
    pub cap_hit_day: Option<u32>,
    pub contracts: Vec<ContractMonth>,
    /// Spend on the repetitions caused by incidents.
    pub incident_extra: f64,
    /// Human review cost of the month (not part of `spend`).
    pub review_usd: f64,
    /// Sampled request latencies (ms) per workflow; empty when latency is not modelled.
    pub latency_ms: Vec<Vec<f64>>,
    /// What the budget policies did (empty without policies).
    pub policy: super::policy::PolicyMonth,
    /// Per provisioned model the stack calls, the month's minutes against its capacity, as
    /// the engine simulated them (settled into `capacity` after the month).
    pub capacity_demand: Vec<crate::billing::provisioned::Demand>,
    /// Per provisioned model the stack calls, the month's bill of its capacity.
    pub capacity: Vec<crate::billing::provisioned::CapacityMonth>,
    /// What the rate-limit quotas did (empty without quotas).
    pub quota: super::quota::QuotaMonth,
}

impl StackTrial {
    /// The stack's month with what the quotas did in it (nothing where `quota` is `None`).
    pub fn with_quota(self, quota: Option<super::quota::QuotaMonth>) -> Self {
        StackTrial {
            quota: quota.unwrap_or_default(),
            ..self
        }
    }
}

/// Everything one month of a trial produces.
#[derive(Clone, Debug)]
pub struct MonthOutcome {
    pub users: Vec<u64>,
    pub incidents: Vec<bool>,
    pub stacks: Vec<StackTrial>,
}

/// Everything one trial produces: one outcome per month of the horizon.
#[derive(Clone, Debug)]
pub struct TrialOutcome {
    pub months: Vec<MonthOutcome>,
}

impl MonthOutcome {
    /// Month `run(true)` with its policies and, when the scenario has any, the same month
    /// `run(false)` without them (the same draws: common random numbers), whose spend and hard-cap
    /// refusals join the first's record.
    pub fn with_and_without(
        s: &crate::model::Scenario,
        run: impl Fn(bool) -> MonthOutcome,
    ) -> MonthOutcome {
        let mut out = run(true);
        if !s.policies.is_empty() {
            for (st, w) in out.stacks.iter_mut().zip(run(false).stacks) {
                st.policy.spend_without = Some(w.spend);
                st.policy.cap_refused_without = w.rejected;
                st.policy.cap_day_without = w.cap_hit_day;
            }
        }
        out
    }
}
