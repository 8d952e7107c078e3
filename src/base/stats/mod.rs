//! Statistics of simulated months: compensated sums, percentiles, tail means and standard errors.
//!
//! Totals of millions of small per-request costs are added with Neumaier's compensated sum, so a
//! deterministic month matches hand arithmetic to the cent whatever the traffic. Percentiles use
//! linear interpolation between order statistics (Hyndman–Fan type 7, NumPy's default), so users
//! can reproduce them from `--trials-out` with any spreadsheet.

pub mod estimate;
pub mod paired;

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

/// Mean and variance in one pass (Welford), for statistics of more values than are kept.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Welford {
    n: u64,
    mean: f64,
    m2: f64,
}

impl Welford {
    pub fn add(&mut self, x: f64) {
        self.n += 1;
        let delta = x - self.mean;
        self.mean += delta / self.n as f64;
        self.m2 += delta * (x - self.mean);
    }

    pub fn count(&self) -> u64 {
        self.n
    }

    pub fn mean(&self) -> f64 {
        self.mean
    }

    /// Sample standard deviation (n − 1 in the denominator).
    pub fn sd(&self) -> f64 {
        if self.n < 2 {
            0.0
        } else {
            (self.m2 / (self.n - 1) as f64).sqrt()
        }
    }

    /// Standard error of the mean.
    pub fn standard_error(&self) -> f64 {
        if self.n == 0 {
            f64::NAN
        } else {
            self.sd() / (self.n as f64).sqrt()
        }
    }
}

/// Relative accuracy of [`SpendStream`] percentiles once it has dropped its months for the
/// sketch: a reported percentile is within 0.05% of a value whose rank is the requested one.
pub const STREAM_RELATIVE_ACCURACY: f64 = 5e-4;

/// Monthly spend of every simulated month in bounded memory: exact count, compensated sum,
/// mean and variance (per month and per trial), minimum, maximum, exceedance counts of given
/// thresholds and each trial's horizon total. Percentiles are order statistics of the months
/// themselves while they fit in the stream's capacity — the ten thousand horizons of a
/// twelve-month RFP are 120,000 numbers, which no sketch should stand in for — and come from a
/// DDSketch with [`STREAM_RELATIVE_ACCURACY`] beyond it, whose error the percentile intervals
/// then carry ([`SpendStream::quantile_interval`]). The sketch takes at most about 256 KiB
/// whatever the number of months, which is what lets a run of ten million trials keep its
/// headline figures exact where they can be and within 0.05% where they cannot.
#[derive(Clone)]
pub struct SpendStream {
    sum: KahanSum,
    months: Welford,
    /// Mean spend of each trial's months (the horizon), for standard errors that respect the
    /// correlation of a trial's months.
    trial_means: Welford,
    min: f64,
    max: f64,
    sketch: sketches_ddsketch::DDSketch,
    thresholds: Vec<f64>,
    /// Per threshold, months above it.
    above: Vec<u64>,
    /// Per threshold, the share of each trial's months above it.
    trial_above: Vec<Welford>,
    /// Spend of every month in trial order, while at most `capacity` months have been added.
    exact: Option<Vec<f64>>,
    /// The same months less what incidents added to them, kept alongside `exact`.
    exact_without_incidents: Option<Vec<f64>>,
    capacity: usize,
}

impl std::fmt::Debug for SpendStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SpendStream")
            .field("months", &self.months)
            .field("min", &self.min)
            .field("max", &self.max)
            .field("thresholds", &self.thresholds)
            .field("above", &self.above)
            .field("exact", &self.exact.as_ref().map(Vec::len))
            .finish_non_exhaustive()
    }
}

impl Default for SpendStream {
    fn default() -> Self {
        SpendStream::new(Vec::new(), 0)
    }
}

impl SpendStream {
    /// A stream that also counts months above each of `thresholds` and keeps every month's
    /// spend exactly while there are at most `capacity` of them.
    pub fn new(thresholds: Vec<f64>, capacity: usize) -> Self {
        let config = sketches_ddsketch::Config::new(STREAM_RELATIVE_ACCURACY, 32_768, 1e-9);
        SpendStream {
            sum: KahanSum::new(),
            months: Welford::default(),
            trial_means: Welford::default(),
            min: f64::INFINITY,
            max: f64::NEG_INFINITY,
            sketch: sketches_ddsketch::DDSketch::new(config),
            above: vec![0; thresholds.len()],
            trial_above: vec![Welford::default(); thresholds.len()],
            thresholds,
            exact: (capacity > 0).then(Vec::new),
            exact_without_incidents: (capacity > 0).then(Vec::new),
            capacity,
        }
    }

