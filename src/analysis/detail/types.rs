//! The figures of a detail, as data: a stack's headline, intervals, shares, cap, contracts,
//! incidents, latency, review and horizon, each with the standard error its estimator gives.

use serde::Serialize;

use crate::base::stats::estimate::{Estimate, Interval};
use crate::base::stats::{self, quantile_sorted};
use crate::model::Scenario;
use crate::sim::engine::{SimResult, StackSim};

/// The headline figures of one stack's monthly spend — mean, percentiles, breach and alert
/// probabilities — over every simulated month, computed once here and read by the report, the
/// brief, the table, the comparison and its recommendation, so that a figure printed twice is
/// the same number from the same estimator.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Headline {
    /// The distribution of monthly spend (JSON `monthly_spend_usd`).
    pub summary: stats::Summary,
    /// Mean monthly spend; its standard error comes from per-trial means (a horizon's months
    /// share their draws).
    pub mean: Estimate,
    pub p5: Interval,
    pub p50: Interval,
    pub p95: Interval,
    pub p99: Interval,
    /// P(monthly spend > budget); `None` without a budget.
    pub breach: Option<Estimate>,
    /// Per alert fraction, P(monthly spend passes it).
    pub alerts: Vec<Estimate>,
    /// Months behind these figures.
    pub months: u64,
}

impl Headline {
    /// The headline of stack `st` of run `r`: from every month when the stream kept them
    /// (order statistics), else from the stream's sketch, whose percentile intervals carry its
    /// error. With one month per trial a probability has the binomial standard error; over a
    /// horizon, that of per-trial shares.
    pub fn of(s: &Scenario, r: &SimResult, st: &StackSim) -> Headline {
        let stream = &st.stream;
        let n = stream.count();
        let summary = if st.keeps_all_spend() {
            stream.summary(f64::NAN)
        } else {
            stream.summary(stats::Summary::of(&st.spend).cvar95)
        };
        let interval = |(value, low, high): (f64, f64, f64)| Interval { value, low, high };
        let [p5, p50, p95, p99] = stream
            .quantile_intervals(&[0.05, 0.50, 0.95, 0.99])
            .map(interval);
        let probability = |i: usize| {
            stream.exceedance(i).map(|(p, se)| {
                if r.months <= 1 {
                    Estimate::new(p, (p * (1.0 - p) / n.max(1) as f64).sqrt())
                } else {
                    Estimate::new(p, se)
                }
            })
        };
        let budget = s.budget.as_ref();
        Headline {
            summary,
            mean: Estimate::new(summary.mean, stream.mean_standard_error()),
            p5,
            p50,
            p95,
            p99,
            breach: budget.and_then(|_| probability(0)),
            alerts: budget
                .map(|b| {
                    (0..b.alert_fractions.len())
                        .filter_map(|i| probability(1 + i))
                        .collect()
                })
                .unwrap_or_default(),
            months: n,
        }
    }
}

/// One part of spend (a workflow, a model, a billing class, retries).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Share {
    pub name: String,
    /// Mean monthly spend on this part.
    pub monthly_usd: Estimate,
    /// Its share of the stack's spend.
    pub share: Estimate,
}

/// When an alert threshold is passed.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AlertDetail {
    pub fraction: f64,
    pub threshold_usd: f64,
    pub probability: Estimate,
    /// Median day of the month it is passed (1-based), with a 95% interval; among months where it is.
    pub median_day: Option<Interval>,
}

/// The spread of one user's monthly cost in a segment.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct UserSpread {
    pub name: String,
    pub mean: f64,
    pub p5: f64,
    pub p25: f64,
    pub p50: f64,
    pub p75: f64,
    pub p95: f64,
    /// Users whose cost was sampled.
    pub samples: usize,
    /// With `[budget] per_user_monthly_usd`: that budget and the share of users over it.
    pub over_budget: Option<UserBudget>,
}

/// A per-user monthly budget and the share of sampled users whose month cost more.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct UserBudget {
    pub limit_usd: f64,
    pub share_over: f64,
}

impl UserBudget {
    pub fn of(limit_usd: f64, costs: &[f64]) -> Self {
        UserBudget {
            limit_usd,
            share_over: costs.iter().filter(|c| **c > limit_usd).count() as f64
                / costs.len().max(1) as f64,
        }
    }
}

impl UserSpread {
    pub fn of(name: &str, values: &[f64]) -> Self {
        let s = stats::sorted(values);
        let q = |p| quantile_sorted(&s, p);
        UserSpread {
            name: name.to_string(),
            mean: stats::mean(values),
            p5: q(0.05),
            p25: q(0.25),
            p50: q(0.5),
            p75: q(0.75),
            p95: q(0.95),
            samples: values.len(),
            over_budget: None,
        }
    }
}

/// Percentiles of cumulative spend at the end of one day, across trials.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct DayBand {
    /// 1-based day of the month.
    pub day: u32,
    pub p5: f64,
    pub p25: f64,
    pub p50: f64,
    pub p75: f64,
    pub p95: f64,
}

