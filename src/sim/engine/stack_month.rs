//! A stack's month in progress in the exact engine: what one request does on a stack (its calls,
//! tools and fees, before pricing), and the stack's running totals that a priced request is
//! billed into or refused from.
//!
//! Apart from the loop that draws traffic and walks routes (`exact.rs`) because this is the
//! billing side of a request: price state, volume tiers, contracts, the hard cap's tentative
//! pricing and the day ledger, and the month's close into a `StackTrial`.

use super::draw::TrialDraw;
use super::draw::review_usd;
use super::ledger::Ledger;
use super::outcome::{StackTrial, ToolUse};
use super::policy::PolicyMonth;
use super::provisioned::MinuteLoad;
use crate::billing::classes::{CostBreakdown, CostClass, Tokens};
use crate::billing::invoice::PriceState;
use crate::model::Scenario;

/// One priced call of a request, before volume tiers and contracts.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct CallRec {
    pub(super) model: usize,
    /// Repetition of the request (0, or more during an incident).
    pub(super) run: u32,
    /// Not the first call of its step: a retry or an escalation.
    pub(super) retry: bool,
    pub(super) tokens: [f64; Tokens::LEN],
    /// Dollars per token class at list price (after any batch discount).
    pub(super) usd: [f64; CostClass::TOKEN_PRICED],
    /// Their sum: the call's token dollars at list price.
    pub(super) list: f64,
    /// Tokens of every kind together, which volume tiers count.
    pub(super) token_count: f64,
    /// Tool fees of this attempt.
    pub(super) tool_usd: f64,
}

/// Everything one request does on one stack, before it is priced and billed or rejected.
#[derive(Default)]
pub(super) struct Tally {
    pub(super) calls: Vec<CallRec>,
    /// (tool, calls, dollars) per attempt that called tools.
    pub(super) tools: Vec<(usize, f64, f64)>,
    /// (run, dollars) of fees outside the model.
    pub(super) fees: Vec<(u32, f64)>,
    pub(super) accepted: bool,
    pub(super) escalated: bool,
    pub(super) errored: u64,
    pub(super) flex_calls: u64,
    pub(super) flex_refused: u64,
    /// Whether a model refused the request's first run for an input beyond its window.
    pub(super) window_refused: bool,
    /// Latency of the request's first run, when every call's model has a latency model.
    pub(super) latency_ms: Option<f64>,
    /// The minute of its day the request arrives in (for provisioned capacity).
    pub(super) minute: u32,
}

impl Tally {
    pub(super) fn clear(&mut self) {
        self.calls.clear();
        self.tools.clear();
        self.fees.clear();
        self.accepted = true;
        self.escalated = false;
        self.errored = 0;
        self.flex_calls = 0;
        self.flex_refused = 0;
        self.window_refused = false;
        self.latency_ms = Some(0.0);
    }
}

/// Running totals of one stack within a month.
pub(super) struct StackAcc {
    pub(super) requests: u64,
    pub(super) accepted: u64,
    pub(super) rejected: u64,
    /// Requests refused for an input beyond a model's window.
    pub(super) window_refused: u64,
    pub(super) calls: u64,
    /// Every dollar total: per class, workflow, model and day, retries, incident repeats and
    /// the demand the hard cap refused (each refused request at the month's prices when it was
    /// refused).
    pub(super) dollars: Ledger,
    pub(super) escalated: u64,
    pub(super) errored: u64,
    pub(super) semantic_hits: u64,
    pub(super) tokens: [f64; Tokens::LEN],
    pub(super) tools: Vec<ToolUse>,
    pub(super) flex_calls: u64,
    pub(super) flex_refused: u64,
    pub(super) workflow_requests: Vec<u64>,
    pub(super) workflow_accepted: Vec<u64>,
    pub(super) workflow_failed: Vec<u64>,
    pub(super) cap_hit_day: Option<u32>,
    pub(super) latency_ms: Vec<Vec<f64>>,
    pub(super) state: PriceState,
    /// Whether a request is priced on a scratch copy of `state` first (`trial_state`), because
    /// it may yet be refused (a hard cap); without a cap every priced request is billed, so it
    /// is priced on `state` itself.
    pub(super) tentative: bool,
    /// Scratch copy of `state` while a request is priced under a hard cap.
    pub(super) trial_state: PriceState,
    /// (after volume tiers, billed) dollars of each call of the request being priced.
    pub(super) billed: Vec<(f64, f64)>,
    /// The contract covering each model in this stack's plan.
    pub(super) model_contract: Vec<Option<usize>>,
    /// What the budget policies have fired and done this month.
    pub(super) policy: PolicyMonth,
    /// Whether each contract is part of this stack's plan.
    pub(super) contract_active: Vec<bool>,
    /// Tokens and dollars per minute on the stack's provisioned models, if it calls any.
    pub(super) load: MinuteLoad,
}

