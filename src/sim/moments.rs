//! The first two moments of one request's cost, exactly, given a trial's parameters.
//!
//! The fast engine sums many requests; the spread of that sum is the request cost's variance
//! times the count, so the variance must be right even when tokens are heavy-tailed (where a
//! sample estimate can be off by tens of percent). A request's cost is a sum of calls whose
//! number is random but independent of the tokens (retries and escalations depend on rates,
//! not on prompts), and whose costs share the request's prompt. So
//!
//! ```text
//! E[S²] = aux² + 2·aux·Σ E[N_t]E[c_t] + Σ E[N_t](E[c_t²] − E[μ_t²]) + Σ E[N_t N_t′] E[μ_t μ_t′]
//! ```
//!
//! for a step, with `t` the call types (a model, answered or errored), `N_t` their counts (exact
//! moments from the retry chain), `μ_t(X)` a call's expected cost given the prompt `X`. Each
//! `μ_t` is linear in the prompt's parts, piecewise along at most one of them (cache minimum,
//! long-context threshold), so the expectations are closed forms in partial first and second
//! moments. Steps combine through their acceptance, and the semantic cache through its hit rate.
//!
//! The same structure gives the part of the third cumulant that the token distributions carry:
//! κ₃ of `E[S | X]` (a piecewise-linear function of independent prompt parts, from their partial
//! third moments) plus each call's output noise at its expected count. A sample's skewness cannot
//! exceed the square root of its size, so a heavy-tailed prompt (a lognormal with σ = 4 has a
//! skewness of 10¹¹) looks tame in any sample; the closed form does not, and the fast engine's
//! accuracy check uses whichever is larger.

use crate::billing::call::{self, CallRule, Line};
use crate::billing::classes::Meter;
use crate::billing::prices::ModelDraw;
use crate::model::dist::Dist;
use crate::model::prompt::Role;
use crate::model::{Link, RequestPath, Scenario, ServiceTier, Step};
use crate::sim::estimate::Valuation;

/// Mean and second moment of a request's list-price cost, and the part of its third cumulant
/// that its token distributions give in closed form.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Moments {
    pub mean: f64,
    pub second: f64,
    /// Third cumulant of the request's expected cost given its prompts, plus that of the calls'
    /// own outputs at their expected numbers: κ₃(E[S | X]) + Σ E[N_t]·κ₃(output of t). What
    /// retries and escalations add on top (the spread of the call counts) is not included.
    pub third_closed_form: f64,
}

impl Moments {
    pub fn variance(&self) -> f64 {
        (self.second - self.mean * self.mean).max(0.0)
    }

    /// The skewness the closed-form third cumulant gives: a heavy-tailed token distribution's
    /// real skewness, which a sample of any practical size under-reaches (the sample skewness of
    /// n draws cannot exceed √n).
    pub fn closed_form_skewness(&self) -> f64 {
        let var = self.variance();
        if var > 0.0 {
            self.third_closed_form / var.powf(1.5)
        } else {
            0.0
        }
    }
}

/// Moments of a request of workflow `w` on stack `k`, parameters valued by `val`.
pub fn request_moments(s: &Scenario, k: usize, w: usize, val: Valuation<'_>) -> Moments {
    let wf = &s.workflows[w];
    let prices: Vec<ModelDraw> = s
        .models
        .iter()
        .map(|m| ModelDraw::with(m, &|p| val(p)))
        .collect();
    let hit = val(&wf.semantic_cache_hit_rate);
    let lookup = val(&wf.semantic_cache_usd_per_lookup);
    // The walk through the steps: W = Σ 1{reach k} S_k.
    let steps: Vec<StepMoments> = wf
        .steps
        .iter()
        .map(|step| {
            step_moments(
                s,
                step,
                &s.stacks[k].chains[step.route].links,
                &prices,
                wf.path,
                wf.service_tier,
                val,
            )
        })
        .collect();
    let mut walk_mean = 0.0;
    let mut walk_second = 0.0;
    // Steps see independent prompts: their conditional means' third cumulants add.
    let mut walk_third = 0.0;
    let mut reach = 1.0;
    for (i, st) in steps.iter().enumerate() {
        walk_mean += reach * st.mean;
        walk_second += reach * st.second;
        walk_third += reach.powi(3) * st.prompt_third + reach * st.output_third;
        // Cross terms with every later step: S_i counts only when accepted.
        let mut between = 1.0;
        for later in &steps[i + 1..] {
            walk_second += 2.0 * reach * st.mean_if_accepted * between * later.mean;
            between *= later.acceptance;
        }
        reach *= st.acceptance;
    }
    Moments {
        mean: lookup + (1.0 - hit) * walk_mean,
        second: lookup * lookup
            + 2.0 * lookup * (1.0 - hit) * walk_mean
            + (1.0 - hit) * walk_second,
        third_closed_form: (1.0 - hit).powi(3) * walk_third,
    }
}

