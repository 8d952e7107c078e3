//! From simulated trials to the figures people read: the [`Report`] and its renderings.
//!
//! [`Report`] is built once from a [`SimResult`] and is the single source for every output format,
//! so the table, the JSON and later formats can never disagree. Its field names are the public
//! JSON contract.

pub mod blocks;
pub mod brief;
pub mod charts;
pub mod csv;
pub mod detail;
pub mod estimate;
pub mod format;
pub mod html;
pub mod markdown;
pub mod table;
pub mod text;

use serde::Serialize;

use crate::engine::{CostByClass, SimResult, StackSim, Tokens};
use crate::model::Scenario;
use crate::stats::{self, Summary};

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
    pub attempts_per_request: Option<f64>,
    /// Share of spend on calls after the first call of each step.
    pub retry_cost_share: Option<f64>,
    /// Share of requests that moved to a later model of a chain.
    pub escalation_share: Option<f64>,
    /// Monthly mean tokens by billing class.
    pub tokens: Tokens,
    /// Monthly mean spend by billing class; sums to `monthly_spend_usd.mean`.
    pub cost_breakdown_usd: CostByClass,
    pub workflows: Vec<WorkflowReport>,
    pub models: Vec<ModelReport>,
}

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Report {
    pub scenario: String,
    pub description: Option<String>,
    pub aicost_version: &'static str,
    pub trials: u64,
    /// True when the run was stopped before all requested trials.
    pub partial: bool,
    pub seed: u64,
    pub engine: String,
    pub engine_reason: String,
    pub days: u32,
    pub budget_usd: Option<f64>,
    pub stacks: Vec<StackReport>,
}

fn ratio(num: f64, den: f64) -> Option<f64> {
    (den > 0.0).then(|| num / den)
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
            partial: r.is_partial(),
            seed: r.seed,
            engine: r.engine.name.clone(),
            engine_reason: r.engine.reason.clone(),
            days: r.days,
            budget_usd: budget.map(|b| b.monthly_usd),
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

fn stack_report(s: &Scenario, r: &SimResult, st: &StackSim, users: &[f64]) -> StackReport {
    let n = st.spend.len();
    let spend = Summary::of(&st.spend);
    let total_spend = stats::sum(&st.spend);
    let total_requests = stats::sum(&st.requests);
    let total_accepted = stats::sum(&st.accepted);
    let per_trial = |x: f64| if n > 0 { x / n as f64 } else { 0.0 };
    let (breach, breach_se) = match &s.budget {
        Some(b) => {
            let p =
                st.spend.iter().filter(|x| **x > b.monthly_usd).count() as f64 / n.max(1) as f64;
            (Some(p), Some((p * (1.0 - p) / n.max(1) as f64).sqrt()))
        }
        None => (None, None),
    };
    let alerts = s
        .budget
        .as_ref()
        .map(|b| {
            b.alert_fractions
                .iter()
                .map(|&f| {
                    let threshold = f * b.monthly_usd;
                    let days: Vec<u32> = (0..n)
                        .filter_map(|t| {
                            let mut cum = 0.0;
                            st.daily.iter().enumerate().find_map(|(d, day)| {
                                cum += day[t];
                                (cum > threshold).then_some(d as u32 + 1)
                            })
                        })
                        .collect();
                    AlertReport {
                        fraction: f,
                        threshold_usd: threshold,
                        probability: days.len() as f64 / n.max(1) as f64,
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
            let sm = Summary::of(&st.user_costs[i]);
            SegmentReport {
                name: seg.name.clone(),
                users: stats::mean(&r.segment_users[i]),
                cost_per_user_usd: Spread {
                    mean: sm.mean,
                    p50: sm.p50,
                    p95: sm.p95,
                    p99: sm.p99,
                },
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
    let models = s
        .models
        .iter()
        .enumerate()
        .filter(|(i, _)| st.model_spend[*i] > 0.0 || model_in_stack(s, &st.name, *i))
        .map(|(i, m)| ModelReport {
            name: m.name.clone(),
            monthly_spend_usd: MeanOnly {
                mean: per_trial(st.model_spend[i]),
            },
        })
        .collect();
    StackReport {
        name: st.name.clone(),
        monthly_spend_usd: spend,
        mean_standard_error_usd: spend.standard_error(n),
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
        attempts_per_request: ratio(st.calls, total_requests),
        retry_cost_share: ratio(st.retry_spend, total_spend),
        escalation_share: ratio(st.escalated, total_requests),
        tokens: st.tokens.scaled(1.0 / n.max(1) as f64),
        cost_breakdown_usd: st.cost_by_class.scaled(1.0 / n.max(1) as f64),
        workflows,
        models,
    }
}

fn model_in_stack(s: &Scenario, stack: &str, model: usize) -> bool {
    s.stacks
        .iter()
        .filter(|st| st.name == stack)
        .flat_map(|st| &st.chains)
        .flat_map(|c| &c.links)
        .any(|l| l.model == model)
}
