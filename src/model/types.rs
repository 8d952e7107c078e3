//! The validated scenario: what the engine, the estimator and the reports work from.
//!
//! Everything here has passed validation: names are resolved to indices, defaults are filled in,
//! every number is finite and in range. A quantity that may vary is either a per-request [`Dist`]
//! (token counts, requests per session: drawn afresh for every request or session) or a
//! [`Param`] (everything else: drawn once per simulated month, the "uncertain parameters").

use crate::model::dist::Dist;
use crate::model::policy::PolicyAction;

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
pub(crate) fn stable_hash(text: &str) -> u64 {
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
    /// Names of external tools billed per call (`tool_calls`), indexed by [`ToolCall::tool`].
    pub tools: Vec<String>,
    pub contracts: Vec<Contract>,
    pub incidents: Vec<Incident>,
    /// Budget policies in the order they are written (the hard cap acts after all of them).
    pub policies: Vec<crate::model::policy::Policy>,
}

/// What a contract bills for usage beyond what the commitment buys.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Overage {
    /// Billed = max(commitment, discounted usage).
    Discounted,
    /// Usage beyond `commitment / (1 − discount)` is billed at its (tier-discounted) list price.
    List,
}

/// A committed-use contract: a monthly commitment to one provider in exchange for a discount.
#[derive(Clone, Debug)]
pub struct Contract {
    pub name: String,
    pub provider: String,
    pub committed_monthly_usd: Param,
    pub discount: Param,
    pub overage: Overage,
}

/// A rare event that multiplies a workflow's calls for a few hours (a runaway agent loop).
#[derive(Clone, Debug)]
pub struct Incident {
    pub name: String,
    pub monthly_probability: Param,
    /// Each affected request runs this many times.
    pub multiplier: Param,
    pub duration_hours: Param,
    /// Indices of the workflows it affects.
    pub workflows: Vec<usize>,
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
    /// Months in a trial's horizon; contracts and volume tiers reset each month.
    pub months: u32,
    /// Activity factor of each calendar month of the horizon (cycled), all 1 by default.
    pub seasonality: Vec<f64>,
    /// The weekday of the month's first day, 0 = Monday (the default) to 6 = Sunday; set by
    /// `backtest` to simulate a real calendar month.
    pub first_weekday: u32,
}

pub(crate) const MAX_MONTHS: u64 = 120;

pub(crate) const DEFAULT_TRIALS: u64 = 10_000;
pub(crate) const MAX_TRIALS: u64 = 10_000_000;
pub(crate) const DEFAULT_DAYS: u32 = 30;
pub(crate) const DEFAULT_ALERT_FRACTIONS: [f64; 3] = [0.5, 0.8, 1.0];

#[derive(Clone, Debug)]
pub struct Budget {
    pub monthly_usd: f64,
    pub alert_fractions: Vec<f64>,
    /// Once a month's spend would pass this, further requests are rejected.
    pub hard_cap_usd: Option<f64>,
    pub per_user_monthly_usd: Option<f64>,
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
    /// Growth of the head-count per month of the horizon (0.05 = 5% a month, compounding).
    pub monthly_growth: Param,
    /// How a day's requests spread over its hours and minutes (never what a day totals).
    pub within_day: crate::model::within_day::WithinDay,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RequestPath {
    Live,
    Batch,
}

/// Provider service tier of a workflow's calls.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ServiceTier {
    Standard,
    Priority,
    /// Cheaper, but a call may be refused for lack of capacity and is then re-sent at standard.
    Flex,
}

impl ServiceTier {
    pub fn index(self) -> usize {
        self as usize
    }

    pub fn name(self) -> &'static str {
        match self {
            ServiceTier::Standard => "standard",
            ServiceTier::Priority => "priority",
            ServiceTier::Flex => "flex",
        }
    }
}

/// How long a prompt-cache write lives; the one-hour cache costs more to write.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CacheTtl {
    FiveMinutes,
    OneHour,
}

