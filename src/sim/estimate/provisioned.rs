//! Provisioned capacity in the expected month: for each provisioned model of a stack, the
//! expected tokens of each minute above its capacity (`model::provisioned::expected_overflow`,
//! from each minute's request count in `model::within_day`), and the month settled as the exact
//! engine settles it: the fee added, the pay-as-you-go dollars of what the capacity served
//! credited back, what spills over billed at pay-as-you-go.
//!
//! Approximations (listed in the estimate's notes): minutes are independent; every request
//! brings the mean tokens of the model's requests; the prices are list prices (volume tiers and
//! contracts on the capacity's model are left out of the settlement), and the hard cap does not
//! act on it.

use super::report::{CapacityEstimate, Invoice, WorkflowEstimate};
use crate::billing::classes::{CostBreakdown, CostClass};
use crate::model::provisioned::{MinuteCount, expected_overflow};
use crate::model::types::day_weights;
use crate::model::within_day::{HOURS, MINUTES_PER_HOUR};
use crate::model::{Arrivals, Scenario, Stack};

/// Settle stack `stack`'s provisioned models in a month whose workflows' requests are
/// `requests` (per workflow, in the order of `workflows`): the fee and the credit go to the
/// invoice and the billing classes, each model's figures to `inv.provisioned`.
pub(super) fn settle(
    s: &Scenario,
    stack: &Stack,
    (workflows, requests): (&[WorkflowEstimate], &[f64]),
    inv: &mut Invoice,
    classes: &mut [f64; CostBreakdown::LEN],
) {
    for m in stack.models() {
        let model = &s.models[m];
        let Some(offer) = &model.provisioned else {
            continue;
        };
        let c = month(s, m, workflows, requests);
        let c = CapacityEstimate {
            fee_usd: offer.month_usd(s.simulation.days),
            capacity_tokens: offer.capacity_per_minute()
                * (MINUTES_PER_HOUR * HOURS as f64)
                * f64::from(s.simulation.days),
            ..c
        };
        inv.provisioned_usd += c.fee_usd;
        inv.provisioned_served_usd -= c.served_usd;
        inv.total_usd += c.fee_usd - c.served_usd;
        classes[CostClass::Provisioned.index()] += c.fee_usd;
        classes[CostClass::ProvisionedServed.index()] -= c.served_usd;
        inv.provisioned.push(c);
    }
}

/// Model `m`'s month: its requests per segment, their tokens and dollars, the minutes'
/// expected overflow above its capacity.
fn month(
    s: &Scenario,
    m: usize,
    workflows: &[WorkflowEstimate],
    requests: &[f64],
) -> CapacityEstimate {
    let model = &s.models[m];
    let capacity = model
        .provisioned
        .as_ref()
        .map_or(f64::INFINITY, |p| p.capacity_per_minute());
    // Per workflow, the tokens and dollars a request brings to the model.
    let per_request: Vec<(f64, f64)> = workflows
        .iter()
        .map(|w| {
            let links = w.steps.iter().flat_map(|st| &st.links);
            links
                .filter(|l| l.model == model.name)
                .map(|l| {
                    let lines = l.lines.iter().filter(|x| x.class != CostClass::ToolFees);
                    let (t, u) = lines.fold((0.0, 0.0), |(t, u), x| (t + x.tokens, u + x.usd));
                    (l.calls_per_request * t, l.calls_per_request * u)
                })
                .fold((0.0, 0.0), |(t, u), (a, b)| (t + a, u + b))
        })
        .collect();
    // Per segment, the month's requests that reach the model.
    let mut tokens = 0.0;
    let mut usd = 0.0;
    let seg_requests: Vec<f64> = s
        .segments
        .iter()
        .map(|seg| {
            let mut n = 0.0;
            for ((w, &(t, u)), &month_requests) in workflows.iter().zip(&per_request).zip(requests)
            {
                if t <= 0.0 || w.requests_per_month <= 0.0 {
                    continue;
                }
                let share: f64 = w
                    .traffic
                    .iter()
                    .filter(|x| x.segment == seg.name)
                    .map(|x| x.requests)
                    .sum::<f64>()
                    / w.requests_per_month;
                let r = month_requests * share;
                n += r;
                tokens += r * t;
                usd += r * u;
            }
            n
        })
        .collect();
    let all: f64 = seg_requests.iter().sum();
    let mut out = CapacityEstimate {
        model: m,
        tokens,
        ..CapacityEstimate::default()
    };
    if all <= 0.0 || tokens <= 0.0 {
        return out;
    }
    let mu = tokens / all;
    let fixed = s.simulation.arrivals == Arrivals::Fixed;
    let days = s.simulation.days as usize;
    let weights: Vec<Vec<f64>> = s
        .segments
        .iter()
        .map(|seg| {
            let w = day_weights(
                s.simulation.days,
                s.simulation.first_weekday,
                seg.weekend_factor.mean(),
            );
            let total: f64 = w.iter().sum();
            w.iter().map(|x| x / total).collect()
        })
        .collect();
    let mut spilled = 0.0;
    for d in 0..days {
        for h in 0..HOURS {
            // The minute's request count, summed over segments.
            let (mut mean, mut var) = (0.0, 0.0);
            for ((seg, &n), w) in s.segments.iter().zip(&seg_requests).zip(&weights) {
                let x = seg.within_day.minute_requests(n * w[d], h);
                mean += x.mean;
                var += x.variance;
            }
            let count = if fixed {
                MinuteCount::Fixed(mean)
            } else {
                MinuteCount::Random {
                    mean,
                    variance: var,
                }
            };
            spilled += MINUTES_PER_HOUR * expected_overflow(count, mu, 0.0, capacity);
        }
    }
    out.spilled_tokens = spilled.min(tokens);
    out.spilled_usd = usd * out.spilled_tokens / tokens;
    out.served_usd = usd - out.spilled_usd;
    out
}
