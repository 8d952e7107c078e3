//! Which inputs move the forecast most: one-at-a-time swings and rank correlations.
//!
//! For every uncertain parameter (a quantity drawn once per simulated month), the scenario is run
//! twice more with that parameter held at its 10th and then its 90th percentile while everything
//! else keeps varying; the difference in mean and p95 monthly spend between the two runs is its
//! swing. With `--all`, every number written in the scenario is swung too, by ±20% (token counts
//! and other per-request distributions are scaled by 0.8 and 1.2; rates stay within 0..1). All runs
//! share the seed and trials of the base run, so the swings are differences on common random
//! numbers, not differences of noise.
//!
//! The rank correlation (Spearman's ρ) of each uncertain parameter's per-trial draw with the
//! month's spend needs no extra run: the engine draws a parameter from (seed, trial, key path)
//! alone, so the draws are recomputed here exactly as the engine made them.

pub mod tornado;

use serde::Serialize;

use crate::base::stats::paired::spearman;
use crate::base::stats::{self, quantile_sorted, sorted};
use crate::model::dist::Dist;
use crate::model::doc::Node;
use crate::model::doc::path;
use crate::model::{Param, Scenario};
use crate::sim::engine::SimResult;
use crate::sim::engine::{draw, rng};

/// Percentiles an uncertain parameter is held at.
pub(crate) const LOW_QUANTILE: f64 = 0.10;
pub(crate) const HIGH_QUANTILE: f64 = 0.90;
/// Relative change of a fixed number with `--all`.
pub(crate) const FIXED_SWING: f64 = 0.20;

/// Where an input's range comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// An uncertain parameter, between its 10th and 90th percentiles.
    Uncertain,
    /// A fixed number, ±20%.
    Fixed,
    /// A per-request distribution (token counts, requests per session), scaled by 0.8 and 1.2;
    /// the values shown are its mean.
    PerRequest,
}

/// How to make the scenario that holds an input low (`false`) or high (`true`).
type Make<'a> = Box<dyn Fn(bool) -> Scenario + 'a>;

/// One input to swing, and how to make the two scenarios that hold it low and high. They are
/// made when they are run, one at a time: a scenario of hundreds of segments has thousands of
/// inputs, and holding two copies of it for each once took gigabytes.
pub struct Input<'a> {
    pub label: String,
    pub kind: Kind,
    pub low: f64,
    pub high: f64,
    make: Make<'a>,
    /// The parameter drawn per trial, for the rank correlation (uncertain inputs only).
    pub param: Option<Param>,
}

impl Input<'_> {
    /// The scenario with this input held low (`high = false`) or high.
    pub fn scenario(&self, high: bool) -> Scenario {
        (self.make)(high)
    }
}

/// Each stack's spend in every kept month, of the low and the high run of one input.
pub(crate) type LowHigh = [Vec<Vec<f64>>; 2];

/// Run each input's low and high scenario with `simulate`, keeping only each stack's monthly
/// spend, so memory holds one run's detail at a time.
pub fn run_inputs(
    inputs: &[Input],
    mut simulate: impl FnMut(&Scenario) -> Result<SimResult, crate::base::error::Error>,
) -> Result<Vec<LowHigh>, crate::base::error::Error> {
    let mut spend =
        |high: bool, input: &Input| -> Result<Vec<Vec<f64>>, crate::base::error::Error> {
            let r = simulate(&input.scenario(high))?;
            Ok(r.stacks.into_iter().map(|st| st.spend).collect())
        };
    inputs
        .iter()
        .map(|i| Ok([spend(false, i)?, spend(true, i)?]))
        .collect()
}

/// Labels of per-trial parameters that are rates (kept within 0..1 when swung).
fn is_rate(label: &str) -> bool {
    [
        "cache_hit_rate",
        "batch_discount",
        "validation_failure_rate",
        "escalation_rate",
    ]
    .iter()
    .any(|r| label.ends_with(r))
}

/// Whether `label` names a value written in the document (not a default).
fn written(doc: &Node, label: &str) -> bool {
    path::parse(label, 0).is_ok_and(|parts| path::lookup(doc, &parts).is_some())
}

/// `s` with every parameter keyed `key` replaced by `f(param)`.
fn with_param(s: &Scenario, key: u64, f: &dyn Fn(&Param) -> Dist) -> Scenario {
    let mut m = s.clone();
    for p in m.params_mut() {
        if p.key == key {
            p.dist = f(p);
        }
    }
    m
}

/// `d` scaled by `f`, Poisson included.
fn scale(d: &Dist, f: f64) -> Option<Dist> {
    d.scaled(f).or_else(|| match d {
        Dist::Poisson { mean, .. } => Dist::poisson(mean * f).ok(),
        _ => None,
    })
}

