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
    ) -> Result<Vec<Candidate>, Inapplicable>;
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct NotApplicable {
    pub lever: &'static str,
    pub reason: String,
}

/// Why a lever proposes nothing for a scenario.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum Inapplicable {
    #[error("every step's output is fixed or already capped at or below its {quantile}")]
    OutputCapped { quantile: String },
    /// The chains whose cheapest model's window would refuse prompts, each with the steps.
    #[error(
        "the cheapest model would refuse prompts longer than its input window (not billed, and the request fails), which is no saving: {}",
        kept.join("; ")
    )]
    WindowRefuses { kept: Vec<String> },
    #[error("no stack has a chain of more than one model")]
    NoMultiModelChain,
    #[error("no step has a static prefix")]
    NoStaticPrefix,
    #[error("the static prefixes are shorter than every model's min_cacheable_tokens")]
    PrefixTooShort,
    #[error("no cacheable prefix has a hit rate below {rate}")]
    CacheHitRateReached { rate: f64 },
    #[error(
        "every workflow is on the batch path already, has a latency target, or uses no model with a batch discount"
    )]
    NothingToBatch,
    #[error("every workflow's semantic-cache hit rate is at least {rate}")]
    SemanticCacheReached { rate: f64 },
    #[error("no month has usage to commit to")]
    NoUsage,
    #[error("the models name no provider to contract with; set `provider = …` on them")]
    NoProvider,
    #[error("every provider the stacks call has a contract already")]
    ContractsExist,
}
