//! Writing results: to standard output (a closed pipe is not an error) or to a file, atomically.
//!
//! A file is written to a temporary file in the same directory and renamed over the target, so a
//! reader never sees half a report and an interrupted run leaves the old file intact. Which
//! outputs may be written at all (never over an input, never two to one file) is settled before
//! any work by `crate::app::files::FilePlan`; this module only writes.
//!
//! Only a regular file is replaced that way. A device, a FIFO or a socket (`--out /dev/null`,
//! `--out /dev/stderr`, a named pipe) is written in place: renaming over it would put a regular
//! file where the device was, and as root that breaks `/dev/null` for every other program on the
//! machine. A symbolic link keeps being a link: the file it leads to is replaced, or created when
//! the link dangles (as the shell's `>` does); a link that loops is refused rather than replaced.
//!
//! Every temporary file is registered while it exists, so that a signal that ends the program
//! (SIGTERM, a second Ctrl-C) removes it instead of leaving `.aicost-*.tmp` behind
//! ([`crate::app::interrupt`]).

use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

use crate::base::error::{Error, UsageKind};

/// Where a command's main output goes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Destination {
    Stdout,
    File(PathBuf),
}

impl Destination {
    pub(crate) fn from_option(path: Option<&Path>) -> Self {
        match path {
            Some(p) if p != Path::new("-") => Destination::File(p.to_path_buf()),
            _ => Destination::Stdout,
        }
    }
}

/// Write `bytes` to `dest`.
pub fn write(dest: &Destination, bytes: &[u8]) -> Result<(), Error> {
    match dest {
        Destination::Stdout => write_stdout(bytes),
        Destination::File(path) => write_atomic(path, bytes),
    }
}

/// Write to standard output; a reader that went away (`| head`) is not an error.
pub(crate) fn write_stdout(bytes: &[u8]) -> Result<(), Error> {
    let mut out = io::stdout().lock();
    match out.write_all(bytes).and_then(|()| out.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        Err(source) => Err(Error::Write {
            path: PathBuf::from("<stdout>"),
            source,
        }),
    }
}

/// The most symbolic links followed from one path (Linux's own limit).
const MAX_LINKS: usize = 40;

/// The file an output at `path` really lands in. An existing regular file is named by its real
/// path (links and `..` resolved), so that the file is replaced and a link to it stays a link;
/// a directory, device or FIFO is opened through `path` as given. A link that dangles leads to
/// the path at the end of its chain, where the file will be created; a chain that loops (or is
/// longer than the kernel follows) is an error.
pub(crate) fn resolve_link(path: &Path) -> Result<PathBuf, Error> {
    match std::fs::metadata(path) {
        Ok(meta) if meta.is_file() => Ok(path.canonicalize().unwrap_or_else(|_| path.into())),
        Ok(_) => Ok(path.to_path_buf()),
        Err(_) => follow_dangling(path),
    }
}

/// Follow the chain of links at `path`, which the kernel could not resolve to an existing file.
fn follow_dangling(path: &Path) -> Result<PathBuf, Error> {
    let mut p = path.to_path_buf();
    for _ in 0..=MAX_LINKS {
        let is_link = std::fs::symlink_metadata(&p).is_ok_and(|m| m.file_type().is_symlink());
        if !is_link {
            return Ok(p);
        }
        let target = std::fs::read_link(&p).map_err(|source| Error::Write {
            path: path.to_path_buf(),
            source,
        })?;
        // A relative target is relative to the link's real directory (`..` included).
        let dir = match p.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.canonicalize().unwrap_or_else(|_| d.into()),
            _ => PathBuf::from("."),
        };
        p = dir.join(target);
    }
    Err(UsageKind::LinkLoops {
        path: path.to_path_buf(),
        max_links: MAX_LINKS,
    }
    .into())
}

/// Write `bytes` to `path` through a temporary file in the same directory and a rename (or in
/// place, when `path` is a device, a FIFO or a socket).
pub(crate) fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    let mut sink = FileSink::open(path)?;
    let written = sink.write_all(bytes);
    sink.finish(path, written)
}

