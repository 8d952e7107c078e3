//! The fast engine's counts against hand arithmetic: accepted, escalated and failed requests,
//! calls (incident repeats included), semantic hits and flex refusals are exact in mean, and so is
//! every figure derived from them (acceptance, escalation share, review cost, cost per accepted
//! task, cost per useful output) — even where a count is far below one a day.
//!
//! Traffic in these scenarios is 1,000 Poisson sessions a day of one request each, so a month has
//! 30,000 requests on average; every expected figure below is that times a per-request
//! probability worked out by hand.

mod common;

use aicost::analysis::report::Report;
use aicost::model::Scenario;
use aicost::sim::engine::{self, SimOptions, SimResult};
use common::*;

fn fast(s: &Scenario, trials: u64, seed: u64) -> SimResult {
    engine::simulate_fast(s, &SimOptions::new(trials, seed), "test".to_string())
        .expect("the fast engine runs")
}

/// Mean and standard error of a per-month ratio of two totals, by the delta method.
fn ratio_se(num: &[f64], den: &[f64]) -> (f64, f64) {
    let n = num.len() as f64;
    let (mn, md) = (num.iter().sum::<f64>() / n, den.iter().sum::<f64>() / n);
    let r = mn / md;
    let var = num
        .iter()
        .zip(den)
        .map(|(a, b)| (a - r * b).powi(2))
        .sum::<f64>()
        / (n - 1.0);
    (r, (var / n).sqrt() / md)
}

/// The report prints the figure the test computed (up to rounding in the order of the sums).
fn same(what: &str, reported: Option<f64>, computed: f64) {
    let reported = reported.unwrap_or_else(|| panic!("{what} is not reported"));
    assert!(
        (reported - computed).abs() <= 1e-12 * computed.abs(),
        "{what}: the report says {reported}, the months {computed}"
    );
}

const TRAFFIC: &str = r#"
name = "counts"
[simulation]
days = 30
[[segment]]
name = "s"
users = 1000
sessions_per_user_per_day = 1
"#;

const PRICES: &str = r#"
[[model]]
name = "small"
input_usd_per_mtok = 1
output_usd_per_mtok = 4
[[model]]
name = "large"
input_usd_per_mtok = 3
output_usd_per_mtok = 15
"#;

/// A request of 1,000 input and 100 output tokens: $0.0014 on `small`, $0.0045 on `large`.
const STEP: &str = r#"
[[workflow.step]]
name = "answer"
route = "r"
input_tokens = 1000
output_tokens = 100
"#;

/// One plan: every request on `small`.
const ONLY_SMALL: &str = r#"
[[stack]]
name = "only"
[stack.route.r]
chain = [{ model = "small" }]
"#;

/// A runaway loop that repeats every request of its window 10 times, for 72 of the month's 720
/// hours, every month.
const LOOP: &str = r#"
[[incident]]
name = "loop"
monthly_probability = 1
multiplier = 10
duration_hours = 72
"#;

fn text(workflow_extra: &str, stacks: &str, extra: &str) -> String {
    format!(
        "{TRAFFIC}\n[[workflow]]\nname = \"w\"\n{workflow_extra}\n{STEP}\n{PRICES}\n{stacks}\n{extra}"
    )
}

