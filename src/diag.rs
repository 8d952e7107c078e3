//! Rendering of problems for people: `file:line:column`, the offending line, a caret under the value,
//! the key path and a suggested fix.
//!
//! This is the only place that turns a [`Loc`](crate::source::Loc) into line and column, so every
//! command reports mistakes the same way.

use std::fmt::Write as _;

use crate::error::{Problem, ProblemKind};
use crate::source::{Sources, floor_char_boundary, line_col};

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

/// Render without colour.
pub fn render_plain(problem: &Problem, sources: &Sources) -> String {
    render(problem, sources, Color::Never)
}

/// Render one problem as a multi-line message ending in a newline.
pub fn render(problem: &Problem, sources: &Sources, color: Color) -> String {
    let (label, code) = match problem.kind {
        ProblemKind::Warning => ("warning", "1;33"),
        _ => ("error", "1;31"),
    };
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{}: {}",
        color.paint(code, label),
        color.paint("1", &problem.message)
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
            file.name,
            lc.line,
            lc.column
        );
        let line_start = text[..start].rfind('\n').map_or(0, |i| i + 1);
        let line_end = text[start..].find('\n').map_or(text.len(), |i| start + i);
        let line_text = text[line_start..line_end].trim_end_matches('\r');
        // Underline the span, but only on its first line.
        let end = floor_char_boundary(text, loc.end.clamp(start, line_end.max(start)));
        let lead: String = text[line_start..start]
            .chars()
            .map(|c| if c == '\t' { '\t' } else { ' ' })
            .collect();
        let width = text[start..end].chars().count().max(1);
        let bar = color.paint("1;34", "|");
        let _ = writeln!(out, "{pad} {bar}");
        let _ = writeln!(
            out,
            "{} {bar} {}",
            color.paint("1;34", &lc.line.to_string()),
            printable(line_text)
        );
        let _ = writeln!(
            out,
            "{pad} {bar} {lead}{}",
            color.paint(code, &"^".repeat(width))
        );
    } else {
        gutter_width = 1;
    }
    let pad = " ".repeat(gutter_width);
    if let Some(path) = &problem.key_path {
        let _ = writeln!(out, "{pad} = key: {path}");
    }
    if let Some(help) = &problem.help {
        let _ = writeln!(out, "{pad} = {}: {help}", color.paint("1", "help"));
    }
    out
}

/// Replace control characters so a line of binary garbage cannot garble the terminal.
fn printable(line: &str) -> String {
    line.chars()
        .map(|c| {
            if c.is_control() && c != '\t' {
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
    use crate::source::Loc;

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
