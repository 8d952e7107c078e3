//! The optimization backlog: which change to the scenario saves the most, and how sure that is.
//!
//! Each lever turns the scenario into one or more modified versions ("candidates"); every
//! candidate is simulated with the base scenario's seed and trials, so its saving is measured
//! month by month on common random numbers (see [`crate::base::stats::paired`]) and even a saving of a few
//! percent is not noise. A candidate changes the typed scenario only, so it is validated like the
//! base and keeps every parameter's key (same draws).
//!
//! The levers, in the order the token-economics guide recommends trying them:
//! 1. `output_cap` — set `max_output_tokens` to a quantile of each step's output (default p95);
//! 2. `route` — send a share of requests straight to the cheapest model of a multi-model stack;
//! 3. `prefix_trim` — shorten every static prefix (system prompt, tools, examples) by a fraction;
//! 4. `prompt_cache` — raise prompt-cache hit rates to a target where the prefix is cacheable;
//! 3. `semantic_cache` — answer a share of one workflow's requests from a semantic cache (one
//!    candidate per workflow: only a person knows whose users repeat their questions);
//! 4. `prefix_trim` — shorten every static prefix (system prompt, tools, examples) by a fraction;
//! 5. `prompt_cache` — raise prompt-cache hit rates to a target where the prefix is cacheable;
//! 6. `batch` — move one live workflow without a latency target to the batch path (one candidate
//!    per workflow, since only a person knows which users can wait);
//! 7. `contract` — a committed-use contract with each provider a stack calls, sized at the
//!    commitment that minimises the expected bill (one candidate per stack).
//!
//! Routing is modelled as a mixture: a share `s` of requests, chosen independently at random, goes
//! to the cheap model alone, so a month costs `(1 − s)·base + s·cheap-only` in expectation, with
//! both terms simulated on the same months. A chain is not routed where the cheap model's input
//! window would refuse its prompts (more than one in a million, validation's warning threshold):
//! a refused call is billed nothing, so the spend it drops is demand turned away, not a saving. Acceptance is affected only through the validation
//! failure rates of the scenario; the quality of shorter answers, a trimmed prompt or a near-miss
//! semantic-cache answer is not modelled. Latency is reported where the scenario models it.
//!
//! The contract's size is a newsvendor problem. With discount `d` and list-price overage, a
//! commitment `C` buys `C / (1 − d)` of (tier-discounted) usage `U`, so the month's bill is
//! `C + max(0, U − C / (1 − d))`. Its expectation is convex in `C`, with derivative
//! `1 − P(U > C / (1 − d)) / (1 − d)`, zero where `P(U ≤ C / (1 − d)) = d`: the optimal
//! commitment is `(1 − d)` times the `d`-quantile of monthly usage, read off the base run. The
//! commitment is then under-used in a share `d` of months — that risk is priced in, not ignored.
//! (With discounted overage the bill `max(C, (1 − d)·U)` only grows with `C`, so that form has no
//! interior optimum; the lever therefore proposes list-price overage, the common contract form.)

mod apply;
mod assumptions;
mod catalogue;
mod lever;
mod rank;
mod report;
mod roadmap;
mod target;
mod text;
mod together;

pub use apply::{Batch, Contract, OutputCap, PrefixTrim, PromptCache, Route, SemanticCache};
pub use assumptions::{ASSUMPTION_KEYS, Assumptions};
pub use catalogue::{LEVERS, candidates};
pub use lever::{Candidate, Inapplicable, Lever, NotApplicable, Variant};
pub use rank::{backlog, combine};
pub use report::{Backlog, Baseline, COMBINED_LEVERS, Combined, LatencyChange, Row, StackEffect};
pub use roadmap::{
    Roadmap, Search, StackRoadmap, Step, effort, one_at_a_time, quantile_name, reading,
    render_text as render_roadmap, search_note, verdict,
};
pub use target::{EXHAUSTIVE_LEVERS, TargetQuery, roadmap};
pub use text::render;
pub use together::{Runner, Together, simulate_together};

#[cfg(test)]
mod tests {
    use super::apply::quantile_name;
    use super::*;

    #[test]
    fn assumptions_are_overridable_and_checked() {
        let mut a = Assumptions::default();
        a.set("cache_hit_rate=0.95").unwrap();
        assert_eq!(a.cache_hit_rate, 0.95);
        a.set("route_share = 1").unwrap();
        assert_eq!(a.route_share, 1.0);
        assert!(
            a.set("cache_hit_rat=0.9")
                .unwrap_err()
                .to_string()
                .contains("did you mean `cache_hit_rate`?")
        );
        assert!(a.set("prefix_trim=1").is_err());
        assert!(a.set("prefix_trim=x").is_err());
        assert!(a.set("prefix_trim").is_err());
        assert_eq!(quantile_name(0.95), "p95");
        assert_eq!(quantile_name(0.975), "p97.5");
    }
}
