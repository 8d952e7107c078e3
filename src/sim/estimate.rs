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

use serde::Serialize;

use crate::billing::classes::{CostBreakdown, CostClass, Meter};
use crate::billing::invoice::{ContractDraw, tier_discount};
use crate::billing::prices::{ModelDraw, PriceDraw};
use crate::model::dist::Dist;
use crate::model::prompt::{
    Role, count_above, long_context_probability, prompt_above, prompt_parts, window_exceeded_share,
};
use crate::model::traffic::{Approximations, TrafficLine, traffic};
use crate::model::{
    CacheTtl, ErrorBilling, Link, Param, RequestPath, Scenario, ServiceTier, SessionRate, Step,
    Workflow, day_weights,
};

/// One line of a call's arithmetic: `quantity × unit price = dollars`.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct CostLine {
    /// What is billed: "input", "cached input", "cache write 1h", "image", a tool's name, …
    pub label: String,
    /// The [`CostBreakdown`] class the dollars count toward.
    pub class: CostClass,
    /// Expected quantity per call.
    pub quantity: f64,
    /// "tokens", "images" or "tool calls".
    pub unit: &'static str,
    /// Effective unit price (blended across long-context and flex tiers): USD per million
    /// tokens, per image or per tool call.
    pub unit_price_usd: f64,
    /// Expected dollars per call, after any batch discount.
    pub usd: f64,
    /// Tokens per call behind this line (counted by volume tiers).
    pub tokens: f64,
    /// What the line meters: its class, token kind and label follow from it.
    #[serde(skip)]
    pub meter: Meter,
}

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct LinkEstimate {
    pub model: String,
    /// Probability that a call of the step reaches this model at all.
    pub reach_probability: f64,
    /// Expected calls to this model per request reaching the step (retries, errors and agent
    /// loop iterations included).
    pub calls_per_request: f64,
    /// Share of those calls that fail at the provider.
    pub error_share: f64,
    /// The arithmetic of one call, averaged over attempts (errored ones included).
    pub lines: Vec<CostLine>,
    /// Share of calls priced at long-context rates.
    pub long_context_share: f64,
    /// The model's input window, if it has one.
    pub max_input_tokens: Option<f64>,
    /// Share of the step's prompts (at the largest call of an agent loop) longer than that
    /// window: the provider refuses them.
    pub window_exceeded_share: f64,
    /// `1 − batch_discount` on the batch path, else 1.
    pub batch_factor: f64,
    pub cost_per_call_usd: f64,
    pub cost_per_request_usd: f64,
}

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct StepEstimate {
    pub name: String,
    pub route: String,
    /// Probability that a request gets to this step (earlier steps accepted).
    pub reach_probability: f64,
    /// Expected calls of the step per request (agent loops), before retries.
    pub calls_per_request: f64,
    pub acceptance_probability: f64,
    /// Probability that a request reaching the step is refused because a call's input exceeds a
    /// model's window (one refused call, not billed; the request fails).
    pub window_refused: f64,
    /// Expected first calls of the step's calls that are billed (the rest are retries or
    /// escalations), per request reaching it.
    #[serde(skip)]
    pub first_calls: f64,
    /// Fees outside the model per request reaching the step.
    pub aux_usd: f64,
    pub links: Vec<LinkEstimate>,
    pub cost_per_request_usd: f64,
}

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct WorkflowEstimate {
    pub name: String,
    pub traffic: Vec<TrafficLine>,
    pub requests_per_month: f64,
    pub semantic_cache_hit_rate: f64,
    pub semantic_cache_usd_per_lookup: f64,
    /// Expected runs per request (above 1 while incidents repeat requests).
    pub incident_factor: f64,
    pub steps: Vec<StepEstimate>,
    pub cost_per_request_usd: f64,
    pub acceptance_rate: f64,
    /// Spend of the month at list price (before volume tiers and contracts).
    pub monthly_usd: f64,
}

/// The month's invoice, in the order it is computed.
#[derive(Clone, Debug, Default, Serialize, PartialEq)]
pub struct Invoice {
    /// Every request at list price (batch discounts included), plus fees.
    pub list_usd: f64,
    /// Graduated volume tiers on list price (negative).
    pub volume_discount_usd: f64,
    /// Contract discounts on the tier-discounted usage (negative).
    pub contract_discount_usd: f64,
    /// Commitments paid for but not used.
    pub unused_commitment_usd: f64,
    /// What the hard cap refuses (negative).
    pub capped_usd: f64,
    pub total_usd: f64,
    /// Requests of each workflow in the month.
    #[serde(skip)]
    pub requests: Vec<f64>,
    /// Per model, the share of its list-price spend that volume tiers take off.
    #[serde(skip)]
    pub volume_discount_share: Vec<f64>,
    /// Each contract of the stack's plan, in scenario order.
    #[serde(skip)]
    pub contracts: Vec<ContractInvoice>,
}

