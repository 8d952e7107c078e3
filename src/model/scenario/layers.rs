//! One scenario from several texts: the file, the files it `extends`, and `--set` overrides.
//!
//! `extends = "base.toml"` at the top of a scenario inherits every key of the base and overrides
//! some (see [`crate::model::doc::merge`] for the rules). Paths are relative to the file that names them.
//! Every text is a source of its own, so an error inside an inherited file points into that file,
//! and an error in an override points into the `--set` argument. Files are read through a
//! [`Reader`], so the same layering works on a git revision (`aicost diff --base-ref main`).
//!
//! A base must be a regular file within the scenario's [`Reach`], so that `extends` can neither
//! wait forever on a pipe nor read a file outside the project. The revision of `--base-ref` is
//! resolved to a commit by `git rev-parse --verify` first, and only that commit's hash reaches
//! `git cat-file`, so a revision can never be read as an option of git.

use std::io;
use std::path::{Path, PathBuf};
use std::process::Command;

use super::options::{LoadOptions, Reach, normalize};
use super::parse::parse_text;
use crate::base::error::{Error, Problem, ProblemKind, UsageKind};
use crate::base::source::Sources;
use crate::model::doc::{Node, Value, merge, set};

/// The deepest chain of `extends` followed; deeper is almost surely a generated mistake.
const MAX_DEPTH: usize = 32;

/// Where scenario files come from.
pub trait Reader {
    fn read(&self, path: &Path) -> io::Result<Vec<u8>>;
    /// The name shown in messages.
    fn name(&self, path: &Path) -> String;
    /// An identity for cycle detection.
    fn identity(&self, path: &Path) -> PathBuf;
    /// Whether paths are compared as written (not on disk) for the [`Reach`].
    fn lexical(&self) -> bool {
        false
    }
    /// The bytes of the prompt file `path`, refused (with the reason in words) when it is not a
    /// regular file or holds more than `limit` bytes.
    fn read_prompt(&self, path: &Path, limit: u64) -> Result<Vec<u8>, String>;
    /// The regular files directly inside the folder `dir` and their sizes in bytes, in name
    /// order; subfolders, and files whose name starts with `.`, are left out.
    fn list_folder(&self, dir: &Path) -> io::Result<Vec<(PathBuf, u64)>>;
}

/// Whether a prompt folder's entry named `name` is skipped: a hidden file.
fn hidden(name: &std::ffi::OsStr) -> bool {
    name.to_str().is_some_and(|n| n.starts_with('.'))
}

/// The refusal of a prompt file of `len` bytes, above `limit`.
pub(crate) fn too_large(len: u64, limit: u64) -> String {
    format!(
        "{} bytes, more than the {} MiB a prompt may have",
        crate::base::format::count(len as f64),
        limit >> 20
    )
}

/// The file system.
pub(crate) struct Files;

impl Reader for Files {
    fn read(&self, path: &Path) -> io::Result<Vec<u8>> {
        crate::base::source::read_bounded(
            path,
            crate::base::source::MAX_SCENARIO_BYTES,
            crate::base::source::Named::InFile,
        )
    }

    fn name(&self, path: &Path) -> String {
        path.display().to_string()
    }

    fn identity(&self, path: &Path) -> PathBuf {
        path.canonicalize().unwrap_or_else(|_| normalize(path))
    }

    fn read_prompt(&self, path: &Path, limit: u64) -> Result<Vec<u8>, String> {
        let meta = std::fs::metadata(path).map_err(|e| e.to_string())?;
        if !meta.is_file() {
            return Err("not a regular file".to_string());
        }
        if meta.len() > limit {
            return Err(too_large(meta.len(), limit));
        }
        crate::base::source::read_bounded(path, limit, crate::base::source::Named::InFile)
            .map_err(|e| e.to_string())
    }

    fn list_folder(&self, dir: &Path) -> io::Result<Vec<(PathBuf, u64)>> {
        let mut files: Vec<(PathBuf, u64)> = std::fs::read_dir(dir)?
            .filter_map(Result::ok)
            .filter(|e| !hidden(&e.file_name()))
            .map(|e| e.path())
            // Following links: a link to a file is that file (the reach is checked on its target).
            .filter_map(|p| {
                let meta = std::fs::metadata(&p).ok()?;
                meta.is_file().then_some((p, meta.len()))
            })
            .collect();
        files.sort();
        Ok(files)
    }
}

