//! Input windows: a prompt longer than a model's `max_input_tokens` is refused by the provider
//! (an error, billed nothing) and its request fails. `validate` and `estimate` say what share of
//! each step's prompts exceeds each model's window; the exact engine, the fast engine (where its
//! closed forms follow the window) and `estimate` agree on what is billed and counted.

mod common;

use aicost::analysis::report::Report;
use aicost::sim::engine::{self, EngineRequest, SimOptions};
use common::aicost_dated as aicost;
use common::{assert_within_se, mean_se, scenario};
use statrs::distribution::{ContinuousCDF, Normal};

/// A 500-token prefix and a lognormal prompt with p50 1,000 and p95 4,000 tokens, at $1 per
/// million input tokens and no output. `small`'s window, 4,500 tokens, is the whole input's p95:
/// exactly 5% of the prompts exceed it. `large`'s window, 1,000,000 tokens, is 8.2 log-standard
/// deviations out: no prompt in a trillion exceeds it.
fn lognormal(arrivals: &str, users: u64) -> String {
    format!(
        r#"
name = "windows"
[simulation]
arrivals = "{arrivals}"

[[segment]]
name = "s"
users = {users}
sessions_per_user_per_month = 1

[[workflow]]
name = "w"

[[workflow.step]]
name = "answer"
route = "r"
static_prefix_tokens = 500
input_tokens = {{ p50 = 1000, p95 = 4000 }}

[[model]]
name = "small"
input_usd_per_mtok = 1
output_usd_per_mtok = 1
max_input_tokens = 4500

[[model]]
name = "large"
input_usd_per_mtok = 1
output_usd_per_mtok = 1
max_input_tokens = 1000000

[[stack]]
name = "a"
[stack.route.r]
chain = [{{ model = "small" }}]

[[stack]]
name = "b"
[stack.route.r]
chain = [{{ model = "large" }}]
"#
    )
}

/// The lognormal's σ (p95 / p50 = 4 at z = 1.6449) and the expected billed cost per request on
/// `small`: `E[(500 + X)·1{X ≤ 4000}]` at $1 per million, with
/// `E[X·1{X ≤ k}] = e^(μ + σ²/2)·Φ((ln k − μ − σ²)/σ)` and `ln k − μ = 1.6449·σ`.
fn small_cost_per_request() -> f64 {
    let n = Normal::standard();
    let z95 = n.inverse_cdf(0.95);
    let sigma = 4f64.ln() / z95;
    let tokens = 500.0 * 0.95 + 1000.0 * (sigma * sigma / 2.0).exp() * n.cdf(z95 - sigma);
    tokens / 1e6
}

#[test]
fn estimate_gives_the_share_beyond_each_window_and_bills_only_what_fits() {
    let s = scenario(&lognormal("fixed", 1000));
    let e = aicost::sim::estimate::estimate(&s);
    let (a, b) = (&e.stacks[0], &e.stacks[1]);
    let step = &a.workflows[0].steps[0];
    // The normal CDF behind the lognormal's is good to about 1e-11: 5% to ten decimals.
    let share = step.links[0].window_exceeded_share;
    assert!((share - 0.05).abs() < 1e-10, "{share}");
    assert_eq!(step.links[0].max_input_tokens, Some(4500.0));
    assert!((step.window_refused - 0.05).abs() < 1e-10);
    assert!((step.acceptance_probability - 0.95).abs() < 1e-10);
    // $0.00160006 a request (1,600.06 tokens): 1,000 requests, $1.60 a month.
    let cost = small_cost_per_request();
    assert!((cost - 0.001_600_06).abs() < 1e-8, "{cost}");
    assert!((a.workflows[0].cost_per_request_usd - cost).abs() < 1e-12);
    let large = &b.workflows[0].steps[0];
    assert!(large.links[0].window_exceeded_share < 1e-12);
    assert!(large.window_refused < 1e-12);
    // Nothing refused: 500 + e^(μ + σ²/2) = 1,926.42 tokens.
    let sigma = 4f64.ln() / Normal::standard().inverse_cdf(0.95);
    let whole = (500.0 + 1000.0 * (sigma * sigma / 2.0).exp()) / 1e6;
    assert!((whole - 0.001_926_42).abs() < 1e-8, "{whole}");
    assert!((b.workflows[0].cost_per_request_usd - whole).abs() < 1e-12);
    let text = aicost::render::estimate::render(&e);
    assert!(
        text.contains("5.00% of this step's prompts exceed its 4,500-token input window: the provider refuses them (an error, not billed) and the request fails"),
        "{text}"
    );
    assert!(text.contains("5.00% of the requests reaching it are refused"));
    assert!(
        text.contains(
            "small: called by 100.00% of requests at this step, 0.9500 billed calls/request"
        ),
        "{text}"
    );
    assert!(
        text.contains("large: called by 100.00% of requests at this step, 1.0000 calls/request")
    );
    assert_eq!(text.matches("input window").count(), 1, "{text}");
}

