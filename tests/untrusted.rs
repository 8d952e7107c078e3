//! Scenarios from people who may not be trusted, such as a pull request that CI forecasts: a file
//! a scenario names is read only if it is a regular file inside the scenario's folder tree (or
//! git work tree, or a folder given with `--allow-dir`); a file that does not look like a
//! scenario or a catalog is located in messages but never quoted; and a git revision is never
//! read as an option of git.

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

mod common;

const BASE: &str = "tests/fixtures/layers/base.toml";
/// A secret that must never appear in a message.
const SECRET: &str = "sk-live-7c1d3b0a";

/// Run aicost in `dir`; a run that waits forever (on a pipe without a writer) is killed after a
/// minute and fails the test.
fn run_in(dir: &Path, args: &[&str]) -> Output {
    let mut child = Command::new(assert_cmd::cargo::cargo_bin!("aicost"))
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env("AICOST_TEST_SECRET", SECRET)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            panic!("{args:?} still waits after a minute");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().unwrap()
}

fn refused(dir: &Path, args: &[&str], says: &[&str]) -> String {
    let out = run_in(dir, args);
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
    for s in says {
        assert!(err.contains(s), "{args:?}: no `{s}` in\n{err}");
    }
    assert!(!err.contains(SECRET), "{args:?} printed the secret:\n{err}");
    err
}

fn mkfifo(path: &Path) {
    let ok = Command::new("mkfifo").arg(path).status().unwrap();
    assert!(ok.success());
}

/// A folder holding a valid scenario `s.toml`, a plain-CSV log and a LiteLLM price file.
fn project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::copy(BASE, d.join("s.toml")).unwrap();
    std::fs::write(
        d.join("log.csv"),
        "timestamp,user,workflow,model,input_tokens,cached_tokens,output_tokens,status\n\
         2026-10-01T10:00:00Z,u1,assist,gpt-4o-mini,900,0,150,ok\n\
         2026-10-02T10:00:00Z,u2,assist,gpt-4o-mini,950,0,160,ok\n",
    )
    .unwrap();
    std::fs::copy(
        "tests/fixtures/litellm-excerpt.json",
        d.join("litellm.json"),
    )
    .unwrap();
    dir
}

/// A named pipe (FIFO) has no end until a writer comes, and a device such as `/dev/zero` has
/// none at all: as `extends`, `catalog`, `--set catalog=…`, the file `prices import` reads, its
/// `--only @list`, a log of `fit` or the scenario itself, each is refused before a byte is read.
#[cfg(unix)]
#[test]
fn pipes_and_devices_are_refused_before_they_are_read() {
    let dir = project();
    let d = dir.path();
    mkfifo(&d.join("pipe"));
    std::fs::write(d.join("ext.toml"), "extends = \"pipe\"\nname = \"x\"\n").unwrap();
    let base = std::fs::read_to_string(BASE).unwrap();
    std::fs::write(d.join("cat.toml"), format!("catalog = \"pipe\"\n{base}")).unwrap();
    let named_pipe = "it is a named pipe (FIFO), not a regular file";
    refused(d, &["validate", "ext.toml"], &[named_pipe, "ext.toml:1:11"]);
    refused(
        d,
        &["simulate", "cat.toml", "-n", "5"],
        &[named_pipe, "cat.toml:1:11"],
    );
    refused(
        d,
        &["validate", "s.toml", "--set", "catalog=pipe"],
        &[named_pipe, "--set"],
    );
    refused(d, &["validate", "pipe"], &[named_pipe]);
    refused(
        d,
        &["prices", "import", "litellm", "pipe", "--out", "-"],
        &[named_pipe],
    );
    refused(
        d,
        &[
            "prices",
            "import",
            "litellm",
            "litellm.json",
            "--only",
            "@pipe",
            "--out",
            "-",
        ],
        &[named_pipe],
    );
    refused(d, &["prices", "list", "--catalog", "pipe"], &[named_pipe]);
    refused(
        d,
        &["fit", "pipe"],
        &[named_pipe, "= help: give the path of a regular file"],
    );
    refused(d, &["fit", "log.csv", "--update", "pipe"], &[named_pipe]);
    refused(
        d,
        &["backtest", "--scenario", "s.toml", "--logs", "pipe"],
        &[named_pipe],
    );
    refused(
        d,
        &["fit", "/dev/zero"],
        &["it is a character device, not a regular file"],
    );
    refused(d, &["validate", "/dev/zero"], &["it is a character device"]);
    refused(
        d,
        &[
            "validate",
            "s.toml",
            "--set",
            "catalog=\"/dev/zero\"",
            "--allow-dir",
            "/dev",
        ],
        &["it is a character device"],
    );
}

