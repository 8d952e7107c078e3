//! What `estimate` reports: per stack, workflow, step and chain link, the expected arithmetic
//! (`quantity × unit price = dollars`) and the month's invoice, serialized as its JSON.

use serde::Serialize;

use crate::billing::classes::{CostBreakdown, CostClass, Meter};
use crate::model::traffic::TrafficLine;

/// One line of a call's arithmetic: `quantity × unit price = dollars`.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct CostLine {
    /// What is billed: "input", "cached input", "cache write 1h", "image", a tool's name, …
    pub label: String,
    /// The [`CostBreakdown`] class the dollars count toward.
    pub class: CostClass,
    /// Expected quantity per call.
    pub quantity: f64,
    /// "tokens", "images" or "tool calls".
    pub unit: &'static str,
    /// Effective unit price (blended across long-context and flex tiers): USD per million
    /// tokens, per image or per tool call.
    pub unit_price_usd: f64,
    /// Expected dollars per call, after any batch discount.
    pub usd: f64,
    /// Tokens per call behind this line (counted by volume tiers).
    pub tokens: f64,
    /// What the line meters: its class, token kind and label follow from it.
    #[serde(skip)]
    pub meter: Meter,
}

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct LinkEstimate {
    pub model: String,
    /// Probability that a call of the step reaches this model at all.
    pub reach_probability: f64,
    /// Expected calls to this model per request reaching the step (retries, errors and agent
    /// loop iterations included).
    pub calls_per_request: f64,
    /// Share of those calls that fail at the provider.
    pub error_share: f64,
    /// The arithmetic of one call, averaged over attempts (errored ones included).
    pub lines: Vec<CostLine>,
    /// Share of calls priced at long-context rates.
    pub long_context_share: f64,
    /// With several thresholds: the share of calls priced at each level (above its threshold,
    /// not above the next), lowest first. Empty with one threshold or none.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub long_context_levels: Vec<LongContextLevel>,
    /// The model's input window, if it has one.
    pub max_input_tokens: Option<f64>,
    /// Share of the step's prompts (at the largest call of an agent loop) longer than that
    /// window: the provider refuses them.
    pub window_exceeded_share: f64,
    /// `1 − batch_discount` on the batch path, else 1.
    pub batch_factor: f64,
    pub cost_per_call_usd: f64,
    pub cost_per_request_usd: f64,
}

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct StepEstimate {
    pub name: String,
    pub route: String,
    /// Probability that a request gets to this step (earlier steps accepted).
    pub reach_probability: f64,
    /// Expected calls of the step per request (agent loops), before retries.
    pub calls_per_request: f64,
    pub acceptance_probability: f64,
    /// Probability that a request reaching the step is refused because a call's input exceeds a
    /// model's window (one refused call, not billed; the request fails).
    pub window_refused: f64,
    /// Of `window_refused`, the requests refused by the chain's first model in a call none of
    /// whose earlier calls went past it: they end there without moving to a later model.
    #[serde(skip)]
    pub window_refused_first: f64,
    /// Expected first calls of the step's calls that are billed (the rest are retries or
    /// escalations), per request reaching it.
    #[serde(skip)]
    pub first_calls: f64,
    /// Fees outside the model per request reaching the step.
    pub aux_usd: f64,
    pub links: Vec<LinkEstimate>,
    pub cost_per_request_usd: f64,
}

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct WorkflowEstimate {
    pub name: String,
    pub traffic: Vec<TrafficLine>,
    pub requests_per_month: f64,
    pub semantic_cache_hit_rate: f64,
    pub semantic_cache_usd_per_lookup: f64,
    /// Expected runs per request (above 1 while incidents repeat requests).
    pub incident_factor: f64,
    pub steps: Vec<StepEstimate>,
    pub cost_per_request_usd: f64,
    pub acceptance_rate: f64,
    /// Spend of the month at list price (before volume tiers and contracts).
    pub monthly_usd: f64,
}

/// The month's invoice, in the order it is computed.
#[derive(Clone, Debug, Default, Serialize, PartialEq)]
pub struct Invoice {
    /// Every request at list price (batch discounts included), plus fees.
    pub list_usd: f64,
    /// Graduated volume tiers on list price (negative).
    pub volume_discount_usd: f64,
    /// Contract discounts on the tier-discounted usage (negative).
    pub contract_discount_usd: f64,
    /// Commitments paid for but not used.
    pub unused_commitment_usd: f64,
    /// What the hard cap refuses (negative).
    pub capped_usd: f64,
    /// Fine-tuning jobs billed this month (one-time fees; the hard cap does not refuse them).
    #[serde(skip_serializing_if = "is_zero")]
    pub training_usd: f64,
    /// Hosting of fine-tuned deployments this month.
    #[serde(skip_serializing_if = "is_zero")]
    pub hosting_usd: f64,
    /// Provisioned capacities' fees this month (units × hours × the hourly price).
    #[serde(skip_serializing_if = "is_zero")]
    pub provisioned_usd: f64,
    /// The pay-as-you-go dollars of what the capacities served, credited back (negative).
    #[serde(skip_serializing_if = "is_zero")]
    pub provisioned_served_usd: f64,
    /// Per provisioned model of the stack, the month's expected minutes against its capacity.
    #[serde(skip)]
    pub provisioned: Vec<CapacityEstimate>,
    pub total_usd: f64,
    /// Requests of each workflow in the month.
    #[serde(skip)]
    pub requests: Vec<f64>,
    /// Per model, the share of its list-price spend that volume tiers take off.
    #[serde(skip)]
    pub volume_discount_share: Vec<f64>,
    /// Each contract of the stack's plan, in scenario order.
    #[serde(skip)]
    pub contracts: Vec<ContractInvoice>,
}

