//! The scenario file exactly as written: serde types that mirror the TOML format key by key.
//!
//! These types only know the shape of the format (which keys exist, their types, which are
//! required); every rule about values (ranges, references, consistency) lives in
//! [`validate`](super::validate). Values that a later check may reject are wrapped in [`Located`]
//! so that check can still point at them. Key names here are the public contract of the format:
//! they are extended, never renamed.

use indexmap::IndexMap;
use schemars::JsonSchema;
use serde::Deserialize;

use crate::model::doc::de::Located;

/// A number, or a distribution written as a table.
#[derive(Clone, Debug)]
pub enum RawQuantity {
    Number(f64),
    Dist(Box<RawDist>),
}

impl<'de> Deserialize<'de> for RawQuantity {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct QuantityVisitor;

        impl<'de> serde::de::Visitor<'de> for QuantityVisitor {
            type Value = RawQuantity;

            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a number or a distribution table such as { p50 = 900, p95 = 2600 }")
            }

            fn visit_i64<E>(self, v: i64) -> Result<RawQuantity, E> {
                Ok(RawQuantity::Number(v as f64))
            }

            fn visit_u64<E>(self, v: u64) -> Result<RawQuantity, E> {
                Ok(RawQuantity::Number(v as f64))
            }

            fn visit_f64<E>(self, v: f64) -> Result<RawQuantity, E> {
                Ok(RawQuantity::Number(v))
            }

            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                map: A,
            ) -> Result<RawQuantity, A::Error> {
                let dist = RawDist::deserialize(serde::de::value::MapAccessDeserializer::new(map))?;
                Ok(RawQuantity::Dist(Box::new(dist)))
            }
        }

        deserializer.deserialize_any(QuantityVisitor)
    }
}

/// The distribution families a table can name with `dist = "…"`.
#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum DistFamily {
    Normal,
    Lognormal,
    Gamma,
    Uniform,
    Triangular,
    Beta,
    Poisson,
    Empirical,
}

impl DistFamily {
    pub fn name(self) -> &'static str {
        match self {
            DistFamily::Normal => "normal",
            DistFamily::Lognormal => "lognormal",
            DistFamily::Gamma => "gamma",
            DistFamily::Uniform => "uniform",
            DistFamily::Triangular => "triangular",
            DistFamily::Beta => "beta",
            DistFamily::Poisson => "poisson",
            DistFamily::Empirical => "empirical",
        }
    }
}

/// A distribution table; which keys are allowed together is checked in validation.
#[derive(Clone, Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawDist {
    pub dist: Option<Located<DistFamily>>,
    pub p50: Option<Located<f64>>,
    pub p95: Option<Located<f64>>,
    pub low: Option<Located<f64>>,
    pub high: Option<Located<f64>>,
    pub mean: Option<Located<f64>>,
    pub sd: Option<Located<f64>>,
    pub cv: Option<Located<f64>>,
    pub min: Option<Located<f64>>,
    pub mode: Option<Located<f64>>,
    pub max: Option<Located<f64>>,
    pub values: Option<Located<Vec<f64>>>,
    pub weights: Option<Located<Vec<f64>>>,
    /// A prompt file whose token count is the value (`static_prefix_tokens`, `input_tokens`),
    /// relative to the scenario file; replaced by its count when the scenario is read.
    pub file: Option<Located<String>>,
    /// A folder of example inputs: an empirical distribution of its files' token counts.
    pub folder: Option<Located<String>>,
    /// With `file` or `folder`: the model whose tokenizer counts them (else the step's first).
    pub model: Option<Located<String>>,
}

pub(crate) type Quantity = Located<RawQuantity>;

/// The top-level keys of a scenario ([`RawScenario`]'s fields as written in TOML).
pub(crate) const TOP_LEVEL_KEYS: [&str; 14] = [
    "extends",
    "name",
    "description",
    "catalog",
    "simulation",
    "budget",
    "segment",
    "workflow",
    "model",
    "stack",
    "contract",
    "incident",
    "policy",
    "price_multiplier",
];

