//! The command line as a user drives it: every command, every output format, the exit codes, and
//! one test per class of user error (exit 2, a located message, a suggested fix).

mod common;

use common::aicost;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use predicates::prelude::*;
use predicates::str::contains;

const SUMMARIZER: &str = "scenarios/support-summarizer.toml";

#[test]
fn every_command_has_help_with_an_example() {
    for sub in [
        &[][..],
        &["simulate"],
        &["estimate"],
        &["validate"],
        &["init"],
    ] {
        aicost()
            .args(sub)
            .arg("--help")
            .assert()
            .success()
            .stdout(contains("Examples:"));
    }
    aicost()
        .arg("--version")
        .assert()
        .success()
        .stdout(contains("aicost"));
}

#[test]
fn usage_errors_exit_2() {
    aicost().assert().code(2);
    aicost()
        .args(["simulate"])
        .assert()
        .code(2)
        .stderr(contains("FILE"));
    aicost()
        .args(["simulate", SUMMARIZER, "--bogus"])
        .assert()
        .code(2);
    aicost().args(["frobnicate"]).assert().code(2);
    aicost()
        .args(["simulate", SUMMARIZER, "--trials", "0"])
        .assert()
        .code(2)
        .stderr(contains("--trials"));
    aicost()
        .args(["simulate", SUMMARIZER, "--threads", "0"])
        .assert()
        .code(2)
        .stderr(contains("--threads"));
    aicost()
        .args(["simulate", SUMMARIZER, "--format", "yaml"])
        .assert()
        .code(2);
}

#[test]
fn simulate_prints_a_table_per_stack() {
    aicost()
        .args(["simulate", SUMMARIZER, "--trials", "40", "--seed", "1"])
        .assert()
        .success()
        .stdout(contains("gpt-4o-mini"))
        .stdout(contains("Monthly spend"))
        .stdout(contains("Breach probability"))
        .stdout(contains("per accepted task"))
        .stdout(contains(" ± "))
        .stderr(predicate::str::is_empty());
}

#[test]
fn simulate_json_has_the_documented_keys() {
    let out = aicost()
        .args([
            "simulate", SUMMARIZER, "-n", "40", "--seed", "3", "--format", "json",
        ])
        .output()
        .unwrap();
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["scenario"], "support-summarizer");
    assert_eq!(v["trials"], 40);
    assert_eq!(v["seed"], 3);
    assert_eq!(v["engine"], "exact");
    let stack = &v["stacks"][1];
    assert_eq!(stack["name"], "gpt-4o");
    for key in ["mean", "sd", "p5", "p50", "p95", "p99", "cvar95"] {
        assert!(stack["monthly_spend_usd"][key].is_number(), "{key}");
    }
    for key in [
        "mean_standard_error_usd",
        "breach_probability",
        "cost_per_request_usd",
        "acceptance_rate",
        "cost_per_accepted_task_usd",
        "calls_per_request",
        "retry_cost_share",
        "escalation_share",
    ] {
        assert!(stack[key].is_number(), "{key}");
    }
    assert!(stack["cost_per_user_usd"]["mean"].is_number());
    assert!(stack["requests_per_month"]["mean"].is_number());
    assert_eq!(stack["alerts"].as_array().unwrap().len(), 3);
    assert!(stack["alerts"][0]["median_day"].is_number());
    let seg = &stack["segments"][0];
    assert_eq!(seg["name"], "agents");
    for key in ["mean", "p50", "p95", "p99"] {
        assert!(seg["cost_per_user_usd"][key].is_number(), "{key}");
    }
    for key in ["input", "cached_input", "cache_write", "output"] {
        assert!(stack["tokens"][key].is_number(), "{key}");
    }
    assert_eq!(stack["workflows"][0]["name"], "summarize");
    assert!(stack["workflows"][0]["monthly_spend_usd"]["p95"].is_number());
    assert!(stack["workflows"][0]["cost_per_request_usd"].is_number());
    assert_eq!(stack["models"][0]["name"], "gpt-4o");
}

