//! Number formatting for people: thousands separators, dollars, percentages, and rounding to what
//! the standard error allows (a mean of $12,345.678 ± $12 is shown as $12,346 ± 12, never with
//! cents nobody can trust).

use crate::base::stats::estimate::{Estimate, Interval};

/// Insert thousands separators into the integer part of a decimal string.
fn group(digits: &str) -> String {
    let (sign, digits) = match digits.strip_prefix('-') {
        Some(d) => ("-", d),
        None => ("", digits),
    };
    let (int, frac) = match digits.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (digits, None),
    };
    let mut out = String::with_capacity(int.len() + int.len() / 3 + 4);
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    match frac {
        Some(f) => format!("{sign}{out}.{f}"),
        None => format!("{sign}{out}"),
    }
}

/// `x` with `decimals` decimals and thousands separators.
pub fn fixed(x: f64, decimals: usize) -> String {
    if !x.is_finite() {
        return "n/a".to_string();
    }
    let s = format!("{:.*}", decimals, x);
    // Avoid "-0".
    let s = if s
        .trim_start_matches('-')
        .chars()
        .all(|c| c == '0' || c == '.')
    {
        s.trim_start_matches('-').to_string()
    } else {
        s
    };
    group(&s)
}

/// A share as a percentage with two decimals, or in scientific notation below 0.01%, so that a
/// small share (of prompts beyond a window, say) is never shown as 0.
pub(crate) fn small_percent(p: f64) -> String {
    let pct = p * 100.0;
    if pct >= 0.01 {
        format!("{pct:.2}%")
    } else {
        format!("{pct:.2e}%")
    }
}

/// A whole number with thousands separators.
pub fn count(x: f64) -> String {
    fixed(x.round(), 0)
}

/// Decimals for a dollar amount without an error estimate: cents below $1,000, whole dollars
/// above, and four significant digits for amounts under a dollar.
fn money_decimals(x: f64) -> usize {
    let a = x.abs();
    if a >= 1000.0 {
        0
    } else if a >= 1.0 || a == 0.0 {
        2
    } else {
        // Four significant digits.
        (3 - a.log10().floor() as i32).clamp(2, 10) as usize
    }
}

/// A dollar amount: `$12,345`, `$123.45`, `$0.002875`.
pub fn money(x: f64) -> String {
    if !x.is_finite() {
        return "n/a".to_string();
    }
    let body = fixed(x.abs(), money_decimals(x));
    if body.chars().all(|c| c == '0' || c == '.') {
        // Nothing left at the digits shown (float residue): no sign, and cents.
        return "$0.00".to_string();
    }
    if x < 0.0 {
        format!("-${body}")
    } else {
        format!("${body}")
    }
}

/// Significant digits a figure with a standard error is shown with at most: a spend known to a
/// millionth of itself reads as `$0.00030315`, not `$0.0003031534`; the error, too small to show
/// at that digit, is then written `<` one unit of it.
pub const MAX_SIGNIFICANT: i32 = 5;

/// The decimals a figure `x` with standard error `se` is shown with — the one rule every renderer
/// (text table, Markdown, HTML, `check`, `diff`) rounds by: two significant digits of the error,
/// and the figure rounded to the same decimal place, but never more than [`MAX_SIGNIFICANT`]
/// significant digits of the figure. `None` when there is no error to go by (zero, or not
/// finite): the caller keeps its formatting without one.
pub fn decimals_for_se(x: f64, se: f64) -> Option<usize> {
    if !(se > 0.0 && se.is_finite()) {
        return None;
    }
    let by_error = (1 - se.log10().floor() as i32).clamp(0, 10);
    let a = x.abs();
    let by_value = if a > 0.0 && a.is_finite() {
        (MAX_SIGNIFICANT - 1 - a.log10().floor() as i32).max(0)
    } else {
        by_error
    };
    Some(by_error.min(by_value) as usize)
}

/// Decimals for a dollar amount with standard error `se`: [`decimals_for_se`].
pub fn money_decimals_for_se(x: f64, se: f64) -> Option<usize> {
    decimals_for_se(x, se)
}

