//! Budget policies in the exact engine: which policies a stack's month has fired, what they do
//! to the next request, and the month's record of what they did (per segment), so that reports
//! can say how often each fires, when, and who was degraded.
//!
//! A policy fires at the first request of the month that finds the month's spend (as the hard
//! cap counts it: commitments from day one) above its threshold, and stays in force for the rest
//! of the month. Policies in force stack in the order they are written: a later route replaces
//! an earlier one, token limits take the smaller, cache rates the larger, and the first pause or
//! refusal drops the request. The hard cap acts after all of them.

use crate::model::types::policy_unchanged as unchanged;
use crate::model::{PolicyAction, Scenario, Step};

/// The label of a request's own draw for a semantic cache a policy raises ("POLCACHE").
pub const CACHE_LABEL: u64 = 0x504f_4c43_4143_4845;

/// What the policies in force do to one request on one stack.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Effect {
    /// The route every step calls instead of its own.
    pub route: Option<usize>,
    pub max_output_tokens: Option<f64>,
    pub max_reasoning_tokens: Option<f64>,
    /// The semantic cache's hit rate, when a policy raises it.
    pub semantic_cache_hit_rate: Option<f64>,
    pub batch: bool,
    /// The request is not made (`Pause`) or refused (`Refuse`).
    pub dropped: Option<PolicyAction>,
    /// Whether any policy changes how the request is served (a policy whose action changes
    /// nothing for it, such as batching on models without a batch discount, does not count).
    pub degraded: bool,
}

impl Effect {
    /// The output limit of a call of `step`: its own or the policy's, the smaller.
    pub fn output_limit(&self, step: &Step) -> Option<f64> {
        Effect::limit(step.max_output_tokens, self.max_output_tokens)
    }

    /// The reasoning limit of a call of `step`: its own or the policy's, the smaller.
    pub fn reasoning_limit(&self, step: &Step) -> Option<f64> {
        Effect::limit(step.max_reasoning_tokens, self.max_reasoning_tokens)
    }

    /// Whether request `key` is a semantic-cache hit, given its hit at the workflow's own `rate`.
    pub fn semantic_hit(&self, hit: bool, rate: f64, key: u64) -> bool {
        use rand::RngExt;
        self.semantic_cache_hit_rate.map_or(hit, |r| {
            let u = super::rng::small(super::rng::mix(key, CACHE_LABEL)).random::<f64>();
            raised_hit(hit, rate, r, u)
        })
    }

    /// The smaller of a step's own limit and the policy's.
    pub fn limit(own: Option<f64>, policy: Option<f64>) -> Option<f64> {
        match (own, policy) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }
}

/// What the policies did on one stack in one month.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PolicyMonth {
    /// Per policy, the day (1-based) it fired, if it did.
    pub fired_day: Vec<Option<u32>>,
    /// Per segment, every request of the month (served, degraded, paused or refused).
    pub requests: Vec<u64>,
    /// Per segment, requests served while a policy acted on them.
    pub degraded: Vec<u64>,
    /// Per segment, requests a policy paused (not made).
    pub paused: Vec<u64>,
    /// Per segment, requests a policy refused.
    pub refused: Vec<u64>,
    /// Per segment, requests the hard cap refused.
    pub cap_refused: Vec<u64>,
    /// Degraded requests that were accepted (their answer passed validation).
    pub degraded_accepted: u64,
    /// The month's spend with no policy (the same month: common random numbers); `None` when
    /// the scenario has no policies.
    pub spend_without: Option<f64>,
    /// Requests the hard cap refused in that month without the policies.
    pub cap_refused_without: u64,
    /// Day (1-based) the hard cap first refused a request in that month without the policies.
    pub cap_day_without: Option<u32>,
    /// Latencies (ms) of served requests: `[0]` not degraded, `[1]` degraded; the first
    /// requests of the month of each kind, up to the run's latency sample per month.
    pub latency_ms: [Vec<f64>; 2],
    /// Per policy, latencies (ms) of the requests it covers: `[0]` served before it fired, `[1]`
    /// served while it acted; sampled as `latency_ms`.
    pub policy_latency_ms: Vec<[Vec<f64>; 2]>,
    /// Billed spend so far this month per segment and workflow (segment-major), for thresholds
    /// on a segment's or workflow's own spend; empty when no policy has one.
    pub spend: Vec<f64>,
    /// The stack (an index into `Scenario::stacks`) whose month this is.
    pub stack: usize,
}

impl PolicyMonth {
    /// The start of a month of stack `k`.
    pub fn new(s: &Scenario, k: usize) -> Self {
        let n = s.segments.len();
        PolicyMonth {
            fired_day: vec![None; s.policies.len()],
            requests: vec![0; n],
            degraded: vec![0; n],
            paused: vec![0; n],
            refused: vec![0; n],
            cap_refused: vec![0; n],
            degraded_accepted: 0,
            spend_without: None,
            cap_refused_without: 0,
            cap_day_without: None,
            latency_ms: Default::default(),
            policy_latency_ms: vec![Default::default(); s.policies.len()],
            spend: if s.policies.iter().any(|p| p.spend_of.is_some()) {
                vec![0.0; n * s.workflows.len()]
            } else {
                Vec::new()
            },
            stack: k,
        }
    }