/// Whether the parameter labelled `label` is a rate, kept at most 1 when swung up.
fn cap(x: f64, q: &Param) -> f64 {
    if is_rate(&q.label) { x.min(1.0) } else { x }
}

/// The inputs to swing: uncertain parameters, and with `all` every number written in `doc`.
pub fn inputs<'a>(s: &'a Scenario, doc: &Node, all: bool) -> Vec<Input<'a>> {
    let mut out = Vec::new();
    let params: Vec<Param> = s.params().into_iter().cloned().collect();
    // Parameters by key, in order of first appearance: one input per key.
    let mut groups: std::collections::HashMap<u64, bool> = std::collections::HashMap::new();
    for p in &params {
        *groups.entry(p.key).or_default() |= !p.is_fixed();
    }
    let mut seen = std::collections::HashSet::new();
    for p in &params {
        if !seen.insert(p.key) {
            continue;
        }
        let key = p.key;
        if groups[&key] {
            out.push(Input {
                label: p.label.clone(),
                kind: Kind::Uncertain,
                low: p.dist.quantile(LOW_QUANTILE),
                high: p.dist.quantile(HIGH_QUANTILE),
                make: Box::new(move |high| {
                    let q = if high { HIGH_QUANTILE } else { LOW_QUANTILE };
                    with_param(s, key, &|p| Dist::Fixed(p.dist.quantile(q)))
                }),
                param: Some(p.clone()),
            });
            continue;
        }
        let v = p.dist.fixed_value().unwrap_or(0.0);
        if !all || v == 0.0 || !written(doc, &p.label) {
            continue;
        }
        let (lo, hi) = (1.0 - FIXED_SWING, 1.0 + FIXED_SWING);
        if cap(v * hi, p) == v * lo {
            continue;
        }
        out.push(Input {
            label: p.label.clone(),
            kind: Kind::Fixed,
            low: v * lo,
            high: cap(v * hi, p),
            make: Box::new(move |high| {
                with_param(s, key, &|q| {
                    let v = q.dist.fixed_value().unwrap_or(0.0);
                    Dist::Fixed(if high { cap(v * hi, q) } else { v * lo })
                })
            }),
            param: None,
        });
    }
    if all {
        per_request_inputs(s, doc, &mut out);
    }
    out
}

/// Every per-request distribution and plain number (caps, thresholds) written in `doc`, ±20%.
fn per_request_inputs<'a>(s: &'a Scenario, doc: &Node, out: &mut Vec<Input<'a>>) {
    let (lo, hi) = (1.0 - FIXED_SWING, 1.0 + FIXED_SWING);
    // Where a distribution lives, given a workflow and a step index.
    type DistSlot = fn(&mut Scenario, usize, usize) -> Option<&mut Dist>;
    let requests: DistSlot = |m, w, _| Some(&mut m.workflows[w].requests_per_session);
    let step_dists: [(&str, DistSlot); 5] = [
        ("static_prefix_tokens", |m, w, k| {
            Some(&mut m.workflows[w].steps[k].static_prefix_tokens)
        }),
        ("input_tokens", |m, w, k| {
            Some(&mut m.workflows[w].steps[k].input_tokens)
        }),
        ("output_tokens", |m, w, k| {
            Some(&mut m.workflows[w].steps[k].output_tokens)
        }),
        ("retrieval.chunks", |m, w, k| {
            m.workflows[w].steps[k]
                .retrieval
                .as_mut()
                .map(|r| &mut r.chunks)
        }),
        ("retrieval.chunk_tokens", |m, w, k| {
            m.workflows[w].steps[k]
                .retrieval
                .as_mut()
                .map(|r| &mut r.chunk_tokens)
        }),
    ];
    let mut push_dist = |label: String, slot: DistSlot, w: usize, k: usize| {
        if !written(doc, &label) {
            return;
        }
        let mut probe = s.clone();
        let Some(d) = slot(&mut probe, w, k).map(|d| d.clone()) else {
            return;
        };
        drop(probe);
        let (Some(dl), Some(dh)) = (scale(&d, lo), scale(&d, hi)) else {
            return;
        };
        if d.mean() == 0.0 {
            return;
        }
        out.push(Input {
            label,
            kind: Kind::PerRequest,
            low: d.mean() * lo,
            high: d.mean() * hi,
            make: Box::new(move |high| {
                let mut m = s.clone();
                if let Some(x) = slot(&mut m, w, k) {
                    *x = if high { dh.clone() } else { dl.clone() };
                }
                m
            }),
            param: None,
        });
    };
    for (w, wf) in s.workflows.iter().enumerate() {
        push_dist(
            format!("workflow[{}].requests_per_session", wf.name),
            requests,
            w,
            0,
        );
        for (k, st) in wf.steps.iter().enumerate() {
            for (field, slot) in step_dists {
                push_dist(
                    format!("workflow[{}].step[{}].{field}", wf.name, st.name),
                    slot,
                    w,
                    k,
                );
            }
        }
    }
    // Where a plain number lives, given two indices (a workflow and a step, or a model).
    type NumberSlot = fn(&mut Scenario, usize, usize, f64);
    let mut push_number = |label: String, value: f64, set: NumberSlot, i: usize, j: usize| {
        if value <= 0.0 || !value.is_finite() || !written(doc, &label) {
            return;
        }
        out.push(Input {
            label,
            kind: Kind::Fixed,
            low: value * lo,
            high: value * hi,
            make: Box::new(move |high| {
                let mut m = s.clone();
                set(&mut m, i, j, value * if high { hi } else { lo });
                m
            }),
            param: None,
        });
    };
    for (w, wf) in s.workflows.iter().enumerate() {
        for (k, st) in wf.steps.iter().enumerate() {
            if let Some(cap) = st.max_output_tokens {
                push_number(
                    format!("workflow[{}].step[{}].max_output_tokens", wf.name, st.name),
                    cap,
                    |m, w, k, x| m.workflows[w].steps[k].max_output_tokens = Some(x),
                    w,
                    k,
                );
            }
        }
    }
    for (i, model) in s.models.iter().enumerate() {
        push_number(
            format!("model[{}].min_cacheable_tokens", model.name),
            model.min_cacheable_tokens,
            |m, i, _, x| m.models[i].min_cacheable_tokens = x,
            i,
            0,
        );
        // A single threshold only: moving one of several could reorder them.
        if let [lc] = model.long_context.as_slice() {
            push_number(
                format!("model[{}].long_context.above_input_tokens", model.name),
                lc.above_input_tokens,
                |m, i, _, x| {
                    if let Some(lc) = m.models[i].long_context.first_mut() {
                        lc.above_input_tokens = x;
                    }
                },
                i,
                0,
            );
        }
    }
}

