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
use crate::engine::CostBreakdown;
use crate::engine::draw::{ModelDraw, PriceDraw};
use crate::model::{
    Arrivals, CacheTtl, Link, RequestPath, Scenario, ServiceTier, SessionRate, Step, day_weights,
};

/// One line of a call's arithmetic: `quantity × unit price = dollars`.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct CostLine {
    /// What is billed: "input", "cached input", "cache write (1h)", "image", a tool's name, …
    pub label: String,
    /// The [`CostBreakdown`] class the dollars count toward.
    pub class: &'static str,
    /// Expected quantity per call.
    pub quantity: f64,
    /// "tokens", "images" or "tool calls".
    pub unit: &'static str,
    /// Effective unit price (blended across long-context and flex tiers): USD per million
    /// tokens, per image or per tool call.
    pub unit_price_usd: f64,
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
    /// Expected monthly dollars by billing class.
    pub by_class_usd: CostBreakdown,
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
            let mut by_class = [0.0; CostBreakdown::LEN];
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
                            let est = step_estimate(
                                s,
                                step,
                                &chain.links,
                                batch,
                                w.service_tier,
                                reach,
                                &mut approx,
                            );
                            for link in &est.links {
                                for line in &link.lines {
                                    let i = CostBreakdown::NAMES
                                        .iter()
                                        .position(|c| *c == line.class)
                                        .expect("lines name breakdown classes");
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
                by_class_usd: CostBreakdown::from_array(by_class),
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
    tier: ServiceTier,
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
            let lines = expected_call(s, model, step, hit, tier, batch_factor, approx);
            let long_context_share = long_context_share(model, step);
            let per_call: f64 = lines.iter().map(|l| l.usd).sum();
            let est = LinkEstimate {
                model: model.name.clone(),
                reach_probability: reach,
                calls_per_request: reach * calls,
                lines,
                long_context_share,
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

/// Which part of the prompt a random quantity is, and so how it is priced.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Role {
    /// The static prefix: cached, written or plain input depending on its size and the hit rate.
    Prefix,
    /// Variable prompt and retrieved chunks: the input price.
    Text,
    /// Image tokens (`tokens_per_image` > 0): per token, or per image.
    ImageTokens {
        tokens_per_image: f64,
    },
    /// Images that carry no tokens: only a per-image price applies.
    ImageCount,
    AudioInput,
}

impl Role {
    /// Whether the part counts toward the long-context threshold.
    fn counts_toward_input(self) -> bool {
        self != Role::ImageCount
    }
}

/// Per-call quantities and micro-dollars (USD × 10⁶, before any batch discount) by line.
#[derive(Clone, Copy, Debug, Default)]
struct Lines {
    quantity: [f64; Line::COUNT],
    micro: [f64; Line::COUNT],
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

    fn class(self) -> &'static str {
        match self {
            Line::Input => "input",
            Line::CachedInput => "cached_input",
            Line::CacheWrite => "cache_write",
            Line::Output => "output",
            Line::Reasoning => "reasoning",
            Line::ImageTokens | Line::Images => "image",
            Line::AudioInput | Line::AudioOutput => "audio",
        }
    }

    fn label(self, ttl: CacheTtl) -> &'static str {
        match self {
            Line::Input => "input",
            Line::CachedInput => "cached input",
            Line::CacheWrite if ttl == CacheTtl::OneHour => "cache write 1h",
            Line::CacheWrite => "cache write",
            Line::Output => "output",
            Line::Reasoning => "reasoning",
            Line::ImageTokens => "image",
            Line::Images => "images",
            Line::AudioInput => "audio input",
            Line::AudioOutput => "audio output",
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
    }

    fn add_scaled(&mut self, o: &Lines, w: f64) {
        for i in 0..Line::COUNT {
            self.quantity[i] += w * o.quantity[i];
            self.micro[i] += w * o.micro[i];
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
    step: &Step,
    hit: f64,
    tier: ServiceTier,
    batch_factor: f64,
    approx: &mut Approximations,
) -> Vec<CostLine> {
    let prices = ModelDraw::at_means(model);
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
    let parts = prompt_parts(step);
    let at_tier = |t: ServiceTier, approx: &mut Approximations| {
        call_lines(&parts, step, &prices, t, ctx, approx)
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
            CostLine {
                label: line.label(step.cache_ttl).to_string(),
                class: line.class(),
                quantity: q,
                unit: line.unit(),
                unit_price_usd: if q > 0.0 {
                    m / q / line.price_scale()
                } else {
                    0.0
                },
                usd: m / 1e6 * batch_factor,
            }
        })
        .collect();
    for t in &step.tool_calls {
        let calls = t.count.mean();
        let fee = t.usd_per_call.mean();
        out.push(CostLine {
            label: s.tools[t.tool].clone(),
            class: "tool_fees",
            quantity: calls,
            unit: "tool calls",
            unit_price_usd: fee,
            usd: calls * fee,
        });
    }
    out
}

/// The random and fixed parts of a step's prompt.
fn prompt_parts(step: &Step) -> Vec<(Role, Dist)> {
    let mut parts = vec![
        (Role::Prefix, step.static_prefix_tokens.clone()),
        (Role::Text, step.input_tokens.clone()),
        (Role::AudioInput, step.audio_input_tokens.clone()),
    ];
    if let Some(r) = &step.retrieval {
        // chunks × chunk size: a named family when one factor is fixed; otherwise its mean,
        // which is exact without a long-context tier (the only place the product's shape matters).
        let product = match (r.chunks.fixed_value(), r.chunk_tokens.fixed_value()) {
            (Some(c), Some(t)) => Dist::Fixed(c * t),
            (Some(c), None) => r
                .chunk_tokens
                .scaled(c)
                .unwrap_or(Dist::Fixed(c * r.chunk_tokens.mean())),
            (None, Some(t)) => r
                .chunks
                .scaled(t)
                .unwrap_or(Dist::Fixed(t * r.chunks.mean())),
            (None, None) => Dist::Fixed(r.chunks.mean() * r.chunk_tokens.mean()),
        };
        parts.push((Role::Text, product));
    }
    if let Some(i) = &step.images {
        if i.tokens_per_image > 0.0 {
            let tokens = i
                .count
                .scaled(i.tokens_per_image)
                .unwrap_or(Dist::Fixed(i.count.mean() * i.tokens_per_image));
            parts.push((
                Role::ImageTokens {
                    tokens_per_image: i.tokens_per_image,
                },
                tokens,
            ));
        } else {
            parts.push((Role::ImageCount, i.count.clone()));
        }
    }
    parts
}

/// Expected lines of one call at one service tier.
fn call_lines(
    parts: &[(Role, Dist)],
    step: &Step,
    prices: &ModelDraw,
    tier: ServiceTier,
    ctx: Context,
    approx: &mut Approximations,
) -> Lines {
    if let Some(r) = &step.retrieval
        && prices.long_context_above.is_some()
        && !r.chunks.is_fixed()
        && !r.chunk_tokens.is_fixed()
    {
        approx.note("random chunk count and chunk size near a long-context threshold: their product is taken at its mean".to_string());
    }
    let random: Vec<usize> = (0..parts.len())
        .filter(|&i| parts[i].0.counts_toward_input() && !parts[i].1.is_fixed())
        .collect();
    if prices.long_context_above.is_none() || random.len() <= 1 {
        return exact_lines(parts, random.first().copied(), step, prices, tier, ctx);
    }
    // Several random parts near a threshold: integrate all but the last on a quantile grid.
    approx.note(
        "several random prompt parts near a long-context threshold: integrated by quadrature"
            .to_string(),
    );
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
            &exact_lines(&fixed, Some(last[0]), step, prices, tier, ctx),
            weight,
        );
    }
    acc
}

