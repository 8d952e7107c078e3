//! Inputs that once crashed or exhausted a fuzz target (`fuzz/`), replayed through the same entry
//! points ([`aicost::fuzzing`]): each must now return without panicking. A new crash found by
//! `cargo fuzz run` goes into `tests/fuzz_regressions/<target>/` once fixed.

use std::path::PathBuf;

fn inputs(target: &str) -> Vec<PathBuf> {
    let dir = std::fs::read_dir(format!("tests/fuzz_regressions/{target}")).unwrap();
    let mut files: Vec<PathBuf> = dir
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no inputs for {target}");
    files
}

/// Run `f` on `input`, failing with the input's name if it panics.
fn replay(name: &str, input: &[u8], f: impl Fn(&[u8]) + std::panic::RefUnwindSafe) {
    let outcome = std::panic::catch_unwind(|| f(input));
    assert!(outcome.is_ok(), "{name} panicked");
}

#[test]
fn scenario_inputs_that_crashed_the_fuzzer_load_or_fail_cleanly() {
    for path in inputs("scenario") {
        let bytes = std::fs::read(&path).unwrap();
        replay(&path.display().to_string(), &bytes, |b| {
            if let Ok(text) = std::str::from_utf8(b) {
                aicost::fuzzing::scenario(text);
            }
        });
    }
}

#[test]
fn log_inputs_that_crashed_the_fuzzer_read_or_fail_cleanly() {
    for path in inputs("fit_logs") {
        let bytes = std::fs::read(&path).unwrap();
        replay(
            &path.display().to_string(),
            &bytes,
            aicost::fuzzing::fit_logs,
        );
    }
}
