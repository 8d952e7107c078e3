//! One what-if update of `aicost serve` on every shipped scenario (`cargo bench --bench serve`).
//!
//! An update is what the server does when a control moves: load the scenario with the `--set`
//! lines of the controls, simulate it on the base's trials and seed, and compare each stack with
//! the base. Each figure is the median of several updates after one warm-up, at the trials
//! `serve` runs without `--trials` (the scenario's, at most 1,000) and one thread per core.
//! The control moved is the first of the page (a top driver where there is one), set 10% above
//! its start. The target is well under half a second on 2 cores.
//!
//! `AICOST_BENCH_REPS` sets the updates per figure (default 5).

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Instant;

use aicost::app::serve::controls;
use aicost::app::serve::state::{self, Settings};

fn reps() -> usize {
    std::env::var("AICOST_BENCH_REPS")
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|&n| n > 0)
        .unwrap_or(5)
}

fn main() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("scenarios/")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    println!(
        "{:<34} {:>7} {:>9} {:>10}  control moved",
        "scenario", "trials", "stacks", "update (s)"
    );
    for file in files {
        let settings = Settings {
            file: file.clone(),
            overrides: Vec::new(),
            allow_dirs: Vec::new(),
            trials: None,
            seed: None,
            fallback_seed: 1,
            threads: None,
        };
        let snap = state::snapshot(&settings, 1);
        let Ok(base) = &snap.outcome else {
            println!("{}: does not load", file.display());
            continue;
        };
        let Some(control) = base.controls.first() else {
            println!("{}: no control", file.display());
            continue;
        };
        let value = if control.start == 0.0 {
            control.max / 10.0
        } else {
            (control.start * 1.1).min(control.max)
        };
        let sets = controls::sets_of(&base.controls, &[(control.id.clone(), value)])
            .expect("a control of the page");
        let update = || {
            let out = state::what_if(
                &settings,
                base,
                sets.clone(),
                Arc::new(AtomicBool::new(false)),
            )
            .expect("the what-if runs");
            assert!(matches!(out, state::WhatIf::Done { .. }));
        };
        update();
        let mut times: Vec<f64> = (0..reps())
            .map(|_| {
                let start = Instant::now();
                update();
                start.elapsed().as_secs_f64()
            })
            .collect();
        times.sort_by(f64::total_cmp);
        println!(
            "{:<34} {:>7} {:>9} {:>10.3}  {}",
            file.file_name().unwrap().to_string_lossy(),
            base.trials,
            base.report.stacks.len(),
            times[times.len() / 2],
            control.id
        );
    }
}
