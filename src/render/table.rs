//! The terminal table: one column per stack, the figures a person compares, each rounded to what
//! its standard error allows. Rows for a hard cap, contracts, incidents, a horizon, review,
//! flex, reasoning and latency appear only when the scenario uses them, so a plain scenario still
//! fits on one screen.

use crate::analysis::detail::{Detail, StackDetail};
use crate::analysis::report::{Report, StackReport};
use crate::base::format::{count, money, money_rounded, money_with_se, percent, percent_with_se};
use crate::base::stats::estimate::Estimate;

/// A row label and one cell per stack; `None` cells render as a section heading.
struct Row {
    label: String,
    cells: Option<Vec<String>>,
}

fn row(label: impl Into<String>, cells: Vec<String>) -> Row {
    Row {
        label: label.into(),
        cells: Some(cells),
    }
}

fn heading(label: impl Into<String>) -> Row {
    Row {
        label: label.into(),
        cells: None,
    }
}

fn opt_money(x: Option<f64>) -> String {
    x.map_or_else(|| "n/a".to_string(), money)
}

fn opt_percent(x: Option<f64>) -> String {
    x.map_or_else(|| "n/a".to_string(), percent)
}

fn opt_money_se(e: Option<&Estimate>) -> String {
    e.map_or_else(|| "n/a".to_string(), money_se)
}

fn money_se(e: &Estimate) -> String {
    money_with_se(e.value, e.standard_error)
}

fn percent_se(e: &Estimate) -> String {
    if e.standard_error.is_finite() {
        percent_with_se(e.value, e.standard_error)
    } else {
        percent(e.value)
    }
}

/// One share of a stack's detail that a row shows when some stack has it.
type ShareOf = fn(&StackDetail) -> Option<&Estimate>;

