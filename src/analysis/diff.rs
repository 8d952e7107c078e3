//! Two versions of a scenario side by side: which keys changed, and what that does to each
//! stack's forecast.
//!
//! Both versions are simulated with the same seed and number of trials, so they see the same
//! simulated months wherever they agree (common random numbers): a change of one cache hit rate
//! moves the forecast by exactly its own effect, not by that plus fresh noise. The rendering is
//! Markdown, to be pasted as a pull-request comment.

use serde::Serialize;

use crate::base::escape::md_code;
use crate::base::format::{money, percent};
use crate::base::stats::paired::{Delta, quantile_change_se};
use crate::base::stats::{self, quantile_sorted, sorted};
use crate::model::Scenario;
use crate::model::doc::Node;
use crate::model::doc::diff::{Change, diff};
use crate::sim::engine::SimResult;

/// Mean, p95 and breach probability of one stack in one version.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Snapshot {
    pub mean: f64,
    pub p95: f64,
    pub breach_probability: Option<f64>,
}

/// The change of one figure, with the standard error of the paired difference.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Change1 {
    pub delta: f64,
    pub standard_error: f64,
}

impl Change1 {
    /// Whether the change is at least two standard errors from zero.
    pub(crate) fn is_clear(&self) -> bool {
        self.delta != 0.0 && self.delta.abs() >= 2.0 * self.standard_error
    }
}

/// One stack across the two versions; a stack only in one version has only that side.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct StackChange {
    pub name: String,
    pub old: Option<Snapshot>,
    pub new: Option<Snapshot>,
    pub mean: Option<Change1>,
    pub p95: Option<Change1>,
    pub breach_probability: Option<Change1>,
}

/// Everything `aicost diff` reports.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ScenarioDiff {
    pub old: String,
    pub new: String,
    pub scenario: String,
    pub trials: u64,
    pub seed: u64,
    pub old_budget_usd: Option<f64>,
    pub new_budget_usd: Option<f64>,
    pub keys: Vec<Change>,
    pub stacks: Vec<StackChange>,
}

fn snapshot(spend: &[f64], budget: Option<f64>) -> Snapshot {
    let s = sorted(spend);
    Snapshot {
        mean: stats::mean(spend),
        p95: quantile_sorted(&s, 0.95),
        breach_probability: budget
            .map(|b| spend.iter().filter(|x| **x > b).count() as f64 / spend.len().max(1) as f64),
    }
}

/// Compare two versions already simulated with the same seed and trials.
pub fn compare(
    old_label: &str,
    new_label: &str,
    old_doc: &Node,
    new_doc: &Node,
    old: (&Scenario, &SimResult),
    new: (&Scenario, &SimResult),
) -> ScenarioDiff {
    let (old_s, old_r) = old;
    let (new_s, new_r) = new;
    let old_budget = old_s.budget.as_ref().map(|b| b.monthly_usd);
    let new_budget = new_s.budget.as_ref().map(|b| b.monthly_usd);
    let mut names: Vec<&str> = new_r.stacks.iter().map(|s| s.name.as_str()).collect();
    for s in &old_r.stacks {
        if !names.contains(&s.name.as_str()) {
            names.push(&s.name);
        }
    }
    let stacks = names
        .into_iter()
        .map(|name| {
            let o = old_r.stacks.iter().find(|s| s.name == name);
            let n = new_r.stacks.iter().find(|s| s.name == name);
            let (mean, p95, breach) = match (o, n) {
                (Some(o), Some(n)) => {
                    let d = Delta::of(&o.spend, &n.spend);
                    let so = sorted(&o.spend);
                    let sn = sorted(&n.spend);
                    let p95 = Change1 {
                        delta: quantile_sorted(&sn, 0.95) - quantile_sorted(&so, 0.95),
                        standard_error: quantile_change_se(&o.spend, &n.spend, 0.95, new_r.seed),
                    };
                    let breach = match (old_budget, new_budget) {
                        (Some(bo), Some(bn)) => {
                            let d: Vec<f64> = o
                                .spend
                                .iter()
                                .zip(&n.spend)
                                .map(|(a, b)| {
                                    f64::from(u8::from(*b > bn)) - f64::from(u8::from(*a > bo))
                                })
                                .collect();
                            let dd = Delta::from_values(&d);
                            Some(Change1 {
                                delta: dd.mean,
                                standard_error: dd.standard_error,
                            })
                        }
                        _ => None,
                    };
                    (
                        Some(Change1 {
                            delta: d.mean,
                            standard_error: d.standard_error,
                        }),
                        Some(p95),
                        breach,
                    )
                }
                _ => (None, None, None),
            };
            StackChange {
                name: name.to_string(),
                old: o.map(|o| snapshot(&o.spend, old_budget)),
                new: n.map(|n| snapshot(&n.spend, new_budget)),
                mean,
                p95,
                breach_probability: breach,
            }
        })
        .collect();
    ScenarioDiff {
        old: old_label.to_string(),
        new: new_label.to_string(),
        scenario: new_s.name.clone(),
        trials: new_r.trials,
        seed: new_r.seed,
        old_budget_usd: old_budget,
        new_budget_usd: new_budget,
        keys: diff(old_doc, new_doc),
        stacks,
    }
}

/// A signed dollar change with its standard error: `+$222 ± 3`.
pub(crate) fn signed_money(x: f64, se: f64) -> String {
    let sign = if x > 0.0 {
        "+"
    } else if x < 0.0 {
        "−"
    } else {
        "±"
    };
    match crate::base::format::decimals_for_se(x, se) {
        Some(d) => format!(
            "{sign}${} ± {}",
            crate::base::format::fixed(x.abs(), d),
            crate::base::format::se_text(se, d)
        ),
        None => format!("{sign}{}", money(x.abs())),
    }
}

