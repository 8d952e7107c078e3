//! The dashboard brief: what a finance lead or a reviewer reads. A verdict in plain words, the
//! scenario, then per stack its spend percentiles, breach probability, unit costs, cost drivers,
//! alerts and per-user spread — every figure with its standard error (`±`) or a 95% interval, and
//! rounded to what that uncertainty allows. The same blocks render as Markdown and as HTML (where
//! the charts join them).

use super::blocks::{Block, Inline, Table, lead, para};
use super::charts::{self, Chart};
use crate::analysis::compare::{Comparison, DEFAULT_MAX_BREACH};
use crate::analysis::detail::{
    CapDetail, ContractDetail, Detail, HorizonDetail, IncidentsDetail, LatencyDetail, Share,
    StackDetail,
};
use crate::analysis::report::Report;
use crate::base::format::{
    count, decimals_for_se, fixed, money, money_decimals_for_se, money_rounded, ms_value,
    pct_value, percent, prob, prob_inline, se_text, share_inline,
};
use crate::base::stats::estimate::{Estimate, Interval};
use crate::model::Scenario;
use crate::sim::engine::SimResult;

/// Everything a brief of one simulation needs.
#[derive(Clone, Debug)]
pub struct Brief {
    pub report: Report,
    pub detail: Detail,
    pub comparison: Comparison,
    /// The inputs behind the figures (prices with their source, traffic, tokens).
    pub assumptions: Vec<Block>,
}

