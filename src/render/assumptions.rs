//! The assumptions section of a brief: the inputs behind every figure, as the scenario states
//! them, so that a reader who signs the budget off can audit them without opening the TOML.
//!
//! Three tables: each model's prices with where they come from and when they were checked (the
//! scenario's `source` and `checked`, or the catalog entry they were filled from), the traffic
//! of each segment, and the tokens of each workflow step per request; then, where the scenario
//! has them, every other input that carries spend (reasoning, image and audio prices, service
//! tiers, long-context levels, volume tiers; audio and images per call, the thinking budget,
//! tool and other fees, semantic-cache lookups, fine-tunes, contracts, the hard cap,
//! incidents), so that no spend comes from an input the reader was not shown. A number the scenario gives
//! as a distribution is shown as its mean and the middle 90% of its draws, so the spread a
//! forecast carries is visible where it enters.

use super::blocks::{Block, Table};
use crate::base::format::count;
use crate::model::dist::Dist;
use crate::model::{Model, Param, RequestPath, Scenario, ServiceTier, SessionRate, Step};

/// The section's blocks: a heading, a note, and the prices, traffic and tokens tables.
pub(crate) fn blocks(s: &Scenario) -> Vec<Block> {
    let mut out = vec![
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
    ];
    // Every other input that carries spend, where the scenario has any: the prices beyond the
    // four standard ones, and the costs that are not token prices.
    let other = other_prices(&s.models);
    if !other.rows.is_empty() {
        out.push(Block::Subheading(
            "Other prices (USD per million tokens unless stated)".to_string(),
        ));
        out.push(Block::Table(other));
    }
    let other = other_costs(s);
    if !other.rows.is_empty() {
        out.push(Block::Subheading(
            "Other inputs that carry spend".to_string(),
        ));
        out.push(Block::Table(other));
    }
    out
}

/// A price the scenario lists beside the standard ones, when it has it.
fn opt_price(p: &Option<Param>) -> Option<String> {
    p.as_ref().map(|p| param(p, price))
}

/// Listed prices of a service tier or long-context level: `input $5.00 · output $22.50`.
fn listed(parts: [(&str, &Option<Param>); 4]) -> String {
    parts
        .iter()
        .filter_map(|(what, p)| opt_price(p).map(|v| format!("{what} {v}")))
        .collect::<Vec<_>>()
        .join(" · ")
}

/// Each model's prices beyond input, cached input, cache write and output: reasoning and image
/// tokens priced apart, images, audio, one-hour cache writes, the priority and flex tiers,
/// long-context levels and graduated volume tiers.
fn other_prices(models: &[Model]) -> Table {
    let mut t = Table {
        head: ["Model", "Price", "Value"].map(String::from).to_vec(),
        rows: Vec::new(),
        right: vec![false, false, true],
    };
    for m in models {
        let mut row = |what: String, value: String| {
            if !value.is_empty() {
                t.row(vec![m.name.clone(), what, value]);
            }
        };
        if m.reasoning.dist.mean() != m.prices.output.dist.mean() {
            row("reasoning tokens".into(), param(&m.reasoning, price));
        }
        if m.image_input.dist.mean() != m.prices.input.dist.mean() {
            row("image input tokens".into(), param(&m.image_input, price));
        }
        if let Some(p) = &m.input_per_image {
            row("per image (USD)".into(), param(p, price));
        }
        if let Some(v) = opt_price(&m.audio_input) {
            row("audio input tokens".into(), v);
        }
        if let Some(v) = opt_price(&m.audio_output) {
            row("audio output tokens".into(), v);
        }
        if let Some(v) = opt_price(&m.cache_write_1h) {
            row("one-hour cache write".into(), v);
        }
        for (tier, prices) in [("priority", &m.priority), ("flex", &m.flex)] {
            if let Some(tp) = prices {
                let mut text = listed([
                    ("input", &tp.input),
                    ("cached input", &tp.cached_input),
                    ("cache write", &tp.cache_write),
                    ("output", &tp.output),
                ]);
                if tier == "flex" && tp.unavailable_rate.dist.fixed_value() != Some(0.0) {
                    text.push_str(&format!(
                        "{}unavailable {}",
                        if text.is_empty() { "" } else { " · " },
                        param(&tp.unavailable_rate, share)
                    ));
                }
                row(format!("{tier} tier"), text);
            }
        }
        for lc in &m.long_context {
            let p = &lc.prices;
            let mut text = format!(
                "input {} · cached input {} · cache write {} · output {}",
                param(&p.input, price),
                param(&p.cached_input, price),
                param(&p.cache_write, price),
                param(&p.output, price)
            );
            if let Some(v) = opt_price(&lc.cache_write_1h) {
                text.push_str(&format!(" · one-hour cache write {v}"));
            }
            row(
                format!("above {} input tokens", count(lc.above_input_tokens)),
                text,
            );
        }
        for v in &m.volume_tiers {
            row(
                format!("volume tier above {} tokens a month", count(v.above_tokens)),
                format!("{} off", share(v.discount)),
            );
        }
    }
    t
}