#[test]
fn validate_warns_per_step_and_model_about_prompts_beyond_its_window() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("windows.toml");
    std::fs::write(&path, lognormal("fixed", 1000)).unwrap();
    let out = aicost().arg("validate").arg(&path).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("warning: 5.00% of the prompts of step `answer` (workflow `w`) exceed the 4,500-token input window of `small`: the provider refuses them (an error, not billed) and the request fails"),
        "{err}"
    );
    assert!(err.contains("windows.toml:18:16"), "{err}");
    assert!(!err.contains("`large`"), "{err}");
}

#[test]
fn the_exact_engine_bills_nothing_for_a_refused_prompt_and_counts_it() {
    let s = scenario(&lognormal("fixed", 1000));
    let trials = 200;
    let r = engine::simulate_exact(&s, &SimOptions::new(trials, 7)).unwrap();
    let report = Report::new(&s, &r);
    let cost = small_cost_per_request();
    let (mean, se) = mean_se(&r.stacks[0].spend);
    assert_within_se("monthly spend on small", mean, se, 1000.0 * cost, 4.0);
    let requests = 1000.0 * trials as f64;
    let share = report.stacks[0].window_refused_share.unwrap();
    assert_within_se(
        "share refused",
        share,
        (0.05 * 0.95 / requests).sqrt(),
        0.05,
        4.0,
    );
    // A refused call is a call: one per request either way.
    assert_eq!(report.stacks[0].calls_per_request, Some(1.0));
    let accepted = report.stacks[0].acceptance_rate.unwrap();
    assert!((accepted + share - 1.0).abs() < 1e-12);
    assert_eq!(report.stacks[1].window_refused_share, Some(0.0));
    let json = report.to_json();
    assert!(json.contains("\"window_refused_share\""), "{json}");
}

/// `trials` months of the 20,000-request lognormal scenario on the fast engine.
fn fast_run(trials: u64, seed: u64) -> (aicost::model::Scenario, engine::SimResult) {
    let s = scenario(&lognormal("poisson", 20_000));
    let mut opts = SimOptions::new(trials, seed);
    opts.engine = EngineRequest::Fast;
    let r = engine::simulate(&s, &opts).unwrap();
    assert_eq!(r.engine.name, "fast");
    (s, r)
}

/// No model has a latency model: a refused request is not a latency of 0 ms, and neither engine
/// reports a latency at all.
#[test]
fn a_refused_prompt_without_a_latency_model_reports_no_latency() {
    let s = scenario(&lognormal("fixed", 200));
    let exact = engine::simulate_exact(&s, &SimOptions::new(20, 7)).unwrap();
    let (fs, fast) = fast_run(200, 7);
    for report in [Report::new(&s, &exact), Report::new(&fs, &fast)] {
        assert!(report.stacks[0].window_refused_share.unwrap() > 0.0);
        for stack in &report.stacks {
            assert!(
                stack.latency.is_empty(),
                "{}: {:?}",
                stack.name,
                stack.latency
            );
        }
    }
}

/// The fast engine's acceptance rates are expected values without a standard error: their
/// difference in `compare` has none either (it printed "-5.00000 ± 0.00035 pt").
#[test]
fn compare_gives_no_standard_error_for_a_difference_of_expected_acceptance_rates() {
    let (s, r) = fast_run(200, 7);
    let c = aicost::compare(&s, &r, aicost::DEFAULT_MAX_BREACH);
    assert!(c.plans.iter().all(|p| p.counts_expected));
    let d = c.differences[0].acceptance_rate_difference.unwrap();
    assert!((d.value + 0.05).abs() < 1e-3, "{d:?}");
    assert!(d.standard_error.is_nan(), "{d:?}");
    let text = aicost::render::brief::comparison_markdown(&c);
    let row = text
        .lines()
        .find(|l| l.contains("Δ acceptance rate"))
        .unwrap_or_else(|| panic!("{text}"));
    assert!(!row.contains('±'), "{row}");
}

