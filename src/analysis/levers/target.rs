//! `levers --target`: the smallest set of levers whose months, simulated together on the base
//! run's common random numbers, stay under a spend target with a given probability, and the
//! order to put them in.
//!
//! The pool is every candidate of the backlog that saves on the stack on its own (mean saving
//! above zero), less those the user rules out. A set is judged only by simulating all of it
//! ([`simulate_together`]): savings one at a time do not add.
//!
//! The search, per stack:
//! - *exhaustive* when the pool has at most [`EXHAUSTIVE_LEVERS`] candidates: every set of one
//!   lever, then every set of two, …, stopping at the first size where a set reaches the target.
//!   The set chosen is the smallest; among the smallest, the one of least total effort, then the
//!   lowest mean spend. At most `2^n − 1` sets are simulated.
//! - *greedy* above that: starting from no lever, add the lever whose addition lowers the mean
//!   spend the most per unit of effort, until the target is reached or no lever lowers it. At
//!   most `n` steps and `n(n+1)/2` simulated sets; the set found reaches the target if any
//!   greedy prefix does, but a smaller set may exist.
//!
//! When no set reaches the target the best one found is reported (the highest probability of
//! staying under it, then the lowest mean spend) and said to fall short.
//!
//! The roadmap orders the chosen set the same greedy way (most mean saving per unit of effort
//! first, each measured on top of the steps before it), so each step's figures are those of the
//! levers up to it, simulated together.

use std::collections::BTreeMap;

use super::assumptions::Assumptions;
use super::lever::{Candidate, Variant};
use super::rank::candidate_stack;
use super::report::Backlog;
use super::roadmap::{Roadmap, Search, StackRoadmap, Step};
use super::together::{Runner, simulate_together};
use crate::base::stats;
use crate::base::stats::paired::Delta;
use crate::model::Scenario;
use crate::sim::engine::SimResult;

/// Pools of at most this many candidates are searched exhaustively (at most 255 sets).
pub const EXHAUSTIVE_LEVERS: usize = 8;

/// What `--target` asks.
#[derive(Clone, Debug, PartialEq)]
pub struct TargetQuery {
    /// Monthly spend not to exceed, USD.
    pub target_usd: f64,
    /// Share of months that must stay at or under it.
    pub probability: f64,
    /// Effort per candidate key (`batch:chat`) or per lever id (`batch`, all its candidates).
    pub efforts: Vec<(String, f64)>,
    /// Candidate keys or lever ids left out of the search.
    pub without: Vec<String>,
}

impl TargetQuery {
    /// The effort given for `key`, its own before its lever's.
    pub fn effort(&self, key: &str) -> Option<f64> {
        let lever = super::together::lever_of(key);
        let find = |k: &str| self.efforts.iter().rev().find(|(e, _)| e == k).map(|e| e.1);
        find(key).or_else(|| find(lever))
    }

    fn excludes(&self, key: &str) -> bool {
        let lever = super::together::lever_of(key);
        self.without.iter().any(|w| w == key || w == lever)
    }
}

/// One simulated set: each stack's spend, month by month, and what was changed.
struct Evaluated {
    spend: Vec<Vec<f64>>,
    changes: BTreeMap<String, String>,
}

/// Per-trial spend of every stack of a set of levers simulated together.
fn evaluate(
    s: &Scenario,
    a: &Assumptions,
    base: &SimResult,
    keys: &[String],
    run: &mut Runner<'_>,
) -> Result<Evaluated, crate::base::error::Error> {
    if keys.is_empty() {
        return Ok(Evaluated {
            spend: base.stacks.iter().map(|st| st.spend.clone()).collect(),
            changes: BTreeMap::new(),
        });
    }
    let t = simulate_together(s, a, base, keys, run)?;
    let spend = (0..base.stacks.len())
        .map(|k| {
            let (rest, with) = t.stack(k);
            match &t.variant {
                Variant::Replace(_) => with.spend.clone(),
                Variant::Mix { .. } => candidate_stack(&t.variant, rest, with).0,
            }
        })
        .collect();
    Ok(Evaluated {
        spend,
        changes: t.applied.into_iter().zip(t.changes).collect(),
    })
}

/// Memoised simulations of sets of levers (a set is its sorted keys).
struct Sets<'a, 'r> {
    s: &'a Scenario,
    a: &'a Assumptions,
    base: &'a SimResult,
    run: &'a mut Runner<'r>,
    done: BTreeMap<Vec<String>, Evaluated>,
}

impl Sets<'_, '_> {
    fn get(&mut self, keys: &[String]) -> Result<&Evaluated, crate::base::error::Error> {
        let mut sorted = keys.to_vec();
        sorted.sort();
        if !self.done.contains_key(&sorted) {
            let e = evaluate(self.s, self.a, self.base, &sorted, self.run)?;
            self.done.insert(sorted.clone(), e);
        }
        Ok(&self.done[&sorted])
    }
}

