//! The expected month as FOCUS cost-and-usage rows, so FinOps tools ingest forecasts beside
//! actual bills.
//!
//! FOCUS (FinOps Open Cost and Usage Specification, v1.2) is the column set cloud and SaaS bills
//! are normalised to. A usage row is one SKU meter (input, cache read, cache write, output,
//! reasoning, images, audio; batch meters on the batch path; a tool's calls) of one model, for one
//! workflow step and user segment of one stack, over the billing month. Fees outside the models
//! (per-request auxiliary fees, semantic-cache lookups) get rows of their own. Quantities and costs
//! are the expected months of the stack's horizon in closed form (the figures `aicost estimate`
//! shows, which the simulated mean estimates), one billing month after another, so the rows of one
//! stack and month sum to that month's expected invoice.
//!
//! How prices and discounts map onto the cost columns:
//! - `ListUnitPrice` is the published price of the meter (a batch meter at its batch price) and
//!   `ListCost = ListUnitPrice × PricingQuantity`.
//! - Graduated volume tiers are a negotiated discount: `ContractedUnitPrice` is the list price less
//!   the model's average tier discount for the month, and `ContractedCost` follows from it.
//! - A committed-use contract is a spend-based commitment discount (`CommitmentDiscountCategory`
//!   `Spend`, unit `USD`) paid month by month. Its `Purchase` row bills the commitment
//!   (`ChargeFrequency` `Recurring`, `BilledCost` = commitment, `EffectiveCost` = 0). The usage it
//!   covers — up to `commitment / (1 − discount)` of the provider's usage at contracted prices,
//!   shared pro rata over the provider's meters — is split off into `Used` rows with `BilledCost`
//!   0 and `EffectiveCost` at the contract discount (the commitment drawn down; `PricingCategory`
//!   `Committed`). Usage beyond it is billed on rows of its own, at the contracted price or, when
//!   the contract discounts overage too, at that price less the discount. A month that leaves part
//!   of the commitment unused gets one `Unused` row: `BilledCost` 0, `EffectiveCost` the money paid
//!   for nothing, no consumed quantity.
//!
//! - A fine-tuned model's training job is a one-time usage row (`ChargeFrequency` `One-Time`,
//!   quantity the tokens trained on: the training file times its epochs) in the month the
//!   scenario bills it, and its deployment's hosting a usage row in hours; contracts cover
//!   neither, as the invoice bills them.
//!
//! - A provisioned capacity (`[model.provisioned]`) bills its fee on a row of its own, in
//!   unit-hours: a usage charge for an hourly capacity, a recurring purchase for a monthly or
//!   yearly reservation (paid month by month, not amortised: `EffectiveCost` = `BilledCost`).
//!   Each usage row of the model is split in two: what the capacity served (`BilledCost`,
//!   `EffectiveCost` and `ContractedCost` 0, `ListCost` what it would cost at list price) and
//!   what spilled over, billed at pay-as-you-go.
//!
//! So `BilledCost` and `EffectiveCost` each sum, per stack, to the expected invoice, and per
//! commitment the `EffectiveCost` of its `Used` and `Unused` rows sums to the `BilledCost` of its
//! `Purchase` row, as FOCUS requires. When the expected month passes the hard cap the rows show the
//! month's demand before the cap (the estimate says so in a note). Empty fields are FOCUS nulls;
//! columns that are not FOCUS's start with `x_` and come last.

use crate::base::calendar::Month;
use crate::billing::classes::Meter;
use crate::billing::invoice::{ContractDraw, after_tiers};
use crate::model::provisioned::Term;
use crate::model::{RequestPath, Scenario};
use crate::sim::estimate::{CapacityEstimate, ContractInvoice, Estimate, Invoice, StackEstimate};

/// A FOCUS release the rows conform to.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum FocusVersion {
    /// FOCUS 1.2, for consumers that do not read 1.3 yet.
    V1_2,
    /// FOCUS 1.3 (ratified December 2025): adds `ServiceProviderName` and `HostProviderName`;
    /// `ProviderName` and `PublisherName` are deprecated but still mandatory, so they stay.
    #[default]
    V1_3,
}

