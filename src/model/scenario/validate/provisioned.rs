//! Validation of provisioned capacity (`[model.provisioned]`): units, throughput per unit
//! (per minute, or a measured figure per second for self-hosted GPUs), the hourly price, the
//! term and the model whose pay-as-you-go prices bill the spillover.
//!
//! A model that spills over to another model takes that model's prices: its own calls are
//! priced as if they all spilled, and the capacity's settlement credits back what it served.
//! So the prices are copied at the raw level, before the model's price sets are validated.

use std::borrow::Cow;

use super::capacity::bounded;
use crate::model::doc::de::Located;
use crate::model::provisioned::{Provisioned, Term};
use crate::model::scenario::raw::*;
use crate::model::scenario::validator::*;
use crate::model::*;

/// The most units of one offer: far beyond any deployment on sale.
const MAX_UNITS: f64 = 1e6;

/// The most tokens per minute a unit serves.
const MAX_TOKENS_PER_MINUTE: f64 = 1e10;

/// The model to validate for `m`: itself, or, when it spills over to another model of the
/// scenario, that model's prices under `m`'s name, window, latency and capacity.
pub(super) fn priced<'a>(
    raw: &'a RawScenario,
    m: &'a Located<RawModel>,
) -> Cow<'a, Located<RawModel>> {
    let Some(target) = m
        .provisioned
        .as_ref()
        .and_then(|p| p.value.spillover.as_ref())
        .filter(|t| t.value != m.name.value)
    else {
        return Cow::Borrowed(m);
    };
    let Some(other) = raw.models.iter().find(|o| o.name.value == target.value) else {
        return Cow::Borrowed(m);
    };
    if m.input_usd_per_mtok.is_some() || m.output_usd_per_mtok.is_some() {
        // Reported by `provisioned`: prices on both sides.
        return Cow::Borrowed(m);
    }
    let mut copy = other.clone();
    copy.loc = m.loc;
    copy.value.name = m.name.clone();
    copy.value.max_input_tokens = m.max_input_tokens.clone().or(copy.value.max_input_tokens);
    copy.value.latency = m.latency.clone().or(copy.value.latency);
    copy.value.provisioned = m.provisioned.clone();
    copy.value.fine_tune = m.fine_tune.clone();
    Cow::Owned(copy)
}

/// Fill in each model's `[model.provisioned]`; false when one of them is invalid.
pub(super) fn provisioned(
    raw: &RawScenario,
    models: &mut [Option<Model>],
    v: &mut Validator,
) -> bool {
    let names: Vec<&str> = raw.models.iter().map(|m| m.name.value.as_str()).collect();
    let mut ok = true;
    for (rm, m) in raw.models.iter().zip(models.iter_mut()) {
        let Some(rp) = &rm.provisioned else { continue };
        let p = format!("model[{}].provisioned", rm.name.value);
        match offer(raw, rm, &rp.value, rp.loc, &names, &p, v) {
            Some(o) => {
                if let Some(m) = m {
                    m.provisioned = Some(o);
                }
            }
            None => ok = false,
        }
    }
    ok
}

