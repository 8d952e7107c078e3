//! How results reach disk and pipes: files appear whole (a temporary file renamed into place) as
//! ordinary `0644` files, a reader that stops early (`| head -1`) is not an error, and no spelling
//! of the input's path lets an output replace it.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};

use assert_cmd::cargo::cargo_bin_cmd;
use predicates::str::contains;

mod common;

const SUMMARIZER: &str = "scenarios/support-summarizer.toml";

fn aicost() -> assert_cmd::Command {
    cargo_bin_cmd!("aicost")
}

fn names_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[cfg(unix)]
fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o7777
}

#[cfg(unix)]
#[test]
fn every_written_file_is_an_ordinary_0644_file_and_no_temporary_file_is_left() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    aicost()
        .args(["simulate", SUMMARIZER, "-n", "50", "--quiet", "--out"])
        .arg(d.join("report.json"))
        .arg("--trials-out")
        .arg(d.join("trials.csv"))
        .assert()
        .success();
    aicost()
        .args(["plot", SUMMARIZER, "-n", "50", "--out"])
        .arg(d.join("charts"))
        .assert()
        .success();
    aicost()
        .args(["estimate", SUMMARIZER, "--out"])
        .arg(d.join("estimate.txt"))
        .assert()
        .success();
    aicost()
        .arg("init")
        .arg(d.join("new.toml"))
        .assert()
        .success();
    assert_eq!(
        names_in(d),
        [
            "aicost.schema.json",
            "charts",
            "estimate.txt",
            "new.toml",
            "report.json",
            "trials.csv"
        ]
    );
    for f in [
        "aicost.schema.json",
        "estimate.txt",
        "new.toml",
        "report.json",
        "trials.csv",
    ] {
        assert_eq!(mode(&d.join(f)), 0o644, "{f}");
    }
    let charts = names_in(&d.join("charts"));
    let mut expected = aicost::render::charts::FILES.to_vec();
    expected.sort();
    assert_eq!(charts, expected);
    for f in charts {
        assert!(f.ends_with(".svg"), "{f}");
        assert_eq!(mode(&d.join("charts").join(&f)), 0o644, "{f}");
    }
}