/// Moments of one step given that the request reaches it.
struct StepMoments {
    mean: f64,
    second: f64,
    /// E[S · 1{step accepted}].
    mean_if_accepted: f64,
    acceptance: f64,
    /// κ₃ of E[S | prompt].
    prompt_third: f64,
    /// Σ E[N_t]·κ₃ of call type t's own output cost.
    output_third: f64,
}

/// Count moments of one chain link's attempts, given that the link is reached.
#[derive(Clone, Copy, Default)]
struct LinkCounts {
    ok: f64,
    err: f64,
    ok2: f64,
    err2: f64,
    ok_err: f64,
    pass: f64,
    ok_pass: f64,
    err_pass: f64,
}

/// Attempts at a link: each errors (e), fails validation (f) or passes; stop at the first pass
/// or after `a` attempts.
fn link_counts(e: f64, f: f64, a: u32) -> LinkCounts {
    let pass = (1.0 - e) * (1.0 - f);
    let q = 1.0 - pass;
    let r = if q > 0.0 { e / q } else { 0.0 };
    let mut c = LinkCounts::default();
    // `m` attempts that did not pass: errors ~ Binomial(m, r), answered = m − errors.
    let moments = |m: f64| {
        let err = m * r;
        let ok = m * (1.0 - r);
        let var = m * r * (1.0 - r);
        (ok, err, var + ok * ok, var + err * err, err * ok - var)
    };
    let mut qj = 1.0; // q^(j−1)
    for j in 1..=a {
        let w = qj * pass;
        let (ok, err, ok2, err2, ok_err) = moments(f64::from(j - 1));
        // The passing attempt is answered: ok + 1.
        c.ok += w * (ok + 1.0);
        c.err += w * err;
        c.ok2 += w * (ok2 + 2.0 * ok + 1.0);
        c.err2 += w * err2;
        c.ok_err += w * (ok_err + err);
        c.pass += w;
        c.ok_pass += w * (ok + 1.0);
        c.err_pass += w * err;
        qj *= q;
    }
    let w = qj; // q^a: no attempt passed
    let (ok, err, ok2, err2, ok_err) = moments(f64::from(a));
    c.ok += w * ok;
    c.err += w * err;
    c.ok2 += w * ok2;
    c.err2 += w * err2;
    c.ok_err += w * ok_err;
    c
}

/// A random part of the prompt, and how one call prices it.
#[derive(Clone, Copy, PartialEq)]
enum Part {
    Prefix,
    /// Priced at the input price (variable prompt, retrieved chunks).
    Text,
    ImageTokens {
        tokens_per_image: f64,
    },
    ImageCount,
    AudioInput,
    /// Calls of tool `i` of the step (not part of the input).
    Tool(usize),
    /// Tokens each further call of an agent loop adds to the input; the coefficient of
    /// iteration `i` is `i` times the input price.
    Growth,
}

impl Part {
    fn counts_toward_input(self) -> bool {
        !matches!(self, Part::ImageCount | Part::Tool(_) | Part::Growth)
    }
}

/// A call's expected cost as a function of the prompt, on one region of the pivot part `Z`:
/// `a + b·Z + Σ β_j·Y_j`, with the call's own noise variance `n0 + n2·Z²`.
#[derive(Clone, Default)]
struct Linear {
    a: Vec<f64>,
    b: Vec<f64>,
    n0: Vec<f64>,
    n2: Vec<f64>,
    beta: Vec<f64>,
    /// Third cumulant of the call's output cost (output, reasoning and audio output tokens).
    n3: Vec<f64>,
}

/// The step's prompt: the pivot `Z` (the one part whose regions matter), its regions, and the
/// other random parts `Y`.
struct Prompt {
    parts: Vec<(Part, Dist)>,
    pivot: Option<usize>,
    /// Region bounds along the pivot, `(lo, hi]`.
    regions: Vec<(f64, f64)>,
    /// P, E[Z], E[Z²] on each region.
    z: Vec<(f64, f64, f64)>,
    /// E[Z³] on each region.
    z3: Vec<f64>,
    /// Random parts other than the pivot.
    others: Vec<usize>,
    /// Per region, whether its prompts exceed the step's input window (refused: they cost
    /// nothing and fail the step).
    refused: Vec<bool>,
}

