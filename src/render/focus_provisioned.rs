//! FOCUS rows of a provisioned capacity in the expected month: its fee as a charge of its own,
//! and each usage row of the capacity's model split into what the capacity served (billed
//! nothing: the fee pays for it) and what spilled over to pay-as-you-go, so that a stack's rows
//! still sum to its expected invoice (fee + spillover).
//!
//! The fee is billed in unit-hours: an hourly capacity, which can be dropped at an hour's
//! notice, is a usage charge (`ChargeCategory` `Usage`, `Usage-Based`); a monthly or yearly
//! reservation is a commitment bought month by month (`Purchase`, `Recurring`), not amortised
//! over the usage it serves, so its `EffectiveCost` is its `BilledCost`. Rows a committed-use
//! contract already covers are left as they are.

use super::focus::{Charge, ChargeKind, Unit, slug, usage};
use crate::model::Scenario;
use crate::model::provisioned::Term;
use crate::sim::estimate::provisioned::CapacityEstimate;

/// `rows` of stack `stack` with capacity `c`'s fee row added and its model's usage split.
pub fn apply(s: &Scenario, stack: &str, c: &CapacityEstimate, rows: Vec<Charge>) -> Vec<Charge> {
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
