//! `aicost check`: exit codes, rules over any JSON metric, budget-relative thresholds, and the
//! refusal to decide within two standard errors of a threshold.

mod common;

use common::aicost;
use predicates::prelude::PredicateBooleanExt;
use predicates::str::contains;
use serde_json::Value;

/// Deterministic: every trial costs exactly $4.00 (2,000 requests at $0.002); budget $100.
const EXACT: &str = "tests/fixtures/layers/base.toml";
const SUMMARIZER: &str = "scenarios/support-summarizer.toml";
/// A tenth of the summarizer's agents: the same shape of uncertainty, ten times cheaper to run.
const SMALLER: &str = "segment.agents.users={ low = 35, high = 45 }";

fn check(file: &str, rules: &[&str], extra: &[&str]) -> assert_cmd::assert::Assert {
    let mut cmd = aicost();
    cmd.args(["check", file]);
    for r in rules {
        cmd.args(["--fail-if", r]);
    }
    cmd.args(extra).assert()
}

#[test]
fn exit_0_when_every_rule_holds_and_1_when_one_fails() {
    check(
        EXACT,
        &["mean > 4.01", "p95 >= 4.5", "breach_probability > 0"],
        &[],
    )
    .code(0)
    .stdout(contains("3 checks: 0 failed, 0 undecided, 3 passed"));
    check(EXACT, &["mean > 4.01", "p95 >= 4"], &[])
        .code(1)
        .stdout(contains("FAIL"))
        .stdout(contains("monthly_spend_usd.p95 = $4.00 (threshold $4.00)"));
    check(EXACT, &["p95 > 0.03 * budget"], &[])
        .code(1)
        .stdout(contains("threshold $3.00"));
    check(EXACT, &["stack=small: cost_per_request_usd > $0.0019"], &[]).code(1);
    check(EXACT, &["acceptance_rate < 100%"], &[]).code(0);
}

#[test]
fn rules_reach_any_number_of_the_json_report() {
    let out = check(
        EXACT,
        &[
            "workflows[assist].monthly_spend_usd.mean > 2.5",
            "requests_per_month.mean != 2000",
            "tokens.output > 1e6",
        ],
        &["--format", "json"],
    )
    .code(0)
    .get_output()
    .stdout
    .clone();
    let v: Value = serde_json::from_slice(&out).unwrap();
    let outcomes = v["outcomes"].as_array().unwrap();
    assert_eq!(outcomes.len(), 3);
    assert!((outcomes[0]["value"].as_f64().unwrap() - 2.0).abs() < 0.005);
    assert_eq!(outcomes[0]["verdict"], "pass");
    assert_eq!(outcomes[1]["value"], 2000.0);
    assert_eq!(v["trials"], 200);
}

/// Mean monthly spend of stack `gpt-4o` and its standard error at 200 trials, seed 3.
fn measured_mean() -> (f64, f64) {
    let out = aicost()
        .args([
            "simulate", SUMMARIZER, "--trials", "200", "--seed", "3", "--format", "json",
        ])
        .args(["--set", SMALLER])
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let st = &v["stacks"][1];
    assert_eq!(st["name"], "gpt-4o");
    (
        st["monthly_spend_usd"]["mean"].as_f64().unwrap(),
        st["mean_standard_error_usd"].as_f64().unwrap(),
    )
}

#[test]
fn no_decision_within_two_standard_errors_of_the_threshold() {
    let (mean, se) = measured_mean();
    assert!(se > 0.0);
    let run = ["--trials", "200", "--seed", "3", "--set", SMALLER];
    let rule = |t: f64| format!("stack=gpt-4o: mean > {t}");
    // Half a standard error above the mean: too close to call.
    // Exit 3, not 2: a CI gate tells an uncertain forecast from a broken scenario or rule.
    check(SUMMARIZER, &[&rule(mean + 0.5 * se)], &run)
        .code(3)
        .stdout(contains("UNDECIDED"))
        .stdout(contains("raise --trials to about"))
        .stderr(contains("undecided: "))
        .stderr(contains("within 2 standard errors"))
        .stderr(contains("raise --trials to about"))
        .stderr(contains("error:").not());
    // With --format json too; the JSON on stdout says which rule.
    let out = check(
        SUMMARIZER,
        &[&rule(mean + 0.5 * se)],
        &[&run[..], &["--format", "json"]].concat(),
    )
    .code(3)
    .get_output()
    .stdout
    .clone();
    let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(v["outcomes"][0]["verdict"], "undecided", "{v}");
    // Three standard errors away on either side: decided.
    check(SUMMARIZER, &[&rule(mean + 3.0 * se)], &run).code(0);
    check(SUMMARIZER, &[&rule(mean - 3.0 * se)], &run).code(1);
    // A failing rule outweighs an undecided one.
    check(
        SUMMARIZER,
        &[&rule(mean + 0.5 * se), &rule(mean - 3.0 * se)],
        &run,
    )
    .code(1);
}

