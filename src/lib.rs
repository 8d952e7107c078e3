//! aicost: Monte Carlo forecasts of what an LLM feature will cost.
//!
//! A scenario (TOML) describes traffic per user segment, token distributions per workflow step,
//! retry, validation and escalation rates, caching and prices. The library does what the
//! `aicost` command does, in five calls (see [`api`]):
//!
//! - [`load`] a scenario file, or [`validate`] one given as text;
//! - [`simulate`] months of it, on the engine the command uses;
//! - [`report`] the figures a team budgets with (monthly spend percentiles, breach probability,
//!   cost per accepted task, where the money goes);
//! - [`compare`] its stacks under common random numbers, with a recommendation.
//!
//! ```
//! # fn main() -> Result<(), aicost::Error> {
//! let loaded = aicost::load("scenarios/support-summarizer.toml")?;
//! let result = aicost::simulate(&loaded.scenario, 1_000, 42)?;
//! let report = aicost::report(&loaded.scenario, &result);
//! println!("{}", report.to_json());
//! println!("{}", aicost::compare(&loaded.scenario, &result, 0.05).recommendation.text);
//! # Ok(())
//! # }
//! ```
//!
//! `examples/` has complete programs (`cargo run --release --example forecast`). The modules
//! behind these calls are public for the `aicost` binary, its tests and benchmarks, and hidden
//! from this documentation: their shape follows the command, not a compatibility promise.

#![warn(missing_docs)]
// `!(x > 0.0)` is used on purpose throughout: unlike `x <= 0.0` it also rejects NaN.
#![allow(clippy::neg_cmp_op_on_partial_ord)]

#[doc(hidden)]
pub mod backtest;
#[doc(hidden)]
pub mod calendar;
#[doc(hidden)]
pub mod catalog;
#[doc(hidden)]
pub mod check;
#[doc(hidden)]
pub mod cli;
#[doc(hidden)]
pub mod commands;
#[doc(hidden)]
pub mod compare;
#[doc(hidden)]
pub mod diag;
#[doc(hidden)]
pub mod diff;
#[doc(hidden)]
pub mod dist;
#[doc(hidden)]
pub mod doc;
#[doc(hidden)]
pub mod engine;
#[doc(hidden)]
pub mod error;
#[doc(hidden)]
pub mod escape;
#[doc(hidden)]
pub mod estimate;
#[doc(hidden)]
pub mod files;
#[doc(hidden)]
pub mod fit;
#[doc(hidden)]
pub mod focus;
#[doc(hidden)]
pub mod fuzzing;
#[doc(hidden)]
pub mod interrupt;
#[doc(hidden)]
pub mod levers;
#[doc(hidden)]
pub mod model;
#[doc(hidden)]
pub mod moments;
#[doc(hidden)]
pub mod output;
#[doc(hidden)]
pub mod paired;
#[doc(hidden)]
pub mod plot;
#[doc(hidden)]
pub mod report;
#[doc(hidden)]
pub mod run;
#[doc(hidden)]
pub mod scenario;
#[doc(hidden)]
pub mod schema;
#[doc(hidden)]
pub mod sensitivity;
#[doc(hidden)]
pub mod source;
#[doc(hidden)]
pub mod special;
#[doc(hidden)]
pub mod stats;

pub mod api;
pub use api::{
    Comparison, DEFAULT_MAX_BREACH, EngineRequest, Error, Loaded, Report, Scenario, SimOptions,
    SimResult, StackReport, compare, load, report, simulate, simulate_with, validate,
};
