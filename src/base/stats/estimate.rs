//! A figure with its uncertainty, the one way every layer carries it: an [`Estimate`] (value and
//! standard error: of a mean, a ratio of sums over trials by the delta method, or a proportion)
//! and an [`Interval`] (a percentile with its distribution-free 95% interval from the order
//! statistics around its rank).

use serde::Serialize;

use super::quantile_sorted;
use crate::base::stats;

/// The normal quantile of a two-sided 95% interval.
pub const Z95: f64 = 1.959_963_984_540_054;

/// A figure and its standard error (`NaN` when it cannot be estimated, e.g. from one trial).
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Estimate {
    pub value: f64,
    pub standard_error: f64,
}

impl Estimate {
    pub fn new(value: f64, standard_error: f64) -> Self {
        Estimate {
            value,
            standard_error,
        }
    }

    /// The mean of independent values and its standard error.
    pub(crate) fn mean_of(values: &[f64]) -> Self {
        let n = values.len();
        let se = if n < 2 {
            f64::NAN
        } else {
            stats::sd(values) / (n as f64).sqrt()
        };
        Estimate::new(stats::mean(values), se)
    }

    /// `Σx / Σy` over trials, with the delta-method standard error; `None` when `Σy` is 0.
    pub fn ratio(x: &[f64], y: &[f64]) -> Option<Self> {
        let n = x.len().min(y.len());
        let sy = stats::sum(&y[..n]);
        if !(sy > 0.0) {
            return None;
        }
        let r = stats::sum(&x[..n]) / sy;
        let se = if n < 2 {
            f64::NAN
        } else {
            let ss: stats::KahanSum = x
                .iter()
                .zip(y)
                .map(|(xi, yi)| (xi - r * yi) * (xi - r * yi))
                .collect();
            let ybar = sy / n as f64;
            (ss.value() / (n as f64 * (n - 1) as f64)).sqrt() / ybar
        };
        Some(Estimate::new(r, se))
    }

    /// The share of `n` trials for which `hit` holds, with its binomial standard error.
    pub fn proportion(hits: usize, n: usize) -> Self {
        if n == 0 {
            return Estimate::new(f64::NAN, f64::NAN);
        }
        let p = hits as f64 / n as f64;
        Estimate::new(p, (p * (1.0 - p) / n as f64).sqrt())
    }
}

/// A figure with a 95% interval.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Interval {
    pub value: f64,
    pub low: f64,
    pub high: f64,
}

impl Interval {
    /// The `p`-quantile of sorted values with its distribution-free 95% interval.
    pub fn quantile(sorted: &[f64], p: f64) -> Self {
        let n = sorted.len();
        if n == 0 {
            return Interval {
                value: f64::NAN,
                low: f64::NAN,
                high: f64::NAN,
            };
        }
        // 1-based ranks of the order statistics that bound the interval.
        let (lo, hi) = stats::order_statistic_ranks(n as u64, p);
        Interval {
            value: quantile_sorted(sorted, p),
            low: sorted[lo - 1],
            high: sorted[hi - 1],
        }
    }

    /// The standard error a normal estimate with this interval would have.
    pub(crate) fn implied_se(&self) -> f64 {
        (self.high - self.low) / (2.0 * Z95)
    }
}