#[test]
fn same_seed_gives_byte_identical_json_whatever_the_thread_count() {
    for (scenario, engine) in [
        (SUMMARIZER, "exact"),
        (SUMMARIZER, "fast"),
        ("scenarios/chatbot.toml", "auto"),
        ("scenarios/ecommerce-assistant.toml", "fast"),
    ] {
        let run = |threads: &str| {
            let out = aicost()
                .args(["simulate", scenario, "-n", "64", "--seed", "42"])
                .args(["--format", "json", "--engine", engine, "--threads", threads])
                .output()
                .unwrap();
            assert!(out.status.success(), "{scenario} --engine {engine}");
            out.stdout
        };
        let one = run("1");
        let json: serde_json::Value = serde_json::from_slice(&one).unwrap();
        if engine != "auto" {
            assert_eq!(json["engine"], engine, "{scenario}");
        }
        assert_eq!(one, run("2"), "{scenario} --engine {engine}");
        assert_eq!(one, run("3"), "{scenario} --engine {engine}");
    }
}

#[test]
fn out_writes_a_file_and_never_the_input() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("forecast.json");
    aicost()
        .args([
            "simulate", SUMMARIZER, "-n", "20", "--format", "json", "--out",
        ])
        .arg(&out)
        .assert()
        .success()
        .stdout(predicate::str::is_empty());
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    assert_eq!(v["trials"], 20);
    let input = dir.path().join("s.toml");
    std::fs::copy(SUMMARIZER, &input).unwrap();
    aicost()
        .args(["simulate", "-n", "5"])
        .arg(&input)
        .arg("--out")
        .arg(&input)
        .assert()
        .code(2)
        .stderr(contains("refusing to overwrite"));
    assert_eq!(
        std::fs::read_to_string(&input).unwrap(),
        std::fs::read_to_string(SUMMARIZER).unwrap()
    );
}

#[test]
fn estimate_shows_the_arithmetic() {
    aicost()
        .args(["estimate", "scenarios/chatbot.toml"])
        .assert()
        .success()
        .stdout(contains(
            "125,000 users × 4 sessions/user/month × 8 requests/session = 4,000,000 requests/month",
        ))
        .stdout(contains("350 tok × $2.5/Mtok = $0.000875\n"))
        .stdout(contains("200 tok × $10/Mtok = $0.002\n"))
        .stdout(contains("monthly total $11,500.00"));
    let out = aicost()
        .args(["estimate", "scenarios/chatbot.toml", "--format", "json"])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let monthly = v["stacks"][0]["monthly_usd"].as_f64().unwrap();
    assert!((monthly - 11_500.0).abs() < 0.005, "{monthly}");
}

#[test]
fn validate_prints_one_line() {
    for f in std::fs::read_dir("scenarios").unwrap() {
        let path = f.unwrap().path();
        aicost()
            .arg("validate")
            .arg(&path)
            .assert()
            .success()
            .stdout(contains("ok: ").and(contains("stack")))
            .stdout(predicate::function(|s: &str| s.lines().count() == 1));
    }
}

#[test]
fn init_writes_a_scenario_that_validates_and_simulates() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("new.toml");
    aicost().arg("init").arg(&path).assert().success();
    aicost().arg("validate").arg(&path).assert().success();
    aicost()
        .args(["simulate", "-n", "10"])
        .arg(&path)
        .assert()
        .success()
        .stdout(contains("small-first"));
    aicost()
        .arg("init")
        .arg(&path)
        .assert()
        .code(2)
        .stderr(contains("already exists").and(contains("--force")));
    aicost()
        .arg("init")
        .arg(&path)
        .arg("--force")
        .assert()
        .success();
    aicost().args(["init", "-"]).assert().success().stdout(
        contains("[[stack]]").and(predicate::str::starts_with("#:schema aicost.schema.json\n")),
    );
}

