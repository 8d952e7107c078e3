//! `aicost levers`: the optimization backlog.

use super::load;
use super::runs::RunPlan;
use crate::analysis::levers::{self, Assumptions};
use crate::app::cli::{Config, LeversArgs, TableOrJson};
use crate::base::error::Error;
use crate::model::Scenario;

/// Trials per run when `--trials` is not given: a saving is a paired difference, precise long
/// before a forecast is.
pub(crate) const DEFAULT_TRIALS_CAP: u64 = 1_000;

pub fn levers(a: &LeversArgs, config: &Config) -> Result<u8, Error> {
    let mut assumptions = Assumptions::default();
    for kv in &a.lever {
        assumptions.set(kv).map_err(Error::from)?;
    }
    let loaded = load(&a.file, config)?;
    crate::app::files::FilePlan::new()
        .reads_scenario(&loaded)
        .writes("--out", a.out.as_deref())
        .check()?;
    let s = &loaded.scenario;
    let plan = RunPlan::new(&a.run, s, Some(DEFAULT_TRIALS_CAP))?;
    // The base run comes first: a contract is sized on its distribution of spend.
    let base = plan.run(&[s], config)?.remove(0);
    let (candidates, skipped) = levers::candidates(s, &assumptions, &base);
    let scenarios: Vec<&Scenario> = candidates.iter().map(|c| c.variant.scenario()).collect();
    let runs = plan.run(&scenarios, config)?;
    let mut backlog = levers::backlog(s, &assumptions, &base, &candidates, &runs, skipped);
    let mut combined_runs = 0;
    levers::combine(s, &assumptions, &base, &mut backlog, &mut |list| {
        combined_runs += list.len();
        plan.run(list, config)
    })?;
    let text = match a.format {
        TableOrJson::Table => levers::render(
            &backlog,
            &plan.describe(scenarios.len() + 1 + combined_runs),
        ),
        TableOrJson::Json => crate::app::output::pretty_json(&backlog),
    };
    super::emit(a.out.as_deref(), &text, config)?;
    Ok(0)
}
