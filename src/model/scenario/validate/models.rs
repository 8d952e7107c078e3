//! Validation of `[[model]]` prices: the price sets (tiers, long context, service tiers),
//! graduated volume tiers and committed-use contracts.

use crate::base::error::{ProblemKind, suggest};
use crate::model::doc::de::Located;
use crate::model::scenario::raw::*;
use crate::model::scenario::validator::*;
use crate::model::*;

use super::price::price;

pub(super) fn contracts(
    raw: &RawScenario,
    models: &[Option<Model>],
    budget: Option<&Budget>,
    v: &mut Validator,
) -> Option<Vec<Contract>> {
    let mut out = Vec::new();
    let mut ok = true;
    let providers: Vec<&str> = models
        .iter()
        .flatten()
        .map(|m| m.provider.as_str())
        .collect();
    let mut seen: Vec<&str> = Vec::new();
    for c in &raw.contracts {
        let name = c
            .name
            .as_ref()
            .map_or_else(|| c.provider.value.clone(), |n| n.value.clone());
        let cp = format!("contract[{name}]");
        if seen.contains(&c.provider.value.as_str()) {
            v.error(
                ProblemKind::Duplicate,
                format!("two contracts cover provider `{}`", c.provider.value),
                Some(c.provider.loc),
                &format!("{cp}.provider"),
                Some("merge them into one contract per provider".to_string()),
            );
            ok = false;
            continue;
        }
        seen.push(&c.provider.value);
        if !providers.contains(&c.provider.value.as_str()) {
            let help = match suggest(&c.provider.value, providers.iter().copied()) {
                Some(s) => format!("did you mean `{s}`?"),
                None => "set `provider = …` on the models this contract covers".to_string(),
            };
            v.warn(
                format!(
                    "no model has provider `{}`, so this contract covers nothing",
                    c.provider.value
                ),
                Some(c.provider.loc),
                &format!("{cp}.provider"),
                Some(help),
            );
        }
        let committed = v.param(
            Some(&c.committed_monthly_usd),
            0.0,
            &format!("{cp}.committed_monthly_usd"),
            Domain::NonNegative,
        );
        let discount = v.param(
            Some(&c.discount),
            0.0,
            &format!("{cp}.discount"),
            Domain::Rate,
        );
        if let Some(d) = &discount
            && d.dist.support().1 >= 1.0
        {
            v.invalid(
                "a contract `discount` must be below 1",
                c.discount.loc,
                &format!("{cp}.discount"),
                "write 0.25 for 25% off list price",
            );
            ok = false;
        }
        let overage = match c.overage.as_ref().map(|o| o.value) {
            None | Some(RawOverage::Discounted) => Overage::Discounted,
            Some(RawOverage::List) => Overage::List,
        };
        match (committed, discount) {
            (Some(committed_monthly_usd), Some(discount)) => out.push(Contract {
                name,
                provider: c.provider.value.clone(),
                committed_monthly_usd,
                discount,
                overage,
            }),
            _ => ok = false,
        }
    }
    if let Some(cap) = budget.and_then(|b| b.hard_cap_usd) {
        let committed: f64 = out
            .iter()
            .map(|c| c.committed_monthly_usd.dist.support().1)
            .sum();
        if committed > cap {
            v.error(
                ProblemKind::InvalidValue,
                format!("`hard_cap_usd` ({cap}) is below the monthly commitments ({committed})"),
                raw.budget
                    .as_ref()
                    .and_then(|b| b.hard_cap_usd.as_ref())
                    .map(|c| c.loc),
                "budget.hard_cap_usd",
                Some(
                    "a commitment is billed whatever the usage; raise the cap above it".to_string(),
                ),
            );
            ok = false;
        }
    }
    ok.then_some(out)
}

