//! The budget policies of a run as people read them: rows of the terminal table and a section of
//! the brief, both from the report's `policies` (so the two never disagree with the JSON).

use crate::analysis::policy::{DegradedLatency, LatencyPercentiles, PoliciesReport};
use crate::analysis::report::{Report, StackReport};
use crate::base::escape::terminal;
use crate::base::format::{
    count, money, money_with_se, pct_value, percent, percent_with_se, prob, prob_decimals,
};
use crate::render::blocks::{Block, Table, para};

/// One row of the table: a label and one cell per stack.
pub type TableRow = (String, Vec<String>);

fn fired(p: &crate::analysis::policy::PolicyFiring) -> String {
    let chance = if p.probability_fired_standard_error > 0.0 {
        percent_with_se(p.probability_fired, p.probability_fired_standard_error)
    } else {
        percent(p.probability_fired)
    };
    match p.median_day_fired {
        Some(day) => format!("{chance}, day {day:.0}"),
        None => chance,
    }
}

fn latency(l: Option<LatencyPercentiles>) -> String {
    l.map_or("n/a".to_string(), |l| {
        format!("{:.0} / {:.0} ms", l.p50_ms, l.p95_ms)
    })
}

fn saved(p: &PoliciesReport) -> String {
    let d = &p.spend_change_usd;
    if d.standard_error > 0.0 {
        money_with_se(-d.mean, d.standard_error)
    } else {
        money(-d.mean)
    }
}

/// The table's rows for the policies (none when no stack has them).
pub fn table_rows(report: &Report) -> Vec<TableRow> {
    let Some(first) = report.stacks.iter().find_map(|s| s.policies.as_ref()) else {
        return Vec::new();
    };
    let each = |f: &dyn Fn(&PoliciesReport) -> String| -> Vec<String> {
        report
            .stacks
            .iter()
            .map(|s: &StackReport| s.policies.as_ref().map_or_else(|| "n/a".to_string(), f))
            .collect()
    };
    let mut rows = Vec::new();
    for (i, p) in first.policies.iter().enumerate() {
        rows.push((
            format!(
                "Policy {} ({} past {}) fired",
                terminal(&p.name),
                p.action,
                money(p.threshold_usd)
            ),
            each(&|x| fired(&x.policies[i])),
        ));
    }
    for (i, seg) in first.segments.iter().enumerate() {
        rows.push((
            format!("  {} degraded / paused", terminal(&seg.name)),
            each(&|x| {
                let s = &x.segments[i];
                format!(
                    "{} / {}",
                    percent(s.degraded_share),
                    percent(s.paused_share)
                )
            }),
        ));
        rows.push((
            format!(
                "  {} refused by a policy / by the hard cap",
                terminal(&seg.name)
            ),
            each(&|x| {
                let s = &x.segments[i];
                format!(
                    "{} / {}",
                    percent(s.refused_share),
                    percent(s.hard_cap_refused_share)
                )
            }),
        ));
    }
    rows.push((
        "  degraded requests accepted".to_string(),
        each(&|x| {
            x.degraded_acceptance_rate
                .map_or("n/a".to_string(), percent)
        }),
    ));
    if first.latency.is_known() {
        rows.push((
            "  latency p50 / p95, not degraded".to_string(),
            each(&|x| latency(x.latency.not_degraded)),
        ));
        rows.push((
            "  latency p50 / p95, degraded".to_string(),
            each(&|x| latency(x.latency.degraded)),
        ));
    }
    rows.push((
        "  spend without policies, mean".to_string(),
        each(&|x| money(x.monthly_spend_without_policies_usd)),
    ));
    rows.push(("  saved by policies, mean".to_string(), each(&saved)));
    if first.breach_probability.is_some() {
        rows.push((
            "  breach without / with policies".to_string(),
            each(&|x| {
                x.breach_probability.map_or("n/a".to_string(), |b| {
                    format!("{} / {}", percent(b.before), percent(b.after))
                })
            }),
        ));
    }
    rows.push((
        "  hard cap hit without / with policies".to_string(),
        each(&|x| {
            format!(
                "{} / {}",
                percent(x.hard_cap_probability_without_policies),
                percent(x.hard_cap_probability)
            )
        }),
    ));
    rows.push((
        "  requests refused by a policy, mean".to_string(),
        each(&|x| count(x.policy_refused_requests.mean)),
    ));
    rows.push((
        "  refused by the hard cap without / with, mean".to_string(),
        each(&|x| {
            format!(
                "{} / {}",
                count(x.refused_requests_without_policies.mean),
                count(x.hard_cap_refused_requests.mean)
            )
        }),
    ));
    rows
}

