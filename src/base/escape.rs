//! Names are data: one function per place a name from a user or a log is written to.
//!
//! A scenario, a catalog or a log may name things with any characters. Written raw, a name can
//! move the cursor or recolour a terminal (`ESC [`), start a spreadsheet formula (`=HYPERLINK(…)`),
//! end a TOML comment and start live TOML (a newline), or break a Markdown table (`|`, a
//! newline). Each destination has its own escape here, so every writer of that destination
//! uses the same one: [`visible`] for names inside messages, [`terminal`] for whole messages,
//! `csv_cell` for CSV, [`toml_str`] and [`toml_key`] for TOML, `md_code` for Markdown code
//! spans. HTML and prose Markdown have theirs in `report::html` and `report::markdown`.
//!
//! A scenario refuses names holding `forbidden_in_name` characters (`validate` says where);
//! `fit` replaces them in names read from logs ([`sanitize_name`]), so the scenario it writes
//! validates.

use std::borrow::Cow;
use std::fmt::Write as _;

/// Characters a name may not hold: control characters (C0, DEL, C1), the Unicode line and
/// paragraph separators, and the bidirectional embeddings, overrides and isolates that can make
/// text read differently from what it is.
pub(crate) fn forbidden_in_name(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{2028}' | '\u{2029}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}'
        )
}

/// `s` with each `forbidden_in_name` character replaced by U+FFFD (the replacement character).
pub fn sanitize_name(s: &str) -> Cow<'_, str> {
    if s.chars().any(forbidden_in_name) {
        Cow::Owned(
            s.chars()
                .map(|c| if forbidden_in_name(c) { '\u{FFFD}' } else { c })
                .collect(),
        )
    } else {
        Cow::Borrowed(s)
    }
}

/// A name (or path) for a message: every `forbidden_in_name` character written as an escape
/// (`\n`, `\r`, `\t`, `\u{1b}`), so it shows what it holds and cannot act on the terminal.
pub fn visible(s: &str) -> Cow<'_, str> {
    escape_where(s, forbidden_in_name)
}

/// A whole message for the terminal: like [`visible`], but its own line breaks are kept.
pub fn terminal(s: &str) -> Cow<'_, str> {
    escape_where(s, |c| c != '\n' && forbidden_in_name(c))
}

fn escape_where(s: &str, escape: impl Fn(char) -> bool) -> Cow<'_, str> {
    if !s.chars().any(&escape) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if !escape(c) {
            out.push(c);
            continue;
        }
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
        }
    }
    Cow::Owned(out)
}

/// Characters that make a spreadsheet read a cell as a formula (OWASP's list, and the
/// full-width forms some spreadsheets also accept).
fn starts_formula(s: &str) -> bool {
    s.starts_with([
        '=', '+', '-', '@', '\t', '\r', '\u{FF1D}', '\u{FF0B}', '\u{FF0D}', '\u{FF20}',
    ])
}

/// Whether `s` is a plain decimal number (`-1.5`, `2e-3`), which stays a number.
fn is_number(s: &str) -> bool {
    let digits = s.strip_prefix('-').unwrap_or(s);
    let (mantissa, exponent) = match digits.split_once(['e', 'E']) {
        Some((m, e)) => (m, Some(e)),
        None => (digits, None),
    };
    let all_digits = |t: &str| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit());
    let mantissa_ok = match mantissa.split_once('.') {
        Some((i, f)) => all_digits(i) && (f.is_empty() || all_digits(f)),
        None => all_digits(mantissa),
    };
    let exponent_ok = exponent.is_none_or(|e| all_digits(e.strip_prefix(['-', '+']).unwrap_or(e)));
    mantissa_ok && exponent_ok
}

/// Whether a text cell needs a leading apostrophe: it would start a formula, or it is a text
/// that already starts with apostrophes before such a character (so that [`csv_uncell`] can tell
/// the two apart).
fn needs_apostrophe(s: &str) -> bool {
    starts_formula(s.trim_start_matches('\'')) && !is_number(s)
}

/// A text that a spreadsheet would run as a formula, with a leading apostrophe (OWASP's advice);
/// numbers stay numbers. For a CSV writer that quotes by itself.
pub(crate) fn formula_safe(s: &str) -> Cow<'_, str> {
    if needs_apostrophe(s) {
        Cow::Owned(format!("'{s}"))
    } else {
        Cow::Borrowed(s)
    }
}

