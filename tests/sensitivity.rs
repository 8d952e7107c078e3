//! `aicost sensitivity`: swings agree with hand arithmetic on a scenario whose spend is linear in
//! its inputs, the rank correlation recomputes the engine's own draws, and the tornado SVG is
//! drawn.
//!
//! The scenario: users ~ Uniform(50, 150) (p10 = 60, p90 = 140), 10 requests each a month (fixed
//! arrivals), 1,000 input tokens at an uncertain price ~ Uniform($1, $3) (p10 = 1.2, p90 = 2.8)
//! and 100 output tokens at $10 per Mtok on stack `m`; stack `n` uses a model at $1/$1.

mod common;

use aicost::analysis::sensitivity::{self, Kind, Sensitivity, StackSensitivity, Swing};
use aicost::model::Scenario;
use aicost::sim::engine::simulate_all;
use aicost::sim::engine::{SimOptions, SimResult};
use aicost::sim::engine::{draw::draw, rng::trial_key};
use common::aicost;
use predicates::str::contains;

const SCENARIO: &str = r#"
name = "sens"
[simulation]
trials = 300
seed = 5
arrivals = "fixed"

[[segment]]
name = "users"
users = { dist = "uniform", min = 50, max = 150 }
sessions_per_user_per_month = 10

[[workflow]]
name = "w"

[[workflow.step]]
name = "s"
route = "r"
input_tokens = 1000
output_tokens = 100

[[model]]
name = "m"
input_usd_per_mtok = { dist = "uniform", min = 1, max = 3 }
output_usd_per_mtok = 10

[[model]]
name = "n"
input_usd_per_mtok = 1
output_usd_per_mtok = 1

[[stack]]
name = "m"
[stack.route.r]
chain = [{ model = "m" }]

[[stack]]
name = "n"
[stack.route.r]
chain = [{ model = "n" }]
"#;

const TRIALS: u64 = 300;
const SEED: u64 = 5;

struct Run {
    result: Sensitivity,
    mean_users: f64,
    mean_price: f64,
    base_mean: Vec<f64>,
}

/// The sensitivity analysis of scenario `text`, with its base run and the scenario.
fn analyzed(text: &str, all: bool) -> (Sensitivity, SimResult, Scenario) {
    let loaded = aicost::model::scenario::from_str("sens.toml", text).unwrap();
    let s = &loaded.scenario;
    let inputs = sensitivity::inputs(s, &loaded.document, all);
    let opts = SimOptions::new(TRIALS, SEED);
    let base = simulate_all(&[s], &opts).unwrap().remove(0);
    let runs =
        sensitivity::run_inputs(&inputs, |sc| aicost::sim::engine::simulate(sc, &opts)).unwrap();
    let result = sensitivity::analyze(s, &inputs, &base, &runs);
    (result, base, s.clone())
}

fn run(all: bool) -> Run {
    let (result, base, s) = analyzed(SCENARIO, all);
    let price = &s.models[0].prices.input;
    let mean_price = (0..TRIALS)
        .map(|t| draw(price, trial_key(SEED, t)))
        .sum::<f64>()
        / TRIALS as f64;
    Run {
        mean_users: base.segment_users[0].iter().sum::<f64>() / TRIALS as f64,
        base_mean: base
            .stacks
            .iter()
            .map(|st| st.spend.iter().sum::<f64>() / TRIALS as f64)
            .collect(),
        result,
        mean_price,
    }
}

fn swing<'a>(st: &'a StackSensitivity, input: &str) -> &'a Swing {
    st.inputs
        .iter()
        .find(|s| s.input == input)
        .unwrap_or_else(|| panic!("no input {input} in {:?}", st.inputs))
}

fn close(what: &str, observed: f64, expected: f64) {
    assert!(
        (observed - expected).abs() <= 1e-9 * expected.abs().max(1.0),
        "{what}: {observed} vs {expected}"
    );
}

#[test]
fn uncertain_inputs_swing_between_their_p10_and_p90() {
    let r = run(false);
    let m = &r.result.stacks[0];
    let n = &r.result.stacks[1];
    assert_eq!(m.inputs.len(), 2, "only the two uncertain inputs");
    // Users held at 60 and at 140: 80 users × 10 requests × the trial's cost per request.
    let users = swing(m, "segment[users].users");
    assert_eq!((users.low, users.high), (60.0, 140.0));
    assert_eq!(users.kind, Kind::Uncertain);
    let per_request_m = r.mean_price * 0.001 + 0.001;
    close(
        "users swing on m",
        users.mean_swing_usd,
        80.0 * 10.0 * per_request_m,
    );
    close(
        "users swing on n",
        swing(n, "segment[users].users").mean_swing_usd,
        80.0 * 10.0 * 0.0011,
    );
    // The price held at 1.2 and 2.8, on the same users in every trial.
    let price = swing(m, "model[m].input_usd_per_mtok");
    close("price p10", price.low, 1.2);
    close("price p90", price.high, 2.8);
    close(
        "price swing",
        price.mean_swing_usd,
        1.6 * 0.001 * 10.0 * r.mean_users,
    );
    // Stack n does not use model m: the price does not move it.
    assert_eq!(swing(n, "model[m].input_usd_per_mtok").mean_swing_usd, 0.0);
    assert_eq!(n.moving().count(), 1);
    // Largest swing first.
    assert_eq!(m.inputs[0].input, "segment[users].users");
}

