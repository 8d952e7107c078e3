//! The rate-limit quotas of a run as people read them: rows of the terminal table and a section
//! of the brief, both from the report's `quotas` (so the two never disagree with the JSON).

use crate::analysis::quota::QuotaReport;
use crate::analysis::report::{Report, StackReport};
use crate::base::format::{count, money, percent, percent_with_se};
use crate::render::blocks::{Block, Table, para};

/// One row of the table: a label and one cell per stack.
pub type TableRow = (String, Vec<String>);

fn over(q: &QuotaReport) -> String {
    if q.probability_minute_over_quota_standard_error > 0.0 {
        percent_with_se(
            q.probability_minute_over_quota,
            q.probability_minute_over_quota_standard_error,
        )
    } else {
        percent(q.probability_minute_over_quota)
    }
}

/// The table's rows for the quotas (none when no stack has one).
pub fn table_rows(report: &Report) -> Vec<TableRow> {
    if !report.stacks.iter().any(|s| s.quotas.is_some()) {
        return Vec::new();
    }
    let each = |f: &dyn Fn(&QuotaReport) -> String| -> Vec<String> {
        report
            .stacks
            .iter()
            .map(|s: &StackReport| s.quotas.as_ref().map_or_else(|| "n/a".to_string(), f))
            .collect()
    };
    vec![
        ("Months with a minute over quota".to_string(), each(&over)),
        (
            "  requests throttled".to_string(),
            each(&|q| percent(q.throttled_share)),
        ),
        (
            "  retried / failed / sent on, a month".to_string(),
            each(&|q| {
                format!(
                    "{} / {} / {}",
                    count(q.retried_requests_per_month),
                    count(q.failed_requests_per_month),
                    count(q.sent_on_requests_per_month)
                )
            }),
        ),
        (
            "  cost of the calls sent on, mean".to_string(),
            each(&|q| money(q.sent_on_cost_usd)),
        ),
    ]
}

/// The brief's section on one stack's quotas (nothing when it has none).
pub fn brief_blocks(report: &Report, stack: &str) -> Vec<Block> {
    let Some(q) = report
        .stacks
        .iter()
        .find(|s| s.name == stack)
        .and_then(|s| s.quotas.as_ref())
    else {
        return Vec::new();
    };
    let mut b = vec![Block::Subheading("Rate limits".to_string())];
    b.push(para(format!(
        "{} carry a per-minute quota; a throttled call is {}. The figures count each minute of each simulated month.",
        q.models.join(", "),
        if q.on_throttle == "next" {
            "sent to the next model of the chain"
        } else {
            "retried after a delay, and fails its request after the last try"
        }
    )));
    let mut t = Table::numeric(vec![String::new(), "a month".to_string()]);
    t.row(vec!["months with a minute over quota".to_string(), over(q)]);
    t.row(vec![
        "requests throttled".to_string(),
        percent(q.throttled_share),
    ]);
    t.row(vec![
        "requests retried".to_string(),
        count(q.retried_requests_per_month),
    ]);
    t.row(vec![
        "requests failed".to_string(),
        count(q.failed_requests_per_month),
    ]);
    t.row(vec![
        "requests sent to the next model".to_string(),
        count(q.sent_on_requests_per_month),
    ]);
    t.row(vec![
        "cost of the calls sent on".to_string(),
        money(q.sent_on_cost_usd),
    ]);
    b.push(Block::Table(t));
    b
}