/// `compare`'s plans table says which plan refuses prompts for their window, in every format:
/// `a` (on `small`) refuses 5% of them (the whole input's p95), `b` (on `large`) none.
#[test]
fn compare_says_in_every_format_what_share_of_requests_a_plan_refuses_for_its_window() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("windows.toml");
    std::fs::write(&path, lognormal("fixed", 1000)).unwrap();
    let run = |format: &str| {
        let out = aicost()
            .arg("compare")
            .arg(&path)
            .args(["-n", "100", "--seed", "7", "--format", format])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{out:?}");
        String::from_utf8(out.stdout).unwrap()
    };
    // 100 months of 1,000 requests: the share is 5% within 4 standard errors (0.0028).
    let near_five_percent = |x: f64| (x - 0.05).abs() < 4.0 * (0.05f64 * 0.95 / 1e5).sqrt();
    let label = "Requests refused: input beyond a model's window (not billed)";
    for (format, end) in [("table", "\n"), ("markdown", "\n"), ("html", "</tr>")] {
        let text = run(format);
        let at = text
            .find(label)
            .unwrap_or_else(|| panic!("{format}: no window row in\n{text}"));
        let row = &text[at..at + text[at..].find(end).unwrap_or(text.len() - at)];
        assert!(row.contains("none"), "{format}: {row}");
        let pct: f64 = row
            .split(|c: char| !(c.is_ascii_digit() || c == '.'))
            .find_map(|w| w.parse().ok().filter(|x: &f64| *x > 1.0 && *x < 10.0))
            .unwrap_or_else(|| panic!("{format}: no share in {row}"));
        assert!(near_five_percent(pct / 100.0), "{format}: {row}");
    }
    let csv = run("csv");
    let rows: Vec<&str> = csv
        .lines()
        .filter(|l| l.contains(",window_refused_share,"))
        .collect();
    assert_eq!(rows.len(), 2, "{csv}");
    let value = |row: &str, stack: &str| -> Option<f64> {
        let fields: Vec<&str> = row.split(',').collect();
        let at = fields.iter().position(|f| *f == "window_refused_share")?;
        (fields[at - 1] == stack).then(|| fields.get(at + 3)?.parse().ok())?
    };
    let small = rows.iter().find_map(|r| value(r, "a"));
    let large = rows.iter().find_map(|r| value(r, "b"));
    assert!(small.is_some_and(near_five_percent), "{csv}");
    assert_eq!(large, Some(0.0), "{csv}");
    let json: serde_json::Value = serde_json::from_str(&run("json")).unwrap();
    let shares: Vec<f64> = json["plans"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["window_refused_share"].as_f64().unwrap())
        .collect();
    assert!(
        near_five_percent(shares[0]) && shares[1] == 0.0,
        "{shares:?}"
    );
}

#[test]
fn the_fast_engine_follows_a_window_on_one_random_part_in_mean() {
    // 20,000 requests a month with Poisson arrivals: the fast engine runs.
    let s = scenario(&lognormal("poisson", 20_000));
    assert_eq!(engine::fast::unsupported(&s), None);
    let mut opts = SimOptions::new(400, 11);
    opts.engine = EngineRequest::Fast;
    let r = engine::simulate(&s, &opts).unwrap();
    assert_eq!(r.engine.name, "fast");
    let report = Report::new(&s, &r);
    let cost = small_cost_per_request();
    let (mean, se) = mean_se(&r.stacks[0].spend);
    assert_within_se(
        "fast monthly spend on small",
        mean,
        se,
        20_000.0 * cost,
        4.0,
    );
    let (requests, _) = mean_se(&r.stacks[0].requests);
    let per_request = mean / requests;
    assert!((per_request - cost).abs() / cost < 0.002, "{per_request}");
    // The fast engine counts expected refusals: 5% of the day's requests, whole numbers of
    // about 33 a day, so within half a request a day of 5%.
    let share = report.stacks[0].window_refused_share.unwrap();
    assert!((share - 0.05).abs() < 0.5 / 600.0, "{share}");
    assert_eq!(report.stacks[1].window_refused_share, Some(0.0));
}

/// Prompts of 1,000, 2,000 or 6,000 tokens, equally likely, at $1 per million input tokens, on a
/// model with a 4,000-token window; a second step of 1,000 tokens runs after an accepted first.
/// A request costs (1,000 + 2,000)/3 = 1,000 tokens at the first step and, two times in three,
/// 1,000 at the second: 1,666.67 tokens, $0.00166667; a third of requests are refused.
const TWO_STEPS: &str = r#"
name = "two-steps"
[simulation]
arrivals = "fixed"

[[segment]]
name = "s"
users = 3000
sessions_per_user_per_month = 1

[[workflow]]
name = "w"

[[workflow.step]]
name = "read"
route = "r"
input_tokens = { dist = "empirical", values = [1000, 2000, 6000] }

[[workflow.step]]
name = "write"
route = "r"
input_tokens = 1000

[[model]]
name = "m"
input_usd_per_mtok = 1
output_usd_per_mtok = 1
max_input_tokens = 4000

[[stack]]
name = "a"
[stack.route.r]
chain = [{ model = "m" }]
"#;

