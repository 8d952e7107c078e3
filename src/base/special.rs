//! Special functions with a bound on every loop: the regularized incomplete gamma and beta
//! functions, their inverses, and the Poisson CDF and quantile.
//!
//! Why not statrs' own: its incomplete gamma function and its gamma and beta quantiles iterate
//! until they converge, with no limit, and some parameters never converge — a gamma distribution
//! with a subnormal scale made `validate` spin forever on one line of input. Here every loop has a
//! fixed maximum number of iterations. Where a series would need more than that (shapes beyond
//! `LARGE_SHAPE`, which only a Poisson CDF with a huge mean reaches), the Wilson–Hilferty normal
//! approximation is used instead; its error, of order 1/a, is far below anything aicost prints.
//! statrs' closed forms (the log-gamma function, the normal CDF and quantile) have no loop and are
//! used as they are.

use statrs::function::gamma::ln_gamma;

/// Most iterations of any series or continued fraction here. The incomplete gamma function of
/// shape `a` near `x = a` needs about `8·√a` of them, so every shape up to [`LARGE_SHAPE`]
/// converges well within this.
pub(crate) const MAX_ITERATIONS: usize = 100_000;

/// Shapes above which the incomplete gamma function is computed by the Wilson–Hilferty
/// approximation instead of its series.
pub(crate) const LARGE_SHAPE: f64 = 1e7;

/// Steps of a bisection: enough to go from the whole range of `f64` to adjacent numbers.
const MAX_BISECTIONS: usize = 2_200;

const EPS: f64 = 1e-15;
const FPMIN: f64 = f64::MIN_POSITIVE / f64::EPSILON;

/// `exp(−x + a·ln x − ln Γ(a))`, the factor both expansions of the incomplete gamma share.
fn gamma_prefactor(a: f64, x: f64) -> f64 {
    (-x + a * x.ln() - ln_gamma(a)).exp()
}

/// P(a, x) by its series, for x < a + 1; `None` when it did not converge.
fn gamma_series(a: f64, x: f64) -> Option<f64> {
    let mut ap = a;
    let mut del = 1.0 / a;
    let mut sum = del;
    for _ in 0..MAX_ITERATIONS {
        ap += 1.0;
        del *= x / ap;
        sum += del;
        if del.abs() < sum.abs() * EPS {
            return Some((sum * gamma_prefactor(a, x)).clamp(0.0, 1.0));
        }
    }
    None
}

/// One step of the modified Lentz method for a continued fraction `b₀ + a₁/(b₁ + a₂/(b₂ + …))`:
/// updates `c` and `d` with the terms `an` and `bn` and returns the factor of the convergent.
fn lentz_step(c: &mut f64, d: &mut f64, an: f64, bn: f64) -> f64 {
    *d = bn + an * *d;
    if d.abs() < FPMIN {
        *d = FPMIN;
    }
    *c = bn + an / *c;
    if c.abs() < FPMIN {
        *c = FPMIN;
    }
    *d = 1.0 / *d;
    *d * *c
}

/// Q(a, x) by its continued fraction (modified Lentz), for x ≥ a + 1; `None` when it did not
/// converge.
fn gamma_fraction(a: f64, x: f64) -> Option<f64> {
    let mut b = x + 1.0 - a;
    let mut c = 1.0 / FPMIN;
    let mut d = 1.0 / b;
    let mut h = d;
    for i in 1..=MAX_ITERATIONS {
        let i = i as f64;
        b += 2.0;
        let del = lentz_step(&mut c, &mut d, -i * (i - a), b);
        h *= del;
        if (del - 1.0).abs() < EPS {
            return Some((gamma_prefactor(a, x) * h).clamp(0.0, 1.0));
        }
    }
    None
}

/// P(a, x) by the Wilson–Hilferty approximation: (X/a)^(1/3) is nearly normal.
fn wilson_hilferty(a: f64, x: f64) -> f64 {
    let v = 1.0 / (9.0 * a);
    let z = ((x / a).cbrt() - (1.0 - v)) / v.sqrt();
    normal_cdf(z)
}

fn normal_cdf(z: f64) -> f64 {
    use statrs::distribution::ContinuousCDF;
    if z.is_nan() {
        return f64::NAN;
    }
    statrs::distribution::Normal::standard().cdf(z)
}

fn normal_quantile(p: f64) -> f64 {
    use statrs::distribution::ContinuousCDF;
    statrs::distribution::Normal::standard().inverse_cdf(p.clamp(0.0, 1.0))
}