fn prompt(step: &Step) -> Vec<(Part, Dist)> {
    let mut parts: Vec<(Part, Dist)> = crate::model::prompt::prompt_parts(step)
        .into_iter()
        .map(|(role, d)| {
            let part = match role {
                Role::Prefix => Part::Prefix,
                Role::Text => Part::Text,
                Role::ImageTokens { tokens_per_image } => Part::ImageTokens { tokens_per_image },
                Role::ImageCount => Part::ImageCount,
                Role::AudioInput => Part::AudioInput,
            };
            (part, d)
        })
        .collect();
    for (t, tool) in step.tool_calls.iter().enumerate() {
        parts.push((Part::Tool(t), tool.count.clone()));
    }
    parts.push((Part::Growth, step.context_growth_tokens.clone()));
    parts
}

impl Prompt {
    /// Choose the pivot and cut its regions at every model's cache minimum (when the pivot is
    /// the prefix), long-context threshold (when it can cross it) and at the step's input
    /// `window` (the first model's, which every later one's is at least where the fast engine
    /// runs).
    fn new(step: &Step, models: &[&crate::model::Model], window: f64) -> Prompt {
        let parts = prompt(step);
        let random: Vec<usize> = (0..parts.len())
            .filter(|&i| !parts[i].1.is_fixed())
            .collect();
        // P(the prompt exceeds the window). The window cuts the pivot where one part of the
        // input is random; with several, the fast engine runs only where that share is
        // negligible (or every prompt is refused), and the window is left out.
        let beyond = if window < f64::INFINITY {
            crate::model::prompt::prompt_above(step, 0.0, window)
        } else {
            0.0
        };
        let random_input = random
            .iter()
            .filter(|&&i| parts[i].0.counts_toward_input())
            .count();
        let windowed = random_input == 1 && beyond > 0.0 && beyond < 1.0;
        let crossing = windowed
            || models.iter().any(|m| {
                m.long_context.iter().any(|lc| {
                    let p = crate::model::prompt::prompt_above(step, 0.0, lc.above_input_tokens);
                    p > 1e-9 && p < 1.0 - 1e-9
                })
            });
        let pivot = if !parts[0].1.is_fixed() {
            Some(0)
        } else if crossing {
            random
                .iter()
                .copied()
                .find(|&i| parts[i].0.counts_toward_input())
        } else {
            None
        };
        let mut cuts = vec![f64::NEG_INFINITY, f64::INFINITY];
        if let Some(z) = pivot {
            if parts[z].0 == Part::Prefix {
                cuts.extend(
                    models
                        .iter()
                        .map(|m| call::plain_prefix_limit(m.min_cacheable_tokens)),
                );
            }
            if crossing {
                let others: f64 = parts
                    .iter()
                    .enumerate()
                    .filter(|(i, (p, _))| *i != z && p.counts_toward_input())
                    .map(|(_, (_, d))| d.mean())
                    .sum();
                cuts.extend(models.iter().flat_map(|m| {
                    m.long_context
                        .iter()
                        .map(move |lc| lc.above_input_tokens - others)
                }));
                if windowed && parts[z].0.counts_toward_input() {
                    cuts.push(window - others);
                }
            }
        }
        cuts.sort_by(f64::total_cmp);
        cuts.dedup();
        let regions: Vec<(f64, f64)> = cuts.windows(2).map(|w| (w[0], w[1])).collect();
        let z = match pivot {
            Some(i) => {
                let d = &parts[i].1;
                regions
                    .iter()
                    .map(|&(lo, hi)| {
                        (
                            d.cdf(hi) - d.cdf(lo),
                            d.partial_mean(lo, hi),
                            d.partial_moment2(lo, hi),
                        )
                    })
                    .collect()
            }
            None => vec![(1.0, 0.0, 0.0)],
        };
        let z3 = match pivot {
            Some(i) => regions
                .iter()
                .map(|&(lo, hi)| parts[i].1.partial_moment3(lo, hi))
                .collect(),
            None => vec![0.0],
        };
        let regions = if pivot.is_some() {
            regions
        } else {
            vec![(f64::NEG_INFINITY, f64::INFINITY)]
        };
        let others = random.into_iter().filter(|&i| Some(i) != pivot).collect();
        // Whole input beyond the window: along the pivot above its cut, or the fixed prompt.
        let rest: f64 = parts
            .iter()
            .enumerate()
            .filter(|(i, (p, _))| Some(*i) != pivot && p.counts_toward_input())
            .map(|(_, (_, d))| d.mean())
            .sum();
        let refused = regions
            .iter()
            .map(|&(lo, _)| match pivot {
                Some(z) if windowed && parts[z].0.counts_toward_input() => lo >= window - rest,
                _ => beyond >= 1.0,
            })
            .collect();
        Prompt {
            parts,
            pivot,
            regions,
            z,
            z3,
            others,
            refused,
        }
    }

