//! The library in five calls: [`load`], [`validate`], [`simulate`], [`compare`], [`report`].
//!
//! Everything the `aicost` command does goes through modules that will keep changing shape; a
//! program that forecasts spend needs only these calls and the types they return, which stay put.
//! [`simulate`] runs the engine the command runs (`--engine auto`: the fast engine wherever its
//! accuracy conditions hold, the exact one otherwise), so 10,000 simulated months of a large
//! scenario take a fraction of a second, and the same scenario, seed and trials give the same
//! figures as `aicost simulate`, whatever the number of threads.
//!
//! ```
//! # fn main() -> Result<(), aicost::Error> {
//! let loaded = aicost::load("scenarios/chatbot.toml")?;
//! let result = aicost::simulate(&loaded.scenario, 2_000, 42)?;
//! let report = aicost::report(&loaded.scenario, &result);
//! for stack in &report.stacks {
//!     println!("{}: mean ${:.2}/month, p95 ${:.2}", stack.name,
//!         stack.monthly_spend_usd.mean, stack.monthly_spend_usd.p95);
//! }
//! # Ok(())
//! # }
//! ```

use std::path::Path;

pub use crate::analysis::compare::{Comparison, DEFAULT_MAX_BREACH};
pub use crate::analysis::report::{Report, StackReport};
pub use crate::base::error::Error;
pub use crate::model::Scenario;
pub use crate::model::scenario::Loaded;
pub use crate::sim::engine::{EngineRequest, SimOptions, SimResult};

/// Read, merge (`extends`), price (`catalog`) and validate the scenario file at `path`.
///
/// On success, [`Loaded::scenario`] is ready to [`simulate`] and [`Loaded::warnings`] holds what
/// `aicost validate` would warn about. A mistake in the file is an [`Error::Scenario`] whose
/// `Display` is the message the command prints: `file:line:column`, the key path and a fix.
///
/// ```
/// let loaded = aicost::load("scenarios/support-summarizer.toml").unwrap();
/// assert_eq!(loaded.scenario.name, "support-summarizer");
///
/// let missing = aicost::load("scenarios/no-such-file.toml").unwrap_err();
/// assert!(missing.to_string().contains("no-such-file.toml"));
/// ```
pub fn load(path: impl AsRef<Path>) -> Result<Loaded, Error> {
    crate::model::scenario::load(path.as_ref())
}

/// Validate a scenario given as TOML text; `name` names it in messages (`name:line:column`).
///
/// The text may not `extends` or name a `catalog` file (there is no folder to find them in);
/// models without prices are priced from the built-in catalog.
///
/// ```
/// let text = std::fs::read_to_string("scenarios/support-summarizer.toml").unwrap();
/// assert!(aicost::validate("summarizer.toml", &text).is_ok());
///
/// let typo = text.replace("weekend_factor", "weekend_fctor");
/// let message = aicost::validate("summarizer.toml", &typo).unwrap_err().to_string();
/// assert!(message.contains("unknown key `weekend_fctor`"));
/// assert!(message.contains("summarizer.toml:"));
/// assert!(message.contains("did you mean `weekend_factor`?"));
/// ```
pub fn validate(name: &str, text: &str) -> Result<Loaded, Error> {
    crate::model::scenario::from_str(name, text)
}

/// Simulate `trials` months of `scenario` with `seed`, on the engine `aicost simulate` picks.
///
/// Every random number derives from (seed, trial, what it is for), so the result depends on the
/// scenario, the seed and the number of trials only. For threads, a deadline or an engine of
/// your choice, build [`SimOptions`] and call [`simulate_with`].
///
/// ```
/// let loaded = aicost::load("scenarios/chatbot.toml").unwrap();
/// let a = aicost::simulate(&loaded.scenario, 500, 7).unwrap();
/// let b = aicost::simulate(&loaded.scenario, 500, 7).unwrap();
/// assert_eq!(a.trials, 500);
/// assert_eq!(aicost::report(&loaded.scenario, &a).to_json(),
///            aicost::report(&loaded.scenario, &b).to_json());
/// ```
pub fn simulate(scenario: &Scenario, trials: u64, seed: u64) -> Result<SimResult, Error> {
    simulate_with(scenario, &SimOptions::new(trials, seed))
}

/// [`simulate`] with every option: engine, threads, a deadline, a cancel flag, a trial sink.
///
/// ```
/// use aicost::{EngineRequest, SimOptions};
///
/// let loaded = aicost::load("scenarios/support-summarizer.toml").unwrap();
/// let mut opts = SimOptions::new(200, 1);
/// opts.engine = EngineRequest::Exact;
/// opts.threads = Some(2);
/// let result = aicost::simulate_with(&loaded.scenario, &opts).unwrap();
/// assert_eq!(result.engine.name, "exact");
/// ```
pub fn simulate_with(scenario: &Scenario, options: &SimOptions) -> Result<SimResult, Error> {
    crate::sim::engine::simulate(scenario, options)
}

/// The figures of a simulation, as `aicost simulate` prints them: per stack the monthly spend
/// (mean with its standard error, percentiles), the breach probability, costs per user, request
/// and accepted task, and where the money goes. [`Report::to_json`] is the `--format json`
/// output.
///
/// ```
/// let loaded = aicost::load("scenarios/support-summarizer.toml").unwrap();
/// let result = aicost::simulate(&loaded.scenario, 1_000, 42).unwrap();
/// let report = aicost::report(&loaded.scenario, &result);
/// let mini = &report.stacks[0];
/// assert_eq!(mini.name, "gpt-4o-mini");
/// assert!(mini.monthly_spend_usd.p50 <= mini.monthly_spend_usd.p95);
/// assert_eq!(report.budget_usd, Some(600.0));
/// ```
pub fn report(scenario: &Scenario, result: &SimResult) -> Report {
    Report::new(scenario, result)
}

/// Every stack of one simulation against every other, as `aicost compare FILE` does: the
/// difference of each pair measured month by month (the stacks saw the same simulated months),
/// and a recommendation — the cheapest plan whose breach probability is at most `max_breach`
/// ([`DEFAULT_MAX_BREACH`] is the command's default) and that meets its latency targets.
///
/// ```
/// let loaded = aicost::load("scenarios/support-summarizer.toml").unwrap();
/// let result = aicost::simulate(&loaded.scenario, 1_000, 42).unwrap();
/// let comparison = aicost::compare(&loaded.scenario, &result, aicost::DEFAULT_MAX_BREACH);
/// let pair = &comparison.differences[0];
/// assert!(pair.mean_usd.standard_error < pair.independent_standard_error_usd);
/// println!("{}", comparison.recommendation.text);
/// ```
pub fn compare(scenario: &Scenario, result: &SimResult, max_breach: f64) -> Comparison {
    Comparison::of_stacks(scenario, result, max_breach)
}
