//! Inputs that once crashed or exhausted a fuzz target (`fuzz/`), replayed through the same entry
//! points ([`aicost::app::fuzzing`]): each must now return without panicking. A new crash found by
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
                aicost::app::fuzzing::scenario(text);
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
            aicost::app::fuzzing::fit_logs,
        );
    }
}

/// The committed seeds of both fuzz targets run through the same entry points, and the seeds of
/// hostile names do what they stand for: names a spreadsheet or a TOML file could misread are
/// valid, control characters are refused, files outside the scenario's tree are not read.
#[test]
fn the_fuzz_seeds_run_through_the_entry_points() {
    for target in ["scenario", "fit_logs"] {
        let mut seeds: Vec<PathBuf> = std::fs::read_dir(format!("fuzz/corpus/{target}"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| {
                p.file_name()
                    .is_some_and(|n| n.to_string_lossy().starts_with("seed-"))
            })
            .collect();
        seeds.sort();
        assert!(seeds.len() >= 6, "{target}: {seeds:?}");
        for path in seeds {
            let bytes = std::fs::read(&path).unwrap();
            replay(&path.display().to_string(), &bytes, |b| match target {
                "scenario" => {
                    if let Ok(text) = std::str::from_utf8(b) {
                        aicost::app::fuzzing::scenario(text);
                    }
                }
                _ => aicost::app::fuzzing::fit_logs(b),
            });
        }
    }
    let load = |seed: &str| {
        let text = std::fs::read_to_string(format!("fuzz/corpus/scenario/{seed}")).unwrap();
        aicost::model::scenario::from_str(seed, &text)
    };
    assert!(load("seed-formula-and-quote-names.toml").is_ok());
    let err = load("seed-control-char-names.toml")
        .unwrap_err()
        .to_string();
    assert!(err.contains("holds the control character"), "{err}");
    let err = load("seed-extends-outside.toml").unwrap_err().to_string();
    assert!(err.contains("leads outside the folders"), "{err}");
}