impl StackAcc {
    pub(super) fn new(s: &Scenario, draw: &TrialDraw, k: usize) -> Self {
        let state = PriceState::new(s.stacks[k].models(), draw.contracts.len());
        StackAcc {
            requests: 0,
            accepted: 0,
            rejected: 0,
            window_refused: 0,
            calls: 0,
            dollars: Ledger::new(
                s.simulation.days as usize,
                s.workflows.len(),
                s.models.len(),
            ),
            escalated: 0,
            errored: 0,
            semantic_hits: 0,
            tokens: [0.0; Tokens::LEN],
            tools: vec![ToolUse::default(); s.tools.len()],
            flex_calls: 0,
            flex_refused: 0,
            workflow_requests: vec![0; s.workflows.len()],
            workflow_accepted: vec![0; s.workflows.len()],
            workflow_failed: vec![0; s.workflows.len()],
            cap_hit_day: None,
            latency_ms: vec![Vec::new(); s.workflows.len()],
            trial_state: state.clone(),
            state,
            tentative: s.budget.as_ref().is_some_and(|b| b.hard_cap_usd.is_some()),
            billed: Vec::new(),
            model_contract: draw
                .model_contract
                .iter()
                .map(|c| c.filter(|&c| s.contract_applies(k, c)))
                .collect(),
            contract_active: (0..draw.contracts.len())
                .map(|c| s.contract_applies(k, c))
                .collect(),
            policy: PolicyMonth::new(s, k),
            load: MinuteLoad::new(s, k),
        }
    }

    /// Price a request at the month's current volume and contract position, into `billed` and
    /// the price state (`trial_state` when the request may yet be refused, else `state`);
    /// returns its dollars as billed.
    pub(super) fn price(&mut self, tally: &Tally, s: &Scenario, draw: &TrialDraw) -> f64 {
        self.billed.clear();
        let st = if self.tentative {
            // Copied field by field: the lengths are the month's, so nothing is allocated.
            let (to, from) = (&mut self.trial_state, &self.state);
            to.model_tokens.copy_from_slice(&from.model_tokens);
            to.contract_usage.copy_from_slice(&from.contract_usage);
            to.contract_billed.copy_from_slice(&from.contract_billed);
            to.other_billed = from.other_billed;
            &mut self.trial_state
        } else {
            &mut self.state
        };
        let mut total = 0.0;
        for rec in &tally.calls {
            let (after_tiers, billed) = st.bill(
                s,
                &draw.contracts,
                &self.model_contract,
                rec.model,
                rec.list,
                rec.token_count,
            );
            // Tool fees are charged by the provider per tool call, outside token pricing.
            st.other_billed += rec.tool_usd;
            self.billed.push((after_tiers, billed));
            total += billed + rec.tool_usd;
        }
        let fees: f64 = tally.fees.iter().map(|(_, f)| f).sum();
        st.other_billed += fees;
        total + fees
    }

