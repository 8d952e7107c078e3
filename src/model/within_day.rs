//! Traffic within a day: how a segment's day of requests spreads over its hours and minutes.
//!
//! A day's demand is what the rest of aicost prices; this module only says when in the day it
//! arrives, for what is sized by the minute (provisioned throughput, rate limits). It never
//! changes a day's total: the hour-of-day profile is a set of 24 shares that sum to 1.
//!
//! Within hour `h` of a day whose expected requests are `R`, requests arrive at the rate
//! `λ = R · share_h / 60` per minute. With `burstiness` b = 0 they are a Poisson process, so a
//! minute's count N has mean λ and variance λ. With b > 0 the minute's rate is itself random,
//! Gamma with mean λ and coefficient of variation b (bursts of activity), so N is negative
//! binomial: mean λ, variance λ + b²λ². A minute's tokens are the sum of its N requests' tokens
//! (each of mean μ and variance σ²): mean λμ, variance E[N]σ² + Var[N]μ² = λσ² + (λ + b²λ²)μ².

/// Minutes in an hour and hours in a day.
pub const MINUTES_PER_HOUR: f64 = 60.0;
pub const HOURS: usize = 24;

/// The shipped profiles, by the name a scenario gives them.
pub const PROFILE_NAMES: [&str; 3] = ["flat", "office-hours", "consumer"];

/// A segment's traffic within the day: 24 hourly shares and the burstiness of a minute.
#[derive(Clone, Debug, PartialEq)]
pub struct WithinDay {
    /// Share of the day's requests in each hour (0 = midnight to 1 am, local time); they sum
    /// to 1.
    pub shares: [f64; HOURS],
    /// Coefficient of variation of a minute's arrival rate around its hour's (0 = Poisson).
    pub burstiness: f64,
}

impl Default for WithinDay {
    /// Flat: every hour gets a 24th of the day, Poisson arrivals.
    fn default() -> Self {
        WithinDay {
            shares: [1.0 / HOURS as f64; HOURS],
            burstiness: 0.0,
        }
    }
}

/// The weights of a shipped profile, by name; `None` for an unknown name.
///
/// - `flat`: every hour alike.
/// - `office-hours`: a working day, 9:00 to 17:00 with a dip at lunch; a little traffic in
///   the early morning and evening, almost none at night.
/// - `consumer`: low at night, rising through the day to an evening peak at 20:00–22:00.
pub fn profile(name: &str) -> Option<[f64; HOURS]> {
    Some(match name {
        "flat" => [1.0; HOURS],
        "office-hours" => [
            0.2, 0.1, 0.1, 0.1, 0.1, 0.2, 0.5, 1.5, 4.0, 9.0, 11.0, 11.0, 8.0, 10.0, 11.0, 10.5,
            9.0, 6.0, 3.2, 2.0, 1.0, 0.7, 0.5, 0.3,
        ],
        "consumer" => [
            1.5, 1.0, 0.6, 0.4, 0.3, 0.4, 0.8, 1.5, 2.5, 3.0, 3.5, 4.0, 4.5, 4.5, 4.2, 4.0, 4.2,
            4.8, 5.5, 6.5, 7.5, 8.0, 6.5, 3.5,
        ],
        _ => return None,
    })
}

/// Weights scaled to shares that sum to 1; `None` when they do not have a positive sum or one
/// is negative or not finite.
pub fn shares(weights: &[f64; HOURS]) -> Option<[f64; HOURS]> {
    if weights.iter().any(|w| !w.is_finite() || *w < 0.0) {
        return None;
    }
    // Relative to the largest first, so that weights near the largest float do not overflow
    // their sum (which would make every share 0).
    let largest = weights.iter().copied().fold(0.0, f64::max);
    if !(largest > 0.0) {
        return None;
    }
    let scaled = weights.map(|w| w / largest);
    let total: f64 = scaled.iter().sum();
    Some(scaled.map(|w| w / total))
}

/// Mean and variance of one quantity.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Moments {
    pub mean: f64,
    pub variance: f64,
}

impl WithinDay {
    /// The expected requests of a minute of hour `hour` on a day of `day_requests` expected
    /// requests.
    pub fn minute_rate(&self, day_requests: f64, hour: usize) -> f64 {
        day_requests * self.shares[hour] / MINUTES_PER_HOUR
    }

    /// Mean and variance of a minute's requests in hour `hour` on a day of `day_requests`
    /// expected requests.
    pub fn minute_requests(&self, day_requests: f64, hour: usize) -> Moments {
        let l = self.minute_rate(day_requests, hour);
        Moments {
            mean: l,
            variance: l + self.burstiness * self.burstiness * l * l,
        }
    }

    /// Mean and variance of a minute's tokens in hour `hour`, each request's tokens having mean
    /// `mu` and variance `var`.
    pub fn minute_tokens(&self, day_requests: f64, hour: usize, mu: f64, var: f64) -> Moments {
        let n = self.minute_requests(day_requests, hour);
        Moments {
            mean: n.mean * mu,
            variance: n.mean * var + n.variance * mu * mu,
        }
    }

