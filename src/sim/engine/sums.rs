//! The draws the fast engine makes in place of many independent ones: counts (Poisson,
//! binomial, multinomial, the requests of many sessions) and the sum of many independent costs
//! (a gamma shifted to the sum's three moments, drawn by its quantile so that stacks sharing a
//! normal deviate are comonotone).

use rand::{Rng, RngExt};
use rand_distr::Distribution;

use crate::model::dist::Dist;

/// The sum of `n` independent costs of mean `mean`, standard deviation `sd` and skewness `skew`,
/// at the standard normal deviate `z`: a gamma, shifted to match the sum's three moments, drawn
/// by its quantile at `Φ(z)` (monotone in `z`, so stacks sharing `z` are comonotone).
///
/// Its mean is the sum's whatever the skewness (its variance too, to 0.1%: the Wilson–Hilferty
/// form's error at shapes from 2 to 8), and it is never negative: a sum of
/// costs is not. Where the skewness is too small for a non-negative shifted gamma (below twice
/// the sum's coefficient of variation — a sum of few costs with a large spread) the shift is 0
/// and the skewness that of the plain gamma with the sum's mean and variance, a little larger.
/// A clipped shape would not do: cutting off the negative side of a wide shifted gamma adds its
/// missing mass to the mean, which on heavy-tailed days multiplied the expected cost many times.
pub(crate) fn sum_of(n: u64, mean: f64, sd: f64, skew: f64, z: f64) -> f64 {
    if n == 0 || !(mean > 0.0) {
        return 0.0;
    }
    let nf = n as f64;
    let (m, s) = (nf * mean, sd * nf.sqrt());
    if !(s > 0.0) {
        return m;
    }
    let g = skew / nf.sqrt();
    // Shape of the plain gamma with this mean and variance, and of the shifted one with this
    // skewness; the shift m − s·√k is not negative for k up to the former.
    let plain = (m / s).powi(2);
    let k = if g > 0.0 {
        (4.0 / (g * g)).max(MIN_SHAPE).min(plain)
    } else {
        plain
    };
    (m + s * standard_gamma(k, z)).max(0.0)
}

/// Smallest gamma shape fitted to a skewness (a day's skewness beyond 20 is taken as 20): below
/// it the part of the mean that the gamma's tail carries lies in so thin a sliver of probability
/// that no run of practical size would draw it, and the run's mean would miss it. Mean and
/// variance are kept whatever the shape; a day that skewed is far outside what the fast engine
/// vouches for anyway.
pub(crate) const MIN_SHAPE: f64 = 0.01;

/// Shape above which the Wilson–Hilferty cube of a normal stands for a gamma's quantile. Its
/// base `a + b·z` is negative below `z = −a/b` (−4.0 at this shape, probability 3·10⁻⁵), where
/// the cube is cut at zero; centring on the cut cube's exact mean keeps the mean exact, and
/// what the cut changes of the variance is below 10⁻⁵ of it. The form's own variance is 0.1%
/// low at this shape, 0.006% at 8.
pub(crate) const WILSON_HILFERTY_SHAPE: f64 = 2.0;

/// Shape above which the base is positive for every `z` above −8.3 (probability 10⁻¹⁶): the
/// uncut form, written so that it stays accurate as the shape grows.
pub(crate) const UNCUT_SHAPE: f64 = 8.0;

/// A Gamma(k, 1) variable at the standard normal deviate `z`, standardized: `(G − k)/√k`, with
/// mean 0 and variance 1 (0.999 at shape 2). The Wilson–Hilferty form `k·(a + b·z)³` for large shapes, centred on
/// its exact mean; the exact quantile at `Φ(z)` for small ones.
pub(crate) fn standard_gamma(k: f64, z: f64) -> f64 {
    if k >= UNCUT_SHAPE {
        let a = 1.0 - 1.0 / (9.0 * k);
        let r = k.sqrt();
        if a + z / (3.0 * r) <= 0.0 {
            return -r;
        }
        // √k·((a + b·z)³ − a·(a² + 3b²)) with b = 1/(3√k): its limit is z.
        return a * a * z + a * (z * z - 1.0) / (3.0 * r) + z * z * z / (27.0 * k);
    }
    if k >= WILSON_HILFERTY_SHAPE {
        let a = 1.0 - 1.0 / (9.0 * k);
        let b = 1.0 / (3.0 * k.sqrt());
        // E[max(a + b·Z, 0)³] from the normal's partial moments above t = −a/b.
        let t = -a / b;
        let (phi, upper) = {
            use statrs::distribution::{Continuous, ContinuousCDF, Normal};
            let n = Normal::standard();
            (n.pdf(t), n.cdf(-t))
        };
        let (q0, q1, q2, q3) = (upper, phi, upper + t * phi, (t * t + 2.0) * phi);
        let cut_mean =
            a * a * a * q0 + 3.0 * a * a * b * q1 + 3.0 * a * b * b * q2 + b * b * b * q3;
        let base = (a + b * z).max(0.0);
        return k.sqrt() * (base * base * base - cut_mean);
    }
    (gamma_quantile(k, z) - k) / k.sqrt()
}