/// Whether `a` is a shape the functions here accept.
fn valid_shape(a: f64) -> bool {
    a > 0.0 && a.is_finite()
}

/// (P(a, x), Q(a, x)), each computed directly where it is the small one, so that neither loses
/// its precision in a tail. NaN for a shape that is not a positive number.
fn gamma_pq(a: f64, x: f64) -> (f64, f64) {
    if !valid_shape(a) || x.is_nan() {
        return (f64::NAN, f64::NAN);
    }
    if x <= 0.0 {
        return (0.0, 1.0);
    }
    if x == f64::INFINITY {
        return (1.0, 0.0);
    }
    let approximate = || {
        let p = wilson_hilferty(a, x);
        (p, 1.0 - p)
    };
    if a > LARGE_SHAPE {
        approximate()
    } else if x < a + 1.0 {
        gamma_series(a, x).map_or_else(approximate, |p| (p, 1.0 - p))
    } else {
        gamma_fraction(a, x).map_or_else(approximate, |q| (1.0 - q, q))
    }
}

/// The regularized lower incomplete gamma function P(a, x) = γ(a, x) / Γ(a): the CDF at `x` of
/// a gamma distribution of shape `a` and scale 1.
pub(crate) fn gamma_p(a: f64, x: f64) -> f64 {
    gamma_pq(a, x).0
}

/// The regularized upper incomplete gamma function Q(a, x) = 1 − P(a, x).
pub(crate) fn gamma_q(a: f64, x: f64) -> f64 {
    gamma_pq(a, x).1
}

/// Smallest `x` in `[lo, hi]` with `cdf(x) ≥ p`, for a non-decreasing `cdf` with `cdf(lo) < p ≤
/// cdf(hi)`, by bisection: halving geometrically while the bracket spans orders of magnitude (so a
/// quantile of 1e-200 is found as precisely as one of 1), arithmetically after. Bounded by
/// [`MAX_BISECTIONS`] steps.
fn bisect(cdf: impl Fn(f64) -> f64, p: f64, mut lo: f64, mut hi: f64) -> f64 {
    for _ in 0..MAX_BISECTIONS {
        let mid = if lo > 0.0 && hi / lo > 4.0 {
            (lo.ln() + (hi.ln() - lo.ln()) / 2.0).exp()
        } else {
            lo + (hi - lo) / 2.0
        };
        if !(mid > lo && mid < hi) {
            break;
        }
        if cdf(mid) >= p {
            hi = mid;
        } else {
            lo = mid;
        }
        if hi - lo <= EPS * hi {
            break;
        }
    }
    hi
}

/// The `p`-quantile of a gamma distribution of shape `a` and scale 1, for `p` in [0, 1].
pub(crate) fn gamma_quantile(a: f64, p: f64) -> f64 {
    if !valid_shape(a) || p.is_nan() {
        return f64::NAN;
    }
    if p <= 0.0 {
        return 0.0;
    }
    if p >= 1.0 {
        return f64::INFINITY;
    }
    if a > LARGE_SHAPE {
        let v = 1.0 / (9.0 * a);
        let c = 1.0 - v + normal_quantile(p) * v.sqrt();
        return a * c.max(0.0).powi(3);
    }
    // Bracket [lo, hi] around the quantile, doubling or halving from the mean: at most about
    // 1,100 steps each way before reaching the end of the range of f64.
    let mut hi = a.max(1.0);
    for _ in 0..MAX_BISECTIONS {
        if gamma_p(a, hi) >= p || hi == f64::INFINITY {
            break;
        }
        hi *= 2.0;
    }
    if hi == f64::INFINITY {
        return f64::MAX;
    }
    let mut lo = hi / 2.0;
    for _ in 0..MAX_BISECTIONS {
        if lo == 0.0 || gamma_p(a, lo) < p {
            break;
        }
        lo /= 2.0;
    }
    if lo == 0.0 && gamma_p(a, f64::MIN_POSITIVE) >= p {
        return 0.0;
    }
    bisect(|x| gamma_p(a, x), p, lo.max(f64::MIN_POSITIVE), hi)
}

