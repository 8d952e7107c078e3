//! `compare` and common random numbers: the paired difference is what it claims (exact functions of
//! the paired months), its standard error is far smaller than two independent runs give, and the
//! recommendation follows the stated rule. Seeds and trial counts are stated in each test.

mod common;

use common::aicost;
use std::path::Path;

use aicost::analysis::compare::{Comparison, DEFAULT_MAX_BREACH};
use predicates::str::contains;

/// Uncertain head-count, Poisson sessions, heavy-tailed tokens: months vary a lot, so the noise
/// that common random numbers remove is large. `models` and `stacks` are supplied.
fn noisy(budget: &str, models: &str, stacks: &str) -> String {
    format!(
        r#"
name = "noisy"
{budget}
[[segment]]
name = "users"
users = {{ low = 60, high = 140 }}
sessions_per_user_per_day = 2
user_variability = 0.8

[[workflow]]
name = "answer"
requests_per_session = {{ dist = "poisson", mean = 2 }}
[[workflow.step]]
name = "call"
route = "main"
input_tokens = {{ p50 = 800, p95 = 4000 }}
output_tokens = {{ p50 = 250, p95 = 900 }}

{models}

{stacks}
"#
    )
}

const TWO_PRICES: &str = r#"
[[model]]
name = "base"
input_usd_per_mtok = 1.0
output_usd_per_mtok = 4.0

[[model]]
name = "dear"
input_usd_per_mtok = 1.1
output_usd_per_mtok = 4.4
"#;

const TWO_STACKS: &str = r#"
[[stack]]
name = "a"
[stack.route.main]
chain = [{ model = "base" }]

[[stack]]
name = "b"
[stack.route.main]
chain = [{ model = "dear" }]
"#;

/// The claim of the issue, measured: on stacks that differ only in price (every price 10% higher),
/// the standard error of the mean difference with common random numbers is at least 5× smaller
/// than with independent streams (the two sides run with different seeds).
#[test]
fn common_random_numbers_shrink_the_error_of_a_difference_at_least_five_fold() {
    const N: u64 = 400;
    let s = common::scenario(&noisy("", TWO_PRICES, TWO_STACKS));
    let paired = common::simulate(&s, N, 7);
    let c = Comparison::of_stacks(&s, &paired, DEFAULT_MAX_BREACH);
    let d = &c.differences[0];
    let se_crn = d.mean_usd.standard_error;

    // Independent streams: side A from seed 7, side B from seed 8.
    let other = common::simulate(&s, N, 8);
    let diff: Vec<f64> = (0..N as usize)
        .map(|t| paired.stacks[0].spend[t] - other.stacks[1].spend[t])
        .collect();
    let (mean_ind, se_ind) = common::mean_se(&diff);
    eprintln!(
        "n = {N}, seeds 7 / 8: se with CRN {se_crn:.4}, independent {se_ind:.4}, ratio {:.1}; reported independent se {:.4}",
        se_ind / se_crn,
        d.independent_standard_error_usd
    );
    assert!(
        se_ind >= 5.0 * se_crn,
        "CRN se {se_crn} is not 5× smaller than independent se {se_ind}"
    );
    // The reported "independent" error is what two independent runs really give (within 25%:
    // both are estimates from n = 400).
    let ratio = d.independent_standard_error_usd / se_ind;
    assert!((0.75..1.33).contains(&ratio), "{ratio}");
    // Both estimate the same thing.
    common::assert_within_se(
        "mean difference",
        d.mean_usd.value,
        (se_crn * se_crn + se_ind * se_ind).sqrt(),
        mean_ind,
        4.0,
    );
    // Every price is 10% higher, so paired month by month B costs exactly 1.1 × A.
    let mean_a = c.plans[0].monthly_spend_usd.value;
    assert!((d.mean_usd.value + 0.1 * mean_a).abs() < 1e-9 * mean_a);
    assert_eq!(d.probability_a_cheaper.value, 1.0);
}

