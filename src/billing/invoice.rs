//! The invoice of a month as it accrues: graduated volume tiers on list price first, then the
//! contract discount, with the month's position (tokens so far, usage and billing per contract)
//! carried from one charge to the next.
//!
//! Both engines bill through [`PriceState::bill`]: the exact engine one call at a time in the
//! order requests arrive, the fast engine one day's usage per model at a time. Sharing the code
//! keeps the two invoices identical by construction.

use crate::model::{Overage, Scenario, VolumeTier};

/// Month-so-far state that prices depend on: volume tiers and contracts.
#[derive(Clone, Debug, Default)]
pub struct PriceState {
    /// The models the stack calls (scenario indices, ascending); the per-model figures below are
    /// kept for these only, so a scenario of many models costs a stack only what it uses.
    pub models: Vec<usize>,
    /// Tokens per model of `models` so far this month (volume tiers).
    pub model_tokens: Vec<f64>,
    /// Usage per contract so far, after volume tiers and before the contract discount.
    pub contract_usage: Vec<f64>,
    /// Billed per contract so far (before the end-of-month true-up).
    pub contract_billed: Vec<f64>,
    /// Billed outside contracts so far.
    pub other_billed: f64,
}

impl PriceState {
    /// The start of a month for a stack that calls `models` (ascending scenario indices).
    pub fn new(models: Vec<usize>, contracts: usize) -> Self {
        PriceState {
            model_tokens: vec![0.0; models.len()],
            models,
            contract_usage: vec![0.0; contracts],
            contract_billed: vec![0.0; contracts],
            other_billed: 0.0,
        }
    }

    /// The month's spend as the hard cap sees it: commitments count as spent from day one.
    pub fn committed_spend(&self, contracts: &[ContractDraw], active: &[bool]) -> f64 {
        self.other_billed
            + self
                .contract_billed
                .iter()
                .zip(contracts)
                .zip(active)
                .map(|((b, c), on)| if *on { b.max(c.committed_usd) } else { *b })
                .sum::<f64>()
    }

    /// Bill `tokens` tokens of model `m` listed at `list` dollars, at the month's position, and
    /// advance it. `contract_of[m]` is the contract covering the model in this stack's plan.
    /// Returns (dollars after volume tiers, dollars billed).
    pub fn bill(
        &mut self,
        s: &Scenario,
        contracts: &[ContractDraw],
        contract_of: &[Option<usize>],
        m: usize,
        list: f64,
        tokens: f64,
    ) -> (f64, f64) {
        let discount = match self.models.binary_search(&m) {
            Ok(i) => {
                let d = tier_discount(&s.models[m].volume_tiers, self.model_tokens[i], tokens);
                self.model_tokens[i] += tokens;
                d
            }
            // A model the stack does not call is billed nothing: no tier applies.
            Err(_) => 0.0,
        };
        let after_tiers = after_tiers(list, discount);
        let billed = match contract_of[m] {
            Some(c) => {
                let (_, billed) = contracts[c].accrue(self.contract_usage[c], after_tiers);
                self.contract_usage[c] += after_tiers;
                self.contract_billed[c] += billed;
                billed
            }
            None => {
                self.other_billed += after_tiers;
                after_tiers
            }
        };
        (after_tiers, billed)
    }
}

impl PriceState {
    /// The month's close: each active contract's true-up. Returns the contracts' months and the
    /// unused commitment billed at the end of the month (in total).
    pub fn close(&self, contracts: &[ContractDraw], active: &[bool]) -> (Vec<ContractMonth>, f64) {
        let mut unused_total = 0.0;
        let months = contracts
            .iter()
            .enumerate()
            .map(|(c, terms)| {
                if !active[c] {
                    return ContractMonth::default();
                }
                let accrued = self.contract_billed[c];
                let unused = unused_commitment(terms.committed_usd, accrued);
                unused_total += unused;
                ContractMonth {
                    billed: accrued + unused,
                    unused,
                    overage: (accrued - terms.committed_usd).max(0.0),
                }
            })
            .collect();
        (months, unused_total)
    }
}

