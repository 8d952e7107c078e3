//! LiteLLM's long-context prices as catalog levels: every `…_above_{N}k_tokens` key (with its
//! service-tier and one-hour-write compounds), and `tiered_pricing` ranges.
//!
//! Providers bill a request whose prompt crosses a threshold at that threshold's prices for the
//! whole request, and at the highest threshold crossed when there are several; LiteLLM writes
//! this either as suffixed keys (`input_cost_per_token_above_200k_tokens`,
//! `cache_read_input_token_cost_above_272k_tokens_priority`,
//! `cache_creation_input_token_cost_above_1hr_above_200k_tokens`) or as a list of input ranges
//! (`tiered_pricing: [{ range: [0, 256000], … }, { range: [256000, 1000000], … }]`). Both become
//! [`LongContextPrices`] by ascending threshold. A key this module does not map stays out of the
//! caller's `used` list, so the import reports it.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::decimal::per_token_to_per_mtok;
use super::{LongContextPrices, TierPrices};

/// The price classes a threshold key can carry, as LiteLLM names them.
const CLASSES: [&str; 5] = [
    "input_cost_per_token",
    "output_cost_per_token",
    "cache_read_input_token_cost",
    "cache_creation_input_token_cost",
    "cache_creation_input_token_cost_above_1hr",
];

/// `(class, threshold in tokens, suffix)` of a key such as
/// `cache_creation_input_token_cost_above_1hr_above_200k_tokens_priority`; `None` for a key
/// without a token threshold.
pub(crate) fn split_threshold(key: &str) -> Option<(&str, u64, &str)> {
    let mut from = 0;
    while let Some(i) = key[from..].find("_above_").map(|i| i + from) {
        let rest = &key[i + "_above_".len()..];
        let digits = rest.chars().take_while(char::is_ascii_digit).count();
        if digits > 0 {
            let (n, tail) = rest.split_at(digits);
            let unit = match tail.as_bytes().first() {
                Some(b'k') => 1_000,
                Some(b'm') => 1_000_000,
                _ => 0,
            };
            if unit > 0
                && let Some(suffix) = tail[1..].strip_prefix("_tokens")
                && let Ok(n) = n.parse::<u64>()
            {
                return Some((&key[..i], n * unit, suffix));
            }
        }
        from = i + 1;
    }
    None
}

fn per_mtok(v: &Value) -> Option<f64> {
    v.as_f64()
        .filter(|v| v.is_finite() && *v >= 0.0)
        .map(per_token_to_per_mtok)
}

#[derive(Default)]
struct Level {
    standard: TierPrices,
    write_1h: Option<f64>,
    batch: TierPrices,
    priority: TierPrices,
    flex: TierPrices,
    keys: Vec<String>,
}

fn set(t: &mut TierPrices, class: &str, v: f64) -> bool {
    let slot = match class {
        "input_cost_per_token" => &mut t.input_usd_per_mtok,
        "output_cost_per_token" => &mut t.output_usd_per_mtok,
        "cache_read_input_token_cost" => &mut t.cached_input_usd_per_mtok,
        "cache_creation_input_token_cost" => &mut t.cache_write_usd_per_mtok,
        _ => return false,
    };
    *slot = Some(v);
    true
}

/// The levels the `…_above_{N}_tokens` keys of `obj` give, by ascending threshold; the keys
/// mapped are pushed to `used`. A level's missing input or output price is the one below it
/// (the provider changes only what it lists).
pub(crate) fn threshold_levels(
    obj: &Map<String, Value>,
    base: (Option<f64>, Option<f64>),
    used: &mut Vec<String>,
) -> Vec<LongContextPrices> {
    let mut by: BTreeMap<u64, Level> = BTreeMap::new();
    for (key, v) in obj {
        let Some((class, n, suffix)) = split_threshold(key) else {
            continue;
        };
        let (Some(v), true) = (per_mtok(v), CLASSES.contains(&class)) else {
            continue;
        };
        let level = by.entry(n).or_default();
        let mapped = match (class, suffix) {
            ("cache_creation_input_token_cost_above_1hr", "") => {
                level.write_1h = Some(v);
                true
            }
            ("cache_creation_input_token_cost_above_1hr", _) => false,
            (c, "") => set(&mut level.standard, c, v),
            (c, "_batches") => set(&mut level.batch, c, v),
            (c, "_priority") => set(&mut level.priority, c, v),
            (c, "_flex") => set(&mut level.flex, c, v),
            _ => false,
        };
        if mapped {
            level.keys.push(key.clone());
        }
    }
    let (mut input, mut output) = base;
    let mut out = Vec::new();
    for (n, l) in by {
        // A level needs a standard input or output price to be billed at all.
        if l.standard.input_usd_per_mtok.is_none() && l.standard.output_usd_per_mtok.is_none() {
            continue;
        }
        input = l.standard.input_usd_per_mtok.or(input);
        output = l.standard.output_usd_per_mtok.or(output);
        let (Some(i), Some(o)) = (input, output) else {
            continue;
        };
        used.extend(l.keys);
        let tier = |t: TierPrices| (!t.is_empty()).then_some(t);
        out.push(LongContextPrices {
            cached_input_usd_per_mtok: l.standard.cached_input_usd_per_mtok,
            cache_write_usd_per_mtok: l.standard.cache_write_usd_per_mtok,
            cache_write_1h_usd_per_mtok: l.write_1h,
            batch: tier(l.batch),
            priority: tier(l.priority),
            flex: tier(l.flex),
            ..LongContextPrices::new(n as f64, i, o)
        });
    }
    out
}

