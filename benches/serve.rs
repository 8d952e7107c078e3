//! One what-if update of `aicost serve` on every shipped scenario (`cargo bench --bench serve`).
//!
//! An update is what the server does when a control moves: load the scenario with the `--set`
//! lines of the controls, simulate it on the base's trials and seed, and compare each stack with
//! the base. Each figure is the median of several updates after one warm-up, at the trials
//! `serve` runs without `--trials` (the scenario's, at most 1,000) and one thread per core.
//! The control moved is the first of the page (a top driver where there is one), set 10% above
//! its start. The target is well under half a second on 2 cores.
//!
//! Each update is measured twice: computing every closed form of the fast engine again (`new`,
//! as a lone `aicost simulate` does, and as `serve` did before it kept them), and taking those
//! the base run computed (`kept`, as the server does): a control that leaves a workflow's
//! requests as they are (users, sessions, growth) recomputes none of them.
//!
//! The machine it runs on may be shared: beside the median wall time, the median CPU time of an
//! update (user + system, all threads) says what it costs whatever else runs; on 2 idle cores an
//! update takes at least half of it and at most all of it.
//!
//! `AICOST_BENCH_REPS` sets the updates per figure (default 5); `AICOST_BENCH_TRIALS` sets the
//! trials (default: those of `serve` without `--trials`); `AICOST_BENCH_ONLY=rag,ecommerce` keeps
//! the scenarios whose file name holds one of these.

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

/// CPU seconds this process has used, all threads.
fn cpu_seconds() -> f64 {
    let mut u = std::mem::MaybeUninit::<libc::rusage>::zeroed();
    // SAFETY: getrusage fills the struct it is given.
    let u = unsafe {
        libc::getrusage(libc::RUSAGE_SELF, u.as_mut_ptr());
        u.assume_init()
    };
    let t = |tv: libc::timeval| tv.tv_sec as f64 + tv.tv_usec as f64 / 1e6;
    t(u.ru_utime) + t(u.ru_stime)
}

fn main() {
    let trials: Option<u64> = std::env::var("AICOST_BENCH_TRIALS")
        .ok()
        .and_then(|v| v.parse().ok());
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("scenarios/")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    // `AICOST_BENCH_ONLY=rag,ecommerce`: only the scenarios whose file name holds one of these.
    if let Ok(only) = std::env::var("AICOST_BENCH_ONLY") {
        files.retain(|f| {
            let name = f.file_name().unwrap().to_string_lossy().into_owned();
            only.split(',').any(|o| name.contains(o))
        });
    }
    println!(
        "{:<34} {:>7} {:>7} {:>9} {:>9}  control moved",
        "scenario", "trials", "stacks", "wall", "CPU"
    );
    for file in files {
        let settings = Settings {
            file: file.clone(),
            overrides: Vec::new(),
            allow_dirs: Vec::new(),
            trials,
            seed: None,
            fallback_seed: 1,
            threads: None,
        };
        let snap = state::snapshot(&settings, 1, None);
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
        // An update as the server makes it.
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
        let (mut wall, mut cpu): (Vec<f64>, Vec<f64>) = (0..reps())
            .map(|_| {
                let (start, cpu0) = (Instant::now(), cpu_seconds());
                update();
                (start.elapsed().as_secs_f64(), cpu_seconds() - cpu0)
            })
            .unzip();
        wall.sort_by(f64::total_cmp);
        cpu.sort_by(f64::total_cmp);
        println!(
            "{:<34} {:>7} {:>7} {:>9.3} {:>9.3}  {}",
            file.file_name().unwrap().to_string_lossy(),
            base.trials,
            base.report.stacks.len(),
            wall[wall.len() / 2],
            cpu[cpu.len() / 2],
            control.id
        );
    }
}
