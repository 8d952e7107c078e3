//! The written forms of a distribution (a median and a 95th percentile, a mean and a
//! coefficient of variation, …) turned into a family's parameters, and the reasons a form is
//! refused, as data ([`DistError`]).

use super::error::DistError;
use super::{Dist, MAX_BETA_CONCENTRATION, MIN_CV, Z95, phi_cdf};

impl Dist {
    /// Lognormal through a median and a 95th percentile.
    pub(crate) fn lognormal_p50_p95(p50: f64, p95: f64) -> Result<Dist, DistError> {
        positive("p50", p50)?;
        if !(p95 > p50) {
            return Err(DistError::P95NotAboveP50 { p50, p95 });
        }
        let mu = p50.ln();
        let sigma = (p95.ln() - mu) / Z95;
        Self::lognormal(mu, sigma)
    }

    /// Lognormal whose 5th and 95th percentiles are `low` and `high` (a 90% interval).
    pub(crate) fn lognormal_interval(low: f64, high: f64) -> Result<Dist, DistError> {
        positive("low", low)?;
        if !(high > low) {
            return Err(DistError::NotAbove {
                keys: ("high", "low"),
                got: (high, low),
            });
        }
        let mu = 0.5 * (low.ln() + high.ln());
        let sigma = (high.ln() - low.ln()) / (2.0 * Z95);
        Self::lognormal(mu, sigma)
    }

    /// Lognormal with the given arithmetic mean and standard deviation.
    pub(crate) fn lognormal_mean_sd(mean: f64, sd: f64) -> Result<Dist, DistError> {
        positive("mean", mean)?;
        positive("sd", sd)?;
        let sigma2 = (1.0 + (sd / mean).powi(2)).ln();
        Self::lognormal(mean.ln() - sigma2 / 2.0, sigma2.sqrt())
    }

    pub(super) fn lognormal(mu: f64, sigma: f64) -> Result<Dist, DistError> {
        if !mu.is_finite() || !sigma.is_finite() || sigma <= 0.0 {
            return Err(DistError::LognormalOutOfRange);
        }
        if mu + 50.0 * sigma > 700.0 {
            return Err(DistError::LognormalOverflows);
        }
        let sampler = rand_distr::LogNormal::new(mu, sigma).map_err(DistError::sampler)?;
        Ok(Dist::LogNormal { mu, sigma, sampler })
    }

    /// Normal truncated at zero.
    pub(crate) fn trunc_normal(mean: f64, sd: f64) -> Result<Dist, DistError> {
        positive("mean", mean)?;
        positive("sd", sd)?;
        let mass = 1.0 - phi_cdf(-mean / sd);
        Ok(Dist::TruncNormal { mean, sd, mass })
    }

    /// Gamma with the given mean and coefficient of variation.
    pub(crate) fn gamma_mean_cv(mean: f64, cv: f64) -> Result<Dist, DistError> {
        positive("mean", mean)?;
        positive("cv", cv)?;
        if cv > 100.0 {
            return Err(DistError::CvTooLarge { cv });
        }
        if cv < MIN_CV {
            return Err(DistError::CvTooSmall { cv });
        }
        let shape = 1.0 / (cv * cv);
        let scale = mean * cv * cv;
        let sampler = rand_distr::Gamma::new(shape, scale).map_err(DistError::sampler)?;
        Ok(Dist::Gamma {
            shape,
            scale,
            sampler,
        })
    }

    pub fn uniform(min: f64, max: f64) -> Result<Dist, DistError> {
        if !(min >= 0.0) {
            return Err(DistError::Negative {
                key: "min",
                got: min,
            });
        }
        if !(max > min) {
            return Err(DistError::NotAbove {
                keys: ("max", "min"),
                got: (max, min),
            });
        }
        Ok(Dist::Uniform { min, max })
    }

    pub fn triangular(min: f64, mode: f64, max: f64) -> Result<Dist, DistError> {
        if !(min >= 0.0) {
            return Err(DistError::Negative {
                key: "min",
                got: min,
            });
        }
        if !(max > min) {
            return Err(DistError::NotAbove {
                keys: ("max", "min"),
                got: (max, min),
            });
        }
        if !(mode >= min && mode <= max) {
            return Err(DistError::ModeOutside { min, mode, max });
        }
        Ok(Dist::Triangular { min, mode, max })
    }

    /// Beta with the given mean and standard deviation (for rates).
    pub(crate) fn beta_mean_sd(mean: f64, sd: f64) -> Result<Dist, DistError> {
        if !(mean > 0.0 && mean < 1.0) {
            return Err(DistError::BetaMeanOutside { mean });
        }
        positive("sd", sd)?;
        let limit = (mean * (1.0 - mean)).sqrt();
        if sd >= limit {
            return Err(DistError::BetaTooWide { mean, sd, limit });
        }
        let k = mean * (1.0 - mean) / (sd * sd) - 1.0;
        if k > MAX_BETA_CONCENTRATION {
            return Err(DistError::BetaTooNarrow { mean, sd });
        }
        let (alpha, beta) = (mean * k, (1.0 - mean) * k);
        let sampler = rand_distr::Beta::new(alpha, beta).map_err(DistError::sampler)?;
        Ok(Dist::Beta {
            alpha,
            beta,
            sampler,
        })
    }

    pub fn poisson(mean: f64) -> Result<Dist, DistError> {
        if !(mean >= 0.0) || !mean.is_finite() {
            return Err(DistError::Negative {
                key: "mean",
                got: mean,
            });
        }
        if mean > 1e15 {
            return Err(DistError::PoissonTooLarge { mean });
        }
        let sampler = if mean > 0.0 {
            Some(rand_distr::Poisson::new(mean).map_err(DistError::sampler)?)
        } else {
            None
        };
        Ok(Dist::Poisson { mean, sampler })
    }

    pub fn empirical(values: Vec<f64>, weights: Option<Vec<f64>>) -> Result<Dist, DistError> {
        if values.is_empty() {
            return Err(DistError::NoValues);
        }
        if let Some(v) = values.iter().find(|v| !(**v >= 0.0) || !v.is_finite()) {
            return Err(DistError::BadValue {
                key: "values",
                got: *v,
            });
        }
        let weights = weights.unwrap_or_else(|| vec![1.0; values.len()]);
        if weights.len() != values.len() {
            return Err(DistError::WeightsLength {
                weights: weights.len(),
                values: values.len(),
            });
        }
        if let Some(w) = weights.iter().find(|w| !(**w >= 0.0) || !w.is_finite()) {
            return Err(DistError::BadValue {
                key: "weights",
                got: *w,
            });
        }
        let total: f64 = weights.iter().sum();
        if !(total > 0.0) {
            return Err(DistError::WeightsAllZero);
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
}

/// `Ok` when `got` is a positive number; otherwise the refusal naming `key` (NaN is refused too).
fn positive(key: &'static str, got: f64) -> Result<(), DistError> {
    if got > 0.0 {
        Ok(())
    } else {
        Err(DistError::NotPositive { key, got })
    }
}
