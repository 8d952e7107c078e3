//! Writing results: to standard output (a closed pipe is not an error) or to a file, atomically.
//!
//! A file is written to a temporary file in the same directory and renamed over the target, so a
//! reader never sees half a report and an interrupted run leaves the old file intact. The input
//! scenario is never overwritten by accident.

use std::io::{self, Write};
use std::path::{Path, PathBuf};

use crate::error::Error;

/// Where a command's main output goes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Destination {
    Stdout,
    File(PathBuf),
}

impl Destination {
    pub fn from_option(path: Option<&Path>) -> Self {
        match path {
            Some(p) if p != Path::new("-") => Destination::File(p.to_path_buf()),
            _ => Destination::Stdout,
        }
    }
}

/// Write `bytes` to `dest`. Refuses to replace any of `protected` (the input files).
pub fn write(dest: &Destination, bytes: &[u8], protected: &[&Path]) -> Result<(), Error> {
    match dest {
        Destination::Stdout => write_stdout(bytes),
        Destination::File(path) => {
            refuse_overwrite(path, protected)?;
            write_atomic(path, bytes)
        }
    }
}

/// Write to standard output; a reader that went away (`| head`) is not an error.
pub fn write_stdout(bytes: &[u8]) -> Result<(), Error> {
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

/// Refuse, before any work is done, an output destination that is one of the inputs.
pub fn check_destination(out: Option<&Path>, protected: &[&Path]) -> Result<(), Error> {
    match Destination::from_option(out) {
        Destination::Stdout => Ok(()),
        Destination::File(path) => refuse_overwrite(&path, protected),
    }
}

fn refuse_overwrite(path: &Path, protected: &[&Path]) -> Result<(), Error> {
    let Ok(target) = path.canonicalize() else {
        return Ok(()); // does not exist yet
    };
    for p in protected {
        if p.canonicalize().is_ok_and(|c| c == target) {
            return Err(Error::Usage(format!(
                "refusing to overwrite the input file `{}` with the output\n  = help: choose another --out path",
                path.display()
            )));
        }
    }
    Ok(())
}

/// Write `bytes` to `path` through a temporary file in the same directory and a rename.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    let err = |source: io::Error| Error::Write {
        path: path.to_path_buf(),
        source,
    };
    let mut tmp = temp_beside(path)?;
    tmp.write_all(bytes).map_err(err)?;
    // A temporary file is created readable by its owner only; the output is an ordinary file.
    set_output_permissions(tmp.as_file(), path).map_err(err)?;
    tmp.as_file().sync_all().map_err(err)?;
    tmp.persist(path).map_err(|e| err(e.error))?;
    Ok(())
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

/// Write `text` to `out` (atomically), or to standard output without one; never over a path in
/// `protected` (the command's inputs).
pub fn emit(out: Option<&Path>, text: &str, protected: &[&Path]) -> Result<(), Error> {
    write(&Destination::from_option(out), text.as_bytes(), protected)
}

/// An output written piece by piece (rows of a long CSV) that appears whole or not at all: a
/// file is assembled in a temporary file and renamed into place by [`StreamedOutput::finish`];
/// dropped without `finish`, it leaves nothing behind.
pub struct StreamedOutput {
    target: Option<(PathBuf, io::BufWriter<tempfile::NamedTempFile>)>,
    /// The first write error; later writes are skipped.
    failed: Option<io::Error>,
}

impl StreamedOutput {
    /// Start writing to `dest`, refusing any of `protected` (the input files).
    pub fn create(dest: &Destination, protected: &[&Path]) -> Result<StreamedOutput, Error> {
        let target = match dest {
            Destination::Stdout => None,
            Destination::File(path) => {
                refuse_overwrite(path, protected)?;
                Some((path.clone(), io::BufWriter::new(temp_beside(path)?)))
            }
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
            Some((path, w)) => {
                let err = |source: io::Error| Error::Write {
                    path: path.clone(),
                    source,
                };
                if let Some(e) = self.failed {
                    return Err(err(e));
                }
                let tmp = w.into_inner().map_err(|e| err(e.into_error()))?;
                set_output_permissions(tmp.as_file(), &path).map_err(err)?;
                tmp.as_file().sync_all().map_err(err)?;
                tmp.persist(&path).map_err(|e| err(e.error))?;
                Ok(())
            }
        }
    }
}

/// A temporary file in the directory of `path`, to be renamed over it.
fn temp_beside(path: &Path) -> Result<tempfile::NamedTempFile, Error> {
    if path.is_dir() {
        return Err(Error::Usage(format!(
            "`{}` is a directory; give a file path for the output",
            path.display()
        )));
    }
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    tempfile::Builder::new()
        .prefix(".aicost-")
        .suffix(".tmp")
        .tempfile_in(&dir)
        .map_err(|source| Error::Write {
            path: path.to_path_buf(),
            source,
        })
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

    #[test]
    fn refuses_to_overwrite_an_input() {
        let dir = tempfile::tempdir().unwrap();
        let input = dir.path().join("s.toml");
        std::fs::write(&input, "x").unwrap();
        let err = write(&Destination::File(input.clone()), b"y", &[&input]).unwrap_err();
        assert!(err.to_string().contains("refusing to overwrite"));
        assert_eq!(std::fs::read(&input).unwrap(), b"x");
    }
}
