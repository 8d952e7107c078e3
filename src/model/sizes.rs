//! What simulating a scenario holds in memory, from its sizes alone: validation refuses a
//! scenario beyond these bounds before any work, and the engine keeps as much detail as they allow.

use crate::model::Scenario;

/// The number of billing classes a simulated month keeps per stack (the fields of the billing
/// layer's cost breakdown; a test there holds the two equal).
pub(crate) const BILLING_CLASSES: usize = 16;

/// The most detail one trial may hold (all its months, every stack), in bytes. A run holds at
/// most `IN_FLIGHT_BYTES` of the engine of trials, or a trial, in flight, and as many being folded, so this
/// bounds the memory of a run whatever the thread count.
pub const MAX_TRIAL_BYTES: usize = 32 << 20;

/// The most memory the fast engine's plan may take: a request's expected cost per workflow,
/// stack and model.
pub const MAX_PLAN_BYTES: usize = 256 << 20;

/// Bytes one simulated month of `s` holds, all stacks together: each stack's numbers per day,
/// workflow, model, contract, tool, segment and billing class, as the engine produces them and as
/// a run keeps them, with at least one per-user and one latency sample per segment and workflow.
pub fn month_bytes(s: &Scenario) -> usize {
    let (w, m, c, t, sg) = (
        s.workflows.len(),
        s.models.len(),
        s.contracts.len(),
        s.tools.len(),
        s.segments.len(),
    );
    let per_stack = 8 * (30 + s.simulation.days as usize + 4 * w + 2 * m + 3 * c + 2 * t)
        + 16 * BILLING_CLASSES
        + 32 * (sg + w)
        + 128;
    s.stacks.len().max(1) * per_stack + 8 * (sg + s.incidents.len())
}

/// Bytes of the fast engine's plan: per workflow and stack, a request's expected cost and tokens
/// on each model.
pub fn plan_bytes(s: &Scenario) -> usize {
    16 * s.workflows.len() * s.stacks.len().max(1) * s.models.len()
}
