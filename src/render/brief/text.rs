//! How the brief writes one figure: money, counts, intervals, days and shares, each rounded to
//! what its standard error allows.

use crate::analysis::detail::Share;
use crate::base::format::{
    count, decimals_for_se, fixed, money, money_decimals_for_se, money_rounded, ms_value,
    pct_value, prob, se_text,
};
use crate::base::stats::estimate::{Estimate, Interval};

/// A dollar amount rounded to what `se` allows, with the sign before the dollar: `-$1,234`.
pub(super) fn money_r(x: f64, se: f64) -> String {
    let body = money_rounded(x.abs(), se);
    if x < 0.0 && body.chars().any(|c| c.is_ascii_digit() && c != '0') {
        format!("-{body}")
    } else {
        body
    }
}

/// A dollar estimate rounded to its standard error, and the `± se` that goes with it. An error
/// below a billionth of the figure is floating-point dust on a figure that does not vary.
pub(super) fn usd(e: &Estimate) -> (String, String) {
    let se = if e.standard_error.abs() <= 1e-9 * e.value.abs() {
        0.0
    } else {
        e.standard_error
    };
    match money_decimals_for_se(e.value, se) {
        Some(d) => (money_r(e.value, se), format!("± {}", se_text(se, d))),
        None if se == 0.0 => (money(e.value), "± 0 (no randomness)".to_string()),
        None => (money(e.value), "n/a (too few trials)".to_string()),
    }
}

/// `$2,345.7 ± 3.0` in one string.
pub(super) fn usd_inline(e: &Estimate) -> String {
    let (v, se) = usd(e);
    if se.starts_with('±') {
        format!("{v} {se}")
    } else {
        v
    }
}

/// A percentile and its 95% interval, each written by `fmt(value, se)` so that both are rounded
/// to the interval's width; `exact` writes them when the interval has no width. An interval of
/// no width says that the order statistics around the percentile's rank are equal — as when
/// fewer than 5% of months refuse a request and the p95 month refuses none — not that every
/// month is, so it is printed as the interval it is.
pub(super) fn interval_parts(
    i: &Interval,
    fmt: &dyn Fn(f64, f64) -> String,
    exact: &dyn Fn(f64) -> String,
) -> (String, String) {
    let se = i.implied_se();
    if !(se > 0.0) {
        return (
            exact(i.value),
            format!("95% CI {} – {}", exact(i.low), exact(i.high)),
        );
    }
    (
        fmt(i.value, se),
        format!("95% CI {} – {}", fmt(i.low, se), fmt(i.high, se)),
    )
}

/// A dollar percentile and its 95% interval, both rounded to the interval's width.
pub(super) fn usd_interval(i: &Interval) -> (String, String) {
    interval_parts(i, &money_r, &money)
}

/// A count percentile (requests) and its 95% interval, in whole units.
pub(super) fn count_interval(i: &Interval) -> (String, String) {
    interval_parts(i, &|x, _| count(x), &count)
}

/// A latency percentile in whole milliseconds, with its interval: `8,193 ms (95% CI 8,120 –
/// 8,260)`. Thousands of sampled requests pin a percentile far below a millisecond's worth of
/// doubt only in toy scenarios, so whole milliseconds are always enough.
pub(super) fn ms_inline(i: &Interval) -> String {
    if i.low < i.high {
        format!(
            "{} ms (95% CI {} – {})",
            count(i.value),
            count(i.low),
            count(i.high)
        )
    } else {
        ms_value(i)
    }
}

/// A dollar percentile with its interval in one string: `$8.29 (95% CI $8.19 – $8.42)`.
pub(super) fn interval_inline(i: &Interval) -> String {
    let (v, ci) = usd_interval(i);
    if ci.starts_with("95%") {
        format!("{v} ({ci})")
    } else {
        v
    }
}