    /// Bill a priced request: make the state it was priced on the month's and add it to every
    /// total.
    pub(super) fn commit(
        &mut self,
        tally: &Tally,
        w: usize,
        day: usize,
        cost: f64,
        latency_cap: usize,
    ) {
        if self.tentative {
            std::mem::swap(&mut self.state, &mut self.trial_state);
        }
        self.requests += 1;
        self.workflow_requests[w] += 1;
        if tally.accepted {
            self.accepted += 1;
            self.workflow_accepted[w] += 1;
        } else {
            self.workflow_failed[w] += 1;
        }
        if tally.escalated {
            self.escalated += 1;
        }
        if tally.window_refused {
            self.window_refused += 1;
        }
        self.errored += tally.errored;
        self.flex_calls += tally.flex_calls;
        self.flex_refused += tally.flex_refused;
        self.calls += tally.calls.len() as u64;
        let today = self.dollars.day(day);
        for (rec, &(after_tiers, billed)) in tally.calls.iter().zip(&self.billed) {
            for (total, t) in self.tokens.iter_mut().zip(&rec.tokens) {
                *total += t;
            }
            for (total, u) in today.by_class.iter_mut().zip(&rec.usd) {
                *total += *u;
            }
            // Volume tiers apply to list prices first, then the contract discount.
            today.by_class[CostClass::VolumeDiscount.index()] += after_tiers - rec.list;
            today.by_class[CostClass::ContractDiscount.index()] += billed - after_tiers;
            today.by_class[CostClass::ToolFees.index()] += rec.tool_usd;
            today.model[rec.model] += billed;
            self.load
                .add(rec.model, day, tally.minute, &rec.tokens, billed);
            if rec.retry {
                today.retry += billed + rec.tool_usd;
            }
            if rec.run > 0 {
                today.incident_extra += billed + rec.tool_usd;
            }
        }
        for &(tool, calls, usd) in &tally.tools {
            self.tools[tool].calls += calls;
            self.tools[tool].usd += usd;
        }
        for &(run, fee) in &tally.fees {
            today.by_class[CostClass::AuxFees.index()] += fee;
            if run > 0 {
                today.incident_extra += fee;
            }
        }
        today.workflow[w] += cost;
        today.spend += cost;
        if let Some(l) = tally.latency_ms
            && self.latency_ms[w].len() < latency_cap
        {
            self.latency_ms[w].push(l);
        }
    }

    /// Close the month: contract true-ups, review cost, totals.
    pub(super) fn finish(
        self,
        draw: &TrialDraw,
        days: u32,
        user_costs: Vec<Vec<f64>>,
    ) -> StackTrial {
        let (contracts, unused) = self.state.close(&draw.contracts, &self.contract_active);
        let (mut dollars, mut daily) = self.dollars.close();
        if unused > 0.0 {
            // The unused commitment is billed at the end of the month.
            daily[days as usize - 1] += unused;
            dollars.spend += unused;
            dollars.by_class[CostClass::UnusedCommitment.index()] += unused;
        }
        let review_usd = review_usd(draw, &self.workflow_accepted, &self.workflow_failed);
        StackTrial {
            spend: dollars.spend,
            requests: self.requests,
            accepted: self.accepted,
            rejected: self.rejected,
            rejected_usd: dollars.rejected,
            window_refused: self.window_refused,
            calls: self.calls,
            retry_spend: dollars.retry,
            escalated: self.escalated,
            errored_calls: self.errored,
            semantic_hits: self.semantic_hits,
            tokens: Tokens::from_array(self.tokens),
            cost_by_class: CostBreakdown::from_array(dollars.by_class),
            tools: self.tools,
            flex_calls: self.flex_calls,
            flex_refused: self.flex_refused,
            workflow_spend: dollars.workflow,
            workflow_requests: self.workflow_requests,
            workflow_accepted: self.workflow_accepted,
            workflow_failed: self.workflow_failed,
            model_spend: dollars.model,
            daily,
            user_costs,
            cap_hit_day: self.cap_hit_day,
            contracts,
            incident_extra: dollars.incident_extra,
            review_usd,
            latency_ms: self.latency_ms,
            policy: self.policy,
            quota: Default::default(),
            capacity_demand: self.load.demand(),
            capacity: Vec::new(),
        }
    }
}
