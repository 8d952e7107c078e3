//! Running and ranking: each candidate's simulated months measured against the base run on
//! common random numbers, the backlog built from them, and each stack's best levers simulated
//! together.

use super::assumptions::Assumptions;
use super::lever::{Candidate, NotApplicable, Variant};
use super::report::{
    Backlog, Baseline, COMBINED_LEVERS, Combined, LatencyChange, Row, StackEffect,
};
use super::together::{Runner, Together, simulate_together};
use crate::base::stats;
use crate::base::stats::paired::{Delta, exceedance_change};
use crate::model::Scenario;
use crate::sim::engine::{SimResult, StackSim};

fn acceptance(accepted: f64, requests: f64) -> Option<f64> {
    (requests > 0.0).then(|| accepted / requests)
}

/// Per-trial spend and totals of accepted and requested work of a candidate's stack; a mixture
/// takes `(1 − share)` of `base` (the base run, or the other levers of a combination).
pub(super) fn candidate_stack(
    variant: &Variant,
    base: &StackSim,
    run: &StackSim,
) -> (Vec<f64>, f64, f64) {
    match variant {
        Variant::Replace(_) => (
            run.spend.clone(),
            stats::sum(&run.accepted),
            stats::sum(&run.requests),
        ),
        Variant::Mix { share, .. } => {
            let spend = base
                .spend
                .iter()
                .zip(&run.spend)
                .map(|(b, r)| (1.0 - share) * b + share * r)
                .collect();
            let mix = |b: &[f64], r: &[f64]| (1.0 - share) * stats::sum(b) + share * stats::sum(r);
            (
                spend,
                mix(&base.accepted, &run.accepted),
                mix(&base.requests, &run.requests),
            )
        }
    }
}

/// p95 latency per workflow, before (`base`) and after, where the runs have latency samples. A
/// mixture takes the first `(1 − share)` of the samples of `rest` (the base, or the other levers of
/// a combination) and the first `share` of the candidate's.
fn latency_changes(
    s: &Scenario,
    variant: &Variant,
    base: &StackSim,
    rest: &StackSim,
    run: &StackSim,
) -> Vec<LatencyChange> {
    s.workflows
        .iter()
        .enumerate()
        .filter(|(w, _)| {
            !base.latency_ms[*w].is_empty()
                && !rest.latency_ms[*w].is_empty()
                && !run.latency_ms[*w].is_empty()
        })
        .map(|(w, wf)| {
            let (b, rest, r) = (&base.latency_ms[w], &rest.latency_ms[w], &run.latency_ms[w]);
            let after = match variant {
                Variant::Replace(_) => r.clone(),
                Variant::Mix { share, .. } => {
                    let keep = ((1.0 - share) * rest.len() as f64).round() as usize;
                    let take = (share * r.len() as f64).round() as usize;
                    rest[..keep.min(rest.len())]
                        .iter()
                        .chain(&r[..take.min(r.len())])
                        .copied()
                        .collect()
                }
            };
            let p95 = |x: &[f64]| stats::quantile_sorted(&stats::sorted(x), 0.95);
            LatencyChange {
                workflow: wf.name.clone(),
                before: p95(b),
                after: p95(&after),
            }
        })
        .collect()
}

/// Share of months in which a contract the candidate added (one the base scenario lacks) is
/// under-used by stack `k`.
fn underused(s: &Scenario, variant: &Variant, run: &StackSim) -> Option<f64> {
    let c = variant.scenario();
    let added = s.contracts.len()..c.contracts.len();
    if added.is_empty() {
        return None;
    }
    let months = run.spend.len();
    let under = (0..months)
        .filter(|&t| added.clone().any(|i| run.contracts[i].unused[t] > 0.0))
        .count();
    Some(under as f64 / months.max(1) as f64)
}

/// The saving of each month (base − candidate). A month the lever leaves as it was can still
/// differ by floating-point residue (the same costs summed in another order: 1e-13 of a dollar);
/// such a difference, within a billionth of the month's spend, is no saving and no cost, so it
/// is 0 and never reads as a negative saving.
fn saving_per_month(base: &[f64], candidate: &[f64]) -> Delta {
    let d: Vec<f64> = base
        .iter()
        .zip(candidate)
        .map(|(b, c)| {
            let d = b - c;
            if d.abs() <= 1e-9 * b.abs().max(c.abs()) {
                0.0
            } else {
                d
            }
        })
        .collect();
    Delta::from_values(&d)
}

/// The effect on one stack of a candidate whose months are made by `variant` from `rest` (the
/// base, or the other levers of a combination) and `run`, measured against `base`.
pub(super) fn stack_effect(
    s: &Scenario,
    baseline: &Baseline,
    variant: &Variant,
    base: &StackSim,
    rest: &StackSim,
    run: &StackSim,
) -> StackEffect {
    let budget = s.budget.as_ref().map(|b| b.monthly_usd);
    let (spend, accepted, requests) = candidate_stack(variant, rest, run);
    let saving = saving_per_month(&base.spend, &spend);
    StackEffect {
        stack: base.name.clone(),
        affected: spend != base.spend || accepted != stats::sum(&base.accepted),
        saving_share: if baseline.mean_usd > 0.0 {
            saving.mean / baseline.mean_usd
        } else {
            0.0
        },
        saving_usd: saving,
        breach_probability: budget.map(|bud| exceedance_change(&base.spend, &spend, bud)),
        acceptance_rate_before: baseline.acceptance_rate,
        acceptance_rate_after: acceptance(accepted, requests),
        latency_p95_ms: latency_changes(s, variant, base, rest, run),
        underused_probability: underused(s, variant, run),
    }
}

