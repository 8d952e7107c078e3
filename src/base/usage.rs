//! A mistake in how a command was called or in a file it reads other than a scenario (a flag out
//! of range, a path that cannot be used, a log that cannot be read), as data.
//!
//! Each [`UsageKind`] carries the figures and names its message needs and writes the message in
//! one `Display`; the suggested fix is a separate field of [`Usage`], written in one place
//! (`write_notes`) as the `  = help:` line under the message, and so is the `  = note:` line
//! that says why aicost chose what it did. Mistakes inside a scenario are
//! [`Problem`](crate::base::problem::Problem)s instead: they point into the file.

use std::fmt;
use std::path::PathBuf;

use crate::base::calendar::Month;
use crate::base::escape::visible;

/// What went wrong, with the data its message names.
#[derive(Clone, Debug, PartialEq)]
pub enum UsageKind {
    // --- flags ------------------------------------------------------------------------------
    /// `--trials` outside 1..=`max`.
    TrialsOutOfRange { max: u64, got: u64 },
    /// More `--trials` than a paired comparison keeps month by month.
    TooManyPairedTrials {
        trials: u64,
        limit: u64,
        months: u32,
    },
    /// `--threads 0`.
    NoThreads,
    /// `serve` cannot listen on the address it was given.
    CannotListen {
        host: String,
        port: u16,
        error: String,
    },
    /// `serve` listens on something that is not an IP address.
    NotAnIpAddress { host: String, port: u16 },
    /// `serve` cannot watch the scenario's files for changes.
    CannotWatch { error: String },
    /// `--threads` beyond what aicost starts.
    TooManyThreads { threads: usize, max: usize },
    /// `--interval` outside (0, 1).
    IntervalOutOfRange { got: f64 },
    /// `--max-breach` outside [0, 1].
    MaxBreachOutOfRange { got: f64 },
    /// `--max-malformed` outside [0, 1].
    MaxMalformedOutOfRange { got: f64 },
    /// `--max-seconds` not a positive number.
    MaxSecondsNotPositive { got: f64 },
    /// `--month` that is not `YYYY-MM`; `example` is a month shown as an example.
    NotAMonth { got: String, example: &'static str },
    /// `--month` outside the scenario's horizon.
    MonthOutsideHorizon {
        month: Month,
        horizon: u32,
        first: Month,
        last: Month,
    },
    /// A date flag (`--checked`) that is not `YYYY-MM-DD`.
    NotADate { flag: &'static str, got: String },
    /// `--set` given where nothing reads it.
    SetRefused { first: String, why: String },
    /// `--allow-dir` that is not a folder.
    AllowDirNotAFolder { dir: PathBuf },
    /// `--schema` holding a line break.
    SchemaNotOneLine,
    /// A `levers` assumption (`--lever KEY=VALUE`, as `given`) that cannot be used, and why.
    BadAssumption { given: String, why: AssumptionFault },
    /// `levers --target` that is not a positive amount.
    TargetNotPositive { got: f64 },
    /// `levers --probability` outside (0, 1).
    ProbabilityOutOfRange { got: f64 },
    /// A `levers` option that only means something with `--target`.
    NeedsTarget { flag: &'static str },
    /// `levers --effort` (as `given`) that is not `KEY=NUMBER` with a number of 0 or more.
    BadEffort { given: String },
    /// A lever key in `--effort` or `--without` that names no candidate of the scenario.
    UnknownLeverKey {
        flag: &'static str,
        key: String,
        suggestion: Option<String>,
        known: Vec<String>,
    },
    /// `aicost diff` given neither two files nor `--base-ref` and one.
    DiffNeedsTwoVersions,

    // --- paths ------------------------------------------------------------------------------
    /// A scenario path that is a directory.
    ScenarioIsDirectory { path: PathBuf },
    /// An output path that is a directory.
    OutputIsDirectory { path: PathBuf },
    /// `--out` of `plot` that is a file.
    ChartsOutIsFile { path: PathBuf },
    /// An output path that is a symbolic link looping, or longer than `max_links`.
    LinkLoops { path: PathBuf, max_links: usize },
    /// A file `init` would write exists.
    AlreadyExists { path: PathBuf },
    /// An output (`flag`) that would write over an input (`role`); `via` says how.
    OverwritesInput {
        input: PathBuf,
        role: String,
        flag: String,
        via: OverwriteVia,
    },
    /// Two outputs with the same destination (`dest`, already shown).
    OutputsClash {
        first: String,
        second: String,
        dest: String,
    },

    // --- git --------------------------------------------------------------------------------
    /// A revision starting with `-` (or empty), which git would read as an option.
    RevisionIsOption { rev: String },
    /// git could not be started.
    CannotRunGit { error: String },
    /// A revision naming no commit of the repository at `dir`.
    NoSuchCommit { rev: String, dir: PathBuf },
    /// A file absent from (or unreadable at) a revision.
    UnreadableAtRevision {
        path: PathBuf,
        rev: String,
        error: String,
    },

    // --- catalogs ---------------------------------------------------------------------------
    /// A catalog file that cannot be read.
    CatalogUnreadable { path: PathBuf, error: String },
    /// A mistake in a catalog file, at 1-based `line_col` when known.
    CatalogInvalid {
        name: String,
        line_col: Option<(usize, usize)>,
        message: String,
    },
    /// A `prices list` pattern matching no model.
    NoModelMatches { catalog: String, pattern: String },
    /// A `prices show` model absent from the catalog.
    ModelNotInCatalog { model: String, catalog: String },
    /// A file `tokens` cannot count: missing, unreadable, binary or not UTF-8.
    PromptUnreadable { path: PathBuf, error: String },
    /// A file `prices import` cannot read as LiteLLM's catalog.
    NotLitellmCatalog { path: PathBuf, error: String },
    /// A LiteLLM catalog none of whose models could be imported; `summary` says why, line by line.
    NothingImported { path: PathBuf, summary: String },

    // --- scenarios and runs -----------------------------------------------------------------
    /// A stack name the scenario does not have.
    NoSuchStack { name: String },
    /// A comparison of a scenario with a single stack.
    OneStack { path: PathBuf },
    /// Two runs with different seeds or trials, which cannot be paired.
    RunsDiffer {
        seeds: (u64, u64),
        trials: (u64, u64),
    },
    /// Two runs on different engines, which cannot be paired.
    EnginesDiffer {
        labels: (String, String),
        engines: (String, String),
    },
    /// Two versions with no stack in common; `stacks` lists each side's, shown.
    NoStackInCommon {
        labels: (String, String),
        stacks: (String, String),
    },
    /// The exact engine's single trial is beyond reach.
    ExactTooMuchWork {
        work: String,
        why_exact: String,
        minutes: String,
        max: String,
    },
    /// The exact engine would hold too many sessions in memory.
    ExactTooManySessions { sessions: String, max: String },
    /// The fast engine cannot model the scenario.
    FastUnsupported { why: String },
    /// The fast engine runs the scenario but cannot vouch for its figures.
    FastCannotVouch { why: String },
    /// `auto`: the fast engine cannot vouch for any spread, and the exact engine is too long.
    NoEngineVouches { why: String, walks: String },
    /// The thread pool could not start.
    WorkerThreads { error: String },
    /// The tornado chart could not be drawn.
    TornadoChart { error: String },

    // --- logs -------------------------------------------------------------------------------
    /// A log path that is a directory (`name` is shown).
    LogIsDirectory { name: String },
    /// A log given twice; `same` says how.
    LogGivenTwice { same: String },
    /// A line longer than `max_mib` MiB at `at` (`file:line`).
    LineTooLong { at: String, max_mib: u64 },
    /// A gzip stream cut short at `at`.
    GzipTruncated { at: String },
    /// Corrupt gzip data at `at`.
    GzipCorrupt { at: String, error: String },
    /// Too large a share of malformed lines; `report` lists the first, one per line.
    TooMalformed {
        count: u64,
        lines: u64,
        max_share: f64,
        report: String,
    },
    /// An aggregates file without a column it needs.
    AggregatesMissingColumn {
        name: String,
        column: String,
        header: String,
    },
    /// A log header without a column the format needs.
    MissingColumn { name: String, column: String },
    /// An aggregates file where call logs are needed (`name` when known).
    AggregatesNotCalls { name: Option<String> },
    /// A CSV reader's error at `at` (`file:line`, or `file` when there is no line).
    Csv { at: String, error: Option<String> },
    /// A broken JSON array of LiteLLM spend-log rows.
    BrokenJsonArray {
        name: String,
        line: usize,
        column: usize,
        error: String,
    },
    /// More workflow and model pairs than a fit keeps.
    TooManyParts { max: usize, beyond: u64 },
    /// Calls spread over more distinct days than a fit keeps.
    TooManyDays { max: usize, beyond: u64 },
    /// More models than a backtest keeps.
    TooManyModels { max: usize, beyond: u64 },
    /// Logs without a model call; `to_fit` for `fit`'s wording.
    NoModelCall { to_fit: bool },
    /// Logs without a call in the month asked for; `have` lists the months they cover.
    NoCallInMonth { month: Month, have: Vec<String> },
    /// A scenario `fit --update` cannot parse as TOML (`at` is `:line:column` or empty).
    NotTomlScenario {
        path: PathBuf,
        at: String,
        message: String,
    },
    /// A workflow served by several models names each part `workflow/model`, and another
    /// workflow of the logs already has that name.
    PartNameClash { name: String, workflow: String },
}

impl UsageKind {
    /// The fix this kind of mistake always has, where its data determines it; a suggestion that
    /// depends on more (a "did you mean") is given with [`UsageKind::help`].
    fn standard_help(&self) -> Option<String> {
        use UsageKind::*;
        let text = match self {
            TooManyPairedTrials { limit, .. } => format!(
                "use --trials {limit} or fewer; common random numbers make differences precise with far fewer trials than a forecast needs"
            ),
            CannotListen { .. } => "choose another --port (0 picks a free one)".to_string(),
            TooManyThreads { .. } => "leave --threads out to use one thread per core; results do not depend on it".to_string(),
            MonthOutsideHorizon { .. } => "the horizon begins the month after today (set AICOST_TODAY=YYYY-MM-DD to pin today); leave out --month for every month of it".to_string(),
            SetRefused { first, .. } => format!(
                "pass --set to a command that simulates a scenario, e.g. aicost simulate FILE --set {first}"
            ),
            AllowDirNotAFolder { .. } => "give a folder that exists".to_string(),
            SchemaNotOneLine => "e.g. --schema ../docs/scenario.schema.json".to_string(),
            BadAssumption { .. } => "see `aicost levers --help` for the assumptions and their defaults".to_string(),
            TargetNotPositive { .. } => "e.g. --target 65000".to_string(),
            ProbabilityOutOfRange { .. } => {
                "e.g. --probability 0.95 to keep 95% of months under the target".to_string()
            }
            NeedsTarget { .. } => "e.g. aicost levers scenario.toml --target 65000".to_string(),
            BadEffort { .. } => {
                "e.g. --effort batch:product-descriptions=5 (a candidate) or --effort batch=5 (every candidate of a lever)"
                    .to_string()
            }
            UnknownLeverKey {
                suggestion, known, ..
            } => match suggestion {
                Some(s) => format!("did you mean `{}`?", crate::base::escape::visible(s)),
                None => format!(
                    "the keys are {}",
                    crate::base::escape::visible(&known.join(", "))
                ),
            },
            DiffNeedsTwoVersions => "e.g. aicost diff --base-ref main scenario.toml".to_string(),
            ScenarioIsDirectory { path } => format!(
                "pass a .toml file, e.g. `{}`",
                path.join("scenario.toml").display()
            ),
            LinkLoops { .. } => "point the link at a file, or give another path".to_string(),
            AlreadyExists { .. } => "pass --force to overwrite it, or choose another path".to_string(),
            OverwritesInput { flag, via, .. } => format!(
                "{}; aicost never writes over a file it reads",
                match via {
                    OverwriteVia::Stdout => {
                        "redirect the output to another file, or give --out".to_string()
                    }
                    OverwriteVia::SamePath | OverwriteVia::Alias(_) => {
                        format!("choose another path for {flag}")
                    }
                }
            ),
            OutputsClash { .. } => "give each output its own path".to_string(),
            RevisionIsOption { .. } => "name a branch, tag or commit, e.g. --base-ref main".to_string(),
            NoSuchCommit { .. } => "name a branch, tag or commit, e.g. --base-ref main (a shallow CI checkout may need `git fetch` first)".to_string(),
            NotLitellmCatalog { .. } => "expected a JSON object mapping model names to price entries (model_prices_and_context_window.json)".to_string(),
            OneStack { .. } => "add a second [[stack]], or give a second scenario file to compare the two versions".to_string(),
            EnginesDiffer { .. } => "pass the same --engine for both".to_string(),
            NoStackInCommon { .. } => "give the stacks to compare the same `name` in both files, or keep one stack in each".to_string(),
            ExactTooManySessions { .. } => "use --engine fast (or auto), which does not grow with traffic".to_string(),
            FastUnsupported { .. } => "use --engine exact (or auto)".to_string(),
            FastCannotVouch { .. } => "use --engine exact (fewer --trials make it quicker), or --engine auto, which runs the exact engine where it can and otherwise the fast one with a warning".to_string(),
            NoEngineVouches { .. } => "use --engine exact, with fewer --trials to make it quicker (`aicost estimate` gives the exact mean at once)".to_string(),
            LogGivenTwice { .. } => "name each log once".to_string(),
            LineTooLong { .. } => "a log has one call per line: check the format (--from), and that the file is text, not one unbroken stream".to_string(),
            GzipTruncated { .. } => "the lines before it were read; copy the file again, or let its writer finish".to_string(),
            GzipCorrupt { .. } => "check the file with `gzip -t`, and copy it again".to_string(),
            TooMalformed { .. } => "check the format (--from), or raise --max-malformed".to_string(),
            BrokenJsonArray { .. } => "export JSON lines (one row per line) so one bad row does not stop the read".to_string(),
            PartNameClash { .. } => "rename one of the two workflows in the logs (or group by another column with --group-by)".to_string(),
            TooManyParts { .. } => "--group-by should name a workflow or feature, not something unique per call such as a request id".to_string(),
            TooManyDays { .. } => "check the timestamp column: its values are not the times of the calls".to_string(),
            TooManyModels { .. } => "check the model column (--from): it should name the model of each call".to_string(),
            NoModelCall { to_fit: true } => "check --from and --group-by; `aicost fit --help` lists the formats".to_string(),
            NoCallInMonth { have, .. } => format!(
                "the logs cover {}",
                if have.is_empty() {
                    "no month".to_string()
                } else {
                    have.join(", ")
                }
            ),
            _ => return None,
        };
        Some(text)
    }

    /// This mistake with `help` as its fix, in place of the standard one.
    pub fn help(self, help: impl Into<String>) -> Usage {
        Usage {
            kind: self,
            help: Some(help.into()),
            note: None,
        }
    }
}

/// Why a `levers` assumption cannot be used.
#[derive(Clone, Debug, PartialEq)]
pub enum AssumptionFault {
    /// Not `KEY=VALUE`.
    NotKeyValue,
    /// A key that names no assumption; `suggestion` is the closest one, else `known` lists them.
    UnknownKey {
        key: String,
        suggestion: Option<&'static str>,
        known: Vec<&'static str>,
    },
    /// A value that is not a number.
    NotANumber { value: String },
    /// A number other than 0 below `min`, the smallest a scenario's numbers may be.
    TooSmall { value: String, min: f64 },
    /// A cost outside 0 to `max`, the ceiling of a scenario's numbers.
    CostOutOfRange {
        key: String,
        value: String,
        max: f64,
    },
    /// A share or probability outside its range between 0 and 1.
    ShareOutOfRange { key: String, value: String },
}

impl fmt::Display for AssumptionFault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use AssumptionFault::*;
        match self {
            NotKeyValue => f.write_str("write KEY=VALUE, e.g. --lever cache_hit_rate=0.9"),
            UnknownKey {
                key,
                suggestion: Some(s),
                ..
            } => write!(f, "unknown assumption `{key}`; did you mean `{s}`?"),
            UnknownKey {
                key,
                suggestion: None,
                known,
            } => write!(f, "unknown assumption `{key}`; known: {}", known.join(", ")),
            NotANumber { value } => write!(f, "`{value}` is not a number"),
            TooSmall { value, min } => write!(
                f,
                "{value} is too small to mean anything (a number other than 0 must be at least {min:e})"
            ),
            CostOutOfRange { key, value, max } => write!(
                f,
                "`{key}` is a cost in USD, 0 or more and at most {max:e} (the ceiling of a scenario's numbers), got {value}"
            ),
            ShareOutOfRange { key, value } => {
                write!(f, "`{key}` must lie between 0 and 1, got {value}")
            }
        }
    }
}

/// How an output would reach an input it must not overwrite.
#[derive(Clone, Debug, PartialEq)]
pub enum OverwriteVia {
    /// The output is given the input's own path.
    SamePath,
    /// Standard output is redirected to the input.
    Stdout,
    /// The output's path is another name of the input (a link, `./` or `..`).
    Alias(PathBuf),
}

impl fmt::Display for UsageKind {
    // Long on purpose: one arm per kind of mistake, so that every message can be read side by
    // side with the others.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use UsageKind::*;
        match self {
            TrialsOutOfRange { max, got } => {
                write!(f, "--trials must be between 1 and {max}, got {got}")
            }
            CannotListen { host, port, error } => {
                write!(f, "cannot listen on {host}:{port}: {error}")
            }
            NotAnIpAddress { host, port } => {
                write!(f, "{host}:{port} is not an IP address to listen on")
            }
            CannotWatch { error } => write!(f, "cannot watch the scenario's files: {error}"),
            TooManyPairedTrials {
                trials,
                limit,
                months,
            } => {
                write!(
                    f,
                    "--trials {trials} is more than a paired comparison keeps: at most {limit} trials"
                )?;
                if *months > 1 {
                    write!(f, " of {months} months")?;
                }
                Ok(())
            }
            NoThreads => f.write_str("--threads must be at least 1"),
            TooManyThreads { threads, max } => write!(
                f,
                "--threads {threads} is more than aicost starts: at most {max}"
            ),
            IntervalOutOfRange { got } => write!(
                f,
                "--interval is a probability between 0 and 1, e.g. 0.9; got {got}"
            ),
            MaxBreachOutOfRange { got } => write!(
                f,
                "--max-breach must be a probability between 0 and 1, got {got}"
            ),
            MaxMalformedOutOfRange { got } => {
                write!(f, "--max-malformed is a share between 0 and 1, got {got}")
            }
            MaxSecondsNotPositive { got } => {
                write!(f, "--max-seconds must be a positive number, got {got}")
            }
            NotAMonth { got, example } => write!(
                f,
                "--month must be a month YYYY-MM, e.g. {example}, got `{got}`"
            ),
            MonthOutsideHorizon {
                month,
                horizon,
                first,
                last,
            } => write!(
                f,
                "--month {month} is not in the {horizon}-month horizon, which runs from {first} to {last}"
            ),
            NotADate { flag, got } => {
                write!(f, "{flag} must be a date YYYY-MM-DD, got `{got}`")
            }
            SetRefused { first, why } => write!(f, "`--set {first}`: {why}"),
            AllowDirNotAFolder { dir } => write!(
                f,
                "--allow-dir `{}` is not a folder",
                visible(&dir.display().to_string())
            ),
            SchemaNotOneLine => f.write_str("`--schema` must be a path or URL on one line"),
            BadAssumption { given, why } => write!(f, "`--lever {given}`: {why}"),
            TargetNotPositive { got } => {
                write!(
                    f,
                    "--target must be a monthly amount above 0 USD, got {got}"
                )
            }
            ProbabilityOutOfRange { got } => {
                write!(f, "--probability must be above 0 and below 1, got {got}")
            }
            NeedsTarget { flag } => write!(f, "`{flag}` needs --target USD"),
            BadEffort { given } => write!(
                f,
                "`--effort {}`: expected KEY=EFFORT with an effort of 0 or more",
                crate::base::escape::visible(given)
            ),
            UnknownLeverKey { flag, key, .. } => write!(
                f,
                "`{flag} {}`: no lever or candidate of this scenario has that key",
                crate::base::escape::visible(key)
            ),
            DiffNeedsTwoVersions => f.write_str(
                "`aicost diff` needs OLD.toml and NEW.toml, or --base-ref REV and NEW.toml",
            ),
            ScenarioIsDirectory { path } => write!(
                f,
                "`{}` is a directory, not a scenario file",
                path.display()
            ),
            OutputIsDirectory { path } => write!(
                f,
                "`{}` is a directory; give a file path for the output",
                visible(&path.display().to_string())
            ),
            ChartsOutIsFile { path } => write!(
                f,
                "`{}` is a file; --out takes a directory for the charts",
                path.display()
            ),
            LinkLoops { path, max_links } => write!(
                f,
                "`{}` is a symbolic link that loops (or leads through more than {max_links} links); aicost does not replace a link with a file",
                visible(&path.display().to_string())
            ),
            AlreadyExists { path } => write!(f, "`{}` already exists", path.display()),
            OverwritesInput {
                input,
                role,
                flag,
                via,
            } => {
                write!(
                    f,
                    "refusing to overwrite the input file `{}` ({role}) with {flag}",
                    visible(&input.display().to_string())
                )?;
                match via {
                    OverwriteVia::SamePath => Ok(()),
                    OverwriteVia::Stdout => f.write_str(": standard output is redirected to it"),
                    OverwriteVia::Alias(p) => write!(
                        f,
                        " (`{}` is the same file)",
                        visible(&p.display().to_string())
                    ),
                }
            }
            OutputsClash {
                first,
                second,
                dest,
            } => write!(
                f,
                "{first} and {second} would both write to {dest}, one over the other"
            ),
            RevisionIsOption { rev } => write!(
                f,
                "`{}` is not a git revision: it starts with `-`, so git would read it as an option",
                visible(rev)
            ),
            CannotRunGit { error } => write!(f, "cannot run git: {error}"),
            NoSuchCommit { rev, dir } => write!(
                f,
                "`{}` names no commit of the git repository at `{}`",
                visible(rev),
                visible(&dir.display().to_string())
            ),
            UnreadableAtRevision { path, rev, error } => write!(
                f,
                "cannot read `{}` at git revision `{rev}`: {error}",
                path.display()
            ),
            CatalogUnreadable { path, error } => {
                write!(f, "cannot read catalog `{}`: {error}", path.display())
            }
            CatalogInvalid {
                name,
                line_col,
                message,
            } => match line_col {
                Some((l, c)) => write!(f, "{name}:{l}:{c}: {message}"),
                None => write!(f, "{name}: {message}"),
            },
            NoModelMatches { catalog, pattern } => {
                write!(f, "no model in the {catalog} matches `{pattern}`")
            }
            ModelNotInCatalog { model, catalog } => {
                write!(f, "model `{model}` is not in the {catalog}")
            }
            PromptUnreadable { path, error } => {
                write!(
                    f,
                    "cannot count the tokens of `{}`: {error}",
                    visible(&path.display().to_string())
                )
            }
            NotLitellmCatalog { path, error } => {
                write!(f, "`{}` is not LiteLLM's catalog: {error}", path.display())
            }
            NothingImported { path, summary } => write!(
                f,
                "no model of `{}` could be imported\n{summary}",
                path.display()
            ),
            NoSuchStack { name } => write!(f, "the scenario has no stack `{name}`"),
            OneStack { path } => write!(
                f,
                "`{}` has one stack, so there is nothing to compare",
                path.display()
            ),
            RunsDiffer { seeds, trials } => write!(
                f,
                "the two runs differ in seed or trials ({} × {} vs {} × {}); a paired comparison needs the same of both",
                seeds.0, trials.0, seeds.1, trials.1
            ),
            EnginesDiffer { labels, engines } => write!(
                f,
                "`{}` ran on the {} engine and `{}` on the {} engine; a paired comparison needs one engine for both",
                labels.0, engines.0, labels.1, engines.1
            ),
            NoStackInCommon { labels, stacks } => write!(
                f,
                "`{}` and `{}` have no stack in common (stacks {} vs {})",
                labels.0, labels.1, stacks.0, stacks.1
            ),
            ExactTooMuchWork {
                work,
                why_exact,
                minutes,
                max,
            } => write!(
                f,
                "the exact engine would simulate about {work} request walks and model calls per trial ({why_exact}), about {minutes} CPU-minutes each; it takes on at most {max}"
            ),
            ExactTooManySessions { sessions, max } => write!(
                f,
                "the exact engine would hold about {sessions} sessions of a month in memory, more than its limit of {max}"
            ),
            FastUnsupported { why } => {
                write!(f, "the fast engine cannot run this scenario: {why}")
            }
            FastCannotVouch { why } => write!(
                f,
                "the fast engine cannot vouch for this scenario's figures: {why}"
            ),
            NoEngineVouches { why, walks } => write!(
                f,
                "the fast engine cannot vouch for this scenario's figures ({why}), and the exact engine would take about {walks} request walks"
            ),
            WorkerThreads { error } => write!(f, "cannot start worker threads: {error}"),
            TornadoChart { error } => write!(f, "cannot draw the tornado chart: {error}"),
            LogIsDirectory { name } => write!(
                f,
                "`{}` is a directory; pass log files (they may be gzipped)",
                visible(name)
            ),
            LogGivenTwice { same } => write!(f, "{same}: its calls would be counted twice"),
            LineTooLong { at, max_mib } => {
                write!(f, "{at}: a line longer than {max_mib} MiB; stopped")
            }
            GzipTruncated { at } => write!(
                f,
                "{at}: the gzip stream ends early (the file is truncated)"
            ),
            GzipCorrupt { at, error } => write!(f, "{at}: the gzip data is corrupt: {error}"),
            TooMalformed {
                count,
                lines,
                max_share,
                report,
            } => {
                write!(
                    f,
                    "{count} of {lines} lines read are malformed (more than {}%); stopped",
                    max_share * 100.0
                )?;
                // The report ends each line with a newline; the help line follows the last.
                if !report.is_empty() {
                    write!(f, "\n{}", report.strip_suffix('\n').unwrap_or(report))?;
                }
                Ok(())
            }
            AggregatesMissingColumn {
                name,
                column,
                header,
            } => write!(
                f,
                "{name}:1: aggregates need the column `{column}` (header: {header})"
            ),
            MissingColumn { name, column } => {
                write!(f, "{name}:1: the header has no `{column}` column")
            }
            AggregatesNotCalls { name: Some(name) } => write!(
                f,
                "`{name}` holds aggregates, not calls; a backtest needs the call logs"
            ),
            AggregatesNotCalls { name: None } => f.write_str("aggregates are not call logs"),
            Csv {
                at,
                error: Some(error),
            } => write!(f, "{at}: cannot read CSV: {error}"),
            Csv { at, error: None } => write!(f, "{at}: cannot read CSV"),
            BrokenJsonArray {
                name,
                line,
                column,
                error,
            } => write!(
                f,
                "{name}:{line}:{column}: the JSON array of spend-log rows is broken: {error}"
            ),
            TooManyParts { max, beyond } => write!(
                f,
                "the logs name more than {max} workflow and model pairs ({beyond} calls beyond them)"
            ),
            TooManyDays { max, beyond } => write!(
                f,
                "the logs' calls fall on more than {max} distinct days (a century); {beyond} calls beyond them"
            ),
            TooManyModels { max, beyond } => write!(
                f,
                "the logs name more than {max} models ({beyond} calls beyond them)"
            ),
            NoModelCall { to_fit: true } => f.write_str("the logs hold no model call to fit"),
            NoModelCall { to_fit: false } => f.write_str("the logs hold no model call"),
            NoCallInMonth { month, .. } => write!(f, "the logs have no call in {month}"),
            PartNameClash { name, workflow } => write!(
                f,
                "workflow `{}` is served by several models, so one of its parts would be named `{}`, which another workflow of the logs is already called",
                crate::base::escape::visible(workflow),
                crate::base::escape::visible(name)
            ),
            NotTomlScenario { path, at, message } => {
                write!(f, "{}{at}: not a TOML scenario: {message}", path.display())
            }
        }
    }
}