/// `validation_failure_rate = 0.02, max_attempts = 2`: a request fails with probability
/// 0.02² = 0.0004, under half a request a day. Acceptance 0.9996; one hour of review per failed
/// request at $60 an hour is 30,000 × 0.0004 × $60 = $720 a month; a cascade escalates the same
/// 0.0004 of requests.
#[test]
fn rare_failures_and_escalations_are_counted_in_mean() {
    let stacks = r#"
[[stack]]
name = "single"
[stack.route.r]
chain = [{ model = "small", validation_failure_rate = 0.02, max_attempts = 2 }]
[[stack]]
name = "cascade"
[stack.route.r]
chain = [{ model = "small", validation_failure_rate = 0.02, max_attempts = 2 }, { model = "large" }]
"#;
    let review = "review = { share = 0, minutes = 0, hourly_usd = 60, failed_review_minutes = 60 }";
    let s = scenario(&text(review, stacks, ""));
    let r = fast(&s, 2000, 5);
    let report = Report::new(&s, &r);
    let single = &r.stacks[0];
    let (acceptance, se) = ratio_se(&single.accepted, &single.requests);
    assert_within_se("acceptance", acceptance, se, 0.9996, 4.0);
    same("acceptance", report.stacks[0].acceptance_rate, acceptance);
    let (review_usd, se) = mean_se(&single.review_usd);
    assert_within_se("review cost", review_usd, se, 720.0, 4.0);
    same(
        "review cost",
        report.stacks[0].review_cost_usd.map(|r| r.mean),
        review_usd,
    );
    // Cost per accepted task: a request costs $0.0014 × 1.02 calls = $0.001428; per accepted
    // request $0.001428 / 0.9996.
    let (per_accepted, se) = ratio_se(&single.spend, &single.accepted);
    assert_within_se(
        "cost per accepted task",
        per_accepted,
        se,
        0.001428 / 0.9996,
        4.0,
    );
    // Cost per useful output: ($42.84 + $720) / (30,000 × 0.9996).
    let useful = report.stacks[0].cost_per_useful_output_usd.unwrap();
    let expected = (30_000.0 * 0.001428 + 720.0) / (30_000.0 * 0.9996);
    assert!(
        (useful / expected - 1.0).abs() < 0.01,
        "cost per useful output {useful} vs {expected}"
    );
    // The cascade: what fails twice on `small` escalates to `large` and is accepted there.
    let cascade = &r.stacks[1];
    let escalated: Vec<f64> = cascade.trial_totals.iter().map(|t| t.escalated).collect();
    let (share, se) = ratio_se(&escalated, &cascade.requests);
    assert_within_se("escalation share", share, se, 0.0004, 4.0);
    same("escalation share", report.stacks[1].escalation_share, share);
    assert_eq!(report.stacks[1].acceptance_rate, Some(1.0));
}

/// Semantic hits (1 in 5,000 requests) and flex refusals (1 in 10,000 calls) are far below one a
/// day, and still counted.
#[test]
fn rare_semantic_hits_and_flex_refusals_are_counted_in_mean() {
    let stacks = r#"
[[stack]]
name = "flex"
[stack.route.r]
chain = [{ model = "flexible" }]
"#;
    let flex_model = r#"
[[model]]
name = "flexible"
input_usd_per_mtok = 1
output_usd_per_mtok = 4
flex = { input_usd_per_mtok = 0.5, output_usd_per_mtok = 2, cached_input_usd_per_mtok = 0.5, unavailable_rate = 0.0001 }
"#;
    let s = scenario(&text(
        "semantic_cache_hit_rate = 0.0002\nservice_tier = \"flex\"",
        stacks,
        flex_model,
    ));
    let r = fast(&s, 2000, 6);
    let st = &r.stacks[0];
    let n = st.spend.len() as f64;
    let requests: f64 = st.requests.iter().sum();
    let hit_share = st.semantic_hits / requests;
    // Binomial counts: the share's standard error over 6e7 requests.
    let se = (0.0002 * 0.9998 / requests).sqrt();
    assert_within_se("semantic hit share", hit_share, se, 0.0002, 4.0);
    let refused = st.flex_refused / st.flex_calls;
    let se = (0.0001 * 0.9999 / st.flex_calls).sqrt();
    assert_within_se("flex refused share", refused, se, 0.0001, 4.0);
    assert!(st.flex_calls / n > 29_000.0, "{}", st.flex_calls / n);
}

/// An incident that repeats every request of its window 10 times, for 72 of the month's 720
/// hours, every month: 10% of requests run 10 times, so a request makes 0.9 + 0.1 × 10 = 1.9
/// calls on average, and spends 1.9 times a plain request.
#[test]
fn incident_repeats_count_as_calls() {
    let s = scenario(&text("", ONLY_SMALL, LOOP));
    let r = fast(&s, 2000, 7);
    let st = &r.stacks[0];
    let calls: Vec<f64> = st.trial_totals.iter().map(|t| t.calls).collect();
    let (per_request, se) = ratio_se(&calls, &st.requests);
    assert_within_se("calls per request", per_request, se, 1.9, 4.0);
    let report = Report::new(&s, &r);
    same(
        "calls per request",
        report.stacks[0].calls_per_request,
        per_request,
    );
    let (spend_per_request, se) = ratio_se(&st.spend, &st.requests);
    assert_within_se(
        "spend per request",
        spend_per_request,
        se,
        1.9 * 0.0014,
        4.0,
    );
    // Acceptance is the request's own (first run's) outcome, not multiplied by its repeats.
    assert_eq!(report.stacks[0].acceptance_rate, Some(1.0));
}

