//! The dashboard brief: what a finance lead or a reviewer reads. A verdict in plain words, the
//! scenario, then per stack its spend percentiles, breach probability, unit costs, cost drivers,
//! alerts and per-user spread — every figure with its standard error (`±`) or a 95% interval, and
//! rounded to what that uncertainty allows. The same blocks render as Markdown and as HTML (where
//! the charts join them).

use super::blocks::{Block, lead, para};
use super::charts::{self, Chart};
use crate::analysis::compare::{Comparison, DEFAULT_MAX_BREACH};
use crate::analysis::detail::{Detail, StackDetail};
use crate::analysis::report::Report;
use crate::base::format::{count, money, prob_inline};
use crate::base::stats::estimate::Estimate;
use crate::model::Scenario;
use crate::sim::engine::SimResult;

mod compare;
mod tables;
mod text;

pub use compare::comparison_markdown;
pub(crate) use compare::{comparison_blocks, comparison_html};
use tables::*;
/// Everything a brief of one simulation needs.
#[derive(Clone, Debug)]
pub struct Brief {
    pub report: Report,
    pub detail: Detail,
    pub comparison: Comparison,
    /// The inputs behind the figures (prices with their source, traffic, tokens).
    pub assumptions: Vec<Block>,
    /// Each segment's head-count as the scenario states it (its mean, first month): the one
    /// figure the scenario summary and the assumptions' traffic table both print.
    pub head_counts: Vec<f64>,
}

impl Brief {
    pub fn new(s: &Scenario, r: &SimResult) -> Brief {
        Brief {
            report: Report::new(s, r),
            detail: Detail::new(s, r),
            comparison: Comparison::of_stacks(s, r, DEFAULT_MAX_BREACH),
            assumptions: super::assumptions::blocks(s),
            head_counts: s.segments.iter().map(|g| g.users.mean()).collect(),
        }
    }

    /// The brief as Markdown.
    pub fn markdown(&self) -> String {
        super::markdown::render(&self.blocks(None))
    }

    /// The brief as one self-contained HTML page with its charts.
    pub fn html(&self) -> String {
        let charts = charts::simulation(&self.report, &self.detail);
        super::html::render(
            &format!("Cost brief: {}", self.report.scenario),
            &self.blocks(Some(&charts)),
        )
    }

    /// The charts alone.
    pub fn charts(&self) -> Vec<Chart> {
        charts::simulation(&self.report, &self.detail)
    }

    /// The brief as blocks; charts are placed where they belong when given.
    pub(crate) fn blocks(&self, charts: Option<&[Chart]>) -> Vec<Block> {
        let mut blocks = simulation_blocks(
            &self.report,
            &self.detail,
            &self.comparison,
            &self.head_counts,
            charts,
        );
        // The assumptions follow the scenario's summary, before the first figures.
        let at = blocks
            .iter()
            .position(|b| matches!(b, Block::Heading(h) if h == "At a glance"))
            .unwrap_or(blocks.len());
        blocks.splice(at..at, self.assumptions.iter().cloned());
        blocks
    }
}

// ---- figures with their uncertainty ------------------------------------------------------------

fn verdict(report: &Report, detail: &Detail) -> Option<String> {
    let budget = report.budget_usd?;
    let mut under: Vec<(&str, Estimate)> = detail
        .stacks
        .iter()
        .filter_map(|s| {
            s.breach_probability.map(|b| {
                (
                    s.name.as_str(),
                    Estimate::new(1.0 - b.value, b.standard_error),
                )
            })
        })
        .collect();
    under.sort_by(|a, b| b.1.value.total_cmp(&a.1.value));
    let mut parts = under.iter().enumerate().map(|(i, (name, p))| {
        if i == 0 {
            format!(
                "{name} stays under the {} budget in {} of months",
                money(budget),
                prob_inline(p, Some(report.trials as usize))
            )
        } else {
            format!("{name} in {}", prob_inline(p, Some(report.trials as usize)))
        }
    });
    let first = parts.next()?;
    let rest: Vec<String> = parts.collect();
    Some(if rest.is_empty() {
        format!("{first}.")
    } else {
        format!("{first}; {}.", rest.join("; "))
    })
}