/// A mistake in how a command was called: its kind, the fix, and a note on a choice aicost made.
#[derive(Clone, Debug, PartialEq)]
pub struct Usage {
    pub kind: UsageKind,
    /// How to fix it; the `  = help:` line.
    pub help: Option<String>,
    /// Why aicost was doing what failed (a choice it made for the user); the `  = note:` line.
    pub note: Option<String>,
}

impl Usage {
    /// This mistake with `note` under it.
    pub fn note(mut self, note: impl Into<String>) -> Self {
        self.note = Some(note.into());
        self
    }
}

impl From<UsageKind> for Usage {
    fn from(kind: UsageKind) -> Self {
        let help = kind.standard_help();
        Usage {
            kind,
            help,
            note: None,
        }
    }
}

impl fmt::Display for Usage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.kind)?;
        write_notes(f, self.help.as_deref(), self.note.as_deref())
    }
}

/// The lines under a message: `  = help: …` (how to fix it), then `  = note: …`. The one place
/// they are written; each starts with a line break and none ends with one.
pub(crate) fn write_notes(
    out: &mut impl fmt::Write,
    help: Option<&str>,
    note: Option<&str>,
) -> fmt::Result {
    if let Some(help) = help {
        write!(out, "\n  = help: {help}")?;
    }
    if let Some(note) = note {
        write!(out, "\n  = note: {note}")?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_help_and_the_note_follow_the_message_on_lines_of_their_own() {
        let usage = Usage::from(UsageKind::FastUnsupported {
            why: "it has no traffic".to_string(),
        })
        .note("auto chose the exact engine because it had to");
        assert_eq!(
            usage.to_string(),
            "the fast engine cannot run this scenario: it has no traffic\n  \
             = help: use --engine exact (or auto)\n  \
             = note: auto chose the exact engine because it had to"
        );
    }

    #[test]
    fn a_report_of_malformed_lines_sits_between_the_message_and_the_help() {
        let kind = |report: &str| UsageKind::TooMalformed {
            count: 3,
            lines: 4,
            max_share: 0.5,
            report: report.to_string(),
        };
        assert_eq!(
            Usage::from(kind("  a.jsonl:1: bad\n")).to_string(),
            "3 of 4 lines read are malformed (more than 50%); stopped\n  a.jsonl:1: bad\n  \
             = help: check the format (--from), or raise --max-malformed"
        );
        assert_eq!(
            Usage::from(kind("")).to_string(),
            "3 of 4 lines read are malformed (more than 50%); stopped\n  \
             = help: check the format (--from), or raise --max-malformed"
        );
    }
}
