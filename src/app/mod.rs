//! The program: command-line arguments, one module per command, the plan of files a command
//! reads and writes, errors and warnings as printed, atomic output, Ctrl-C handling, the fuzzing entry points, the what-if server of `serve`, and the library
//! face of all of it ([`api`]).

pub mod api;
pub mod cli;
pub mod commands;
pub mod diagnostics;
pub mod files;
pub mod fuzzing;
pub mod interrupt;
pub mod output;
pub mod run;
pub mod serve;
