//! From simulated trials to the figures people read: the [`Report`] and its renderings.
//!
//! [`Report`] is built once from a [`SimResult`] and is the single source for every output format,
//! so the table, the JSON and later formats can never disagree. Its field names are the public
//! JSON contract.

use serde::Serialize;

use crate::analysis::detail;
use crate::base::format;
use crate::base::stats::{self, Summary, ratio};
use crate::billing::classes::{CostBreakdown, Tokens};
use crate::model::Scenario;
use crate::sim::engine::{SimResult, StackSim};

/// Mean only.
#[derive(Clone, Copy, Debug, Serialize, PartialEq)]
pub struct MeanOnly {
    pub mean: f64,
}

/// Mean and 95th percentile.
#[derive(Clone, Copy, Debug, Serialize, PartialEq)]
pub struct MeanP95 {
    pub mean: f64,
    pub p95: f64,
}

/// Mean and upper percentiles.
#[derive(Clone, Copy, Debug, Serialize, PartialEq)]
pub struct Spread {
    pub mean: f64,
    pub p50: f64,
    pub p95: f64,
    pub p99: f64,
}

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct AlertReport {
    /// Fraction of the monthly budget.
    pub fraction: f64,
    pub threshold_usd: f64,
    /// Probability that spend passes the threshold during the month.
    pub probability: f64,
    /// Median day of the month (1-based) on which it is passed, among months where it is.
    pub median_day: Option<f64>,
}

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct SegmentReport {
    pub name: String,
    /// Mean number of users.
    pub users: f64,
    /// Spread of one user's monthly cost within the segment.
    pub cost_per_user_usd: Spread,
    /// Share of users whose monthly cost exceeds `[budget] per_user_monthly_usd`.
    pub share_over_user_budget: Option<f64>,
}

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct WorkflowReport {
    pub name: String,
    pub monthly_spend_usd: MeanP95,
    pub requests_per_month: f64,
    pub cost_per_request_usd: Option<f64>,
}

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct ModelReport {
    pub name: String,
    pub monthly_spend_usd: MeanOnly,
}