impl FocusVersion {
    /// `1.2`, `1.3`.
    pub fn label(self) -> &'static str {
        match self {
            FocusVersion::V1_2 => "1.2",
            FocusVersion::V1_3 => "1.3",
        }
    }

    /// The columns written for this version, in order, then the `x_` columns.
    pub fn columns(self) -> Vec<&'static str> {
        let mut out: Vec<&'static str> = COLUMNS.to_vec();
        if self == FocusVersion::V1_3 {
            for added in ["HostProviderName", "ServiceProviderName"] {
                let at = out
                    .iter()
                    .position(|c| c.starts_with("x_") || *c > added)
                    .unwrap_or(out.len());
                out.insert(at, added);
            }
        }
        out
    }

    /// The columns this version makes mandatory in a Cost and Usage dataset (every other column
    /// aicost writes is conditional or recommended). Sources: FOCUS_Spec tag `v1.2`,
    /// `specification/columns/*.md` ("Feature level | Mandatory"); FOCUS 1.3's Cost and Usage
    /// columns, where `ServiceProviderName` and `HostProviderName` (introduced in 1.3) are
    /// mandatory and `ProviderName` and `PublisherName` are deprecated and still mandatory.
    pub fn mandatory(self) -> Vec<&'static str> {
        let mut out = vec![
            "BilledCost",
            "BillingAccountId",
            "BillingAccountName",
            "BillingCurrency",
            "BillingPeriodEnd",
            "BillingPeriodStart",
            "ChargeCategory",
            "ChargeClass",
            "ChargeDescription",
            "ChargePeriodEnd",
            "ChargePeriodStart",
            "ContractedCost",
            "EffectiveCost",
            "InvoiceIssuerName",
            "ListCost",
            "PricingQuantity",
            "PricingUnit",
            "ProviderName",
            "PublisherName",
            "ServiceCategory",
            "ServiceName",
        ];
        if self == FocusVersion::V1_3 {
            out.extend(["HostProviderName", "ServiceProviderName"]);
        }
        out
    }
}

/// The FOCUS 1.2 columns written, in order, then the `x_` columns; 1.3 adds two
/// ([`FocusVersion::columns`]).
pub const COLUMNS: [&str; 53] = [
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
    "x_HorizonMonth",
];

/// The provider-assigned kind of commitment a contract is (`CommitmentDiscountType`).
pub const COMMITMENT_TYPE: &str = "Committed-Use Contract";

/// What a row is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChargeKind {
    /// Usage of a model's meter, or a fee billed per use.
    Usage,
    /// The month's payment of a commitment.
    Purchase,
    /// The part of a commitment the month left unused.
    Unused,
    /// A one-time fee: a fine-tuning job.
    OneTime,
}

/// The unit a row's quantity is counted in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unit {
    Tokens,
    Images,
    Calls,
    Requests,
    /// Dollars of a commitment.
    Usd,
    /// Hours of a deployment.
    Hours,
}

impl Unit {
    fn of_line(unit: &str) -> Unit {
        match unit {
            "images" => Unit::Images,
            "tool calls" => Unit::Calls,
            _ => Unit::Tokens,
        }
    }

    /// (ConsumedUnit, PricingUnit, quantity per pricing unit).
    fn names(self) -> (&'static str, &'static str, f64) {
        match self {
            Unit::Tokens => ("Tokens", "1000000 Tokens", 1e6),
            Unit::Images => ("Images", "Images", 1.0),
            Unit::Calls => ("Calls", "Calls", 1.0),
            Unit::Requests => ("Requests", "Requests", 1.0),
            Unit::Usd => ("USD", "USD", 1.0),
            Unit::Hours => ("Hours", "Hours", 1.0),
        }
    }
}

/// The commitment discount a row belongs to.
#[derive(Clone, Debug, PartialEq)]
pub struct Commitment {
    pub id: String,
    pub name: String,
    /// `Used` or `Unused` on usage rows; `None` on the purchase.
    pub status: Option<&'static str>,
    /// Dollars of the commitment the row buys, draws down or leaves unused.
    pub quantity_usd: f64,
}

