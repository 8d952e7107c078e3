//! Figures derived from runs and scenarios, with no text of their own: the [`report`] of a run
//! and its [`detail`], comparisons of plans, levers, sensitivity, CI checks, scenario diffs,
//! backtests against logs, and fitting a scenario from logs.

pub mod backtest;
pub mod break_even;
pub mod check;
pub mod compare;
pub mod detail;
pub mod diff;
pub mod fit;
pub mod levers;
pub mod policy;
pub mod provisioned;
pub mod quota;
pub mod report;
pub mod sensitivity;
