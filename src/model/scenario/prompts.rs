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
//! table's `model`: see [`crate::model::tokens`]. Every stack is priced with that one count, so
//! the prompt is also counted with the tokenizer of every other model its route reaches, and a
//! warning says when they disagree by more than [`TOKENIZER_SPREAD`].
//!
//! Paths are relative to the file that sets the key (a `--set` override: the scenario's folder)
//! and confined like `extends` and `catalog` ([`Reach`]). Files are read through the scenario's
//! [`Reader`], so a scenario read at a git revision (`aicost diff --base-ref`) counts its prompts
//! as committed at that revision.

use std::path::{Path, PathBuf};

use super::layers::Reader;
use super::options::Reach;
use crate::base::error::{Problem, ProblemKind};
use crate::base::source::{Loc, Sources};
use crate::model::catalog::Catalog;
use crate::model::doc::{Entry, Node, Value};
use crate::model::tokens::{Encoding, MAX_PROMPT_BYTES, MAX_PROMPT_FOLDER_BYTES, text_of};

/// Largest relative difference between the counts of one prompt by the tokenizers of the models
/// that its route reaches before validation warns that the stacks are priced with a biased count.
pub const TOKENIZER_SPREAD: f64 = 0.01;

/// What prompt paths are read through and checked against.
pub(crate) struct PromptFiles<'a> {
    pub sources: &'a Sources,
    pub reach: &'a Reach,
    pub reader: &'a dyn Reader,
    /// The catalog a table's `model` may name (besides the scenario's own models and OpenAI's).
    pub catalog: &'a Catalog,
}

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

/// The models the route `route` reaches, in order: every link of its chain in each stack that
/// defines it, the first stack first; each model once.
fn route_models<'a>(root: &'a Node, route: &str) -> Vec<&'a str> {
    let mut models: Vec<&str> = Vec::new();
    let Some(Value::Array(stacks)) = root.get("stack").map(|n| &n.value) else {
        return models;
    };
    for s in stacks {
        let chain = s
            .get("route")
            .and_then(|r| r.get(route))
            .and_then(|r| r.get("chain"));
        if let Some(Value::Array(links)) = chain.map(|c| &c.value) {
            for m in links.iter().filter_map(|l| l.get("model")?.as_str()) {
                if !models.contains(&m) {
                    models.push(m);
                }
            }
        }
    }
    models
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

