//! What a run says about rate-limit quotas, per stack: how likely a month is to have a minute
//! whose demand exceeds a model's quota, the share of requests throttled, and what became of
//! them by the stack's choice (retried, failed, sent to the next link and what that cost).

use serde::Serialize;

use crate::base::stats::estimate::Estimate;
use crate::model::Scenario;
use crate::model::quota::OnThrottle;
use crate::sim::engine::StackSim;

/// The quotas of one stack.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct QuotaReport {
    /// The models of the stack that carry a quota.
    pub models: Vec<String>,
    /// `retry` or `next`: what the stack's client does with a throttled call.
    pub on_throttle: &'static str,
    /// P(some minute of the month exceeds a quota): the share of simulated months with a
    /// throttled call, with its binomial standard error.
    pub probability_minute_over_quota: f64,
    pub probability_minute_over_quota_standard_error: f64,
    /// Share of requests with at least one throttled call.
    pub throttled_share: f64,
    /// Throttled calls a month (every throttled try).
    pub throttled_calls_per_month: f64,
    /// Requests a month whose throttled call was retried.
    pub retried_requests_per_month: f64,
    /// Requests a month that failed because a call stayed throttled.
    pub failed_requests_per_month: f64,
    /// Requests a month with a call sent to the next link of the chain.
    pub sent_on_requests_per_month: f64,
    /// What the calls sent on were billed, a month.
    pub sent_on_cost_usd: f64,
    /// Mean retry delay added to a retried request's latency, in seconds; `None` when none
    /// was retried.
    pub mean_retry_delay_s: Option<f64>,
}

impl QuotaReport {
    /// The report of stack `st`; `None` when none of its models carries a quota.
    pub fn of(s: &Scenario, st: &StackSim) -> Option<QuotaReport> {
        let stack = s.stacks.iter().find(|x| x.name == st.name)?;
        let models: Vec<String> = stack
            .models()
            .into_iter()
            .filter(|&m| s.models[m].quota.is_some())
            .map(|m| s.models[m].name.clone())
            .collect();
        let q = &st.quota;
        if models.is_empty() || q.months == 0 {
            return None;
        }
        let months = q.months as f64;
        let p = Estimate::proportion(q.months_throttled as usize, q.months as usize);
        Some(QuotaReport {
            models,
            on_throttle: match stack.on_throttle {
                OnThrottle::Retry { .. } => "retry",
                OnThrottle::Next => "next",
            },
            probability_minute_over_quota: p.value,
            probability_minute_over_quota_standard_error: p.standard_error,
            throttled_share: if q.requests > 0 {
                q.sum.throttled_requests as f64 / q.requests as f64
            } else {
                0.0
            },
            throttled_calls_per_month: q.sum.throttled_calls as f64 / months,
            retried_requests_per_month: q.sum.retried as f64 / months,
            failed_requests_per_month: q.sum.failed as f64 / months,
            sent_on_requests_per_month: q.sum.sent_on as f64 / months,
            sent_on_cost_usd: q.sum.sent_on_usd / months,
            mean_retry_delay_s: (q.sum.retried > 0).then(|| q.sum.delay_s / q.sum.retried as f64),
        })
    }
}
