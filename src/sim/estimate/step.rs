//! The expected arithmetic of one step: its chain's attempts, errors and escalations, its agent
//! loop's iterations and the input windows that refuse them, and for each chain link the
//! expected call (from `call`) averaged over the iterations it serves and its errored attempts.

use super::call::{Valuation, errored_lines, expected_call};
use super::report::{CostLine, LinkEstimate, StepEstimate};
use crate::billing::call;
use crate::billing::classes::CostClass;
use crate::billing::prices::ModelDraw;
use crate::model::prompt::{
    count_above, long_context_probability, prompt_above, window_exceeded_share,
};
use crate::model::traffic::Approximations;
use crate::model::{Link, Scenario, ServiceTier, Step};

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

/// P(the input of agent-loop iteration `k` fits `limit`), its input grown by `k × growth`;
/// iteration −1 always fits.
fn fits(step: &Step, growth: f64, k: i64, limit: f64) -> f64 {
    if k < 0 || limit == f64::INFINITY {
        1.0
    } else {
        1.0 - prompt_above(step, k as f64 * growth, limit)
    }
}

/// A step's calls along its chain: each link's statistics and window, the agent loop's
/// iterations, and the probabilities of the step's outcomes.
struct Walk {
    stats: Vec<LinkStats>,
    /// The window each link's calls must fit.
    limits: Vec<f64>,
    /// Expected growth of the input per iteration.
    growth: f64,
    /// (weight, extra input) of each iteration: its calls per call of the chain.
    iterations: Vec<(f64, f64)>,
    acceptance: f64,
    /// P(every call of the step accepted by its first model without moving on).
    accept_first: f64,
    /// P(a call's input refused by a model's window).
    refused: f64,
    /// Of `refused`, refused by the first model with every earlier call accepted by it.
    refused_first: f64,
}

/// The walk of a step's calls along `links`.
fn walk(
    s: &Scenario,
    step: &Step,
    links: &[Link],
    val: Valuation<'_>,
    approx: &mut Approximations,
) -> Walk {
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
    let fits = |k: i64, limit: f64| fits(step, growth, k, limit);
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
    let mut refused_first = 0.0;
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
        // Of them, refused by the first model with every earlier call accepted by it.
        refused_first += above * first_i * (fits(k - 1, limits[0]) - fits(k, limits[0])).max(0.0);
        iterations.push((w, i as f64 * growth));
        (p_prev, first_prev) = (p_i, first_i);
        p_i *= p;
        first_i *= p_first;
    }
    if growth > 0.0
        && !step.context_growth_tokens.is_fixed()
        && links
            .iter()
            .any(|l| !s.models[l.model].long_context.is_empty())
    {
        approx.note(
            "random context growth near a long-context threshold: its mean is used".to_string(),
        );
    }
    Walk {
        stats,
        limits,
        growth,
        iterations,
        acceptance,
        accept_first,
        refused,
        refused_first,
    }
}

/// One step's expected arithmetic; also returns P(every call of the step accepted by its first
/// model without moving on).
#[allow(clippy::too_many_arguments)]
pub(super) fn step_estimate(
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
    let walk = walk(s, step, links, val, approx);
    let calls_per_request: f64 = walk.iterations.iter().map(|(w, _)| w).sum();
    let mut cost = 0.0;
    let mut first_calls = 0.0;
    let out: Vec<LinkEstimate> = links
        .iter()
        .zip(&walk.stats)
        .zip(&walk.limits)
        .enumerate()
        .map(|(li, ((link, st), &limit))| {
            let ctx = LinkContext {
                step,
                hit,
                tier,
                batch,
                limit,
                prices,
                val,
            };
            let (est, billed_iterations) = link_estimate(s, link, st, &walk, ctx, approx);
            if li == 0 {
                first_calls = billed_iterations;
            }
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
            acceptance_probability: walk.acceptance,
            window_refused: walk.refused,
            window_refused_first: walk.refused_first,
            first_calls,
            aux_usd: aux,
            links: out,
            cost_per_request_usd: cost + aux,
        },
        walk.accept_first,
    )
}

/// What a link's arithmetic needs from its step.
#[derive(Clone, Copy)]
struct LinkContext<'a> {
    step: &'a Step,
    hit: f64,
    tier: ServiceTier,
    batch: bool,
    /// The window the link's calls must fit.
    limit: f64,
    prices: &'a [ModelDraw],
    val: Valuation<'a>,
}

/// One link's expected arithmetic, and its billed iterations per call of the chain.
fn link_estimate(
    s: &Scenario,
    link: &Link,
    st: &LinkStats,
    walk: &Walk,
    ctx: LinkContext<'_>,
    approx: &mut Approximations,
) -> (LinkEstimate, f64) {
    let LinkContext {
        step,
        hit,
        tier,
        batch,
        limit,
        prices,
        val,
    } = ctx;
    let model = &s.models[link.model];
    let batch_factor = call::batch_keep(&prices[link.model], batch);
    // Iterations whose input fits this link's window, weighted: its calls per call of the chain.
    let fitted: Vec<f64> = walk
        .iterations
        .iter()
        .enumerate()
        .map(|(k, (w, _))| w * fits(step, walk.growth, k as i64, limit))
        .collect();
    let billed_iterations: f64 = fitted.iter().sum();
    // Lines of one billed call averaged over loop iterations: each iteration's lines are its
    // expectation over the prompts that fit, so dividing by the weight of those prompts gives
    // the average billed call.
    let mut merged: Vec<CostLine> = Vec::new();
    for (k, &(w, extra)) in walk.iterations.iter().enumerate() {
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
        let errored = errored_lines(&full, link.error_billing);
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
        mix(&errored, st.error_share);
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
        long_context_levels: if model.long_context.len() > 1 {
            model
                .long_context
                .iter()
                .zip(crate::model::prompt::long_context_shares(model, step))
                .map(|(lc, share)| super::report::LongContextLevel {
                    above_input_tokens: lc.above_input_tokens,
                    share,
                })
                .collect()
        } else {
            Vec::new()
        },
        max_input_tokens: model.max_input_tokens,
        window_exceeded_share: model
            .max_input_tokens
            .map_or(0.0, |w| window_exceeded_share(step, w)),
        batch_factor,
        cost_per_call_usd: per_call,
        cost_per_request_usd: calls * per_call,
    };
    (est, billed_iterations)
}
