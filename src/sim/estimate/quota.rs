//! The closed form of rate-limit quotas in the expected month: for each model of a stack with a
//! `requests_per_minute`, the probability that some minute of the first month holds more calls
//! than the quota and the expected share of its calls beyond it (a call's first try), from
//! each minute's distribution (`model::within_day`) at the parameters' means.

use super::report::{QuotaEstimate, WorkflowEstimate};
use crate::model::traffic::Approximations;
use crate::model::types::day_weights;
use crate::model::within_day::{self, HOURS, MINUTES_PER_HOUR};
use crate::model::{Arrivals, Scenario, Stack};

/// The quota'd models of `stack`, given its workflows' estimates.
pub(super) fn quotas(
    s: &Scenario,
    stack: &Stack,
    workflows: &[WorkflowEstimate],
    approx: &mut Approximations,
) -> Vec<QuotaEstimate> {
    let mut out = Vec::new();
    for m in stack.models() {
        let model = &s.models[m];
        let Some(q) = model.quota else { continue };
        if q.tokens_per_minute.is_some() {
            approx.note(format!(
                "`tokens_per_minute` of `{}` is not in the closed form (simulate for it)",
                model.name
            ));
        }
        let Some(rpm) = q.requests_per_minute else {
            continue;
        };
        approx.note(
            "rate-limit quotas: the expected month leaves out the retries, failures and calls sent on that they cause; their figures are a call's first try, minutes independent (simulate for their effect)"
                .to_string(),
        );
        // Per segment, the month's calls to the model.
        let calls: Vec<f64> = s
            .segments
            .iter()
            .map(|seg| {
                workflows
                    .iter()
                    .map(|w| {
                        let per_request: f64 = w
                            .steps
                            .iter()
                            .flat_map(|st| &st.links)
                            .filter(|l| l.model == model.name)
                            .map(|l| l.calls_per_request)
                            .sum();
                        let requests: f64 = w
                            .traffic
                            .iter()
                            .filter(|t| t.segment == seg.name)
                            .map(|t| t.requests)
                            .sum();
                        requests * per_request
                    })
                    .sum()
            })
            .collect();
        let fixed = s.simulation.arrivals == Arrivals::Fixed;
        let (mut log_none, mut throttled, mut total) = (0.0, 0.0, 0.0);
        let q = rpm.floor();
        for d in 0..s.simulation.days as usize {
            for h in 0..HOURS {
                // The minute's mean and variance, summed over segments.
                let (mut mean, mut var) = (0.0, 0.0);
                for (seg, &c) in s.segments.iter().zip(&calls) {
                    let w = day_weights(
                        s.simulation.days,
                        s.simulation.first_weekday,
                        seg.weekend_factor.mean(),
                    );
                    let day = c * w[d] / w.iter().sum::<f64>();
                    let n = seg.within_day.minute_requests(day, h);
                    mean += n.mean;
                    var += n.variance;
                }
                total += MINUTES_PER_HOUR * mean;
                if fixed {
                    if mean - q > 1e-9 {
                        log_none = f64::NEG_INFINITY;
                        throttled += MINUTES_PER_HOUR * (mean - q);
                    }
                    continue;
                }
                // Poisson where no segment is bursty; else a negative binomial of the same
                // variance.
                let b = if mean > 0.0 {
                    ((var - mean).max(0.0)).sqrt() / mean
                } else {
                    0.0
                };
                log_none += MINUTES_PER_HOUR * within_day::minute_count_cdf(mean, b, q).ln();
                throttled += MINUTES_PER_HOUR * within_day::minute_overflow(mean, b, q);
            }
        }
        out.push(QuotaEstimate {
            model: model.name.clone(),
            requests_per_minute: rpm,
            peak_probability: 1.0 - log_none.exp(),
            throttled_calls: throttled,
            throttled_share: if total > 0.0 { throttled / total } else { 0.0 },
        });
    }
    out
}