/// What `list` dollars are billed after a volume-tier discount of `discount` (an average over
/// the tiers a charge spans, from [`tier_discount`]).
#[inline]
pub fn after_tiers(list: f64, discount: f64) -> f64 {
    list * (1.0 - discount)
}

/// Graduated discount of a charge of `tokens` tokens after `before` tokens of the month: the
/// share of the tokens in each bracket gets that bracket's discount. Returns the average discount.
pub fn tier_discount(tiers: &[VolumeTier], before: f64, tokens: f64) -> f64 {
    if tiers.is_empty() || tokens <= 0.0 {
        return 0.0;
    }
    let after = before + tokens;
    let mut discounted = 0.0;
    for (i, t) in tiers.iter().enumerate() {
        let upper = tiers.get(i + 1).map_or(f64::INFINITY, |n| n.above_tokens);
        let overlap = (after.min(upper) - before.max(t.above_tokens)).max(0.0);
        discounted += overlap * t.discount;
    }
    discounted / tokens
}

/// A contract's month.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct ContractMonth {
    /// What the contract bills: max(commitment, usage at contract prices).
    pub billed: f64,
    /// Commitment paid for but not used.
    pub unused: f64,
    /// Billed beyond the commitment.
    pub overage: f64,
}

/// The part of a commitment a month's accrued contract billing left unused. A shortfall below a
/// billionth of the commitment is rounding in the sum of the month's requests, not money left on
/// the table: a month that uses exactly its commitment is not an under-used month.
pub fn unused_commitment(committed: f64, accrued: f64) -> f64 {
    let gap = committed - accrued;
    if gap > 1e-9 * committed { gap } else { 0.0 }
}

/// A contract's terms in one trial.
#[derive(Clone, Copy, Debug)]
pub struct ContractDraw {
    pub committed_usd: f64,
    pub discount: f64,
    pub overage: Overage,
}

impl ContractDraw {
    /// Usage (after volume tiers, before the contract discount) that the commitment pays for.
    pub fn covered_usage(&self) -> f64 {
        self.committed_usd / (1.0 - self.discount)
    }

    /// What a dollar of usage the commitment covers is billed: `1 − discount`.
    #[inline]
    pub fn covered_rate(&self) -> f64 {
        1.0 - self.discount
    }

    /// What a dollar of usage beyond the commitment is billed: all of it (list-price overage) or
    /// `1 − discount` (discounted overage).
    #[inline]
    pub fn overage_rate(&self) -> f64 {
        match self.overage {
            Overage::Discounted => self.covered_rate(),
            Overage::List => 1.0,
        }
    }

    /// The contract's rule for `usage` dollars (after volume tiers) charged when `used_before`
    /// dollars of the month's usage came before it: the part the commitment covers is billed at
    /// the discount, the rest (list-price overage) as it is. Returns (covered, billed).
    pub fn accrue(&self, used_before: f64, usage: f64) -> (f64, f64) {
        let covered = match self.overage {
            Overage::Discounted => usage,
            Overage::List => (self.covered_usage() - used_before).clamp(0.0, usage),
        };
        (
            covered,
            covered * self.covered_rate() + (usage - covered) * self.overage_rate(),
        )
    }

    /// The share of a month's `usage` (after volume tiers) that the commitment draws down, spread
    /// evenly over the usage's meters; the rest is overage. 0 without usage.
    pub fn covered_share(&self, usage: f64) -> f64 {
        if usage > 0.0 && self.discount < 1.0 {
            (self.committed_usd / (self.covered_rate() * usage)).min(1.0)
        } else if usage > 0.0 {
            1.0
        } else {
            0.0
        }
    }
}

/// The commitment whose discounted price buys `usage` dollars of usage (after volume tiers) at
/// `discount`: `(1 − discount) · usage`, the inverse of [`ContractDraw::covered_usage`].
pub fn commitment_covering(usage: f64, discount: f64) -> f64 {
    (1.0 - discount) * usage
}