// Long on purpose: one [[model]] table checked key by key (prices, long context, service
// tiers, cache, limits), in the order its messages are reported; every check shares the
// model's location, path and validator.
pub(super) fn model(raw: &Located<RawModel>, v: &mut Validator) -> Option<Model> {
    let p = format!("model[{}]", raw.name.value);
    let loc = raw.name.loc;
    let input = price(
        v,
        raw.input_usd_per_mtok.as_ref(),
        None,
        &format!("{p}.input_usd_per_mtok"),
        loc,
    );
    let output = price(
        v,
        raw.output_usd_per_mtok.as_ref(),
        None,
        &format!("{p}.output_usd_per_mtok"),
        loc,
    );
    let cached = price(
        v,
        raw.cached_input_usd_per_mtok.as_ref(),
        input.as_ref(),
        &format!("{p}.cached_input_usd_per_mtok"),
        loc,
    );
    let write = price(
        v,
        raw.cache_write_usd_per_mtok.as_ref(),
        input.as_ref(),
        &format!("{p}.cache_write_usd_per_mtok"),
        loc,
    );
    if let (Some(i), Some(c), Some(q)) = (&input, &cached, &raw.cached_input_usd_per_mtok)
        && c.mean() > i.mean()
    {
        v.warn(
            "the cached-input price is above the input price",
            Some(q.loc),
            &format!("{p}.cached_input_usd_per_mtok"),
            Some("a cache read is normally 10-50% of the input price".to_string()),
        );
    }
    let min_cacheable = match &raw.min_cacheable_tokens {
        None => Some(DEFAULT_MIN_CACHEABLE_TOKENS),
        Some(m) => v.number(m, &format!("{p}.min_cacheable_tokens"), 0.0, true),
    };
    let max_input = match &raw.max_input_tokens {
        None => Some(None),
        Some(m) => v
            .number(m, &format!("{p}.max_input_tokens"), 0.0, false)
            .map(Some),
    };
    let batch = v.param(
        raw.batch_discount.as_ref(),
        0.0,
        &format!("{p}.batch_discount"),
        Domain::Rate,
    );
    let long_context = match &raw.long_context {
        None => Some(Vec::new()),
        Some(lc) => super::long_context::levels(
            lc,
            &p,
            &super::long_context::Base {
                input: &input,
                cached: &cached,
                write: &write,
            },
            v,
        ),
    };
    let optional = |v: &mut Validator, q: &Option<Quantity>, key: &str| match q {
        None => Some(None),
        Some(q) => price(v, Some(q), None, &format!("{p}.{key}"), loc).map(Some),
    };
    let reasoning = price(
        v,
        raw.reasoning_usd_per_mtok.as_ref(),
        output.as_ref(),
        &format!("{p}.reasoning_usd_per_mtok"),
        loc,
    );
    let image_input = price(
        v,
        raw.image_input_usd_per_mtok.as_ref(),
        input.as_ref(),
        &format!("{p}.image_input_usd_per_mtok"),
        loc,
    );
    let write_1h = optional(
        v,
        &raw.cache_write_1h_usd_per_mtok,
        "cache_write_1h_usd_per_mtok",
    );
    let per_image = match &raw.input_usd_per_image {
        None => Some(None),
        // A price per image, not per million tokens: no plausibility range applies.
        Some(q) => v
            .param(
                Some(q),
                0.0,
                &format!("{p}.input_usd_per_image"),
                Domain::NonNegative,
            )
            .map(Some),
    };
    let audio_input = optional(v, &raw.audio_input_usd_per_mtok, "audio_input_usd_per_mtok");
    let audio_output = optional(
        v,
        &raw.audio_output_usd_per_mtok,
        "audio_output_usd_per_mtok",
    );
    let priority = match &raw.priority {
        None => Some(None),
        Some(t) => tier(v, t, &format!("{p}.priority"), false).map(Some),
    };
    let flex = match &raw.flex {
        None => Some(None),
        Some(t) => tier(v, t, &format!("{p}.flex"), true).map(Some),
    };
    let volume_tiers = match &raw.volume_tiers {
        None => Some(Vec::new()),
        Some(list) => volume_tiers(v, list, &format!("{p}.volume_tiers")),
    };
    let latency = match &raw.latency {
        None => Some(None),
        Some(l) => {
            let lp = format!("{p}.latency");
            let first = v.dist(
                &l.first_token_ms,
                &format!("{lp}.first_token_ms"),
                Domain::NonNegative,
            );
            let speed = v.param(
                Some(&l.output_tokens_per_s),
                0.0,
                &format!("{lp}.output_tokens_per_s"),
                Domain::NonNegative,
            );
            if let Some(sp) = &speed
                && sp.dist.support().0 <= 0.0
            {
                v.invalid(
                    "`output_tokens_per_s` must be above 0",
                    l.output_tokens_per_s.loc,
                    &format!("{lp}.output_tokens_per_s"),
                    "a typical model streams 30 to 200 tokens per second",
                );
            }
            match (first, speed) {
                (Some(first_token_ms), Some(output_tokens_per_s)) => Some(Some(Latency {
                    first_token_ms,
                    output_tokens_per_s,
                })),
                _ => None,
            }
        }
    };
    let checked = match &raw.checked {
        None => Some(None),
        Some(c) => match crate::base::calendar::Date::parse(&c.value) {
            Some(d) => Some(Some(d)),
            None => {
                v.invalid(
                    format!("`checked` must be a date YYYY-MM-DD, got `{}`", c.value),
                    c.loc,
                    &format!("{p}.checked"),
                    "write the date the prices were checked, e.g. \"2026-11-01\"",
                );
                None
            }
        },
    };
    Some(Model {
        price_source: crate::model::PriceSource {
            source: raw.source.as_ref().map(|s| s.value.clone()),
            checked: checked?,
            catalog: raw.catalog.clone(),
        },
        volume_tiers: volume_tiers?,
        latency: latency?,
        name: raw.name.value.clone(),
        provider: raw
            .provider
            .as_ref()
            .map_or_else(|| "unknown".to_string(), |p| p.value.clone()),
        prices: Prices {
            input: input?,
            output: output?,
            cached_input: cached?,
            cache_write: write?,
        },
        min_cacheable_tokens: min_cacheable?,
        max_input_tokens: max_input?,
        batch_discount: batch?,
        long_context: long_context?,
        reasoning: reasoning?,
        cache_write_1h: write_1h?,
        image_input: image_input?,
        input_per_image: per_image?,
        audio_input: audio_input?,
        audio_output: audio_output?,
        priority: priority?,
        flex: flex?,
        fine_tune: None,
        price_multiplier: 1.0,
        provisioned: None,
        quota: None,
    })
}

