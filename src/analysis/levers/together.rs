//! Several levers applied to one scenario and simulated at once, on the base run's common random
//! numbers: what `combine` measures for a stack's best levers and what `--target` searches over.
//! Savings measured one lever at a time do not add, so a set of levers is only ever judged by
//! simulating all of it.

use super::apply::{provider_usage, size_contracts};
use super::assumptions::Assumptions;
use super::catalogue::{LEVERS, derive};
use super::lever::Variant;
use crate::model::Scenario;
use crate::sim::engine::{SimResult, StackSim};

/// Simulates scenarios with the base run's seed and trials, in order.
pub type Runner<'a> =
    dyn FnMut(&[&Scenario]) -> Result<Vec<SimResult>, crate::base::error::Error> + 'a;

/// A set of levers applied together and simulated.
pub struct Together {
    /// The months of the set: the scenario with every lever applied, mixed with its cheap-model
    /// version where routing is one of them.
    pub variant: Variant,
    /// What was changed, lever by lever, in the order they were applied.
    pub changes: Vec<String>,
    /// The keys that still applied once the earlier levers had changed the scenario.
    pub applied: Vec<String>,
    /// The runs: the modified scenario, then its routed version if routing is one of the levers.
    pub runs: Vec<SimResult>,
}

impl Together {
    /// Stack `k`'s run without and with the routed share, as [`super::rank`] mixes them.
    pub fn stack(&self, k: usize) -> (&StackSim, &StackSim) {
        let rest = &self.runs[0].stacks[k];
        (rest, self.runs.last().map_or(rest, |r| &r.stacks[k]))
    }
}

/// The lever id of a candidate key (`batch:chat` → `batch`).
pub(super) fn lever_of(key: &str) -> &str {
    key.split_once(':').map_or(key, |(id, _)| id)
}

/// Apply the candidates `keys` to `s` one after another in the order [`LEVERS`] tries them, each
/// re-derived on the scenario the earlier ones produced, and simulate the result. Routing mixes
/// the result with its cheap-model version; a contract comes last, sized on the months of the
/// other levers together (a commitment sized before the other savings would be under-used).
pub fn simulate_together(
    s: &Scenario,
    a: &Assumptions,
    base: &SimResult,
    keys: &[String],
    run: &mut Runner<'_>,
) -> Result<Together, crate::base::error::Error> {
    let position = |key: &String| LEVERS.iter().position(|l| l.id() == lever_of(key));
    let mut order = keys.to_vec();
    order.sort_by_key(position);
    let mut current = s.clone();
    let mut changes = Vec::new();
    let mut applied = Vec::new();
    for key in order
        .iter()
        .filter(|k| !matches!(lever_of(k), "route" | "contract"))
    {
        if let Some(c) = derive(&current, a, base, key) {
            changes.push(c.change);
            current = c.variant.scenario().clone();
            applied.push(key.clone());
        }
    }
    let mut mix = None;
    if let Some(key) = order.iter().find(|k| lever_of(k) == "route")
        && let Some(c) = derive(&current, a, base, key)
        && let Variant::Mix { share, with } = c.variant
    {
        changes.push(c.change);
        mix = Some((share, with));
        applied.push(key.clone());
    }
    let scenarios = |current: &Scenario, mix: &Option<(f64, Scenario)>| -> Vec<Scenario> {
        std::iter::once(current.clone())
            .chain(mix.as_ref().map(|(_, w)| w.clone()))
            .collect()
    };
    let list = scenarios(&current, &mix);
    let mut runs = run(&list.iter().collect::<Vec<_>>())?;
    if let Some(key) = order.iter().find(|k| lever_of(k) == "contract")
        && let Some(k) = s
            .stacks
            .iter()
            .position(|st| key.split_once(':').is_some_and(|(_, n)| n == st.name))
    {
        // Usage month by month of the other levers together, mixed as routing mixes it.
        let usage = |p: &str| -> Vec<f64> {
            let rest = provider_usage(&current, &runs[0], k, p);
            match &mix {
                Some((share, _)) => rest
                    .iter()
                    .zip(provider_usage(&current, &runs[1], k, p))
                    .map(|(x, y)| (1.0 - share) * x + share * y)
                    .collect(),
                None => rest,
            }
        };
        let mut uncovered = false;
        if let Some((with_contract, parts)) =
            size_contracts(&current, k, a.contract_discount, &usage, &mut uncovered)
        {
            changes.push(format!(
                "commit {} at {:.0}% off, list-price overage, sized on the months of the other levers together",
                parts.join(" and "),
                a.contract_discount * 100.0
            ));
            if let Some((_, with)) = &mut mix {
                with.contracts = with_contract.contracts.clone();
            }
            current = with_contract;
            applied.push(key.clone());
            let list = scenarios(&current, &mix);
            runs = run(&list.iter().collect::<Vec<_>>())?;
        }
    }
    let variant = match mix {
        Some((share, with)) => Variant::Mix { share, with },
        None => Variant::Replace(current),
    };
    Ok(Together {
        variant,
        changes,
        applied,
        runs,
    })
}
