//! The assumptions section of a brief: the inputs behind every figure, as the scenario states
//! them, so that a reader who signs the budget off can audit them without opening the TOML.
//!
//! Three tables: each model's prices with where they come from and when they were checked (the
//! scenario's `source` and `checked`, or the catalog entry they were filled from), the traffic
//! of each segment, and the tokens of each workflow step per request. A number the scenario gives
//! as a distribution is shown as its mean and the middle 90% of its draws, so the spread a
//! forecast carries is visible where it enters.

use super::blocks::{Block, Table};
use crate::base::format::count;
use crate::model::dist::Dist;
use crate::model::{Model, Param, RequestPath, Scenario, ServiceTier, SessionRate, Step};

/// The section's blocks: a heading, a note, and the prices, traffic and tokens tables.
pub(crate) fn blocks(s: &Scenario) -> Vec<Block> {
    vec![
        Block::Heading("Assumptions".to_string()),
        Block::Para(vec![super::blocks::Inline::Text(
            "The inputs every figure above rests on, as the scenario states them. A range is the middle 90% of a quantity the scenario gives as a distribution: of requests for token counts, of simulated months for uncertain parameters.".to_string(),
        )]),
        Block::Subheading("Prices (USD per million tokens)".to_string()),
        Block::Table(prices(&s.models)),
        Block::Subheading("Traffic".to_string()),
        Block::Table(traffic(s)),
        Block::Subheading("Tokens per request, by workflow step".to_string()),
        Block::Table(tokens(s)),
    ]
}

/// A price: up to four significant digits, the way price pages write them ($0.075, $2.50).
fn price(x: f64) -> String {
    if x == 0.0 {
        return "$0".to_string();
    }
    let digits = (4 - 1 - x.abs().log10().floor() as i32).clamp(2, 8) as usize;
    let text = format!("{x:.digits$}");
    let text = if text.contains('.') {
        let t = text.trim_end_matches('0');
        // Cents keep two decimals: $2.50, not $2.5.
        match t.split_once('.') {
            Some((_, frac)) if frac.len() < 2 => format!("{t}{}", "0".repeat(2 - frac.len())),
            _ => t.to_string(),
        }
    } else {
        text
    };
    format!("${text}")
}

/// A quantity as its value, or its mean and middle 90% when it is a distribution.
fn quantity(d: &Dist, show: impl Fn(f64) -> String) -> String {
    match d.fixed_value() {
        Some(v) => show(v),
        None => format!(
            "{} ({}–{})",
            show(d.mean()),
            show(d.quantile(0.05)),
            show(d.quantile(0.95))
        ),
    }
}

fn param(p: &Param, show: impl Fn(f64) -> String) -> String {
    quantity(&p.dist, show)
}

fn tokens_of(d: &Dist) -> String {
    if d.fixed_value() == Some(0.0) {
        "–".to_string()
    } else {
        quantity(d, count)
    }
}

fn share(x: f64) -> String {
    let pct = x * 100.0;
    if pct == pct.round() {
        format!("{pct:.0}%")
    } else {
        format!("{}%", crate::base::format::fixed(pct, 1))
    }
}

fn prices(models: &[Model]) -> Table {
    let mut t = Table {
        head: [
            "Model",
            "Provider",
            "Input",
            "Cached input",
            "Cache write",
            "Output",
            "Batch discount",
            "Source",
            "Checked",
        ]
        .map(String::from)
        .to_vec(),
        rows: Vec::new(),
        right: vec![false, false, true, true, true, true, true, false, false],
    };
    for m in models {
        let src = &m.price_source;
        let source = match (&src.source, &src.catalog) {
            (Some(s), Some(c)) => format!("{s} (via the {c})"),
            (Some(s), None) => s.clone(),
            (None, Some(c)) => format!("the {c}"),
            (None, None) => "written in the scenario, no source given".to_string(),
        };
        t.row(vec![
            m.name.clone(),
            m.provider.clone(),
            param(&m.prices.input, price),
            param(&m.prices.cached_input, price),
            param(&m.prices.cache_write, price),
            param(&m.prices.output, price),
            if m.batch_discount.dist.fixed_value() == Some(0.0) {
                "–".to_string()
            } else {
                param(&m.batch_discount, share)
            },
            source,
            src.checked
                .map_or_else(|| "not stated".to_string(), |d| d.to_string()),
        ]);
    }
    t
}