impl Invoice {
    /// The month's fees beyond its calls (training, hosting and provisioned capacity, with the
    /// pay-as-you-go dollars its capacity absorbs), which the hard cap neither refuses nor
    /// counts.
    pub fn fixed_fees_usd(&self) -> f64 {
        self.training_usd + self.hosting_usd + self.provisioned_usd + self.provisioned_served_usd
    }
}

fn is_zero(x: &f64) -> bool {
    *x == 0.0
}

/// One committed-use contract's month on the invoice.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ContractInvoice {
    /// Index into [`Scenario::contracts`].
    pub contract: usize,
    pub committed_usd: f64,
    pub discount: f64,
    /// Usage of the provider's models at list price less volume tiers.
    pub usage_usd: f64,
    /// The part of that usage billed at the contract discount.
    pub covered_usd: f64,
    /// Usage billed: the covered part at the discount, the rest as it is.
    pub accrued_usd: f64,
    /// max(commitment, accrued).
    pub billed_usd: f64,
    /// The commitment paid for but not used.
    pub unused_usd: f64,
}

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct StackEstimate {
    pub name: String,
    pub workflows: Vec<WorkflowEstimate>,
    /// The first month's invoice.
    pub invoice: Invoice,
    /// Every month's invoice, in the order of the horizon (the first is `invoice`).
    #[serde(skip)]
    pub month_invoices: Vec<Invoice>,
    /// Expected spend of an average month of the horizon (the first month when there is one).
    pub monthly_usd: f64,
    /// Expected spend of each month of the horizon.
    pub months_usd: Vec<f64>,
    pub horizon_total_usd: f64,
    /// Requests and accepted tasks of the average month of the horizon (of the month, with one).
    pub requests_per_month: f64,
    pub accepted_per_month: f64,
    /// Spend per request, per accepted task and, with review, per useful output over the whole
    /// horizon: the figures of its average month, as `simulate` reports them.
    pub cost_per_request_usd: Option<f64>,
    pub cost_per_accepted_task_usd: Option<f64>,
    /// Expected human review cost of the average month of the horizon (not part of the
    /// spend); `None` without review.
    pub review_usd: Option<f64>,
    /// Expected human review cost of each month of the horizon; empty without review.
    pub months_review_usd: Vec<f64>,
    pub cost_per_useful_output_usd: Option<f64>,
    /// Expected monthly dollars by billing class (first month).
    pub by_class_usd: CostBreakdown,
    /// The first month against each rate-limit quota of the stack's models (none without).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub quotas: Vec<QuotaEstimate>,
}

/// One quota'd model of a stack in the first month.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct QuotaEstimate {
    pub model: String,
    pub requests_per_minute: f64,
    /// P(some minute of the month holds more calls than the quota).
    pub peak_probability: f64,
    /// Expected calls of the month beyond their minute's quota, and their share of its calls.
    pub throttled_calls: f64,
    pub throttled_share: f64,
}

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Estimate {
    pub scenario: String,
    pub days: u32,
    pub months: u32,
    pub budget_usd: Option<f64>,
    /// Why a figure is approximate; empty when every expectation is exact.
    pub approximations: Vec<String>,
    pub stacks: Vec<StackEstimate>,
}

/// The share of a link's calls priced at one long-context level.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LongContextLevel {
    pub above_input_tokens: f64,
    pub share: f64,
}

/// One provisioned model's expected month against its capacity.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CapacityEstimate {
    /// The model's index in the scenario.
    pub model: usize,
    /// Units × hours × the hourly price.
    pub fee_usd: f64,
    /// The tokens the capacity could serve in the month.
    pub capacity_tokens: f64,
    /// The month's tokens sent to the model.
    pub tokens: f64,
    /// Tokens beyond their minute's capacity, billed at pay-as-you-go.
    pub spilled_tokens: f64,
    /// What the spilled tokens are billed.
    pub spilled_usd: f64,
    /// The pay-as-you-go dollars of the tokens the capacity served (credited back).
    pub served_usd: f64,
}

impl CapacityEstimate {
    /// The tokens the capacity served.
    pub fn served_tokens(&self) -> f64 {
        self.tokens - self.spilled_tokens
    }

    /// The share of the capacity used; 0 without capacity.
    pub fn utilisation(&self) -> f64 {
        if self.capacity_tokens > 0.0 {
            self.served_tokens() / self.capacity_tokens
        } else {
            0.0
        }
    }
}
