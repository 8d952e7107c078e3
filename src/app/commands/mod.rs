//! One module per command; each takes its parsed arguments and the [`Config`] and returns the
//! exit code. Shared here: loading a scenario (printing its warnings) and the progress bar.

pub mod backtest;
pub mod check;
pub mod compare;
pub mod diff;
pub mod estimate;
pub mod fit;
pub mod init;
pub mod levers;
pub mod plot;
pub mod prices;
pub mod runs;
pub mod schema;
pub mod sensitivity;
pub mod serve;
pub mod simulate;
pub mod tokens;
pub mod validate;

use std::io::Write as _;
use std::path::Path;
use std::sync::mpsc::RecvTimeoutError;
use std::time::Duration;

use crate::app::cli::Config;
use crate::app::diagnostics::color;
use crate::base::diag;
use crate::base::error::{Error, Problem, UsageKind};
use crate::base::source::Sources;
use crate::model::scenario::{self, Loaded};
use crate::sim::engine::SimOptions;

/// Print warnings to stderr unless quiet.
pub(crate) fn print_warnings(warnings: &[Problem], sources: &Sources, config: &Config) {
    if config.quiet {
        return;
    }
    let mut err = std::io::stderr().lock();
    for w in warnings {
        let _ = write!(
            err,
            "{}",
            diag::render(w, sources, color(config.color_stderr))
        );
    }
}

/// The load options a command line asks for: `--set` overrides and `--allow-dir` folders.
pub(crate) fn load_options(config: &Config) -> Result<scenario::LoadOptions, Error> {
    let mut allow_dirs = Vec::with_capacity(config.allow_dirs.len());
    for d in &config.allow_dirs {
        if !d.is_dir() {
            return Err(UsageKind::AllowDirNotAFolder { dir: d.clone() }.into());
        }
        allow_dirs.push(d.canonicalize().map_err(|source| Error::Read {
            path: d.clone(),
            source,
        })?);
    }
    Ok(scenario::LoadOptions {
        overrides: config.overrides.clone(),
        allow_dirs,
        ..Default::default()
    })
}

/// How a command's main output is named in messages: `--out`, or the report on standard output.
pub(crate) fn report_flag(out: Option<&Path>) -> &'static str {
    match out {
        Some(p) if p != Path::new("-") => "--out",
        _ => "the report",
    }
}

/// Write a command's main output to `--out` (atomically) or standard output, and say where a
/// file went ("wrote report.html") unless `--quiet`: every command that writes a file says so.
pub(crate) fn emit(out: Option<&Path>, text: &str, config: &Config) -> Result<(), Error> {
    crate::app::output::emit(out, text)?;
    said_written(out, config);
    Ok(())
}

/// "wrote PATH" on stderr for an output file (not standard output), unless `--quiet`.
pub(crate) fn said_written(out: Option<&Path>, config: &Config) {
    if let Some(p) = out
        && p != Path::new("-")
        && !config.quiet
    {
        eprintln!(
            "wrote {}",
            crate::base::escape::visible(&p.display().to_string())
        );
    }
}

/// Load a scenario, printing its warnings unless quiet.
pub fn load(path: &Path, config: &Config) -> Result<Loaded, Error> {
    let loaded = scenario::load_with(path, &load_options(config)?)?;
    print_warnings(&loaded.warnings, &loaded.sources, config);
    Ok(loaded)
}

/// A usage error when `--set` is given to a command that reads no scenario.
pub(crate) fn refuse_overrides(config: &Config, command: &str) -> Result<(), Error> {
    refuse_overrides_because(
        config,
        &format!("`{command}` reads no scenario, so there is nothing to override"),
    )
}

/// Refuse `--set` on a command that would otherwise ignore it, saying `why`.
pub(crate) fn refuse_overrides_because(config: &Config, why: &str) -> Result<(), Error> {
    match config.overrides.first() {
        None => Ok(()),
        Some(first) => Err(UsageKind::SetRefused {
            first: first.clone(),
            why: why.to_string(),
        }
        .into()),
    }
}

