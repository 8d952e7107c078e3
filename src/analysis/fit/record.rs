//! One model call as read from any log format.
//!
//! Formats disagree on names and on how cached tokens are counted; every reader converts to
//! [`Call`], whose `input_tokens` always include the cached ones and the cache writes (subsets, as
//! OpenAI, Gemini, OpenTelemetry and LiteLLM report them), and whose `output_tokens` include the
//! reasoning ones, so the rest of `fit` and `backtest` has one meaning. [`Call::check`] is the one
//! rule every reader applies to a call's counts.

use crate::base::badline::BadLine;
use crate::base::calendar::Timestamp;

/// How a call ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    /// Completed and accepted by the application.
    Ok,
    /// Completed (and billed), but its output failed the application's validation, so it was
    /// retried or escalated.
    ValidationFailed,
    /// The provider returned an error; not billed.
    Error,
}

impl Status {
    /// Parse the `status` column of the plain CSV format (and LiteLLM's).
    pub fn parse(s: &str) -> Option<Status> {
        match s.trim().to_ascii_lowercase().as_str() {
            "" | "ok" | "success" | "succeeded" | "accepted" | "200" => Some(Status::Ok),
            "validation_failed" | "validation_failure" | "invalid" | "rejected" => {
                Some(Status::ValidationFailed)
            }
            "error" | "failure" | "failed" | "timeout" | "provider_error" => Some(Status::Error),
            _ => None,
        }
    }

    /// Whether the call was billed (completed).
    pub fn billed(self) -> bool {
        self != Status::Error
    }
}

/// The most one logged call can cost, in USD: far beyond any price list (a million tokens at
/// the dearest output price is a few hundred dollars), so that a corrupted figure (`1e308`)
/// is refused as the line's mistake instead of swamping every total it enters.
pub const MAX_CALL_COST_USD: f64 = 100_000.0;

/// A logged cost as a call's: finite, non-negative and at most [`MAX_CALL_COST_USD`]; `text` is
/// the value as the log writes it, and `unreadable` the reason for one that is not a cost.
pub fn call_cost(x: Option<f64>, text: &str, unreadable: BadLine) -> Result<f64, BadLine> {
    match x {
        Some(x) if x.is_finite() && (0.0..=MAX_CALL_COST_USD).contains(&x) => Ok(x),
        Some(x) if x.is_finite() && x > MAX_CALL_COST_USD => Err(BadLine::AbsurdCost {
            value: text.to_string(),
            max: MAX_CALL_COST_USD,
        }),
        _ => Err(unreadable),
    }
}

/// One model call.
#[derive(Clone, Debug, PartialEq)]
pub struct Call {
    pub timestamp: Timestamp,
    /// `None` when the log does not say.
    pub user: Option<String>,
    pub workflow: String,
    pub model: String,
    /// Every prompt token, cached ones included.
    pub input_tokens: u64,
    /// Prompt tokens read from the provider's cache (a subset of `input_tokens`).
    pub cached_tokens: u64,
    /// Prompt tokens written to the provider's cache (a subset of `input_tokens`, disjoint from
    /// the cached ones); `None` when the log does not report writes (OpenAI's usage has no such
    /// count before its cache writes were billed).
    pub cache_write_tokens: Option<u64>,
    /// Of the cache writes, those kept an hour, when the log says (Anthropic's
    /// `ephemeral_1h_input_tokens`); `None` when it does not.
    pub cache_write_1h_tokens: Option<u64>,
    /// Image and audio tokens of the prompt (subsets of `input_tokens`).
    pub image_tokens: u64,
    pub audio_input_tokens: u64,
    /// Every completion token, reasoning and audio ones included.
    pub output_tokens: u64,
    /// Hidden reasoning tokens (a subset of `output_tokens`), when the log says.
    pub reasoning_tokens: Option<u64>,
    /// Audio tokens of the completion (a subset of `output_tokens`).
    pub audio_output_tokens: u64,
    pub status: Status,
    /// 1 for a first attempt, 2 for the first retry…, when the log says.
    pub attempt: Option<u32>,
    /// What the call cost, when the log says (LiteLLM's `spend` or `response_cost`, a span's
    /// cost attribute, the plain format's `cost_usd`).
    pub cost_usd: Option<f64>,
}

impl Call {
    /// A call of `model` at `timestamp` with no tokens, accepted: the start of a reader's record.
    pub fn new(timestamp: Timestamp, workflow: String, model: String) -> Call {
        Call {
            timestamp,
            user: None,
            workflow,
            model,
            input_tokens: 0,
            cached_tokens: 0,
            cache_write_tokens: None,
            cache_write_1h_tokens: None,
            image_tokens: 0,
            audio_input_tokens: 0,
            output_tokens: 0,
            reasoning_tokens: None,
            audio_output_tokens: 0,
            status: Status::Ok,
            attempt: None,
            cost_usd: None,
        }
    }

    /// Input tokens neither read from nor written to the cache (text, images and audio).
    pub fn uncached_input(&self) -> u64 {
        self.input_tokens - self.cached_tokens - self.writes()
    }

    /// Cache writes, 0 when the log does not report them.
    pub fn writes(&self) -> u64 {
        self.cache_write_tokens.unwrap_or(0)
    }

    /// The one rule on a call's counts, the same in every reader: the parts of the prompt (cache
    /// reads and writes; images and audio) never exceed it, one-hour writes never exceed the
    /// writes, and reasoning and audio output never exceed the output. A call that breaks it is
    /// malformed, never clamped: its total was counted another way than the convention says.
    pub fn check(&self) -> Result<(), BadLine> {
        let input = self.input_tokens;
        if self.cached_tokens > input {
            return Err(BadLine::CachedExceedInput {
                cached: self.cached_tokens,
                input,
            });
        }
        if self.cached_tokens + self.writes() > input {
            return Err(BadLine::CacheExceedInput {
                cached: self.cached_tokens,
                writes: self.writes(),
                input,
            });
        }
        if self.image_tokens + self.audio_input_tokens > input {
            return Err(BadLine::MediaExceedInput {
                image: self.image_tokens,
                audio: self.audio_input_tokens,
                input,
            });
        }
        if let Some(h) = self.cache_write_1h_tokens
            && h > self.writes()
        {
            return Err(BadLine::OneHourExceedWrites {
                one_hour: h,
                writes: self.writes(),
            });
        }
        let reasoning = self.reasoning_tokens.unwrap_or(0);
        if reasoning + self.audio_output_tokens > self.output_tokens {
            return Err(BadLine::ReasoningExceedOutput {
                reasoning,
                audio: self.audio_output_tokens,
                output: self.output_tokens,
            });
        }
        Ok(())
    }
}
