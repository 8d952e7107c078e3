//! Provisioned capacity: throughput bought by the hour (Azure OpenAI provisioned throughput
//! units, Amazon Bedrock provisioned throughput model units, or reserved GPUs serving an
//! open-weight model) in tokens per minute, with what does not fit in a minute spilling over
//! to pay-as-you-go.
//!
//! This module holds the validated offer and the closed form that sizes it: the expected
//! tokens of a minute above the capacity, from the minute's distribution that
//! `model::within_day` gives. The engines, the estimate and `levers` all ask it.

use statrs::function::erf::erfc;
use statrs::function::gamma::ln_gamma;

/// How a capacity is bought. Every term is billed as units × hours × the hourly price of
/// each month of the horizon; the term says what kind of charge that is (FOCUS) and whether it
/// can be dropped at an hour's notice.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Term {
    /// Paid by the hour, cancellable (Azure's hourly PTU deployments, Bedrock without
    /// commitment): a usage charge.
    Hourly,
    /// A one-month reservation: a recurring commitment purchase.
    Monthly,
    /// A one-year reservation paid monthly (the year's price over its hours, billed each
    /// month): a recurring commitment purchase.
    Yearly,
}

impl Term {
    pub const NAMES: [&'static str; 3] = ["hourly", "monthly", "yearly"];

    pub fn parse(name: &str) -> Option<Term> {
        Some(match name {
            "hourly" => Term::Hourly,
            "monthly" => Term::Monthly,
            "yearly" => Term::Yearly,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            Term::Hourly => "hourly",
            Term::Monthly => "monthly",
            Term::Yearly => "yearly",
        }
    }
}

/// A model's provisioned capacity (`[model.provisioned]`).
#[derive(Clone, Debug, PartialEq)]
pub struct Provisioned {
    /// Units bought (PTUs, model units, GPUs).
    pub units: u32,
    /// Tokens a unit serves in a minute (input and output together).
    pub tokens_per_minute_per_unit: f64,
    /// The price of a unit for an hour.
    pub usd_per_unit_hour: f64,
    pub term: Term,
    /// The model whose pay-as-you-go prices bill what spills over (the model's own name
    /// when it spills to its own standard deployment).
    pub spillover: String,
}

/// Minutes in a day.
pub const MINUTES_PER_DAY: usize = 1440;

impl Provisioned {
    /// Tokens the capacity serves in a minute.
    pub fn capacity_per_minute(&self) -> f64 {
        f64::from(self.units) * self.tokens_per_minute_per_unit
    }

    /// The reservation's price for a month of `days` days: units × hours × price.
    pub fn month_usd(&self, days: u32) -> f64 {
        f64::from(self.units) * 24.0 * f64::from(days) * self.usd_per_unit_hour
    }

    /// The same offer with `units` units.
    pub fn with_units(&self, units: u32) -> Provisioned {
        Provisioned {
            units,
            ..self.clone()
        }
    }
}

/// How a minute's request count is distributed.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum MinuteCount {
    /// Arrivals as expected (`arrivals = "fixed"`): the minute's count is its expectation,
    /// rounded down or up so that the mean is kept (the requests of a day spread evenly).
    Fixed(f64),
    /// Poisson (variance = mean) or negative binomial (variance above the mean: bursty).
    Random { mean: f64, variance: f64 },
}

/// The standard normal's tail above `d`'s partial expectation, E[(Z − d)⁺] = φ(d) − d·Q(d).
fn normal_excess(d: f64) -> f64 {
    let phi = (-0.5 * d * d).exp() / (2.0 * std::f64::consts::PI).sqrt();
    let q = 0.5 * erfc(d / std::f64::consts::SQRT_2);
    phi - d * q
}

/// E[(T − c)⁺] for T normal with mean `m` and variance `v` (a point mass when `v` is 0).
pub fn normal_overflow(m: f64, v: f64, c: f64) -> f64 {
    if v <= 0.0 {
        return (m - c).max(0.0);
    }
    let s = v.sqrt();
    s * normal_excess((c - m) / s)
}

/// Beyond this many expected requests a minute, its tokens are taken as normal (the count's
/// law is then within a fraction of a percent of the normal's).
const NORMAL_FROM: f64 = 5_000.0;

/// The expected tokens of a minute above `capacity`: the minute's N requests each bring tokens
/// of mean `mu` and variance `var`, which given N are taken as normal (exact when every request
/// brings the same tokens); N's own law is summed over term by term.
pub fn expected_overflow(n: MinuteCount, mu: f64, var: f64, capacity: f64) -> f64 {
    let given = |k: f64| normal_overflow(k * mu, k * var, capacity);
    match n {
        MinuteCount::Fixed(l) => {
            let lo = l.floor();
            let p = l - lo;
            (1.0 - p) * given(lo) + if p > 0.0 { p * given(lo + 1.0) } else { 0.0 }
        }
        MinuteCount::Random { mean, variance } => {
            if mean <= 0.0 {
                return 0.0;
            }
            let variance = variance.max(mean);
            if mean > NORMAL_FROM {
                return normal_overflow(mean * mu, mean * var + variance * mu * mu, capacity);
            }
            // log P(N = k): Poisson, or negative binomial with r = m²/(v − m), q = 1 − m/v.
            let poisson = variance <= mean * (1.0 + 1e-12);
            let (r, q) = if poisson {
                (0.0, 0.0)
            } else {
                (mean * mean / (variance - mean), 1.0 - mean / variance)
            };
            let log_p = |k: f64| {
                if poisson {
                    k * mean.ln() - mean - ln_gamma(k + 1.0)
                } else {
                    ln_gamma(k + r) - ln_gamma(r) - ln_gamma(k + 1.0)
                        + r * (1.0 - q).ln()
                        + k * q.ln()
                }
            };
            let sd = variance.sqrt();
            let lo = (mean - 12.0 * sd).floor().max(0.0);
            let hi = (mean + 14.0 * sd + 30.0).ceil();
            let mut total = 0.0;
            let mut k = lo;
            while k <= hi {
                let o = given(k);
                if o > 0.0 {
                    total += log_p(k).exp() * o;
                }
                k += 1.0;
            }
            total
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fixed_minute_overflows_by_hand() {
        // 3 requests of 1,000 tokens against 2,500: 500 over. 2.5 requests: half the minutes
        // have 2 (none over), half 3 (500 over): 250.
        assert_eq!(
            expected_overflow(MinuteCount::Fixed(3.0), 1e3, 0.0, 2.5e3),
            500.0
        );
        assert_eq!(
            expected_overflow(MinuteCount::Fixed(2.5), 1e3, 0.0, 2.5e3),
            250.0
        );
        assert_eq!(
            expected_overflow(MinuteCount::Fixed(2.0), 1e3, 0.0, 2.5e3),
            0.0
        );
    }

    #[test]
    fn a_poisson_minute_overflows_by_hand() {
        // N ~ Poisson(1), 1 token each, capacity 1: E[(N − 1)⁺] = E[N] − 1 + P(N = 0) = 1/e.
        let x = expected_overflow(
            MinuteCount::Random {
                mean: 1.0,
                variance: 1.0,
            },
            1.0,
            0.0,
            1.0,
        );
        assert!((x - (-1.0f64).exp()).abs() < 1e-12, "{x}");
        // Geometric (negative binomial r = 1) of mean 1, variance 2: P(N = k) = 2^-(k+1);
        // E[(N − 1)⁺] = Σ_{k≥2} (k − 1) 2^-(k+1) = 1/2.
        let g = expected_overflow(
            MinuteCount::Random {
                mean: 1.0,
                variance: 2.0,
            },
            1.0,
            0.0,
            1.0,
        );
        assert!((g - 0.5).abs() < 1e-9, "{g}");
    }

    #[test]
    fn the_normal_tail_is_its_closed_form() {
        // E[(Z)⁺] = φ(0) = 1/√(2π).
        let x = normal_overflow(0.0, 1.0, 0.0);
        assert!((x - 1.0 / (2.0 * std::f64::consts::PI).sqrt()).abs() < 1e-12);
        // Far above the mean, nothing; far below, the whole excess.
        assert!(normal_overflow(0.0, 1.0, 40.0) < 1e-300);
        assert!((normal_overflow(100.0, 1.0, 0.0) - 100.0).abs() < 1e-9);
    }
}
