//! aicost: Monte Carlo forecasts of what an LLM feature will cost.
//!
//! A scenario (TOML) describes traffic per user segment, token distributions per workflow step,
//! retry, validation and escalation rates, caching and prices; [`scenario::load`] validates it,
//! [`engine`] simulates months of it and [`report::Report`] turns the months into the figures a
//! team budgets with. The `aicost` binary is a thin wrapper over [`run::main`].

// `!(x > 0.0)` is used on purpose throughout: unlike `x <= 0.0` it also rejects NaN.
#![allow(clippy::neg_cmp_op_on_partial_ord)]

pub mod backtest;
pub mod calendar;
pub mod catalog;
pub mod check;
pub mod cli;
pub mod commands;
pub mod compare;
pub mod diag;
pub mod diff;
pub mod dist;
pub mod doc;
pub mod engine;
pub mod error;
pub mod escape;
pub mod estimate;
pub mod files;
pub mod fit;
pub mod focus;
pub mod fuzzing;
pub mod interrupt;
pub mod levers;
pub mod model;
pub mod moments;
pub mod output;
pub mod paired;
pub mod plot;
pub mod report;
pub mod run;
pub mod scenario;
pub mod schema;
pub mod sensitivity;
pub mod source;
pub mod special;
pub mod stats;
