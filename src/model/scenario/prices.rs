//! Model prices from a catalog: fills the `[[model]]` keys a scenario leaves out.
//!
//! A model that writes both `input_usd_per_mtok` and `output_usd_per_mtok` is priced by the
//! scenario alone, exactly as before catalogs existed, so no existing forecast changes. A model
//! that leaves either out takes every price key it does not write from the catalog — the written
//! keys override key by key, a written `long_context` table overrides the catalog's as a whole —
//! and is warned about when those catalog prices were checked more than
//! `STALE_AFTER_DAYS` days before today. The catalog's values
//! are inserted into the raw model located at its `name`, so every later check and message works
//! unchanged.

use crate::base::calendar::Date;
use crate::base::error::ProblemKind;
use crate::base::source::Loc;
use crate::model::catalog::{Catalog, Entry, LongContextPrices, STALE_AFTER_DAYS};
use crate::model::doc::de::Located;

use super::raw::{
    RawListedPrices, RawLongContext, RawLongContexts, RawModel, RawQuantity, RawScenario, RawTier,
};
use super::validator::Validator;

/// Keys of one model filled from the catalog, so checks meant for hand-typed prices skip them.
#[derive(Clone, Debug, Default)]
pub struct Filled {
    /// `model[NAME].KEY` paths of every filled value.
    pub paths: Vec<String>,
    /// Models that needed the catalog and were not in it (already reported).
    pub unknown: Vec<String>,
}

/// Fill catalog prices into `raw`'s models, reporting unknown models and stale prices to `v`.
pub fn apply(raw: &mut RawScenario, catalog: &Catalog, today: Date, v: &mut Validator) -> Filled {
    let mut filled = Filled::default();
    for m in &mut raw.models {
        let m = &mut m.value;
        let name = m.name.value.clone();
        // A capacity that spills over to another model takes that model's prices
        // (`validate::provisioned`), not a catalog's.
        let spills = m
            .provisioned
            .as_ref()
            .and_then(|p| p.value.spillover.as_ref());
        if spills.is_some_and(|t| t.value != name) {
            continue;
        }
        let loc = m.name.loc;
        let found = catalog.lookup(&name);
        let self_priced = m.input_usd_per_mtok.is_some() && m.output_usd_per_mtok.is_some();
        // The input window is not a price: the provider refuses a longer prompt whoever wrote the
        // prices, so every model of a catalog name that does not write its own takes it. A
        // long-context tier at or above that window (the scenario's or the catalog's) says the
        // provider serves longer prompts (an extended window): the window is then left unknown.
        // The highest threshold: a tier at or above the window says it is extended.
        let long_context_above =
            m.long_context
                .as_ref()
                .and_then(|lc| {
                    lc.value
                        .levels(lc.loc)
                        .iter()
                        .map(|(l, _)| l.above_input_tokens.value)
                        .reduce(f64::max)
                })
                .or_else(|| {
                    found.and_then(|f| {
                        f.entry.long_context.as_ref().and_then(|lc| {
                            lc.0.iter().map(|l| l.above_input_tokens).reduce(f64::max)
                        })
                    })
                });
        if m.max_input_tokens.is_none()
            && let Some(f) = found
            && let Some(w) = f.entry.context_window
            && long_context_above.is_none_or(|above| above < w as f64)
        {
            m.max_input_tokens = Some(Located::new(w as f64, loc));
        }
        if self_priced {
            // Only the provider, which no cost depends on, is taken for a self-priced model.
            if m.provider.is_none()
                && let Some(f) = found
                && let Some(p) = &f.entry.provider
            {
                m.provider = Some(Located::new(p.clone(), loc));
            }
            continue;
        }
        let Some(found) = found else {
            let help = match catalog.suggest(&name) {
                Some(s) => format!(
                    "did you mean `{s}`? (`aicost prices list` shows the catalog), or give its prices: `input_usd_per_mtok = …` and `output_usd_per_mtok = …`"
                ),
                None => "give its prices (`input_usd_per_mtok = …` and `output_usd_per_mtok = …`), load a catalog that has it with `catalog = \"prices.json\"`, or pick a model from `aicost prices list`".to_string(),
            };
            v.error(
                ProblemKind::UnknownReference,
                format!(
                    "model `{name}` has no prices here and is not in the {}",
                    catalog_label(catalog)
                ),
                Some(loc),
                &format!("model[{name}].name"),
                Some(help),
            );
            filled.unknown.push(name);
            continue;
        };
        let p = format!("model[{name}]");
        fill(m, found.entry, loc, &p, &mut filled.paths);
        // The catalog's provenance goes with its prices, unless the scenario states its own.
        if m.source.is_none() && m.checked.is_none() {
            m.source = found.entry.source.clone().map(|s| Located::new(s, loc));
            m.checked = found.checked.map(|d| Located::new(d.to_string(), loc));
        }
        m.catalog = Some(if found.key == name {
            catalog.label()
        } else {
            format!("{} (`{}`)", catalog.label(), found.key)
        });
        if let Some(checked) = found.checked {
            let age = today.days() - checked.days();
            if age > STALE_AFTER_DAYS {
                let source = found
                    .entry
                    .source
                    .as_deref()
                    .map_or(String::new(), |s| format!(" at {s}"));
                v.warn(
                    format!(
                        "the {} prices of `{}` were checked on {checked}, {age} days ago",
                        catalog_label(catalog),
                        found.key
                    ),
                    Some(loc),
                    &format!("{p}.name"),
                    Some(format!(
                        "prices change: confirm them{source} and write them into this [[model]], or import a fresh catalog with `aicost prices import litellm`"
                    )),
                );
            }
        }
    }
    filled
}