/// Files as committed at a git revision.
pub(crate) struct GitRevision {
    /// The revision as the user wrote it, for messages.
    pub rev: String,
    /// The commit it names.
    commit: String,
}

impl GitRevision {
    /// Resolve `rev` to a commit in the repository holding `dir`. A revision that starts with
    /// `-` is refused: git would read it as an option (`--output=FILE` writes a file).
    pub fn new(rev: &str, dir: &Path) -> Result<GitRevision, Error> {
        if rev.is_empty() || rev.starts_with('-') {
            return Err(UsageKind::RevisionIsOption {
                rev: rev.to_string(),
            }
            .into());
        }
        let out = Command::new("git")
            .arg("-C")
            .arg(dir)
            .args(["rev-parse", "--verify", "--quiet", "--end-of-options"])
            .arg(format!("{rev}^{{commit}}"))
            .output()
            .map_err(|e| UsageKind::CannotRunGit {
                error: e.to_string(),
            })?;
        let commit = String::from_utf8_lossy(&out.stdout).trim().to_string();
        if !out.status.success()
            || commit.is_empty()
            || !commit.bytes().all(|b| b.is_ascii_hexdigit())
        {
            return Err(UsageKind::NoSuchCommit {
                rev: rev.to_string(),
                dir: dir.to_path_buf(),
            }
            .into());
        }
        Ok(GitRevision {
            rev: rev.to_string(),
            commit,
        })
    }
}

impl Reader for GitRevision {
    fn read(&self, path: &Path) -> io::Result<Vec<u8>> {
        let (dir, file) = split(path)?;
        // A commit hash and a path after `:./`: nothing git could take for an option.
        let spec = format!("{}:./{}", self.commit, file.to_string_lossy());
        let mut git = Command::new("git");
        git.arg("-C").arg(&dir).args(["cat-file", "blob", &spec]);
        crate::base::source::command_output_bounded(
            &mut git,
            crate::base::source::MAX_SCENARIO_BYTES,
        )
    }

    fn name(&self, path: &Path) -> String {
        format!("{}:{}", self.rev, normalize(path).display())
    }

    fn identity(&self, path: &Path) -> PathBuf {
        std::env::current_dir()
            .map(|d| normalize(&d.join(path)))
            .unwrap_or_else(|_| normalize(path))
    }

    fn lexical(&self) -> bool {
        true
    }

    fn read_prompt(&self, path: &Path, limit: u64) -> Result<Vec<u8>, String> {
        let (dir, file) = split(path).map_err(|e| e.to_string())?;
        let mut ls = Command::new("git");
        ls.arg("-C")
            .arg(&dir)
            .args(["ls-tree", "-z", "-l", &self.commit, "--"]);
        ls.arg(Path::new(".").join(&file));
        let listing = crate::base::source::command_output_bounded(&mut ls, 1 << 20)
            .map_err(|e| e.to_string())?;
        let entries = tree_entries(&listing);
        let Some(entry) = entries.first() else {
            return Err(format!("it does not exist at revision {}", self.rev));
        };
        if entry.kind != "blob" {
            return Err("not a regular file".to_string());
        }
        if entry.mode == "120000" {
            return Err(format!(
                "a symbolic link, which is not followed at revision {}",
                self.rev
            ));
        }
        if entry.size > limit {
            return Err(too_large(entry.size, limit));
        }
        blob(&dir, &entry.hash, limit).map_err(|e| e.to_string())
    }

    fn list_folder(&self, dir: &Path) -> io::Result<Vec<(PathBuf, u64)>> {
        let (parent, name) = split(dir)?;
        // A commit hash and a path after `:./`, as in `read`.
        let spec = format!("{}:./{}", self.commit, name.to_string_lossy());
        let mut ls = Command::new("git");
        ls.arg("-C")
            .arg(&parent)
            .args(["ls-tree", "-z", "-l", &spec]);
        let listing = crate::base::source::command_output_bounded(&mut ls, 64 << 20)?;
        let mut files: Vec<(PathBuf, u64)> = tree_entries(&listing)
            .into_iter()
            .filter(|e| e.kind == "blob" && e.mode != "120000" && !hidden(e.name.as_ref()))
            .map(|e| (dir.join(&e.name), e.size))
            .collect();
        files.sort();
        Ok(files)
    }
}

/// `path` as its folder (`.` for none) and its last component.
fn split(path: &Path) -> io::Result<(PathBuf, std::ffi::OsString)> {
    let path = normalize(path);
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let file = path
        .file_name()
        .ok_or_else(|| io::Error::other("not a file path"))?
        .to_os_string();
    Ok((dir, file))
}

