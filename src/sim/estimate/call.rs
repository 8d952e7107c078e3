//! The expected arithmetic of one call: the per-call rule of `billing::call` integrated over a
//! step's prompt. The cost of a call is linear in its prompt's parts between the points where its
//! pricing changes (the long-context threshold, the cache minimum, the model's window), so the
//! expectation is exact where at most one part is random, or where all but one take finitely
//! many values (summed over them), and a quadrature over the others otherwise; each line keeps
//! `quantity × unit price = dollars` for the report.

use super::report::CostLine;
use crate::billing::call::{self, CallLines, CallRule, Line};
use crate::billing::classes::{CostClass, Meter};
use crate::billing::prices::ModelDraw;
use crate::model::dist::Dist;
use crate::model::prompt::{
    Role, for_each_node, grid_size, nodes, prompt_above, prompt_parts, quadrature_order,
};
use crate::model::traffic::Approximations;
use crate::model::{CacheTtl, ErrorBilling, Param, Scenario, ServiceTier, Step};

/// How a parameter is valued: at its mean for `estimate`, at a trial's draw for the fast engine.
pub type Valuation<'a> = &'a dyn Fn(&Param) -> f64;

/// The mean of a parameter.
pub fn at_mean(p: &Param) -> f64 {
    p.mean()
}

/// The lines a call that fails at the provider bills under `error_billing`: its input lines or
/// nothing.
pub(super) fn errored_lines(lines: &[CostLine], error_billing: ErrorBilling) -> Vec<CostLine> {
    lines
        .iter()
        .filter(|l| call::billed(l.meter, true, error_billing))
        .cloned()
        .collect()
}

/// What pricing a part needs besides the prices.
#[derive(Clone, Copy)]
struct Context {
    min_cacheable: f64,
    hit: f64,
    ttl: CacheTtl,
}

