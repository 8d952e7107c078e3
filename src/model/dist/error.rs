//! Why written parameters make no distribution, as data, and the limits those reasons name.

use std::fmt;

/// Smallest coefficient of variation of a gamma: its shape, 1/cv², stays at most 10⁸, within
/// the reach of the incomplete gamma function's series. A smaller one is a fixed number.
pub(crate) const MIN_CV: f64 = 1e-4;

/// Largest α + β of a beta (its concentration): a rate known to a few parts in 10⁵ is a fixed
/// number, and the incomplete beta function's continued fraction needs about √(α + β) steps.
pub(crate) const MAX_BETA_CONCENTRATION: f64 = 1e8;

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
    /// A gamma's coefficient of variation below `MIN_CV`: a fixed number.
    CvTooSmall { cv: f64 },
    /// A triangular mode outside `[min, max]`.
    ModeOutside { min: f64, mode: f64, max: f64 },
    /// A beta's mean outside (0, 1).
    BetaMeanOutside { mean: f64 },
    /// A beta's sd at or above `limit`, √(mean·(1−mean)).
    BetaTooWide { mean: f64, sd: f64, limit: f64 },
    /// A beta so narrow (concentration above `MAX_BETA_CONCENTRATION`) the rate is fixed.
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
    pub(super) fn sampler(e: impl fmt::Display) -> Self {
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
