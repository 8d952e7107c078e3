//! One text of a scenario to a located TOML tree: UTF-8 and BOM, emptiness, TOML syntax, and
//! whether it looks like a scenario at all (a file that does not is located, never quoted).

use std::path::Path;

use super::raw;
use crate::base::error::{Problem, ProblemKind};
use crate::base::source::{Loc, Sources};
use crate::model::doc::Node;

/// The help for a file that is not quoted because it does not look like a scenario.
pub(crate) const NOT_SHOWN: &str = "a scenario has tables such as [[segment]], [[workflow]], [[model]] and [[stack]] (see `aicost init`): check that this is the file you meant";

const BOM: &[u8] = b"\xEF\xBB\xBF";

/// Bytes of one file to a located tree: UTF-8, BOM, emptiness and TOML syntax checked.
pub(crate) fn parse_text(
    name: &str,
    path: Option<&Path>,
    mut bytes: Vec<u8>,
    sources: &mut Sources,
    warnings: &mut Vec<Problem>,
) -> Result<Node, Problem> {
    let had_bom = bytes.starts_with(BOM);
    if had_bom {
        bytes.drain(..BOM.len());
    }
    let text = match String::from_utf8(bytes) {
        Ok(text) => text,
        Err(e) => {
            let offset = e.utf8_error().valid_up_to();
            let (what, help) = not_text(e.as_bytes());
            let lossy = String::from_utf8_lossy(e.as_bytes()).into_owned();
            // The bytes before `offset` are valid UTF-8, so the lossy text keeps their offsets.
            let id = sources.add(name, path, lossy);
            if !looks_like_scenario(&sources.get(id).text) {
                sources.hide(id);
            }
            let problem = Problem::new(
                ProblemKind::Encoding,
                format!("{what} (invalid byte at offset {offset})"),
            )
            .at(Loc::new(id, offset..offset + 1))
            .help(help);
            return Err(problem);
        }
    };
    let id = sources.add(name, path, text);
    let text = &sources.get(id).text;
    if had_bom {
        warnings.push(
            Problem::new(
                ProblemKind::Warning,
                "the file starts with a UTF-8 byte-order mark; it was ignored",
            )
            .at(Loc::new(id, 0..0))
            .help("save the file as UTF-8 without BOM"),
        );
    }
    if text.trim().is_empty() {
        let problem = Problem::new(ProblemKind::MissingKey, "the scenario file is empty")
            .at(Loc::new(id, 0..0))
            .help("run `aicost init` to write a commented starter scenario");
        return Err(problem);
    }
    if let Some(offset) = text.find('\0') {
        let (what, help) = not_text(text.as_bytes());
        if !looks_like_scenario(text) {
            sources.hide(id);
        }
        return Err(Problem::new(
            ProblemKind::Encoding,
            format!("{what} (a NUL byte at offset {offset})"),
        )
        .at(Loc::new(id, offset..offset + 1))
        .help(help));
    }
    let root = match Node::parse(text, id) {
        Ok(root) => root,
        Err(mut problem) => {
            let head = text.trim_start();
            let json = head.starts_with('{')
                || head.starts_with("[{")
                || head.starts_with("[\n") && head.contains('{');
            if !looks_like_scenario(text) {
                // Not a scenario with a typo but some other file: say where, quote nothing.
                sources.hide(id);
                let what = problem.message.trim_start_matches("invalid TOML: ");
                let what = if what.starts_with("duplicate key") {
                    "duplicate key"
                } else {
                    what
                };
                problem.message = format!(
                    "`{name}` does not look like a scenario and is not valid TOML ({what}); its content is not shown"
                );
                if problem.help.as_deref().is_some_and(|h| h.contains('"')) {
                    problem = problem.help(NOT_SHOWN);
                }
            }
            if json {
                problem = problem.help(
                    "this looks like JSON; scenarios are written in TOML (see `aicost init`)",
                );
            }
            return Err(problem);
        }
    };
    if matches!(&root.value, crate::model::doc::Value::Table(entries) if entries.is_empty()) {
        return Err(Problem::new(
            ProblemKind::MissingKey,
            "the scenario file has only comments",
        )
        .at(Loc::new(id, 0..0))
        .help("run `aicost init` to write a commented starter scenario"));
    }
    if let Some(foreign) = foreign_key(&root) {
        sources.hide(id);
        return Err(Problem::new(
            ProblemKind::UnknownKey,
            format!(
                "`{name}` does not look like a scenario: none of its top-level keys is one; its content is not shown"
            ),
        )
        .at(foreign)
        .help(NOT_SHOWN));
    }
    Ok(root)
}

/// Whether text that is not valid TOML still looks like a scenario with a mistake in it (so that
/// the mistake may be quoted): a line opens a scenario table (`[simulation]`, `[[segment]]`…)
/// or sets `extends` or `catalog`.
fn looks_like_scenario(text: &str) -> bool {
    text.lines().map(str::trim_start).any(|line| {
        if let Some(header) = line.strip_prefix('[') {
            let key: String = header
                .trim_start_matches(['[', ' ', '\t'])
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-')
                .collect();
            raw::TOP_LEVEL_KEYS.contains(&key.as_str())
        } else {
            ["extends", "catalog"].iter().any(|k| {
                line.strip_prefix(k)
                    .is_some_and(|rest| rest.trim_start().starts_with('='))
            })
        }
    })
}

/// The first top-level key of a valid TOML file that does not look like a scenario: one with no
/// scenario key but `name` and `description`, and a key that is neither a scenario key nor a
/// likely misspelling of one.
fn foreign_key(root: &Node) -> Option<Loc> {
    let crate::model::doc::Value::Table(entries) = &root.value else {
        return None;
    };
    let known = |k: &str| raw::TOP_LEVEL_KEYS.contains(&k);
    if entries
        .iter()
        .any(|e| known(&e.key) && e.key != "name" && e.key != "description")
    {
        return None;
    }
    entries
        .iter()
        .find(|e| {
            !known(&e.key) && crate::base::error::suggest(&e.key, raw::TOP_LEVEL_KEYS).is_none()
        })
        .map(|e| e.key_loc)
}

/// What a file that is not UTF-8 most likely is, and how to fix it.
fn not_text(bytes: &[u8]) -> (&'static str, &'static str) {
    let nuls = bytes.iter().take(4096).filter(|&&b| b == 0).count();
    let head = &bytes[..bytes.len().min(4096)];
    if bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF]) {
        (
            "the file is UTF-16 text, not UTF-8",
            "save it as UTF-8 (in Notepad: Save as → Encoding → UTF-8)",
        )
    } else if bytes.starts_with(&[0x1F, 0x8B]) {
        (
            "the file is gzip-compressed",
            "decompress it first: `gunzip FILE`",
        )
    } else if nuls * 4 >= head.len() && head.len() >= 4 {
        // Every other byte NUL: UTF-16 without a byte-order mark.
        let alternate = head.chunks(2).filter(|c| c.contains(&0)).count() * 2 >= head.len();
        if alternate {
            (
                "the file looks like UTF-16 text, not UTF-8",
                "save it as UTF-8 (in Notepad: Save as → Encoding → UTF-8)",
            )
        } else {
            (
                "the file is binary, not text",
                "this looks like a binary file, not a TOML scenario",
            )
        }
    } else if nuls > 0 {
        (
            "the file is binary, not text",
            "this looks like a binary file, not a TOML scenario",
        )
    } else {
        (
            "the file is not UTF-8 text",
            "scenarios are TOML text files; save the file as UTF-8 (a Latin-1 or Windows-1252 character such as é is the usual cause)",
        )
    }
}
