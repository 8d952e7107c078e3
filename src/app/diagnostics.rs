//! Errors and warnings as the user reads them on stderr: the one place they are rendered.
//!
//! Kept apart from the program's entry point ([`crate::app::run`]) so that the commands and the
//! what-if server, which print warnings and render errors, do not import the module that runs
//! them.

use crate::app::cli::Config;
use crate::base::diag::{self, Color};
use crate::base::error::Error;

/// The diagnostic colour setting for a yes/no choice.
pub fn color(on: bool) -> Color {
    if on { Color::Always } else { Color::Never }
}

/// Print a warning on stderr: `warning:`, the message and its help line, with every name in it
/// made harmless to the terminal.
pub(crate) fn warn(w: &crate::base::warning::Warning) {
    eprintln!("{}", render_warning(w));
}

/// A warning as [`warn`] prints it, without the final line break.
pub(crate) fn render_warning(w: &crate::base::warning::Warning) -> String {
    format!("warning: {}", crate::base::escape::terminal(&w.to_string()))
}

/// Render an error for stderr.
pub(crate) fn render_error(e: &Error, config: &Config) -> String {
    let c = color(config.color_stderr);
    match e {
        Error::Scenario(se) => {
            let mut out = String::new();
            for p in &se.problems {
                out.push_str(&diag::render(p, &se.sources, c));
                out.push('\n');
            }
            let n = se.problems.len();
            let file = se
                .sources
                .files()
                .next()
                .map(|(_, f)| f.name.clone())
                .unwrap_or_default();
            let file = crate::base::escape::visible(&file);
            out.push_str(&format!(
                "{} {n} error{} in {file}\n",
                if config.color_stderr {
                    "\x1b[1;31merror:\x1b[0m"
                } else {
                    "error:"
                },
                if n == 1 { "" } else { "s" },
            ));
            out
        }
        other => {
            let label = if config.color_stderr {
                "\x1b[1;31merror:\x1b[0m"
            } else {
                "error:"
            };
            // Names and paths inside the message come from files and flags; none may act on the
            // terminal.
            let mut text = other.message();
            let _ =
                crate::base::usage::write_notes(&mut text, other.help().as_deref(), other.note());
            format!("{label} {}\n", crate::base::escape::terminal(&text))
        }
    }
}