#[derive(Clone, Debug)]
pub struct Workflow {
    pub name: String,
    /// Indices into [`Scenario::segments`].
    pub segments: Vec<usize>,
    pub requests_per_session: Dist,
    pub path: RequestPath,
    pub service_tier: ServiceTier,
    pub steps: Vec<Step>,
    /// Probability that a request is answered from a semantic cache without any model call.
    pub semantic_cache_hit_rate: Param,
    /// Paid on every request for the cache lookup, hit or miss.
    pub semantic_cache_usd_per_lookup: Param,
    pub review: Option<Review>,
    pub latency_target: Option<LatencyTarget>,
}

/// Human review time spent on a workflow's outputs.
#[derive(Clone, Debug)]
pub struct Review {
    /// Share of accepted outputs a person reviews.
    pub share: Param,
    pub minutes: Param,
    pub hourly_usd: Param,
    /// Minutes spent on every failed request.
    pub failed_review_minutes: Param,
}

/// Latency percentiles a workflow must meet, in milliseconds.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct LatencyTarget {
    pub p50: Option<f64>,
    pub p95: Option<f64>,
    pub p99: Option<f64>,
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
    pub cache_ttl: CacheTtl,
    /// Hidden reasoning tokens, drawn for every call (retries included).
    pub reasoning_tokens: Dist,
    /// The thinking budget: reasoning draws above it are cut to it.
    pub max_reasoning_tokens: Option<f64>,
    pub images: Option<Images>,
    /// Audio input tokens, drawn per request and resent by retries.
    pub audio_input_tokens: Dist,
    /// Audio output tokens, drawn for every call like text output.
    pub audio_output_tokens: Dist,
    pub tool_calls: Vec<ToolCall>,
    /// Fees per request outside the model (embeddings, vector search), billed once per request.
    pub aux_usd_per_request: Param,
    /// How many times the step is called per request (agent and tool loops); drawn per request.
    pub calls: Dist,
    /// Tokens added to the input by each further call of a loop; drawn per request.
    pub context_growth_tokens: Dist,
}

#[derive(Clone, Debug)]
pub struct Images {
    /// Images per request (drawn per request, resent by retries).
    pub count: Dist,
    pub tokens_per_image: f64,
}

/// Fees of an external tool (web search, …) called by a step, billed per attempt.
#[derive(Clone, Debug)]
pub struct ToolCall {
    /// Index into [`Scenario::tools`].
    pub tool: usize,
    /// Tool calls per attempt, drawn per request.
    pub count: Dist,
    pub usd_per_call: Param,
}

/// Prices in USD per million tokens.
#[derive(Clone, Debug)]
pub struct Prices {
    pub input: Param,
    pub output: Param,
    pub cached_input: Param,
    pub cache_write: Param,
}

/// One long-context price level of a model.
#[derive(Clone, Debug)]
pub struct LongContext {
    /// A request whose whole input exceeds this many tokens (and no higher threshold of the
    /// model) is priced at `prices` throughout, as providers bill.
    pub above_input_tokens: f64,
    pub prices: Prices,
    /// One-hour cache writes at this level, when listed; otherwise they follow cache writes.
    pub cache_write_1h: Option<Param>,
    /// Priority and flex prices at this level, when listed; otherwise the tier's prices scaled
    /// like the standard ones.
    pub priority: Option<ListedPrices>,
    pub flex: Option<ListedPrices>,
}

/// Prices listed for a service tier above a long-context threshold; the ones left out follow
/// the listed ones.
#[derive(Clone, Debug)]
pub struct ListedPrices {
    pub input: Option<Param>,
    pub output: Option<Param>,
    pub cached_input: Option<Param>,
    pub cache_write: Option<Param>,
}

/// Prices of a non-standard service tier, USD per million tokens. Validation guarantees the
/// input, output and cached-input prices of every tier a workflow uses.
#[derive(Clone, Debug)]
pub struct TierPrices {
    pub input: Option<Param>,
    pub output: Option<Param>,
    pub cached_input: Option<Param>,
    /// Default: the tier's input price times the standard write-to-input ratio.
    pub cache_write: Option<Param>,
    /// Flex: probability a call is refused and re-sent at standard; 0 for priority.
    pub unavailable_rate: Param,
}