#[test]
fn init_points_editors_at_a_schema_that_exists() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("support.aicost.toml");
    aicost()
        .arg("init")
        .arg(&path)
        .assert()
        .success()
        .stderr(contains("aicost.schema.json"));
    let text = std::fs::read_to_string(&path).unwrap();
    assert_eq!(text.lines().next(), Some("#:schema aicost.schema.json"));
    let schema = std::fs::read_to_string(dir.path().join("aicost.schema.json")).unwrap();
    assert_eq!(schema, aicost::model::schema::to_json());

    // A schema the user changed is kept (and said so) unless --force.
    std::fs::write(dir.path().join("aicost.schema.json"), "{}").unwrap();
    let other = dir.path().join("other.toml");
    aicost()
        .arg("init")
        .arg(&other)
        .assert()
        .success()
        .stderr(contains("kept").and(contains("aicost schema --out")));
    assert_eq!(
        std::fs::read_to_string(dir.path().join("aicost.schema.json")).unwrap(),
        "{}"
    );

    // --schema names one elsewhere (a repository's docs/, a URL) and writes no file.
    let sub = dir.path().join("scenarios");
    std::fs::create_dir(&sub).unwrap();
    aicost()
        .arg("init")
        .arg(sub.join("new.toml"))
        .args(["--schema", "../docs/scenario.schema.json"])
        .assert()
        .success();
    let text = std::fs::read_to_string(sub.join("new.toml")).unwrap();
    assert!(text.starts_with("#:schema ../docs/scenario.schema.json\n"));
    assert!(!sub.join("aicost.schema.json").exists());
    aicost()
        .arg("validate")
        .arg(sub.join("new.toml"))
        .assert()
        .success();

    // The scenario and its schema cannot be one file.
    aicost()
        .arg("init")
        .arg(dir.path().join("aicost.schema.json"))
        .arg("--force")
        .assert()
        .code(2);
    aicost()
        .args(["init", "-", "--schema", "a\nb"])
        .assert()
        .code(2)
        .stderr(contains("--schema"));
}