/// Two incidents at once: a request inside both windows runs as many times as the larger
/// multiplier says, not more. A month-long incident runs every request twice; a 12-hour one
/// inside it runs its requests 10 times: 2 + (12 / 720) × 8 = 2.1333 calls per request.
#[test]
fn overlapping_incidents_repeat_a_request_by_the_larger_multiplier() {
    let incidents = r#"
[[incident]]
name = "slow-leak"
monthly_probability = 1
multiplier = 2
duration_hours = 720
[[incident]]
name = "burst"
monthly_probability = 1
multiplier = 10
duration_hours = 12
"#;
    let s = scenario(&text("", ONLY_SMALL, incidents));
    let expected = 2.0 + 12.0 / 720.0 * 8.0;
    let r = fast(&s, 2000, 8);
    let st = &r.stacks[0];
    let calls: Vec<f64> = st.trial_totals.iter().map(|t| t.calls).collect();
    let (per_request, se) = ratio_se(&calls, &st.requests);
    assert_within_se("fast calls per request", per_request, se, expected, 4.0);
    let exact = simulate(&s, 200, 8);
    let st = &exact.stacks[0];
    let calls: Vec<f64> = st.trial_totals.iter().map(|t| t.calls).collect();
    let (per_request, se) = ratio_se(&calls, &st.requests);
    assert_within_se("exact calls per request", per_request, se, expected, 4.0);
}

/// A semantic-cache lookup is paid once per request; an incident repeats the model calls, not
/// the lookup. A request costs $0.01 + $0.0014 × runs: with runs 1.9 on average, $0.01266.
#[test]
fn incident_repeats_do_not_repeat_the_semantic_lookup() {
    let s = scenario(&text(
        "semantic_cache_usd_per_lookup = 0.01",
        ONLY_SMALL,
        LOOP,
    ));
    let expected = 0.01 + 1.9 * 0.0014;
    let estimate = aicost::sim::estimate::estimate(&s);
    let per = estimate.stacks[0].cost_per_request_usd.unwrap();
    assert!(
        (per - expected).abs() < 1e-6,
        "estimate {per} vs {expected}"
    );
    let r = fast(&s, 2000, 9);
    let st = &r.stacks[0];
    let (per_request, se) = ratio_se(&st.spend, &st.requests);
    assert_within_se("fast cost per request", per_request, se, expected, 4.0);
    // The lookups are aux fees: 30,000 × $0.01 a month, not 1.9 times that.
    let aux = st.cost_by_class.aux_fees / st.spend.len() as f64;
    let (requests, se) = mean_se(&st.requests);
    assert_within_se("lookup fees", aux / 0.01, se, requests, 4.0);
}

/// Escalation, like acceptance, is the request's own outcome: an incident's repeats of a request
/// add calls and spend but do not make it escalate more often. With escalation 0.1 and every
/// request repeated 5 times, the escalation share stays 0.1 on both engines.
#[test]
fn incident_repeats_do_not_multiply_the_escalation_share() {
    let stacks = r#"
[[stack]]
name = "cascade"
[stack.route.r]
chain = [{ model = "small", escalation_rate = 0.1 }, { model = "large" }]
"#;
    let incident = r#"
[[incident]]
name = "loop"
monthly_probability = 1
multiplier = 5
duration_hours = 720
"#;
    let s = scenario(&text("", stacks, incident).replace("users = 1000", "users = 100"));
    for (name, r) in [
        ("exact", simulate(&s, 100, 10)),
        ("fast", fast(&s, 1000, 10)),
    ] {
        let st = &r.stacks[0];
        let escalated: Vec<f64> = st.trial_totals.iter().map(|t| t.escalated).collect();
        let (share, se) = ratio_se(&escalated, &st.requests);
        assert_within_se(&format!("{name} escalation share"), share, se, 0.1, 4.0);
        let calls: Vec<f64> = st.trial_totals.iter().map(|t| t.calls).collect();
        let (per_request, se) = ratio_se(&calls, &st.requests);
        assert_within_se(
            &format!("{name} calls per request"),
            per_request,
            se,
            5.5,
            4.0,
        );
    }
}