#[test]
fn user_errors_exit_2_with_the_rule_located() {
    check(EXACT, &["p96 > 3"], &[])
        .code(2)
        .stderr(contains("unknown metric `p96`"))
        .stderr(contains("--> --fail-if:1:1"))
        .stderr(contains("did you mean `p95`?"));
    check(EXACT, &["stack=smal: p95 > 3"], &[])
        .code(2)
        .stderr(contains("no stack named `smal`"))
        .stderr(contains("did you mean `small`?"));
    check(EXACT, &["p95 >> 3"], &[])
        .code(2)
        .stderr(contains("cannot read the threshold"));
    check(EXACT, &["p95 3"], &[])
        .code(2)
        .stderr(contains("no comparison operator"));
    check(EXACT, &["monthly_spend_usd > 3"], &[])
        .code(2)
        .stderr(contains("is not a number"))
        .stderr(contains("p95"));
    check(
        EXACT,
        &["p95 > budget"],
        &["--set", "budget.monthly_usd=-1"],
    )
    .code(2);
    aicost().args(["check", EXACT]).assert().code(2);
    check(EXACT, &["p95 > 3"], &["--trials", "0"])
        .code(2)
        .stderr(contains("--trials"));
}

#[test]
fn budget_rules_need_a_budget() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(EXACT).unwrap();
    let start = text.find("[budget]").unwrap();
    let end = text.find("[[segment]]").unwrap();
    let path = dir.path().join("no-budget.toml");
    std::fs::write(&path, format!("{}{}", &text[..start], &text[end..])).unwrap();
    let file = path.to_str().unwrap();
    check(file, &["p95 > 1.1 * budget"], &[])
        .code(2)
        .stderr(contains("the scenario has no [budget]"))
        .stderr(contains("--> --fail-if:1:7"));
    check(file, &["breach_probability > 0.05"], &[])
        .code(2)
        .stderr(contains("not defined"));
}

#[test]
fn help_has_examples() {
    aicost()
        .args(["check", "--help"])
        .assert()
        .success()
        .stdout(contains("Examples:"))
        .stdout(contains("--fail-if"));
}

/// The `aicost check` commands of docs/ci.md, each as (file, extra arguments, rules): the lines
/// from `aicost check FILE …` through the `--fail-if "RULE"` lines that continue it.
fn documented_gates() -> Vec<(String, Vec<String>, Vec<String>)> {
    let doc = std::fs::read_to_string("docs/ci.md").unwrap();
    let lines: Vec<&str> = doc.lines().collect();
    let mut gates = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let Some(at) = line.find("aicost check scenarios/") else {
            continue;
        };
        let mut words = line[at + "aicost check ".len()..]
            .split_whitespace()
            .filter(|w| *w != "\\");
        let file = words.next().unwrap().to_string();
        let extra: Vec<String> = words.map(str::to_string).collect();
        let rules: Vec<String> = lines[i + 1..]
            .iter()
            .map_while(|l| l.trim().strip_prefix("--fail-if \""))
            .map(|rest| rest[..rest.find('"').unwrap()].to_string())
            .collect();
        gates.push((file, extra, rules));
    }
    gates
}

/// The gates of the action in docs/ci.md, as (file, trials, rules): its `check:` file, its
/// `trials:` and the lines of its `fail-if: |` block.
fn documented_action_gates() -> Vec<(String, Vec<String>, Vec<String>)> {
    let doc = std::fs::read_to_string("docs/ci.md").unwrap();
    let lines: Vec<&str> = doc.lines().collect();
    let value = |from: usize, key: &str| {
        lines[from..]
            .iter()
            .take_while(|l| !l.starts_with("```"))
            .find_map(|l| l.trim().strip_prefix(key))
            .map(|v| v.trim().to_string())
    };
    let mut gates = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        if !line.trim_start().starts_with("- uses: ./") {
            continue;
        }
        let file = value(i, "check:").expect("the action's example has a check");
        let trials = value(i, "trials:").expect("the action's example has trials");
        let at = i + lines[i..]
            .iter()
            .position(|l| l.trim() == "fail-if: |")
            .unwrap();
        let indent = |l: &str| l.len() - l.trim_start().len();
        let rules: Vec<String> = lines[at + 1..]
            .iter()
            .take_while(|l| !l.trim().is_empty() && indent(l) > indent(lines[at]))
            .map(|l| l.trim().to_string())
            .collect();
        gates.push((file, vec!["--trials".to_string(), trials], rules));
    }
    gates
}