/// Build the backlog from the base run and one run per candidate (same seed and trials).
pub fn backlog(
    s: &Scenario,
    a: &Assumptions,
    base: &SimResult,
    candidates: &[Candidate],
    runs: &[SimResult],
    not_applicable: Vec<NotApplicable>,
) -> Backlog {
    let budget = s.budget.as_ref().map(|b| b.monthly_usd);
    let baseline = base
        .stacks
        .iter()
        .map(|st| Baseline {
            stack: st.name.clone(),
            mean_usd: stats::mean(&st.spend),
            p95_usd: stats::quantile_sorted(&stats::sorted(&st.spend), 0.95),
            breach_probability: budget.map(|b| {
                st.spend.iter().filter(|x| **x > b).count() as f64 / st.spend.len().max(1) as f64
            }),
            acceptance_rate: acceptance(stats::sum(&st.accepted), stats::sum(&st.requests)),
        })
        .collect::<Vec<_>>();
    let rows = candidates
        .iter()
        .zip(runs)
        .map(|(c, run)| Row {
            lever: c.lever,
            key: c.key.clone(),
            change: c.change.clone(),
            for_stack: c.for_stack.map(|k| s.stacks[k].name.clone()),
            stacks: base
                .stacks
                .iter()
                .zip(&run.stacks)
                .zip(&baseline)
                .map(|((b, r), bl)| stack_effect(s, bl, &c.variant, b, b, r))
                .collect(),
        })
        .collect();
    Backlog {
        scenario: s.name.clone(),
        trials: base.trials,
        seed: base.seed,
        assumptions: *a,
        budget_usd: budget,
        baseline,
        rows,
        combined: Vec::new(),
        not_applicable,
    }
}

/// Simulate each stack's best levers together and add the result to the backlog: up to
/// [`COMBINED_LEVERS`] levers whose saving is positive and at least two standard errors, when a
/// stack has two or more. They are applied one after another in the order [`super::LEVERS`] tries
/// them, each re-derived on the scenario the earlier ones produced; routing mixes the result with
/// its cheap-model version; a contract comes last, sized on the months of the other levers
/// together (a commitment sized before the other savings would be under-used).
pub fn combine(
    s: &Scenario,
    a: &Assumptions,
    base: &SimResult,
    backlog: &mut Backlog,
    run: &mut Runner<'_>,
) -> Result<(), crate::base::error::Error> {
    // Stacks whose best levers are the same share one combination.
    let mut groups: Vec<(Vec<String>, Vec<usize>)> = Vec::new();
    for k in 0..backlog.baseline.len() {
        let keys: Vec<String> = backlog
            .ranked(k)
            .into_iter()
            .filter(|(_, e)| {
                e.affected
                    && e.saving_usd.mean > 0.0
                    && e.saving_usd.mean >= 2.0 * e.saving_usd.standard_error
            })
            .take(COMBINED_LEVERS)
            .map(|(r, _)| r.key.clone())
            .collect();
        if keys.len() < 2 {
            continue;
        }
        match groups.iter_mut().find(|(g, _)| *g == keys) {
            Some((_, stacks)) => stacks.push(k),
            None => groups.push((keys, vec![k])),
        }
    }
    for (keys, stacks) in groups {
        let Together {
            variant,
            changes,
            applied,
            runs,
        } = simulate_together(s, a, base, &keys, run)?;
        if applied.len() < 2 {
            continue;
        }
        let ranked_keys: Vec<String> = keys
            .iter()
            .filter(|k| applied.contains(k))
            .cloned()
            .collect();
        for &k in &stacks {
            let rest = &runs[0].stacks[k];
            let with = runs.last().map_or(rest, |r| &r.stacks[k]);
            let effect = stack_effect(
                s,
                &backlog.baseline[k],
                &variant,
                &base.stacks[k],
                rest,
                with,
            );
            let sum_of_savings_usd = backlog
                .rows
                .iter()
                .filter(|r| ranked_keys.contains(&r.key))
                .map(|r| r.stacks[k].saving_usd.mean)
                .sum();
            backlog.combined.push(Combined {
                stack: backlog.baseline[k].stack.clone(),
                levers: ranked_keys.clone(),
                changes: changes.clone(),
                effect,
                sum_of_savings_usd,
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn float_residue_is_no_saving_and_never_a_negative_one() {
        // Months a lever leaves as they were, summed in another order, and one it changes.
        let base: Vec<f64> = (0..20).map(|i| 1000.0 + i as f64 * 0.1).collect();
        let mut candidate: Vec<f64> = base.iter().map(|b| b + 2.3e-13).collect();
        assert!(candidate[0] != base[0]);
        candidate[3] = base[3] - 50.0;
        let d = saving_per_month(&base, &candidate);
        assert_eq!(d.p5, 0.0, "{d:?}");
        assert_eq!(crate::base::format::money(d.p5), "$0.00");
        assert!((d.mean - 2.5).abs() < 1e-12, "{d:?}");
        // A lever that changes nothing saves exactly nothing.
        let none = saving_per_month(&base, &candidate[..3]);
        assert_eq!((none.mean, none.p5, none.p95), (0.0, 0.0, 0.0));
    }
}
