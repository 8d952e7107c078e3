//! The validated scenario: what the engine, the estimator and the reports work from.
//!
//! Everything here has passed validation: names are resolved to indices, defaults are filled in,
//! every number is finite and in range. A quantity that may vary is either a per-request [`Dist`]
//! (token counts, requests per session: drawn afresh for every request or session) or a
//! [`Param`] (everything else: drawn once per simulated month, the "uncertain parameters").

use crate::dist::Dist;

/// A quantity drawn once per trial (one simulated month).
#[derive(Clone, Debug)]
pub struct Param {
    pub dist: Dist,
    /// Stable identity derived from the key path, so the same parameter gets the same draw in
    /// every stack and in every version of a scenario (common random numbers).
    pub key: u64,
    /// The key path, for reports (`model[gpt-4o].input_usd_per_mtok`).
    pub label: String,
}

impl Param {
    pub fn new(dist: Dist, label: impl Into<String>) -> Self {
        let label = label.into();
        Param {
            dist,
            key: stable_hash(&label),
            label,
        }
    }

    pub fn fixed(value: f64, label: impl Into<String>) -> Self {
        Param::new(Dist::Fixed(value), label)
    }

    pub fn is_fixed(&self) -> bool {
        self.dist.is_fixed()
    }

    pub fn mean(&self) -> f64 {
        self.dist.mean()
    }
}

/// FNV-1a, 64-bit: a hash that never changes between builds or platforms.
pub fn stable_hash(text: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in text.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

#[derive(Clone, Debug)]
pub struct Scenario {
    pub name: String,
    pub description: Option<String>,
    pub simulation: Simulation,
    pub budget: Option<Budget>,
    pub segments: Vec<Segment>,
    pub workflows: Vec<Workflow>,
    pub models: Vec<Model>,
    /// Route names used by steps; a step's `route` indexes this list, and so does a stack's
    /// `chains`.
    pub routes: Vec<String>,
    pub stacks: Vec<Stack>,
}

/// How a user's sessions arrive over the month.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Arrivals {
    /// Each user's daily sessions are Poisson around their expected number.
    Poisson,
    /// Each user has exactly their expected number of sessions (rounded systematically), for
    /// checking a forecast against hand arithmetic.
    Fixed,
}

#[derive(Clone, Debug)]
pub struct Simulation {
    pub trials: u64,
    pub days: u32,
    pub seed: Option<u64>,
    pub arrivals: Arrivals,
}

pub const DEFAULT_TRIALS: u64 = 10_000;
pub const MAX_TRIALS: u64 = 10_000_000;
pub const DEFAULT_DAYS: u32 = 30;
pub const DEFAULT_ALERT_FRACTIONS: [f64; 3] = [0.5, 0.8, 1.0];

#[derive(Clone, Debug)]
pub struct Budget {
    pub monthly_usd: f64,
    pub alert_fractions: Vec<f64>,
}

/// How often a segment's users start sessions.
#[derive(Clone, Debug)]
pub enum SessionRate {
    /// Sessions on a weekday; weekend days get `weekend_factor` times this.
    PerDay(Param),
    /// Sessions over the whole month, spread over days by their weight.
    PerMonth(Param),
}

#[derive(Clone, Debug)]
pub struct Segment {
    pub name: String,
    pub users: Param,
    pub sessions: SessionRate,
    /// Coefficient of variation of a user's activity multiplier (Gamma with mean 1).
    pub user_variability: Param,
    pub weekend_factor: Param,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RequestPath {
    Live,
    Batch,
}

#[derive(Clone, Debug)]
pub struct Workflow {
    pub name: String,
    /// Indices into [`Scenario::segments`].
    pub segments: Vec<usize>,
    pub requests_per_session: Dist,
    pub path: RequestPath,
    pub steps: Vec<Step>,
}

#[derive(Clone, Debug)]
pub struct Retrieval {
    pub chunks: Dist,
    pub chunk_tokens: Dist,
}

#[derive(Clone, Debug)]
pub struct Step {
    pub name: String,
    /// Index into [`Scenario::routes`].
    pub route: usize,
    pub static_prefix_tokens: Dist,
    pub input_tokens: Dist,
    pub retrieval: Option<Retrieval>,
    pub output_tokens: Dist,
    pub max_output_tokens: Option<f64>,
    pub cache_hit_rate: Param,
}

/// Prices in USD per million tokens.
#[derive(Clone, Debug)]
pub struct Prices {
    pub input: Param,
    pub output: Param,
    pub cached_input: Param,
    pub cache_write: Param,
}

#[derive(Clone, Debug)]
pub struct LongContext {
    /// A request whose whole input exceeds this many tokens is priced at `prices` throughout.
    pub above_input_tokens: f64,
    pub prices: Prices,
}

#[derive(Clone, Debug)]
pub struct Model {
    pub name: String,
    pub provider: String,
    pub prices: Prices,
    pub min_cacheable_tokens: f64,
    pub batch_discount: Param,
    pub long_context: Option<LongContext>,
}

pub const DEFAULT_MIN_CACHEABLE_TOKENS: f64 = 1024.0;
pub const MAX_ATTEMPTS: u64 = 100;
pub const MAX_USERS: f64 = 1e12;

#[derive(Clone, Debug)]
pub struct Link {
    /// Index into [`Scenario::models`].
    pub model: usize,
    pub validation_failure_rate: Param,
    pub max_attempts: u32,
    pub escalation_rate: Param,
}

#[derive(Clone, Debug)]
pub struct Chain {
    pub links: Vec<Link>,
}

#[derive(Clone, Debug)]
pub struct Stack {
    pub name: String,
    /// One chain per route, indexed like [`Scenario::routes`].
    pub chains: Vec<Chain>,
}

impl Scenario {
    /// Every per-trial parameter, in a fixed order (segments, workflows, models, stacks).
    pub fn params(&self) -> Vec<&Param> {
        let mut out = Vec::new();
        for s in &self.segments {
            out.push(&s.users);
            match &s.sessions {
                SessionRate::PerDay(p) | SessionRate::PerMonth(p) => out.push(p),
            }
            out.push(&s.user_variability);
            out.push(&s.weekend_factor);
        }
        for w in &self.workflows {
            for st in &w.steps {
                out.push(&st.cache_hit_rate);
            }
        }
        for m in &self.models {
            push_prices(&mut out, &m.prices);
            out.push(&m.batch_discount);
            if let Some(lc) = &m.long_context {
                push_prices(&mut out, &lc.prices);
            }
        }
        for st in &self.stacks {
            for c in &st.chains {
                for l in &c.links {
                    out.push(&l.validation_failure_rate);
                    out.push(&l.escalation_rate);
                }
            }
        }
        out
    }

