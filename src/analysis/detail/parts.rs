//! Each part of a stack's detail, from its simulated trials: the percentiles' intervals, the
//! hard cap, contracts, incidents, review, latency, the horizon and the daily bands.

use crate::base::format::{count, ms_value};
use crate::base::stats::estimate::{Estimate, Interval};
use crate::base::stats::{self, quantile_sorted};
use crate::model::{Overage, Scenario};
use crate::sim::engine::{SimResult, StackSim};

use super::types::*;

/// The day (1-based) on which each kept month's cumulative spend first passes `threshold`;
/// `None` for a month that never does.
pub(crate) fn first_days_over(st: &StackSim, threshold: f64) -> Vec<Option<u32>> {
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
pub(crate) fn windows_matter(s: &Scenario) -> bool {
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
pub(crate) fn trial_ratio(x: &[f64], y: &[f64], months: u32) -> Option<Estimate> {
    Trials {
        months: months.max(1) as usize,
    }
    .ratio(x, y)
}

/// A column of per-month totals, or — for an engine that keeps only sums — the mean month
/// repeated (right figures, no standard error).
pub(super) fn per_month_column(
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
pub(crate) fn latency_details(s: &Scenario, st: &StackSim) -> Vec<LatencyDetail> {
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

pub(super) fn sorted_interval(values: &[f64], p: f64) -> Interval {
    Interval::quantile(&stats::sorted(values), p)
}

pub(super) fn hard_cap_detail(s: &Scenario, st: &StackSim, t: Trials) -> Option<CapDetail> {
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

pub(super) fn contract_details(
    s: &Scenario,
    k: usize,
    st: &StackSim,
    t: Trials,
) -> Vec<ContractDetail> {
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
pub(crate) fn p99_without_incidents(st: &StackSim, p99: f64) -> (f64, f64) {
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

pub(super) fn incidents_detail(
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

pub(super) fn review_detail(s: &Scenario, st: &StackSim, t: Trials) -> Option<ReviewDetail> {
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

pub(super) fn horizon_detail(s: &Scenario, st: &StackSim, months: usize) -> Option<HorizonDetail> {
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
pub(super) fn flex_refused(s: &Scenario, st: &StackSim) -> Option<Estimate> {
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
pub(super) fn share_of_events<'a>(
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

pub(super) fn semantic_cache_hits(s: &Scenario, st: &StackSim) -> Option<Estimate> {
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

pub(super) fn provider_errors(s: &Scenario, k: usize, st: &StackSim) -> Option<Estimate> {
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

/// Percentiles of cumulative spend by the end of each day.
pub(super) fn cumulative_bands(daily: &[Vec<f64>], n: usize) -> Vec<DayBand> {
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
pub(crate) fn latency_misses(latency: &[LatencyDetail]) -> Option<String> {
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
