//! Probability distributions of scenario quantities, with the closed forms the estimator needs.
//!
//! A scenario writes a token count as `{ p50 = 900, p95 = 2600 }` because that is what people read
//! off a dashboard; this module turns each written form into one of a few families and gives, for
//! each family, sampling plus the exact moments used by `estimate` and by the tests: mean,
//! variance, CDF, quantile and the partial mean `E[X; a < X ≤ b]` (which yields the mean of a capped
//! value and the mean above a long-context threshold). Everything is non-negative: a normal is
//! truncated at zero.

use rand::{Rng, RngExt};
use rand_distr::Distribution;
use statrs::distribution::ContinuousCDF;

mod build;
mod error;
mod moments;
#[cfg(test)]
mod tests;

pub use error::DistError;
pub(crate) use error::{MAX_BETA_CONCENTRATION, MIN_CV};

/// z such that Φ(z) = 0.95.
pub const Z95: f64 = 1.644_853_626_951_472_2;

/// A distribution over non-negative reals.
#[derive(Clone, Debug)]
pub enum Dist {
    Fixed(f64),
    LogNormal {
        mu: f64,
        sigma: f64,
        sampler: rand_distr::LogNormal<f64>,
    },
    /// Normal(mean, sd) conditioned on being ≥ 0.
    TruncNormal {
        mean: f64,
        sd: f64,
        /// P(X ≥ 0) before truncation.
        mass: f64,
    },
    Gamma {
        shape: f64,
        scale: f64,
        sampler: rand_distr::Gamma<f64>,
    },
    Uniform {
        min: f64,
        max: f64,
    },
    Triangular {
        min: f64,
        mode: f64,
        max: f64,
    },
    Beta {
        alpha: f64,
        beta: f64,
        sampler: rand_distr::Beta<f64>,
    },
    Poisson {
        mean: f64,
        sampler: Option<rand_distr::Poisson<f64>>,
    },
    Empirical {
        values: Vec<f64>,
        /// Normalised cumulative weights; the last is 1.
        cumulative: Vec<f64>,
    },
    /// `S · Y` for `S` drawn from `scales` — (probability, scale) pairs — independently of `Y`
    /// drawn from `base`: the product of a discrete quantity and another one (retrieved chunks of
    /// random size), whose CDF and partial moments are those of `base`, scaled and weighted. Made
    /// by [`Dist::product`], never written by a user.
    ScaledMixture {
        scales: Vec<(f64, f64)>,
        base: Box<Dist>,
    },
}

fn std_normal() -> statrs::distribution::Normal {
    statrs::distribution::Normal::standard()
}

fn phi_cdf(z: f64) -> f64 {
    if z == f64::INFINITY {
        1.0
    } else if z == f64::NEG_INFINITY {
        0.0
    } else {
        std_normal().cdf(z)
    }
}

fn phi_pdf(z: f64) -> f64 {
    if z.is_infinite() {
        0.0
    } else {
        (-0.5 * z * z).exp() / (2.0 * std::f64::consts::PI).sqrt()
    }
}

fn ln_or_neg_inf(x: f64) -> f64 {
    if x <= 0.0 { f64::NEG_INFINITY } else { x.ln() }
}

impl Dist {
    /// The distribution of `factor · X` for `factor > 0`, drawn from the same random numbers, so
    /// a scaled parameter keyed like the original gets exactly `factor` times its draw. `None` for
    /// families that are not closed under scaling (beta, Poisson).
    pub fn scaled(&self, factor: f64) -> Option<Dist> {
        if !(factor > 0.0) || !factor.is_finite() {
            return None;
        }
        Some(match self {
            Dist::Fixed(v) => Dist::Fixed(v * factor),
            Dist::LogNormal { mu, sigma, .. } => Dist::lognormal(mu + factor.ln(), *sigma).ok()?,
            Dist::TruncNormal { mean, sd, mass } => Dist::TruncNormal {
                mean: mean * factor,
                sd: sd * factor,
                mass: *mass,
            },
            Dist::Gamma { shape, scale, .. } => Dist::Gamma {
                shape: *shape,
                scale: scale * factor,
                sampler: rand_distr::Gamma::new(*shape, scale * factor).ok()?,
            },
            Dist::Uniform { min, max } => Dist::Uniform {
                min: min * factor,
                max: max * factor,
            },
            Dist::Triangular { min, mode, max } => Dist::Triangular {
                min: min * factor,
                mode: mode * factor,
                max: max * factor,
            },
            Dist::Empirical { values, cumulative } => Dist::Empirical {
                values: values.iter().map(|v| v * factor).collect(),
                cumulative: cumulative.clone(),
            },
            Dist::ScaledMixture { scales, base } => Dist::ScaledMixture {
                scales: scales.iter().map(|(p, c)| (*p, c * factor)).collect(),
                base: base.clone(),
            },
            Dist::Beta { .. } | Dist::Poisson { .. } => return None,
        })
    }