#[derive(Clone, Debug)]
pub struct Model {
    pub name: String,
    pub provider: String,
    pub prices: Prices,
    pub min_cacheable_tokens: f64,
    /// The input window in tokens: a call whose whole input (prefix, prompt, retrieved chunks,
    /// images, audio) is longer is refused by the provider — an error, not billed — and its
    /// request fails. From the scenario's `max_input_tokens`, else the catalog's context window
    /// of a model of that name; `None` when neither gives one.
    pub max_input_tokens: Option<f64>,
    pub batch_discount: Param,
    /// Long-context levels by ascending threshold (empty when the model has none): a request
    /// is priced at the highest level whose threshold its whole input exceeds.
    pub long_context: Vec<LongContext>,
    /// Reasoning tokens (default: the output price).
    pub reasoning: Param,
    /// One-hour cache writes; `None` when the model offers none.
    pub cache_write_1h: Option<Param>,
    /// Image input tokens (default: the input price).
    pub image_input: Param,
    /// A price per image, used instead of per-token image pricing when given.
    pub input_per_image: Option<Param>,
    pub audio_input: Option<Param>,
    pub audio_output: Option<Param>,
    pub priority: Option<TierPrices>,
    pub flex: Option<TierPrices>,
    /// Graduated volume discounts, by ascending threshold.
    pub volume_tiers: Vec<VolumeTier>,
    pub latency: Option<Latency>,
    /// Where the prices come from, for readers who audit them.
    pub price_source: PriceSource,
    /// When the model is a fine-tune: its one-time training and its hosting fee. Its inference
    /// prices are the model's own (`prices`).
    pub fine_tune: Option<FineTune>,
    /// The scenario's `price_multiplier` of this model's provider (1 without one): every price
    /// a call pays is the listed one times this, applied in `billing::prices` alone.
    pub price_multiplier: f64,
    /// Capacity bought by the hour, when the model has one; its prices (above) are then the
    /// pay-as-you-go prices of what spills over.
    pub provisioned: Option<crate::model::provisioned::Provisioned>,
    /// The deployment's rate limits per minute (`requests_per_minute`, `tokens_per_minute`);
    /// `None` when it has none.
    pub quota: Option<crate::model::quota::Quota>,
}

/// A fine-tuned model's fees beyond its inference prices: a training job billed once (training
/// tokens × epochs × the training price) and, at providers that charge it, an hourly fee for
/// the deployment. A stack that routes to the model pays both.
#[derive(Clone, Debug, PartialEq)]
pub struct FineTune {
    /// The model it is tuned from (for reports; its prices play no part).
    pub base: String,
    /// Tokens in the training file.
    pub training_tokens: f64,
    pub epochs: f64,
    pub training_usd_per_mtok: f64,
    /// The month of the horizon (0-based) whose invoice carries the training job.
    pub training_month: u32,
    /// Hosting of the fine-tuned deployment, billed for every hour of every month.
    pub hosting_usd_per_hour: f64,
}

impl FineTune {
    /// The training job's price: tokens × epochs × price per million tokens.
    pub fn training_usd(&self) -> f64 {
        self.training_tokens * self.epochs * self.training_usd_per_mtok / 1e6
    }
}

/// The provenance of a model's prices, as the scenario or its catalog states it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PriceSource {
    /// The provider's price page (or whatever the prices were taken from).
    pub source: Option<String>,
    /// When the prices were checked against `source`.
    pub checked: Option<crate::base::calendar::Date>,
    /// The catalog the prices were filled from; `None` when the scenario writes them.
    pub catalog: Option<String>,
}

/// Tokens of the month beyond `above_tokens` (per model, all kinds) get `discount`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct VolumeTier {
    pub above_tokens: f64,
    pub discount: f64,
}

#[derive(Clone, Debug)]
pub struct Latency {
    /// Time to the first token, drawn for every call.
    pub first_token_ms: Dist,
    pub output_tokens_per_s: Param,
}

