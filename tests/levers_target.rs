//! `aicost levers --target`: the smallest set of levers that keeps the month under a target,
//! checked against hand arithmetic on a scenario where nothing is random, and the question of
//! `scenarios/three-features.toml` ($108K a month to $65K) answered as docs/budget-policies.md
//! says.
//!
//! The deterministic scenario: 1,000 sessions a month (100 users × 10, fixed arrivals), each
//! with one request of workflow `a` (10,000 tokens in, 1,000 out) and one of `b` (5,000 in, 500
//! out), on one model at $1 / $4 per million tokens with a 50% batch discount:
//! - `a`: 1,000 × (10,000 × $1 + 1,000 × $4) / 10^6 = $14 a month; on the batch path $7;
//! - `b`: 1,000 × (5,000 × $1 + 500 × $4) / 10^6 = $7 a month; on the batch path $3.50;
//! - the month: $21; with `a` batched $14, with `b` batched $17.50, with both $10.50.

mod common;

use assert_cmd::cargo::cargo_bin_cmd;
use common::assert_cents;
use predicates::str::contains;

const SCENARIO: &str = r#"
name = "target"
[simulation]
trials = 50
seed = 3
arrivals = "fixed"

[[segment]]
name = "users"
users = 100
sessions_per_user_per_month = 10

[[workflow]]
name = "a"

[[workflow.step]]
name = "write"
route = "main"
input_tokens = 10000
output_tokens = 1000

[[workflow]]
name = "b"

[[workflow.step]]
name = "write"
route = "main"
input_tokens = 5000
output_tokens = 500

[[model]]
name = "m"
input_usd_per_mtok = 1.0
output_usd_per_mtok = 4.0
batch_discount = 0.5

[[stack]]
name = "only"
[stack.route.main]
chain = [{ model = "m" }]
"#;

fn aicost() -> assert_cmd::Command {
    let mut cmd = cargo_bin_cmd!("aicost");
    cmd.env_remove("NO_COLOR");
    cmd
}

/// The scenario written to a temporary folder (kept alive by the returned guard).
fn scenario() -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("target.toml");
    std::fs::write(&path, SCENARIO).unwrap();
    let file = path.to_str().unwrap().to_string();
    (dir, file)
}

/// The roadmap as JSON; the semantic cache is left out (its hits are drawn at random).
fn roadmap(file: &str, extra: &[&str]) -> serde_json::Value {
    let out = aicost()
        .args([
            "levers",
            file,
            "--format",
            "json",
            "--without",
            "semantic_cache",
        ])
        .args(extra)
        .output()
        .unwrap();
    common::success_json(&out)
}

