//! Prompt sizes counted from real prompts (tests/fixtures/prompts): `{ file }` and `{ folder }`
//! in a step, `validate` naming each file and its count, `aicost tokens`, counts that follow the
//! files, confinement, approximations marked as such, and docs/prompts.md run as written.

use std::path::{Path, PathBuf};

use aicost::model::dist::Dist;
use assert_cmd::cargo::cargo_bin_cmd;
use predicates::str::contains;

const FIXTURE: &str = "tests/fixtures/prompts";

fn aicost() -> assert_cmd::Command {
    let mut cmd = cargo_bin_cmd!("aicost");
    cmd.env("NO_COLOR", "1").env("AICOST_TODAY", "2026-11-23");
    cmd
}

/// The fixture copied into a fresh folder, so a test may change it.
fn copy_fixture() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("prompts");
    for sub in ["", "prompts", "inputs"] {
        std::fs::create_dir_all(root.join(sub)).unwrap();
        for e in std::fs::read_dir(Path::new(FIXTURE).join(sub)).unwrap() {
            let e = e.unwrap();
            if e.path().is_file() {
                std::fs::copy(e.path(), root.join(sub).join(e.file_name())).unwrap();
            }
        }
    }
    (dir, root)
}

fn step_dists(scenario: &Path) -> (Dist, Dist) {
    let loaded = aicost::load(scenario.to_str().unwrap()).unwrap();
    let step = &loaded.scenario.workflows[0].steps[0];
    (step.static_prefix_tokens.clone(), step.input_tokens.clone())
}

#[test]
fn hand_counted_files_in_o200k_and_cl100k() {
    // "hello" and " world" are one token each in both encodings: "hello world" is 2,
    // "hello world hello world" 4, "hello" 1.
    for model in ["gpt-4o", "gpt-4"] {
        aicost()
            .current_dir(FIXTURE)
            .args([
                "tokens",
                "inputs/01-greeting.txt",
                "inputs/02-twice.txt",
                "inputs/03-short.txt",
                "--model",
                model,
            ])
            .assert()
            .success()
            .stdout(contains("2  inputs/01-greeting.txt\n"))
            .stdout(contains("4  inputs/02-twice.txt\n"))
            .stdout(contains("1  inputs/03-short.txt\n"))
            .stdout(contains("7  total\n"));
    }
    aicost()
        .current_dir(FIXTURE)
        .args([
            "tokens",
            "inputs/01-greeting.txt",
            "--model",
            "openai/gpt-4o",
        ])
        .assert()
        .success()
        .stdout("2  inputs/01-greeting.txt\ntokenizer: o200k_base\n");
}

#[test]
fn a_step_counts_its_prompt_file_and_samples_its_folder_of_inputs() {
    let (prefix, input) = step_dists(&Path::new(FIXTURE).join("support.toml"));
    // The system prompt: what `aicost tokens` counts for the same file and model.
    let out = aicost()
        .current_dir(FIXTURE)
        .args(["tokens", "prompts/system.md", "--model", "gpt-4o"])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    let n: f64 = text.split_whitespace().next().unwrap().parse().unwrap();
    assert!(n > 40.0, "{text}");
    assert!(matches!(prefix, Dist::Fixed(x) if x == n), "{prefix:?}");
    // The folder: counts 2, 4 and 1, each equally likely. Mean 7/3, variance
    // (4 + 16 + 1)/3 − (7/3)² = 14/9.
    assert!((input.mean() - 7.0 / 3.0).abs() < 1e-12, "{input:?}");
    assert!((input.variance() - 14.0 / 9.0).abs() < 1e-12, "{input:?}");
    let Dist::Empirical { values, .. } = &input else {
        panic!("{input:?}")
    };
    assert_eq!(values, &[2.0, 4.0, 1.0]);
}

#[test]
fn validate_names_each_file_and_its_count_and_counts_follow_the_files() {
    let (_dir, root) = copy_fixture();
    let scenario = root.join("support.toml");
    aicost()
        .current_dir(&root)
        .args(["validate", "support.toml"])
        .assert()
        .success()
        .stdout(contains(
            "workflow[answer].step[reply].input_tokens: inputs/02-twice.txt 4 tokens\n",
        ))
        .stdout(contains(
            "workflow[answer].step[reply].input_tokens: mean 2.3 tokens over 3 files\n",
        ))
        .stdout(contains("static_prefix_tokens: prompts/system.md "))
        .stdout(contains("counted with o200k_base"));
    // An edited prompt and a new example input change the counts at the next load.
    std::fs::write(root.join("prompts/system.md"), "hello world").unwrap();
    std::fs::write(
        root.join("inputs/04-new.txt"),
        "hello world hello world hello",
    )
    .unwrap();
    let (prefix, input) = step_dists(&scenario);
    assert!(matches!(prefix, Dist::Fixed(x) if x == 2.0), "{prefix:?}");
    assert!((input.mean() - 12.0 / 4.0).abs() < 1e-12, "{input:?}");
    // The files are inputs of the scenario (what `serve` watches).
    let loaded = aicost::load(scenario.to_str().unwrap()).unwrap();
    let prompts: Vec<&Path> = loaded
        .inputs
        .iter()
        .filter(|f| f.role.starts_with("a prompt"))
        .map(|f| f.path.as_path())
        .collect();
    assert_eq!(prompts.len(), 5, "{prompts:?}");
    assert!(prompts.iter().any(|p| p.ends_with("prompts/system.md")));
    assert!(prompts.iter().any(|p| p.ends_with("inputs/04-new.txt")));
}

