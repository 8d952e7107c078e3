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

/// The demand of a one-call scenario, after its `[simulation]`: segment `segment` of `users`
/// users with exactly `sessions` sessions a month each (`user_variability = 0`), then
/// `segment_keys`, and workflow `w` of one request whose step `call` on route `r` reads 1,000
/// input and writes 200 output tokens.
pub fn one_call_demand(segment: &str, users: u64, sessions: u64, segment_keys: &str) -> String {
    format!(
        r#"
[[segment]]
name = "{segment}"
users = {users}
sessions_per_user_per_month = {sessions}
user_variability = 0
{segment_keys}
[[workflow]]
name = "w"
requests_per_session = 1
[[workflow.step]]
name = "call"
route = "r"
input_tokens = 1000
output_tokens = 200
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

/// A Chromium (or Chrome) on the PATH.
pub fn find_chromium() -> Option<std::path::PathBuf> {
    let path = std::env::var_os("PATH")?;
    [
        "chromium",
        "chromium-browser",
        "google-chrome",
        "google-chrome-stable",
    ]
    .iter()
    .flat_map(|name| std::env::split_paths(&path).map(move |dir| dir.join(name)))
    .find(|p| p.is_file())
}

/// The browser, or `None` after saying that `what` is skipped; a failure instead where
/// `AICOST_REQUIRE_CHROMIUM=1` (set by `.ci/run`), which makes a missing browser a failure.
pub fn chromium_or_skip(what: &str) -> Option<std::path::PathBuf> {
    let found = find_chromium();
    if found.is_none() {
        if std::env::var("AICOST_REQUIRE_CHROMIUM").is_ok_and(|v| v == "1") {
            panic!(
                "AICOST_REQUIRE_CHROMIUM=1 but no chromium on the PATH (apt-get install chromium)"
            );
        }
        println!("notice: chromium not found; skipping {what}");
        eprintln!("notice: chromium not found; skipping {what}");
    }
    found
}

/// A copy of the shipped scenario `scenarios/{name}` in `dir`, named `as_name`.
pub fn copy_scenario(dir: &std::path::Path, name: &str, as_name: &str) -> std::path::PathBuf {
    let file = dir.join(as_name);
    std::fs::copy(std::path::Path::new("scenarios").join(name), &file).unwrap();
    file
}

/// What `aicost simulate FILE --set … --trials TRIALS --seed SEED --format json -q` prints.
pub fn simulate_json(
    file: &std::path::Path,
    sets: &[String],
    trials: &str,
    seed: &str,
) -> serde_json::Value {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_aicost"));
    cmd.args(["simulate", file.to_str().unwrap(), "--format", "json", "-q"])
        .args(["--trials", trials, "--seed", seed]);
    for s in sets {
        cmd.args(["--set", s]);
    }
    success_json(&cmd.output().unwrap())
}

/// The `aicost` binary, with `NO_COLOR` unset so each test states the colour it expects.
pub fn aicost() -> assert_cmd::Command {
    let mut cmd = assert_cmd::cargo::cargo_bin_cmd!("aicost");
    cmd.env_remove("NO_COLOR");
    cmd
}

/// [`aicost`] on a fixed day, so that a catalog's age (and every warning about it) does not
/// depend on when the tests run.
pub fn aicost_dated() -> assert_cmd::Command {
    let mut cmd = aicost();
    cmd.env("AICOST_TODAY", "2026-11-23");
    cmd
}

/// `aicost fit LOGS --update DIR/base.toml --out DIR/updated.toml` (on the fixed date), with
/// `base_text` written to the base first: the base's path, the output's path and the run.
pub fn fit_update(
    dir: &std::path::Path,
    logs: &std::path::Path,
    base_text: &str,
) -> (
    std::path::PathBuf,
    std::path::PathBuf,
    assert_cmd::assert::Assert,
) {
    let base = dir.join("base.toml");
    std::fs::write(&base, base_text).unwrap();
    let out = dir.join("updated.toml");
    let run = aicost_dated()
        .arg("fit")
        .arg(logs)
        .arg("--update")
        .arg(&base)
        .arg("--out")
        .arg(&out)
        .assert();
    (base, out, run)
}

/// What `aicost serve FILE --trials TRIALS --seed SEED --threads THREADS` runs with.
pub fn serve_settings(
    file: std::path::PathBuf,
    trials: u64,
    seed: u64,
    threads: usize,
) -> aicost::app::serve::state::Settings {
    aicost::app::serve::state::Settings {
        file,
        overrides: Vec::new(),
        allow_dirs: Vec::new(),
        trials: Some(trials),
        seed: Some(seed),
        fallback_seed: 1,
        threads: Some(threads),
    }
}

/// The workflows, models and stack of a budget-policy scenario, after its `[simulation]`,
/// `[budget]` and segments: one request of 1,000 output tokens, $0.01 on `big` (route `main`)
/// and $0.001 on `mini` (route `cheap`), then `policies`.
pub fn big_and_mini(policies: &str) -> String {
    format!(
        r#"
[[workflow]]
name = "draft"
[[workflow.step]]
name = "write"
route = "main"
input_tokens = 0
output_tokens = 1000

[[model]]
name = "big"
input_usd_per_mtok = 1
output_usd_per_mtok = 10

[[model]]
name = "mini"
input_usd_per_mtok = 0.1
output_usd_per_mtok = 1

[[stack]]
name = "plan"
[stack.route.main]
chain = [{{ model = "big" }}]
[stack.route.cheap]
chain = [{{ model = "mini" }}]
{policies}
"#
    )
}