    /// P(the prompt fits the window).
    fn fits(&self) -> f64 {
        self.z
            .iter()
            .zip(&self.refused)
            .filter(|(_, r)| !**r)
            .map(|((p, _, _), _)| p)
            .sum()
    }

    /// A representative value of the pivot in region `r` (to decide cache and long-context state).
    fn pivot_value(&self, r: usize) -> f64 {
        let (lo, hi) = self.regions[r];
        let (p, m1, _) = self.z[r];
        if p > 0.0 {
            m1 / p
        } else if lo.is_finite() && hi.is_finite() {
            (lo + hi) / 2.0
        } else if hi.is_finite() {
            hi
        } else {
            lo.max(0.0)
        }
    }

    /// `E[f]` for a linear function.
    fn mean(&self, f: &Linear) -> f64 {
        let zpart: f64 = (0..self.z.len())
            .map(|r| f.a[r] * self.z[r].0 + f.b[r] * self.z[r].1)
            .sum();
        zpart
            + self
                .others
                .iter()
                .zip(&f.beta)
                .map(|(&j, b)| b * self.parts[j].1.mean())
                .sum::<f64>()
    }

    /// `E[f·g]`.
    fn product(&self, f: &Linear, g: &Linear) -> f64 {
        let mut total = 0.0;
        for (r, &(p, m1, m2)) in self.z.iter().enumerate() {
            total += f.a[r] * g.a[r] * p
                + (f.a[r] * g.b[r] + g.a[r] * f.b[r]) * m1
                + f.b[r] * g.b[r] * m2;
        }
        let fz: f64 = (0..self.z.len())
            .map(|r| f.a[r] * self.z[r].0 + f.b[r] * self.z[r].1)
            .sum();
        let gz: f64 = (0..self.z.len())
            .map(|r| g.a[r] * self.z[r].0 + g.b[r] * self.z[r].1)
            .sum();
        let means: Vec<f64> = self
            .others
            .iter()
            .map(|&j| self.parts[j].1.mean())
            .collect();
        let seconds: Vec<f64> = self
            .others
            .iter()
            .map(|&j| self.parts[j].1.second_moment())
            .collect();
        for (i, (bf, bg)) in f.beta.iter().zip(&g.beta).enumerate() {
            total += (bf * gz + bg * fz) * means[i] + bf * bg * seconds[i];
            for (j, bgj) in g.beta.iter().enumerate() {
                if i != j {
                    total += bf * bgj * means[i] * means[j];
                }
            }
        }
        total
    }

    /// The third cumulant of a linear function of the prompt: the pivot's piecewise-linear term
    /// and the other parts, independent of it and of each other, add their third cumulants.
    fn third_central(&self, f: &Linear) -> f64 {
        let (mut e1, mut e2, mut e3) = (0.0, 0.0, 0.0);
        for (r, &(p, m1, m2)) in self.z.iter().enumerate() {
            let (a, b, m3) = (f.a[r], f.b[r], self.z3[r]);
            e1 += a * p + b * m1;
            e2 += a * a * p + 2.0 * a * b * m1 + b * b * m2;
            e3 += a * a * a * p + 3.0 * a * a * b * m1 + 3.0 * a * b * b * m2 + b * b * b * m3;
        }
        let pivot = e3 - 3.0 * e1 * e2 + 2.0 * e1 * e1 * e1;
        let others: f64 = self
            .others
            .iter()
            .zip(&f.beta)
            .map(|(&j, b)| b.powi(3) * self.parts[j].1.third_central_capped(None))
            .sum();
        pivot + others
    }

    /// `E[κ₃ of the call's output cost]` over the pivot's regions.
    fn output_third(&self, f: &Linear) -> f64 {
        (0..self.z.len()).map(|r| f.n3[r] * self.z[r].0).sum()
    }

    /// `E[noise]` of a linear function's call.
    fn noise(&self, f: &Linear) -> f64 {
        (0..self.z.len())
            .map(|r| f.n0[r] * self.z[r].0 + f.n2[r] * self.z[r].2)
            .sum()
    }
}

