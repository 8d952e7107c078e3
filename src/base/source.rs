//! Source texts and byte locations inside them.
//!
//! Every value read from a scenario keeps the file it came from and its byte span, so that an error
//! found long after parsing (a rate above 1, a route no stack defines) can still point at the exact
//! line and column. Command-line overrides are sources too: `--set users=9` becomes a small
//! pseudo-file, so its mistakes are shown the same way as mistakes in a file.

use std::io::{self, Read};
use std::ops::Range;
use std::path::{Path, PathBuf};

/// The largest scenario file read (a scenario is a few kilobytes; a larger file is a mistake such
/// as `extends = "/dev/zero"` or a log passed where a scenario belongs).
pub(crate) const MAX_SCENARIO_BYTES: u64 = 64 << 20;
/// The largest price catalog or other whole-file input read.
pub(crate) const MAX_INPUT_BYTES: u64 = 256 << 20;

/// How an input was named, which decides what else than a regular file it may be.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Named {
    /// On the command line: a pipe the shell already opened (`<(zcat log.gz)`, `/dev/stdin`
    /// fed by a pipe) is read like a file.
    OnCommandLine,
    /// Inside another file (`extends`, `catalog`) or by `--set`: only a regular file.
    InFile,
}

/// Open an input for reading, refusing what is not a regular file before a byte is read: a
/// named pipe would wait forever for a writer, a device such as `/dev/zero` never ends and a
/// terminal waits for typing. The file is opened without blocking and checked once open, so it
/// cannot be swapped for a pipe in between.
pub(crate) fn open_input(path: &Path, named: Named) -> io::Result<std::fs::File> {
    let file = open_nonblocking(path)?;
    let meta = file.metadata()?;
    if meta.is_file() {
        return Ok(file);
    }
    let kind = special_kind(&meta);
    if named == Named::OnCommandLine && kind == "a pipe" && is_open_pipe(path) {
        set_blocking(&file)?;
        return Ok(file);
    }
    let why = match kind {
        "a directory" => "it is a directory, not a file".to_string(),
        "a pipe" => {
            "it is a named pipe (FIFO), not a regular file: reading it would wait for a writer"
                .to_string()
        }
        k => format!("it is {k}, not a regular file"),
    };
    Err(io::Error::new(io::ErrorKind::InvalidInput, why))
}

#[cfg(unix)]
fn open_nonblocking(path: &Path) -> io::Result<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(path)
}

#[cfg(not(unix))]
fn open_nonblocking(path: &Path) -> io::Result<std::fs::File> {
    std::fs::File::open(path)
}

/// Clear `O_NONBLOCK`, so that reading a pipe waits for data like any read.
#[cfg(unix)]
fn set_blocking(file: &std::fs::File) -> io::Result<()> {
    use std::os::fd::AsRawFd;
    let fd = file.as_raw_fd();
    // SAFETY: `fd` is an open descriptor owned by `file` for the duration of both calls.
    let flags = unsafe { libc::fcntl(fd, libc::F_GETFL) };
    if flags < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: as above; only the O_NONBLOCK bit of the status flags changes.
    if unsafe { libc::fcntl(fd, libc::F_SETFL, flags & !libc::O_NONBLOCK) } < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

#[cfg(not(unix))]
fn set_blocking(_file: &std::fs::File) -> io::Result<()> {
    Ok(())
}

#[cfg(unix)]
fn special_kind(meta: &std::fs::Metadata) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    let t = meta.file_type();
    if t.is_dir() {
        "a directory"
    } else if t.is_fifo() {
        "a pipe"
    } else if t.is_char_device() {
        "a character device"
    } else if t.is_block_device() {
        "a block device"
    } else if t.is_socket() {
        "a socket"
    } else {
        "not a regular file"
    }
}

#[cfg(not(unix))]
fn special_kind(meta: &std::fs::Metadata) -> &'static str {
    if meta.is_dir() {
        "a directory"
    } else {
        "not a regular file"
    }
}

/// Whether the pipe at `path` is one the shell already opened (process substitution, a
/// descriptor under `/dev/fd`), not a FIFO with a name of its own that may have no writer.
fn is_open_pipe(path: &Path) -> bool {
    match path.canonicalize() {
        // Linux: `/dev/fd/63` leads to `pipe:[…]`, which no directory holds.
        Err(_) => true,
        // Elsewhere (macOS) the descriptor keeps its `/dev/fd` name.
        Ok(real) => real.starts_with("/dev/fd"),
    }
}

