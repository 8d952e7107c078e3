//! Closed forms against sampling and against each other, and the refusals of bad parameters.

use super::*;
use rand::SeedableRng;
use rand::rngs::ChaCha8Rng;

fn all() -> Vec<Dist> {
    vec![
        Dist::Fixed(3.0),
        Dist::lognormal_p50_p95(900.0, 2600.0).unwrap(),
        Dist::lognormal_interval(100.0, 400.0).unwrap(),
        Dist::lognormal_mean_sd(5.0, 2.0).unwrap(),
        Dist::trunc_normal(2.0, 3.0).unwrap(),
        Dist::gamma_mean_cv(4.0, 0.7).unwrap(),
        Dist::uniform(1.0, 5.0).unwrap(),
        Dist::triangular(1.0, 2.0, 6.0).unwrap(),
        Dist::beta_mean_sd(0.2, 0.1).unwrap(),
        Dist::poisson(8.0).unwrap(),
        Dist::empirical(vec![1.0, 2.0, 10.0], Some(vec![1.0, 2.0, 1.0])).unwrap(),
        Dist::product(
            &Dist::poisson(4.0).unwrap(),
            &Dist::empirical(vec![251.0, 502.0, 1506.0], None).unwrap(),
        )
        .0,
        Dist::product(
            &Dist::gamma_mean_cv(4.0, 0.5).unwrap(),
            &Dist::lognormal_p50_p95(600.0, 1500.0).unwrap(),
        )
        .0,
    ]
}

#[test]
fn a_product_with_a_discrete_factor_is_exact() {
    // Poisson(4) × {251, 502, 1506}: P(C·T ≤ 1,004) sums P(C ≤ 4) for 251, P(C ≤ 2) for 502
    // and P(C = 0) for 1,506, each a third.
    let (d, exact) = Dist::product(
        &Dist::poisson(4.0).unwrap(),
        &Dist::empirical(vec![251.0, 502.0, 1506.0], None).unwrap(),
    );
    assert!(exact);
    let e4 = (-4.0f64).exp();
    let c4 = e4 * (1.0 + 4.0 + 8.0 + 32.0 / 3.0 + 32.0 / 3.0);
    let c2 = e4 * (1.0 + 4.0 + 8.0);
    let hand = (c4 + c2 + e4) / 3.0;
    assert!(
        (d.cdf(1004.0) - hand).abs() < 1e-12,
        "{} vs {hand}",
        d.cdf(1004.0)
    );
    assert!((d.mean() - 3012.0).abs() < 1e-9);
    // E[(CT)²] = E[C²]·E[T²] = (16 + 4) × (251² + 502² + 1,506²) / 3.
    let m2 = 20.0 * (251.0f64.powi(2) + 502.0f64.powi(2) + 1506.0f64.powi(2)) / 3.0;
    assert!((d.second_moment() - m2).abs() < 1e-6 * m2);
    assert!((d.quantile(d.cdf(1004.0)) - 1004.0).abs() < 1e-6);
}

#[test]
fn quantile_constructors_hit_their_quantiles() {
    let d = Dist::lognormal_p50_p95(900.0, 2600.0).unwrap();
    assert!((d.quantile(0.5) - 900.0).abs() < 1e-6);
    assert!((d.quantile(0.95) - 2600.0).abs() < 1e-6);
    let d = Dist::lognormal_interval(100.0, 400.0).unwrap();
    assert!((d.quantile(0.05) - 100.0).abs() < 1e-6);
    assert!((d.quantile(0.95) - 400.0).abs() < 1e-6);
    let d = Dist::lognormal_mean_sd(5.0, 2.0).unwrap();
    assert!((d.mean() - 5.0).abs() < 1e-12);
    assert!((d.variance() - 4.0).abs() < 1e-9);
    let d = Dist::beta_mean_sd(0.2, 0.1).unwrap();
    assert!((d.mean() - 0.2).abs() < 1e-12);
    assert!((d.variance() - 0.01).abs() < 1e-12);
}

#[test]
fn partial_means_add_up_to_the_mean() {
    for d in all() {
        let m = d.mean();
        let split = d.quantile(0.6);
        let sum = d.partial_mean(f64::NEG_INFINITY, split) + d.partial_mean(split, f64::INFINITY);
        assert!((sum - m).abs() < 1e-8 * m.max(1.0), "{d:?}: {sum} vs {m}");
        let full = d.partial_mean(f64::NEG_INFINITY, f64::INFINITY);
        assert!((full - m).abs() < 1e-8 * m.max(1.0), "{d:?}");
    }
}

