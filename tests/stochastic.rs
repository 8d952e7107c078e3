//! Stochastic scenarios against closed forms: each simulated mean must lie within 4 standard errors
//! of its textbook value (fixed seeds, so a pass is reproducible; n and the seed are stated).

mod common;

use aicost::sim::estimate::estimate;
use common::*;
use statrs::distribution::{ContinuousCDF, Normal};

const K: f64 = 4.0;

const UNIT_MODEL: &str = r#"
[[model]]
name = "m"
input_usd_per_mtok = 1
output_usd_per_mtok = 1
"#;

const ONE_MODEL: &str = r#"
[[stack]]
name = "only"
[stack.route.r]
chain = [{ model = "m" }]
"#;

#[test]
fn mean_of_a_capped_lognormal_output() {
    // Output ~ lognormal with median 180 and p95 520, capped at 300; $1 per million tokens, so a
    // month of 1,000 requests costs Σ min(O, 300) / 10^6.
    let step = "output_tokens = { p50 = 180, p95 = 520 }\nmax_output_tokens = 300";
    let s = scenario(&one_step(1, 1000, "", step, UNIT_MODEL, ONE_MODEL));
    let r = simulate(&s, 4000, 20260101);
    let per_request: Vec<f64> = r.stacks[0].spend.iter().map(|x| x * 1e6 / 1000.0).collect();
    let (mean, se) = mean_se(&per_request);
    // E[min(X, c)] = e^{μ+σ²/2} Φ((ln c − μ − σ²)/σ) + c (1 − Φ((ln c − μ)/σ)).
    let n = Normal::standard();
    let mu = 180f64.ln();
    let sigma = (520f64.ln() - mu) / n.inverse_cdf(0.95);
    let c: f64 = 300.0;
    let expected = (mu + sigma * sigma / 2.0).exp() * n.cdf((c.ln() - mu - sigma * sigma) / sigma)
        + c * (1.0 - n.cdf((c.ln() - mu) / sigma));
    assert_within_se("capped lognormal mean", mean, se, expected, K);
    let e = estimate(&s);
    assert!((e.stacks[0].monthly_usd * 1e6 / 1000.0 - expected).abs() < 1e-6);
}

#[test]
fn expected_attempts_of_a_retry_chain() {
    // f = 0.3, up to 4 attempts: E[calls] = 1 + f + f² + f³, acceptance 1 − f⁴.
    let (f, a) = (0.3f64, 4);
    let stacks = format!(
        "[[stack]]\nname = \"retry\"\n[stack.route.r]\nchain = [{{ model = \"m\", validation_failure_rate = {f}, max_attempts = {a} }}]\n"
    );
    // Each call costs exactly 1 µ$ (1 input token at $1/Mtok), so spend counts calls.
    let s = scenario(&one_step(
        1,
        500,
        "",
        "input_tokens = 1",
        UNIT_MODEL,
        &stacks,
    ));
    let r = simulate(&s, 4000, 7);
    let calls_per_request: Vec<f64> = r.stacks[0].spend.iter().map(|x| x * 1e6 / 500.0).collect();
    let (mean, se) = mean_se(&calls_per_request);
    let expected: f64 = (0..a).map(|k| f.powi(k)).sum();
    assert_within_se("calls per request", mean, se, expected, K);
    let accepted: Vec<f64> = r.stacks[0].accepted.iter().map(|x| x / 500.0).collect();
    let (acc, acc_se) = mean_se(&accepted);
    assert_within_se("acceptance", acc, acc_se, 1.0 - f.powi(a), K);
    let e = estimate(&s);
    assert!(
        (e.stacks[0].workflows[0].steps[0].links[0].calls_per_request - expected).abs() < 1e-12
    );
}

#[test]
fn escalation_cascade_matches_its_closed_form() {
    // Link 1: f1 = 0.2 × 2 attempts, escalates 10% of passes; link 2: f2 = 0.1 × 2 attempts.
    // Reach link 2 with q = f1² + (1 − f1²)·0.1. Calls: (1 + f1) + q (1 + f2).
    let stacks = r#"
[[stack]]
name = "cascade"
[stack.route.r]
chain = [
  { model = "m", validation_failure_rate = 0.2, max_attempts = 2, escalation_rate = 0.1 },
  { model = "m", validation_failure_rate = 0.1, max_attempts = 2 },
]
"#;
    let s = scenario(&one_step(
        1,
        500,
        "",
        "input_tokens = 1",
        UNIT_MODEL,
        stacks,
    ));
    let r = simulate(&s, 4000, 99);
    let calls: Vec<f64> = r.stacks[0].spend.iter().map(|x| x * 1e6 / 500.0).collect();
    let (mean, se) = mean_se(&calls);
    let q = 0.04 + 0.96 * 0.1;
    assert_within_se("cascade calls", mean, se, 1.2 + q * 1.1, K);
    let accepted: Vec<f64> = r.stacks[0].accepted.iter().map(|x| x / 500.0).collect();
    let (acc, acc_se) = mean_se(&accepted);
    assert_within_se("cascade acceptance", acc, acc_se, 0.96 * 0.9 + q * 0.99, K);
}