/// One committed-use contract's month on the invoice.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ContractInvoice {
    /// Index into [`Scenario::contracts`].
    pub contract: usize,
    pub committed_usd: f64,
    pub discount: f64,
    /// Usage of the provider's models at list price less volume tiers.
    pub usage_usd: f64,
    /// The part of that usage billed at the contract discount.
    pub covered_usd: f64,
    /// Usage billed: the covered part at the discount, the rest as it is.
    pub accrued_usd: f64,
    /// max(commitment, accrued).
    pub billed_usd: f64,
    /// The commitment paid for but not used.
    pub unused_usd: f64,
}

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct StackEstimate {
    pub name: String,
    pub workflows: Vec<WorkflowEstimate>,
    /// The first month's invoice.
    pub invoice: Invoice,
    /// Every month's invoice, in the order of the horizon (the first is `invoice`).
    #[serde(skip)]
    pub month_invoices: Vec<Invoice>,
    /// Expected spend of an average month of the horizon (the first month when there is one).
    pub monthly_usd: f64,
    /// Expected spend of each month of the horizon.
    pub months_usd: Vec<f64>,
    pub horizon_total_usd: f64,
    /// Requests and accepted tasks of the average month of the horizon (of the month, with one).
    pub requests_per_month: f64,
    pub accepted_per_month: f64,
    /// Spend per request, per accepted task and, with review, per useful output over the whole
    /// horizon: the figures of its average month, as `simulate` reports them.
    pub cost_per_request_usd: Option<f64>,
    pub cost_per_accepted_task_usd: Option<f64>,
    /// Expected human review cost of the average month of the horizon (not part of the
    /// spend); `None` without review.
    pub review_usd: Option<f64>,
    /// Expected human review cost of each month of the horizon; empty without review.
    pub months_review_usd: Vec<f64>,
    pub cost_per_useful_output_usd: Option<f64>,
    /// Expected monthly dollars by billing class (first month).
    pub by_class_usd: CostBreakdown,
}

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Estimate {
    pub scenario: String,
    pub days: u32,
    pub months: u32,
    pub budget_usd: Option<f64>,
    /// Why a figure is approximate; empty when every expectation is exact.
    pub approximations: Vec<String>,
    pub stacks: Vec<StackEstimate>,
}