/// One call type: a mixture of linear components (a flex call may be re-sent at standard).
struct CallType {
    components: Vec<(f64, Linear)>,
}

impl CallType {
    /// Add `weight` times this call's expected cost as a function of the prompt to `into`.
    fn add_to(&self, into: &mut Linear, weight: f64) {
        for (w, f) in &self.components {
            into.add(f, weight * w);
        }
    }

    fn output_third(&self, pr: &Prompt) -> f64 {
        self.components
            .iter()
            .map(|(w, f)| w * pr.output_third(f))
            .sum()
    }

    fn mean(&self, pr: &Prompt) -> f64 {
        self.components.iter().map(|(w, f)| w * pr.mean(f)).sum()
    }

    /// E[c²]: the call's own second moment, prompt and noise included.
    fn second(&self, pr: &Prompt) -> f64 {
        self.components
            .iter()
            .map(|(w, f)| w * (pr.product(f, f) + pr.noise(f)))
            .sum()
    }

    /// E[μ·μ′] over the prompt, for two calls sharing it.
    fn cross(&self, other: &CallType, pr: &Prompt) -> f64 {
        let mut total = 0.0;
        for (w, f) in &self.components {
            for (v, g) in &other.components {
                total += w * v * pr.product(f, g);
            }
        }
        total
    }
}

/// Build the linear function of one call at `prices` for every region.
#[allow(clippy::too_many_arguments)]
fn linear(
    pr: &Prompt,
    step: &Step,
    model: &crate::model::Model,
    draw: &ModelDraw,
    tier: ServiceTier,
    hit: f64,
    keep: f64,
    answered: bool,
    tool_fees: &[f64],
    iteration: f64,
) -> Linear {
    let n = pr.regions.len();
    let mut f = Linear::zero(pr);
    let input_mean_others: f64 = pr
        .parts
        .iter()
        .enumerate()
        .filter(|(i, (p, _))| Some(*i) != pr.pivot && p.counts_toward_input())
        .map(|(_, (_, d))| d.mean())
        .sum::<f64>()
        + iteration * step.context_growth_tokens.mean();
    let capped = |d: &Dist, cap: Option<f64>| match cap {
        Some(c) => {
            let m = d.mean_capped(c);
            // E[min(X, c)²] = E[X²; X ≤ c] + c²·P(X > c).
            let m2 = d.partial_moment2(f64::NEG_INFINITY, c) + c * c * (1.0 - d.cdf(c));
            (m, (m2 - m * m).max(0.0))
        }
        None => (d.mean(), d.variance()),
    };
    let (o_mean, o_var) = capped(&step.output_tokens, step.max_output_tokens);
    let (r_mean, r_var) = capped(&step.reasoning_tokens, step.max_reasoning_tokens);
    let (ao_mean, ao_var) = (
        step.audio_output_tokens.mean(),
        step.audio_output_tokens.variance(),
    );
    let o_k3 = step
        .output_tokens
        .third_central_capped(step.max_output_tokens);
    let r_k3 = step
        .reasoning_tokens
        .third_central_capped(step.max_reasoning_tokens);
    let ao_k3 = step.audio_output_tokens.third_central_capped(None);
    let usd = keep / 1e6;
    for r in 0..n {
        if pr.refused[r] {
            // Refused by the provider: the call costs nothing.
            continue;
        }
        let zval = pr.pivot_value(r);
        let total_input = match pr.pivot {
            Some(z) if pr.parts[z].0.counts_toward_input() => zval + input_mean_others,
            _ => input_mean_others,
        };
        let rule = CallRule::new(draw.prices(tier, total_input), step.cache_ttl);
        // Prefix: the pivot, or a fixed amount.
        let prefix_value = if pr.pivot == Some(0) {
            zval
        } else {
            pr.parts[0].1.mean()
        };
        let (prefix_price, prefix_noise) =
            if call::cacheable(prefix_value, model.min_cacheable_tokens) {
                rule.cacheable_prefix_price(hit)
            } else {
                (rule.price(Line::Input), 0.0)
            };
        for (i, (part, d)) in pr.parts.iter().enumerate() {
            let price = match *part {
                Part::Prefix => prefix_price,
                Part::Text => rule.price(Line::Input),
                Part::AudioInput => rule.price(Line::AudioInput),
                Part::ImageTokens { tokens_per_image } => rule.image_token_price(tokens_per_image),
                Part::ImageCount => rule.price(Line::Images),
                Part::Tool(_) => 0.0,
                Part::Growth => iteration * rule.price(Line::Input),
            } * usd;
            let price = match *part {
                Part::Tool(t) if answered => tool_fees[t],
                Part::Tool(_) => 0.0,
                _ => price,
            };
            if Some(i) == pr.pivot {
                f.b[r] += price;
                if *part == Part::Prefix {
                    f.n2[r] += prefix_noise * usd * usd;
                }
            } else if let Some(j) = pr.others.iter().position(|&o| o == i) {
                // Random parts off the pivot: region-independent coefficients (a random prefix is
                // always the pivot, so its cache state never varies here).
                if r == 0 {
                    f.beta[j] = price;
                }
            } else {
                let v = d.mean();
                f.a[r] += price * v;
                if *part == Part::Prefix {
                    f.n0[r] += prefix_noise * usd * usd * v * v;
                }
            }
        }
        if answered {
            let (output, reasoning, audio_output) = (
                rule.price(Line::Output),
                rule.price(Line::Reasoning),
                rule.price(Line::AudioOutput),
            );
            f.a[r] += (o_mean * output + r_mean * reasoning + ao_mean * audio_output) * usd;
            f.n0[r] += (o_var * output.powi(2)
                + r_var * reasoning.powi(2)
                + ao_var * audio_output.powi(2))
                * usd
                * usd;
            f.n3[r] +=
                (o_k3 * output.powi(3) + r_k3 * reasoning.powi(3) + ao_k3 * audio_output.powi(3))
                    * usd.powi(3);
        }
    }
    f
}

