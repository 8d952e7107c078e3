//! `extends` and `--set`: a scenario made of several texts forecasts exactly like the single file
//! it stands for, and a mistake in any of the texts is reported in that text.

mod common;

use common::aicost;
use std::path::Path;

use aicost::model::scenario::{LoadOptions, load_with};
use aicost::sim::estimate::estimate;
use common::assert_cents;
use predicates::prelude::PredicateBooleanExt;
use predicates::str::contains;

const DIR: &str = "tests/fixtures/layers";

fn load(file: &str, overrides: &[&str]) -> aicost::model::scenario::Loaded {
    let opts = LoadOptions {
        overrides: overrides.iter().map(|s| s.to_string()).collect(),
        ..Default::default()
    };
    match load_with(&Path::new(DIR).join(file), &opts) {
        Ok(l) => l,
        Err(e) => panic!("{file} should load:\n{e}"),
    }
}

/// Expected monthly spend of the deterministic fixture: every request is 1,000 input tokens at
/// $1/Mtok plus 100 output tokens at $10/Mtok = $0.002.
fn monthly(s: &aicost::model::Scenario) -> f64 {
    estimate(s).stacks[0].monthly_usd
}

#[test]
fn a_child_inherits_and_overrides_keys_and_named_elements() {
    let base = load("base.toml", &[]).scenario;
    // 100 agents × 10 requests + 1,000 nightly requests, all at $0.002.
    assert_cents("base", monthly(&base), 4.0);
    let child = load("child.toml", &[]).scenario;
    assert_eq!(child.name, "layered-child");
    assert_eq!(child.budget.as_ref().map(|b| b.monthly_usd), Some(200.0));
    assert_eq!(
        child.budget.as_ref().map(|b| b.alert_fractions.clone()),
        Some(vec![0.5, 1.0]),
        "keys the child does not mention are inherited"
    );
    assert_eq!(child.segments.len(), 2, "segments merge by name");
    assert_eq!(
        child.workflows[1].steps.len(),
        1,
        "the nightly step is inherited"
    );
    // 200 agents × 10 × $0.002 + 1,000 nightly requests at half price on the batch path.
    assert_cents("child", monthly(&child), 4.0 + 1.0);
    let r = common::simulate(&child, 3, 1);
    for spend in &r.stacks[0].spend {
        assert_cents("simulated child month", *spend, 5.0);
    }
}

#[test]
fn extends_chains_resolve_relative_to_each_file() {
    let g = load("sub/grandchild.toml", &[]).scenario;
    assert_eq!(g.name, "layered-grandchild");
    let names: Vec<&str> = g.segments.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["agents", "backfill", "interns"]);
    assert_cents("grandchild", monthly(&g), 5.0);
}

#[test]
fn overrides_change_the_forecast_like_an_edit_of_the_file() {
    let s = load(
        "child.toml",
        &[
            "segment.agents.users=400",
            "simulation.trials=7",
            "workflow[nightly].path=live",
        ],
    )
    .scenario;
    assert_eq!(s.simulation.trials, 7);
    assert_cents("overridden", monthly(&s), 400.0 * 10.0 * 0.002 + 2.0);
    let s = load(
        "child.toml",
        &["segment.agents.users={ dist = \"uniform\", min = 100, max = 300 }"],
    )
    .scenario;
    assert!(!s.segments[0].users.is_fixed());
    let s = load(
        "base.toml",
        &["stack.small.route.main.chain[0].validation_failure_rate=0.5"],
    )
    .scenario;
    assert_eq!(
        s.stacks[0].chains[0].links[0]
            .validation_failure_rate
            .dist
            .fixed_value(),
        Some(0.5)
    );
}

#[test]
fn a_mistake_in_an_inherited_file_is_reported_in_that_file() {
    aicost()
        .args(["validate", &format!("{DIR}/bad_child.toml")])
        .assert()
        .code(2)
        .stderr(contains("unknown key `sessions_per_user_per_mnth`"))
        .stderr(contains("--> tests/fixtures/layers/bad_base.toml:16:1"))
        .stderr(contains("key: segment[agents].sessions_per_user_per_mnth"))
        .stderr(contains("did you mean `sessions_per_user_per_month`?"));
}

#[test]
fn cyclic_and_missing_extends_are_clear_errors() {
    aicost()
        .args(["validate", &format!("{DIR}/cycle_a.toml")])
        .assert()
        .code(2)
        .stderr(contains("`extends` makes a cycle"))
        .stderr(contains("cycle_a.toml → tests/fixtures/layers/cycle_b.toml → tests/fixtures/layers/cycle_a.toml"))
        .stderr(contains("--> tests/fixtures/layers/cycle_b.toml:1:11"));
    aicost()
        .args(["validate", &format!("{DIR}/missing_base.toml")])
        .assert()
        .code(2)
        .stderr(contains(
            "cannot read `tests/fixtures/layers/no-such-base.toml`",
        ))
        .stderr(contains("--> tests/fixtures/layers/missing_base.toml:1:11"))
        .stderr(contains("relative to the file that contains `extends`"));
}