/// One input's effect on one stack.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Swing {
    pub input: String,
    pub kind: Kind,
    /// The input's value in the low and high runs (a mean for per-request inputs).
    pub low: f64,
    pub high: f64,
    pub mean_low_usd: f64,
    pub mean_high_usd: f64,
    /// `mean_high_usd − mean_low_usd`.
    pub mean_swing_usd: f64,
    pub p95_low_usd: f64,
    pub p95_high_usd: f64,
    pub p95_swing_usd: f64,
    /// Spearman's ρ of the input's per-trial draw with the trial's spend (its whole horizon) in the
    /// base run.
    pub spearman: Option<f64>,
}

/// The tornado of one stack, largest swing first.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct StackSensitivity {
    pub stack: String,
    pub mean_usd: f64,
    pub p95_usd: f64,
    pub inputs: Vec<Swing>,
}

impl StackSensitivity {
    /// The inputs that move this stack's spend at all (another stack's prices do not).
    pub fn moving(&self) -> impl Iterator<Item = &Swing> {
        self.inputs
            .iter()
            .filter(|s| s.mean_swing_usd != 0.0 || s.p95_swing_usd != 0.0)
    }
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Sensitivity {
    pub scenario: String,
    pub trials: u64,
    pub seed: u64,
    pub stacks: Vec<StackSensitivity>,
}

fn mean_p95(spend: &[f64]) -> (f64, f64) {
    (stats::mean(spend), quantile_sorted(&sorted(spend), 0.95))
}

/// Swings from the base run and, per input, each stack's spend in its low and high runs (see
/// [`run_inputs`]).
pub fn analyze(s: &Scenario, inputs: &[Input], base: &SimResult, runs: &[LowHigh]) -> Sensitivity {
    let draws: Vec<Option<Vec<f64>>> = inputs
        .iter()
        .map(|i| {
            i.param.as_ref().map(|p| {
                (0..base.trials)
                    .map(|t| draw::draw(p, rng::trial_key(base.seed, t)))
                    .collect()
            })
        })
        .collect();
    let stacks = base
        .stacks
        .iter()
        .enumerate()
        .map(|(k, st)| {
            let (mean, p95) = mean_p95(&st.spend);
            // A parameter is drawn once per trial, and a trial of a multi-month horizon spans
            // `months` entries of `spend`: the draw is ranked against the trial's whole horizon.
            let per_trial = st.horizon_totals(base.months as usize);
            let mut swings: Vec<Swing> = inputs
                .iter()
                .enumerate()
                .map(|(i, input)| {
                    let (ml, pl) = mean_p95(&runs[i][0][k]);
                    let (mh, ph) = mean_p95(&runs[i][1][k]);
                    Swing {
                        input: input.label.clone(),
                        kind: input.kind,
                        low: input.low,
                        high: input.high,
                        mean_low_usd: ml,
                        mean_high_usd: mh,
                        mean_swing_usd: mh - ml,
                        p95_low_usd: pl,
                        p95_high_usd: ph,
                        p95_swing_usd: ph - pl,
                        spearman: draws[i].as_ref().and_then(|x| spearman(x, &per_trial)),
                    }
                })
                .collect();
            swings.sort_by(|a, b| {
                b.mean_swing_usd
                    .abs()
                    .total_cmp(&a.mean_swing_usd.abs())
                    .then(b.p95_swing_usd.abs().total_cmp(&a.p95_swing_usd.abs()))
            });
            StackSensitivity {
                stack: st.name.clone(),
                mean_usd: mean,
                p95_usd: p95,
                inputs: swings,
            }
        })
        .collect();
    Sensitivity {
        scenario: s.name.clone(),
        trials: base.trials,
        seed: base.seed,
        stacks,
    }
}

/// A value of an input, to four significant digits.
pub fn value(x: f64) -> String {
    let a = x.abs();
    if a >= 1000.0 {
        crate::base::format::count(x)
    } else if a >= 100.0 {
        format!("{x:.0}")
    } else if a >= 1.0 {
        let s = format!("{x:.2}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else if a == 0.0 {
        "0".to_string()
    } else {
        let d = (3 - a.log10().floor() as i32).clamp(1, 8) as usize;
        let s = format!("{x:.d$}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}

/// The tornado tables as text, one per stack.
pub fn render(r: &Sensitivity, run: &str) -> String {
    use crate::base::format::money;
    let mut out = format!("Sensitivity of {} · {run}\n", r.scenario);
    out.push_str(&format!(
        "Uncertain inputs held at their p{:.0} and p{:.0}; fixed numbers ±{:.0}% (--all). ρ: rank correlation with spend.\n",
        LOW_QUANTILE * 100.0,
        HIGH_QUANTILE * 100.0,
        FIXED_SWING * 100.0
    ));
    for st in &r.stacks {
        out.push_str(&format!(
            "\n{} — mean {} a month, p95 {}\n",
            st.stack,
            money(st.mean_usd),
            money(st.p95_usd)
        ));
        if st.inputs.is_empty() {
            out.push_str("  no uncertain inputs; use --all to swing every number by ±20%\n");
            continue;
        }
        let still = st.inputs.len() - st.moving().count();
        let rows: Vec<[String; 6]> = st
            .moving()
            .map(|sw| {
                let range = match sw.kind {
                    Kind::PerRequest => format!("mean {} → {}", value(sw.low), value(sw.high)),
                    _ => format!("{} → {}", value(sw.low), value(sw.high)),
                };
                [
                    sw.input.clone(),
                    range,
                    format!("{} → {}", money(sw.mean_low_usd), money(sw.mean_high_usd)),
                    signed(sw.mean_swing_usd),
                    signed(sw.p95_swing_usd),
                    sw.spearman.map_or_else(String::new, |r| format!("{r:+.2}")),
                ]
            })
            .collect();
        let head = [
            "input",
            "low → high",
            "mean spend",
            "swing",
            "p95 swing",
            "ρ",
        ];
        let widths: Vec<usize> = (0..6)
            .map(|c| {
                rows.iter()
                    .map(|r| r[c].chars().count())
                    .chain([head[c].chars().count()])
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        let line = |cells: &[String]| {
            let mut l = String::from(" ");
            for (c, cell) in cells.iter().enumerate() {
                let pad = widths[c] - cell.chars().count();
                if c == 0 || c == 1 || c == 2 {
                    l.push_str(&format!(" {cell}{}", " ".repeat(pad)));
                } else {
                    l.push_str(&format!(" {}{cell}", " ".repeat(pad)));
                }
                l.push(' ');
            }
            l.trim_end().to_string() + "\n"
        };
        out.push_str(&line(&head.map(String::from)));
        for r in &rows {
            out.push_str(&line(r));
        }
        if still > 0 {
            out.push_str(&format!(
                "  ({still} input{} with no effect on this stack not shown)\n",
                if still == 1 { "" } else { "s" }
            ));
        }
    }
    out
}

fn signed(x: f64) -> String {
    let m = crate::base::format::money(x.abs());
    if x > 0.0 {
        format!("+{m}")
    } else if x < 0.0 {
        format!("−{m}")
    } else {
        m
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_keep_four_significant_digits() {
        assert_eq!(value(12_345.6), "12,346");
        assert_eq!(value(361.2), "361");
        assert_eq!(value(2.5), "2.5");
        assert_eq!(value(0.0456), "0.0456");
        assert_eq!(value(0.9), "0.9");
        assert_eq!(value(0.0), "0");
    }
}
