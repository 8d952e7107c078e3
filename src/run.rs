//! The program: parse arguments, run one command, print errors, return the exit code.
//!
//! Exit codes: 0 success (a closed output pipe counts as success), 1 a check that ran but failed,
//! 2 a user error — bad flag, unreadable or invalid scenario, unwritable output. Errors and
//! warnings are rendered here and only here.

use std::io::Write as _;
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use clap::Parser;

use crate::cli::{
    Args, Command, Config, EstimateArgs, Format, InitArgs, SimulateArgs, ValidateArgs,
};
use crate::diag::{self, Color};
use crate::engine::{self, SimOptions};
use crate::error::{Error, Problem};
use crate::output::{self, Destination};
use crate::report::{self, Report};
use crate::scenario::{self, Loaded};
use crate::source::Sources;

/// The commented starter scenario written by `aicost init`.
pub const STARTER: &str = include_str!("starter.toml");

/// Entry point of the binary.
pub fn main() -> ExitCode {
    let args = match Args::try_parse() {
        Ok(args) => args,
        Err(e) => {
            let code = e.exit_code();
            let _ = e.print();
            return ExitCode::from(u8::try_from(code).unwrap_or(2));
        }
    };
    let config = Config::from_args(&args);
    match run(&args, &config) {
        Ok(code) => ExitCode::from(code),
        Err(e) if e.is_broken_pipe() => ExitCode::SUCCESS,
        Err(e) => {
            eprint!("{}", render_error(&e, &config));
            ExitCode::from(e.exit_code())
        }
    }
}

/// Run a parsed command; `Ok` carries the exit code.
pub fn run(args: &Args, config: &Config) -> Result<u8, Error> {
    match &args.command {
        Command::Simulate(a) => simulate(a, config),
        Command::Estimate(a) => estimate(a, config),
        Command::Validate(a) => validate(a, config),
        Command::Init(a) => init(a),
    }
}

fn color(on: bool) -> Color {
    if on { Color::Always } else { Color::Never }
}

/// Render an error for stderr.
pub fn render_error(e: &Error, config: &Config) -> String {
    let c = color(config.color_stderr);
    match e {
        Error::Scenario(se) => {
            let mut out = String::new();
            for p in &se.problems {
                out.push_str(&diag::render(p, &se.sources, c));
                out.push('\n');
            }
            let n = se.problems.len();
            let file = se
                .sources
                .files()
                .next()
                .map(|(_, f)| f.name.clone())
                .unwrap_or_default();
            out.push_str(&format!(
                "{} {n} error{} in {file}\n",
                if config.color_stderr {
                    "\x1b[1;31merror:\x1b[0m"
                } else {
                    "error:"
                },
                if n == 1 { "" } else { "s" },
            ));
            out
        }
        other => {
            let label = if config.color_stderr {
                "\x1b[1;31merror:\x1b[0m"
            } else {
                "error:"
            };
            format!("{label} {other}\n")
        }
    }
}

fn print_warnings(warnings: &[Problem], sources: &Sources, config: &Config) {
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

fn load(path: &Path, config: &Config) -> Result<Loaded, Error> {
    let loaded = scenario::load(path)?;
    print_warnings(&loaded.warnings, &loaded.sources, config);
    Ok(loaded)
}

fn simulate(a: &SimulateArgs, config: &Config) -> Result<u8, Error> {
    let loaded = load(&a.file, config)?;
    let s = &loaded.scenario;
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
        engine::simulate_exact(s, opts)
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
    };
    output::write(
        &Destination::from_option(a.out.as_deref()),
        text.as_bytes(),
        &[&a.file],
    )?;
    Ok(0)
}

/// Run `f` with a progress bar that appears only if the run lasts more than a moment.
fn with_progress<T>(
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
    let done = Arc::new(AtomicBool::new(false));
    let reveal = {
        let (pb, done) = (pb.clone(), Arc::clone(&done));
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(400));
            if !done.load(Ordering::Relaxed) {
                pb.set_draw_target(indicatif::ProgressDrawTarget::stderr());
                pb.enable_steady_tick(Duration::from_millis(120));
            }
        })
    };
    let out = f(opts);
    done.store(true, Ordering::Relaxed);
    let _ = reveal.join();
    pb.finish_and_clear();
    out
}

fn estimate(a: &EstimateArgs, config: &Config) -> Result<u8, Error> {
    let loaded = load(&a.file, config)?;
    let e = crate::estimate::estimate(&loaded.scenario);
    let text = match a.format {
        Format::Table => report::estimate::render(&e),
        Format::Json => {
            let mut s = serde_json::to_string_pretty(&e).expect("estimate serializes");
            s.push('\n');
            s
        }
    };
    output::write(
        &Destination::from_option(a.out.as_deref()),
        text.as_bytes(),
        &[&a.file],
    )?;
    Ok(0)
}

fn validate(a: &ValidateArgs, config: &Config) -> Result<u8, Error> {
    let loaded = load(&a.file, config)?;
    let s = &loaded.scenario;
    let steps: usize = s.workflows.iter().map(|w| w.steps.len()).sum();
    let uncertain = s.params().iter().filter(|p| !p.is_fixed()).count();
    let line = format!(
        "ok: {} — {} segment{}, {} workflow{} ({} step{}), {} model{}, {} stack{}, {} uncertain parameter{}, {} warning{}\n",
        a.file.display(),
        s.segments.len(),
        plural(s.segments.len()),
        s.workflows.len(),
        plural(s.workflows.len()),
        steps,
        plural(steps),
        s.models.len(),
        plural(s.models.len()),
        s.stacks.len(),
        plural(s.stacks.len()),
        uncertain,
        plural(uncertain),
        loaded.warnings.len(),
        plural(loaded.warnings.len()),
    );
    output::write_stdout(line.as_bytes())?;
    Ok(0)
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

fn init(a: &InitArgs) -> Result<u8, Error> {
    if a.path == Path::new("-") {
        output::write_stdout(STARTER.as_bytes())?;
        return Ok(0);
    }
    if a.path.exists() && !a.force {
        return Err(Error::Usage(format!(
            "`{}` already exists\n  = help: pass --force to overwrite it, or choose another path",
            a.path.display()
        )));
    }
    output::write_atomic(&a.path, STARTER.as_bytes())?;
    eprintln!(
        "wrote {}; next: aicost simulate {}",
        a.path.display(),
        a.path.display()
    );
    Ok(0)
}