    /// Add the months of one trial, in order, with what incidents added to each (empty when
    /// the scenario has none: the months without incidents are then not kept).
    pub(crate) fn add_trial(&mut self, spend: &[f64], incident_extra: &[f64]) {
        if spend.is_empty() {
            return;
        }
        for &x in spend {
            self.sum.add(x);
            self.months.add(x);
            self.min = self.min.min(x);
            self.max = self.max.max(x);
            self.sketch.add(x.max(0.0));
        }
        self.trial_means.add(mean(spend));
        for (i, &t) in self.thresholds.iter().enumerate() {
            let above = spend.iter().filter(|x| **x > t).count();
            self.above[i] += above as u64;
            self.trial_above[i].add(above as f64 / spend.len() as f64);
        }
        if self.count() > self.capacity as u64 {
            // Past the capacity the sketch alone carries the percentiles.
            self.exact = None;
            self.exact_without_incidents = None;
        }
        if let Some(all) = &mut self.exact {
            all.extend_from_slice(spend);
        }
        if incident_extra.len() != spend.len() {
            self.exact_without_incidents = None;
        }
        if let Some(without) = &mut self.exact_without_incidents {
            without.extend(spend.iter().zip(incident_extra).map(|(x, e)| x - e));
        }
    }

    /// Months added.
    pub fn count(&self) -> u64 {
        self.months.count()
    }

    /// Every month's spend in trial order (`trial × months + month`), when the stream kept them.
    pub fn months(&self) -> Option<&[f64]> {
        self.exact.as_deref()
    }

    /// Every month's spend less what incidents added, when the stream kept them and was given
    /// what incidents added.
    pub(crate) fn months_without_incidents(&self) -> Option<&[f64]> {
        self.exact_without_incidents.as_deref()
    }

    /// The distribution of monthly spend. With every month kept it is [`Summary::of`] them;
    /// otherwise mean, standard deviation, minimum and maximum are exact, percentiles within
    /// [`STREAM_RELATIVE_ACCURACY`], and the tail mean (`cvar95`), which a sketch cannot
    /// recover, is the caller's (`cvar95_hint`, from the months it kept).
    pub fn summary(&self, cvar95_hint: f64) -> Summary {
        if self.count() == 0 {
            return Summary::default();
        }
        if let Some(all) = &self.exact {
            return Summary::of(all);
        }
        Summary {
            mean: self.sum.value() / self.count() as f64,
            sd: self.months.sd(),
            p5: self.sketch_quantile(0.05),
            p50: self.sketch_quantile(0.50),
            p95: self.sketch_quantile(0.95),
            p99: self.sketch_quantile(0.99),
            cvar95: cvar95_hint,
            min: self.min,
            max: self.max,
        }
    }

    fn sketch_quantile(&self, p: f64) -> f64 {
        self.sketch
            .quantile(p.clamp(0.0, 1.0))
            .ok()
            .flatten()
            .unwrap_or(f64::NAN)
            .clamp(self.min, self.max)
    }

    /// The `p`-quantile of monthly spend with its distribution-free 95% interval, as
    /// `(value, low, high)`: the order statistics of ranks `n·p ± 1.96·√(n·p·(1−p))`. Past the
    /// capacity those order statistics come from the sketch, each within its relative accuracy
    /// of the true one, and the interval is widened by that accuracy on each side so that it
    /// still covers them.
    pub fn quantile_interval(&self, p: f64) -> (f64, f64, f64) {
        let [i] = self.quantile_intervals(&[p]);
        i
    }

    /// [`SpendStream::quantile_interval`] of each of `ps`, sorting the months once.
    pub(crate) fn quantile_intervals<const K: usize>(&self, ps: &[f64; K]) -> [(f64, f64, f64); K] {
        let n = self.count();
        if n == 0 {
            return [(f64::NAN, f64::NAN, f64::NAN); K];
        }
        if let Some(all) = &self.exact {
            let s = sorted(all);
            return ps.map(|p| {
                let (lo, hi) = order_statistic_ranks(n, p);
                (quantile_sorted(&s, p), s[lo - 1], s[hi - 1])
            });
        }
        ps.map(|p| self.sketch_interval(p))
    }