#[test]
fn override_mistakes_point_into_the_argument() {
    let child = format!("{DIR}/child.toml");
    aicost()
        .args(["validate", &child, "--set", "segment.agnets.users=5"])
        .assert()
        .code(2)
        .stderr(contains("no `segment` named `agnets`"))
        .stderr(contains("--> --set:1:9"))
        .stderr(contains("did you mean `agents`?"));
    aicost()
        .args(["validate", &child, "--set", "segment.agents.usres=5"])
        .assert()
        .code(2)
        .stderr(contains("unknown key `usres`"))
        .stderr(contains("--> --set:1:16"))
        .stderr(contains("did you mean `users`?"));
    aicost()
        .args(["estimate", &child, "--set", "segment.agents.users=-3"])
        .assert()
        .code(2)
        .stderr(contains("`users` cannot be negative"))
        .stderr(contains("--> --set:1:22"));
    aicost()
        .args(["simulate", &child, "--set", "simulation.trials=0"])
        .assert()
        .code(2)
        .stderr(contains("`trials` must be at least 1"));
    aicost()
        .args(["validate", &child, "--set", "budget"])
        .assert()
        .code(2)
        .stderr(contains("`path=value`"));
    aicost()
        .args(["validate", &child, "--set", "extends=x.toml"])
        .assert()
        .code(2)
        .stderr(contains("`extends` cannot be overridden"));
    for command in [&["init", "-"][..], &["prices", "list"], &["schema"]] {
        aicost()
            .args(command)
            .args(["--set", "name=x"])
            .assert()
            .code(2)
            .stderr(contains("reads no scenario"));
    }
    // `fit` would otherwise ignore the override silently, with or without --update.
    let log = "usage.csv"; // refused before anything is read
    for update in [&[][..], &["--update", &child]] {
        aicost()
            .args(["fit", log])
            .args(update)
            .args(["--set", "name=x"])
            .assert()
            .code(2)
            .stderr(contains("applies no overrides"));
    }
}

#[test]
fn overrides_work_on_every_command_that_reads_a_scenario() {
    let child = format!("{DIR}/child.toml");
    aicost()
        .args(["validate", &child, "--set", "segment.interns.users=1"])
        .assert()
        .code(2);
    aicost()
        .args(["estimate", &child, "--set", "segment.agents.users=400"])
        .assert()
        .success()
        .stdout(contains("400 users"));
    aicost()
        .args([
            "simulate",
            &child,
            "--set",
            "simulation.trials=3",
            "--format",
            "json",
        ])
        .assert()
        .success()
        .stdout(contains("\"trials\": 3"));
    // Every other command that reads a scenario applies the override before any work: a
    // mistake in it is reported in the argument.
    let plot_dir = tempfile::tempdir().unwrap();
    let plot_out = plot_dir.path().to_str().unwrap();
    for command in [
        &["levers", &child][..],
        &["sensitivity", &child],
        &["compare", &child, &child],
        &["plot", &child, "--out", plot_out],
        &["check", &child, "--fail-if", "mean > 1"],
        &["diff", &child, &child],
    ] {
        aicost()
            .args(command)
            .args(["--set", "segment.interns.users=1"])
            .assert()
            .code(2)
            .stderr(contains("--> --set"));
    }
}

/// A `[[contract]]` may have no `name`, and then an inheriting file's contracts cannot merge with
/// the base's: they replace them, which the loader says instead of dropping them silently.
#[test]
fn an_array_that_cannot_merge_by_name_replaces_the_inherited_one_with_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        "scenarios/ecommerce-assistant.toml",
        dir.path().join("base.toml"),
    )
    .unwrap();
    let contract =
        "[[contract]]\nprovider = \"anthropic\"\ncommitted_monthly_usd = 3000\ndiscount = 0.1\n";
    let child = dir.path().join("child.toml");
    std::fs::write(&child, format!("extends = \"base.toml\"\n\n{contract}")).unwrap();
    aicost()
        .arg("validate")
        .arg(&child)
        .assert()
        .success()
        .stderr(contains(
            "`[[contract]]` here replaces the 1 `[[contract]]` element inherited from the base file",
        ))
        .stderr(contains("child.toml:3:3"));
    // Named on both sides, they merge: no warning.
    let base = std::fs::read_to_string(dir.path().join("base.toml")).unwrap();
    let named = base.replacen("[[contract]]\n", "[[contract]]\nname = \"openai\"\n", 1);
    std::fs::write(dir.path().join("base.toml"), named).unwrap();
    std::fs::write(
        &child,
        format!(
            "extends = \"base.toml\"\n\n{}",
            contract.replace("[[contract]]\n", "[[contract]]\nname = \"anthropic\"\n")
        ),
    )
    .unwrap();
    aicost()
        .arg("validate")
        .arg(&child)
        .assert()
        .success()
        .stderr(contains("replaces").not());
}
