//! Error types of the library.
//!
//! The library never prints. A scenario mistake becomes a [`Problem`] that keeps its location, key
//! path and a suggested fix; [`crate::base::diag`] alone turns it into text. Every variant of [`Error`] is
//! a user error (bad file, bad flag, unreadable input, unwritable output), which the binary maps to
//! exit code 2; bugs are not represented here. A mistake outside a scenario is a [`Usage`]: a
//! typed [`UsageKind`] that carries its data, and the fix as a field of its own, written under the
//! message by `crate::base::usage::write_notes` alone.

use std::fmt;
use std::io;
use std::path::PathBuf;
use std::sync::Arc;

use crate::base::source::Sources;

pub use crate::base::problem::{Problem, ProblemKind};
pub use crate::base::usage::{AssumptionFault, OverwriteVia, Usage, UsageKind};

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
            .map(|p| crate::base::diag::render_plain(p, &self.sources))
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
    /// Boxed: a usage mistake carries its data, its fix and its note, and every `Result` of the
    /// crate should stay small on its happy path.
    #[error("{0}")]
    Usage(Box<Usage>),
}

impl From<Usage> for Error {
    fn from(usage: Usage) -> Self {
        Error::Usage(Box::new(usage))
    }
}

impl From<UsageKind> for Error {
    fn from(kind: UsageKind) -> Self {
        Error::Usage(Box::new(kind.into()))
    }
}

impl Error {
    /// The process exit code for this error: always 2 (a user error).
    pub(crate) fn exit_code(&self) -> u8 {
        2
    }

    /// The message alone, without the help and note lines under it (which `Display` writes for
    /// a [`Usage`] mistake, and which [`Error::help`] and [`Error::note`] give).
    pub fn message(&self) -> String {
        match self {
            Error::Usage(u) => u.kind.to_string(),
            other => other.to_string(),
        }
    }

    /// Why aicost was doing what failed, where it chose for the user.
    pub fn note(&self) -> Option<&str> {
        match self {
            Error::Usage(u) => u.note.as_deref(),
            _ => None,
        }
    }

    /// How to fix it: a usage mistake's suggested fix, or for a file that cannot be read or
    /// written, what its cause suggests.
    pub fn help(&self) -> Option<String> {
        let (path, source, reading) = match self {
            Error::Read { path, source } => (path, source, true),
            Error::Write { path, source } => (path, source, false),
            Error::Usage(u) => return u.help.clone(),
            Error::Scenario(_) => return None,
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
    pub(crate) fn is_broken_pipe(&self) -> bool {
        matches!(self, Error::Write { source, .. } if source.kind() == io::ErrorKind::BrokenPipe)
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// The closest candidate to `word` within edit distance 2 (or a third of its length), for
/// "did you mean" hints.
pub(crate) fn suggest<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
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