/// The sections of the features a scenario uses — hard cap, contracts, incidents, latency and a
/// multi-month horizon — and nothing about those it does not.
fn risk_blocks(report: &Report, s: &StackDetail) -> Vec<Block> {
    let n = report.trials as usize;
    let mut b = Vec::new();
    if let Some(h) = &s.horizon {
        b.push(Block::Subheading(format!(
            "Horizon of {} months",
            h.months.len()
        )));
        b.push(para(
            "Spend over the whole horizon (the figure a multi-month budget or an RFP asks for), then each month of it.",
        ));
        b.push(Block::Table(horizon_total_table(h, n)));
        b.push(Block::Table(months_table(h, report.budget_usd, n)));
    }
    if let Some(c) = &s.hard_cap {
        b.push(Block::Subheading(format!(
            "Hard cap at {}",
            money(c.cap_usd)
        )));
        b.push(para(
            "Once a request would take the month past the cap, it and every later request of the month are refused and nothing more is billed.",
        ));
        b.push(Block::Table(hard_cap_table(c, n)));
    }
    b.extend(crate::render::policy::brief_blocks(report, &s.name));
    b.extend(crate::render::quota::brief_blocks(report, &s.name));
    for c in &s.contracts {
        b.push(Block::Subheading(format!("Contract {}", c.name)));
        b.push(para(contract_terms(c)));
        b.push(Block::Table(contract_table(c, n)));
    }
    if let Some(i) = &s.incidents {
        b.push(Block::Subheading("Incidents".to_string()));
        let mut text = "Requests inside an incident's window run again; the extra spend is what those repetitions cost.".to_string();
        if let Some(cap) = &s.hard_cap
            && s.p99.value >= cap.cap_usd * (1.0 - 1e-6)
        {
            text.push_str(&format!(
                " The p99 month is held at the {} hard cap, so in the tail incidents show up as refused requests rather than spend.",
                money(cap.cap_usd)
            ));
        }
        b.push(para(text));
        b.push(Block::Table(incidents_table(s, i, n)));
    }
    if !s.latency.is_empty() {
        b.push(Block::Subheading("Latency".to_string()));
        let samples = s.latency.iter().map(|l| l.samples).min().unwrap_or(0);
        b.push(para(format!(
            "Time to complete a request: every call's first-token time plus its generated tokens at the model's speed; at least {} requests sampled per workflow.",
            count(samples as f64)
        )));
        b.push(Block::Table(latency_table(&s.latency)));
    }
    b
}

fn figure(charts: Option<&[Chart]>, file: &str) -> Option<Block> {
    charts?
        .iter()
        .find(|c| c.file == file)
        .map(|c| Block::Figure {
            svg: c.svg.clone(),
            caption: c.caption.clone(),
        })
}

