//! Simulation and its analytic twin: the Monte Carlo [`engine`] (exact and fast), the closed-form
//! expected month of [`estimate`], and the first two [`moments`] of a request's cost that the fast
//! engine draws days from.

pub mod engine;
pub mod estimate;
pub mod moments;