impl Model {
    pub fn tier(&self, tier: ServiceTier) -> Option<&TierPrices> {
        match tier {
            ServiceTier::Standard => None,
            ServiceTier::Priority => self.priority.as_ref(),
            ServiceTier::Flex => self.flex.as_ref(),
        }
    }
}

pub(crate) const DEFAULT_MIN_CACHEABLE_TOKENS: f64 = 1024.0;
pub(crate) const MAX_ATTEMPTS: u64 = 100;
pub(crate) const MAX_USERS: f64 = 1e12;
/// The most tokens any token count may reach (a prompt part, an answer, a cap, a threshold): a
/// hundred times the longest context window on sale.
pub(crate) const MAX_TOKENS: f64 = 1e8;
/// The highest price per million tokens: $1 per token.
pub(crate) const MAX_USD_PER_MTOK: f64 = 1e6;
/// The most calls an agent loop may make for one request.
pub(crate) const MAX_LOOP_CALLS: f64 = 10_000.0;
/// The most retrieved chunks, images or tool calls one request may carry.
pub(crate) const MAX_ITEMS_PER_REQUEST: f64 = 10_000.0;
/// The largest value any other number may take (dollars, factors, rates of sessions).
pub(crate) const MAX_NUMBER: f64 = 1e15;
/// The most entries of each array of tables (`[[segment]]`, `[[workflow]]`, `[[model]]`,
/// `[[stack]]`).
pub(crate) const MAX_ENTRIES: usize = 10_000;
/// The most `[[stack]]` entries: each is simulated in every trial and keeps its own figures.
pub(crate) const MAX_STACKS: usize = 1_000;
/// The most requests a scenario may expect in its busiest month.
pub(crate) const MAX_REQUESTS_PER_MONTH: f64 = 1e15;

#[derive(Clone, Debug)]
pub struct Link {
    /// Index into [`Scenario::models`].
    pub model: usize,
    pub validation_failure_rate: Param,
    pub max_attempts: u32,
    pub escalation_rate: Param,
    /// Probability that a call fails at the provider (an attempt that returns nothing usable).
    pub provider_error_rate: Param,
    pub error_billing: ErrorBilling,
}

/// What a provider bills for a call that errors.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorBilling {
    None,
    /// The input tokens only.
    Input,
}

#[derive(Clone, Debug)]
pub struct Chain {
    pub links: Vec<Link>,
}

