//! The backlog as text for the terminal: one ranked list per stack, the best levers together,
//! and the levers that do not apply.

use super::report::Backlog;

/// Milliseconds as seconds for people: `1.24 s`, `380 ms`.
fn seconds(ms: f64) -> String {
    if ms >= 1000.0 {
        format!("{:.2} s", ms / 1000.0)
    } else {
        format!("{ms:.0} ms")
    }
}

/// The backlog as text: one ranked list per stack.
pub fn render(b: &Backlog, run: &str) -> String {
    use crate::analysis::diff::{signed_money, signed_points};
    use crate::base::format::{money, percent};
    let mut out = format!("Levers for {} · {run}\n", b.scenario);
    out.push_str(&format!(
        "Assumptions: {} (change with --lever KEY=VALUE)\n",
        b.assumptions.describe()
    ));
    for (k, base) in b.baseline.iter().enumerate() {
        out.push_str(&format!(
            "\n{} — now {} a month on average, p95 {}",
            base.stack,
            money(base.mean_usd),
            money(base.p95_usd)
        ));
        if let Some(p) = base.breach_probability {
            out.push_str(&format!(", breach {}", percent(p)));
        }
        out.push('\n');
        let mut rank = 0;
        for (row, e) in b.ranked(k) {
            if !e.affected {
                out.push_str(&format!("   –  {}: no effect on this stack\n", row.lever));
                continue;
            }
            rank += 1;
            out.push_str(&format!("  {rank:>2}. {}: {}\n", row.lever, row.change));
            let s = &e.saving_usd;
            let verb = if s.mean >= 0.0 { "saves" } else { "costs" };
            let amount = signed_money(s.mean.abs(), s.standard_error);
            let mut line = format!(
                "      {verb} {} a month ({:.1}%), p5–p95 {} – {}",
                amount.trim_start_matches(['+', '±']),
                e.saving_share.abs() * 100.0,
                money(s.p5),
                money(s.p95)
            );
            if let Some(bp) = &e.breach_probability {
                if bp.delta == 0.0 {
                    line.push_str(&format!(" · breach {} unchanged", percent(bp.before)));
                } else {
                    line.push_str(&format!(
                        " · breach {} → {} ({})",
                        percent(bp.before),
                        percent(bp.after),
                        signed_points(bp.delta, bp.delta_standard_error)
                    ));
                }
            }
            match (e.acceptance_rate_before, e.acceptance_rate_after) {
                (Some(x), Some(y)) if (x - y).abs() > 1e-12 => {
                    let (a, b) = if (x - y).abs() < 0.001 || percent(x) == percent(y) {
                        (format!("{:.3}%", x * 100.0), format!("{:.3}%", y * 100.0))
                    } else {
                        (percent(x), percent(y))
                    };
                    line.push_str(&format!(" · acceptance {a} → {b}"));
                }
                (Some(_), Some(_)) => line.push_str(" · acceptance unchanged"),
                _ => {}
            }
            if let Some(p) = e.underused_probability {
                line.push_str(&format!(
                    " · commitment under-used in {} of months",
                    percent(p)
                ));
            }
            for l in &e.latency_p95_ms {
                if (l.after - l.before).abs() > 0.005 * l.before.max(1.0) {
                    line.push_str(&format!(
                        " · p95 latency {} {} → {}",
                        l.workflow,
                        seconds(l.before),
                        seconds(l.after)
                    ));
                }
            }
            out.push_str(&line);
            out.push('\n');
        }
        for c in b.combined.iter().filter(|c| c.stack == base.stack) {
            let s = &c.effect.saving_usd;
            let verb = if s.mean >= 0.0 { "save" } else { "cost" };
            out.push_str(&format!(
                "   together: {} simulated at once {verb} {} a month ({:.1}%), p5–p95 {} – {}; their savings one at a time add up to {} ({:.1}%), which is not what they save together\n",
                c.levers.join(" + "),
                signed_money(s.mean.abs(), s.standard_error).trim_start_matches(['+', '±']),
                c.effect.saving_share.abs() * 100.0,
                money(s.p5),
                money(s.p95),
                money(c.sum_of_savings_usd),
                if base.mean_usd > 0.0 {
                    c.sum_of_savings_usd / base.mean_usd * 100.0
                } else {
                    0.0
                }
            ));
        }
    }
    if !b.not_applicable.is_empty() {
        out.push_str("\nNot applicable:\n");
        for n in &b.not_applicable {
            out.push_str(&format!("  {}: {}\n", n.lever, n.reason));
        }
    }
    out.push_str(
        "\nSavings are per-trial differences on common random numbers: mean ± standard error, and the 5th–95th percentile over simulated months. Each lever is measured alone against the scenario as it is, so savings do not add: levers that cut the same spend save less together than the sum of their savings (\"together\" simulates a stack's best levers at once).\n",
    );
    out
}
