//! How results reach disk and pipes: files appear whole (a temporary file renamed into place) as
//! ordinary `0644` files, a reader that stops early (`| head -1`) is not an error, and no spelling
//! of the input's path lets an output replace it.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};

use assert_cmd::cargo::cargo_bin_cmd;
use predicates::str::contains;

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
            "charts",
            "estimate.txt",
            "new.toml",
            "report.json",
            "trials.csv"
        ]
    );
    for f in ["estimate.txt", "new.toml", "report.json", "trials.csv"] {
        assert_eq!(mode(&d.join(f)), 0o644, "{f}");
    }
    let charts = names_in(&d.join("charts"));
    let mut expected = aicost::report::charts::FILES.to_vec();
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
    let started = std::time::Instant::now();
    aicost()
        // A run of minutes with the exact engine, were it started.
        .args(["simulate", "-n", "5000", "--engine", "exact", "--out"])
        .arg(&base)
        .arg(&child)
        .assert()
        .code(2)
        .stderr(contains("refusing to overwrite the input file"));
    assert!(started.elapsed().as_secs() < 30, "{:?}", started.elapsed());
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