#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawScenario {
    /// Path of a scenario to inherit from, relative to this file; keys written here override it.
    pub extends: Option<Located<String>>,
    pub name: Located<String>,
    pub description: Option<String>,
    /// A price catalog (JSON) to take model prices from, relative to the scenario file.
    pub catalog: Option<Located<String>>,
    pub simulation: Option<Located<RawSimulation>>,
    pub budget: Option<Located<RawBudget>>,
    #[serde(default, rename = "segment")]
    pub segments: Vec<Located<RawSegment>>,
    #[serde(default, rename = "workflow")]
    pub workflows: Vec<Located<RawWorkflow>>,
    #[serde(default, rename = "model")]
    pub models: Vec<Located<RawModel>>,
    #[serde(default, rename = "stack")]
    pub stacks: Vec<Located<RawStack>>,
    #[serde(default, rename = "contract")]
    pub contracts: Vec<Located<RawContract>>,
    #[serde(default, rename = "incident")]
    pub incidents: Vec<Located<RawIncident>>,
    /// Budget policies, applied in order as the month's spend passes their thresholds.
    #[serde(default, rename = "policy")]
    pub policies: Vec<Located<RawPolicy>>,
    /// A factor on every price of a provider's models, by provider (`openai = 1.2`: "what if
    /// openai's prices rise 20%"): every token, image and audio price, at every service tier and
    /// long-context level, of the models listed here and of those priced from the catalog.
    pub price_multiplier: Option<Located<IndexMap<String, Located<f64>>>>,
}

/// A budget policy: once the month's spend passes its threshold, it changes how the requests of
/// the segments and workflows it names are served, for the rest of the month. It does exactly
/// one thing (one of the action keys).
#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawPolicy {
    pub name: Located<String>,
    /// Fires once the month's spend passes this share of `budget.monthly_usd`.
    pub at_budget_fraction: Option<Located<f64>>,
    /// Fires once the month's spend passes this many dollars.
    pub at_usd: Option<Located<f64>>,
    /// Only requests of these segments are affected (all segments when absent).
    pub segments: Option<Located<Vec<Located<String>>>>,
    /// Only requests of these workflows are affected (all workflows when absent).
    pub workflows: Option<Located<Vec<Located<String>>>>,
    /// Segments this policy never affects (a paying tier).
    pub protect: Option<Located<Vec<Located<String>>>>,
    /// The threshold counts only the spend of these segments' requests (the month's whole
    /// spend when neither this nor `spend_of_workflows` is given).
    pub spend_of_segments: Option<Located<Vec<Located<String>>>>,
    /// The threshold counts only the spend of these workflows' requests.
    pub spend_of_workflows: Option<Located<Vec<Located<String>>>>,
    /// Action: every step of the affected workflows calls this route's chain instead.
    pub route: Option<Located<String>>,
    /// Action: output tokens of every call are cut to this.
    pub max_output_tokens: Option<Located<f64>>,
    /// Action: reasoning tokens of every call are cut to this (a thinking budget).
    pub max_reasoning_tokens: Option<Located<f64>>,
    /// Action: the semantic cache answers at least this share of requests (a lower similarity
    /// threshold).
    pub semantic_cache_hit_rate: Option<Located<f64>>,
    /// Action: the affected workflows are sent through the batch interface.
    pub batch: Option<Located<bool>>,
    /// Action: the affected workflows are switched off (their requests are not made).
    pub pause: Option<Located<bool>>,
    /// Action: the affected requests are refused with an error.
    pub refuse: Option<Located<bool>>,
}

#[derive(Clone, Copy, Debug, Deserialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum RawOverage {
    Discounted,
    List,
}

/// A committed-use contract with one provider.
#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawContract {
    pub name: Option<Located<String>>,
    pub provider: Located<String>,
    pub committed_monthly_usd: Quantity,
    pub discount: Quantity,
    pub overage: Option<Located<RawOverage>>,
}

/// Something that goes wrong some months: a runaway loop, a retry storm.
#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawIncident {
    pub name: Located<String>,
    pub monthly_probability: Quantity,
    pub multiplier: Quantity,
    pub duration_hours: Quantity,
    pub workflow: Option<Located<String>>,
}

#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum RawArrivals {
    Poisson,
    Fixed,
}