/// One FOCUS row before formatting.
#[derive(Clone, Debug, PartialEq)]
pub struct Charge {
    pub kind: ChargeKind,
    pub stack: String,
    /// Workflow, step and segment of a usage row; empty on commitment rows.
    pub workflow: String,
    pub step: String,
    pub segment: String,
    /// The model (the resource) of a model's meter; empty for fees outside the models.
    pub model: String,
    /// Provider id, as the scenario writes it.
    pub provider: String,
    /// `Input`, `Input Cache Read`, `Output`, … (+ ` (Batch)`), `Tool Calls`, `Commitment`, …
    pub meter: String,
    pub sku: String,
    pub unit: Unit,
    /// In `unit`; for a commitment row, dollars.
    pub quantity: f64,
    pub list_cost: f64,
    pub contracted_cost: f64,
    pub effective_cost: f64,
    pub billed_cost: f64,
    pub commitment: Option<Commitment>,
    /// What the row is, e.g. `gpt-4o Output for step answer of workflow chat, segment users`.
    pub description: String,
    /// How a contract bears on it: `drawn from contract acme`.
    pub note: Option<String>,
}

impl Charge {
    /// `ChargeDescription`: what the row is, how a contract bears on it, and whose forecast it is.
    pub fn charge_description(&self) -> String {
        match &self.note {
            Some(n) => format!(
                "{} ({n}; expected month, stack {})",
                self.description, self.stack
            ),
            None => format!(
                "{} (expected month, stack {})",
                self.description, self.stack
            ),
        }
    }
}

/// A meter's name as FOCUS rows show it.
fn meter(m: Meter) -> String {
    match m {
        Meter::Input => "Input",
        Meter::CachedInput => "Input Cache Read",
        Meter::CacheWrite => "Input Cache Write",
        Meter::CacheWrite1h => "Input Cache Write (1h)",
        Meter::Output => "Output",
        Meter::Reasoning => "Reasoning",
        Meter::ImageTokens => "Image Input",
        Meter::Images => "Images",
        Meter::AudioInput => "Audio Input",
        Meter::AudioOutput => "Audio Output",
        Meter::Tool(_) => "Tool Calls",
    }
    .to_string()
}

/// A usage row at contracted prices, before any commitment applies.
#[allow(clippy::too_many_arguments)]
fn usage(
    stack: &str,
    workflow: &str,
    step: &str,
    segment: &str,
    model: &str,
    provider: &str,
    meter: String,
    sku: String,
    unit: Unit,
    quantity: f64,
    list_cost: f64,
    contracted_cost: f64,
    what: String,
) -> Charge {
    Charge {
        kind: ChargeKind::Usage,
        stack: stack.to_string(),
        workflow: workflow.to_string(),
        step: step.to_string(),
        segment: segment.to_string(),
        model: model.to_string(),
        provider: provider.to_string(),
        meter,
        sku,
        unit,
        quantity,
        list_cost,
        contracted_cost,
        effective_cost: contracted_cost,
        billed_cost: contracted_cost,
        commitment: None,
        description: what,
        note: None,
    }
}