/// Compute the expected month of every stack.
pub fn estimate(s: &Scenario) -> Estimate {
    let mut approx = Approximations::default();
    let traffic: Vec<Vec<TrafficLine>> = s
        .workflows
        .iter()
        .map(|w| traffic(s, w, &mut approx))
        .collect();
    let incident_factors: Vec<f64> = (0..s.workflows.len())
        .map(|w| incident_factor(s, w, &mut approx))
        .collect();
    let months = s.simulation.months;
    // Requests of each workflow in each month of the horizon, relative to the first.
    let month_scale: Vec<Vec<f64>> = s
        .workflows
        .iter()
        .zip(&traffic)
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
        .collect();
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
                    invoice(s, stack_index, &per_workflow, &scale, &mut approx)
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
                    let demand = inv.total_usd - inv.capped_usd;
                    let served = if demand > 0.0 {
                        inv.total_usd / demand
                    } else {
                        1.0
                    };
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
            StackEstimate {
                name: stack.name.clone(),
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

/// The month's invoice from per-request costs and each workflow's requests that month.
fn invoice(
    s: &Scenario,
    stack: usize,
    per: &[RequestExpectation],
    requests: &[f64],
    approx: &mut Approximations,
) -> (Invoice, [f64; CostBreakdown::LEN], f64) {
    let models = s.models.len();
    let mut list = vec![0.0; models];
    let mut tokens = vec![0.0; models];
    let mut classes = [0.0; CostBreakdown::LEN];
    let mut fees = 0.0;
    for (p, &n) in per.iter().zip(requests) {
        for m in 0..models {
            list[m] += n * p.model_usd[m];
            tokens[m] += n * p.model_tokens[m];
        }
        for (c, x) in classes.iter_mut().zip(&p.class_usd) {
            *c += n * x;
        }
        fees += n
            * (p.class_usd[CostClass::ToolFees.index()] + p.class_usd[CostClass::AuxFees.index()]);
    }
    // Volume tiers on the month's tokens per model, at list price.
    let after: Vec<f64> = s
        .models
        .iter()
        .enumerate()
        .map(|(m, model)| list[m] * (1.0 - tier_discount(&model.volume_tiers, 0.0, tokens[m])))
        .collect();
    let list_total: f64 = list.iter().sum();
    let after_total: f64 = after.iter().sum();
    // Contracts on the tier-discounted usage of their provider's models.
    let mut billed = 0.0;
    let mut accrued_total = 0.0;
    let mut unused = 0.0;
    let mut contract_months = Vec::new();
    let mut covered_models = vec![false; models];
    for (ci, c) in s.contracts.iter().enumerate() {
        if !s.contract_applies(stack, ci) {
            continue;
        }
        let usage: f64 = s
            .models
            .iter()
            .enumerate()
            .filter(|(_, m)| m.provider == c.provider)
            .map(|(i, _)| {
                covered_models[i] = true;
                after[i]
            })
            .sum();
        let (commitment, d) = (c.committed_monthly_usd.mean(), c.discount.mean());
        let terms = ContractDraw {
            committed_usd: commitment,
            discount: d,
            overage: c.overage,
        };
        let (covered, accrued) = terms.accrue(0.0, usage);
        if s.simulation.trials > 0 && !s.is_deterministic() {
            approx.note(
                "contract billing uses the expected usage; simulate for the risk of under-use"
                    .to_string(),
            );
        }
        let left = crate::billing::invoice::unused_commitment(commitment, accrued);
        accrued_total += accrued;
        unused += left;
        billed += accrued.max(commitment);
        contract_months.push(ContractInvoice {
            contract: ci,
            committed_usd: commitment,
            discount: d,
            usage_usd: usage,
            covered_usd: covered,
            accrued_usd: accrued,
            billed_usd: accrued.max(commitment),
            unused_usd: left,
        });
    }
    let uncovered: f64 = after
        .iter()
        .zip(&covered_models)
        .filter(|(_, c)| !**c)
        .map(|(a, _)| a)
        .sum();
    let total = uncovered + billed + fees;
    let capped = match s.budget.as_ref().and_then(|b| b.hard_cap_usd) {
        Some(cap) if total > cap => {
            approx.note("the expected month passes the hard cap; requests refused by it are estimated as the excess".to_string());
            cap - total
        }
        _ => 0.0,
    };
    if s.models.iter().any(|m| !m.volume_tiers.is_empty()) && !s.is_deterministic() {
        approx.note("volume tiers are applied to the expected month's tokens".to_string());
    }
    classes[CostClass::VolumeDiscount.index()] = after_total - list_total;
    classes[CostClass::ContractDiscount.index()] = accrued_total - (after_total - uncovered);
    classes[CostClass::UnusedCommitment.index()] = unused;
    let inv = Invoice {
        list_usd: list_total + fees,
        volume_discount_usd: after_total - list_total,
        contract_discount_usd: accrued_total - (after_total - uncovered),
        unused_commitment_usd: unused,
        capped_usd: capped,
        total_usd: total + capped,
        requests: requests.to_vec(),
        volume_discount_share: s
            .models
            .iter()
            .enumerate()
            .map(|(m, model)| tier_discount(&model.volume_tiers, 0.0, tokens[m]))
            .collect(),
        contracts: contract_months,
    };
    (inv, classes, fees)
}

/// Expected runs per request of workflow `w`: 1 plus what incidents repeat.
fn incident_factor(s: &Scenario, w: usize, approx: &mut Approximations) -> f64 {
    let days = s.simulation.days;
    let month_hours = 24.0 * f64::from(days);
    let covering: Vec<&crate::model::Incident> = s
        .incidents
        .iter()
        .filter(|i| i.workflows.contains(&w))
        .collect();
    if covering.len() > 1 {
        approx.note(format!(
            "workflow `{}`: overlapping incidents are added, not maxed",
            s.workflows[w].name
        ));
    }
    let shares = workflow_day_shares(s, w);
    1.0 + covering
        .iter()
        .map(|i| {
            if !i.duration_hours.is_fixed() {
                approx.note(format!(
                    "incident `{}`: its uncertain duration's mean is used",
                    i.name
                ));
            }
            let duration = i.duration_hours.mean().min(month_hours);
            // Expected share of the day's requests inside the window, over a uniform start.
            const STARTS: usize = 4096;
            let affected: f64 = (0..STARTS)
                .map(|k| {
                    let start = (k as f64 + 0.5) / STARTS as f64 * (month_hours - duration);
                    let end = start + duration;
                    shares
                        .iter()
                        .enumerate()
                        .map(|(d, share)| {
                            let (d0, d1) = (24.0 * d as f64, 24.0 * (d as f64 + 1.0));
                            share * ((end.min(d1) - start.max(d0)) / 24.0).max(0.0)
                        })
                        .sum::<f64>()
                })
                .sum::<f64>()
                / STARTS as f64;
            i.monthly_probability.mean() * affected * (i.multiplier.mean() - 1.0)
        })
        .sum::<f64>()
}

/// Share of a workflow's requests falling on each day of the month.
fn workflow_day_shares(s: &Scenario, w: usize) -> Vec<f64> {
    let days = s.simulation.days;
    let mut shares = vec![0.0; days as usize];
    let mut total = 0.0;
    for &seg in &s.workflows[w].segments {
        let segment = &s.segments[seg];
        let weights = day_weights(
            days,
            s.simulation.first_weekday,
            segment.weekend_factor.mean(),
        );
        let sum: f64 = weights.iter().sum();
        let sessions = segment.users.mean()
            * match &segment.sessions {
                SessionRate::PerDay(p) => p.mean() * sum,
                SessionRate::PerMonth(p) => p.mean(),
            };
        for (d, wgt) in weights.iter().enumerate() {
            shares[d] += sessions * wgt / sum;
        }
        total += sessions;
    }
    if total > 0.0 {
        shares.iter_mut().for_each(|x| *x /= total);
    }
    shares
}

/// How a parameter is valued: at its mean for `estimate`, at a trial's draw for the fast engine.
pub type Valuation<'a> = &'a dyn Fn(&Param) -> f64;

/// The mean of a parameter.
pub fn at_mean(p: &Param) -> f64 {
    p.mean()
}

/// Everything expected of one request of a workflow on a stack, given parameter values.
#[derive(Clone, Debug)]
pub struct RequestExpectation {
    pub cost: f64,
    /// Dollars per [`CostBreakdown`] class (token classes at list price, tool and aux fees).
    pub class_usd: [f64; CostBreakdown::LEN],
    /// Token-class dollars per model (list price, after batch).
    pub model_usd: Vec<f64>,
    /// Tokens of all kinds per model.
    pub model_tokens: Vec<f64>,
    /// Tokens per kind, in [`crate::billing::classes::Tokens`] order.
    pub tokens: [f64; crate::billing::classes::Tokens::LEN],
    /// (calls, dollars) per tool of [`Scenario::tools`].
    pub tools: Vec<(f64, f64)>,
    pub accepted: f64,
    pub calls: f64,
    /// Dollars of calls after the first call of each step (retries, escalations).
    pub retry_usd: f64,
    /// The token dollars of those calls per model (list price, after batch); with
    /// `retry_fees_usd`, they add up to `retry_usd`.
    pub retry_model_usd: Vec<f64>,
    /// Tool fees of those calls.
    pub retry_fees_usd: f64,
    /// Probability that the request moves to a later model of a chain.
    pub escalated: f64,
    pub errored_calls: f64,
    pub flex_calls: f64,
    pub flex_refused: f64,
    /// Probability that the semantic cache answers the request.
    pub semantic_hit: f64,
    /// Probability that a model refuses the request because its input exceeds the model's
    /// window (the request fails there; the refused call is counted in `calls`, not billed).
    pub window_refused: f64,
    /// The semantic-cache lookup fee, paid once per request (part of `cost` and of the aux fees),
    /// which an incident's repeats of the request do not pay again.
    pub lookup_usd: f64,
}

/// Expected request of workflow `w` on stack `k` with parameters valued by `val`.
pub fn request_expectation(
    s: &Scenario,
    k: usize,
    w: usize,
    val: Valuation<'_>,
) -> RequestExpectation {
    let mut approx = Approximations::default();
    workflow_estimate(s, &s.stacks[k], &s.workflows[w], &[], 1.0, val, &mut approx).1
}

/// The expected request of a workflow on a stack: its steps, and its costs per model and class.
#[allow(clippy::too_many_arguments)]
fn workflow_estimate(
    s: &Scenario,
    stack: &crate::model::Stack,
    w: &Workflow,
    lines: &[TrafficLine],
    incident_factor: f64,
    val: Valuation<'_>,
    approx: &mut Approximations,
) -> (WorkflowEstimate, RequestExpectation) {
    let requests: f64 = lines.iter().map(|l| l.requests).sum();
    let batch = w.path == RequestPath::Batch;
    let hit = val(&w.semantic_cache_hit_rate);
    let lookup = val(&w.semantic_cache_usd_per_lookup);
    let mut per = RequestExpectation {
        cost: 0.0,
        class_usd: [0.0; CostBreakdown::LEN],
        model_usd: vec![0.0; s.models.len()],
        model_tokens: vec![0.0; s.models.len()],
        tokens: [0.0; crate::billing::classes::Tokens::LEN],
        tools: vec![(0.0, 0.0); s.tools.len()],
        accepted: 0.0,
        calls: 0.0,
        retry_usd: 0.0,
        retry_model_usd: vec![0.0; s.models.len()],
        retry_fees_usd: 0.0,
        escalated: 0.0,
        errored_calls: 0.0,
        flex_calls: 0.0,
        flex_refused: 0.0,
        semantic_hit: hit,
        window_refused: 0.0,
        lookup_usd: lookup,
    };
    let mut reach = 1.0;
    let mut cost = 0.0;
    // Probability of reaching each point without having escalated, and of ending the request
    // (a failed single-model step) without escalating.
    let mut clean = 1.0;
    let mut ended_clean = 0.0;
    let prices: Vec<ModelDraw> = s
        .models
        .iter()
        .map(|m| ModelDraw::with(m, &|p| val(p)))
        .collect();
    let steps: Vec<StepEstimate> = w
        .steps
        .iter()
        .map(|step| {
            let chain = &stack.chains[step.route];
            let (est, accept_first) = step_estimate(
                s,
                step,
                &chain.links,
                batch,
                w.service_tier,
                reach,
                &prices,
                val,
                approx,
            );
            // A semantic-cache miss runs the steps; an incident repeats them.
            let weight = (1.0 - hit) * reach * incident_factor;
            for (link, l) in est.links.iter().zip(&chain.links) {
                let model = l.model;
                for line in &link.lines {
                    let amount = weight * link.calls_per_request;
                    per.class_usd[line.class.index()] += amount * line.usd;
                    if let Meter::Tool(t) = line.meter {
                        per.tools[t].0 += amount * line.quantity;
                        per.tools[t].1 += amount * line.usd;
                    } else {
                        per.model_usd[model] += amount * line.usd;
                        per.model_tokens[model] += amount * line.tokens;
                        if let Some(kind) = line.meter.token_kind() {
                            per.tokens[kind.index()] += amount * line.tokens;
                        }
                    }
                }
                per.calls += weight * link.calls_per_request;
                per.errored_calls += weight * link.calls_per_request * link.error_share;
                if w.service_tier == ServiceTier::Flex {
                    per.flex_calls += weight * link.calls_per_request;
                    per.flex_refused +=
                        weight * link.calls_per_request * prices[model].flex_unavailable_rate;
                }
            }
            // A refused call is a call, billed nothing; the request ends there.
            per.calls += weight * est.window_refused;
            per.window_refused += (1.0 - hit) * reach * est.window_refused;
            // Every call but the first of each call of the step is a retry or an escalation.
            let first = est.links.first().map_or(0.0, |l| l.cost_per_call_usd) * est.first_calls;
            per.retry_usd += weight * (est.cost_per_request_usd - est.aux_usd - first);
            // By model: every call of a later link, and those of the first link beyond the
            // first call of each of the step's calls.
            for (i, (link, l)) in est.links.iter().zip(&chain.links).enumerate() {
                let first_calls = if i == 0 { est.calls_per_request } else { 0.0 };
                let retries = weight * (link.calls_per_request - first_calls);
                let fees: f64 = link
                    .lines
                    .iter()
                    .filter(|x| x.class == CostClass::ToolFees)
                    .map(|x| x.usd)
                    .sum();
                per.retry_model_usd[l.model] += retries * (link.cost_per_call_usd - fees);
                per.retry_fees_usd += retries * fees;
            }
            per.class_usd[CostClass::AuxFees.index()] += weight * est.aux_usd;
            if chain.links.len() == 1 {
                ended_clean += clean * (1.0 - est.acceptance_probability);
                clean *= est.acceptance_probability;
            } else {
                clean *= accept_first;
            }
            cost += reach * est.cost_per_request_usd;
            reach *= est.acceptance_probability;
            est
        })
        .collect();
    per.escalated = (1.0 - hit) * (1.0 - clean - ended_clean).max(0.0);
    per.class_usd[CostClass::AuxFees.index()] += lookup;
    let acceptance = hit + (1.0 - hit) * reach;
    per.accepted = acceptance;
    let cost_per_request = lookup + (1.0 - hit) * cost * incident_factor;
    per.cost = cost_per_request;
    (
        WorkflowEstimate {
            name: w.name.clone(),
            traffic: lines.to_vec(),
            requests_per_month: requests,
            semantic_cache_hit_rate: hit,
            semantic_cache_usd_per_lookup: lookup,
            incident_factor,
            steps,
            cost_per_request_usd: cost_per_request,
            acceptance_rate: acceptance,
            monthly_usd: requests * cost_per_request,
        },
        per,
    )
}

/// Expected calls of a chain link per call of its step, with provider errors and retries.
struct LinkStats {
    reach: f64,
    attempts: f64,
    error_share: f64,
    /// Probability that this link's answer is the accepted one.
    accepted: f64,
}

/// Per link: reach, expected attempts and error share; then P(accepted) and P(accepted by the
/// first model without moving on).
fn chain_stats(
    links: &[Link],
    val: Valuation<'_>,
    approx: &mut Approximations,
    models: &[crate::model::Model],
) -> (Vec<LinkStats>, f64, f64) {
    let n = links.len();
    let mut reach = 1.0;
    let mut accepted = 0.0;
    let mut accepted_first = 0.0;
    let stats = links
        .iter()
        .enumerate()
        .map(|(i, link)| {
            if [&link.validation_failure_rate, &link.escalation_rate, &link.provider_error_rate]
                .iter()
                .any(|p| !p.is_fixed())
            {
                approx.note(format!(
                    "an uncertain validation, escalation or error rate on `{}` enters the chain non-linearly; its mean is used",
                    models[link.model].name
                ));
            }
            let f = val(&link.validation_failure_rate);
            let e = val(&link.provider_error_rate);
            let x = if i + 1 < n { val(&link.escalation_rate) } else { 0.0 };
            // An attempt goes on to the next one after an error or a failed validation.
            let q = e + (1.0 - e) * f;
            let a = link.max_attempts as i32;
            let q_a = q.powi(a);
            let attempts = if q >= 1.0 { f64::from(link.max_attempts) } else { (1.0 - q_a) / (1.0 - q) };
            let pass = (1.0 - e) * (1.0 - f) * attempts;
            let here = if i + 1 < n { reach * pass * (1.0 - x) } else { reach * pass };
            let out = LinkStats { reach, attempts, error_share: e, accepted: here };
            accepted += here;
            if i == 0 {
                accepted_first = here;
            }
            if i + 1 < n {
                reach *= q_a + pass * x;
            }
            out
        })
        .collect();
    (stats, accepted, accepted_first)
}

/// One step's expected arithmetic; also returns P(every call of the step accepted by its first
/// model without moving on).
#[allow(clippy::too_many_arguments)]
fn step_estimate(
    s: &Scenario,
    step: &Step,
    links: &[Link],
    batch: bool,
    tier: ServiceTier,
    reach_step: f64,
    prices: &[ModelDraw],
    val: Valuation<'_>,
    approx: &mut Approximations,
) -> (StepEstimate, f64) {
    let hit = val(&step.cache_hit_rate);
    let (stats, p, p_first) = chain_stats(links, val, approx, &s.models);
    // The window each link's calls must fit: its own and every earlier link's (a prompt refused
    // by an earlier model never reaches it).
    let mut limits = Vec::with_capacity(links.len());
    for l in links {
        let own = s.models[l.model].max_input_tokens.unwrap_or(f64::INFINITY);
        limits.push(limits.last().copied().unwrap_or(f64::INFINITY).min(own));
    }
    // Agent loops: iteration i runs when the request has more than i calls and every earlier
    // iteration was accepted; its input has grown by i × context_growth_tokens.
    let growth = step.context_growth_tokens.mean();
    // P(the input of iteration k fits `limit`); iteration −1 always fits.
    let fits = |k: i64, limit: f64| {
        if k < 0 || limit == f64::INFINITY {
            1.0
        } else {
            1.0 - prompt_above(step, k as f64 * growth, limit)
        }
    };
    let single = step.calls.fixed_value() == Some(1.0);
    let uniform = limits.iter().all(|l| *l == limits[0]);
    if !single && !uniform {
        approx.note(format!(
            "step `{}`: an agent loop whose later models have smaller input windows than the first: iterations are taken as independent at the window",
            step.name
        ));
    }
    let mut iterations: Vec<(f64, f64)> = Vec::new(); // (weight, extra input)
    let mut acceptance = 0.0;
    let mut accept_first = 0.0;
    let mut refused = 0.0;
    // p^i and p_first^i, and their values one iteration back.
    let (mut p_i, mut first_i) = (1.0, 1.0);
    let (mut p_prev, mut first_prev) = (1.0, 1.0);
    let limit = step.calls.quantity_bound();
    for i in 0..=limit {
        let above = count_above(&step.calls, i);
        let exactly = if i == 0 {
            1.0 - above
        } else {
            count_above(&step.calls, i - 1) - above
        };
        // Requests with exactly i calls, all accepted: the first i − 1 by any link, the last by
        // a link whose window its input (the largest) fits — which the earlier ones then fit.
        if i == 0 {
            acceptance += exactly;
            accept_first += exactly;
        } else {
            let k = i as i64 - 1;
            let last: f64 = stats
                .iter()
                .zip(&limits)
                .map(|(st, l)| st.accepted * fits(k, *l))
                .sum();
            acceptance += exactly * p_prev * last;
            accept_first += exactly
                * first_prev
                * stats
                    .first()
                    .zip(limits.first())
                    .map_or(0.0, |(st, l)| st.accepted * fits(k, *l));
        }
        if above <= 0.0 {
            break;
        }
        let w = above * p_i;
        // Refused at this iteration: it fitted the first model last time, and now some link it
        // reaches refuses it.
        let k = i as i64;
        refused += w * stats
            .iter()
            .enumerate()
            .map(|(j, st)| {
                let before = if j == 0 {
                    fits(k - 1, limits[0])
                } else {
                    fits(k, limits[j - 1])
                };
                st.reach * (before - fits(k, limits[j])).max(0.0)
            })
            .sum::<f64>();
        iterations.push((w, i as f64 * growth));
        (p_prev, first_prev) = (p_i, first_i);
        p_i *= p;
        first_i *= p_first;
    }
    if growth > 0.0
        && !step.context_growth_tokens.is_fixed()
        && links
            .iter()
            .any(|l| s.models[l.model].long_context.is_some())
    {
        approx.note(
            "random context growth near a long-context threshold: its mean is used".to_string(),
        );
    }
    let calls_per_request: f64 = iterations.iter().map(|(w, _)| w).sum();
    let mut cost = 0.0;
    let mut first_calls = 0.0;
    let out: Vec<LinkEstimate> = links
        .iter()
        .zip(&stats)
        .zip(&limits)
        .enumerate()
        .map(|(li, ((link, st), &limit))| {
            let model = &s.models[link.model];
            let batch_factor = if batch {
                1.0 - val(&model.batch_discount)
            } else {
                1.0
            };
            // Iterations whose input fits this link's window, weighted: its calls per call of
            // the chain.
            let fitted: Vec<f64> = iterations
                .iter()
                .enumerate()
                .map(|(k, (w, _))| w * fits(k as i64, limit))
                .collect();
            let billed_iterations: f64 = fitted.iter().sum();
            if li == 0 {
                first_calls = billed_iterations;
            }
            // Lines of one billed call averaged over loop iterations: each iteration's lines are
            // its expectation over the prompts that fit, so dividing by the weight of those
            // prompts gives the average billed call.
            let mut merged: Vec<CostLine> = Vec::new();
            for (k, &(w, extra)) in iterations.iter().enumerate() {
                if fitted[k] <= 0.0 {
                    continue;
                }
                let full = expected_call(
                    s,
                    model,
                    &prices[link.model],
                    step,
                    hit,
                    tier,
                    batch_factor,
                    extra,
                    limit,
                    val,
                    approx,
                );
                let input_only = match link.error_billing {
                    ErrorBilling::Input => input_lines(&full),
                    ErrorBilling::None => Vec::new(),
                };
                let mut mix = |lines: &[CostLine], f: f64| {
                    for l in lines {
                        let f = f * w / billed_iterations.max(f64::MIN_POSITIVE);
                        match merged.iter_mut().find(|m| m.meter == l.meter) {
                            Some(m) => {
                                m.quantity += f * l.quantity;
                                m.usd += f * l.usd;
                                m.tokens += f * l.tokens;
                            }
                            None => merged.push(CostLine {
                                quantity: f * l.quantity,
                                usd: f * l.usd,
                                tokens: f * l.tokens,
                                ..l.clone()
                            }),
                        }
                    }
                };
                mix(&full, 1.0 - st.error_share);
                mix(&input_only, st.error_share);
            }
            for l in &mut merged {
                // Re-derive the blended unit price from the averaged line.
                let scale = match l.unit {
                    "images" | "tool calls" => 1.0,
                    _ => 1e6,
                };
                let keep = if l.class == CostClass::ToolFees {
                    1.0
                } else {
                    batch_factor
                };
                if l.quantity > 0.0 && keep > 0.0 {
                    l.unit_price_usd = l.usd / keep / l.quantity * scale;
                }
            }
            let per_call: f64 = merged.iter().map(|l| l.usd).sum();
            let calls = st.reach * st.attempts * billed_iterations;
            let est = LinkEstimate {
                model: model.name.clone(),
                reach_probability: st.reach,
                calls_per_request: calls,
                error_share: st.error_share,
                lines: merged,
                long_context_share: long_context_probability(model, step),
                max_input_tokens: model.max_input_tokens,
                window_exceeded_share: model
                    .max_input_tokens
                    .map_or(0.0, |w| window_exceeded_share(step, w)),
                batch_factor,
                cost_per_call_usd: per_call,
                cost_per_request_usd: calls * per_call,
            };
            cost += est.cost_per_request_usd;
            est
        })
        .collect();
    let aux = val(&step.aux_usd_per_request);
    (
        StepEstimate {
            name: step.name.clone(),
            route: s.routes[step.route].clone(),
            reach_probability: reach_step,
            calls_per_request,
            acceptance_probability: acceptance,
            window_refused: refused,
            first_calls,
            aux_usd: aux,
            links: out,
            cost_per_request_usd: cost + aux,
        },
        accept_first,
    )
}

/// The input-side lines of a call: what an errored call bills with `error_billing = "input"`.
fn input_lines(lines: &[CostLine]) -> Vec<CostLine> {
    lines
        .iter()
        .filter(|l| l.meter.is_input())
        .cloned()
        .collect()
}

/// Per-call quantities and micro-dollars (USD × 10⁶, before any batch discount) by line.
#[derive(Clone, Copy, Debug, Default)]
struct Lines {
    quantity: [f64; Line::COUNT],
    micro: [f64; Line::COUNT],
    /// Tokens behind each line (for per-image pricing, the images' tokens).
    tokens: [f64; Line::COUNT],
}

/// The lines of a call's arithmetic, before tool fees.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Line {
    Input,
    CachedInput,
    CacheWrite,
    Output,
    Reasoning,
    ImageTokens,
    Images,
    AudioInput,
    AudioOutput,
}

impl Line {
    const COUNT: usize = 9;
    const ALL: [Line; Line::COUNT] = [
        Line::Input,
        Line::CachedInput,
        Line::CacheWrite,
        Line::Output,
        Line::Reasoning,
        Line::ImageTokens,
        Line::Images,
        Line::AudioInput,
        Line::AudioOutput,
    ];

    /// What the line meters, with the cache writes' time to live.
    fn meter(self, ttl: CacheTtl) -> Meter {
        match self {
            Line::Input => Meter::Input,
            Line::CachedInput => Meter::CachedInput,
            Line::CacheWrite if ttl == CacheTtl::OneHour => Meter::CacheWrite1h,
            Line::CacheWrite => Meter::CacheWrite,
            Line::Output => Meter::Output,
            Line::Reasoning => Meter::Reasoning,
            Line::ImageTokens => Meter::ImageTokens,
            Line::Images => Meter::Images,
            Line::AudioInput => Meter::AudioInput,
            Line::AudioOutput => Meter::AudioOutput,
        }
    }

    fn unit(self) -> &'static str {
        match self {
            Line::Images => "images",
            _ => "tokens",
        }
    }

    /// The divisor that turns micro-dollars per unit into the displayed unit price.
    fn price_scale(self) -> f64 {
        match self {
            Line::Images => 1e6,
            _ => 1.0,
        }
    }
}