    /// Every per-trial parameter, mutably, in the order of [`Scenario::params`] (keep the two in
    /// step: a parameter added to one belongs in the other).
    pub fn params_mut(&mut self) -> Vec<&mut Param> {
        let mut out = Vec::new();
        for s in &mut self.segments {
            out.push(&mut s.users);
            match &mut s.sessions {
                SessionRate::PerDay(p) | SessionRate::PerMonth(p) => out.push(p),
            }
            out.push(&mut s.user_variability);
            out.push(&mut s.weekend_factor);
        }
        for w in &mut self.workflows {
            for st in &mut w.steps {
                out.push(&mut st.cache_hit_rate);
            }
        }
        for m in &mut self.models {
            push_prices_mut(&mut out, &mut m.prices);
            out.push(&mut m.batch_discount);
            if let Some(lc) = &mut m.long_context {
                push_prices_mut(&mut out, &mut lc.prices);
            }
        }
        for st in &mut self.stacks {
            for c in &mut st.chains {
                for l in &mut c.links {
                    out.push(&mut l.validation_failure_rate);
                    out.push(&mut l.escalation_rate);
                }
            }
        }
        out
    }

    /// Whether nothing in the scenario is random: every draw is a fixed number, arrivals are
    /// fixed, users are identical, and every rate is 0 or 1.
    pub fn is_deterministic(&self) -> bool {
        let fixed_params = self.params().iter().all(|p| p.is_fixed());
        let users_identical = self
            .segments
            .iter()
            .all(|s| s.user_variability.dist.fixed_value() == Some(0.0));
        let zero_or_one =
            |p: &Param| matches!(p.dist.fixed_value(), Some(v) if v == 0.0 || v == 1.0);
        let rates_binary = self.workflows.iter().all(|w| {
            w.steps.iter().all(|s| zero_or_one(&s.cache_hit_rate))
                && w.requests_per_session
                    .fixed_value()
                    .is_some_and(|v| v.fract() == 0.0)
                && w.steps.iter().all(|s| {
                    s.static_prefix_tokens.is_fixed()
                        && s.input_tokens.is_fixed()
                        && s.output_tokens.is_fixed()
                        && s.retrieval
                            .as_ref()
                            .is_none_or(|r| r.chunks.is_fixed() && r.chunk_tokens.is_fixed())
                })
        }) && self.stacks.iter().all(|st| {
            st.chains.iter().all(|c| {
                c.links.iter().all(|l| {
                    zero_or_one(&l.validation_failure_rate) && zero_or_one(&l.escalation_rate)
                })
            })
        });
        fixed_params
            && users_identical
            && rates_binary
            && self.simulation.arrivals == Arrivals::Fixed
    }
}

fn push_prices<'a>(out: &mut Vec<&'a Param>, p: &'a Prices) {
    out.push(&p.input);
    out.push(&p.output);
    out.push(&p.cached_input);
    out.push(&p.cache_write);
}

fn push_prices_mut<'a>(out: &mut Vec<&'a mut Param>, p: &'a mut Prices) {
    out.push(&mut p.input);
    out.push(&mut p.output);
    out.push(&mut p.cached_input);
    out.push(&mut p.cache_write);
}

/// Weekday weight of each day of the month: day 1 is a Monday, Saturdays and Sundays get the
/// weekend factor.
pub fn day_weights(days: u32, weekend_factor: f64) -> Vec<f64> {
    (0..days)
        .map(|d| if d % 7 >= 5 { weekend_factor } else { 1.0 })
        .collect()
}