/// A percentile-free summary for amounts whose tail matters.
#[derive(Clone, Copy, Debug, Serialize, PartialEq)]
pub struct MeanP5P95 {
    pub mean: f64,
    pub p5: f64,
    pub p95: f64,
}

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct HardCapReport {
    pub cap_usd: f64,
    /// Probability that the cap refuses requests in a month.
    pub probability_hit: f64,
    /// Median day (1-based) of the first refused request, among months where it happens.
    pub median_day_hit: Option<f64>,
    pub rejected_requests: MeanP95,
    /// What the refused requests would have been billed, at the month's prices when refused:
    /// the demand the cap turned away, which the capped spend does not show.
    pub refused_demand_usd: MeanP95,
}

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct ContractReport {
    pub name: String,
    pub provider: String,
    pub committed_monthly_usd: f64,
    pub discount: f64,
    pub overage: &'static str,
    /// What the contract bills each month: max(commitment, usage at contract prices).
    pub billed_usd: MeanP5P95,
    /// Commitment paid for but not used.
    pub unused_commitment_usd: MeanP95,
    /// Billed beyond the commitment.
    pub overage_usd: MeanP95,
    /// Probability that a month does not use the whole commitment.
    pub underuse_probability: f64,
}

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct IncidentReport {
    pub name: String,
    /// Share of simulated months in which it happened.
    pub probability: f64,
}

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct IncidentsReport {
    pub incidents: Vec<IncidentReport>,
    /// Mean monthly spend on requests repeated by incidents.
    pub extra_spend_usd: MeanP95,
    /// The p99 of monthly spend with incident repetitions removed.
    pub p99_without_incidents_usd: f64,
    /// How much of the p99 comes from incidents: p99 − p99 without them.
    pub p99_from_incidents_usd: f64,
}

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct LatencyReport {
    pub workflow: String,
    pub p50_ms: f64,
    pub p95_ms: f64,
    pub p99_ms: f64,
    /// Requests sampled for these percentiles.
    pub samples: usize,
    pub target_p50_ms: Option<f64>,
    pub target_p95_ms: Option<f64>,
    pub target_p99_ms: Option<f64>,
    /// Whether every target percentile is met; `None` without a target.
    pub target_met: Option<bool>,
}

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct MonthReport {
    /// 1-based month of the horizon.
    pub month: u32,
    pub monthly_spend_usd: Summary,
    pub breach_probability: Option<f64>,
}

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct ToolReport {
    pub name: String,
    pub calls_per_month: f64,
    pub monthly_usd: f64,
}

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct StackReport {
    pub name: String,
    pub monthly_spend_usd: Summary,
    pub mean_standard_error_usd: f64,
    /// P(monthly spend > budget); `None` without a budget.
    pub breach_probability: Option<f64>,
    pub breach_probability_standard_error: Option<f64>,
    pub alerts: Vec<AlertReport>,
    pub cost_per_user_usd: MeanOnly,
    pub segments: Vec<SegmentReport>,
    pub requests_per_month: Summary,
    pub cost_per_request_usd: Option<f64>,
    pub acceptance_rate: Option<f64>,
    pub cost_per_accepted_task_usd: Option<f64>,
    /// Model calls per request, over every step of its workflow: retries, escalations, agent
    /// loop iterations and incident repeats included (a semantic-cache hit makes none).
    pub calls_per_request: Option<f64>,
    /// Share of spend on calls after the first call of each step.
    pub retry_cost_share: Option<f64>,
    /// Share of requests that moved to a later model of a chain.
    pub escalation_share: Option<f64>,
    /// Monthly mean tokens by billing class.
    pub tokens: Tokens,
    /// Monthly mean spend by billing class; sums to `monthly_spend_usd.mean`.
    pub cost_breakdown_usd: CostBreakdown,
    /// Fees of external tools, by tool.
    pub tool_fees: Vec<ToolReport>,
    /// Share of flex-tier calls refused for lack of capacity and re-sent at standard;
    /// `None` when no workflow uses flex.
    pub flex_refused_share: Option<f64>,
    pub workflows: Vec<WorkflowReport>,
    pub models: Vec<ModelReport>,
    /// Share of requests answered by a semantic cache; `None` without one.
    pub semantic_cache_hit_share: Option<f64>,
    /// Share of requests a model refused because their input exceeds its window (not billed;
    /// the request fails); `None` when no prompt of the scenario can exceed a window.
    pub window_refused_share: Option<f64>,
    /// Share of calls that failed at the provider.
    pub provider_error_share: Option<f64>,
    /// Mean monthly cost of human review (not part of the spend); `None` without review.
    pub review_cost_usd: Option<MeanOnly>,
    /// (Spend + review) per accepted output; `None` without review.
    pub cost_per_useful_output_usd: Option<f64>,
    pub hard_cap: Option<HardCapReport>,
    /// What the budget policies did (only when the scenario has `[[policy]]`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub policies: Option<crate::analysis::policy::PoliciesReport>,
    /// Provisioned capacities the stack calls: utilisation, idle cost and spillover (only
    /// when the scenario has `[model.provisioned]`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub provisioned: Vec<crate::analysis::provisioned::ProvisionedReport>,
    /// What the rate-limit quotas did (only when a model of the stack carries one).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub quotas: Option<crate::analysis::quota::QuotaReport>,
    pub contracts: Vec<ContractReport>,
    pub incidents: Option<IncidentsReport>,
    pub latency: Vec<LatencyReport>,
    /// Per month of the horizon (only when it is longer than one month).
    pub months: Vec<MonthReport>,
    /// Total spend over the horizon (only when it is longer than one month).
    pub horizon_total_usd: Option<Summary>,
    /// P(horizon total > horizon budget), with a horizon and a budget.
    pub horizon_breach_probability: Option<f64>,
    pub horizon_breach_probability_standard_error: Option<f64>,
}

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Report {
    pub scenario: String,
    pub description: Option<String>,
    pub aicost_version: &'static str,
    pub trials: u64,
    /// When more months were simulated than a run keeps in detail: the trials (the first ones)
    /// behind every figure except the monthly spend's mean, standard error, percentiles, minimum,
    /// maximum, breach and alert probabilities, the months of the horizon and its total, and the
    /// incidents' share of the p99, which cover all trials.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail_trials: Option<u64>,
    /// Whether the spend of every simulated month was kept (so the months of a horizon and its
    /// total cover every trial, as the headline figures do); false only for runs of millions
    /// of months, whose percentiles come from a sketch.
    #[serde(skip)]
    pub all_months_kept: bool,
    /// True when the run was stopped before all requested trials.
    pub partial: bool,
    pub seed: u64,
    pub engine: String,
    pub engine_reason: String,
    pub days: u32,
    /// Months per trial; with more than one, spend figures pool every month of the horizon.
    pub months: u32,
    pub budget_usd: Option<f64>,
    /// The budget of the whole horizon, months × the monthly budget (with a horizon and a
    /// budget): what the horizon total is held against.
    pub horizon_budget_usd: Option<f64>,
    pub stacks: Vec<StackReport>,
}