impl Lines {
    fn add(&mut self, line: Line, quantity: f64, micro: f64) {
        self.quantity[line as usize] += quantity;
        self.micro[line as usize] += micro;
        if line != Line::Images {
            self.tokens[line as usize] += quantity;
        }
    }

    fn add_image_tokens(&mut self, tokens: f64) {
        self.tokens[Line::Images as usize] += tokens;
    }

    fn add_scaled(&mut self, o: &Lines, w: f64) {
        for i in 0..Line::COUNT {
            self.quantity[i] += w * o.quantity[i];
            self.micro[i] += w * o.micro[i];
            self.tokens[i] += w * o.tokens[i];
        }
    }
}

/// What pricing a part needs besides the prices.
#[derive(Clone, Copy)]
struct Context {
    min_cacheable: f64,
    hit: f64,
    ttl: CacheTtl,
}

/// The expected arithmetic of one call of `step` on `model`: token lines, then tool fees.
#[allow(clippy::too_many_arguments)]
fn expected_call(
    s: &Scenario,
    model: &crate::model::Model,
    prices: &ModelDraw,
    step: &Step,
    hit: f64,
    tier: ServiceTier,
    batch_factor: f64,
    extra_input: f64,
    limit: f64,
    val: Valuation<'_>,
    approx: &mut Approximations,
) -> Vec<CostLine> {
    if [&model.prices.input, &model.prices.output, &model.reasoning]
        .iter()
        .any(|p| !p.is_fixed())
        && (tier != ServiceTier::Standard || model.long_context.is_some())
    {
        approx.note(format!(
            "model `{}`: tier and long-context prices derived from uncertain list prices use their means",
            model.name
        ));
    }
    let ctx = Context {
        min_cacheable: model.min_cacheable_tokens,
        hit,
        ttl: step.cache_ttl,
    };
    let mut parts = prompt_parts(step);
    if extra_input > 0.0 {
        parts.push((Role::Text, Dist::Fixed(extra_input)));
    }
    let at_tier = |t: ServiceTier, approx: &mut Approximations| {
        call_lines(&parts, step, prices, t, ctx, limit, approx)
    };
    // A refused flex call is re-sent at standard: a mixture of the two price lists.
    let lines = if tier == ServiceTier::Flex {
        let u = prices.flex_unavailable_rate;
        let mut l = Lines::default();
        l.add_scaled(&at_tier(ServiceTier::Flex, approx), 1.0 - u);
        l.add_scaled(&at_tier(ServiceTier::Standard, approx), u);
        l
    } else {
        at_tier(tier, approx)
    };
    let mut out: Vec<CostLine> = Line::ALL
        .iter()
        .filter(|line| lines.quantity[**line as usize] > 0.0 || lines.micro[**line as usize] > 0.0)
        .map(|&line| {
            let (q, m) = (lines.quantity[line as usize], lines.micro[line as usize]);
            let meter = line.meter(step.cache_ttl);
            CostLine {
                label: meter.label().unwrap_or_default().to_string(),
                class: meter.class(),
                quantity: q,
                unit: line.unit(),
                unit_price_usd: if q > 0.0 {
                    m / q / line.price_scale()
                } else {
                    0.0
                },
                usd: m / 1e6 * batch_factor,
                tokens: lines.tokens[line as usize],
                meter,
            }
        })
        .collect();
    for t in &step.tool_calls {
        let calls = t.count.mean();
        let fee = val(&t.usd_per_call);
        out.push(CostLine {
            label: s.tools[t.tool].clone(),
            class: CostClass::ToolFees,
            quantity: calls,
            unit: "tool calls",
            unit_price_usd: fee,
            usd: calls * fee,
            tokens: 0.0,
            meter: Meter::Tool(t.tool),
        });
    }
    out
}