/// Share of months at or under `target`.
fn share_under(spend: &[f64], target: f64) -> f64 {
    spend.iter().filter(|x| **x <= target).count() as f64 / spend.len().max(1) as f64
}

/// Every `size`-subset of `0..n`, in lexicographic order.
fn subsets(n: usize, size: usize) -> Vec<Vec<usize>> {
    let mut out = Vec::new();
    let mut pick: Vec<usize> = (0..size).collect();
    if size == 0 || size > n {
        return out;
    }
    loop {
        out.push(pick.clone());
        let Some(i) = (0..size).rev().find(|&i| pick[i] < n - size + i) else {
            return out;
        };
        pick[i] += 1;
        for j in i + 1..size {
            pick[j] = pick[j - 1] + 1;
        }
    }
}

/// Order the levers of `set` for stack `k`: most mean saving per unit of effort first, each on
/// top of the ones before it; a contract last.
fn order(
    sets: &mut Sets<'_, '_>,
    q: &TargetQuery,
    k: usize,
    set: &[String],
) -> Result<Vec<String>, crate::base::error::Error> {
    let mut done: Vec<String> = Vec::new();
    // A contract comes last: it is sized on the months of the levers before it.
    let (contracts, mut left): (Vec<String>, Vec<String>) = set
        .iter()
        .cloned()
        .partition(|key| super::together::lever_of(key) == "contract");
    while !left.is_empty() {
        let before = stats::mean(&sets.get(&done)?.spend[k]);
        let mut best: Option<(f64, usize)> = None;
        for (i, key) in left.iter().enumerate() {
            let mut with = done.clone();
            with.push(key.clone());
            let saving = before - stats::mean(&sets.get(&with)?.spend[k]);
            let per = saving / q.effort(key).unwrap_or(1.0).max(f64::MIN_POSITIVE);
            if best.is_none_or(|(b, _)| per > b) {
                best = Some((per, i));
            }
        }
        let (_, i) = best.expect("left is not empty");
        done.push(left.remove(i));
    }
    done.extend(contracts);
    Ok(done)
}

/// How good a set is for stack `k`: reaches the target, probability under it, and mean spend.
fn judge(spend: &[f64], q: &TargetQuery) -> (bool, f64, f64) {
    let p = share_under(spend, q.target_usd);
    (p >= q.probability, p, stats::mean(spend))
}

/// The better of two judged sets when none reaches the target: higher probability, then lower
/// mean spend.
fn better_shortfall(x: (f64, f64), y: (f64, f64)) -> bool {
    x.0 > y.0 || (x.0 == y.0 && x.1 < y.1)
}

/// Search stack `k`'s pool for the set to recommend; returns it and whether it reaches the target.
fn search(
    sets: &mut Sets<'_, '_>,
    q: &TargetQuery,
    k: usize,
    pool: &[String],
) -> Result<(Vec<String>, Search), crate::base::error::Error> {
    let effort = |set: &[String]| {
        set.iter()
            .map(|key| q.effort(key).unwrap_or(1.0))
            .sum::<f64>()
    };
    if judge(&sets.get(&[])?.spend[k], q).0 {
        return Ok((Vec::new(), Search::Exhaustive));
    }
    let mut best_short: (Vec<String>, (f64, f64)) = {
        let (_, p, m) = judge(&sets.get(&[])?.spend[k], q);
        (Vec::new(), (p, m))
    };
    if pool.len() <= EXHAUSTIVE_LEVERS {
        for size in 1..=pool.len() {
            let mut reached: Option<(Vec<String>, f64, f64)> = None;
            for pick in subsets(pool.len(), size) {
                let set: Vec<String> = pick.iter().map(|&i| pool[i].clone()).collect();
                let (ok, p, m) = judge(&sets.get(&set)?.spend[k], q);
                if ok {
                    let e = effort(&set);
                    if reached
                        .as_ref()
                        .is_none_or(|(_, re, rm)| e < *re || (e == *re && m < *rm))
                    {
                        reached = Some((set, e, m));
                    }
                } else if better_shortfall((p, m), best_short.1) {
                    best_short = (set, (p, m));
                }
            }
            if let Some((set, _, _)) = reached {
                return Ok((set, Search::Exhaustive));
            }
        }
        return Ok((best_short.0, Search::Exhaustive));
    }
    let mut current: Vec<String> = Vec::new();
    loop {
        let before = stats::mean(&sets.get(&current)?.spend[k]);
        let mut best: Option<(f64, String)> = None;
        for key in pool.iter().filter(|p| !current.contains(p)) {
            let mut with = current.clone();
            with.push(key.clone());
            let saving = before - stats::mean(&sets.get(&with)?.spend[k]);
            let per = saving / q.effort(key).unwrap_or(1.0).max(f64::MIN_POSITIVE);
            if saving > 0.0 && best.as_ref().is_none_or(|(b, _)| per > *b) {
                best = Some((per, key.clone()));
            }
        }
        let Some((_, key)) = best else {
            return Ok((best_short.0, Search::Greedy));
        };
        current.push(key);
        let (ok, p, m) = judge(&sets.get(&current)?.spend[k], q);
        if ok {
            return Ok((current, Search::Greedy));
        }
        if better_shortfall((p, m), best_short.1) {
            best_short = (current.clone(), (p, m));
        }
    }
}

