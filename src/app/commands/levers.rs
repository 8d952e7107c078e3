//! `aicost levers`: the optimization backlog, and with `--target` the roadmap to a spend target.

use super::load;
use super::runs::RunPlan;
use crate::analysis::levers::{self, Assumptions, Candidate, TargetQuery};
use crate::app::cli::{Config, LeversArgs, LeversFormat};
use crate::base::error::{Error, UsageKind};
use crate::model::Scenario;

/// Trials per run when `--trials` is not given: a saving is a paired difference, precise long
/// before a forecast is.
pub(crate) const DEFAULT_TRIALS_CAP: u64 = 1_000;

/// The `--target` options checked before anything runs; the lever keys are checked once the
/// candidates are known.
fn target_query(a: &LeversArgs) -> Result<Option<TargetQuery>, Error> {
    let Some(target) = a.target else {
        let flag = if a.probability.is_some() {
            Some("--probability")
        } else if !a.effort.is_empty() {
            Some("--effort")
        } else if !a.without.is_empty() {
            Some("--without")
        } else if a.format == LeversFormat::Markdown {
            Some("--format markdown")
        } else {
            None
        };
        return match flag {
            Some(flag) => Err(UsageKind::NeedsTarget { flag }.into()),
            None => Ok(None),
        };
    };
    if !(target.is_finite() && target > 0.0) {
        return Err(UsageKind::TargetNotPositive { got: target }.into());
    }
    let probability = a.probability.unwrap_or(0.5);
    if !(probability > 0.0 && probability < 1.0) {
        return Err(UsageKind::ProbabilityOutOfRange { got: probability }.into());
    }
    let mut efforts = Vec::new();
    for given in &a.effort {
        let parsed = given.split_once('=').and_then(|(k, v)| {
            let v: f64 = v.trim().parse().ok()?;
            (v.is_finite() && v >= 0.0 && !k.trim().is_empty()).then(|| (k.trim().to_string(), v))
        });
        match parsed {
            Some(e) => efforts.push(e),
            None => {
                return Err(UsageKind::BadEffort {
                    given: given.clone(),
                }
                .into());
            }
        }
    }
    Ok(Some(TargetQuery {
        target_usd: target,
        probability,
        efforts,
        without: a.without.iter().map(|w| w.trim().to_string()).collect(),
    }))
}

/// Every key of `--effort` and `--without` must name a candidate or a lever of the scenario.
fn check_keys(q: &TargetQuery, candidates: &[Candidate]) -> Result<(), Error> {
    let mut known: Vec<String> = candidates.iter().map(|c| c.key.clone()).collect();
    for c in candidates {
        if !known.iter().any(|k| k == c.lever) {
            known.push(c.lever.to_string());
        }
    }
    let given = q
        .efforts
        .iter()
        .map(|(k, _)| ("--effort", k))
        .chain(q.without.iter().map(|k| ("--without", k)));
    for (flag, key) in given {
        if !known.contains(key) {
            let suggestion = crate::base::error::suggest(key, known.iter().map(String::as_str))
                .map(str::to_string);
            return Err(UsageKind::UnknownLeverKey {
                flag,
                key: key.clone(),
                suggestion,
                known,
            }
            .into());
        }
    }
    Ok(())
}

pub fn levers(a: &LeversArgs, config: &Config) -> Result<u8, Error> {
    let mut assumptions = Assumptions::default();
    for kv in &a.lever {
        assumptions.set(kv).map_err(Error::from)?;
    }
    let query = target_query(a)?;
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
    if let Some(q) = &query {
        check_keys(q, &candidates)?;
    }
    let scenarios: Vec<&Scenario> = candidates.iter().map(|c| c.variant.scenario()).collect();
    let runs = plan.run(&scenarios, config)?;
    let mut backlog = levers::backlog(s, &assumptions, &base, &candidates, &runs, skipped);
    let mut extra_runs = 0;
    let text = if let Some(q) = &query {
        let roadmap = levers::roadmap(
            s,
            &assumptions,
            &base,
            &backlog,
            &candidates,
            q,
            &mut |list| {
                extra_runs += list.len();
                plan.run(list, config)
            },
        )?;
        match a.format {
            LeversFormat::Table => {
                levers::render_roadmap(&roadmap, &plan.describe(scenarios.len() + 1 + extra_runs))
            }
            LeversFormat::Json => crate::app::output::pretty_json(&roadmap),
            LeversFormat::Markdown => crate::render::roadmap::render_markdown(&roadmap),
        }
    } else {
        levers::combine(s, &assumptions, &base, &mut backlog, &mut |list| {
            extra_runs += list.len();
            plan.run(list, config)
        })?;
        match a.format {
            LeversFormat::Table => {
                levers::render(&backlog, &plan.describe(scenarios.len() + 1 + extra_runs))
            }
            LeversFormat::Json => crate::app::output::pretty_json(&backlog),
            LeversFormat::Markdown => {
                return Err(UsageKind::NeedsTarget {
                    flag: "--format markdown",
                }
                .into());
            }
        }
    };
    super::emit(a.out.as_deref(), &text, config)?;
    Ok(0)
}