    /// The busiest hour (the first, when several tie) and its share of the day.
    pub fn peak_hour(&self) -> (usize, f64) {
        self.shares
            .iter()
            .copied()
            .enumerate()
            .fold((0, f64::NEG_INFINITY), |best, (h, x)| {
                if x > best.1 { (h, x) } else { best }
            })
    }
}

/// P(N ≤ k) for a minute's count N of mean `mean` and burstiness `b`: Poisson for b = 0,
/// else negative binomial (a Poisson whose rate is Gamma with mean `mean` and coefficient of
/// variation b: shape r = 1/b², success probability r / (r + mean)).
pub fn minute_count_cdf(mean: f64, b: f64, k: f64) -> f64 {
    if k < 0.0 {
        return 0.0;
    }
    if !(mean > 0.0) || k == f64::INFINITY {
        return 1.0;
    }
    if b <= 0.0 {
        return crate::base::special::poisson_cdf(mean, k);
    }
    let r = 1.0 / (b * b);
    crate::base::special::beta_reg(r, k.floor() + 1.0, r / (r + mean))
}

/// E[(N − q)⁺]: the expected count of a minute beyond `q` (a whole number), for the count of
/// [`minute_count_cdf`]. Since k·P(N = k) = mean·P(N' = k − 1), with N' the same law (Poisson)
/// or the negative binomial of shape r + 1, E[N·1{N > q}] = mean·P(N' ≥ q), so the overflow is
/// mean·P(N' ≥ q) − q·P(N > q): two CDFs, whatever q.
pub fn minute_overflow(mean: f64, b: f64, q: f64) -> f64 {
    if !(mean > 0.0) {
        return 0.0;
    }
    let q = q.max(0.0).floor();
    let over = 1.0 - minute_count_cdf(mean, b, q);
    let biased_over = if q == 0.0 {
        1.0
    } else if b <= 0.0 {
        1.0 - crate::base::special::poisson_cdf(mean, q - 1.0)
    } else {
        let r = 1.0 / (b * b);
        1.0 - crate::base::special::beta_reg(r + 1.0, q, r / (r + mean))
    };
    (mean * biased_over - q * over).max(0.0)
}

