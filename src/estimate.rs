//! `aicost estimate`: the spreadsheet view — expected values only, with the arithmetic shown.
//!
//! A forecast nobody can check is not trusted, so this module computes the expected month by
//! hand-checkable arithmetic: traffic (users × sessions × requests), then for every step and chain
//! link the expected calls and, per token class, `tokens × price = dollars`. It uses exact closed
//! forms where they exist (the mean of a capped lognormal, the expected attempts of a retry chain,
//! the probability and partial mean above a long-context threshold), so on a deterministic
//! scenario it equals the simulated mean to the cent. Where an expectation is only approximated
//! (an uncertain rate that enters a chain non-linearly, several random prompt parts crossing a
//! long-context threshold), it says so.

use serde::Serialize;

use crate::dist::Dist;
use crate::model::{
    Arrivals, Link, Model, Prices, RequestPath, Scenario, SessionRate, Step, day_weights,
};

/// Token classes in display order.
pub const CLASSES: [&str; 4] = ["input", "cached input", "cache write", "output"];

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct CostLine {
    pub class: &'static str,
    /// Expected tokens per call.
    pub tokens: f64,
    /// Effective price in USD per million tokens (blended across long-context tiers).
    pub usd_per_mtok: f64,
    /// Expected dollars per call, after any batch discount.
    pub usd: f64,
}

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct LinkEstimate {
    pub model: String,
    /// Probability that a request reaching the step calls this model at all.
    pub reach_probability: f64,
    /// Expected calls to this model per request reaching the step (retries included).
    pub calls_per_request: f64,
    pub lines: Vec<CostLine>,
    /// Share of calls priced at long-context rates.
    pub long_context_share: f64,
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
    pub acceptance_probability: f64,
    pub links: Vec<LinkEstimate>,
    pub cost_per_request_usd: f64,
}

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct TrafficLine {
    pub segment: String,
    pub users: f64,
    pub sessions_per_user: f64,
    pub requests_per_session: f64,
    pub requests: f64,
}

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct WorkflowEstimate {
    pub name: String,
    pub traffic: Vec<TrafficLine>,
    pub requests_per_month: f64,
    pub steps: Vec<StepEstimate>,
    pub cost_per_request_usd: f64,
    pub acceptance_rate: f64,
    pub monthly_usd: f64,
}

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct StackEstimate {
    pub name: String,
    pub workflows: Vec<WorkflowEstimate>,
    pub monthly_usd: f64,
    pub requests_per_month: f64,
    pub accepted_per_month: f64,
    pub cost_per_request_usd: Option<f64>,
    pub cost_per_accepted_task_usd: Option<f64>,
    /// Expected monthly dollars by token class.
    pub by_class_usd: [f64; 4],
}

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Estimate {
    pub scenario: String,
    pub days: u32,
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
    let stacks = s
        .stacks
        .iter()
        .map(|stack| {
            let mut by_class = [0.0; 4];
            let workflows: Vec<WorkflowEstimate> = s
                .workflows
                .iter()
                .zip(&traffic)
                .map(|(w, lines)| {
                    let requests: f64 = lines.iter().map(|l| l.requests).sum();
                    let batch = w.path == RequestPath::Batch;
                    let mut reach = 1.0;
                    let mut cost = 0.0;
                    let steps: Vec<StepEstimate> = w
                        .steps
                        .iter()
                        .map(|step| {
                            let chain = &stack.chains[step.route];
                            let est =
                                step_estimate(s, step, &chain.links, batch, reach, &mut approx);
                            for link in &est.links {
                                for (i, line) in link.lines.iter().enumerate() {
                                    by_class[i] +=
                                        requests * reach * link.calls_per_request * line.usd;
                                }
                            }
                            cost += reach * est.cost_per_request_usd;
                            reach *= est.acceptance_probability;
                            est
                        })
                        .collect();
                    WorkflowEstimate {
                        name: w.name.clone(),
                        traffic: lines.clone(),
                        requests_per_month: requests,
                        steps,
                        cost_per_request_usd: cost,
                        acceptance_rate: reach,
                        monthly_usd: requests * cost,
                    }
                })
                .collect();
            let monthly: f64 = workflows.iter().map(|w| w.monthly_usd).sum();
            let requests: f64 = workflows.iter().map(|w| w.requests_per_month).sum();
            let accepted: f64 = workflows
                .iter()
                .map(|w| w.requests_per_month * w.acceptance_rate)
                .sum();
            StackEstimate {
                name: stack.name.clone(),
                workflows,
                monthly_usd: monthly,
                requests_per_month: requests,
                accepted_per_month: accepted,
                cost_per_request_usd: (requests > 0.0).then(|| monthly / requests),
                cost_per_accepted_task_usd: (accepted > 0.0).then(|| monthly / accepted),
                by_class_usd: by_class,
            }
        })
        .collect();
    Estimate {
        scenario: s.name.clone(),
        days: s.simulation.days,
        budget_usd: s.budget.as_ref().map(|b| b.monthly_usd),
        approximations: approx.0,
        stacks,
    }
}