/// The roadmap to `q`'s target for every stack of the backlog; `candidates` are the backlog's,
/// `run` simulates scenarios with the base run's seed and trials.
pub fn roadmap(
    s: &Scenario,
    a: &Assumptions,
    base: &SimResult,
    backlog: &Backlog,
    candidates: &[Candidate],
    q: &TargetQuery,
    run: &mut Runner<'_>,
) -> Result<Roadmap, crate::base::error::Error> {
    let mut sets = Sets {
        s,
        a,
        base,
        run,
        done: BTreeMap::new(),
    };
    let mut stacks = Vec::new();
    let mut search_used = Search::Exhaustive;
    for (k, bl) in backlog.baseline.iter().enumerate() {
        let pool: Vec<String> = backlog
            .ranked(k)
            .into_iter()
            .filter(|(r, e)| e.affected && e.saving_usd.mean > 0.0 && !q.excludes(&r.key))
            .map(|(r, _)| r.key.clone())
            .collect();
        let (set, search) = search(&mut sets, q, k, &pool)?;
        if search == Search::Greedy {
            search_used = Search::Greedy;
        }
        let ordered = order(&mut sets, q, k, &set)?;
        let base_spend = sets.get(&[])?.spend[k].clone();
        let quantile = |x: &[f64]| stats::quantile_sorted(&stats::sorted(x), q.probability);
        let mut steps = Vec::new();
        let mut prefix: Vec<String> = Vec::new();
        let mut before = base_spend.clone();
        for key in &ordered {
            prefix.push(key.clone());
            let e = sets.get(&prefix)?;
            let spend = e.spend[k].clone();
            let change = e.changes.get(key).cloned().or_else(|| {
                candidates
                    .iter()
                    .find(|c| &c.key == key)
                    .map(|c| c.change.clone())
            });
            let p = share_under(&spend, q.target_usd);
            steps.push(Step {
                key: key.clone(),
                lever: super::together::lever_of(key).to_string(),
                change: change.unwrap_or_default(),
                effort: q.effort(key),
                saving_usd: Delta::of(&spend, &before),
                mean_usd: stats::mean(&spend),
                quantile_usd: quantile(&spend),
                probability_under: p,
                probability_standard_error: (p * (1.0 - p) / spend.len().max(1) as f64).sqrt(),
            });
            before = spend;
        }
        let p = share_under(&before, q.target_usd);
        let one_at_a_time: f64 = backlog
            .rows
            .iter()
            .filter(|r| set.contains(&r.key))
            .map(|r| r.stacks[k].saving_usd.mean)
            .sum();
        stacks.push(StackRoadmap {
            stack: bl.stack.clone(),
            baseline_mean_usd: bl.mean_usd,
            baseline_quantile_usd: quantile(&base_spend),
            baseline_probability_under: share_under(&base_spend, q.target_usd),
            pool: pool.clone(),
            reached: p >= q.probability,
            total_effort: ordered.iter().map(|key| q.effort(key).unwrap_or(1.0)).sum(),
            mean_usd: stats::mean(&before),
            quantile_usd: quantile(&before),
            probability_under: p,
            probability_standard_error: (p * (1.0 - p) / before.len().max(1) as f64).sqrt(),
            saving_usd: Delta::of(&before, &base_spend),
            sum_of_savings_usd: one_at_a_time,
            steps,
        });
    }
    Ok(Roadmap {
        scenario: s.name.clone(),
        trials: base.trials,
        seed: base.seed,
        target_usd: q.target_usd,
        probability: q.probability,
        reading: super::roadmap::reading(q.probability),
        search: search_used,
        exhaustive_up_to: EXHAUSTIVE_LEVERS,
        simulated_sets: sets.done.len().saturating_sub(1),
        without: q.without.clone(),
        stacks,
    })
}

#[cfg(test)]
mod tests {
    use super::subsets;

    #[test]
    fn subsets_are_all_of_a_size_once() {
        assert_eq!(subsets(4, 2).len(), 6);
        assert_eq!(subsets(3, 3), vec![vec![0, 1, 2]]);
        assert_eq!(subsets(3, 1), vec![vec![0], vec![1], vec![2]]);
        assert!(subsets(2, 3).is_empty());
        let total: usize = (1..=8).map(|k| subsets(8, k).len()).sum();
        assert_eq!(total, 255);
    }
}
