//! `aicost simulate`: the Monte Carlo forecast.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use super::{load, with_progress};
use crate::analysis::detail::Detail;
use crate::analysis::report::{self, Report};
use crate::app::cli::{Config, ReportFormat, SimulateArgs};
use crate::app::files::FilePlan;
use crate::app::output::{self, Destination};
use crate::base::error::{Error, UsageKind};
use crate::base::warning::WarningKind;
use crate::render::brief::Brief;
use crate::sim::engine;

pub fn simulate(a: &SimulateArgs, config: &Config) -> Result<u8, Error> {
    let loaded = load(&a.file, config)?;
    let s = &loaded.scenario;
    // An output that would replace an input, or another output, is refused before the
    // simulation, not after it.
    let mut files = FilePlan::new();
    files
        .reads_scenario(&loaded)
        .writes(super::report_flag(a.out.as_deref()), a.out.as_deref());
    if let Some(path) = &a.trials_out {
        files.writes("--trials-out", Some(path));
    }
    files.check()?;
    let format = ReportFormat::resolve(a.format, a.out.as_deref());
    if format == ReportFormat::Focus {
        // The expected month is known in closed form; no trial needs running.
        let text = super::focus_csv(s, a.month.as_deref(), a.focus_version, config)?;
        super::emit(a.out.as_deref(), &text, config)?;
        return Ok(0);
    }
    let plan = super::runs::RunPlan::single(&a.run, s, None)?;
    let trials = plan.trials;
    let mut opts = plan.options();
    opts.engine = a.engine.into();
    if let Some(secs) = a.max_seconds {
        if !(secs > 0.0) || !secs.is_finite() {
            return Err(UsageKind::MaxSecondsNotPositive { got: secs }.into());
        }
        // A limit beyond what a clock can hold (about 584 billion years) is no limit at all.
        opts.deadline = Duration::try_from_secs_f64(secs)
            .ok()
            .and_then(|limit| Instant::now().checked_add(limit));
    }
    // Ctrl-C or SIGTERM stops the run after the trials in flight; what finished is reported.
    opts.cancel = Some(crate::app::interrupt::stop_flag());
    let trials_out = match &a.trials_out {
        Some(path) => {
            let mut w = output::StreamedOutput::create(&Destination::from_option(Some(path)))?;
            w.push(crate::render::csv::trial_header().as_bytes());
            let shared = Arc::new(Mutex::new(Some(w)));
            let (writer, budget) = (
                Arc::clone(&shared),
                s.budget.as_ref().map(|b| b.monthly_usd),
            );
            let names: Vec<String> = s.stacks.iter().map(|st| st.name.clone()).collect();
            opts.sink = Some(engine::TrialSink(Arc::new(Mutex::new(
                move |t: u64, o: &engine::TrialOutcome| {
                    let rows = crate::render::csv::trial_rows(t, o, &names, budget);
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
        crate::app::diagnostics::warn(
            &WarningKind::FastEngineCaveat {
                caveat: caveat.clone(),
            }
            .into(),
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
        (ReportFormat::Table, _) => crate::render::table::render(
            &summary,
            &Detail::new(s, &result),
            config.color_stdout && a.out.is_none(),
        ),
        (ReportFormat::Json, _) => summary.to_json(),
        (ReportFormat::Csv, _) => {
            crate::render::csv::simulation(&summary, &Detail::new(s, &result))
        }
        (ReportFormat::Markdown, Some(b)) => b.markdown(),
        (ReportFormat::Html, Some(b)) => b.html(),
        (ReportFormat::Markdown | ReportFormat::Html, None) => {
            unreachable!("a brief is built for these formats")
        }
        (ReportFormat::Focus, _) => unreachable!("handled before the simulation"),
    };
    super::emit(a.out.as_deref(), &text, config)?;
    if let Some(shared) = trials_out {
        opts.sink = None;
        if let Some(writer) = lock(&shared).take() {
            writer.finish()?;
        }
        super::said_written(a.trials_out.as_deref(), config);
    }
    Ok(0)
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}
