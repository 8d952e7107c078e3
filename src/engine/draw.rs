//! One trial's values of the uncertain parameters, resolved to plain numbers.
//!
//! A trial is one simulated month. Every [`Param`] is drawn once per trial from a generator keyed
//! by the trial and the parameter's own key path, so the draw does not depend on which other
//! parameters exist: two stacks, or two versions of a scenario, see the same head-count and the
//! same cache hit rate in the same trial.

use rand::{Rng, RngExt};

use super::rng::{label, mix, small};
use crate::model::{
    Arrivals, ErrorBilling, Model, Overage, Param, Prices, Scenario, ServiceTier, SessionRate,
    TierPrices, day_weights,
};

/// Draw `param` for the trial with key `trial_key`.
#[inline]
pub fn draw(param: &Param, trial_key: u64) -> f64 {
    match param.dist.fixed_value() {
        Some(v) => v,
        None => param.dist.sample(&mut small(mix(trial_key, param.key))),
    }
}

/// Every price a call can need, in one trial, for one service tier and long-context state:
/// USD per million tokens (per image for `per_image`). Prices a model does not have are 0;
/// validation guarantees they are never used with a non-zero quantity.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct PriceDraw {
    pub input: f64,
    pub output: f64,
    pub cached_input: f64,
    pub cache_write: f64,
    pub cache_write_1h: f64,
    pub reasoning: f64,
    pub image: f64,
    pub per_image: Option<f64>,
    pub audio_input: f64,
    pub audio_output: f64,
}

/// `a / b`, the factor by which a derived price follows a listed one (1 when `b` is 0).
fn ratio(a: f64, b: f64) -> f64 {
    if b > 0.0 { a / b } else { 1.0 }
}

impl PriceDraw {
    /// Standard-tier, below-threshold prices.
    fn standard(m: &Model, value: &impl Fn(&Param) -> f64) -> Self {
        let opt = |p: &Option<Param>| p.as_ref().map_or(0.0, value);
        PriceDraw {
            input: value(&m.prices.input),
            output: value(&m.prices.output),
            cached_input: value(&m.prices.cached_input),
            cache_write: value(&m.prices.cache_write),
            cache_write_1h: opt(&m.cache_write_1h),
            reasoning: value(&m.reasoning),
            image: value(&m.image_input),
            per_image: m.input_per_image.as_ref().map(value),
            audio_input: opt(&m.audio_input),
            audio_output: opt(&m.audio_output),
        }
    }

    /// Prices above the long-context threshold: the listed ones, and the others scaled by the
    /// factor of the price they follow (reasoning and audio output follow output; images and
    /// audio input follow input; one-hour writes follow cache writes).
    fn long_context(&self, lc: &Prices, value: &impl Fn(&Param) -> f64) -> Self {
        let (input, output) = (value(&lc.input), value(&lc.output));
        let cache_write = value(&lc.cache_write);
        self.following(input, output, value(&lc.cached_input), cache_write)
    }

    /// Prices with these listed input, output, cached-read and cache-write prices, and the other
    /// classes scaled by the factor of the price they follow.
    fn following(&self, input: f64, output: f64, cached_input: f64, cache_write: f64) -> Self {
        let f_in = ratio(input, self.input);
        let f_out = ratio(output, self.output);
        PriceDraw {
            input,
            output,
            cached_input,
            cache_write,
            cache_write_1h: self.cache_write_1h * ratio(cache_write, self.cache_write),
            reasoning: self.reasoning * f_out,
            image: self.image * f_in,
            per_image: self.per_image.map(|p| p * f_in),
            audio_input: self.audio_input * f_in,
            audio_output: self.audio_output * f_out,
        }
    }

    /// Prices of a service tier: its listed prices, and the others scaled like above.
    fn tier(&self, t: &TierPrices, value: &impl Fn(&Param) -> f64) -> Self {
        let get = |p: &Option<Param>, fallback: f64| p.as_ref().map_or(fallback, value);
        let input = get(&t.input, self.input);
        let output = get(&t.output, self.output);
        let cache_write = get(&t.cache_write, self.cache_write * ratio(input, self.input));
        let cached_input = get(&t.cached_input, self.cached_input);
        self.following(input, output, cached_input, cache_write)
    }