/// Volume tiers: thresholds strictly increasing, discounts in \[0, 1\].
pub(super) fn volume_tiers(
    v: &mut Validator,
    list: &Located<Vec<Located<RawVolumeTier>>>,
    tp: &str,
) -> Option<Vec<VolumeTier>> {
    let mut out: Vec<VolumeTier> = Vec::new();
    for (i, t) in list.value.iter().enumerate() {
        let ip = format!("{tp}[{i}]");
        let above = v.number(&t.above_mtok, &format!("{ip}.above_mtok"), 0.0, true)?;
        let discount = v.number(&t.discount, &format!("{ip}.discount"), 0.0, true)?;
        if discount > 1.0 {
            v.invalid(
                format!("`discount` is a fraction between 0 and 1, got {discount}"),
                t.discount.loc,
                &format!("{ip}.discount"),
                "write 0.10 for a 10% discount",
            );
            return None;
        }
        if let Some(prev) = out.last()
            && above * 1e6 <= prev.above_tokens
        {
            v.invalid(
                "volume tiers must be listed by increasing `above_mtok`",
                t.above_mtok.loc,
                &format!("{ip}.above_mtok"),
                "order the tiers from the smallest threshold to the largest",
            );
            return None;
        }
        out.push(VolumeTier {
            above_tokens: above * 1e6,
            discount,
        });
    }
    Some(out)
}

/// A `priority` or `flex` price table. Prices may be left out; a workflow that uses the tier
/// then gets an error naming what is missing (see [`check_serving_models`]).
pub(super) fn tier(
    v: &mut Validator,
    raw: &Located<RawTier>,
    tp: &str,
    flex: bool,
) -> Option<TierPrices> {
    let optional = |v: &mut Validator, q: &Option<Quantity>, key: &str| match q {
        None => Some(None),
        Some(q) => price(v, Some(q), None, &format!("{tp}.{key}"), raw.loc).map(Some),
    };
    let input = optional(v, &raw.input_usd_per_mtok, "input_usd_per_mtok");
    let output = optional(v, &raw.output_usd_per_mtok, "output_usd_per_mtok");
    let cached = optional(
        v,
        &raw.cached_input_usd_per_mtok,
        "cached_input_usd_per_mtok",
    );
    let write = optional(v, &raw.cache_write_usd_per_mtok, "cache_write_usd_per_mtok");
    let unavailable = match (&raw.unavailable_rate, flex) {
        (Some(q), false) => {
            v.invalid(
                "`unavailable_rate` applies to the flex tier only",
                q.loc,
                &format!("{tp}.unavailable_rate"),
                "move it to the model's `flex` table",
            );
            None
        }
        (q, _) => v.param(
            q.as_ref(),
            0.0,
            &format!("{tp}.unavailable_rate"),
            Domain::Rate,
        ),
    };
    Some(TierPrices {
        input: input?,
        output: output?,
        cached_input: cached?,
        cache_write: write?,
        unavailable_rate: unavailable?,
    })
}