/// The regularized incomplete beta function I_x(a, b): the CDF at `x` of a beta distribution.
/// NaN for parameters that are not positive numbers.
pub(crate) fn beta_reg(a: f64, b: f64, x: f64) -> f64 {
    if !valid_shape(a) || !valid_shape(b) || x.is_nan() {
        return f64::NAN;
    }
    if x <= 0.0 {
        return 0.0;
    }
    if x >= 1.0 {
        return 1.0;
    }
    let front =
        (ln_gamma(a + b) - ln_gamma(a) - ln_gamma(b) + a * x.ln() + b * (1.0 - x).ln()).exp();
    // The continued fraction converges fast below the mean; above it, use I_x(a, b) = 1 −
    // I_{1−x}(b, a).
    if x < (a + 1.0) / (a + b + 2.0) {
        beta_fraction(a, b, x).map_or(f64::NAN, |f| (front * f / a).clamp(0.0, 1.0))
    } else {
        beta_fraction(b, a, 1.0 - x).map_or(f64::NAN, |f| (1.0 - front * f / b).clamp(0.0, 1.0))
    }
}

/// The continued fraction of the incomplete beta function (modified Lentz); `None` when it did
/// not converge within [`MAX_ITERATIONS`] (about `√max(a, b)` are needed).
fn beta_fraction(a: f64, b: f64, x: f64) -> Option<f64> {
    let (qab, qap, qam) = (a + b, a + 1.0, a - 1.0);
    let mut c = 1.0;
    let mut d = 1.0 - qab * x / qap;
    if d.abs() < FPMIN {
        d = FPMIN;
    }
    d = 1.0 / d;
    let mut h = d;
    for m in 1..=MAX_ITERATIONS {
        let m = m as f64;
        let m2 = 2.0 * m;
        let even = m * (b - m) * x / ((qam + m2) * (a + m2));
        h *= lentz_step(&mut c, &mut d, even, 1.0);
        let odd = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2));
        let del = lentz_step(&mut c, &mut d, odd, 1.0);
        h *= del;
        if (del - 1.0).abs() < EPS {
            return Some(h);
        }
    }
    None
}

/// The `p`-quantile of a beta distribution, for `p` in [0, 1].
pub(crate) fn beta_quantile(a: f64, b: f64, p: f64) -> f64 {
    if !valid_shape(a) || !valid_shape(b) || p.is_nan() {
        return f64::NAN;
    }
    if p <= 0.0 {
        return 0.0;
    }
    if p >= 1.0 {
        return 1.0;
    }
    if beta_reg(a, b, f64::MIN_POSITIVE) >= p {
        return 0.0;
    }
    bisect(|x| beta_reg(a, b, x), p, f64::MIN_POSITIVE, 1.0)
}

/// P(X ≤ k) for X ~ Poisson(mean): Q(k + 1, mean).
pub(crate) fn poisson_cdf(mean: f64, k: f64) -> f64 {
    if mean.is_nan() || k.is_nan() {
        return f64::NAN;
    }
    if k < 0.0 {
        return 0.0;
    }
    if k == f64::INFINITY || mean <= 0.0 {
        return 1.0;
    }
    gamma_q(k.floor() + 1.0, mean)
}

