//! Text rendering of `aicost estimate`: every figure with the multiplication that produced it, so
//! it can be checked with a calculator.

use std::fmt::Write as _;

use crate::base::format::{count, fixed, money};
use crate::sim::estimate::Estimate;

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

// Long on purpose: the spreadsheet view's sections written in the order they are read, into one
// buffer with shared column widths.
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
            if w.semantic_cache_hit_rate > 0.0 || w.semantic_cache_usd_per_lookup > 0.0 {
                let _ = writeln!(
                    out,
                    "    semantic cache: {:.2}% of requests answered without a model call; {} per lookup",
                    w.semantic_cache_hit_rate * 100.0,
                    small_money(w.semantic_cache_usd_per_lookup)
                );
            }
            if w.incident_factor > 1.0 {
                let _ = writeln!(
                    out,
                    "    incidents repeat requests: × {:.4} runs per request on average",
                    w.incident_factor
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
                if step.window_refused > 1e-12 {
                    let _ = writeln!(
                        out,
                        "      {} of the requests reaching it are refused: their input exceeds a model's window",
                        crate::base::format::small_percent(step.window_refused)
                    );
                }
                if (step.calls_per_request - 1.0).abs() > 1e-12 {
                    let _ = writeln!(
                        out,
                        "      {:.4} calls of the step per request (agent loop)",
                        step.calls_per_request
                    );
                }
                if step.aux_usd > 0.0 {
                    let _ = writeln!(
                        out,
                        "      fees outside the model {} per request",
                        small_money(step.aux_usd)
                    );
                }
                for link in &step.links {
                    // With a window some prompts exceed, the calls priced below are those it
                    // accepts: the refused ones are billed nothing.
                    let billed = if step.window_refused > 1e-12 {
                        "billed calls"
                    } else {
                        "calls"
                    };
                    let _ = writeln!(
                        out,
                        "      {}: called by {:.2}% of requests at this step, {:.4} {billed}/request",
                        link.model,
                        link.reach_probability * 100.0,
                        link.calls_per_request
                    );
                    if link.error_share > 0.0 {
                        let _ = writeln!(
                            out,
                            "        {:.2}% of calls fail at the provider; the lines average them in",
                            link.error_share * 100.0
                        );
                    }
                    if link.long_context_share > 0.0 {
                        let levels: Vec<String> = link
                            .long_context_levels
                            .iter()
                            .filter(|l| l.share > 0.0)
                            .map(|l| {
                                format!(
                                    "{:.2}% above {} tokens",
                                    l.share * 100.0,
                                    crate::base::format::count(l.above_input_tokens)
                                )
                            })
                            .collect();
                        let _ = writeln!(
                            out,
                            "        long-context prices apply to {:.2}% of calls{}",
                            link.long_context_share * 100.0,
                            if levels.is_empty() {
                                String::new()
                            } else {
                                format!(" ({})", levels.join(", "))
                            }
                        );
                    }
                    if let Some(window) = link.max_input_tokens
                        && link.window_exceeded_share > 1e-12
                    {
                        let _ = writeln!(
                            out,
                            "        {} of this step's prompts exceed its {}-token input window: the provider refuses them (an error, not billed) and the request fails",
                            crate::base::format::small_percent(link.window_exceeded_share),
                            crate::base::format::count(window)
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
                        let batch = if line.class == crate::billing::classes::CostClass::ToolFees {
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
        let inv = &stack.invoice;
        let _ = writeln!(
            out,
            "  invoice{}:",
            if e.months > 1 { " of month 1" } else { "" }
        );
        // Tiers on list price first, then contracts; lines that change nothing are left out.
        let lines = [
            ("requests at list price", inv.list_usd, true),
            ("volume tiers", inv.volume_discount_usd, false),
            ("contract discounts", inv.contract_discount_usd, false),
            ("unused commitment", inv.unused_commitment_usd, false),
            ("refused by the hard cap", inv.capped_usd, false),
            ("fine-tuning training", inv.training_usd, false),
            ("fine-tuned hosting", inv.hosting_usd, false),
            ("provisioned capacity", inv.provisioned_usd, false),
            ("served by the capacity", inv.provisioned_served_usd, false),
            ("billed", inv.total_usd, true),
        ];
        for (label, usd, always) in lines {
            if always || usd != 0.0 {
                let _ = writeln!(out, "    {label:<24} {:>14}", money_cents(usd));
            }
        }
        if e.months > 1 {
            let _ = writeln!(
                out,
                "  horizon of {} months: total {}, average month {}",
                e.months,
                money_cents(stack.horizon_total_usd),
                money_cents(stack.monthly_usd)
            );
            for (m, x) in stack.months_usd.iter().enumerate() {
                let _ = writeln!(out, "    month {:>3} {:>14}", m + 1, money_cents(*x));
            }
        } else {
            let _ = writeln!(out, "  monthly total {}", money_cents(stack.monthly_usd));
        }
        for q in &stack.quotas {
            let _ = writeln!(
                out,
                "  quota {} of {} calls/minute: P(a minute of month 1 over it) {:.1}%, {} calls throttled ({:.2}%)",
                crate::base::escape::terminal(&q.model),
                count(q.requests_per_minute),
                q.peak_probability * 100.0,
                count(q.throttled_calls),
                q.throttled_share * 100.0
            );
        }
        // Over a horizon the unit figures are those of its average month, as `simulate` pools
        // every month; the label says so, and month 1 of the review is shown beside it.
        let indent = if e.months > 1 {
            let _ = writeln!(
                out,
                "  average month of the {}-month horizon (as simulate reports it):",
                e.months
            );
            "    "
        } else {
            "  "
        };
        if let Some(r) = stack.review_usd {
            match stack.months_review_usd.first() {
                Some(first) if e.months > 1 => {
                    let _ = writeln!(
                        out,
                        "{indent}human review {} per month (month 1: {})",
                        money_cents(r),
                        money_cents(*first)
                    );
                }
                _ => {
                    let _ = writeln!(out, "{indent}human review {} per month", money_cents(r));
                }
            }
        }
        if let Some(c) = stack.cost_per_useful_output_usd {
            let _ = writeln!(
                out,
                "{indent}cost per useful output (with review) {}",
                small_money(c)
            );
        }
        if let Some(c) = stack.cost_per_accepted_task_usd {
            let _ = writeln!(
                out,
                "{indent}accepted tasks {} per month; cost per accepted task {}",
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
    if x < 0.0 {
        format!("−${}", fixed(-x, 2))
    } else {
        format!("${}", fixed(x, 2))
    }
}
