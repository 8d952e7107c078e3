//! One located mistake (or warning) in a scenario, as data: its kind, message, location, key path
//! and suggested fix. Kept apart from [`crate::base::error`] so that the rendering of problems
//! ([`crate::base::diag`]) and the error that carries them each depend on it, not on each other.

use crate::base::source::Loc;

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

    pub(crate) fn at_opt(mut self, loc: Option<Loc>) -> Self {
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

    pub(crate) fn help_opt(mut self, help: Option<String>) -> Self {
        if help.is_some() {
            self.help = help;
        }
        self
    }
}
