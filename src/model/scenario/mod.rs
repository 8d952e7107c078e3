//! Reading a scenario file: bytes → text → located TOML tree → raw types → checked [`Scenario`].
//!
//! Each stage reports its failures as located [`Problem`]s, so whatever is wrong with a file — not
//! UTF-8, not TOML, an unknown key, a rate above 1, a model no stack can find — the user sees the
//! file, line, column and key path, and a suggested fix.
//!
//! A scenario names other files (`extends`, `catalog`), and in CI the scenario may come from an
//! untrusted pull request. So a named file must be a regular file inside the scenario's own
//! folder tree or git work tree, or a folder the user allowed with `--allow-dir` ([`Reach`]);
//! and a file that does not look like a scenario (or a catalog) is reported by line and column
//! only, never quoted, so that `extends = ".env"` cannot print a secret.

pub mod layers;
pub mod options;
pub mod parse;
pub mod prices;
pub mod prompts;
pub mod raw;
pub mod validate;
pub mod validator;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::base::error::{Error, Problem, ProblemKind, ScenarioError, UsageKind};
use crate::base::source::{Loc, Sources};
use crate::model::Scenario;
use crate::model::catalog::Catalog;
use crate::model::doc::Node;
use crate::model::doc::de::Located;
use crate::model::doc::de::from_node;

pub use options::{LoadOptions, Reach};

/// A scenario that passed validation, with its warnings and the sources they point into.
#[derive(Clone, Debug)]
pub struct Loaded {
    pub scenario: Scenario,
    pub warnings: Vec<Problem>,
    pub sources: Arc<Sources>,
    /// The document the scenario was built from, after `extends` and overrides.
    pub document: Node,
    /// Every file it was read from: the scenario, the files it extends, its catalog, its prompts.
    pub inputs: Vec<InputFile>,
    /// The prompt files and folders its steps were counted from.
    pub prompts: Vec<prompts::PromptCount>,
}

/// A file a scenario was read from, and what it is to the scenario.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InputFile {
    pub path: PathBuf,
    /// "the scenario", "a file the scenario extends", "the scenario's catalog".
    pub role: String,
}

/// Read and validate the scenario at `path`.
pub fn load(path: &Path) -> Result<Loaded, Error> {
    load_with(path, &LoadOptions::default())
}

/// Read and validate the scenario at `path`, with the files it extends and `opts` applied.
pub fn load_with(path: &Path, opts: &LoadOptions) -> Result<Loaded, Error> {
    match &opts.git_rev {
        None => {
            let bytes = read_file(path)?;
            from_bytes(
                &path.display().to_string(),
                Some(path),
                bytes,
                opts,
                &layers::Files,
            )
        }
        Some(rev) => {
            let dir = match path.parent() {
                Some(d) if !d.as_os_str().is_empty() => d,
                _ => Path::new("."),
            };
            let reader = layers::GitRevision::new(rev, dir)?;
            let bytes = layers::Reader::read(&reader, path).map_err(|e| {
                Error::from(UsageKind::UnreadableAtRevision {
                    path: path.to_path_buf(),
                    rev: rev.clone(),
                    error: e.to_string(),
                })
            })?;
            let name = layers::Reader::name(&reader, path);
            from_bytes(&name, Some(path), bytes, opts, &reader)
        }
    }
}

/// The files the scenario at `path` is read from (itself, the files it extends, its catalog),
/// even when it does not validate: as far as they could be followed. For a command that edits a
/// scenario's text (`fit --update`) and must not write over any of them.
pub(crate) fn inputs_of(path: &Path, opts: &LoadOptions) -> Vec<InputFile> {
    match load_with(path, opts) {
        Ok(loaded) => loaded.inputs,
        Err(Error::Scenario(e)) => {
            layer_inputs(&e.sources, "a file the scenario extends (or its catalog)")
        }
        Err(_) => vec![InputFile {
            path: path.to_path_buf(),
            role: "the scenario".to_string(),
        }],
    }
}

/// The files of `sources`: the first is the scenario, every later one is `later`.
fn layer_inputs(sources: &Sources, later: &str) -> Vec<InputFile> {
    sources
        .files()
        .filter_map(|(_, f)| f.path.clone())
        .enumerate()
        .map(|(i, path)| InputFile {
            path,
            role: if i == 0 { "the scenario" } else { later }.to_string(),
        })
        .collect()
}

/// Validate a scenario held in memory; `name` is used in messages in place of a file name.
pub fn from_str(name: &str, text: &str) -> Result<Loaded, Error> {
    from_bytes(
        name,
        None,
        text.as_bytes().to_vec(),
        &LoadOptions::default(),
        &layers::Files,
    )
}

