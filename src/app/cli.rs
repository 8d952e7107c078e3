//! Command-line arguments (clap derive) and their translation into a [`Config`].
//!
//! Only this module knows about clap. `Config::from_args` settles everything that depends on the
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
  aicost simulate scenario.toml --format json --seed 42 > forecast.json
  aicost simulate scenario.toml --out brief.html   a one-page brief with charts
  aicost compare scenario.toml                     every stack against every other";

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
    /// `--set simulation.trials=2000` (repeatable; array elements by `name`). A prompt path it
    /// gives is relative to the scenario's folder, and confined like the file's.
    #[arg(long = "set", value_name = "PATH=VALUE", global = true)]
    pub set: Vec<String>,

    /// Let `extends`, `catalog` and prompt files in a scenario (or in its `--set` overrides) name
    /// files under DIR (repeatable). Without it a scenario reads only inside its own folder tree,
    /// or its git work tree.
    #[arg(long = "allow-dir", value_name = "DIR", global = true)]
    pub allow_dir: Vec<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the Monte Carlo simulation: monthly spend distribution, breach probability, unit costs.
    #[command(after_help = "Examples:
  aicost simulate scenarios/support-summarizer.toml
  aicost simulate scenario.toml --trials 2000 --seed 7 --format json --out forecast.json
  aicost simulate scenario.toml --threads 1 --max-seconds 30
  aicost simulate scenario.toml --format markdown --out brief.md
  aicost simulate scenario.toml --out brief.html --trials-out trials.csv
  aicost simulate scenario.toml --format csv > stats.csv
  aicost simulate scenario.toml --format focus --month 2026-12 --out forecast-focus.csv")]
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
  aicost init                    writes scenario.toml and aicost.schema.json beside it
  aicost init my-feature.aicost.toml
  aicost init scenarios/new.toml --schema ../docs/scenario.schema.json
  aicost init - | less           prints it instead")]
    Init(InitArgs),

    /// Compare plans under common random numbers: every stack of one scenario, or two versions.
    #[command(after_help = "Examples:
  aicost compare scenarios/support-ticket-summary-v2.toml
  aicost compare rag-4-chunks.toml rag-10-chunks.toml --trials 4000 --seed 7
  aicost compare scenario.toml --format markdown --out decision.md
  aicost compare scenario.toml --max-breach 0.01")]
    Compare(CompareArgs),

    /// Write the charts of a simulation as SVG files (histogram, CDF, fan, drivers, segments).
    #[command(after_help = "Examples:
  aicost plot scenarios/coding-assistant.toml --out charts/
  aicost plot scenario.toml --out charts --trials 2000 --seed 7")]
    Plot(PlotArgs),

    /// Model prices: list and show the catalog, import LiteLLM's catalog.
    #[command(after_help = "Examples:
  aicost prices list                     every model of the built-in catalog
  aicost prices list claude              models whose name contains `claude`
  aicost prices show gpt-4o              all prices of one model and where they come from
  aicost prices import litellm model_prices_and_context_window.json --out prices.json")]
    Prices(PricesArgs),

    /// Fit a scenario (or update one) from usage logs: traffic, tokens, cache hits, retries, model mix.
    #[command(after_help = "Examples:
  aicost fit usage.csv --out fitted.toml                  plain CSV (see docs/fit.md)
  aicost fit spans.jsonl.gz --group-by app.workflow       OpenTelemetry GenAI spans
  aicost fit spend_logs.csv --from litellm --empirical    LiteLLM spend logs
  zcat big.csv.gz | aicost fit - --from csv               a stream of any size
  aicost fit usage.csv --update scenario.toml --out scenario.fitted.toml
  aicost fit part-*.csv --from aggregates                 warehouse aggregates (docs/warehouse.md)")]
    Fit(FitArgs),

    /// Compare the forecast's interval with the actual monthly spend in usage logs.
    #[command(after_help = "Examples:
  aicost backtest --scenario scenario.toml --logs usage.csv --month 2026-10
  aicost backtest --scenario scenario.toml --logs 2026-*.csv.gz      every month: coverage
  aicost backtest --scenario s.toml --logs spend_logs.csv --from litellm --stack observed --format json")]
    Backtest(BacktestArgs),

    /// The optimization backlog: each lever tried on the scenario, ranked by monthly saving.
    ///
    /// Levers: output_cap (max_output_tokens at the p95 of output), route (a share of requests
    /// straight to a stack's cheapest model), semantic_cache (a share of one workflow's requests
    /// answered from a semantic cache), prefix_trim (shorter static prompts), prompt_cache (hit
    /// rate raised to a target), batch (one live workflow moved to the batch path), contract (a
    /// committed-use contract per provider, sized at the commitment with the lowest expected
    /// bill). Every candidate runs on the base scenario's seed and trials (common random numbers).
    #[command(after_help = "Examples:
  aicost levers scenarios/support-ticket-summary-v2.toml
  aicost levers scenario.toml --lever cache_hit_rate=0.95 --lever route_share=0.8
  aicost levers scenario.toml --trials 5000 --format json --out backlog.json
  aicost levers scenarios/three-features.toml --target 65000 --probability 0.95