/// Run `f` with a progress bar that appears only if the run lasts more than a moment.
pub(crate) fn with_progress<T>(
    show: bool,
    total: u64,
    opts: &mut SimOptions,
    f: impl FnOnce(&SimOptions) -> Result<T, Error>,
) -> Result<T, Error> {
    if !show {
        return f(opts);
    }
    let pb = indicatif::ProgressBar::with_draw_target(
        Some(total),
        indicatif::ProgressDrawTarget::hidden(),
    );
    pb.set_style(
        indicatif::ProgressStyle::with_template(
            "{spinner} simulating {pos}/{len} months [{bar:30}] {eta} left",
        )
        .expect("valid template")
        .progress_chars("=> "),
    );
    opts.progress = Some(pb.clone());
    // The bar appears after 400 ms unless the run ends first; a run that ends sooner tells the
    // waiting thread at once, so it costs no wait of its own.
    let (finished, wait) = std::sync::mpsc::channel::<()>();
    let reveal = {
        let pb = pb.clone();
        std::thread::spawn(move || {
            if let Err(RecvTimeoutError::Timeout) = wait.recv_timeout(Duration::from_millis(400)) {
                pb.set_draw_target(indicatif::ProgressDrawTarget::stderr());
                pb.enable_steady_tick(Duration::from_millis(120));
            }
        })
    };
    let out = f(opts);
    let _ = finished.send(());
    let _ = reveal.join();
    pb.finish_and_clear();
    out
}

/// The most worker threads `--threads` may ask for: each is an operating-system thread with its
/// own stack, and asking for 100,000 of them once stalled the program before any work.
pub(crate) const MAX_THREADS: usize = 1024;

/// `--threads`: at least 1, at most [`MAX_THREADS`].
pub(crate) fn check_threads(threads: Option<usize>) -> Result<(), Error> {
    match threads {
        Some(0) => Err(UsageKind::NoThreads.into()),
        Some(n) if n > MAX_THREADS => Err(UsageKind::TooManyThreads {
            threads: n,
            max: MAX_THREADS,
        }
        .into()),
        _ => Ok(()),
    }
}

/// Simulation options from the command line's `--trials`, `--seed` and `--threads`, checked.
pub(crate) fn sim_options(
    trials: u64,
    seed: u64,
    threads: Option<usize>,
) -> Result<SimOptions, Error> {
    if trials == 0 || trials > crate::model::MAX_TRIALS {
        return Err(UsageKind::TrialsOutOfRange {
            max: crate::model::MAX_TRIALS,
            got: trials,
        }
        .into());
    }
    check_threads(threads)?;
    let mut opts = SimOptions::new(trials, seed);
    opts.threads = threads;
    Ok(opts)
}

/// The expected months of `s` as FOCUS CSV. A horizon of several months begins the month after
/// today and every month of it gets its rows, unless `month` (`YYYY-MM`) picks one of them; a
/// single month is billed as `month`, by default the month after today.
pub(crate) fn focus_csv(
    s: &crate::model::Scenario,
    month: Option<&str>,
    version: crate::app::cli::FocusVersionArg,
    config: &Config,
) -> Result<String, Error> {
    let picked = match month {
        Some(m) => Some(crate::base::calendar::Month::parse(m).ok_or_else(|| {
            Error::from(UsageKind::NotAMonth {
                got: m.to_string(),
                example: "2026-12",
            })
        })?),
        None => None,
    };
    let first = crate::base::calendar::today().month().next();
    let horizon = s.simulation.months;
    let months: Vec<(crate::base::calendar::Month, u32)> = if horizon <= 1 {
        vec![(picked.unwrap_or(first), 1)]
    } else {
        let all: Vec<(crate::base::calendar::Month, u32)> =
            std::iter::successors(Some(first), |m| Some(m.next()))
                .zip(1..=horizon)
                .collect();
        match picked {
            None => all,
            Some(p) => match all.iter().find(|(m, _)| *m == p) {
                Some(one) => vec![*one],
                None => {
                    return Err(UsageKind::MonthOutsideHorizon {
                        month: p,
                        horizon,
                        first,
                        last: all.last().map_or(first, |(m, _)| *m),
                    }
                    .into());
                }
            },
        }
    };
    let e = crate::sim::estimate::estimate(s);
    if !config.quiet {
        for why in &e.approximations {
            eprintln!("note: approximate expected value: {why}");
        }
    }
    Ok(crate::render::focus::render(s, &e, &months, version.into()))
}
