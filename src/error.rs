//! Error types of the library.
//!
//! The library never prints. A scenario mistake becomes a [`Problem`] that keeps its location, key
//! path and a suggested fix; [`crate::diag`] alone turns it into text. Every variant of [`Error`] is
//! a user error (bad file, bad flag, unreadable input, unwritable output), which the binary maps to
//! exit code 2; bugs are not represented here.

use std::fmt;
use std::io;
use std::path::PathBuf;
use std::sync::Arc;

use crate::source::{Loc, Sources};

/// What sort of mistake a [`Problem`] is; stable, so tests and tools can match on it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProblemKind {
    /// The text is not TOML.
    Syntax,
    /// The file is not UTF-8 text.
    Encoding,
    /// A key the format does not know.
    UnknownKey,
    /// A required key is absent.
    MissingKey,
    /// A value of the wrong type (a string where a number belongs).
    InvalidType,
    /// A value of the right type that is out of range or inconsistent.
    InvalidValue,
    /// A name that refers to nothing (an unknown model, segment or route).
    UnknownReference,
    /// Two things with the same name.
    Duplicate,
    /// Something suspicious that does not stop the run.
    Warning,
}

impl ProblemKind {
    pub fn code(self) -> &'static str {
        match self {
            ProblemKind::Syntax => "syntax",
            ProblemKind::Encoding => "encoding",
            ProblemKind::UnknownKey => "unknown-key",
            ProblemKind::MissingKey => "missing-key",
            ProblemKind::InvalidType => "invalid-type",
            ProblemKind::InvalidValue => "invalid-value",
            ProblemKind::UnknownReference => "unknown-reference",
            ProblemKind::Duplicate => "duplicate",
            ProblemKind::Warning => "warning",
        }
    }
}

/// One located mistake (or warning) in a scenario.
#[derive(Clone, Debug, PartialEq)]
pub struct Problem {
    pub kind: ProblemKind,
    pub message: String,
    /// Where it is; `None` when the mistake is about something absent from every file.
    pub loc: Option<Loc>,
    /// Dotted key path such as `workflow[summarize].step[summary].cache_hit_rate`.
    pub key_path: Option<String>,
    /// How to fix it ("did you mean `retry_rate`?").
    pub help: Option<String>,
}

impl Problem {
    pub fn new(kind: ProblemKind, message: impl Into<String>) -> Self {
        Problem {
            kind,
            message: message.into(),
            loc: None,
            key_path: None,
            help: None,
        }
    }

    pub fn at(mut self, loc: Loc) -> Self {
        self.loc = Some(loc);
        self
    }

    pub fn at_opt(mut self, loc: Option<Loc>) -> Self {
        if self.loc.is_none() {
            self.loc = loc;
        }
        self
    }

    pub fn path(mut self, key_path: impl Into<String>) -> Self {
        self.key_path = Some(key_path.into());
        self
    }

    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    pub fn help_opt(mut self, help: Option<String>) -> Self {
        if help.is_some() {
            self.help = help;
        }
        self
    }
}

/// One or more problems that stop a scenario from loading, with the sources they point into.
#[derive(Clone, Debug)]
pub struct ScenarioError {
    pub sources: Arc<Sources>,
    pub problems: Vec<Problem>,
}

impl fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let rendered: Vec<String> = self
            .problems
            .iter()
            .map(|p| crate::diag::render_plain(p, &self.sources))
            .collect();
        f.write_str(&rendered.join("\n"))
    }
}

/// Everything that can go wrong in a command, all of it the user's to fix.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{0}")]
    Scenario(ScenarioError),
    #[error("cannot read `{}`: {source}", path.display())]
    Read { path: PathBuf, source: io::Error },
    #[error("cannot write `{}`: {source}", path.display())]
    Write { path: PathBuf, source: io::Error },
    #[error("{0}")]
    Usage(String),
}

impl Error {
    /// The process exit code for this error: always 2 (a user error).
    pub fn exit_code(&self) -> u8 {
        2
    }

    /// How to fix a file that cannot be read or written, where the cause suggests it.
    pub fn help(&self) -> Option<String> {
        let (path, source, reading) = match self {
            Error::Read { path, source } => (path, source, true),
            Error::Write { path, source } => (path, source, false),
            _ => return None,
        };
        match source.kind() {
            io::ErrorKind::NotFound if reading => Some(match std::env::current_dir() {
                Ok(cwd) if path.is_relative() => format!(
                    "check the path; a relative path starts from the current directory, `{}`",
                    cwd.display()
                ),
                _ => "check the path".to_string(),
            }),
            io::ErrorKind::NotFound => Some(format!(
                "create the directory `{}` first, or write somewhere that exists",
                path.parent()
                    .filter(|d| !d.as_os_str().is_empty())
                    .unwrap_or(std::path::Path::new("."))
                    .display()
            )),
            io::ErrorKind::PermissionDenied if reading => Some(format!(
                "the file is not readable by this user; e.g. `chmod a+r {}`",
                path.display()
            )),
            io::ErrorKind::PermissionDenied => {
                Some("choose a directory this user may write to".to_string())
            }
            // `source::open_input` refused a pipe, a device or a directory.
            io::ErrorKind::InvalidInput if reading => Some(
                "give the path of a regular file; a log can also be streamed through standard input with `-`"
                    .to_string(),
            ),
            _ => None,
        }
    }

    /// A scenario error made of one problem.
    pub fn scenario(sources: Arc<Sources>, problem: Problem) -> Self {
        Error::Scenario(ScenarioError {
            sources,
            problems: vec![problem],
        })
    }

    /// Whether this is an I/O error caused by a closed pipe on the other end (`aicost … | head`).
    pub fn is_broken_pipe(&self) -> bool {
        matches!(self, Error::Write { source, .. } if source.kind() == io::ErrorKind::BrokenPipe)
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// The closest candidate to `word` within edit distance 2 (or a third of its length), for
/// "did you mean" hints.
pub fn suggest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let limit = 2.max(word.chars().count() / 3);
    candidates
        .into_iter()
        .map(|c| (strsim::damerau_levenshtein(word, c), c))
        .filter(|&(d, _)| d <= limit)
        .min_by_key(|&(d, _)| d)
        .map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggestions_pick_the_closest_name_within_reach() {
        let keys = ["retry_rate", "route", "max_attempts"];
        assert_eq!(suggest("retyr_rate", keys), Some("retry_rate"));
        assert_eq!(suggest("max_attempt", keys), Some("max_attempts"));
        assert_eq!(suggest("completely_else", keys), None);
    }
}
