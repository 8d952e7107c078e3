//! Statistics of simulated months: compensated sums, percentiles, tail means and standard errors.
//!
//! Totals of millions of small per-request costs are added with Neumaier's compensated sum, so a
//! deterministic month matches hand arithmetic to the cent whatever the traffic. Percentiles use
//! linear interpolation between order statistics (Hyndman–Fan type 7, NumPy's default), so users
//! can reproduce them from `--trials-out` with any spreadsheet.

use serde::Serialize;

/// Neumaier's compensated summation: the error does not grow with the number of terms.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct KahanSum {
    sum: f64,
    compensation: f64,
}

impl KahanSum {
    pub fn new() -> Self {
        Self::default()
    }

    #[inline]
    pub fn add(&mut self, x: f64) {
        let t = self.sum + x;
        if self.sum.abs() >= x.abs() {
            self.compensation += (self.sum - t) + x;
        } else {
            self.compensation += (x - t) + self.sum;
        }
        self.sum = t;
    }

    #[inline]
    pub fn value(&self) -> f64 {
        self.sum + self.compensation
    }
}

impl std::iter::FromIterator<f64> for KahanSum {
    fn from_iter<I: IntoIterator<Item = f64>>(iter: I) -> Self {
        let mut s = KahanSum::new();
        for x in iter {
            s.add(x);
        }
        s
    }
}

/// Compensated sum of a slice.
pub fn sum(values: &[f64]) -> f64 {
    values.iter().copied().collect::<KahanSum>().value()
}

/// Mean of a slice (0 for an empty one).
pub fn mean(values: &[f64]) -> f64 {
    if values.is_empty() {
        0.0
    } else {
        sum(values) / values.len() as f64
    }
}

/// Sample standard deviation (n − 1 in the denominator).
pub fn sd(values: &[f64]) -> f64 {
    if values.len() < 2 {
        return 0.0;
    }
    let m = mean(values);
    let ss: KahanSum = values.iter().map(|v| (v - m) * (v - m)).collect();
    (ss.value() / (values.len() - 1) as f64).sqrt()
}

/// The `p`-quantile of already sorted values, by linear interpolation (type 7).
pub fn quantile_sorted(sorted: &[f64], p: f64) -> f64 {
    match sorted.len() {
        0 => f64::NAN,
        1 => sorted[0],
        n => {
            let h = (n - 1) as f64 * p.clamp(0.0, 1.0);
            let lo = h.floor() as usize;
            let hi = (lo + 1).min(n - 1);
            sorted[lo] + (h - lo as f64) * (sorted[hi] - sorted[lo])
        }
    }
}

/// Sorted copy of values (NaN-safe total order).
pub fn sorted(values: &[f64]) -> Vec<f64> {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    v
}

/// The usual description of a simulated distribution.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct Summary {
    pub mean: f64,
    pub sd: f64,
    pub p5: f64,
    pub p50: f64,
    pub p95: f64,
    pub p99: f64,
    /// Mean of the worst 5% of values (expected shortfall).
    pub cvar95: f64,
    pub min: f64,
    pub max: f64,
}

impl Summary {
    pub fn of(values: &[f64]) -> Summary {
        if values.is_empty() {
            return Summary::default();
        }
        let s = sorted(values);
        let tail = ((s.len() as f64) * 0.05).ceil().max(1.0) as usize;
        Summary {
            mean: mean(values),
            sd: sd(values),
            p5: quantile_sorted(&s, 0.05),
            p50: quantile_sorted(&s, 0.50),
            p95: quantile_sorted(&s, 0.95),
            p99: quantile_sorted(&s, 0.99),
            cvar95: mean(&s[s.len() - tail..]),
            min: s[0],
            max: s[s.len() - 1],
        }
    }

    /// Standard error of the mean from `n` independent values.
    pub fn standard_error(&self, n: usize) -> f64 {
        if n == 0 {
            f64::NAN
        } else {
            self.sd / (n as f64).sqrt()
        }
    }
}

/// Median of small integer values, or `None` when empty.
pub fn median_u32(values: &[u32]) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    let v: Vec<f64> = values.iter().map(|&d| f64::from(d)).collect();
    Some(quantile_sorted(&sorted(&v), 0.5))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compensated_sum_is_exact_where_naive_drifts() {
        // 4 million requests at $0.002875 is exactly $11,500.
        let mut k = KahanSum::new();
        let mut naive = 0.0;
        for _ in 0..4_000_000 {
            k.add(0.002875);
            naive += 0.002875;
        }
        assert!((k.value() - 11_500.0).abs() < 1e-9, "{}", k.value());
        assert!((naive - 11_500.0_f64).abs() > (k.value() - 11_500.0).abs());
    }

    #[test]
    fn quantiles_match_numpy_type_7() {
        let v = [1.0, 2.0, 3.0, 4.0, 10.0];
        assert_eq!(quantile_sorted(&v, 0.5), 3.0);
        assert!((quantile_sorted(&v, 0.95) - 8.8).abs() < 1e-12);
        assert_eq!(quantile_sorted(&v, 0.0), 1.0);
        assert_eq!(quantile_sorted(&v, 1.0), 10.0);
    }

    #[test]
    fn summary_tail_mean_and_order() {
        let v: Vec<f64> = (1..=100).map(f64::from).collect();
        let s = Summary::of(&v);
        assert_eq!(s.mean, 50.5);
        assert_eq!(s.cvar95, 98.0); // mean of 96..=100
        assert!(s.p5 <= s.p50 && s.p50 <= s.p95 && s.p95 <= s.p99 && s.p99 <= s.max);
    }
}