/// A plain number rounded to its standard error.
pub(super) fn number(e: &Estimate) -> (String, String) {
    match decimals_for_se(e.value, e.standard_error) {
        Some(d) => (
            fixed(e.value, d),
            format!("± {}", se_text(e.standard_error, d)),
        ),
        None => (fixed(e.value, 3), String::new()),
    }
}

/// A mean count (requests) with its standard error, in whole units.
pub(super) fn count_estimate(e: &Estimate) -> (String, String) {
    let se = e.standard_error;
    if se > 0.0 && se.is_finite() {
        (count(e.value), format!("± {}", count(se.max(1.0))))
    } else if se == 0.0 {
        (count(e.value), String::new())
    } else {
        (count(e.value), "n/a (too few trials)".to_string())
    }
}

/// The median day something first happens, and its interval: (`day 24`, `95% CI 23–25`).
pub(super) fn day_parts(day: Option<&Interval>, never: &str) -> (String, String) {
    match day {
        Some(d) => (
            format!(
                "day {}",
                fixed(d.value, if d.value.fract() == 0.0 { 0 } else { 1 })
            ),
            format!("95% CI {:.0}–{:.0}", d.low, d.high),
        ),
        None => (never.to_string(), String::new()),
    }
}

/// The median day in one string: `day 24 (95% CI 23–25)`, or `day 24` when the interval is
/// that one day.
pub(super) fn day_text(day: Option<&Interval>, never: &str) -> String {
    match (day, day_parts(day, never)) {
        (Some(d), (text, _)) if d.low == d.high => text,
        (_, (text, ci)) if ci.is_empty() => text,
        (_, (text, ci)) => format!("{text} ({ci})"),
    }
}

/// A difference in percentage points with its error: `-30.1 ± 0.5 pt`.
pub(super) fn points_diff(e: &Estimate) -> String {
    let se = e.standard_error;
    let d = decimals_for_se(e.value * 100.0, se * 100.0)
        .unwrap_or(1)
        .max(1);
    let sign = if e.value > 0.0 { "+" } else { "" };
    if se > 0.0 {
        format!(
            "{sign}{} ± {} pt",
            fixed(e.value * 100.0, d),
            se_text(se * 100.0, d)
        )
    } else {
        format!("{sign}{} pt", fixed(e.value * 100.0, 1))
    }
}

pub(super) fn share_row(kind: &str, s: &Share) -> Vec<String> {
    let (usd_v, usd_se) = usd(&s.monthly_usd);
    let (pct_v, pct_se) = prob(&s.share, None);
    vec![
        kind.to_string(),
        s.name.clone(),
        format!("{usd_v} {usd_se}").trim().to_string(),
        format!("{pct_v} {pct_se}").trim().to_string(),
    ]
}

// ---- the simulation brief -------------------------------------------------------------------

/// What the uncertainty column says of a count figure of the fast engine, whose counts are exact
/// in mean but not simulated request by request (see [`StackDetail::counts_expected`]).
pub(super) const EXPECTED: &str = "expected (not simulated per request)";

/// A share the fast engine computes as an expected value: two decimals of a percent, no error.
pub(super) fn expected_share(e: &Estimate) -> (String, String) {
    (pct_value(e.value, 2), EXPECTED.to_string())
}

/// A share whose standard error may be unknown (the engine keeps only its totals).
pub(super) fn prob_or_unknown(e: &Estimate) -> (String, String) {
    if e.standard_error.is_nan() {
        (
            prob(e, None).0,
            "n/a (an uncertain rate; only totals are kept)".to_string(),
        )
    } else {
        prob(e, None)
    }
}

/// A latency difference in whole milliseconds with its standard error: `-16,557 ± 98 ms`.
pub(super) fn ms_diff(e: &Estimate) -> String {
    let sign = if e.value > 0.0 { "+" } else { "" };
    if e.standard_error > 0.0 && e.standard_error.is_finite() {
        format!(
            "{sign}{} ± {} ms",
            count(e.value),
            count(e.standard_error.max(1.0))
        )
    } else {
        format!("{sign}{} ms", count(e.value))
    }
}
