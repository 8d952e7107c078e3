//! The charts of a brief: report figures mapped onto [`crate::render::plot`]'s drawing functions.

use crate::analysis::compare::Comparison;
use crate::analysis::detail::Detail;
use crate::analysis::report::Report;
use crate::base::format::money;
use crate::render::plot::{self, Bar, BarGroup, Boxes, PlotError, Reference, Series};

/// One chart: the file name `aicost plot` gives it, a caption, the SVG.
#[derive(Clone, Debug, PartialEq)]
pub struct Chart {
    pub file: &'static str,
    pub title: String,
    pub caption: String,
    pub svg: String,
}

fn chart(
    file: &'static str,
    title: &str,
    caption: String,
    svg: Result<String, PlotError>,
) -> Chart {
    Chart {
        file,
        title: title.to_string(),
        caption,
        svg: svg.unwrap_or_else(|e| plot::unavailable(title, &e.0)),
    }
}

fn pct_label(f: f64) -> String {
    let p = f * 100.0;
    if (p - p.round()).abs() < 1e-9 {
        format!("{p:.0}%")
    } else {
        format!("{p:.1}%")
    }
}

/// The files of [`simulation`]'s charts, in order.
pub const FILES: [&str; 5] = [
    "histogram.svg",
    "cdf.svg",
    "fan.svg",
    "drivers.svg",
    "segments.svg",
];

/// The chart a scenario with a horizon of several months adds after [`FILES`].
pub(crate) const MONTHS_FILE: &str = "months.svg";

/// The files of [`simulation`]'s charts for a horizon of `months` months, in order.
pub fn files(months: u32) -> Vec<&'static str> {
    let mut out = FILES[..3].to_vec();
    if months > 1 {
        out.push(MONTHS_FILE);
    }
    out.extend(&FILES[3..]);
    out
}