/// The warning a capped forecast needs: where the hard cap refuses requests, how often and how
/// much demand it turns away, so that a capped total is not read as what was asked for. `None`
/// when no stack's cap refused anything.
pub fn cap_warning(report: &Report) -> Option<String> {
    let parts: Vec<String> = report
        .stacks
        .iter()
        .filter_map(|st| {
            let c = st.hard_cap.as_ref()?;
            (c.probability_hit > 0.0).then(|| {
                let horizon = if report.months > 1 {
                    format!(
                        ", {} over the {}-month horizon",
                        format::money(c.refused_demand_usd.mean * f64::from(report.months)),
                        report.months
                    )
                } else {
                    String::new()
                };
                format!(
                    "{} in {} of months, turning away {} of demand a month on average{horizon}",
                    st.name,
                    format::percent(c.probability_hit),
                    format::money(c.refused_demand_usd.mean),
                )
            })
        })
        .collect();
    let cap = report
        .stacks
        .iter()
        .find_map(|st| st.hard_cap.as_ref())?
        .cap_usd;
    (!parts.is_empty()).then(|| {
        format!(
            "the {} hard cap refuses requests on {}; spend figures are what is billed under the cap, not the demand (refused requests are priced at the month's prices when refused)",
            format::money(cap),
            parts.join("; ")
        )
    })
}

impl Report {
    pub fn new(s: &Scenario, r: &SimResult) -> Report {
        let budget = s.budget.as_ref();
        let users = r.users();
        let stacks = r
            .stacks
            .iter()
            .map(|st| stack_report(s, r, st, &users))
            .collect();
        Report {
            scenario: s.name.clone(),
            description: s.description.clone(),
            aicost_version: env!("CARGO_PKG_VERSION"),
            trials: r.trials,
            detail_trials: r.is_thinned().then_some(r.detail_trials),
            all_months_kept: r.stacks.iter().all(StackSim::keeps_all_spend),
            partial: r.is_partial(),
            seed: r.seed,
            engine: r.engine.name.clone(),
            engine_reason: r.engine.reason.clone(),
            days: r.days,
            months: r.months,
            budget_usd: budget.map(|b| b.monthly_usd),
            horizon_budget_usd: detail::horizon_budget(s),
            stacks,
        }
    }

    /// The report as pretty JSON with a trailing newline.
    pub fn to_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).expect("report serializes");
        s.push('\n');
        s
    }
}

fn mean_p95(values: &[f64]) -> MeanP95 {
    let sm = Summary::of(values);
    MeanP95 {
        mean: sm.mean,
        p95: sm.p95,
    }
}