/// A signed change of a probability in percentage points: `+4.1 pts ± 0.3`.
pub(crate) fn signed_points(x: f64, se: f64) -> String {
    let pts = x * 100.0;
    let sign = if pts > 0.0 {
        "+"
    } else if pts < 0.0 {
        "−"
    } else {
        "±"
    };
    if se > 0.0 {
        format!("{sign}{:.1} pts ± {:.1}", pts.abs(), se * 100.0)
    } else {
        format!("{sign}{:.1} pts", pts.abs())
    }
}

fn relative(delta: f64, base: f64) -> String {
    if base > 0.0 {
        format!(" ({:+.1}%)", delta / base * 100.0)
    } else {
        String::new()
    }
}

/// Changes listed before the rest are folded away.
const OPEN_KEY_CHANGES: usize = 15;

/// The comparison as Markdown for a pull-request comment.
pub fn markdown(d: &ScenarioDiff) -> String {
    let mut out = String::new();
    out.push_str(&format!(
        "### aicost: forecast change for {}\n\n",
        md_code(&d.scenario)
    ));
    out.push_str(&format!(
        "{} → {} · {} simulated months per version · seed {} · both versions on the same months (common random numbers)\n\n",
        md_code(&d.old),
        md_code(&d.new),
        crate::base::format::count(d.trials as f64),
        d.seed
    ));
    if d.old_budget_usd != d.new_budget_usd {
        let b = |x: Option<f64>| x.map_or_else(|| "none".to_string(), money);
        out.push_str(&format!(
            "Budget: {} → {}\n\n",
            b(d.old_budget_usd),
            b(d.new_budget_usd)
        ));
    }
    let with_budget = d.old_budget_usd.is_some() || d.new_budget_usd.is_some();
    out.push_str("| stack | mean / month | Δ mean | p95 / month | Δ p95 |");
    if with_budget {
        out.push_str(" breach probability | Δ breach |");
    }
    out.push('\n');
    out.push_str("|---|---:|---:|---:|---:|");
    if with_budget {
        out.push_str("---:|---:|");
    }
    out.push('\n');
    for s in &d.stacks {
        let side =
            |x: Option<Snapshot>, f: &dyn Fn(Snapshot) -> String| x.map_or("—".to_string(), f);
        let pair =
            |f: &dyn Fn(Snapshot) -> String| format!("{} → {}", side(s.old, f), side(s.new, f));
        let bold = |c: &Change1, text: String| {
            if c.is_clear() {
                format!("**{text}**")
            } else {
                text
            }
        };
        let status = match (&s.old, &s.new) {
            (None, Some(_)) => " (added)",
            (Some(_), None) => " (removed)",
            _ => "",
        };
        let dmean = s.mean.as_ref().map_or("—".to_string(), |c| {
            let base = s.old.map_or(0.0, |o| o.mean);
            bold(
                c,
                format!(
                    "{}{}",
                    signed_money(c.delta, c.standard_error),
                    relative(c.delta, base)
                ),
            )
        });
        let dp95 = s.p95.as_ref().map_or("—".to_string(), |c| {
            let base = s.old.map_or(0.0, |o| o.p95);
            bold(
                c,
                format!(
                    "{}{}",
                    signed_money(c.delta, c.standard_error),
                    relative(c.delta, base)
                ),
            )
        });
        out.push_str(&format!(
            "| {}{status} | {} | {dmean} | {} | {dp95} |",
            md_code(&s.name),
            pair(&|x| money(x.mean)),
            pair(&|x| money(x.p95)),
        ));
        if with_budget {
            let p = |x: Snapshot| x.breach_probability.map_or("—".to_string(), percent);
            let db = s.breach_probability.as_ref().map_or("—".to_string(), |c| {
                bold(c, signed_points(c.delta, c.standard_error))
            });
            out.push_str(&format!(" {} | {db} |", pair(&p)));
        }
        out.push('\n');
    }
    out.push_str("\nBold: a change of at least 2 standard errors of the paired difference.\n\n");
    match d.keys.len() {
        0 => out.push_str("No keys changed.\n"),
        n => {
            let folded = n > OPEN_KEY_CHANGES;
            let title = format!("{n} key{} changed", if n == 1 { "" } else { "s" });
            if folded {
                out.push_str(&format!("<details><summary>{title}</summary>\n\n"));
            } else {
                out.push_str(&format!("{title}:\n\n"));
            }
            out.push_str("| key | old | new |\n|---|---|---|\n");
            for c in &d.keys {
                let (old, new) = match c {
                    Change::Added { new, .. } => ("—".to_string(), md_code(new)),
                    Change::Removed { old, .. } => (md_code(old), "—".to_string()),
                    Change::Changed { old, new, .. } => (md_code(old), md_code(new)),
                };
                out.push_str(&format!("| {} | {old} | {new} |\n", md_code(c.path())));
            }
            if folded {
                out.push_str("\n</details>\n");
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signed_amounts_read_naturally() {
        assert_eq!(signed_money(222.4, 3.1), "+$222.4 ± 3.1");
        assert_eq!(signed_money(-1500.0, 12.0), "−$1,500 ± 12");
        assert_eq!(signed_money(0.0, 0.0), "±$0.00");
        assert_eq!(signed_points(0.041, 0.003), "+4.1 pts ± 0.3");
        assert_eq!(signed_points(-0.5, 0.0), "−50.0 pts");
    }
}
