//! The brief of a comparison: the plans side by side, the paired differences, and their
//! Markdown and HTML.

use crate::analysis::compare::Comparison;
use crate::base::format::{count, money, prob_inline, share_inline};
use crate::render::blocks::{Block, Inline, Table, lead, para};
use crate::render::charts::{self, Chart};

use super::text::*;

/// The blocks of a comparison.
pub(crate) fn comparison_blocks(c: &Comparison, charts: Option<&[Chart]>) -> Vec<Block> {
    let mut b = Vec::new();
    b.push(Block::Title(format!("Comparison: {}", c.title)));
    b.push(Block::Para(vec![Inline::Text(format!(
        "{} simulated months per plan · seed {} · {} engine · common random numbers: in every simulated month all plans see the same users, sessions and prompts, so each difference below is measured month by month.{}",
        count(c.trials as f64),
        c.seed,
        c.engine,
        if c.partial {
            " PARTIAL: the run was stopped before all trials finished."
        } else {
            ""
        }
    ))]));
    b.push(lead(
        "Recommendation.",
        format!(" {}", c.recommendation.text),
    ));
    b.push(Block::Heading("Plans".to_string()));
    b.push(Block::Table(plans_table(c)));
    b.push(Block::Heading("Differences, month by month".to_string()));
    b.push(para(
        "Each column is one pair: the first plan's spend minus the second's in the same simulated month, so a negative difference means the first plan (A) is cheaper.",
    ));
    b.push(Block::Table(differences_table(c)));
    if let Some(charts) = charts {
        for chart in charts {
            b.push(Block::Figure {
                svg: chart.svg.clone(),
                caption: chart.caption.clone(),
            });
        }
    }
    let latency = if latency_workflows(c).is_empty() {
        ""
    } else {
        " Latency percentiles come from sampled requests, with distribution-free 95% intervals; the two plans do not share their samples one for one, so the standard error of a latency difference treats them as independent. A plan qualifies only if it also meets every latency target of its scenario."
    };
    b.push(Block::Note(format!(
        "aicost {} · ± is one standard error; p5 – p95 is the middle 90% of monthly differences. \"Noise vs independent runs\" is how many times smaller the standard error of the mean difference is than two independent runs of the same size would give. A plan meets its budget when its breach probability is at most {}.{latency}",
        c.aicost_version,
        crate::analysis::compare::whole_percent(c.max_breach_probability)
    )));
    b
}

pub(super) fn plans_table(c: &Comparison) -> Table {
    let mut head = vec!["".to_string()];
    head.extend(c.plans.iter().map(|p| p.label.clone()));
    let mut t = Table::numeric(head);
    let mut row = |label: String, cells: Vec<String>| {
        let mut r = vec![label];
        r.extend(cells);
        t.row(r);
    };
    row(
        "Mean monthly spend".to_string(),
        c.plans
            .iter()
            .map(|p| usd_inline(&p.monthly_spend_usd))
            .collect(),
    );
    row(
        "p95 month".to_string(),
        c.plans
            .iter()
            .map(|p| interval_inline(&p.p95_usd))
            .collect(),
    );
    if c.plans.iter().any(|p| p.budget_usd.is_some()) {
        let budgets: Vec<String> = c
            .plans
            .iter()
            .map(|p| p.budget_usd.map_or("none".to_string(), money))
            .collect();
        let same = budgets.windows(2).all(|w| w[0] == w[1]);
        if same {
            row(
                format!("Breach probability (> {})", budgets[0]),
                c.plans
                    .iter()
                    .map(|p| {
                        p.breach_probability.map_or("n/a".to_string(), |e| {
                            prob_inline(&e, Some(c.trials as usize))
                        })
                    })
                    .collect(),
            );
        } else {
            row("Budget".to_string(), budgets);
            row(
                "Breach probability".to_string(),
                c.plans
                    .iter()
                    .map(|p| {
                        p.breach_probability.map_or("n/a".to_string(), |e| {
                            prob_inline(&e, Some(c.trials as usize))
                        })
                    })
                    .collect(),
            );
        }
    }
    row(
        "Acceptance rate".to_string(),
        c.plans
            .iter()
            .map(|p| {
                p.acceptance_rate
                    .map_or("n/a".to_string(), |e| share_inline(&e, p.counts_expected))
            })
            .collect(),
    );
    row(
        "Cost per accepted task".to_string(),
        c.plans
            .iter()
            .map(|p| {
                p.cost_per_accepted_task_usd
                    .map_or("n/a".to_string(), |e| usd_inline(&e))
            })
            .collect(),
    );
    if c.plans.iter().any(|p| p.window_refused.is_some()) {
        row(
            "Requests refused: input beyond a model's window (not billed)".to_string(),
            c.plans
                .iter()
                .map(|p| {
                    p.window_refused.as_ref().map_or("n/a".to_string(), |e| {
                        if e.value == 0.0 {
                            "none".to_string()
                        } else {
                            share_inline(e, p.counts_expected)
                        }
                    })
                })
                .collect(),
        );
    }
    for w in latency_workflows(c) {
        row(
            format!("p95 latency, {w}"),
            c.plans
                .iter()
                .map(|p| {
                    p.latency
                        .iter()
                        .find(|l| l.workflow == w)
                        .map_or("not modelled".to_string(), |l| ms_inline(&l.p95_ms))
                })
                .collect(),
        );
    }
    if c.plans.iter().any(|p| p.has_latency_target()) {
        row(
            "Latency targets".to_string(),
            c.plans
                .iter()
                .map(|p| match (p.latency_target_met, p.latency_misses()) {
                    (_, Some(missed)) => format!("misses {missed}"),
                    (Some(true), None) => "all met".to_string(),
                    (None, None) if !p.latency_unchecked.is_empty() => format!(
                        "unchecked ({} not modelled)",
                        p.latency_unchecked.join(", ")
                    ),
                    _ => "none set".to_string(),
                })
                .collect(),
        );
    }
    t
}

