//! Rate-limit quotas: a model's (a deployment's) cap on requests and tokens per minute, what a
//! stack does with a request the provider throttles, and the closed forms of the busiest minute.
//!
//! A provider counts each minute's calls and tokens against the deployment's quota and answers
//! a call beyond it with a throttling error (HTTP 429), billed nothing. The stack's client then
//! retries after a delay (the delay adds to the request's latency; after `max_tries` throttled
//! tries it gives up and the request fails) or sends the call to the next link of the chain,
//! which prices it.
//!
//! The closed forms rest on [`crate::model::within_day`]: a minute's calls are Poisson (or
//! negative binomial with burstiness) of mean λ; P(the month's busiest minute exceeds a quota q)
//! = 1 − Π over minutes of P(N ≤ q), and the calls throttled are Σ over minutes of E[(N − q)⁺].
//! With fixed arrivals every minute's count is its expectation, spread evenly
//! ([`fixed_minute`]), so which minutes throttle is hand arithmetic.

use crate::model::within_day::{self, HOURS, MINUTES_PER_HOUR, WithinDay};

/// A model's rate limits, per minute; either may be absent.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Quota {
    pub requests_per_minute: Option<f64>,
    pub tokens_per_minute: Option<f64>,
}

/// What a stack's client does with a throttled call.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum OnThrottle {
    /// Try again after `after_s` seconds, at most `max_tries` tries in all (the first
    /// included); a call throttled on its last try fails its request.
    Retry { after_s: f64, max_tries: u32 },
    /// Send the call to the next link of the chain (on the last link, the request fails).
    Next,
}

/// The names of [`OnThrottle`]'s actions, as a scenario writes them.
pub const ACTIONS: [&str; 2] = ["retry", "next"];

/// The default client: the provider's usual advice, retry after a minute, three tries.
pub const DEFAULT_RETRY_AFTER_S: f64 = 60.0;
pub const DEFAULT_MAX_TRIES: u32 = 3;

impl Default for OnThrottle {
    fn default() -> Self {
        OnThrottle::Retry {
            after_s: DEFAULT_RETRY_AFTER_S,
            max_tries: DEFAULT_MAX_TRIES,
        }
    }
}

/// The minute of the day (0..1440, fractional: the arrival within it) of the `i`-th of `n`
/// requests of a day spread evenly under `w`'s hourly shares: the request takes the day's
/// quantile `(i + ½) / n`. Within hour h, whose share is s_h, the requests arrive every
/// `60 / (n·s_h)` minutes, so a minute of that hour holds `n·s_h / 60` of them: 22 for the
/// office day's peak hour of a 12,000-request weekday.
pub fn fixed_minute(w: &WithinDay, i: u64, n: f64) -> f64 {
    let u = ((i as f64 + 0.5) / n.max(1.0)).clamp(0.0, 1.0 - 1e-12);
    let mut below = 0.0;
    for (h, &share) in w.shares.iter().enumerate() {
        if share > 0.0 && u < below + share {
            return (h as f64 + (u - below) / share) * MINUTES_PER_HOUR;
        }
        below += share;
    }
    HOURS as f64 * MINUTES_PER_HOUR - 1e-9
}

/// The minute of the day of a request arriving at random: its hour by the shares (`u` a
/// uniform number), its place within the hour uniform (`v`).
pub fn random_minute(w: &WithinDay, u: f64, v: f64) -> f64 {
    let mut below = 0.0;
    for (h, &share) in w.shares.iter().enumerate() {
        if share > 0.0 && u < below + share {
            return (h as f64 + v) * MINUTES_PER_HOUR;
        }
        below += share;
    }
    let last = w.shares.iter().rposition(|&s| s > 0.0).unwrap_or(HOURS - 1);
    (last as f64 + v) * MINUTES_PER_HOUR
}

/// What a month of minutes does against a quota of `q` calls a minute, in closed form.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct MinuteForecast {
    /// P(some minute of the month holds more than `q` calls).
    pub peak_probability: f64,
    /// Expected calls of the month beyond the quota of their minute.
    pub throttled: f64,
    /// Expected calls of the month.
    pub calls: f64,
}

impl MinuteForecast {
    /// The share of calls throttled; 0 without calls.
    pub fn throttled_share(&self) -> f64 {
        if self.calls > 0.0 {
            self.throttled / self.calls
        } else {
            0.0
        }
    }
}

