//! Comparing forecasts on common random numbers.
//!
//! Every random stream of the engine derives from (seed, trial, key path), so two scenarios
//! simulated with the same seed and number of trials see the same months: the same head-counts,
//! the same sessions, the same prompts, as far as the scenarios agree. The difference of their
//! spends is then measured trial by trial, and its standard error is that of the per-trial
//! differences — usually far smaller than either forecast's own spread. This module summarizes
//! per-trial differences ([`crate::sim::engine::simulate_all`] runs scenarios that way); `levers`, `sensitivity`, `diff` and
//! `check` are built on it.

use rand::RngExt;
use rand::SeedableRng;
use rand::rngs::ChaCha8Rng;
use serde::Serialize;

use crate::base::stats::{self, quantile_sorted, sorted};

/// A per-trial difference summarized: mean with its standard error, and the 5th and 95th
/// percentiles of the difference over trials.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct Delta {
    pub mean: f64,
    pub standard_error: f64,
    pub p5: f64,
    pub p95: f64,
}

impl Delta {
    /// `after − before`, trial by trial.
    pub fn of(before: &[f64], after: &[f64]) -> Delta {
        let d: Vec<f64> = before.iter().zip(after).map(|(b, a)| a - b).collect();
        Delta::from_values(&d)
    }

    /// Summary of already computed per-trial values.
    pub(crate) fn from_values(d: &[f64]) -> Delta {
        let n = d.len();
        if n == 0 {
            return Delta::default();
        }
        let s = sorted(d);
        Delta {
            mean: stats::mean(d),
            standard_error: stats::sd(d) / (n as f64).sqrt(),
            p5: quantile_sorted(&s, 0.05),
            p95: quantile_sorted(&s, 0.95),
        }
    }

    /// The same difference seen the other way round (`before − after`).
    pub fn negated(&self) -> Delta {
        Delta {
            mean: -self.mean,
            standard_error: self.standard_error,
            p5: -self.p95,
            p95: -self.p5,
        }
    }
}

/// A change of a probability between two runs, with the standard error of the paired difference.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct ProbabilityChange {
    pub before: f64,
    pub after: f64,
    pub delta: f64,
    pub delta_standard_error: f64,
}

/// How the probability of spending more than `threshold` changes from `before` to `after`.
pub(crate) fn exceedance_change(
    before: &[f64],
    after: &[f64],
    threshold: f64,
) -> ProbabilityChange {
    let n = before.len().min(after.len());
    if n == 0 {
        return ProbabilityChange::default();
    }
    let d: Vec<f64> = before
        .iter()
        .zip(after)
        .map(|(b, a)| f64::from(u8::from(*a > threshold)) - f64::from(u8::from(*b > threshold)))
        .collect();
    let above = |v: &[f64]| v.iter().filter(|x| **x > threshold).count() as f64 / n as f64;
    ProbabilityChange {
        before: above(before),
        after: above(after),
        delta: stats::mean(&d),
        delta_standard_error: stats::sd(&d) / (n as f64).sqrt(),
    }
}

/// Resamples used for a bootstrap standard error.
pub(crate) const BOOTSTRAP_RESAMPLES: usize = 200;

/// Standard error of `q(after) − q(before)` for the `p`-quantile, by a paired bootstrap over
/// trials (deterministic: the resampling generator is seeded with `seed`).
pub(crate) fn quantile_change_se(before: &[f64], after: &[f64], p: f64, seed: u64) -> f64 {
    let n = before.len().min(after.len());
    if n < 2 {
        return 0.0;
    }
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut b = vec![0.0; n];
    let mut a = vec![0.0; n];
    let mut diffs = Vec::with_capacity(BOOTSTRAP_RESAMPLES);
    for _ in 0..BOOTSTRAP_RESAMPLES {
        for i in 0..n {
            let k = rng.random_range(0..n);
            b[i] = before[k];
            a[i] = after[k];
        }
        b.sort_by(f64::total_cmp);
        a.sort_by(f64::total_cmp);
        diffs.push(quantile_sorted(&a, p) - quantile_sorted(&b, p));
    }
    stats::sd(&diffs)
}

/// Standard error of the `p`-quantile of `values`, distribution-free: half the distance between
/// the order statistics one binomial standard deviation below and above rank `p·n`.
pub(crate) fn quantile_se(values: &[f64], p: f64) -> f64 {
    let n = values.len();
    if n < 2 {
        return 0.0;
    }
    let s = sorted(values);
    let half = (p * (1.0 - p) / n as f64).sqrt();
    let lo = quantile_sorted(&s, (p - half).max(0.0));
    let hi = quantile_sorted(&s, (p + half).min(1.0));
    (hi - lo) / 2.0
}

