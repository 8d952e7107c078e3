//! One trial's values of the uncertain parameters, resolved to plain numbers.
//!
//! A trial is one simulated month. Every [`Param`] is drawn once per trial from a generator keyed
//! by the trial and the parameter's own key path, so the draw does not depend on which other
//! parameters exist: two stacks, or two versions of a scenario, see the same head-count and the
//! same cache hit rate in the same trial.

use rand::{Rng, RngExt};

use super::rng::{label, mix, small};
use crate::billing::invoice::ContractDraw;
use crate::billing::prices::ModelDraw;
use crate::model::{Arrivals, ErrorBilling, Param, Scenario, SessionRate, day_weights};

/// Draw `param` for the trial with key `trial_key`.
#[inline]
pub fn draw(param: &Param, trial_key: u64) -> f64 {
    match param.dist.fixed_value() {
        Some(v) => v,
        None => param.dist.sample(&mut small(mix(trial_key, param.key))),
    }
}

#[derive(Clone, Copy, Debug)]
pub struct LinkDraw {
    pub model: usize,
    pub validation_failure_rate: f64,
    pub max_attempts: u32,
    pub escalation_rate: f64,
    pub provider_error_rate: f64,
    pub error_billing: ErrorBilling,
}

#[derive(Clone, Debug)]
pub struct SegmentDraw {
    /// Head-count of the first month, before rounding.
    pub users: f64,
    /// Monthly growth of the head-count.
    pub growth: f64,
    /// Expected sessions of one user with activity multiplier 1, over a month with seasonality 1.
    pub sessions_per_user: f64,
    pub user_variability: f64,
    /// Share of the month's sessions falling on each day (sums to 1).
    pub day_share: Vec<f64>,
    /// Running sum of `day_share`; the last entry is exactly 1.
    pub day_cumulative: Vec<f64>,
    key: u64,
}

impl SegmentDraw {
    /// Users in month `m` (0-based): the head-count grown `m` times, rounded up or down at
    /// random so that the mean is exact.
    pub fn users_in_month(&self, m: u32) -> u64 {
        let grown = self.users * (1.0 + self.growth).powi(m as i32);
        stochastic_round(grown.max(0.0), mix(self.key, u64::from(m)))
    }
}

/// Per-workflow parameters of one trial.
#[derive(Clone, Debug)]
pub struct WorkflowDraw {
    pub cache_hit_rate: Vec<f64>,
    /// Fee per tool call, per step and tool of the step.
    pub tool_fee: Vec<Vec<f64>>,
    /// Fees outside the model, per step, billed once per request that reaches the step.
    pub aux_usd: Vec<f64>,
    pub semantic_cache_hit_rate: f64,
    pub semantic_cache_usd_per_lookup: f64,
    /// Share reviewed, minutes per review, hourly rate, minutes per failed request.
    pub review: Option<[f64; 4]>,
}

/// An incident's parameters in one trial.
#[derive(Clone, Debug)]
pub struct IncidentDraw {
    pub probability: f64,
    pub multiplier: f64,
    pub duration_hours: f64,
    pub workflows: Vec<usize>,
    key: u64,
}

/// An incident as it happens (or not) in one month.
#[derive(Clone, Debug)]
pub struct IncidentMonth {
    pub happened: bool,
    /// Fraction of each day inside the incident's window.
    pub day_overlap: Vec<f64>,
    pub multiplier: f64,
    pub workflows: Vec<usize>,
}

/// All uncertain parameters of one trial (one horizon of `months` months).
#[derive(Clone, Debug)]
pub struct TrialDraw {
    pub key: u64,
    pub segments: Vec<SegmentDraw>,
    pub workflows: Vec<WorkflowDraw>,
    pub models: Vec<ModelDraw>,
    /// Latency of each model: output tokens per second (None when not modelled).
    pub output_tokens_per_s: Vec<Option<f64>>,
    /// Per stack, per route, the chain's links.
    pub chains: Vec<Vec<Vec<LinkDraw>>>,
    pub contracts: Vec<ContractDraw>,
    /// The contract covering each model, if any.
    pub model_contract: Vec<Option<usize>>,
    pub incidents: Vec<IncidentDraw>,
    pub arrivals: Arrivals,
    pub seasonality: Vec<f64>,
}

impl TrialDraw {
    /// The parameters of the trial with key `trial_key`.
    pub fn new(s: &Scenario, trial_key: u64) -> TrialDraw {
        Self::with(s, trial_key, &|p: &Param| draw(p, trial_key))
    }