/// The names of the scenario's `[[model]]` tables.
fn model_names(root: &Node) -> Vec<&str> {
    match root.get("model").map(|n| &n.value) {
        Some(Value::Array(models)) => models
            .iter()
            .filter_map(|m| m.get("name").and_then(Node::as_str))
            .collect(),
        _ => Vec::new(),
    }
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

/// One prompt table to count.
struct Todo {
    workflow: usize,
    step: usize,
    key: &'static str,
    /// The model whose tokenizer gives the count, and its encoding.
    model: Option<String>,
    encoding: Encoding,
    /// The other models the step's route reaches, with their encodings.
    others: Vec<(String, Encoding)>,
    path: String,
}

/// Count every prompt file and folder the steps of `root` name, replacing each table by its
/// counts; approximate counts, and counts that the tokenizers of the models reaching a prompt
/// disagree on, are reported in `warnings`.
pub(crate) fn resolve(
    root: &mut Node,
    files: &PromptFiles<'_>,
    warnings: &mut Vec<Problem>,
) -> Result<Vec<PromptCount>, Problem> {
    let mut found = Vec::new();
    let todo = collect(root, files.catalog)?;
    for t in todo {
        let node = step_key_mut(root, t.workflow, t.step, t.key).expect("found above");
        let (texts, is_file) = read_table(node, &t.path, files)?;
        let counts: Vec<u64> = texts
            .iter()
            .map(|(_, text)| t.encoding.count(text))
            .collect();
        let loc = node.loc;
        let at = |value: Value| Node { value, loc };
        node.value = if is_file {
            Value::Integer(counts[0] as i64)
        } else {
            Value::Table(vec![
                Entry {
                    key: "dist".to_string(),
                    key_loc: loc,
                    value: at(Value::String("empirical".to_string())),
                },
                Entry {
                    key: "values".to_string(),
                    key_loc: loc,
                    value: at(Value::Array(
                        counts
                            .iter()
                            .map(|n| at(Value::Integer(*n as i64)))
                            .collect(),
                    )),
                },
            ])
        };
        let total: u64 = counts.iter().sum();
        let n_files = texts.len();
        let what = if is_file {
            "the prompt counts".to_string()
        } else {
            format!(
                "the {} files count",
                crate::base::format::count(n_files as f64)
            )
        };
        if t.encoding.approximate() {
            warnings.push(
                Problem::new(
                    ProblemKind::Warning,
                    format!(
                        "{} tokens counted from {} file{} with an approximation: {}",
                        crate::base::format::count(total as f64),
                        crate::base::format::count(n_files as f64),
                        if n_files == 1 { "" } else { "s" },
                        ratio_text(&t.encoding)
                    ),
                )
                .at(loc)
                .path(&t.path)
                .help("this provider does not publish its tokenizer; compare with the token counts its API reports, or give `model` to count with another model's tokenizer"),
            );
        }
        if let Some(w) = spread_warning(&t, &texts, total, &what) {
            warnings.push(w.at(loc).path(&t.path));
        }
        found.push(PromptCount {
            key: t.path,
            files: texts
                .into_iter()
                .zip(counts)
                .map(|((f, _), n)| (f, n))
                .collect(),
            encoding: t.encoding.describe(),
            approximate: t.encoding.approximate(),
        });
    }
    Ok(found)
}

/// An encoding's description without its leading "approximation: ".
fn ratio_text(e: &Encoding) -> String {
    let d = e.describe();
    d.strip_prefix("approximation: ").unwrap_or(&d).to_string()
}

/// A count with the tokenizer of `model`, in words: `55 tokens with `gpt-4o`'s tokenizer (o200k_base)`,
/// `≈77 with `claude-sonnet-4-5`'s (3.5 characters per token)`.
fn count_with(n: u64, unit: &str, model: &str, e: &Encoding, whose: &str) -> String {
    let (approx, how) = match e {
        Encoding::Bpe(_) => ("", e.describe()),
        Encoding::Ratio {
            chars_per_token, ..
        } => ("≈", format!("{chars_per_token} characters per token")),
    };
    format!(
        "{approx}{}{unit} with `{}`'s{whose} ({how})",
        crate::base::format::count(n as f64),
        crate::base::escape::visible(model)
    )
}

/// The warning that the models the step's route reaches count its prompt differently, by more
/// than [`TOKENIZER_SPREAD`]: every stack is priced with the first count. Compared on the total
/// over the files (for a folder, the mean).
fn spread_warning(
    t: &Todo,
    texts: &[(PathBuf, String)],
    total: u64,
    what: &str,
) -> Option<Problem> {
    let mut seen: Vec<Encoding> = vec![t.encoding];
    let mut worst: Option<(&str, Encoding, u64, f64)> = None;
    for (m, e) in &t.others {
        if seen.contains(e) {
            continue;
        }
        seen.push(*e);
        let theirs: u64 = texts.iter().map(|(_, text)| e.count(text)).sum();
        let spread = (theirs as f64 - total as f64).abs() / (total.max(1) as f64);
        if spread > TOKENIZER_SPREAD && worst.is_none_or(|w| spread > w.3) {
            worst = Some((m, *e, theirs, spread));
        }
    }
    let (m, e, theirs, _) = worst?;
    let first = t.model.as_deref().unwrap_or("an unknown model");
    Some(
        Problem::new(
            ProblemKind::Warning,
            format!(
                "{what} {} but {}, a model this step's route also reaches: every stack is priced with the first count",
                count_with(total, " tokens", first, &t.encoding, " tokenizer"),
                count_with(theirs, "", m, &e, ""),
            ),
        )
        .help("a prompt is counted once, with the tokenizer of the model the step reaches first (or of `model` in its table); to compare providers on their own counts, give each its own scenario with `model` set to one of its models"),
    )
}

/// The prompt tables of `root`'s steps, with the models whose tokenizers count them; a table's
/// `model` that no catalog or scenario knows is an error.
fn collect(root: &Node, catalog: &Catalog) -> Result<Vec<Todo>, Problem> {
    let mut todo = Vec::new();
    let Some(Value::Array(workflows)) = root.get("workflow").map(|n| &n.value) else {
        return Ok(todo);
    };
    let known = model_names(root);
    let encoding_of = |m: &str| Encoding::of(m, provider(root, m));
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
                let path = format!("workflow[{wname}].step[{sname}].{key}");
                let route = s.get("route").and_then(Node::as_str);
                let chosen = t.get("model").and_then(Node::as_str);
                if let (Some(m), Some(node)) = (chosen, t.get("model")) {
                    check_model(m, &known, catalog, node.loc, &path)?;
                }
                let model = chosen.or_else(|| route.and_then(|r| route_model(root, r)));
                let encoding = model.map_or(crate::model::tokens::OTHER, encoding_of);
                let others = route
                    .map(|r| route_models(root, r))
                    .unwrap_or_default()
                    .into_iter()
                    .filter(|m| Some(*m) != model)
                    .map(|m| (m.to_string(), encoding_of(m)))
                    .collect();
                todo.push(Todo {
                    workflow: wi,
                    step: si,
                    key,
                    model: model.map(str::to_string),
                    encoding,
                    others,
                    path,
                });
            }
        }
    }
    Ok(todo)
}