Assumptions (--lever KEY=VALUE):
  cache_hit_rate=0.9              prompt-cache hit rate reached by putting static content first
  output_quantile=0.95            quantile of each step's output that max_output_tokens is lowered to
  prefix_trim=0.2                 fraction of every static prefix removed by prompt trimming
  route_share=0.5                 share of requests sent straight to a stack's cheapest model
  semantic_cache_hit_rate=0.3     share of a workflow's requests a semantic cache answers
  semantic_lookup_usd=0.00001     cost of one semantic-cache lookup (embedding + vector search)
  contract_discount=0.2           discount a committed-use contract earns (list-price overage)
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
    /// threshold; closer, `check` exits 3 (undecided) and says how many trials would decide it.
    #[command(after_help = "Examples:
  aicost check scenario.toml --fail-if \"p95 > 20000\" --fail-if \"breach_probability > 0.05\"
  aicost check scenario.toml --fail-if \"p95 > 1.1 * budget\" --trials 20000
  aicost check scenario.toml --fail-if \"stack=route-a: cost_per_accepted_task_usd > 0.02\"
  aicost check scenario.toml --fail-if \"workflows[live].monthly_spend_usd.p95 > 5000\" --format json

Metrics are the numbers of a stack in `aicost simulate --format json`, by path; mean, p50, p95,
p99, cvar95 alone mean those of monthly_spend_usd. Operators: > >= < <= == !=. Thresholds:
20000, $20,000, 5%, budget, 1.1 * budget. Without stack=NAME: a rule applies to every stack.
Exit codes: 0 no rule fails, 1 a rule fails, 2 a user error (the scenario or a rule is wrong),
3 undecided: no rule fails but one is too close to its threshold to call at these trials.")]
    Check(CheckArgs),

    /// A live what-if page for a scenario: the brief, re-rendered when the file changes, and
    /// controls that re-run the forecast with `--set` overrides on common random numbers.
    ///
    /// Binds 127.0.0.1 (the loopback address) unless --host says otherwise, prints the address
    /// and opens nothing; Ctrl-C stops it.
    #[command(after_help = "Examples:
  aicost serve scenarios/support-summarizer.toml              then open the address it prints
  aicost serve scenario.toml --port 8123 --seed 7 --trials 2000
  aicost serve scenario.toml --set segment.agents.users=800   a what-if of a what-if")]
    Serve(ServeArgs),

    /// Print the JSON Schema of the scenario format (for taplo / Even Better TOML and CI).
    #[command(after_help = "Examples:
  aicost schema > docs/scenario.schema.json
  aicost schema --out scenario.schema.json
