//! Helpers shared by the integration tests.
#![allow(dead_code)]

use aicost::analysis::report::Report;
use aicost::model::Scenario;
use aicost::sim::engine::{self, SimOptions, SimResult};

/// Load a scenario from text, panicking with the rendered problems if it is invalid.
pub fn scenario(text: &str) -> Scenario {
    match aicost::model::scenario::from_str("test.toml", text) {
        Ok(l) => l.scenario,
        Err(e) => panic!("scenario should be valid:\n{e}"),
    }
}

/// Run the exact engine.
pub fn simulate(s: &Scenario, trials: u64, seed: u64) -> SimResult {
    engine::simulate_exact(s, &SimOptions::new(trials, seed)).expect("simulation runs")
}

pub fn report(s: &Scenario, trials: u64, seed: u64) -> Report {
    Report::new(s, &simulate(s, trials, seed))
}

/// The JSON a successful command printed; a failure shows the command's stderr.
pub fn success_json(out: &std::process::Output) -> serde_json::Value {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("JSON on stdout")
}

/// Mean and standard error of the mean.
pub fn mean_se(values: &[f64]) -> (f64, f64) {
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    let var = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0);
    (mean, (var / n).sqrt())
}

/// Assert `observed` is within `k` standard errors of `expected`.
pub fn assert_within_se(what: &str, observed: f64, se: f64, expected: f64, k: f64) {
    assert!(
        (observed - expected).abs() <= k * se,
        "{what}: observed {observed} vs expected {expected}: {:.2} standard errors (se {se})",
        (observed - expected) / se
    );
}

/// Assert two dollar amounts agree to the cent.
pub fn assert_cents(what: &str, observed: f64, expected: f64) {
    assert!(
        (observed - expected).abs() < 0.005,
        "{what}: {observed} is not {expected} to the cent"
    );
}

/// A scenario with one segment, one workflow and one step whose parts the caller supplies.
/// Traffic is deterministic: `users` users with exactly `sessions` sessions each per month.
pub fn one_step(
    users: u64,
    sessions: u64,
    workflow_keys: &str,
    step: &str,
    models: &str,
    stacks: &str,
) -> String {
    format!(
        r#"
name = "t"
[simulation]
trials = 10
arrivals = "fixed"

[[segment]]
name = "s"
users = {users}
sessions_per_user_per_month = {sessions}

[[workflow]]
name = "w"
requests_per_session = 1
{workflow_keys}

[[workflow.step]]
name = "call"
route = "r"
{step}

{models}

{stacks}
"#
    )
}

/// `git init` in `dir` and commit every file there, whatever the user's git configuration.
pub fn commit_all(dir: &std::path::Path) {
    let git = |args: &[&str]| {
        let ok = std::process::Command::new("git")
            .current_dir(dir)
            .args([
                "-c",
                "user.name=aicost",
                "-c",
                "user.email=aicost@example.invalid",
            ])
            .args(["-c", "commit.gpgsign=false"])
            .args(args)
            .status()
            .expect("git runs");
        assert!(ok.success(), "git {args:?}");
    };
    git(&["init", "-q"]);
    git(&["add", "."]);
    git(&["commit", "-qm", "scenarios"]);
}