/// A table's `model` must be a model the scenario defines, one of the catalog's, or an OpenAI
/// model whose encoding is public: a misspelled name would count with a 4-characters rule.
fn check_model(
    m: &str,
    known: &[&str],
    catalog: &Catalog,
    loc: Loc,
    path: &str,
) -> Result<(), Problem> {
    let bare = m.rsplit('/').next().unwrap_or(m);
    if known.contains(&m)
        || catalog.lookup(m).is_some()
        || tiktoken_rs::tokenizer::get_tokenizer(bare).is_some()
    {
        return Ok(());
    }
    let close = crate::base::error::suggest(m, known.iter().copied())
        .map(str::to_string)
        .or_else(|| catalog.suggest(m));
    let help = match close {
        Some(c) => format!(
            "did you mean `{}`? `model` names the model whose tokenizer counts the prompt; `aicost prices list` shows the catalog's",
            crate::base::escape::visible(&c)
        ),
        None => "`model` names the model whose tokenizer counts the prompt: a model of this scenario, of the price catalog (`aicost prices list`), or an OpenAI model".to_string(),
    };
    Err(Problem::new(
        ProblemKind::UnknownReference,
        format!(
            "`model` names `{}`, which is neither a model of this scenario, nor in the price catalog, nor an OpenAI model",
            crate::base::escape::visible(m)
        ),
    )
    .at(loc)
    .path(path)
    .help(help))
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

/// The texts of a `{ file }` or `{ folder }` table (each file and its text, in name order), and
/// whether it named a file.
fn read_table(
    t: &Node,
    path: &str,
    files: &PromptFiles<'_>,
) -> Result<(Vec<(PathBuf, String)>, bool), Problem> {
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
    // Relative to the file that sets the key; a `--set` override (no file of its own) is
    // relative to the scenario's folder. A scenario held in memory has neither: its paths are
    // relative to the current folder, as it has no folder to confine them to.
    let defined_in = files.sources.get(node.loc.file).path.clone();
    let from_set = defined_in.is_none();
    let base = defined_in.or_else(|| {
        files
            .sources
            .files()
            .next()
            .and_then(|(_, f)| f.path.clone())
    });
    let dir = base
        .as_deref()
        .and_then(Path::parent)
        .filter(|d| !d.as_os_str().is_empty());
    let full = match dir {
        Some(dir) if Path::new(rel).is_relative() => dir.join(rel),
        _ => PathBuf::from(rel),
    };
    let relative_help = match (from_set, dir) {
        (true, Some(d)) => format!(
            "a path given with --set is relative to the scenario's folder (`{}`)",
            crate::base::escape::visible(&d.display().to_string())
        ),
        (true, None) => "a path given with --set is relative to the scenario's folder".to_string(),
        (false, Some(d)) => format!(
            "the path is relative to the file that sets it (its folder is `{}`)",
            crate::base::escape::visible(&d.display().to_string())
        ),
        (false, None) => "the path is relative to the file that sets it".to_string(),
    };
    let confined = base.is_some();
    let reader = files.reader;
    let check = |p: &Path| -> Result<(), Problem> {
        if confined && let Err(real) = files.reach.check(p, reader.lexical()) {
            return Err(files
                .reach
                .refusal(key, &reader.name(p), p, &real)
                .at(node.loc)
                .path(path));
        }
        Ok(())
    };
    check(&full)?;
    let read = |file: &Path| -> Result<String, Problem> {
        reader
            .read_prompt(file, MAX_PROMPT_BYTES)
            .and_then(text_of)
            .map_err(|why| {
                problem(
                    format!(
                        "cannot count the tokens of `{}`: {why}",
                        crate::base::escape::visible(&reader.name(file))
                    ),
                    node.loc,
                    path,
                    &format!("{relative_help}, and must name a text file (UTF-8)"),
                )
            })
    };
    if key == "file" {
        let text = read(&full)?;
        return Ok((vec![(full, text)], true));
    }
    let shown = crate::base::escape::visible(&reader.name(&full)).to_string();
    let listing = reader.list_folder(&full).map_err(|e| {
        problem(
            format!("cannot read the folder `{shown}`: {e}"),
            node.loc,
            path,
            &format!("{relative_help}, and must name a folder of example inputs"),
        )
    })?;
    if listing.is_empty() {
        return Err(problem(
            format!("the folder `{shown}` holds no files"),
            node.loc,
            path,
            "put one example input per file in it (files whose name starts with `.` are skipped)",
        ));
    }
    let bytes: u64 = listing.iter().map(|(_, n)| n).sum();
    if bytes > MAX_PROMPT_FOLDER_BYTES {
        return Err(problem(
            format!(
                "the {} files of the folder `{shown}` hold {} bytes, more than the {} MiB a prompt folder may hold in all",
                crate::base::format::count(listing.len() as f64),
                crate::base::format::count(bytes as f64),
                MAX_PROMPT_FOLDER_BYTES >> 20
            ),
            node.loc,
            path,
            "keep a sample of the example inputs in the folder: a few hundred files give the mean and spread of their sizes",
        ));
    }
    let mut texts = Vec::with_capacity(listing.len());
    for (f, _) in listing {
        check(&f)?;
        let text = read(&f)?;
        texts.push((f, text));
    }
    Ok((texts, false))
}