/// The quantile of Gamma(k, 1) at `Φ(z)`, by Newton steps on the log of the tail probability
/// (the lower tail for `z ≤ 0`, the upper for `z > 0`, each accurate where it is small) in
/// `y = ln x`, from the Wilson–Hilferty value, within a bracket that a step leaving it bisects.
/// The log-gamma distribution has a log-concave density, so both log-tails are concave in `y`
/// and the steps soon approach the root from one side.
pub(crate) fn gamma_quantile(k: f64, z: f64) -> f64 {
    use crate::base::special::{gamma_p, gamma_q};
    use statrs::distribution::{ContinuousCDF, Normal};
    use statrs::function::gamma::ln_gamma;
    const Y_MIN: f64 = -740.0; // e^y stays a positive, finite number
    const Y_MAX: f64 = 700.0;
    let upper = z > 0.0;
    let tail = Normal::standard().cdf(-z.abs());
    if !(tail > 0.0) {
        return if upper { f64::MAX.sqrt() } else { 0.0 };
    }
    let target = tail.ln();
    let ln_gk = ln_gamma(k);
    // g(y) = ln P(tail beyond e^y) − ln tail, and its derivative ±x·pdf(x)/tail(x).
    let eval = |y: f64| -> (f64, f64) {
        let x = y.exp();
        let p = if upper { gamma_q(k, x) } else { gamma_p(k, x) };
        let p = p.max(f64::MIN_POSITIVE);
        let slope = (k * y - x - ln_gk).exp() / p;
        (p.ln() - target, if upper { -slope } else { slope })
    };
    // Start from the Wilson–Hilferty value, or the small-x form P(G ≤ x) ≈ x^k/Γ(k + 1).
    let a = 1.0 - 1.0 / (9.0 * k);
    let base = a + z / (3.0 * k.sqrt());
    let start = if base > 0.05 {
        (k * base * base * base).ln()
    } else {
        (target + ln_gamma(k + 1.0)) / k
    };
    let mut y = if start.is_finite() {
        start.clamp(Y_MIN, Y_MAX)
    } else {
        0.0
    };
    // Newton steps, kept inside the bracket [lo, hi] of what the evaluations so far have shown;
    // a step that would leave it bisects it instead.
    let (mut lo, mut hi) = (Y_MIN, Y_MAX);
    for _ in 0..200 {
        let (v, slope) = eval(y);
        if v == 0.0 {
            break;
        }
        if (v < 0.0) != upper {
            lo = y;
        } else {
            hi = y;
        }
        let mut next = y - v / slope;
        if !next.is_finite() || next <= lo || next >= hi {
            next = 0.5 * (lo + hi);
        }
        if (next - y).abs() <= 1e-14 * y.abs().max(1.0) {
            y = next;
            break;
        }
        y = next;
    }
    y.exp()
}

pub(crate) fn gamma<R: Rng + ?Sized>(shape: f64, scale: f64, rng: &mut R) -> f64 {
    match rand_distr::Gamma::new(shape, scale) {
        Ok(g) => g.sample(rng),
        Err(_) => shape * scale,
    }
}

pub(crate) fn poisson<R: Rng + ?Sized>(mean: f64, rng: &mut R) -> u64 {
    if !(mean > 0.0) {
        return 0;
    }
    match rand_distr::Poisson::new(mean) {
        Ok(p) => p.sample(rng) as u64,
        Err(_) => mean.round() as u64,
    }
}