#[test]
fn a_refused_prompt_fails_its_request_and_later_steps_do_not_run() {
    let s = scenario(TWO_STEPS);
    let e = aicost::sim::estimate::estimate(&s);
    let w = &e.stacks[0].workflows[0];
    assert!((w.cost_per_request_usd - 0.005 / 3.0).abs() < 1e-15);
    assert!((w.steps[0].window_refused - 1.0 / 3.0).abs() < 1e-12);
    assert!((w.steps[1].reach_probability - 2.0 / 3.0).abs() < 1e-12);
    assert!((e.stacks[0].monthly_usd - 5.0).abs() < 1e-9);
    let trials = 50;
    let r = engine::simulate_exact(&s, &SimOptions::new(trials, 3)).unwrap();
    let report = Report::new(&s, &r);
    let st = &report.stacks[0];
    let requests = 3000.0 * trials as f64;
    let share = st.window_refused_share.unwrap();
    let se = (2.0 / 9.0 / requests).sqrt();
    assert_within_se("share refused", share, se, 1.0 / 3.0, 4.0);
    // Every request makes a first call; the accepted ones a second: 1 + (1 − refused).
    assert!((st.calls_per_request.unwrap() - (2.0 - share)).abs() < 1e-12);
    assert!((st.acceptance_rate.unwrap() - (1.0 - share)).abs() < 1e-12);
    // Spend per month: $1 per million of 3,000 × 1,000 tokens of first steps that fit (random
    // only through which prompts were drawn) and 1,000 per accepted request.
    let (mean, se) = mean_se(&r.stacks[0].spend);
    assert_within_se("monthly spend", mean, se, 5.0, 4.0);
}

/// A chain whose second model has the smaller window: half the first model's answers fail
/// validation and escalate, and the 6,000-token third of those is refused there. Per request:
/// 3,000 tokens on `wide` and half of (1,000 + 2,000)/3 on `narrow`, $0.0035; accepted
/// 1/2 + 1/2 × 2/3 = 5/6; refused 1/6; 1.5 calls.
const NARROW_SECOND: &str = r#"
name = "narrow-second"
[simulation]
arrivals = "poisson"

[[segment]]
name = "s"
users = 6000
sessions_per_user_per_month = 1

[[workflow]]
name = "w"

[[workflow.step]]
name = "read"
route = "r"
input_tokens = { dist = "empirical", values = [1000, 2000, 6000] }

[[model]]
name = "wide"
input_usd_per_mtok = 1
output_usd_per_mtok = 1
max_input_tokens = 10000

[[model]]
name = "narrow"
input_usd_per_mtok = 1
output_usd_per_mtok = 1
max_input_tokens = 4000

[[stack]]
name = "a"
[stack.route.r]
chain = [{ model = "wide", validation_failure_rate = 0.5 }, { model = "narrow" }]
"#;

#[test]
fn a_smaller_window_later_in_the_chain_is_left_to_the_exact_engine() {
    let s = scenario(NARROW_SECOND);
    let why = engine::fast::unsupported(&s).expect("the fast engine declines");
    assert!(
        why.contains(
            "can send `narrow` a prompt within the first model's input window but beyond its own"
        ),
        "{why}"
    );
    let e = aicost::sim::estimate::estimate(&s);
    let w = &e.stacks[0].workflows[0];
    assert!((w.cost_per_request_usd - 0.0035).abs() < 1e-15);
    assert!((w.steps[0].acceptance_probability - 5.0 / 6.0).abs() < 1e-12);
    assert!((w.steps[0].window_refused - 1.0 / 6.0).abs() < 1e-12);
    let trials = 100;
    let r = engine::simulate(&s, &SimOptions::new(trials, 5)).unwrap();
    assert_eq!(r.engine.name, "exact");
    let report = Report::new(&s, &r);
    let st = &report.stacks[0];
    let (requests, _) = mean_se(&r.stacks[0].requests);
    let n = requests * trials as f64;
    let share = st.window_refused_share.unwrap();
    assert_within_se(
        "share refused",
        share,
        (5.0 / 36.0 / n).sqrt(),
        1.0 / 6.0,
        4.0,
    );
    let accepted = st.acceptance_rate.unwrap();
    assert_within_se(
        "accepted",
        accepted,
        (5.0 / 36.0 / n).sqrt(),
        5.0 / 6.0,
        4.0,
    );
    assert_within_se(
        "calls",
        st.calls_per_request.unwrap(),
        (0.25 / n).sqrt(),
        1.5,
        4.0,
    );
    let (mean, se) = mean_se(&r.stacks[0].spend);
    assert_within_se("monthly spend", mean, se, 0.0035 * 6000.0, 4.0);

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("narrow.toml");
    std::fs::write(&path, NARROW_SECOND).unwrap();
    let out = aicost()
        .args(["simulate", "--engine", "fast", "-n", "10"])
        .arg(&path)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("the fast engine cannot run this scenario"),
        "{err}"
    );
}