#[test]
fn a_closed_pipe_is_not_an_error() {
    let mut child = Command::new(assert_cmd::cargo::cargo_bin!("aicost"))
        .args(["simulate", SUMMARIZER, "-n", "20", "--format", "json"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{out:?}");
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

// ---- user errors: exit 2, message, file:line:column, fix ------------------------------------

/// Write the summarizer with `from` replaced by `to`, validate it, and return (stderr, path).
fn broken(from: &str, to: &str) -> (String, PathBuf, tempfile::TempDir) {
    let text = std::fs::read_to_string(SUMMARIZER).unwrap();
    assert!(text.contains(from), "fixture text `{from}` not found");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.toml");
    std::fs::write(&path, text.replacen(from, to, 1)).unwrap();
    let out = aicost().arg("validate").arg(&path).output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    (String::from_utf8(out.stderr).unwrap(), path, dir)
}

/// Assert a located error: its message, `path:line:column` and a help line.
fn assert_error(from: &str, to: &str, message: &str, line_col: &str, help: &str) {
    let (stderr, path, _dir) = broken(from, to);
    assert!(
        stderr.contains(message),
        "message `{message}` missing from:\n{stderr}"
    );
    let location = format!("{}:{line_col}", path.display());
    assert!(
        stderr.contains(&location),
        "location `{location}` missing from:\n{stderr}"
    );
    assert!(
        stderr.contains(help),
        "help `{help}` missing from:\n{stderr}"
    );
}

#[test]
fn unknown_key_suggests_the_right_one() {
    assert_error(
        "validation_failure_rate = 0.05, max_attempts = 2 }]\n\n[[stack]]",
        "validation_failure_rat = 0.05, max_attempts = 2 }]\n\n[[stack]]",
        "unknown key `validation_failure_rat`",
        "58:35",
        "did you mean `validation_failure_rate`?",
    );
    assert_error(
        "weekend_factor = 0.3",
        "wekend_factor = 0.3",
        "unknown key `wekend_factor`",
        "26:1",
        "did you mean `weekend_factor`?",
    );
}

#[test]
fn wrong_types_are_named() {
    assert_error(
        "days = 30",
        "days = \"thirty\"",
        "expected a whole number",
        "14:8",
        "",
    );
    assert_error(
        "max_output_tokens = 700",
        "max_output_tokens = true",
        "expected a number, found boolean",
        "37:21",
        "",
    );
}

#[test]
fn negative_nan_and_infinite_numbers_are_rejected() {
    assert_error(
        "monthly_usd = 600",
        "monthly_usd = -600",
        "must be above 0",
        "18:15",
        "use a number",
    );
    assert_error(
        "monthly_usd = 600",
        "monthly_usd = nan",
        "finite",
        "18:15",
        "nan and inf",
    );
    assert_error(
        "sessions_per_user_per_day = 12",
        "sessions_per_user_per_day = inf",
        "finite",
        "24:29",
        "nan and inf",
    );
    assert_error(
        "sessions_per_user_per_day = 12",
        "sessions_per_user_per_day = -12",
        "cannot be negative",
        "24:29",
        "0 or a positive",
    );
}

#[test]
fn rates_must_lie_between_0_and_1() {
    assert_error(
        "validation_failure_rate = 0.05, max_attempts = 2 }]\n\n[[stack]]",
        "validation_failure_rate = 5, max_attempts = 2 }]\n\n[[stack]]",
        "is a rate and must lie between 0 and 1, got 5",
        "58:61",
        "0.05 for 5%",
    );
    assert_error(
        "[[workflow.step]]\nname = \"summary\"",
        "[[workflow.step]]\nname = \"summary\"\ncache_hit_rate = { p50 = 0.5, p95 = 0.9 }",
        "this distribution can take values outside 0..1",
        "34:18",
        "beta",
    );
}

#[test]
fn inconsistent_distributions_are_rejected() {
    assert_error(
        "users = { low = 350, high = 450 }",
        "users = { p50 = 450, p95 = 350 }",
        "`p95` (350) must be above `p50` (450)",
        "23:9",
        "",
    );
    assert_error(
        "users = { low = 350, high = 450 }",
        "users = { low = 400, high = 400 }",
        "must be above",
        "23:9",
        "plain number",
    );
    assert_error(
        "users = { low = 350, high = 450 }",
        "users = { dist = \"gamma\", mean = 400, sd = 40 }",
        "`sd` is not a parameter of this gamma distribution",
        "23:44",
        "`mean` and `cv`",
    );
}

#[test]
fn unknown_references_suggest_the_defined_name() {
    assert_error(
        "chain = [{ model = \"gpt-4o\", validation",
        "chain = [{ model = \"gpt4o\", validation",
        "unknown model `gpt4o`",
        "63:20",
        "did you mean `gpt-4o`?",
    );
    assert_error(
        "route = \"main\"",
        "route = \"mian\"",
        "no stack defines route `mian`",
        "34:9",
        "did you mean `main`?",
    );
    assert_error(
        "name = \"summarize\"",
        "name = \"summarize\"\nsegments = [\"agent\"]",
        "unknown segment `agent`",
        "30:13",
        "did you mean `agents`?",
    );
}

/// A typo in a model's `name` is reported at the name, with the name the chains use; the correct
/// reference is not told to use the typo.
#[test]
fn a_misspelt_model_name_is_reported_where_it_is_defined() {
    let (stderr, path, _dir) = broken("name = \"gpt-4o-mini\"", "name = \"gpt-4o-mni\"");
    assert!(
        stderr.contains("no chain uses model `gpt-4o-mni`, and the chains name `gpt-4o-mini`"),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!("{}:40:8", path.display())),
        "{stderr}"
    );
    assert!(
        stderr.contains("did you mean name = \"gpt-4o-mini\"?"),
        "{stderr}"
    );
    assert!(!stderr.contains("did you mean `gpt-4o-mni`"), "{stderr}");
    assert!(stderr.contains("1 error in"), "{stderr}");
}

/// A step without `route`, or a route no stack defines: the help names the routes there are.
#[test]
fn a_missing_route_lists_the_routes_the_stacks_define() {
    assert_error(
        "route = \"main\"\n",
        "",
        "missing key `route`",
        "32:1",
        "add `route = \"main\"`, the route the stacks define",
    );
    let (stderr, _, _dir) = broken("route = \"main\"", "route = \"summaries\"");
    assert!(
        stderr.contains("or use a route the stacks define: `main`"),
        "{stderr}"
    );
}

#[test]
fn a_stack_missing_a_route_is_named() {
    assert_error(
        "[stack.route.main]\nchain = [{ model = \"gpt-4o\",",
        "[stack.route.mains]\nchain = [{ model = \"gpt-4o\",",
        "stack `gpt-4o` does not define route `main`",
        "61:8",
        "rename it to `main`",
    );
}

#[test]
fn duplicate_names_are_rejected() {
    assert_error(
        "name = \"gpt-4o\"\nprovider",
        "name = \"gpt-4o-mini\"\nprovider",
        "duplicate model name `gpt-4o-mini`",
        "48:8",
        "rename one",
    );
}

#[test]
fn out_of_range_counts_are_rejected() {
    assert_error(
        "max_attempts = 2 }]\n\n[[stack]]",
        "max_attempts = 0 }]\n\n[[stack]]",
        "`max_attempts` must be between 1 and 100, got 0",
        "58:82",
        "1 means no retry",
    );
    assert_error(
        "max_attempts = 2 }]\n\n[[stack]]",
        "max_attempts = 1000000000 }]\n\n[[stack]]",
        "got 1000000000",
        "58:82",
        "",
    );
    assert_error(
        "trials = 10000",
        "trials = 0",
        "`trials` must be at least 1",
        "13:10",
        "10000",
    );
    assert_error(
        "trials = 10000",
        "trials = 1000000000000",
        "more than aicost will run",
        "13:10",
        "",
    );
    assert_error(
        "days = 30",
        "days = 0",
        "`days` must be between 1 and 31",
        "14:8",
        "",
    );
    assert_error(
        "days = 30",
        "days = 400",
        "`days` must be between 1 and 31",
        "14:8",
        "",
    );
    assert_error(
        "users = { low = 350, high = 450 }",
        "users = 1e13",
        "more than aicost models",
        "23:9",
        "",
    );
}

#[test]
fn empty_chains_and_workflows_without_steps_are_rejected() {
    assert_error(
        "chain = [{ model = \"gpt-4o\", validation_failure_rate = 0.05, max_attempts = 2 }]",
        "chain = []",
        "this chain is empty",
        "63:9",
        "at least one model",
    );
}

fn validate_file(path: &Path) -> (Option<i32>, String) {
    let out = aicost().arg("validate").arg(path).output().unwrap();
    (out.status.code(), String::from_utf8(out.stderr).unwrap())
}

#[test]
fn unreadable_inputs_get_clear_messages() {
    let dir = tempfile::tempdir().unwrap();
    let (code, err) = validate_file(&dir.path().join("missing.toml"));
    assert_eq!(code, Some(2));
    assert!(
        err.contains("cannot read") && err.contains("missing.toml"),
        "{err}"
    );

    let (code, err) = validate_file(dir.path());
    assert_eq!(code, Some(2));
    assert!(err.contains("is a directory"), "{err}");

    let empty = dir.path().join("empty.toml");
    std::fs::write(&empty, "\n  \n").unwrap();
    let (code, err) = validate_file(&empty);
    assert_eq!(code, Some(2));
    assert!(
        err.contains("the scenario file is empty") && err.contains("aicost init"),
        "{err}"
    );

    let json = dir.path().join("s.json");
    std::fs::write(&json, "{\"name\": \"x\"}\n").unwrap();
    let (code, err) = validate_file(&json);
    assert_eq!(code, Some(2));
    assert!(
        err.contains("s.json:1:1") && err.contains("looks like JSON"),
        "{err}"
    );

    let binary = dir.path().join("b.toml");
    std::fs::write(&binary, b"name = \"a\"\n\xff\xfe\x00garbage").unwrap();
    let (code, err) = validate_file(&binary);
    assert_eq!(code, Some(2));
    assert!(
        err.contains("the file is binary, not text") && err.contains("b.toml:2:1"),
        "{err}"
    );

    let syntax = dir.path().join("syntax.toml");
    std::fs::write(&syntax, "name = \"a\"\n[simulation\n").unwrap();
    let (code, err) = validate_file(&syntax);
    assert_eq!(code, Some(2));
    assert!(
        err.contains("invalid TOML") && err.contains("syntax.toml:2:"),
        "{err}"
    );
}

#[test]
fn missing_sections_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bare.toml");
    std::fs::write(&path, "name = \"bare\"\n").unwrap();
    let (code, err) = validate_file(&path);
    assert_eq!(code, Some(2));
    for what in ["[[segment]]", "[[workflow]]", "[[model]]", "[[stack]]"] {
        assert!(
            err.contains(&format!("the scenario defines no {what}")),
            "{err}"
        );
    }
}

#[test]
fn a_utf8_bom_is_accepted_with_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bom.toml");
    let mut bytes = b"\xEF\xBB\xBF".to_vec();
    bytes.extend(std::fs::read(SUMMARIZER).unwrap());
    std::fs::write(&path, bytes).unwrap();
    aicost()
        .arg("validate")
        .arg(&path)
        .assert()
        .success()
        .stderr(contains("byte-order mark"));
}

