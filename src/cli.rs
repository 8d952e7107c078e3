//! Command-line arguments (clap derive) and their translation into a [`Config`].
//!
//! Only this module knows about clap. [`Config::from_args`] settles everything that depends on the
//! environment — colour (flag, then `NO_COLOR`, then whether stderr is a terminal), progress bars,
//! the seed — once, so the rest of the program receives plain values.

use std::io::IsTerminal;
use std::path::PathBuf;

use clap::{Args as ClapArgs, Parser, Subcommand, ValueEnum};

const EXAMPLES: &str = "\
Examples:
  aicost init scenario.toml              write a commented starter scenario
  aicost validate scenario.toml          check it
  aicost estimate scenario.toml          expected costs with the arithmetic shown
  aicost simulate scenario.toml          monthly spend distribution per stack
  aicost simulate scenario.toml --format json --seed 42 > forecast.json";

/// Forecast what an LLM feature will cost, as a distribution rather than one number.
#[derive(Debug, Parser)]
#[command(name = "aicost", version, about, after_help = EXAMPLES, propagate_version = true)]
pub struct Args {
    #[command(subcommand)]
    pub command: Command,

    /// When to use colour: auto (a terminal without NO_COLOR), always or never.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto, global = true)]
    pub color: ColorChoice,

    /// Print no progress bar and no warnings; errors are still printed.
    #[arg(short, long, global = true)]
    pub quiet: bool,

    /// Override a value of the scenario, checked like the file: `--set segment.agents.users=800`,
    /// `--set simulation.trials=2000` (repeatable; array elements by `name`).
    #[arg(long = "set", value_name = "PATH=VALUE", global = true)]
    pub set: Vec<String>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the Monte Carlo simulation: monthly spend distribution, breach probability, unit costs.
    #[command(after_help = "Examples:
  aicost simulate scenarios/support-summarizer.toml
  aicost simulate scenario.toml --trials 2000 --seed 7 --format json --out forecast.json
  aicost simulate scenario.toml --threads 1 --max-seconds 30")]
    Simulate(SimulateArgs),

    /// Expected values only, with the arithmetic (tokens × price) visible for checking by hand.
    #[command(after_help = "Examples:
  aicost estimate scenarios/chatbot.toml
  aicost estimate scenario.toml --format json")]
    Estimate(EstimateArgs),

