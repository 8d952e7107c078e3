//! The expected request of a workflow on a stack: its steps in order (each reached when the
//! earlier ones accepted), a semantic-cache hit that skips them, incidents that repeat them, and
//! its costs by model, class and tool, which the estimate's invoice and the fast engine read.

use super::call::Valuation;
use super::report::{StepEstimate, WorkflowEstimate};
use super::step::step_estimate;
use crate::billing::classes::{CostBreakdown, CostClass, Meter, Tokens};
use crate::billing::prices::ModelDraw;
use crate::model::traffic::{Approximations, TrafficLine};
use crate::model::{RequestPath, Scenario, ServiceTier, Workflow};

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
    pub tokens: [f64; Tokens::LEN],
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
pub(super) fn workflow_estimate(
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
        tokens: [0.0; Tokens::LEN],
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
                // The first link's billed first calls: a call its window refuses is neither
                // billed nor a retry.
                let first_calls = if i == 0 { est.first_calls } else { 0.0 };
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
                // A prompt the first model's window refuses ends the request there, unescalated.
                ended_clean += clean * est.window_refused_first;
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