#[derive(Clone, Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawSimulation {
    pub trials: Option<Located<u64>>,
    pub days: Option<Located<u64>>,
    pub seed: Option<Located<u64>>,
    pub arrivals: Option<Located<RawArrivals>>,
    pub months: Option<Located<u64>>,
    pub seasonality: Option<Located<Vec<Located<f64>>>>,
}

#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawBudget {
    pub monthly_usd: Located<f64>,
    pub alert_fractions: Option<Located<Vec<Located<f64>>>>,
    pub hard_cap_usd: Option<Located<f64>>,
    pub per_user_monthly_usd: Option<Located<f64>>,
}

#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawSegment {
    pub name: Located<String>,
    pub users: Quantity,
    pub sessions_per_user_per_day: Option<Quantity>,
    pub sessions_per_user_per_month: Option<Quantity>,
    pub user_variability: Option<Quantity>,
    pub weekend_factor: Option<Quantity>,
    pub monthly_growth: Option<Quantity>,
    /// When in the day the segment's requests arrive: `flat` (the default), `office-hours` or
    /// `consumer`.
    pub hourly_profile: Option<Located<String>>,
    /// 24 weights, one per hour from midnight, instead of a named profile.
    pub hourly_weights: Option<Located<Vec<Located<f64>>>>,
    /// Coefficient of variation of a minute's arrival rate around its hour's (default 0:
    /// Poisson arrivals).
    pub burstiness: Option<Located<f64>>,
}

#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum RawPath {
    Live,
    Batch,
}

#[derive(Clone, Copy, Debug, Deserialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum RawServiceTier {
    Standard,
    Priority,
    Flex,
}

#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawWorkflow {
    pub name: Located<String>,
    pub segments: Option<Located<Vec<Located<String>>>>,
    pub requests_per_session: Option<Quantity>,
    pub path: Option<Located<RawPath>>,
    pub service_tier: Option<Located<RawServiceTier>>,
    pub semantic_cache_hit_rate: Option<Quantity>,
    pub semantic_cache_usd_per_lookup: Option<Quantity>,
    pub review: Option<Located<RawReview>>,
    pub latency_target_ms: Option<Located<RawLatencyTarget>>,
    #[serde(default, rename = "step")]
    pub steps: Vec<Located<RawStep>>,
}

#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawStep {
    pub name: Located<String>,
    pub route: Located<String>,
    pub static_prefix_tokens: Option<Quantity>,
    pub input_tokens: Option<Quantity>,
    pub retrieval: Option<Located<RawRetrieval>>,
    pub output_tokens: Option<Quantity>,
    pub max_output_tokens: Option<Located<f64>>,
    pub cache_hit_rate: Option<Quantity>,
    pub cache_ttl: Option<Located<RawCacheTtl>>,
    pub reasoning_tokens: Option<Quantity>,
    pub max_reasoning_tokens: Option<Located<f64>>,
    pub images: Option<Located<RawImages>>,
    pub audio_input_tokens: Option<Quantity>,
    pub audio_output_tokens: Option<Quantity>,
    pub tool_calls: Option<Located<Vec<Located<RawToolCall>>>>,
    pub aux_usd_per_request: Option<Quantity>,
    pub calls: Option<Quantity>,
    pub context_growth_tokens: Option<Quantity>,
}

/// Human review of outputs.
#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawReview {
    pub share: Quantity,
    pub minutes: Quantity,
    pub hourly_usd: Quantity,
    pub failed_review_minutes: Option<Quantity>,
}

/// Latency percentiles a workflow must meet, in milliseconds.
#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawLatencyTarget {
    pub p50: Option<Located<f64>>,
    pub p95: Option<Located<f64>>,
    pub p99: Option<Located<f64>>,
}

#[derive(Clone, Copy, Debug, Deserialize, JsonSchema, PartialEq, Eq)]
pub enum RawCacheTtl {
    #[serde(rename = "5m")]
    FiveMinutes,
    #[serde(rename = "1h")]
    OneHour,
}

#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawImages {
    pub count: Quantity,
    pub tokens_per_image: Located<f64>,
}

#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawToolCall {
    pub name: Located<String>,
    pub count: Quantity,
    pub usd_per_call: Quantity,
}

#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawRetrieval {
    pub chunks: Quantity,
    pub chunk_tokens: Quantity,
}

