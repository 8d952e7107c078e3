//! Prompt sizes read from the prompts themselves: `static_prefix_tokens = { file = "…" }` is the
//! token count of that file, and `input_tokens = { folder = "…" }` an empirical distribution of
//! the counts of the folder's files, each file equally likely.
//!
//! Counting happens on the located tree, before the scenario's types are read: each such table is
//! replaced by the number (a file) or by `{ dist = "empirical", values = [counts] }` (a folder),
//! so sampling, the closed forms (an empirical distribution's exact mean and variance) and every
//! check are those of a table written by hand, and the counts are taken afresh at each load, so a
//! changed prompt changes the forecast. Text is counted with the tokenizer of the model the step
//! reaches first (the first link of its route in the first stack that has the route), or of the
//! table's `model`: see [`crate::model::tokens`]. Paths are relative to the file that sets the
//! key and confined like `extends` and `catalog` ([`Reach`]).

use std::path::{Path, PathBuf};

use super::options::Reach;
use crate::base::error::{Problem, ProblemKind};
use crate::base::source::{Loc, Sources};
use crate::model::doc::{Entry, Node, Value};
use crate::model::tokens::{Encoding, read_text};

/// The step keys that may name a prompt file or folder.
pub const PROMPT_KEYS: [&str; 2] = ["static_prefix_tokens", "input_tokens"];

/// The files a step key was counted from.
#[derive(Clone, Debug, PartialEq)]
pub struct PromptCount {
    /// `workflow[NAME].step[NAME].KEY`.
    pub key: String,
    /// Each file and its count, in name order.
    pub files: Vec<(PathBuf, u64)>,
    /// The encoding, in words (an approximation says so).
    pub encoding: String,
    pub approximate: bool,
}

/// The first model the route `route` reaches: the first link of its chain in the first stack
/// that defines it.
fn route_model<'a>(root: &'a Node, route: &str) -> Option<&'a str> {
    let Some(Value::Array(stacks)) = root.get("stack").map(|n| &n.value) else {
        return None;
    };
    stacks.iter().find_map(|s| {
        let chain = s.get("route")?.get(route)?.get("chain")?;
        match &chain.value {
            Value::Array(links) => links.first()?.get("model")?.as_str(),
            _ => None,
        }
    })
}

/// The provider a `[[model]]` table gives `model`, if any.
fn provider<'a>(root: &'a Node, model: &str) -> Option<&'a str> {
    let Some(Value::Array(models)) = root.get("model").map(|n| &n.value) else {
        return None;
    };
    models
        .iter()
        .find(|m| m.get("name").and_then(Node::as_str) == Some(model))
        .and_then(|m| m.get("provider"))
        .and_then(Node::as_str)
}

fn problem(message: String, loc: Loc, path: &str, help: &str) -> Problem {
    Problem::new(ProblemKind::InvalidValue, message)
        .at(loc)
        .path(path)
        .help(help)
}

/// Count every prompt file and folder the steps of `root` name, replacing each table by its
/// counts; approximate counts are reported in `warnings`.
pub(crate) fn resolve(
    root: &mut Node,
    sources: &Sources,
    reach: &Reach,
    warnings: &mut Vec<Problem>,
) -> Result<Vec<PromptCount>, Problem> {
    let mut found = Vec::new();
    // What to count, found on a shared borrow: (workflow index, step index, key, encoding).
    let mut todo: Vec<(usize, usize, &'static str, Encoding, String)> = Vec::new();
    if let Some(Value::Array(workflows)) = root.get("workflow").map(|n| &n.value) {
        for (wi, w) in workflows.iter().enumerate() {
            let wname = w.get("name").and_then(Node::as_str).unwrap_or("?");
            let Some(Value::Array(steps)) = w.get("step").map(|n| &n.value) else {
                continue;
            };
            for (si, s) in steps.iter().enumerate() {
                let sname = s.get("name").and_then(Node::as_str).unwrap_or("?");
                for key in PROMPT_KEYS {
                    let Some(t) = s.get(key) else { continue };
                    if t.get("file").is_none() && t.get("folder").is_none() {
                        continue;
                    }
                    let model = t.get("model").and_then(Node::as_str).or_else(|| {
                        s.get("route")
                            .and_then(Node::as_str)
                            .and_then(|r| route_model(root, r))
                    });
                    let encoding = match model {
                        Some(m) => Encoding::of(m, provider(root, m)),
                        None => crate::model::tokens::OTHER,
                    };
                    let path = format!("workflow[{wname}].step[{sname}].{key}");
                    todo.push((wi, si, key, encoding, path));
                }
            }
        }
    }
    for (wi, si, key, encoding, path) in todo {
        let node = step_key_mut(root, wi, si, key).expect("found above");
        let (values, files) = count_table(node, &encoding, &path, sources, reach)?;
        let loc = node.loc;
        let at = |value: Value| Node { value, loc };
        node.value = match values {
            Counted::One(n) => Value::Integer(n as i64),
            Counted::Many(ns) => Value::Table(vec![
                Entry {
                    key: "dist".to_string(),
                    key_loc: loc,
                    value: at(Value::String("empirical".to_string())),
                },
                Entry {
                    key: "values".to_string(),
                    key_loc: loc,
                    value: at(Value::Array(
                        ns.iter().map(|n| at(Value::Integer(*n as i64))).collect(),
                    )),
                },
            ]),
        };
        if encoding.approximate() {
            let counts: u64 = files.iter().map(|(_, n)| n).sum();
            warnings.push(
                Problem::new(
                    ProblemKind::Warning,
                    format!(
                        "{counts} tokens counted from {} file{} with an approximation: {}",
                        files.len(),
                        if files.len() == 1 { "" } else { "s" },
                        encoding.describe()
                    ),
                )
                .at(loc)
                .path(&path)
                .help("this provider does not publish its tokenizer; compare with the token counts its API reports, or give `model` to count with another model's tokenizer"),
            );
        }
        found.push(PromptCount {
            key: path,
            files,
            encoding: encoding.describe(),
            approximate: encoding.approximate(),
        });
    }
    Ok(found)
}

fn step_key_mut<'a>(root: &'a mut Node, wi: usize, si: usize, key: &str) -> Option<&'a mut Node> {
    let entry_mut = |n: &'a mut Node, k: &str| -> Option<&'a mut Node> {
        match &mut n.value {
            Value::Table(entries) => entries
                .iter_mut()
                .find(|e| e.key == k)
                .map(|e| &mut e.value),
            _ => None,
        }
    };
    let index_mut = |n: &'a mut Node, i: usize| -> Option<&'a mut Node> {
        match &mut n.value {
            Value::Array(items) => items.get_mut(i),
            _ => None,
        }
    };
    let w = index_mut(entry_mut(root, "workflow")?, wi)?;
    let s = index_mut(entry_mut(w, "step")?, si)?;
    entry_mut(s, key)
}

