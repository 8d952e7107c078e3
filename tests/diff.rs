//! `aicost diff`: the keys that changed, and the forecast effect measured on common random numbers
//! (a change that does not touch a stack leaves its months exactly as they were).

mod common;

use common::aicost;
use std::path::Path;
use std::process::Command;

use predicates::str::contains;
use serde_json::Value;

const LAYERS: &str = "tests/fixtures/layers";
const SUMMARIZER: &str = "scenarios/support-summarizer.toml";
/// A tenth of the summarizer's agents: the same uncertainty, ten times cheaper to simulate.
const SMALLER: &str = "segment.agents.users={ low = 35, high = 45 }";

fn json(args: &[&str]) -> Value {
    let out = aicost()
        .arg("diff")
        .args(args)
        .args(["--format", "json"])
        .output()
        .unwrap();
    common::success_json(&out)
}

/// The entry of the list `d[list]` whose `field` is `value`.
fn entry<'a>(d: &'a Value, list: &str, field: &str, value: &str) -> &'a Value {
    d[list]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x[field] == value)
        .unwrap_or_else(|| panic!("no {list} entry with {field} {value} in {}", d[list]))
}

fn stack<'a>(d: &'a Value, name: &str) -> &'a Value {
    entry(d, "stacks", "name", name)
}

