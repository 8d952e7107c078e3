//! Text rendering of `aicost estimate`: every figure with the multiplication that produced it, so
//! it can be checked with a calculator.

use std::fmt::Write as _;

use super::format::{count, fixed, money};
use crate::estimate::Estimate;

/// A price per million tokens, with as many decimals as it needs.
fn price(p: f64) -> String {
    let s = format!("{p:.6}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    format!("${s}/Mtok")
}

/// A per-request dollar figure with enough digits to check by hand.
fn small_money(x: f64) -> String {
    if x == 0.0 {
        "$0".to_string()
    } else if x.abs() >= 1.0 {
        format!("${}", fixed(x, 4))
    } else {
        let decimals = (5 - x.abs().log10().floor() as i32).clamp(2, 12) as usize;
        let s = format!("{x:.decimals$}");
        format!("${}", s.trim_end_matches('0').trim_end_matches('.'))
    }
}

fn tokens(x: f64) -> String {
    if (x - x.round()).abs() < 1e-6 {
        count(x)
    } else {
        fixed(x, 1)
    }
}

pub fn render(e: &Estimate) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Estimate for {} (expected values, no simulation)",
        e.scenario
    );
    if let Some(b) = e.budget_usd {
        let _ = writeln!(out, "Budget {} per month of {} days", money(b), e.days);
    }
    for stack in &e.stacks {
        let _ = writeln!(out);
        let _ = writeln!(out, "Stack {}", stack.name);
        for w in &stack.workflows {
            let _ = writeln!(out, "  workflow {}", w.name);
            for t in &w.traffic {
                let _ = writeln!(
                    out,
                    "    traffic {}: {} users × {} sessions/user/month × {} requests/session = {} requests/month",
                    t.segment,
                    tokens(t.users),
                    fixed(t.sessions_per_user, 4)
                        .trim_end_matches('0')
                        .trim_end_matches('.'),
                    fixed(t.requests_per_session, 4)
                        .trim_end_matches('0')
                        .trim_end_matches('.'),
                    tokens(t.requests)
                );
            }
            for step in &w.steps {
                let _ = writeln!(
                    out,
                    "    step {} (route {}), reached by {:.2}% of requests, accepted {:.2}%",
                    step.name,
                    step.route,
                    step.reach_probability * 100.0,
                    step.acceptance_probability * 100.0
                );
                for link in &step.links {
                    let _ = writeln!(
                        out,
                        "      {}: called by {:.2}% of requests at this step, {:.4} calls/request",
                        link.model,
                        link.reach_probability * 100.0,
                        link.calls_per_request
                    );
                    if link.long_context_share > 0.0 {
                        let _ = writeln!(
                            out,
                            "        long-context prices apply to {:.2}% of calls",
                            link.long_context_share * 100.0
                        );
                    }
                    let batch = if link.batch_factor < 1.0 {
                        format!(
                            " × {} (batch)",
                            fixed(link.batch_factor, 4)
                                .trim_end_matches('0')
                                .trim_end_matches('.')
                        )
                    } else {
                        String::new()
                    };
                    for line in &link.lines {
                        let (unit, unit_price) = match line.unit {
                            "tokens" => ("tok", price(line.unit_price_usd)),
                            "images" => (
                                "images",
                                format!("{}/image", small_money(line.unit_price_usd)),
                            ),
                            _ => (
                                "calls",
                                format!("{}/call", small_money(line.unit_price_usd)),
                            ),
                        };
                        // Batch discounts apply to tokens, not to per-call tool fees.
                        let batch = if line.class == "tool_fees" {
                            ""
                        } else {
                            batch.as_str()
                        };
                        let _ = writeln!(
                            out,
                            "        {:<15} {:>12} {unit} × {unit_price}{batch} = {}",
                            line.label,
                            tokens(line.quantity),
                            small_money(line.usd)
                        );
                    }
                    let _ = writeln!(
                        out,
                        "        per call {} × {:.4} calls = {} per request",
                        small_money(link.cost_per_call_usd),
                        link.calls_per_request,
                        small_money(link.cost_per_request_usd)
                    );
                }
            }
            let _ = writeln!(
                out,
                "    cost per request {} × {} requests = {} per month",
                small_money(w.cost_per_request_usd),
                tokens(w.requests_per_month),
                money_cents(w.monthly_usd)
            );
        }
        let _ = writeln!(out, "  monthly total {}", money_cents(stack.monthly_usd));
        if let Some(c) = stack.cost_per_accepted_task_usd {
            let _ = writeln!(
                out,
                "  accepted tasks {} per month; cost per accepted task {}",
                tokens(stack.accepted_per_month),
                small_money(c)
            );
        }
    }
    if !e.approximations.is_empty() {
        let _ = writeln!(out);
        let _ = writeln!(out, "Approximations (simulate for exact figures):");
        for a in &e.approximations {
            let _ = writeln!(out, "  - {a}");
        }
    }
    out
}

fn money_cents(x: f64) -> String {
    format!("${}", fixed(x, 2))
}