fn offer(
    raw: &RawScenario,
    rm: &Located<RawModel>,
    rp: &RawProvisioned,
    loc: crate::base::source::Loc,
    names: &[&str],
    p: &str,
    v: &mut Validator,
) -> Option<Provisioned> {
    let mut ok = true;
    let units = bounded(
        v,
        &rp.units,
        &format!("{p}.units"),
        (1.0, MAX_UNITS),
        "the units bought: a whole number, 1 or more (PTUs, model units or GPUs)",
    );
    let units = match units {
        Some(u) if u.fract() == 0.0 => Some(u as u32),
        Some(u) => {
            v.invalid(
                format!("`units` must be a whole number, got {}", num(u)),
                rp.units.loc,
                &format!("{p}.units"),
                format!(
                    "units are bought whole: {} or {}",
                    num(u.floor().max(1.0)),
                    num(u.ceil())
                ),
            );
            None
        }
        None => None,
    };
    let per_minute = match (
        &rp.tokens_per_minute_per_unit,
        &rp.tokens_per_second_per_unit,
    ) {
        (Some(_), Some(s)) => {
            v.invalid(
                "give either `tokens_per_minute_per_unit` or `tokens_per_second_per_unit`, not both",
                s.loc,
                &format!("{p}.tokens_per_second_per_unit"),
                "keep the provider's figure per minute, or a measured figure per second, not both",
            );
            None
        }
        (Some(m), None) => bounded(
            v,
            m,
            &format!("{p}.tokens_per_minute_per_unit"),
            (1.0, MAX_TOKENS_PER_MINUTE),
            "the tokens (input and output) one unit serves in a minute, e.g. 50000",
        ),
        (None, Some(s)) => bounded(
            v,
            s,
            &format!("{p}.tokens_per_second_per_unit"),
            (1.0 / 60.0, MAX_TOKENS_PER_MINUTE / 60.0),
            "the throughput measured on one GPU, in tokens per second, e.g. 2500",
        )
        .map(|x| x * 60.0),
        (None, None) => {
            v.error(
                crate::base::problem::ProblemKind::MissingKey,
                "a provisioned capacity needs its throughput per unit",
                Some(loc),
                &format!("{p}.tokens_per_minute_per_unit"),
                Some(
                    "add `tokens_per_minute_per_unit` (the provider's figure) or `tokens_per_second_per_unit` (measured on a GPU)"
                        .to_string(),
                ),
            );
            None
        }
    };
    let price = bounded(
        v,
        &rp.usd_per_unit_hour,
        &format!("{p}.usd_per_unit_hour"),
        (0.0, MAX_NUMBER),
        "the price of one unit for one hour, e.g. 1 for $1 per PTU-hour",
    );
    let term = match &rp.term {
        None => Some(Term::Hourly),
        Some(t) => {
            let found = Term::parse(&t.value);
            if found.is_none() {
                let help = match crate::base::error::suggest(&t.value, Term::NAMES) {
                    Some(s) => format!("did you mean `{s}`?"),
                    None => "use `hourly`, `monthly` or `yearly`".to_string(),
                };
                v.invalid(
                    format!("unknown `term` `{}`", t.value),
                    t.loc,
                    &format!("{p}.term"),
                    help,
                );
            }
            found
        }
    };
    let spillover = match &rp.spillover {
        None => rm.name.value.clone(),
        Some(t) => {
            let target = raw.models.iter().find(|o| o.name.value == t.value);
            match target {
                None => {
                    let help = match crate::base::error::suggest(&t.value, names.iter().copied()) {
                        Some(s) => format!("did you mean `{s}`?"),
                        None => "name a [[model]] of the scenario, whose pay-as-you-go prices bill what does not fit".to_string(),
                    };
                    v.invalid(
                        format!("`spillover` names no model: `{}`", t.value),
                        t.loc,
                        &format!("{p}.spillover"),
                        help,
                    );
                    ok = false;
                }
                Some(o) if o.name.value != rm.name.value && o.provisioned.is_some() => {
                    v.invalid(
                        format!("`spillover` model `{}` has a capacity of its own", t.value),
                        t.loc,
                        &format!("{p}.spillover"),
                        "spill over to a pay-as-you-go model, one without `[model.provisioned]`",
                    );
                    ok = false;
                }
                Some(o)
                    if o.name.value != rm.name.value
                        && (rm.input_usd_per_mtok.is_some()
                            || rm.output_usd_per_mtok.is_some()) =>
                {
                    let at = rm
                        .input_usd_per_mtok
                        .as_ref()
                        .or(rm.output_usd_per_mtok.as_ref())
                        .map_or(t.loc, |q| q.loc);
                    v.invalid(
                        format!(
                            "model `{}` spills over to `{}`, whose prices it takes: its own prices would be ignored",
                            rm.name.value, t.value
                        ),
                        at,
                        &format!("model[{}].input_usd_per_mtok", rm.name.value),
                        "remove the model's prices, or remove `spillover` to bill what spills at them (its own pay-as-you-go deployment)"
                            .to_string(),
                    );
                    ok = false;
                }
                Some(_) => {}
            }
            t.value.clone()
        }
    };
    if !ok {
        return None;
    }
    Some(Provisioned {
        units: units?,
        tokens_per_minute_per_unit: per_minute?,
        usd_per_unit_hour: price?,
        term: term?,
        spillover,
    })
}