/// Workflows whose latency some plan of a comparison models, in first-seen order.
pub(super) fn latency_workflows(c: &Comparison) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for l in c.plans.iter().flat_map(|p| &p.latency) {
        if !names.contains(&l.workflow) {
            names.push(l.workflow.clone());
        }
    }
    names
}

pub(super) fn differences_table(c: &Comparison) -> Table {
    let mut head = vec!["A − B".to_string()];
    head.extend(c.differences.iter().map(|d| format!("{} − {}", d.a, d.b)));
    let mut t = Table::numeric(head);
    let n = Some(c.trials as usize);
    let mut row = |label: &str, f: &dyn Fn(&crate::analysis::compare::Difference) -> String| {
        let mut r = vec![label.to_string()];
        r.extend(c.differences.iter().map(f));
        t.row(r);
    };
    row("Mean difference per month", &|d| usd_inline(&d.mean_usd));
    row("Middle 90% of months (p5 – p95)", &|d| {
        let se = d.mean_usd.standard_error;
        if se > 0.0 {
            format!("{} – {}", money_r(d.p5_usd, se), money_r(d.p95_usd, se))
        } else {
            format!("{} – {}", money(d.p5_usd), money(d.p95_usd))
        }
    });
    row("P(A cheaper)", &|d| {
        prob_inline(&d.probability_a_cheaper, n)
    });
    if c.differences
        .iter()
        .any(|d| d.breach_probability_difference.is_some())
    {
        row("Δ breach probability", &|d| {
            d.breach_probability_difference
                .map_or("n/a".to_string(), |e| points_diff(&e))
        });
    }
    row("Δ acceptance rate", &|d| {
        d.acceptance_rate_difference
            .map_or("n/a".to_string(), |e| points_diff(&e))
    });
    for w in latency_workflows(c) {
        row(&format!("Δ p95 latency, {w}"), &|d| {
            d.latency_p95_differences
                .iter()
                .find(|l| l.workflow == w)
                .map_or("n/a".to_string(), |l| ms_diff(&l.difference_ms))
        });
    }
    if c.differences.iter().any(|d| d.break_even.is_some()) {
        row("Break-even month (p5 – median – p95)", &|d| {
            d.break_even
                .as_ref()
                .map_or("n/a".to_string(), break_even_months)
        });
        row("P(paid back within the horizon)", &|d| {
            d.break_even.as_ref().map_or("n/a".to_string(), |b| {
                prob_inline(&b.probability_within_horizon, n)
            })
        });
    }
    row("Noise vs independent runs", &|d| {
        d.noise_reduction().map_or("n/a".to_string(), |r| {
            if r >= 10.0 {
                format!("{r:.0}× smaller")
            } else {
                format!("{r:.1}× smaller")
            }
        })
    });
    t
}

/// `month 3 – 4 – 6 of 12 (fine-tune pays back)`: the break-even months' percentiles, a month
/// beyond the horizon written `> 12`.
fn break_even_months(b: &crate::analysis::break_even::BreakEven) -> String {
    let month = |m: Option<u32>| m.map_or(format!("> {}", b.months), |m| m.to_string());
    format!(
        "month {} – {} – {} of {} ({} pays back)",
        month(b.p5_month),
        month(b.median_month),
        month(b.p95_month),
        b.months,
        b.investing
    )
}

/// The comparison as Markdown.
pub fn comparison_markdown(c: &Comparison) -> String {
    crate::render::markdown::render(&comparison_blocks(c, None))
}

/// The comparison as one self-contained HTML page.
pub(crate) fn comparison_html(c: &Comparison) -> String {
    let charts = charts::comparison(c);
    crate::render::html::render(
        &format!("Comparison: {}", c.title),
        &comparison_blocks(c, Some(&charts)),
    )
}
