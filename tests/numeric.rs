//! Numeric safety at the edges of what a scenario may say: ten billion users, million-token
//! prompts, the exact engine asked for absurd traffic, and totals of millions of small costs.

mod common;

use aicost::base::stats::KahanSum;
use aicost::model::Scenario;
use aicost::sim::engine::{self, EngineRequest, SimOptions};
use aicost::sim::estimate::estimate;
use assert_cmd::cargo::cargo_bin_cmd;
use common::*;

/// One segment of `users`, `sessions` sessions a month each, one call of `input` and `output`
/// tokens; two models (a small one and a large one), one stack each.
fn traffic(users: &str, sessions: u32, input: &str, output: &str, arrivals: &str) -> String {
    format!(
        r#"
name = "scale"
[simulation]
trials = 100
arrivals = "{arrivals}"

[budget]
monthly_usd = 1e12

[[segment]]
name = "everyone"
users = {users}
sessions_per_user_per_month = {sessions}
user_variability = 0.5

[[workflow]]
name = "ask"

[[workflow.step]]
name = "answer"
route = "main"
input_tokens = {input}
output_tokens = {output}

[[model]]
name = "small"
input_usd_per_mtok = 0.15
output_usd_per_mtok = 0.60

[[model]]
name = "large"
input_usd_per_mtok = 2.50
output_usd_per_mtok = 10.00

[[stack]]
name = "small"
[stack.route.main]
chain = [{{ model = "small", validation_failure_rate = 0.05, max_attempts = 2 }}]

[[stack]]
name = "large"
[stack.route.main]
chain = [{{ model = "large", validation_failure_rate = 0.05, max_attempts = 2 }}]
"#
    )
}

/// Every month finite and positive, the mean within `tolerance` (relative) of the estimate, and
/// the large model dearer than the small one.
fn assert_finite_and_near_estimate(s: &Scenario, r: &engine::SimResult, tolerance: f64) {
    let e = estimate(s);
    for (st, est) in r.stacks.iter().zip(&e.stacks) {
        for spend in &st.spend {
            assert!(spend.is_finite() && *spend > 0.0, "{}: {spend}", st.name);
        }
        let (mean, _) = mean_se(&st.spend);
        let rel = (mean - est.monthly_usd).abs() / est.monthly_usd;
        assert!(
            rel < tolerance,
            "{} ({} engine): mean {mean} vs estimate {} ({rel:e})",
            st.name,
            r.engine.name,
            est.monthly_usd
        );
        for t in st.tokens.to_array() {
            assert!(t.is_finite() && t >= 0.0, "{}: tokens {t}", st.name);
        }
        assert!(st.requests.iter().all(|n| n.is_finite() && *n > 0.0));
    }
    assert!(r.stacks[1].spend[0] > 10.0 * r.stacks[0].spend[0]);
}

#[test]
fn ten_billion_users_run_on_the_fast_engine_with_finite_expected_results() {
    let s = scenario(&traffic(
        "1e10",
        3,
        "{ p50 = 1000, p95 = 3000 }",
        "{ p50 = 200, p95 = 600 }",
        "poisson",
    ));
    let r = engine::simulate(&s, &SimOptions::new(100, 3)).unwrap();
    assert_eq!(r.engine.name, "fast", "{}", r.engine.reason);
    assert_finite_and_near_estimate(&s, &r, 0.01);
    // 3 × 10^10 requests a month, each counted.
    let (requests, _) = mean_se(&r.stacks[0].requests);
    assert!((requests / 3e10 - 1.0).abs() < 0.01, "{requests}");
}

#[test]
fn ten_billion_users_with_million_token_prompts_stay_finite() {
    // About 3 × 10^16 input tokens a month: $7.5 × 10^10 on the large model.
    let s = scenario(&traffic("1e10", 3, "1_000_000", "1000", "poisson"));
    let r = engine::simulate(&s, &SimOptions::new(50, 4)).unwrap();
    assert_eq!(r.engine.name, "fast", "{}", r.engine.reason);
    assert_finite_and_near_estimate(&s, &r, 0.01);
    let large = estimate(&s).stacks[1].monthly_usd;
    assert!(large > 7.5e10 && large < 8.5e10, "{large}");
}

#[test]
fn million_token_prompts_are_priced_exactly_on_both_engines() {
    let s = scenario(&traffic("200", 5, "1_000_000", "1000", "poisson"));
    let exact = engine::simulate_exact(&s, &SimOptions::new(200, 5)).unwrap();
    assert_finite_and_near_estimate(&s, &exact, 0.02);
    let fast = engine::simulate_fast(&s, &SimOptions::new(200, 5), String::new()).unwrap();
    assert_finite_and_near_estimate(&s, &fast, 0.02);
    // 1,000 requests × 1.05 calls × (10^6 × $2.50 + 1,000 × $10) / 10^6 = $2,635.50.
    assert_cents("estimate", estimate(&s).stacks[1].monthly_usd, 2_635.50);
}