/// Usage and fee rows of one stack's month whose invoice is `inv`, at contracted prices.
fn usage_rows(s: &Scenario, st: &StackEstimate, inv: &Invoice) -> Vec<Charge> {
    let mut out = Vec::new();
    let name = st.name.as_str();
    for (wi, (w, wf)) in st.workflows.iter().zip(&s.workflows).enumerate() {
        let batch = wf.path == RequestPath::Batch;
        // Requests of the month relative to the workflow's base traffic (growth, seasonality).
        let scale = if w.requests_per_month > 0.0 {
            inv.requests
                .get(wi)
                .copied()
                .unwrap_or(w.requests_per_month)
                / w.requests_per_month
        } else {
            0.0
        };
        for line in &w.traffic {
            let requests = line.requests * scale;
            if requests <= 0.0 {
                continue;
            }
            let seg = line.segment.as_str();
            if w.semantic_cache_usd_per_lookup > 0.0 {
                let usd = requests * w.semantic_cache_usd_per_lookup;
                out.push(usage(
                    name,
                    &w.name,
                    "",
                    seg,
                    "",
                    "other",
                    "Semantic Cache Lookups".to_string(),
                    format!("semantic-cache:{}", slug(&w.name)),
                    Unit::Requests,
                    requests,
                    usd,
                    usd,
                    format!(
                        "Semantic cache lookups of workflow {}, segment {seg}",
                        w.name
                    ),
                ));
            }
            // A semantic-cache miss runs the steps; an incident repeats them.
            let runs = requests * (1.0 - w.semantic_cache_hit_rate) * w.incident_factor;
            for step in &w.steps {
                let reaching = runs * step.reach_probability;
                if step.aux_usd > 0.0 && reaching > 0.0 {
                    let usd = reaching * step.aux_usd;
                    out.push(usage(
                        name,
                        &w.name,
                        &step.name,
                        seg,
                        "",
                        "other",
                        "Auxiliary Fees".to_string(),
                        format!("aux:{}:{}", slug(&w.name), slug(&step.name)),
                        Unit::Requests,
                        reaching,
                        usd,
                        usd,
                        format!(
                            "Fees outside the model for step {} of workflow {}, segment {seg}",
                            step.name, w.name
                        ),
                    ));
                }
                for link in &step.links {
                    let Some(mi) = s.models.iter().position(|m| m.name == link.model) else {
                        continue;
                    };
                    let provider = s.models[mi].provider.as_str();
                    let calls = reaching * link.calls_per_request;
                    let tier = inv.volume_discount_share.get(mi).copied().unwrap_or(0.0);
                    for cl in &link.lines {
                        let quantity = calls * cl.quantity;
                        let list = calls * cl.usd;
                        if quantity == 0.0 && list == 0.0 {
                            continue;
                        }
                        let tool = matches!(cl.meter, Meter::Tool(_));
                        let (meter, sku) = if tool {
                            (meter(cl.meter), format!("tool:{}", slug(&cl.label)))
                        } else {
                            let m = meter(cl.meter);
                            let m = if batch { format!("{m} (Batch)") } else { m };
                            let sku = format!("{}:{}", slug(&link.model), slug(&m));
                            (m, sku)
                        };
                        // Volume tiers discount the model's tokens, not the tools it calls.
                        let contracted = if tool { list } else { after_tiers(list, tier) };
                        out.push(usage(
                            name,
                            &w.name,
                            &step.name,
                            seg,
                            &link.model,
                            provider,
                            meter.clone(),
                            sku,
                            Unit::of_line(cl.unit),
                            quantity,
                            list,
                            contracted,
                            if tool {
                                format!(
                                    "{} tool calls of {} for step {} of workflow {}, segment {seg}",
                                    cl.label, link.model, step.name, w.name
                                )
                            } else {
                                format!(
                                    "{} {meter} for step {} of workflow {}, segment {seg}",
                                    link.model, step.name, w.name
                                )
                            },
                        ));
                    }
                }
            }
        }
    }
    out
}

/// The rows of one contract of one stack: the purchase, the usage it covers split from the usage
/// beyond it, and what it leaves unused.
fn apply_contract(
    s: &Scenario,
    scenario: &str,
    stack: &str,
    c: &ContractInvoice,
    rows: Vec<Charge>,
) -> Vec<Charge> {
    let contract = &s.contracts[c.contract];
    let provider = contract.provider.as_str();
    let id = format!(
        "{}/{}/commitment/{}",
        slug(scenario),
        slug(stack),
        slug(&contract.name)
    );
    let keep = |status: Option<&'static str>, usd: f64| Commitment {
        id: id.clone(),
        name: contract.name.clone(),
        status,
        quantity_usd: usd,
    };
    let d = c.discount;
    let rule = ContractDraw {
        committed_usd: c.committed_usd,
        discount: d,
        overage: contract.overage,
    };
    // The share of every covered meter the commitment draws down; the rest is overage.
    let used = rule.covered_share(c.usage_usd);
    let overage_factor = rule.overage_rate();
    let terms = format!(
        "{} a month with {provider} at {}% off",
        crate::base::format::money(c.committed_usd),
        decimal(d * 100.0)
    );
    // A row of the contract itself (its purchase, or what of it went unused), not of usage.
    let contract_row = |kind, meter: &str, amount: f64, description: String| Charge {
        kind,
        stack: stack.to_string(),
        workflow: String::new(),
        step: String::new(),
        segment: String::new(),
        model: String::new(),
        provider: provider.to_string(),
        meter: meter.to_string(),
        sku: format!("commitment:{}", slug(&contract.name)),
        unit: Unit::Usd,
        quantity: amount,
        list_cost: 0.0,
        contracted_cost: 0.0,
        effective_cost: 0.0,
        billed_cost: 0.0,
        commitment: None,
        description,
        note: None,
    };
    let mut out = vec![Charge {
        list_cost: c.committed_usd,
        contracted_cost: c.committed_usd,
        billed_cost: c.committed_usd,
        commitment: Some(keep(None, c.committed_usd)),
        ..contract_row(
            ChargeKind::Purchase,
            "Commitment",
            c.committed_usd,
            format!("Monthly commitment of contract {} ({terms})", contract.name),
        )
    }];
    for r in rows {
        // Tool fees are billed beside the contract, as the invoice bills them.
        let covered = r.kind == ChargeKind::Usage
            && !r.model.is_empty()
            && r.provider == provider
            && r.unit != Unit::Calls
            && r.commitment.is_none();
        if !covered {
            out.push(r);
            continue;
        }
        if used > 0.0 {
            let effective = used * r.contracted_cost * rule.covered_rate();
            out.push(Charge {
                quantity: used * r.quantity,
                list_cost: used * r.list_cost,
                contracted_cost: used * r.contracted_cost,
                effective_cost: effective,
                billed_cost: 0.0,
                commitment: Some(keep(Some("Used"), effective)),
                note: Some(format!("drawn from contract {}", contract.name)),
                ..r.clone()
            });
        }
        if used < 1.0 {
            let rest = 1.0 - used;
            let billed = rest * r.contracted_cost * overage_factor;
            out.push(Charge {
                quantity: rest * r.quantity,
                list_cost: rest * r.list_cost,
                contracted_cost: billed,
                effective_cost: billed,
                billed_cost: billed,
                note: Some(format!(
                    "beyond the commitment of contract {}",
                    contract.name
                )),
                ..r
            });
        }
    }
    if c.unused_usd > 0.0 {
        out.push(Charge {
            effective_cost: c.unused_usd,
            commitment: Some(keep(Some("Unused"), c.unused_usd)),
            ..contract_row(
                ChargeKind::Unused,
                "Unused Commitment",
                c.unused_usd,
                format!(
                    "Commitment of contract {} ({terms}) left unused",
                    contract.name
                ),
            )
        });
    }
    out
}