/// The brief's section on one stack's policies (nothing when it has none).
pub fn brief_blocks(report: &Report, stack: &str) -> Vec<Block> {
    let Some(p) = report
        .stacks
        .iter()
        .find(|s| s.name == stack)
        .and_then(|s| s.policies.as_ref())
    else {
        return Vec::new();
    };
    let mut b = vec![Block::Subheading("Budget policies".to_string())];
    b.push(para(
        "Each policy acts from the first request after the month's spend passes its threshold, for the rest of the month, on the segments and workflows it covers; later policies stack on earlier ones. Spend without the policies is the same simulated months with the policies switched off.",
    ));
    let mut t = Table::numeric(vec![
        "policy".to_string(),
        "action".to_string(),
        "threshold".to_string(),
        "months it fires".to_string(),
        "median day".to_string(),
    ]);
    for f in &p.policies {
        t.row(vec![
            f.name.clone(),
            f.action.to_string(),
            money(f.threshold_usd),
            percent(f.probability_fired),
            f.median_day_fired
                .map_or("—".to_string(), |d| format!("{d:.0}")),
        ]);
    }
    b.push(Block::Table(t));
    let mut t = Table::numeric(vec![
        "segment".to_string(),
        "requests a month".to_string(),
        "served degraded".to_string(),
        "paused".to_string(),
        "refused by a policy".to_string(),
        "refused by the hard cap".to_string(),
    ]);
    for s in &p.segments {
        t.row(vec![
            s.name.clone(),
            count(s.requests_per_month),
            percent(s.degraded_share),
            percent(s.paused_share),
            percent(s.refused_share),
            percent(s.hard_cap_refused_share),
        ]);
    }
    b.push(Block::Table(t));
    let mut t = Table::numeric(vec![
        String::new(),
        "with policies".to_string(),
        "without".to_string(),
    ]);
    t.row(vec![
        "monthly spend, mean".to_string(),
        money(p.monthly_spend_usd),
        money(p.monthly_spend_without_policies_usd),
    ]);
    if let Some(br) = &p.breach_probability {
        // With the policies, it is the stack's breach probability: written as the rest of the
        // brief writes it (rounded to its standard error), and the figure without them to the
        // same decimals, so one probability never reads two ways in one brief.
        let st = report.stacks.iter().find(|s| s.name == stack);
        let with = crate::base::stats::estimate::Estimate::new(
            br.after,
            st.and_then(|s| s.breach_probability_standard_error)
                .unwrap_or(0.0),
        );
        let d = prob_decimals(&with);
        t.row(vec![
            "breach probability".to_string(),
            prob(&with, Some(report.trials as usize)).0,
            pct_value(br.before, d),
        ]);
    }
    t.row(vec![
        "months the hard cap refuses requests".to_string(),
        percent(p.hard_cap_probability),
        percent(p.hard_cap_probability_without_policies),
    ]);
    t.row(vec![
        "requests refused by a policy a month, mean".to_string(),
        count(p.policy_refused_requests.mean),
        "—".to_string(),
    ]);
    t.row(vec![
        "requests refused by the hard cap a month, mean".to_string(),
        count(p.hard_cap_refused_requests.mean),
        count(p.refused_requests_without_policies.mean),
    ]);
    b.push(Block::Table(t));
    if p.latency.is_known() {
        b.push(latency_table(p));
    }
    let mut text = format!("The policies save {} a month on average", saved(p));
    if let Some(rate) = p.degraded_acceptance_rate {
        text.push_str(&format!(
            "; {} of the requests served degraded were accepted",
            percent(rate)
        ));
    }
    text.push_str(&format!(
        "; {} requests a month are refused by a policy (p95 {}) and {} by the hard cap (p95 {}), against {} by the hard cap without the policies.",
        count(p.policy_refused_requests.mean),
        count(p.policy_refused_requests.p95),
        count(p.hard_cap_refused_requests.mean),
        count(p.hard_cap_refused_requests.p95),
        count(p.refused_requests_without_policies.mean)
    ));
    b.push(para(text));
    b
}

/// Latency under degradation: the stack's requests, then each policy's, served degraded and not.
fn latency_table(p: &PoliciesReport) -> Block {
    let mut t = Table::numeric(vec![
        "requests".to_string(),
        "p50 / p95, not degraded".to_string(),
        "p50 / p95, degraded".to_string(),
    ]);
    let mut row = |label: String, l: &DegradedLatency| {
        t.row(vec![label, latency(l.not_degraded), latency(l.degraded)]);
    };
    row("all".to_string(), &p.latency);
    for f in &p.policies {
        row(format!("covered by {}", f.name), &f.latency);
    }
    Block::Table(t)
}
