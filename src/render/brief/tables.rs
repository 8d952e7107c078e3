//! The brief's tables of one simulation: the scenario, the glance across stacks, and per stack
//! its spend, hard cap, contracts, incidents, latency, horizon, months, drivers, alerts and
//! segments.

use crate::analysis::detail::{
    CapDetail, ContractDetail, Detail, HorizonDetail, IncidentsDetail, LatencyDetail, StackDetail,
};
use crate::analysis::report::Report;
use crate::base::format::{
    count, fixed, money, ms_value, percent, prob, prob_inline, share_inline,
};
use crate::base::stats::estimate::Estimate;
use crate::render::blocks::Table;

use super::text::*;

pub(super) fn scenario_table(report: &Report, detail: &Detail, head_counts: &[f64]) -> Table {
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
        // The scenario's head-counts (their means), as the assumptions' traffic table prints
        // them: a simulated mean would print a second figure for the same input.
        let users: Vec<String> = first
            .segments
            .iter()
            .zip(head_counts)
            .map(|(s, &users)| {
                let plural = if count(users) == "1" { "" } else { "s" };
                format!("{} ({} user{plural})", s.name, count(users))
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

pub(super) fn glance_table(report: &Report, detail: &Detail) -> Table {
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
pub(super) struct Figures(Table);

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

pub(super) fn stack_table(report: &Report, s: &StackDetail) -> Table {
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

pub(super) fn hard_cap_table(c: &CapDetail, n: usize) -> Table {
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

pub(super) fn contract_terms(c: &ContractDetail) -> String {
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

pub(super) fn contract_table(c: &ContractDetail, n: usize) -> Table {
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

pub(super) fn incidents_table(s: &StackDetail, i: &IncidentsDetail, n: usize) -> Table {
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

pub(super) fn latency_table(latency: &[LatencyDetail]) -> Table {
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

pub(super) fn horizon_total_table(h: &HorizonDetail, trials: usize) -> Table {
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

pub(super) fn months_table(h: &HorizonDetail, budget: Option<f64>, trials: usize) -> Table {
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

pub(super) fn drivers_table(s: &StackDetail) -> Table {
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

pub(super) fn alerts_table(s: &StackDetail, n: usize) -> Table {
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

pub(super) fn segments_table(s: &StackDetail) -> Table {
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