/// An agent loop of 1, 2 or 3 calls (equally likely) whose 1,000-token input grows by 1,500
/// tokens a call, on a 3,500-token window: the third call's 4,000 tokens are refused. Billed:
/// 1,000, 1,000 + 2,500 and 1,000 + 2,500 tokens, $0.00266667 a request; accepted 2/3; 2 calls.
const LOOP: &str = r#"
name = "loop"
[simulation]
arrivals = "fixed"

[[segment]]
name = "s"
users = 3000
sessions_per_user_per_month = 1

[[workflow]]
name = "w"

[[workflow.step]]
name = "agent"
route = "r"
input_tokens = 1000
calls = { dist = "empirical", values = [1, 2, 3] }
context_growth_tokens = 1500

[[model]]
name = "m"
input_usd_per_mtok = 1
output_usd_per_mtok = 1
max_input_tokens = 3500

[[stack]]
name = "a"
[stack.route.r]
chain = [{ model = "m" }]
"#;

#[test]
fn an_agent_loop_is_refused_when_its_growing_input_outgrows_the_window() {
    let poisson = scenario(&LOOP.replace("\"fixed\"", "\"poisson\""));
    let why = engine::fast::unsupported(&poisson).expect("the fast engine declines");
    assert!(why.contains("growing input of agent loop `agent`"), "{why}");
    let s = scenario(LOOP);
    let e = aicost::sim::estimate::estimate(&s);
    let w = &e.stacks[0].workflows[0];
    assert!((w.cost_per_request_usd - 0.008 / 3.0).abs() < 1e-15);
    let step = &w.steps[0];
    assert!((step.acceptance_probability - 2.0 / 3.0).abs() < 1e-12);
    assert!((step.window_refused - 1.0 / 3.0).abs() < 1e-12);
    assert!((step.links[0].window_exceeded_share - 1.0 / 3.0).abs() < 1e-12);
    let trials = 50;
    let r = engine::simulate_exact(&s, &SimOptions::new(trials, 9)).unwrap();
    let report = Report::new(&s, &r);
    let st = &report.stacks[0];
    let n = 3000.0 * trials as f64;
    let share = st.window_refused_share.unwrap();
    assert_within_se(
        "share refused",
        share,
        (2.0 / 9.0 / n).sqrt(),
        1.0 / 3.0,
        4.0,
    );
    // Calls: 1, 2 or 3 (the refused one counted), 2 on average with variance 2/3.
    assert_within_se(
        "calls",
        st.calls_per_request.unwrap(),
        (2.0 / 3.0 / n).sqrt(),
        2.0,
        4.0,
    );
    let (mean, se) = mean_se(&r.stacks[0].spend);
    assert_within_se("monthly spend", mean, se, 8.0, 4.0);
}

#[test]
fn a_catalog_model_takes_its_window_and_a_scenario_key_overrides_it() {
    let text = |window: &str| {
        format!(
            r#"
name = "catalog-window"
[simulation]
arrivals = "fixed"
[[segment]]
name = "s"
users = 10
sessions_per_user_per_month = 1
[[workflow]]
name = "w"
[[workflow.step]]
name = "long"
route = "r"
input_tokens = 200000
[[model]]
name = "gpt-4o"
{window}
[[stack]]
name = "a"
[stack.route.r]
chain = [{{ model = "gpt-4o" }}]
"#
        )
    };
    let s = scenario(&text(""));
    assert_eq!(s.models[0].max_input_tokens, Some(128_000.0));
    let e = aicost::sim::estimate::estimate(&s);
    assert_eq!(e.stacks[0].workflows[0].steps[0].window_refused, 1.0);
    assert_eq!(e.stacks[0].workflows[0].cost_per_request_usd, 0.0);
    let s = scenario(&text("max_input_tokens = 1000000"));
    assert_eq!(s.models[0].max_input_tokens, Some(1_000_000.0));
    assert_eq!(
        e.stacks[0].workflows[0].steps[0].acceptance_probability,
        0.0
    );
    let e = aicost::sim::estimate::estimate(&s);
    assert_eq!(e.stacks[0].workflows[0].steps[0].window_refused, 0.0);
}

#[test]
fn a_window_of_zero_tokens_is_refused_with_its_key() {
    let text = lognormal("fixed", 10).replace("max_input_tokens = 4500", "max_input_tokens = 0");
    let err = match aicost::model::scenario::from_str("test.toml", &text) {
        Ok(_) => panic!("a zero window is a mistake"),
        Err(e) => e.to_string(),
    };
    assert!(err.contains("max_input_tokens"), "{err}");
    assert!(err.contains("test.toml:"), "{err}");
}