    /// The (probability, value) pairs of a distribution with finitely many values — empirical,
    /// or Poisson cut where the tails left out weigh less than 10⁻¹⁵ — or `None`.
    pub(crate) fn discrete_values(&self) -> Option<Vec<(f64, f64)>> {
        match self {
            Dist::Fixed(v) => Some(vec![(1.0, *v)]),
            Dist::Empirical { values, cumulative } => {
                Some(weighted(values, cumulative).map(|(v, p)| (p, v)).collect())
            }
            Dist::Poisson { mean, .. } => {
                let lo = crate::base::special::poisson_quantile(*mean, 1e-16).max(0.0) as u64;
                let hi = crate::base::special::poisson_quantile(*mean, 1.0 - 1e-16).max(0.0) as u64;
                let mut out: Vec<(f64, f64)> = (lo..=hi)
                    .map(|k| {
                        let k = k as f64;
                        let below = if k > 0.0 {
                            poisson_cdf(*mean, k - 1.0)
                        } else {
                            0.0
                        };
                        (poisson_cdf(*mean, k) - below, k)
                    })
                    .filter(|(p, _)| *p > 0.0)
                    .collect();
                let total: f64 = out.iter().map(|(p, _)| p).sum();
                out.iter_mut().for_each(|(p, _)| *p /= total);
                Some(out)
            }
            _ => None,
        }
    }

    /// The distribution of `A · B` for independent `A` and `B`, and whether it is exact. Where
    /// one factor takes finitely many values (empirical, Poisson), the product is a mixture of
    /// the other factor scaled by each value: exact, CDF and partial moments included. Where
    /// both are continuous, `A` is split into 128 equally likely slices, each replaced by two
    /// values that keep the slice's mean and second moment: the product's mean and variance stay
    /// exact and its shape follows `A` to within a slice.
    pub fn product(a: &Dist, b: &Dist) -> (Dist, bool) {
        let finite = |d: &Dist| d.discrete_values().map(|v| (v.len(), v));
        let (scales, base, exact) = match (finite(a), finite(b)) {
            (Some((na, va)), Some((nb, _))) if na <= nb => (va, b.clone(), true),
            (_, Some((_, vb))) => (vb, a.clone(), true),
            (Some((_, va)), None) => (va, b.clone(), true),
            (None, None) => (two_point_slices(a, 128), b.clone(), false),
        };
        (
            Dist::ScaledMixture {
                scales,
                base: Box::new(base),
            },
            exact,
        )
    }

    /// Whether every draw is the same number.
    pub fn is_fixed(&self) -> bool {
        self.fixed_value().is_some()
    }

    /// The value of a degenerate distribution.
    pub fn fixed_value(&self) -> Option<f64> {
        match self {
            Dist::Fixed(v) => Some(*v),
            Dist::Empirical { values, .. } if values.iter().all(|v| *v == values[0]) => {
                Some(values[0])
            }
            Dist::Poisson { mean, .. } if *mean == 0.0 => Some(0.0),
            _ => None,
        }
    }

    /// Smallest and largest possible values.
    pub fn support(&self) -> (f64, f64) {
        match self {
            Dist::Fixed(v) => (*v, *v),
            Dist::LogNormal { .. }
            | Dist::TruncNormal { .. }
            | Dist::Gamma { .. }
            | Dist::Poisson { .. } => (0.0, f64::INFINITY),
            Dist::Uniform { min, max } | Dist::Triangular { min, max, .. } => (*min, *max),
            Dist::Beta { .. } => (0.0, 1.0),
            Dist::Empirical { values, .. } => (
                values.iter().copied().fold(f64::INFINITY, f64::min),
                values.iter().copied().fold(f64::NEG_INFINITY, f64::max),
            ),
            Dist::ScaledMixture { scales, base } => {
                let (lo, hi) = base.support();
                let at = |f: fn(f64, f64) -> f64, start: f64, edge: f64| {
                    scales
                        .iter()
                        .map(|(_, c)| if *c == 0.0 { 0.0 } else { c * edge })
                        .fold(start, f)
                };
                (
                    at(f64::min, f64::INFINITY, lo),
                    at(f64::max, f64::NEG_INFINITY, hi),
                )
            }
        }
    }