/// Expected lines of one call at one service tier, over the prompts whose whole input is at most
/// `limit` (the model's window; infinite without one): `E[lines · 1{input ≤ limit}]`.
fn call_lines(
    parts: &[(Role, Dist)],
    step: &Step,
    prices: &ModelDraw,
    tier: ServiceTier,
    ctx: Context,
    limit: f64,
    approx: &mut Approximations,
) -> Lines {
    if let Some(r) = &step.retrieval
        && (prices.long_context_above.is_some() || limit < f64::INFINITY)
        && !r.chunks.is_fixed()
        && !r.chunk_tokens.is_fixed()
        && !Dist::product(&r.chunks, &r.chunk_tokens).1
    {
        approx.note("random chunk count and chunk size, both continuous, near a long-context threshold or an input window: the count is integrated over 128 equally likely slices (two values each, keeping its mean and variance)".to_string());
    }
    let random: Vec<usize> = (0..parts.len())
        .filter(|&i| parts[i].0.counts_toward_input() && !parts[i].1.is_fixed())
        .collect();
    let windowed = limit < f64::INFINITY;
    if (prices.long_context_above.is_none() && !windowed) || random.len() <= 1 {
        return exact_lines(
            parts,
            random.first().copied(),
            step,
            prices,
            tier,
            ctx,
            limit,
        );
    }
    // Several random parts near a threshold: integrate all but the last on a quantile grid.
    approx.note(if prices.long_context_above.is_some() {
        "several random prompt parts near a long-context threshold: integrated by quadrature"
            .to_string()
    } else {
        "several random prompt parts near a model's input window: integrated by quadrature"
            .to_string()
    });
    let (head, last) = random.split_at(random.len() - 1);
    let k: usize = if head.len() == 1 { 256 } else { 32 };
    let points = k.pow(head.len() as u32);
    let weight = 1.0 / points as f64;
    let mut acc = Lines::default();
    for idx in 0..points {
        let mut fixed = parts.to_vec();
        let mut rest = idx;
        for &h in head {
            let j = rest % k;
            rest /= k;
            fixed[h].1 = Dist::Fixed(parts[h].1.quantile((j as f64 + 0.5) / k as f64));
        }
        acc.add_scaled(
            &exact_lines(&fixed, Some(last[0]), step, prices, tier, ctx, limit),
            weight,
        );
    }
    acc
}