/// `aicost … | head -1`: the reader takes one line and goes away while a large report is still
/// being written. The command stops quietly with exit code 0.
#[test]
fn a_reader_that_stops_after_one_line_is_not_an_error() {
    for format in ["html", "json", "csv"] {
        let mut child = Command::new(assert_cmd::cargo::cargo_bin!("aicost"))
            .args(["simulate", SUMMARIZER, "-n", "200", "--format", format])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut first = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut first)
            .unwrap();
        assert!(!first.is_empty(), "{format}: no first line");
        // The pipe closes here, with most of the report unread.
        let out = child.wait_with_output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{format}: {out:?}");
        assert!(
            out.stderr.is_empty(),
            "{format}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[cfg(unix)]
#[test]
fn a_shell_pipeline_into_head_exits_0() {
    let bin = assert_cmd::cargo::cargo_bin!("aicost");
    let out = Command::new("bash")
        .arg("-c")
        .arg(r#""$0" simulate "$1" -n 3000 --quiet --out /dev/null --trials-out - | head -1; echo "exit ${PIPESTATUS[0]}" >&2"#)
        .arg(bin)
        .arg(SUMMARIZER)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stdout.lines().count(), 1, "{stdout}");
    assert_eq!(stderr.trim(), "exit 0", "{stderr}");
    // `--out /dev/null` writes into the device; it must not put a regular file in its place.
    use std::os::unix::fs::FileTypeExt;
    let null = std::fs::symlink_metadata("/dev/null").unwrap().file_type();
    assert!(null.is_char_device(), "/dev/null is now {null:?}");
}

/// The input cannot be overwritten whichever output names it, however the path is spelled.
#[test]
fn no_output_replaces_the_input_scenario() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("s.toml");
    std::fs::copy(SUMMARIZER, &input).unwrap();
    let original = std::fs::read(&input).unwrap();
    let sub = dir.path().join("sub");
    std::fs::create_dir(&sub).unwrap();
    let roundabout = sub.join("..").join("s.toml");
    let mut spellings = vec![input.clone(), roundabout];
    #[cfg(unix)]
    {
        let link = dir.path().join("link.toml");
        std::os::unix::fs::symlink(&input, &link).unwrap();
        spellings.push(link);
    }
    for target in &spellings {
        for flag in ["--out", "--trials-out"] {
            aicost()
                .args(["simulate", "-n", "5", "--quiet"])
                .arg(&input)
                .arg(flag)
                .arg(target)
                .assert()
                .code(2)
                .stderr(contains("refusing to overwrite"));
        }
        for cmd in ["estimate", "levers", "sensitivity", "check"] {
            let mut c = aicost();
            c.arg(cmd).arg(&input).arg("--out").arg(target);
            if cmd == "check" {
                c.args(["--fail-if", "p95 > 1e12", "-n", "20"]);
            } else if cmd != "estimate" {
                c.args(["-n", "20"]);
            }
            c.assert().code(2).stderr(contains("refusing to overwrite"));
        }
    }
    assert_eq!(std::fs::read(&input).unwrap(), original);
}

/// A scenario that `extends` a base: the base is an input too, and the refusal comes before the
/// simulation, not after it.
#[test]
fn the_files_a_scenario_extends_are_protected_before_any_work() {
    let dir = tempfile::tempdir().unwrap();
    let base = dir.path().join("base.toml");
    std::fs::copy(SUMMARIZER, &base).unwrap();
    let child = dir.path().join("child.toml");
    std::fs::write(&child, "extends = \"base.toml\"\nname = \"child\"\n").unwrap();
    let original = std::fs::read(&base).unwrap();
    aicost()
        // A run of minutes with the exact engine, were it started.
        .args(["simulate", "-n", "5000", "--engine", "exact", "--out"])
        .arg(&base)
        .arg(&child)
        .assert()
        .code(2)
        .stderr(contains("refusing to overwrite the input file"));
    assert_eq!(std::fs::read(&base).unwrap(), original);
}

/// An output that cannot be written is a user error that names the file the user gave (not the
/// temporary file beside it) and says what to do.
#[test]
fn an_output_in_a_missing_directory_is_refused_with_a_fix() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("no-such-dir").join("report.json");
    let out = aicost()
        .args(["simulate", SUMMARIZER, "-n", "5", "--quiet", "--out"])
        .arg(&target)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("cannot write") && err.contains("report.json"),
        "{err}"
    );
    assert!(err.contains("No such file or directory"), "{err}");
    assert!(
        !err.contains(".aicost-"),
        "the temporary file is named: {err}"
    );
    assert!(err.contains("= help: create the directory"), "{err}");
}

/// A small plain-CSV usage log: two workflows on two days.
fn write_log(path: &Path) {
    let mut text = String::from(
        "timestamp,user,workflow,model,input_tokens,cached_tokens,output_tokens,status\n",
    );
    for day in 1..=3 {
        for u in 0..4 {
            text.push_str(&format!(
                "2026-10-0{day}T10:0{u}:00Z,u{u},summarize,gpt-4o-mini,{},0,{},ok\n",
                900 + 10 * u,
                150 + u
            ));
        }
    }
    std::fs::write(path, text).unwrap();
}

