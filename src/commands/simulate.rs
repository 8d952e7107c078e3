//! `aicost simulate`: the Monte Carlo forecast.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use super::{load, with_progress};
use crate::cli::{Config, ReportFormat, SimulateArgs};
use crate::engine;
use crate::error::Error;
use crate::output::{self, Destination};
use crate::report::{self, Report, brief::Brief, detail::Detail};

pub fn simulate(a: &SimulateArgs, config: &Config) -> Result<u8, Error> {
    let loaded = load(&a.file, config)?;
    let s = &loaded.scenario;
    let inputs = super::input_files(&loaded);
    let protect = super::as_paths(&inputs);
    // An output that would replace an input is refused before the simulation, not after it.
    output::check_destination(a.out.as_deref(), &protect)?;
    output::check_destination(a.trials_out.as_deref(), &protect)?;
    let format = ReportFormat::resolve(a.format, a.out.as_deref());
    if format == ReportFormat::Focus {
        // The expected month is known in closed form; no trial needs running.
        let text = super::focus_csv(s, a.month.as_deref(), config)?;
        output::write(
            &Destination::from_option(a.out.as_deref()),
            text.as_bytes(),
            &protect,
        )?;
        return Ok(0);
    }
    check_trials_out(a)?;
    let plan = super::runs::RunPlan::single(&a.run, s, None)?;
    let trials = plan.trials;
    let mut opts = plan.options();
    opts.engine = a.engine.into();
    if let Some(secs) = a.max_seconds {
        if !(secs > 0.0) || !secs.is_finite() {
            return Err(Error::Usage(format!(
                "--max-seconds must be a positive number, got {secs}"
            )));
        }
        // A limit beyond what a clock can hold (about 584 billion years) is no limit at all.
        opts.deadline = Duration::try_from_secs_f64(secs)
            .ok()
            .and_then(|limit| Instant::now().checked_add(limit));
    }
    let cancel = Arc::new(AtomicBool::new(false));
    {
        let cancel = Arc::clone(&cancel);
        // Only one handler can be installed per process; a second simulate in-process keeps the first.
        let _ = ctrlc::set_handler(move || cancel.store(true, Ordering::Relaxed));
    }
    opts.cancel = Some(Arc::clone(&cancel));
    let trials_out = match &a.trials_out {
        Some(path) => {
            let mut w =
                output::StreamedOutput::create(&Destination::from_option(Some(path)), &protect)?;
            w.push(report::csv::trial_header().as_bytes());
            let shared = Arc::new(Mutex::new(Some(w)));
            let (writer, budget) = (
                Arc::clone(&shared),
                s.budget.as_ref().map(|b| b.monthly_usd),
            );
            let names: Vec<String> = s.stacks.iter().map(|st| st.name.clone()).collect();
            opts.sink = Some(engine::TrialSink(Arc::new(Mutex::new(
                move |t: u64, o: &engine::TrialOutcome| {
                    let rows = report::csv::trial_rows(t, o, &names, budget);
                    if let Some(w) = lock(&writer).as_mut() {
                        w.push(rows.as_bytes());
                    }
                },
            ))));
            Some(shared)
        }
        None => None,
    };
    let show_progress = config.progress && format != ReportFormat::Json;
    let result = with_progress(show_progress, trials, &mut opts, |opts| {
        engine::simulate(s, opts)
    })?;
    if let Some(caveat) = &result.engine.caveat
        && !config.quiet
    {
        eprintln!(
            "warning: {caveat}\n  = help: --engine exact simulates every request, at this size for minutes or hours; fewer --trials make it quicker"
        );
    }
    let brief = matches!(format, ReportFormat::Markdown | ReportFormat::Html)
        .then(|| Brief::new(s, &result));
    let summary = match &brief {
        Some(b) => b.report.clone(),
        None => Report::new(s, &result),
    };
    if !config.quiet
        && let Some(w) = report::cap_warning(&summary)
    {
        eprintln!("warning: {w}");
    }
    if result.is_partial() && !config.quiet {
        eprintln!(
            "warning: stopped after {} of {} trials; the result is partial",
            result.trials, result.requested_trials
        );
    }
    let text = match (format, &brief) {
        (ReportFormat::Table, _) => report::table::render(
            &summary,
            &Detail::new(s, &result),
            config.color_stdout && a.out.is_none(),
        ),
        (ReportFormat::Json, _) => summary.to_json(),
        (ReportFormat::Csv, _) => report::csv::simulation(&summary, &Detail::new(s, &result)),
        (ReportFormat::Markdown, Some(b)) => b.markdown(),
        (ReportFormat::Html, Some(b)) => b.html(),
        (ReportFormat::Markdown | ReportFormat::Html, None) => {
            unreachable!("a brief is built for these formats")
        }
        (ReportFormat::Focus, _) => unreachable!("handled before the simulation"),
    };
    output::write(
        &Destination::from_option(a.out.as_deref()),
        text.as_bytes(),
        &protect,
    )?;
    if let Some(shared) = trials_out {
        opts.sink = None;
        if let Some(writer) = lock(&shared).take() {
            writer.finish()?;
        }
    }
    Ok(0)
}

/// `--trials-out` must not collide with the report's own destination.
fn check_trials_out(a: &SimulateArgs) -> Result<(), Error> {
    let Some(path) = &a.trials_out else {
        return Ok(());
    };
    let report = Destination::from_option(a.out.as_deref());
    let trials = Destination::from_option(Some(path));
    if report == trials {
        return Err(Error::Usage(format!(
            "--trials-out and the report would both go to {}\n  = help: give --out a file, or --trials-out another path",
            match &report {
                Destination::Stdout => "standard output".to_string(),
                Destination::File(p) => format!("`{}`", p.display()),
            }
        )));
    }
    Ok(())
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}
