//! The per-trial facts behind a brief that the [`Report`](super::Report) summarises away: 95%
//! intervals on percentiles, standard errors of shares and ratios, and what the charts draw (the
//! sorted monthly spend, the daily fan of cumulative spend, the per-user spread).
//!
//! Built from the same [`SimResult`] as the report, so every figure agrees with the JSON. Methods:
//! a percentile's interval is distribution-free, from the order statistics whose ranks are
//! `n·p ± 1.96·√(n·p·(1−p))`; a ratio of sums over trials (a share of spend, cost per accepted
//! task) has the delta-method standard error `√(Σ(xᵢ − r·yᵢ)² / (n(n−1))) / ȳ`, trials being
//! independent; a probability has the binomial `√(p(1−p)/n)`.

use serde::Serialize;

use crate::engine::{SimResult, StackSim};
use crate::model::{RequestPath, Scenario};
use crate::stats::{self, quantile_sorted};

/// The normal quantile of a two-sided 95% interval.
pub const Z95: f64 = 1.959_963_984_540_054;

/// A figure and its standard error (`NaN` when it cannot be estimated, e.g. from one trial).
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Estimate {
    pub value: f64,
    pub standard_error: f64,
}

impl Estimate {
    pub fn new(value: f64, standard_error: f64) -> Self {
        Estimate {
            value,
            standard_error,
        }
    }

    /// The mean of independent values and its standard error.
    pub fn mean_of(values: &[f64]) -> Self {
        let n = values.len();
        let se = if n < 2 {
            f64::NAN
        } else {
            stats::sd(values) / (n as f64).sqrt()
        };
        Estimate::new(stats::mean(values), se)
    }

    /// `Σx / Σy` over trials, with the delta-method standard error; `None` when `Σy` is 0.
    pub fn ratio(x: &[f64], y: &[f64]) -> Option<Self> {
        let n = x.len().min(y.len());
        let sy = stats::sum(&y[..n]);
        if !(sy > 0.0) {
            return None;
        }
        let r = stats::sum(&x[..n]) / sy;
        let se = if n < 2 {
            f64::NAN
        } else {
            let ss: stats::KahanSum = x
                .iter()
                .zip(y)
                .map(|(xi, yi)| (xi - r * yi) * (xi - r * yi))
                .collect();
            let ybar = sy / n as f64;
            (ss.value() / (n as f64 * (n - 1) as f64)).sqrt() / ybar
        };
        Some(Estimate::new(r, se))
    }

    /// The share of `n` trials for which `hit` holds, with its binomial standard error.
    pub fn proportion(hits: usize, n: usize) -> Self {
        if n == 0 {
            return Estimate::new(f64::NAN, f64::NAN);
        }
        let p = hits as f64 / n as f64;
        Estimate::new(p, (p * (1.0 - p) / n as f64).sqrt())
    }
}

/// A figure with a 95% interval.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Interval {
    pub value: f64,
    pub low: f64,
    pub high: f64,
}

impl Interval {
    /// The `p`-quantile of sorted values with its distribution-free 95% interval.
    pub fn quantile(sorted: &[f64], p: f64) -> Self {
        let n = sorted.len();
        if n == 0 {
            return Interval {
                value: f64::NAN,
                low: f64::NAN,
                high: f64::NAN,
            };
        }
        let nf = n as f64;
        let half = Z95 * (nf * p * (1.0 - p)).sqrt();
        // 1-based ranks of the order statistics that bound the interval.
        let lo = ((nf * p - half).floor() as i64).clamp(1, n as i64) as usize;
        let hi = ((nf * p + half).ceil() as i64).clamp(1, n as i64) as usize;
        Interval {
            value: quantile_sorted(sorted, p),
            low: sorted[lo - 1],
            high: sorted[hi - 1],
        }
    }

    /// The standard error a normal estimate with this interval would have.
    pub fn implied_se(&self) -> f64 {
        (self.high - self.low) / (2.0 * Z95)
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
    pub attempts_per_request: Option<Estimate>,
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
}

/// A workflow as the brief names it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct WorkflowSummary {
    pub name: String,
    pub batch: bool,
    pub steps: usize,
}

/// The detail of a whole run.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Detail {
    pub workflows: Vec<WorkflowSummary>,
    pub alert_fractions: Vec<f64>,
    pub stacks: Vec<StackDetail>,
}

