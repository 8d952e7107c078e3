//! The numbers the levers assume (a cache hit rate a team can reach, the share routing sends to
//! the cheap model, …), each with its default and its `--lever KEY=VALUE` override.

use serde::Serialize;

use crate::base::error::{AssumptionFault, UsageKind, suggest};

/// The numbers a lever assumes, each overridable with `--lever KEY=VALUE`.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Assumptions {
    /// Prompt-cache hit rate a team can reach by putting static content first.
    pub cache_hit_rate: f64,
    /// Quantile of each step's output that `max_output_tokens` is lowered to.
    pub output_quantile: f64,
    /// Fraction of every static prefix that prompt trimming removes.
    pub prefix_trim: f64,
    /// Share of requests routed straight to the stack's cheapest model.
    pub route_share: f64,
    /// Share of a workflow's requests a semantic cache answers (GPTCache reports 30–40% in
    /// customer support).
    pub semantic_cache_hit_rate: f64,
    /// Cost of one semantic-cache lookup, hit or miss: a query embedding and a vector search.
    pub semantic_lookup_usd: f64,
    /// Discount a committed-use contract earns (enterprise agreements: typically 20–40%).
    pub contract_discount: f64,
}

impl Default for Assumptions {
    fn default() -> Self {
        Assumptions {
            cache_hit_rate: 0.9,
            output_quantile: 0.95,
            prefix_trim: 0.2,
            route_share: 0.5,
            semantic_cache_hit_rate: 0.3,
            semantic_lookup_usd: 0.00001,
            contract_discount: 0.2,
        }
    }
}

/// Documentation of each assumption: key, meaning, and the open or closed range it must lie in.
pub const ASSUMPTION_KEYS: [(&str, &str); 7] = [
    (
        "cache_hit_rate",
        "prompt-cache hit rate reached by putting static content first (0 to 1)",
    ),
    (
        "output_quantile",
        "quantile of each step's output that max_output_tokens is lowered to (0 to 1)",
    ),
    (
        "prefix_trim",
        "fraction of every static prefix removed by prompt trimming (0 to 1)",
    ),
    (
        "route_share",
        "share of requests sent straight to a stack's cheapest model (0 to 1)",
    ),
    (
        "semantic_cache_hit_rate",
        "share of a workflow's requests answered by a semantic cache (0 to 1)",
    ),
    (
        "semantic_lookup_usd",
        "cost of one semantic-cache lookup in USD (0 or more)",
    ),
    (
        "contract_discount",
        "discount of a committed-use contract (0 to 1)",
    ),
];

impl Assumptions {
    /// Apply one `KEY=VALUE`; the error says why it cannot be used.
    pub fn set(&mut self, kv: &str) -> Result<(), UsageKind> {
        let fault = |why| UsageKind::BadAssumption {
            given: kv.to_string(),
            why,
        };
        let Some((key, value)) = kv.split_once('=') else {
            return Err(fault(AssumptionFault::NotKeyValue));
        };
        let (key, value) = (key.trim(), value.trim());
        let keys = ASSUMPTION_KEYS.map(|(k, _)| k);
        let slot = match key {
            "cache_hit_rate" => &mut self.cache_hit_rate,
            "output_quantile" => &mut self.output_quantile,
            "prefix_trim" => &mut self.prefix_trim,
            "route_share" => &mut self.route_share,
            "semantic_cache_hit_rate" => &mut self.semantic_cache_hit_rate,
            "semantic_lookup_usd" => &mut self.semantic_lookup_usd,
            "contract_discount" => &mut self.contract_discount,
            _ => {
                return Err(fault(AssumptionFault::UnknownKey {
                    key: key.to_string(),
                    suggestion: suggest(key, keys),
                    known: keys.to_vec(),
                }));
            }
        };
        let x: f64 = value.parse().map_err(|_| {
            fault(AssumptionFault::NotANumber {
                value: value.to_string(),
            })
        })?;
        // The ceilings and the floor of the scenario's own numbers.
        if x != 0.0 && x.abs() < crate::model::scenario::validator::MIN_MAGNITUDE {
            return Err(fault(AssumptionFault::TooSmall {
                value: value.to_string(),
                min: crate::model::scenario::validator::MIN_MAGNITUDE,
            }));
        }
        if key == "semantic_lookup_usd" {
            if !(x >= 0.0) || !x.is_finite() || x > crate::model::MAX_NUMBER {
                return Err(fault(AssumptionFault::CostOutOfRange {
                    key: key.to_string(),
                    value: value.to_string(),
                    max: crate::model::MAX_NUMBER,
                }));
            }
            *slot = x;
            return Ok(());
        }
        let ok = match key {
            "cache_hit_rate" | "route_share" | "semantic_cache_hit_rate" => x > 0.0 && x <= 1.0,
            _ => x > 0.0 && x < 1.0,
        };
        if !ok || !x.is_finite() {
            return Err(fault(AssumptionFault::ShareOutOfRange {
                key: key.to_string(),
                value: value.to_string(),
            }));
        }
        *slot = x;
        Ok(())
    }

    pub fn describe(&self) -> String {
        format!(
            "cache_hit_rate={} · output_quantile={} · prefix_trim={} · route_share={} · semantic_cache_hit_rate={} · semantic_lookup_usd={} · contract_discount={}",
            self.cache_hit_rate,
            self.output_quantile,
            self.prefix_trim,
            self.route_share,
            self.semantic_cache_hit_rate,
            self.semantic_lookup_usd,
            self.contract_discount
        )
    }
}