/// Render the report as an aligned text table; `detail` gives the standard errors of the risk rows.
// Long on purpose: the table's rows written in the order they are read, one short block per row,
// all into one aligned table whose columns are the stacks.
pub fn render(report: &Report, detail: &Detail, bold: bool) -> String {
    let stacks = &report.stacks;
    let each = |f: &dyn Fn(&StackReport) -> String| stacks.iter().map(f).collect::<Vec<_>>();
    let each_detail =
        |f: &dyn Fn(&StackDetail) -> String| detail.stacks.iter().map(f).collect::<Vec<_>>();
    let mut rows = Vec::new();
    rows.push(heading("Monthly spend"));
    rows.push(row(
        "  mean",
        each(&|s| money_with_se(s.monthly_spend_usd.mean, s.mean_standard_error_usd)),
    ));
    for (name, get) in [
        (
            "  p50",
            (|s: &StackReport| s.monthly_spend_usd.p50) as fn(&StackReport) -> f64,
        ),
        ("  p95", |s| s.monthly_spend_usd.p95),
        ("  p99", |s| s.monthly_spend_usd.p99),
    ] {
        rows.push(row(
            name,
            each(&|s| money_rounded(get(s), s.mean_standard_error_usd)),
        ));
    }
    if let Some(budget) = report.budget_usd {
        rows.push(row(
            format!("Breach probability (> {})", money(budget)),
            each(
                &|s| match (s.breach_probability, s.breach_probability_standard_error) {
                    (Some(p), Some(se)) => percent_with_se(p, se),
                    _ => "n/a".to_string(),
                },
            ),
        ));
        if let Some(first) = stacks.first() {
            for (i, a) in first.alerts.iter().enumerate() {
                rows.push(row(
                    format!(
                        "Alert at {:.0}% ({})",
                        a.fraction * 100.0,
                        money(a.threshold_usd)
                    ),
                    each(&|s| {
                        let a = &s.alerts[i];
                        match a.median_day {
                            Some(day) => format!("{}, day {:.0}", percent(a.probability), day),
                            None => percent(a.probability),
                        }
                    }),
                ));
            }
        }
    }
    if let Some(cap) = detail.stacks.iter().find_map(|s| s.hard_cap.as_ref()) {
        rows.push(row(
            format!("Hard cap hit (at {})", money(cap.cap_usd)),
            each_detail(&|s| match &s.hard_cap {
                Some(c) => match &c.median_day_hit {
                    Some(day) => {
                        format!("{}, day {:.0}", percent_se(&c.probability_hit), day.value)
                    }
                    None => percent_se(&c.probability_hit),
                },
                None => "n/a".to_string(),
            }),
        ));
        rows.push(row(
            "  requests refused by the hard cap, mean / p95",
            each_detail(&|s| match &s.hard_cap {
                // No `± 0`: a count that never varied is shown alone.
                Some(c) if c.rejected_requests.standard_error > 0.0 => format!(
                    "{} ± {} / {}",
                    count(c.rejected_requests.value),
                    count(c.rejected_requests.standard_error.max(1.0)),
                    count(c.rejected_p95.value)
                ),
                Some(c) => format!(
                    "{} / {}",
                    count(c.rejected_requests.value),
                    count(c.rejected_p95.value)
                ),
                None => "n/a".to_string(),
            }),
        ));
        rows.push(row(
            "  demand refused, mean",
            each_detail(&|s| opt_money_se(s.hard_cap.as_ref().map(|c| &c.refused_demand))),
        ));
    }
    for (label, cells) in super::policy::table_rows(report) {
        rows.push(row(label, cells));
    }
    for (label, cells) in super::quota::table_rows(report) {
        rows.push(row(label, cells));
    }
    if let Some(first) = detail.stacks.iter().find_map(|s| s.incidents.as_ref()) {
        for (i, chance) in first.incidents.iter().enumerate() {
            rows.push(row(
                format!("Months with {}", chance.name),
                each_detail(&|s| {
                    s.incidents.as_ref().map_or_else(
                        || "n/a".to_string(),
                        |x| percent_se(&x.incidents[i].probability),
                    )
                }),
            ));
        }
        rows.push(row(
            "  extra spend, mean",
            each_detail(&|s| opt_money_se(s.incidents.as_ref().map(|i| &i.extra_spend))),
        ));
        rows.push(row(
            "  p99 due to incidents",
            each_detail(&|s| opt_money_se(s.incidents.as_ref().map(|i| &i.p99_from_incidents))),
        ));
    }
    let mut contracts: Vec<(&str, f64)> = Vec::new();
    for c in detail.stacks.iter().flat_map(|s| &s.contracts) {
        if !contracts.iter().any(|(n, _)| *n == c.name) {
            contracts.push((&c.name, c.committed_monthly_usd));
        }
    }
    for (name, committed) in contracts {
        let find = |s: &StackDetail| s.contracts.iter().find(|c| c.name == name).cloned();
        rows.push(row(
            format!("Contract {name} ({}/month), billed", money(committed)),
            each_detail(&|s| {
                find(s).map_or_else(|| "not in this plan".to_string(), |c| money_se(&c.billed))
            }),
        ));
        rows.push(row(
            "  under-used months",
            each_detail(&|s| {
                find(s).map_or_else(
                    || "n/a".to_string(),
                    |c| percent_se(&c.underuse_probability),
                )
            }),
        ));
        rows.push(row(
            "  unused, mean / p95",
            each_detail(&|s| match find(s) {
                Some(c) => format!(
                    "{} / {}",
                    money_se(&c.unused),
                    money_rounded(c.unused_p95.value, c.unused_p95.implied_se())
                ),
                None => "n/a".to_string(),
            }),
        ));
        rows.push(row(
            "  overage, mean",
            each_detail(&|s| {
                find(s).map_or_else(|| "n/a".to_string(), |c| money_se(&c.overage_usd))
            }),
        ));
    }
    if detail.stacks.iter().any(|s| s.horizon.is_some()) {
        rows.push(row(
            format!("Horizon total ({} months), mean", report.months),
            each_detail(&|s| opt_money_se(s.horizon.as_ref().map(|h| &h.total_mean))),
        ));
        rows.push(row(
            "  p95",
            each_detail(&|s| {
                s.horizon.as_ref().map_or_else(
                    || "n/a".to_string(),
                    |h| money_rounded(h.total_p95.value, h.total_p95.implied_se()),
                )
            }),
        ));
        if let Some(budget) = report.horizon_budget_usd {
            rows.push(row(
                format!("  over the horizon budget ({})", money(budget)),
                each_detail(&|s| {
                    s.horizon
                        .as_ref()
                        .and_then(|h| h.breach.as_ref())
                        .map_or_else(|| "n/a".to_string(), percent_se)
                }),
            ));
        }
    }
    rows.push(heading("Unit costs"));
    rows.push(row(
        "  per user",
        each(&|s| money(s.cost_per_user_usd.mean)),
    ));
    rows.push(row(
        "  per request",
        each(&|s| opt_money(s.cost_per_request_usd)),
    ));
    rows.push(row(
        "  per accepted task",
        each(&|s| opt_money(s.cost_per_accepted_task_usd)),
    ));
    if detail.stacks.iter().any(|s| s.review.is_some()) {
        rows.push(row(
            "  per useful output (with review)",
            each_detail(&|s| {
                opt_money_se(
                    s.review
                        .as_ref()
                        .and_then(|r| r.cost_per_useful_output.as_ref()),
                )
            }),
        ));
        rows.push(row(
            "  review, per month",
            each_detail(&|s| opt_money_se(s.review.as_ref().map(|r| &r.cost))),
        ));
    }
    if let Some(first) = stacks.first() {
        for (i, seg) in first.segments.iter().enumerate() {
            rows.push(row(
                format!("  per user in {}, p50 / p95", seg.name),
                each(&|s| {
                    let c = &s.segments[i].cost_per_user_usd;
                    format!("{} / {}", money(c.p50), money(c.p95))
                }),
            ));
            if let Some(b) = detail.stacks[0].segments[i].over_budget {
                rows.push(row(
                    format!("  users in {} over {}", seg.name, money(b.limit_usd)),
                    each_detail(&|s| {
                        s.segments[i]
                            .over_budget
                            .map_or_else(String::new, |b| percent(b.share_over))
                    }),
                ));
            }
        }
    }
    for (class, label) in [
        ("reasoning", "  reasoning share of spend"),
        ("tool fees", "  tool fees share of spend"),
    ] {
        if detail
            .stacks
            .iter()
            .any(|s| s.billing_class(class).is_some())
        {
            rows.push(row(
                label,
                each_detail(&|s| {
                    s.billing_class(class)
                        .map_or_else(|| "0%".to_string(), |c| percent_se(&c.share))
                }),
            ));
        }
    }
    if stacks.iter().any(|s| !s.provisioned.is_empty()) {
        rows.push(heading("Provisioned capacity"));
        let cap = |f: &dyn Fn(&crate::analysis::provisioned::ProvisionedReport) -> String| {
            each(&|s| {
                let cells: Vec<String> = s.provisioned.iter().map(f).collect();
                cells.join("; ")
            })
        };
        rows.push(row(
            "  units (tokens a minute)",
            cap(&|p| format!("{} ({})", p.units, count(p.tokens_per_minute))),
        ));
        rows.push(row(
            "  utilisation p50 / p95",
            cap(&|p| {
                format!(
                    "{} / {}",
                    percent(p.utilisation.p50),
                    percent(p.utilisation.p95)
                )
            }),
        ));
        rows.push(row("  capacity fee", cap(&|p| money(p.fee_usd.mean))));
        rows.push(row("  idle hours' cost", cap(&|p| money(p.idle_usd.mean))));
        rows.push(row(
            "  spillover (tokens)",
            cap(&|p| count(p.spillover_tokens.mean)),
        ));
        rows.push(row(
            "  spillover cost",
            cap(&|p| money(p.spillover_usd.mean)),
        ));
    }
    rows.push(heading("Traffic and quality"));
    rows.push(row(
        "  requests per month",
        each(&|s| count(s.requests_per_month.mean)),
    ));
    rows.push(row(
        "  acceptance rate",
        each(&|s| opt_percent(s.acceptance_rate)),
    ));
    rows.push(row(
        "  model calls per request (all steps)",
        each(&|s| {
            s.calls_per_request
                .map_or_else(|| "n/a".to_string(), |a| format!("{a:.3}"))
        }),
    ));
    rows.push(row(
        "  retry cost share",
        each(&|s| opt_percent(s.retry_cost_share)),
    ));
    rows.push(row(
        "  escalation share",
        each(&|s| opt_percent(s.escalation_share)),
    ));
    let shares: [(&str, ShareOf); 4] = [
        ("  flex calls refused", |s| s.flex_refused_share.as_ref()),
        ("  semantic cache hits", |s| {
            s.semantic_cache_hit_share.as_ref()
        }),
        ("  provider errors", |s| s.provider_error_share.as_ref()),
        ("  refused: input beyond a model's window", |s| {
            s.window_refused_share.as_ref()
        }),
    ];
    for (label, share) in shares {
        if detail.stacks.iter().any(|s| share(s).is_some()) {
            rows.push(row(
                label,
                each_detail(&|s| share(s).map_or_else(|| "n/a".to_string(), percent_se)),
            ));
        }
    }
    let mut latency_workflows: Vec<&str> = Vec::new();
    for l in detail.stacks.iter().flat_map(|s| &s.latency) {
        if !latency_workflows.contains(&l.workflow.as_str()) {
            latency_workflows.push(&l.workflow);
        }
    }
    if !latency_workflows.is_empty() {
        rows.push(heading("Latency"));
        for w in &latency_workflows {
            rows.push(row(
                format!("  {w} p50 / p95"),
                each_detail(&|s| match s.latency.iter().find(|l| l.workflow == *w) {
                    Some(l) => {
                        let verdict = match l.target_met() {
                            Some(true) => " (meets target)",
                            Some(false) => " (misses target)",
                            None => "",
                        };
                        format!(
                            "{} / {} ± {} ms{verdict}",
                            count(l.p50_ms.value),
                            count(l.p95_ms.value),
                            count(l.p95_ms.implied_se().max(1.0))
                        )
                    }
                    None => "n/a".to_string(),
                }),
            ));
        }
    }

    let label_width = rows
        .iter()
        .map(|r| r.label.chars().count())
        .max()
        .unwrap_or(0);
    let widths: Vec<usize> = stacks
        .iter()
        .enumerate()
        .map(|(i, s)| {
            rows.iter()
                .filter_map(|r| r.cells.as_ref().map(|c| c[i].chars().count()))
                .chain(std::iter::once(s.name.chars().count()))
                .max()
                .unwrap_or(0)
        })
        .collect();

    let b = |t: &str| {
        if bold {
            format!("\x1b[1m{t}\x1b[0m")
        } else {
            t.to_string()
        }
    };
    let mut out = String::new();
    let title = match &report.description {
        Some(d) => format!("{} — {}", report.scenario, crate::base::escape::terminal(d)),
        None => report.scenario.clone(),
    };
    out.push_str(&b(&title));
    out.push('\n');
    let runs = if report.months > 1 {
        format!(
            "{} simulated horizons of {} months",
            count(report.trials as f64),
            report.months
        )
    } else {
        format!("{} simulated months", count(report.trials as f64))
    };
    let mut meta = format!("{runs} · seed {} · {} engine", report.seed, report.engine);
    if let Some(budget) = report.budget_usd {
        meta.push_str(&format!(" · budget {}/month", money(budget)));
    }
    out.push_str(&meta);
    out.push('\n');
    if report.partial {
        out.push_str("PARTIAL RESULT: the run was stopped before all trials finished\n");
    }
    if let Some(kept) = report.detail_trials {
        out.push_str(&format!(
            "Spend mean, percentiles, breach probability{} cover every trial; the other figures the first {}\n",
            if report.months > 1 && report.all_months_kept {
                " and horizon figures"
            } else {
                ""
            },
            count(kept as f64)
        ));
    }
    out.push('\n');
    let mut header = " ".repeat(label_width);
    for (s, w) in stacks.iter().zip(&widths) {
        header.push_str(&format!("  {:>w$}", s.name, w = w));
    }
    out.push_str(&b(header.trim_end()));
    out.push('\n');
    for r in &rows {
        match &r.cells {
            None => {
                out.push_str(&b(&r.label));
                out.push('\n');
            }
            Some(cells) => {
                let mut line = format!("{:<label_width$}", r.label);
                for (c, w) in cells.iter().zip(&widths) {
                    line.push_str(&format!("  {:>w$}", c, w = w));
                }
                out.push_str(line.trim_end());
                out.push('\n');
            }
        }
    }
    out
}