Then start a scenario with the line `#:schema ./scenario.schema.json` (a path relative to the
scenario, or a URL) and editors that use taplo complete and check its keys.")]
    Schema(SchemaArgs),

    /// Count the tokens of text files with a model's tokenizer (exact for OpenAI's encodings, an
    /// approximation, marked as one, for tokenizers that are not public).
    #[command(after_help = "Examples:
  aicost tokens prompts/system.md --model gpt-4o
  aicost tokens examples/inputs/* --model claude-sonnet-4-5")]
    Tokens(TokensArgs),
}

#[derive(Debug, ClapArgs)]
pub struct TokensArgs {
    /// Text files (UTF-8) to count.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// The model whose tokenizer counts them (a catalog model, or an OpenAI model name).
    #[arg(long, short = 'm')]
    pub model: String,
    /// A price catalog (JSON) to look the model up in, instead of the built-in one.
    #[arg(long)]
    pub catalog: Option<PathBuf>,
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
    /// The expected months as FOCUS cost-and-usage CSV rows (for FinOps tools); see --month.
    Focus,
}

/// Output formats of `simulate` (and, but FOCUS rows, of `compare`: see [`CompareFormat`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    /// Aligned text for a terminal.
    Table,
    /// The full report as JSON.
    Json,
    /// One row per stack and statistic.
    Csv,
    /// The dashboard brief as Markdown.
    Markdown,
    /// The brief with charts, as one self-contained HTML file.
    Html,
    /// The expected months as FOCUS cost-and-usage CSV rows (for FinOps tools); see --month.
    Focus,
}

/// Output formats of `compare`: those of `simulate` but FOCUS rows, which describe one
/// scenario's expected months, not a comparison.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum CompareFormat {
    /// Aligned text for a terminal.
    Table,
    /// The full comparison as JSON.
    Json,
    /// One row per plan or pair and statistic.
    Csv,
    /// The decision brief as Markdown.
    Markdown,
    /// The decision brief as one self-contained HTML file.
    Html,
}

impl From<CompareFormat> for ReportFormat {
    fn from(f: CompareFormat) -> ReportFormat {
        match f {
            CompareFormat::Table => ReportFormat::Table,
            CompareFormat::Json => ReportFormat::Json,
            CompareFormat::Csv => ReportFormat::Csv,
            CompareFormat::Markdown => ReportFormat::Markdown,
            CompareFormat::Html => ReportFormat::Html,
        }
    }
}

impl ReportFormat {
    /// The format an output file's extension asks for (`.json`, `.csv`, `.md`, `.html`).
    pub(crate) fn from_path(path: &std::path::Path) -> Option<ReportFormat> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        match ext.as_str() {
            "json" => Some(ReportFormat::Json),
            "csv" => Some(ReportFormat::Csv),
            "md" | "markdown" => Some(ReportFormat::Markdown),
            "html" | "htm" => Some(ReportFormat::Html),
            "txt" => Some(ReportFormat::Table),
            _ => None,
        }
    }

    /// The flag if given, else what `--out`'s extension asks for, else a table.
    pub(crate) fn resolve(
        flag: Option<ReportFormat>,
        out: Option<&std::path::Path>,
    ) -> ReportFormat {
        flag.or_else(|| out.and_then(ReportFormat::from_path))
            .unwrap_or(ReportFormat::Table)
    }
}

#[derive(Debug, ClapArgs)]
pub struct SimulateArgs {
    /// The scenario file (TOML).
    pub file: PathBuf,

    #[command(flatten)]
    pub run: RunArgs,

    /// Output format [default: from the --out extension (.json .csv .md .html), else table].
    #[arg(long, short = 'f', value_enum)]
    pub format: Option<ReportFormat>,

    /// Write the output to this file (atomically) instead of standard output.
    #[arg(long, short = 'o')]
    pub out: Option<PathBuf>,

    /// Also write every simulated month as CSV, trial by trial as they finish: trial, stack,
    /// monthly_spend_usd, requests, accepted, breach, month.
    #[arg(long, value_name = "PATH")]
    pub trials_out: Option<PathBuf>,

    /// Stop after this many seconds and report the trials finished so far, marked partial.
    #[arg(long)]
    pub max_seconds: Option<f64>,

    /// Engine: `auto` uses the fast engine where its accuracy conditions hold (see
    /// docs/engine.md) and simulates every request otherwise; the output says which ran and why.
    /// `fast` refuses a scenario where its conditions do not hold.
    #[arg(long, value_enum, default_value_t = EngineArg::Auto)]
    pub engine: EngineArg,

    /// Billing month (YYYY-MM) of `--format focus` rows: of a single month, default the month
    /// after today; of a horizon (which begins the month after today), the one month of it to
    /// write, default every month.
    #[arg(long)]
    pub month: Option<String>,

    /// The FOCUS release of `--format focus` rows: 1.3 (ServiceProviderName and
    /// HostProviderName beside the deprecated ProviderName and PublisherName), or 1.2 for
    /// consumers that do not read 1.3 yet.
    #[arg(long, value_enum, default_value_t = FocusVersionArg::V1_3)]
    pub focus_version: FocusVersionArg,
}

/// A FOCUS release.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum FocusVersionArg {
    #[value(name = "1.3")]
    V1_3,
    #[value(name = "1.2")]
    V1_2,
}

impl From<FocusVersionArg> for crate::render::focus::FocusVersion {
    fn from(v: FocusVersionArg) -> Self {
        match v {
            FocusVersionArg::V1_3 => crate::render::focus::FocusVersion::V1_3,
            FocusVersionArg::V1_2 => crate::render::focus::FocusVersion::V1_2,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum EngineArg {
    Auto,
    Exact,
    Fast,
}

impl From<EngineArg> for crate::sim::engine::EngineRequest {
    fn from(e: EngineArg) -> Self {
        match e {
            EngineArg::Auto => crate::sim::engine::EngineRequest::Auto,
            EngineArg::Exact => crate::sim::engine::EngineRequest::Exact,
            EngineArg::Fast => crate::sim::engine::EngineRequest::Fast,
        }
    }
}

#[derive(Debug, ClapArgs)]
pub struct CompareArgs {
    /// One scenario (its stacks are compared), or two versions of a scenario (stacks paired by
    /// name, or the only stack of each).
    #[arg(required = true, num_args = 1..=2, value_name = "FILE")]
    pub files: Vec<PathBuf>,

    #[command(flatten)]
    pub run: RunArgs,

    /// Output format [default: from the --out extension (.json .csv .md .html), else table].
    #[arg(long, short = 'f', value_enum)]
    pub format: Option<CompareFormat>,

    /// Write the output to this file (atomically) instead of standard output.
    #[arg(long, short = 'o')]
    pub out: Option<PathBuf>,

    /// A plan meets its budget when its breach probability is at most this.
    #[arg(long, default_value_t = 0.05, value_name = "P")]
    pub max_breach: f64,

    /// Engine for every plan. Pairing needs one engine for all: with `auto`, two versions run on
    /// the engine the first one gets, or both on the second's when the first's cannot run it.
    #[arg(long, value_enum, default_value_t = EngineArg::Auto)]
    pub engine: EngineArg,
}

#[derive(Debug, ClapArgs)]
pub struct PlotArgs {
    /// The scenario file (TOML).
    pub file: PathBuf,

    /// Directory for the SVG files (created if missing).
    #[arg(long, short = 'o', value_name = "DIR")]
    pub out: PathBuf,

    #[command(flatten)]
    pub run: RunArgs,
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

    /// Billing month (YYYY-MM) of `--format focus` rows: of a single month, default the month
    /// after today; of a horizon (which begins the month after today), the one month of it to
    /// write, default every month.
    #[arg(long)]
    pub month: Option<String>,

    /// The FOCUS release of `--format focus` rows: 1.3 (ServiceProviderName and
    /// HostProviderName beside the deprecated ProviderName and PublisherName), or 1.2 for
    /// consumers that do not read 1.3 yet.
    #[arg(long, value_enum, default_value_t = FocusVersionArg::V1_3)]
    pub focus_version: FocusVersionArg,
}

#[derive(Debug, ClapArgs)]
pub struct ValidateArgs {
    /// The scenario file (TOML).
    pub file: PathBuf,
}

#[derive(Debug, ClapArgs)]
pub struct PricesArgs {
    #[command(subcommand)]
    pub command: PricesCommand,
}

#[derive(Debug, Subcommand)]
pub enum PricesCommand {
    /// List catalog models with their main prices (USD per million tokens).
    #[command(after_help = "Examples:
  aicost prices list
  aicost prices list gemini
  aicost prices list 'claude*4-5' --format json
  aicost prices list --catalog prices.json")]
    List {
        /// Only models whose name contains this (case-insensitive; `*` matches anything), or of
        /// this provider.
        pattern: Option<String>,
        /// Read this catalog (JSON) instead of the built-in one.
        #[arg(long)]
        catalog: Option<PathBuf>,
        /// Output format.
        #[arg(long, short = 'f', value_enum, default_value_t = TableOrJson::Table)]
        format: TableOrJson,
    },
    /// Show every price of one model, its context window, source and check date.
    #[command(after_help = "Examples:
  aicost prices show gpt-4o
  aicost prices show openai/gpt-4o-mini       a provider prefix is ignored
  aicost prices show claude-sonnet-4-5 --format json")]
    Show {
        /// The model name.
        model: String,
        /// Read this catalog (JSON) instead of the built-in one.
        #[arg(long)]
        catalog: Option<PathBuf>,
        /// Output format.
        #[arg(long, short = 'f', value_enum, default_value_t = TableOrJson::Table)]
        format: TableOrJson,
    },
    /// Convert another catalog into an aicost catalog file (written atomically).
    #[command(after_help = "Examples:
  aicost prices import litellm model_prices_and_context_window.json --out prices.json
  aicost prices import litellm litellm.json --only gpt-4o,claude-sonnet-4-5 --out -
  aicost prices import litellm litellm.json --only @models.txt --strip-prefix --checked 2026-11-01

Per-token prices become per-million-token prices by moving the decimal point (2.5e-06 -> 2.5).
Entries that are not chat, completion or responses models, or lack an input or output price, are
skipped and counted; price keys aicost cannot represent yet are listed.")]
    Import(ImportArgs),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum TableOrJson {
    /// Aligned text.
    Table,
    /// JSON.
    Json,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ImportSource {
    /// LiteLLM's model_prices_and_context_window.json (USD per token).
    Litellm,
}

#[derive(Debug, ClapArgs)]
pub struct ImportArgs {
    /// The format of the file.
    #[arg(value_enum)]
    pub source: ImportSource,
    /// The file to import.
    pub file: PathBuf,
    /// Where to write the catalog; `-` prints it.
    #[arg(long, short = 'o', default_value = "prices.json")]
    pub out: PathBuf,
    /// Import only these names: a comma-separated list, or @FILE with one name per line.
    #[arg(long)]
    pub only: Option<String>,
    /// Name entries without their provider prefix (gemini/gemini-2.5-pro -> gemini-2.5-pro).
    #[arg(long)]
    pub strip_prefix: bool,
    /// The date the prices were checked (YYYY-MM-DD); default today.
    #[arg(long)]
    pub checked: Option<String>,
    /// The LiteLLM release the file comes from (1.110.2); default: read from the file's name,
    /// or from the installed package's metadata beside it.
    #[arg(long)]
    pub release: Option<String>,
    /// The date of that release (YYYY-MM-DD); default: the file's modification date.
    #[arg(long)]
    pub release_date: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum LogFormatArg {
    /// OpenTelemetry GenAI spans, one JSON object (or OTLP export) per line.
    Otel,
    /// LiteLLM spend-log rows, as CSV, JSON lines or a JSON array.
    Litellm,
    /// timestamp,user,workflow,model,input_tokens,cached_tokens,output_tokens,status
    Csv,
    /// Per-workflow token histograms from a warehouse query (docs/warehouse.md).
    Aggregates,
}

#[derive(Debug, ClapArgs)]
pub struct FitArgs {
    /// Log files (`-` reads standard input); gzip is recognised.
    #[arg(required = true)]
    pub logs: Vec<PathBuf>,
    /// The log format (default: detected from each file).
    #[arg(long, value_enum)]
    pub from: Option<LogFormatArg>,
    /// The attribute, tag or column naming the workflow (see docs/fit.md).
    #[arg(long)]
    pub group_by: Option<String>,
    /// Fit token counts as empirical distributions instead of lognormals.
    #[arg(long)]
    pub empirical: bool,
    /// Update this scenario instead of writing a new one (it is never overwritten: use --out).
    #[arg(long)]
    pub update: Option<PathBuf>,
    /// Write the scenario here (atomically) instead of standard output.
    #[arg(long, short = 'o')]
    pub out: Option<PathBuf>,
    /// Also write the logs' aggregates (mergeable; the warehouse format) to this file.
    #[arg(long)]
    pub aggregates_out: Option<PathBuf>,
    /// Largest share of malformed lines tolerated before stopping.
    #[arg(long, default_value_t = 0.01)]
    pub max_malformed: f64,
    /// The `name` of a new scenario.
    #[arg(long, default_value = "fitted")]
    pub name: String,
    /// Look models up in this catalog (JSON) instead of the built-in one.
    #[arg(long)]
    pub catalog: Option<PathBuf>,
}

#[derive(Debug, ClapArgs)]
pub struct BacktestArgs {
    /// The scenario that forecasts the spend.
    #[arg(long)]
    pub scenario: PathBuf,
    /// Usage logs (`-` reads standard input); gzip is recognised.
    #[arg(long, required = true, num_args = 1..)]
    pub logs: Vec<PathBuf>,
    /// Only this month (YYYY-MM); default every month in the logs.
    #[arg(long)]
    pub month: Option<String>,
    /// The stack whose forecast is tested (default: the first).
    #[arg(long)]
    pub stack: Option<String>,
    /// The log format (default: detected).
    #[arg(long, value_enum)]
    pub from: Option<LogFormatArg>,
    /// The attribute, tag or column naming the workflow (see docs/fit.md).
    #[arg(long)]
    pub group_by: Option<String>,
    /// Central interval tested (0.9 = from the 5th to the 95th percentile).
    #[arg(long, default_value_t = 0.9)]
    pub interval: f64,
    /// Simulated months per month length.
    #[arg(long, short = 'n', default_value_t = 2000)]
    pub trials: u64,
    /// Random seed of the forecasts.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Largest share of malformed lines tolerated before stopping.
    #[arg(long, default_value_t = 0.01)]
    pub max_malformed: f64,
    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value_t = TableOrJson::Table)]
    pub format: TableOrJson,
    /// Write the output here (atomically) instead of standard output.
    #[arg(long, short = 'o')]
    pub out: Option<PathBuf>,
}

#[derive(Debug, ClapArgs)]
pub struct InitArgs {
    /// Where to write the scenario; `-` prints it.
    #[arg(default_value = "scenario.toml")]
    pub path: PathBuf,

    /// Overwrite the file (and the schema beside it) if it exists.
    #[arg(long)]
    pub force: bool,

    /// The schema the `#:schema` line names, a path relative to the scenario or a URL
    /// (default: `aicost.schema.json`, written beside the scenario).
    #[arg(long, value_name = "PATH_OR_URL")]
    pub schema: Option<String>,
}

/// Trials, seed and threads of the simulations a command runs.
#[derive(Debug, ClapArgs)]
pub struct RunArgs {
    /// Simulated months per run; overrides `[simulation] trials`.
    #[arg(long, short = 'n')]
    pub trials: Option<u64>,

    /// Random seed, shared by every run (common random numbers); overrides `[simulation] seed`.
    /// The same seed gives the same result.
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

    /// Find the smallest set of levers, simulated together, whose monthly spend stays at or
    /// under this amount (USD) with probability --probability, and the order to apply them in.
    #[arg(long, value_name = "USD", value_parser = usd_amount)]
    pub target: Option<f64>,

    /// Share of months that must stay at or under --target: 0.5 (the default) reads the target
    /// as a typical month's spend, 0.95 as its p95.
    #[arg(long, value_name = "P")]
    pub probability: Option<f64>,

    /// Effort of a lever for --target, e.g. batch:product-descriptions=5 or batch=5 (every
    /// candidate of the lever), in any unit used throughout (repeatable; not given counts as 1).
    /// The roadmap puts the most saving per unit of effort first.
    #[arg(long, value_name = "KEY=EFFORT")]
    pub effort: Vec<String>,

    /// Leave a candidate (batch:customer-service-chat) or a lever (batch) out of the --target
    /// search, e.g. one that would degrade the experience (repeatable).
    #[arg(long, value_name = "KEY")]
    pub without: Vec<String>,

    #[command(flatten)]
    pub run: RunArgs,

    /// Output format; markdown (with --target only) is a section a brief can hold.
    #[arg(long, short = 'f', value_enum, default_value_t = LeversFormat::Table)]
    pub format: LeversFormat,

    /// Write the output to this file (atomically) instead of standard output.
    #[arg(long, short = 'o')]
    pub out: Option<PathBuf>,
}

/// Output formats of `levers`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum LeversFormat {
    /// Aligned text.
    Table,
    /// JSON.
    Json,
    /// Markdown (the --target roadmap only).
    Markdown,
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
    #[arg(long, short = 'f', value_enum, default_value_t = TableOrJson::Table)]
    pub format: TableOrJson,

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
    #[arg(long, short = 'f', value_enum, default_value_t = TableOrJson::Table)]
    pub format: TableOrJson,

    /// Write the output to this file (atomically) instead of standard output.
    #[arg(long, short = 'o')]
    pub out: Option<PathBuf>,
}

#[derive(Debug, ClapArgs)]
pub struct ServeArgs {
    /// The scenario file (TOML).
    pub file: PathBuf,

    /// The port to listen on; 0 picks a free one (printed).
    #[arg(long, default_value_t = 8765)]
    pub port: u16,

    /// The address to listen on. Anything but the loopback address lets other machines reach
    /// the page and save files beside the scenario: a warning says so.
    #[arg(long, default_value = "127.0.0.1")]
    pub host: String,

    /// Another name the server answers to in a request's `Host` (repeatable): the machine's
    /// address or DNS name as other machines reach it with `--host 0.0.0.0`, e.g.
    /// `--allow-host 192.168.1.20`. Without it, only the bound address and loopback names are
    /// answered (a page of another site cannot reach the server by a name of its own).
    #[arg(long = "allow-host", value_name = "NAME")]
    pub allow_host: Vec<String>,

    #[command(flatten)]
    pub run: RunArgs,
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
    /// `--allow-dir` folders, beyond a scenario's own tree, that its `extends` and `catalog` may
    /// name.
    pub allow_dirs: Vec<PathBuf>,
}

impl Config {
    pub(crate) fn from_args(args: &Args) -> Config {
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
            allow_dirs: args.allow_dir.clone(),
        }
    }
}

/// A dollar amount written as `check` reads one (`65000`, `$65,000`); any other number (`NaN`,
/// `inf`, a negative) is passed on for the command to refuse with its own message.
fn usd_amount(s: &str) -> Result<f64, String> {
    crate::analysis::check::dollar_amount(s)
        .or_else(|| s.trim().parse().ok())
        .ok_or_else(|| format!("`{s}` is not a dollar amount; write e.g. 65000 or $65,000"))
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