/// How the hard cap bites on a stack.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CapDetail {
    pub cap_usd: f64,
    /// Share of months in which the cap refuses requests.
    pub probability_hit: Estimate,
    /// Median day (1-based) of the first refused request, among months where the cap is hit.
    pub median_day_hit: Option<Interval>,
    /// Requests refused in a month, on average.
    pub rejected_requests: Estimate,
    /// Requests refused in a p95 month.
    pub rejected_p95: Interval,
    /// What the refused requests of a month would have been billed, on average: the demand the
    /// cap turned away.
    pub refused_demand: Estimate,
    pub refused_demand_p95: Interval,
    /// Refused requests as a share of all requests.
    pub rejected_share: Option<Estimate>,
}

/// One committed-use contract of a stack, month by month.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ContractDetail {
    pub name: String,
    pub provider: String,
    pub committed_monthly_usd: f64,
    pub discount: f64,
    /// `discounted` or `list`.
    pub overage: &'static str,
    /// What the contract bills in a month.
    pub billed: Estimate,
    pub billed_p95: Interval,
    /// Commitment paid for but not used.
    pub unused: Estimate,
    pub unused_p95: Interval,
    /// Billed beyond the commitment.
    pub overage_usd: Estimate,
    /// Share of months that leave part of the commitment unused.
    pub underuse_probability: Estimate,
}

/// How often one incident happens.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct IncidentChance {
    pub name: String,
    pub probability: Estimate,
}

/// What incidents add to a stack's spend, and to its tail.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct IncidentsDetail {
    pub incidents: Vec<IncidentChance>,
    /// Monthly spend on requests repeated by incidents.
    pub extra_spend: Estimate,
    /// The p99 month with the repetitions removed.
    pub p99_without: Interval,
    /// p99 − p99 without incidents, with a paired bootstrap standard error.
    pub p99_from_incidents: Estimate,
}

/// A latency target of a workflow checked against its simulated percentile.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LatencyCheck {
    /// `p50`, `p95` or `p99`.
    pub percentile: &'static str,
    pub target_ms: f64,
    pub measured_ms: Interval,
    pub met: bool,
    /// The target lies inside the measured percentile's 95% interval: more samples could turn
    /// the verdict.
    pub close_call: bool,
}

/// Request latency of one workflow on one stack.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LatencyDetail {
    pub workflow: String,
    pub p50_ms: Interval,
    pub p95_ms: Interval,
    pub p99_ms: Interval,
    /// Requests whose latency was sampled.
    pub samples: usize,
    /// One check per target percentile; empty without a target.
    pub targets: Vec<LatencyCheck>,
}

impl LatencyDetail {
    /// Whether every target is met; `None` without a target.
    pub fn target_met(&self) -> Option<bool> {
        (!self.targets.is_empty()).then(|| self.targets.iter().all(|t| t.met))
    }

    /// The targets missed, as `p95 4,000 ms`.
    pub(crate) fn missed(&self) -> impl Iterator<Item = &LatencyCheck> {
        self.targets.iter().filter(|t| !t.met)
    }
}

/// Human review of a stack's outputs.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ReviewDetail {
    /// Monthly cost of review (not part of the spend).
    pub cost: Estimate,
    /// (Spend + review) per accepted output.
    pub cost_per_useful_output: Option<Estimate>,
}

/// One month of a multi-month horizon.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct MonthDetail {
    /// 1-based month of the horizon.
    pub month: u32,
    pub mean: Estimate,
    pub p50: Interval,
    pub p95: Interval,
    /// The 5th, 25th and 75th percentiles of the month's spend, for the chart's bands.
    pub p5: f64,
    pub p25: f64,
    pub p75: f64,
    pub breach_probability: Option<Estimate>,
}

/// A multi-month horizon: each month, and the total.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct HorizonDetail {
    pub months: Vec<MonthDetail>,
    pub total_mean: Estimate,
    pub total_p5: Interval,
    pub total_p50: Interval,
    pub total_p95: Interval,
    /// Months × the monthly budget, with a budget.
    pub budget_usd: Option<f64>,
    /// P(horizon total > that budget).
    pub breach: Option<Estimate>,
}

/// The budget of a whole horizon, months × the monthly budget; `None` without a budget or a
/// horizon.
pub fn horizon_budget(s: &Scenario) -> Option<f64> {
    let months = s.simulation.months;
    s.budget
        .as_ref()
        .filter(|_| months > 1)
        .map(|b| f64::from(months) * b.monthly_usd)
}

/// P(horizon total > horizon budget) over the trials' `totals`, with its binomial standard error
/// (each trial's horizon is one independent draw).
pub(crate) fn horizon_breach(s: &Scenario, totals: &[f64]) -> Option<Estimate> {
    let budget = horizon_budget(s)?;
    Some(Estimate::proportion(
        totals.iter().filter(|t| **t > budget).count(),
        totals.len(),
    ))
}

