//! The expected month's invoice of a stack, in the order providers apply it: volume tiers on the
//! month's tokens at list price, then each contract on its provider's tier-discounted usage, then
//! the unused commitment, then the hard cap. The rules themselves are `billing::invoice`'s.

use super::report::{ContractInvoice, Invoice};
use super::request::RequestExpectation;
use crate::billing::classes::{CostBreakdown, CostClass};
use crate::billing::invoice::{ContractDraw, after_tiers, tier_discount, unused_commitment};
use crate::model::Scenario;
use crate::model::traffic::Approximations;

/// The month's invoice from per-request costs and each workflow's requests that month.
pub(super) fn invoice(
    s: &Scenario,
    stack: usize,
    per: &[RequestExpectation],
    requests: &[f64],
    approx: &mut Approximations,
) -> (Invoice, [f64; CostBreakdown::LEN], f64) {
    let models = s.models.len();
    let mut list = vec![0.0; models];
    let mut tokens = vec![0.0; models];
    let mut classes = [0.0; CostBreakdown::LEN];
    let mut fees = 0.0;
    for (p, &n) in per.iter().zip(requests) {
        for m in 0..models {
            list[m] += n * p.model_usd[m];
            tokens[m] += n * p.model_tokens[m];
        }
        for (c, x) in classes.iter_mut().zip(&p.class_usd) {
            *c += n * x;
        }
        fees += n
            * (p.class_usd[CostClass::ToolFees.index()] + p.class_usd[CostClass::AuxFees.index()]);
    }
    // Volume tiers on the month's tokens per model, at list price.
    let after: Vec<f64> = s
        .models
        .iter()
        .enumerate()
        .map(|(m, model)| after_tiers(list[m], tier_discount(&model.volume_tiers, 0.0, tokens[m])))
        .collect();
    let list_total: f64 = list.iter().sum();
    let after_total: f64 = after.iter().sum();
    // Contracts on the tier-discounted usage of their provider's models.
    let mut billed = 0.0;
    let mut accrued_total = 0.0;
    let mut unused = 0.0;
    let mut contract_months = Vec::new();
    let mut covered_models = vec![false; models];
    for (ci, c) in s.contracts.iter().enumerate() {
        if !s.contract_applies(stack, ci) {
            continue;
        }
        let usage: f64 = s
            .models
            .iter()
            .enumerate()
            .filter(|(_, m)| m.provider == c.provider)
            .map(|(i, _)| {
                covered_models[i] = true;
                after[i]
            })
            .sum();
        let (commitment, d) = (c.committed_monthly_usd.mean(), c.discount.mean());
        let terms = ContractDraw {
            committed_usd: commitment,
            discount: d,
            overage: c.overage,
        };
        let (covered, accrued) = terms.accrue(0.0, usage);
        if s.simulation.trials > 0 && !s.is_deterministic() {
            approx.note(
                "contract billing uses the expected usage; simulate for the risk of under-use"
                    .to_string(),
            );
        }
        let left = unused_commitment(commitment, accrued);
        accrued_total += accrued;
        unused += left;
        billed += accrued.max(commitment);
        contract_months.push(ContractInvoice {
            contract: ci,
            committed_usd: commitment,
            discount: d,
            usage_usd: usage,
            covered_usd: covered,
            accrued_usd: accrued,
            billed_usd: accrued.max(commitment),
            unused_usd: left,
        });
    }
    let uncovered: f64 = after
        .iter()
        .zip(&covered_models)
        .filter(|(_, c)| !**c)
        .map(|(a, _)| a)
        .sum();
    let total = uncovered + billed + fees;
    let capped = match s.budget.as_ref().and_then(|b| b.hard_cap_usd) {
        Some(cap) if total > cap => {
            approx.note("the expected month passes the hard cap; requests refused by it are estimated as the excess".to_string());
            cap - total
        }
        _ => 0.0,
    };
    if s.models.iter().any(|m| !m.volume_tiers.is_empty()) && !s.is_deterministic() {
        approx.note("volume tiers are applied to the expected month's tokens".to_string());
    }
    classes[CostClass::VolumeDiscount.index()] = after_total - list_total;
    classes[CostClass::ContractDiscount.index()] = accrued_total - (after_total - uncovered);
    classes[CostClass::UnusedCommitment.index()] = unused;
    let inv = Invoice {
        list_usd: list_total + fees,
        volume_discount_usd: after_total - list_total,
        contract_discount_usd: accrued_total - (after_total - uncovered),
        unused_commitment_usd: unused,
        capped_usd: capped,
        training_usd: 0.0,
        hosting_usd: 0.0,
        provisioned_usd: 0.0,
        provisioned_served_usd: 0.0,
        provisioned: Vec::new(),
        total_usd: total + capped,
        requests: requests.to_vec(),
        volume_discount_share: s
            .models
            .iter()
            .enumerate()
            .map(|(m, model)| tier_discount(&model.volume_tiers, 0.0, tokens[m]))
            .collect(),
        contracts: contract_months,
    };
    (inv, classes, fees)
}
