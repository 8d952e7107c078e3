//! A step's prompt as the sum of its random parts (static prefix, variable text, retrieved chunks,
//! images, audio), and the probabilities that its size passes a threshold: a long-context tier,
//! an input window. Pricing integrates over these parts; validation warns with them.

use crate::model::dist::Dist;
use crate::model::{Model, Step};

/// Which part of the prompt a random quantity is, and so how it is priced.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Role {
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
    pub(crate) fn counts_toward_input(self) -> bool {
        self != Role::ImageCount
    }
}

/// The random and fixed parts of a step's prompt.
pub(crate) fn prompt_parts(step: &Step) -> Vec<(Role, Dist)> {
    let mut parts = vec![
        (Role::Prefix, step.static_prefix_tokens.clone()),
        (Role::Text, step.input_tokens.clone()),
        (Role::AudioInput, step.audio_input_tokens.clone()),
    ];
    if let Some(r) = &step.retrieval {
        // chunks × chunk size: a named family when one factor is fixed. When both are random,
        // the product of independent parts: exact where either takes finitely many values (a
        // Poisson or empirical count of chunks, empirical chunk sizes), and with its exact mean
        // and variance otherwise (see `Dist::product`); the shape matters only at a long-context
        // threshold.
        let product = match (r.chunks.fixed_value(), r.chunk_tokens.fixed_value()) {
            (Some(c), Some(t)) => Dist::Fixed(c * t),
            (Some(c), None) => r
                .chunk_tokens
                .scaled(c)
                .unwrap_or_else(|| Dist::product(&Dist::Fixed(c), &r.chunk_tokens).0),
            // A Poisson count has no scaled family: the product is exactly the count's mixture.
            (None, Some(t)) => r
                .chunks
                .scaled(t)
                .unwrap_or_else(|| Dist::product(&r.chunks, &Dist::Fixed(t)).0),
            (None, None) => Dist::product(&r.chunks, &r.chunk_tokens).0,
        };
        parts.push((Role::Text, product));
    }
    if let Some(i) = &step.images {
        if i.tokens_per_image > 0.0 {
            let tokens = i
                .count
                .scaled(i.tokens_per_image)
                .unwrap_or_else(|| Dist::product(&i.count, &Dist::Fixed(i.tokens_per_image)).0);
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

/// P(R > i) for R the request's count drawn from `d` and rounded at random (mean kept).
pub(crate) fn count_above(d: &Dist, i: u64) -> f64 {
    // P(R ≥ k) = E[(X − (k − 1))⁺] − E[(X − k)⁺].
    let excess = |t: f64| d.partial_mean(t, f64::INFINITY) - t * (1.0 - d.cdf(t));
    let k = (i + 1) as f64;
    match d.fixed_value() {
        Some(v) => (v - (k - 1.0)).clamp(0.0, 1.0),
        None => (excess(k - 1.0) - excess(k)).clamp(0.0, 1.0),
    }
}

/// Probability that a call of `step` on `model` is priced at long-context rates: that its
/// whole input exceeds the model's lowest threshold (exact with at most one random part of the
/// prompt; otherwise integrated on a quantile grid).
pub(crate) fn long_context_probability(model: &Model, step: &Step) -> f64 {
    match model.long_context.first() {
        Some(lc) => prompt_above(step, 0.0, lc.above_input_tokens),
        None => 0.0,
    }
}

/// Probability that a call of `step` on `model` is priced at each long-context level (above its
/// threshold and below the next), lowest threshold first.
pub(crate) fn long_context_shares(model: &Model, step: &Step) -> Vec<f64> {
    let above: Vec<f64> = model
        .long_context
        .iter()
        .map(|lc| prompt_above(step, 0.0, lc.above_input_tokens))
        .collect();
    (0..above.len())
        .map(|i| (above[i] - above.get(i + 1).copied().unwrap_or(0.0)).max(0.0))
        .collect()
}

/// P(the whole input of a call of `step`, plus `extra` tokens, exceeds `t`): exact with at most
/// one random part of the prompt, or where all but one take finitely many values (summed over
/// them, see `nodes`); otherwise all but the last integrated on a quantile grid and the last
/// exactly.
pub(crate) fn prompt_above(step: &Step, extra: f64, t: f64) -> f64 {
    let parts = prompt_parts(step);
    let counted: Vec<&Dist> = parts
        .iter()
        .filter(|(r, _)| r.counts_toward_input())
        .map(|(_, d)| d)
        .collect();
    let fixed: f64 = counted
        .iter()
        .filter(|d| d.is_fixed())
        .map(|d| d.mean())
        .sum::<f64>()
        + extra;
    let random: Vec<&Dist> = counted.iter().filter(|d| !d.is_fixed()).copied().collect();
    let order = quadrature_order(&random);
    let Some((&last, head)) = order.split_last() else {
        return f64::from(u8::from(fixed > t));
    };
    let k = grid_size(head.len());
    let head: Vec<Vec<(f64, f64)>> = head.iter().map(|&h| nodes(random[h], k).0).collect();
    let mut total = 0.0;
    for_each_node(&head, |w, values| {
        total += w * (1.0 - random[last].cdf(t - fixed - values.iter().sum::<f64>()));
    });
    total.clamp(0.0, 1.0)
}

/// Most values of a discrete part summed one by one; a part with more is integrated on the
/// quantile grid.
const MAX_DISCRETE_NODES: usize = 2048;

/// Quantile-grid points per continuous part when all but one random part are integrated:
/// 256 for one, 32 each for more.
pub(crate) fn grid_size(head: usize) -> usize {
    if head <= 1 { 256 } else { 32 }
}

/// The values a random prompt part takes, with their probabilities, where they are finitely
/// many (empirical, Poisson, and scaled mixtures of them such as a Poisson count of fixed-size
/// chunks). A Poisson's values are those between its 10⁻¹⁶ and 1 − 10⁻¹⁶ quantiles, renormalised:
/// the mass left out is below 2·10⁻¹⁶, so an expectation over them is exact to that share of its
/// largest term.
pub(crate) fn discrete_points(d: &Dist) -> Option<Vec<(f64, f64)>> {
    let points = match d {
        Dist::ScaledMixture { scales, base } => {
            let values = base.discrete_values()?;
            scales
                .iter()
                .flat_map(|(ps, c)| values.iter().map(move |(pv, v)| (ps * pv, c * v)))
                .collect()
        }
        _ => d.discrete_values()?,
    };
    (points.len() <= MAX_DISCRETE_NODES).then_some(points)
}

/// The points (probability, value) on which a random part is integrated while another is
/// taken exactly, and whether they are exact: its own values where it has finitely many, else
/// `k` equally likely quantile midpoints.
pub(crate) fn nodes(d: &Dist, k: usize) -> (Vec<(f64, f64)>, bool) {
    match discrete_points(d) {
        Some(points) => (points, true),
        None => (
            (0..k)
                .map(|j| (1.0 / k as f64, d.quantile((j as f64 + 0.5) / k as f64)))
                .collect(),
            false,
        ),
    }
}

/// The random parts' indices in the order they are integrated: the discrete ones first (summed
/// exactly), then the continuous ones in their order; the last is taken exactly through its
/// distribution function and partial moments.
pub(crate) fn quadrature_order(random: &[&Dist]) -> Vec<usize> {
    let (mut order, continuous): (Vec<usize>, Vec<usize>) =
        (0..random.len()).partition(|&i| discrete_points(random[i]).is_some());
    order.extend(continuous);
    order
}

/// Calls `f(weight, values)` for every point of the product of the `head` parts' nodes.
pub(crate) fn for_each_node(head: &[Vec<(f64, f64)>], mut f: impl FnMut(f64, &[f64])) {
    if head.iter().any(|n| n.is_empty()) {
        return;
    }
    let mut idx = vec![0usize; head.len()];
    let mut values = vec![0.0; head.len()];
    loop {
        let w: f64 = idx.iter().zip(head).map(|(&i, n)| n[i].0).product();
        for (v, (&i, n)) in values.iter_mut().zip(idx.iter().zip(head)) {
            *v = n[i].1;
        }
        f(w, &values);
        // Next point, the first part fastest.
        let mut h = 0;
        loop {
            if h == head.len() {
                return;
            }
            idx[h] += 1;
            if idx[h] < head[h].len() {
                break;
            }
            idx[h] = 0;
            h += 1;
        }
    }
}

/// Smallest share of a step's prompts beyond a model's input window that counts as refusing
/// them: one prompt in a million (a lognormal's tail always has some). Validation warns above it,
/// `levers` does not route to such a model, and `compare` does not recommend such a plan on cost.
pub(crate) const WINDOW_WARNING_SHARE: f64 = 1e-6;

/// Share of the prompts of `step` that exceed a `window`-token input window: for an agent loop
/// whose input grows, the share of requests making at least one call whose input (the largest,
/// its last) is longer, among those making any call.
pub fn window_exceeded_share(step: &Step, window: f64) -> f64 {
    let growth = step.context_growth_tokens.mean();
    if growth <= 0.0 || step.calls.fixed_value() == Some(1.0) {
        return prompt_above(step, 0.0, window);
    }
    let some = count_above(&step.calls, 0);
    if some <= 0.0 {
        return 0.0;
    }
    let mut total = 0.0;
    for n in 1..=step.calls.quantity_bound() {
        let exactly = count_above(&step.calls, n - 1) - count_above(&step.calls, n);
        if exactly > 0.0 {
            total += exactly * prompt_above(step, (n - 1) as f64 * growth, window);
        }
        if count_above(&step.calls, n) <= 0.0 {
            break;
        }
    }
    (total / some).clamp(0.0, 1.0)
}