/// The charts of a simulation brief: the five of [`FILES`], and `MONTHS_FILE` after the fan
/// chart when a trial spans several months.
// Long on purpose: the charts of one simulation listed in the order the brief shows them, each a
// few lines of the same series and scales.
pub fn simulation(report: &Report, detail: &Detail) -> Vec<Chart> {
    let series: Vec<Series> = detail
        .stacks
        .iter()
        .map(|s| Series {
            name: &s.name,
            values: &s.sorted_spend,
        })
        .collect();
    let budget = report.budget_usd;
    let months = pooled_months(report.trials, report.months);
    let budget_words = budget.map_or(String::new(), |b| {
        format!(
            " the {} budget (or a note where it lies far off the chart),",
            money(b)
        )
    });
    let mut charts = Vec::new();

    let title = "Monthly spend per stack";
    charts.push(chart(
        "histogram.svg",
        title,
        format!(
            "Share of {months} by the month's total spend. Solid line:{budget_words} dashed lines: each stack's 95th percentile (p95). The most extreme 0.25% of months at each end are left out of the picture, not out of the figures."
        ),
        plot::histogram(
            title,
            &series,
            budget
                .map(|b| Reference {
                    legend: "budget".to_string(),
                    text: format!("budget {}", money(b)),
                    at: b,
                })
                .as_ref(),
        ),
    ));

    let title = "How often each stack stays within budget";
    charts.push(chart(
        "cdf.svg",
        title,
        format!(
            "Cumulative share of the {months} at or below each spend. Where a curve crosses the{} budget line, the rest of its months are over budget: the labelled breach probability.",
            budget.map_or(String::new(), |b| format!(" {}", money(b)))
        ),
        plot::cdf(title, &series, budget),
    ));

    let title = "Cumulative spend through the month";
    let mut lines: Vec<(String, f64)> = budget
        .map(|b| {
            detail
                .alert_fractions
                .iter()
                .map(|f| (format!("{} alert · {}", pct_label(*f), money(f * b)), f * b))
                .collect()
        })
        .unwrap_or_default();
    // Months that reach a hard cap flatten at it: the line says why the band stops there.
    let cap = detail
        .stacks
        .iter()
        .find_map(|s| s.hard_cap.as_ref())
        .map(|c| c.cap_usd);
    if let Some(cap) = cap {
        lines.push((format!("hard cap {}", money(cap)), cap));
    }
    let bands: Vec<Vec<plot::Band>> = detail
        .stacks
        .iter()
        .map(|s| {
            s.cumulative
                .iter()
                .map(|d| plot::Band {
                    day: d.day,
                    p5: d.p5,
                    p25: d.p25,
                    p50: d.p50,
                    p75: d.p75,
                    p95: d.p95,
                })
                .collect()
        })
        .collect();
    let fans = fans(detail, &bands);
    charts.push(chart(
        "fan.svg",
        title,
        format!(
            "Spend since the first of the month, day by day, over the {months}: the line is the median month, the bands hold the middle 50% and 90% of months. Dashed lines are the alert thresholds{}; a band crossing one means the alert fires in some months by that day.",
            if cap.is_some() { " and the hard cap, where spend stops" } else { "" }
        ),
        plot::fan(title, &fans, &lines, plot::Axis::Days),
    ));
    if let Some(c) = months_chart(report, detail) {
        charts.push(c);
    }

    /// The part of a workflow or model bar that no workflow or model is charged.
    const REST: &str = "charged to none";
    let title = "Where the money goes";
    let groups: Vec<BarGroup> = detail
        .stacks
        .iter()
        .map(|s| {
            // Every bar adds up to the mean, so its percentages are the table's shares of the
            // mean: what no workflow or model is charged (fees of no model, discounts, unused
            // commitment) is a part of its own rather than spread over the others.
            let parts = |shares: &[crate::analysis::detail::Share]| {
                let mut parts: Vec<(String, f64)> = shares
                    .iter()
                    .map(|p| (p.name.clone(), p.monthly_usd.value))
                    .collect();
                let rest = s.mean.value - parts.iter().map(|p| p.1).sum::<f64>();
                if rest.is_finite() && rest.abs() > 1e-9 * s.mean.value.abs().max(1e-9) {
                    parts.push((REST.to_string(), rest));
                }
                parts
            };
            let mut bars = vec![
                Bar {
                    label: "workflow".to_string(),
                    parts: parts(&s.workflows),
                },
                Bar {
                    label: "model".to_string(),
                    parts: parts(&s.models),
                },
                Bar {
                    label: "billing class".to_string(),
                    // Every class spent on; discounts are negative and drawn left of zero.
                    parts: s
                        .token_kinds
                        .iter()
                        .map(|p| (p.name.clone(), p.monthly_usd.value))
                        .collect(),
                },
            ];
            if let Some(r) = &s.retries {
                bars.push(Bar {
                    label: "retries".to_string(),
                    parts: vec![
                        (
                            "first calls".to_string(),
                            s.mean.value - r.monthly_usd.value,
                        ),
                        ("retries".to_string(), r.monthly_usd.value),
                    ],
                });
            }
            BarGroup {
                name: s.name.clone(),
                bars,
            }
        })
        .collect();
    charts.push(chart(
        "drivers.svg",
        title,
        format!("Mean monthly spend of each stack split four ways: by workflow, by model, by billing class (input, cached input, cache writes, output, reasoning, images, audio, tool and other fees, volume and contract discounts, unused commitment) and into first calls and retries (calls after the first of each step). Each bar adds up to the stack's mean; discounts are drawn left of zero, so a billing-class bar with a discount spans more than the mean by the discount's width. Percentages are shares of the mean, as in each stack's cost-driver table: a discount's share is negative. What no workflow or model is charged (fees of no model, discounts, unused commitment) is its own part of those bars, named \"{REST}\"."),
        plot::drivers(title, &groups),
    ));

    let title = "Cost per user, by segment";
    let segments: Vec<&str> = report.stacks.first().map_or(Vec::new(), |s| {
        s.segments.iter().map(|g| g.name.as_str()).collect()
    });
    let boxes: Vec<(&str, Vec<Boxes>)> = detail
        .stacks
        .iter()
        .map(|s| {
            (
                s.name.as_str(),
                s.segments
                    .iter()
                    .map(|g| Boxes {
                        p5: g.p5,
                        p25: g.p25,
                        p50: g.p50,
                        p75: g.p75,
                        p95: g.p95,
                    })
                    .collect(),
            )
        })
        .collect();
    charts.push(chart(
        "segments.svg",
        title,
        "One user's monthly cost within each segment, from the users sampled in every simulated month: the box holds the middle half of users, the whiskers reach the 5th and 95th percentiles, the dark tick is the median user.".to_string(),
        plot::spread(title, &segments, &boxes),
    ));
    charts
}

/// The months a figure is a share of, in words: `10,000 simulated months`, or for a horizon of
/// several months `12,000 simulated months (1,000 simulated horizons × 12 months, pooled)`.
pub fn pooled_months(trials: u64, months: u32) -> String {
    use crate::base::format::count;
    let months = months.max(1);
    let pooled = count(trials as f64 * f64::from(months));
    if months == 1 {
        format!("{pooled} simulated months")
    } else {
        format!(
            "{pooled} simulated months ({} simulated horizons × {months} months, pooled)",
            count(trials as f64)
        )
    }
}

