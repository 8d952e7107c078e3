//! The catalogue of levers: every lever in the order they are tried, the candidates of all of them
//! for a scenario, and the candidate of one lever found again by its key.

use super::apply::{Batch, Contract, OutputCap, PrefixTrim, PromptCache, Route, SemanticCache};
use super::assumptions::Assumptions;
use super::lever::{Candidate, Lever, NotApplicable};
use crate::model::Scenario;
use crate::sim::engine::SimResult;

/// Every lever, in the order they are tried.
pub static LEVERS: &[&dyn Lever] = &[
    &OutputCap,
    &Route,
    &SemanticCache,
    &PrefixTrim,
    &PromptCache,
    &Batch,
    &Contract,
];

/// Every candidate of every lever, and the levers that do not apply (with the reason).
pub fn candidates(
    s: &Scenario,
    a: &Assumptions,
    base: &SimResult,
) -> (Vec<Candidate>, Vec<NotApplicable>) {
    let mut out = Vec::new();
    let mut skipped = Vec::new();
    for lever in LEVERS {
        match lever.candidates(s, a, base) {
            Ok(c) if !c.is_empty() => out.extend(c),
            Ok(_) => skipped.push(NotApplicable {
                lever: lever.id(),
                reason: "nothing to change".to_string(),
            }),
            Err(why) => skipped.push(NotApplicable {
                lever: lever.id(),
                reason: why.to_string(),
            }),
        }
    }
    (out, skipped)
}

/// The candidate of lever `key` (see [`Candidate::key`]) on scenario `s`, if the lever still
/// applies to it.
pub(super) fn derive(
    s: &Scenario,
    a: &Assumptions,
    base: &SimResult,
    key: &str,
) -> Option<Candidate> {
    let id = key.split_once(':').map_or(key, |(id, _)| id);
    let lever = LEVERS.iter().find(|l| l.id() == id)?;
    lever
        .candidates(s, a, base)
        .ok()?
        .into_iter()
        .find(|c| c.key == key)
}