/// Temporary files that exist right now, to be removed if a signal ends the program.
static LIVE_TEMPORARIES: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

fn live() -> MutexGuard<'static, Vec<PathBuf>> {
    LIVE_TEMPORARIES
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Remove every temporary file still in the making; returns how many were removed.
pub fn remove_live_temporaries() -> usize {
    remove_temporaries(&mut live())
}

/// [`remove_live_temporaries`] just before the program ends on a signal: the lock is kept, so
/// no temporary file is created or renamed into place after this.
pub(crate) fn remove_temporaries_for_exit() {
    let mut guard = live();
    remove_temporaries(&mut guard);
    std::mem::forget(guard);
}

fn remove_temporaries(live: &mut Vec<PathBuf>) -> usize {
    live.drain(..)
        .filter(|p| std::fs::remove_file(p).is_ok())
        .count()
}

/// A temporary file, registered for [`remove_live_temporaries`] while it exists.
struct Temporary {
    file: Option<tempfile::NamedTempFile>,
}

impl Temporary {
    /// A temporary file in the directory of `target`, to be renamed over it.
    fn beside(target: &Path) -> io::Result<Temporary> {
        let dir = match target.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
            _ => PathBuf::from("."),
        };
        // Created under the lock, so a signal cannot end the program between creating the file
        // and registering it.
        let mut guard = live();
        let file = tempfile::Builder::new()
            .prefix(".aicost-")
            .suffix(".tmp")
            .tempfile_in(&dir)
            .map_err(without_temporary_name)?;
        guard.push(file.path().to_path_buf());
        Ok(Temporary { file: Some(file) })
    }

    fn file(&self) -> &std::fs::File {
        self.file
            .as_ref()
            .expect("present until persisted")
            .as_file()
    }

    /// Rename over `target`; the file is no longer temporary.
    fn persist(mut self, target: &Path) -> io::Result<()> {
        let file = self.file.take().expect("persisted once");
        let mut guard = live();
        let path = file.path().to_path_buf();
        let result = file.persist(target).map(drop).map_err(|e| {
            // Dropping the returned temporary file removes it.
            let err = e.error;
            drop(e.file);
            err
        });
        guard.retain(|p| *p != path);
        result
    }
}

impl Write for Temporary {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.file.as_mut().expect("present").write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.file.as_mut().expect("present").flush()
    }
}

impl Drop for Temporary {
    fn drop(&mut self) {
        if let Some(file) = self.file.take() {
            let mut guard = live();
            let path = file.path().to_path_buf();
            drop(file);
            guard.retain(|p| *p != path);
        }
    }
}

/// An open output file: a temporary file to rename over a regular file, or a special file
/// (device, FIFO, socket) written where it is.
enum FileSink {
    Replace {
        target: PathBuf,
        tmp: io::BufWriter<Temporary>,
    },
    InPlace(io::BufWriter<std::fs::File>),
}

impl FileSink {
    fn open(path: &Path) -> Result<FileSink, Error> {
        let err = |source: io::Error| Error::Write {
            path: path.to_path_buf(),
            source,
        };
        // The file the output lands in; a link to it stays a link.
        let target = resolve_link(path)?;
        match std::fs::metadata(&target) {
            Ok(meta) if meta.is_dir() => Err(UsageKind::OutputIsDirectory {
                path: path.to_path_buf(),
            }
            .into()),
            Ok(meta) if !meta.is_file() => {
                let file = std::fs::OpenOptions::new()
                    .write(true)
                    .open(&target)
                    .map_err(err)?;
                Ok(FileSink::InPlace(io::BufWriter::new(file)))
            }
            // An existing file, or a new one (where a dangling link points, too).
            _ => {
                // A failure is about the folder the file goes in: the link's, when it dangles.
                let shown = if target == path { path } else { &target };
                let tmp = Temporary::beside(&target).map_err(|source| Error::Write {
                    path: shown.to_path_buf(),
                    source,
                })?;
                Ok(FileSink::Replace {
                    target,
                    tmp: io::BufWriter::new(tmp),
                })
            }
        }
    }