/// A scenario priced from a catalog file (`cat.json`) and extending a base (`base.toml`), with
/// a usage log and an `--only` list beside them, in a fresh folder.
fn project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    aicost()
        .args([
            "prices",
            "import",
            "litellm",
            "tests/fixtures/litellm-excerpt.json",
        ])
        .args(["--only", "gpt-4o-mini", "--quiet", "--out"])
        .arg(d.join("cat.json"))
        .assert()
        .success();
    std::fs::copy(SUMMARIZER, d.join("base.toml")).unwrap();
    std::fs::write(
        d.join("s.toml"),
        "extends = \"base.toml\"\ncatalog = \"cat.json\"\nname = \"child\"\n",
    )
    .unwrap();
    write_log(&d.join("log.csv"));
    std::fs::write(d.join("names.txt"), "gpt-4o-mini\n").unwrap();
    dir
}

/// Every command that reads a scenario, a catalog, a base, a log or a list refuses, before any
/// work, an output aimed at any of them; each file is left byte for byte as it was.
#[test]
fn no_command_writes_over_any_file_it_reads() {
    let dir = project();
    let d = dir.path();
    let before: Vec<(String, Vec<u8>)> = names_in(d)
        .into_iter()
        .map(|n| (n.clone(), std::fs::read(d.join(&n)).unwrap()))
        .collect();
    let cases = [
        (
            "simulate s.toml -n 5 --out cat.json",
            "the scenario's catalog",
        ),
        (
            "simulate s.toml -n 5 --trials-out cat.json",
            "the scenario's catalog",
        ),
        (
            "simulate s.toml -n 5 --format focus --out cat.json",
            "the scenario's catalog",
        ),
        ("estimate s.toml --out cat.json", "the scenario's catalog"),
        (
            "compare s.toml base.toml -n 5 --out cat.json",
            "the scenario's catalog",
        ),
        (
            "check s.toml --fail-if p95>1e9 -n 5 --out cat.json",
            "the scenario's catalog",
        ),
        (
            "fit log.csv --catalog cat.json --out cat.json",
            "the --catalog",
        ),
        (
            "fit log.csv --catalog cat.json --aggregates-out cat.json",
            "the --catalog",
        ),
        (
            "fit log.csv --update s.toml --out base.toml",
            "a file the scenario extends, read by --update",
        ),
        (
            "fit log.csv --update s.toml --aggregates-out base.toml",
            "a file the scenario extends, read by --update",
        ),
        (
            "fit log.csv --update s.toml --out cat.json",
            "the scenario's catalog, read by --update",
        ),
        ("fit log.csv --out log.csv", "a log"),
        (
            "backtest --scenario s.toml --logs log.csv -n 5 --out base.toml",
            "a file the scenario extends",
        ),
        (
            "backtest --scenario s.toml --logs log.csv -n 5 --out log.csv",
            "a log",
        ),
        (
            "diff base.toml s.toml -n 5 --out cat.json",
            "the scenario's catalog",
        ),
        ("diff base.toml s.toml -n 5 --out base.toml", "the scenario"),
        (
            "levers s.toml -n 5 --out base.toml",
            "a file the scenario extends",
        ),
        (
            "sensitivity s.toml -n 5 --svg base.toml",
            "a file the scenario extends",
        ),
        (
            "prices import litellm cat.json --only @names.txt --out names.txt",
            "the --only list",
        ),
        (
            "prices import litellm cat.json --out cat.json",
            "the file to import",
        ),
    ];
    for (line, role) in cases {
        let args: Vec<&str> = line.split_whitespace().collect();
        let out = aicost().current_dir(d).args(&args).output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(
            err.contains("refusing to overwrite the input file")
                && err.contains(&format!("({role})")),
            "{args:?}: {err}"
        );
        assert!(
            !err.contains(" lines from "),
            "{args:?} read the logs first: {err}"
        );
    }
    for (name, bytes) in before {
        assert_eq!(
            std::fs::read(d.join(&name)).unwrap(),
            bytes,
            "{name} changed"
        );
    }
    assert!(!names_in(d).iter().any(|n| n.starts_with(".aicost-")));
}