    /// These prices scaled class by class by the long-context factors `lc / base`.
    fn scaled_like(&self, base: &PriceDraw, lc: &PriceDraw) -> Self {
        PriceDraw {
            input: self.input * ratio(lc.input, base.input),
            output: self.output * ratio(lc.output, base.output),
            cached_input: self.cached_input * ratio(lc.cached_input, base.cached_input),
            cache_write: self.cache_write * ratio(lc.cache_write, base.cache_write),
            cache_write_1h: self.cache_write_1h * ratio(lc.cache_write_1h, base.cache_write_1h),
            reasoning: self.reasoning * ratio(lc.reasoning, base.reasoning),
            image: self.image * ratio(lc.image, base.image),
            per_image: self
                .per_image
                .map(|p| p * ratio(lc.per_image.unwrap_or(p), base.per_image.unwrap_or(p))),
            audio_input: self.audio_input * ratio(lc.audio_input, base.audio_input),
            audio_output: self.audio_output * ratio(lc.audio_output, base.audio_output),
        }
    }
}

/// One model's prices in one trial.
#[derive(Clone, Debug)]
pub struct ModelDraw {
    /// Indexed by service tier, then by whether the long-context tier applies.
    sets: [[PriceDraw; 2]; 3],
    /// The long-context threshold on a call's whole input, if the model has one.
    pub long_context_above: Option<f64>,
    pub batch_discount: f64,
    pub min_cacheable_tokens: f64,
    /// Probability that a flex call is refused and re-sent at standard.
    pub flex_unavailable_rate: f64,
}

impl ModelDraw {
    /// A model's prices with every parameter at its mean, for expected-value arithmetic.
    pub fn at_means(m: &Model) -> Self {
        Self::with(m, &|p: &Param| p.mean())
    }

    /// A model's prices with each parameter valued by `value`.
    pub fn with(m: &Model, value: &impl Fn(&Param) -> f64) -> Self {
        let std = PriceDraw::standard(m, value);
        let std_lc = m
            .long_context
            .as_ref()
            .map_or(std, |lc| std.long_context(&lc.prices, value));
        let tier = |t: &Option<TierPrices>| match t {
            Some(t) => {
                let base = std.tier(t, value);
                [base, base.scaled_like(&std, &std_lc)]
            }
            None => [std, std_lc],
        };
        ModelDraw {
            sets: [[std, std_lc], tier(&m.priority), tier(&m.flex)],
            long_context_above: m.long_context.as_ref().map(|lc| lc.above_input_tokens),
            batch_discount: value(&m.batch_discount),
            min_cacheable_tokens: m.min_cacheable_tokens,
            flex_unavailable_rate: m.flex.as_ref().map_or(0.0, |f| value(&f.unavailable_rate)),
        }
    }

    /// The prices of a call at `tier`, inside or outside the long-context tier.
    #[inline]
    pub fn prices_at(&self, tier: ServiceTier, long_context: bool) -> &PriceDraw {
        &self.sets[tier.index()][usize::from(long_context)]
    }

    /// Whether a call with this whole input is priced at long-context rates.
    #[inline]
    pub fn is_long_context(&self, input_tokens: f64) -> bool {
        self.long_context_above
            .is_some_and(|above| input_tokens > above)
    }

    /// The prices of a call at `tier` whose whole input is `input_tokens`.
    #[inline]
    pub fn prices(&self, tier: ServiceTier, input_tokens: f64) -> &PriceDraw {
        &self.sets[tier.index()][usize::from(self.is_long_context(input_tokens))]
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
                let weights = day_weights(days, weekend);
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

/// Round to an integer up or down at random so that the mean is preserved.
pub fn stochastic_round(x: f64, key: u64) -> u64 {
    let floor = x.floor();
    let frac = x - floor;
    let up = frac > 0.0 && small(key).random::<f64>() < frac;
    (floor as u64).saturating_add(u64::from(up))
}
