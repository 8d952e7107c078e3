//! The expected month as FOCUS cost-and-usage rows, so FinOps tools ingest forecasts beside
//! actual bills.
//!
//! FOCUS (FinOps Open Cost and Usage Specification, v1.2) is the column set cloud and SaaS bills
//! are normalised to. One row here is one SKU meter (input, cache read, cache write, output; batch
//! meters on the batch path) of one model, for one workflow step and user segment of one stack, over
//! the billing month. Quantities and costs are the expected month in closed form (the figures
//! `aicost estimate` shows, which the simulated mean estimates). Money is list price: contract
//! discounts are not modelled yet, so `ContractedCost = EffectiveCost = BilledCost = ListCost` and
//! the `CommitmentDiscount*` columns are null; [`Commitment`] is where a contract will fill them.
//! Empty fields are FOCUS nulls; columns that are not FOCUS's start with `x_` and come last.

use serde::Serialize;

use crate::calendar::Month;
use crate::estimate::Estimate;
use crate::model::{RequestPath, Scenario};

/// The FOCUS columns written, in order, then the `x_` columns.
pub const COLUMNS: [&str; 52] = [
    "BilledCost",
    "BillingAccountId",
    "BillingAccountName",
    "BillingCurrency",
    "BillingPeriodEnd",
    "BillingPeriodStart",
    "ChargeCategory",
    "ChargeClass",
    "ChargeDescription",
    "ChargeFrequency",
    "ChargePeriodEnd",
    "ChargePeriodStart",
    "CommitmentDiscountCategory",
    "CommitmentDiscountId",
    "CommitmentDiscountName",
    "CommitmentDiscountQuantity",
    "CommitmentDiscountStatus",
    "CommitmentDiscountType",
    "CommitmentDiscountUnit",
    "ConsumedQuantity",
    "ConsumedUnit",
    "ContractedCost",
    "ContractedUnitPrice",
    "EffectiveCost",
    "InvoiceIssuerName",
    "ListCost",
    "ListUnitPrice",
    "PricingCategory",
    "PricingQuantity",
    "PricingUnit",
    "ProviderName",
    "PublisherName",
    "RegionId",
    "RegionName",
    "ResourceId",
    "ResourceName",
    "ResourceType",
    "ServiceCategory",
    "ServiceName",
    "ServiceSubcategory",
    "SkuId",
    "SkuMeter",
    "SkuPriceId",
    "SubAccountId",
    "SubAccountName",
    "Tags",
    "x_Scenario",
    "x_Stack",
    "x_Workflow",
    "x_Step",
    "x_Segment",
    "x_Forecast",
];

/// Tokens per pricing unit: prices are per million tokens.
const TOKENS_PER_PRICING_UNIT: f64 = 1e6;
const PRICING_UNIT: &str = "1000000 Tokens";

/// A commitment discount that applies to a row (filled once contracts exist).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Commitment {
    pub id: String,
    pub name: String,
    /// `Spend` or `Usage`.
    pub category: String,
    /// `Used` or `Unused`.
    pub status: String,
    pub kind: String,
    pub quantity: f64,
    pub unit: String,
    pub contracted_unit_price: f64,
    pub contracted_cost: f64,
    pub effective_cost: f64,
    pub billed_cost: f64,
}

/// One FOCUS row before formatting.
#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    pub stack: String,
    pub workflow: String,
    pub step: String,
    pub segment: String,
    pub model: String,
    pub provider: String,
    /// `Input`, `Input Cache Read`, `Input Cache Write`, `Output` (+ ` (Batch)`).
    pub meter: String,
    pub tokens: f64,
    pub list_cost: f64,
    pub commitment: Option<Commitment>,
}

#[derive(Serialize)]
struct Tags<'a> {
    scenario: &'a str,
    stack: &'a str,
    workflow: &'a str,
    step: &'a str,
    segment: &'a str,
}

const METERS: [&str; 4] = ["Input", "Input Cache Read", "Input Cache Write", "Output"];

/// The rows of every stack's expected month; rows with neither tokens nor cost are left out.
pub fn rows(s: &Scenario, e: &Estimate) -> Vec<Row> {
    let mut out = Vec::new();
    for stack in &e.stacks {
        for (w, wf) in stack.workflows.iter().zip(&s.workflows) {
            let batch = wf.path == RequestPath::Batch;
            for line in &w.traffic {
                for step in &w.steps {
                    for link in &step.links {
                        let provider = s
                            .models
                            .iter()
                            .find(|m| m.name == link.model)
                            .map_or("unknown", |m| m.provider.as_str());
                        let calls = line.requests * step.reach_probability * link.calls_per_request;
                        for (k, cl) in link.lines.iter().enumerate() {
                            let tokens = calls * cl.tokens;
                            let cost = calls * cl.usd;
                            if tokens == 0.0 && cost == 0.0 {
                                continue;
                            }
                            let meter = if batch {
                                format!("{} (Batch)", METERS[k])
                            } else {
                                METERS[k].to_string()
                            };
                            out.push(Row {
                                stack: stack.name.clone(),
                                workflow: w.name.clone(),
                                step: step.name.clone(),
                                segment: line.segment.clone(),
                                model: link.model.clone(),
                                provider: provider.to_string(),
                                meter,
                                tokens,
                                list_cost: cost,
                                commitment: None,
                            });
                        }
                    }
                }
            }
        }
    }
    out
}