    /// Check a scenario and print a one-line summary; exit 0 when valid, 2 when not.
    #[command(after_help = "Examples:
  aicost validate scenarios/support-summarizer.toml
  for f in scenarios/*.toml; do aicost validate \"$f\" || exit 1; done")]
    Validate(ValidateArgs),

    /// Write a commented starter scenario that validates and simulates.
    #[command(after_help = "Examples:
  aicost init                    writes scenario.toml
  aicost init my-feature.toml
  aicost init - | less           prints it instead")]
    Init(InitArgs),

    /// The optimization backlog: each lever tried on the scenario, ranked by monthly saving.
    ///
    /// Levers: output_cap (max_output_tokens at the p95 of output), route (a share of requests
    /// straight to a stack's cheapest model), prefix_trim (shorter static prompts), prompt_cache
    /// (hit rate raised to a target), batch (one live workflow moved to the batch path). Every
    /// candidate runs on the base scenario's seed and trials (common random numbers).
    #[command(after_help = "Examples:
  aicost levers scenarios/support-ticket-summary-v2.toml
  aicost levers scenario.toml --lever cache_hit_rate=0.95 --lever route_share=0.8
  aicost levers scenario.toml --trials 5000 --format json --out backlog.json

Assumptions (--lever KEY=VALUE):
  cache_hit_rate=0.9     prompt-cache hit rate reached by putting static content first
  output_quantile=0.95   quantile of each step's output that max_output_tokens is lowered to
  prefix_trim=0.2        fraction of every static prefix removed by prompt trimming
  route_share=0.5        share of requests sent straight to a stack's cheapest model
Without --trials, at most 1,000 trials per run: paired differences need far fewer than a forecast.")]
    Levers(LeversArgs),

    /// Which inputs move the forecast most: a tornado of mean and p95 swings, and rank correlations.
    ///
    /// Each uncertain input is held at its p10 and then its p90 (with --all, every number in the
    /// file also moves ±20%); all runs share the seed and trials (common random numbers).
    #[command(after_help = "Examples:
  aicost sensitivity scenarios/support-summarizer.toml
  aicost sensitivity scenario.toml --all --svg tornado.svg
  aicost sensitivity scenario.toml --trials 2000 --format json --out sensitivity.json
Without --trials, at most 1,000 trials per run.")]
    Sensitivity(SensitivityArgs),

    /// What changed between two versions of a scenario and what it does to each stack's forecast.
    ///
    /// Both versions run on the same seed and trials (common random numbers). Markdown output,
    /// ready for a pull-request comment. `--set` applies to both versions.
    #[command(after_help = "Examples:
  aicost diff old.toml new.toml
  aicost diff --base-ref main scenarios/support-summarizer.toml     OLD = the file as committed on main
  aicost diff --base-ref origin/main old-name.toml new-name.toml    OLD read at the ref, NEW from disk
  aicost diff old.toml new.toml --trials 2000 --format json --out diff.json")]
    Diff(DiffArgs),

    /// Fail a CI job on a forecast: exit 1 when a `--fail-if` rule is true, 0 when none is.
    ///
    /// A rule is decided only when the measured value is at least 2 standard errors from its
    /// threshold; closer, `check` exits 2 and says how many trials would decide it.
    #[command(after_help = "Examples:
  aicost check scenario.toml --fail-if \"p95 > 20000\" --fail-if \"breach_probability > 0.05\"
  aicost check scenario.toml --fail-if \"p95 > 1.1 * budget\" --trials 20000
  aicost check scenario.toml --fail-if \"stack=route-a: cost_per_accepted_task_usd > 0.02\"
  aicost check scenario.toml --fail-if \"workflows[live].monthly_spend_usd.p95 > 5000\" --format json

Metrics are the numbers of a stack in `aicost simulate --format json`, by path; mean, p50, p95,
p99, cvar95 alone mean those of monthly_spend_usd. Operators: > >= < <= == !=. Thresholds:
20000, $20,000, 5%, budget, 1.1 * budget. Without stack=NAME: a rule applies to every stack.
Exit codes: 0 no rule fails, 1 a rule fails, 2 a user error or a rule too close to call.")]
    Check(CheckArgs),

    /// Print the JSON Schema of the scenario format (for taplo / Even Better TOML and CI).
    #[command(after_help = "Examples:
  aicost schema > docs/scenario.schema.json
  aicost schema --out scenario.schema.json
Then start a scenario with the line `#:schema ./scenario.schema.json` (a path relative to the
scenario, or a URL) and editors that use taplo complete and check its keys.")]
    Schema(SchemaArgs),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Aligned text for a terminal.
    Table,
    /// The full report as JSON.
    Json,
}

#[derive(Debug, ClapArgs)]
pub struct SimulateArgs {
    /// The scenario file (TOML).
    pub file: PathBuf,

    /// Simulated months; overrides `[simulation] trials`.
    #[arg(long, short = 'n')]
    pub trials: Option<u64>,

    /// Random seed; overrides `[simulation] seed`. The same seed gives the same result.
    #[arg(long)]
    pub seed: Option<u64>,

    /// Worker threads (default: one per core). Results do not depend on it.
    #[arg(long, short = 'j')]
    pub threads: Option<usize>,

    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value_t = Format::Table)]
    pub format: Format,

    /// Write the output to this file (atomically) instead of standard output.
    #[arg(long, short = 'o')]
    pub out: Option<PathBuf>,

    /// Stop after this many seconds and report the trials finished so far, marked partial.
    #[arg(long)]
    pub max_seconds: Option<f64>,
}

#[derive(Debug, ClapArgs)]
pub struct EstimateArgs {
    /// The scenario file (TOML).
    pub file: PathBuf,

    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value_t = Format::Table)]
    pub format: Format,

    /// Write the output to this file (atomically) instead of standard output.
    #[arg(long, short = 'o')]
    pub out: Option<PathBuf>,
}

#[derive(Debug, ClapArgs)]
pub struct ValidateArgs {
    /// The scenario file (TOML).
    pub file: PathBuf,
}

#[derive(Debug, ClapArgs)]
pub struct InitArgs {
    /// Where to write the scenario; `-` prints it.
    #[arg(default_value = "scenario.toml")]
    pub path: PathBuf,

    /// Overwrite the file if it exists.
    #[arg(long)]
    pub force: bool,
}

/// Trials, seed and threads of the simulations a command runs.
#[derive(Debug, ClapArgs)]
pub struct RunArgs {
    /// Simulated months per run; overrides `[simulation] trials`.
    #[arg(long, short = 'n')]
    pub trials: Option<u64>,

    /// Random seed, shared by every run (common random numbers); overrides `[simulation] seed`.
    #[arg(long)]
    pub seed: Option<u64>,

    /// Worker threads (default: one per core). Results do not depend on it.
    #[arg(long, short = 'j')]
    pub threads: Option<usize>,
}

#[derive(Debug, ClapArgs)]
pub struct LeversArgs {
    /// The scenario file (TOML).
    pub file: PathBuf,

    /// Change an assumption of the levers, e.g. cache_hit_rate=0.95 (repeatable).
    #[arg(long = "lever", value_name = "KEY=VALUE")]
    pub lever: Vec<String>,

    #[command(flatten)]
    pub run: RunArgs,

    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value_t = Format::Table)]
    pub format: Format,

    /// Write the output to this file (atomically) instead of standard output.
    #[arg(long, short = 'o')]
    pub out: Option<PathBuf>,
}

#[derive(Debug, ClapArgs)]
pub struct SensitivityArgs {
    /// The scenario file (TOML).
    pub file: PathBuf,

    /// Also swing every fixed number written in the scenario by ±20%.
    #[arg(long)]
    pub all: bool,

    /// Write a tornado chart (SVG) to this file.
    #[arg(long, value_name = "PATH")]
    pub svg: Option<PathBuf>,

    #[command(flatten)]
    pub run: RunArgs,

    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value_t = Format::Table)]
    pub format: Format,

    /// Write the output to this file (atomically) instead of standard output.
    #[arg(long, short = 'o')]
    pub out: Option<PathBuf>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum DiffFormat {
    /// Markdown for a pull-request comment.
    Markdown,
    /// The comparison as JSON.
    Json,
}

#[derive(Debug, ClapArgs)]
pub struct DiffArgs {
    /// OLD.toml NEW.toml; with --base-ref, NEW.toml alone (OLD is the same path at the ref).
    #[arg(required = true, num_args = 1..=2, value_name = "FILE")]
    pub files: Vec<PathBuf>,

    /// Read OLD from git at this revision (`git show REV:PATH`), e.g. main or origin/main.
    #[arg(long, value_name = "REV")]
    pub base_ref: Option<String>,

    #[command(flatten)]
    pub run: RunArgs,

    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value_t = DiffFormat::Markdown)]
    pub format: DiffFormat,

    /// Write the output to this file (atomically) instead of standard output.
    #[arg(long, short = 'o')]
    pub out: Option<PathBuf>,
}

#[derive(Debug, ClapArgs)]
pub struct CheckArgs {
    /// The scenario file (TOML).
    pub file: PathBuf,

    /// A condition that fails the check, e.g. "p95 > 20000" (repeatable).
    #[arg(long = "fail-if", value_name = "RULE", required = true)]
    pub fail_if: Vec<String>,

    #[command(flatten)]
    pub run: RunArgs,

    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value_t = Format::Table)]
    pub format: Format,

    /// Write the output to this file (atomically) instead of standard output.
    #[arg(long, short = 'o')]
    pub out: Option<PathBuf>,
}

#[derive(Debug, ClapArgs)]
pub struct SchemaArgs {
    /// Write the schema to this file (atomically) instead of standard output.
    #[arg(long, short = 'o')]
    pub out: Option<PathBuf>,
}

/// Settled presentation choices.
#[derive(Clone, Debug)]
pub struct Config {
    /// Colour on stderr (diagnostics) and stdout (tables).
    pub color_stderr: bool,
    pub color_stdout: bool,
    /// Whether a progress bar may be drawn on stderr.
    pub progress: bool,
    pub quiet: bool,
    /// `--set` overrides applied to every scenario a command reads.
    pub overrides: Vec<String>,
}

impl Config {
    pub fn from_args(args: &Args) -> Config {
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty())
            || std::env::var("TERM").is_ok_and(|t| t == "dumb");
        let (stderr_tty, stdout_tty) = (
            std::io::stderr().is_terminal(),
            std::io::stdout().is_terminal(),
        );
        let (color_stderr, color_stdout) = match args.color {
            ColorChoice::Always => (true, true),
            ColorChoice::Never => (false, false),
            ColorChoice::Auto => (!no_color && stderr_tty, !no_color && stdout_tty),
        };
        Config {
            color_stderr,
            color_stdout,
            progress: stderr_tty && !args.quiet,
            quiet: args.quiet,
            overrides: args.set.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn clap_definition_is_consistent() {
        Args::command().debug_assert();
    }
}