#[test]
fn rank_correlation_recomputes_the_engines_draws() {
    let r = run(false);
    let n = &r.result.stacks[1];
    // Spend on n is a monotone function of the (rounded) head-count.
    let rho = swing(n, "segment[users].users").spearman.unwrap();
    assert!(rho > 0.99, "{rho}");
    // On n, the price of m is independent of spend: |ρ| within 4 standard errors (1/√(n−1)).
    let rho = swing(n, "model[m].input_usd_per_mtok").spearman.unwrap();
    assert!(rho.abs() < 4.0 / ((TRIALS - 1) as f64).sqrt(), "{rho}");
}

/// A parameter is drawn once per trial; over a horizon of several months it is ranked against
/// the trial's whole horizon, not against one month of a different trial.
#[test]
fn rank_correlation_over_a_multi_month_horizon_pairs_each_draw_with_its_own_trial() {
    let year = SCENARIO.replace("arrivals = \"fixed\"", "arrivals = \"fixed\"\nmonths = 12");
    let (result, base, _) = analyzed(&year, false);
    assert_eq!(base.months, 12);
    let rho = swing(&result.stacks[1], "segment[users].users")
        .spearman
        .unwrap();
    assert!(rho > 0.99, "{rho}");
}

#[test]
fn all_swings_every_written_number_by_20_percent() {
    let r = run(true);
    let m = &r.result.stacks[0];
    let labels: Vec<&str> = m.inputs.iter().map(|s| s.input.as_str()).collect();
    for written in [
        "segment[users].sessions_per_user_per_month",
        "model[m].output_usd_per_mtok",
        "workflow[w].step[s].input_tokens",
        "workflow[w].step[s].output_tokens",
    ] {
        assert!(
            labels.contains(&written),
            "{written} missing from {labels:?}"
        );
    }
    for default in [
        "segment[users].weekend_factor",
        "segment[users].user_variability",
    ] {
        assert!(
            !labels.contains(&default),
            "{default} is a default, not written"
        );
    }
    // 8 → 12 sessions: ±20% of every month's spend.
    close(
        "sessions swing",
        swing(m, "segment[users].sessions_per_user_per_month").mean_swing_usd,
        0.4 * r.base_mean[0],
    );
    // Output price and output tokens: ±20% of the output spend, 100 tokens × $10 per Mtok.
    let output_spend = 10.0 * r.mean_users * 100.0 * 10.0 / 1e6;
    for label in [
        "model[m].output_usd_per_mtok",
        "workflow[w].step[s].output_tokens",
    ] {
        close(label, swing(m, label).mean_swing_usd, 0.4 * output_spend);
    }
    assert_eq!(
        swing(m, "workflow[w].step[s].output_tokens").kind,
        Kind::PerRequest
    );
}

#[test]
fn the_command_prints_a_table_and_draws_a_tornado() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sens.toml");
    std::fs::write(&path, SCENARIO).unwrap();
    let svg = dir.path().join("tornado.svg");
    aicost()
        .args(["sensitivity", path.to_str().unwrap(), "--trials", "50"])
        .arg("--svg")
        .arg(&svg)
        .assert()
        .success()
        .stdout(contains(
            "Sensitivity of sens · 50 trials · seed 5 · 5 runs",
        ))
        .stdout(contains("segment[users].users"))
        .stdout(contains("60 → 140"))
        .stdout(contains("(1 input with no effect on this stack not shown)"));
    let text = std::fs::read_to_string(&svg).unwrap();
    assert!(text.starts_with("<svg"), "{}", &text[..80.min(text.len())]);
    assert!(text.contains("segment[users].users"));
    assert!(text.contains("model[m].input_usd_per_mtok"));
    assert!(
        text.matches("<rect").count() > 2 * 3,
        "the background and a bar per side and input"
    );
    let out = aicost()
        .args([
            "sensitivity",
            path.to_str().unwrap(),
            "--trials",
            "30",
            "--all",
        ])
        .args(["--format", "json"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["stacks"].as_array().unwrap().len(), 2);
    assert!(v["stacks"][0]["inputs"].as_array().unwrap().len() > 2);
    aicost()
        .args(["sensitivity", "--help"])
        .assert()
        .success()
        .stdout(contains("Examples:"));
}

#[test]
fn params_mut_walks_the_same_parameters_as_params() {
    for entry in std::fs::read_dir("scenarios").unwrap() {
        let path = entry.unwrap().path();
        let mut s = aicost::model::scenario::load(&path).unwrap().scenario;
        let labels: Vec<String> = s.params().iter().map(|p| p.label.clone()).collect();
        let labels_mut: Vec<String> = s.params_mut().iter().map(|p| p.label.clone()).collect();
        assert_eq!(labels, labels_mut, "{}", path.display());
    }
}
