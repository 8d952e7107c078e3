//! The program: parse arguments, run one command, print errors, return the exit code.
//!
//! Exit codes: 0 success (a closed output pipe counts as success), 1 a check that ran but failed,
//! 2 a user error — bad flag, unreadable or invalid scenario, unwritable output. Errors and
//! warnings are rendered by [`crate::app::diagnostics`] alone.

use std::process::ExitCode;

use clap::Parser;

use crate::app::cli::{Args, Command, Config};
use crate::app::commands;
use crate::app::diagnostics::render_error;
use crate::base::error::Error;

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
    crate::app::interrupt::install();
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
        Command::Simulate(a) => commands::simulate::simulate(a, config),
        Command::Estimate(a) => commands::estimate::estimate(a, config),
        Command::Validate(a) => commands::validate::validate(a, config),
        Command::Compare(a) => commands::compare::compare(a, config),
        Command::Plot(a) => commands::plot::plot(a, config),
        Command::Prices(a) => {
            commands::refuse_overrides(config, "prices")?;
            commands::prices::prices(a, config)
        }
        Command::Fit(a) => {
            // Overrides change a scenario as it is read for a run; the scenario `fit` writes is
            // made from the logs, and one it updates keeps its own text.
            commands::refuse_overrides_because(
                config,
                "`fit` writes its scenario from the logs and applies no overrides to it",
            )?;
            commands::fit::fit(a, config)
        }
        Command::Backtest(a) => commands::backtest::backtest(a, config),
        Command::Init(a) => {
            commands::refuse_overrides(config, "init")?;
            commands::init::init(a)
        }
        Command::Levers(a) => commands::levers::levers(a, config),
        Command::Sensitivity(a) => commands::sensitivity::sensitivity(a, config),
        Command::Check(a) => commands::check::check(a, config),
        Command::Diff(a) => commands::diff::diff(a, config),
        Command::Schema(a) => commands::schema::schema(a, config),
        Command::Tokens(a) => commands::tokens::tokens(a, config),
        Command::Serve(a) => commands::serve::serve(a, config),
    }
}