/// The parameters of a scenario in their fixed order, by shared (`every_param!(s,)`) or mutable
/// (`every_param!(s, mut)`) reference: one list, so the two can never fall out of step.
macro_rules! every_param {
    ($s:expr, $($m:ident)?) => {{
        let mut out = Vec::new();
        for s in &$($m)? $s.segments {
            out.push(&$($m)? s.users);
            match &$($m)? s.sessions {
                SessionRate::PerDay(p) | SessionRate::PerMonth(p) => out.push(p),
            }
            out.push(&$($m)? s.user_variability);
            out.push(&$($m)? s.weekend_factor);
            out.push(&$($m)? s.monthly_growth);
        }
        for w in &$($m)? $s.workflows {
            out.push(&$($m)? w.semantic_cache_hit_rate);
            out.push(&$($m)? w.semantic_cache_usd_per_lookup);
            if let Some(r) = &$($m)? w.review {
                out.extend([
                    &$($m)? r.share,
                    &$($m)? r.minutes,
                    &$($m)? r.hourly_usd,
                    &$($m)? r.failed_review_minutes,
                ]);
            }
            for st in &$($m)? w.steps {
                out.push(&$($m)? st.cache_hit_rate);
                out.push(&$($m)? st.aux_usd_per_request);
                for t in &$($m)? st.tool_calls {
                    out.push(&$($m)? t.usd_per_call);
                }
            }
        }
        for m in &$($m)? $s.models {
            let p = &$($m)? m.prices;
            out.extend([
                &$($m)? p.input,
                &$($m)? p.output,
                &$($m)? p.cached_input,
                &$($m)? p.cache_write,
            ]);
            out.push(&$($m)? m.batch_discount);
            for lc in &$($m)? m.long_context {
                let p = &$($m)? lc.prices;
                out.extend([
                    &$($m)? p.input,
                    &$($m)? p.output,
                    &$($m)? p.cached_input,
                    &$($m)? p.cache_write,
                ]);
                out.extend(&$($m)? lc.cache_write_1h);
                for t in [&$($m)? lc.priority, &$($m)? lc.flex].into_iter().flatten() {
                    out.extend(
                        [&$($m)? t.input, &$($m)? t.output, &$($m)? t.cached_input, &$($m)? t.cache_write]
                            .into_iter()
                            .flatten(),
                    );
                }
            }
            out.push(&$($m)? m.reasoning);
            out.push(&$($m)? m.image_input);
            out.extend(
                [
                    &$($m)? m.cache_write_1h,
                    &$($m)? m.input_per_image,
                    &$($m)? m.audio_input,
                    &$($m)? m.audio_output,
                ]
                .into_iter()
                .flatten(),
            );
            if let Some(l) = &$($m)? m.latency {
                out.push(&$($m)? l.output_tokens_per_s);
            }
            for t in [&$($m)? m.priority, &$($m)? m.flex].into_iter().flatten() {
                out.push(&$($m)? t.unavailable_rate);
                out.extend(
                    [
                        &$($m)? t.input,
                        &$($m)? t.output,
                        &$($m)? t.cached_input,
                        &$($m)? t.cache_write,
                    ]
                    .into_iter()
                    .flatten(),
                );
            }
        }
        for st in &$($m)? $s.stacks {
            for c in &$($m)? st.chains {
                for l in &$($m)? c.links {
                    out.push(&$($m)? l.validation_failure_rate);
                    out.push(&$($m)? l.escalation_rate);
                    out.push(&$($m)? l.provider_error_rate);
                }
            }
        }
        for c in &$($m)? $s.contracts {
            out.extend([&$($m)? c.committed_monthly_usd, &$($m)? c.discount]);
        }
        for i in &$($m)? $s.incidents {
            out.extend([
                &$($m)? i.monthly_probability,
                &$($m)? i.multiplier,
                &$($m)? i.duration_hours,
            ]);
        }
        out
    }};
}

#[derive(Clone, Debug)]
pub struct Stack {
    pub name: String,
    /// One chain per route, indexed like [`Scenario::routes`].
    pub chains: Vec<Chain>,
    /// What its client does with a call a model's quota throttles.
    pub on_throttle: crate::model::quota::OnThrottle,
}

impl Stack {
    /// The models its chains call, each once, in index order.
    pub fn models(&self) -> Vec<usize> {
        let mut m: Vec<usize> = self
            .chains
            .iter()
            .flat_map(|c| &c.links)
            .map(|l| l.model)
            .collect();
        m.sort_unstable();
        m.dedup();
        m
    }
}

impl Scenario {
    /// Every per-trial parameter, in a fixed order (segments, workflows, models, stacks,
    /// contracts, incidents).
    pub fn params(&self) -> Vec<&Param> {
        every_param!(self,)
    }