#[derive(Default)]
struct Approximations(Vec<String>);

impl Approximations {
    fn note(&mut self, why: String) {
        if !self.0.contains(&why) {
            self.0.push(why);
        }
    }
}

fn traffic(
    s: &Scenario,
    w: &crate::model::Workflow,
    approx: &mut Approximations,
) -> Vec<TrafficLine> {
    w.segments
        .iter()
        .map(|&i| {
            let seg = &s.segments[i];
            let weights = day_weights(s.simulation.days, seg.weekend_factor.mean());
            let weekday_days = weights.iter().filter(|&&x| x == 1.0).count() as f64;
            let weekend_days = s.simulation.days as f64 - weekday_days;
            let sessions = match &seg.sessions {
                // Weekday rate × (weekdays + weekend days × factor): linear in both, so exact.
                SessionRate::PerDay(p) => {
                    p.mean() * (weekday_days + weekend_days * seg.weekend_factor.mean())
                }
                SessionRate::PerMonth(p) => p.mean(),
            };
            if s.simulation.arrivals == Arrivals::Fixed
                && (sessions.fract() != 0.0 || seg.user_variability.mean() > 0.0)
            {
                approx.note(format!(
                    "segment `{}`: fixed arrivals round each user's sessions to whole numbers",
                    seg.name
                ));
            }
            let users = seg.users.mean();
            let rps = w.requests_per_session.mean();
            TrafficLine {
                segment: seg.name.clone(),
                users,
                sessions_per_user: sessions,
                requests_per_session: rps,
                requests: users * sessions * rps,
            }
        })
        .collect()
}

fn step_estimate(
    s: &Scenario,
    step: &Step,
    links: &[Link],
    batch: bool,
    reach_step: f64,
    approx: &mut Approximations,
) -> StepEstimate {
    let hit = step.cache_hit_rate.mean();
    let mut reach = 1.0;
    let mut accepted = 0.0;
    let mut cost = 0.0;
    let n = links.len();
    let out: Vec<LinkEstimate> = links
        .iter()
        .enumerate()
        .map(|(i, link)| {
            if !link.validation_failure_rate.is_fixed() || !link.escalation_rate.is_fixed() {
                approx.note(format!(
                    "an uncertain validation or escalation rate on `{}` enters the chain non-linearly; its mean is used",
                    s.models[link.model].name
                ));
            }
            let f = link.validation_failure_rate.mean();
            let a = link.max_attempts as i32;
            let e = if i + 1 < n { link.escalation_rate.mean() } else { 0.0 };
            let f_a = f.powi(a);
            // 1 + f + f² + … + f^(a−1) calls, expected, at this link.
            let calls = if f >= 1.0 { f64::from(link.max_attempts) } else { (1.0 - f_a) / (1.0 - f) };
            let model = &s.models[link.model];
            let batch_factor = if batch { 1.0 - model.batch_discount.mean() } else { 1.0 };
            let call = expected_call(model, step, hit, approx);
            let lines: Vec<CostLine> = CLASSES
                .iter()
                .enumerate()
                .map(|(k, class)| CostLine {
                    class,
                    tokens: call.tokens[k],
                    usd_per_mtok: if call.tokens[k] > 0.0 { call.micro_usd[k] / call.tokens[k] } else { 0.0 },
                    usd: call.micro_usd[k] / 1e6 * batch_factor,
                })
                .collect();
            let per_call: f64 = lines.iter().map(|l| l.usd).sum();
            let est = LinkEstimate {
                model: model.name.clone(),
                reach_probability: reach,
                calls_per_request: reach * calls,
                lines,
                long_context_share: call.long_context_share,
                batch_factor,
                cost_per_call_usd: per_call,
                cost_per_request_usd: reach * calls * per_call,
            };
            cost += est.cost_per_request_usd;
            let pass = 1.0 - f_a;
            if i + 1 < n {
                accepted += reach * pass * (1.0 - e);
                reach *= f_a + pass * e;
            } else {
                accepted += reach * pass;
            }
            est
        })
        .collect();
    let _ = reach_step;
    StepEstimate {
        name: step.name.clone(),
        route: s.routes[step.route].clone(),
        reach_probability: reach_step,
        acceptance_probability: accepted,
        links: out,
        cost_per_request_usd: cost,
    }
}