/// The rows of every stack's expected month `month` of the horizon (0-based); rows with neither
/// quantity nor cost are left out.
pub fn rows(s: &Scenario, e: &Estimate, month: usize) -> Vec<Charge> {
    let mut out = Vec::new();
    for (k, st) in e.stacks.iter().enumerate() {
        let inv = st.month_invoices.get(month).unwrap_or(&st.invoice);
        let mut rows = usage_rows(s, st, inv);
        for c in &inv.contracts {
            rows = apply_contract(s, &s.name, &st.name, c, rows);
        }
        for c in &inv.provisioned {
            rows = apply_provisioned(s, &st.name, c, rows);
        }
        out.extend(rows);
        out.extend(fee_rows(s, k, month as u32));
    }
    out
}

/// `rows` of stack `stack` with capacity `c`'s fee row added and its model's usage split.
fn apply_provisioned(
    s: &Scenario,
    stack: &str,
    c: &CapacityEstimate,
    rows: Vec<Charge>,
) -> Vec<Charge> {
    let model = &s.models[c.model];
    let Some(offer) = &model.provisioned else {
        return rows;
    };
    let served = if c.tokens > 0.0 {
        c.served_tokens() / c.tokens
    } else {
        0.0
    };
    let mut out = Vec::with_capacity(rows.len() * 2 + 1);
    for r in rows {
        let split = r.kind == ChargeKind::Usage
            && r.model == model.name
            && r.unit == Unit::Tokens
            && r.commitment.is_none();
        if !split {
            out.push(r);
            continue;
        }
        let scaled = |share: f64, billed: bool, note: &str| Charge {
            quantity: r.quantity * share,
            list_cost: r.list_cost * share,
            contracted_cost: if billed {
                r.contracted_cost * share
            } else {
                0.0
            },
            effective_cost: if billed {
                r.effective_cost * share
            } else {
                0.0
            },
            billed_cost: if billed { r.billed_cost * share } else { 0.0 },
            note: Some(note.to_string()),
            ..r.clone()
        };
        if served > 0.0 {
            out.push(scaled(served, false, "served by the provisioned capacity"));
        }
        if served < 1.0 {
            out.push(scaled(1.0 - served, true, "spilled over to pay-as-you-go"));
        }
    }
    let hours = f64::from(offer.units) * 24.0 * f64::from(s.simulation.days);
    let kind = match offer.term {
        Term::Hourly => ChargeKind::Usage,
        Term::Monthly | Term::Yearly => ChargeKind::Purchase,
    };
    out.push(Charge {
        kind,
        ..usage(
            stack,
            "",
            "",
            "",
            &model.name,
            &model.provider,
            "Provisioned Throughput".to_string(),
            format!("{}:provisioned-{}", slug(&model.name), offer.term.name()),
            Unit::Hours,
            hours,
            c.fee_usd,
            c.fee_usd,
            format!(
                "{} provisioned capacity: {} units for {} hours, {} term",
                model.name,
                offer.units,
                24 * s.simulation.days,
                offer.term.name()
            ),
        )
    });
    out
}