/// Two workflows on two routes of a [big, small] cascade: `fits` sends fixed 1,000-token prompts
/// that `small`'s 2,000-token window always takes; `long` sends lognormal prompts (mean 2,000, sd
/// 3,000), 29% of which exceed it. `with_short` adds the `fits` workflow.
fn cascade(with_short: bool) -> String {
    let fits = r#"
[[workflow]]
name = "fits"
[[workflow.step]]
name = "a"
route = "short"
input_tokens = 1000
output_tokens = 200
"#;
    let long = r#"
[[workflow]]
name = "long"
[[workflow.step]]
name = "a"
route = "long"
input_tokens = { dist = "lognormal", mean = 2000, sd = 3000 }
output_tokens = 200
"#;
    format!(
        r#"
name = "route-windows"
[simulation]
arrivals = "fixed"
[[segment]]
name = "s"
users = 100
sessions_per_user_per_month = 10
{}{long}
[[model]]
name = "small"
input_usd_per_mtok = 1.0
output_usd_per_mtok = 2.0
max_input_tokens = 2000
[[model]]
name = "big"
input_usd_per_mtok = 3.0
output_usd_per_mtok = 10.0
[[stack]]
name = "cascade"
[stack.route.short]
chain = [{{ model = "big", escalation_rate = 0.2 }}, {{ model = "small" }}]
[stack.route.long]
chain = [{{ model = "big", escalation_rate = 0.2 }}, {{ model = "small" }}]
"#,
        if with_short { fits } else { "" }
    )
}

/// `levers`' route sent every chain to the cheapest model without asking whether its window
/// takes the chain's prompts, and counted the refused (unbilled) demand as a saving.
#[test]
fn the_route_lever_does_not_send_prompts_to_a_window_that_refuses_them() {
    use aicost::analysis::levers::{self, Assumptions, Variant};
    let opts = SimOptions::new(200, 5);
    let a = Assumptions::default();
    // Only the long route: nothing can be routed, and the reason names the window.
    let s = scenario(&cascade(false));
    let base = engine::simulate(&s, &opts).unwrap();
    let (c, skipped) = levers::candidates(&s, &a, &base);
    assert!(c.iter().all(|c| c.lever != "route"), "{c:?}");
    let why = &skipped.iter().find(|n| n.lever == "route").unwrap().reason;
    assert!(
        why.contains("29.36% of the prompts of long/a exceed the 2,000-token window of small"),
        "{why}"
    );
    // Both routes: the short one is routed, the long one keeps its cascade, and the saving is
    // the short route's alone: 1,000 requests × 0.5 × (big + 0.2 × small − small), per request
    // big $0.005 and small $0.0014, with 20% escalated.
    let s = scenario(&cascade(true));
    let base = engine::simulate(&s, &opts).unwrap();
    let (c, skipped) = levers::candidates(&s, &a, &base);
    let route = c
        .iter()
        .find(|c| c.lever == "route")
        .expect("a route candidate");
    assert!(
        route
            .change
            .contains("cascade keeps its chain: 29.36% of the prompts of long/a"),
        "{}",
        route.change
    );
    let Variant::Mix { with, .. } = &route.variant else {
        panic!("a mixture")
    };
    let chains = &with.stacks[0].chains;
    let short = s.workflows[0].steps[0].route;
    let long = s.workflows[1].steps[0].route;
    assert_eq!(chains[short].links.len(), 1);
    assert_eq!(chains[long].links.len(), 2);
    let runs = aicost::sim::engine::simulate_all(&[with], &opts).unwrap();
    let b = levers::backlog(&s, &a, &base, std::slice::from_ref(route), &runs, skipped);
    let e = &b.rows[0].stacks[0];
    let escalated = 0.2 * 1000.0;
    let expected = 0.5 * (1000.0 * (0.005 - 0.0014) + escalated * 0.0014);
    assert_within_se(
        "route saving",
        e.saving_usd.mean,
        e.saving_usd.standard_error.max(1e-9),
        expected,
        4.0,
    );
    assert_eq!(e.acceptance_rate_before, e.acceptance_rate_after);
}