    /// A trial whose parameters are valued by `value` (e.g. at their means); `trial_key` keys
    /// what is still random within the trial.
    pub fn with(s: &Scenario, trial_key: u64, value: &impl Fn(&Param) -> f64) -> TrialDraw {
        let days = s.simulation.days;
        let segments = s
            .segments
            .iter()
            .map(|seg| {
                let weekend = value(&seg.weekend_factor);
                let weights = day_weights(days, s.simulation.first_weekday, weekend);
                let total: f64 = weights.iter().sum();
                let sessions_per_user = match &seg.sessions {
                    SessionRate::PerDay(p) => value(p) * total,
                    SessionRate::PerMonth(p) => value(p),
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
                    users: value(&seg.users).max(0.0),
                    growth: value(&seg.monthly_growth),
                    sessions_per_user,
                    user_variability: value(&seg.user_variability),
                    day_share,
                    day_cumulative,
                    key: mix(mix(trial_key, seg.users.key), label::USERS),
                }
            })
            .collect();
        let workflows = s
            .workflows
            .iter()
            .map(|w| WorkflowDraw {
                cache_hit_rate: w.steps.iter().map(|st| value(&st.cache_hit_rate)).collect(),
                tool_fee: w
                    .steps
                    .iter()
                    .map(|st| {
                        st.tool_calls
                            .iter()
                            .map(|t| value(&t.usd_per_call))
                            .collect()
                    })
                    .collect(),
                aux_usd: w
                    .steps
                    .iter()
                    .map(|st| value(&st.aux_usd_per_request))
                    .collect(),
                semantic_cache_hit_rate: value(&w.semantic_cache_hit_rate),
                semantic_cache_usd_per_lookup: value(&w.semantic_cache_usd_per_lookup),
                review: w.review.as_ref().map(|r| {
                    [
                        value(&r.share),
                        value(&r.minutes),
                        value(&r.hourly_usd),
                        value(&r.failed_review_minutes),
                    ]
                }),
            })
            .collect();
        let models = s.models.iter().map(|m| ModelDraw::with(m, value)).collect();
        let output_tokens_per_s = s
            .models
            .iter()
            .map(|m| m.latency.as_ref().map(|l| value(&l.output_tokens_per_s)))
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
                                validation_failure_rate: value(&l.validation_failure_rate),
                                max_attempts: l.max_attempts,
                                escalation_rate: value(&l.escalation_rate),
                                provider_error_rate: value(&l.provider_error_rate),
                                error_billing: l.error_billing,
                            })
                            .collect()
                    })
                    .collect()
            })
            .collect();
        let contracts = s
            .contracts
            .iter()
            .map(|c| ContractDraw {
                committed_usd: value(&c.committed_monthly_usd),
                discount: value(&c.discount),
                overage: c.overage,
            })
            .collect();
        let model_contract = s
            .models
            .iter()
            .map(|m| s.contracts.iter().position(|c| c.provider == m.provider))
            .collect();
        let incidents = s
            .incidents
            .iter()
            .map(|i| IncidentDraw {
                probability: value(&i.monthly_probability),
                multiplier: value(&i.multiplier),
                duration_hours: value(&i.duration_hours),
                workflows: i.workflows.clone(),
                key: mix(trial_key, i.monthly_probability.key),
            })
            .collect();
        TrialDraw {
            key: trial_key,
            segments,
            workflows,
            models,
            output_tokens_per_s,
            chains,
            contracts,
            model_contract,
            incidents,
            arrivals: s.simulation.arrivals,
            seasonality: s.simulation.seasonality.clone(),
        }
    }

    /// The generator key of month `m` of this trial.
    pub fn month_key(&self, m: u32) -> u64 {
        mix(self.key, label::MONTH + u64::from(m))
    }

    /// Activity factor of month `m`.
    pub fn season(&self, m: u32) -> f64 {
        self.seasonality
            .get(m as usize % 12)
            .copied()
            .unwrap_or(1.0)
    }

    /// Whether and when each incident happens in month `m` of `days` days.
    pub fn incidents_in_month(&self, m: u32, days: u32) -> Vec<IncidentMonth> {
        self.incidents
            .iter()
            .map(|i| {
                let mut rng = small(mix(i.key, u64::from(m)));
                let happened = i.probability >= 1.0
                    || (i.probability > 0.0 && rng.random::<f64>() < i.probability);
                let month_hours = 24.0 * f64::from(days);
                let duration = i.duration_hours.min(month_hours);
                let start = rng.random::<f64>() * (month_hours - duration);
                let end = start + duration;
                let day_overlap = (0..days)
                    .map(|d| {
                        let (d0, d1) = (24.0 * f64::from(d), 24.0 * f64::from(d + 1));
                        if happened {
                            ((end.min(d1) - start.max(d0)) / 24.0).max(0.0)
                        } else {
                            0.0
                        }
                    })
                    .collect();
                IncidentMonth {
                    happened,
                    day_overlap,
                    multiplier: i.multiplier,
                    workflows: i.workflows.clone(),
                }
            })
            .collect()
    }
}

/// Round `x` up or down at random, keeping its mean (a negative `x` is 0).
pub fn round_random<R: Rng + ?Sized>(x: f64, rng: &mut R) -> u64 {
    let n = x.max(0.0).floor();
    let up = x > n && rng.random::<f64>() < x - n;
    (n as u64).saturating_add(u64::from(up))
}

/// Round away float noise so that, e.g., 30 × (1/30) sessions is exactly one.
pub fn snap(x: f64) -> f64 {
    let scaled = x * 1e9;
    if scaled.abs() < 9e15 {
        scaled.round() / 1e9
    } else {
        x
    }
}

/// A Poisson count of mean `mean` (0 for a mean that is not positive).
pub fn poisson<R: Rng + ?Sized>(mean: f64, rng: &mut R) -> u64 {
    if !(mean > 0.0) {
        return 0;
    }
    match rand_distr::Poisson::new(mean) {
        Ok(p) => rand_distr::Distribution::sample(&p, rng) as u64,
        Err(_) => mean.round() as u64,
    }
}

/// Round to an integer up or down at random so that the mean is preserved.
pub fn stochastic_round(x: f64, key: u64) -> u64 {
    let floor = x.floor();
    let frac = x - floor;
    let up = frac > 0.0 && small(key).random::<f64>() < frac;
    (floor as u64).saturating_add(u64::from(up))
}

/// The month's cost of human review of one stack: accepted outputs reviewed for a share, failed
/// ones for their own minutes, at the reviewers' hourly rate.
pub fn review_usd(draw: &TrialDraw, accepted: &[u64], failed: &[u64]) -> f64 {
    draw.workflows
        .iter()
        .enumerate()
        .filter_map(|(w, wd)| {
            wd.review.map(|[share, minutes, hourly, failed_minutes]| {
                (accepted[w] as f64 * share * minutes + failed[w] as f64 * failed_minutes) / 60.0
                    * hourly
            })
        })
        .sum()
}