fn traffic(s: &Scenario) -> Table {
    let mut t = Table {
        head: [
            "Segment",
            "Users",
            "Sessions per user",
            "Weekend days",
            "Growth per month",
            "User-to-user variation (CV)",
        ]
        .map(String::from)
        .to_vec(),
        rows: Vec::new(),
        right: vec![false, true, true, true, true, true],
    };
    for seg in &s.segments {
        let sessions = match &seg.sessions {
            SessionRate::PerDay(p) => format!("{} a weekday", param(p, fixed2)),
            SessionRate::PerMonth(p) => format!("{} a month", param(p, fixed2)),
        };
        t.row(vec![
            seg.name.clone(),
            param(&seg.users, count),
            sessions,
            format!("× {}", param(&seg.weekend_factor, fixed2)),
            param(&seg.monthly_growth, share),
            param(&seg.user_variability, fixed2),
        ]);
    }
    t
}

/// A plain number with at most two decimals, trailing zeros dropped (12, 0.5, 1.25).
/// A rate: two decimals at most (`2.5` sessions a day), whole and grouped from 100 on (`2,169`),
/// like every other count of the tables.
fn fixed2(x: f64) -> String {
    if x.abs() >= 100.0 {
        return count(x);
    }
    let t = format!("{x:.2}");
    t.trim_end_matches('0').trim_end_matches('.').to_string()
}

fn tokens(s: &Scenario) -> Table {
    let mut t = Table {
        head: [
            "Workflow · step",
            "Route",
            "Requests per session",
            "Cached prefix",
            "Input",
            "Output (cap)",
            "Reasoning",
            "Prompt-cache hit rate",
        ]
        .map(String::from)
        .to_vec(),
        rows: Vec::new(),
        right: vec![false, false, true, true, true, true, true, true],
    };
    for w in &s.workflows {
        let path = match (w.path, w.service_tier) {
            (RequestPath::Batch, _) => " (batch)",
            (_, ServiceTier::Priority) => " (priority)",
            (_, ServiceTier::Flex) => " (flex)",
            _ => "",
        };
        for step in &w.steps {
            t.row(vec![
                format!("{} · {}{path}", w.name, step.name),
                s.routes.get(step.route).cloned().unwrap_or_default(),
                quantity(&w.requests_per_session, fixed2),
                tokens_of(&step.static_prefix_tokens),
                input_tokens(step),
                match step.max_output_tokens {
                    Some(cap) => format!("{} (≤ {})", tokens_of(&step.output_tokens), count(cap)),
                    None => tokens_of(&step.output_tokens),
                },
                tokens_of(&step.reasoning_tokens),
                if step.static_prefix_tokens.fixed_value() == Some(0.0) {
                    "–".to_string()
                } else {
                    param(&step.cache_hit_rate, share)
                },
            ]);
        }
    }
    t
}

/// The variable input, with retrieved chunks where the step retrieves any.
fn input_tokens(step: &Step) -> String {
    let base = tokens_of(&step.input_tokens);
    match &step.retrieval {
        None => base,
        Some(r) => format!(
            "{base} + {} chunks × {} tokens",
            quantity(&r.chunks, fixed2),
            quantity(&r.chunk_tokens, count)
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prices_read_as_price_pages_write_them() {
        assert_eq!(price(2.5), "$2.50");
        assert_eq!(price(0.075), "$0.075");
        assert_eq!(price(0.4), "$0.40");
        assert_eq!(price(10.0), "$10.00");
        assert_eq!(price(0.0), "$0");
        assert_eq!(price(1.25), "$1.25");
        assert_eq!(fixed2(12.0), "12");
        assert_eq!(fixed2(0.35), "0.35");
        assert_eq!(fixed2(2168.94), "2,169");
        assert_eq!(fixed2(99.5), "99.5");
        assert_eq!(share(0.5), "50%");
        assert_eq!(share(0.035), "3.5%");
    }
}