/// `diff --base-ref`: the new version's base on disk is an input too.
#[test]
fn diff_against_a_git_revision_protects_the_files_on_disk() {
    let dir = project();
    let d = dir.path();
    common::commit_all(d);
    let base = std::fs::read(d.join("base.toml")).unwrap();
    for target in ["base.toml", "cat.json", "s.toml"] {
        aicost()
            .current_dir(d)
            .args([
                "diff",
                "--base-ref",
                "HEAD",
                "s.toml",
                "-n",
                "5",
                "--out",
                target,
            ])
            .assert()
            .code(2)
            .stderr(contains("refusing to overwrite the input file"));
    }
    assert_eq!(std::fs::read(d.join("base.toml")).unwrap(), base);
}

/// Two outputs of one command aimed at one file: refused before any work, nothing written.
#[test]
fn two_outputs_of_one_command_never_share_a_file() {
    let dir = project();
    let d = dir.path();
    let cases: &[&[&str]] = &[
        &[
            "sensitivity",
            "s.toml",
            "-n",
            "5",
            "--out",
            "t.svg",
            "--svg",
            "t.svg",
        ],
        &[
            "sensitivity",
            "s.toml",
            "-n",
            "5",
            "--out",
            "t.svg",
            "--svg",
            "./sub/../t.svg",
        ],
        &[
            "fit",
            "log.csv",
            "--out",
            "f.toml",
            "--aggregates-out",
            "f.toml",
        ],
        &[
            "simulate",
            "s.toml",
            "-n",
            "5",
            "--out",
            "r.csv",
            "--trials-out",
            "r.csv",
        ],
        &["simulate", "s.toml", "-n", "5", "--trials-out", "-"],
        // Standard output is a pipe here: /dev/stdout is the same pipe.
        &[
            "simulate",
            "s.toml",
            "-n",
            "5",
            "--trials-out",
            "/dev/stdout",
        ],
    ];
    std::fs::create_dir(d.join("sub")).unwrap();
    for args in cases {
        aicost()
            .current_dir(d)
            .args(*args)
            .assert()
            .code(2)
            .stderr(contains("would both write to"));
    }
    for name in ["t.svg", "f.toml", "r.csv"] {
        assert!(!d.join(name).exists(), "{name} was written");
    }
}

/// Standard output redirected into a file the command reads (`>> log.csv`): refused, instead of a
/// report appended to a log the command is still reading.
#[cfg(unix)]
#[test]
fn standard_output_into_an_input_is_refused() {
    let dir = project();
    let d = dir.path();
    let before = std::fs::read(d.join("log.csv")).unwrap();
    let log = std::fs::OpenOptions::new()
        .append(true)
        .open(d.join("log.csv"))
        .unwrap();
    let out = Command::new(assert_cmd::cargo::cargo_bin!("aicost"))
        .current_dir(d)
        .args(["fit", "log.csv"])
        .stdout(log)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("standard output is redirected to it"), "{err}");
    assert_eq!(std::fs::read(d.join("log.csv")).unwrap(), before);
    // Every command that prints: the summary of `validate`, a listing, a report.
    for (args, file) in [
        (&["validate", "s.toml"][..], "s.toml"),
        (&["validate", "s.toml"], "base.toml"),
        (&["prices", "list", "--catalog", "cat.json"], "cat.json"),
        (
            &["prices", "show", "gpt-4o-mini", "--catalog", "cat.json"],
            "cat.json",
        ),
        (&["estimate", "s.toml"], "cat.json"),
        (
            &["prices", "import", "litellm", "cat.json", "--out", "-"],
            "cat.json",
        ),
    ] {
        let before = std::fs::read(d.join(file)).unwrap();
        let target = std::fs::OpenOptions::new()
            .append(true)
            .open(d.join(file))
            .unwrap();
        let out = Command::new(assert_cmd::cargo::cargo_bin!("aicost"))
            .current_dir(d)
            .args(args)
            .stdout(target)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?} >> {file}: {err}");
        assert!(err.contains("standard output is redirected to it"), "{err}");
        assert_eq!(std::fs::read(d.join(file)).unwrap(), before, "{file}");
    }
}

