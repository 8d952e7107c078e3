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
pub mod prices;
pub mod raw;
pub mod validate;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::calendar::{self, Date};
use crate::catalog::Catalog;
use crate::doc::Node;
use crate::doc::de::Located;
use crate::doc::de::from_node;
use crate::error::{Error, Problem, ProblemKind, ScenarioError};
use crate::model::Scenario;
use crate::source::{Loc, Sources};

/// A scenario that passed validation, with its warnings and the sources they point into.
#[derive(Clone, Debug)]
pub struct Loaded {
    pub scenario: Scenario,
    pub warnings: Vec<Problem>,
    pub sources: Arc<Sources>,
    /// The document the scenario was built from, after `extends` and overrides.
    pub document: Node,
    /// Every file it was read from: the scenario, the files it extends, its catalog.
    pub inputs: Vec<InputFile>,
}

/// A file a scenario was read from, and what it is to the scenario.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InputFile {
    pub path: PathBuf,
    /// "the scenario", "a file the scenario extends", "the scenario's catalog".
    pub role: String,
}

/// What loading depends on besides the file: overrides, the git revision to read, the price
/// catalog models fall back on, and today's date (for the stale-price warning).
#[derive(Clone, Debug)]
pub struct LoadOptions {
    /// `--set PATH=VALUE` overrides, applied in order after `extends`.
    pub overrides: Vec<String>,
    /// Read the file (and the files it extends) as committed at this git revision.
    pub git_rev: Option<String>,
    /// Used when the scenario names no `catalog`; `None` = the built-in catalog.
    pub catalog: Option<Arc<Catalog>>,
    pub today: Date,
    /// Folders beyond the scenario's own tree that `extends` and `catalog` may name
    /// (`--allow-dir`).
    pub allow_dirs: Vec<PathBuf>,
}

impl Default for LoadOptions {
    /// No overrides, the working tree, the built-in catalog and [`calendar::today`].
    fn default() -> Self {
        LoadOptions {
            overrides: Vec::new(),
            git_rev: None,
            catalog: None,
            today: calendar::today(),
            allow_dirs: Vec::new(),
        }
    }
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
            let reader = layers::GitRevision::new(rev, dir).map_err(Error::Usage)?;
            let bytes = layers::Reader::read(&reader, path).map_err(|e| {
                Error::Usage(format!(
                    "cannot read `{}` at git revision `{rev}`: {e}",
                    path.display()
                ))
            })?;
            let name = layers::Reader::name(&reader, path);
            from_bytes(&name, Some(path), bytes, opts, &reader)
        }
    }
}

/// The files the scenario at `path` is read from (itself, the files it extends, its catalog),
/// even when it does not validate: as far as they could be followed. For a command that edits a
/// scenario's text (`fit --update`) and must not write over any of them.
pub fn inputs_of(path: &Path, opts: &LoadOptions) -> Vec<InputFile> {
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
pub fn read_file(path: &Path) -> Result<Vec<u8>, Error> {
    if path.is_dir() {
        return Err(Error::Usage(format!(
            "`{}` is a directory, not a scenario file\n  = help: pass a .toml file, e.g. `{}`",
            path.display(),
            path.join("scenario.toml").display()
        )));
    }
    crate::source::read_bounded(
        path,
        crate::source::MAX_SCENARIO_BYTES,
        crate::source::Named::OnCommandLine,
    )
    .map_err(|source| Error::Read {
        path: path.to_path_buf(),
        source,
    })
}

/// The folders the files a scenario names may lie in: the scenario's git work tree (the nearest
/// folder above it holding `.git`), else the scenario's own folder and everything below it, and
/// the folders the user allowed. Paths are compared after following every symbolic link.
#[derive(Clone, Debug)]
pub struct Reach {
    /// The scenario's own tree.
    pub root: PathBuf,
    pub allowed: Vec<PathBuf>,
}

impl Reach {
    /// The reach of the scenario at `path` (`None`: a text in memory, whose folder is the current
    /// one).
    pub fn of(path: Option<&Path>, allowed: &[PathBuf]) -> Reach {
        let dir = match path.and_then(Path::parent) {
            Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let dir = real_or_lexical(&dir);
        let root = dir
            .ancestors()
            .find(|a| std::fs::symlink_metadata(a.join(".git")).is_ok())
            .map_or_else(|| dir.clone(), Path::to_path_buf);
        Reach {
            root,
            allowed: allowed.iter().map(|d| real_or_lexical(d)).collect(),
        }
    }

    /// `Err` with the real path when `path` leads outside the reach. `lexical` compares the path
    /// as written (files read from a git revision, not from disk); otherwise every link is
    /// followed, and a path that does not exist passes (reading it reports that).
    pub fn check(&self, path: &Path, lexical: bool) -> Result<(), PathBuf> {
        let real = if lexical {
            layers::normalize(&std::path::absolute(path).unwrap_or_else(|_| path.into()))
        } else {
            match path.canonicalize() {
                Ok(real) => real,
                Err(_) => return Ok(()),
            }
        };
        if std::iter::once(&self.root)
            .chain(&self.allowed)
            .any(|r| real.starts_with(r))
        {
            Ok(())
        } else {
            Err(real)
        }
    }

    /// The refusal of `path` (written `shown` in the file, under `key`), which leads to `real`.
    /// The real path is named only when a symbolic link inside the reach led out of it.
    pub fn refusal(&self, key: &str, shown: &str, path: &Path, real: &Path) -> Problem {
        let through_link = self.check(path, true).is_ok();
        let (to, outside) = if through_link {
            (
                format!(" (through a symbolic link, to `{}`)", real.display()),
                real.to_path_buf(),
            )
        } else {
            let lexical = real_or_lexical_text(path);
            (String::new(), lexical)
        };
        Problem::new(
            ProblemKind::InvalidValue,
            format!("`{key}` names `{shown}`, which leads outside the folders this scenario may read{to}"),
        )
        .path(key)
        .help(self.help(&outside))
    }

    /// The help for a path outside the reach.
    pub fn help(&self, real: &Path) -> String {
        let dir = real.parent().unwrap_or(real);
        format!(
            "a scenario reads files only inside its own folder tree or git work tree (`{}`){}; to read this one, pass `--allow-dir {}`",
            crate::escape::visible(&relative_to_cwd(&self.root).display().to_string()),
            if self.allowed.is_empty() {
                String::new()
            } else {
                " and the folders given with --allow-dir".to_string()
            },
            crate::escape::visible(&dir.display().to_string())
        )
    }
}

/// `p` (absolute) as seen from the current folder when it holds it or is above it: `../..`,
/// `sub/dir`; else `p` itself.
fn relative_to_cwd(p: &Path) -> PathBuf {
    let Ok(cwd) = std::env::current_dir().and_then(|d| d.canonicalize()) else {
        return p.to_path_buf();
    };
    if let Ok(below) = p.strip_prefix(&cwd) {
        return if below.as_os_str().is_empty() {
            PathBuf::from(".")
        } else {
            below.to_path_buf()
        };
    }
    match cwd.strip_prefix(p) {
        Ok(above) => above.components().map(|_| "..").collect(),
        Err(_) => p.to_path_buf(),
    }
}

/// `p` made absolute by its text alone (`..` resolved, links not followed).
fn real_or_lexical_text(p: &Path) -> PathBuf {
    layers::normalize(&std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf()))
}

/// `p` with every link followed, or made absolute by its text when it does not exist.
fn real_or_lexical(p: &Path) -> PathBuf {
    p.canonicalize().unwrap_or_else(|_| {
        layers::normalize(&std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf()))
    })
}