    fn write_all(&mut self, bytes: &[u8]) -> io::Result<()> {
        match self {
            FileSink::Replace { tmp, .. } => tmp.write_all(bytes),
            FileSink::InPlace(file) => file.write_all(bytes),
        }
    }

    /// Complete the output, or report `written`'s error (reported against `path`, the name the
    /// user gave) and leave a replaced file as it was.
    fn finish(self, path: &Path, written: io::Result<()>) -> Result<(), Error> {
        let err = |source: io::Error| Error::Write {
            path: path.to_path_buf(),
            source,
        };
        written.map_err(err)?;
        match self {
            FileSink::Replace { target, tmp } => {
                let tmp = tmp.into_inner().map_err(|e| err(e.into_error()))?;
                // A temporary file is created readable by its owner only; the output is an
                // ordinary file.
                set_output_permissions(tmp.file(), &target).map_err(err)?;
                tmp.file().sync_all().map_err(err)?;
                tmp.persist(&target).map_err(err)
            }
            FileSink::InPlace(mut file) => file.flush().map_err(err),
        }
    }
}

/// Give a new output file mode 0644 (owner writes, everyone reads), or the mode of the file it
/// replaces.
#[cfg(unix)]
fn set_output_permissions(file: &std::fs::File, path: &Path) -> io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(path).map_or(0o644, |m| m.permissions().mode() & 0o7777);
    file.set_permissions(std::fs::Permissions::from_mode(mode))
}

#[cfg(not(unix))]
fn set_output_permissions(_file: &std::fs::File, _path: &Path) -> io::Result<()> {
    Ok(())
}

/// Write `text` to `out` (atomically), or to standard output without one.
pub(crate) fn emit(out: Option<&Path>, text: &str) -> Result<(), Error> {
    write(&Destination::from_option(out), text.as_bytes())
}

/// An output written piece by piece (rows of a long CSV) that appears whole or not at all: a
/// file is assembled in a temporary file and renamed into place by [`StreamedOutput::finish`];
/// dropped without `finish`, it leaves nothing behind.
pub(crate) struct StreamedOutput {
    target: Option<(PathBuf, FileSink)>,
    /// The first write error; later writes are skipped.
    failed: Option<io::Error>,
}

impl StreamedOutput {
    /// Start writing to `dest`.
    pub fn create(dest: &Destination) -> Result<StreamedOutput, Error> {
        let target = match dest {
            Destination::Stdout => None,
            Destination::File(path) => Some((path.clone(), FileSink::open(path)?)),
        };
        Ok(StreamedOutput {
            target,
            failed: None,
        })
    }

    /// Append `bytes`; an error is kept for [`StreamedOutput::finish`] to report.
    pub fn push(&mut self, bytes: &[u8]) {
        if self.failed.is_some() {
            return;
        }
        let result = match &mut self.target {
            Some((_, w)) => w.write_all(bytes),
            None => io::stdout().lock().write_all(bytes),
        };
        if let Err(e) = result {
            self.failed = Some(e);
        }
    }

    /// Flush and move the file into place; a closed standard output is not an error.
    pub fn finish(self) -> Result<(), Error> {
        match self.target {
            None => match self.failed {
                Some(e) if e.kind() != io::ErrorKind::BrokenPipe => Err(Error::Write {
                    path: PathBuf::from("<stdout>"),
                    source: e,
                }),
                _ => write_stdout(b""),
            },
            Some((path, sink)) => sink.finish(&path, self.failed.map_or(Ok(()), Err)),
        }
    }
}

/// A failure to create the temporary file, without the temporary file's name, which means
/// nothing to the user (the message names the target).
fn without_temporary_name(e: io::Error) -> io::Error {
    let text = e.to_string();
    match text.find(" at path ") {
        Some(cut) => io::Error::new(e.kind(), &text[..cut]),
        None => e,
    }
}