    fn sketch_interval(&self, p: f64) -> (f64, f64, f64) {
        let n = self.count();
        let (lo, hi) = order_statistic_ranks(n, p);
        // The sketch's quantile `q` is the value of 0-based rank `q·(n − 1)`.
        let rank = |r: usize| (r as f64 - 1.0) / (n as f64 - 1.0).max(1.0);
        let a = STREAM_RELATIVE_ACCURACY;
        let low = self.sketch_quantile(rank(lo));
        let high = self.sketch_quantile(rank(hi));
        (
            self.sketch_quantile(p),
            (low * (1.0 - a)).max(self.min),
            (high * (1.0 + a)).min(self.max),
        )
    }

    /// Standard error of the mean monthly spend, from per-trial means.
    pub(crate) fn mean_standard_error(&self) -> f64 {
        self.trial_means.standard_error()
    }

    /// Share of months above threshold `i` and its standard error (from per-trial shares).
    pub(crate) fn exceedance(&self, i: usize) -> Option<(f64, f64)> {
        let above = *self.above.get(i)?;
        let n = self.count().max(1) as f64;
        Some((above as f64 / n, self.trial_above[i].standard_error()))
    }

    /// Months above threshold `i`.
    pub fn months_above(&self, i: usize) -> Option<u64> {
        self.above.get(i).copied()
    }
}

/// The 1-based ranks of the order statistics that bound the distribution-free 95% interval of
/// the `p`-quantile of `n` values: `n·p ± 1.96·√(n·p·(1−p))`, kept within `1..=n`.
pub(crate) fn order_statistic_ranks(n: u64, p: f64) -> (usize, usize) {
    const Z95: f64 = 1.959_963_984_540_054;
    let nf = n as f64;
    let half = Z95 * (nf * p * (1.0 - p)).sqrt();
    let lo = ((nf * p - half).floor() as i64).clamp(1, n as i64) as usize;
    let hi = ((nf * p + half).ceil() as i64).clamp(1, n as i64) as usize;
    (lo, hi)
}

/// Median of small integer values, or `None` when empty.
pub(crate) fn median_u32(values: &[u32]) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    let v: Vec<f64> = values.iter().map(|&d| f64::from(d)).collect();
    Some(quantile_sorted(&sorted(&v), 0.5))
}

/// `num / den`, or `None` when `den` is not positive (no requests, no calls).
pub fn ratio(num: f64, den: f64) -> Option<f64> {
    (den > 0.0).then(|| num / den)
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
    fn stream_matches_the_kept_values() {
        let v: Vec<f64> = (0..20_000)
            .map(|i| 100.0 + f64::from(i % 997) * 1.5 + f64::from(i) * 1e-3)
            .collect();
        let mut s = SpendStream::new(vec![1000.0], 0);
        for trial in v.chunks(2) {
            s.add_trial(trial, &[]);
        }
        let exact = Summary::of(&v);
        let streamed = s.summary(exact.cvar95);
        assert_eq!(s.count(), 20_000);
        assert!((streamed.mean - exact.mean).abs() < 1e-9);
        assert!((streamed.sd - exact.sd).abs() < 1e-9 * exact.sd);
        assert_eq!((streamed.min, streamed.max), (exact.min, exact.max));
        for (a, b) in [
            (streamed.p5, exact.p5),
            (streamed.p50, exact.p50),
            (streamed.p95, exact.p95),
            (streamed.p99, exact.p99),
        ] {
            assert!(
                (a - b).abs() <= 2.0 * STREAM_RELATIVE_ACCURACY * b + 1.5,
                "{a} vs {b}"
            );
        }
        let above = v.iter().filter(|x| **x > 1000.0).count() as f64 / v.len() as f64;
        assert_eq!(s.exceedance(0).map(|e| e.0), Some(above));
    }

    #[test]
    fn welford_matches_two_pass() {
        let v = [1e9 + 4.0, 1e9 + 7.0, 1e9 + 13.0, 1e9 + 16.0];
        let mut w = Welford::default();
        v.iter().for_each(|x| w.add(*x));
        assert_eq!(w.mean(), mean(&v));
        assert!((w.sd() - sd(&v)).abs() < 1e-9);
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