/// Expected tokens and micro-dollars (USD × 10⁶, before any batch discount) of one call.
struct CallExpectation {
    tokens: [f64; 4],
    micro_usd: [f64; 4],
    long_context_share: f64,
}

/// Mean prices of a tier.
#[derive(Clone, Copy)]
struct MeanPrices {
    input: f64,
    cached: f64,
    write: f64,
    output: f64,
}

impl MeanPrices {
    fn of(p: &Prices) -> Self {
        MeanPrices {
            input: p.input.mean(),
            cached: p.cached_input.mean(),
            write: p.cache_write.mean(),
            output: p.output.mean(),
        }
    }
}

/// Which part of the prompt a random quantity is.
#[derive(Clone, Copy, PartialEq)]
enum Role {
    Prefix,
    Variable,
}

fn expected_call(
    model: &Model,
    step: &Step,
    hit: f64,
    approx: &mut Approximations,
) -> CallExpectation {
    let out_mean = match step.max_output_tokens {
        Some(cap) => step.output_tokens.mean_capped(cap),
        None => step.output_tokens.mean(),
    };
    let base = MeanPrices::of(&model.prices);
    let lc = model
        .long_context
        .as_ref()
        .map(|lc| (lc.above_input_tokens, MeanPrices::of(&lc.prices)));
    // The prompt's random parts; fixed parts are folded into constants.
    let mut parts: Vec<(Role, Dist)> = vec![
        (Role::Prefix, step.static_prefix_tokens.clone()),
        (Role::Variable, step.input_tokens.clone()),
    ];
    if let Some(r) = &step.retrieval {
        let product = match (r.chunks.fixed_value(), r.chunk_tokens.fixed_value()) {
            (Some(c), Some(t)) => Some(Dist::Fixed(c * t)),
            (Some(c), None) => r
                .chunk_tokens
                .scaled(c)
                .or_else(|| (c == 0.0).then_some(Dist::Fixed(0.0))),
            (None, Some(t)) => r
                .chunks
                .scaled(t)
                .or_else(|| (t == 0.0).then_some(Dist::Fixed(0.0))),
            (None, None) => None,
        };
        match product {
            Some(d) => parts.push((Role::Variable, d)),
            // Two independent random factors: their product is not a named family.
            None => return expected_call_product(model, step, hit, out_mean, base, lc, approx),
        }
    }
    evaluate(
        &parts,
        model.min_cacheable_tokens,
        hit,
        out_mean,
        base,
        lc,
        approx,
    )
}