/// The first three moments of one step's cost per request reaching it. One function because
/// the count moments of a walk along the chain (reach, attempts, escalations, as closures over a
/// dozen per-walk vectors) and the sums over the agent loop's iterations that use them are one
/// formula; splitting it would pass those vectors around without making either half readable.
#[allow(clippy::too_many_arguments)]
fn step_moments(
    s: &Scenario,
    step: &Step,
    links: &[Link],
    prices: &[ModelDraw],
    path: RequestPath,
    tier: ServiceTier,
    val: Valuation<'_>,
) -> StepMoments {
    let models: Vec<&crate::model::Model> = links.iter().map(|l| &s.models[l.model]).collect();
    // The first model's window: a longer prompt is refused at the step's first call and the
    // request fails (the fast engine runs only where no later model's window is smaller).
    let window = models
        .first()
        .and_then(|m| m.max_input_tokens)
        .unwrap_or(f64::INFINITY);
    let pr = Prompt::new(step, &models, window);
    let hit = val(&step.cache_hit_rate);
    let tool_fees: Vec<f64> = step
        .tool_calls
        .iter()
        .map(|t| val(&t.usd_per_call))
        .collect();
    let aux = val(&step.aux_usd_per_request);
    // Calls of the step per request (agent loops): P(N > i).
    let mut above: Vec<f64> = Vec::new();
    for i in 0..=step.calls.quantity_bound() {
        let q = crate::model::prompt::count_above(&step.calls, i);
        if q <= 1e-15 {
            break;
        }
        above.push(q);
    }
    let iterations = above.len();
    // Call types per iteration: answered and errored, per link.
    let types = call_types(
        s, step, links, prices, path, tier, &pr, hit, &tool_fees, iterations,
    );
    // Count moments of one walk along the chain.
    let n = links.len();
    let counts: Vec<LinkCounts> = links
        .iter()
        .map(|l| {
            link_counts(
                val(&l.provider_error_rate),
                val(&l.validation_failure_rate),
                l.max_attempts,
            )
        })
        .collect();
    let escalate: Vec<f64> = links
        .iter()
        .enumerate()
        .map(|(i, l)| {
            if i + 1 < n {
                val(&l.escalation_rate)
            } else {
                0.0
            }
        })
        .collect();
    let move_on: Vec<f64> = (0..n)
        .map(|i| {
            if i + 1 < n {
                (1.0 - counts[i].pass) + counts[i].pass * escalate[i]
            } else {
                0.0
            }
        })
        .collect();
    let mut reach = vec![1.0; n];
    for i in 1..n {
        reach[i] = reach[i - 1] * move_on[i - 1];
    }
    let first = |i: usize, ok: bool| if ok { counts[i].ok } else { counts[i].err };
    let with_pass = |i: usize, ok: bool| {
        if ok {
            counts[i].ok_pass
        } else {
            counts[i].err_pass
        }
    };
    let with_move =
        |i: usize, ok: bool| (first(i, ok) - with_pass(i, ok)) + escalate[i] * with_pass(i, ok);
    let accepted_after: Vec<f64> = (0..n)
        .map(|i| {
            (i + 1..n)
                .map(|j| reach[j] * counts[j].pass * (1.0 - escalate[j]))
                .sum()
        })
        .collect();
    let p: f64 = (0..n)
        .map(|i| reach[i] * counts[i].pass * (1.0 - escalate[i]))
        .sum();
    let idx = |t: usize| (t / 2, t.is_multiple_of(2));
    let nt = 2 * n;
    // Per walk: E[N_t], E[N_t·1{accepted}], E[N_t·N_u].
    let mean_n: Vec<f64> = (0..nt)
        .map(|t| {
            let (i, ok) = idx(t);
            reach[i] * first(i, ok)
        })
        .collect();
    let acc_n: Vec<f64> = (0..nt)
        .map(|t| {
            let (i, ok) = idx(t);
            reach[i] * with_pass(i, ok) * (1.0 - escalate[i])
                + if move_on[i] > 0.0 {
                    with_move(i, ok) / move_on[i] * accepted_after[i]
                } else {
                    0.0
                }
        })
        .collect();
    let pair_n = |t: usize, u: usize| -> f64 {
        let ((i, ok), (j, ok2)) = (idx(t), idx(u));
        if i == j {
            let c = &counts[i];
            reach[i]
                * match (ok, ok2) {
                    (true, true) => c.ok2,
                    (false, false) => c.err2,
                    _ => c.ok_err,
                }
        } else if i < j {
            if move_on[i] > 0.0 {
                with_move(i, ok) / move_on[i] * reach[j] * first(j, ok2)
            } else {
                0.0
            }
        } else if move_on[j] > 0.0 {
            with_move(j, ok2) / move_on[j] * reach[i] * first(i, ok)
        } else {
            0.0
        }
    };
    // p^k for every k an iteration reaches: the loops below would otherwise raise p to a power
    // O(iterations²) times, most of the time taken by a loop of thousands of calls.
    let power: Vec<f64> = (0..=iterations).map(|k| p.powi(k as i32)).collect();
    // Iterations: iteration i runs when N > i and every earlier one was accepted.
    let exactly = |k: usize| {
        if k == 0 {
            1.0 - above.first().copied().unwrap_or(0.0)
        } else {
            above[k - 1] - above.get(k).copied().unwrap_or(0.0)
        }
    };
    // Iterations past the first accept only a prompt that fits the window.
    let fits = pr.fits();
    let acceptance: f64 =
        exactly(0) + fits * (1..=iterations).map(|k| exactly(k) * power[k]).sum::<f64>();
    let call_mean: Vec<Vec<f64>> = types
        .iter()
        .map(|ts| ts.iter().map(|c| c.mean(&pr)).collect())
        .collect();
    let mut mean = aux;
    let mut second = aux * aux;
    let mut if_accepted = aux * acceptance;
    // E[S | prompt] as one linear function of the prompt, and the outputs' third cumulants.
    let mut conditional = Linear::zero(&pr);
    let mut output_third = 0.0;
    for it in 0..iterations {
        let run = above[it] * power[it];
        for t in 0..nt {
            types[it][t].add_to(&mut conditional, run * mean_n[t]);
            output_third += run * mean_n[t] * types[it][t].output_third(&pr);
        }
        // Σ_{n > it} P(N = n)·p^(n−1): iteration `it` counted in an accepted step.
        let in_accepted: f64 = (it + 1..=iterations)
            .map(|k| exactly(k) * power[k - 1])
            .sum();
        for t in 0..nt {
            let c = call_mean[it][t];
            mean += run * mean_n[t] * c;
            second += 2.0 * aux * run * mean_n[t] * c;
            second += run
                * mean_n[t]
                * (types[it][t].second(&pr) - types[it][t].cross(&types[it][t], &pr));
            if_accepted += in_accepted * acc_n[t] * c;
            for jt in it..iterations {
                for u in 0..nt {
                    let nn = if jt == it {
                        run * pair_n(t, u)
                    } else {
                        // Iteration `it` accepted, those between accepted, `jt` runs.
                        2.0 * above[jt] * power[it] * acc_n[t] * power[jt - it - 1] * mean_n[u]
                    };
                    if nn != 0.0 {
                        second += nn * types[it][t].cross(&types[jt][u], &pr);
                    }
                }
            }
        }
    }
    StepMoments {
        mean,
        second,
        mean_if_accepted: if_accepted,
        acceptance,
        prompt_third: pr.third_central(&conditional),
        output_third,
    }
}

