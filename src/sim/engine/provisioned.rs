//! Provisioned capacity in the exact engine: each stack's tokens and pay-as-you-go dollars per
//! minute on its provisioned models, and the month's settlement (`billing::provisioned`) added
//! to each stack's spend after the engine has simulated it.
//!
//! A request's minute is the one the quotas' clock gives it (`quota.rs`): its segment's
//! hour-of-day profile (`model::within_day`), every minute of an hour alike or, with
//! `burstiness`, weighted by the month's Gamma draw of each minute; with `arrivals = "fixed"`
//! the requests of a (segment, day) spread evenly along the profile, the i-th of n at the
//! quantile (i + ½)/n, so every minute holds its expected count, rounded down or up. The minute
//! is drawn once per request, before its walk, so every stack sees the request in the same
//! minute. Scenarios without a capacity record none of this.

use super::outcome::TrialOutcome;
use crate::billing::classes::{CostBreakdown, CostClass};
use crate::billing::provisioned::{Demand, settle};
use crate::model::Scenario;
use crate::model::provisioned::MINUTES_PER_DAY;

/// Whether any model of the scenario has a provisioned capacity.
pub(crate) fn any(s: &Scenario) -> bool {
    s.models.iter().any(|m| m.provisioned.is_some())
}

/// One stack's tokens and pay-as-you-go dollars per minute of the month on each of its
/// provisioned models.
#[derive(Clone, Debug)]
pub(crate) struct MinuteLoad {
    /// Per model of the scenario, the slot of its minutes (`usize::MAX` for models without a
    /// capacity or outside the stack).
    slot: Vec<usize>,
    /// Per slot, the model and its capacity per minute.
    models: Vec<(usize, f64)>,
    /// Per slot, tokens and dollars per minute of the month (`day × 1,440 + minute`).
    tokens: Vec<Vec<f64>>,
    usd: Vec<Vec<f64>>,
}

impl MinuteLoad {
    /// Stack `k`'s minutes: none at all (and nothing recorded) when it calls no provisioned
    /// model.
    pub(crate) fn new(s: &Scenario, k: usize) -> MinuteLoad {
        let models: Vec<usize> = s.stacks[k]
            .models()
            .into_iter()
            .filter(|&m| s.models[m].provisioned.is_some())
            .collect();
        if models.is_empty() {
            return MinuteLoad {
                slot: Vec::new(),
                models: Vec::new(),
                tokens: Vec::new(),
                usd: Vec::new(),
            };
        }
        let mut slot = vec![usize::MAX; s.models.len()];
        for (i, &m) in models.iter().enumerate() {
            slot[m] = i;
        }
        let n = MINUTES_PER_DAY * s.simulation.days as usize;
        MinuteLoad {
            slot,
            tokens: vec![vec![0.0; n]; models.len()],
            usd: vec![vec![0.0; n]; models.len()],
            models: models
                .into_iter()
                .map(|m| {
                    let cap = s.models[m].provisioned.as_ref();
                    (m, cap.map_or(f64::INFINITY, |p| p.capacity_per_minute()))
                })
                .collect(),
        }
    }

    /// Record a billed call to `model`: its tokens and dollars in minute `minute` of `day`.
    pub(crate) fn add(&mut self, model: usize, day: usize, minute: u32, tokens: &[f64], usd: f64) {
        let tokens: f64 = tokens.iter().sum();
        if let Some(&i) = self.slot.get(model).filter(|&&i| i != usize::MAX) {
            let at = day * MINUTES_PER_DAY + minute as usize;
            self.tokens[i][at] += tokens;
            self.usd[i][at] += usd;
        }
    }

    /// The month's minutes against each model's capacity.
    pub(crate) fn demand(&self) -> Vec<Demand> {
        self.models
            .iter()
            .enumerate()
            .map(|(i, &(m, cap))| {
                let mut d = Demand {
                    model: m,
                    ..Demand::default()
                };
                for day in 0..self.tokens[i].len() / MINUTES_PER_DAY {
                    let r = day * MINUTES_PER_DAY..(day + 1) * MINUTES_PER_DAY;
                    d.add_day(day, cap, &self.tokens[i][r.clone()], &self.usd[i][r]);
                }
                d
            })
            .collect()
    }
}

/// Settle every month's capacities of each stack: the fee added, the pay-as-you-go dollars
/// of what the capacity served credited back, in the stack's spend, billing classes, model
/// spend and days (the fee spread evenly over the days). Workflows' spend and users' costs,
/// which the engine counted at pay-as-you-go, are rescaled by the same factor so that they
/// still add up to the requests' settled dollars: each request bears the capacity's fee and
/// credit in proportion to its pay-as-you-go dollars (a showback allocation, not a bill).
pub(crate) fn settle_months(s: &Scenario, o: &mut TrialOutcome) {
    if !any(s) {
        return;
    }
    let days = s.simulation.days;
    for month in &mut o.months {
        for st in &mut month.stacks {
            let demands = std::mem::take(&mut st.capacity_demand);
            let requests_usd: f64 = st.workflow_spend.iter().sum();
            let mut settled_net = 0.0;
            st.capacity = demands
                .iter()
                .filter_map(|d| {
                    let offer = s.models[d.model].provisioned.as_ref()?;
                    Some((settle(offer, days, d), d))
                })
                .map(|(c, d)| {
                    let net = c.net_usd();
                    settled_net += net;
                    st.spend += net;
                    if let Some(without) = st.policy.spend_without.as_mut() {
                        *without += net;
                    }
                    let mut classes = st.cost_by_class.to_array();
                    classes[CostClass::Provisioned.index()] += c.fee_usd;
                    classes[CostClass::ProvisionedServed.index()] -= c.served_usd;
                    st.cost_by_class = CostBreakdown::from_array(classes);
                    if let Some(x) = st.model_spend.get_mut(c.model) {
                        *x += net;
                    }
                    let n = st.daily.len().max(1) as f64;
                    for (day, x) in st.daily.iter_mut().enumerate() {
                        *x += c.fee_usd / n - d.served_usd_by_day.get(day).copied().unwrap_or(0.0);
                    }
                    c
                })
                .collect();
            if requests_usd > 0.0 && settled_net != 0.0 {
                let factor = (requests_usd + settled_net) / requests_usd;
                for x in &mut st.workflow_spend {
                    *x *= factor;
                }
                for x in st.user_costs.iter_mut().flatten() {
                    *x *= factor;
                }
            }
        }
    }
}
