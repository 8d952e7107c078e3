//! Prompt sizes counted from real prompts (tests/fixtures/prompts): `{ file }` and `{ folder }`
//! in a step, `validate` naming each file and its count, `aicost tokens`, counts that follow the
//! files, confinement, approximations marked as such, and docs/prompts.md run as written.

mod common;

use std::path::{Path, PathBuf};

use aicost::model::dist::Dist;
use predicates::str::contains;

const FIXTURE: &str = "tests/fixtures/prompts";

fn aicost() -> assert_cmd::Command {
    let mut cmd = common::aicost_dated();
    cmd.env("NO_COLOR", "1");
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

/// Writes `s.toml` in `dir` (the step with `step_keys`, served by `model`) and validates it there.
fn validate_with(
    dir: &std::path::Path,
    step_keys: &str,
    model: &str,
) -> assert_cmd::assert::Assert {
    std::fs::write(dir.join("s.toml"), scenario_with(step_keys, model)).unwrap();
    aicost()
        .current_dir(dir)
        .args(["validate", "s.toml"])
        .assert()
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
        validate_with(&d.join("project"), keys, "gpt-4o")
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
    let validate = |prefix: &str| {
        validate_with(
            d,
            &format!("static_prefix_tokens = {prefix}\ninput_tokens = 5"),
            "claude-sonnet-4-5",
        )
        .success()
    };
    validate("{ file = \"p.md\" }")
        .stdout(contains("p.md ≈ 4 tokens"))
        .stdout(contains("approximation: Anthropic"))
        .stderr(contains("counted from 1 file with an approximation"));
    // `model` counts with another model's tokenizer: exact again.
    validate("{ file = \"p.md\", model = \"gpt-4o\" }")
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

/// A prompt path given with `--set` is read like one written in the file: relative to the
/// scenario's folder (not the current one) and confined to its tree, `--allow-dir` widening it.
#[test]
fn a_prompt_path_given_with_set_is_confined_like_the_files() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().canonicalize().unwrap();
    std::fs::create_dir_all(d.join("project")).unwrap();
    std::fs::create_dir_all(d.join("outside")).unwrap();
    std::fs::write(d.join("outside/secret.txt"), "hello").unwrap();
    std::fs::write(d.join("project/p.md"), "hello world").unwrap();
    std::fs::write(
        d.join("project/s.toml"),
        scenario_with("input_tokens = 5", "gpt-4o"),
    )
    .unwrap();
    let secret = d.join("outside/secret.txt");
    let set = |table: String| format!("workflow.w.step.s.static_prefix_tokens={table}");
    let mut refused = vec![
        format!("{{ file = \"{}\" }}", secret.display()),
        "{ file = \"../outside/secret.txt\" }".to_string(),
        format!("{{ folder = \"{}\" }}", d.join("outside").display()),
    ];
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink(&secret, d.join("project/link.txt")).unwrap();
        refused.push("{ file = \"link.txt\" }".to_string());
    }
    for table in &refused {
        aicost()
            .current_dir(d.join("project"))
            .args(["validate", "s.toml", "--set", &set(table.clone())])
            .assert()
            .code(2)
            .stderr(contains("leads outside the folders this scenario may read"))
            .stderr(contains("--> --set:1:"))
            .stderr(contains(format!(
                "--allow-dir {}",
                d.join("outside").display()
            )));
    }
    // Allowed, the secret is only counted: "hello" is one token.
    aicost()
        .current_dir(d.join("project"))
        .args(["validate", "s.toml", "--set", &set(refused[0].clone())])
        .args(["--allow-dir", d.join("outside").to_str().unwrap()])
        .assert()
        .success()
        .stdout(contains("secret.txt 1 token\n"));
    // Relative to the scenario's folder, from another current folder: "hello world" is 2 tokens.
    aicost()
        .current_dir(&d)
        .args(["validate", "project/s.toml"])
        .args(["--set", &set("{ file = \"p.md\" }".to_string())])
        .assert()
        .success()
        .stdout(contains("project/p.md 2 tokens\n"));
    // A missing file: the help names the folder the path is relative to.
    aicost()
        .current_dir(&d)
        .args(["validate", "project/s.toml"])
        .args(["--set", &set("{ file = \"nope.md\" }".to_string())])
        .assert()
        .code(2)
        .stderr(contains(
            "a path given with --set is relative to the scenario's folder (`project`)",
        ));
}

