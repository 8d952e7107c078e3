//! One model call as read from any log format.
//!
//! Formats disagree on names and on how cached tokens are counted; every reader converts to
//! [`Call`], whose `input_tokens` always include the cached ones (a subset, as OpenAI, Gemini,
//! OpenTelemetry and LiteLLM report them), so the rest of `fit` and `backtest` has one meaning.

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
    pub output_tokens: u64,
    pub status: Status,
    /// 1 for a first attempt, 2 for the first retry…, when the log says.
    pub attempt: Option<u32>,
    /// What the call cost, when the log says (LiteLLM's `spend`).
    pub cost_usd: Option<f64>,
}
