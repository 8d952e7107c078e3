//! What a command reads and what it writes, checked against each other before any work.
//!
//! A report written over the catalog it was priced with, or over the `--only` list it was
//! filtered by, is data lost; so is one output written over another of the same command. Every
//! command therefore lists the files it reads (the scenario, each file it extends, its catalog,
//! logs, lists) and the outputs it will write in one `FilePlan`, and `FilePlan::check`
//! refuses any overlap before the command reads a log or runs a trial. This is the only place
//! that rule lives.
//!
//! Files are compared by what they are, not how they are spelled: device and inode, so `..`,
//! symbolic links and hard links all count. An output's symbolic link is followed to the file it
//! would really replace (see `crate::app::output::resolve_link`); an output that does not exist yet
//! is compared by its real directory and name. Standard output counts as an output too: when it
//! is redirected to a file the command reads (`aicost fit log.csv >> log.csv`), the command stops
//! instead of feeding on its own output.

use std::path::{Path, PathBuf};

use crate::app::output::{self, Destination};
use crate::base::error::{Error, OverwriteVia, UsageKind};
use crate::base::escape::visible;
use crate::model::scenario::Loaded;

/// What a file is, independent of the path that names it.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Identity {
    /// An existing file: device and inode (elsewhere than Unix, its canonical path).
    Node(NodeId),
    /// A file that does not exist yet: its directory's real path and its name.
    New(PathBuf),
}

#[cfg(unix)]
type NodeId = (u64, u64);
#[cfg(not(unix))]
type NodeId = PathBuf;

#[cfg(unix)]
fn node_id(_path: &Path, meta: &std::fs::Metadata) -> Option<NodeId> {
    use std::os::unix::fs::MetadataExt;
    Some((meta.dev(), meta.ino()))
}

#[cfg(not(unix))]
fn node_id(path: &Path, _meta: &std::fs::Metadata) -> Option<NodeId> {
    path.canonicalize().ok()
}

/// The identity of an existing file at `path` (links followed).
fn existing(path: &Path) -> Option<(Identity, std::fs::Metadata)> {
    let meta = std::fs::metadata(path).ok()?;
    Some((Identity::Node(node_id(path, &meta)?), meta))
}

/// A file the command reads.
#[derive(Clone, Debug)]
struct Read {
    path: PathBuf,
    /// What it is to the command: "the scenario", "the catalog of `s.toml`", "a log".
    role: String,
}

/// An output of the command.
#[derive(Clone, Debug)]
struct Write {
    /// The flag that names it (`--out`), or a description (`the report`).
    flag: String,
    dest: Destination,
}

/// The files one command reads and writes.
#[derive(Clone, Debug, Default)]
pub(crate) struct FilePlan {
    reads: Vec<Read>,
    writes: Vec<Write>,
}

impl FilePlan {
    pub fn new() -> Self {
        Self::default()
    }

    /// The command reads `path` (`-`, standard input, is not a file and is skipped).
    pub fn reads(&mut self, path: &Path, role: impl Into<String>) -> &mut Self {
        if path != Path::new("-") {
            self.reads.push(Read {
                path: path.to_path_buf(),
                role: role.into(),
            });
        }
        self
    }

    /// The command reads every file `loaded` was made of: the scenario, the files it extends
    /// and its catalog.
    pub(crate) fn reads_scenario(&mut self, loaded: &Loaded) -> &mut Self {
        for f in &loaded.inputs {
            self.reads(&f.path, f.role.clone());
        }
        self
    }

    /// The command writes to `path` (`None` or `-`: standard output), named by `flag`.
    pub fn writes(&mut self, flag: impl Into<String>, path: Option<&Path>) -> &mut Self {
        self.writes.push(Write {
            flag: flag.into(),
            dest: Destination::from_option(path),
        });
        self
    }

    /// Refuse an output that is one of the inputs, or that another output also writes.
    pub fn check(&self) -> Result<(), Error> {
        let reads: Vec<(&Read, Identity)> = self
            .reads
            .iter()
            .filter_map(|r| existing(&r.path).map(|(id, _)| (r, id)))
            .collect();
        let mut seen: Vec<(&Write, Option<Identity>, bool)> = Vec::new();
        for w in &self.writes {
            let (id, shared) = match &w.dest {
                Destination::Stdout => (stdout_identity(), false),
                Destination::File(path) => {
                    let (id, shared) = write_identity(path)?;
                    (Some(id), shared)
                }
            };
            if let Some(id) = &id
                && let Some((r, _)) = reads.iter().find(|(_, rid)| rid == id)
            {
                return Err(overwrite_error(w, r));
            }
            let clash = seen
                .iter()
                .find(|(other, other_id, _)| match (&w.dest, &other.dest) {
                    (Destination::Stdout, Destination::Stdout) => true,
                    _ => !shared && id.is_some() && *other_id == id,
                });
            if let Some((other, _, _)) = clash {
                return Err(clash_error(other, w));
            }
            seen.push((w, id, shared));
        }
        Ok(())
    }
}