#[test]
fn poisson_gamma_traffic_mean_and_variance() {
    // N users, each with monthly sessions ~ Poisson(λ m), m ~ Gamma(mean 1, cv):
    // E[S] = N λ, Var[S] = N (λ + λ² cv²).
    let (users, lambda, cv) = (200.0, 12.0, 0.8);
    let text = format!(
        r#"
name = "traffic"
[[segment]]
name = "s"
users = {users}
sessions_per_user_per_month = {lambda}
user_variability = {cv}
[[workflow]]
name = "w"
[[workflow.step]]
name = "call"
route = "r"
input_tokens = 1
{UNIT_MODEL}
{ONE_MODEL}
"#
    );
    let s = scenario(&text);
    let n = 20_000;
    let r = simulate(&s, n, 31337);
    let sessions = &r.stacks[0].requests;
    let (mean, se) = mean_se(sessions);
    assert_within_se("sessions mean", mean, se, users * lambda, K);
    // Sample variance against the closed form; its standard error from the fourth moment.
    let nf = n as f64;
    let var = sessions.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (nf - 1.0);
    let m4 = sessions.iter().map(|x| (x - mean).powi(4)).sum::<f64>() / nf;
    let var_se = ((m4 - var * var) / nf).sqrt();
    assert_within_se(
        "sessions variance",
        var,
        var_se,
        users * (lambda + lambda * lambda * cv * cv),
        K,
    );
}

#[test]
fn uncertain_head_count_has_its_distribution_mean() {
    // users ~ lognormal with 90% interval 300..500; E = e^{μ+σ²/2}.
    let text = r#"
name = "heads"
[simulation]
arrivals = "fixed"
[[segment]]
name = "s"
users = { low = 300, high = 500 }
sessions_per_user_per_month = 1
[[workflow]]
name = "w"
[[workflow.step]]
name = "call"
route = "r"
input_tokens = 1
"#;
    let s = scenario(&format!("{text}{UNIT_MODEL}{ONE_MODEL}"));
    let r = simulate(&s, 20_000, 2);
    let (mean, se) = mean_se(&r.segment_users[0]);
    let z = Normal::standard().inverse_cdf(0.95);
    let mu = (300f64.ln() + 500f64.ln()) / 2.0;
    let sigma = (500f64.ln() - 300f64.ln()) / (2.0 * z);
    assert_within_se("users mean", mean, se, (mu + sigma * sigma / 2.0).exp(), K);
    // Every user has exactly one session: requests equal users in every trial.
    assert_eq!(r.stacks[0].requests, r.segment_users[0]);
}

#[test]
fn cache_hit_rate_splits_the_prefix_between_reads_and_writes() {
    // Hit rate 0.8 on a 2,000-token prefix, read $0.10, write $1.25 per Mtok, 1,000 requests:
    // E = 1,000 × 2,000 × (0.8 × 0.10 + 0.2 × 1.25) / 10^6 = $0.66.
    let models = r#"
[[model]]
name = "m"
input_usd_per_mtok = 1
output_usd_per_mtok = 5
cached_input_usd_per_mtok = 0.10
cache_write_usd_per_mtok = 1.25
"#;
    let step = "static_prefix_tokens = 2000\ncache_hit_rate = 0.8";
    let s = scenario(&one_step(1, 1000, "", step, models, ONE_MODEL));
    let r = simulate(&s, 4000, 5);
    let (mean, se) = mean_se(&r.stacks[0].spend);
    assert_within_se("cache mix", mean, se, 0.66, K);
    let rep = aicost::analysis::report::Report::new(&s, &r);
    let t = rep.stacks[0].tokens;
    assert!((t.cached_input + t.cache_write - 2_000_000.0).abs() < 1e-6);
    assert_eq!(t.input, 0.0);
}

#[test]
fn estimate_agrees_with_the_simulated_mean_on_a_stochastic_scenario() {
    // Random tokens, retrieval, caching, retries, uncertain users: no approximation in estimate.
    let text = std::fs::read_to_string("scenarios/support-summarizer.toml")
        .unwrap()
        .replace(
            "users = { low = 350, high = 450 }",
            "users = { low = 35, high = 45 }",
        );
    let s = scenario(&text);
    let e = estimate(&s);
    assert!(e.approximations.is_empty(), "{:?}", e.approximations);
    let r = simulate(&s, 4000, 8);
    for (k, st) in r.stacks.iter().enumerate() {
        let (mean, se) = mean_se(&st.spend);
        assert_within_se(&st.name, mean, se, e.stacks[k].monthly_usd, K);
    }
}

#[test]
fn stacks_share_traffic_in_every_trial() {
    // Common random numbers: both stacks see the same requests in every trial.
    let text = std::fs::read_to_string("scenarios/support-summarizer.toml")
        .unwrap()
        .replace(
            "users = { low = 350, high = 450 }",
            "users = { low = 35, high = 45 }",
        );
    let r = simulate(&scenario(&text), 200, 4);
    assert_eq!(r.stacks[0].requests, r.stacks[1].requests);
    // Same retry outcomes too: the stacks differ only in price, so spend ratios are constant
    // up to the token mix; the correlation of monthly spend is near 1.
    let (a, b) = (&r.stacks[0].spend, &r.stacks[1].spend);
    let (ma, _) = mean_se(a);
    let (mb, _) = mean_se(b);
    let cov: f64 = a.iter().zip(b).map(|(x, y)| (x - ma) * (y - mb)).sum();
    let va: f64 = a.iter().map(|x| (x - ma).powi(2)).sum();
    let vb: f64 = b.iter().map(|y| (y - mb).powi(2)).sum();
    assert!(cov / (va * vb).sqrt() > 0.99);
}