/// The closed form for a month of days whose expected calls are `day_calls`, spread over the
/// day by `w`, against a quota of `q` calls a minute. With `fixed` arrivals each minute holds
/// its expectation exactly (the count of [`fixed_minute`]'s even spread); otherwise each minute
/// is Poisson or negative binomial ([`within_day::minute_count_cdf`]), minutes independent.
pub fn month_against(w: &WithinDay, day_calls: &[f64], q: f64, fixed: bool) -> MinuteForecast {
    let q = q.floor();
    let mut log_none = 0.0;
    let mut out = MinuteForecast::default();
    for &n in day_calls {
        out.calls += n;
        for h in 0..HOURS {
            let lambda = w.minute_rate(n, h);
            if fixed {
                let over = (lambda - q).max(0.0);
                out.throttled += MINUTES_PER_HOUR * over;
                if over > 1e-9 {
                    log_none = f64::NEG_INFINITY;
                }
            } else {
                let fits = within_day::minute_count_cdf(lambda, w.burstiness, q);
                log_none += MINUTES_PER_HOUR * fits.ln();
                out.throttled +=
                    MINUTES_PER_HOUR * within_day::minute_overflow(lambda, w.burstiness, q);
            }
        }
    }
    out.peak_probability = 1.0 - log_none.exp();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn office() -> WithinDay {
        WithinDay {
            shares: within_day::shares(&within_day::profile("office-hours").unwrap()).unwrap(),
            burstiness: 0.0,
        }
    }

    #[test]
    fn an_office_day_of_12000_fixed_requests_against_20_a_minute() {
        // Hours 10, 11 and 14 weigh 11%: 1,320 requests, 22 a minute, 2 over the quota in
        // each of their 180 minutes; hour 15 weighs 10.5%: 21 a minute, 1 over in 60 minutes;
        // hour 13 weighs 10%: exactly 20, none over. 180 × 2 + 60 × 1 = 420 throttled of
        // 12,000: 3.5%.
        let w = office();
        let f = month_against(&w, &[12_000.0], 20.0, true);
        assert!((f.throttled - 420.0).abs() < 1e-6, "{}", f.throttled);
        assert!((f.throttled_share() - 0.035).abs() < 1e-12);
        assert_eq!(f.peak_probability, 1.0);
        // A weekend day of 2,400 peaks at 4.4 a minute: nothing throttles.
        let f = month_against(&w, &[2_400.0], 20.0, true);
        assert_eq!((f.throttled, f.peak_probability), (0.0, 0.0));
        // The even spread puts exactly 22 requests in each minute of hour 10 and 20 in each
        // of hour 13.
        let mut per_minute = vec![0u32; 1440];
        for i in 0..12_000 {
            per_minute[fixed_minute(&w, i, 12_000.0) as usize] += 1;
        }
        assert!(per_minute[600..720].iter().all(|&c| c == 22));
        assert!(per_minute[780..840].iter().all(|&c| c == 20));
        assert!(per_minute[900..960].iter().all(|&c| c == 21));
        let over: u32 = per_minute.iter().map(|&c| c.saturating_sub(20)).sum();
        assert_eq!(over, 420);
    }

    #[test]
    fn the_poisson_peak_is_one_minus_the_product_of_the_minutes() {
        // A flat day of 1,440 requests: λ = 1 a minute. P(N ≤ 3) = e⁻¹(1 + 1 + ½ + ⅙) and
        // the day's 1,440 minutes all fit with probability P(N ≤ 3)^1440.
        let w = WithinDay::default();
        let fits = (-1.0_f64).exp() * (1.0 + 1.0 + 0.5 + 1.0 / 6.0);
        let f = month_against(&w, &[1_440.0], 3.0, false);
        assert!((f.peak_probability - (1.0 - fits.powi(1440))).abs() < 1e-9);
        // E[(N − 3)⁺] = E[N] − E[min(N, 3)] = 1 − (P(N ≥ 1) + P(N ≥ 2) + P(N ≥ 3)).
        let p = |k: i32| (-1.0_f64).exp() / (1..=k).map(f64::from).product::<f64>();
        let ge = |k: i32| 1.0 - (0..k).map(p).sum::<f64>();
        let over = 1.0 - (ge(1) + ge(2) + ge(3));
        assert!(
            (f.throttled - 1440.0 * over).abs() < 1e-6,
            "{}",
            f.throttled
        );
    }

    #[test]
    fn random_minutes_fall_in_their_hour() {
        let w = office();
        // u just below the first 0.2% of the day: midnight's hour; v places it in the hour.
        assert!((random_minute(&w, 0.001, 0.5) - 30.0).abs() < 1e-9);
        let m = random_minute(&w, 0.5, 0.0);
        assert!((0.0..1440.0).contains(&m));
    }
}
