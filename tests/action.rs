//! The GitHub Action (`action.yml`): its script, `scripts/pr-cost.py`, run on a recorded
//! `pull_request` payload against a local git repository and a fake GitHub API (no network),
//! with this build's `aicost`. The cases live in `tests/action/test_pr_cost.py`: one comment
//! created and then edited on the next push, the job summary, a failing, an undecided and a
//! broken check, a read-only token, a marker in someone else's comment, file names that look like
//! options, and names kept inside their Markdown code spans.
//!
//! Without `python3` the test says so and passes, unless `AICOST_REQUIRE_PYTHON` is set (CI).

use std::process::Command;

#[test]
fn the_action_script_comments_once_and_gates() {
    let python = Command::new("python3").arg("--version").output();
    if !python.is_ok_and(|o| o.status.success()) {
        assert!(
            std::env::var_os("AICOST_REQUIRE_PYTHON").is_none(),
            "python3 is required (AICOST_REQUIRE_PYTHON is set)"
        );
        eprintln!("skipped: python3 is not installed; the action's script needs it");
        return;
    }
    let out = Command::new("python3")
        .arg("tests/action/test_pr_cost.py")
        .env("AICOST", assert_cmd::cargo::cargo_bin!("aicost"))
        .output()
        .unwrap();
    let log = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{log}");
    // Every case ran: none was skipped for want of the binary.
    assert!(log.contains("Ran 10 tests"), "{log}");
    assert!(!log.contains("skipped"), "{log}");
}

/// The Python interpreter itself (`sys.executable`: not a wrapper script that would need a
/// shell from the PATH the test takes away).
fn python3() -> Option<std::path::PathBuf> {
    let out = Command::new("python3")
        .args(["-c", "import sys; print(sys.executable)"])
        .output()
        .ok()
        .filter(|o| o.status.success())?;
    let path = String::from_utf8(out.stdout).ok()?.trim().to_string();
    (!path.is_empty()).then(|| path.into())
}

/// With `install: false` and no aicost on the runner's PATH, the step ends in one GitHub
/// `::error::` line that says what to do, and fails; no Python traceback.
#[test]
fn without_aicost_on_the_path_the_action_says_so_and_fails() {
    let Some(python) = python3() else {
        assert!(
            std::env::var_os("AICOST_REQUIRE_PYTHON").is_none(),
            "python3 is required (AICOST_REQUIRE_PYTHON is set)"
        );
        eprintln!("skipped: python3 is not installed; the action's script needs it");
        return;
    };
    let empty = tempfile::tempdir().unwrap();
    let summary = empty.path().join("summary.md");
    let out = Command::new(python)
        .arg("scripts/pr-cost.py")
        .env_clear()
        .env("PATH", empty.path())
        .env("GITHUB_EVENT_NAME", "pull_request")
        .env("GITHUB_EVENT_PATH", "tests/action/pull_request.json")
        .env("GITHUB_STEP_SUMMARY", &summary)
        .env("INPUT_SCENARIOS", "scenarios/*.toml")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{out:?}");
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(!stderr.contains("Traceback"), "{stderr}");
    let error = stderr
        .lines()
        .find(|l| l.starts_with("::error::"))
        .unwrap_or_else(|| panic!("no ::error:: line in {stderr}"));
    assert!(
        error.contains("not on PATH") && error.contains("install: true"),
        "{error}"
    );
    // A name that is a path and does not exist is refused the same way.
    let out = Command::new(python3().unwrap())
        .arg("scripts/pr-cost.py")
        .env("AICOST", empty.path().join("aicost"))
        .env("GITHUB_EVENT_PATH", "tests/action/pull_request.json")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.starts_with("::error::") && !stderr.contains("Traceback"),
        "{stderr}"
    );
}