/// Everything about one stack that the brief and charts add to the report.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct StackDetail {
    pub name: String,
    /// Monthly spend of every trial, sorted.
    #[serde(skip)]
    pub sorted_spend: Vec<f64>,
    pub mean: Estimate,
    pub p5: Interval,
    pub p50: Interval,
    pub p95: Interval,
    pub p99: Interval,
    pub breach_probability: Option<Estimate>,
    pub cost_per_user: Estimate,
    pub cost_per_request: Option<Estimate>,
    pub cost_per_accepted_task: Option<Estimate>,
    pub acceptance_rate: Option<Estimate>,
    pub calls_per_request: Option<Estimate>,
    pub escalation_share: Option<Estimate>,
    /// Spend on calls after the first call of each step.
    pub retries: Option<Share>,
    pub workflows: Vec<Share>,
    pub models: Vec<Share>,
    /// Spend by billing class: input, cached input, cache write, output.
    pub token_kinds: Vec<Share>,
    pub alerts: Vec<AlertDetail>,
    pub segments: Vec<UserSpread>,
    pub cumulative: Vec<DayBand>,
    /// Share of flex-tier calls refused and re-sent at standard; `None` without flex traffic.
    pub flex_refused_share: Option<Estimate>,
    /// Share of requests answered by a semantic cache; `None` without one.
    pub semantic_cache_hit_share: Option<Estimate>,
    /// Share of requests refused for an input beyond a model's window; `None` when no prompt
    /// can exceed one.
    pub window_refused_share: Option<Estimate>,
    /// Share of calls that failed at the provider; `None` when no model of the stack can fail.
    pub provider_error_share: Option<Estimate>,
    pub hard_cap: Option<CapDetail>,
    pub contracts: Vec<ContractDetail>,
    pub incidents: Option<IncidentsDetail>,
    pub latency: Vec<LatencyDetail>,
    pub review: Option<ReviewDetail>,
    /// Only when a trial spans more than one month.
    pub horizon: Option<HorizonDetail>,
    /// Whether the count figures (acceptance, calls, escalations, provider errors, semantic-cache
    /// hits, flex and window refusals) come from the fast engine, which draws each workflow-day's
    /// outcomes as binomials of its served requests (calls as their expected number rounded at
    /// random), independently of the day's spend: they are exact in mean, but the spread across
    /// trials is not a request-level simulation, so they are shown as expected values, without a
    /// standard error.
    pub counts_expected: bool,
}

impl StackDetail {
    /// The share of spend of one billing class (`"reasoning"`, `"tool fees"`), when it is spent on.
    pub(crate) fn billing_class(&self, name: &str) -> Option<&Share> {
        self.token_kinds.iter().find(|k| k.name == name)
    }
}

/// A workflow as the brief names it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct WorkflowSummary {
    pub name: String,
    pub batch: bool,
    pub steps: usize,
    /// Whether people review its outputs.
    pub reviewed: bool,
    /// Its latency targets: (`p50`/`p95`/`p99`, milliseconds).
    pub latency_targets: Vec<(&'static str, f64)>,
}

/// The detail of a whole run.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Detail {
    /// Months per trial.
    pub months: u32,
    pub workflows: Vec<WorkflowSummary>,
    pub alert_fractions: Vec<f64>,
    pub stacks: Vec<StackDetail>,
}

/// The trial as the independent unit. The months of one horizon share their parameter draws, so
/// standard errors come from per-trial sums; with one month per trial nothing changes.
#[derive(Clone, Copy, Debug)]
pub(super) struct Trials {
    pub(super) months: usize,
}

impl Trials {
    pub(super) fn sums(self, values: &[f64]) -> std::borrow::Cow<'_, [f64]> {
        if self.months <= 1 {
            std::borrow::Cow::Borrowed(values)
        } else {
            std::borrow::Cow::Owned(values.chunks(self.months).map(stats::sum).collect())
        }
    }

    /// The mean of monthly values, with the standard error of per-trial means.
    pub(super) fn mean(self, values: &[f64]) -> Estimate {
        if self.months <= 1 {
            return Estimate::mean_of(values);
        }
        let per_trial = Estimate::mean_of(&self.sums(values));
        Estimate::new(
            stats::mean(values),
            per_trial.standard_error / self.months as f64,
        )
    }

    /// `Σx / Σy` over months, with the delta-method standard error over trials.
    pub(super) fn ratio(self, x: &[f64], y: &[f64]) -> Option<Estimate> {
        Estimate::ratio(&self.sums(x), &self.sums(y))
    }

    /// The share of months for which `hit` holds.
    pub(super) fn proportion(self, hits: impl Iterator<Item = bool>) -> Estimate {
        let flags: Vec<f64> = hits.map(|h| f64::from(u8::from(h))).collect();
        if self.months <= 1 {
            let n = flags.len();
            return Estimate::proportion(flags.iter().filter(|f| **f > 0.0).count(), n);
        }
        self.mean(&flags)
    }

    pub(super) fn share(self, name: &str, part: &[f64], spend: &[f64]) -> Share {
        Share {
            name: name.to_string(),
            monthly_usd: self.mean(part),
            share: self
                .ratio(part, spend)
                .unwrap_or(Estimate::new(f64::NAN, f64::NAN)),
        }
    }
}
