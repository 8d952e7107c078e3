//! Token histograms that are mergeable, fixed-size and exact about the moments that matter.
//!
//! A log of a billion calls cannot be held in memory, and a warehouse should be able to send a
//! summary instead of its rows. Both needs are met by one structure: per bucket of width 1/16
//! octave (`floor(16·log2 x)`, about 4.4 % wide; zero has its own bucket) it keeps the count and the
//! sums of x, x², ln x and (ln x)². Lognormal maximum-likelihood fits need only the sums of ln x and
//! (ln x)², so a fit from the histogram equals the fit from the raw rows; the empirical fit uses
//! bucket means (sum / count), which preserve the mean exactly. Histograms add, so shards and
//! warehouse partitions merge. Memory is bounded by the bucket range: 16 × 64 buckets for any `u64`.

use std::collections::BTreeMap;

use crate::model::dist::Z95;

/// Buckets per doubling.
pub const BUCKETS_PER_OCTAVE: f64 = 16.0;

/// The bucket of a positive value; `None` for zero (and anything not above 0).
pub fn bucket(x: f64) -> Option<i32> {
    (x > 0.0).then(|| (BUCKETS_PER_OCTAVE * x.log2()).floor() as i32)
}

/// Count and sums of a set of values.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Moments {
    pub n: f64,
    pub sum: f64,
    pub sum_sq: f64,
    /// Sum of ln x over the values above 0.
    pub sum_ln: f64,
    pub sum_ln2: f64,
}

impl Moments {
    pub fn add(&mut self, x: f64) {
        self.n += 1.0;
        self.sum += x;
        self.sum_sq += x * x;
        if x > 0.0 {
            let l = x.ln();
            self.sum_ln += l;
            self.sum_ln2 += l * l;
        }
    }

    pub fn merge(&mut self, o: &Moments) {
        self.n += o.n;
        self.sum += o.sum;
        self.sum_sq += o.sum_sq;
        self.sum_ln += o.sum_ln;
        self.sum_ln2 += o.sum_ln2;
    }

    pub fn mean(&self) -> f64 {
        if self.n > 0.0 { self.sum / self.n } else { 0.0 }
    }

    /// Population variance.
    pub fn variance(&self) -> f64 {
        if self.n > 0.0 {
            (self.sum_sq / self.n - self.mean().powi(2)).max(0.0)
        } else {
            0.0
        }
    }
}

/// A histogram of non-negative values (token counts).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Histogram {
    /// Values equal to 0.
    pub zero: Moments,
    /// Positive values by bucket.
    pub buckets: BTreeMap<i32, Moments>,
}

/// A lognormal fitted to the positive values: median e^mu and log-sd sigma.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LognormalFit {
    pub mu: f64,
    pub sigma: f64,
    /// Positive values used.
    pub n: f64,
}

impl LognormalFit {
    pub fn p50(&self) -> f64 {
        self.mu.exp()
    }

    pub fn p95(&self) -> f64 {
        (self.mu + Z95 * self.sigma).exp()
    }

    pub fn mean(&self) -> f64 {
        (self.mu + 0.5 * self.sigma * self.sigma).exp()
    }
}

impl Histogram {
    pub fn add(&mut self, x: f64) {
        match bucket(x) {
            None => self.zero.add(0.0),
            Some(b) => self.buckets.entry(b).or_default().add(x),
        }
    }

    /// Add a bucket's sums (from a warehouse aggregate); `None` is the zero bucket.
    pub fn add_bucket(&mut self, b: Option<i32>, m: &Moments) {
        match b {
            None => self.zero.merge(m),
            Some(b) => self.buckets.entry(b).or_default().merge(m),
        }
    }

    pub fn merge(&mut self, o: &Histogram) {
        self.zero.merge(&o.zero);
        for (b, m) in &o.buckets {
            self.buckets.entry(*b).or_default().merge(m);
        }
    }

    /// All values together.
    pub fn total(&self) -> Moments {
        let mut t = self.zero;
        for m in self.buckets.values() {
            t.merge(m);
        }
        t
    }

    pub fn n(&self) -> f64 {
        self.total().n
    }

    /// Share of values equal to 0.
    pub fn zero_share(&self) -> f64 {
        let n = self.n();
        if n > 0.0 { self.zero.n / n } else { 0.0 }
    }

    /// Maximum-likelihood lognormal of the positive values (exact: from the sums of logs).
    pub fn lognormal(&self) -> Option<LognormalFit> {
        let mut pos = Moments::default();
        for m in self.buckets.values() {
            pos.merge(m);
        }
        if pos.n == 0.0 {
            return None;
        }
        let mu = pos.sum_ln / pos.n;
        let var = (pos.sum_ln2 / pos.n - mu * mu).max(0.0);
        Some(LognormalFit {
            mu,
            sigma: var.sqrt(),
            n: pos.n,
        })
    }

    /// At most `max_points` (value, weight) pairs: consecutive buckets merged into groups of about
    /// equal count, each represented by its mean, so the overall mean is kept exactly.
    pub fn empirical(&self, max_points: usize) -> Vec<(f64, f64)> {
        let n = self.n();
        if n == 0.0 {
            return Vec::new();
        }
        let mut parts: Vec<Moments> = Vec::new();
        if self.zero.n > 0.0 {
            parts.push(self.zero);
        }
        parts.extend(self.buckets.values().copied());
        let groups = max_points.max(1);
        let per_group = n / groups as f64;
        let mut out = Vec::new();
        let mut acc = Moments::default();
        for m in parts {
            acc.merge(&m);
            if acc.n >= per_group {
                out.push((acc.mean(), acc.n));
                acc = Moments::default();
            }
        }
        if acc.n > 0.0 {
            out.push((acc.mean(), acc.n));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_sixteenths_of_an_octave() {
        assert_eq!(bucket(0.0), None);
        assert_eq!(bucket(1.0), Some(0));
        assert_eq!(bucket(2.0), Some(16));
        assert_eq!(bucket(1024.0), Some(160));
        assert_eq!(bucket(1023.0), Some(159));
    }

    #[test]
    fn the_lognormal_fit_is_the_exact_maximum_likelihood_fit() {
        let xs = [100.0, 200.0, 400.0, 800.0, 0.0];
        let mut h = Histogram::default();
        for x in xs {
            h.add(x);
        }
        let f = h.lognormal().unwrap();
        let logs: Vec<f64> = xs.iter().filter(|x| **x > 0.0).map(|x| x.ln()).collect();
        let mu = logs.iter().sum::<f64>() / 4.0;
        let var = logs.iter().map(|l| (l - mu).powi(2)).sum::<f64>() / 4.0;
        assert!((f.mu - mu).abs() < 1e-12);
        assert!((f.sigma - var.sqrt()).abs() < 1e-12);
        assert_eq!(h.zero_share(), 0.2);
        let e = h.empirical(2);
        let mean: f64 = e.iter().map(|(v, w)| v * w).sum::<f64>() / 5.0;
        assert!((mean - 300.0).abs() < 1e-9);
        assert!(e.len() <= 3);
    }

    #[test]
    fn merging_equals_adding_everything_to_one() {
        let (mut a, mut b, mut all) = (
            Histogram::default(),
            Histogram::default(),
            Histogram::default(),
        );
        for i in 0..100 {
            let x = f64::from(i * 37 % 1000);
            if i % 2 == 0 {
                a.add(x)
            } else {
                b.add(x)
            }
            all.add(x);
        }
        a.merge(&b);
        assert_eq!(a.n(), all.n());
        assert!((a.lognormal().unwrap().mu - all.lognormal().unwrap().mu).abs() < 1e-12);
    }
}
