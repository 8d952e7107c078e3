//! Why one line, row or span of a log cannot be read, as data.
//!
//! A log reader that meets a line it cannot use does not stop: it counts the line as malformed
//! and goes on, and the first few reasons are listed once too many lines are malformed (see
//! [`UsageKind::TooMalformed`](crate::base::usage::UsageKind::TooMalformed)). Each [`BadLine`]
//! carries the values its reason names and writes the reason in one `Display`.

use std::fmt;

/// The convention a log format counts tokens by, named when a call's counts break it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Convention {
    /// OpenTelemetry's GenAI attributes.
    OpenTelemetry,
    /// LiteLLM's spend logs.
    Litellm,
}

impl fmt::Display for Convention {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Convention::OpenTelemetry => {
                "OpenTelemetry counts every kind inside gen_ai.usage.input_tokens and output_tokens"
            }
            Convention::Litellm => "LiteLLM counts cache reads and writes inside prompt_tokens",
        })
    }
}

/// What is wrong with one line (or row, or span) of a log.
#[derive(Clone, Debug, PartialEq)]
pub enum BadLine {
    // --- the line as a whole ----------------------------------------------------------------
    /// A JSON-lines line that does not parse.
    NotJson { error: String },
    /// A JSON-lines line that is not an object.
    NotJsonObject,
    /// An element of a JSON array of rows that is not an object.
    RowNotJsonObject,
    /// A CSV record the reader refused.
    Csv { error: String },
    /// A CSV record shorter than its header.
    TooFewFields { fields: usize, header: usize },

    // --- fields -----------------------------------------------------------------------------
    /// A field that is required and absent.
    NoField { key: String },
    /// A field whose value is wrong, for the reason `inner` gives.
    InField { key: String, inner: Box<BadLine> },
    /// A value that is not a token count (shown as JSON).
    NotATokenCount { value: String },
    /// A CSV column that is not a token count.
    ColumnNotATokenCount { key: String, value: String },
    /// A value that is not a cost in USD (shown as JSON).
    NotACost { value: String },
    /// A cost column that cannot be read; `key` names it in backticks when given.
    UnreadableCost { key: Option<String>, value: String },
    /// A cost that reads as a number but no single call can cost: above `max` dollars.
    AbsurdCost { value: String, max: f64 },
    /// A status that is none of the known ones; `list` names them.
    UnknownStatus { value: String, list: bool },
    /// A timestamp that cannot be read.
    UnreadableTimestamp { value: String },
    /// A field holding a time that cannot be read.
    UnreadableTime { key: String },
    /// An `attempt` that is not 1, 2, ….
    BadAttempt { value: String },
    /// An OpenTelemetry span without a model.
    NoOtelModel,
    /// An OpenTelemetry span without a readable start time.
    NoOtelStartTime,
    /// A plain CSV row without a workflow or a model.
    EmptyWorkflowOrModel,

    // --- token counts -----------------------------------------------------------------------
    /// Cache reads beyond the input.
    CachedExceedInput { cached: u64, input: u64 },
    /// Cache reads and writes beyond the input.
    CacheExceedInput {
        cached: u64,
        writes: u64,
        input: u64,
    },
    /// Image and audio input beyond the input.
    MediaExceedInput { image: u64, audio: u64, input: u64 },
    /// One-hour cache writes beyond the writes.
    OneHourExceedWrites { one_hour: u64, writes: u64 },
    /// Reasoning and audio output beyond the output.
    ReasoningExceedOutput {
        reasoning: u64,
        audio: u64,
        output: u64,
    },
    /// Counts that break the rule, read from a format whose `convention` the reason names.
    Counted {
        inner: Box<BadLine>,
        convention: Convention,
    },

    // --- aggregates -------------------------------------------------------------------------
    /// An aggregate column that is not a number.
    NotANumber { column: &'static str, value: String },
    /// An aggregate row with a negative `n`.
    NegativeN,
    /// A `first_day` or `last_day` whose day number is not a whole number of days in range.
    DayOutOfRange { value: String },
    /// The rows of one workflow and model whose summed parts break the rule on a call's counts.
    Part {
        workflow: String,
        model: String,
        inner: Box<BadLine>,
    },
    /// An aggregate `bucket` that is not an integer.
    BucketNotInteger { value: String },
    /// A measure of a workflow and model given without them.
    NeedsWorkflowAndModel { measure: String },
    /// A measure of a workflow given without one.
    NeedsWorkflow { measure: String },
    /// A measure aicost does not know; `suggestion` is the closest it knows.
    UnknownMeasure {
        measure: String,
        suggestion: Option<String>,
    },
}

impl BadLine {
    /// A line that does not parse as JSON, for the parser's `error`.
    pub fn not_json(error: impl fmt::Display) -> Self {
        BadLine::NotJson {
            error: error.to_string(),
        }
    }