/// A CSV field: [`formula_safe`], and quoted when it holds a comma, a quote or a line break
/// (RFC 4180).
pub(crate) fn csv_cell(s: &str) -> Cow<'_, str> {
    let text = formula_safe(s);
    if text.contains([',', '"', '\n', '\r']) {
        Cow::Owned(format!("\"{}\"", text.replace('"', "\"\"")))
    } else {
        text
    }
}

/// The text of a CSV field written by [`csv_cell`] (after CSV unquoting): the apostrophe added
/// in front of a formula character is removed.
pub(crate) fn csv_uncell(s: &str) -> &str {
    match s.strip_prefix('\'') {
        Some(rest) if needs_apostrophe(rest) => rest,
        _ => s,
    }
}

/// A TOML basic string: `"…"` with quotes, backslashes and every control character escaped.
pub fn toml_str(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04X}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A TOML key: bare when it can be, quoted otherwise.
pub fn toml_key(s: &str) -> String {
    if !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        s.to_string()
    } else {
        toml_str(s)
    }
}

/// `s` as a Markdown code span that shows it exactly, inside a table cell too: the fence is
/// longer than any run of backticks in `s`, `|` is escaped (GitHub splits cells before reading
/// code spans) and line breaks and other control characters are shown as escapes.
pub(crate) fn md_code(s: &str) -> String {
    let s = visible(s);
    let longest = s.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest + 1);
    let pad = if s.starts_with('`') || s.ends_with('`') || s.is_empty() {
        " "
    } else {
        ""
    };
    format!("{fence}{pad}{}{pad}{fence}", s.replace('|', "\\|"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_cells_get_an_apostrophe_and_numbers_stay_numbers() {
        assert_eq!(csv_cell("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(csv_cell("+1"), "'+1");
        assert_eq!(csv_cell("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(csv_cell("-cmd"), "'-cmd");
        assert_eq!(csv_cell("\tx"), "'\tx");
        assert_eq!(csv_cell("\rx"), "\"'\rx\"");
        assert_eq!(csv_cell("＝1+1"), "'＝1+1");
        assert_eq!(csv_cell("-1.5"), "-1.5");
        assert_eq!(csv_cell("-2e-3"), "-2e-3");
        assert_eq!(csv_cell("route-a"), "route-a");
        assert_eq!(csv_cell("a,b"), "\"a,b\"");
        assert_eq!(csv_cell("'quoted'"), "'quoted'");
    }

    #[test]
    fn the_apostrophe_comes_off_again_and_only_that_one() {
        for name in ["=x", "'=x", "''=x", "'plain", "-1", "-x", "plain", "'", ""] {
            let cell = csv_cell(name);
            let unquoted = if cell.starts_with('"') {
                cell[1..cell.len() - 1].replace("\"\"", "\"")
            } else {
                cell.to_string()
            };
            assert_eq!(csv_uncell(&unquoted), name, "{name} -> {cell}");
        }
    }

    #[test]
    fn names_in_messages_show_their_control_characters() {
        assert_eq!(visible("a\nb\x1b[31m\u{202e}"), "a\\nb\\u{1b}[31m\\u{202e}");
        assert_eq!(terminal("line\nnext\r"), "line\nnext\\r");
        assert_eq!(sanitize_name("a\nb"), "a\u{FFFD}b");
        assert!(matches!(visible("plain é"), Cow::Borrowed(_)));
    }

    #[test]
    fn code_spans_hold_backticks_pipes_and_line_breaks() {
        assert_eq!(md_code("a|b"), "`a\\|b`");
        assert_eq!(md_code("x`y"), "``x`y``");
        assert_eq!(md_code("`x"), "`` `x ``");
        assert_eq!(md_code("a\nb"), "`a\\nb`");
    }

    #[test]
    fn toml_strings_escape_quotes_backslashes_and_controls() {
        assert_eq!(toml_str("a\"b\\c\nd\u{1b}"), "\"a\\\"b\\\\c\\nd\\u001B\"");
        assert_eq!(toml_key("route-a"), "route-a");
        assert_eq!(toml_key("a.b"), "\"a.b\"");
    }
}