#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawModel {
    pub name: Located<String>,
    pub provider: Option<Located<String>>,
    pub input_usd_per_mtok: Option<Quantity>,
    pub output_usd_per_mtok: Option<Quantity>,
    pub cached_input_usd_per_mtok: Option<Quantity>,
    pub cache_write_usd_per_mtok: Option<Quantity>,
    pub min_cacheable_tokens: Option<Located<f64>>,
    /// The input window: a call whose whole input is longer is refused by the provider.
    pub max_input_tokens: Option<Located<f64>>,
    pub batch_discount: Option<Quantity>,
    pub long_context: Option<Located<RawLongContexts>>,
    pub reasoning_usd_per_mtok: Option<Quantity>,
    pub cache_write_1h_usd_per_mtok: Option<Quantity>,
    pub image_input_usd_per_mtok: Option<Quantity>,
    pub input_usd_per_image: Option<Quantity>,
    pub audio_input_usd_per_mtok: Option<Quantity>,
    pub audio_output_usd_per_mtok: Option<Quantity>,
    pub priority: Option<Located<RawTier>>,
    pub flex: Option<Located<RawTier>>,
    pub volume_tiers: Option<Located<Vec<Located<RawVolumeTier>>>>,
    pub latency: Option<Located<RawLatency>>,
    /// Where the prices come from, such as the provider's price page; shown with them in the
    /// brief's assumptions. A model priced from a catalog takes its entry's source.
    pub source: Option<Located<String>>,
    /// The date (`YYYY-MM-DD`) the prices were checked against `source`.
    pub checked: Option<Located<String>>,
    /// The catalog the loader filled prices from (never written in a scenario).
    #[serde(skip)]
    #[schemars(skip)]
    pub catalog: Option<String>,
    /// The model is a fine-tune: its training job and hosting fee.
    pub fine_tune: Option<Located<RawFineTune>>,
    /// The deployment's rate limit: calls a minute.
    pub requests_per_minute: Option<Located<f64>>,
    /// The deployment's rate limit: tokens (input and output) a minute.
    pub tokens_per_minute: Option<Located<f64>>,
    /// Capacity bought by the hour for the model; what does not fit spills over to
    /// pay-as-you-go.
    pub provisioned: Option<Located<RawProvisioned>>,
}

/// A provisioned capacity: units bought by the hour, each serving so many tokens a minute.
#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawProvisioned {
    /// Units bought (PTUs, model units, GPUs).
    pub units: Located<f64>,
    /// Tokens (input and output) a unit serves in a minute.
    pub tokens_per_minute_per_unit: Option<Located<f64>>,
    /// Instead, a measured throughput in tokens per second per unit (a self-hosted GPU).
    pub tokens_per_second_per_unit: Option<Located<f64>>,
    /// The price of one unit for one hour.
    pub usd_per_unit_hour: Located<f64>,
    /// `hourly` (the default), `monthly` or `yearly`.
    pub term: Option<Located<String>>,
    /// The model whose pay-as-you-go prices bill what does not fit (default: the model's own
    /// prices).
    pub spillover: Option<Located<String>>,
}

/// A fine-tuned model's one-time training job and hourly hosting fee.
#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawFineTune {
    /// The model it is tuned from.
    pub base: Located<String>,
    /// Tokens in the training file (one epoch).
    pub training_tokens: Located<f64>,
    /// Passes over the training file (default 1).
    pub epochs: Option<Located<f64>>,
    /// USD per million training tokens.
    pub training_usd_per_mtok: Located<f64>,
    /// The month of the horizon (1 = the first) whose invoice carries the training job
    /// (default 1).
    pub training_month: Option<Located<f64>>,
    /// Hourly fee of the fine-tuned deployment (default 0).
    pub hosting_usd_per_hour: Option<Located<f64>>,
}

/// A graduated volume discount: tokens of the month beyond `above_mtok` million get `discount`.
#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawVolumeTier {
    pub above_mtok: Located<f64>,
    pub discount: Located<f64>,
}

/// How long a model takes to answer.
#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawLatency {
    pub first_token_ms: Quantity,
    pub output_tokens_per_s: Quantity,
}