/// A standard error written with `d` decimals, or `<0.01` when it rounds to nothing there.
pub(crate) fn se_text(se: f64, d: usize) -> String {
    let text = fixed(se, d);
    if se > 0.0 && text.chars().all(|c| c == '0' || c == '.') {
        format!("<{}", fixed(10f64.powi(-(d as i32)), d))
    } else {
        text
    }
}

/// A dollar amount rounded to what its standard error allows: `$12,346 ± 12`.
pub(crate) fn money_with_se(x: f64, se: f64) -> String {
    match money_decimals_for_se(x, se) {
        Some(d) => format!("${} ± {}", fixed(x, d), se_text(se, d)),
        None => money(x),
    }
}

/// A plain number rounded to what its standard error allows: `1.186 ± 0.012`; three decimals
/// without one.
pub fn number_with_se(x: f64, se: f64) -> String {
    match decimals_for_se(x, se) {
        Some(d) => format!("{} ± {}", fixed(x, d), se_text(se, d)),
        None => fixed(x, 3),
    }
}

/// A dollar amount rounded to what the standard error `se` allows, without showing it.
pub(crate) fn money_rounded(x: f64, se: f64) -> String {
    match money_decimals_for_se(x, se) {
        Some(d) => format!("${}", fixed(x, d.max(money_decimals(x).min(d)))),
        None => money(x),
    }
}

/// A share as the percentage a person typed, without the sign: `95`, `99.9`, `0.0000001`,
/// `99.9999` (six significant digits, never rounded to 0 or 100 when it is neither).
pub fn share_percent(q: f64) -> String {
    let pct = q * 100.0;
    if !pct.is_finite() || pct == 0.0 {
        return format!("{pct}");
    }
    let magnitude = pct.abs().log10().floor() as i32;
    // Six significant digits, and at least enough to keep a share short of 100% short of it.
    let mut decimals = (5 - magnitude).max(0);
    while decimals < 12
        && pct < 100.0
        && format!("{pct:.*}", decimals as usize).parse::<f64>() == Ok(100.0)
    {
        decimals += 1;
    }
    let text = format!("{pct:.*}", decimals as usize);
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        text
    }
}

/// A probability as a percentage: `3.1%`, `<0.1%`, `100%`.
pub fn percent(p: f64) -> String {
    if !p.is_finite() {
        return "n/a".to_string();
    }
    let pct = p * 100.0;
    if pct == 0.0 {
        "0%".to_string()
    } else if pct < 0.1 {
        "<0.1%".to_string()
    } else if (99.95..100.0).contains(&pct) {
        ">99.9%".to_string()
    } else if pct == 100.0 {
        "100%".to_string()
    } else {
        format!("{pct:.1}%")
    }
}

/// A probability with its standard error in percentage points: `3.1% ± 0.2 pt`, or `± <0.1 pt` when
/// the error is too small to show at one decimal.
pub(crate) fn percent_with_se(p: f64, se: f64) -> String {
    if se > 0.0 {
        let pts = se * 100.0;
        if pts < 0.05 {
            format!("{} ± <0.1 pt", percent(p))
        } else {
            format!("{} ± {pts:.1} pt", percent(p))
        }
    } else {
        percent(p)
    }
}

/// A token count: `1,234`, `12.3M`, `4.56B`.
pub fn tokens(x: f64) -> String {
    let a = x.abs();
    if a >= 1e9 {
        format!("{:.2}B", x / 1e9)
    } else if a >= 1e6 {
        format!("{:.2}M", x / 1e6)
    } else {
        count(x)
    }
}

// ---- figures with their uncertainty, in words ---------------------------------------------------

/// A latency percentile alone, in whole milliseconds.
pub(crate) fn ms_value(i: &Interval) -> String {
    format!("{} ms", count(i.value))
}

