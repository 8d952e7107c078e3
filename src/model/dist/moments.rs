//! The closed forms of each family: mean, variance, CDF, quantile, and the partial moments
//! `E[Xᵏ; a < X ≤ b]` the estimator integrates the per-call rule with.

use statrs::distribution::ContinuousCDF;

use super::{Dist, ln_or_neg_inf, phi_cdf, phi_pdf, poisson_cdf, std_normal, weighted};
use crate::base::special::{beta_reg, gamma_p};

impl Dist {
    pub fn mean(&self) -> f64 {
        match self {
            Dist::Fixed(v) => *v,
            Dist::LogNormal { mu, sigma, .. } => (mu + sigma * sigma / 2.0).exp(),
            Dist::TruncNormal { .. } => self.partial_mean(0.0, f64::INFINITY),
            Dist::Gamma { shape, scale, .. } => shape * scale,
            Dist::Uniform { min, max } => (min + max) / 2.0,
            Dist::Triangular { min, mode, max } => (min + mode + max) / 3.0,
            Dist::Beta { alpha, beta, .. } => alpha / (alpha + beta),
            Dist::Poisson { mean, .. } => *mean,
            Dist::Empirical { values, cumulative } => {
                weighted(values, cumulative).map(|(v, p)| v * p).sum()
            }
            Dist::ScaledMixture { scales, base } => {
                base.mean() * scales.iter().map(|(p, c)| p * c).sum::<f64>()
            }
        }
    }

    pub fn variance(&self) -> f64 {
        match self {
            Dist::Fixed(_) => 0.0,
            Dist::LogNormal { mu, sigma, .. } => {
                let s2 = sigma * sigma;
                (s2.exp() - 1.0) * (2.0 * mu + s2).exp()
            }
            Dist::TruncNormal { mean, sd, mass } => {
                let alpha = -mean / sd;
                let lambda = phi_pdf(alpha) / mass;
                sd * sd * (1.0 + alpha * lambda - lambda * lambda)
            }
            Dist::Gamma { shape, scale, .. } => shape * scale * scale,
            Dist::Uniform { min, max } => (max - min).powi(2) / 12.0,
            Dist::Triangular { min, mode, max } => {
                (min * min + mode * mode + max * max - min * mode - min * max - mode * max) / 18.0
            }
            Dist::Beta { alpha, beta, .. } => {
                let s = alpha + beta;
                alpha * beta / (s * s * (s + 1.0))
            }
            Dist::Poisson { mean, .. } => *mean,
            Dist::Empirical { values, cumulative } => {
                let m = self.mean();
                weighted(values, cumulative)
                    .map(|(v, p)| p * (v - m).powi(2))
                    .sum()
            }
            Dist::ScaledMixture { scales, base } => {
                let m = self.mean();
                let s2: f64 = scales.iter().map(|(p, c)| p * c * c).sum();
                (s2 * base.second_moment() - m * m).max(0.0)
            }
        }
    }

    /// P(X ≤ x).
    pub fn cdf(&self, x: f64) -> f64 {
        if x < 0.0 {
            return 0.0;
        }
        match self {
            Dist::Fixed(v) => f64::from(u8::from(*v <= x)),
            Dist::LogNormal { mu, sigma, .. } => phi_cdf((ln_or_neg_inf(x) - mu) / sigma),
            Dist::TruncNormal { mean, sd, mass } => {
                ((phi_cdf((x - mean) / sd) - phi_cdf(-mean / sd)) / mass).clamp(0.0, 1.0)
            }
            Dist::Gamma { shape, scale, .. } => {
                if x == f64::INFINITY {
                    1.0
                } else {
                    gamma_p(*shape, x / scale)
                }
            }
            Dist::Uniform { min, max } => ((x - min) / (max - min)).clamp(0.0, 1.0),
            Dist::Triangular { min, mode, max } => {
                if x <= *min {
                    0.0
                } else if x >= *max {
                    1.0
                } else if x <= *mode {
                    (x - min).powi(2) / ((max - min) * (mode - min))
                } else {
                    1.0 - (max - x).powi(2) / ((max - min) * (max - mode))
                }
            }
            Dist::Beta { alpha, beta, .. } => {
                if x >= 1.0 {
                    1.0
                } else {
                    beta_reg(*alpha, *beta, x)
                }
            }
            Dist::Poisson { mean, .. } => poisson_cdf(*mean, x),
            Dist::Empirical { values, cumulative } => weighted(values, cumulative)
                .filter(|(v, _)| *v <= x)
                .map(|(_, p)| p)
                .sum(),
            Dist::ScaledMixture { scales, base } => scales
                .iter()
                .map(|(p, c)| if *c == 0.0 { *p } else { p * base.cdf(x / c) })
                .sum::<f64>()
                .clamp(0.0, 1.0),
        }
    }