/// A table's `model` that neither the scenario, the catalog nor OpenAI's encodings know is an
/// error with a did-you-mean, as for `aicost tokens --model`.
#[test]
fn an_unknown_model_in_a_prompt_table_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("p.md"), "hello world").unwrap();
    for (model, said) in [
        ("mystery-9000", "neither a model of this scenario"),
        ("claude-sonet-4-5", "did you mean `claude-sonnet-4-5`?"),
    ] {
        let keys = format!(
            "static_prefix_tokens = {{ file = \"p.md\", model = \"{model}\" }}\ninput_tokens = 5"
        );
        validate_with(d, &keys, "gpt-4o")
            .code(2)
            .stderr(contains(format!("`model` names `{model}`")))
            .stderr(contains(said))
            .stderr(contains("s.toml:11:"));
    }
    // A model of the catalog that the scenario does not use counts with its tokenizer.
    validate_with(
        d,
        "static_prefix_tokens = { file = \"p.md\", model = \"gpt-4.1\" }\ninput_tokens = 5",
        "claude-sonnet-4-5",
    )
    .success()
    .stdout(contains("p.md 2 tokens"));
}

/// Two stacks whose first models count a prompt differently: one count prices both, so
/// validation says by how much the other model's tokenizer disagrees.
fn two_stacks(first: &str, second: &str) -> String {
    format!(
        "name = \"s\"\n[[segment]]\nname = \"u\"\nusers = 10\nsessions_per_user_per_month = 1\n\
         [[workflow]]\nname = \"w\"\n[[workflow.step]]\nname = \"s\"\nroute = \"main\"\n\
         static_prefix_tokens = {{ file = \"p.md\" }}\ninput_tokens = 5\noutput_tokens = 100\n\
         [[model]]\nname = \"{first}\"\n[[model]]\nname = \"{second}\"\n\
         [[stack]]\nname = \"a\"\n[stack.route.main]\nchain = [{{ model = \"{first}\" }}]\n\
         [[stack]]\nname = \"b\"\n[stack.route.main]\nchain = [{{ model = \"{second}\" }}]\n"
    )
}

#[test]
fn models_whose_tokenizers_disagree_on_a_prompt_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // "hello world": 2 o200k tokens; 11 characters at 3.5 per token for Claude, 4 tokens.
    std::fs::write(d.join("p.md"), "hello world").unwrap();
    std::fs::write(d.join("s.toml"), two_stacks("gpt-4o", "claude-sonnet-4-5")).unwrap();
    let out = aicost()
        .current_dir(d)
        .args(["validate", "s.toml"])
        .assert()
        .success()
        .stdout(contains("p.md 2 tokens"))
        .get_output()
        .clone();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("the prompt counts 2 tokens with `gpt-4o`'s tokenizer (o200k_base) but ≈4 with `claude-sonnet-4-5`'s (3.5 characters per token)"),
        "{err}"
    );
    assert!(
        err.contains("every stack is priced with the first count"),
        "{err}"
    );
    // The stacks reversed: Claude's count prices both, and gpt-4o's is named.
    std::fs::write(d.join("s.toml"), two_stacks("claude-sonnet-4-5", "gpt-4o")).unwrap();
    aicost()
        .current_dir(d)
        .args(["validate", "s.toml"])
        .assert()
        .success()
        .stdout(contains("p.md ≈ 4 tokens"))
        .stderr(contains(
            "counts ≈4 tokens with `claude-sonnet-4-5`'s tokenizer",
        ))
        .stderr(contains("but 2 with `gpt-4o`'s (o200k_base)"));
    // Two models of one encoding agree: no warning.
    std::fs::write(d.join("s.toml"), two_stacks("gpt-4o", "gpt-4.1")).unwrap();
    aicost()
        .current_dir(d)
        .args(["validate", "s.toml"])
        .assert()
        .success()
        .stdout(contains("0 warnings"));
}