/// Exact expected lines when at most one part that counts toward the input is random (`x`):
/// the cost is then piecewise linear in that part, with pieces cut at the long-context
/// threshold and, for the prefix, at the cache minimum; inputs beyond `limit` (a window) are
/// refused and cost nothing.
fn exact_lines(
    parts: &[(Role, Dist)],
    x: Option<usize>,
    step: &Step,
    prices: &ModelDraw,
    tier: ServiceTier,
    ctx: Context,
    limit: f64,
) -> Lines {
    let mut lines = Lines::default();
    let others: f64 = parts
        .iter()
        .enumerate()
        .filter(|(i, (role, _))| Some(*i) != x && role.counts_toward_input())
        .map(|(_, (_, d))| d.mean())
        .sum();
    let above = prices.long_context_above.unwrap_or(f64::INFINITY);
    if x.is_none() && others > limit {
        return lines;
    }
    // Regions of x: (lo, hi], each with one long-context state.
    let mut cuts = vec![f64::NEG_INFINITY, f64::INFINITY];
    if let Some(xi) = x {
        cuts.push(above - others);
        if parts[xi].0 == Role::Prefix {
            cuts.push(just_below(ctx.min_cacheable));
        }
        if limit < f64::INFINITY {
            cuts.push(limit - others);
        }
    }
    cuts.sort_by(f64::total_cmp);
    cuts.dedup();
    for w in cuts.windows(2) {
        let (lo, hi) = (w[0], w[1]);
        if x.is_some() && lo >= limit - others {
            // Refused by the provider: nothing billed.
            continue;
        }
        let (prob, long_context) = match x {
            Some(xi) => (
                parts[xi].1.cdf(hi) - parts[xi].1.cdf(lo),
                lo >= above - others,
            ),
            None => (1.0, others > above),
        };
        if prob <= 0.0 {
            continue;
        }
        let p = prices.prices_at(tier, long_context);
        for (i, (role, dist)) in parts.iter().enumerate() {
            if Some(i) == x {
                add_part(&mut lines, *role, dist, lo, hi, 1.0, p, ctx);
            } else {
                add_part(
                    &mut lines,
                    *role,
                    dist,
                    f64::NEG_INFINITY,
                    f64::INFINITY,
                    prob,
                    p,
                    ctx,
                );
            }
        }
        let capped =
            |d: &Dist, cap: Option<f64>| cap.map_or_else(|| d.mean(), |c| d.mean_capped(c));
        let output = capped(&step.output_tokens, step.max_output_tokens);
        let reasoning = capped(&step.reasoning_tokens, step.max_reasoning_tokens);
        let audio_out = step.audio_output_tokens.mean();
        lines.add(Line::Output, prob * output, prob * output * p.output);
        lines.add(
            Line::Reasoning,
            prob * reasoning,
            prob * reasoning * p.reasoning,
        );
        lines.add(
            Line::AudioOutput,
            prob * audio_out,
            prob * audio_out * p.audio_output,
        );
    }
    lines
}