fn catalog_label(c: &Catalog) -> String {
    c.label()
}

fn number(x: f64, loc: Loc) -> Option<Located<RawQuantity>> {
    Some(Located::new(RawQuantity::Number(x), loc))
}

/// Fill the keys `m` leaves out from `e`, recording each filled key path.
fn fill(m: &mut RawModel, e: &Entry, loc: Loc, p: &str, paths: &mut Vec<String>) {
    let mut set = |slot: &mut Option<Located<RawQuantity>>, value: Option<f64>, key: &str| {
        if slot.is_none()
            && let Some(x) = value
        {
            *slot = number(x, loc);
            paths.push(format!("{p}.{key}"));
        }
    };
    set(
        &mut m.input_usd_per_mtok,
        e.input_usd_per_mtok,
        "input_usd_per_mtok",
    );
    set(
        &mut m.output_usd_per_mtok,
        e.output_usd_per_mtok,
        "output_usd_per_mtok",
    );
    set(
        &mut m.cached_input_usd_per_mtok,
        e.cached_input_usd_per_mtok,
        "cached_input_usd_per_mtok",
    );
    set(
        &mut m.cache_write_usd_per_mtok,
        e.cache_write_usd_per_mtok,
        "cache_write_usd_per_mtok",
    );
    set(&mut m.batch_discount, e.batch_discount(), "batch_discount");
    set(
        &mut m.reasoning_usd_per_mtok,
        e.reasoning_usd_per_mtok,
        "reasoning_usd_per_mtok",
    );
    set(
        &mut m.cache_write_1h_usd_per_mtok,
        e.cache_write_1h_usd_per_mtok,
        "cache_write_1h_usd_per_mtok",
    );
    set(
        &mut m.image_input_usd_per_mtok,
        e.image_input_usd_per_mtok,
        "image_input_usd_per_mtok",
    );
    set(
        &mut m.input_usd_per_image,
        e.input_usd_per_image,
        "input_usd_per_image",
    );
    set(
        &mut m.audio_input_usd_per_mtok,
        e.audio_input_usd_per_mtok,
        "audio_input_usd_per_mtok",
    );
    set(
        &mut m.audio_output_usd_per_mtok,
        e.audio_output_usd_per_mtok,
        "audio_output_usd_per_mtok",
    );
    for (slot, tier, key) in [
        (&mut m.priority, &e.priority, "priority"),
        (&mut m.flex, &e.flex, "flex"),
    ] {
        if slot.is_none()
            && let Some(t) = tier.as_ref().filter(|t| !t.is_empty())
        {
            *slot = Some(Located::new(
                RawTier {
                    input_usd_per_mtok: t.input_usd_per_mtok.and_then(|x| number(x, loc)),
                    output_usd_per_mtok: t.output_usd_per_mtok.and_then(|x| number(x, loc)),
                    cached_input_usd_per_mtok: t
                        .cached_input_usd_per_mtok
                        .and_then(|x| number(x, loc)),
                    cache_write_usd_per_mtok: t
                        .cache_write_usd_per_mtok
                        .and_then(|x| number(x, loc)),
                    unavailable_rate: None,
                },
                loc,
            ));
            paths.push(format!("{p}.{key}"));
        }
    }
    if m.min_cacheable_tokens.is_none()
        && let Some(x) = e.min_cacheable_tokens
    {
        m.min_cacheable_tokens = Some(Located::new(x, loc));
    }
    if m.provider.is_none()
        && let Some(x) = &e.provider
    {
        m.provider = Some(Located::new(x.clone(), loc));
    }
    if m.long_context.is_none()
        && let Some(levels) = &e.long_context
    {
        let one = |lc: &LongContextPrices| RawLongContext {
            above_input_tokens: Located::new(lc.above_input_tokens, loc),
            input_usd_per_mtok: Located::new(RawQuantity::Number(lc.input_usd_per_mtok), loc),
            output_usd_per_mtok: Located::new(RawQuantity::Number(lc.output_usd_per_mtok), loc),
            cached_input_usd_per_mtok: lc.cached_input_usd_per_mtok.and_then(|x| number(x, loc)),
            cache_write_usd_per_mtok: lc.cache_write_usd_per_mtok.and_then(|x| number(x, loc)),
            cache_write_1h_usd_per_mtok: lc
                .cache_write_1h_usd_per_mtok
                .and_then(|x| number(x, loc)),
            priority: lc.priority.as_ref().map(|t| listed(t, loc)),
            flex: lc.flex.as_ref().map(|t| listed(t, loc)),
        };
        let raw = match levels.0.as_slice() {
            [lc] => RawLongContexts::One(Box::new(one(lc))),
            many => {
                RawLongContexts::Many(many.iter().map(|lc| Located::new(one(lc), loc)).collect())
            }
        };
        let n = levels.0.len();
        m.long_context = Some(Located::new(raw, loc));
        for i in 0..n {
            let lp = if n == 1 {
                format!("{p}.long_context")
            } else {
                format!("{p}.long_context[{i}]")
            };
            for k in [
                "input_usd_per_mtok",
                "output_usd_per_mtok",
                "cached_input_usd_per_mtok",
                "cache_write_usd_per_mtok",
                "cache_write_1h_usd_per_mtok",
            ] {
                paths.push(format!("{lp}.{k}"));
            }
            for tier in ["priority", "flex"] {
                for k in [
                    "input_usd_per_mtok",
                    "output_usd_per_mtok",
                    "cached_input_usd_per_mtok",
                    "cache_write_usd_per_mtok",
                ] {
                    paths.push(format!("{lp}.{tier}.{k}"));
                }
            }
        }
    }
}

/// A catalog tier's prices above a threshold, as if written in the scenario.
fn listed(t: &crate::model::catalog::TierPrices, loc: Loc) -> Located<RawListedPrices> {
    Located::new(
        RawListedPrices {
            input_usd_per_mtok: t.input_usd_per_mtok.and_then(|x| number(x, loc)),
            output_usd_per_mtok: t.output_usd_per_mtok.and_then(|x| number(x, loc)),
            cached_input_usd_per_mtok: t.cached_input_usd_per_mtok.and_then(|x| number(x, loc)),
            cache_write_usd_per_mtok: t.cache_write_usd_per_mtok.and_then(|x| number(x, loc)),
        },
        loc,
    )
}