/// Exact expected lines when at most one part that counts toward the input is random (`x`):
/// the cost is then piecewise linear in that part, with pieces cut at the long-context
/// threshold and, for the prefix, at the cache minimum.
fn exact_lines(
    parts: &[(Role, Dist)],
    x: Option<usize>,
    step: &Step,
    prices: &ModelDraw,
    tier: ServiceTier,
    ctx: Context,
) -> Lines {
    let mut lines = Lines::default();
    let others: f64 = parts
        .iter()
        .enumerate()
        .filter(|(i, (role, _))| Some(*i) != x && role.counts_toward_input())
        .map(|(_, (_, d))| d.mean())
        .sum();
    let above = prices.long_context_above.unwrap_or(f64::INFINITY);
    // Regions of x: (lo, hi], each with one long-context state.
    let mut cuts = vec![f64::NEG_INFINITY, f64::INFINITY];
    if let Some(xi) = x {
        cuts.push(above - others);
        if parts[xi].0 == Role::Prefix {
            cuts.push(just_below(ctx.min_cacheable));
        }
    }
    cuts.sort_by(f64::total_cmp);
    cuts.dedup();
    for w in cuts.windows(2) {
        let (lo, hi) = (w[0], w[1]);
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
                Some(per_image) => lines.add(
                    Line::Images,
                    w * m / tokens_per_image,
                    w * m / tokens_per_image * per_image * 1e6,
                ),
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

/// Probability that a call of `step` on `model` is priced at long-context rates (exact with at
/// most one random part of the prompt; otherwise a normal approximation of the whole input).
fn long_context_share(model: &crate::model::Model, step: &Step) -> f64 {
    let Some(lc) = &model.long_context else {
        return 0.0;
    };
    let parts = prompt_parts(step);
    let counted: Vec<&Dist> = parts
        .iter()
        .filter(|(r, _)| r.counts_toward_input())
        .map(|(_, d)| d)
        .collect();
    let random: Vec<&&Dist> = counted.iter().filter(|d| !d.is_fixed()).collect();
    let mean: f64 = counted.iter().map(|d| d.mean()).sum();
    match random.as_slice() {
        [] => f64::from(u8::from(mean > lc.above_input_tokens)),
        [x] => 1.0 - x.cdf(lc.above_input_tokens - (mean - x.mean())),
        _ => {
            let sd: f64 = random.iter().map(|d| d.variance()).sum::<f64>().sqrt();
            let z = (lc.above_input_tokens - mean) / sd;
            1.0 - statrs::distribution::ContinuousCDF::cdf(
                &statrs::distribution::Normal::standard(),
                z,
            )
        }
    }
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