// Long on purpose: one stack's record of the report filled field by field in the order of its
// JSON contract, each field one short expression over the same run.
fn stack_report(s: &Scenario, r: &SimResult, st: &StackSim, users: &[f64]) -> StackReport {
    let n = st.spend.len();
    let months = r.months as usize;
    let head = detail::Headline::of(s, r, st);
    let spend = head.summary;
    let total_spend = stats::sum(&st.spend);
    let total_requests = stats::sum(&st.requests);
    let total_accepted = stats::sum(&st.accepted);
    let per_trial = |x: f64| if n > 0 { x / n as f64 } else { 0.0 };
    let (breach, breach_se) = match head.breach {
        Some(e) => (Some(e.value), Some(e.standard_error)),
        None => (None, None),
    };
    let alerts = s
        .budget
        .as_ref()
        .map(|b| {
            b.alert_fractions
                .iter()
                .enumerate()
                .map(|(i, &f)| {
                    let threshold = f * b.monthly_usd;
                    let days: Vec<u32> = detail::first_days_over(st, threshold)
                        .into_iter()
                        .flatten()
                        .collect();
                    AlertReport {
                        fraction: f,
                        threshold_usd: threshold,
                        probability: head.alerts.get(i).map_or(0.0, |e| e.value),
                        median_day: stats::median_u32(&days),
                    }
                })
                .collect()
        })
        .unwrap_or_default();
    let cost_per_user: Vec<f64> = st
        .spend
        .iter()
        .zip(users)
        .filter(|(_, u)| **u > 0.0)
        .map(|(x, u)| x / u)
        .collect();
    let segments = s
        .segments
        .iter()
        .enumerate()
        .map(|(i, seg)| {
            let costs = &st.user_costs[i];
            let sm = Summary::of(costs);
            SegmentReport {
                name: seg.name.clone(),
                users: stats::mean(&r.segment_users[i]),
                cost_per_user_usd: Spread {
                    mean: sm.mean,
                    p50: sm.p50,
                    p95: sm.p95,
                    p99: sm.p99,
                },
                share_over_user_budget: s
                    .budget
                    .as_ref()
                    .and_then(|b| b.per_user_monthly_usd)
                    .map(|limit| detail::UserBudget::of(limit, costs).share_over),
            }
        })
        .collect();
    let workflows = s
        .workflows
        .iter()
        .enumerate()
        .map(|(i, w)| {
            let sm = Summary::of(&st.workflow_spend[i]);
            let reqs = per_trial(st.workflow_requests[i]);
            WorkflowReport {
                name: w.name.clone(),
                monthly_spend_usd: MeanP95 {
                    mean: sm.mean,
                    p95: sm.p95,
                },
                requests_per_month: reqs,
                cost_per_request_usd: ratio(
                    stats::sum(&st.workflow_spend[i]),
                    st.workflow_requests[i],
                ),
            }
        })
        .collect();
    let used = s
        .stacks
        .iter()
        .find(|x| x.name == st.name)
        .map(crate::model::Stack::models)
        .unwrap_or_default();
    let models = s
        .models
        .iter()
        .enumerate()
        .filter(|(i, _)| st.model_spend[*i] > 0.0 || used.binary_search(i).is_ok())
        .map(|(i, m)| ModelReport {
            name: m.name.clone(),
            monthly_spend_usd: MeanOnly {
                mean: per_trial(st.model_spend[i]),
            },
        })
        .collect();
    let review_total = stats::sum(&st.review_usd);
    let has_review = s.workflows.iter().any(|w| w.review.is_some());
    let hard_cap = s.budget.as_ref().and_then(|b| b.hard_cap_usd).map(|cap| {
        let days: Vec<u32> = st.cap_hit_day.iter().flatten().copied().collect();
        HardCapReport {
            cap_usd: cap,
            probability_hit: days.len() as f64 / n.max(1) as f64,
            median_day_hit: stats::median_u32(&days),
            rejected_requests: mean_p95(&st.rejected),
            refused_demand_usd: mean_p95(&st.rejected_usd),
        }
    });
    let k = r
        .stacks
        .iter()
        .position(|x| std::ptr::eq(x, st))
        .unwrap_or(0);
    let contracts = s
        .contracts
        .iter()
        .zip(&st.contracts)
        .enumerate()
        .filter(|(ci, _)| s.contract_applies(k, *ci))
        .map(|(_, (c, sim))| {
            let billed = Summary::of(&sim.billed);
            ContractReport {
                name: c.name.clone(),
                provider: c.provider.clone(),
                committed_monthly_usd: c.committed_monthly_usd.mean(),
                discount: c.discount.mean(),
                overage: match c.overage {
                    crate::model::Overage::Discounted => "discounted",
                    crate::model::Overage::List => "list",
                },
                billed_usd: MeanP5P95 {
                    mean: billed.mean,
                    p5: billed.p5,
                    p95: billed.p95,
                },
                unused_commitment_usd: mean_p95(&sim.unused),
                overage_usd: mean_p95(&sim.overage),
                underuse_probability: sim.unused.iter().filter(|u| **u > 0.0).count() as f64
                    / sim.unused.len().max(1) as f64,
            }
        })
        .collect();
    let incidents = (!s.incidents.is_empty()).then(|| {
        let (p99_without, p99_from_incidents) = detail::p99_without_incidents(st, spend.p99);
        IncidentsReport {
            incidents: s
                .incidents
                .iter()
                .zip(&r.incident_happened)
                .map(|(i, happened)| IncidentReport {
                    name: i.name.clone(),
                    probability: happened.iter().filter(|h| **h).count() as f64
                        / happened.len().max(1) as f64,
                })
                .collect(),
            extra_spend_usd: mean_p95(&st.incident_extra),
            p99_without_incidents_usd: p99_without,
            p99_from_incidents_usd: p99_from_incidents,
        }
    });
    let latency = s
        .workflows
        .iter()
        .enumerate()
        .filter(|(i, _)| !st.latency_ms[*i].is_empty())
        .map(|(i, w)| {
            let sorted = stats::sorted(&st.latency_ms[i]);
            let q = |p: f64| stats::quantile_sorted(&sorted, p);
            let (p50, p95, p99) = (q(0.5), q(0.95), q(0.99));
            let target = w.latency_target;
            LatencyReport {
                workflow: w.name.clone(),
                p50_ms: p50,
                p95_ms: p95,
                p99_ms: p99,
                samples: sorted.len(),
                target_p50_ms: target.and_then(|t| t.p50),
                target_p95_ms: target.and_then(|t| t.p95),
                target_p99_ms: target.and_then(|t| t.p99),
                target_met: target.map(|t| {
                    t.p50.is_none_or(|x| p50 <= x)
                        && t.p95.is_none_or(|x| p95 <= x)
                        && t.p99.is_none_or(|x| p99 <= x)
                }),
            }
        })
        .collect();
    let mut horizon_breach = None;
    let (month_reports, horizon) = if months > 1 {
        let per_month = (0..months)
            .map(|m| {
                let values = st.month_spend(m, months);
                MonthReport {
                    month: m as u32 + 1,
                    monthly_spend_usd: Summary::of(&values),
                    breach_probability: s.budget.as_ref().map(|b| {
                        values.iter().filter(|x| **x > b.monthly_usd).count() as f64
                            / values.len().max(1) as f64
                    }),
                }
            })
            .collect();
        let totals = st.horizon_totals(months);
        horizon_breach = detail::horizon_breach(s, &totals);
        (per_month, Some(Summary::of(&totals)))
    } else {
        (Vec::new(), None)
    };
    let mean_se = head.mean.standard_error;
    StackReport {
        name: st.name.clone(),
        monthly_spend_usd: spend,
        mean_standard_error_usd: mean_se,
        breach_probability: breach,
        breach_probability_standard_error: breach_se,
        alerts,
        cost_per_user_usd: MeanOnly {
            mean: stats::mean(&cost_per_user),
        },
        segments,
        requests_per_month: Summary::of(&st.requests),
        cost_per_request_usd: ratio(total_spend, total_requests),
        acceptance_rate: ratio(total_accepted, total_requests),
        cost_per_accepted_task_usd: ratio(total_spend, total_accepted),
        calls_per_request: ratio(st.calls, total_requests),
        retry_cost_share: ratio(st.retry_spend, total_spend),
        escalation_share: ratio(st.escalated, total_requests),
        tokens: st.tokens.scaled(1.0 / n.max(1) as f64),
        cost_breakdown_usd: st.cost_by_class.scaled(1.0 / n.max(1) as f64),
        tool_fees: s
            .tools
            .iter()
            .zip(&st.tools)
            .map(|(name, t)| ToolReport {
                name: name.clone(),
                calls_per_month: per_trial(t.calls),
                monthly_usd: per_trial(t.usd),
            })
            .collect(),
        flex_refused_share: ratio(st.flex_refused, st.flex_calls),
        workflows,
        models,
        window_refused_share: detail::windows_matter(s)
            .then(|| ratio(stats::sum(&st.window_refused), total_requests).unwrap_or(0.0)),
        semantic_cache_hit_share: s
            .workflows
            .iter()
            .any(|w| w.semantic_cache_hit_rate.mean() > 0.0)
            .then(|| ratio(st.semantic_hits, total_requests).unwrap_or(0.0)),
        provider_error_share: ratio(st.errored_calls, st.calls),
        review_cost_usd: has_review.then(|| MeanOnly {
            mean: per_trial(review_total),
        }),
        cost_per_useful_output_usd: if has_review {
            ratio(total_spend + review_total, total_accepted)
        } else {
            None
        },
        hard_cap,
        policies: crate::analysis::policy::PoliciesReport::of(s, st),
        provisioned: crate::analysis::provisioned::ProvisionedReport::of(s, st),
        quotas: crate::analysis::quota::QuotaReport::of(s, st),
        contracts,
        incidents,
        latency,
        months: month_reports,
        horizon_total_usd: horizon,
        horizon_breach_probability: horizon_breach.map(|e| e.value),
        horizon_breach_probability_standard_error: horizon_breach.map(|e| e.standard_error),
    }
}