/// The blocks of a simulation brief.
pub(crate) fn simulation_blocks(
    report: &Report,
    detail: &Detail,
    comparison: &Comparison,
    head_counts: &[f64],
    charts: Option<&[Chart]>,
) -> Vec<Block> {
    let mut b = Vec::new();
    b.push(Block::Title(format!("Cost brief: {}", report.scenario)));
    if let Some(d) = &report.description {
        b.push(para(d.clone()));
    }
    if report.partial {
        b.push(lead(
            "Partial result.",
            " The run was stopped before all trials finished; figures use the months simulated.",
        ));
    }
    if let Some(v) = verdict(report, detail) {
        b.push(lead("Verdict.", format!(" {v}")));
    }
    if let Some(w) = crate::analysis::report::cap_warning(report) {
        let mut chars = w.chars();
        let first = chars.next().map(|c| c.to_uppercase().to_string());
        b.push(lead(
            "Hard cap.",
            format!(" {}{}.", first.unwrap_or_default(), chars.as_str()),
        ));
    }
    b.push(lead(
        "Recommendation.",
        format!(" {}", comparison.recommendation.text),
    ));
    b.push(Block::Heading("Scenario".to_string()));
    b.push(Block::Table(scenario_table(report, detail, head_counts)));
    b.push(Block::Heading("At a glance".to_string()));
    b.push(Block::Table(glance_table(report, detail)));
    b.extend(figure(charts, "histogram.svg"));
    b.extend(figure(charts, "cdf.svg"));
    if charts.is_some() {
        b.push(Block::Heading("Through the month".to_string()));
        b.extend(figure(charts, "fan.svg"));
        if report.months > 1 {
            b.push(Block::Heading("Month by month".to_string()));
            b.extend(figure(charts, super::charts::MONTHS_FILE));
        }
        b.push(Block::Heading("Cost drivers".to_string()));
        b.extend(figure(charts, "drivers.svg"));
        b.push(Block::Heading("Cost per user".to_string()));
        b.extend(figure(charts, "segments.svg"));
    }
    for s in &detail.stacks {
        b.push(Block::Heading(format!("Stack {}", s.name)));
        b.push(Block::Table(stack_table(report, s)));
        b.extend(risk_blocks(report, s));
        b.push(Block::Subheading("Cost drivers".to_string()));
        b.push(Block::Table(drivers_table(s)));
        if !s.alerts.is_empty() {
            b.push(Block::Subheading("Alerts".to_string()));
            b.push(para(
                "An alert fires on the first day that spend since the 1st passes its threshold.",
            ));
            b.push(Block::Table(alerts_table(s, report.trials as usize)));
        }
        if !s.segments.is_empty() {
            b.push(Block::Subheading("One user's monthly cost".to_string()));
            b.push(Block::Table(segments_table(s)));
        }
    }
    if let Some(kept) = report.detail_trials {
        let horizon = if report.months > 1 && report.all_months_kept {
            ", each month of the horizon and the horizon total"
        } else {
            ""
        };
        b.push(Block::Note(format!(
            "The monthly spend's mean, percentiles, breach and alert probabilities{horizon} cover all {} trials; the other figures come from the first {}, the detail a run keeps.",
            count(report.trials as f64),
            count(kept as f64)
        )));
    }
    let horizon = if report.months > 1 {
        format!(
            " Each simulated horizon of {} months is one independent draw: standard errors of means, shares and probabilities come from per-horizon totals, while percentile intervals of pooled months treat months as independent and are somewhat too narrow.",
            report.months
        )
    } else {
        String::new()
    };
    b.push(Block::Note(format!(
        "aicost {} · {} {} · seed {} · ± is one standard error; intervals are 95%; figures are rounded to what their uncertainty allows. Percentiles interpolate between order statistics; their intervals are distribution-free. The per-user spread describes sampled users and is not an estimate of one figure.{horizon}",
        report.aicost_version,
        count(report.trials as f64),
        if report.months > 1 { "horizons" } else { "months" },
        report.seed
    )));
    b
}

// ---- the comparison brief -------------------------------------------------------------------

#[cfg(test)]
mod tests {
    use super::text::count_interval;
    use crate::base::stats::estimate::Interval;

    #[test]
    fn an_interval_of_no_width_is_printed_as_one_not_as_equal_months() {
        // 10,000 months of which 380 (3.8%) refuse requests: the p95 month refuses none, and so
        // do the order statistics of ranks 9,500 ∓ 1.96·√(10,000·0.95·0.05) = 9,457 and 9,543,
        // all below rank 9,620 where the refusing months begin; yet the months are not all equal.
        let mut v = vec![0.0; 9_620];
        v.extend((0..380).map(|i| 1_000.0 + f64::from(i)));
        let i = Interval::quantile(&v, 0.95);
        assert_eq!((i.value, i.low, i.high), (0.0, 0.0, 0.0));
        assert_eq!(
            count_interval(&i),
            ("0".to_string(), "95% CI 0 – 0".to_string())
        );
    }
}