/// Each closed form against 400,000 draws: within 4 standard errors (fixed seed).
#[test]
fn closed_forms_match_sampling() {
    const N: usize = 400_000;
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    for d in all() {
        let cap = d.quantile(0.8);
        let draws: Vec<f64> = (0..N).map(|_| d.sample(&mut rng)).collect();
        let check = |name: &str, values: Vec<f64>, expected: f64| {
            let n = values.len() as f64;
            let mean = values.iter().sum::<f64>() / n;
            let var = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0);
            let se = (var / n).sqrt().max(1e-12);
            assert!(
                (mean - expected).abs() < 4.0 * se,
                "{name} of {d:?}: sample {mean} vs closed form {expected} (se {se})"
            );
        };
        check("mean", draws.clone(), d.mean());
        check(
            "capped mean",
            draws.iter().map(|x| x.min(cap)).collect(),
            d.mean_capped(cap),
        );
        check(
            "cdf",
            draws
                .iter()
                .map(|x| f64::from(u8::from(*x <= cap)))
                .collect(),
            d.cdf(cap),
        );
        let m = d.mean();
        check(
            "variance",
            draws.iter().map(|x| (x - m).powi(2)).collect(),
            d.variance(),
        );
        assert!(draws.iter().all(|x| *x >= 0.0 && x.is_finite()));
    }
}

#[test]
fn partial_third_moments_add_up_and_match_sampling() {
    let mut rng = ChaCha8Rng::seed_from_u64(11);
    for d in all() {
        let m = d.mean();
        let total = d.partial_moment3(f64::NEG_INFINITY, f64::INFINITY);
        let split = d.partial_moment3(f64::NEG_INFINITY, m) + d.partial_moment3(m, f64::INFINITY);
        assert!(
            (total - split).abs() <= 1e-9 * total.abs().max(1e-12),
            "{d:?}"
        );
        // Against a large sample: the third central moment of the capped variable.
        let cap = d.quantile(0.9);
        let n = 400_000;
        let draws: Vec<f64> = (0..n).map(|_| d.sample(&mut rng).min(cap)).collect();
        let mean = draws.iter().sum::<f64>() / n as f64;
        let k3 = draws.iter().map(|x| (x - mean).powi(3)).sum::<f64>() / n as f64;
        let sd = (draws.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n as f64).sqrt();
        let want = d.third_central_capped(Some(cap));
        // The sample third moment of a bounded variable: error well under 0.05 sd³.
        assert!(
            (k3 - want).abs() <= 0.05 * sd.powi(3) + 1e-12,
            "{d:?}: sampled {k3} vs closed form {want} (sd {sd})"
        );
    }
    // The lognormal's skewness (e^{σ²} + 2)·√(e^{σ²} − 1) without a cap.
    let d = Dist::lognormal_p50_p95(100.0, 100_000.0).unwrap();
    let Dist::LogNormal { sigma, .. } = d else {
        unreachable!()
    };
    let e = (sigma * sigma).exp();
    let skew = d.third_central_capped(None) / d.variance().powf(1.5);
    let want = (e + 2.0) * (e - 1.0).sqrt();
    assert!((skew / want - 1.0).abs() < 1e-6, "{skew} vs {want}");
}

#[test]
fn partial_second_moments_add_up_to_the_second_moment() {
    for d in all() {
        let m2 = d.second_moment();
        let split = d.quantile(0.6);
        let sum =
            d.partial_moment2(f64::NEG_INFINITY, split) + d.partial_moment2(split, f64::INFINITY);
        assert!(
            (sum - m2).abs() < 1e-7 * m2.max(1.0),
            "{d:?}: {sum} vs {m2}"
        );
    }
}

#[test]
fn capped_lognormal_mean_has_the_textbook_form() {
    // E[min(X, c)] = e^{μ+σ²/2} Φ((ln c − μ − σ²)/σ) + c (1 − Φ((ln c − μ)/σ)).
    let d = Dist::lognormal_p50_p95(180.0, 520.0).unwrap();
    let Dist::LogNormal { mu, sigma, .. } = d else {
        unreachable!()
    };
    let c: f64 = 700.0;
    let n = std_normal();
    let expected = (mu + sigma * sigma / 2.0).exp() * n.cdf((c.ln() - mu - sigma * sigma) / sigma)
        + c * (1.0 - n.cdf((c.ln() - mu) / sigma));
    assert!((d.mean_capped(c) - expected).abs() < 1e-9);
    assert!(d.mean_capped(c) < d.mean());
}

/// A gamma of mean 1e-310 made statrs' quantile search spin forever. Its quantiles are now
/// found on the unit scale, with bounded loops, and a shape past the series' reach is refused.
#[test]
fn a_subnormal_scale_does_not_stall_the_quantile() {
    let d = Dist::gamma_mean_cv(1e-310, 1.0).unwrap();
    let q = d.quantile(0.999);
    assert!(q > 0.0 && q < 1e-308, "{q}");
    assert!(d.cdf(q) > 0.99);
    assert!(Dist::gamma_mean_cv(1200.0, 1e-9).is_err());
    assert!(Dist::beta_mean_sd(0.5, 1e-7).is_err());
}

#[test]
fn invalid_parameters_are_rejected_with_reasons() {
    assert!(
        Dist::lognormal_p50_p95(100.0, 50.0)
            .unwrap_err()
            .to_string()
            .contains("p95")
    );
    assert!(Dist::lognormal_p50_p95(100.0, 100.0).is_err());
    assert!(matches!(
        Dist::beta_mean_sd(0.5, 0.6).unwrap_err(),
        DistError::BetaTooWide { .. }
    ));
    assert!(Dist::triangular(1.0, 9.0, 5.0).is_err());
    assert!(Dist::empirical(vec![], None).is_err());
    assert!(Dist::uniform(3.0, 3.0).is_err());
}
