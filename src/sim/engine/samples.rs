//! How many samples (per-user costs, request latencies) a run keeps, shared by both engines so
//! that their spreads are drawn from samples of the same size and memory is bounded whatever the
//! number of trials, stacks or segments.

/// Per-user cost samples kept over a whole run, per segment and stack; bounds memory whatever
/// the number of trials.
pub const USER_SAMPLE_BUDGET: u64 = 200_000;
/// Request latencies kept over a whole run, per workflow and stack.
pub const LATENCY_SAMPLE_BUDGET: u64 = 200_000;
/// Samples (per-user costs, latencies) kept over a whole run, all stacks and segments or
/// workflows together: 32 MB. With many segments or stacks each pair gets a share of it, so
/// memory does not grow with their product.
pub const RUN_SAMPLE_BUDGET: u64 = 4_000_000;

/// Samples to keep each simulated month for each of `pairs` (stack, segment) or (stack,
/// workflow) pairs over `months` simulated months: the per-pair budget, within the run's, spread
/// over the months (at least 1, at most 4,096 a month).
pub fn samples_per_month(per_pair: u64, pairs: usize, months: u64) -> u64 {
    let per_pair = per_pair.min(RUN_SAMPLE_BUDGET / pairs.max(1) as u64);
    (per_pair / months.max(1)).clamp(1, 4096)
}