/// A pipe the shell opened (`<(zcat log.gz)`) is still read: it has a writer, and it ends.
#[cfg(unix)]
#[test]
fn a_pipe_the_shell_opened_is_still_read() {
    let dir = project();
    let d = dir.path();
    let bin = assert_cmd::cargo::cargo_bin!("aicost");
    let out = Command::new("bash")
        .current_dir(d)
        .arg("-c")
        .arg(r#""$0" fit <(cat log.csv) --quiet && "$0" validate <(cat s.toml) && "$0" prices import litellm <(cat litellm.json) --quiet --out - >/dev/null"#)
        .arg(bin)
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("name = \"assist\"") && text.contains("ok: /dev/fd/"),
        "{text}"
    );
}

/// `extends` and `catalog` may not lead out of the scenario's folder tree (by `..`, an absolute
/// path or a symbolic link) unless `--allow-dir` names the folder; inside a git work tree, the
/// whole work tree is the scenario's.
#[cfg(unix)]
#[test]
fn files_a_scenario_names_stay_inside_its_tree() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::create_dir_all(d.join("proj/sub")).unwrap();
    std::fs::create_dir_all(d.join("shared")).unwrap();
    std::fs::copy(BASE, d.join("shared/base.toml")).unwrap();
    std::fs::copy(BASE, d.join("proj/base.toml")).unwrap();
    std::os::unix::fs::symlink("../shared/base.toml", d.join("proj/linked.toml")).unwrap();
    let child = |ext: &str| format!("extends = \"{ext}\"\nname = \"child\"\n");
    std::fs::write(d.join("proj/up.toml"), child("../shared/base.toml")).unwrap();
    std::fs::write(d.join("proj/link.toml"), child("linked.toml")).unwrap();
    std::fs::write(d.join("proj/sub/s.toml"), child("../base.toml")).unwrap();
    std::fs::write(
        d.join("proj/abs.toml"),
        child(&d.join("shared/base.toml").display().to_string()),
    )
    .unwrap();
    let base = std::fs::read_to_string(BASE).unwrap();
    std::fs::write(
        d.join("proj/env.toml"),
        format!("catalog = \"/proc/self/environ\"\n{base}"),
    )
    .unwrap();
    let p = d.join("proj");
    let outside = "which leads outside the folders this scenario may read";
    refused(
        &p,
        &["validate", "up.toml"],
        &[outside, "up.toml:1:11", "--allow-dir"],
    );
    refused(&p, &["validate", "abs.toml"], &[outside]);
    refused(
        &p,
        &["validate", "link.toml"],
        &[outside, "(through a symbolic link, to `"],
    );
    refused(&p, &["validate", "env.toml"], &[outside, "env.toml:1:11"]);
    // `--set catalog=…` has the same checks as the key in the file.
    refused(
        &p,
        &[
            "validate",
            "base.toml",
            "--set",
            "catalog=\"/proc/self/environ\"",
        ],
        &[outside, "--set", "--allow-dir"],
    );
    refused(
        &p,
        &[
            "validate",
            "base.toml",
            "--set",
            "catalog=\"../shared/base.toml\"",
        ],
        &[outside],
    );
    // Without git, a scenario's tree is its own folder: `sub/s.toml` cannot reach `..`.
    refused(&p, &["validate", "sub/s.toml"], &[outside]);
    // The folder allowed on the command line.
    let shared = d.join("shared").display().to_string();
    for f in ["up.toml", "link.toml", "abs.toml"] {
        let out = run_in(&p, &["validate", f, "--allow-dir", &shared]);
        assert_eq!(out.status.code(), Some(0), "{f}: {out:?}");
    }
    refused(
        &p,
        &["validate", "up.toml", "--allow-dir", "no-such-dir"],
        &["is not a folder"],
    );
    // In a git work tree, the work tree is the scenario's tree.
    assert!(
        Command::new("git")
            .current_dir(&p)
            .args(["init", "-q"])
            .status()
            .unwrap()
            .success()
    );
    let out = run_in(&p, &["validate", "sub/s.toml"]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    refused(&p, &["validate", "up.toml"], &[outside]);
}