#[test]
fn difference_figures_are_exact_functions_of_the_paired_months() {
    // n = 150, seed 3; a budget that the dearer stack breaches in some months.
    let s = common::scenario(&noisy(
        "[budget]\nmonthly_usd = 40\n",
        TWO_PRICES,
        TWO_STACKS,
    ));
    let r = common::simulate(&s, 150, 3);
    let c = Comparison::of_stacks(&s, &r, DEFAULT_MAX_BREACH);
    let (a, b, d) = (&c.plans[0], &c.plans[1], &c.differences[0]);
    let (mean_a, mean_b) = (
        common::mean_se(&r.stacks[0].spend).0,
        common::mean_se(&r.stacks[1].spend).0,
    );
    assert!((d.mean_usd.value - (mean_a - mean_b)).abs() < 1e-9 * mean_a);
    assert!(d.p5_usd <= d.p50_usd && d.p50_usd <= d.p95_usd);
    let (pa, pb) = (
        a.breach_probability.unwrap().value,
        b.breach_probability.unwrap().value,
    );
    assert!(pb > 0.0 && pb < 1.0, "the test needs some breaches: {pb}");
    let db = d.breach_probability_difference.unwrap();
    assert!((db.value - (pa - pb)).abs() < 1e-12);
    assert!(db.standard_error > 0.0);
    // Same requests, no validation: the acceptance rates are equal and so is nothing else.
    let da = d.acceptance_rate_difference.unwrap();
    assert_eq!(da.value, 0.0);
}

#[test]
fn acceptance_difference_matches_the_validation_rate() {
    // Stack b fails validation 30% of the time with no retry, so it accepts 70% of requests:
    // a − b = +0.30 in expectation. n = 200, seed 5; 4 standard errors.
    let stacks = r#"
[[stack]]
name = "a"
[stack.route.main]
chain = [{ model = "base" }]

[[stack]]
name = "b"
[stack.route.main]
chain = [{ model = "base", validation_failure_rate = 0.3 }]
"#;
    let s = common::scenario(&noisy("", TWO_PRICES, stacks));
    let c = Comparison::of_stacks(&s, &common::simulate(&s, 200, 5), DEFAULT_MAX_BREACH);
    let d = c.differences[0].acceptance_rate_difference.unwrap();
    common::assert_within_se("acceptance a − b", d.value, d.standard_error, 0.3, 4.0);
    // Same calls, same prices: they cost the same in every month.
    assert_eq!(c.differences[0].mean_usd.value, 0.0);
    assert_eq!(c.differences[0].probability_a_cheaper.value, 0.0);
    // The cheaper-or-equal plan is recommended on spend, with the acceptance trade-off spelled out.
    let text = &c.recommendation.text;
    assert!(
        text.contains("costs the same within the simulation's noise"),
        "{text}"
    );
}

#[test]
fn recommendation_names_the_cheapest_plan_within_budget_or_says_none() {
    // n = 200, seed 9. Mean spend is about $31 for a and $34 for b.
    let run = |budget: &str| {
        let s = common::scenario(&noisy(budget, TWO_PRICES, TWO_STACKS));
        Comparison::of_stacks(&s, &common::simulate(&s, 200, 9), DEFAULT_MAX_BREACH)
    };
    let c = run("[budget]\nmonthly_usd = 100000\n");
    assert_eq!(c.recommendation.plan.as_deref(), Some("a"));
    assert!(
        c.recommendation.text.starts_with("Choose a: the cheapest plan that stays under the $100,000 budget in at least 95% of months"),
        "{}",
        c.recommendation.text
    );
    assert!(c.recommendation.text.contains("less than b"));

    let c = run("[budget]\nmonthly_usd = 1\n");
    assert_eq!(c.recommendation.plan, None);
    assert!(
        c.recommendation
            .text
            .starts_with("No plan stays under the $1.00 budget"),
        "{}",
        c.recommendation.text
    );

    let c = run("");
    assert_eq!(c.recommendation.plan.as_deref(), Some("a"));
    assert!(c.recommendation.text.starts_with("No budget is set"));
}

fn write(dir: &std::path::Path, name: &str, text: &str) -> std::path::PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

fn rag(chunks: u32, price: f64) -> String {
    format!(
        r#"
name = "rag"
[budget]
monthly_usd = 400

[[segment]]
name = "users"
users = {{ low = 60, high = 140 }}
sessions_per_user_per_day = 2
user_variability = 0.8

[[workflow]]
name = "answer"
[[workflow.step]]
name = "call"
route = "main"
input_tokens = {{ p50 = 300, p95 = 900 }}
retrieval = {{ chunks = {chunks}, chunk_tokens = 400 }}
output_tokens = {{ p50 = 250, p95 = 900 }}

[[model]]
name = "m"
input_usd_per_mtok = {price}
output_usd_per_mtok = 4.0

[[stack]]
name = "only"
[stack.route.main]
chain = [{{ model = "m" }}]
"#
    )
}