/// The expected arithmetic of one call of `step` on `model` over the prompts its window lets
/// through (`E[lines · 1{input ≤ limit}]`): token lines, then tool fees.
#[allow(clippy::too_many_arguments)]
pub(super) fn expected_call(
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
        && (tier != ServiceTier::Standard || !model.long_context.is_empty())
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
    let lines = match call::billed_tiers(tier, prices).as_slice() {
        [(_, t)] => at_tier(*t, approx),
        mix => {
            let mut l = CallLines::default();
            for (w, t) in mix {
                l.add_scaled(&at_tier(*t, approx), *w);
            }
            l
        }
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
                usd: call::usd(m, batch_factor),
                tokens: lines.tokens[line as usize],
                meter,
            }
        })
        .collect();
    // Tools are called by the prompts the window lets through, as the token lines are counted.
    let fits = if limit < f64::INFINITY {
        1.0 - prompt_above(step, extra_input, limit)
    } else {
        1.0
    };
    for t in &step.tool_calls {
        let calls = t.count.mean() * fits;
        let fee = val(&t.usd_per_call);
        out.push(CostLine {
            label: s.tools[t.tool].clone(),
            class: CostClass::ToolFees,
            quantity: calls,
            unit: "tool calls",
            unit_price_usd: fee,
            usd: call::tool_fee(calls, fee),
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
) -> CallLines {
    if let Some(r) = &step.retrieval
        && (prices.has_long_context() || limit < f64::INFINITY)
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
    if (!prices.has_long_context() && !windowed) || random.len() <= 1 {
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
    // Several random parts near a threshold: all but the last summed over their values where
    // they take finitely many (exact), integrated on a quantile grid otherwise.
    let dists: Vec<&Dist> = random.iter().map(|&i| &parts[i].1).collect();
    let order = quadrature_order(&dists);
    let (last, head) = order.split_last().expect("several random parts");
    let k = grid_size(head.len());
    let nodes: Vec<(Vec<(f64, f64)>, bool)> = head.iter().map(|&h| nodes(dists[h], k)).collect();
    if nodes.iter().any(|(_, exact)| !exact) {
        approx.note(if prices.has_long_context() {
            "several random prompt parts near a long-context threshold: integrated by quadrature"
                .to_string()
        } else {
            "several random prompt parts near a model's input window: integrated by quadrature"
                .to_string()
        });
    }
    let nodes: Vec<Vec<(f64, f64)>> = nodes.into_iter().map(|(n, _)| n).collect();
    let mut acc = CallLines::default();
    let mut fixed = parts.to_vec();
    for_each_node(&nodes, |weight, values| {
        for (&h, v) in head.iter().zip(values) {
            fixed[random[h]].1 = Dist::Fixed(*v);
        }
        acc.add_scaled(
            &exact_lines(&fixed, Some(random[*last]), step, prices, tier, ctx, limit),
            weight,
        );
    });
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
) -> CallLines {
    let mut lines = CallLines::default();
    let others: f64 = parts
        .iter()
        .enumerate()
        .filter(|(i, (role, _))| Some(*i) != x && role.counts_toward_input())
        .map(|(_, (_, d))| d.mean())
        .sum();
    if x.is_none() && others > limit {
        return lines;
    }
    // Regions of x: (lo, hi], each with one long-context state.
    let mut cuts = vec![f64::NEG_INFINITY, f64::INFINITY];
    if let Some(xi) = x {
        cuts.extend(prices.long_context_above.iter().map(|above| above - others));
        if parts[xi].0 == Role::Prefix {
            cuts.push(call::plain_prefix_limit(ctx.min_cacheable));
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
        // The long-context level of the region: thresholds at or below its lower end.
        let (prob, level) = match x {
            Some(xi) => (
                parts[xi].1.cdf(hi) - parts[xi].1.cdf(lo),
                prices
                    .long_context_above
                    .iter()
                    .filter(|&&above| lo >= above - others)
                    .count(),
            ),
            None => (1.0, prices.level(others)),
        };
        if prob <= 0.0 {
            continue;
        }
        let rule = CallRule::new(prices.prices_at(tier, level), ctx.ttl);
        for (i, (role, dist)) in parts.iter().enumerate() {
            if Some(i) == x {
                add_part(&mut lines, *role, dist, lo, hi, 1.0, &rule, ctx);
            } else {
                add_part(
                    &mut lines,
                    *role,
                    dist,
                    f64::NEG_INFINITY,
                    f64::INFINITY,
                    prob,
                    &rule,
                    ctx,
                );
            }
        }
        let capped =
            |d: &Dist, cap: Option<f64>| cap.map_or_else(|| d.mean(), |c| d.mean_capped(c));
        let output = capped(&step.output_tokens, step.max_output_tokens);
        let reasoning = capped(&step.reasoning_tokens, step.max_reasoning_tokens);
        let audio_out = step.audio_output_tokens.mean();
        rule.produced(
            &mut lines,
            prob * output,
            prob * reasoning,
            prob * audio_out,
        );
    }
    lines
}

/// Add part `dist` over `(lo, hi]`, weighted by `w`, priced by `rule`.
#[allow(clippy::too_many_arguments)]
fn add_part(
    lines: &mut CallLines,
    role: Role,
    dist: &Dist,
    lo: f64,
    hi: f64,
    w: f64,
    rule: &CallRule<'_>,
    ctx: Context,
) {
    match role {
        Role::Prefix => {
            // A prefix below the cache minimum is plain input: neither read nor written.
            let cut = call::plain_prefix_limit(ctx.min_cacheable);
            let below = dist.partial_mean(lo, hi.min(cut));
            let cacheable = dist.partial_mean(lo.max(cut), hi).max(0.0);
            rule.prefix(lines, w * below, w * cacheable, ctx.hit);
        }
        Role::Text => rule.text(lines, w * dist.partial_mean(lo, hi)),
        Role::ImageTokens { tokens_per_image } => {
            let m = dist.partial_mean(lo, hi);
            rule.images(lines, w * m / tokens_per_image, Some(w * m));
        }
        Role::ImageCount => rule.images(lines, w * dist.partial_mean(lo, hi), None),
        Role::AudioInput => rule.audio_input(lines, w * dist.partial_mean(lo, hi)),
    }
}