/// The blob `hash` (hexadecimal digits only, as `ls-tree` printed it), at most `limit` bytes.
fn blob(dir: &Path, hash: &str, limit: u64) -> io::Result<Vec<u8>> {
    if hash.is_empty() || !hash.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(io::Error::other("git printed an unexpected object name"));
    }
    let mut git = Command::new("git");
    git.arg("-C").arg(dir).args(["cat-file", "blob", hash]);
    crate::base::source::command_output_bounded(&mut git, limit)
}

/// One entry of `git ls-tree -z -l`: `MODE TYPE HASH SIZE<TAB>NAME`.
struct TreeEntry {
    mode: String,
    kind: String,
    hash: String,
    size: u64,
    name: std::ffi::OsString,
}

fn tree_entries(listing: &[u8]) -> Vec<TreeEntry> {
    listing
        .split(|&b| b == 0)
        .filter_map(|record| {
            let tab = record.iter().position(|&b| b == b'\t')?;
            let head = std::str::from_utf8(&record[..tab]).ok()?;
            let mut fields = head.split_whitespace();
            let mode = fields.next()?.to_string();
            let kind = fields.next()?.to_string();
            let hash = fields.next()?.to_string();
            let size = fields.next()?.parse().unwrap_or(0);
            #[cfg(unix)]
            let name = {
                use std::os::unix::ffi::OsStrExt;
                std::ffi::OsStr::from_bytes(&record[tab + 1..]).to_os_string()
            };
            #[cfg(not(unix))]
            let name =
                std::ffi::OsString::from(String::from_utf8_lossy(&record[tab + 1..]).into_owned());
            Some(TreeEntry {
                mode,
                kind,
                hash,
                size,
                name,
            })
        })
        .collect()
}

/// The layered document of the file `name` (at `path`, holding `bytes`).
#[allow(clippy::too_many_arguments)]
pub fn document(
    name: &str,
    path: Option<&Path>,
    bytes: Vec<u8>,
    opts: &LoadOptions,
    reader: &dyn Reader,
    reach: &Reach,
    sources: &mut Sources,
    warnings: &mut Vec<Problem>,
) -> Result<Node, Problem> {
    let root = parse_text(name, path, bytes, sources, warnings)?;
    let mut chain = vec![(
        path.map_or_else(|| PathBuf::from(name), |p| reader.identity(p)),
        name.to_string(),
    )];
    let from = Context {
        reader,
        reach,
        sources: &mut *sources,
        warnings: &mut *warnings,
    };
    let mut root = resolve(root, path, from, &mut chain)?;
    for arg in &opts.overrides {
        let id = sources.add("--set", None, arg.clone());
        let o = set::parse(arg, id)?;
        if o.parts.first().is_some_and(|p| p.text == "extends") {
            return Err(Problem::new(
                ProblemKind::InvalidValue,
                "`extends` cannot be overridden from the command line",
            )
            .at(crate::base::source::Loc::new(id, o.parts[0].span.clone()))
            .help("write `extends = \"base.toml\"` at the top of the file instead"));
        }
        set::apply(&mut root, &o)?;
    }
    Ok(root)
}

/// Where the files of one scenario come from and where their texts and warnings go.
struct Context<'a> {
    reader: &'a dyn Reader,
    reach: &'a Reach,
    sources: &'a mut Sources,
    warnings: &'a mut Vec<Problem>,
}