/// A probability or share rounded to its standard error (one or two decimals of a percent), and
/// its uncertainty: `± 0.2 pt`, or — when none of `n` trials (or all of them) had the event, so the
/// standard error is 0 — the 95% Clopper–Pearson interval, which is not.
pub(crate) fn prob(e: &Estimate, n: Option<usize>) -> (String, String) {
    let (p, se) = (e.value, e.standard_error);
    // An error below 1e-9 is floating-point noise on a figure that is exact.
    let se = if se.abs() < 1e-9 { 0.0 } else { se };
    if !p.is_finite() {
        return ("n/a".to_string(), String::new());
    }
    let pts = se * 100.0;
    let d = prob_decimals(e);
    let value = pct_value(p, d);
    let uncertainty = if se > 0.0 {
        let s = fixed(pts, d);
        if s.chars().all(|c| c == '0' || c == '.') {
            format!("± <{} pt", fixed(10f64.powi(-(d as i32)), d))
        } else {
            format!("± {s} pt")
        }
    } else if se == 0.0 {
        match n {
            Some(n) if n > 0 && (p == 0.0 || p == 1.0) => {
                let bound = clopper_pearson_edge(n);
                if p == 0.0 {
                    format!("95% CI 0 – {}", pct_value(bound, 2))
                } else {
                    format!("95% CI {} – 100%", pct_value(1.0 - bound, 2))
                }
            }
            // No error to show: the share is exact (or its sample size unknown here).
            _ => String::new(),
        }
    } else {
        "n/a".to_string()
    };
    (value, uncertainty)
}

/// The decimals of a percent [`prob`] writes a probability with: one or two, by its standard
/// error (one without an error); a figure beside it without an error of its own (the same
/// probability in another run of the same months) takes the same.
pub(crate) fn prob_decimals(e: &Estimate) -> usize {
    let se = if e.standard_error.abs() < 1e-9 {
        0.0
    } else {
        e.standard_error
    };
    decimals_for_se(e.value * 100.0, se * 100.0)
        .unwrap_or(1)
        .clamp(1, 2)
}

/// The far end of the 95% Clopper–Pearson interval when none of `n` trials had the event: the
/// probability at which seeing none has a chance of 2.5%.
pub(crate) fn clopper_pearson_edge(n: usize) -> f64 {
    1.0 - 0.025f64.powf(1.0 / n.max(1) as f64)
}

/// A percentage with `d` decimals that never rounds a non-zero share to 0% or a share below 1 to
/// 100%.
pub(crate) fn pct_value(p: f64, d: usize) -> String {
    if p < 0.0 {
        // A discount's share of spend.
        return format!("-{}", pct_value(-p, d));
    }
    let step = 10f64.powi(-(d as i32));
    let pct = p * 100.0;
    // Shares that are 0 or 1 by construction come out of floating-point sums a hair off.
    if pct.abs() < 1e-7 {
        "0%".to_string()
    } else if pct >= 100.0 - 1e-7 {
        "100%".to_string()
    } else if pct < step / 2.0 {
        format!("<{}%", fixed(step, d))
    } else if pct > 100.0 - step / 2.0 {
        format!(">{}%", fixed(100.0 - step, d))
    } else {
        format!("{}%", fixed(pct, d))
    }
}

/// A probability with its uncertainty in one string: `3.1% ± 0.2 pt`.
pub fn prob_inline(e: &Estimate, n: Option<usize>) -> String {
    let (v, u) = prob(e, n);
    if u.is_empty() {
        v
    } else if u.starts_with('±') {
        format!("{v} {u}")
    } else {
        format!("{v} ({u})")
    }
}