#[test]
fn implausible_prices_warn_but_do_not_fail() {
    let (_, path, _dir) = {
        let text = std::fs::read_to_string(SUMMARIZER)
            .unwrap()
            .replace("input_usd_per_mtok = 2.50", "input_usd_per_mtok = 0.0025");
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cheap.toml");
        std::fs::write(&path, text).unwrap();
        ((), path, dir)
    };
    aicost()
        .arg("validate")
        .arg(&path)
        .assert()
        .success()
        .stderr(contains("implausibly low").and(contains("per 1K tokens")));
}

#[test]
fn every_command_that_writes_a_file_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let html = d.join("brief.html");
    let trials = d.join("trials.csv");
    aicost()
        .args(["simulate", SUMMARIZER, "-n", "20", "--out"])
        .arg(&html)
        .arg("--trials-out")
        .arg(&trials)
        .assert()
        .success()
        .stderr(contains(format!("wrote {}", html.display())))
        .stderr(contains(format!("wrote {}", trials.display())));
    for (args, file) in [
        (&["estimate", SUMMARIZER][..], "estimate.txt"),
        (&["compare", SUMMARIZER, "-n", "20"], "compare.md"),
        (&["levers", SUMMARIZER, "-n", "20"], "levers.json"),
    ] {
        let out = d.join(file);
        aicost()
            .args(args)
            .arg("--out")
            .arg(&out)
            .assert()
            .success()
            .stderr(contains(format!("wrote {}", out.display())));
        assert!(out.exists(), "{file}");
    }
    // --quiet, and a report on standard output, say nothing.
    aicost()
        .args(["simulate", SUMMARIZER, "-n", "20", "-q", "--out"])
        .arg(&html)
        .assert()
        .success()
        .stderr(predicate::str::is_empty());
    aicost()
        .args(["estimate", SUMMARIZER, "--out", "-"])
        .assert()
        .success()
        .stderr(predicate::str::is_empty());
}

#[test]
fn compare_offers_only_the_formats_it_writes() {
    aicost()
        .args(["compare", "--help"])
        .assert()
        .success()
        .stdout(contains("markdown").and(contains("focus").not()));
    aicost()
        .args(["compare", SUMMARIZER, "--format", "focus"])
        .assert()
        .code(2)
        .stderr(contains("invalid value 'focus'"));
    aicost()
        .args(["simulate", "--help"])
        .assert()
        .success()
        .stdout(contains("focus"));
}