/// Rows of stack `k`'s fees beyond its calls in month `month` (0-based): a fine-tuning job as a
/// one-time usage charge in training tokens, hosting as usage in hours. Contracts do not cover
/// them, as the invoice bills them.
fn fee_rows(s: &Scenario, k: usize, month: u32) -> Vec<Charge> {
    let stack = &s.stacks[k].name;
    crate::billing::capacity::month_fees(s, k, month, s.simulation.days)
        .into_iter()
        .map(|fee| {
            let model = &s.models[fee.model];
            let training = fee.class == crate::billing::classes::CostClass::Training;
            let (meter, unit, quantity, what) = if training {
                let epochs = model.fine_tune.as_ref().map_or(1.0, |f| f.epochs);
                (
                    "Fine-Tuning Training",
                    Unit::Tokens,
                    fee.tokens,
                    format!(
                        "{} fine-tuning job ({} epochs of its training file)",
                        model.name,
                        decimal(epochs)
                    ),
                )
            } else {
                (
                    "Fine-Tuned Deployment Hosting",
                    Unit::Hours,
                    fee.hours,
                    format!("{} hosting of the fine-tuned deployment", model.name),
                )
            };
            let sku = format!(
                "{}:{}",
                slug(&model.name),
                if training { "training" } else { "hosting" }
            );
            Charge {
                kind: if training {
                    ChargeKind::OneTime
                } else {
                    ChargeKind::Usage
                },
                ..usage(
                    stack,
                    "",
                    "",
                    "",
                    &model.name,
                    &model.provider,
                    meter.to_string(),
                    sku,
                    unit,
                    quantity,
                    fee.usd,
                    fee.usd,
                    what,
                )
            }
        })
        .collect()
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
        "" | "other" => "Other".into(),
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

/// Render the rows of each `(billing month, month of the horizon)` as CSV, the months in the
/// order given; the month of the horizon is 1-based.
pub fn render(
    s: &Scenario,
    e: &Estimate,
    months: &[(Month, u32)],
    version: FocusVersion,
) -> String {
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(Vec::new());
    let columns = version.columns();
    w.write_record(&columns).expect("write to memory");
    for &(month, index) in months {
        let start = format!("{}T00:00:00Z", month.first_day());
        let end = format!("{}T00:00:00Z", month.next().first_day());
        for r in rows(s, e, index.saturating_sub(1) as usize) {
            // Names of the scenario, stacks, models and contracts are data: none may start a
            // spreadsheet formula (numbers stay numbers).
            let fields = record(s, &r, &start, &end, index);
            // The service provider hosts its own models: both 1.3 names are the provider's.
            let provider = fields[COLUMNS
                .iter()
                .position(|c| *c == "ProviderName")
                .unwrap_or(0)]
            .clone();
            let value = |c: &str| match c {
                "HostProviderName" | "ServiceProviderName" => provider.clone(),
                c => COLUMNS
                    .iter()
                    .position(|x| *x == c)
                    .map_or_else(String::new, |i| fields[i].clone()),
            };
            let fields = columns
                .iter()
                .map(|c| crate::base::escape::formula_safe(&value(c)).into_owned());
            w.write_record(fields).expect("write to memory");
        }
    }
    String::from_utf8(w.into_inner().expect("flush to memory")).expect("CSV of UTF-8 fields")
}

/// One row's fields, in [`COLUMNS`] order; `index` is the month of the horizon (1-based).
fn record(s: &Scenario, r: &Charge, start: &str, end: &str, index: u32) -> [String; 53] {
    let provider = provider_name(&r.provider);
    let (consumed_unit, pricing_unit, per_unit) = r.unit.names();
    let pricing_quantity = r.quantity / per_unit;
    let unit_price = |cost: f64| {
        if pricing_quantity > 0.0 {
            cost / pricing_quantity
        } else {
            0.0
        }
    };
    let (category, frequency, price_id) = match r.kind {
        ChargeKind::Purchase => ("Purchase", "Recurring", format!("{}:monthly", r.sku)),
        ChargeKind::Unused => ("Usage", "Usage-Based", format!("{}:unused", r.sku)),
        ChargeKind::OneTime => ("Usage", "One-Time", format!("{}:list", r.sku)),
        ChargeKind::Usage if r.commitment.is_some() => {
            ("Usage", "Usage-Based", format!("{}:committed", r.sku))
        }
        ChargeKind::Usage => ("Usage", "Usage-Based", format!("{}:list", r.sku)),
    };
    // Only usage that consumed something has a consumed quantity (not a purchase, nor the unused
    // part of a commitment).
    let consumed = matches!(r.kind, ChargeKind::Usage | ChargeKind::OneTime);
    // The purchase itself is bought at the standard price; what it covers or leaves unused is
    // committed.
    let pricing_category = if r.kind != ChargeKind::Purchase && r.commitment.is_some() {
        "Committed"
    } else {
        "Standard"
    };
    let (resource_id, resource_name, resource_type) = match (&r.commitment, r.kind) {
        (Some(c), ChargeKind::Purchase | ChargeKind::Unused) => {
            (c.id.clone(), c.name.clone(), "Commitment".to_string())
        }
        _ if r.model.is_empty() => (String::new(), String::new(), String::new()),
        _ => (r.model.clone(), r.model.clone(), "Model".to_string()),
    };
    let tags = match r.kind {
        ChargeKind::Usage | ChargeKind::OneTime => serde_json::json!({
            "scenario": s.name,
            "stack": r.stack,
            "workflow": r.workflow,
            "step": r.step,
            "segment": r.segment,
        }),
        _ => serde_json::json!({
            "scenario": s.name,
            "stack": r.stack,
            "contract": r.commitment.as_ref().map(|c| c.name.as_str()),
        }),
    };
    let c = r.commitment.as_ref();
    let opt = |f: &dyn Fn(&Commitment) -> String| c.map_or_else(String::new, f);
    let service = if r.provider == "other" || r.provider.is_empty() {
        "Auxiliary services".to_string()
    } else {
        format!("{provider} API")
    };
    [
        decimal(r.billed_cost),
        s.name.clone(),
        format!("{} forecast", s.name),
        "USD".into(),
        end.to_string(),
        start.to_string(),
        category.into(),
        String::new(),
        r.charge_description(),
        frequency.into(),
        end.to_string(),
        start.to_string(),
        opt(&|_| "Spend".to_string()),
        opt(&|c| c.id.clone()),
        opt(&|c| c.name.clone()),
        opt(&|c| decimal(c.quantity_usd)),
        opt(&|c| c.status.unwrap_or_default().to_string()),
        opt(&|_| COMMITMENT_TYPE.to_string()),
        opt(&|_| "USD".to_string()),
        if consumed {
            decimal(r.quantity)
        } else {
            String::new()
        },
        if consumed {
            consumed_unit.to_string()
        } else {
            String::new()
        },
        decimal(r.contracted_cost),
        decimal(unit_price(r.contracted_cost)),
        decimal(r.effective_cost),
        provider.clone(),
        decimal(r.list_cost),
        decimal(unit_price(r.list_cost)),
        pricing_category.into(),
        decimal(pricing_quantity),
        pricing_unit.into(),
        provider.clone(),
        provider,
        String::new(),
        String::new(),
        resource_id,
        resource_name,
        resource_type,
        "AI and Machine Learning".into(),
        service,
        "Generative AI".into(),
        r.sku.clone(),
        r.meter.clone(),
        price_id,
        String::new(),
        String::new(),
        tags.to_string(),
        s.name.clone(),
        r.stack.clone(),
        r.workflow.clone(),
        r.step.clone(),
        r.segment.clone(),
        "expected".into(),
        index.to_string(),
    ]
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

    #[test]
    fn meters_follow_the_line_they_price() {
        assert_eq!(meter(Meter::Output), "Output");
        assert_eq!(meter(Meter::CachedInput), "Input Cache Read");
        assert_eq!(meter(Meter::Reasoning), "Reasoning");
    }
}