/// The busiest minute of a month whose days expect `day_requests` requests each, when arrivals
/// are exactly their expectation (no randomness): the day (0-based), the hour and that
/// minute's requests. The first such minute when several tie.
pub fn peak_minute_fixed(w: &WithinDay, day_requests: &[f64]) -> Option<(usize, usize, f64)> {
    let (hour, _) = w.peak_hour();
    let (day, n) =
        day_requests
            .iter()
            .copied()
            .enumerate()
            .fold((0, f64::NEG_INFINITY), |best, (d, x)| {
                if x > best.1 { (d, x) } else { best }
            });
    (!day_requests.is_empty()).then(|| (day, hour, w.minute_rate(n, hour)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weights_near_the_largest_float_keep_their_proportions() {
        let mut w = [0.0; HOURS];
        w[9] = 1e307;
        w[10] = 3e307;
        let s = shares(&w).expect("shares");
        assert!(
            (s[9] - 0.25).abs() < 1e-15 && (s[10] - 0.75).abs() < 1e-15,
            "{s:?}"
        );
    }

    #[test]
    fn every_profile_keeps_the_day_whole() {
        for name in PROFILE_NAMES {
            let s = shares(&profile(name).expect("a shipped profile")).expect("valid weights");
            let total: f64 = s.iter().sum();
            assert!((total - 1.0).abs() < 1e-12, "{name}: {total}");
            // A day's requests spread over its minutes add back to the day.
            let w = WithinDay {
                shares: s,
                burstiness: 0.3,
            };
            let day: f64 = (0..HOURS).map(|h| 60.0 * w.minute_rate(14_400.0, h)).sum();
            assert!((day - 14_400.0).abs() < 1e-6, "{name}: {day}");
        }
        assert!(profile("night-shift").is_none());
        assert!(shares(&[0.0; HOURS]).is_none());
        let mut bad = [1.0; HOURS];
        bad[3] = -1.0;
        assert!(shares(&bad).is_none());
    }

    #[test]
    fn a_flat_minute_is_a_1440th_of_the_day() {
        // 14,400 requests a day, flat: 10 a minute, Poisson variance 10.
        let w = WithinDay::default();
        let m = w.minute_requests(14_400.0, 5);
        assert!((m.mean - 10.0).abs() < 1e-12);
        assert!((m.variance - 10.0).abs() < 1e-12);
    }

    #[test]
    fn burstiness_adds_the_variance_of_a_gamma_rate() {
        // λ = 10, b = 0.5: variance 10 + 0.25 × 100 = 35. Tokens of mean 800, sd 300:
        // mean 8,000, variance 10 × 90,000 + 35 × 640,000 = 23,300,000.
        let w = WithinDay {
            burstiness: 0.5,
            ..WithinDay::default()
        };
        let n = w.minute_requests(14_400.0, 0);
        assert!((n.variance - 35.0).abs() < 1e-9);
        let t = w.minute_tokens(14_400.0, 0, 800.0, 300.0 * 300.0);
        assert!((t.mean - 8_000.0).abs() < 1e-9);
        assert!((t.variance - 23_300_000.0).abs() < 1e-6);
    }

    #[test]
    fn the_peak_minute_of_an_office_day_is_known_by_hand() {
        // Office hours weigh 100 in all; 10:00–11:00 weighs 11 (as do 11:00 and 14:00; the
        // first counts). A weekday of 12,000 requests (weekends a fifth of it) puts 1,320 in
        // that hour: 22 a minute.
        let w = WithinDay {
            shares: shares(&profile("office-hours").unwrap()).unwrap(),
            burstiness: 0.0,
        };
        let total: f64 = profile("office-hours").unwrap().iter().sum();
        assert!((total - 100.0).abs() < 1e-9, "{total}");
        let days: Vec<f64> = (0..30)
            .map(|d| if d % 7 >= 5 { 2_400.0 } else { 12_000.0 })
            .collect();
        let (day, hour, n) = peak_minute_fixed(&w, &days).unwrap();
        assert_eq!((day, hour), (0, 10));
        assert!((n - 22.0).abs() < 1e-9, "{n}");
    }

    #[test]
    fn the_minute_moments_match_a_simulated_minute() {
        // Negative binomial minutes drawn as Poisson(Gamma(shape 1/b², scale λb²)): the sample
        // mean and variance lie within 4 standard errors of λ and λ + b²λ².
        use rand::SeedableRng;
        use rand_distr::{Distribution, Gamma, Poisson};
        let (l, b) = (6.0, 0.8);
        let gamma = Gamma::new(1.0 / (b * b), l * b * b).unwrap();
        let mut rng = rand::rngs::ChaCha8Rng::seed_from_u64(22);
        let n = 200_000;
        let xs: Vec<f64> = (0..n)
            .map(|_| {
                let rate: f64 = gamma.sample(&mut rng);
                if rate > 0.0 {
                    Poisson::new(rate).unwrap().sample(&mut rng)
                } else {
                    0.0
                }
            })
            .collect();
        let mean = xs.iter().sum::<f64>() / n as f64;
        let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
        let w = WithinDay {
            burstiness: b,
            ..WithinDay::default()
        };
        let m = w.minute_requests(l * 1440.0, 0);
        let se_mean = (m.variance / n as f64).sqrt();
        assert!(
            (mean - m.mean).abs() < 4.0 * se_mean,
            "{mean} vs {}",
            m.mean
        );
        // The variance of a sample variance: (μ₄ − σ⁴)/n; for this law about 2σ⁴/n × (1 + excess/2).
        let se_var = m.variance * (2.0 * 4.0 / n as f64).sqrt();
        assert!(
            (var - m.variance).abs() < 4.0 * se_var,
            "{var} vs {}",
            m.variance
        );
    }

    #[test]
    fn a_minute_count_s_cdf_and_overflow_by_summing_its_probabilities() {
        // Summed term by term from the probabilities (Poisson, and a negative binomial of
        // shape 4 for b = 0.5), against the closed forms.
        for &(mean, b) in &[(3.0_f64, 0.0_f64), (22.0, 0.0), (3.0, 0.5), (22.0, 0.5)] {
            let pmf = |k: u32| -> f64 {
                let k = f64::from(k);
                if b == 0.0 {
                    (k * mean.ln() - mean - statrs::function::gamma::ln_gamma(k + 1.0)).exp()
                } else {
                    let r = 1.0 / (b * b);
                    let p = r / (r + mean);
                    use statrs::function::gamma::ln_gamma;
                    (ln_gamma(k + r) - ln_gamma(r) - ln_gamma(k + 1.0)
                        + r * p.ln()
                        + k * (1.0 - p).ln())
                    .exp()
                }
            };
            for q in [0u32, 1, 5, 20, 30] {
                let cdf: f64 = (0..=q).map(pmf).sum();
                let over: f64 = (q + 1..2_000).map(|k| f64::from(k - q) * pmf(k)).sum();
                let c = minute_count_cdf(mean, b, f64::from(q));
                let o = minute_overflow(mean, b, f64::from(q));
                assert!((c - cdf).abs() < 1e-9, "{mean} {b} {q}: {c} vs {cdf}");
                assert!((o - over).abs() < 1e-9, "{mean} {b} {q}: {o} vs {over}");
            }
        }
        assert_eq!(minute_count_cdf(0.0, 0.0, 0.0), 1.0);
        assert_eq!(minute_overflow(0.0, 0.3, 4.0), 0.0);
    }
}
