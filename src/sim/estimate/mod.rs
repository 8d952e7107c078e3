//! `aicost estimate`: the spreadsheet view — expected values only, with the arithmetic shown.
//!
//! A forecast nobody can check is not trusted, so this module computes the expected month by
//! hand-checkable arithmetic: traffic (users × sessions × requests), then for every step and chain
//! link the expected calls and, per billing class, `quantity × price = dollars`, then the month's
//! invoice in the order providers apply it: volume tiers on list price, then the contract
//! discount, then any unused commitment, then the hard cap. It uses exact closed forms where they
//! exist (the mean of a capped lognormal, the expected attempts of a retry chain with provider
//! errors, the probability and partial mean above a long-context threshold, a random number of
//! retrieved chunks of random size as the mixture it is when either takes finitely many values),
//! so on a deterministic scenario it equals the simulated mean to the cent. Where an expectation is only
//! approximated (an uncertain rate that enters a chain non-linearly, contract and cap billing of
//! an uncertain month, several random prompt parts near a long-context threshold), it says so.
//!
//! The module's parts: `report` (what it reports), `traffic` (day shares, incidents), `call`
//! (one call's expected arithmetic through `billing::call`), `step` (a step's chain and agent
//! loop), `request` (a workflow's request on a stack) and `invoice` (the month).

mod call;
mod capacity;
mod invoice;
mod provisioned;
pub mod quota;
mod report;
mod request;
mod step;
mod traffic;

pub use call::{Valuation, at_mean};
pub use report::{
    CapacityEstimate, ContractInvoice, CostLine, Estimate, Invoice, LinkEstimate, StackEstimate,
    StepEstimate, WorkflowEstimate,
};
pub use request::{RequestExpectation, request_expectation};

use crate::billing::classes::CostBreakdown;
use crate::model::Scenario;
use crate::model::traffic::{Approximations, TrafficLine, traffic};
use invoice::invoice;
use request::workflow_estimate;
use traffic::incident_factor;