/// A symbolic link given as an output keeps pointing where it pointed: at an existing file (which
/// is replaced), at a file that does not exist yet (which is created, as the shell's `>` does),
/// never replaced by a file itself; a link that loops is refused.
#[cfg(unix)]
#[test]
fn a_link_given_as_output_keeps_pointing_where_it_pointed() {
    use std::os::unix::fs::symlink;
    let dir = project();
    let d = dir.path();
    std::fs::create_dir(d.join("reports")).unwrap();
    symlink("reports/new.json", d.join("dangling.json")).unwrap();
    symlink("dangling.json", d.join("chain.json")).unwrap();
    symlink("loop-b", d.join("loop-a")).unwrap();
    symlink("loop-a", d.join("loop-b")).unwrap();
    symlink("cat.json", d.join("to-input.json")).unwrap();
    symlink("missing-dir/x.json", d.join("nowhere.json")).unwrap();
    let run = |out: &str| {
        aicost()
            .current_dir(d)
            .args(["estimate", "s.toml", "--format", "json", "--out", out])
            .output()
            .unwrap()
    };
    let link = |p: &str| std::fs::read_link(d.join(p)).unwrap();

    let out = run("chain.json");
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert_eq!(link("chain.json"), Path::new("dangling.json"));
    assert_eq!(link("dangling.json"), Path::new("reports/new.json"));
    let written = std::fs::read_to_string(d.join("reports/new.json")).unwrap();
    assert!(written.contains("\"stacks\""), "{written}");

    let out = run("loop-a");
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("is a symbolic link that loops"));
    assert_eq!(link("loop-a"), Path::new("loop-b"));

    let out = run("to-input.json");
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("refusing to overwrite the input file"));

    let out = run("nowhere.json");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("missing-dir") && err.contains("create the directory"),
        "{err}"
    );
    assert_eq!(link("nowhere.json"), Path::new("missing-dir/x.json"));
    assert!(!names_in(d).iter().any(|n| n.starts_with(".aicost-")));
}

/// SIGTERM (or a second Ctrl-C) ends a run at once; the temporary file of `--trials-out` (and of
/// any output being written) is removed, not left behind to grow.
#[cfg(unix)]
#[test]
fn a_terminated_run_leaves_no_temporary_file() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    for signals in [
        &["-TERM"][..],
        &["-INT", "-INT"],
        &["-TERM", "-TERM"],
        &["-HUP"],
    ] {
        let mut child = Command::new(assert_cmd::cargo::cargo_bin!("aicost"))
            .args(["simulate", "scenarios/coding-assistant.toml", "--quiet"])
            .args(["--engine", "exact", "-n", "10000000", "--threads", "1"])
            .arg("--trials-out")
            .arg(d.join("trials.csv"))
            .arg("--out")
            .arg(d.join("report.json"))
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // Wait until the streamed file is being written.
        while !names_in(d).iter().any(|n| n.starts_with(".aicost-")) {
            assert!(child.try_wait().unwrap().is_none(), "the run ended early");
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        for s in signals {
            let sent = Command::new("kill")
                .arg(s)
                .arg(child.id().to_string())
                .status()
                .unwrap();
            assert!(sent.success());
        }
        let out = child.wait_with_output().unwrap();
        use std::os::unix::process::ExitStatusExt;
        assert_eq!(out.status.signal(), None, "{signals:?}: killed by a signal");
        assert!(
            matches!(out.status.code(), Some(0 | 130)),
            "{signals:?}: {out:?}"
        );
        let left: Vec<String> = names_in(d)
            .into_iter()
            .filter(|n| n.starts_with(".aicost-"))
            .collect();
        assert!(left.is_empty(), "{signals:?}: left {left:?}");
        for f in ["trials.csv", "report.json"] {
            let _ = std::fs::remove_file(d.join(f));
        }
    }
}
