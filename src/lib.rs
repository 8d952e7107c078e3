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
//!
//! The code stands in seven layers, one folder each, and each imports only the layers below it
//! (`tests/architecture.rs` holds it to that; `docs/architecture.md` draws them): `base` (errors,
//! sources, calendar, number formatting, statistics), `model` (distributions, the scenario format
//! and its validation, catalogs), `billing` (the one place where a price is applied), `sim` (the
//! engines and the analytic expectations and moments), `analysis` (figures derived from runs and
//! scenarios), `render` (text, CSV, Markdown, HTML and charts) and `app` (the command line, its
//! commands and the files they write; the [`api`] above is its library face).

#![warn(missing_docs)]
// `!(x > 0.0)` is used on purpose throughout: unlike `x <= 0.0` it also rejects NaN.
#![allow(clippy::neg_cmp_op_on_partial_ord)]

#[doc(hidden)]
pub mod analysis;
#[doc(hidden)]
pub mod app;
#[doc(hidden)]
pub mod base;
#[doc(hidden)]
pub mod billing;
#[doc(hidden)]
pub mod model;
#[doc(hidden)]
pub mod render;
#[doc(hidden)]
pub mod sim;

pub use app::api;
pub use app::api::{
    Comparison, DEFAULT_MAX_BREACH, EngineRequest, Error, Loaded, Report, Scenario, SimOptions,
    SimResult, StackReport, compare, load, report, simulate, simulate_with, validate,
};
