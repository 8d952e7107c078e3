//! The ground floor: what every other layer may use and that knows nothing of scenarios —
//! errors and the problems they carry, sources and their locations, dates, escaping of names,
//! number formatting, special functions and statistics.

pub mod badline;
pub mod calendar;
pub mod diag;
pub mod error;
pub mod escape;
pub mod format;
pub mod problem;
pub mod source;
pub mod special;
pub mod stats;
pub mod svgtext;
pub mod usage;
pub mod warning;