fn keys(stack: &serde_json::Value) -> Vec<&str> {
    stack["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["key"].as_str().unwrap())
        .collect()
}

#[test]
fn two_batched_workflows_reach_a_target_neither_reaches_alone() {
    let (_dir, file) = scenario();
    let r = roadmap(&file, &["--target", "12"]);
    assert_eq!(r["probability"], 0.5);
    assert_eq!(r["search"], "exhaustive");
    let st = &r["stacks"][0];
    assert_cents(
        "month as it is",
        st["baseline_mean_usd"].as_f64().unwrap(),
        21.0,
    );
    assert_eq!(st["reached"], true);
    // `a` first: it saves $7, `b` $3.50.
    assert_eq!(keys(st), ["batch:a", "batch:b"]);
    let steps = st["steps"].as_array().unwrap();
    assert_cents("a batched", steps[0]["mean_usd"].as_f64().unwrap(), 14.0);
    assert_cents(
        "a's saving",
        steps[0]["saving_usd"]["mean"].as_f64().unwrap(),
        7.0,
    );
    assert_eq!(steps[0]["probability_under"], 0.0);
    assert_cents("both batched", steps[1]["mean_usd"].as_f64().unwrap(), 10.5);
    assert_cents(
        "b's saving",
        steps[1]["saving_usd"]["mean"].as_f64().unwrap(),
        3.5,
    );
    assert_eq!(steps[1]["probability_under"], 1.0);
    assert_cents("together", st["saving_usd"]["mean"].as_f64().unwrap(), 10.5);
    // Batching different workflows cuts different spend: here the savings do add up.
    assert_cents(
        "one at a time",
        st["sum_of_savings_usd"].as_f64().unwrap(),
        10.5,
    );
    // {a}, {b}, then {a, b}: three sets.
    assert_eq!(r["simulated_sets"], 3);
}

#[test]
fn among_the_smallest_sets_the_least_effort_wins() {
    let (_dir, file) = scenario();
    // $18: either workflow batched alone will do ($14 or $17.50); with equal efforts the lower
    // spend wins, with `a` five times the effort of `b` the cheaper effort does.
    let r = roadmap(&file, &["--target", "18"]);
    assert_eq!(keys(&r["stacks"][0]), ["batch:a"]);
    let r = roadmap(
        &file,
        &[
            "--target",
            "18",
            "--effort",
            "batch:a=5",
            "--effort",
            "batch=1",
        ],
    );
    assert_eq!(keys(&r["stacks"][0]), ["batch:b"]);
    assert_eq!(r["stacks"][0]["steps"][0]["effort"], 1.0);
    assert_eq!(r["stacks"][0]["total_effort"], 1.0);
}

#[test]
fn the_order_puts_the_most_saving_per_unit_of_effort_first() {
    let (_dir, file) = scenario();
    // `a` saves $7 for 10 units ($0.70 a unit), `b` $3.50 for 1: `b` first.
    let r = roadmap(&file, &["--target", "12", "--effort", "batch:a=10"]);
    let st = &r["stacks"][0];
    assert_eq!(keys(st), ["batch:b", "batch:a"]);
    assert_cents(
        "b batched",
        st["steps"][0]["mean_usd"].as_f64().unwrap(),
        17.5,
    );
    assert_eq!(st["steps"][0]["effort"], serde_json::Value::Null);
    assert_eq!(st["steps"][1]["effort"], 10.0);
    assert_eq!(st["total_effort"], 11.0);
}

#[test]
fn a_target_out_of_reach_is_said_and_the_best_set_shown() {
    let (_dir, file) = scenario();
    let r = roadmap(&file, &["--target", "10"]);
    let st = &r["stacks"][0];
    assert_eq!(st["reached"], false);
    assert_eq!(keys(st), ["batch:a", "batch:b"]);
    assert_cents("best found", st["mean_usd"].as_f64().unwrap(), 10.5);
    aicost()
        .args(["levers", &file, "--target", "10", "--without", "semantic_cache"])
        .assert()
        .success()
        .stdout(contains("Roadmap to $10.00 a month for target"))
        .stdout(contains("Target read as a typical month"))
        .stdout(contains(
            "no set of levers reaches $10.00; the best found (2 levers) keeps 0% of months under it, mean $10.50 a month (from $21.00), $0.5",
        ))
        .stdout(contains(" short at the p50"));
    // Already under: no lever needed.
    aicost()
        .args(["levers", &file, "--target", "25", "--probability", "0.95"])
        .assert()
        .success()
        .stdout(contains("Target read as the p95 month stays under it"))
        .stdout(contains(
            "already under $25.00: 100% of months are, with no lever",
        ));
}

#[test]
fn the_roadmap_is_a_markdown_section() {
    let (_dir, file) = scenario();
    aicost()
        .args(["levers", &file, "--target", "12", "--format", "markdown"])
        .args(["--without", "semantic_cache"])
        .assert()
        .success()
        .stdout(contains("## Roadmap to $12.00 a month\n"))
        .stdout(contains("### only\n"))
        .stdout(contains("| 1 | batch:a | workflow a on the batch path"))
        .stdout(contains("| 2 | batch:b |"));
}

#[test]
fn target_options_are_checked() {
    let (_dir, file) = scenario();
    let fails = |args: &[&str], message: &str| {
        aicost()
            .args(["levers", &file])
            .args(args)
            .assert()
            .code(2)
            .stderr(contains(message.to_string()));
    };
    fails(
        &["--probability", "0.9"],
        "`--probability` needs --target USD",
    );
    fails(
        &["--format", "markdown"],
        "`--format markdown` needs --target USD",
    );
    fails(
        &["--target", "0"],
        "--target must be a monthly amount above 0 USD",
    );
    fails(
        &["--target", "5", "--probability", "1"],
        "--probability must be above 0 and below 1",
    );
    fails(
        &["--target", "5", "--effort", "batch:a"],
        "expected KEY=EFFORT",
    );
    fails(
        &["--target", "5", "--effort", "batch:a=-1"],
        "expected KEY=EFFORT",
    );
    fails(
        &["--target", "5", "--without", "batch:c"],
        "did you mean `batch:a`?",
    );
    fails(
        &["--target", "5", "--without", "nothing-like-it"],
        "the keys are semantic_cache:a, semantic_cache:b, batch:a, batch:b, semantic_cache, batch",
    );
}

/// docs/budget-policies.md, "The second question": batching all three features halves the
/// month ($108,000 / 2 = $54,000), the smallest set that reaches $65,000 in a typical month;
/// without batching the two live features, the descriptions' batch path, a semantic cache on
/// the chat and a contract sized on the rest reach it in the p95 month.
#[test]
fn three_features_reach_65k() {
    let file = concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/three-features.toml");
    let r = common::success_json(
        &aicost()
            .args([
                "levers", file, "--target", "65000", "--trials", "200", "--format", "json",
            ])
            .output()
            .unwrap(),
    );
    let st = &r["stacks"][0];
    let base = st["baseline_mean_usd"].as_f64().unwrap();
    assert!((base - 108_000.0).abs() < 0.01 * 108_000.0, "{base}");
    assert_eq!(st["reached"], true);
    assert_eq!(
        keys(st),
        [
            "batch:product-descriptions",
            "batch:customer-service-chat",
            "batch:recommendation-explanations"
        ]
    );
    // The batch path halves every month exactly.
    assert_cents(
        "half",
        st["saving_usd"]["mean"].as_f64().unwrap(),
        base / 2.0,
    );
    let r = common::success_json(
        &aicost()
            .args(["levers", file, "--target", "65000", "--probability", "0.95"])
            .args(["--trials", "200", "--format", "json"])
            .args(["--without", "batch:customer-service-chat"])
            .args(["--without", "batch:recommendation-explanations"])
            .args(["--effort", "batch=3", "--effort", "contract=5"])
            .args(["--effort", "semantic_cache=15", "--effort", "output_cap=2"])
            .output()
            .unwrap(),
    );
    let st = &r["stacks"][0];
    assert_eq!(st["reached"], true);
    assert_eq!(
        keys(st),
        [
            "batch:product-descriptions",
            "semantic_cache:customer-service-chat",
            "contract:today"
        ]
    );
    // The descriptions' batch path saves half of their $41,000.
    let first = st["steps"][0]["saving_usd"]["mean"].as_f64().unwrap();
    assert!((first - 20_500.0).abs() < 0.02 * 20_500.0, "{first}");
    // The chat's semantic cache: 30% of $38,000 less 4,000,000 lookups at $0.00001.
    let second = st["steps"][1]["saving_usd"]["mean"].as_f64().unwrap();
    let expected = 0.3 * 38_000.0 - 40.0;
    assert!((second - expected).abs() < 0.02 * expected, "{second}");
    // The contract saves at most its 20% discount of what is left.
    let left = st["steps"][1]["mean_usd"].as_f64().unwrap();
    let after = st["mean_usd"].as_f64().unwrap();
    assert!(after >= 0.8 * left && after < left, "{left} → {after}");
    let p95 = st["quantile_usd"].as_f64().unwrap();
    assert!(p95 <= 65_000.0, "{p95}");
    assert_eq!(st["probability_under"], 1.0);
    // Without the semantic cache no set reaches it, and the best one found is shown.
    let r = common::success_json(
        &aicost()
            .args(["levers", file, "--target", "65000", "--probability", "0.95"])
            .args(["--trials", "200", "--format", "json"])
            .args(["--without", "batch:customer-service-chat"])
            .args(["--without", "batch:recommendation-explanations"])
            .args(["--without", "semantic_cache"])
            .output()
            .unwrap(),
    );
    let st = &r["stacks"][0];
    assert_eq!(st["reached"], false);
    assert_eq!(
        keys(st),
        ["batch:product-descriptions", "output_cap", "contract:today"]
    );
    assert!(st["quantile_usd"].as_f64().unwrap() > 65_000.0);
}