/// Layer `root` (the text of `path`) over the file it extends, recursively.
fn resolve(
    mut root: Node,
    path: Option<&Path>,
    cx: Context<'_>,
    chain: &mut Vec<(PathBuf, String)>,
) -> Result<Node, Problem> {
    let Context {
        reader,
        reach,
        sources,
        warnings,
    } = cx;
    let Some(pos) = (match &root.value {
        Value::Table(entries) => entries.iter().position(|e| e.key == "extends"),
        _ => None,
    }) else {
        return Ok(root);
    };
    let Value::Table(entries) = &mut root.value else {
        unreachable!("checked above")
    };
    let entry = entries.remove(pos);
    let Value::String(target) = &entry.value.value else {
        return Err(Problem::new(
            ProblemKind::InvalidType,
            format!(
                "expected a string (the path of the scenario to inherit from), found {}",
                entry.value.value.type_name()
            ),
        )
        .at(entry.value.loc)
        .path("extends")
        .help("write extends = \"base.toml\", a path relative to this file"));
    };
    let dir = path
        .and_then(Path::parent)
        .filter(|d| !d.as_os_str().is_empty())
        .map_or_else(PathBuf::new, Path::to_path_buf);
    let base_path = dir.join(target);
    let identity = reader.identity(&base_path);
    let base_name = reader.name(&base_path);
    if let Some(i) = chain.iter().position(|(id, _)| *id == identity) {
        let mut names: Vec<&str> = chain[i..].iter().map(|(_, n)| n.as_str()).collect();
        names.push(&base_name);
        return Err(Problem::new(
            ProblemKind::InvalidValue,
            format!("`extends` makes a cycle: {}", names.join(" → ")),
        )
        .at(entry.value.loc)
        .path("extends")
        .help("a scenario cannot inherit from itself; remove `extends` from one of these files"));
    }
    if chain.len() >= MAX_DEPTH {
        return Err(Problem::new(
            ProblemKind::InvalidValue,
            format!("`extends` goes more than {MAX_DEPTH} files deep"),
        )
        .at(entry.value.loc)
        .path("extends")
        .help("flatten the chain of base scenarios"));
    }
    if let Err(real) = reach.check(&base_path, reader.lexical()) {
        return Err(reach
            .refusal("extends", &base_name, &base_path, &real)
            .at(entry.value.loc));
    }
    let bytes = reader.read(&base_path).map_err(|e| {
        let shown_dir = if dir.as_os_str().is_empty() {
            "the current directory".to_string()
        } else {
            format!("`{}`", dir.display())
        };
        Problem::new(
            ProblemKind::UnknownReference,
            format!("cannot read `{base_name}`, which `extends` names: {e}"),
        )
        .at(entry.value.loc)
        .path("extends")
        .help(format!(
            "the path is relative to the file that contains `extends` ({shown_dir})"
        ))
    })?;
    let base = parse_text(&base_name, Some(&base_path), bytes, sources, warnings)?;
    chain.push((identity, base_name));
    let base = resolve(
        base,
        Some(&base_path),
        Context {
            reader,
            reach,
            sources: &mut *sources,
            warnings: &mut *warnings,
        },
        chain,
    )?;
    chain.pop();
    warn_replaced_arrays(&base, &root, warnings);
    Ok(merge::merge(base, root, sources))
}

/// An array of tables that cannot merge by name (an element without a `name`, as a
/// `[[contract]]` may be) replaces the inherited array whole; say so, since the inherited
/// elements are silently gone otherwise.
fn warn_replaced_arrays(base: &Node, over: &Node, warnings: &mut Vec<Problem>) {
    let (Value::Table(base_entries), Value::Table(over_entries)) = (&base.value, &over.value)
    else {
        return;
    };
    let tables = |items: &[Node]| {
        !items.is_empty() && items.iter().all(|n| matches!(n.value, Value::Table(_)))
    };
    let named = |items: &[Node]| {
        items
            .iter()
            .all(|n| n.get("name").and_then(Node::as_str).is_some())
    };
    for entry in over_entries {
        let Value::Array(over_items) = &entry.value.value else {
            continue;
        };
        let inherited = base_entries.iter().find(|b| b.key == entry.key);
        let Some(Value::Array(base_items)) = inherited.map(|b| &b.value.value) else {
            continue;
        };
        if tables(over_items) && tables(base_items) && !(named(over_items) && named(base_items)) {
            let n = base_items.len();
            warnings.push(
                Problem::new(
                    ProblemKind::Warning,
                    format!(
                        "`[[{key}]]` here replaces the {n} `[[{key}]]` {inherited} from the base file: not every one has a `name` to merge by",
                        key = entry.key,
                        inherited = if n == 1 { "element inherited" } else { "elements inherited" },
                    ),
                )
                .at(entry.key_loc)
                .path(&entry.key)
                .help("give every element a `name`: elements with the same name merge, new names are added"),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalize_resolves_dots_lexically() {
        assert_eq!(
            normalize(Path::new("a/./b/../c.toml")),
            Path::new("a/c.toml")
        );
        assert_eq!(normalize(Path::new("../x.toml")), Path::new("../x.toml"));
        assert_eq!(
            normalize(Path::new("../../x.toml")),
            Path::new("../../x.toml")
        );
        // Above the root is the root: a help never suggests `/../etc`.
        assert_eq!(
            normalize(Path::new("/tmp/a/../../../../etc/passwd")),
            Path::new("/etc/passwd")
        );
    }
}