/// The call types of each of a step's `iterations` agent-loop iterations: per link, an answered
/// call and an errored one, each a mixture over the tiers the call is billed at.
#[allow(clippy::too_many_arguments)]
fn call_types(
    s: &Scenario,
    step: &Step,
    links: &[Link],
    prices: &[ModelDraw],
    path: RequestPath,
    tier: ServiceTier,
    pr: &Prompt,
    hit: f64,
    tool_fees: &[f64],
    iterations: usize,
) -> Vec<Vec<CallType>> {
    (0..iterations)
        .map(|i| {
            let mut types = Vec::with_capacity(2 * links.len());
            for link in links {
                let model = &s.models[link.model];
                let draw = &prices[link.model];
                let keep = call::batch_keep(draw, path == RequestPath::Batch);
                let mix = |answered: bool| -> CallType {
                    let at = |t: ServiceTier| {
                        linear(
                            pr, step, model, draw, t, hit, keep, answered, tool_fees, i as f64,
                        )
                    };
                    if !call::billed(Meter::Input, !answered, link.error_billing) {
                        return CallType {
                            components: vec![(1.0, at(ServiceTier::Standard).zeroed())],
                        };
                    }
                    // A refused flex call is billed at standard: a mixture of the two.
                    CallType {
                        components: call::billed_tiers(tier, draw)
                            .as_slice()
                            .iter()
                            .map(|&(w, t)| (w, at(t)))
                            .collect(),
                    }
                };
                types.push(mix(true));
                types.push(mix(false));
            }
            types
        })
        .collect()
}