#[test]
fn keys_and_exact_effect_of_a_deterministic_change() {
    let d = json(&[
        &format!("{LAYERS}/base.toml"),
        &format!("{LAYERS}/child.toml"),
    ]);
    let paths: Vec<&str> = d["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["path"].as_str().unwrap())
        .collect();
    assert_eq!(
        paths,
        [
            "name",
            "budget.monthly_usd",
            "segment[agents].users",
            "workflow[nightly].path"
        ]
    );
    assert_eq!(d["keys"][2]["old"], "100");
    assert_eq!(d["keys"][2]["new"], "200");
    assert_eq!(d["keys"][3]["change"], "added");
    // $4.00 → $5.00 in every simulated month: +$2 of agents, −$1 of nightly work on the batch path.
    let s = stack(&d, "small");
    assert!((s["mean"]["delta"].as_f64().unwrap() - 1.0).abs() < 0.005);
    assert!(s["mean"]["standard_error"].as_f64().unwrap() < 1e-9);
    assert!((s["p95"]["delta"].as_f64().unwrap() - 1.0).abs() < 0.005);
    assert_eq!(s["breach_probability"]["delta"], 0.0);
}

#[test]
fn an_unchanged_stack_sees_the_same_months() {
    let dir = tempfile::tempdir().unwrap();
    let new = dir.path().join("new.toml");
    let text = std::fs::read_to_string(SUMMARIZER).unwrap();
    // gpt-4o gets 20% dearer output; gpt-4o-mini is untouched.
    let changed = text.replacen(
        "output_usd_per_mtok = 10.00",
        "output_usd_per_mtok = 12.00",
        1,
    );
    assert_ne!(text, changed);
    std::fs::write(&new, changed).unwrap();
    let d = json(&[
        SUMMARIZER,
        new.to_str().unwrap(),
        "--trials",
        "200",
        "--set",
        SMALLER,
    ]);
    let mini = stack(&d, "gpt-4o-mini");
    assert_eq!(mini["mean"]["delta"], 0.0);
    assert_eq!(mini["mean"]["standard_error"], 0.0);
    assert_eq!(mini["p95"]["delta"], 0.0);
    let big = stack(&d, "gpt-4o");
    let delta = big["mean"]["delta"].as_f64().unwrap();
    let se = big["mean"]["standard_error"].as_f64().unwrap();
    assert!(delta > 0.0 && delta > 4.0 * se, "{delta} ± {se}");
    // Common random numbers: the paired difference is far more precise than either forecast.
    let out = aicost()
        .args([
            "simulate", SUMMARIZER, "--trials", "200", "--format", "json",
        ])
        .args(["--set", SMALLER])
        .output()
        .unwrap();
    let sim: Value = serde_json::from_slice(&out.stdout).unwrap();
    let forecast_se = sim["stacks"][1]["mean_standard_error_usd"]
        .as_f64()
        .unwrap();
    assert!(
        se < forecast_se / 5.0,
        "paired SE {se} vs forecast SE {forecast_se}"
    );
    // Only output is dearer: the change is 20% of the output spend, trial by trial.
    let output_share = sim["stacks"][1]["cost_breakdown_usd"]["output"]
        .as_f64()
        .unwrap();
    assert!((delta - 0.2 * output_share).abs() < 1e-6 * output_share.max(1.0));
}

#[test]
fn identical_versions_show_no_change_in_markdown() {
    aicost()
        .args(["diff", SUMMARIZER, SUMMARIZER, "--trials", "50"])
        .args(["--set", SMALLER])
        .assert()
        .success()
        .stdout(contains(
            "### aicost: forecast change for `support-summarizer`",
        ))
        .stdout(contains("| stack | mean / month | Δ mean |"))
        .stdout(contains("No keys changed."));
}

fn git(dir: &Path, args: &[&str]) {
    let ok = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args([
            "-c",
            "user.name=aicost tests",
            "-c",
            "user.email=tests@example.com",
            "-c",
            "commit.gpgsign=false",
        ])
        .args(args)
        .status()
        .expect("git runs");
    assert!(ok.success(), "git {args:?}");
}

#[test]
fn base_ref_reads_the_old_version_from_git_with_its_extends() {
    if Command::new("git").arg("--version").output().is_err() {
        eprintln!("git is not installed; skipping");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path();
    std::fs::create_dir(repo.join("sub")).unwrap();
    for f in ["base.toml", "child.toml"] {
        std::fs::copy(Path::new(LAYERS).join(f), repo.join(f)).unwrap();
    }
    std::fs::copy(
        Path::new(LAYERS).join("sub/grandchild.toml"),
        repo.join("sub/grandchild.toml"),
    )
    .unwrap();
    git(repo, &["init", "-q"]);
    git(repo, &["add", "."]);
    git(repo, &["commit", "-qm", "scenarios"]);
    // The working tree now differs in the inherited file only.
    let base = std::fs::read_to_string(repo.join("base.toml")).unwrap();
    std::fs::write(
        repo.join("base.toml"),
        base.replace("output_usd_per_mtok = 10.0", "output_usd_per_mtok = 20.0"),
    )
    .unwrap();
    let out = aicost()
        .current_dir(repo)
        .args([
            "diff",
            "--base-ref",
            "HEAD",
            "sub/grandchild.toml",
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    let d = common::success_json(&out);
    assert_eq!(d["old"], "HEAD:sub/grandchild.toml");
    assert_eq!(
        d["keys"][0]["path"], "model[small].output_usd_per_mtok",
        "{}",
        d["keys"]
    );
    // 3,000 requests of 100 output tokens (1,000 of them at half price): +$1.00 × 2.5 = +$2.50.
    let s = stack(&d, "small");
    assert!(
        (s["mean"]["delta"].as_f64().unwrap() - 2.5).abs() < 0.005,
        "{s}"
    );
    aicost()
        .current_dir(repo)
        .args(["diff", "--base-ref", "no-such-ref", "child.toml"])
        .assert()
        .code(2)
        .stderr(contains(
            "`no-such-ref` names no commit of the git repository",
        ));
    // A file the revision does not hold.
    std::fs::write(repo.join("new.toml"), base).unwrap();
    aicost()
        .current_dir(repo)
        .args(["diff", "--base-ref", "HEAD", "new.toml"])
        .assert()
        .code(2)
        .stderr(contains("cannot read `new.toml` at git revision `HEAD`"));
}

#[test]
fn usage_errors_exit_2() {
    aicost()
        .args(["diff", SUMMARIZER])
        .assert()
        .code(2)
        .stderr(contains("--base-ref"));
    aicost().args(["diff"]).assert().code(2);
    aicost()
        .args(["diff", "--help"])
        .assert()
        .success()
        .stdout(contains("Examples:"));
}

/// `--base-ref` once read the whole of `git show`, whatever its size; it keeps the 64 MiB limit
/// of any scenario file.
#[test]
fn base_ref_keeps_the_size_limit_of_a_scenario() {
    if Command::new("git").arg("--version").output().is_err() {
        eprintln!("git is not installed; skipping");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path();
    let scenario = std::fs::read_to_string(Path::new(LAYERS).join("base.toml")).unwrap();
    let padding = "# padding\n".repeat((65 << 20) / 10);
    std::fs::write(repo.join("s.toml"), format!("{scenario}{padding}")).unwrap();
    git(repo, &["init", "-q"]);
    git(repo, &["add", "."]);
    git(
        repo,
        &["commit", "-qm", "a scenario with 65 MiB of comments"],
    );
    std::fs::write(repo.join("s.toml"), &scenario).unwrap();
    aicost()
        .current_dir(repo)
        .args(["diff", "--base-ref", "HEAD", "s.toml"])
        .assert()
        .code(2)
        .stderr(contains("cannot read `s.toml` at git revision `HEAD`"))
        .stderr(contains("larger than 64 MiB"));
}

/// The prompt fixture (tests/fixtures/prompts) committed to a fresh repository.
fn committed_prompts() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path();
    let fixture = Path::new("tests/fixtures/prompts");
    for sub in ["", "prompts", "inputs"] {
        std::fs::create_dir_all(repo.join(sub)).unwrap();
        for e in std::fs::read_dir(fixture.join(sub)).unwrap() {
            let e = e.unwrap();
            if e.path().is_file() {
                std::fs::copy(e.path(), repo.join(sub).join(e.file_name())).unwrap();
            }
        }
    }
    git(repo, &["init", "-q"]);
    git(repo, &["add", "."]);
    git(repo, &["commit", "-qm", "prompts"]);
    dir
}

fn key_change<'a>(d: &'a Value, path: &str) -> &'a Value {
    entry(d, "keys", "path", path)
}

/// With `--base-ref`, OLD's prompt files are read as committed at the revision, like the files
/// it extends, and the counts that changed are listed as changed keys: a pull request that only
/// edits a prompt shows its cost.
#[test]
fn base_ref_counts_the_prompts_as_committed() {
    if Command::new("git").arg("--version").output().is_err() {
        eprintln!("git is not installed; skipping");
        return;
    }
    let dir = committed_prompts();
    let repo = dir.path();
    // " Extra instructions." is 3 o200k tokens (" Extra", " instructions", "."), so 200 of them
    // add 600 tokens to the 55 of the committed system prompt.
    let system = std::fs::read_to_string(repo.join("prompts/system.md")).unwrap();
    let extra = " Extra instructions.".repeat(200);
    std::fs::write(repo.join("prompts/system.md"), format!("{system}{extra}")).unwrap();
    let added = aicost()
        .current_dir(repo)
        .args(["tokens", "prompts/system.md", "--model", "gpt-4o"])
        .output()
        .unwrap();
    let new_count: u64 = String::from_utf8_lossy(&added.stdout)
        .split_whitespace()
        .next()
        .unwrap()
        .parse()
        .unwrap();
    // A new example input in the folder: "hello" is one token.
    std::fs::write(repo.join("inputs/04-new.txt"), "hello").unwrap();
    let out = aicost()
        .current_dir(repo)
        .args([
            "diff",
            "--base-ref",
            "HEAD",
            "support.toml",
            "--trials",
            "200",
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    let d = common::success_json(&out);
    let prefix = key_change(&d, "workflow[answer].step[reply].static_prefix_tokens");
    assert_eq!(prefix["old"], "55", "{prefix}");
    assert_eq!(prefix["new"], new_count.to_string(), "{prefix}");
    assert_eq!(new_count, 655);
    let inputs = key_change(&d, "workflow[answer].step[reply].input_tokens.values");
    assert_eq!(inputs["old"], "[2, 4, 1]", "{inputs}");
    assert_eq!(inputs["new"], "[2, 4, 1, 1]", "{inputs}");
    // 2,000 users × 3 sessions a month, one request each, at gpt-4o's $2.50 per million input
    // tokens (no cache): each added token costs 6,000 × $2.5e-6 = $0.015 a month. The inputs'
    // mean falls from 7/3 to 8/4 tokens. The months are common to both versions, so the paired
    // change is that much per simulated request; its mean is within 4 standard errors.
    let per_token = 6_000.0 * 2.5e-6;
    let expected = per_token * ((new_count - 55) as f64 + (2.0 - 7.0 / 3.0));
    let mean = &stack(&d, "gpt-4o")["mean"];
    let (delta, se) = (
        mean["delta"].as_f64().unwrap(),
        mean["standard_error"].as_f64().unwrap(),
    );
    assert!(delta > 1.0, "{mean}");
    assert!(
        (delta - expected).abs() < 4.0 * se.max(1e-9),
        "{mean} vs {expected}"
    );
}