/// Add part `dist` over `(lo, hi]`, weighted by `w`, priced at `p`.
#[allow(clippy::too_many_arguments)]
fn add_part(
    lines: &mut Lines,
    role: Role,
    dist: &Dist,
    lo: f64,
    hi: f64,
    w: f64,
    p: &PriceDraw,
    ctx: Context,
) {
    match role {
        Role::Prefix => {
            // A prefix below the cache minimum is plain input: neither read nor written.
            let cut = just_below(ctx.min_cacheable);
            let below = dist.partial_mean(lo, hi.min(cut));
            let cacheable = dist.partial_mean(lo.max(cut), hi).max(0.0);
            let write = match ctx.ttl {
                CacheTtl::FiveMinutes => p.cache_write,
                CacheTtl::OneHour => p.cache_write_1h,
            };
            lines.add(Line::Input, w * below, w * below * p.input);
            lines.add(
                Line::CachedInput,
                w * cacheable * ctx.hit,
                w * cacheable * ctx.hit * p.cached_input,
            );
            lines.add(
                Line::CacheWrite,
                w * cacheable * (1.0 - ctx.hit),
                w * cacheable * (1.0 - ctx.hit) * write,
            );
        }
        Role::Text => {
            let m = dist.partial_mean(lo, hi);
            lines.add(Line::Input, w * m, w * m * p.input);
        }
        Role::ImageTokens { tokens_per_image } => {
            let m = dist.partial_mean(lo, hi);
            match p.per_image {
                Some(per_image) => {
                    lines.add(
                        Line::Images,
                        w * m / tokens_per_image,
                        w * m / tokens_per_image * per_image * 1e6,
                    );
                    lines.add_image_tokens(w * m);
                }
                None => lines.add(Line::ImageTokens, w * m, w * m * p.image),
            }
        }
        Role::ImageCount => {
            let m = dist.partial_mean(lo, hi);
            lines.add(
                Line::Images,
                w * m,
                w * m * p.per_image.unwrap_or(0.0) * 1e6,
            );
        }
        Role::AudioInput => {
            let m = dist.partial_mean(lo, hi);
            lines.add(Line::AudioInput, w * m, w * m * p.audio_input);
        }
    }
}

/// The largest float below `x`, so that `(lo, just_below(min)]` excludes `min` itself.
fn just_below(x: f64) -> f64 {
    if x <= 0.0 {
        f64::NEG_INFINITY
    } else {
        x - x * f64::EPSILON * 2.0
    }
}