impl Linear {
    /// The zero function on the prompt's regions.
    fn zero(pr: &Prompt) -> Linear {
        let n = pr.regions.len();
        Linear {
            a: vec![0.0; n],
            b: vec![0.0; n],
            n0: vec![0.0; n],
            n2: vec![0.0; n],
            beta: vec![0.0; pr.others.len()],
            n3: vec![0.0; n],
        }
    }

    /// `self += w·g` for the expected cost (the noise terms are not added).
    fn add(&mut self, g: &Linear, w: f64) {
        for (x, y) in self.a.iter_mut().zip(&g.a) {
            *x += w * y;
        }
        for (x, y) in self.b.iter_mut().zip(&g.b) {
            *x += w * y;
        }
        for (x, y) in self.beta.iter_mut().zip(&g.beta) {
            *x += w * y;
        }
    }

    fn zeroed(mut self) -> Linear {
        for v in [
            &mut self.a,
            &mut self.b,
            &mut self.n0,
            &mut self.n2,
            &mut self.beta,
            &mut self.n3,
        ] {
            v.iter_mut().for_each(|x| *x = 0.0);
        }
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn link_counts_match_enumeration_of_a_two_attempt_link() {
        // e = 0.2, f = 0.5, a = 2. Outcomes of attempt: E .2, F .4, P .4.
        let c = link_counts(0.2, 0.5, 2);
        // Sequences: P (.4): ok 1; EP (.08): ok1 err1; FP (.16): ok2; EE (.04): err2; EF (.08): ok1 err1;
        // FE (.08): ok1 err1; FF (.16): ok2.
        let seqs = [
            (0.4, 1.0, 0.0, true),
            (0.08, 1.0, 1.0, true),
            (0.16, 2.0, 0.0, true),
            (0.04, 0.0, 2.0, false),
            (0.08, 1.0, 1.0, false),
            (0.08, 1.0, 1.0, false),
            (0.16, 2.0, 0.0, false),
        ];
        let e = |g: &dyn Fn(f64, f64, bool) -> f64| {
            seqs.iter()
                .map(|&(p, ok, err, pass)| p * g(ok, err, pass))
                .sum::<f64>()
        };
        let close = |a: f64, b: f64| assert!((a - b).abs() < 1e-12, "{a} vs {b}");
        close(c.ok, e(&|ok, _, _| ok));
        close(c.err, e(&|_, err, _| err));
        close(c.ok2, e(&|ok, _, _| ok * ok));
        close(c.err2, e(&|_, err, _| err * err));
        close(c.ok_err, e(&|ok, err, _| ok * err));
        close(c.pass, e(&|_, _, pass| f64::from(u8::from(pass))));
        close(c.ok_pass, e(&|ok, _, pass| if pass { ok } else { 0.0 }));
        close(c.err_pass, e(&|_, err, pass| if pass { err } else { 0.0 }));
    }
}