/// `compare` recommended the cheapest plan under budget even when its window refused prompts:
/// refused requests are free, so a window of one token made a plan cost $0.00.
#[test]
fn compare_does_not_recommend_a_plan_for_the_prompts_it_refuses() {
    let two = |window: u64| {
        format!(
            r#"
name = "refusing"
[simulation]
arrivals = "fixed"
[budget]
monthly_usd = 1000
[[segment]]
name = "s"
users = 100
sessions_per_user_per_month = 10
[[workflow]]
name = "w"
[[workflow.step]]
name = "a"
route = "r"
input_tokens = {{ dist = "lognormal", mean = 2000, sd = 3000 }}
output_tokens = 200
[[model]]
name = "small"
input_usd_per_mtok = 1.0
output_usd_per_mtok = 2.0
max_input_tokens = {window}
[[model]]
name = "big"
input_usd_per_mtok = 3.0
output_usd_per_mtok = 10.0
[[stack]]
name = "small"
[stack.route.r]
chain = [{{ model = "small" }}]
[[stack]]
name = "big"
[stack.route.r]
chain = [{{ model = "big" }}]
"#
        )
    };
    for (window, share) in [(1, "100.00%"), (4000, "11.")] {
        let s = scenario(&two(window));
        let r = engine::simulate(&s, &SimOptions::new(200, 3)).unwrap();
        let c = aicost::compare(&s, &r, aicost::DEFAULT_MAX_BREACH);
        assert_eq!(
            c.recommendation.plan.as_deref(),
            Some("big"),
            "{}",
            c.recommendation.text
        );
        let text = &c.recommendation.text;
        assert!(text.contains("and serves every prompt"), "{text}");
        assert!(text.contains("small costs $"), "{text}");
        assert!(text.contains(&format!("it refuses {share}")), "{text}");
        assert!(c.plans[0].refuses_prompts() && !c.plans[1].refuses_prompts());
    }
    // With every plan refusing, the cheapest under budget is still chosen.
    let only = two(1).replace(
        "[[stack]]\nname = \"big\"\n[stack.route.r]\nchain = [{ model = \"big\" }]\n",
        "",
    );
    let s = scenario(&only);
    let r = engine::simulate(&s, &SimOptions::new(50, 3)).unwrap();
    let c = aicost::compare(&s, &r, aicost::DEFAULT_MAX_BREACH);
    assert_eq!(c.recommendation.plan.as_deref(), Some("small"));
}

/// `lognormal` with a third plan, `c`, between `a` and `b`: `small`, whose window refuses 5% of
/// the prompts, and on a validation failure (20%, one attempt) `large`.
fn escalating(arrivals: &str, users: u64) -> String {
    lognormal(arrivals, users).replace(
        "[[stack]]\nname = \"b\"",
        "[[stack]]\nname = \"c\"\n[stack.route.r]\nchain = [{ model = \"small\", validation_failure_rate = 0.2, max_attempts = 1 }, { model = \"large\" }]\n\n[[stack]]\nname = \"b\"",
    )
}

/// A prompt the first model's window refuses ends its request there: it does not move to the
/// next model, and its refused call is neither billed nor a retry. On plan `c`, 95% of prompts
/// fit `small` and 20% of those fail validation and go to `large`: 19% of requests escalate (the
/// closed form said 24%, counting the refused 5%). `small` bills `c` = E[(500 + X)·1{fits}] per
/// request and is never retried; `large` bills 0.2·c, all of it escalations: the retry share of
/// spend is 0.2 / 1.2 = 1/6 (the closed form took the refused call for a first call that was
/// not billed, and said 0.15 / 1.2 = 1/8).
#[test]
fn a_prompt_refused_by_the_first_models_window_is_neither_an_escalation_nor_a_retry() {
    let s = scenario(&escalating("fixed", 1000));
    assert_eq!(s.stacks[1].name, "c");
    let c = small_cost_per_request();
    let e = aicost::sim::estimate::request_expectation(&s, 1, 0, &|p| p.mean());
    assert!(
        (e.window_refused - 0.05).abs() < 1e-9,
        "{}",
        e.window_refused
    );
    assert!((e.escalated - 0.19).abs() < 1e-9, "{}", e.escalated);
    assert!(
        e.retry_model_usd[0].abs() < 1e-15,
        "{:?}",
        e.retry_model_usd
    );
    assert!(
        (e.retry_model_usd[1] - 0.2 * c).abs() < 1e-9 * c,
        "{:?} vs {}",
        e.retry_model_usd,
        0.2 * c
    );
    let trials = 200;
    let exact = engine::simulate_exact(&s, &SimOptions::new(trials, 7)).unwrap();
    let fs = scenario(&escalating("poisson", 20_000));
    let mut opts = SimOptions::new(trials, 7);
    opts.engine = EngineRequest::Fast;
    let fast = engine::simulate(&fs, &opts).unwrap();
    assert_eq!(fast.engine.name, "fast");
    for (name, report, requests) in [
        ("exact", Report::new(&s, &exact), 1000.0),
        ("fast", Report::new(&fs, &fast), 20_000.0),
    ] {
        let st = &report.stacks[1];
        let n = requests * trials as f64;
        assert_within_se(
            &format!("{name}: escalation share"),
            st.escalation_share.unwrap(),
            (0.19 * 0.81 / n).sqrt(),
            0.19,
            4.0,
        );
        let retry = st.retry_cost_share.unwrap();
        assert!(
            (retry - 1.0 / 6.0).abs() < 0.005,
            "{name}: retry share {retry}"
        );
    }
}

