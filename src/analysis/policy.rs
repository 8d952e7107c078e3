//! What a run says about its budget policies, per stack: how often each policy fires and on which
//! day, who was served degraded (per segment, so that "paying customers were never degraded" is
//! a number), acceptance under degradation, spend and breach probability against the same months
//! without the policies (common random numbers), and the refusals that remain.

use serde::Serialize;

use crate::base::stats;
use crate::base::stats::estimate::Estimate;
use crate::base::stats::paired::{Delta, ProbabilityChange, exceedance_change};
use crate::model::Scenario;
use crate::sim::engine::StackSim;
use crate::sim::engine::policy::PolicyMonth;

/// Mean and 95th percentile of a monthly count.
#[derive(Clone, Copy, Debug, Serialize, PartialEq)]
pub struct MeanP95 {
    pub mean: f64,
    pub p95: f64,
}

/// One policy over the run.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct PolicyFiring {
    pub name: String,
    /// The key of its action (`route`, `pause`, …).
    pub action: &'static str,
    pub threshold_usd: f64,
    /// Share of months in which it fired, with its binomial standard error.
    pub probability_fired: f64,
    pub probability_fired_standard_error: f64,
    /// Median day (1-based) it fired, among the months where it did.
    pub median_day_fired: Option<f64>,
    /// Latency of the requests it covers: served before it fired and while it acted.
    pub latency: DegradedLatency,
}

/// Percentiles of sampled request latencies (ms).
#[derive(Clone, Copy, Debug, Serialize, PartialEq)]
pub struct LatencyPercentiles {
    pub p50_ms: f64,
    pub p95_ms: f64,
    /// Requests sampled for these percentiles.
    pub samples: usize,
}

impl LatencyPercentiles {
    /// Percentiles of `values`; `None` when there are none.
    pub fn of(values: &[f64]) -> Option<LatencyPercentiles> {
        if values.is_empty() {
            return None;
        }
        let sorted = stats::sorted(values);
        Some(LatencyPercentiles {
            p50_ms: stats::quantile_sorted(&sorted, 0.5),
            p95_ms: stats::quantile_sorted(&sorted, 0.95),
            samples: sorted.len(),
        })
    }
}

/// Latency of requests served degraded and not; each `None` when no such request was served
/// with a latency model (a model without one, the batch path, a cache hit).
#[derive(Clone, Copy, Debug, Serialize, PartialEq)]
pub struct DegradedLatency {
    pub not_degraded: Option<LatencyPercentiles>,
    pub degraded: Option<LatencyPercentiles>,
}

impl DegradedLatency {
    fn of(months: &[PolicyMonth], pick: impl Fn(&PolicyMonth) -> &[Vec<f64>; 2]) -> Self {
        let all = |k: usize| -> Vec<f64> {
            months
                .iter()
                .flat_map(|m| pick(m)[k].iter().copied())
                .collect()
        };
        DegradedLatency {
            not_degraded: LatencyPercentiles::of(&all(0)),
            degraded: LatencyPercentiles::of(&all(1)),
        }
    }

    /// Whether either side has a latency.
    pub fn is_known(&self) -> bool {
        self.not_degraded.is_some() || self.degraded.is_some()
    }
}

/// What the policies did to one segment's requests, as shares of all its requests.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct SegmentDegradation {
    pub name: String,
    pub requests_per_month: f64,
    /// Served while a policy acted on them (another route, fewer tokens, batch, cache).
    pub degraded_share: f64,
    /// Not made: a policy paused their workflow.
    pub paused_share: f64,
    /// Refused by a policy.
    pub refused_share: f64,
    /// Refused by the hard cap.
    pub hard_cap_refused_share: f64,
}

/// The policies of one stack.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct PoliciesReport {
    pub policies: Vec<PolicyFiring>,
    pub segments: Vec<SegmentDegradation>,
    /// Share of degraded requests whose answer was accepted; `None` when none was degraded.
    pub degraded_acceptance_rate: Option<f64>,
    /// Latency of the requests served degraded and of those served as usual, from the first
    /// requests of each kind in each month (up to the run's latency sample per month).
    pub latency: DegradedLatency,
    /// Mean monthly spend with the policies and on the same months without them.
    pub monthly_spend_usd: f64,
    pub monthly_spend_without_policies_usd: f64,
    /// Spend with minus spend without, month by month: its mean, standard error, p5 and p95.
    pub spend_change_usd: Delta,
    /// P(monthly spend > budget) with and without the policies, and the paired change; `None`
    /// without a budget.
    pub breach_probability: Option<ProbabilityChange>,
    /// Requests refused each month, by the policies and the hard cap together: mean and p95.
    pub refused_requests: MeanP95,
    /// Requests the hard cap refuses on the same months without the policies: mean and p95.
    pub refused_requests_without_policies: MeanP95,
    /// Share of months in which the hard cap refuses requests, with the policies and without.
    pub hard_cap_probability: f64,
    pub hard_cap_probability_without_policies: f64,
    /// Requests paused each month: mean and p95.
    pub paused_requests: MeanP95,
}

