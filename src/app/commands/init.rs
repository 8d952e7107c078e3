//! `aicost init`: write a commented starter scenario.
//!
//! An editor completes keys and flags typos as they are typed only when it knows the scenario's
//! schema, so the starter opens with the `#:schema` line the shipped scenarios carry. By default
//! the schema is written beside the scenario (`aicost.schema.json`, the one `aicost schema`
//! prints), so completion works at once, offline, and matches this version's format; `--schema`
//! names an existing schema (a path relative to the scenario, or a URL) instead.

use std::path::{Path, PathBuf};

use crate::app::cli::InitArgs;
use crate::app::output;
use crate::base::error::{Error, UsageKind};
use crate::base::warning::WarningKind;

/// The commented starter scenario written by `aicost init`, after its `#:schema` line.
pub const STARTER: &str = include_str!("starter.toml");

/// The schema file `aicost init` writes beside the scenario unless `--schema` names another.
pub(crate) const SCHEMA_FILE: &str = "aicost.schema.json";

/// The starter scenario whose first line points editors at `schema` (a path or a URL).
pub fn starter(schema: &str) -> String {
    format!("#:schema {schema}\n{STARTER}")
}

pub fn init(a: &InitArgs) -> Result<u8, Error> {
    if let Some(s) = &a.schema
        && (s.is_empty() || s.chars().any(char::is_control))
    {
        return Err(UsageKind::SchemaNotOneLine.into());
    }
    let reference = a.schema.as_deref().unwrap_or(SCHEMA_FILE);
    let text = starter(reference);
    if a.path == Path::new("-") {
        output::write_stdout(text.as_bytes())?;
        return Ok(0);
    }
    if a.path.exists() && !a.force {
        return Err(UsageKind::AlreadyExists {
            path: a.path.clone(),
        }
        .into());
    }
    // The schema goes beside the scenario, unless `--schema` names one that exists elsewhere.
    let schema_path: Option<PathBuf> = a
        .schema
        .is_none()
        .then(|| a.path.parent().unwrap_or(Path::new("")).join(SCHEMA_FILE));
    let mut plan = crate::app::files::FilePlan::new();
    plan.writes("the scenario", Some(&a.path));
    if let Some(p) = &schema_path {
        plan.writes("the schema", Some(p));
    }
    plan.check()?;

    let schema = crate::model::schema::to_json();
    let mut wrote_schema = None;
    if let Some(p) = &schema_path {
        match std::fs::read(p) {
            Ok(existing) if existing == schema.as_bytes() => {}
            Ok(_) if !a.force => crate::app::diagnostics::warn(
                &WarningKind::SchemaKept {
                    path: p.to_path_buf(),
                }
                .into(),
            ),
            _ => {
                output::write_atomic(p, schema.as_bytes())?;
                wrote_schema = Some(p);
            }
        }
    }
    output::write_atomic(&a.path, text.as_bytes())?;
    match wrote_schema {
        Some(p) => eprintln!(
            "wrote {} and its schema {}; next: aicost simulate {}",
            a.path.display(),
            p.display(),
            a.path.display()
        ),
        None => eprintln!(
            "wrote {}; next: aicost simulate {}",
            a.path.display(),
            a.path.display()
        ),
    }
    Ok(0)
}
