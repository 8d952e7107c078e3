//! What a load may read besides the file itself: the options of a load (overrides, a git
//! revision, the fallback catalog, today's date, `--allow-dir` folders) and the [`Reach`] that
//! bounds the files `extends` and `catalog` may name.

use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use crate::base::calendar::{self, Date};
use crate::base::error::{Problem, ProblemKind};
use crate::model::catalog::Catalog;

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
            normalize(&std::path::absolute(path).unwrap_or_else(|_| path.into()))
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
        .help(self.help(&outside, key == "folder"))
    }

    /// The help for a path outside the reach: allow its folder, or the path itself when it is
    /// a folder.
    pub fn help(&self, real: &Path, is_folder: bool) -> String {
        let dir = if is_folder {
            real
        } else {
            real.parent().unwrap_or(real)
        };
        format!(
            "a scenario reads files only inside its own folder tree or git work tree (`{}`){}; to read this one, pass `--allow-dir {}`",
            crate::base::escape::visible(&relative_to_cwd(&self.root).display().to_string()),
            if self.allowed.is_empty() {
                String::new()
            } else {
                " and the folders given with --allow-dir".to_string()
            },
            crate::base::escape::visible(&dir.display().to_string())
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
    normalize(&std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf()))
}

/// `p` with every link followed, or made absolute by its text when it does not exist.
fn real_or_lexical(p: &Path) -> PathBuf {
    p.canonicalize()
        .unwrap_or_else(|_| normalize(&std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf())))
}

/// Resolve `.` and `..` without touching the file system.
pub(crate) fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            // `..` of the root is the root (`/../etc` is `/etc`); a leading `..` of a relative
            // path stays, and so do those after it (`../../x`).
            Component::ParentDir => match out.components().next_back() {
                Some(Component::RootDir | Component::Prefix(_)) => {}
                Some(Component::Normal(_)) => {
                    out.pop();
                }
                _ => out.push(".."),
            },
            other => out.push(other),
        }
    }
    out
}