    /// The `p`-quantile (inverse CDF), for `p` in \[0, 1\].
    pub fn quantile(&self, p: f64) -> f64 {
        let p = p.clamp(0.0, 1.0);
        match self {
            Dist::Fixed(v) => *v,
            Dist::LogNormal { mu, sigma, .. } => (mu + sigma * std_normal().inverse_cdf(p)).exp(),
            Dist::TruncNormal { mean, sd, mass } => {
                let lo = 1.0 - mass;
                (mean + sd * std_normal().inverse_cdf(lo + p * mass)).max(0.0)
            }
            // On the unit scale, then scaled: a tiny scale cannot stall the search.
            Dist::Gamma { shape, scale, .. } => {
                scale * crate::base::special::gamma_quantile(*shape, p)
            }
            Dist::Uniform { min, max } => min + p * (max - min),
            Dist::Triangular { min, mode, max } => {
                let c = (mode - min) / (max - min);
                if p < c {
                    min + (p * (max - min) * (mode - min)).sqrt()
                } else {
                    max - ((1.0 - p) * (max - min) * (max - mode)).sqrt()
                }
            }
            Dist::Beta { alpha, beta, .. } => crate::base::special::beta_quantile(*alpha, *beta, p),
            Dist::Poisson { mean, .. } => crate::base::special::poisson_quantile(*mean, p),
            Dist::Empirical { values, cumulative } => {
                // Smallest value whose cumulative weight reaches p.
                let mut pairs: Vec<(f64, f64)> = weighted(values, cumulative).collect();
                pairs.sort_by(|a, b| a.0.total_cmp(&b.0));
                let mut acc = 0.0;
                for (v, w) in &pairs {
                    acc += w;
                    if acc >= p - 1e-12 {
                        return *v;
                    }
                }
                pairs.last().map_or(0.0, |(v, _)| *v)
            }
            Dist::ScaledMixture { .. } => self.quantile_by_bisection(p),
        }
    }

    /// The smallest `x` with `P(X ≤ x) ≥ p`, by bisection on the CDF (to a relative 10⁻¹²).
    fn quantile_by_bisection(&self, p: f64) -> f64 {
        if p <= 0.0 {
            return self.support().0.max(0.0);
        }
        let (_, top) = self.support();
        let mut hi = if top.is_finite() {
            top
        } else {
            let mut h = self.mean().max(1.0);
            for _ in 0..2_000 {
                if self.cdf(h) >= p {
                    break;
                }
                h *= 2.0;
            }
            h
        };
        let mut lo = 0.0;
        if self.cdf(lo) >= p {
            return lo;
        }
        for _ in 0..200 {
            let mid = 0.5 * (lo + hi);
            if self.cdf(mid) >= p {
                hi = mid;
            } else {
                lo = mid;
            }
            if hi - lo <= 1e-12 * hi {
                break;
            }
        }
        hi
    }

    /// `E[X · 1{a < X ≤ b}]`, the partial mean over `(a, b]`.
    pub(crate) fn partial_mean(&self, a: f64, b: f64) -> f64 {
        self.partial_power(1, a, b)
    }

    /// A whole number that the variable (rounded up or down) exceeds with negligible
    /// probability, for sums over its values.
    pub(crate) fn quantity_bound(&self) -> u64 {
        let hi = match self.support().1 {
            h if h.is_finite() => h,
            _ => self.quantile(1.0 - 1e-12),
        };
        if hi.is_finite() {
            (hi.ceil() as u64).saturating_add(1).min(100_000)
        } else {
            100_000
        }
    }