    /// Fire the policies whose threshold `spend` has passed, on day `day` (0-based), and say
    /// what those in force do to a request of workflow `w` from segment `segment`.
    /// `spend` gives the month's spend so far; with `on` false nothing fires or acts.
    pub fn effect(
        &mut self,
        on: bool,
        s: &Scenario,
        day: usize,
        (segment, w): (usize, usize),
        spend: impl FnOnce() -> f64,
    ) -> Effect {
        let mut e = Effect::default();
        if !on {
            return e;
        }
        let spend = spend();
        let nw = s.workflows.len();
        for (p, fired) in s.policies.iter().zip(&mut self.fired_day) {
            if fired.is_none() {
                let counted = p.spend_of.as_ref().map_or(spend, |scope| {
                    let own = |g: usize| -> f64 {
                        scope
                            .workflows
                            .iter()
                            .map(|&w| self.spend[g * nw + w])
                            .sum()
                    };
                    scope.segments.iter().map(|&g| own(g)).sum()
                });
                if counted > p.threshold_usd {
                    *fired = Some(day as u32 + 1);
                }
            }
            if fired.is_none() || !p.covers(segment, w) || e.dropped.is_some() {
                continue;
            }
            match p.action {
                PolicyAction::Route(r) => e.route = Some(r),
                PolicyAction::MaxOutputTokens(x) => {
                    e.max_output_tokens = Effect::limit(e.max_output_tokens, Some(x));
                }
                PolicyAction::MaxReasoningTokens(x) => {
                    e.max_reasoning_tokens = Effect::limit(e.max_reasoning_tokens, Some(x));
                }
                PolicyAction::SemanticCache(x) => {
                    e.semantic_cache_hit_rate =
                        Some(e.semantic_cache_hit_rate.map_or(x, |y| y.max(x)));
                }
                PolicyAction::Batch => e.batch = true,
                PolicyAction::Pause | PolicyAction::Refuse => e.dropped = Some(p.action),
            }
        }
        // An action that changes nothing for this request is dropped, so that the request is
        // served (and counted) exactly as without the policies.
        let k = self.stack;
        if e.route
            .is_some_and(|r| unchanged(s, PolicyAction::Route(r), k, w, None).is_some())
        {
            e.route = None;
        }
        if e.batch && unchanged(s, PolicyAction::Batch, k, w, e.route).is_some() {
            e.batch = false;
        }
        if e.semantic_cache_hit_rate
            .is_some_and(|x| unchanged(s, PolicyAction::SemanticCache(x), k, w, None).is_some())
        {
            e.semantic_cache_hit_rate = None;
        }
        e.degraded = e.route.is_some()
            || e.max_output_tokens.is_some()
            || e.max_reasoning_tokens.is_some()
            || e.semantic_cache_hit_rate.is_some()
            || e.batch
            || e.dropped.is_some();
        e
    }

    /// Whether the policies drop the request (pause or refuse it); if so, record it for
    /// `segment`.
    pub fn dropped(&mut self, segment: usize, e: &Effect) -> bool {
        let Some(action) = e.dropped else {
            return false;
        };
        self.requests[segment] += 1;
        if action == PolicyAction::Pause {
            self.paused[segment] += 1;
        } else {
            self.refused[segment] += 1;
        }
        true
    }

    /// Record a request of `segment` that reached the provider: served (`accepted` or not), or
    /// refused by the hard cap.
    pub fn served(&mut self, segment: usize, e: &Effect, capped: bool, accepted: bool) {
        self.requests[segment] += 1;
        if capped {
            self.cap_refused[segment] += 1;
        } else if e.degraded {
            self.degraded[segment] += 1;
            if accepted {
                self.degraded_accepted += 1;
            }
        }
    }

    /// Record a served (not capped) request of workflow `w` from `segment`: its billed `cost`
    /// towards its segment's and workflow's own spend, and its latency when it has one: degraded
    /// or not, and for each policy that covers it, before or after the policy fired. Each list
    /// of latencies keeps its first `cap` values of the month.
    pub fn billed(
        &mut self,
        s: &Scenario,
        (segment, w): (usize, usize),
        e: &Effect,
        (cost, latency_ms): (f64, Option<f64>),
        cap: usize,
    ) {
        if !self.spend.is_empty() {
            self.spend[segment * s.workflows.len() + w] += cost;
        }
        let Some(l) = latency_ms else {
            return;
        };
        let keep = |list: &mut Vec<f64>| {
            if list.len() < cap {
                list.push(l);
            }
        };
        keep(&mut self.latency_ms[usize::from(e.degraded)]);
        for ((p, fired), lists) in s
            .policies
            .iter()
            .zip(&self.fired_day)
            .zip(&mut self.policy_latency_ms)
        {
            if p.covers(segment, w) {
                keep(&mut lists[usize::from(fired.is_some())]);
            }
        }
    }
}

/// Whether a request is a semantic-cache hit when a policy raises the hit rate from `base` to
/// `raised`: a hit at the base rate stays one, and a miss becomes one with the probability that
/// makes the total `raised`, drawn from `u` (uniform on [0, 1), a draw of its own so that the
/// request's other draws are those of the month without policies).
pub fn raised_hit(base_hit: bool, base: f64, raised: f64, u: f64) -> bool {
    base_hit || (raised > base && base < 1.0 && u < (raised - base) / (1.0 - base))
}
