//! A price key of a `[[model]]` (or of one of its tiers and long-context levels) checked and
//! defaulted, shared by the files that validate prices so that none of them imports another.

use crate::base::error::ProblemKind;
use crate::base::source::Loc;
use crate::model::dist::Dist;
use crate::model::scenario::raw::*;
use crate::model::scenario::validator::*;
use crate::model::*;

pub(super) fn price(
    v: &mut Validator,
    q: Option<&Quantity>,
    default: Option<&Param>,
    path: &str,
    owner_loc: Loc,
) -> Option<Param> {
    match (q, default) {
        (Some(q), _) => {
            let param = v.param(Some(q), 0.0, path, Domain::NonNegative)?;
            let m = param.mean();
            if m > 0.0 && m < IMPLAUSIBLY_LOW_USD_PER_MTOK {
                v.warn(
                    format!("{} USD per million tokens is implausibly low", num(m)),
                    Some(q.loc),
                    path,
                    Some(format!(
                        "prices are per million tokens: a price of ${} per 1K tokens is {} per million",
                        num(m),
                        num(m * 1000.0)
                    )),
                );
            } else if m > IMPLAUSIBLY_HIGH_USD_PER_MTOK {
                v.warn(
                    format!("{} USD per million tokens is implausibly high", num(m)),
                    Some(q.loc),
                    path,
                    Some("prices are per million tokens; check the unit".to_string()),
                );
            }
            Some(param)
        }
        (None, Some(d)) => Some(d.clone()),
        (None, None) if owner_has_errors(v, path) => {
            // The price this one defaults to was given but is invalid, and already reported.
            None
        }
        (None, None) => {
            v.error(
                ProblemKind::MissingKey,
                format!("missing key `{}`", leaf(path)),
                Some(owner_loc),
                path.rsplit_once('.').map_or(path, |(head, _)| head),
                Some(format!("add `{} = …` (USD per million tokens)", leaf(path))),
            );
            None
        }
    }
}

/// Whether an error was already reported inside the model (or other table) that `path` belongs
/// to, such as `model[m]` for `model[m].long_context.cache_write_usd_per_mtok`.
pub(super) fn owner_has_errors(v: &Validator, path: &str) -> bool {
    let owner = path.find("].").map_or(path, |i| &path[..=i]);
    v.errors.iter().any(|e| {
        e.key_path
            .as_deref()
            .and_then(|k| k.strip_prefix(owner))
            .is_some_and(|rest| rest.starts_with('.'))
    })
}

/// The distribution of `factor · X`; a price with a family that cannot be scaled (beta, Poisson)
/// keeps its unscaled form, which validation reports.
pub(super) fn scale_dist(d: &Dist, factor: f64) -> Dist {
    d.scaled(factor).unwrap_or_else(|| d.clone())
}