#[test]
fn two_versions_are_paired_trial_by_trial() {
    let dir = tempfile::tempdir().unwrap();
    let four = write(dir.path(), "rag-4.toml", &rag(4, 1.0));
    let ten = write(dir.path(), "rag-10.toml", &rag(10, 1.0));
    let out = aicost()
        .args(["compare"])
        .arg(&four)
        .arg(&ten)
        .args(["-n", "200", "--seed", "7", "--format", "json"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(v["kind"], "versions");
    assert_eq!(v["plans"][0]["label"], "rag-4");
    assert_eq!(v["plans"][1]["label"], "rag-10");
    let d = &v["differences"][0];
    // Six more chunks of 400 tokens on every request: 4 chunks is cheaper in every month.
    assert_eq!(d["probability_a_cheaper"]["value"], 1.0);
    assert!(d["mean_usd"]["value"].as_f64().unwrap() < 0.0);
    assert!(d["p95_usd"].as_f64().unwrap() < 0.0);
    for key in [
        "mean_usd",
        "p5_usd",
        "p50_usd",
        "p95_usd",
        "independent_standard_error_usd",
        "breach_probability_difference",
        "acceptance_rate_difference",
    ] {
        assert!(!d[key].is_null(), "{key}");
    }
    assert_eq!(v["recommendation"]["plan"], "rag-4");

    // Versions that differ only in price, through the command line: CRN at least 5× (n = 300, seed 7).
    let dear = write(dir.path(), "rag-4-dear.toml", &rag(4, 1.1));
    let out = aicost()
        .args(["compare"])
        .arg(&four)
        .arg(&dear)
        .args(["-n", "300", "--seed", "7", "--format", "json"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
    let d = &v["differences"][0];
    let se = d["mean_usd"]["standard_error"].as_f64().unwrap();
    let independent = d["independent_standard_error_usd"].as_f64().unwrap();
    assert!(independent >= 5.0 * se, "{independent} vs {se}");
}

/// Two versions on which `auto` alone would pick different engines (the larger one crosses the
/// exact engine's walk budget) still run on one engine, so their months stay paired.
#[test]
fn versions_auto_would_run_on_different_engines_share_one() {
    let dir = tempfile::tempdir().unwrap();
    let sized = |low: u32, high: u32| {
        rag(4, 1.0).replace(
            "users = { low = 60, high = 140 }",
            &format!("users = {{ low = {low}, high = {high} }}"),
        )
    };
    // About 60,000 and 75,000 requests a month: 1.8e7 and 2.25e7 request walks at 300 trials.
    let small = write(dir.path(), "small.toml", &sized(600, 1400));
    let large = write(dir.path(), "large.toml", &sized(750, 1750));
    let engine_alone = |path: &std::path::Path| {
        let out = aicost()
            .arg("simulate")
            .arg(path)
            .args(["-n", "300", "--seed", "7", "--format", "json"])
            .output()
            .unwrap();
        common::success_json(&out)["engine"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert_eq!(engine_alone(&small), "exact");
    assert_eq!(engine_alone(&large), "fast");

    assert_paired(&small, &large, &["-n", "300"], "exact", 3.0);
    // An engine named on the command line runs both versions.
    assert_paired(
        &small,
        &large,
        &["-n", "300", "--engine", "fast"],
        "fast",
        3.0,
    );
}

/// `compare a b … --seed 7 --format json` ran on `engine`, found `a` cheaper in every month, and
/// measured the difference with at least `shrink` times less noise than independent runs.
fn assert_paired(a: &Path, b: &Path, args: &[&str], engine: &str, shrink: f64) {
    let out = aicost()
        .arg("compare")
        .arg(a)
        .arg(b)
        .args(args)
        .args(["--seed", "7", "--format", "json"])
        .output()
        .unwrap();
    let v = common::success_json(&out);
    assert_eq!(v["engine"], engine);
    let d = &v["differences"][0];
    assert_eq!(d["probability_a_cheaper"]["value"], 1.0);
    let se = d["mean_usd"]["standard_error"].as_f64().unwrap();
    let independent = d["independent_standard_error_usd"].as_f64().unwrap();
    assert!(independent >= shrink * se, "{independent} vs {se}");
}

/// The fast engine draws each day's sums from the same (seed, trial) streams for both versions,
/// so a price-only change is measured with far less noise than independent runs give there too
/// (n = 1,000, seed 7; about 25× in practice).
#[test]
fn common_random_numbers_hold_on_the_fast_engine() {
    let dir = tempfile::tempdir().unwrap();
    let large = |price: f64| {
        rag(4, price).replace(
            "users = { low = 60, high = 140 }",
            "users = { low = 600, high = 1400 }",
        )
    };
    let cheap = write(dir.path(), "cheap.toml", &large(1.0));
    let dear = write(dir.path(), "dear.toml", &large(1.1));
    assert_paired(
        &cheap,
        &dear,
        &["-n", "1000", "--engine", "fast"],
        "fast",
        10.0,
    );
}

#[test]
fn compare_renders_every_format() {
    let file = "tests/fixtures/brief.toml";
    let text = |format: &str| {
        String::from_utf8(
            aicost()
                .args(["compare", file, "-n", "60", "--format", format])
                .assert()
                .success()
                .get_output()
                .stdout
                .clone(),
        )
        .unwrap()
    };
    let table = text("table");
    for part in [
        "Comparison: support-small",
        "Recommendation. Choose small-only",
        "Differences, month by month",
        "small-only − large-only",
        "P(A cheaper)",
        "Noise vs independent runs",
    ] {
        assert!(table.contains(part), "{part} missing in\n{table}");
    }
    let md = text("markdown");
    assert!(md.contains("| A − B | small-only − large-only | small-only − small-then-large |"));
    assert!(md.contains("| P(A cheaper) | 100% (95% CI"));
    assert!(md.contains("**Recommendation.** Choose small-only"));
    let html = text("html");
    assert_eq!(html.matches("<svg").count(), 2);
    assert!(!html.contains("<script"));
    let csv = text("csv");
    assert!(csv.starts_with("scenario,seed,trials,stack,statistic,group,unit,value"));
    assert!(csv.contains("small-only − large-only,probability_a_cheaper"));
    let json: serde_json::Value = serde_json::from_str(&text("json")).unwrap();
    assert_eq!(json["plans"].as_array().unwrap().len(), 3);
    assert_eq!(json["differences"].as_array().unwrap().len(), 3);
    assert_eq!(json["kind"], "stacks");
    assert_eq!(json["recommendation"]["plan"], "small-only");
}

#[test]
fn compare_user_errors_exit_2_with_a_fix() {
    let dir = tempfile::tempdir().unwrap();
    let one = write(dir.path(), "one.toml", &rag(4, 1.0));
    aicost()
        .arg("compare")
        .arg(&one)
        .assert()
        .code(2)
        .stderr(contains("nothing to compare"))
        .stderr(contains("help:"));
    let other = write(
        dir.path(),
        "other.toml",
        &noisy("", TWO_PRICES, TWO_STACKS).replace("name = \"b\"", "name = \"z\""),
    );
    let mine = write(
        dir.path(),
        "mine.toml",
        &noisy("", TWO_PRICES, TWO_STACKS).replace("name = \"b\"", "name = \"y\""),
    );
    let theirs = write(
        dir.path(),
        "theirs.toml",
        &noisy("", TWO_PRICES, TWO_STACKS)
            .replace("name = \"a\"", "name = \"p\"")
            .replace("name = \"b\"", "name = \"q\""),
    );
    aicost()
        .arg("compare")
        .arg(&mine)
        .arg(&theirs)
        .args(["-n", "5"])
        .assert()
        .code(2)
        .stderr(contains("no stack in common"));
    // One stack in common is enough.
    aicost()
        .arg("compare")
        .arg(&mine)
        .arg(&other)
        .args(["-n", "5", "--format", "json"])
        .assert()
        .success()
        .stdout(contains("\"kind\": \"versions\""));
    aicost()
        .args([
            "compare",
            "tests/fixtures/brief.toml",
            "--max-breach",
            "1.5",
        ])
        .assert()
        .code(2)
        .stderr(contains("--max-breach"));
    aicost()
        .args(["compare", "a.toml", "b.toml", "c.toml"])
        .assert()
        .code(2);
}

/// Three plans for one workflow with a p95 latency target of 5 s: `slow` is the cheapest (about
/// $4.80 a month) but generates 40 tokens a second, so its p95 is about 12 s; `quick` (about
/// $9.60) and `quickest` (about $19.20) answer in about 2–3 s.
fn timed(budget: &str) -> String {
    format!(
        r#"
name = "timed"
{budget}
[[segment]]
name = "users"
users = 100
sessions_per_user_per_day = 2

[[workflow]]
name = "answer"
latency_target_ms = {{ p95 = 5000 }}
[[workflow.step]]
name = "call"
route = "main"
input_tokens = {{ p50 = 800, p95 = 2000 }}
output_tokens = {{ p50 = 200, p95 = 500 }}

[[model]]
name = "slow"
input_usd_per_mtok = 0.5
output_usd_per_mtok = 2.0
latency = {{ first_token_ms = {{ p50 = 400, p95 = 1200 }}, output_tokens_per_s = 40 }}

[[model]]
name = "quick"
input_usd_per_mtok = 1.0
output_usd_per_mtok = 4.0
latency = {{ first_token_ms = {{ p50 = 200, p95 = 600 }}, output_tokens_per_s = 250 }}

[[model]]
name = "quickest"
input_usd_per_mtok = 2.0
output_usd_per_mtok = 8.0
latency = {{ first_token_ms = {{ p50 = 150, p95 = 400 }}, output_tokens_per_s = 400 }}

[[stack]]
name = "slow"
[stack.route.main]
chain = [{{ model = "slow" }}]

[[stack]]
name = "quick"
[stack.route.main]
chain = [{{ model = "quick" }}]

[[stack]]
name = "quickest"
[stack.route.main]
chain = [{{ model = "quickest" }}]
"#
    )
}

#[test]
fn the_cheapest_plan_that_misses_its_latency_target_is_passed_over() {
    // n = 100, seed 4; a budget every plan meets.
    let s = common::scenario(&timed("[budget]\nmonthly_usd = 100\n"));
    let c = Comparison::of_stacks(&s, &common::simulate(&s, 100, 4), DEFAULT_MAX_BREACH);
    let (slow, quick) = (&c.plans[0], &c.plans[1]);
    assert_eq!(slow.latency_target_met, Some(false));
    assert_eq!(quick.latency_target_met, Some(true));
    assert!(slow.monthly_spend_usd.value < quick.monthly_spend_usd.value);
    let text = &c.recommendation.text;
    assert_eq!(c.recommendation.plan.as_deref(), Some("quick"), "{text}");
    assert!(
        text.starts_with(
            "Choose quick: the cheapest plan that stays under the $100.00 budget in at least 95% of months (no simulated month over it) and meets its latency targets, at $"
        ),
        "{text}"
    );
    assert!(
        text.contains("less than quickest, the next cheapest that does"),
        "{text}"
    );
    assert!(
        text.contains(" Cheaper by $") && text.contains(" a month, slow misses answer p95 ("),
        "{text}"
    );
    // The latency trade-off: p95 of slow − p95 of quick, with its standard error.
    let d = &c.differences[0];
    assert_eq!((d.a.as_str(), d.b.as_str()), ("slow", "quick"));
    let l = &d.latency_p95_differences[0];
    assert_eq!(l.workflow, "answer");
    assert_eq!(l.a_ms, slow.latency[0].p95_ms.value);
    assert_eq!(l.b_ms, quick.latency[0].p95_ms.value);
    assert!((l.difference_ms.value - (l.a_ms - l.b_ms)).abs() < 1e-9);
    assert!(l.difference_ms.value > 5_000.0, "{l:?}");
    assert!(l.difference_ms.standard_error > 0.0);
    assert!(l.difference_ms.value > 10.0 * l.difference_ms.standard_error);
    assert!(slow.latency[0].p95_ms.value > 5_000.0);
    assert!(quick.latency[0].p95_ms.value < 5_000.0);

    // Without a budget the latency target alone decides.
    let s = common::scenario(&timed(""));
    let c = Comparison::of_stacks(&s, &common::simulate(&s, 100, 4), DEFAULT_MAX_BREACH);
    assert_eq!(c.recommendation.plan.as_deref(), Some("quick"));
    assert!(
        c.recommendation.text.starts_with(
            "No budget is set; the cheapest plan that meets its latency targets is quick"
        ),
        "{}",
        c.recommendation.text
    );
}

#[test]
fn no_plan_qualifies_when_the_fast_ones_break_the_budget() {
    // n = 100, seed 4. slow (about $4.80) stays under $8 but misses the target; quick (about
    // $9.60) and quickest meet it but cost more than $8 in every month.
    let s = common::scenario(&timed("[budget]\nmonthly_usd = 8\n"));
    let c = Comparison::of_stacks(&s, &common::simulate(&s, 100, 4), DEFAULT_MAX_BREACH);
    let text = &c.recommendation.text;
    assert_eq!(c.recommendation.plan, None, "{text}");
    assert!(
        text.starts_with(
            "No plan both stays under the $8.00 budget in at least 95% of months and meets its latency targets: slow misses answer p95 ("
        ),
        "{text}"
    );
    assert!(
        text.contains("quick breaches the budget in 100%")
            && text.contains("quickest breaches the budget in 100%"),
        "{text}"
    );
    // The simulation brief gives the same verdict.
    let brief = aicost::render::brief::Brief::new(&s, &common::simulate(&s, 100, 4));
    assert!(
        brief
            .markdown()
            .contains(&format!("**Recommendation.** {text}"))
    );
}

#[test]
fn compare_shows_the_latency_and_acceptance_trade_off_in_every_format() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(
        dir.path(),
        "timed.toml",
        &timed("[budget]\nmonthly_usd = 100\n"),
    );
    let text = |format: &str| {
        String::from_utf8(
            aicost()
                .arg("compare")
                .arg(&file)
                .args(["-n", "40", "--seed", "2", "--format", format])
                .assert()
                .success()
                .get_output()
                .stdout
                .clone(),
        )
        .unwrap()
    };
    for format in ["table", "markdown", "html"] {
        let out = text(format);
        for part in [
            "p95 latency, answer",
            "Δ p95 latency, answer",
            "Latency targets",
            "misses answer p95 (",
            "all met",
            "Acceptance rate",
            "Δ acceptance rate",
            "Choose quick",
            "A plan qualifies only if it also meets every latency target",
        ] {
            assert!(out.contains(part), "{format}: {part:?} missing in\n{out}");
        }
    }
    let v: serde_json::Value = serde_json::from_str(&text("json")).unwrap();
    assert_eq!(v["plans"][0]["latency_target_met"], false);
    assert_eq!(v["plans"][1]["latency_target_met"], true);
    assert!(
        v["plans"][0]["latency"][0]["p95_ms"]["value"]
            .as_f64()
            .unwrap()
            > 5_000.0
    );
    assert!(!v["plans"][0]["acceptance_rate"]["standard_error"].is_null());
    let l = &v["differences"][0]["latency_p95_differences"][0];
    assert_eq!(l["workflow"], "answer");
    assert!(l["difference_ms"]["standard_error"].as_f64().unwrap() > 0.0);
    assert_eq!(v["recommendation"]["plan"], "quick");
    let csv = text("csv");
    assert!(csv.contains("slow,latency_p95,answer,ms,"), "{csv}");
    assert!(csv.contains("slow,latency_targets_met,,flag,0,"), "{csv}");
    assert!(csv.contains("quick,latency_targets_met,,flag,1,"), "{csv}");
    assert!(
        csv.contains("slow − quick,latency_p95_difference,answer,ms,"),
        "{csv}"
    );
    // Where latency is not modelled, nothing about it is shown.
    let plain = String::from_utf8(
        aicost()
            .args([
                "compare",
                "tests/fixtures/brief.toml",
                "-n",
                "20",
                "--format",
                "markdown",
            ])
            .assert()
            .success()
            .get_output()
            .stdout
            .clone(),
    )
    .unwrap();
    assert!(!plain.contains("latency"), "{plain}");
}

/// The comparison brief and CSV of the three stacks of the report fixture, pinned by snapshots
/// (n = 120 trials, seed 11).
#[test]
fn comparison_markdown_and_csv_snapshots() {
    let s = common::scenario(&std::fs::read_to_string("tests/fixtures/brief.toml").unwrap());
    let c = Comparison::of_stacks(&s, &common::simulate(&s, 120, 11), DEFAULT_MAX_BREACH);
    let unversioned = |text: String| text.replace(env!("CARGO_PKG_VERSION"), "[version]");
    insta::assert_snapshot!(
        "comparison_markdown",
        unversioned(aicost::render::brief::comparison_markdown(&c))
    );
    insta::assert_snapshot!(
        "comparison_csv",
        unversioned(aicost::render::csv::comparison(&c))
    );
}
