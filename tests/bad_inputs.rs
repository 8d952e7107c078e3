//! The bad-input corpus: every file in `tests/bad_inputs/` is one mistake people make when writing
//! a scenario (see `docs/reliability.md` for the list). Each is run through `aicost validate` and
//! `aicost simulate --trials 20`: the exit code is 2 (0 for the files named `ok-*`, which are
//! accepted with a warning), nothing panics, the message points at `file:line:column` wherever
//! the mistake has a place in the file, it suggests a fix, and it matches its snapshot in
//! `tests/snapshots/bad_inputs__*.snap`.
//!
//! Unreadable paths (a directory, a missing file, a file without read permission) cannot live in
//! git; they are made at test time.

mod common;

use std::path::{Path, PathBuf};
use std::process::Output;

const CORPUS: &str = "tests/bad_inputs";

/// Mistakes about something absent from every file, which therefore have no location.
const NO_LOCATION: &[&str] = &["no-stacks.toml"];

fn aicost() -> assert_cmd::Command {
    let mut cmd = common::aicost();
    cmd.env("NO_COLOR", "1");
    cmd
}

fn corpus() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(CORPUS)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    files
}

/// Assert that a run ended by itself: an exit code that is not a panic's, and no panic message.
fn assert_no_panic(what: &str, out: &Output) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.code().is_some() && out.status.code() != Some(101),
        "{what}: killed or panicked ({:?})\n{stderr}",
        out.status
    );
    assert!(!stderr.contains("panicked"), "{what}: panicked\n{stderr}");
    assert!(
        !stderr.contains("RUST_BACKTRACE"),
        "{what}: panicked\n{stderr}"
    );
}

/// Whether `stderr` has a `--> NAME:LINE:COLUMN` line for a file of the corpus.
fn has_location(stderr: &str) -> bool {
    stderr.lines().any(|l| {
        let Some(rest) = l.trim_start().strip_prefix("--> ") else {
            return false;
        };
        let mut parts = rest.rsplitn(3, ':');
        let column = parts.next().unwrap_or("");
        let line = parts.next().unwrap_or("");
        let file = parts.next().unwrap_or("");
        !file.is_empty()
            && line.parse::<usize>().is_ok_and(|n| n >= 1)
            && column.parse::<usize>().is_ok_and(|n| n >= 1)
    })
}

#[test]
fn every_bad_input_is_refused_with_a_located_message_and_a_fix() {
    let files = corpus();
    assert!(files.len() >= 40, "only {} files in {CORPUS}", files.len());
    for path in &files {
        let name = path.file_name().unwrap().to_str().unwrap();
        let accepted = name.starts_with("ok-");
        let expected = if accepted { 0 } else { 2 };

        // Run from the corpus folder, so messages name the file as `NAME:LINE:COLUMN` whatever
        // the checkout's path.
        let out = aicost()
            .current_dir(CORPUS)
            .args(["validate", name])
            .output()
            .unwrap();
        assert_no_panic(&format!("validate {name}"), &out);
        let stderr = String::from_utf8(out.stderr.clone()).unwrap();
        assert_eq!(
            out.status.code(),
            Some(expected),
            "validate {name}: expected exit {expected}\n{stderr}"
        );
        if accepted {
            assert!(stderr.contains("warning:"), "{name}: no warning\n{stderr}");
        } else {
            assert!(stderr.starts_with("error: "), "{name}:\n{stderr}");
            if !NO_LOCATION.contains(&name) {
                assert!(
                    has_location(&stderr),
                    "{name}: no file:line:column\n{stderr}"
                );
                assert!(stderr.contains(name), "{name}: file not named\n{stderr}");
            }
        }
        assert!(
            stderr.contains("= help: "),
            "{name}: no fix suggested\n{stderr}"
        );
        // Whatever the file holds, nothing reaches the terminal that acts on it, and no line of
        // a file that is not a scenario (the fake secret in `extends/secret.env`) is quoted.
        assert!(
            !stderr.chars().any(|c| c.is_control() && c != '\n'),
            "{name}: a control character reached the terminal: {stderr:?}"
        );
        assert!(
            !stderr.contains("sk-live"),
            "{name}: quoted a secret\n{stderr}"
        );
        insta::assert_snapshot!(
            name.replace('.', "_"),
            format!("$ aicost validate {name}\nexit {}\n{stderr}", expected)
        );

        let out = aicost()
            .current_dir(CORPUS)
            .args(["simulate", name, "--trials", "20", "--quiet"])
            .output()
            .unwrap();
        assert_no_panic(&format!("simulate {name}"), &out);
        let sim_stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(
            out.status.code(),
            Some(expected),
            "simulate {name}: expected exit {expected}\n{sim_stderr}"
        );
        if !accepted {
            // The same problems, whichever command reads the file.
            assert_eq!(sim_stderr, stderr, "{name}: simulate and validate differ");
        }
    }
}

#[test]
fn unreadable_paths_are_refused_with_a_clear_message() {
    let dir = tempfile::tempdir().unwrap();

    let out = aicost().arg("validate").arg(dir.path()).output().unwrap();
    assert_no_panic("a directory", &out);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("is a directory, not a scenario file"), "{err}");
    assert!(err.contains("help: pass a .toml file"), "{err}");

    let missing = dir.path().join("missing.toml");
    let out = aicost().arg("validate").arg(&missing).output().unwrap();
    assert_no_panic("a missing file", &out);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("cannot read") && err.contains("missing.toml") && err.contains("No such file"),
        "{err}"
    );
    assert!(err.contains("= help: check the path"), "{err}");
}

/// A file the user may not read. Root reads any file, so as root the command runs as `nobody`
/// (through `setpriv`), which is what an unreadable file means to a person.
#[cfg(unix)]
#[test]
fn a_file_without_read_permission_is_refused() {
    use std::os::unix::fs::PermissionsExt;

    let dir = tempfile::tempdir().unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let path = dir.path().join("secret.toml");
    std::fs::copy("scenarios/support-summarizer.toml", &path).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o000)).unwrap();

    let bin = assert_cmd::cargo::cargo_bin!("aicost");
    let root = std::process::Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.trim_ascii() == b"0");
    let out = if root {
        if !Path::new("/usr/bin/setpriv").exists() && !Path::new("/bin/setpriv").exists() {
            eprintln!("skipped: running as root without setpriv to drop privileges");
            return;
        }
        std::process::Command::new("setpriv")
            .args(["--reuid=65534", "--regid=65534", "--clear-groups"])
            .arg(bin)
            .arg("validate")
            .arg(&path)
            .output()
            .unwrap()
    } else {
        std::process::Command::new(bin)
            .arg("validate")
            .arg(&path)
            .output()
            .unwrap()
    };
    assert_no_panic("an unreadable file", &out);
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("cannot read")
            && err.contains("secret.toml")
            && err.contains("Permission denied"),
        "{err}"
    );
    assert!(
        err.contains("= help: the file is not readable by this user"),
        "{err}"
    );
}