/// Read a whole file, refusing one that is not a regular file (see [`open_input`]) or is larger
/// than `limit` bytes, instead of waiting or exhausting memory.
pub(crate) fn read_bounded(path: &Path, limit: u64, named: Named) -> io::Result<Vec<u8>> {
    let file = open_input(path, named)?;
    let mut bytes = Vec::new();
    file.take(limit + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > limit {
        return Err(io::Error::other(format!(
            "it is larger than {} MiB, more than aicost reads",
            limit >> 20
        )));
    }
    Ok(bytes)
}

/// The standard output of `cmd`, refusing more than `limit` bytes (the child is then stopped),
/// or its first line of standard error when it fails: a huge blob from git must not be read
/// whole.
pub(crate) fn command_output_bounded(
    cmd: &mut std::process::Command,
    limit: u64,
) -> io::Result<Vec<u8>> {
    use std::process::Stdio;
    let program = cmd.get_program().to_string_lossy().into_owned();
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| io::Error::other(format!("cannot run {program}: {e}")))?;
    // Standard error is drained on its own thread, so a chatty child cannot block on it.
    let stderr = child.stderr.take().map(|e| {
        std::thread::spawn(move || {
            let mut text = Vec::new();
            let mut e = e;
            let _ = (&mut e).take(64 << 10).read_to_end(&mut text);
            // The rest is read and dropped, so the child never waits on a full pipe.
            let _ = io::copy(&mut e, &mut io::sink());
            text
        })
    });
    let mut bytes = Vec::new();
    let read = match child.stdout.take() {
        Some(out) => out.take(limit + 1).read_to_end(&mut bytes).map(|_| ()),
        None => Ok(()),
    };
    if bytes.len() as u64 > limit {
        let _ = child.kill();
        let _ = child.wait();
        return Err(io::Error::other(format!(
            "it is larger than {} MiB, more than aicost reads",
            limit >> 20
        )));
    }
    let status = child.wait()?;
    read?;
    let stderr = stderr.and_then(|t| t.join().ok()).unwrap_or_default();
    if status.success() {
        Ok(bytes)
    } else {
        let msg = String::from_utf8_lossy(&stderr);
        Err(io::Error::other(msg.lines().next().map_or_else(
            || format!("it exited with {status}"),
            |l| l.trim().to_string(),
        )))
    }
}

/// [`read_bounded`] as UTF-8 text.
pub(crate) fn read_bounded_text(path: &Path, limit: u64, named: Named) -> io::Result<String> {
    String::from_utf8(read_bounded(path, limit, named)?).map_err(|_| {
        io::Error::new(
            io::ErrorKind::InvalidData,
            "stream did not contain valid UTF-8",
        )
    })
}

/// Index of a source in a [`Sources`] set.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FileId(pub u32);

/// A byte range inside one source.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Loc {
    pub file: FileId,
    pub start: usize,
    pub end: usize,
}

impl Loc {
    pub fn new(file: FileId, span: Range<usize>) -> Self {
        Loc {
            file,
            start: span.start,
            end: span.end,
        }
    }
}

/// One text that values were read from.
#[derive(Clone, Debug)]
pub struct SourceFile {
    /// The name shown to users: the path as given on the command line, or `--set`.
    pub name: String,
    /// The path on disk, when the source is a file.
    pub path: Option<PathBuf>,
    pub text: String,
    /// Whether messages may quote lines of the text. Off for a file that does not look like what
    /// it was read as (a `.env` named by `extends`), so that a mistake never prints a secret.
    pub quoted: bool,
}

/// Line and column of a byte offset, both 1-based; the column counts characters, not bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LineCol {
    pub line: usize,
    pub column: usize,
}

/// All sources of one scenario (the file, the files it extends, command-line overrides).
#[derive(Clone, Debug, Default)]
pub struct Sources {
    files: Vec<SourceFile>,
}

impl Sources {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn add(&mut self, name: impl Into<String>, path: Option<&Path>, text: String) -> FileId {
        let id = FileId(u32::try_from(self.files.len()).expect("fewer than 2^32 sources"));
        self.files.push(SourceFile {
            name: name.into(),
            path: path.map(Path::to_path_buf),
            text,
            quoted: true,
        });
        id
    }

    /// Let no message quote the text of `id` (its location is still shown).
    pub fn hide(&mut self, id: FileId) {
        self.files[id.0 as usize].quoted = false;
    }

    pub fn get(&self, id: FileId) -> &SourceFile {
        &self.files[id.0 as usize]
    }

    pub fn files(&self) -> impl Iterator<Item = (FileId, &SourceFile)> {
        self.files
            .iter()
            .enumerate()
            .map(|(i, f)| (FileId(i as u32), f))
    }

    /// Line and column of the start of `loc`.
    pub fn line_col(&self, loc: Loc) -> LineCol {
        line_col(&self.get(loc.file).text, loc.start)
    }
}

/// 1-based line and character column of byte `offset` in `text`.
pub fn line_col(text: &str, offset: usize) -> LineCol {
    let offset = floor_char_boundary(text, offset.min(text.len()));
    let before = &text[..offset];
    let line = before.bytes().filter(|&b| b == b'\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = text[line_start..offset].chars().count() + 1;
    LineCol { line, column }
}

/// The largest char boundary not above `i`.
pub(crate) fn floor_char_boundary(text: &str, mut i: usize) -> usize {
    while i > 0 && !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_and_column_are_one_based_and_count_characters() {
        let text = "a = 1\nné = 2\n";
        assert_eq!(line_col(text, 0), LineCol { line: 1, column: 1 });
        assert_eq!(line_col(text, 6), LineCol { line: 2, column: 1 });
        // `=` after "né " : 'n', 'é' (2 bytes), ' ' -> 4th character.
        let eq = text.find("= 2").unwrap();
        assert_eq!(line_col(text, eq), LineCol { line: 2, column: 4 });
    }

    #[test]
    fn offsets_past_the_end_or_inside_a_character_are_clamped() {
        let text = "é";
        assert_eq!(line_col(text, 1), LineCol { line: 1, column: 1 });
        assert_eq!(line_col(text, 99), LineCol { line: 1, column: 2 });
    }
}
