//! Reading a scenario file: bytes → text → located TOML tree → raw types → checked [`Scenario`].
//!
//! Each stage reports its failures as located [`Problem`]s, so whatever is wrong with a file — not
//! UTF-8, not TOML, an unknown key, a rate above 1, a model no stack can find — the user sees the
//! file, line, column and key path, and a suggested fix.

pub mod layers;
pub mod prices;
pub mod raw;
pub mod validate;

use std::path::Path;
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
}

impl Default for LoadOptions {
    /// No overrides, the working tree, the built-in catalog and [`calendar::today`].
    fn default() -> Self {
        LoadOptions {
            overrides: Vec::new(),
            git_rev: None,
            catalog: None,
            today: calendar::today(),
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
            let reader = layers::GitRevision { rev: rev.clone() };
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

/// Read a file, turning "is a directory" into a clear message.
pub fn read_file(path: &Path) -> Result<Vec<u8>, Error> {
    if path.is_dir() {
        return Err(Error::Usage(format!(
            "`{}` is a directory, not a scenario file\n  = help: pass a .toml file, e.g. `{}`",
            path.display(),
            path.join("scenario.toml").display()
        )));
    }
    crate::source::read_bounded(path, crate::source::MAX_SCENARIO_BYTES).map_err(|source| {
        Error::Read {
            path: path.to_path_buf(),
            source,
        }
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
    let root = match layers::document(name, path, bytes, opts, reader, &mut sources, &mut warnings)
    {
        Ok(root) => root,
        Err(problem) => return Err(Error::scenario(Arc::new(sources), problem)),
    };
    from_document(root, sources, warnings, opts)
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
            if head.starts_with('{')
                || head.starts_with("[{")
                || head.starts_with("[\n") && head.contains('{')
            {
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
    Ok(root)
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
) -> Result<Loaded, Error> {
    let raw = match from_node::<raw::RawScenario>(&root) {
        Ok(raw) => raw,
        Err(e) => {
            let problem = e.into_problem(&root);
            return Err(Error::scenario(Arc::new(sources), problem));
        }
    };
    let catalog = match &raw.catalog {
        None => opts.catalog.clone(),
        Some(c) => match load_catalog(c, &mut sources) {
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
            })
        }
        Err((errors, _)) => Err(Error::Scenario(ScenarioError {
            sources: Arc::new(sources),
            problems: errors,
        })),
    }
}

/// Read the catalog a scenario names (relative to the folder of the file that names it); its mistakes are
/// located in the catalog file, a missing file at the `catalog` key.
fn load_catalog(c: &Located<String>, sources: &mut Sources) -> Result<Catalog, Problem> {
    let rel = Path::new(&c.value);
    // Relative to the file that sets the key, which may be a base the scenario extends.
    let defined_in = sources.get(c.loc.file).path.clone();
    let full = match defined_in.as_deref().and_then(Path::parent) {
        Some(dir) if rel.is_relative() => dir.join(rel),
        _ => rel.to_path_buf(),
    };
    let text = crate::source::read_bounded_text(&full, crate::source::MAX_INPUT_BYTES).map_err(|e| {
        Problem::new(
            ProblemKind::InvalidValue,
            format!("cannot read catalog `{}`: {e}", full.display()),
        )
        .at(c.loc)
        .path("catalog")
        .help("the path is relative to the scenario file; write one with `aicost prices import litellm`")
    })?;
    let shown = full.display().to_string();
    match Catalog::parse(&shown, &text) {
        Ok(cat) => Ok(cat),
        Err(e) => {
            let id = sources.add(shown, Some(&full), text);
            let mut p = Problem::new(ProblemKind::InvalidValue, e.message).path("catalog");
            p = match e.offset {
                Some(off) => p.at(Loc::new(id, off..off + 1)),
                None => p.at(c.loc),
            };
            Err(p.help_opt(e.help))
        }
    }
}