/// `value` as pretty JSON with a trailing newline: the JSON output of every command.
pub fn pretty_json<T: serde::Serialize + ?Sized>(value: &T) -> String {
    let mut text = serde_json::to_string_pretty(value).expect("report types serialize");
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atomic_write_replaces_and_leaves_no_temporary_files() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.json");
        write_atomic(&path, b"first").unwrap();
        write_atomic(&path, b"second").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"second");
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names.len(), 1, "{names:?}");
    }

    #[cfg(unix)]
    #[test]
    fn a_new_file_is_readable_by_everyone_and_a_replaced_one_keeps_its_mode() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("report.json");
        write_atomic(&path, b"{}").unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o7777;
        assert_eq!(mode(&path), 0o644);
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).unwrap();
        write_atomic(&path, b"[]").unwrap();
        assert_eq!(mode(&path), 0o640);
        assert_eq!(std::fs::read(&path).unwrap(), b"[]");
    }

    /// Write "through the pipe" into a fresh FIFO with `write` and check that a reader got it and
    /// that the FIFO is still there. A FIFO stands for every special file (`/dev/null` above all)
    /// without the risk of replacing a real device should the check ever fail.
    #[cfg(unix)]
    fn check_fifo_written_in_place(write: impl FnOnce(&Path)) {
        use std::io::Read;
        use std::os::unix::fs::FileTypeExt;
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("pipe");
        let made = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap();
        assert!(made.success());
        let reader = {
            let fifo = fifo.clone();
            std::thread::spawn(move || {
                let mut text = String::new();
                std::fs::File::open(&fifo)
                    .unwrap()
                    .read_to_string(&mut text)
                    .unwrap();
                text
            })
        };
        write(&fifo);
        assert_eq!(reader.join().unwrap(), "through the pipe");
        let kind = std::fs::symlink_metadata(&fifo).unwrap().file_type();
        assert!(kind.is_fifo(), "the FIFO was replaced: {kind:?}");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[cfg(unix)]
    #[test]
    fn a_fifo_is_written_in_place_not_replaced() {
        check_fifo_written_in_place(|fifo| write_atomic(fifo, b"through the pipe").unwrap());
        check_fifo_written_in_place(|fifo| {
            let dest = Destination::File(fifo.to_path_buf());
            let mut streamed = StreamedOutput::create(&dest).unwrap();
            streamed.push(b"through ");
            streamed.push(b"the pipe");
            streamed.finish().unwrap();
        });
    }

    #[cfg(unix)]
    #[test]
    fn a_link_to_a_file_stays_a_link_and_its_file_is_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let real = dir.path().join("real.json");
        let link = dir.path().join("link.json");
        std::fs::write(&real, b"old").unwrap();
        std::os::unix::fs::symlink(&real, &link).unwrap();
        write_atomic(&link, b"new").unwrap();
        assert!(std::fs::symlink_metadata(&link).unwrap().is_symlink());
        assert_eq!(std::fs::read(&real).unwrap(), b"new");
    }

    #[test]
    fn a_directory_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let err = write_atomic(dir.path(), b"x").unwrap_err();
        assert!(err.to_string().contains("is a directory"), "{err}");
    }

    #[test]
    fn a_temporary_file_is_registered_while_it_exists() {
        let dir = tempfile::tempdir().unwrap();
        let dest = Destination::File(dir.path().join("trials.csv"));
        let registered = || live().iter().filter(|p| p.starts_with(dir.path())).count();
        let mut streamed = StreamedOutput::create(&dest).unwrap();
        streamed.push(b"trial,stack\n");
        assert_eq!(registered(), 1);
        drop(streamed);
        assert_eq!(registered(), 0);
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
        let mut streamed = StreamedOutput::create(&dest).unwrap();
        streamed.push(b"trial,stack\n");
        streamed.finish().unwrap();
        assert_eq!(registered(), 0);
        assert_eq!(
            std::fs::read(dir.path().join("trials.csv")).unwrap(),
            b"trial,stack\n"
        );
    }
}