/// Every gate docs/ci.md shows passes on the shipped scenario it names, as a job would run it:
/// the command lines, and the rules the action is given.
#[test]
fn the_gates_in_the_ci_guide_pass_on_the_shipped_scenario() {
    let mut gates = documented_gates();
    assert_eq!(gates.len(), 2, "{gates:?}");
    let action = documented_action_gates();
    assert_eq!(action.len(), 1, "{action:?}");
    gates.extend(action);
    for (file, extra, rules) in gates {
        assert!(rules.len() >= 2, "{file}: {rules:?}");
        let rules: Vec<&str> = rules.iter().map(String::as_str).collect();
        let extra: Vec<&str> = extra.iter().map(String::as_str).collect();
        check(&file, &rules, &extra).code(0);
    }
}

/// A percentage is a share, never money: `p95 > 5%` once became a threshold of $0.05 and failed
/// every stack. A threshold that overflows to infinity once passed every stack.
#[test]
fn a_percentage_is_not_money_and_a_threshold_beyond_any_number_is_refused() {
    check(EXACT, &["p95 > 5%"], &[])
        .code(2)
        .stderr(contains(
            "`monthly_spend_usd.p95` is in dollars, but the threshold is a percentage",
        ))
        .stderr(contains("--> --fail-if:1:7"))
        .stderr(contains("`p95 > 5% * budget`"));
    // A percentage of the budget is dollars, and a probability may be a percentage.
    check(EXACT, &["p95 > 300% * budget"], &[])
        .code(0)
        .stdout(contains("threshold $300.00"));
    check(EXACT, &["breach_probability > 5%"], &[]).code(0);
    check(EXACT, &["p95 > 1e308 * budget"], &[])
        .code(2)
        .stderr(contains("beyond any number"))
        .stderr(contains("--> --fail-if:1:7"));
    check(EXACT, &["p95 > 1e300 * 1e300"], &[])
        .code(2)
        .stderr(contains("cannot read the threshold"));
}

/// The legal-drafting scenario cut down ten times: 150 and 50 users on a $1,500 budget and cap.
const LEGAL_SMALL: [&str; 12] = [
    "--set",
    "segment.firm-seats.users=150",
    "--set",
    "segment.trial.users=50",
    "--set",
    "budget.monthly_usd=1500",
    "--set",
    "budget.hard_cap_usd=1500",
    "--trials",
    "20",
    "--seed",
    "23",
];

#[test]
fn a_metric_with_a_standard_error_in_the_json_is_decided_with_it() {
    let file = "scenarios/legal-drafting.toml";
    let out = aicost()
        .args(["simulate", file, "--format", "json"])
        .args(LEGAL_SMALL)
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let p = &v["stacks"][0]["policies"];
    let change_se = p["spend_change_usd"]["standard_error"].as_f64().unwrap();
    assert!(change_se > 0.0, "{p}");
    let fired = &p["policies"][1];
    let fired_se = fired["probability_fired_standard_error"].as_f64().unwrap();
    let rules = [
        "policies.spend_change_usd.mean < 0",
        "policies.policies[pause-trial-summaries].probability_fired < 0.5",
    ];
    let out = check(
        file,
        &rules,
        &[&LEGAL_SMALL[..], &["--format", "json"]].concat(),
    )
    .get_output()
    .stdout
    .clone();
    let c: Value = serde_json::from_slice(&out).unwrap();
    let outcomes = c["outcomes"].as_array().unwrap();
    assert_eq!(
        outcomes[0]["standard_error"].as_f64(),
        Some(change_se),
        "{c}"
    );
    assert_eq!(
        outcomes[1]["standard_error"].as_f64(),
        Some(fired_se),
        "{c}"
    );
    check(file, &rules, &LEGAL_SMALL).stdout(contains("no standard error").not());
}