/// The identity of standard output: the file it is redirected to, or the pipe it feeds (so that
/// `--trials-out /dev/stdout` clashes with the report); none for a terminal or `/dev/null`,
/// which any number of outputs may share.
#[cfg(unix)]
fn stdout_identity() -> Option<Identity> {
    use std::os::fd::AsFd;
    let fd = std::io::stdout().as_fd().try_clone_to_owned().ok()?;
    let meta = std::fs::File::from(fd).metadata().ok()?;
    if is_char_device(&meta) {
        return None;
    }
    node_id(Path::new("/dev/stdout"), &meta).map(Identity::Node)
}

#[cfg(not(unix))]
fn stdout_identity() -> Option<Identity> {
    None
}

/// The identity of the file an output at `path` lands in, and whether it is a character
/// device (`/dev/null`, a terminal), which any number of outputs may share.
fn write_identity(path: &Path) -> Result<(Identity, bool), Error> {
    let target = output::resolve_link(path)?;
    if let Some((id, meta)) = existing(&target) {
        return Ok((id, is_char_device(&meta)));
    }
    let dir = match target.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let dir = dir
        .canonicalize()
        .unwrap_or_else(|_| crate::model::scenario::options::normalize(&absolute(&dir)));
    let name = target.file_name().map_or_else(PathBuf::new, PathBuf::from);
    Ok((Identity::New(dir.join(name)), false))
}

fn absolute(p: &Path) -> PathBuf {
    std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf())
}

#[cfg(unix)]
fn is_char_device(meta: &std::fs::Metadata) -> bool {
    use std::os::unix::fs::FileTypeExt;
    meta.file_type().is_char_device()
}

#[cfg(not(unix))]
fn is_char_device(_meta: &std::fs::Metadata) -> bool {
    false
}

fn shown(d: &Destination) -> String {
    match d {
        Destination::Stdout => "standard output".to_string(),
        Destination::File(p) => format!("`{}`", visible(&p.display().to_string())),
    }
}

fn overwrite_error(w: &Write, r: &Read) -> Error {
    let via = match &w.dest {
        Destination::Stdout => OverwriteVia::Stdout,
        Destination::File(p) if *p == r.path => OverwriteVia::SamePath,
        Destination::File(p) => OverwriteVia::Alias(p.clone()),
    };
    UsageKind::OverwritesInput {
        input: r.path.clone(),
        role: r.role.clone(),
        flag: w.flag.clone(),
        via,
    }
    .into()
}

fn clash_error(first: &Write, second: &Write) -> Error {
    UsageKind::OutputsClash {
        first: first.flag.clone(),
        second: second.flag.clone(),
        dest: shown(&second.dest),
    }
    .into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_output_over_an_input_is_refused_however_it_is_spelled() {
        let dir = tempfile::tempdir().unwrap();
        let input = dir.path().join("s.toml");
        std::fs::write(&input, "x").unwrap();
        std::fs::create_dir(dir.path().join("sub")).unwrap();
        let spellings = [
            input.clone(),
            dir.path().join("sub").join("..").join("s.toml"),
        ];
        for out in spellings {
            let err = FilePlan::new()
                .reads(&input, "the scenario")
                .writes("--out", Some(&out))
                .check()
                .unwrap_err()
                .to_string();
            assert!(
                err.contains("refusing to overwrite the input file"),
                "{err}"
            );
            assert!(err.contains("(the scenario) with --out"), "{err}");
        }
        assert_eq!(std::fs::read(&input).unwrap(), b"x");
    }

    #[cfg(unix)]
    #[test]
    fn a_hard_link_is_the_same_file() {
        let dir = tempfile::tempdir().unwrap();
        let input = dir.path().join("cat.json");
        std::fs::write(&input, "{}").unwrap();
        let other = dir.path().join("other-name.json");
        std::fs::hard_link(&input, &other).unwrap();
        let err = FilePlan::new()
            .reads(&input, "the catalog")
            .writes("--out", Some(&other))
            .check()
            .unwrap_err();
        assert!(err.to_string().contains("is the same file"), "{err}");
    }

    #[test]
    fn two_outputs_to_one_new_file_clash() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("t.svg");
        std::fs::create_dir(dir.path().join("d")).unwrap();
        let err = FilePlan::new()
            .writes("--out", Some(&out))
            .writes("--svg", Some(&dir.path().join("d/../t.svg")))
            .check()
            .unwrap_err()
            .to_string();
        assert!(err.contains("--out and --svg would both write"), "{err}");
        assert!(!out.exists());
        let err = FilePlan::new()
            .writes("the report", None)
            .writes("--trials-out", Some(Path::new("-")))
            .check()
            .unwrap_err()
            .to_string();
        assert!(err.contains("both write to standard output"), "{err}");
    }

    #[cfg(unix)]
    #[test]
    fn outputs_may_share_a_character_device() {
        FilePlan::new()
            .writes("--out", Some(Path::new("/dev/null")))
            .writes("--trials-out", Some(Path::new("/dev/null")))
            .check()
            .unwrap();
    }

    #[test]
    fn different_files_pass() {
        let dir = tempfile::tempdir().unwrap();
        let input = dir.path().join("s.toml");
        std::fs::write(&input, "x").unwrap();
        FilePlan::new()
            .reads(&input, "the scenario")
            .reads(Path::new("-"), "a log")
            .writes("--out", Some(&dir.path().join("a.json")))
            .writes("--trials-out", Some(&dir.path().join("b.csv")))
            .writes("the report", None)
            .check()
            .unwrap();
    }
}