/// [`from_str`] with explicit options.
pub fn from_str_with(name: &str, text: &str, opts: &LoadOptions) -> Result<Loaded, Error> {
    from_bytes(name, None, text.as_bytes().to_vec(), opts, &layers::Files)
}

/// Read a scenario named on the command line, turning "is a directory" into a clear message.
pub(crate) fn read_file(path: &Path) -> Result<Vec<u8>, Error> {
    if path.is_dir() {
        return Err(UsageKind::ScenarioIsDirectory {
            path: path.to_path_buf(),
        }
        .into());
    }
    crate::base::source::read_bounded(
        path,
        crate::base::source::MAX_SCENARIO_BYTES,
        crate::base::source::Named::OnCommandLine,
    )
    .map_err(|source| Error::Read {
        path: path.to_path_buf(),
        source,
    })
}

fn from_bytes(
    name: &str,
    path: Option<&Path>,
    bytes: Vec<u8>,
    opts: &LoadOptions,
    reader: &dyn layers::Reader,
) -> Result<Loaded, Error> {
    let mut sources = Sources::new();
    let mut warnings = Vec::new();
    let reach = Reach::of(path, &opts.allow_dirs);
    let root = match layers::document(
        name,
        path,
        bytes,
        opts,
        reader,
        &reach,
        &mut sources,
        &mut warnings,
    ) {
        Ok(root) => root,
        Err(problem) => return Err(Error::scenario(Arc::new(sources), problem)),
    };
    from_document(root, sources, warnings, opts, &reach, reader)
}

/// A located tree (already layered) to a checked scenario.
fn from_document(
    mut root: Node,
    mut sources: Sources,
    mut warnings: Vec<Problem>,
    opts: &LoadOptions,
    reach: &Reach,
    reader: &dyn layers::Reader,
) -> Result<Loaded, Error> {
    let mut inputs = layer_inputs(&sources, "a file the scenario extends");
    if let Some(problem) = control_characters(&root, "") {
        return Err(Error::scenario(Arc::new(sources), problem));
    }
    // The catalog first: a prompt table's `model` may name one of its models. A `catalog` that
    // is not a string is reported when the scenario's types are read.
    let named_catalog = match root.get("catalog") {
        Some(Node {
            value: crate::model::doc::Value::String(c),
            loc,
        }) => Some(Located::new(c.clone(), *loc)),
        _ => None,
    };
    let catalog = match &named_catalog {
        None => opts.catalog.clone(),
        Some(c) => match load_catalog(c, &mut sources, reach, &mut inputs) {
            Ok(c) => Some(Arc::new(c)),
            Err(problem) => return Err(Error::scenario(Arc::new(sources), problem)),
        },
    };
    let catalog: &Catalog = catalog
        .as_deref()
        .unwrap_or_else(|| crate::model::catalog::builtin());
    let files = prompts::PromptFiles {
        sources: &sources,
        reach,
        reader,
        catalog,
    };
    let prompts = match prompts::resolve(&mut root, &files, &mut warnings) {
        Ok(p) => p,
        Err(problem) => return Err(Error::scenario(Arc::new(sources), problem)),
    };
    // Prompt files are inputs like the others: `serve` reloads when one changes.
    for p in &prompts {
        for (file, _) in &p.files {
            inputs.push(InputFile {
                path: file.clone(),
                role: format!("a prompt ({})", p.key),
            });
        }
    }
    let raw = match from_node::<raw::RawScenario>(&root) {
        Ok(raw) => raw,
        Err(e) => {
            let mut problem = e.into_problem(&root);
            if problem.kind == ProblemKind::MissingKey && problem.message == "missing key `route`" {
                problem = problem.help(route_help(&root));
            }
            return Err(Error::scenario(Arc::new(sources), problem));
        }
    };
    match validate::validate_with_catalog(&raw, catalog, opts.today) {
        Ok((scenario, mut more)) => {
            warnings.append(&mut more);
            Ok(Loaded {
                scenario,
                warnings,
                sources: Arc::new(sources),
                document: root,
                inputs,
                prompts,
            })
        }
        Err((errors, _)) => Err(Error::Scenario(ScenarioError {
            sources: Arc::new(sources),
            problems: errors,
        })),
    }
}