pub(crate) fn binomial<R: Rng + ?Sized>(n: u64, p: f64, rng: &mut R) -> u64 {
    if n == 0 || p <= 0.0 {
        return 0;
    }
    if p >= 1.0 {
        return n;
    }
    match rand_distr::Binomial::new(n, p) {
        Ok(b) => b.sample(rng),
        Err(_) => (n as f64 * p).round() as u64,
    }
}

/// Split `n` over days with the given shares.
pub(crate) fn multinomial<R: Rng + ?Sized>(n: u64, shares: &[f64], rng: &mut R) -> Vec<u64> {
    let mut left = n;
    let mut mass = 1.0;
    let mut out = Vec::with_capacity(shares.len());
    for (i, &share) in shares.iter().enumerate() {
        let k = if i + 1 == shares.len() {
            left
        } else if mass <= 0.0 {
            0
        } else {
            binomial(left, (share / mass).clamp(0.0, 1.0), rng)
        };
        out.push(k);
        left -= k;
        mass -= share;
    }
    out
}

/// Requests of `sessions` sessions, each drawing its count from `per_session` (rounded at random):
/// exact for fixed and Poisson counts, a normal sum otherwise (exact below 256 sessions).
pub(crate) fn requests_of<R: Rng + ?Sized>(per_session: &Dist, sessions: u64, rng: &mut R) -> u64 {
    if sessions == 0 {
        return 0;
    }
    match per_session {
        Dist::Fixed(v) => {
            let whole = v.floor();
            let frac = v - whole;
            (whole as u64)
                .saturating_mul(sessions)
                .saturating_add(if frac > 0.0 {
                    binomial(sessions, frac, rng)
                } else {
                    0
                })
        }
        Dist::Poisson { mean, .. } => poisson(mean * sessions as f64, rng),
        d if sessions < 256 => (0..sessions)
            .map(|_| {
                let x = d.sample(rng).max(0.0);
                let n = x.floor();
                (n as u64).saturating_add(u64::from(x > n && rng.random::<f64>() < x - n))
            })
            .fold(0, u64::saturating_add),
        d => {
            // Rounding at random adds frac·(1 − frac) of variance, at most 1/4; E over X ≈ 1/6.
            let var = d.variance() + 1.0 / 6.0;
            let x = sessions as f64 * d.mean()
                + (sessions as f64 * var).sqrt() * rng.sample::<f64, _>(rand_distr::StandardNormal);
            x.round().max(0.0) as u64
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::rng::small;
    use super::*;

    #[test]
    fn sum_of_matches_its_three_moments() {
        // Sum of 100 costs with mean 2, sd 3, skewness 4: mean 200, sd 30, skewness 0.4.
        let zs: Vec<f64> = (1..20_000)
            .map(|i| {
                let p = i as f64 / 20_000.0;
                statrs::distribution::ContinuousCDF::inverse_cdf(
                    &statrs::distribution::Normal::standard(),
                    p,
                )
            })
            .collect();
        let xs: Vec<f64> = zs.iter().map(|z| sum_of(100, 2.0, 3.0, 4.0, *z)).collect();
        let n = xs.len() as f64;
        let m = xs.iter().sum::<f64>() / n;
        let v = xs.iter().map(|x| (x - m).powi(2)).sum::<f64>() / n;
        let sk = xs.iter().map(|x| (x - m).powi(3)).sum::<f64>() / n / v.powf(1.5);
        assert!((m - 200.0).abs() < 0.5, "{m}");
        assert!((v.sqrt() - 30.0).abs() < 0.5, "{}", v.sqrt());
        assert!((sk - 0.4).abs() < 0.05, "{sk}");
        // Monotone in z, so stacks sharing z are comonotone.
        assert!(xs.windows(2).all(|w| w[0] <= w[1]));
    }

    /// `E[f(Z)]` for a standard normal Z, by the trapezoid rule over ±12 sd.
    fn normal_expectation(f: impl Fn(f64) -> f64) -> f64 {
        let h = 1e-3;
        let steps = (24.0 / h) as i64;
        let density = |z: f64| (-0.5 * z * z).exp() / (2.0 * std::f64::consts::PI).sqrt();
        (0..=steps)
            .map(|i| {
                let z = -12.0 + i as f64 * h;
                let w = if i == 0 || i == steps { 0.5 } else { 1.0 };
                w * f(z) * density(z)
            })
            .sum::<f64>()
            * h
    }

    #[test]
    fn the_standard_gamma_has_mean_zero_and_variance_one_at_every_shape() {
        for k in [
            MIN_SHAPE, 1e-4, 0.01, 0.3, 1.0, 2.5, 7.99, 8.0, 30.0, 1e4, 1e12,
        ] {
            let mean = normal_expectation(|z| standard_gamma(k, z));
            let var = normal_expectation(|z| standard_gamma(k, z).powi(2));
            assert!(mean.abs() < 1e-6, "k = {k}: mean {mean}");
            // The Wilson–Hilferty form's variance is 1 − O(1/k²): 0.999 at shape 2.
            let tol = if k >= WILSON_HILFERTY_SHAPE {
                2e-3
            } else {
                1e-5
            };
            assert!((var - 1.0).abs() < tol, "k = {k}: variance {var}");
            // Monotone in z, and never below the gamma's minimum −√k.
            let xs: Vec<f64> = (-80..=80)
                .map(|i| standard_gamma(k, i as f64 / 10.0))
                .collect();
            assert!(xs.windows(2).all(|w| w[0] <= w[1]), "k = {k}");
            assert!(xs[0] >= -k.sqrt() * (1.0 + 1e-12), "k = {k}: {}", xs[0]);
        }
    }

    #[test]
    fn gamma_quantiles_invert_the_distribution() {
        use statrs::distribution::{ContinuousCDF, Gamma, Normal};
        for k in [1e-3, 0.2, 1.0, 5.0] {
            let g = Gamma::new(k, 1.0).unwrap();
            for z in [-6.0, -2.0, -0.3, 0.0, 0.7, 3.0, 7.0] {
                let x = gamma_quantile(k, z);
                if x < 1e-300 {
                    // Below the smallest double: P(G ≤ x) ≈ x^k/Γ(k + 1) says so.
                    let ln_x = (Normal::standard().cdf(z).ln()
                        + statrs::function::gamma::ln_gamma(k + 1.0))
                        / k;
                    assert!(ln_x < -690.0, "k = {k}, z = {z}: {x}");
                    continue;
                }
                let (p, want) = if z > 0.0 {
                    (g.sf(x), Normal::standard().cdf(-z))
                } else {
                    (g.cdf(x), Normal::standard().cdf(z))
                };
                assert!(
                    (p / want - 1.0).abs() < 1e-9,
                    "k = {k}, z = {z}: {p} vs {want}"
                );
            }
        }
    }

    /// A day of 5,333 requests whose cost has mean $1.69, sd $11,300 and skewness 200 (a
    /// lognormal prompt with p50 = 100 and p95 = 100,000 tokens): the sum's mean is $9,000 and
    /// its sd $825,000, so a shifted gamma matched to the sample skewness reaches far below zero.
    /// The shape used instead keeps mean, variance and non-negativity.
    #[test]
    fn a_heavy_tailed_day_keeps_its_mean() {
        let (n, mean, sd) = (5_333, 1.69, 11_300.0);
        for skew in [0.0, 4.0, 200.0, 3e11] {
            let m = normal_expectation(|z| sum_of(n, mean, sd, skew, z));
            let want = n as f64 * mean;
            assert!(
                (m / want - 1.0).abs() < 1e-6,
                "skew {skew}: mean {m} vs {want}"
            );
            let v = normal_expectation(|z| (sum_of(n, mean, sd, skew, z) - want).powi(2));
            let want_v = n as f64 * sd * sd;
            assert!(
                (v / want_v - 1.0).abs() < 1e-4,
                "skew {skew}: var {v} vs {want_v}"
            );
            assert!(sum_of(n, mean, sd, skew, -8.0) >= 0.0);
        }
    }

    #[test]
    fn multinomial_keeps_the_total() {
        let mut rng = small(3);
        let shares = vec![0.1, 0.2, 0.3, 0.4];
        for n in [0, 1, 17, 1_000_000] {
            assert_eq!(multinomial(n, &shares, &mut rng).iter().sum::<u64>(), n);
        }
    }
}