enum Counted {
    One(u64),
    Many(Vec<u64>),
}

/// The counts of a `{ file }` or `{ folder }` table.
fn count_table(
    t: &Node,
    encoding: &Encoding,
    path: &str,
    sources: &Sources,
    reach: &Reach,
) -> Result<(Counted, Vec<(PathBuf, u64)>), Problem> {
    if let Value::Table(entries) = &t.value
        && let Some(e) = entries
            .iter()
            .find(|e| !["file", "folder", "model"].contains(&e.key.as_str()))
    {
        return Err(problem(
            format!("`{}` cannot go with `file` or `folder`", e.key),
            e.key_loc,
            path,
            "a prompt table takes `file` (one prompt) or `folder` (example inputs), and `model` to count with another model's tokenizer",
        ));
    }
    if let Some(m) = t.get("model")
        && m.as_str().is_none()
    {
        return Err(problem(
            "`model` must be a model name (a string)".to_string(),
            m.loc,
            path,
            "for example model = \"gpt-4o\"",
        ));
    }
    let (key, node) = match (t.get("file"), t.get("folder")) {
        (Some(_), Some(f)) => {
            return Err(problem(
                "`file` and `folder` cannot be given together".to_string(),
                f.loc,
                path,
                "keep `file` for one prompt, or `folder` for a set of example inputs",
            ));
        }
        (Some(f), None) => ("file", f),
        (None, Some(f)) => ("folder", f),
        (None, None) => unreachable!("checked by the caller"),
    };
    let Some(rel) = node.as_str() else {
        return Err(problem(
            format!("`{key}` must be a path (a string)"),
            node.loc,
            path,
            "a path relative to the scenario file, e.g. \"prompts/system.md\"",
        ));
    };
    let defined_in = sources.get(node.loc.file).path.clone();
    let full = match defined_in.as_deref().and_then(Path::parent) {
        Some(dir) if Path::new(rel).is_relative() => dir.join(rel),
        _ => PathBuf::from(rel),
    };
    let shown = full.display().to_string();
    if defined_in.is_some()
        && let Err(real) = reach.check(&full, false)
    {
        return Err(reach
            .refusal(key, &shown, &full, &real)
            .at(node.loc)
            .path(path));
    }
    let read =
        |file: &Path| -> Result<u64, Problem> {
            read_text(file).map(|text| encoding.count(&text)).map_err(|why| {
            problem(
                format!(
                    "cannot count the tokens of `{}`: {why}",
                    crate::base::escape::visible(&file.display().to_string())
                ),
                node.loc,
                path,
                "the path is relative to the scenario file and must name a text file (UTF-8)",
            )
        })
        };
    if key == "file" {
        let n = read(&full)?;
        return Ok((Counted::One(n), vec![(full, n)]));
    }
    let listing = std::fs::read_dir(&full).map_err(|e| {
        problem(
            format!(
                "cannot read the folder `{}`: {e}",
                crate::base::escape::visible(&shown)
            ),
            node.loc,
            path,
            "the path is relative to the scenario file and must name a folder of example inputs",
        )
    })?;
    let mut files: Vec<PathBuf> = listing
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| {
            p.is_file()
                && !p
                    .file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.starts_with('.'))
        })
        .collect();
    files.sort();
    if files.is_empty() {
        return Err(problem(
            format!(
                "the folder `{}` holds no files",
                crate::base::escape::visible(&shown)
            ),
            node.loc,
            path,
            "put one example input per file in it (files whose name starts with `.` are skipped)",
        ));
    }
    let mut counted = Vec::with_capacity(files.len());
    for f in files {
        if defined_in.is_some()
            && let Err(real) = reach.check(&f, false)
        {
            let shown = f.display().to_string();
            return Err(reach
                .refusal(key, &shown, &f, &real)
                .at(node.loc)
                .path(path));
        }
        let n = read(&f)?;
        counted.push((f, n));
    }
    Ok((
        Counted::Many(counted.iter().map(|(_, n)| *n).collect()),
        counted,
    ))
}
