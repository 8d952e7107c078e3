//! Every program in `examples/` is built and run, so the library calls they show keep working:
//! a new example without a case here fails the test.
//!
//! The examples are built by the same cargo, profile and target folder as this test (a no-op
//! when `cargo test` built them already), then run from the repository root.

use std::path::PathBuf;
use std::process::Command;

/// The folder cargo puts this profile's example binaries in: `target/<profile>/examples`.
fn examples_dir() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    // target/<profile>/deps/examples-HASH
    exe.parent().unwrap().parent().unwrap().join("examples")
}

fn build_examples() {
    let mut cargo = Command::new(env!("CARGO"));
    cargo.args(["build", "--examples", "--locked", "--quiet"]);
    if !cfg!(debug_assertions) {
        cargo.arg("--release");
    }
    let out = cargo.output().unwrap();
    assert!(
        out.status.success(),
        "cargo build --examples failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn run(name: &str, args: &[&str]) -> String {
    let out = Command::new(examples_dir().join(name))
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("example {name}: {e}"));
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "example {name} {args:?}: {:?}\n{stdout}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

fn aicost_json(args: &[&str]) -> serde_json::Value {
    let out = assert_cmd::cargo::cargo_bin_cmd!("aicost")
        .args(args)
        .args(["--format", "json", "-q"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    serde_json::from_slice(&out.stdout).unwrap()
}

/// forecast: the engine the command uses, and the command's figures. The chatbot (four million
/// requests a month) once ran on the exact engine here: 500 months took minutes.
fn forecast() {
    let stdout = run("forecast", &["scenarios/chatbot.toml", "2000"]);
    let cli = aicost_json(&["simulate", "scenarios/chatbot.toml", "-n", "2000"]);
    assert_eq!(cli["engine"], "fast");
    let seed = cli["seed"].as_u64().unwrap();
    let name = cli["scenario"].as_str().unwrap();
    assert!(
        stdout.starts_with(&format!(
            "{name}: 2000 simulated months, seed {seed}, fast engine\n"
        )),
        "{stdout}"
    );
    for stack in cli["stacks"].as_array().unwrap() {
        let name = stack["name"].as_str().unwrap();
        let m = &stack["monthly_spend_usd"];
        let line = stdout
            .lines()
            .find(|l| l.split_whitespace().next() == Some(name))
            .unwrap_or_else(|| panic!("{name} missing from:\n{stdout}"));
        for key in ["mean", "p50", "p95", "p99"] {
            let figure = format!("${:>10.2}", m[key].as_f64().unwrap());
            assert!(line.contains(&figure), "{name} {key} {figure}: {line}");
        }
    }
    // Without arguments: the shipped summarizer at its own trials.
    let stdout = run("forecast", &[]);
    assert!(
        stdout.contains("support-summarizer: 10000 simulated months"),
        "{stdout}"
    );
}

/// compare_stacks: a scenario validated from text, its stacks compared with a recommendation.
fn compare_stacks() {
    let stdout = run("compare_stacks", &["800"]);
    assert!(stdout.contains("small − large: $-"), "{stdout}");
    assert!(stdout.lines().count() >= 4, "{stdout}");
    let last = stdout.lines().last().unwrap();
    assert!(last.contains("small"), "{stdout}");
}

/// break_even: the shipped fine-tuning scenario's training job pays back within the year.
fn break_even() {
    let stdout = run("break_even", &["200"]);
    assert!(
        stdout.contains("fine-tuned against few-shot: $450.00 of training, paid back in month"),
        "{stdout}"
    );
    assert_eq!(stdout.lines().count(), 13, "{stdout}");
    assert!(stdout.contains("month 12: saved $"), "{stdout}");
}

#[test]
fn every_example_runs() {
    build_examples();
    let cases: &[(&str, fn())] = &[
        ("forecast", forecast),
        ("compare_stacks", compare_stacks),
        ("break_even", break_even),
    ];
    let mut found: Vec<String> = std::fs::read_dir("examples")
        .unwrap()
        .filter_map(|e| {
            let p = e.unwrap().path();
            (p.extension()? == "rs").then(|| p.file_stem().unwrap().to_string_lossy().into_owned())
        })
        .collect();
    found.sort();
    let mut tested: Vec<String> = cases.iter().map(|(n, _)| n.to_string()).collect();
    tested.sort();
    assert_eq!(
        found, tested,
        "every example needs a case in tests/examples.rs"
    );
    for (_, case) in cases {
        case();
    }
}
