//! One trial's values of the uncertain parameters, resolved to plain numbers.
//!
//! A trial is one simulated month. Every [`Param`] is drawn once per trial from a generator keyed
//! by the trial and the parameter's own key path, so the draw does not depend on which other
//! parameters exist: two stacks, or two versions of a scenario, see the same head-count and the
//! same cache hit rate in the same trial.

use rand::RngExt;

use super::rng::{label, mix, small};
use crate::model::{Arrivals, Param, Prices, Scenario, SessionRate, day_weights};

/// Draw `param` for the trial with key `trial_key`.
#[inline]
pub fn draw(param: &Param, trial_key: u64) -> f64 {
    match param.dist.fixed_value() {
        Some(v) => v,
        None => param.dist.sample(&mut small(mix(trial_key, param.key))),
    }
}

/// Prices of one model in one trial, in USD per million tokens.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PriceDraw {
    pub input: f64,
    pub output: f64,
    pub cached_input: f64,
    pub cache_write: f64,
}

impl PriceDraw {
    fn draw(p: &Prices, key: u64) -> Self {
        PriceDraw {
            input: draw(&p.input, key),
            output: draw(&p.output, key),
            cached_input: draw(&p.cached_input, key),
            cache_write: draw(&p.cache_write, key),
        }
    }
}

#[derive(Clone, Debug)]
pub struct ModelDraw {
    pub base: PriceDraw,
    /// Threshold and prices of the long-context tier.
    pub long_context: Option<(f64, PriceDraw)>,
    pub batch_discount: f64,
    pub min_cacheable_tokens: f64,
}

impl ModelDraw {
    /// The prices that apply to a call whose whole input is `input_tokens`.
    #[inline]
    pub fn prices_for(&self, input_tokens: f64) -> (&PriceDraw, bool) {
        match &self.long_context {
            Some((above, p)) if input_tokens > *above => (p, true),
            _ => (&self.base, false),
        }
    }
}

#[derive(Clone, Copy, Debug)]
pub struct LinkDraw {
    pub model: usize,
    pub validation_failure_rate: f64,
    pub max_attempts: u32,
    pub escalation_rate: f64,
}

#[derive(Clone, Debug)]
pub struct SegmentDraw {
    pub users: u64,
    /// Expected sessions of one user with activity multiplier 1, over the whole month.
    pub sessions_per_user: f64,
    pub user_variability: f64,
    /// Share of the month's sessions falling on each day (sums to 1).
    pub day_share: Vec<f64>,
    /// Running sum of `day_share`; the last entry is exactly 1.
    pub day_cumulative: Vec<f64>,
}

/// All uncertain parameters of one trial.
#[derive(Clone, Debug)]
pub struct TrialDraw {
    pub key: u64,
    pub segments: Vec<SegmentDraw>,
    /// Cache hit rate per workflow and step.
    pub cache_hit_rate: Vec<Vec<f64>>,
    pub models: Vec<ModelDraw>,
    /// Per stack, per route, the chain's links.
    pub chains: Vec<Vec<Vec<LinkDraw>>>,
    pub arrivals: Arrivals,
}

impl TrialDraw {
    pub fn new(s: &Scenario, trial_key: u64) -> TrialDraw {
        let days = s.simulation.days;
        let segments = s
            .segments
            .iter()
            .map(|seg| {
                let users_raw = draw(&seg.users, trial_key).max(0.0);
                let users =
                    stochastic_round(users_raw, mix(mix(trial_key, seg.users.key), label::USERS));
                let weekend = draw(&seg.weekend_factor, trial_key);
                let weights = day_weights(days, weekend);
                let total: f64 = weights.iter().sum();
                let sessions_per_user = match &seg.sessions {
                    SessionRate::PerDay(p) => draw(p, trial_key) * total,
                    SessionRate::PerMonth(p) => draw(p, trial_key),
                };
                let day_share: Vec<f64> = weights.iter().map(|w| w / total).collect();
                let mut acc = 0.0;
                let mut day_cumulative: Vec<f64> = weights
                    .iter()
                    .map(|w| {
                        acc += w;
                        acc / total
                    })
                    .collect();
                if let Some(last) = day_cumulative.last_mut() {
                    *last = 1.0;
                }
                SegmentDraw {
                    users,
                    sessions_per_user,
                    user_variability: draw(&seg.user_variability, trial_key),
                    day_share,
                    day_cumulative,
                }
            })
            .collect();
        let cache_hit_rate = s
            .workflows
            .iter()
            .map(|w| {
                w.steps
                    .iter()
                    .map(|st| draw(&st.cache_hit_rate, trial_key))
                    .collect()
            })
            .collect();
        let models = s
            .models
            .iter()
            .map(|m| ModelDraw {
                base: PriceDraw::draw(&m.prices, trial_key),
                long_context: m.long_context.as_ref().map(|lc| {
                    (
                        lc.above_input_tokens,
                        PriceDraw::draw(&lc.prices, trial_key),
                    )
                }),
                batch_discount: draw(&m.batch_discount, trial_key),
                min_cacheable_tokens: m.min_cacheable_tokens,
            })
            .collect();
        let chains = s
            .stacks
            .iter()
            .map(|st| {
                st.chains
                    .iter()
                    .map(|c| {
                        c.links
                            .iter()
                            .map(|l| LinkDraw {
                                model: l.model,
                                validation_failure_rate: draw(
                                    &l.validation_failure_rate,
                                    trial_key,
                                ),
                                max_attempts: l.max_attempts,
                                escalation_rate: draw(&l.escalation_rate, trial_key),
                            })
                            .collect()
                    })
                    .collect()
            })
            .collect();
        TrialDraw {
            key: trial_key,
            segments,
            cache_hit_rate,
            models,
            chains,
            arrivals: s.simulation.arrivals,
        }
    }
}

/// Round to an integer up or down at random so that the mean is preserved.
pub fn stochastic_round(x: f64, key: u64) -> u64 {
    let floor = x.floor();
    let frac = x - floor;
    let up = frac > 0.0 && small(key).random::<f64>() < frac;
    floor as u64 + u64::from(up)
}