/// What `tiered_pricing` gives: the first range's prices (below every threshold), the levels
/// above the others' lower bounds, and reasoning prices per range (first range first).
#[derive(Debug, Default)]
pub(crate) struct Tiered {
    pub base: TierPrices,
    pub base_reasoning: Option<f64>,
    pub levels: Vec<LongContextPrices>,
    /// Keys inside the ranges that aicost does not map, as `tiered_pricing[].KEY`.
    pub unmapped: Vec<String>,
}

/// Read `tiered_pricing`; `None` when the entry has none, or ranges that do not start at 0 (then
/// the key is not marked used and the import lists it).
pub(crate) fn tiered(obj: &Map<String, Value>, used: &mut Vec<String>) -> Option<Tiered> {
    let ranges = obj.get("tiered_pricing")?.as_array()?;
    let mut rows: Vec<(f64, &Map<String, Value>)> = Vec::new();
    for r in ranges {
        let r = r.as_object()?;
        let lo = r.get("range")?.as_array()?.first()?.as_f64()?;
        rows.push((lo, r));
    }
    rows.sort_by(|a, b| a.0.total_cmp(&b.0));
    if rows.first().is_none_or(|(lo, _)| *lo != 0.0) {
        return None;
    }
    let mut t = Tiered::default();
    let mut reasoning: Vec<Option<f64>> = Vec::new();
    let mut outputs: Vec<Option<f64>> = Vec::new();
    for (i, (lo, r)) in rows.iter().enumerate() {
        let mut prices = TierPrices::default();
        let mut r_price = None;
        for (k, v) in r.iter() {
            if k == "range" {
                continue;
            }
            let mapped = match per_mtok(v) {
                Some(x) if k == "output_cost_per_reasoning_token" => {
                    r_price = Some(x);
                    true
                }
                Some(x) => set(&mut prices, k, x),
                None => false,
            };
            if !mapped && !t.unmapped.contains(&format!("tiered_pricing[].{k}")) {
                t.unmapped.push(format!("tiered_pricing[].{k}"));
            }
        }
        reasoning.push(r_price);
        outputs.push(prices.output_usd_per_mtok);
        if i == 0 {
            t.base = prices;
            t.base_reasoning = r_price;
            continue;
        }
        let (Some(input), Some(output)) = (
            prices.input_usd_per_mtok.or(t.base.input_usd_per_mtok),
            prices.output_usd_per_mtok.or(t.base.output_usd_per_mtok),
        ) else {
            continue;
        };
        t.levels.push(LongContextPrices {
            cached_input_usd_per_mtok: prices.cached_input_usd_per_mtok,
            cache_write_usd_per_mtok: prices.cache_write_usd_per_mtok,
            ..LongContextPrices::new(*lo, input, output)
        });
    }
    // aicost bills reasoning at the reasoning price scaled by each level's output factor: a
    // reasoning price per range is mapped when it follows that rule, and listed otherwise.
    if let (Some(r0), Some(o0)) = (reasoning[0], outputs[0]) {
        let follows = reasoning.iter().zip(&outputs).all(|(r, o)| match (r, o) {
            (Some(r), Some(o)) if o0 > 0.0 => ((r0 * o / o0) - r).abs() <= 1e-9 * r.max(1.0),
            (None, _) => true,
            _ => false,
        });
        if !follows {
            t.unmapped
                .retain(|k| k != "tiered_pricing[].output_cost_per_reasoning_token");
            t.unmapped
                .push("tiered_pricing[].output_cost_per_reasoning_token".to_string());
        }
    }
    used.push("tiered_pricing".to_string());
    Some(t)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn threshold_keys_split_into_class_threshold_and_suffix() {
        assert_eq!(
            split_threshold("input_cost_per_token_above_200k_tokens"),
            Some(("input_cost_per_token", 200_000, ""))
        );
        assert_eq!(
            split_threshold("cache_read_input_token_cost_above_272k_tokens_priority"),
            Some(("cache_read_input_token_cost", 272_000, "_priority"))
        );
        assert_eq!(
            split_threshold("cache_creation_input_token_cost_above_1hr_above_200k_tokens"),
            Some(("cache_creation_input_token_cost_above_1hr", 200_000, ""))
        );
        assert_eq!(
            split_threshold("cache_creation_input_token_cost_above_1hr"),
            None
        );
        assert_eq!(
            split_threshold("input_cost_per_video_per_second_above_15s_interval"),
            None
        );
    }
}