/// Each stack's name beside its bands, as [`plot::fan`] draws them.
fn fans<'a>(detail: &'a Detail, bands: &'a [Vec<plot::Band>]) -> Vec<(&'a str, &'a [plot::Band])> {
    detail
        .stacks
        .iter()
        .zip(bands)
        .map(|(s, b)| (s.name.as_str(), b.as_slice()))
        .collect()
}

/// The chart of a horizon's months: each month's spend per stack (median, middle 50% and 90% of
/// simulated months) against the monthly budget and the hard cap; `None` for one month.
fn months_chart(report: &Report, detail: &Detail) -> Option<Chart> {
    if detail.months <= 1 {
        return None;
    }
    let bands: Vec<Vec<plot::Band>> = detail
        .stacks
        .iter()
        .map(|s| {
            s.horizon.as_ref().map_or_else(Vec::new, |h| {
                h.months
                    .iter()
                    .map(|m| plot::Band {
                        day: m.month,
                        p5: m.p5,
                        p25: m.p25,
                        p50: m.p50.value,
                        p75: m.p75,
                        p95: m.p95.value,
                    })
                    .collect()
            })
        })
        .collect();
    let fans = fans(detail, &bands);
    let mut lines: Vec<(String, f64)> = Vec::new();
    if let Some(b) = report.budget_usd {
        lines.push((format!("budget {}", money(b)), b));
    }
    if let Some(cap) = detail.stacks.iter().find_map(|s| s.hard_cap.as_ref()) {
        lines.push((format!("hard cap {}", money(cap.cap_usd)), cap.cap_usd));
    }
    let title = "Spend month by month";
    Some(chart(
        MONTHS_FILE,
        title,
        format!(
            "Each month of the {}-month horizon: the line is that month's median over the {} simulated horizons, the bands hold the middle 50% and 90% of them (each point is a share of {} months, not of the pooled ones). Dashed lines are the monthly budget and the hard cap; a band above the budget line means that month breaches it in some horizons.",
            detail.months,
            crate::base::format::count(report.trials as f64),
            crate::base::format::count(report.trials as f64),
        ),
        plot::fan(title, &fans, &lines, plot::Axis::Months),
    ))
}

/// The charts of a comparison: the paired differences and each plan's CDF.
pub fn comparison(c: &Comparison) -> Vec<Chart> {
    let labels: Vec<String> = c
        .differences
        .iter()
        .map(|d| format!("{} − {}", d.a, d.b))
        .collect();
    let sorted: Vec<Vec<f64>> = c
        .differences
        .iter()
        .map(|d| crate::base::stats::sorted(&d.per_trial))
        .collect();
    let series: Vec<Series> = labels
        .iter()
        .zip(&sorted)
        .map(|(l, v)| Series { name: l, values: v })
        .collect();
    let mut charts = Vec::new();
    let title = "Difference in monthly spend, month by month";
    charts.push(chart(
        "difference.svg",
        title,
        "Spend of the first plan minus spend of the second in the same simulated month (same users, sessions and prompts). Left of zero, the first plan is cheaper that month.".to_string(),
        plot::histogram(
            title,
            &series,
            Some(&Reference {
                legend: "no difference".to_string(),
                text: "no difference".to_string(),
                at: 0.0,
            }),
        ),
    ));
    let plan_sorted: Vec<Vec<f64>> = c
        .plans
        .iter()
        .map(|p| crate::base::stats::sorted(&p.spend))
        .collect();
    let plan_series: Vec<Series> = c
        .plans
        .iter()
        .zip(&plan_sorted)
        .map(|(p, v)| Series {
            name: &p.label,
            values: v,
        })
        .collect();
    let budgets: Vec<f64> = c.plans.iter().filter_map(|p| p.budget_usd).collect();
    let budget = budgets
        .first()
        .copied()
        .filter(|b| budgets.len() == c.plans.len() && budgets.iter().all(|x| x == b));
    let title = "How often each plan stays within budget";
    charts.push(chart(
        "cdf.svg",
        title,
        "Cumulative share of months at or below each spend; where a curve crosses the budget line, the rest of its months are over budget.".to_string(),
        plot::cdf(title, &plan_series, budget),
    ));
    charts
}