/// Prices of a service tier (`priority`, `flex`) in USD per million tokens.
#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawTier {
    pub input_usd_per_mtok: Option<Quantity>,
    pub output_usd_per_mtok: Option<Quantity>,
    pub cached_input_usd_per_mtok: Option<Quantity>,
    pub cache_write_usd_per_mtok: Option<Quantity>,
    /// Flex only: probability that a call is refused for lack of capacity.
    pub unavailable_rate: Option<Quantity>,
}

#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawLongContext {
    pub above_input_tokens: Located<f64>,
    pub input_usd_per_mtok: Quantity,
    pub output_usd_per_mtok: Quantity,
    pub cached_input_usd_per_mtok: Option<Quantity>,
    pub cache_write_usd_per_mtok: Option<Quantity>,
    /// One-hour cache writes above this threshold (default: they follow cache writes).
    pub cache_write_1h_usd_per_mtok: Option<Quantity>,
    /// Priority prices above this threshold (default: priority prices scaled like standard).
    pub priority: Option<Located<RawListedPrices>>,
    /// Flex prices above this threshold (default: flex prices scaled like standard).
    pub flex: Option<Located<RawListedPrices>>,
}

/// Prices of a service tier above a long-context threshold.
#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawListedPrices {
    pub input_usd_per_mtok: Option<Quantity>,
    pub output_usd_per_mtok: Option<Quantity>,
    pub cached_input_usd_per_mtok: Option<Quantity>,
    pub cache_write_usd_per_mtok: Option<Quantity>,
}

/// `long_context`: one table (one threshold), or an array of tables (several thresholds; a
/// request is priced at the highest one its whole input exceeds).
#[derive(Clone, Debug)]
pub enum RawLongContexts {
    One(Box<RawLongContext>),
    Many(Vec<Located<RawLongContext>>),
}

impl RawLongContexts {
    /// The levels as written, each with its location (a single table takes `loc`, its own).
    pub fn levels(
        &self,
        loc: crate::base::source::Loc,
    ) -> Vec<(&RawLongContext, crate::base::source::Loc)> {
        match self {
            RawLongContexts::One(one) => vec![(&**one, loc)],
            RawLongContexts::Many(many) => many.iter().map(|l| (&l.value, l.loc)).collect(),
        }
    }
}

impl<'de> Deserialize<'de> for RawLongContexts {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct LevelsVisitor;

        impl<'de> serde::de::Visitor<'de> for LevelsVisitor {
            type Value = RawLongContexts;

            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a table { above_input_tokens = …, input_usd_per_mtok = …, output_usd_per_mtok = … }, or an array of such tables")
            }

            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                map: A,
            ) -> Result<RawLongContexts, A::Error> {
                let one =
                    RawLongContext::deserialize(serde::de::value::MapAccessDeserializer::new(map))?;
                Ok(RawLongContexts::One(Box::new(one)))
            }

            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<RawLongContexts, A::Error> {
                let mut out = Vec::new();
                while let Some(x) = seq.next_element::<Located<RawLongContext>>()? {
                    out.push(x);
                }
                Ok(RawLongContexts::Many(out))
            }
        }

        deserializer.deserialize_any(LevelsVisitor)
    }
}

#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawStack {
    pub name: Located<String>,
    #[serde(default)]
    pub route: IndexMap<String, Located<RawRoute>>,
    /// What the stack's client does with a call a model's quota throttles.
    pub throttle: Option<Located<RawThrottle>>,
}

/// A stack's answer to a throttled call: retry after a delay, or the next link of the chain.
#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawThrottle {
    /// `"retry"` (the default) or `"next"`.
    pub action: Option<Located<String>>,
    /// Seconds before a throttled call is tried again (default 60).
    pub retry_after_s: Option<Located<f64>>,
    /// Tries in all, the first included, before the request fails (default 3).
    pub max_tries: Option<Located<f64>>,
}

#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawRoute {
    pub chain: Located<Vec<Located<RawLink>>>,
}

#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawLink {
    pub model: Located<String>,
    pub validation_failure_rate: Option<Quantity>,
    pub max_attempts: Option<Located<u64>>,
    pub escalation_rate: Option<Quantity>,
    pub provider_error_rate: Option<Quantity>,
    pub error_billing: Option<Located<RawErrorBilling>>,
}

#[derive(Clone, Copy, Debug, Deserialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum RawErrorBilling {
    Input,
    None,
}