const BOM: &[u8] = b"\xEF\xBB\xBF";

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
    from_document(root, sources, warnings, opts, &reach)
}

/// Bytes of one file to a located tree: UTF-8, BOM, emptiness and TOML syntax checked.
pub fn parse_text(
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
    if matches!(&root.value, crate::doc::Value::Table(entries) if entries.is_empty()) {
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

/// The help for a file that is not quoted because it does not look like a scenario.
const NOT_SHOWN: &str = "a scenario has tables such as [[segment]], [[workflow]], [[model]] and [[stack]] (see `aicost init`): check that this is the file you meant";

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
    let crate::doc::Value::Table(entries) = &root.value else {
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
        .find(|e| !known(&e.key) && crate::error::suggest(&e.key, raw::TOP_LEVEL_KEYS).is_none())
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

/// A located tree (already layered) to a checked scenario.
fn from_document(
    root: Node,
    mut sources: Sources,
    mut warnings: Vec<Problem>,
    opts: &LoadOptions,
    reach: &Reach,
) -> Result<Loaded, Error> {
    let mut inputs = layer_inputs(&sources, "a file the scenario extends");
    if let Some(problem) = control_characters(&root, "") {
        return Err(Error::scenario(Arc::new(sources), problem));
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
    let catalog = match &raw.catalog {
        None => opts.catalog.clone(),
        Some(c) => match load_catalog(c, &mut sources, reach, &mut inputs) {
            Ok(c) => Some(Arc::new(c)),
            Err(problem) => return Err(Error::scenario(Arc::new(sources), problem)),
        },
    };
    let catalog: &Catalog = catalog
        .as_deref()
        .unwrap_or_else(|| crate::catalog::builtin());
    match validate::validate_with_catalog(&raw, catalog, opts.today) {
        Ok((scenario, mut more)) => {
            warnings.append(&mut more);
            Ok(Loaded {
                scenario,
                warnings,
                sources: Arc::new(sources),
                document: root,
                inputs,
            })
        }
        Err((errors, _)) => Err(Error::Scenario(ScenarioError {
            sources: Arc::new(sources),
            problems: errors,
        })),
    }
}

/// The help for a step without `route`: the routes the stacks define, so the fix is a choice.
fn route_help(root: &crate::doc::Node) -> String {
    let mut routes: Vec<&str> = Vec::new();
    if let Some(crate::doc::Value::Array(stacks)) = root.get("stack").map(|n| &n.value) {
        for s in stacks {
            if let Some(crate::doc::Value::Table(entries)) = s.get("route").map(|n| &n.value) {
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
                .map(|r| format!("`{}`", crate::escape::visible(r)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// The first key or string value of `node` (at key path `path`) holding a character no name may
/// hold ([`crate::escape::forbidden_in_name`]): a control character would reach terminals, CSV
/// cells, Markdown tables and TOML comments as it is. Only the top-level `description` may break
/// lines (and hold tabs).
fn control_characters(node: &Node, path: &str) -> Option<Problem> {
    use crate::doc::Value;
    use crate::escape::{forbidden_in_name, visible};
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
    // A path from the command line is the user's own choice; one written in a file is not.
    if defined_in.is_some()
        && let Err(real) = reach.check(&full, false)
    {
        return Err(reach.refusal("catalog", &shown, &full, &real).at(c.loc));
    }
    let text = crate::source::read_bounded_text(
        &full,
        crate::source::MAX_INPUT_BYTES,
        crate::source::Named::InFile,
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
