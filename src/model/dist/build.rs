//! The written forms of a distribution (a median and a 95th percentile, a mean and a
//! coefficient of variation, …) turned into a family's parameters, and the reasons a form is
//! refused, as data ([`DistError`]).

use std::fmt;

use super::{Dist, MAX_BETA_CONCENTRATION, MIN_CV, Z95, phi_cdf};

/// Why written parameters make no distribution; `Display` says it to the scenario's author.
#[derive(Clone, Debug, PartialEq)]
pub enum DistError {
    /// A parameter that must be above 0.
    NotPositive { key: &'static str, got: f64 },
    /// A parameter that must be 0 or more.
    Negative { key: &'static str, got: f64 },
    /// A finite value of 0 or more expected in a list (`values`, `weights`).
    BadValue { key: &'static str, got: f64 },
    /// `keys.0` must be above `keys.1`.
    NotAbove {
        keys: (&'static str, &'static str),
        got: (f64, f64),
    },
    /// A 95th percentile at or below the median.
    P95NotAboveP50 { p50: f64, p95: f64 },
    /// A lognormal whose parameters are not finite, or whose σ is not positive.
    LognormalOutOfRange,
    /// A lognormal whose upper tail overflows a float.
    LognormalOverflows,
    /// A gamma's coefficient of variation above 100.
    CvTooLarge { cv: f64 },
    /// A gamma's coefficient of variation below [`MIN_CV`]: a fixed number.
    CvTooSmall { cv: f64 },
    /// A triangular mode outside `[min, max]`.
    ModeOutside { min: f64, mode: f64, max: f64 },
    /// A beta's mean outside (0, 1).
    BetaMeanOutside { mean: f64 },
    /// A beta's sd at or above `limit`, √(mean·(1−mean)).
    BetaTooWide { mean: f64, sd: f64, limit: f64 },
    /// A beta so narrow (concentration above [`MAX_BETA_CONCENTRATION`]) the rate is fixed.
    BetaTooNarrow { mean: f64, sd: f64 },
    /// A Poisson mean above 10¹⁵.
    PoissonTooLarge { mean: f64 },
    /// An empirical distribution without values.
    NoValues,
    /// Weights and values of different lengths.
    WeightsLength { weights: usize, values: usize },
    /// Weights that are all 0.
    WeightsAllZero,
    /// The sampler refused the parameters (`rand_distr`'s reason).
    Sampler(String),
}

impl DistError {
    fn sampler(e: impl fmt::Display) -> Self {
        DistError::Sampler(e.to_string())
    }

    /// Whether the parameters describe a quantity that never varies: better written as a number.
    pub(crate) fn never_varies(&self) -> bool {
        matches!(
            self,
            DistError::CvTooSmall { .. } | DistError::BetaTooNarrow { .. }
        )
    }
}

impl fmt::Display for DistError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DistError::NotPositive { key, got } => write!(f, "`{key}` must be above 0, got {got}"),
            DistError::Negative { key, got } => write!(f, "`{key}` must be 0 or more, got {got}"),
            DistError::BadValue { key, got } => {
                write!(f, "`{key}` must be finite and 0 or more, found {got}")
            }
            DistError::NotAbove { keys, got } => write!(
                f,
                "`{}` ({}) must be above `{}` ({})",
                keys.0, got.0, keys.1, got.1
            ),
            DistError::P95NotAboveP50 { p50, p95 } => write!(
                f,
                "`p95` ({p95}) must be above `p50` ({p50}): a 95th percentile cannot be below the median"
            ),
            DistError::LognormalOutOfRange => {
                f.write_str("the lognormal's parameters are out of range")
            }
            DistError::LognormalOverflows => {
                f.write_str("the lognormal is so wide that its upper tail overflows")
            }
            DistError::CvTooLarge { cv } => write!(f, "`cv` of {cv} is too large (at most 100)"),
            DistError::CvTooSmall { cv } => write!(
                f,
                "`cv` of {cv:e} is so small that the value never varies (at least {MIN_CV:e})"
            ),
            DistError::ModeOutside { min, mode, max } => write!(
                f,
                "`mode` ({mode}) must lie between `min` ({min}) and `max` ({max})"
            ),
            DistError::BetaMeanOutside { mean } => write!(
                f,
                "a beta's `mean` must be strictly between 0 and 1, got {mean}"
            ),
            DistError::BetaTooWide { mean, sd, limit } => write!(
                f,
                "a beta with mean {mean} needs `sd` below {limit:.4} (sqrt(mean·(1−mean))), got {sd}"
            ),
            DistError::BetaTooNarrow { mean, sd } => write!(
                f,
                "a beta with mean {mean} and `sd` {sd:e} is so narrow that the rate never varies (`sd` at least {:.1e})",
                (mean * (1.0 - mean) / (MAX_BETA_CONCENTRATION + 1.0)).sqrt()
            ),
            DistError::PoissonTooLarge { mean } => {
                write!(f, "a Poisson mean of {mean} is too large (at most 1e15)")
            }
            DistError::NoValues => f.write_str("`values` must not be empty"),
            DistError::WeightsLength { weights, values } => write!(
                f,
                "`weights` has {weights} entries but `values` has {values}"
            ),
            DistError::WeightsAllZero => f.write_str("`weights` must not all be 0"),
            DistError::Sampler(reason) => f.write_str(reason),
        }
    }
}

impl Dist {
    /// Lognormal through a median and a 95th percentile.
    pub(crate) fn lognormal_p50_p95(p50: f64, p95: f64) -> Result<Dist, DistError> {
        if !(p50 > 0.0) {
            return Err(DistError::NotPositive {
                key: "p50",
                got: p50,
            });
        }
        if !(p95 > p50) {
            return Err(DistError::P95NotAboveP50 { p50, p95 });
        }
        let mu = p50.ln();
        let sigma = (p95.ln() - mu) / Z95;
        Self::lognormal(mu, sigma)
    }

    /// Lognormal whose 5th and 95th percentiles are `low` and `high` (a 90% interval).
    pub(crate) fn lognormal_interval(low: f64, high: f64) -> Result<Dist, DistError> {
        if !(low > 0.0) {
            return Err(DistError::NotPositive {
                key: "low",
                got: low,
            });
        }
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
        if !(mean > 0.0) {
            return Err(DistError::NotPositive {
                key: "mean",
                got: mean,
            });
        }
        if !(sd > 0.0) {
            return Err(DistError::NotPositive { key: "sd", got: sd });
        }
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
        if !(mean > 0.0) {
            return Err(DistError::NotPositive {
                key: "mean",
                got: mean,
            });
        }
        if !(sd > 0.0) {
            return Err(DistError::NotPositive { key: "sd", got: sd });
        }
        let mass = 1.0 - phi_cdf(-mean / sd);
        Ok(Dist::TruncNormal { mean, sd, mass })
    }

    /// Gamma with the given mean and coefficient of variation.
    pub(crate) fn gamma_mean_cv(mean: f64, cv: f64) -> Result<Dist, DistError> {
        if !(mean > 0.0) {
            return Err(DistError::NotPositive {
                key: "mean",
                got: mean,
            });
        }
        if !(cv > 0.0) {
            return Err(DistError::NotPositive { key: "cv", got: cv });
        }
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
        if !(sd > 0.0) {
            return Err(DistError::NotPositive { key: "sd", got: sd });
        }
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