/// The files of one folder may hold 16 MiB in all, like one file: counting hostile text is slow,
/// and a folder is counted at every load.
#[test]
fn a_prompt_folder_has_a_total_size_limit() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::create_dir_all(d.join("inputs")).unwrap();
    // Two files of 9 MiB each: each under the 16 MiB of a file, 18 MiB together.
    let nine = "a ".repeat(9 << 19);
    for f in ["a.txt", "b.txt"] {
        std::fs::write(d.join("inputs").join(f), &nine).unwrap();
    }
    validate_with(d, "input_tokens = { folder = \"inputs\" }", "gpt-4o")
        .code(2)
        .stderr(contains(
            "the 2 files of the folder `inputs` hold 18,874,368 bytes, more than the 16 MiB a prompt folder may hold in all",
        ))
        .stderr(contains("s.toml:11:"));
    // One of them alone passes.
    std::fs::remove_file(d.join("inputs/b.txt")).unwrap();
    aicost()
        .current_dir(d)
        .args(["validate", "s.toml"])
        .assert()
        .success();
}

/// What `validate` and the warnings say about prompts reads as written: separators in counts, a
/// large folder summarised, one "approximation" per message, an input-window warning at the part
/// that is long, and an `--allow-dir` that names a real folder.
#[test]
fn prompt_messages_read_naturally() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::create_dir_all(d.join("project/inputs")).unwrap();
    let p = d.join("project");
    // "hello" and " hello" are one o200k token each: 130,000 words, 130,000 tokens, beyond
    // gpt-4o's 128,000-token input window.
    let long = vec!["hello"; 130_000].join(" ");
    std::fs::write(p.join("long.md"), long).unwrap();
    for i in 0..25 {
        std::fs::write(p.join(format!("inputs/{i:02}.txt")), "hello").unwrap();
    }
    let out = validate_with(
        &p,
        "static_prefix_tokens = { file = \"long.md\" }\ninput_tokens = { folder = \"inputs\" }",
        "gpt-4o",
    )
    .success()
    .stdout(contains("long.md 130,000 tokens\n"))
    .stdout(contains("inputs/19.txt 1 token\n"))
    .stdout(contains(": … and 5 more files\n"))
    .stdout(contains(": mean 1.0 tokens over 25 files\n"))
    .get_output()
    .clone();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(!stdout.contains("inputs/20.txt"), "{stdout}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    // The window warning points at the static prefix (line 11), not at the inputs (line 12).
    assert!(
        stderr.contains("input window of `gpt-4o`") && stderr.contains("s.toml:11:24"),
        "{stderr}"
    );
    // One "approximation" in the warning of a ratio count.
    std::fs::write(p.join("p.md"), "hello world").unwrap();
    let out = validate_with(
        &p,
        "static_prefix_tokens = { file = \"p.md\" }\ninput_tokens = 5",
        "claude-sonnet-4-5",
    )
    .success()
    .stderr(contains(
        "4 tokens counted from 1 file with an approximation: Anthropic (not public)",
    ))
    .get_output()
    .clone();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("approximation: approximation"), "{stderr}");
    // `..` above the root is the root: the help allows `/etc`, never `/../etc`.
    let depth = p.canonicalize().unwrap().components().count() + 2;
    let up = "../".repeat(depth);
    let out = validate_with(
        &p,
        &format!("static_prefix_tokens = {{ file = \"{up}etc/hostname\" }}\ninput_tokens = 5"),
        "gpt-4o",
    )
    .code(2)
    .stderr(contains("leads outside the folders this scenario may read"))
    .get_output()
    .clone();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("pass `--allow-dir /etc`"), "{stderr}");
    assert!(!stderr.contains("--allow-dir /.."), "{stderr}");
}
