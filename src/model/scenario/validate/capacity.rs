//! Validation of capacity: a fine-tuned model's training job and hosting fee
//! (`[model.fine_tune]`, kept apart from the price sets of `models` because it needs the horizon,
//! the month the training is billed in), and a segment's traffic within the day
//! (`hourly_profile` or `hourly_weights`, `burstiness`).

use crate::base::source::Loc;
use crate::model::doc::de::Located;
use crate::model::scenario::raw::*;
use crate::model::scenario::validator::*;
use crate::model::within_day::{self, WithinDay};
use crate::model::*;

/// The most epochs of a training job: real jobs run 1 to 50.
const MAX_EPOCHS: f64 = 1_000.0;

/// The most tokens of a training file: a thousand billion, far beyond any job on sale.
const MAX_TRAINING_TOKENS: f64 = 1e12;

/// Fill in each model's `[model.fine_tune]`; false when one of them is invalid.
pub(super) fn fine_tunes(
    raw: &RawScenario,
    models: &mut [Option<Model>],
    simulation: Option<&Simulation>,
    v: &mut Validator,
) -> bool {
    let mut ok = true;
    let months = simulation.map_or(1, |s| s.months.max(1));
    for (rm, m) in raw.models.iter().zip(models.iter_mut()) {
        let Some(ft) = &rm.fine_tune else { continue };
        let p = format!("model[{}].fine_tune", rm.name.value);
        match fine_tune(&ft.value, &rm.name.value, months, &p, v) {
            Some(f) => {
                if let Some(m) = m {
                    m.fine_tune = Some(f);
                }
            }
            None => ok = false,
        }
    }
    ok
}

fn fine_tune(
    ft: &RawFineTune,
    model: &str,
    months: u32,
    p: &str,
    v: &mut Validator,
) -> Option<FineTune> {
    let mut ok = true;
    if ft.base.value.trim().is_empty() || ft.base.value == model {
        v.invalid(
            "`base` must name the model the fine-tune is trained from",
            ft.base.loc,
            &format!("{p}.base"),
            "write the base model's name, e.g. \"gpt-4.1-mini\"",
        );
        ok = false;
    }
    let tokens = bounded(
        v,
        &ft.training_tokens,
        &format!("{p}.training_tokens"),
        (0.0, MAX_TRAINING_TOKENS),
        "the tokens of the training file, counted once: 2000000 for two million",
    );
    let epochs = match &ft.epochs {
        None => Some(1.0),
        Some(e) => bounded(
            v,
            e,
            &format!("{p}.epochs"),
            (0.0, MAX_EPOCHS),
            "the passes over the training file, 1 to 50 in practice",
        )
        .filter(|&x| x > 0.0 || not_zero(v, e.loc, &format!("{p}.epochs"))),
    };
    let price = bounded(
        v,
        &ft.training_usd_per_mtok,
        &format!("{p}.training_usd_per_mtok"),
        (0.0, MAX_USD_PER_MTOK),
        "the provider's training price per million tokens, e.g. 3 for $3 / 1M",
    );
    let hosting = match &ft.hosting_usd_per_hour {
        None => Some(0.0),
        Some(h) => bounded(
            v,
            h,
            &format!("{p}.hosting_usd_per_hour"),
            (0.0, MAX_NUMBER),
            "the deployment's hourly fee, e.g. 1.7; leave it out where hosting is free",
        ),
    };
    let month = match &ft.training_month {
        None => Some(0),
        Some(m) if m.value.fract() == 0.0 && m.value >= 1.0 && m.value <= f64::from(months) => {
            Some(m.value as u32 - 1)
        }
        Some(m) => {
            v.invalid(
                format!(
                    "`training_month` must be a whole month of the horizon, 1 to {months}, got {}",
                    num(m.value)
                ),
                m.loc,
                &format!("{p}.training_month"),
                "1 bills the training job in the first month; raise `simulation.months` for a later one",
            );
            None
        }
    };
    if !ok {
        return None;
    }
    Some(FineTune {
        base: ft.base.value.clone(),
        training_tokens: tokens?,
        epochs: epochs?,
        training_usd_per_mtok: price?,
        training_month: month?,
        hosting_usd_per_hour: hosting?,
    })
}