/// The case of retrieval with both chunk count and chunk size random.
fn expected_call_product(
    model: &Model,
    step: &Step,
    hit: f64,
    out_mean: f64,
    base: MeanPrices,
    lc: Option<(f64, MeanPrices)>,
    approx: &mut Approximations,
) -> CallExpectation {
    let r = step.retrieval.as_ref().expect("retrieval present");
    if lc.is_none() {
        // Without a threshold the cost is linear: E[chunks × size] = E[chunks] · E[size].
        let parts = vec![
            (Role::Prefix, step.static_prefix_tokens.clone()),
            (Role::Variable, step.input_tokens.clone()),
            (
                Role::Variable,
                Dist::Fixed(r.chunks.mean() * r.chunk_tokens.mean()),
            ),
        ];
        return evaluate(
            &parts,
            model.min_cacheable_tokens,
            hit,
            out_mean,
            base,
            lc,
            approx,
        );
    }
    const K: usize = 64;
    let mut acc = CallExpectation {
        tokens: [0.0; 4],
        micro_usd: [0.0; 4],
        long_context_share: 0.0,
    };
    for j in 0..K {
        let c = r.chunks.quantile((j as f64 + 0.5) / K as f64);
        let parts = vec![
            (Role::Prefix, step.static_prefix_tokens.clone()),
            (Role::Variable, step.input_tokens.clone()),
            (
                Role::Variable,
                r.chunk_tokens
                    .scaled(c)
                    .unwrap_or(Dist::Fixed(c * r.chunk_tokens.mean())),
            ),
        ];
        let e = evaluate(
            &parts,
            model.min_cacheable_tokens,
            hit,
            out_mean,
            base,
            lc,
            approx,
        );
        for k in 0..4 {
            acc.tokens[k] += e.tokens[k] / K as f64;
            acc.micro_usd[k] += e.micro_usd[k] / K as f64;
        }
        acc.long_context_share += e.long_context_share / K as f64;
    }
    approx.note("random chunk count and chunk size near a long-context threshold: averaged over 64 quantiles of the chunk count".to_string());
    acc
}

/// Expected call given independent prompt parts. Exact when at most one part is random or the
/// model has no long-context tier; otherwise all but one random part are integrated by quadrature.
fn evaluate(
    parts: &[(Role, Dist)],
    min_cacheable: f64,
    hit: f64,
    out_mean: f64,
    base: MeanPrices,
    lc: Option<(f64, MeanPrices)>,
    approx: &mut Approximations,
) -> CallExpectation {
    let random: Vec<usize> = (0..parts.len())
        .filter(|&i| !parts[i].1.is_fixed())
        .collect();
    match (lc, random.len()) {
        (_, 0) | (_, 1) | (None, _) => {
            exact_linear(parts, &random, min_cacheable, hit, out_mean, base, lc)
        }
        (Some(_), _) => {
            approx.note("several random prompt parts near a long-context threshold: integrated by quadrature".to_string());
            // Integrate the first random parts on a quantile grid; the last stays exact.
            let (head, last) = random.split_at(random.len() - 1);
            let k: usize = if head.len() == 1 { 256 } else { 32 };
            let mut acc = CallExpectation {
                tokens: [0.0; 4],
                micro_usd: [0.0; 4],
                long_context_share: 0.0,
            };
            let points = k.pow(head.len() as u32);
            let weight = 1.0 / points as f64;
            for idx in 0..points {
                let mut fixed = parts.to_vec();
                let mut rest = idx;
                for &h in head {
                    let j = rest % k;
                    rest /= k;
                    fixed[h].1 = Dist::Fixed(parts[h].1.quantile((j as f64 + 0.5) / k as f64));
                }
                let e = exact_linear(&fixed, last, min_cacheable, hit, out_mean, base, lc);
                for c in 0..4 {
                    acc.tokens[c] += weight * e.tokens[c];
                    acc.micro_usd[c] += weight * e.micro_usd[c];
                }
                acc.long_context_share += weight * e.long_context_share;
            }
            acc
        }
    }
}