    /// A record the CSV reader refused, for its `error`.
    pub fn csv(error: impl fmt::Display) -> Self {
        BadLine::Csv {
            error: error.to_string(),
        }
    }

    /// These counts, read from a format that counts by `convention`.
    pub fn counted(self, convention: Convention) -> Self {
        BadLine::Counted {
            inner: Box::new(self),
            convention,
        }
    }

    /// This reason, for the field `key`.
    pub fn in_field(self, key: impl Into<String>) -> Self {
        BadLine::InField {
            key: key.into(),
            inner: Box::new(self),
        }
    }
}

impl fmt::Display for BadLine {
    // Long on purpose: one arm per reason, so that every reason can be read beside the others.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use BadLine::*;
        match self {
            NotJson { error } => write!(f, "not JSON: {error}"),
            NotJsonObject => f.write_str("not a JSON object"),
            RowNotJsonObject => f.write_str("row is not a JSON object"),
            Csv { error } => f.write_str(error),
            TooFewFields { fields, header } => {
                write!(f, "{fields} fields where the header has {header}")
            }
            NoField { key } => write!(f, "no `{key}`"),
            InField { key, inner } => write!(f, "`{key}`: {inner}"),
            NotATokenCount { value } => write!(f, "not a token count: {value}"),
            ColumnNotATokenCount { key, value } => {
                write!(f, "`{key}` is not a token count: `{value}`")
            }
            NotACost { value } => write!(f, "not a cost in USD: {value}"),
            UnreadableCost {
                key: Some(key),
                value,
            } => write!(f, "unreadable `{key}` `{value}`"),
            UnreadableCost { key: None, value } => write!(f, "unreadable cost `{value}`"),
            AbsurdCost { value, max } => write!(
                f,
                "a cost of {value} USD for one call is beyond any price (at most {} a call)",
                crate::base::format::money(*max)
            ),
            UnknownStatus { value, list } => {
                write!(f, "unknown status `{value}`")?;
                if *list {
                    f.write_str(" (ok, validation_failed or error)")?;
                }
                Ok(())
            }
            UnreadableTimestamp { value } => write!(f, "unreadable timestamp `{value}`"),
            UnreadableTime { key } => write!(f, "unreadable `{key}`"),
            BadAttempt { value } => write!(f, "`attempt` must be 1, 2, …; got `{value}`"),
            NoOtelModel => f.write_str("no gen_ai.request.model or gen_ai.response.model"),
            NoOtelStartTime => f.write_str("no readable start time (startTimeUnixNano)"),
            EmptyWorkflowOrModel => f.write_str("empty `workflow` or `model`"),
            CachedExceedInput { cached, input } => write!(
                f,
                "cached tokens ({cached}) exceed input tokens ({input}); the input count must include the cached ones"
            ),
            CacheExceedInput {
                cached,
                writes,
                input,
            } => write!(
                f,
                "cached ({cached}) and cache-write ({writes}) tokens exceed input tokens ({input}); the input count must include both"
            ),
            MediaExceedInput {
                image,
                audio,
                input,
            } => write!(
                f,
                "image ({image}) and audio ({audio}) input tokens exceed input tokens ({input})"
            ),
            OneHourExceedWrites { one_hour, writes } => write!(
                f,
                "one-hour cache writes ({one_hour}) exceed cache writes ({writes})"
            ),
            ReasoningExceedOutput {
                reasoning,
                audio,
                output,
            } => write!(
                f,
                "reasoning ({reasoning}) and audio ({audio}) output tokens exceed output tokens ({output}); the output count must include both"
            ),
            Counted { inner, convention } => write!(f, "{inner} ({convention})"),
            NotANumber { column, value } => write!(f, "`{column}` is not a number: `{value}`"),
            NegativeN => f.write_str("`n` cannot be negative"),
            DayOutOfRange { value } => write!(
                f,
                "`n` of a day must be a whole number of days since 1970-01-01 within ±10,000,000: `{value}`"
            ),
            Part {
                workflow,
                model,
                inner,
            } => write!(
                f,
                "workflow `{workflow}`, model `{model}`, summed over its rows: {inner}"
            ),
            BucketNotInteger { value } => write!(f, "`bucket` is not an integer: `{value}`"),
            NeedsWorkflowAndModel { measure } => {
                write!(f, "`{measure}` needs a workflow and a model")
            }
            NeedsWorkflow { measure } => write!(f, "`{measure}` needs a workflow"),
            UnknownMeasure {
                measure,
                suggestion,
            } => {
                write!(f, "unknown measure `{measure}`")?;
                if let Some(s) = suggestion {
                    write!(f, " (did you mean `{s}`?)")?;
                }
                Ok(())
            }
        }
    }
}