/// Standard error of the ratio `Σnum / Σden` over trials (delta method).
pub fn ratio_se(num: &[f64], den: &[f64]) -> Option<f64> {
    let n = num.len().min(den.len());
    let total_den = stats::sum(den);
    if n < 2 || !(total_den > 0.0) {
        return None;
    }
    let r = stats::sum(num) / total_den;
    let residuals: Vec<f64> = num.iter().zip(den).map(|(x, y)| x - r * y).collect();
    let mean_den = total_den / n as f64;
    Some(stats::sd(&residuals) / (n as f64).sqrt() / mean_den)
}

/// Spearman's rank correlation (average ranks for ties); `None` when either side is constant.
pub fn spearman(x: &[f64], y: &[f64]) -> Option<f64> {
    let n = x.len().min(y.len());
    if n < 3 {
        return None;
    }
    let rx = ranks(&x[..n]);
    let ry = ranks(&y[..n]);
    pearson(&rx, &ry)
}

fn ranks(v: &[f64]) -> Vec<f64> {
    let mut idx: Vec<usize> = (0..v.len()).collect();
    idx.sort_by(|&a, &b| v[a].total_cmp(&v[b]));
    let mut r = vec![0.0; v.len()];
    let mut i = 0;
    while i < idx.len() {
        let mut j = i;
        while j + 1 < idx.len() && v[idx[j + 1]] == v[idx[i]] {
            j += 1;
        }
        let avg = (i + j) as f64 / 2.0 + 1.0;
        for k in &idx[i..=j] {
            r[*k] = avg;
        }
        i = j + 1;
    }
    r
}

fn pearson(x: &[f64], y: &[f64]) -> Option<f64> {
    let mx = stats::mean(x);
    let my = stats::mean(y);
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for (a, b) in x.iter().zip(y) {
        sxy += (a - mx) * (b - my);
        sxx += (a - mx) * (a - mx);
        syy += (b - my) * (b - my);
    }
    (sxx > 0.0 && syy > 0.0).then(|| sxy / (sxx * syy).sqrt())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paired_differences_cancel_shared_noise() {
        let before: Vec<f64> = (0..1000).map(|i| 100.0 + (i % 37) as f64 * 10.0).collect();
        let after: Vec<f64> = before.iter().map(|b| b - 5.0).collect();
        let d = Delta::of(&before, &after);
        assert_eq!(d.mean, -5.0);
        assert!(d.standard_error < 1e-12);
        assert_eq!(d.negated().mean, 5.0);
    }

    #[test]
    fn exceedance_change_counts_crossings() {
        let before = [1.0, 2.0, 3.0, 4.0];
        let after = [1.0, 2.0, 2.0, 2.0];
        let c = exceedance_change(&before, &after, 2.5);
        assert_eq!((c.before, c.after, c.delta), (0.5, 0.0, -0.5));
    }

    #[test]
    fn spearman_is_one_for_monotone_and_handles_ties() {
        let x = [1.0, 2.0, 3.0, 4.0, 5.0];
        let y = [2.0, 4.0, 8.0, 16.0, 32.0];
        assert!((spearman(&x, &y).unwrap() - 1.0).abs() < 1e-12);
        let z = [5.0, 4.0, 3.0, 2.0, 1.0];
        assert!((spearman(&x, &z).unwrap() + 1.0).abs() < 1e-12);
        assert_eq!(ranks(&[1.0, 2.0, 2.0, 3.0]), vec![1.0, 2.5, 2.5, 4.0]);
        assert_eq!(spearman(&x, &[1.0; 5]), None);
    }

    #[test]
    fn ratio_se_is_zero_for_an_exact_ratio() {
        let den = [10.0, 20.0, 30.0];
        let num = [1.0, 2.0, 3.0];
        assert!(ratio_se(&num, &den).unwrap() < 1e-15);
    }

    #[test]
    fn quantile_se_of_a_uniform_sample_matches_theory() {
        // Uniform(0,1): SE of the median = sqrt(0.25/n) / f(0.5) = 0.5/sqrt(n).
        let n = 10_000;
        let v: Vec<f64> = (0..n).map(|i| (i as f64 + 0.5) / n as f64).collect();
        let se = quantile_se(&v, 0.5);
        assert!((se - 0.5 / (n as f64).sqrt()).abs() < 1e-4, "{se}");
    }
}