    /// `E[X² · 1{a < X ≤ b}]`, the partial second moment over `(a, b]`.
    pub(crate) fn partial_moment2(&self, a: f64, b: f64) -> f64 {
        self.partial_power(2, a, b)
    }

    /// `E[X³ · 1{a < X ≤ b}]`, the partial third moment over `(a, b]`: with the first two, the
    /// skewness of a (capped) quantity in closed form, which a sample of a heavy tail
    /// under-reaches.
    pub(crate) fn partial_moment3(&self, a: f64, b: f64) -> f64 {
        self.partial_power(3, a, b)
    }

    /// `E[Xᵏ · 1{a < X ≤ b}]` for `k ≥ 1`, in closed form for every family.
    fn partial_power(&self, k: u32, a: f64, b: f64) -> f64 {
        if !(b > a) {
            return 0.0;
        }
        let kf = f64::from(k);
        let ki = k as i32;
        match self {
            Dist::Fixed(v) => {
                if *v > a && *v <= b {
                    v.powi(ki)
                } else {
                    0.0
                }
            }
            Dist::LogNormal { mu, sigma, .. } => {
                // E[Xᵏ; ·] = e^{kμ + k²σ²/2}·ΔΦ((ln x − μ − kσ²)/σ).
                let s2 = sigma * sigma;
                let m = (kf * mu + kf * kf * s2 / 2.0).exp();
                let z = |x: f64| {
                    if x == f64::INFINITY {
                        f64::INFINITY
                    } else {
                        (ln_or_neg_inf(x) - mu - kf * s2) / sigma
                    }
                };
                m * (phi_cdf(z(b)) - phi_cdf(z(a)))
            }
            Dist::TruncNormal { mean, sd, mass } => {
                let a = a.max(0.0);
                if b <= a {
                    return 0.0;
                }
                // x = m + s·z: expand (m + s·z)ᵏ over Jⱼ = ∫ zʲφ(z) dz on (za, zb], with
                // J₀ = ΔΦ, J₁ = φ(za) − φ(zb), Jⱼ = (j − 1)·Jⱼ₋₂ + za^{j−1}φ(za) − zb^{j−1}φ(zb).
                let (za, zb) = ((a - mean) / sd, (b - mean) / sd);
                let (pa, pb) = (phi_pdf(za), phi_pdf(zb));
                let edge = |z: f64, p: f64, j: i32| if z.is_finite() { z.powi(j) * p } else { 0.0 };
                let mut j_moments = vec![phi_cdf(zb) - phi_cdf(za), pa - pb];
                for j in 2..=ki {
                    let next = f64::from(j - 1) * j_moments[(j - 2) as usize] + edge(za, pa, j - 1)
                        - edge(zb, pb, j - 1);
                    j_moments.push(next);
                }
                let mut total = 0.0;
                let mut binomial = 1.0;
                for j in 0..=ki {
                    total += binomial * mean.powi(ki - j) * sd.powi(j) * j_moments[j as usize];
                    binomial = binomial * f64::from(ki - j) / f64::from(j + 1);
                }
                total / mass
            }
            Dist::Gamma { shape, scale, .. } => {
                let p = |x: f64| {
                    if x <= 0.0 {
                        0.0
                    } else if x == f64::INFINITY {
                        1.0
                    } else {
                        gamma_p(shape + kf, x / scale)
                    }
                };
                let rising: f64 = (0..k).map(|j| shape + f64::from(j)).product();
                rising * scale.powi(ki) * (p(b) - p(a))
            }
            Dist::Uniform { min, max } => {
                let lo = a.max(*min);
                let hi = b.min(*max);
                if hi <= lo {
                    0.0
                } else {
                    (hi.powi(ki + 1) - lo.powi(ki + 1)) / ((kf + 1.0) * (max - min))
                }
            }
            Dist::Triangular { min, mode, max } => {
                let lo = a.max(*min);
                let hi = b.min(*max);
                if hi <= lo {
                    return 0.0;
                }
                let width = max - min;
                let mut total = 0.0;
                // Left piece on [min, mode]: pdf = 2(x−min)/(width·(mode−min)).
                let (l0, l1) = (lo.max(*min), hi.min(*mode));
                if l1 > l0 && mode > min {
                    let f =
                        |x: f64| x.powi(ki + 2) / (kf + 2.0) - min * x.powi(ki + 1) / (kf + 1.0);
                    total += 2.0 / (width * (mode - min)) * (f(l1) - f(l0));
                }
                // Right piece on [mode, max]: pdf = 2(max−x)/(width·(max−mode)).
                let (r0, r1) = (lo.max(*mode), hi.min(*max));
                if r1 > r0 && max > mode {
                    let f =
                        |x: f64| max * x.powi(ki + 1) / (kf + 1.0) - x.powi(ki + 2) / (kf + 2.0);
                    total += 2.0 / (width * (max - mode)) * (f(r1) - f(r0));
                }
                total
            }
            Dist::Beta { alpha, beta, .. } => {
                let p = |x: f64| {
                    if x <= 0.0 {
                        0.0
                    } else if x >= 1.0 {
                        1.0
                    } else {
                        beta_reg(alpha + kf, *beta, x)
                    }
                };
                let ratio: f64 = (0..k)
                    .map(|j| (alpha + f64::from(j)) / (alpha + beta + f64::from(j)))
                    .product();
                ratio * (p(b) - p(a))
            }
            Dist::Poisson { mean, .. } => {
                // Xᵏ = Σⱼ S(k, j)·X(X−1)⋯(X−j+1) (Stirling numbers of the second kind), and
                // E[X(X−1)⋯(X−j+1); X ≤ x] = λʲ·P(X ≤ x − j).
                let stirling: &[f64] = match k {
                    1 => &[1.0],
                    2 => &[1.0, 1.0],
                    3 => &[1.0, 3.0, 1.0],
                    _ => unreachable!("partial powers up to 3"),
                };
                let upto = |x: f64| {
                    stirling
                        .iter()
                        .enumerate()
                        .map(|(i, s)| {
                            let j = i as i32 + 1;
                            s * mean.powi(j) * poisson_cdf(*mean, x - f64::from(j))
                        })
                        .sum::<f64>()
                };
                upto(b) - upto(a)
            }
            Dist::Empirical { values, cumulative } => weighted(values, cumulative)
                .filter(|(v, _)| *v > a && *v <= b)
                .map(|(v, p)| v.powi(ki) * p)
                .sum(),
            Dist::ScaledMixture { scales, base } => scales
                .iter()
                .filter(|(_, c)| *c > 0.0)
                .map(|(p, c)| p * c.powi(ki) * base.partial_power(k, a / c, b / c))
                .sum(),
        }
    }

    /// The third central moment of `min(X, cap)` (of `X` without a cap).
    pub(crate) fn third_central_capped(&self, cap: Option<f64>) -> f64 {
        let c = cap.unwrap_or(f64::INFINITY);
        let tail = if c.is_finite() {
            1.0 - self.cdf(c)
        } else {
            0.0
        };
        let raw = |k: i32, partial: f64| partial + if tail > 0.0 { c.powi(k) * tail } else { 0.0 };
        let m1 = raw(1, self.partial_mean(f64::NEG_INFINITY, c));
        let m2 = raw(2, self.partial_moment2(f64::NEG_INFINITY, c));
        let m3 = raw(3, self.partial_moment3(f64::NEG_INFINITY, c));
        m3 - 3.0 * m1 * m2 + 2.0 * m1 * m1 * m1
    }

    /// `E[min(X, cap)]`.
    pub(crate) fn mean_capped(&self, cap: f64) -> f64 {
        self.partial_mean(f64::NEG_INFINITY, cap) + cap * (1.0 - self.cdf(cap))
    }

    /// `E[X²]`.
    pub fn second_moment(&self) -> f64 {
        self.variance() + self.mean().powi(2)
    }
}