#[test]
fn bad_files_and_models_exit_2_with_the_reason() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("binary.bin"), b"ab\0cd").unwrap();
    std::fs::write(d.join("latin1.txt"), b"caf\xe9").unwrap();
    std::fs::write(d.join("ok.txt"), "hello").unwrap();
    for (args, said) in [
        (
            vec!["missing.txt"],
            "cannot count the tokens of `missing.txt`",
        ),
        (vec!["binary.bin"], "a binary file"),
        (vec!["latin1.txt"], "not UTF-8"),
        (vec!["."], "not a regular file"),
    ] {
        aicost()
            .current_dir(d)
            .arg("tokens")
            .args(args)
            .args(["--model", "gpt-4o"])
            .assert()
            .code(2)
            .stderr(contains(said));
    }
    aicost()
        .current_dir(d)
        .args(["tokens", "ok.txt", "--model", "gpt4o-mini"])
        .assert()
        .code(2)
        .stderr(contains(
            "model `gpt4o-mini` is not in the built-in catalog",
        ))
        .stderr(contains("did you mean"));
}

fn scenario_with(step_keys: &str, model: &str) -> String {
    format!(
        "name = \"s\"\n[[segment]]\nname = \"u\"\nusers = 10\nsessions_per_user_per_month = 1\n\
         [[workflow]]\nname = \"w\"\n[[workflow.step]]\nname = \"s\"\nroute = \"main\"\n{step_keys}\n\
         output_tokens = 100\n[[model]]\nname = \"{model}\"\n[[stack]]\nname = \"a\"\n\
         [stack.route.main]\nchain = [{{ model = \"{model}\" }}]\n"
    )
}

#[test]
fn paths_are_confined_and_mistakes_are_located() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::create_dir_all(d.join("project")).unwrap();
    std::fs::write(d.join("secret.txt"), "hello").unwrap();
    std::fs::write(d.join("project/p.md"), "hello").unwrap();
    for (keys, said) in [
        ("input_tokens = { file = \"../secret.txt\" }", "secret.txt"),
        ("input_tokens = { folder = \"..\" }", "folder"),
        (
            "input_tokens = { file = \"nope.md\" }",
            "cannot count the tokens of",
        ),
        (
            "input_tokens = 10\nreasoning_tokens = { file = \"p.md\" }",
            "`file` is read only in a step's static_prefix_tokens or input_tokens",
        ),
        (
            "input_tokens = { file = \"p.md\", p50 = 3 }",
            "`p50` cannot go with `file` or `folder`",
        ),
        (
            "input_tokens = { file = \"p.md\", folder = \".\" }",
            "cannot be given together",
        ),
    ] {
        std::fs::write(d.join("project/s.toml"), scenario_with(keys, "gpt-4o")).unwrap();
        aicost()
            .current_dir(d.join("project"))
            .args(["validate", "s.toml"])
            .assert()
            .code(2)
            .stderr(contains(said))
            .stderr(contains("s.toml:"));
    }
}

#[test]
fn a_tokenizer_that_is_not_public_is_an_approximation_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // 11 characters at Anthropic's 3.5 characters per token: 3.14…, counted as 4.
    std::fs::write(d.join("p.md"), "hello world").unwrap();
    std::fs::write(
        d.join("s.toml"),
        scenario_with(
            "static_prefix_tokens = { file = \"p.md\" }\ninput_tokens = 5",
            "claude-sonnet-4-5",
        ),
    )
    .unwrap();
    aicost()
        .current_dir(d)
        .args(["validate", "s.toml"])
        .assert()
        .success()
        .stdout(contains("p.md ≈ 4 tokens"))
        .stdout(contains("approximation: Anthropic"))
        .stderr(contains("counted from 1 file with an approximation"));
    // `model` counts with another model's tokenizer: exact again.
    std::fs::write(
        d.join("s.toml"),
        scenario_with(
            "static_prefix_tokens = { file = \"p.md\", model = \"gpt-4o\" }\ninput_tokens = 5",
            "claude-sonnet-4-5",
        ),
    )
    .unwrap();
    aicost()
        .current_dir(d)
        .args(["validate", "s.toml"])
        .assert()
        .success()
        .stdout(contains("p.md 2 tokens"))
        .stdout(contains("counted with o200k_base"));
}

/// docs/prompts.md as written: its scenario is the fixture's, and each `$ aicost …` line of its
/// console blocks, run in the fixture's folder, prints the lines shown under it.
#[test]
fn the_guide_runs_as_written() {
    let doc = std::fs::read_to_string("docs/prompts.md").unwrap();
    let fixture = std::fs::read_to_string(Path::new(FIXTURE).join("support.toml")).unwrap();
    let toml_block = doc
        .split("```toml\n")
        .nth(1)
        .and_then(|b| b.split("```").next())
        .unwrap();
    assert_eq!(toml_block, fixture);
    let mut ran = 0;
    for block in doc.split("```console\n").skip(1) {
        let block = block.split("```").next().unwrap();
        let mut commands: Vec<(String, String)> = Vec::new();
        for line in block.lines() {
            match line.strip_prefix("$ ") {
                Some(cmd) => commands.push((cmd.to_string(), String::new())),
                None => {
                    let last = commands.last_mut().expect("output after a command");
                    last.1 += line;
                    last.1.push('\n');
                }
            }
        }
        for (cmd, expected) in commands {
            let args: Vec<&str> = cmd.split_whitespace().collect();
            assert_eq!(args[0], "aicost");
            let out = aicost()
                .current_dir(FIXTURE)
                .args(&args[1..])
                .output()
                .unwrap();
            assert!(out.status.success(), "{cmd}");
            assert_eq!(String::from_utf8(out.stdout).unwrap(), expected, "{cmd}");
            ran += 1;
        }
    }
    assert_eq!(ran, 4);
}
