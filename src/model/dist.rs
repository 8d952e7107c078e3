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

use crate::base::special::{beta_reg, gamma_p};

/// z such that Φ(z) = 0.95.
pub const Z95: f64 = 1.644_853_626_951_472_2;

/// Smallest coefficient of variation of a gamma: its shape, 1/cv², stays at most 10⁸, within
/// the reach of the incomplete gamma function's series. A smaller one is a fixed number.
pub const MIN_CV: f64 = 1e-4;

/// Largest α + β of a beta (its concentration): a rate known to a few parts in 10⁵ is a fixed
/// number, and the incomplete beta function's continued fraction needs about √(α + β) steps.
pub const MAX_BETA_CONCENTRATION: f64 = 1e8;

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
    /// Lognormal through a median and a 95th percentile.
    pub fn lognormal_p50_p95(p50: f64, p95: f64) -> Result<Dist, String> {
        if !(p50 > 0.0) {
            return Err(format!("`p50` must be above 0, got {p50}"));
        }
        if !(p95 > p50) {
            return Err(format!(
                "`p95` ({p95}) must be above `p50` ({p50}): a 95th percentile cannot be below the median"
            ));
        }
        let mu = p50.ln();
        let sigma = (p95.ln() - mu) / Z95;
        Self::lognormal(mu, sigma)
    }

    /// Lognormal whose 5th and 95th percentiles are `low` and `high` (a 90% interval).
    pub fn lognormal_interval(low: f64, high: f64) -> Result<Dist, String> {
        if !(low > 0.0) {
            return Err(format!("`low` must be above 0, got {low}"));
        }
        if !(high > low) {
            return Err(format!("`high` ({high}) must be above `low` ({low})"));
        }
        let mu = 0.5 * (low.ln() + high.ln());
        let sigma = (high.ln() - low.ln()) / (2.0 * Z95);
        Self::lognormal(mu, sigma)
    }

    /// Lognormal with the given arithmetic mean and standard deviation.
    pub fn lognormal_mean_sd(mean: f64, sd: f64) -> Result<Dist, String> {
        if !(mean > 0.0) {
            return Err(format!("`mean` must be above 0, got {mean}"));
        }
        if !(sd > 0.0) {
            return Err(format!("`sd` must be above 0, got {sd}"));
        }
        let sigma2 = (1.0 + (sd / mean).powi(2)).ln();
        Self::lognormal(mean.ln() - sigma2 / 2.0, sigma2.sqrt())
    }

    fn lognormal(mu: f64, sigma: f64) -> Result<Dist, String> {
        if !mu.is_finite() || !sigma.is_finite() || sigma <= 0.0 {
            return Err("the lognormal's parameters are out of range".to_string());
        }
        if mu + 50.0 * sigma > 700.0 {
            return Err("the lognormal is so wide that its upper tail overflows".to_string());
        }
        let sampler = rand_distr::LogNormal::new(mu, sigma).map_err(|e| e.to_string())?;
        Ok(Dist::LogNormal { mu, sigma, sampler })
    }

    /// Normal truncated at zero.
    pub fn trunc_normal(mean: f64, sd: f64) -> Result<Dist, String> {
        if !(mean > 0.0) {
            return Err(format!("`mean` must be above 0, got {mean}"));
        }
        if !(sd > 0.0) {
            return Err(format!("`sd` must be above 0, got {sd}"));
        }
        let mass = 1.0 - phi_cdf(-mean / sd);
        Ok(Dist::TruncNormal { mean, sd, mass })
    }

    /// Gamma with the given mean and coefficient of variation.
    pub fn gamma_mean_cv(mean: f64, cv: f64) -> Result<Dist, String> {
        if !(mean > 0.0) {
            return Err(format!("`mean` must be above 0, got {mean}"));
        }
        if !(cv > 0.0) {
            return Err(format!("`cv` must be above 0, got {cv}"));
        }
        if cv > 100.0 {
            return Err(format!("`cv` of {cv} is too large (at most 100)"));
        }
        if cv < MIN_CV {
            return Err(format!(
                "`cv` of {cv:e} is so small that the value never varies (at least {MIN_CV:e})"
            ));
        }
        let shape = 1.0 / (cv * cv);
        let scale = mean * cv * cv;
        let sampler = rand_distr::Gamma::new(shape, scale).map_err(|e| e.to_string())?;
        Ok(Dist::Gamma {
            shape,
            scale,
            sampler,
        })
    }

    pub fn uniform(min: f64, max: f64) -> Result<Dist, String> {
        if !(min >= 0.0) {
            return Err(format!("`min` must be 0 or more, got {min}"));
        }
        if !(max > min) {
            return Err(format!("`max` ({max}) must be above `min` ({min})"));
        }
        Ok(Dist::Uniform { min, max })
    }

    pub fn triangular(min: f64, mode: f64, max: f64) -> Result<Dist, String> {
        if !(min >= 0.0) {
            return Err(format!("`min` must be 0 or more, got {min}"));
        }
        if !(max > min) {
            return Err(format!("`max` ({max}) must be above `min` ({min})"));
        }
        if !(mode >= min && mode <= max) {
            return Err(format!(
                "`mode` ({mode}) must lie between `min` ({min}) and `max` ({max})"
            ));
        }
        Ok(Dist::Triangular { min, mode, max })
    }

    /// Beta with the given mean and standard deviation (for rates).
    pub fn beta_mean_sd(mean: f64, sd: f64) -> Result<Dist, String> {
        if !(mean > 0.0 && mean < 1.0) {
            return Err(format!(
                "a beta's `mean` must be strictly between 0 and 1, got {mean}"
            ));
        }
        if !(sd > 0.0) {
            return Err(format!("`sd` must be above 0, got {sd}"));
        }
        let limit = (mean * (1.0 - mean)).sqrt();
        if sd >= limit {
            return Err(format!(
                "a beta with mean {mean} needs `sd` below {limit:.4} (sqrt(mean·(1−mean))), got {sd}"
            ));
        }
        let k = mean * (1.0 - mean) / (sd * sd) - 1.0;
        if k > MAX_BETA_CONCENTRATION {
            return Err(format!(
                "a beta with mean {mean} and `sd` {sd:e} is so narrow that the rate never varies (`sd` at least {:.1e})",
                (mean * (1.0 - mean) / (MAX_BETA_CONCENTRATION + 1.0)).sqrt()
            ));
        }
        let (alpha, beta) = (mean * k, (1.0 - mean) * k);
        let sampler = rand_distr::Beta::new(alpha, beta).map_err(|e| e.to_string())?;
        Ok(Dist::Beta {
            alpha,
            beta,
            sampler,
        })
    }

    pub fn poisson(mean: f64) -> Result<Dist, String> {
        if !(mean >= 0.0) || !mean.is_finite() {
            return Err(format!("`mean` must be 0 or more, got {mean}"));
        }
        if mean > 1e15 {
            return Err(format!(
                "a Poisson mean of {mean} is too large (at most 1e15)"
            ));
        }
        let sampler = if mean > 0.0 {
            Some(rand_distr::Poisson::new(mean).map_err(|e| e.to_string())?)
        } else {
            None
        };
        Ok(Dist::Poisson { mean, sampler })
    }

    pub fn empirical(values: Vec<f64>, weights: Option<Vec<f64>>) -> Result<Dist, String> {
        if values.is_empty() {
            return Err("`values` must not be empty".to_string());
        }
        if let Some(v) = values.iter().find(|v| !(**v >= 0.0) || !v.is_finite()) {
            return Err(format!("`values` must be finite and 0 or more, found {v}"));
        }
        let weights = weights.unwrap_or_else(|| vec![1.0; values.len()]);
        if weights.len() != values.len() {
            return Err(format!(
                "`weights` has {} entries but `values` has {}",
                weights.len(),
                values.len()
            ));
        }
        if let Some(w) = weights.iter().find(|w| !(**w >= 0.0) || !w.is_finite()) {
            return Err(format!("`weights` must be finite and 0 or more, found {w}"));
        }
        let total: f64 = weights.iter().sum();
        if !(total > 0.0) {
            return Err("`weights` must not all be 0".to_string());
        }
        let mut acc = 0.0;
        let mut cumulative: Vec<f64> = weights
            .iter()
            .map(|w| {
                acc += w;
                acc / total
            })
            .collect();
        if let Some(last) = cumulative.last_mut() {
            *last = 1.0;
        }
        Ok(Dist::Empirical { values, cumulative })
    }

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
    pub fn discrete_values(&self) -> Option<Vec<(f64, f64)>> {
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

    pub fn mean(&self) -> f64 {
        match self {
            Dist::Fixed(v) => *v,
            Dist::LogNormal { mu, sigma, .. } => (mu + sigma * sigma / 2.0).exp(),
            Dist::TruncNormal { .. } => self.partial_mean(0.0, f64::INFINITY),
            Dist::Gamma { shape, scale, .. } => shape * scale,
            Dist::Uniform { min, max } => (min + max) / 2.0,
            Dist::Triangular { min, mode, max } => (min + mode + max) / 3.0,
            Dist::Beta { alpha, beta, .. } => alpha / (alpha + beta),
            Dist::Poisson { mean, .. } => *mean,
            Dist::Empirical { values, cumulative } => {
                weighted(values, cumulative).map(|(v, p)| v * p).sum()
            }
            Dist::ScaledMixture { scales, base } => {
                base.mean() * scales.iter().map(|(p, c)| p * c).sum::<f64>()
            }
        }
    }

    pub fn variance(&self) -> f64 {
        match self {
            Dist::Fixed(_) => 0.0,
            Dist::LogNormal { mu, sigma, .. } => {
                let s2 = sigma * sigma;
                (s2.exp() - 1.0) * (2.0 * mu + s2).exp()
            }
            Dist::TruncNormal { mean, sd, mass } => {
                let alpha = -mean / sd;
                let lambda = phi_pdf(alpha) / mass;
                sd * sd * (1.0 + alpha * lambda - lambda * lambda)
            }
            Dist::Gamma { shape, scale, .. } => shape * scale * scale,
            Dist::Uniform { min, max } => (max - min).powi(2) / 12.0,
            Dist::Triangular { min, mode, max } => {
                (min * min + mode * mode + max * max - min * mode - min * max - mode * max) / 18.0
            }
            Dist::Beta { alpha, beta, .. } => {
                let s = alpha + beta;
                alpha * beta / (s * s * (s + 1.0))
            }
            Dist::Poisson { mean, .. } => *mean,
            Dist::Empirical { values, cumulative } => {
                let m = self.mean();
                weighted(values, cumulative)
                    .map(|(v, p)| p * (v - m).powi(2))
                    .sum()
            }
            Dist::ScaledMixture { scales, base } => {
                let m = self.mean();
                let s2: f64 = scales.iter().map(|(p, c)| p * c * c).sum();
                (s2 * base.second_moment() - m * m).max(0.0)
            }
        }
    }

    /// P(X ≤ x).
    pub fn cdf(&self, x: f64) -> f64 {
        if x < 0.0 {
            return 0.0;
        }
        match self {
            Dist::Fixed(v) => f64::from(u8::from(*v <= x)),
            Dist::LogNormal { mu, sigma, .. } => phi_cdf((ln_or_neg_inf(x) - mu) / sigma),
            Dist::TruncNormal { mean, sd, mass } => {
                ((phi_cdf((x - mean) / sd) - phi_cdf(-mean / sd)) / mass).clamp(0.0, 1.0)
            }
            Dist::Gamma { shape, scale, .. } => {
                if x == f64::INFINITY {
                    1.0
                } else {
                    gamma_p(*shape, x / scale)
                }
            }
            Dist::Uniform { min, max } => ((x - min) / (max - min)).clamp(0.0, 1.0),
            Dist::Triangular { min, mode, max } => {
                if x <= *min {
                    0.0
                } else if x >= *max {
                    1.0
                } else if x <= *mode {
                    (x - min).powi(2) / ((max - min) * (mode - min))
                } else {
                    1.0 - (max - x).powi(2) / ((max - min) * (max - mode))
                }
            }
            Dist::Beta { alpha, beta, .. } => {
                if x >= 1.0 {
                    1.0
                } else {
                    beta_reg(*alpha, *beta, x)
                }
            }
            Dist::Poisson { mean, .. } => poisson_cdf(*mean, x),
            Dist::Empirical { values, cumulative } => weighted(values, cumulative)
                .filter(|(v, _)| *v <= x)
                .map(|(_, p)| p)
                .sum(),
            Dist::ScaledMixture { scales, base } => scales
                .iter()
                .map(|(p, c)| if *c == 0.0 { *p } else { p * base.cdf(x / c) })
                .sum::<f64>()
                .clamp(0.0, 1.0),
        }
    }

    /// The `p`-quantile (inverse CDF), for `p` in \[0, 1\].
    pub fn quantile(&self, p: f64) -> f64 {
        let p = p.clamp(0.0, 1.0);
        match self {
            Dist::Fixed(v) => *v,
            Dist::LogNormal { mu, sigma, .. } => (mu + sigma * std_normal().inverse_cdf(p)).exp(),
            Dist::TruncNormal { mean, sd, mass } => {
                let lo = 1.0 - mass;
                (mean + sd * std_normal().inverse_cdf(lo + p * mass)).max(0.0)
            }
            // On the unit scale, then scaled: a tiny scale cannot stall the search.
            Dist::Gamma { shape, scale, .. } => {
                scale * crate::base::special::gamma_quantile(*shape, p)
            }
            Dist::Uniform { min, max } => min + p * (max - min),
            Dist::Triangular { min, mode, max } => {
                let c = (mode - min) / (max - min);
                if p < c {
                    min + (p * (max - min) * (mode - min)).sqrt()
                } else {
                    max - ((1.0 - p) * (max - min) * (max - mode)).sqrt()
                }
            }
            Dist::Beta { alpha, beta, .. } => crate::base::special::beta_quantile(*alpha, *beta, p),
            Dist::Poisson { mean, .. } => crate::base::special::poisson_quantile(*mean, p),
            Dist::Empirical { values, cumulative } => {
                // Smallest value whose cumulative weight reaches p.
                let mut pairs: Vec<(f64, f64)> = weighted(values, cumulative).collect();
                pairs.sort_by(|a, b| a.0.total_cmp(&b.0));
                let mut acc = 0.0;
                for (v, w) in &pairs {
                    acc += w;
                    if acc >= p - 1e-12 {
                        return *v;
                    }
                }
                pairs.last().map_or(0.0, |(v, _)| *v)
            }
            Dist::ScaledMixture { .. } => self.quantile_by_bisection(p),
        }
    }

    /// The smallest `x` with `P(X ≤ x) ≥ p`, by bisection on the CDF (to a relative 10⁻¹²).
    fn quantile_by_bisection(&self, p: f64) -> f64 {
        if p <= 0.0 {
            return self.support().0.max(0.0);
        }
        let (_, top) = self.support();
        let mut hi = if top.is_finite() {
            top
        } else {
            let mut h = self.mean().max(1.0);
            for _ in 0..2_000 {
                if self.cdf(h) >= p {
                    break;
                }
                h *= 2.0;
            }
            h
        };
        let mut lo = 0.0;
        if self.cdf(lo) >= p {
            return lo;
        }
        for _ in 0..200 {
            let mid = 0.5 * (lo + hi);
            if self.cdf(mid) >= p {
                hi = mid;
            } else {
                lo = mid;
            }
            if hi - lo <= 1e-12 * hi {
                break;
            }
        }
        hi
    }

    /// `E[X · 1{a < X ≤ b}]`, the partial mean over `(a, b]`.
    pub fn partial_mean(&self, a: f64, b: f64) -> f64 {
        self.partial_power(1, a, b)
    }

    /// A whole number that the variable (rounded up or down) exceeds with negligible
    /// probability, for sums over its values.
    pub fn quantity_bound(&self) -> u64 {
        let hi = match self.support().1 {
            h if h.is_finite() => h,
            _ => self.quantile(1.0 - 1e-12),
        };
        if hi.is_finite() {
            (hi.ceil() as u64).saturating_add(1).min(100_000)
        } else {
            100_000
        }
    }

    /// `E[X² · 1{a < X ≤ b}]`, the partial second moment over `(a, b]`.
    pub fn partial_moment2(&self, a: f64, b: f64) -> f64 {
        self.partial_power(2, a, b)
    }

    /// `E[X³ · 1{a < X ≤ b}]`, the partial third moment over `(a, b]`: with the first two, the
    /// skewness of a (capped) quantity in closed form, which a sample of a heavy tail
    /// under-reaches.
    pub fn partial_moment3(&self, a: f64, b: f64) -> f64 {
        self.partial_power(3, a, b)
    }

    /// `E[Xᵏ · 1{a < X ≤ b}]` for `k ≥ 1`, in closed form for every family.
    fn partial_power(&self, k: u32, a: f64, b: f64) -> f64 {
        if !(b > a) {
            return 0.0;
        }
        let kf = f64::from(k);
        let ki = k as i32;
        match self {
            Dist::Fixed(v) => {
                if *v > a && *v <= b {
                    v.powi(ki)
                } else {
                    0.0
                }
            }
            Dist::LogNormal { mu, sigma, .. } => {
                // E[Xᵏ; ·] = e^{kμ + k²σ²/2}·ΔΦ((ln x − μ − kσ²)/σ).
                let s2 = sigma * sigma;
                let m = (kf * mu + kf * kf * s2 / 2.0).exp();
                let z = |x: f64| {
                    if x == f64::INFINITY {
                        f64::INFINITY
                    } else {
                        (ln_or_neg_inf(x) - mu - kf * s2) / sigma
                    }
                };
                m * (phi_cdf(z(b)) - phi_cdf(z(a)))
            }
            Dist::TruncNormal { mean, sd, mass } => {
                let a = a.max(0.0);
                if b <= a {
                    return 0.0;
                }
                // x = m + s·z: expand (m + s·z)ᵏ over Jⱼ = ∫ zʲφ(z) dz on (za, zb], with
                // J₀ = ΔΦ, J₁ = φ(za) − φ(zb), Jⱼ = (j − 1)·Jⱼ₋₂ + za^{j−1}φ(za) − zb^{j−1}φ(zb).
                let (za, zb) = ((a - mean) / sd, (b - mean) / sd);
                let (pa, pb) = (phi_pdf(za), phi_pdf(zb));
                let edge = |z: f64, p: f64, j: i32| if z.is_finite() { z.powi(j) * p } else { 0.0 };
                let mut j_moments = vec![phi_cdf(zb) - phi_cdf(za), pa - pb];
                for j in 2..=ki {
                    let next = f64::from(j - 1) * j_moments[(j - 2) as usize] + edge(za, pa, j - 1)
                        - edge(zb, pb, j - 1);
                    j_moments.push(next);
                }
                let mut total = 0.0;
                let mut binomial = 1.0;
                for j in 0..=ki {
                    total += binomial * mean.powi(ki - j) * sd.powi(j) * j_moments[j as usize];
                    binomial = binomial * f64::from(ki - j) / f64::from(j + 1);
                }
                total / mass
            }
            Dist::Gamma { shape, scale, .. } => {
                let p = |x: f64| {
                    if x <= 0.0 {
                        0.0
                    } else if x == f64::INFINITY {
                        1.0
                    } else {
                        gamma_p(shape + kf, x / scale)
                    }
                };
                let rising: f64 = (0..k).map(|j| shape + f64::from(j)).product();
                rising * scale.powi(ki) * (p(b) - p(a))
            }
            Dist::Uniform { min, max } => {
                let lo = a.max(*min);
                let hi = b.min(*max);
                if hi <= lo {
                    0.0
                } else {
                    (hi.powi(ki + 1) - lo.powi(ki + 1)) / ((kf + 1.0) * (max - min))
                }
            }
            Dist::Triangular { min, mode, max } => {
                let lo = a.max(*min);
                let hi = b.min(*max);
                if hi <= lo {
                    return 0.0;
                }
                let width = max - min;
                let mut total = 0.0;
                // Left piece on [min, mode]: pdf = 2(x−min)/(width·(mode−min)).
                let (l0, l1) = (lo.max(*min), hi.min(*mode));
                if l1 > l0 && mode > min {
                    let f =
                        |x: f64| x.powi(ki + 2) / (kf + 2.0) - min * x.powi(ki + 1) / (kf + 1.0);
                    total += 2.0 / (width * (mode - min)) * (f(l1) - f(l0));
                }
                // Right piece on [mode, max]: pdf = 2(max−x)/(width·(max−mode)).
                let (r0, r1) = (lo.max(*mode), hi.min(*max));
                if r1 > r0 && max > mode {
                    let f =
                        |x: f64| max * x.powi(ki + 1) / (kf + 1.0) - x.powi(ki + 2) / (kf + 2.0);
                    total += 2.0 / (width * (max - mode)) * (f(r1) - f(r0));
                }
                total
            }
            Dist::Beta { alpha, beta, .. } => {
                let p = |x: f64| {
                    if x <= 0.0 {
                        0.0
                    } else if x >= 1.0 {
                        1.0
                    } else {
                        beta_reg(alpha + kf, *beta, x)
                    }
                };
                let ratio: f64 = (0..k)
                    .map(|j| (alpha + f64::from(j)) / (alpha + beta + f64::from(j)))
                    .product();
                ratio * (p(b) - p(a))
            }
            Dist::Poisson { mean, .. } => {
                // Xᵏ = Σⱼ S(k, j)·X(X−1)⋯(X−j+1) (Stirling numbers of the second kind), and
                // E[X(X−1)⋯(X−j+1); X ≤ x] = λʲ·P(X ≤ x − j).
                let stirling: &[f64] = match k {
                    1 => &[1.0],
                    2 => &[1.0, 1.0],
                    3 => &[1.0, 3.0, 1.0],
                    _ => unreachable!("partial powers up to 3"),
                };
                let upto = |x: f64| {
                    stirling
                        .iter()
                        .enumerate()
                        .map(|(i, s)| {
                            let j = i as i32 + 1;
                            s * mean.powi(j) * poisson_cdf(*mean, x - f64::from(j))
                        })
                        .sum::<f64>()
                };
                upto(b) - upto(a)
            }
            Dist::Empirical { values, cumulative } => weighted(values, cumulative)
                .filter(|(v, _)| *v > a && *v <= b)
                .map(|(v, p)| v.powi(ki) * p)
                .sum(),
            Dist::ScaledMixture { scales, base } => scales
                .iter()
                .filter(|(_, c)| *c > 0.0)
                .map(|(p, c)| p * c.powi(ki) * base.partial_power(k, a / c, b / c))
                .sum(),
        }
    }

    /// The third central moment of `min(X, cap)` (of `X` without a cap).
    pub fn third_central_capped(&self, cap: Option<f64>) -> f64 {
        let c = cap.unwrap_or(f64::INFINITY);
        let tail = if c.is_finite() {
            1.0 - self.cdf(c)
        } else {
            0.0
        };
        let raw = |k: i32, partial: f64| partial + if tail > 0.0 { c.powi(k) * tail } else { 0.0 };
        let m1 = raw(1, self.partial_mean(f64::NEG_INFINITY, c));
        let m2 = raw(2, self.partial_moment2(f64::NEG_INFINITY, c));
        let m3 = raw(3, self.partial_moment3(f64::NEG_INFINITY, c));
        m3 - 3.0 * m1 * m2 + 2.0 * m1 * m1 * m1
    }

    /// `E[min(X, cap)]`.
    pub fn mean_capped(&self, cap: f64) -> f64 {
        self.partial_mean(f64::NEG_INFINITY, cap) + cap * (1.0 - self.cdf(cap))
    }

    /// `E[X²]`.
    pub fn second_moment(&self) -> f64 {
        self.variance() + self.mean().powi(2)
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

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand::rngs::ChaCha8Rng;

    fn all() -> Vec<Dist> {
        vec![
            Dist::Fixed(3.0),
            Dist::lognormal_p50_p95(900.0, 2600.0).unwrap(),
            Dist::lognormal_interval(100.0, 400.0).unwrap(),
            Dist::lognormal_mean_sd(5.0, 2.0).unwrap(),
            Dist::trunc_normal(2.0, 3.0).unwrap(),
            Dist::gamma_mean_cv(4.0, 0.7).unwrap(),
            Dist::uniform(1.0, 5.0).unwrap(),
            Dist::triangular(1.0, 2.0, 6.0).unwrap(),
            Dist::beta_mean_sd(0.2, 0.1).unwrap(),
            Dist::poisson(8.0).unwrap(),
            Dist::empirical(vec![1.0, 2.0, 10.0], Some(vec![1.0, 2.0, 1.0])).unwrap(),
            Dist::product(
                &Dist::poisson(4.0).unwrap(),
                &Dist::empirical(vec![251.0, 502.0, 1506.0], None).unwrap(),
            )
            .0,
            Dist::product(
                &Dist::gamma_mean_cv(4.0, 0.5).unwrap(),
                &Dist::lognormal_p50_p95(600.0, 1500.0).unwrap(),
            )
            .0,
        ]
    }

    #[test]
    fn a_product_with_a_discrete_factor_is_exact() {
        // Poisson(4) × {251, 502, 1506}: P(C·T ≤ 1,004) sums P(C ≤ 4) for 251, P(C ≤ 2) for 502
        // and P(C = 0) for 1,506, each a third.
        let (d, exact) = Dist::product(
            &Dist::poisson(4.0).unwrap(),
            &Dist::empirical(vec![251.0, 502.0, 1506.0], None).unwrap(),
        );
        assert!(exact);
        let e4 = (-4.0f64).exp();
        let c4 = e4 * (1.0 + 4.0 + 8.0 + 32.0 / 3.0 + 32.0 / 3.0);
        let c2 = e4 * (1.0 + 4.0 + 8.0);
        let hand = (c4 + c2 + e4) / 3.0;
        assert!(
            (d.cdf(1004.0) - hand).abs() < 1e-12,
            "{} vs {hand}",
            d.cdf(1004.0)
        );
        assert!((d.mean() - 3012.0).abs() < 1e-9);
        // E[(CT)²] = E[C²]·E[T²] = (16 + 4) × (251² + 502² + 1,506²) / 3.
        let m2 = 20.0 * (251.0f64.powi(2) + 502.0f64.powi(2) + 1506.0f64.powi(2)) / 3.0;
        assert!((d.second_moment() - m2).abs() < 1e-6 * m2);
        assert!((d.quantile(d.cdf(1004.0)) - 1004.0).abs() < 1e-6);
    }

    #[test]
    fn quantile_constructors_hit_their_quantiles() {
        let d = Dist::lognormal_p50_p95(900.0, 2600.0).unwrap();
        assert!((d.quantile(0.5) - 900.0).abs() < 1e-6);
        assert!((d.quantile(0.95) - 2600.0).abs() < 1e-6);
        let d = Dist::lognormal_interval(100.0, 400.0).unwrap();
        assert!((d.quantile(0.05) - 100.0).abs() < 1e-6);
        assert!((d.quantile(0.95) - 400.0).abs() < 1e-6);
        let d = Dist::lognormal_mean_sd(5.0, 2.0).unwrap();
        assert!((d.mean() - 5.0).abs() < 1e-12);
        assert!((d.variance() - 4.0).abs() < 1e-9);
        let d = Dist::beta_mean_sd(0.2, 0.1).unwrap();
        assert!((d.mean() - 0.2).abs() < 1e-12);
        assert!((d.variance() - 0.01).abs() < 1e-12);
    }

    #[test]
    fn partial_means_add_up_to_the_mean() {
        for d in all() {
            let m = d.mean();
            let split = d.quantile(0.6);
            let sum =
                d.partial_mean(f64::NEG_INFINITY, split) + d.partial_mean(split, f64::INFINITY);
            assert!((sum - m).abs() < 1e-8 * m.max(1.0), "{d:?}: {sum} vs {m}");
            let full = d.partial_mean(f64::NEG_INFINITY, f64::INFINITY);
            assert!((full - m).abs() < 1e-8 * m.max(1.0), "{d:?}");
        }
    }

    /// Each closed form against 400,000 draws: within 4 standard errors (fixed seed).
    #[test]
    fn closed_forms_match_sampling() {
        const N: usize = 400_000;
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        for d in all() {
            let cap = d.quantile(0.8);
            let draws: Vec<f64> = (0..N).map(|_| d.sample(&mut rng)).collect();
            let check = |name: &str, values: Vec<f64>, expected: f64| {
                let n = values.len() as f64;
                let mean = values.iter().sum::<f64>() / n;
                let var = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0);
                let se = (var / n).sqrt().max(1e-12);
                assert!(
                    (mean - expected).abs() < 4.0 * se,
                    "{name} of {d:?}: sample {mean} vs closed form {expected} (se {se})"
                );
            };
            check("mean", draws.clone(), d.mean());
            check(
                "capped mean",
                draws.iter().map(|x| x.min(cap)).collect(),
                d.mean_capped(cap),
            );
            check(
                "cdf",
                draws
                    .iter()
                    .map(|x| f64::from(u8::from(*x <= cap)))
                    .collect(),
                d.cdf(cap),
            );
            let m = d.mean();
            check(
                "variance",
                draws.iter().map(|x| (x - m).powi(2)).collect(),
                d.variance(),
            );
            assert!(draws.iter().all(|x| *x >= 0.0 && x.is_finite()));
        }
    }

    #[test]
    fn partial_third_moments_add_up_and_match_sampling() {
        let mut rng = ChaCha8Rng::seed_from_u64(11);
        for d in all() {
            let m = d.mean();
            let total = d.partial_moment3(f64::NEG_INFINITY, f64::INFINITY);
            let split =
                d.partial_moment3(f64::NEG_INFINITY, m) + d.partial_moment3(m, f64::INFINITY);
            assert!(
                (total - split).abs() <= 1e-9 * total.abs().max(1e-12),
                "{d:?}"
            );
            // Against a large sample: the third central moment of the capped variable.
            let cap = d.quantile(0.9);
            let n = 400_000;
            let draws: Vec<f64> = (0..n).map(|_| d.sample(&mut rng).min(cap)).collect();
            let mean = draws.iter().sum::<f64>() / n as f64;
            let k3 = draws.iter().map(|x| (x - mean).powi(3)).sum::<f64>() / n as f64;
            let sd = (draws.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n as f64).sqrt();
            let want = d.third_central_capped(Some(cap));
            // The sample third moment of a bounded variable: error well under 0.05 sd³.
            assert!(
                (k3 - want).abs() <= 0.05 * sd.powi(3) + 1e-12,
                "{d:?}: sampled {k3} vs closed form {want} (sd {sd})"
            );
        }
        // The lognormal's skewness (e^{σ²} + 2)·√(e^{σ²} − 1) without a cap.
        let d = Dist::lognormal_p50_p95(100.0, 100_000.0).unwrap();
        let Dist::LogNormal { sigma, .. } = d else {
            unreachable!()
        };
        let e = (sigma * sigma).exp();
        let skew = d.third_central_capped(None) / d.variance().powf(1.5);
        let want = (e + 2.0) * (e - 1.0).sqrt();
        assert!((skew / want - 1.0).abs() < 1e-6, "{skew} vs {want}");
    }

    #[test]
    fn partial_second_moments_add_up_to_the_second_moment() {
        for d in all() {
            let m2 = d.second_moment();
            let split = d.quantile(0.6);
            let sum = d.partial_moment2(f64::NEG_INFINITY, split)
                + d.partial_moment2(split, f64::INFINITY);
            assert!(
                (sum - m2).abs() < 1e-7 * m2.max(1.0),
                "{d:?}: {sum} vs {m2}"
            );
        }
    }

    #[test]
    fn capped_lognormal_mean_has_the_textbook_form() {
        // E[min(X, c)] = e^{μ+σ²/2} Φ((ln c − μ − σ²)/σ) + c (1 − Φ((ln c − μ)/σ)).
        let d = Dist::lognormal_p50_p95(180.0, 520.0).unwrap();
        let Dist::LogNormal { mu, sigma, .. } = d else {
            unreachable!()
        };
        let c: f64 = 700.0;
        let n = std_normal();
        let expected = (mu + sigma * sigma / 2.0).exp()
            * n.cdf((c.ln() - mu - sigma * sigma) / sigma)
            + c * (1.0 - n.cdf((c.ln() - mu) / sigma));
        assert!((d.mean_capped(c) - expected).abs() < 1e-9);
        assert!(d.mean_capped(c) < d.mean());
    }

    /// A gamma of mean 1e-310 made statrs' quantile search spin forever. Its quantiles are now
    /// found on the unit scale, with bounded loops, and a shape past the series' reach is refused.
    #[test]
    fn a_subnormal_scale_does_not_stall_the_quantile() {
        let d = Dist::gamma_mean_cv(1e-310, 1.0).unwrap();
        let q = d.quantile(0.999);
        assert!(q > 0.0 && q < 1e-308, "{q}");
        assert!(d.cdf(q) > 0.99);
        assert!(Dist::gamma_mean_cv(1200.0, 1e-9).is_err());
        assert!(Dist::beta_mean_sd(0.5, 1e-7).is_err());
    }

    #[test]
    fn invalid_parameters_are_rejected_with_reasons() {
        assert!(
            Dist::lognormal_p50_p95(100.0, 50.0)
                .unwrap_err()
                .contains("p95")
        );
        assert!(Dist::lognormal_p50_p95(100.0, 100.0).is_err());
        assert!(Dist::beta_mean_sd(0.5, 0.6).unwrap_err().contains("sd"));
        assert!(Dist::triangular(1.0, 9.0, 5.0).is_err());
        assert!(Dist::empirical(vec![], None).is_err());
        assert!(Dist::uniform(3.0, 3.0).is_err());
    }
}
