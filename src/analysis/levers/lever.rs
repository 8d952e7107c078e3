//! What a lever is: something that turns a scenario into candidates, modified scenarios to
//! simulate, or says why it does not apply. Every lever and the ranking build on these types.

use serde::Serialize;

use super::assumptions::Assumptions;
use crate::model::Scenario;
use crate::sim::engine::SimResult;

#[derive(Clone, Debug)]
pub enum Variant {
    /// The modified scenario's month.
    Replace(Scenario),
    /// `(1 − share)` of the base month plus `share` of the modified scenario's month.
    Mix { share: f64, with: Scenario },
}

impl Variant {
    pub fn scenario(&self) -> &Scenario {
        match self {
            Variant::Replace(s) | Variant::Mix { with: s, .. } => s,
        }
    }
}

/// One modified scenario to try.
#[derive(Clone, Debug)]
pub struct Candidate {
    pub lever: &'static str,
    /// What the candidate changes, stable across scenarios the lever is applied to: the lever,
    /// and the workflow or stack of a lever with one candidate per workflow or stack. The same
    /// lever applied to an already modified scenario gives the candidate with the same key.
    pub key: String,
    /// What was changed, for people.
    pub change: String,
    pub variant: Variant,
    /// The stack the candidate was sized for, when it was (a contract); the backlog lists it
    /// under that stack only.
    pub for_stack: Option<usize>,
}

/// A way to save money; see the module documentation for the list.
pub trait Lever: Sync {
    fn id(&self) -> &'static str;
    /// The candidates this lever proposes, or why it does not apply to this scenario; `base` is
    /// the scenario's own simulation (with the seed and trials every candidate will run on).
    fn candidates(
        &self,
        s: &Scenario,
        a: &Assumptions,
        base: &SimResult,
    ) -> Result<Vec<Candidate>, String>;
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct NotApplicable {
    pub lever: &'static str,
    pub reason: String,
}