/// Compute the expected month of every stack.
pub fn estimate(s: &Scenario) -> Estimate {
    let mut approx = Approximations::default();
    if !s.policies.is_empty() {
        // A policy acts on the month's running spend, request by request: no closed form.
        approx.note(
            "budget policies are not modelled: figures are the month without them (simulate for their effect)"
                .to_string(),
        );
    }
    if s.models.iter().any(|m| m.provisioned.is_some()) {
        approx.note(
            "provisioned capacity: the expected minutes against each capacity, minutes independent, every call of a model bringing its mean tokens, at list prices (simulate for volume tiers, contracts and the hard cap on it)"
                .to_string(),
        );
    }
    let traffic: Vec<Vec<TrafficLine>> = s
        .workflows
        .iter()
        .map(|w| traffic(s, w, &mut approx))
        .collect();
    let incident_factors: Vec<f64> = (0..s.workflows.len())
        .map(|w| incident_factor(s, w, &mut approx))
        .collect();
    let months = s.simulation.months;
    let month_scale = month_scales(s, &traffic, &mut approx);
    let stacks = s
        .stacks
        .iter()
        .enumerate()
        .map(|(stack_index, stack)| {
            let mut per_workflow: Vec<RequestExpectation> = Vec::new();
            let workflows: Vec<WorkflowEstimate> = s
                .workflows
                .iter()
                .enumerate()
                .map(|(wi, w)| {
                    let (est, per) = workflow_estimate(
                        s,
                        stack,
                        w,
                        &traffic[wi],
                        incident_factors[wi],
                        &at_mean,
                        &mut approx,
                    );
                    per_workflow.push(per);
                    est
                })
                .collect();
            let month_totals: Vec<(Invoice, [f64; CostBreakdown::LEN], f64)> = (0..months as usize)
                .map(|m| {
                    let scale: Vec<f64> = workflows
                        .iter()
                        .zip(&month_scale)
                        .map(|(w, ms)| w.requests_per_month * ms[m])
                        .collect();
                    let mut month = invoice(s, stack_index, &per_workflow, &scale, &mut approx);
                    capacity::add_fees(s, stack_index, m as u32, &mut month.0, &mut month.1);
                    provisioned::settle(s, stack, (&workflows, &scale), &mut month.0, &mut month.1);
                    month
                })
                .collect();
            let (invoice0, by_class, _) = month_totals[0].clone();
            let months_usd: Vec<f64> = month_totals.iter().map(|(i, _, _)| i.total_usd).collect();
            let horizon: f64 = months_usd.iter().sum();
            // Requests, accepted tasks and review of each month of the horizon; the unit figures
            // are those of the average month, as `simulate` pools every month of a horizon.
            let month_requests =
                |m: usize, w: usize| workflows[w].requests_per_month * month_scale[w][m];
            let per_month: Vec<(f64, f64, f64)> = (0..months as usize)
                .map(|m| {
                    // A month past the hard cap serves the share of its demand that fits; the
                    // refused requests are neither accepted nor reviewed.
                    let inv = &month_totals[m].0;
                    let billed = inv.total_usd - inv.fixed_fees_usd();
                    let demand = billed - inv.capped_usd;
                    let served = if demand > 0.0 { billed / demand } else { 1.0 };
                    let mut requests = 0.0;
                    let mut accepted = 0.0;
                    let mut review = 0.0;
                    for (w, (wf, per)) in s.workflows.iter().zip(&per_workflow).enumerate() {
                        let n = month_requests(m, w);
                        requests += n;
                        accepted += n * workflows[w].acceptance_rate;
                        if let Some(r) = &wf.review {
                            review += n
                                * (per.accepted * r.share.mean() * r.minutes.mean()
                                    + (1.0 - per.accepted) * r.failed_review_minutes.mean())
                                / 60.0
                                * r.hourly_usd.mean();
                        }
                    }
                    (requests, accepted * served, review * served)
                })
                .collect();
            let total = |f: fn(&(f64, f64, f64)) -> f64| per_month.iter().map(f).sum::<f64>();
            let (requests, accepted, review_total) =
                (total(|x| x.0), total(|x| x.1), total(|x| x.2));
            let m = f64::from(months.max(1));
            let reviewed = s.workflows.iter().any(|w| w.review.is_some());
            let review = reviewed.then_some(review_total / m);
            let quotas = quota::quotas(s, stack, &workflows, &mut approx);
            StackEstimate {
                name: stack.name.clone(),
                quotas,
                workflows,
                monthly_usd: horizon / f64::from(months.max(1)),
                months_usd,
                horizon_total_usd: horizon,
                requests_per_month: requests / m,
                accepted_per_month: accepted / m,
                cost_per_request_usd: (requests > 0.0).then(|| horizon / requests),
                cost_per_accepted_task_usd: (accepted > 0.0).then(|| horizon / accepted),
                cost_per_useful_output_usd: reviewed
                    .then(|| (accepted > 0.0).then(|| (horizon + review_total) / accepted))
                    .flatten(),
                review_usd: review,
                months_review_usd: if reviewed {
                    per_month.iter().map(|x| x.2).collect()
                } else {
                    Vec::new()
                },
                invoice: invoice0,
                month_invoices: month_totals.into_iter().map(|(i, _, _)| i).collect(),
                by_class_usd: CostBreakdown::from_array(by_class),
            }
        })
        .collect();
    Estimate {
        scenario: s.name.clone(),
        days: s.simulation.days,
        months,
        budget_usd: s.budget.as_ref().map(|b| b.monthly_usd),
        approximations: approx.0,
        stacks,
    }
}

/// Requests of each workflow in each month of the horizon, relative to the first month.
fn month_scales(
    s: &Scenario,
    traffic: &[Vec<TrafficLine>],
    approx: &mut Approximations,
) -> Vec<Vec<f64>> {
    let months = s.simulation.months;
    s
        .workflows
        .iter()
        .zip(traffic)
        .map(|(w, lines)| {
            (0..months)
                .map(|m| {
                    let base: f64 = lines.iter().map(|l| l.requests).sum();
                    let grown: f64 = w
                        .segments
                        .iter()
                        .zip(lines)
                        .map(|(&seg, l)| {
                            let g = &s.segments[seg].monthly_growth;
                            if !g.is_fixed() && m > 0 {
                                approx.note(format!(
                                    "segment `{}`: uncertain growth compounds non-linearly; its mean is used",
                                    s.segments[seg].name
                                ));
                            }
                            l.requests * (1.0 + g.mean()).powi(m as i32)
                        })
                        .sum();
                    let season = s.simulation.seasonality.get(m as usize % 12).copied().unwrap_or(1.0);
                    if base > 0.0 { grown / base * season } else { 0.0 }
                })
                .collect()
        })
        .collect()
}