/// The company behind a provider id, as FOCUS's ProviderName wants it.
pub fn provider_name(id: &str) -> String {
    match id {
        "openai" => "OpenAI".into(),
        "anthropic" => "Anthropic".into(),
        "gemini" | "vertex_ai" | "vertex_ai-language-models" | "google" => "Google".into(),
        "mistral" => "Mistral AI".into(),
        "deepseek" => "DeepSeek".into(),
        "xai" => "xAI".into(),
        "cohere" | "cohere_chat" => "Cohere".into(),
        "groq" => "Groq".into(),
        "azure" | "azure_ai" => "Microsoft".into(),
        "bedrock" | "bedrock_converse" => "AWS".into(),
        other => other.to_string(),
    }
}

fn slug(s: &str) -> String {
    s.to_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect::<String>()
        .split('-')
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join("-")
}

/// A FOCUS decimal: plain digits, no exponent, no separators, rounded to 12 significant digits
/// (floating-point noise such as `3499.999999999999` becomes `3500`; cents stay exact below
/// $10⁹).
pub fn decimal(x: f64) -> String {
    if x == 0.0 || !x.is_finite() {
        return "0".to_string();
    }
    let magnitude = x.abs().log10().floor() as i32;
    let places = (11 - magnitude).clamp(0, 40) as usize;
    let text = format!("{x:.places$}");
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        text
    }
}

/// Render rows as CSV for the billing month `month`.
pub fn render(s: &Scenario, e: &Estimate, month: Month) -> String {
    let start = format!("{}T00:00:00Z", month.first_day());
    let end = format!("{}T00:00:00Z", month.next().first_day());
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(Vec::new());
    w.write_record(COLUMNS).expect("write to memory");
    for r in rows(s, e) {
        let provider = provider_name(&r.provider);
        let quantity = r.tokens / TOKENS_PER_PRICING_UNIT;
        let unit_price = if quantity > 0.0 {
            r.list_cost / quantity
        } else {
            0.0
        };
        let sku = format!("{}:{}", slug(&r.model), slug(&r.meter));
        let tags = serde_json::to_string(&Tags {
            scenario: &s.name,
            stack: &r.stack,
            workflow: &r.workflow,
            step: &r.step,
            segment: &r.segment,
        })
        .expect("tags serialize");
        let c = r.commitment.as_ref();
        let opt = |f: &dyn Fn(&Commitment) -> String| c.map_or_else(String::new, f);
        let contracted_cost = c.map_or(r.list_cost, |c| c.contracted_cost);
        let record: [String; 52] = [
            decimal(c.map_or(r.list_cost, |c| c.billed_cost)),
            s.name.clone(),
            format!("{} forecast", s.name),
            "USD".into(),
            end.clone(),
            start.clone(),
            "Usage".into(),
            String::new(),
            format!(
                "{} {} tokens for step {} of workflow {}, segment {} (expected month, stack {})",
                r.model, r.meter, r.step, r.workflow, r.segment, r.stack
            ),
            "Usage-Based".into(),
            end.clone(),
            start.clone(),
            opt(&|c| c.category.clone()),
            opt(&|c| c.id.clone()),
            opt(&|c| c.name.clone()),
            opt(&|c| decimal(c.quantity)),
            opt(&|c| c.status.clone()),
            opt(&|c| c.kind.clone()),
            opt(&|c| c.unit.clone()),
            decimal(r.tokens),
            "Tokens".into(),
            decimal(contracted_cost),
            decimal(c.map_or(unit_price, |c| c.contracted_unit_price)),
            decimal(c.map_or(r.list_cost, |c| c.effective_cost)),
            provider.clone(),
            decimal(r.list_cost),
            decimal(unit_price),
            if c.is_some() { "Committed" } else { "Standard" }.into(),
            decimal(quantity),
            PRICING_UNIT.into(),
            provider.clone(),
            provider.clone(),
            String::new(),
            String::new(),
            r.model.clone(),
            r.model.clone(),
            "Model".into(),
            "AI and Machine Learning".into(),
            format!("{provider} API"),
            "Generative AI".into(),
            sku.clone(),
            r.meter.clone(),
            format!("{sku}:list"),
            String::new(),
            String::new(),
            tags,
            s.name.clone(),
            r.stack.clone(),
            r.workflow.clone(),
            r.step.clone(),
            r.segment.clone(),
            "expected".into(),
        ];
        w.write_record(&record).expect("write to memory");
    }
    String::from_utf8(w.into_inner().expect("flush to memory")).expect("CSV of UTF-8 fields")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_are_plain_and_free_of_float_noise() {
        assert_eq!(decimal(3499.999999999999), "3500");
        assert_eq!(decimal(5.000000000000001), "5");
        assert_eq!(decimal(0.30000000000000004), "0.3");
        assert_eq!(decimal(1399999999.9999995), "1400000000");
        assert_eq!(decimal(0.0000025), "0.0000025");
        assert_eq!(decimal(1e21), "1000000000000000000000");
        assert_eq!(decimal(0.0), "0");
        assert_eq!(decimal(12.345), "12.345");
    }
}