/// Inputs that carry spend and are not token prices: audio and images per request, the
/// thinking budget, tool fees, other fees per request, semantic-cache lookups, committed-use
/// contracts, the hard cap and incidents.
fn other_costs(s: &Scenario) -> Table {
    let mut t = Table {
        head: ["Where", "Input", "Value"].map(String::from).to_vec(),
        rows: Vec::new(),
        right: vec![false, false, true],
    };
    let mut row = |at: String, what: String, value: String| t.row(vec![at, what, value]);
    let usd = |x: f64| crate::base::format::money(x);
    for w in &s.workflows {
        let lookup = &w.semantic_cache_usd_per_lookup;
        if w.semantic_cache_hit_rate.dist.fixed_value() != Some(0.0)
            || lookup.dist.fixed_value() != Some(0.0)
        {
            row(
                w.name.clone(),
                "semantic cache: hit rate, USD a lookup".into(),
                format!(
                    "{}, {}",
                    param(&w.semantic_cache_hit_rate, share),
                    param(lookup, usd)
                ),
            );
        }
        for step in &w.steps {
            let at = format!("{} · {}", w.name, step.name);
            if step.audio_input_tokens.fixed_value() != Some(0.0) {
                row(
                    at.clone(),
                    "audio input tokens per call".into(),
                    tokens_of(&step.audio_input_tokens),
                );
            }
            if step.audio_output_tokens.fixed_value() != Some(0.0) {
                row(
                    at.clone(),
                    "audio output tokens per call".into(),
                    tokens_of(&step.audio_output_tokens),
                );
            }
            if let Some(im) = &step.images {
                row(
                    at.clone(),
                    "images per call × tokens each".into(),
                    format!(
                        "{} × {}",
                        quantity(&im.count, fixed2),
                        count(im.tokens_per_image)
                    ),
                );
            }
            if let Some(cap) = step.max_reasoning_tokens {
                row(
                    at.clone(),
                    "thinking budget (reasoning tokens at most)".into(),
                    count(cap),
                );
            }
            for tc in &step.tool_calls {
                let tool = s.tools.get(tc.tool).cloned().unwrap_or_default();
                row(
                    at.clone(),
                    format!("tool {tool}: calls × USD a call"),
                    format!(
                        "{} × {}",
                        quantity(&tc.count, fixed2),
                        param(&tc.usd_per_call, usd)
                    ),
                );
            }
            if step.aux_usd_per_request.dist.fixed_value() != Some(0.0) {
                row(
                    at.clone(),
                    "other fees, USD a request".into(),
                    param(&step.aux_usd_per_request, usd),
                );
            }
        }
    }
    for m in &s.models {
        if let Some(f) = &m.fine_tune {
            row(
                m.name.clone(),
                "fine-tune: training once, hosting an hour".into(),
                format!("{}, {}", usd(f.training_usd()), usd(f.hosting_usd_per_hour)),
            );
        }
    }
    for c in &s.contracts {
        row(
            format!("contract {}", c.name),
            format!("{}: committed a month, discount", c.provider),
            format!(
                "{}, {}",
                param(&c.committed_monthly_usd, usd),
                param(&c.discount, share)
            ),
        );
    }
    if let Some(cap) = s.budget.as_ref().and_then(|b| b.hard_cap_usd) {
        row(
            "budget".into(),
            "hard cap (requests refused beyond it)".into(),
            usd(cap),
        );
    }
    for i in &s.incidents {
        row(
            format!("incident {}", i.name),
            "chance a month · cost multiplier · hours".into(),
            format!(
                "{} · × {} · {}",
                param(&i.monthly_probability, share),
                param(&i.multiplier, fixed2),
                param(&i.duration_hours, fixed2)
            ),
        );
    }
    t
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
