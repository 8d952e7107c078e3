//! `aicost simulate`: the Monte Carlo forecast.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use super::{load, with_progress};
use crate::cli::{Config, Format, SimulateArgs};
use crate::engine::{self, SimOptions};
use crate::error::Error;
use crate::output::{self, Destination};
use crate::report::{self, Report};

pub fn simulate(a: &SimulateArgs, config: &Config) -> Result<u8, Error> {
    let loaded = load(&a.file, config)?;
    let s = &loaded.scenario;
    if a.format == Format::Focus {
        // The expected month is known in closed form; no trial needs running.
        let text = super::focus_csv(s, a.month.as_deref(), config)?;
        output::write(
            &Destination::from_option(a.out.as_deref()),
            text.as_bytes(),
            &[&a.file],
        )?;
        return Ok(0);
    }
    let trials = a.trials.unwrap_or(s.simulation.trials);
    if trials == 0 || trials > crate::model::MAX_TRIALS {
        return Err(Error::Usage(format!(
            "--trials must be between 1 and {}, got {trials}",
            crate::model::MAX_TRIALS
        )));
    }
    if a.threads == Some(0) {
        return Err(Error::Usage("--threads must be at least 1".to_string()));
    }
    let seed = a.seed.or(s.simulation.seed).unwrap_or_else(rand::random);
    let mut opts = SimOptions::new(trials, seed);
    opts.threads = a.threads;
    if let Some(secs) = a.max_seconds {
        if !(secs > 0.0) || !secs.is_finite() {
            return Err(Error::Usage(format!(
                "--max-seconds must be a positive number, got {secs}"
            )));
        }
        opts.deadline = Some(Instant::now() + Duration::from_secs_f64(secs));
    }
    let cancel = Arc::new(AtomicBool::new(false));
    {
        let cancel = Arc::clone(&cancel);
        // Only one handler can be installed per process; a second simulate in-process keeps the first.
        let _ = ctrlc::set_handler(move || cancel.store(true, Ordering::Relaxed));
    }
    opts.cancel = Some(Arc::clone(&cancel));
    let show_progress = config.progress && a.format == Format::Table;
    let result = with_progress(show_progress, trials, &mut opts, |opts| {
        engine::simulate(s, opts)
    })?;
    if result.is_partial() && !config.quiet {
        eprintln!(
            "warning: stopped after {} of {} trials; the result is partial",
            result.trials, result.requested_trials
        );
    }
    let report = Report::new(s, &result);
    let text = match a.format {
        Format::Table => report::table::render(&report, config.color_stdout && a.out.is_none()),
        Format::Json => report.to_json(),
        Format::Focus => super::focus_csv(s, a.month.as_deref(), config)?,
    };
    output::write(
        &Destination::from_option(a.out.as_deref()),
        text.as_bytes(),
        &[&a.file],
    )?;
    Ok(0)
}
