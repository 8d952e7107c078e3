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

use crate::base::stats::estimate::{Estimate, Interval};
use crate::base::stats::{self};
use crate::model::{RequestPath, Scenario};
use crate::sim::engine::{SimResult, StackSim};

mod parts;
mod types;

use parts::*;
pub(crate) use parts::{
    first_days_over, latency_details, latency_misses, p99_without_incidents, trial_ratio,
    windows_matter,
};
pub use types::*;
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

// Long on purpose: one stack's detail assembled field by field from the parts in `parts`, each
// field one short expression over the same trials.
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