/// Exact expectation when the cost is piecewise linear in a single random part (or in none, or
/// linear overall because there is no long-context tier).
fn exact_linear(
    parts: &[(Role, Dist)],
    random: &[usize],
    min_cacheable: f64,
    hit: f64,
    out_mean: f64,
    base: MeanPrices,
    lc: Option<(f64, MeanPrices)>,
) -> CallExpectation {
    let mut e = CallExpectation {
        tokens: [0.0; 4],
        micro_usd: [0.0; 4],
        long_context_share: 0.0,
    };
    // Without a long-context tier, expectations are linear part by part.
    if lc.is_none() || random.is_empty() {
        let fixed_total: f64 = parts.iter().map(|(_, d)| d.mean()).sum();
        let p = match lc {
            Some((above, lp)) if fixed_total > above => {
                e.long_context_share = 1.0;
                lp
            }
            _ => base,
        };
        for (role, d) in parts {
            match role {
                Role::Prefix => add_prefix(
                    &mut e,
                    d,
                    1.0,
                    min_cacheable,
                    hit,
                    p,
                    f64::NEG_INFINITY,
                    f64::INFINITY,
                ),
                Role::Variable => {
                    e.tokens[0] += d.mean();
                    e.micro_usd[0] += d.mean() * p.input;
                }
            }
        }
        e.tokens[3] += out_mean;
        e.micro_usd[3] += out_mean * p.output;
        return e;
    }
    let (above, lp) = lc.expect("checked above");
    let x_index = random[0];
    let (x_role, x) = (&parts[x_index].0, &parts[x_index].1);
    let others: f64 = parts
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != x_index)
        .map(|(_, (_, d))| d.mean())
        .sum();
    // Long context iff x > above − others.
    let t_lc = above - others;
    let mut cuts = vec![f64::NEG_INFINITY, t_lc, f64::INFINITY];
    if *x_role == Role::Prefix {
        cuts.push(just_below(min_cacheable));
    }
    cuts.sort_by(f64::total_cmp);
    cuts.dedup();
    for w in cuts.windows(2) {
        let (lo, hi) = (w[0], w[1]);
        let prob = x.cdf(hi) - x.cdf(lo);
        if prob <= 0.0 {
            continue;
        }
        let in_lc = lo >= t_lc;
        let p = if in_lc { lp } else { base };
        if in_lc {
            e.long_context_share += prob;
        }
        // The random part over (lo, hi].
        match x_role {
            Role::Prefix => add_prefix(&mut e, x, 1.0, min_cacheable, hit, p, lo, hi),
            Role::Variable => {
                let pm = x.partial_mean(lo, hi);
                e.tokens[0] += pm;
                e.micro_usd[0] += pm * p.input;
            }
        }
        // The fixed parts and the output, weighted by the interval's probability.
        for (i, (role, d)) in parts.iter().enumerate() {
            if i == x_index {
                continue;
            }
            match role {
                Role::Prefix => {
                    let v = d.mean();
                    let fixed = Dist::Fixed(v);
                    let mut sub = CallExpectation {
                        tokens: [0.0; 4],
                        micro_usd: [0.0; 4],
                        long_context_share: 0.0,
                    };
                    add_prefix(
                        &mut sub,
                        &fixed,
                        1.0,
                        min_cacheable,
                        hit,
                        p,
                        f64::NEG_INFINITY,
                        f64::INFINITY,
                    );
                    for c in 0..4 {
                        e.tokens[c] += prob * sub.tokens[c];
                        e.micro_usd[c] += prob * sub.micro_usd[c];
                    }
                }
                Role::Variable => {
                    e.tokens[0] += prob * d.mean();
                    e.micro_usd[0] += prob * d.mean() * p.input;
                }
            }
        }
        e.tokens[3] += prob * out_mean;
        e.micro_usd[3] += prob * out_mean * p.output;
    }
    e
}

/// The largest float below `x`, so that `(lo, just_below(min)]` excludes `min` itself.
fn just_below(x: f64) -> f64 {
    if x <= 0.0 {
        f64::NEG_INFINITY
    } else {
        x - x * f64::EPSILON * 2.0
    }
}

/// Add the prefix's share over `(lo, hi]`: cacheable prefixes split between cached reads and
/// writes by the hit rate, shorter ones go at the input price.
#[allow(clippy::too_many_arguments)]
fn add_prefix(
    e: &mut CallExpectation,
    prefix: &Dist,
    weight: f64,
    min_cacheable: f64,
    hit: f64,
    p: MeanPrices,
    lo: f64,
    hi: f64,
) {
    let cut = just_below(min_cacheable);
    let below = prefix.partial_mean(lo, hi.min(cut));
    let above = prefix.partial_mean(lo.max(cut), hi).max(0.0);
    // A prefix of 0 tokens is no prefix at all.
    e.tokens[0] += weight * below;
    e.micro_usd[0] += weight * below * p.input;
    e.tokens[1] += weight * above * hit;
    e.micro_usd[1] += weight * above * hit * p.cached;
    e.tokens[2] += weight * above * (1.0 - hit);
    e.micro_usd[2] += weight * above * (1.0 - hit) * p.write;
}

/// Expected requests per month of all workflows.
pub fn requests_per_month(s: &Scenario) -> f64 {
    let mut approx = Approximations::default();
    s.workflows
        .iter()
        .map(|w| {
            traffic(s, w, &mut approx)
                .iter()
                .map(|l| l.requests)
                .sum::<f64>()
        })
        .sum()
}