/// A share in one string: with its uncertainty (`3.1% ± 0.2 pt`), or, for a count figure the
/// fast engine computes as an expected value, `3.10% (expected)`.
pub(crate) fn share_inline(e: &Estimate, expected: bool) -> String {
    if expected {
        format!("{} (expected)", pct_value(e.value, 2))
    } else {
        prob_inline(e, None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_and_counts_have_separators() {
        assert_eq!(money(11_500.0), "$11,500");
        assert_eq!(money(1_234_567.4), "$1,234,567");
        assert_eq!(money(123.456), "$123.46");
        assert_eq!(money(0.002875), "$0.002875");
        assert_eq!(money(-42.0), "-$42.00");
        // Float residue is no amount, and never a negative one.
        assert_eq!(money(-1.1e-13), "$0.00");
        assert_eq!(money(-0.0), "$0.00");
        assert_eq!(money(3e-14), "$0.00");
        assert_eq!(money(-0.0049), "-$0.004900");
        assert_eq!(count(1234.0), "1,234");
        assert_eq!(fixed(-0.0001, 2), "0.00");
    }

    #[test]
    fn rounding_follows_the_standard_error() {
        // Two significant digits of the error, the figure to the same decimal place.
        assert_eq!(money_with_se(12_345.678, 12.3), "$12,346 ± 12");
        assert_eq!(money_with_se(1_234.567_8, 0.123), "$1,234.6 ± 0.1");
        assert_eq!(money_with_se(123.456_7, 0.123), "$123.46 ± 0.12");
        assert_eq!(money_with_se(0.034_567, 0.001_2), "$0.0346 ± 0.0012");
        assert_eq!(
            money_with_se(0.007_132_4, 0.000_015_3),
            "$0.007132 ± 0.000015"
        );
        assert_eq!(money_with_se(11_500.0, 0.0), "$11,500");
        // At most five significant digits of the figure: an error below the last one shown is
        // written as less than one unit of it.
        assert_eq!(money_with_se(12_345.678, 1.23), "$12,346 ± 1");
        assert_eq!(
            money_with_se(0.000_303_153_3, 0.000_000_003_3),
            "$0.00030315 ± <0.00000001"
        );
        assert_eq!(money_with_se(13_999.995_12, 0.000_18), "$14,000 ± <1");
        assert_eq!(money_rounded(13_999.997_836, 0.000_08), "$14,000");
        // A figure of zero is rounded by its error alone.
        assert_eq!(money_with_se(0.0, 0.0123), "$0.000 ± 0.012");
        assert_eq!(decimals_for_se(0.5, 0.0), None);
        assert_eq!(decimals_for_se(0.5, f64::NAN), None);
    }

    #[test]
    fn shares_round_to_their_error_and_an_exact_one_shows_none() {
        let e = |value, standard_error| Estimate {
            value,
            standard_error,
        };
        assert_eq!(prob_inline(&e(0.2024, 0.0016), None), "20.24% ± 0.16 pt");
        assert_eq!(prob_inline(&e(0.272, 0.014), None), "27.2% ± 1.4 pt");
        assert_eq!(prob_inline(&e(0.99, 0.000_01), None), "99.00% ± <0.01 pt");
        // An error of 0 is not shown as `± 0 pt`: the share alone, or the Clopper–Pearson
        // interval when the number of months is known.
        assert_eq!(prob(&e(0.0, 0.0), None), ("0%".to_string(), String::new()));
        assert_eq!(prob_inline(&e(1.0, 0.0), None), "100%");
        assert_eq!(
            prob_inline(&e(0.0, 0.0), Some(1000)),
            "0% (95% CI 0 – 0.37%)"
        );
    }

    #[test]
    fn percentages() {
        assert_eq!(percent(0.031), "3.1%");
        assert_eq!(percent(0.0), "0%");
        assert_eq!(percent(0.0004), "<0.1%");
        assert_eq!(percent(1.0), "100%");
        assert_eq!(percent_with_se(0.031, 0.0017), "3.1% ± 0.2 pt");
        assert_eq!(percent_with_se(0.1, 0.000_2), "10.0% ± <0.1 pt");
        assert_eq!(share_percent(0.95), "95");
        assert_eq!(share_percent(0.999), "99.9");
        assert_eq!(share_percent(1e-9), "0.0000001");
        assert_eq!(share_percent(0.999_999), "99.9999");
        assert_eq!(share_percent(0.999_999_999), "99.9999999");
        assert_eq!(share_percent(0.2), "20");
    }
}
