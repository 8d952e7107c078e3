//! A warning: something a command did or chose that the user should know about, which does not
//! stop it.
//!
//! Like a [`Usage`](crate::base::usage::Usage) mistake, each [`WarningKind`] carries the data its
//! message names and writes the message in one `Display`; the suggested fix is a field of
//! [`Warning`], written as the `  = help:` line by `crate::base::usage::write_notes` alone. The
//! binary prints warnings in one place (`app::diagnostics::warn`).

use std::fmt;
use std::path::PathBuf;

/// What the warning is about, with the data its message names.
#[derive(Clone, Debug, PartialEq)]
pub enum WarningKind {
    /// `init` kept a schema file that differs from this version's schema.
    SchemaKept { path: PathBuf },
    /// `serve` listens on an address other machines can reach.
    ListensBeyondLoopback { host: String },
    /// The fast engine ran a scenario whose figures it vouches for only with a caveat.
    FastEngineCaveat { caveat: String },
    /// `check` found rules within `standard_errors` of their thresholds at `trials` trials, so
    /// it decides none of them; about `trials_to_decide` would (none when a value equals its
    /// threshold).
    ChecksUndecided {
        checks: usize,
        standard_errors: f64,
        trials: u64,
        trials_to_decide: Option<u64>,
    },
}

impl WarningKind {
    /// The fix this kind of warning always has.
    fn standard_help(&self) -> Option<String> {
        use WarningKind::*;
        Some(match self {
            SchemaKept { path } => format!("`aicost schema --out {}` refreshes it", path.display()),
            ListensBeyondLoopback { .. } => {
                "leave out --host to listen on 127.0.0.1 only".to_string()
            }
            FastEngineCaveat { .. } => "--engine exact simulates every request, at this size for minutes or hours; fewer --trials make it quicker".to_string(),
            ChecksUndecided {
                trials_to_decide: Some(n),
                ..
            } => format!(
                "raise --trials to about {} to decide",
                crate::base::format::count(*n as f64)
            ),
            ChecksUndecided {
                trials_to_decide: None,
                ..
            } => "the value equals the threshold; raise --trials or move the threshold".to_string(),
        })
    }
}

impl fmt::Display for WarningKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use WarningKind::*;
        match self {
            SchemaKept { path } => write!(
                f,
                "kept `{}`, which differs from this version's schema",
                path.display()
            ),
            ListensBeyondLoopback { host } => write!(
                f,
                "listening on {host} lets other machines reach the page, run forecasts and save files beside the scenario"
            ),
            FastEngineCaveat { caveat } => f.write_str(caveat),
            ChecksUndecided {
                checks,
                standard_errors,
                trials,
                ..
            } => write!(
                f,
                "{checks} check{} within {standard_errors} standard errors of {} threshold at {} trials; not deciding",
                if *checks == 1 { " is" } else { "s are" },
                if *checks == 1 { "its" } else { "their" },
                crate::base::format::count(*trials as f64),
            ),
        }
    }
}

/// A warning: its kind and how to act on it.
#[derive(Clone, Debug, PartialEq)]
pub struct Warning {
    pub kind: WarningKind,
    /// What to do about it; the `  = help:` line.
    pub help: Option<String>,
}

impl From<WarningKind> for Warning {
    fn from(kind: WarningKind) -> Self {
        let help = kind.standard_help();
        Warning { kind, help }
    }
}

impl fmt::Display for Warning {
    /// The message and its help line, without the `warning:` label.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.kind)?;
        crate::base::usage::write_notes(f, self.help.as_deref(), None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn undecided_checks_carry_their_fix_in_the_help_field() {
        let w = Warning::from(WarningKind::ChecksUndecided {
            checks: 2,
            standard_errors: 2.0,
            trials: 1000,
            trials_to_decide: Some(41_500),
        });
        assert_eq!(
            w.help.as_deref(),
            Some("raise --trials to about 41,500 to decide")
        );
        assert_eq!(
            w.kind.to_string(),
            "2 checks are within 2 standard errors of their threshold at 1,000 trials; not deciding"
        );
        assert_eq!(
            w.to_string(),
            "2 checks are within 2 standard errors of their threshold at 1,000 trials; not deciding\n  \
             = help: raise --trials to about 41,500 to decide"
        );
        let one = Warning::from(WarningKind::ChecksUndecided {
            checks: 1,
            standard_errors: 2.0,
            trials: 300,
            trials_to_decide: None,
        });
        assert!(
            one.kind.to_string().starts_with("1 check is within"),
            "{one}"
        );
        assert!(
            one.help
                .unwrap()
                .starts_with("the value equals the threshold"),
        );
    }

    #[test]
    fn the_help_follows_the_message_on_a_line_of_its_own() {
        let w = Warning::from(WarningKind::ListensBeyondLoopback {
            host: "0.0.0.0".to_string(),
        });
        assert_eq!(
            w.to_string(),
            "listening on 0.0.0.0 lets other machines reach the page, run forecasts and save files beside the scenario\n  \
             = help: leave out --host to listen on 127.0.0.1 only"
        );
    }
}