/// A refused prompt calls no tool: `small` refuses 5% of the prompts, so of two $0.01 searches
/// a request pays 0.95 × $0.02 = $0.019 on `a` (the closed form charged every prompt's $0.02,
/// and divided by the 95% that fit: $0.021 per billed call), and $0.02 on `b`.
#[test]
fn a_prompt_refused_for_its_window_calls_no_tool() {
    let text = lognormal("fixed", 1000).replace(
        "input_tokens = { p50 = 1000, p95 = 4000 }",
        "input_tokens = { p50 = 1000, p95 = 4000 }\ntool_calls = [{ name = \"search\", count = 2, usd_per_call = 0.01 }]",
    );
    let s = scenario(&text);
    let e = aicost::sim::estimate::estimate(&s);
    let tokens = small_cost_per_request();
    for (st, tools) in e.stacks.iter().zip([0.019, 0.02]) {
        let link = &st.workflows[0].steps[0].links[0];
        let fees: f64 = link
            .lines
            .iter()
            .filter(|l| l.unit == "tool calls")
            .map(|l| l.usd * link.calls_per_request)
            .sum();
        assert!((fees - tools).abs() < 1e-12, "{}: {fees}", st.name);
    }
    let per_request = e.stacks[0].workflows[0].cost_per_request_usd;
    assert!(
        (per_request - (tokens + 0.019)).abs() < 1e-9 * per_request,
        "{per_request} vs {}",
        tokens + 0.019
    );
    let trials = 200;
    let r = engine::simulate_exact(&s, &SimOptions::new(trials, 7)).unwrap();
    let (mean, se) = mean_se(&r.stacks[0].spend);
    assert_within_se(
        "exact monthly spend on a",
        mean,
        se,
        1000.0 * (tokens + 0.019),
        4.0,
    );
}

/// Poisson(4) retrieved chunks of a fixed 250 tokens after a fixed 1,000-token input, on a
/// 2,500-token window: prompts of seven chunks or more are refused, P(C ≥ 7) = 11.067%. The
/// closed forms took a Poisson count times a fixed size for its mean (2,000 tokens: never
/// refused); the count's mixture is exact: `E[(1,000 + 250·C)·1{C ≤ 6}]` at $1 per million,
/// with `E[C·1{C ≤ 6}] = 4·P(C ≤ 5)`.
#[test]
fn a_poisson_count_of_fixed_size_chunks_is_refused_as_often_as_it_exceeds_the_window() {
    let text = r#"
name = "chunks"
[[segment]]
name = "s"
users = 20000
sessions_per_user_per_month = 1
[[workflow]]
name = "w"
[[workflow.step]]
name = "answer"
route = "r"
input_tokens = 1000
retrieval = { chunks = { dist = "poisson", mean = 4 }, chunk_tokens = 250 }
[[model]]
name = "m"
input_usd_per_mtok = 1
output_usd_per_mtok = 1
max_input_tokens = 2500
[[stack]]
name = "a"
[stack.route.r]
chain = [{ model = "m" }]
"#;
    let pmf =
        |k: u32| (-4.0f64).exp() * 4f64.powi(k as i32) / (1..=k).map(f64::from).product::<f64>();
    let at_most = |n: u32| (0..=n).map(pmf).sum::<f64>();
    let refused = 1.0 - at_most(6);
    assert!((refused - 0.110_674_0).abs() < 1e-6, "{refused}");
    let cost = (1000.0 * at_most(6) + 250.0 * 4.0 * at_most(5)) / 1e6;
    let s = scenario(text);
    let e = aicost::sim::estimate::estimate(&s);
    let step = &e.stacks[0].workflows[0].steps[0];
    assert!(
        (step.window_refused - refused).abs() < 1e-9,
        "{}",
        step.window_refused
    );
    let per_request = e.stacks[0].workflows[0].cost_per_request_usd;
    assert!(
        (per_request - cost).abs() < 1e-9 * cost,
        "{per_request} vs {cost}"
    );
    // The fast engine follows the window (one random part) and agrees in mean.
    assert_eq!(engine::fast::unsupported(&s), None);
    let mut opts = SimOptions::new(200, 3);
    opts.engine = EngineRequest::Fast;
    let r = engine::simulate(&s, &opts).unwrap();
    assert_eq!(r.engine.name, "fast");
    let (mean, se) = mean_se(&r.stacks[0].spend);
    assert_within_se("fast monthly spend", mean, se, 20_000.0 * cost, 4.0);
    let share = Report::new(&s, &r).stacks[0].window_refused_share.unwrap();
    assert_within_se(
        "fast share refused",
        share,
        (refused * (1.0 - refused) / (20_000.0 * 200.0)).sqrt(),
        refused,
        4.0,
    );
}