/// The most burstiness: a minute's rate with a coefficient of variation of 10 is one burst a
/// hundred minutes.
const MAX_BURSTINESS: f64 = 10.0;
/// The least burstiness above 0: a minute's rate with a coefficient of variation of 0.01 moves a
/// minute's count less than its Poisson noise does below 10,000 requests a minute.
const MIN_BURSTINESS: f64 = 0.01;

/// A segment's traffic within the day.
pub(super) fn within_day(raw: &RawSegment, p: &str, v: &mut Validator) -> Option<WithinDay> {
    let weights = match (&raw.hourly_profile, &raw.hourly_weights) {
        (Some(_), Some(w)) => {
            v.invalid(
                "give either `hourly_profile` or `hourly_weights`, not both",
                w.loc,
                &format!("{p}.hourly_weights"),
                "remove one of the two",
            );
            None
        }
        (None, None) => within_day::profile("flat"),
        (Some(name), None) => {
            let found = within_day::profile(&name.value);
            if found.is_none() {
                let help = match crate::base::error::suggest(&name.value, within_day::PROFILE_NAMES)
                {
                    Some(s) => format!("did you mean `{s}`?"),
                    None => format!(
                        "use one of {}, or give 24 `hourly_weights`",
                        within_day::PROFILE_NAMES
                            .map(|n| format!("`{n}`"))
                            .join(", ")
                    ),
                };
                v.invalid(
                    format!("unknown `hourly_profile` `{}`", name.value),
                    name.loc,
                    &format!("{p}.hourly_profile"),
                    help,
                );
            }
            found
        }
        (None, Some(w)) => {
            let path = format!("{p}.hourly_weights");
            let values: Vec<f64> = w.value.iter().map(|x| x.value).collect();
            let bad = w
                .value
                .iter()
                .find(|x| !(x.value.is_finite() && x.value >= 0.0));
            if let Some(x) = bad {
                v.invalid(
                    format!("an hourly weight must be 0 or more, got {}", x.value),
                    x.loc,
                    &path,
                    "weights are relative: 0 for a quiet hour, 10 for one ten times as busy as 1",
                );
                None
            } else if values.len() != within_day::HOURS || values.iter().sum::<f64>() <= 0.0 {
                v.invalid(
                    format!(
                        "`hourly_weights` needs 24 weights, not all 0, one per hour from midnight; got {}",
                        values.len()
                    ),
                    w.loc,
                    &path,
                    "write 24 numbers, e.g. the `office-hours` profile's, or use `hourly_profile`",
                );
                None
            } else {
                let mut a = [0.0; within_day::HOURS];
                a.copy_from_slice(&values);
                Some(a)
            }
        }
    };
    let burstiness = match &raw.burstiness {
        None => Some(0.0),
        Some(b) => bounded(
            v,
            b,
            &format!("{p}.burstiness"),
            (0.0, MAX_BURSTINESS),
            "0 is steady (Poisson) arrivals within the hour; 0.5 is bursty; 2 is very bursty",
        )
        .and_then(|x| {
            if x > 0.0 && x < MIN_BURSTINESS {
                // The minute's Gamma rate has shape 1/b²: below this it cannot be drawn (b²
                // underflows) and is indistinguishable from steady arrivals anyway.
                v.invalid(
                    format!("`burstiness` {x} is above 0 but below {MIN_BURSTINESS}"),
                    b.loc,
                    &format!("{p}.burstiness"),
                    "use 0 for steady (Poisson) arrivals; a burstiness below 0.01 changes no minute",
                );
                None
            } else {
                Some(x)
            }
        }),
    };
    Some(WithinDay {
        shares: within_day::shares(&weights?)?,
        burstiness: burstiness?,
    })
}

/// A plain number in `[lo, hi]`, finite.
pub(super) fn bounded(
    v: &mut Validator,
    x: &Located<f64>,
    path: &str,
    (lo, hi): (f64, f64),
    help: &str,
) -> Option<f64> {
    let value = x.value;
    if value.is_finite() && value >= lo && value <= hi {
        return Some(value);
    }
    v.invalid(
        format!(
            "`{}` must be between {} and {}, got {}",
            leaf(path),
            num(lo),
            num(hi),
            if value.is_finite() {
                num(value)
            } else {
                value.to_string()
            }
        ),
        x.loc,
        path,
        help,
    );
    None
}

fn not_zero(v: &mut Validator, loc: Loc, path: &str) -> bool {
    v.invalid(
        "`epochs` must be above 0",
        loc,
        path,
        "a training job makes at least one pass over its file: write 1 or more",
    );
    false
}