impl PoliciesReport {
    /// The report of stack `st`'s policies; `None` when the scenario has none.
    pub fn of(s: &Scenario, st: &StackSim) -> Option<PoliciesReport> {
        if s.policies.is_empty() || st.policy.is_empty() {
            return None;
        }
        let months = &st.policy;
        let n = months.len();
        let policies = s
            .policies
            .iter()
            .enumerate()
            .map(|(i, p)| {
                let days: Vec<u32> = months.iter().filter_map(|m| m.fired_day[i]).collect();
                let fired = Estimate::proportion(days.len(), n);
                PolicyFiring {
                    name: p.name.clone(),
                    action: p.action.key(),
                    threshold_usd: p.threshold_usd,
                    probability_fired: fired.value,
                    probability_fired_standard_error: fired.standard_error,
                    median_day_fired: stats::median_u32(&days),
                    latency: DegradedLatency::of(months, |m| &m.policy_latency_ms[i]),
                }
            })
            .collect();
        let total = |f: &dyn Fn(&PolicyMonth) -> u64| months.iter().map(f).sum::<u64>() as f64;
        let segments = s
            .segments
            .iter()
            .enumerate()
            .map(|(i, seg)| {
                let requests = total(&|m| m.requests[i]);
                let share = |x: f64| if requests > 0.0 { x / requests } else { 0.0 };
                SegmentDegradation {
                    name: seg.name.clone(),
                    requests_per_month: requests / n as f64,
                    degraded_share: share(total(&|m| m.degraded[i])),
                    paused_share: share(total(&|m| m.paused[i])),
                    refused_share: share(total(&|m| m.refused[i])),
                    hard_cap_refused_share: share(total(&|m| m.cap_refused[i])),
                }
            })
            .collect();
        let degraded = total(&|m| m.degraded.iter().sum());
        let with: Vec<f64> = st.spend.iter().take(n).copied().collect();
        let without: Vec<f64> = months
            .iter()
            .zip(&with)
            .map(|(m, w)| m.spend_without.unwrap_or(*w))
            .collect();
        let per_month = |f: &dyn Fn(&PolicyMonth) -> u64| -> Vec<f64> {
            months.iter().map(|m| f(m) as f64).collect()
        };
        let refused =
            per_month(&|m| m.refused.iter().sum::<u64>() + m.cap_refused.iter().sum::<u64>());
        let paused = per_month(&|m| m.paused.iter().sum());
        let refused_without = per_month(&|m| m.cap_refused_without);
        let capped = |f: &dyn Fn(&PolicyMonth) -> bool| {
            months.iter().filter(|m| f(m)).count() as f64 / n as f64
        };
        Some(PoliciesReport {
            policies,
            segments,
            degraded_acceptance_rate: (degraded > 0.0)
                .then(|| total(&|m| m.degraded_accepted) / degraded),
            latency: DegradedLatency::of(months, |m| &m.latency_ms),
            monthly_spend_usd: stats::mean(&with),
            monthly_spend_without_policies_usd: stats::mean(&without),
            spend_change_usd: Delta::of(&without, &with),
            breach_probability: s
                .budget
                .as_ref()
                .map(|b| exceedance_change(&without, &with, b.monthly_usd)),
            refused_requests: mean_p95(&refused),
            paused_requests: mean_p95(&paused),
            refused_requests_without_policies: mean_p95(&refused_without),
            hard_cap_probability: capped(&|m| m.cap_refused.iter().any(|x| *x > 0)),
            hard_cap_probability_without_policies: capped(&|m| m.cap_day_without.is_some()),
        })
    }
}

fn mean_p95(values: &[f64]) -> MeanP95 {
    let sm = stats::Summary::of(values);
    MeanP95 {
        mean: sm.mean,
        p95: sm.p95,
    }
}
