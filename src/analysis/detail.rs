//! The per-trial facts behind a brief that the [`Report`](super::report::Report) summarises away: 95%
//! intervals on percentiles, standard errors of shares and ratios, and what the charts draw (the
//! sorted monthly spend, the daily fan of cumulative spend, the per-user spread).
//!
//! Built from the same [`SimResult`] as the report, so every figure agrees with the JSON. Methods:
//! a percentile's interval is distribution-free, from the order statistics whose ranks are
//! `n·p ± 1.96·√(n·p·(1−p))`; a ratio of sums over trials (a share of spend, cost per accepted
//! task) has the delta-method standard error `√(Σ(xᵢ − r·yᵢ)² / (n(n−1))) / ȳ`, trials being
//! independent; a probability has the binomial `√(p(1−p)/n)`. The months of one multi-month
//! horizon share their parameter draws and head-counts, so there the trial — not the month — is
//! the independent unit: means, ratios and shares take their standard errors from per-trial sums.

use serde::Serialize;

use crate::base::format::{count, ms_value};
use crate::base::stats::estimate::{Estimate, Interval};
use crate::base::stats::{self, quantile_sorted};
use crate::model::{Overage, RequestPath, Scenario};
use crate::sim::engine::{SimResult, StackSim};

/// The headline figures of one stack's monthly spend — mean, percentiles, breach and alert
/// probabilities — over every simulated month, computed once here and read by the report, the
/// brief, the table, the comparison and its recommendation, so that a figure printed twice is
/// the same number from the same estimator.
#[derive(Clone, Debug, PartialEq)]
pub struct Headline {
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
    pub fn missed(&self) -> impl Iterator<Item = &LatencyCheck> {
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
pub fn horizon_breach(s: &Scenario, totals: &[f64]) -> Option<Estimate> {
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
    pub fn billing_class(&self, name: &str) -> Option<&Share> {
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

/// Billing classes in the order the brief lists them.
impl Detail {
    pub fn new(s: &Scenario, r: &SimResult) -> Detail {
        let users = r.users();
        Detail {
            months: r.months,
            workflows: s
                .workflows
                .iter()
                .map(|w| WorkflowSummary {
                    name: w.name.clone(),
                    batch: w.path == RequestPath::Batch,
                    steps: w.steps.len(),
                    reviewed: w.review.is_some(),
                    latency_targets: w
                        .latency_target
                        .map(|t| {
                            [("p50", t.p50), ("p95", t.p95), ("p99", t.p99)]
                                .into_iter()
                                .filter_map(|(p, ms)| ms.map(|ms| (p, ms)))
                                .collect()
                        })
                        .unwrap_or_default(),
                })
                .collect(),
            alert_fractions: s
                .budget
                .as_ref()
                .map(|b| b.alert_fractions.clone())
                .unwrap_or_default(),
            stacks: r
                .stacks
                .iter()
                .enumerate()
                .map(|(k, st)| stack_detail(s, r, k, st, &users))
                .collect(),
        }
    }
}

/// The trial as the independent unit. The months of one horizon share their parameter draws, so
/// standard errors come from per-trial sums; with one month per trial nothing changes.
#[derive(Clone, Copy, Debug)]
struct Trials {
    months: usize,
}

impl Trials {
    fn sums(self, values: &[f64]) -> std::borrow::Cow<'_, [f64]> {
        if self.months <= 1 {
            std::borrow::Cow::Borrowed(values)
        } else {
            std::borrow::Cow::Owned(values.chunks(self.months).map(stats::sum).collect())
        }
    }

    /// The mean of monthly values, with the standard error of per-trial means.
    fn mean(self, values: &[f64]) -> Estimate {
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
    fn ratio(self, x: &[f64], y: &[f64]) -> Option<Estimate> {
        Estimate::ratio(&self.sums(x), &self.sums(y))
    }

    /// The share of months for which `hit` holds.
    fn proportion(self, hits: impl Iterator<Item = bool>) -> Estimate {
        let flags: Vec<f64> = hits.map(|h| f64::from(u8::from(h))).collect();
        if self.months <= 1 {
            let n = flags.len();
            return Estimate::proportion(flags.iter().filter(|f| **f > 0.0).count(), n);
        }
        self.mean(&flags)
    }

    fn share(self, name: &str, part: &[f64], spend: &[f64]) -> Share {
        Share {
            name: name.to_string(),
            monthly_usd: self.mean(part),
            share: self
                .ratio(part, spend)
                .unwrap_or(Estimate::new(f64::NAN, f64::NAN)),
        }
    }
}

/// The day (1-based) on which each kept month's cumulative spend first passes `threshold`;
/// `None` for a month that never does.
pub fn first_days_over(st: &StackSim, threshold: f64) -> Vec<Option<u32>> {
    (0..st.spend.len())
        .map(|m| {
            let mut cum = 0.0;
            st.daily.iter().enumerate().find_map(|(d, day)| {
                cum += day[m];
                (cum > threshold).then_some(d as u32 + 1)
            })
        })
        .collect()
}

/// Whether some prompt of the scenario can exceed the input window of a model that serves it
/// (more than one in a trillion): then the reports show the share of requests refused for it.
pub fn windows_matter(s: &Scenario) -> bool {
    s.workflows.iter().flat_map(|w| &w.steps).any(|step| {
        s.stacks
            .iter()
            .flat_map(|st| &st.chains[step.route].links)
            .filter_map(|l| s.models[l.model].max_input_tokens)
            .any(|window| crate::model::prompt::window_exceeded_share(step, window) > 1e-12)
    })
}

/// `Σx / Σy` over the months of trials of `months` months, with the delta-method standard error
/// over trials (the independent unit): the estimator of every ratio the brief prints.
pub fn trial_ratio(x: &[f64], y: &[f64], months: u32) -> Option<Estimate> {
    Trials {
        months: months.max(1) as usize,
    }
    .ratio(x, y)
}

/// A column of per-month totals, or — for an engine that keeps only sums — the mean month
/// repeated (right figures, no standard error).
fn per_month_column(
    st: &StackSim,
    f: &dyn Fn(&crate::sim::engine::TrialTotals) -> f64,
    sum: f64,
) -> Vec<f64> {
    let n = st.spend.len();
    if st.trial_totals.len() == n {
        st.trial_totals.iter().map(f).collect()
    } else {
        vec![sum / n.max(1) as f64; n]
    }
}

/// Latency percentiles of every workflow whose latency is modelled on stack `st`, with their
/// intervals and each target's verdict.
pub fn latency_details(s: &Scenario, st: &StackSim) -> Vec<LatencyDetail> {
    s.workflows
        .iter()
        .zip(&st.latency_ms)
        .filter(|(_, samples)| !samples.is_empty())
        .map(|(w, samples)| {
            let sorted = stats::sorted(samples);
            let q = |p: f64| Interval::quantile(&sorted, p);
            let (p50, p95, p99) = (q(0.5), q(0.95), q(0.99));
            let targets = w
                .latency_target
                .map(|t| {
                    [
                        ("p50", t.p50, p50),
                        ("p95", t.p95, p95),
                        ("p99", t.p99, p99),
                    ]
                    .into_iter()
                    .filter_map(|(name, target, measured)| {
                        target.map(|target_ms| LatencyCheck {
                            percentile: name,
                            target_ms,
                            measured_ms: measured,
                            met: measured.value <= target_ms,
                            close_call: measured.low <= target_ms && target_ms <= measured.high,
                        })
                    })
                    .collect()
                })
                .unwrap_or_default();
            LatencyDetail {
                workflow: w.name.clone(),
                p50_ms: p50,
                p95_ms: p95,
                p99_ms: p99,
                samples: sorted.len(),
                targets,
            }
        })
        .collect()
}

fn sorted_interval(values: &[f64], p: f64) -> Interval {
    Interval::quantile(&stats::sorted(values), p)
}

fn hard_cap_detail(s: &Scenario, st: &StackSim, t: Trials) -> Option<CapDetail> {
    let cap = s.budget.as_ref()?.hard_cap_usd?;
    let mut days: Vec<f64> = st
        .cap_hit_day
        .iter()
        .flatten()
        .map(|d| f64::from(*d))
        .collect();
    days.sort_by(f64::total_cmp);
    Some(CapDetail {
        cap_usd: cap,
        probability_hit: t.proportion(st.cap_hit_day.iter().map(Option::is_some)),
        median_day_hit: (!days.is_empty()).then(|| Interval::quantile(&days, 0.5)),
        rejected_requests: t.mean(&st.rejected),
        rejected_p95: sorted_interval(&st.rejected, 0.95),
        refused_demand: t.mean(&st.rejected_usd),
        refused_demand_p95: sorted_interval(&st.rejected_usd, 0.95),
        rejected_share: t.ratio(&st.rejected, &st.requests),
    })
}

fn contract_details(s: &Scenario, k: usize, st: &StackSim, t: Trials) -> Vec<ContractDetail> {
    s.contracts
        .iter()
        .zip(&st.contracts)
        .enumerate()
        .filter(|(c, _)| s.contract_applies(k, *c))
        .map(|(_, (c, sim))| ContractDetail {
            name: c.name.clone(),
            provider: c.provider.clone(),
            committed_monthly_usd: c.committed_monthly_usd.mean(),
            discount: c.discount.mean(),
            overage: match c.overage {
                Overage::Discounted => "discounted",
                Overage::List => "list",
            },
            billed: t.mean(&sim.billed),
            billed_p95: sorted_interval(&sim.billed, 0.95),
            unused: t.mean(&sim.unused),
            unused_p95: sorted_interval(&sim.unused, 0.95),
            overage_usd: t.mean(&sim.overage),
            underuse_probability: t.proportion(sim.unused.iter().map(|u| *u > 0.0)),
        })
        .collect()
}

/// The p99 month without incidents and how much of the p99 incidents explain, both on the
/// months behind the headline p99 `p99` so that the second is never negative: a month less its
/// incident repetitions costs at most the month, so every order statistic of the months without
/// incidents is at most the same order statistic of the months themselves. When the stream kept
/// only a sketch of every month, the difference is taken on the months the run kept in detail
/// and subtracted from the headline p99.
pub fn p99_without_incidents(st: &StackSim, p99: f64) -> (f64, f64) {
    let q = |v: &[f64]| stats::quantile_sorted(&stats::sorted(v), 0.99);
    let without = st.spend_without_incidents();
    let from_incidents = if st.keeps_all_spend() {
        p99 - q(&without)
    } else {
        q(&st.spend) - q(&without)
    }
    .max(0.0);
    (p99 - from_incidents, from_incidents)
}

fn incidents_detail(
    s: &Scenario,
    r: &SimResult,
    st: &StackSim,
    t: Trials,
    p99: f64,
) -> Option<IncidentsDetail> {
    if s.incidents.is_empty() {
        return None;
    }
    let (p99_without, from_incidents) = p99_without_incidents(st, p99);
    let without = st.spend_without_incidents();
    let spend = if st.keeps_all_spend() {
        st.all_spend()
    } else {
        &st.spend
    };
    let without_interval = Interval::quantile(&stats::sorted(&without), 0.99);
    // Sketched: the interval of the kept months, moved to the headline's value.
    let shift = p99_without - without_interval.value;
    Some(IncidentsDetail {
        incidents: s
            .incidents
            .iter()
            .zip(&r.incident_happened)
            .map(|(i, happened)| IncidentChance {
                name: i.name.clone(),
                probability: t.proportion(happened.iter().copied()),
            })
            .collect(),
        extra_spend: t.mean(&st.incident_extra),
        p99_without: Interval {
            value: p99_without,
            low: without_interval.low + shift,
            high: without_interval.high + shift,
        },
        p99_from_incidents: Estimate::new(
            from_incidents,
            crate::base::stats::paired::quantile_change_se(&without, spend, 0.99, r.seed),
        ),
    })
}

fn review_detail(s: &Scenario, st: &StackSim, t: Trials) -> Option<ReviewDetail> {
    if !s.workflows.iter().any(|w| w.review.is_some()) {
        return None;
    }
    let spend_and_review: Vec<f64> = st
        .spend
        .iter()
        .zip(&st.review_usd)
        .map(|(x, r)| x + r)
        .collect();
    Some(ReviewDetail {
        cost: t.mean(&st.review_usd),
        cost_per_useful_output: t.ratio(&spend_and_review, &st.accepted),
    })
}

fn horizon_detail(s: &Scenario, st: &StackSim, months: usize) -> Option<HorizonDetail> {
    if months <= 1 {
        return None;
    }
    let budget = s.budget.as_ref().map(|b| b.monthly_usd);
    let per_month = (0..months)
        .map(|m| {
            let values = st.month_spend(m, months);
            let sorted = stats::sorted(&values);
            MonthDetail {
                month: m as u32 + 1,
                mean: Estimate::mean_of(&values),
                p50: Interval::quantile(&sorted, 0.5),
                p95: Interval::quantile(&sorted, 0.95),
                p5: quantile_sorted(&sorted, 0.05),
                p25: quantile_sorted(&sorted, 0.25),
                p75: quantile_sorted(&sorted, 0.75),
                breach_probability: budget.map(|b| {
                    Estimate::proportion(values.iter().filter(|x| **x > b).count(), values.len())
                }),
            }
        })
        .collect();
    let totals = st.horizon_totals(months);
    let sorted = stats::sorted(&totals);
    Some(HorizonDetail {
        months: per_month,
        total_mean: Estimate::mean_of(&totals),
        total_p5: Interval::quantile(&sorted, 0.05),
        total_p50: Interval::quantile(&sorted, 0.5),
        total_p95: Interval::quantile(&sorted, 0.95),
        budget_usd: horizon_budget(s),
        breach: horizon_breach(s, &totals),
    })
}

/// The binomial standard error of the flex refusal share holds when every refusal rate is a fixed
/// number (calls are then independent trials); an uncertain rate moves whole months together, and
/// the engine keeps only the totals of flex calls, so that error is unknown.
fn flex_refused(s: &Scenario, st: &StackSim) -> Option<Estimate> {
    let share = crate::base::stats::ratio(st.flex_refused, st.flex_calls)?;
    let fixed = s
        .models
        .iter()
        .filter_map(|m| m.flex.as_ref())
        .all(|f| f.unavailable_rate.is_fixed());
    let se = if fixed {
        (share * (1.0 - share) / st.flex_calls).sqrt()
    } else {
        f64::NAN
    };
    Some(Estimate::new(share, se))
}

/// A share of `n` events whose rates are `rates`: with every rate a fixed number the events are
/// independent trials, and `√(p(1−p)/n)` bounds the standard error (different rates only lower
/// it); an uncertain rate moves whole months together and only totals are kept, so the error is
/// then unknown.
fn share_of_events<'a>(
    hits: f64,
    n: f64,
    mut rates: impl Iterator<Item = &'a crate::model::Param>,
) -> Option<Estimate> {
    let share = crate::base::stats::ratio(hits, n)?;
    let se = if rates.all(crate::model::Param::is_fixed) {
        (share * (1.0 - share) / n).sqrt()
    } else {
        f64::NAN
    };
    Some(Estimate::new(share, se))
}

fn semantic_cache_hits(s: &Scenario, st: &StackSim) -> Option<Estimate> {
    if !s
        .workflows
        .iter()
        .any(|w| w.semantic_cache_hit_rate.mean() > 0.0)
    {
        return None;
    }
    let requests = stats::sum(&st.requests);
    share_of_events(
        st.semantic_hits,
        requests,
        s.workflows.iter().map(|w| &w.semantic_cache_hit_rate),
    )
    .or(Some(Estimate::new(0.0, f64::NAN)))
}

fn provider_errors(s: &Scenario, k: usize, st: &StackSim) -> Option<Estimate> {
    let links = || s.stacks[k].chains.iter().flat_map(|c| &c.links);
    if !links().any(|l| l.provider_error_rate.mean() > 0.0) {
        return None;
    }
    share_of_events(
        st.errored_calls,
        st.calls,
        links().map(|l| &l.provider_error_rate),
    )
}

fn stack_detail(
    s: &Scenario,
    r: &SimResult,
    k: usize,
    st: &StackSim,
    users: &[f64],
) -> StackDetail {
    let n = st.spend.len();
    let months = r.months.max(1) as usize;
    let t = Trials { months };
    let head = Headline::of(s, r, st);
    let sorted_spend = stats::sorted(st.all_spend());
    // An engine that does not keep per-trial totals still gets the right figures (ratios of the
    // summed totals), only without standard errors.
    let per_trial = st.trial_totals.len() == n;
    let column = |f: &dyn Fn(&crate::sim::engine::TrialTotals) -> f64, sum: f64| -> Vec<f64> {
        per_month_column(st, f, sum)
    };
    let calls = column(&|t| t.calls, st.calls);
    let escalated = column(&|t| t.escalated, st.escalated);
    let retry = column(&|t| t.retry_spend, st.retry_spend);
    // Every billing class the stack spends on (discounts are negative). A class whose total is
    // floating-point dust beside the spend is nothing spent.
    let class_totals = st.cost_by_class.to_array();
    let scale: f64 = class_totals.iter().map(|x| x.abs()).sum();
    let kinds: Vec<(String, Vec<f64>)> = crate::billing::classes::CostBreakdown::NAMES
        .iter()
        .enumerate()
        .filter(|(c, _)| class_totals[*c].abs() > 1e-12 * scale)
        .map(|(c, name)| {
            (
                name.replace('_', " "),
                column(&|t| t.cost_by_class.to_array()[c], class_totals[c]),
            )
        })
        .collect();
    let cost_per_user: Vec<f64> = st
        .spend
        .iter()
        .zip(users)
        .filter(|(_, u)| **u > 0.0)
        .map(|(x, u)| x / u)
        .collect();
    let used = s.stacks[k].models();
    let models = s
        .models
        .iter()
        .enumerate()
        .filter(|(i, _)| {
            st.model_spend.get(*i).is_some_and(|x| *x > 0.0) || used.binary_search(i).is_ok()
        })
        .map(|(i, m)| {
            let part = column(
                &|t| t.model_spend.get(i).copied().unwrap_or(0.0),
                st.model_spend.get(i).copied().unwrap_or(0.0),
            );
            t.share(&m.name, &part, &st.spend)
        })
        .collect();
    let alerts = s
        .budget
        .as_ref()
        .map(|b| {
            b.alert_fractions
                .iter()
                .zip(&head.alerts)
                .map(|(&f, probability)| {
                    let threshold = f * b.monthly_usd;
                    let mut days: Vec<f64> = first_days_over(st, threshold)
                        .into_iter()
                        .flatten()
                        .map(f64::from)
                        .collect();
                    days.sort_by(f64::total_cmp);
                    AlertDetail {
                        fraction: f,
                        threshold_usd: threshold,
                        probability: *probability,
                        median_day: (!days.is_empty()).then(|| Interval::quantile(&days, 0.5)),
                    }
                })
                .collect()
        })
        .unwrap_or_default();
    let mut detail = StackDetail {
        name: st.name.clone(),
        mean: head.mean,
        p5: head.p5,
        p50: head.p50,
        p95: head.p95,
        p99: head.p99,
        breach_probability: head.breach,
        cost_per_user: if cost_per_user.len() == n {
            t.mean(&cost_per_user)
        } else {
            Estimate::mean_of(&cost_per_user)
        },
        cost_per_request: t.ratio(&st.spend, &st.requests),
        cost_per_accepted_task: t.ratio(&st.spend, &st.accepted),
        acceptance_rate: t.ratio(&st.accepted, &st.requests),
        calls_per_request: t.ratio(&calls, &st.requests),
        escalation_share: t.ratio(&escalated, &st.requests),
        retries: (n > 0).then(|| t.share("retries", &retry, &st.spend)),
        workflows: s
            .workflows
            .iter()
            .zip(&st.workflow_spend)
            .map(|(w, part)| t.share(&w.name, part, &st.spend))
            .collect(),
        models,
        token_kinds: kinds
            .iter()
            .map(|(name, part)| t.share(name, part, &st.spend))
            .collect(),
        alerts,
        segments: s
            .segments
            .iter()
            .zip(&st.user_costs)
            .map(|(seg, costs)| UserSpread {
                over_budget: s
                    .budget
                    .as_ref()
                    .and_then(|b| b.per_user_monthly_usd)
                    .map(|limit| UserBudget::of(limit, costs)),
                ..UserSpread::of(&seg.name, costs)
            })
            .collect(),
        cumulative: cumulative_bands(&st.daily, n),
        flex_refused_share: flex_refused(s, st),
        semantic_cache_hit_share: semantic_cache_hits(s, st),
        window_refused_share: windows_matter(s)
            .then(|| t.ratio(&st.window_refused, &st.requests))
            .flatten(),
        provider_error_share: provider_errors(s, k, st),
        hard_cap: hard_cap_detail(s, st, t),
        contracts: contract_details(s, k, st, t),
        incidents: incidents_detail(s, r, st, t, head.p99.value),
        latency: latency_details(s, st),
        review: review_detail(s, st, t),
        horizon: horizon_detail(s, st, months),
        counts_expected: r.engine.name == "fast",
        sorted_spend,
    };
    if detail.counts_expected {
        for e in [
            &mut detail.acceptance_rate,
            &mut detail.calls_per_request,
            &mut detail.escalation_share,
            &mut detail.flex_refused_share,
            &mut detail.semantic_cache_hit_share,
            &mut detail.window_refused_share,
            &mut detail.provider_error_share,
        ]
        .into_iter()
        .flatten()
        {
            e.standard_error = f64::NAN;
        }
    }
    if !per_trial {
        let unknown = |e: &mut Estimate| e.standard_error = f64::NAN;
        for e in [&mut detail.calls_per_request, &mut detail.escalation_share]
            .into_iter()
            .flatten()
        {
            unknown(e);
        }
        for sh in detail
            .models
            .iter_mut()
            .chain(detail.token_kinds.iter_mut())
            .chain(detail.retries.iter_mut())
        {
            unknown(&mut sh.monthly_usd);
            unknown(&mut sh.share);
        }
    }
    detail
}

/// Percentiles of cumulative spend by the end of each day.
fn cumulative_bands(daily: &[Vec<f64>], n: usize) -> Vec<DayBand> {
    let mut cum = vec![0.0; n];
    let mut buf = Vec::with_capacity(n);
    daily
        .iter()
        .enumerate()
        .map(|(d, day)| {
            for (c, x) in cum.iter_mut().zip(day) {
                *c += x;
            }
            buf.clear();
            buf.extend_from_slice(&cum);
            buf.sort_by(f64::total_cmp);
            let q = |p| quantile_sorted(&buf, p);
            DayBand {
                day: d as u32 + 1,
                p5: q(0.05),
                p25: q(0.25),
                p50: q(0.5),
                p75: q(0.75),
                p95: q(0.95),
            }
        })
        .collect()
}

/// The latency targets missed, in words; `None` when every target is met (or there is none).
pub fn latency_misses(latency: &[LatencyDetail]) -> Option<String> {
    let missed: Vec<String> = latency
        .iter()
        .flat_map(|l| {
            l.missed().map(move |c| {
                format!(
                    "{} {} ({} > {} ms)",
                    l.workflow,
                    c.percentile,
                    ms_value(&c.measured_ms),
                    count(c.target_ms)
                )
            })
        })
        .collect();
    (!missed.is_empty()).then(|| missed.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ratio_of_proportional_columns_has_no_error() {
        let y = [1.0, 2.0, 3.0, 4.0];
        let x: Vec<f64> = y.iter().map(|v| v * 0.25).collect();
        let r = Estimate::ratio(&x, &y).unwrap();
        assert!((r.value - 0.25).abs() < 1e-15);
        assert!(r.standard_error.abs() < 1e-15);
        assert!(Estimate::ratio(&x, &[0.0; 4]).is_none());
    }

    #[test]
    fn quantile_interval_brackets_the_estimate() {
        let v: Vec<f64> = (1..=1000).map(f64::from).collect();
        let i = Interval::quantile(&v, 0.5);
        assert!(i.low < i.value && i.value < i.high);
        // √(1000·0.25)·1.96 ≈ 31 ranks each side.
        assert_eq!(i.low, 469.0);
        assert_eq!(i.high, 531.0);
        let top = Interval::quantile(&v, 0.999);
        assert_eq!(top.high, 1000.0);
    }

    #[test]
    fn shares_survive_an_engine_without_per_trial_totals() {
        let text = std::fs::read_to_string("tests/fixtures/brief.toml").unwrap();
        let s = crate::model::scenario::from_str("brief.toml", &text)
            .unwrap()
            .scenario;
        let mut r =
            crate::sim::engine::simulate(&s, &crate::sim::engine::SimOptions::new(20, 1)).unwrap();
        let full = Detail::new(&s, &r);
        for st in &mut r.stacks {
            st.trial_totals.clear();
        }
        let bare = Detail::new(&s, &r);
        for (a, b) in full.stacks.iter().zip(&bare.stacks) {
            for (x, y) in a.models.iter().zip(&b.models) {
                assert!((x.share.value - y.share.value).abs() < 1e-12);
                assert!(y.share.standard_error.is_nan());
            }
            let (x, y) = (a.calls_per_request.unwrap(), b.calls_per_request.unwrap());
            assert!((x.value - y.value).abs() < 1e-12);
        }
    }

    #[test]
    fn proportion_has_the_binomial_error() {
        let p = Estimate::proportion(25, 100);
        assert_eq!(p.value, 0.25);
        assert!((p.standard_error - (0.25f64 * 0.75 / 100.0).sqrt()).abs() < 1e-15);
    }
}