/// A file that is not a scenario or a catalog, named by `extends`, `catalog` or the command line,
/// is reported by file, line and column, but none of its content is printed: in CI a pull request
/// could otherwise print a secret from the runner's files.
#[test]
fn a_file_that_is_not_a_scenario_is_never_quoted() {
    let dir = project();
    let d = dir.path();
    std::fs::write(d.join("secret.env"), format!("API_KEY={SECRET}\n")).unwrap();
    std::fs::write(d.join("secret.toml"), format!("api_key = \"{SECRET}\"\n")).unwrap();
    std::fs::write(
        d.join("secret.json"),
        format!("{{\"private_key\": \"{SECRET}\", \"n\": 1}}\n"),
    )
    .unwrap();
    std::fs::write(
        d.join("secret.ini"),
        format!("[default]\naws_secret_access_key = {SECRET}\n"),
    )
    .unwrap();
    let base = std::fs::read_to_string(BASE).unwrap();
    for (name, target) in [
        ("e1.toml", "secret.env"),
        ("e2.toml", "secret.toml"),
        ("e3.toml", "secret.json"),
        ("e4.toml", "secret.ini"),
    ] {
        std::fs::write(
            d.join(name),
            format!("extends = \"{target}\"\nname = \"x\"\n"),
        )
        .unwrap();
        let err = refused(
            d,
            &["validate", name],
            &[target, "does not look like a scenario"],
        );
        assert!(err.contains(&format!("--> {target}:")), "{err}");
    }
    for (name, target) in [
        ("c1.toml", "secret.env"),
        ("c2.toml", "secret.json"),
        ("c3.toml", "secret.toml"),
    ] {
        std::fs::write(d.join(name), format!("catalog = \"{target}\"\n{base}")).unwrap();
        refused(
            d,
            &["validate", name],
            &[target, "is not an aicost catalog"],
        );
    }
    for target in ["secret.env", "secret.toml", "secret.ini", "secret.json"] {
        refused(d, &["validate", target], &["does not look like a scenario"]);
        refused(
            d,
            &["prices", "list", "--catalog", target],
            &["is not an aicost catalog"],
        );
    }
    refused(
        d,
        &["fit", "log.csv", "--catalog", "secret.json"],
        &["is not an aicost catalog"],
    );
}