/// Billing classes in the order the brief lists them.
impl Detail {
    pub fn new(s: &Scenario, r: &SimResult) -> Detail {
        let users = r.users();
        Detail {
            workflows: s
                .workflows
                .iter()
                .map(|w| WorkflowSummary {
                    name: w.name.clone(),
                    batch: w.path == RequestPath::Batch,
                    steps: w.steps.len(),
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
                .map(|(k, st)| stack_detail(s, k, st, &users))
                .collect(),
        }
    }
}

fn share(name: &str, part: &[f64], spend: &[f64]) -> Share {
    Share {
        name: name.to_string(),
        monthly_usd: Estimate::mean_of(part),
        share: Estimate::ratio(part, spend).unwrap_or(Estimate::new(f64::NAN, f64::NAN)),
    }
}

fn stack_detail(s: &Scenario, k: usize, st: &StackSim, users: &[f64]) -> StackDetail {
    let n = st.spend.len();
    let sorted_spend = stats::sorted(&st.spend);
    let totals = &st.trial_totals;
    // An engine that does not keep per-trial totals still gets the right figures (ratios of the
    // summed totals), only without standard errors.
    let per_trial = totals.len() == n;
    let column = |f: &dyn Fn(&crate::engine::TrialTotals) -> f64, sum: f64| -> Vec<f64> {
        if per_trial {
            totals.iter().map(f).collect()
        } else {
            vec![sum / n.max(1) as f64; n]
        }
    };
    let by_class = &st.cost_by_class;
    let calls = column(&|t| t.calls, st.calls);
    let escalated = column(&|t| t.escalated, st.escalated);
    let retry = column(&|t| t.retry_spend, st.retry_spend);
    // Every billing class the stack spends on (discounts are negative).
    let class_totals = by_class.to_array();
    let kinds: Vec<(String, Vec<f64>)> = crate::engine::CostBreakdown::NAMES
        .iter()
        .enumerate()
        .filter(|(c, _)| class_totals[*c] != 0.0)
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
    let stack = &s.stacks[k];
    let in_stack = |m: usize| {
        stack
            .chains
            .iter()
            .flat_map(|c| &c.links)
            .any(|l| l.model == m)
    };
    let models = s
        .models
        .iter()
        .enumerate()
        .filter(|(i, _)| st.model_spend.get(*i).is_some_and(|x| *x > 0.0) || in_stack(*i))
        .map(|(i, m)| {
            let part = column(
                &|t| t.model_spend.get(i).copied().unwrap_or(0.0),
                st.model_spend.get(i).copied().unwrap_or(0.0),
            );
            share(&m.name, &part, &st.spend)
        })
        .collect();
    let alerts = s
        .budget
        .as_ref()
        .map(|b| {
            b.alert_fractions
                .iter()
                .map(|&f| {
                    let threshold = f * b.monthly_usd;
                    let mut days: Vec<f64> = (0..n)
                        .filter_map(|t| {
                            let mut cum = 0.0;
                            st.daily.iter().enumerate().find_map(|(d, day)| {
                                cum += day[t];
                                (cum > threshold).then_some(d as f64 + 1.0)
                            })
                        })
                        .collect();
                    days.sort_by(f64::total_cmp);
                    AlertDetail {
                        fraction: f,
                        threshold_usd: threshold,
                        probability: Estimate::proportion(days.len(), n),
                        median_day: (!days.is_empty()).then(|| Interval::quantile(&days, 0.5)),
                    }
                })
                .collect()
        })
        .unwrap_or_default();
    let mut detail = StackDetail {
        name: st.name.clone(),
        mean: Estimate::mean_of(&st.spend),
        p5: Interval::quantile(&sorted_spend, 0.05),
        p50: Interval::quantile(&sorted_spend, 0.50),
        p95: Interval::quantile(&sorted_spend, 0.95),
        p99: Interval::quantile(&sorted_spend, 0.99),
        breach_probability: s.budget.as_ref().map(|b| {
            let over = sorted_spend.len() - sorted_spend.partition_point(|x| *x <= b.monthly_usd);
            Estimate::proportion(over, n)
        }),
        cost_per_user: Estimate::mean_of(&cost_per_user),
        cost_per_request: Estimate::ratio(&st.spend, &st.requests),
        cost_per_accepted_task: Estimate::ratio(&st.spend, &st.accepted),
        acceptance_rate: Estimate::ratio(&st.accepted, &st.requests),
        attempts_per_request: Estimate::ratio(&calls, &st.requests),
        escalation_share: Estimate::ratio(&escalated, &st.requests),
        retries: (n > 0).then(|| share("retries", &retry, &st.spend)),
        workflows: s
            .workflows
            .iter()
            .zip(&st.workflow_spend)
            .map(|(w, part)| share(&w.name, part, &st.spend))
            .collect(),
        models,
        token_kinds: kinds
            .iter()
            .map(|(name, part)| share(name, part, &st.spend))
            .collect(),
        alerts,
        segments: s
            .segments
            .iter()
            .zip(&st.user_costs)
            .map(|(seg, costs)| UserSpread::of(&seg.name, costs))
            .collect(),
        cumulative: cumulative_bands(&st.daily, n),
        sorted_spend,
    };
    if !per_trial {
        let unknown = |e: &mut Estimate| e.standard_error = f64::NAN;
        for e in [
            &mut detail.attempts_per_request,
            &mut detail.escalation_share,
        ]
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
        let s = crate::scenario::from_str("brief.toml", &text)
            .unwrap()
            .scenario;
        let mut r = crate::engine::simulate(&s, &crate::engine::SimOptions::new(20, 1)).unwrap();
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
            let (x, y) = (
                a.attempts_per_request.unwrap(),
                b.attempts_per_request.unwrap(),
            );
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
