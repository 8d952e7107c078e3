//! The closed forms `aicost serve` keeps between what-ifs never change a figure: on every shipped
//! scenario and every control of its page, a what-if that takes them from a cache warmed by the
//! base run and by the what-ifs before it answers byte for byte what the same what-if computing
//! every one again answers; and a change of what they are computed from (a price multiplier, a
//! model's price in the file, a model's price through `--set`) is never answered from the cache.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

mod common;

use aicost::app::serve::controls;
use aicost::app::serve::state::{self, Base, Settings, WhatIf};

/// Small and fixed: the figures are compared byte for byte, not against a closed form.
const TRIALS: u64 = 120;
const SEED: u64 = 7;

fn settings(file: PathBuf) -> Settings {
    common::serve_settings(file, TRIALS, SEED, 2)
}

/// The what-if's answer as the page receives it (its `--set` lines and per-stack figures), run
/// with `cache` (`None`: every closed form computed again).
fn answer(
    settings: &Settings,
    base: &Base,
    sets: &[String],
    cache: Option<Arc<aicost::sim::engine::fast::ExpectationCache>>,
) -> String {
    let out = state::what_if_with(
        settings,
        base,
        sets.to_vec(),
        Arc::new(AtomicBool::new(false)),
        cache,
    )
    .unwrap_or_else(|e| panic!("{sets:?}: {}", state::error_text(&e)));
    match out {
        WhatIf::Done {
            sets,
            stacks,
            partial,
        } => serde_json::to_string(&serde_json::json!({
            "sets": sets, "stacks": stacks, "partial": partial
        }))
        .unwrap(),
        WhatIf::Cancelled => panic!("{sets:?}: cancelled with nobody to cancel it"),
    }
}

/// A value of a control other than its start, within its range.
fn moved(c: &controls::Control) -> f64 {
    let up = if c.start == 0.0 {
        c.max / 2.0
    } else {
        (c.start * 1.5).min(c.max)
    };
    if up != c.start { up } else { c.min }
}

fn same_with_and_without(settings: &Settings, base: &Base, sets: &[String], what: &str) {
    let kept = answer(settings, base, sets, Some(Arc::clone(&base.expectations)));
    let fresh = answer(settings, base, sets, None);
    assert_eq!(kept, fresh, "{what}: {sets:?}");
}

#[test]
fn every_control_of_every_shipped_scenario_answers_the_same_with_the_cache() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    let mut checked = 0;
    let mut prices = 0;
    for file in files {
        let settings = settings(file.clone());
        let snap = state::snapshot(&settings, 1, None);
        let Ok(base) = &snap.outcome else {
            // A scenario `serve` shows as errors has no what-ifs.
            continue;
        };
        let name = file.display().to_string();
        assert!(!base.controls.is_empty(), "{name}: no controls");
        if base
            .report
            .engine_reason
            .contains("the fast engine does not apply")
        {
            // Budget policies, fixed arrivals: no control changes them, so every what-if runs
            // the exact engine, which keeps no closed forms.
            assert!(
                base.expectations.is_empty(),
                "{name}: the exact engine cached"
            );
            continue;
        }
        let started = std::time::Instant::now();
        // Each control alone, with a cache warmed by the base and by the controls before it.
        for c in &base.controls {
            let sets = controls::sets_of(&base.controls, &[(c.id.clone(), moved(c))]).unwrap();
            assert!(!sets.is_empty(), "{name}: {} sets nothing", c.id);
            same_with_and_without(&settings, base, &sets, &format!("{name}, {}", c.id));
            checked += 1;
            if c.id.starts_with("price[") {
                prices += 1;
            }
        }
        // Every control moved at once.
        let all: Vec<(String, f64)> = base
            .controls
            .iter()
            .map(|c| (c.id.clone(), moved(c)))
            .collect();
        let sets = controls::sets_of(&base.controls, &all).unwrap();
        same_with_and_without(&settings, base, &sets, &format!("{name}, every control"));
        eprintln!(
            "{name}: {} controls, {:.0} s",
            base.controls.len(),
            started.elapsed().as_secs_f64()
        );
    }
    assert!(checked > 30, "only {checked} controls checked");
    assert!(prices > 3, "only {prices} price multipliers checked");
}

/// The price of a model changed in the file (as a live reload sees it) or through `--set`: a what-if
/// on a cache warmed by the old prices answers the new prices' figures, not the old ones.
#[test]
fn a_changed_model_price_is_never_answered_from_the_cache() {
    let dir = tempfile::tempdir().unwrap();
    let file = common::copy_scenario(dir.path(), "cascade-router.toml", "s.toml");
    let settings = settings(file.clone());
    let snap = state::snapshot(&settings, 1, Some(&[]));
    let base = snap.outcome.as_ref().unwrap();
    // The base ran on the fast engine and left its closed forms.
    assert!(
        !base.expectations.is_empty(),
        "{}",
        base.report.engine_reason
    );
    let cache = || Some(Arc::clone(&base.expectations));
    let before = answer(&settings, base, &[], cache());
    assert_eq!(before, answer(&settings, base, &[], None));

    // Through `--set`.
    let sets = vec!["model[claude-haiku-4-5].input_usd_per_mtok=3".to_string()];
    let kept = answer(&settings, base, &sets, cache());
    assert_eq!(kept, answer(&settings, base, &sets, None));
    assert_ne!(kept, before, "the price change moves the figures");

    // In the file, under a server whose base is the old file's.
    let text = std::fs::read_to_string(&file).unwrap();
    let changed = text.replacen("input_usd_per_mtok = 1.00", "input_usd_per_mtok = 2.50", 1);
    assert_ne!(changed, text);
    std::fs::write(&file, changed).unwrap();
    let kept = answer(&settings, base, &[], cache());
    assert_eq!(kept, answer(&settings, base, &[], None));
    assert_ne!(kept, before, "the price change moves the figures");
}