    /// One draw.
    #[inline]
    pub fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> f64 {
        match self {
            Dist::Fixed(v) => *v,
            Dist::LogNormal { sampler, .. } => sampler.sample(rng),
            Dist::TruncNormal { mean, sd, mass } => {
                if *mass > 0.25 {
                    loop {
                        let z: f64 = rng.sample(rand_distr::StandardNormal);
                        let x = mean + sd * z;
                        if x >= 0.0 {
                            return x;
                        }
                    }
                } else {
                    let u: f64 = rng.random();
                    self.quantile(u)
                }
            }
            Dist::Gamma { sampler, .. } => sampler.sample(rng),
            Dist::Uniform { min, max } => min + (max - min) * rng.random::<f64>(),
            Dist::Triangular { .. } => self.quantile(rng.random()),
            Dist::Beta { sampler, .. } => sampler.sample(rng),
            Dist::Poisson { sampler, .. } => sampler.as_ref().map_or(0.0, |s| s.sample(rng)),
            Dist::Empirical { values, cumulative } => {
                let u: f64 = rng.random();
                let i = cumulative
                    .partition_point(|&c| c <= u)
                    .min(values.len() - 1);
                values[i]
            }
            Dist::ScaledMixture { scales, base } => {
                let mut u: f64 = rng.random();
                let mut scale = scales.last().map_or(0.0, |(_, c)| *c);
                for (p, c) in scales {
                    if u < *p {
                        scale = *c;
                        break;
                    }
                    u -= p;
                }
                scale * base.sample(rng)
            }
        }
    }
}

fn poisson_cdf(mean: f64, x: f64) -> f64 {
    crate::base::special::poisson_cdf(mean, x)
}

/// `d` as (probability, value) pairs: `k` equally likely quantile slices, each carried by two
/// values that keep its conditional mean `m` and variance `v`: the slice's lower edge `a`, and
/// `m + v / (m − a)`, with weights that make the mean `m` (both values stay in the slice's
/// range from below, so they are never negative).
fn two_point_slices(d: &Dist, k: usize) -> Vec<(f64, f64)> {
    let w = 1.0 / k as f64;
    let mut out = Vec::with_capacity(2 * k);
    for j in 0..k {
        let lo = if j == 0 {
            f64::NEG_INFINITY
        } else {
            d.quantile(j as f64 * w)
        };
        let hi = if j + 1 == k {
            f64::INFINITY
        } else {
            d.quantile((j + 1) as f64 * w)
        };
        let mass = d.cdf(hi) - if lo.is_finite() { d.cdf(lo) } else { 0.0 };
        if !(mass > 0.0) {
            continue;
        }
        let m = d.partial_mean(lo, hi) / mass;
        let var = (d.partial_moment2(lo, hi) / mass - m * m).max(0.0);
        let a = if lo.is_finite() {
            lo.max(0.0)
        } else {
            d.support().0.max(0.0)
        };
        let gap = m - a;
        if gap <= 0.0 || var <= 0.0 {
            out.push((mass, m));
            continue;
        }
        let up = gap * gap / (gap * gap + var);
        out.push((mass * (1.0 - up), a));
        out.push((mass * up, m + var / gap));
    }
    let total: f64 = out.iter().map(|(p, _)| p).sum();
    out.iter_mut().for_each(|(p, _)| *p /= total);
    out
}

/// (value, probability) pairs of an empirical distribution.
fn weighted<'a>(values: &'a [f64], cumulative: &'a [f64]) -> impl Iterator<Item = (f64, f64)> + 'a {
    values.iter().zip(cumulative).scan(0.0, |prev, (v, c)| {
        let p = c - *prev;
        *prev = *c;
        Some((*v, p))
    })
}
