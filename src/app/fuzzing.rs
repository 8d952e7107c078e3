//! Entry points of the fuzz targets (`fuzz/`), shared with their regression tests
//! (`tests/fuzz_regressions.rs`): each takes arbitrary input and must return, never panic.
//!
//! They drive the same code as the commands: a scenario is loaded, its problems rendered as the
//! terminal would show them and, when it is valid, estimated (and simulated when small); a log is
//! read as every format `fit` knows, and whatever was read is fitted, rendered as a scenario and
//! loaded again.

use std::io::Cursor;

use crate::analysis::fit::readers::{LogFormat, ReadOptions};
use crate::analysis::fit::summary::Accumulator;
use crate::analysis::fit::{self, LogOptions, input, skeleton};
use crate::base::calendar::Date;
use crate::base::diag::{self, Color};
use crate::model::scenario::{self, LoadOptions};

/// Work of one exact trial (request walks and model calls) up to which a valid scenario is also
/// simulated.
const SIMULATED_WORK: f64 = 50_000.0;

/// Load `text` as a scenario, render everything a command would show of it, and simulate it
/// when it is small.
pub fn scenario(text: &str) {
    let opts = LoadOptions {
        today: Date::new(2026, 1, 1).unwrap_or_else(crate::base::calendar::today),
        ..LoadOptions::default()
    };
    match scenario::from_str_with("fuzz.toml", text, &opts) {
        Ok(loaded) => {
            for w in &loaded.warnings {
                let _ = diag::render(w, &loaded.sources, Color::Always);
            }
            let s = &loaded.scenario;
            let estimate = crate::sim::estimate::estimate(s);
            let _ = crate::render::estimate::render(&estimate);
            // A small scenario is simulated too (two trials, one thread), and reported.
            if crate::sim::engine::exact_work_per_trial(s) <= SIMULATED_WORK {
                let mut opts = crate::sim::engine::SimOptions::new(2, 7);
                opts.threads = Some(1);
                if let Ok(r) = crate::sim::engine::simulate(s, &opts) {
                    let report = crate::analysis::report::Report::new(s, &r);
                    let _ = crate::app::output::pretty_json(&report);
                }
            }
        }
        Err(crate::base::error::Error::Scenario(e)) => {
            for p in &e.problems {
                let _ = diag::render(p, &e.sources, Color::Always);
            }
        }
        Err(e) => {
            let _ = e.to_string();
        }
    }
}

/// Read `data` as a usage log in every format (and as detected), then fit what was read.
pub fn fit_logs(data: &[u8]) {
    let formats = [
        None,
        Some(LogFormat::Csv),
        Some(LogFormat::Otel),
        Some(LogFormat::Litellm),
        Some(LogFormat::Aggregates),
    ];
    for format in formats {
        for group_by in [None, Some("tag:workflow")] {
            let opts = LogOptions {
                format,
                read: ReadOptions {
                    group_by: group_by.map(str::to_string),
                },
                max_malformed: 1.0,
            };
            let input = input::from_reader("fuzz.log", Box::new(Cursor::new(data.to_vec())));
            let Ok(ingested) = fit::summarize_inputs([input], &opts, Accumulator::new()) else {
                continue;
            };
            let _ = ingested.budget.report();
            let summary = &ingested.summary;
            let _ = fit::aggregate::write(summary);
            if summary.parts.is_empty() {
                continue;
            }
            for empirical in [false, true] {
                let fitted = skeleton::fit(summary, empirical);
                let prov = skeleton::Provenance {
                    sources: vec!["fuzz.log".to_string()],
                    calls: summary.calls(),
                    malformed: ingested.budget.malformed.count,
                    set_aside: ingested.set_aside.calls(),
                    first_day: summary.first_day.map(|d| d.to_string()),
                    last_day: summary.last_day.map(|d| d.to_string()),
                    catalog_path: None,
                };
                let text =
                    skeleton::render(&fitted, "fuzz", &prov, crate::model::catalog::builtin());
                let _ = scenario::from_str("fitted.toml", &text);
            }
        }
    }
}