/// `--base-ref` is a revision, never an option of git: `--output=FILE` would make git write a
/// file and `--format=…` would change what it prints.
#[test]
fn a_git_revision_is_never_read_as_an_option() {
    let dir = project();
    let d = dir.path();
    common::commit_all(d);
    for rev in ["--output=pwn", "--format=%H", "-p", "--end-of-options"] {
        refused(
            d,
            &["diff", &format!("--base-ref={rev}"), "s.toml", "-n", "5"],
            &["it starts with `-`, so git would read it as an option"],
        );
    }
    refused(
        d,
        &[
            "diff",
            "--base-ref",
            "HEAD --output=pwn",
            "s.toml",
            "-n",
            "5",
        ],
        &["names no commit"],
    );
    assert!(!d.join("pwn").exists(), "git wrote a file");
    let out = run_in(d, &["diff", "--base-ref", "HEAD", "s.toml", "-n", "5"]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
}

/// A scenario whose every name is chosen by `names`: (scenario, segment, workflow, step, model,
/// stack, route).
fn named_scenario(names: [&str; 7]) -> String {
    let q = |s: &str| aicost::base::escape::toml_str(s);
    let [scenario, segment, workflow, step, model, stack, route] = names;
    format!(
        "name = {}\n[simulation]\ntrials = 50\nseed = 3\n[budget]\nmonthly_usd = 10\n\
         [[segment]]\nname = {}\nusers = 100\nsessions_per_user_per_month = 10\n\
         [[workflow]]\nname = {}\n[[workflow.step]]\nname = {}\nroute = {}\ninput_tokens = 1000\noutput_tokens = 100\n\
         [[model]]\nname = {}\nprovider = \"openai\"\ninput_usd_per_mtok = 1.0\noutput_usd_per_mtok = 10.0\n\
         [[stack]]\nname = {}\n[stack.route.{}]\nchain = [{{ model = {} }}]\n\
         [[stack]]\nname = \"plain\"\n[stack.route.{}]\nchain = [{{ model = {} }}]\n",
        q(scenario),
        q(segment),
        q(workflow),
        q(step),
        q(route),
        q(model),
        q(stack),
        q(route),
        q(model),
        q(route),
        q(model),
    )
}

/// Parse CSV and check that no text field would start a spreadsheet formula; returns the rows.
fn assert_no_formula(what: &str, text: &str) -> Vec<Vec<String>> {
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut rows = Vec::new();
    for rec in rdr.records() {
        let rec = rec.unwrap();
        for f in rec.iter() {
            let number = f.parse::<f64>().is_ok();
            assert!(
                number || !f.starts_with(['=', '+', '-', '@', '\t', '\r']),
                "{what}: the field `{f}` would run as a formula"
            );
        }
        rows.push(rec.iter().map(str::to_string).collect());
    }
    assert!(rows.len() > 1, "{what}: {text}");
    rows
}

/// Names that start with `=`, `+`, `-`, `@` reach every CSV aicost writes — `simulate -f csv`,
/// `compare -f csv`, `--trials-out`, FOCUS rows and `fit --aggregates-out` — with a leading
/// apostrophe, so a spreadsheet shows them instead of running them; numbers stay numbers, and
/// the aggregates read back to the same names.
#[test]
fn names_never_run_as_spreadsheet_formulas() {
    let dir = project();
    let d = dir.path();
    let names = [
        "=1+1",
        "+SUM(A1:A9)",
        "@cmd",
        "-step",
        "=HYPERLINK(\"http://x\",\"y\")",
        "-2+3",
        "route",
    ];
    std::fs::write(d.join("f.toml"), named_scenario(names)).unwrap();
    let stdout = |args: &[&str]| {
        let out = run_in(d, args);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {out:?}");
        String::from_utf8(out.stdout).unwrap()
    };
    let sim = stdout(&[
        "simulate",
        "f.toml",
        "--format",
        "csv",
        "--trials-out",
        "t.csv",
    ]);
    let rows = assert_no_formula("simulate -f csv", &sim);
    assert!(
        rows.iter().any(|r| r[0] == "'=1+1" && r[3] == "'-2+3"),
        "{sim}"
    );
    assert!(rows.iter().any(|r| r[5] == "'+SUM(A1:A9)"), "{sim}");
    let value = rows.iter().find(|r| r[4] == "monthly_spend_mean").unwrap();
    assert!(value[7].parse::<f64>().is_ok(), "{value:?}");
    let trials = std::fs::read_to_string(d.join("t.csv")).unwrap();
    let rows = assert_no_formula("--trials-out", &trials);
    assert!(rows.iter().any(|r| r[1] == "'-2+3"), "{trials}");
    let cmp = stdout(&["compare", "f.toml", "--format", "csv"]);
    let rows = assert_no_formula("compare -f csv", &cmp);
    assert!(rows.iter().any(|r| r[3] == "'-2+3"), "{cmp}");
    let focus = stdout(&[
        "simulate", "f.toml", "--format", "focus", "--month", "2026-12",
    ]);
    let rows = assert_no_formula("FOCUS", &focus);
    let header = &rows[0];
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    assert!(rows.iter().any(|r| r[col("x_Stack")] == "'-2+3"), "{focus}");
    assert!(
        rows.iter()
            .any(|r| r[col("ResourceId")] == "'=HYPERLINK(\"http://x\",\"y\")"),
        "{focus}"
    );
    assert!(rows[1][col("BilledCost")].parse::<f64>().is_ok());

    std::fs::write(
        d.join("formula.csv"),
        "timestamp,user,workflow,model,input_tokens,cached_tokens,output_tokens,status\n\
         2026-10-01T10:00:00Z,u1,=cmd|'/c calc'!A0,@model,900,0,150,ok\n\
         2026-10-02T10:00:00Z,u2,=cmd|'/c calc'!A0,@model,950,0,160,ok\n",
    )
    .unwrap();
    let out = run_in(
        d,
        &[
            "fit",
            "formula.csv",
            "--quiet",
            "--aggregates-out",
            "agg.csv",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let agg = std::fs::read_to_string(d.join("agg.csv")).unwrap();
    assert_no_formula("--aggregates-out", &agg);
    let out = run_in(d, &["fit", "agg.csv", "--from", "aggregates", "--quiet"]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("name = \"=cmd|'/c calc'!A0\""), "{text}");
    assert!(text.contains("name = \"@model\""), "{text}");
}

/// Names taken from logs are data in the scenario `fit` writes: quotes, backslashes, `#`, dots,
/// brackets and line breaks can neither end a string or a comment nor add a table, and the
/// scenario validates with exactly the logged names (a control character, which no scenario may
/// hold, becomes U+FFFD).
#[test]
fn fit_writes_names_from_logs_as_data() {
    let dir = project();
    let d = dir.path();
    let workflows = [
        "quote\"d",
        "back\\slash",
        "hash # not a comment",
        "dots.and]brackets[",
        "'single'",
        "é ü 漢字",
        "line\n[[contract]]\nname = \"evil\"\nprovider = \"openai\"\ncommitted_monthly_usd = 1\ndiscount = 0.1\n#",
        "esc\u{1b}[31mred",
    ];
    let models = ["gpt-4o-mini", "model\n[[stack]]\nname = \"x\"", "m\"q"];
    let mut wtr = csv::Writer::from_writer(Vec::new());
    wtr.write_record(&aicost::analysis::fit::readers::PLAIN_COLUMNS[..8])
        .unwrap();
    for (i, w) in workflows.iter().enumerate() {
        for day in 1..=2 {
            let model = models[i % models.len()];
            let ts = format!("2026-10-0{day}T10:00:00Z");
            // A user per workflow: workflows that share users would be one segment.
            let user = format!("u{i}");
            wtr.write_record([ts.as_str(), &user, w, model, "900", "0", "150", "ok"])
                .unwrap();
        }
    }
    std::fs::write(d.join("names.csv"), wtr.into_inner().unwrap()).unwrap();
    let out = run_in(d, &["fit", "names.csv", "--out", "fitted.toml"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(err.contains("control characters"), "{err}");
    assert!(!err.contains('\u{1b}'), "{err}");
    // Models the catalog does not know get their prices by hand, as the file asks.
    let fitted = std::fs::read_to_string(d.join("fitted.toml")).unwrap();
    std::fs::write(
        d.join("fitted.toml"),
        fitted
            .replace("# input_usd_per_mtok = …", "input_usd_per_mtok = 1")
            .replace("# output_usd_per_mtok = …", "output_usd_per_mtok = 2"),
    )
    .unwrap();
    let out = run_in(d, &["validate", "fitted.toml"]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let loaded = aicost::model::scenario::load(&d.join("fitted.toml")).unwrap();
    let s = &loaded.scenario;
    let clean = |n: &str| aicost::base::escape::sanitize_name(n).into_owned();
    let mut segments: Vec<String> = s.segments.iter().map(|x| x.name.clone()).collect();
    let mut expected: Vec<String> = workflows.iter().map(|w| clean(w)).collect();
    segments.sort();
    expected.sort();
    assert_eq!(segments, expected);
    let mut model_names: Vec<String> = s.models.iter().map(|m| m.name.clone()).collect();
    let mut expected: Vec<String> = models.iter().map(|m| clean(m)).collect();
    model_names.sort();
    expected.sort();
    assert_eq!(model_names, expected);
    assert!(
        loaded.document.get("contract").is_none(),
        "a contract was injected"
    );
    assert_eq!(s.stacks.len(), 1, "a stack was injected");

    // `--update` adds the same workflows to an existing scenario, names as data too.
    let out = run_in(
        d,
        &[
            "fit",
            "names.csv",
            "--update",
            "s.toml",
            "--out",
            "updated.toml",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    // Read as plain TOML: the models the catalog does not know still lack prices.
    let updated: toml::Table = std::fs::read_to_string(d.join("updated.toml"))
        .unwrap()
        .parse()
        .unwrap();
    let names: Vec<&str> = updated["workflow"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["name"].as_str().unwrap())
        .collect();
    for w in workflows {
        let name = clean(w);
        assert!(
            names
                .iter()
                .any(|n| *n == name || n.starts_with(&format!("{name}/"))),
            "{name:?} not in {names:?}"
        );
    }
    assert!(!updated.contains_key("contract"), "a contract was injected");
    assert_eq!(updated["stack"].as_array().unwrap().len(), 1);
}

/// No name may hold a control character: `validate` points at it. The bytes never reach the
/// terminal, and a description may still break lines.
#[test]
fn control_characters_in_names_are_refused_where_they_are() {
    let dir = project();
    let d = dir.path();
    let plain = ["s", "seg", "wf", "step", "m", "st", "r"];
    let cases = [
        (0, "scen\u{1b}]0;title\u{7}", "U+001B"),
        (1, "seg\rment", "U+000D"),
        (2, "work\nflow", "U+000A"),
        (3, "st\u{202e}ep", "U+202E"),
        (4, "mo\u{0}del", "U+0000"),
        (5, "stack\u{1b}[2J", "U+001B"),
        (6, "ro\u{7f}ute", "U+007F"),
    ];
    for (i, bad, code) in cases {
        let mut names = plain;
        names[i] = bad;
        std::fs::write(d.join("c.toml"), named_scenario(names)).unwrap();
        let out = run_in(d, &["validate", "c.toml"]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{bad:?}: {err}");
        assert!(
            err.contains(code) && err.contains("--> c.toml:"),
            "{bad:?}: {err}"
        );
        assert!(err.contains("= key: "), "{bad:?}: {err}");
        assert!(
            !err.chars().any(|c| c.is_control() && c != '\n'),
            "{bad:?}: a control character reached the terminal: {err:?}"
        );
    }
    let text = named_scenario(plain).replacen(
        "name = \"s\"",
        "name = \"s\"\ndescription = \"\"\"two\r\nlines\twith a tab\"\"\"",
        1,
    );
    std::fs::write(d.join("c.toml"), text).unwrap();
    let out = run_in(d, &["validate", "c.toml"]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let text = named_scenario(plain).replacen(
        "name = \"s\"",
        "name = \"s\"\ndescription = \"a\\u001bb\"",
        1,
    );
    std::fs::write(d.join("c.toml"), text).unwrap();
    refused(
        d,
        &["validate", "c.toml"],
        &["U+001B", "= key: description"],
    );
}

/// Messages about files that were not validated — log lines, the scenario `fit --update` edits, a
/// catalog — show control characters as escapes, never as bytes for the terminal.
#[test]
fn messages_about_other_files_escape_control_characters() {
    let dir = project();
    let d = dir.path();
    std::fs::write(
        d.join("esc.csv"),
        "timestamp,user,workflow,model,input_tokens,cached_tokens,output_tokens,status\n\
         2026-10-01T10:00:00Z,u1,assist,gpt-4o-mini,900,0,150,\u{1b}[2Jbad\n\
         2026-10-01T10:00:00Z,u1,assist,gpt-4o-mini,900,0,150,ok\n",
    )
    .unwrap();
    let base = std::fs::read_to_string(BASE).unwrap();
    std::fs::write(
        d.join("upd.toml"),
        base.replace(
            "[[stack]]\nname = \"small\"",
            "[[stack]]\nname = \"sm\\u001b[31mall\"",
        ),
    )
    .unwrap();
    let log = std::fs::read_to_string(d.join("log.csv")).unwrap();
    std::fs::write(d.join("small.csv"), log.replace("gpt-4o-mini", "small")).unwrap();
    std::fs::write(
        d.join("cat.json"),
        "{\"aicost_catalog\": 1, \"models\": {\"ev\\u001bil\": {\"input_usd_per_mtok\": 1, \"output_usd_per_mtok\": 2}}}\n",
    )
    .unwrap();
    std::fs::write(
        d.join("provider.json"),
        r#"{"aicost_catalog": 1, "models": {"x": {"provider": "open\u001bai", "input_usd_per_mtok": 1, "output_usd_per_mtok": 2}}}"#,
    )
    .unwrap();
    for args in [
        &["prices", "show", "x", "--catalog", "provider.json"][..],
        &["fit", "esc.csv", "--max-malformed", "0.9"],
        &["fit", "small.csv", "--update", "upd.toml"],
        &["fit", "log.csv", "--catalog", "cat.json"],
        &["prices", "list", "--catalog", "cat.json"],
        &[
            "validate",
            "s.toml",
            "--set",
            "segment[agents].name=\"x\\u001by\"",
        ],
    ] {
        let out = run_in(d, args);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!err.contains('\u{1b}'), "{args:?}: {err:?}");
        assert!(
            err.contains("\\u{1b}") || err.contains("U+001B"),
            "{args:?}: {err}"
        );
    }
}

/// The Markdown of `diff` stays one table row per key and per stack, whatever the names and
/// values hold (`|`, backticks, line breaks), and shows each exactly.
#[test]
fn diff_markdown_stays_a_table() {
    let dir = project();
    let d = dir.path();
    let names = ["s", "seg", "wf", "step", "m", "pipe | and `tick`", "r"];
    let old = named_scenario(names);
    std::fs::write(d.join("old.toml"), &old).unwrap();
    let new = old
        .replacen(
            "name = \"s\"",
            "name = \"s\"\ndescription = \"\"\"one\r\ntwo | three ``\"\"\"",
            1,
        )
        .replace("output_tokens = 100", "output_tokens = 200");
    std::fs::write(d.join("new.toml"), new).unwrap();
    let out = run_in(d, &["diff", "old.toml", "new.toml", "-n", "20"]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let md = String::from_utf8(out.stdout).unwrap();
    assert!(!md.contains('\r'), "{md:?}");
    let rows: Vec<&str> = md.lines().filter(|l| l.starts_with('|')).collect();
    // Every row of a table has as many cell separators as its header.
    let cells = |l: &str| l.replace("\\|", "").matches('|').count();
    let header = cells(rows[0]);
    for r in rows.iter().take_while(|r| !r.starts_with("| key")) {
        assert_eq!(cells(r), header, "{r}\n{md}");
    }
    let keys: Vec<&&str> = rows
        .iter()
        .skip_while(|r| !r.starts_with("| key"))
        .collect();
    assert!(keys.iter().all(|r| cells(r) == 4), "{md}");
    assert!(md.contains("`` pipe \\| and `tick` ``"), "{md}");
    assert!(
        keys.iter()
            .any(|r| r.contains("description") && r.contains("one\\u000D\\ntwo \\| three")),
        "{md}"
    );
}

/// Workflow names reach `simulate -f csv` as they are: `x y` and `x_y` stay two workflows, each
/// with its own rows, instead of both becoming `x_y`.
#[test]
fn workflow_names_keep_their_spaces_in_csv() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(
        d.join("s.toml"),
        "name = \"collide\"\n[simulation]\ntrials = 20\nseed = 3\n[budget]\nmonthly_usd = 10\n\
         [[segment]]\nname = \"seg a\"\nusers = 100\nsessions_per_user_per_month = 10\n\
         [[workflow]]\nname = \"x y\"\n[[workflow.step]]\nname = \"s\"\nroute = \"r\"\ninput_tokens = 1000\noutput_tokens = 100\n\
         [[workflow]]\nname = \"x_y\"\n[[workflow.step]]\nname = \"s\"\nroute = \"r\"\ninput_tokens = 2000\noutput_tokens = 100\n\
         [[model]]\nname = \"m\"\nprovider = \"openai\"\ninput_usd_per_mtok = 1.0\noutput_usd_per_mtok = 10.0\n\
         [[stack]]\nname = \"plain\"\n[stack.route.r]\nchain = [{ model = \"m\" }]\n",
    )
    .unwrap();
    let out = run_in(d, &["simulate", "s.toml", "-q", "--format", "csv"]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let text = String::from_utf8(out.stdout).unwrap();
    let rows = assert_no_formula("simulate -f csv", &text);
    for name in ["x y", "x_y"] {
        let n = rows
            .iter()
            .filter(|r| r[4] == "workflow_spend_mean" && r[5] == name)
            .count();
        assert_eq!(n, 1, "`{name}`:\n{text}");
    }
}

/// `fit --name` with a line break writes a scenario that validates: the character becomes U+FFFD,
/// as in logged names, and the quote and bracket stay inside the string.
#[test]
fn a_fit_name_with_control_characters_still_validates() {
    let dir = project();
    let d = dir.path();
    let out = run_in(
        d,
        &[
            "fit",
            "log.csv",
            "--name",
            "n\"]\n[[stack]]",
            "--out",
            "named.toml",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--name holds control characters"), "{err}");
    let text = std::fs::read_to_string(d.join("named.toml")).unwrap();
    assert!(
        text.contains("name = \"n\\\"]\u{FFFD}[[stack]]\""),
        "{text}"
    );
    let out = run_in(d, &["validate", "named.toml"]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
}