#[test]
fn the_exact_engine_refuses_a_trial_it_could_not_finish() {
    let s = scenario(&traffic("1e10", 3, "1000", "200", "poisson"));
    let mut opts = SimOptions::new(10, 1);
    opts.engine = EngineRequest::Exact;
    let err = engine::simulate(&s, &opts).unwrap_err().to_string();
    assert!(
        err.contains(
            "the exact engine would simulate about 123,000,000,000 request walks and model calls per trial"
        ) && err.contains("use --engine auto or --engine fast"),
        "{err}"
    );
    assert!(engine::simulate_exact(&s, &opts).is_err());

    // Where the fast engine cannot model the scenario, `auto` says why and what to change.
    let fixed = scenario(&traffic("1e10", 3, "1000", "200", "fixed"));
    let err = engine::simulate(&fixed, &SimOptions::new(10, 1))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("model calls per trial") && err.contains("fixed"),
        "{err}"
    );
}

#[test]
fn the_command_line_exits_2_for_an_exact_run_at_absurd_traffic() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("huge.toml");
    std::fs::write(&path, traffic("1e10", 3, "1000", "200", "poisson")).unwrap();
    let out = cargo_bin_cmd!("aicost")
        .args(["simulate", "--engine", "exact", "--trials", "5"])
        .arg(&path)
        .output()
        .unwrap();
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("model calls per trial") && err.contains("help:"),
        "{err}"
    );

    let out = cargo_bin_cmd!("aicost")
        .args(["simulate", "--trials", "20", "--format", "json"])
        .arg(&path)
        .output()
        .unwrap();
    let json = common::success_json(&out);
    assert_eq!(json["engine"], "fast");
    for st in json["stacks"].as_array().unwrap() {
        assert!(st["monthly_spend_usd"]["p99"].as_f64().unwrap().is_finite());
    }
}

#[test]
fn a_plain_sum_of_small_costs_drifts_where_the_compensated_one_does_not() {
    // A month that starts with a $100,000,000 commitment and then bills ten million requests of
    // a billionth of a dollar each: every one is below half a unit in the last place of the
    // running total, so a plain sum loses them all — a cent.
    let mut naive = 1e8_f64;
    let mut compensated = KahanSum::new();
    compensated.add(1e8);
    for _ in 0..10_000_000 {
        naive += 1e-9;
        compensated.add(1e-9);
    }
    assert_eq!(naive, 1e8, "the plain sum drifts by the whole cent");
    assert!((compensated.value() - (1e8 + 0.01)).abs() < 1e-7);
}

#[test]
fn a_month_of_four_million_requests_adds_up_to_the_exact_cent_in_every_total() {
    // 4,000,000 requests × (350 × $2.50 + 200 × $10) / 10^6: $3,500 of input and $8,000 of
    // output. A plain running sum of the per-request costs is off by 2 × 10^-7 and 7 × 10^-7
    // dollars; the engine's compensated totals are exact to 10^-9 in every breakdown.
    let text = std::fs::read_to_string("scenarios/chatbot.toml")
        .unwrap()
        .replace("seed = 11", "seed = 11\narrivals = \"fixed\"")
        .replace("user_variability = 1.0", "user_variability = 0")
        .replace("{ dist = \"lognormal\", mean = 350, sd = 150 }", "350")
        .replace("{ dist = \"lognormal\", mean = 200, sd = 90 }", "200");
    let s = scenario(&text);
    let r = simulate(&s, 1, 5);
    let st = &r.stacks[0];
    assert_eq!(st.name, "gpt-4o");
    let month = &st.trial_totals[0];
    let tight = |what: &str, x: f64, expected: f64| {
        assert!((x - expected).abs() < 1e-9, "{what}: {x} vs {expected}");
    };
    tight("input", month.cost_by_class.input, 3_500.0);
    tight("output", month.cost_by_class.output, 8_000.0);
    tight("spend", st.spend[0], 11_500.0);
    tight("model", month.model_spend.iter().sum(), 11_500.0);
    tight("workflow", st.workflow_spend[0][0], 11_500.0);
    tight("classes", month.cost_by_class.total(), 11_500.0);
}

#[test]
fn few_requests_with_enormous_agent_loops_run_on_the_fast_engine_in_seconds() {
    // 100 requests a month, each an agent loop of 10,000 calls with retries, repeated 10,000
    // times by a month-long incident: about 2 × 10^10 calls a trial, out of the exact engine's
    // reach. `auto` runs the fast engine, whose reference sample shrinks to its call budget.
    let text = std::fs::read_to_string(
        "tests/fuzz_regressions/scenario/agent-loop-of-a-billion-calls.toml",
    )
    .unwrap()
    .replace(
        "validation_failure_rate = 0.9, max_attempts = 100",
        "validation_failure_rate = 0.5, max_attempts = 10",
    );
    let s = scenario(&text);
    assert!(engine::exact_work_per_trial(&s) > engine::EXACT_MAX_WORK_PER_TRIAL);
    let r = engine::simulate(&s, &SimOptions::new(10, 2)).unwrap();
    assert_eq!(r.engine.name, "fast");
    assert!(
        r.engine.reason.contains("too large for the exact engine"),
        "{}",
        r.engine.reason
    );
    assert!(r.stacks[0].spend.iter().all(|x| x.is_finite() && *x > 0.0));
    let mut opts = SimOptions::new(10, 2);
    opts.engine = EngineRequest::Exact;
    assert!(engine::simulate(&s, &opts).is_err());
}
