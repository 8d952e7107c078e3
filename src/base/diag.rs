//! Rendering of problems for people: `file:line:column`, the offending line, a caret under the value,
//! the key path and a suggested fix.
//!
//! This is the only place that turns a [`Loc`](crate::base::source::Loc) into line and column, so every
//! command reports mistakes the same way.

use std::fmt::Write as _;

use crate::base::escape::{forbidden_in_name, terminal, visible};
use crate::base::problem::{Problem, ProblemKind};
use crate::base::source::{Sources, floor_char_boundary, line_col};

/// Whether to decorate output with ANSI colours.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Color {
    #[default]
    Never,
    Always,
}

impl Color {
    fn paint(self, code: &str, text: &str) -> String {
        match self {
            Color::Never => text.to_string(),
            Color::Always => format!("\x1b[{code}m{text}\x1b[0m"),
        }
    }
}

/// The longest source line shown in full; longer ones are cut around the caret.
const MAX_LINE_CHARS: usize = 120;

/// Render without colour.
pub(crate) fn render_plain(problem: &Problem, sources: &Sources) -> String {
    render(problem, sources, Color::Never)
}

/// Render one problem as a multi-line message ending in a newline.
pub fn render(problem: &Problem, sources: &Sources, color: Color) -> String {
    let (label, code) = match problem.kind {
        ProblemKind::Warning => ("warning", "1;33"),
        _ => ("error", "1;31"),
    };
    let mut out = String::new();
    // Names and paths inside messages come from files; none may act on the terminal.
    let _ = writeln!(
        out,
        "{}: {}",
        color.paint(code, label),
        color.paint("1", &terminal(&problem.message))
    );
    let gutter_width;
    if let Some(loc) = problem.loc {
        let file = sources.get(loc.file);
        let text = &file.text;
        let start = floor_char_boundary(text, loc.start.min(text.len()));
        let lc = line_col(text, start);
        gutter_width = lc.line.to_string().len();
        let pad = " ".repeat(gutter_width);
        let _ = writeln!(
            out,
            "{pad}{} {}:{}:{}",
            color.paint("1;34", "-->"),
            visible(&file.name),
            lc.line,
            lc.column
        );
        if file.quoted {
            render_snippet(&mut out, loc, text, start, lc.line, &pad, code, color);
        }
    } else {
        gutter_width = 1;
    }
    let pad = " ".repeat(gutter_width);
    if let Some(path) = &problem.key_path {
        let _ = writeln!(out, "{pad} = key: {}", visible(path));
    }
    if let Some(help) = &problem.help {
        let _ = writeln!(
            out,
            "{pad} = {}: {}",
            color.paint("1", "help"),
            terminal(help)
        );
    }
    out
}

/// The line of `text` holding byte `start`, with a caret under the problem's span.
#[allow(clippy::too_many_arguments)]
fn render_snippet(
    out: &mut String,
    loc: crate::base::source::Loc,
    text: &str,
    start: usize,
    line: usize,
    pad: &str,
    code: &str,
    color: Color,
) {
    let line_start = text[..start].rfind('\n').map_or(0, |i| i + 1);
    let line_end = text[start..].find('\n').map_or(text.len(), |i| start + i);
    let line_text = text[line_start..line_end].trim_end_matches('\r');
    // Underline the span, but only on its first line.
    let end = floor_char_boundary(text, loc.end.clamp(start, line_end.max(start)));
    let before: Vec<char> = text[line_start..start].chars().collect();
    let mut width = text[start..end].chars().count().max(1);
    // A very long line (minified JSON, binary garbage) is cut to a window around the caret.
    let line_len = line_text.chars().count();
    let (shown, skipped) = if line_len > MAX_LINE_CHARS {
        let from = before.len().saturating_sub(MAX_LINE_CHARS / 3);
        let to = (from + MAX_LINE_CHARS).min(line_len);
        width = width.min(to.saturating_sub(before.len()).max(1));
        let mut shown: String = line_text.chars().skip(from).take(to - from).collect();
        if from > 0 {
            shown.insert(0, '…');
        }
        if to < line_len {
            shown.push('…');
        }
        (shown, from)
    } else {
        (line_text.to_string(), 0)
    };
    let mut lead: String = before[skipped..]
        .iter()
        .map(|&c| if c == '\t' { '\t' } else { ' ' })
        .collect();
    if skipped > 0 {
        lead.insert(0, ' ');
    }
    let bar = color.paint("1;34", "|");
    let _ = writeln!(out, "{pad} {bar}");
    let _ = writeln!(
        out,
        "{} {bar} {}",
        color.paint("1;34", &line.to_string()),
        printable(&shown)
    );
    let _ = writeln!(
        out,
        "{pad} {bar} {lead}{}",
        color.paint(code, &"^".repeat(width))
    );
}

/// Replace control characters (and the other characters no name may hold) one for one, so a
/// line of binary garbage cannot garble the terminal and the caret stays under its column.
fn printable(line: &str) -> String {
    line.chars()
        .map(|c| {
            if forbidden_in_name(c) && c != '\t' {
                '\u{fffd}'
            } else {
                c
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::base::source::Loc;

    #[test]
    fn a_long_line_is_cut_to_a_window_around_the_caret() {
        let mut sources = Sources::new();
        let text = format!("x = \"{}\" # {}\n", "a".repeat(500), "b".repeat(500));
        let at = text.find('#').unwrap();
        let id = sources.add("s.toml", None, text);
        let problem = Problem::new(ProblemKind::Syntax, "here").at(Loc::new(id, at..at + 1));
        let out = render_plain(&problem, &sources);
        let lines: Vec<&str> = out.lines().collect();
        assert!(lines[3].chars().count() < 140, "{}", lines[3]);
        assert!(
            lines[3].starts_with("1 | …a") && lines[3].ends_with('…'),
            "{}",
            lines[3]
        );
        // The caret is under the `#`.
        let caret = lines[4].find('^').unwrap();
        assert_eq!(lines[3].chars().nth(caret), Some('#'), "{out}");
    }

    #[test]
    fn renders_location_line_caret_key_and_help() {
        let mut sources = Sources::new();
        let text = "[simulation]\ntrials = -3\n".to_string();
        let id = sources.add("s.toml", None, text);
        let problem = Problem::new(ProblemKind::InvalidValue, "`trials` must be at least 1")
            .at(Loc::new(id, 22..24))
            .path("simulation.trials")
            .help("use a positive number of simulated months, e.g. 10000");
        let out = render_plain(&problem, &sources);
        assert_eq!(
            out,
            "error: `trials` must be at least 1\n \
             --> s.toml:2:10\n  \
             |\n\
             2 | trials = -3\n  \
             |          ^^\n  \
             = key: simulation.trials\n  \
             = help: use a positive number of simulated months, e.g. 10000\n"
        );
    }
}
