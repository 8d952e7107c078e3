//! Validation of a model's `long_context` prices: one table, or several thresholds in ascending
//! order, each with its input, output and cache prices, and optionally its one-hour cache write
//! and service-tier prices (the compound prices providers list above a threshold).

use crate::base::error::ProblemKind;
use crate::base::source::Loc;
use crate::model::doc::de::Located;
use crate::model::scenario::raw::*;
use crate::model::scenario::validator::*;
use crate::model::*;

use super::price::{price, scale_dist};

/// The standard prices a long-context level's defaults scale from.
pub(super) struct Base<'a> {
    pub input: &'a Option<Param>,
    pub cached: &'a Option<Param>,
    pub write: &'a Option<Param>,
}

/// The model's long-context levels by ascending threshold; `None` when one is invalid (reported).
pub(super) fn levels(
    raw: &Located<RawLongContexts>,
    p: &str,
    base: &Base<'_>,
    v: &mut Validator,
) -> Option<Vec<LongContext>> {
    let written = raw.value.levels(raw.loc);
    let many = matches!(raw.value, RawLongContexts::Many(_));
    if many && written.is_empty() {
        v.error(
            ProblemKind::InvalidValue,
            "`long_context` is an empty list",
            Some(raw.loc),
            &format!("{p}.long_context"),
            Some("remove it, or give each threshold a table with `above_input_tokens`, `input_usd_per_mtok` and `output_usd_per_mtok`".to_string()),
        );
        return None;
    }
    let mut out = Vec::with_capacity(written.len());
    let mut ok = true;
    for (i, (lc, loc)) in written.into_iter().enumerate() {
        let lp = if many {
            format!("{p}.long_context[{i}]")
        } else {
            format!("{p}.long_context")
        };
        match level(lc, loc, &lp, base, v) {
            Some(l) => {
                if let Some(prev) = out.last().map(|l: &LongContext| l.above_input_tokens)
                    && l.above_input_tokens <= prev
                {
                    v.error(
                        ProblemKind::InvalidValue,
                        format!(
                            "thresholds must rise: {} is not above the previous {}",
                            l.above_input_tokens, prev
                        ),
                        Some(lc.above_input_tokens.loc),
                        &format!("{lp}.above_input_tokens"),
                        Some(
                            "list the long-context tables by ascending `above_input_tokens`"
                                .to_string(),
                        ),
                    );
                    ok = false;
                }
                out.push(l);
            }
            None => ok = false,
        }
    }
    ok.then_some(out)
}

fn level(
    lc: &RawLongContext,
    loc: Loc,
    lp: &str,
    base: &Base<'_>,
    v: &mut Validator,
) -> Option<LongContext> {
    let above = v.number(
        &lc.above_input_tokens,
        &format!("{lp}.above_input_tokens"),
        0.0,
        true,
    );
    let li = price(
        v,
        Some(&lc.input_usd_per_mtok),
        None,
        &format!("{lp}.input_usd_per_mtok"),
        loc,
    );
    let lo = price(
        v,
        Some(&lc.output_usd_per_mtok),
        None,
        &format!("{lp}.output_usd_per_mtok"),
        loc,
    );
    // Providers scale cache reads and writes by the same factor as input above the threshold;
    // without explicit prices, do the same.
    let scaled = |b: &Option<Param>, label: &str| -> Option<Param> {
        let (Some(b), Some(i), Some(li)) = (b, base.input, &li) else {
            return None;
        };
        let factor = if i.mean() > 0.0 {
            li.mean() / i.mean()
        } else {
            1.0
        };
        let mut param = b.clone();
        param.dist = scale_dist(&b.dist, factor);
        param.label = label.to_string();
        Some(param)
    };
    let cached_default = scaled(base.cached, &format!("{lp}.cached_input_usd_per_mtok"));
    let write_default = scaled(base.write, &format!("{lp}.cache_write_usd_per_mtok"));
    let cached = price(
        v,
        lc.cached_input_usd_per_mtok.as_ref(),
        cached_default.as_ref(),
        &format!("{lp}.cached_input_usd_per_mtok"),
        loc,
    );
    let write = price(
        v,
        lc.cache_write_usd_per_mtok.as_ref(),
        write_default.as_ref(),
        &format!("{lp}.cache_write_usd_per_mtok"),
        loc,
    );
    let write_1h = match &lc.cache_write_1h_usd_per_mtok {
        None => Some(None),
        Some(q) => price(
            v,
            Some(q),
            None,
            &format!("{lp}.cache_write_1h_usd_per_mtok"),
            loc,
        )
        .map(Some),
    };
    let priority = listed(lc.priority.as_ref(), &format!("{lp}.priority"), v);
    let flex = listed(lc.flex.as_ref(), &format!("{lp}.flex"), v);
    Some(LongContext {
        above_input_tokens: above?,
        prices: Prices {
            input: li?,
            output: lo?,
            cached_input: cached?,
            cache_write: write?,
        },
        cache_write_1h: write_1h?,
        priority: priority?,
        flex: flex?,
    })
}

/// A service tier's prices above a threshold; `Some(None)` when not written.
fn listed(
    raw: Option<&Located<RawListedPrices>>,
    tp: &str,
    v: &mut Validator,
) -> Option<Option<ListedPrices>> {
    let Some(t) = raw else {
        return Some(None);
    };
    let mut one = |q: &Option<Quantity>, key: &str| match q {
        None => Some(None),
        Some(q) => price(v, Some(q), None, &format!("{tp}.{key}"), t.loc).map(Some),
    };
    let input = one(&t.input_usd_per_mtok, "input_usd_per_mtok");
    let output = one(&t.output_usd_per_mtok, "output_usd_per_mtok");
    let cached_input = one(&t.cached_input_usd_per_mtok, "cached_input_usd_per_mtok");
    let cache_write = one(&t.cache_write_usd_per_mtok, "cache_write_usd_per_mtok");
    Some(Some(ListedPrices {
        input: input?,
        output: output?,
        cached_input: cached_input?,
        cache_write: cache_write?,
    }))
}