    /// Every per-trial parameter, mutably, in the order of [`Scenario::params`].
    pub fn params_mut(&mut self) -> Vec<&mut Param> {
        every_param!(self, mut)
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
            zero_or_one(&w.semantic_cache_hit_rate)
                && w.steps.iter().all(|s| zero_or_one(&s.cache_hit_rate))
                && w.requests_per_session
                    .fixed_value()
                    .is_some_and(|v| v.fract() == 0.0)
                && w.steps.iter().all(|s| {
                    s.static_prefix_tokens.is_fixed()
                        && s.input_tokens.is_fixed()
                        && s.output_tokens.is_fixed()
                        && s.reasoning_tokens.is_fixed()
                        && s.audio_input_tokens.is_fixed()
                        && s.audio_output_tokens.is_fixed()
                        && s.images.as_ref().is_none_or(|i| i.count.is_fixed())
                        && s.tool_calls.iter().all(|t| t.count.is_fixed())
                        && s.calls.fixed_value().is_some_and(|c| c.fract() == 0.0)
                        && s.context_growth_tokens.is_fixed()
                        && s.retrieval
                            .as_ref()
                            .is_none_or(|r| r.chunks.is_fixed() && r.chunk_tokens.is_fixed())
                })
        }) && self.stacks.iter().all(|st| {
            st.chains.iter().all(|c| {
                c.links.iter().all(|l| {
                    zero_or_one(&l.validation_failure_rate)
                        && zero_or_one(&l.escalation_rate)
                        && zero_or_one(&l.provider_error_rate)
                })
            })
        });
        let incidents_certain = self.incidents.iter().all(|i| {
            zero_or_one(&i.monthly_probability)
                && i.multiplier
                    .dist
                    .fixed_value()
                    .is_some_and(|m| m.fract() == 0.0)
                && i.duration_hours
                    .dist
                    .fixed_value()
                    .is_some_and(|h| h >= 24.0 * f64::from(self.simulation.days) || h == 0.0)
        });
        let latency_fixed = self
            .models
            .iter()
            .filter_map(|m| m.latency.as_ref())
            .all(|l| l.first_token_ms.is_fixed());
        let flex_certain = self
            .models
            .iter()
            .filter_map(|m| m.flex.as_ref())
            .all(|f| zero_or_one(&f.unavailable_rate));
        fixed_params
            && users_identical
            && rates_binary
            && flex_certain
            && incidents_certain
            && latency_fixed
            && self.simulation.arrivals == Arrivals::Fixed
    }
}

impl Scenario {
    /// Whether contract `c` is part of stack `k`'s plan: it is when the stack routes to at least
    /// one model of the contract's provider (a plan that never calls a provider signs nothing
    /// with it).
    pub(crate) fn contract_applies(&self, k: usize, c: usize) -> bool {
        let provider = &self.contracts[c].provider;
        self.stacks[k]
            .chains
            .iter()
            .flat_map(|ch| &ch.links)
            .any(|l| &self.models[l.model].provider == provider)
    }
}

/// Weekday weight of each day of the month: day 1 is the weekday `first_weekday` (0 = Monday,
/// the default), Saturdays and Sundays get the weekend factor.
pub(crate) fn day_weights(days: u32, first_weekday: u32, weekend_factor: f64) -> Vec<f64> {
    (0..days)
        .map(|d| {
            if (d + first_weekday) % 7 >= 5 {
                weekend_factor
            } else {
                1.0
            }
        })
        .collect()
}

/// Why `action` changes nothing for a request of workflow `w` on stack `k` whose steps call
/// `route` (a route policy's) or, when `None`, their own routes; `None` when it may change
/// something. Such a request is served exactly as without the policy, so it is not degraded,
/// and validation warns about a policy that changes nothing where it acts.
pub fn policy_unchanged(
    s: &Scenario,
    action: PolicyAction,
    k: usize,
    w: usize,
    route: Option<usize>,
) -> Option<&'static str> {
    let wf = &s.workflows[w];
    match action {
        PolicyAction::Route(r) => wf
            .steps
            .iter()
            .all(|step| step.route == r)
            .then_some("its steps already call that route"),
        PolicyAction::Batch => {
            if wf.path == RequestPath::Batch {
                return Some("it already goes through the batch interface");
            }
            let no_discount = wf
                .steps
                .iter()
                .flat_map(|step| &s.stacks[k].chains[route.unwrap_or(step.route)].links)
                .all(|l| s.models[l.model].batch_discount.dist.fixed_value() == Some(0.0));
            no_discount.then_some("its models have no `batch_discount`")
        }
        PolicyAction::SemanticCache(x) => (wf.semantic_cache_hit_rate.dist.support().0 >= x)
            .then_some("its own semantic cache already answers at least that share"),
        PolicyAction::MaxOutputTokens(_)
        | PolicyAction::MaxReasoningTokens(_)
        | PolicyAction::Pause
        | PolicyAction::Refuse => None,
    }
}