/// The help for a step without `route`: the routes the stacks define, so the fix is a choice.
fn route_help(root: &crate::model::doc::Node) -> String {
    let mut routes: Vec<&str> = Vec::new();
    if let Some(crate::model::doc::Value::Array(stacks)) = root.get("stack").map(|n| &n.value) {
        for s in stacks {
            if let Some(crate::model::doc::Value::Table(entries)) = s.get("route").map(|n| &n.value)
            {
                for e in entries {
                    if !routes.contains(&e.key.as_str()) {
                        routes.push(&e.key);
                    }
                }
            }
        }
    }
    match routes.as_slice() {
        [] => "add `route = \"main\"`, and a [stack.route.main] chain of models to each stack"
            .to_string(),
        [one] => format!("add `route = \"{one}\"`, the route the stacks define"),
        _ => format!(
            "add `route = \"…\"` naming one of the routes the stacks define: {}",
            routes
                .iter()
                .map(|r| format!("`{}`", crate::base::escape::visible(r)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// The first key or string value of `node` (at key path `path`) holding a character no name may
/// hold ([`crate::base::escape::forbidden_in_name`]): a control character would reach terminals, CSV
/// cells, Markdown tables and TOML comments as it is. Only the top-level `description` may break
/// lines (and hold tabs).
fn control_characters(node: &Node, path: &str) -> Option<Problem> {
    use crate::base::escape::{forbidden_in_name, visible};
    use crate::model::doc::Value;
    let found = |text: &str, allowed: &[char]| {
        text.chars()
            .find(|&c| forbidden_in_name(c) && !allowed.contains(&c))
    };
    let problem = |c: char, what: String, loc: Loc, path: &str| {
        Problem::new(
            ProblemKind::InvalidValue,
            format!(
                "{what} holds the control character U+{:04X}; names, keys and texts may not",
                c as u32
            ),
        )
        .at(loc)
        .path(path)
        .help("remove it: a control character would act on terminals and break CSV, Markdown and TOML written from the scenario")
    };
    match &node.value {
        Value::String(text) => {
            let allowed: &[char] = if path == "description" {
                &['\n', '\r', '\t']
            } else {
                &[]
            };
            found(text, allowed).map(|c| problem(c, format!("`{}`", visible(text)), node.loc, path))
        }
        Value::Array(items) => items.iter().enumerate().find_map(|(i, item)| {
            let label = item
                .get("name")
                .and_then(Node::as_str)
                .filter(|n| !n.chars().any(forbidden_in_name))
                .map_or_else(|| i.to_string(), str::to_string);
            control_characters(item, &format!("{path}[{label}]"))
        }),
        Value::Table(entries) => entries.iter().find_map(|e| {
            let here = if path.is_empty() {
                e.key.clone()
            } else {
                format!("{path}.{}", e.key)
            };
            match found(&e.key, &[]) {
                Some(c) => Some(problem(
                    c,
                    format!("the key `{}`", visible(&e.key)),
                    e.key_loc,
                    &visible(&here),
                )),
                None => control_characters(&e.value, &here),
            }
        }),
        _ => None,
    }
}

/// Read the catalog a scenario names (relative to the folder of the file that names it); its
/// mistakes are located in the catalog file, a missing file or one out of reach at the `catalog`
/// key.
fn load_catalog(
    c: &Located<String>,
    sources: &mut Sources,
    reach: &Reach,
    inputs: &mut Vec<InputFile>,
) -> Result<Catalog, Problem> {
    let rel = Path::new(&c.value);
    // Relative to the file that sets the key, which may be a base the scenario extends; a
    // `--set catalog=…` (no file) is relative to the current folder.
    let defined_in = sources.get(c.loc.file).path.clone();
    let full = match defined_in.as_deref().and_then(Path::parent) {
        Some(dir) if rel.is_relative() => dir.join(rel),
        _ => rel.to_path_buf(),
    };
    let shown = full.display().to_string();
    // Confined like the key in a file: a `--set` line may come from a script or a page as
    // easily as from a person (`--allow-dir` opens another folder).
    if let Err(real) = reach.check(&full, false) {
        return Err(reach.refusal("catalog", &shown, &full, &real).at(c.loc));
    }
    let text = crate::base::source::read_bounded_text(
        &full,
        crate::base::source::MAX_INPUT_BYTES,
        crate::base::source::Named::InFile,
    )
    .map_err(|e| {
        Problem::new(
            ProblemKind::InvalidValue,
            format!("cannot read catalog `{shown}`: {e}"),
        )
        .at(c.loc)
        .path("catalog")
        .help("the path is relative to the scenario file; write one with `aicost prices import litellm`")
    })?;
    inputs.push(InputFile {
        path: full.clone(),
        role: "the scenario's catalog".to_string(),
    });
    match Catalog::parse(&shown, &text) {
        Ok(cat) => Ok(cat),
        Err(e) => {
            let id = sources.add(shown, Some(&full), text);
            if !e.quoted {
                sources.hide(id);
            }
            let mut p = Problem::new(ProblemKind::InvalidValue, e.message).path("catalog");
            p = match e.offset {
                Some(off) => p.at(Loc::new(id, off..off + 1)),
                None => p.at(c.loc),
            };
            Err(p.help_opt(e.help))
        }
    }
}