/// The smallest whole `k` with P(X ≤ k) ≥ p for X ~ Poisson(mean), by bisection over a bracket
/// that holds all but a negligible part of the distribution (at most 64 steps).
pub(crate) fn poisson_quantile(mean: f64, p: f64) -> f64 {
    if mean.is_nan() || p.is_nan() {
        return f64::NAN;
    }
    if mean <= 0.0 || p <= 0.0 {
        return 0.0;
    }
    let mut lo = -1.0_f64;
    let mut hi = (mean + 40.0 * mean.sqrt() + 40.0).ceil();
    if poisson_cdf(mean, hi) < p {
        return hi;
    }
    for _ in 0..MAX_BISECTIONS {
        if hi - lo <= 1.0 {
            break;
        }
        let mid = (lo + (hi - lo) / 2.0).floor();
        if poisson_cdf(mean, mid) >= p {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    hi
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, tol: f64) -> bool {
        (a - b).abs() <= tol * b.abs().max(1e-300)
    }

    /// Values from closed forms: P(1, x) = 1 − e^(−x), I_x(1, b) = 1 − (1 − x)^b, I_x(a, 1) =
    /// x^a; and P(1/2, k²/2) = P(|Z| < k) for a standard normal Z, the 68–95–99.7 rule to 16
    /// digits.
    #[test]
    fn the_functions_match_their_closed_forms() {
        for x in [1e-8_f64, 0.01, 0.5, 1.0, 2.0, 7.5, 30.0, 200.0] {
            let expected = -(-x).exp_m1();
            assert!(close(gamma_p(1.0, x), expected, 1e-13), "P(1, {x})");
            assert!(close(gamma_q(1.0, x), (-x).exp(), 1e-12), "Q(1, {x})");
        }
        for (x, expected) in [
            (0.5, 0.682_689_492_137_086),
            (2.0, 0.954_499_736_103_641_6),
            (4.5, 0.997_300_203_936_739_8),
        ] {
            assert!(close(gamma_p(0.5, x), expected, 1e-14), "P(1/2, {x})");
        }
        for x in [1e-6_f64, 0.1, 0.5, 0.9, 0.999] {
            let expected = -(3.5 * (-x).ln_1p()).exp_m1();
            assert!(
                close(beta_reg(1.0, 3.5, x), expected, 1e-12),
                "I_{x}(1, 3.5)"
            );
            assert!(close(beta_reg(2.5, 1.0, x), x.powf(2.5), 1e-12));
        }
        // Poisson(3): P(X ≤ 2) = e^(−3)·(1 + 3 + 4.5).
        assert!(close(poisson_cdf(3.0, 2.0), (-3.0f64).exp() * 8.5, 1e-13));
        assert_eq!(poisson_quantile(3.0, (-3.0f64).exp() * 8.5), 2.0);
        assert_eq!(poisson_quantile(3.0, (-3.0f64).exp() * 8.5 + 1e-9), 3.0);
    }

    #[test]
    fn quantiles_invert_the_cdfs() {
        for a in [1e-4, 0.3, 1.0, 4.0, 250.0, 1e5, 5e6] {
            for p in [1e-9, 0.001, 0.1, 0.5, 0.9, 0.999] {
                let x = gamma_quantile(a, p);
                // P(a, x) carries the rounding of e^(a·ln x − x − ln Γ(a)), whose exponent is
                // of order a·ln a: relative 1e-16 of it.
                let tol = 1e-10_f64.max(1e-15 * a * a.ln().max(1.0));
                if x > 0.0 {
                    assert!(close(gamma_p(a, x), p, tol), "gamma a={a} p={p}: x={x}");
                }
            }
        }
        for (a, b) in [(0.5, 0.5), (2.0, 30.0), (125_000.0, 125_000.0), (1e-3, 5.0)] {
            for p in [0.001, 0.1, 0.5, 0.9, 0.999] {
                let x = beta_quantile(a, b, p);
                if x > 0.0 {
                    assert!(close(beta_reg(a, b, x), p, 1e-9), "beta {a},{b} p={p}");
                }
            }
        }
    }

    /// A beta of a = b = 125,000 has sd 0.001 around 0.5 and is normal to 1e-5: its CDF one sd up
    /// is Φ(1).
    #[test]
    fn a_narrow_beta_is_integrated_to_convergence() {
        let x = 0.5 + (0.25f64 / 250_001.0).sqrt();
        assert!((beta_reg(125_000.0, 125_000.0, x) - normal_cdf(1.0)).abs() < 1e-4);
    }

    /// Shapes past the series' reach (a Poisson CDF at a mean of 1e12) agree with the normal
    /// approximation: the CDF at the mean is one half.
    #[test]
    fn huge_shapes_use_the_normal_approximation() {
        let m = 1e12;
        assert!((poisson_cdf(m, m) - 0.5).abs() < 1e-3);
        assert!((poisson_cdf(m, m + m.sqrt()) - normal_cdf(1.0)).abs() < 1e-3);
        let q = poisson_quantile(m, 0.5);
        assert!((q - m).abs() < 2.0, "{q}");
    }

    /// What made statrs spin: a gamma of scale 1e-310 (its quantile is found on the unit scale
    /// and scaled), and parameters far outside any sensible range. Each returns.
    #[test]
    fn absurd_parameters_return() {
        assert!(gamma_quantile(1.0, 0.999).is_finite());
        assert!(gamma_quantile(1e-300, 0.5) >= 0.0);
        assert!(gamma_quantile(1e300, 0.5).is_finite());
        assert!(gamma_p(1e300, 1e300).is_finite());
        assert!(beta_quantile(1e-300, 1e-300, 0.5).is_finite());
        assert!(
            beta_quantile(1e300, 1e300, 0.5).is_nan() || beta_quantile(1e300, 1e300, 0.5) <= 1.0
        );
        assert!(poisson_quantile(1e15, 0.999_999).is_finite());
        assert!(gamma_p(f64::NAN, 1.0).is_nan() && gamma_p(0.0, 1.0).is_nan());
    }
}
