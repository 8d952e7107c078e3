//! Budget policies of a validated scenario: what degrades, for whom, once a month's spend passes
//! a threshold. The engines apply them (`sim::engine::policy`); validation builds them
//! (`model::scenario::validate::policy`).

/// A budget policy: from the first request after the month's spend (or the spend of `spend_of`)
/// passes `threshold_usd`, the requests it covers are served as `action` says, for the rest of
/// the month.
#[derive(Clone, Debug, PartialEq)]
pub struct Policy {
    pub name: String,
    /// The month's spend (as the hard cap counts it: commitments from day one) past which it
    /// fires.
    pub threshold_usd: f64,
    /// Indices into `Scenario::segments` of the segments it covers, protected ones left out.
    pub segments: Vec<usize>,
    /// Indices into `Scenario::workflows` of the workflows it covers.
    pub workflows: Vec<usize>,
    pub action: PolicyAction,
    /// When set, the threshold counts only the billed spend of these segments' requests of
    /// these workflows (no commitments), not the month's whole spend.
    pub spend_of: Option<SpendScope>,
}

/// The requests whose spend a policy's threshold counts: a segment's or a workflow's own spend.
#[derive(Clone, Debug, PartialEq)]
pub struct SpendScope {
    /// Indices into `Scenario::segments`.
    pub segments: Vec<usize>,
    /// Indices into `Scenario::workflows`.
    pub workflows: Vec<usize>,
}

/// What a policy does to a request it covers.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum PolicyAction {
    /// Every step calls this route's chain (an index into `Scenario::routes`).
    Route(usize),
    /// Output tokens of every call are cut to this.
    MaxOutputTokens(f64),
    /// Reasoning tokens of every call are cut to this.
    MaxReasoningTokens(f64),
    /// The semantic cache answers at least this share of requests.
    SemanticCache(f64),
    /// The request goes through the batch interface.
    Batch,
    /// The request is not made (the feature is switched off).
    Pause,
    /// The request is refused with an error.
    Refuse,
}

impl PolicyAction {
    /// The key that names the action in a scenario.
    pub fn key(self) -> &'static str {
        match self {
            PolicyAction::Route(_) => "route",
            PolicyAction::MaxOutputTokens(_) => "max_output_tokens",
            PolicyAction::MaxReasoningTokens(_) => "max_reasoning_tokens",
            PolicyAction::SemanticCache(_) => "semantic_cache_hit_rate",
            PolicyAction::Batch => "batch",
            PolicyAction::Pause => "pause",
            PolicyAction::Refuse => "refuse",
        }
    }

    /// Whether the request is still answered (degraded) rather than dropped.
    pub fn serves(self) -> bool {
        !matches!(self, PolicyAction::Pause | PolicyAction::Refuse)
    }
}

impl Policy {
    /// Whether the policy covers a request of workflow `w` from segment `segment`.
    pub fn covers(&self, segment: usize, w: usize) -> bool {
        self.segments.contains(&segment) && self.workflows.contains(&w)
    }
}