impl Brief {
    pub fn new(s: &Scenario, r: &SimResult) -> Brief {
        Brief {
            report: Report::new(s, r),
            detail: Detail::new(s, r),
            comparison: Comparison::of_stacks(s, r, DEFAULT_MAX_BREACH),
            assumptions: super::assumptions::blocks(s),
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
    pub fn blocks(&self, charts: Option<&[Chart]>) -> Vec<Block> {
        let mut blocks = simulation_blocks(&self.report, &self.detail, &self.comparison, charts);
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

/// A dollar amount rounded to what `se` allows, with the sign before the dollar: `-$1,234`.
fn money_r(x: f64, se: f64) -> String {
    let body = money_rounded(x.abs(), se);
    if x < 0.0 && body.chars().any(|c| c.is_ascii_digit() && c != '0') {
        format!("-{body}")
    } else {
        body
    }
}

/// A dollar estimate rounded to its standard error, and the `± se` that goes with it. An error
/// below a billionth of the figure is floating-point dust on a figure that does not vary.
fn usd(e: &Estimate) -> (String, String) {
    let se = if e.standard_error.abs() <= 1e-9 * e.value.abs() {
        0.0
    } else {
        e.standard_error
    };
    match money_decimals_for_se(e.value, se) {
        Some(d) => (money_r(e.value, se), format!("± {}", se_text(se, d))),
        None if se == 0.0 => (money(e.value), "± 0 (no randomness)".to_string()),
        None => (money(e.value), "n/a (too few trials)".to_string()),
    }
}

/// `$2,345.7 ± 3.0` in one string.
fn usd_inline(e: &Estimate) -> String {
    let (v, se) = usd(e);
    if se.starts_with('±') {
        format!("{v} {se}")
    } else {
        v
    }
}

/// A percentile and its 95% interval, each written by `fmt(value, se)` so that both are rounded
/// to the interval's width; `exact` writes them when the interval has no width. An interval of
/// no width says that the order statistics around the percentile's rank are equal — as when
/// fewer than 5% of months refuse a request and the p95 month refuses none — not that every
/// month is, so it is printed as the interval it is.
fn interval_parts(
    i: &Interval,
    fmt: &dyn Fn(f64, f64) -> String,
    exact: &dyn Fn(f64) -> String,
) -> (String, String) {
    let se = i.implied_se();
    if !(se > 0.0) {
        return (
            exact(i.value),
            format!("95% CI {} – {}", exact(i.low), exact(i.high)),
        );
    }
    (
        fmt(i.value, se),
        format!("95% CI {} – {}", fmt(i.low, se), fmt(i.high, se)),
    )
}

/// A dollar percentile and its 95% interval, both rounded to the interval's width.
fn usd_interval(i: &Interval) -> (String, String) {
    interval_parts(i, &money_r, &money)
}

/// A count percentile (requests) and its 95% interval, in whole units.
fn count_interval(i: &Interval) -> (String, String) {
    interval_parts(i, &|x, _| count(x), &count)
}

/// A latency percentile in whole milliseconds, with its interval: `8,193 ms (95% CI 8,120 –
/// 8,260)`. Thousands of sampled requests pin a percentile far below a millisecond's worth of
/// doubt only in toy scenarios, so whole milliseconds are always enough.
fn ms_inline(i: &Interval) -> String {
    if i.low < i.high {
        format!(
            "{} ms (95% CI {} – {})",
            count(i.value),
            count(i.low),
            count(i.high)
        )
    } else {
        ms_value(i)
    }
}

/// A dollar percentile with its interval in one string: `$8.29 (95% CI $8.19 – $8.42)`.
fn interval_inline(i: &Interval) -> String {
    let (v, ci) = usd_interval(i);
    if ci.starts_with("95%") {
        format!("{v} ({ci})")
    } else {
        v
    }
}

/// A plain number rounded to its standard error.
fn number(e: &Estimate) -> (String, String) {
    match decimals_for_se(e.value, e.standard_error) {
        Some(d) => (
            fixed(e.value, d),
            format!("± {}", se_text(e.standard_error, d)),
        ),
        None => (fixed(e.value, 3), String::new()),
    }
}

/// A mean count (requests) with its standard error, in whole units.
fn count_estimate(e: &Estimate) -> (String, String) {
    let se = e.standard_error;
    if se > 0.0 && se.is_finite() {
        (count(e.value), format!("± {}", count(se.max(1.0))))
    } else if se == 0.0 {
        (count(e.value), String::new())
    } else {
        (count(e.value), "n/a (too few trials)".to_string())
    }
}

/// The median day something first happens, and its interval: (`day 24`, `95% CI 23–25`).
fn day_parts(day: Option<&Interval>, never: &str) -> (String, String) {
    match day {
        Some(d) => (
            format!(
                "day {}",
                fixed(d.value, if d.value.fract() == 0.0 { 0 } else { 1 })
            ),
            format!("95% CI {:.0}–{:.0}", d.low, d.high),
        ),
        None => (never.to_string(), String::new()),
    }
}

/// The median day in one string: `day 24 (95% CI 23–25)`, or `day 24` when the interval is
/// that one day.
fn day_text(day: Option<&Interval>, never: &str) -> String {
    match (day, day_parts(day, never)) {
        (Some(d), (text, _)) if d.low == d.high => text,
        (_, (text, ci)) if ci.is_empty() => text,
        (_, (text, ci)) => format!("{text} ({ci})"),
    }
}

/// A difference in percentage points with its error: `-30.1 ± 0.5 pt`.
fn points_diff(e: &Estimate) -> String {
    let se = e.standard_error;
    let d = decimals_for_se(e.value * 100.0, se * 100.0)
        .unwrap_or(1)
        .max(1);
    let sign = if e.value > 0.0 { "+" } else { "" };
    if se > 0.0 {
        format!(
            "{sign}{} ± {} pt",
            fixed(e.value * 100.0, d),
            se_text(se * 100.0, d)
        )
    } else {
        format!("{sign}{} pt", fixed(e.value * 100.0, 1))
    }
}

fn share_row(kind: &str, s: &Share) -> Vec<String> {
    let (usd_v, usd_se) = usd(&s.monthly_usd);
    let (pct_v, pct_se) = prob(&s.share, None);
    vec![
        kind.to_string(),
        s.name.clone(),
        format!("{usd_v} {usd_se}").trim().to_string(),
        format!("{pct_v} {pct_se}").trim().to_string(),
    ]
}

// ---- the simulation brief -------------------------------------------------------------------

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

fn scenario_table(report: &Report, detail: &Detail) -> Table {
    let mut t = Table {
        head: vec!["".to_string(), "".to_string()],
        rows: Vec::new(),
        right: vec![false, false],
    };
    let runs = if report.months > 1 {
        format!(
            "{} horizons of {} months",
            count(report.trials as f64),
            report.months
        )
    } else {
        count(report.trials as f64)
    };
    t.row(vec![
        "Simulated months".to_string(),
        format!(
            "{} · seed {} · {} engine{}",
            runs,
            report.seed,
            report.engine,
            if report.partial {
                " · PARTIAL: stopped before all trials finished"
            } else {
                ""
            }
        ),
    ]);
    t.row(vec![
        "Month".to_string(),
        if report.months > 1 {
            format!(
                "{} days, starting on a Monday; monthly figures pool every month of the {}-month horizon",
                report.days, report.months
            )
        } else {
            format!("{} days, starting on a Monday", report.days)
        },
    ]);
    t.row(vec![
        "Budget".to_string(),
        match report.budget_usd {
            Some(b) => {
                let alerts: Vec<String> = detail
                    .alert_fractions
                    .iter()
                    .map(|f| format!("{:.0}%", f * 100.0))
                    .collect();
                let mut text = if alerts.is_empty() {
                    format!("{} a month", money(b))
                } else {
                    format!("{} a month; alerts at {}", money(b), alerts.join(", "))
                };
                if let Some(c) = detail.stacks.iter().find_map(|s| s.hard_cap.as_ref()) {
                    text.push_str(&format!("; hard cap {}", money(c.cap_usd)));
                }
                text
            }
            None => "none set".to_string(),
        },
    ]);
    let mut contracts: Vec<String> = Vec::new();
    for c in detail.stacks.iter().flat_map(|s| &s.contracts) {
        let text = format!(
            "{} ({}, {} a month at {:.0}% off)",
            c.name,
            c.provider,
            money(c.committed_monthly_usd),
            c.discount * 100.0
        );
        if !contracts.contains(&text) {
            contracts.push(text);
        }
    }
    if !contracts.is_empty() {
        t.row(vec!["Contracts".to_string(), contracts.join(", ")]);
    }
    if let Some(i) = detail.stacks.iter().find_map(|s| s.incidents.as_ref()) {
        let names: Vec<&str> = i.incidents.iter().map(|c| c.name.as_str()).collect();
        t.row(vec!["Incidents".to_string(), names.join(", ")]);
    }
    let targets: Vec<String> = detail
        .workflows
        .iter()
        .flat_map(|w| {
            w.latency_targets
                .iter()
                .map(move |(p, ms)| format!("{} {p} ≤ {} ms", w.name, count(*ms)))
        })
        .collect();
    if !targets.is_empty() {
        t.row(vec!["Latency targets".to_string(), targets.join(", ")]);
    }
    let reviewed: Vec<&str> = detail
        .workflows
        .iter()
        .filter(|w| w.reviewed)
        .map(|w| w.name.as_str())
        .collect();
    if !reviewed.is_empty() {
        t.row(vec!["Human review".to_string(), reviewed.join(", ")]);
    }
    if let Some(first) = report.stacks.first() {
        let users: Vec<String> = first
            .segments
            .iter()
            .map(|s| {
                let plural = if s.users == 1.0 { "" } else { "s" };
                format!("{} ({} user{plural})", s.name, count(s.users))
            })
            .collect();
        t.row(vec!["Segments".to_string(), users.join(", ")]);
    }
    let workflows: Vec<String> = detail
        .workflows
        .iter()
        .map(|w| {
            format!(
                "{} ({}, {} step{})",
                w.name,
                if w.batch { "batch" } else { "live" },
                w.steps,
                if w.steps == 1 { "" } else { "s" }
            )
        })
        .collect();
    t.row(vec!["Workflows".to_string(), workflows.join(", ")]);
    let stacks: Vec<&str> = report.stacks.iter().map(|s| s.name.as_str()).collect();
    t.row(vec!["Stacks".to_string(), stacks.join(", ")]);
    t
}

fn glance_table(report: &Report, detail: &Detail) -> Table {
    let mut head = vec!["".to_string()];
    head.extend(detail.stacks.iter().map(|s| s.name.clone()));
    let mut t = Table::numeric(head);
    let each = |f: &dyn Fn(&StackDetail) -> String| -> Vec<String> {
        detail.stacks.iter().map(f).collect()
    };
    let mut row = |label: String, cells: Vec<String>| {
        let mut r = vec![label];
        r.extend(cells);
        t.row(r);
    };
    row(
        "Mean monthly spend".to_string(),
        each(&|s| usd_inline(&s.mean)),
    );
    row("p95 month".to_string(), each(&|s| interval_inline(&s.p95)));
    if let Some(b) = report.budget_usd {
        row(
            format!("Breach probability (> {})", money(b)),
            each(&|s| {
                s.breach_probability.map_or("n/a".to_string(), |p| {
                    prob_inline(&p, Some(report.trials as usize))
                })
            }),
        );
    }
    row(
        "Cost per accepted task".to_string(),
        each(&|s| {
            s.cost_per_accepted_task
                .map_or("n/a".to_string(), |e| usd_inline(&e))
        }),
    );
    row(
        "Acceptance rate".to_string(),
        each(&|s| {
            s.acceptance_rate
                .map_or("n/a".to_string(), |e| share_inline(&e, s.counts_expected))
        }),
    );
    if report.months > 1 {
        row(
            format!("p95 total over {} months", report.months),
            each(&|s| {
                s.horizon
                    .as_ref()
                    .map_or("n/a".to_string(), |h| interval_inline(&h.total_p95))
            }),
        );
        if let Some(budget) = report.horizon_budget_usd {
            row(
                format!("Total over the {} horizon budget", money(budget)),
                each(&|s| {
                    s.horizon
                        .as_ref()
                        .and_then(|h| h.breach)
                        .map_or("n/a".to_string(), |p| {
                            prob_inline(&p, Some(report.trials as usize))
                        })
                }),
            );
        }
    }
    if let Some(cap) = detail.stacks.iter().find_map(|s| s.hard_cap.as_ref()) {
        row(
            format!("Months hitting the {} hard cap", money(cap.cap_usd)),
            each(&|s| {
                s.hard_cap.as_ref().map_or("n/a".to_string(), |c| {
                    prob_inline(&c.probability_hit, Some(report.trials as usize))
                })
            }),
        );
    }
    if detail
        .stacks
        .iter()
        .any(|s| s.latency.iter().any(|l| l.target_met().is_some()))
    {
        row("Latency targets".to_string(), each(&latency_verdict));
    }
    t
}

/// Whether a stack meets every latency target, and which it misses: `misses chat p95 (8,193 ms
/// > 4,000 ms)`.
pub(crate) fn latency_verdict(s: &StackDetail) -> String {
    crate::analysis::detail::latency_misses(&s.latency).map_or_else(
        || "all met".to_string(),
        |missed| format!("misses {missed}"),
    )
}

/// A table of figures: a label, the estimate, and its standard error or interval.
struct Figures(Table);

impl Figures {
    fn new() -> Self {
        Figures(Table {
            head: vec![
                "Figure".to_string(),
                "Estimate".to_string(),
                "Uncertainty".to_string(),
            ],
            rows: Vec::new(),
            right: vec![false, true, false],
        })
    }

    fn row(&mut self, label: &str, (value, uncertainty): (String, String)) {
        self.0.row(vec![label.to_string(), value, uncertainty]);
    }
}

fn stack_table(report: &Report, s: &StackDetail) -> Table {
    let mut t = Figures::new();
    let mut row = |label: &str, parts: (String, String)| t.row(label, parts);
    row("Mean monthly spend", usd(&s.mean));
    row("Median month (p50)", usd_interval(&s.p50));
    row("p95 month", usd_interval(&s.p95));
    row("p99 month", usd_interval(&s.p99));
    if let (Some(b), Some(p)) = (report.budget_usd, &s.breach_probability) {
        row(
            &format!("Breach probability (> {})", money(b)),
            prob(p, Some(report.trials as usize)),
        );
    }
    row("Cost per user (mean)", usd(&s.cost_per_user));
    if let Some(e) = &s.cost_per_request {
        row("Cost per request", usd(e));
    }
    if let Some(e) = &s.cost_per_accepted_task {
        row("Cost per accepted task", usd(e));
    }
    let share = |e: &Estimate| {
        if s.counts_expected {
            expected_share(e)
        } else {
            prob(e, None)
        }
    };
    let share_or_unknown = |e: &Estimate| {
        if s.counts_expected {
            expected_share(e)
        } else {
            prob_or_unknown(e)
        }
    };
    if let Some(e) = &s.acceptance_rate {
        row("Acceptance rate", share(e));
    }
    if let Some(e) = &s.calls_per_request {
        let figure = if s.counts_expected {
            (fixed(e.value, 4), EXPECTED.to_string())
        } else {
            number(e)
        };
        row("Model calls per request (all steps)", figure);
    }
    if let Some(e) = &s.escalation_share {
        row("Requests escalated", share(e));
    }
    if let Some(e) = &s.flex_refused_share {
        row(
            "Flex calls refused (re-sent at standard)",
            share_or_unknown(e),
        );
    }
    if let Some(e) = &s.semantic_cache_hit_share {
        row(
            "Requests answered by the semantic cache",
            share_or_unknown(e),
        );
    }
    if let Some(e) = &s.provider_error_share {
        row("Calls failed at the provider", share_or_unknown(e));
    }
    if let Some(e) = &s.window_refused_share {
        row(
            "Requests refused: input beyond a model's window (not billed)",
            share(e),
        );
    }
    if let Some(r) = s.billing_class("reasoning") {
        row("Reasoning share of spend", prob(&r.share, None));
    }
    if let Some(r) = s.billing_class("tool fees") {
        row("Tool fees share of spend", prob(&r.share, None));
    }
    if let Some(r) = &s.review {
        row("Human review per month (not in spend)", usd(&r.cost));
        if let Some(e) = &r.cost_per_useful_output {
            row("Cost per useful output (spend + review)", usd(e));
        }
    }
    t.0
}

/// What the uncertainty column says of a count figure of the fast engine, whose counts are exact
/// in mean but not simulated request by request (see [`StackDetail::counts_expected`]).
const EXPECTED: &str = "expected (not simulated per request)";

/// A share the fast engine computes as an expected value: two decimals of a percent, no error.
fn expected_share(e: &Estimate) -> (String, String) {
    (pct_value(e.value, 2), EXPECTED.to_string())
}

/// A share whose standard error may be unknown (the engine keeps only its totals).
fn prob_or_unknown(e: &Estimate) -> (String, String) {
    if e.standard_error.is_nan() {
        (
            prob(e, None).0,
            "n/a (an uncertain rate; only totals are kept)".to_string(),
        )
    } else {
        prob(e, None)
    }
}

fn hard_cap_table(c: &CapDetail, n: usize) -> Table {
    let mut t = Figures::new();
    t.row(
        "Months the cap refuses requests",
        prob(&c.probability_hit, Some(n)),
    );
    t.row(
        "Day it is first hit (median)",
        day_parts(c.median_day_hit.as_ref(), "never hit"),
    );
    t.row(
        "Requests refused per month (mean)",
        count_estimate(&c.rejected_requests),
    );
    t.row(
        "Requests refused in a p95 month",
        count_interval(&c.rejected_p95),
    );
    if let Some(e) = &c.rejected_share {
        t.row("Share of requests refused", prob(e, None));
    }
    t.row(
        "Demand refused per month (mean, at the month's prices)",
        usd(&c.refused_demand),
    );
    t.row(
        "Demand refused in a p95 month",
        usd_interval(&c.refused_demand_p95),
    );
    t.0
}

fn contract_terms(c: &ContractDetail) -> String {
    format!(
        "{} usage: {} a month committed at {:.0}% off; usage beyond it is billed at {}.",
        c.provider,
        money(c.committed_monthly_usd),
        c.discount * 100.0,
        if c.overage == "list" {
            "list price"
        } else {
            "the discounted price"
        }
    )
}

fn contract_table(c: &ContractDetail, n: usize) -> Table {
    let mut t = Figures::new();
    t.row("Billed per month (mean)", usd(&c.billed));
    t.row("Billed in a p95 month", usd_interval(&c.billed_p95));
    t.row("Unused commitment per month (mean)", usd(&c.unused));
    t.row(
        "Unused commitment in a p95 month",
        usd_interval(&c.unused_p95),
    );
    t.row("Overage per month (mean)", usd(&c.overage_usd));
    t.row(
        "Months the commitment is under-used",
        prob(&c.underuse_probability, Some(n)),
    );
    t.0
}

fn incidents_table(s: &StackDetail, i: &IncidentsDetail, n: usize) -> Table {
    let mut t = Figures::new();
    for chance in &i.incidents {
        t.row(
            &format!("Months with {}", chance.name),
            prob(&chance.probability, Some(n)),
        );
    }
    t.row(
        "Extra spend on repeated requests, per month (mean)",
        usd(&i.extra_spend),
    );
    t.row("p99 month", usd_interval(&s.p99));
    t.row("p99 month without incidents", usd_interval(&i.p99_without));
    t.row("Of the p99, incidents explain", usd(&i.p99_from_incidents));
    t.0
}

fn latency_table(latency: &[LatencyDetail]) -> Table {
    let mut t = Table {
        head: vec![
            "Workflow".to_string(),
            "p50".to_string(),
            "p95".to_string(),
            "p99".to_string(),
            "Target".to_string(),
            "Verdict".to_string(),
        ],
        rows: Vec::new(),
        right: vec![false, true, true, true, false, false],
    };
    for l in latency {
        let targets: Vec<String> = l
            .targets
            .iter()
            .map(|c| format!("{} ≤ {} ms", c.percentile, count(c.target_ms)))
            .collect();
        let verdict = match l.target_met() {
            None => "no target".to_string(),
            Some(met) => {
                let word = if met { "met" } else { "missed" };
                if l.targets.iter().any(|c| c.close_call) {
                    format!("{word} (the target lies within the 95% CI)")
                } else {
                    word.to_string()
                }
            }
        };
        t.row(vec![
            l.workflow.clone(),
            ms_value(&l.p50_ms),
            ms_inline(&l.p95_ms),
            ms_value(&l.p99_ms),
            if targets.is_empty() {
                "none".to_string()
            } else {
                targets.join(", ")
            },
            verdict,
        ]);
    }
    t
}

fn horizon_total_table(h: &HorizonDetail, trials: usize) -> Table {
    let mut t = Figures::new();
    t.row("Total (mean)", usd(&h.total_mean));
    t.row("Median total (p50)", usd_interval(&h.total_p50));
    t.row("p95 total", usd_interval(&h.total_p95));
    t.row("p5 total", usd_interval(&h.total_p5));
    if let (Some(budget), Some(p)) = (h.budget_usd, &h.breach) {
        t.row(
            &format!(
                "Horizon budget ({} × the monthly {})",
                h.months.len(),
                money(budget / h.months.len() as f64)
            ),
            (money(budget), String::new()),
        );
        t.row("Total over the horizon budget", prob(p, Some(trials)));
    }
    t.0
}

fn months_table(h: &HorizonDetail, budget: Option<f64>, trials: usize) -> Table {
    let mut head = vec![
        "Month".to_string(),
        "Mean".to_string(),
        "Median (p50)".to_string(),
        "p95".to_string(),
    ];
    if let Some(b) = budget {
        head.push(format!("Breach probability (> {})", money(b)));
    }
    let mut t = Table::numeric(head);
    for m in &h.months {
        let mut row = vec![
            m.month.to_string(),
            usd_inline(&m.mean),
            interval_inline(&m.p50),
            interval_inline(&m.p95),
        ];
        if let Some(p) = &m.breach_probability {
            row.push(prob_inline(p, Some(trials)));
        }
        t.row(row);
    }
    t
}

fn drivers_table(s: &StackDetail) -> Table {
    let mut t = Table {
        head: vec![
            "By".to_string(),
            "Part".to_string(),
            "Monthly spend".to_string(),
            "Share of spend".to_string(),
        ],
        rows: Vec::new(),
        right: vec![false, false, true, true],
    };
    for w in &s.workflows {
        t.row(share_row("workflow", w));
    }
    for m in &s.models {
        t.row(share_row("model", m));
    }
    for k in &s.token_kinds {
        t.row(share_row("billing class", k));
    }
    if let Some(r) = &s.retries {
        let mut row = share_row("retries", r);
        row[1] = "calls after the first of a step".to_string();
        t.row(row);
    }
    t
}

fn alerts_table(s: &StackDetail, n: usize) -> Table {
    let mut t = Table {
        head: vec![
            "Alert".to_string(),
            "Threshold".to_string(),
            "Fires in".to_string(),
            "Median day it fires".to_string(),
        ],
        rows: Vec::new(),
        right: vec![false, true, true, true],
    };
    for a in &s.alerts {
        let day = day_text(a.median_day.as_ref(), "never");
        t.row(vec![
            format!("{:.0}% of budget", a.fraction * 100.0),
            money(a.threshold_usd),
            format!("{} of months", prob_inline(&a.probability, Some(n))),
            day,
        ]);
    }
    t
}

fn segments_table(s: &StackDetail) -> Table {
    let mut t = Table {
        head: vec![
            "Segment".to_string(),
            "Mean user".to_string(),
            "Median user".to_string(),
            "Middle 90% of users".to_string(),
            "Users sampled".to_string(),
        ],
        rows: Vec::new(),
        right: vec![false, true, true, true, true],
    };
    let budgeted = s.segments.iter().any(|g| g.over_budget.is_some());
    if budgeted {
        t.head.push("Users over their budget".to_string());
        t.right.push(true);
    }
    for g in &s.segments {
        let mut row = vec![
            g.name.clone(),
            money(g.mean),
            money(g.p50),
            format!("{} – {}", money(g.p5), money(g.p95)),
            count(g.samples as f64),
        ];
        if budgeted {
            row.push(g.over_budget.map_or_else(String::new, |b| {
                format!("{} over {}", percent(b.share_over), money(b.limit_usd))
            }));
        }
        t.row(row);
    }
    t
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
pub fn simulation_blocks(
    report: &Report,
    detail: &Detail,
    comparison: &Comparison,
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
    b.push(Block::Table(scenario_table(report, detail)));
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

/// The blocks of a comparison.
pub fn comparison_blocks(c: &Comparison, charts: Option<&[Chart]>) -> Vec<Block> {
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

fn plans_table(c: &Comparison) -> Table {
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
fn latency_workflows(c: &Comparison) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for l in c.plans.iter().flat_map(|p| &p.latency) {
        if !names.contains(&l.workflow) {
            names.push(l.workflow.clone());
        }
    }
    names
}

/// A latency difference in whole milliseconds with its standard error: `-16,557 ± 98 ms`.
fn ms_diff(e: &Estimate) -> String {
    let sign = if e.value > 0.0 { "+" } else { "" };
    if e.standard_error > 0.0 && e.standard_error.is_finite() {
        format!(
            "{sign}{} ± {} ms",
            count(e.value),
            count(e.standard_error.max(1.0))
        )
    } else {
        format!("{sign}{} ms", count(e.value))
    }
}

fn differences_table(c: &Comparison) -> Table {
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

/// The comparison as Markdown.
pub fn comparison_markdown(c: &Comparison) -> String {
    super::markdown::render(&comparison_blocks(c, None))
}

/// The comparison as one self-contained HTML page.
pub fn comparison_html(c: &Comparison) -> String {
    let charts = charts::comparison(c);
    super::html::render(
        &format!("Comparison: {}", c.title),
        &comparison_blocks(c, Some(&charts)),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

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
