//! Opening usage logs: files or standard input, gzip or not, and the malformed-line budget.
//!
//! Logs come from production, so a bad line is expected and never a panic: it is counted, the
//! first few are kept with their line numbers for the report, and reading stops with an error only
//! when bad lines pass a share of the lines read (after enough lines to judge), so a file of the
//! wrong format fails fast instead of after a gigabyte.
//!
//! Memory stays flat whatever the input: every reader sees the bytes through `Limited`, which
//! counts lines and refuses one longer than [`MAX_LINE_BYTES`] (a 3 MB gzip can inflate to one 3 GB
//! line, and `/dev/zero` is one endless line). The line it counts also locates a read error: a
//! truncated or corrupt gzip stream is reported at the line where the data stops.

use std::io::{self, BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::base::badline::BadLine;
use crate::base::error::{Error, UsageKind};

/// Read buffer size; also how much of the start is available for format sniffing.
const BUFFER: usize = 1 << 18;

/// The longest line a log may have (or element of a JSON array): far more than any logged call,
/// prompt and answer included.
pub const MAX_LINE_BYTES: u64 = 16 << 20;

/// An opened log: a buffered reader of its (decompressed) bytes.
pub struct Input {
    pub name: String,
    pub reader: Box<dyn BufRead>,
    /// Where the reader is, for messages.
    pub position: Arc<Position>,
    /// Whether the bytes are inflated from gzip.
    pub gzip: bool,
}

/// Open `path` (`-` = standard input); gzip is recognised by its magic bytes.
pub fn open(path: &Path) -> Result<Input, Error> {
    let name = path.display().to_string();
    let raw: Box<dyn Read> = if path == Path::new("-") {
        Box::new(io::stdin())
    } else {
        if path.is_dir() {
            return Err(UsageKind::LogIsDirectory { name }.into());
        }
        // A named pipe without a writer or a device would wait or run forever; standard input
        // (`-`) and a pipe the shell opened (`<(zcat log.gz)`) are the ways to stream.
        Box::new(
            crate::base::source::open_input(path, crate::base::source::Named::OnCommandLine)
                .map_err(|source| Error::Read {
                    path: path.to_path_buf(),
                    source,
                })?,
        )
    };
    from_reader(&name, raw)
}

/// Refuse a log named twice (however the path is spelled, links included): its calls would
/// count twice and double the traffic.
pub fn distinct(paths: &[PathBuf]) -> Result<(), Error> {
    // Each path seen, with its device and inode and its canonical form, where known.
    type Seen<'a> = (&'a PathBuf, Option<(u64, u64)>, Option<PathBuf>);
    let mut seen: Vec<Seen> = Vec::new();
    for p in paths {
        let meta = std::fs::metadata(p).ok();
        let id = meta.as_ref().and_then(file_id);
        let canonical = p.canonicalize().ok();
        let stdin = p.as_os_str() == "-";
        if let Some((first, ..)) = seen.iter().find(|(q, qid, qcanon)| {
            (stdin && q.as_os_str() == "-")
                || (!stdin
                    && ((id.is_some() && *qid == id)
                        || (canonical.is_some() && *qcanon == canonical)))
        }) {
            let same = if *first == p {
                format!("`{}` is given twice", p.display())
            } else {
                format!(
                    "`{}` and `{}` are the same file",
                    first.display(),
                    p.display()
                )
            };
            return Err(UsageKind::LogGivenTwice { same }.into());
        }
        seen.push((p, id, canonical));
    }
    Ok(())
}

#[cfg(unix)]
fn file_id(m: &std::fs::Metadata) -> Option<(u64, u64)> {
    use std::os::unix::fs::MetadataExt;
    Some((m.dev(), m.ino()))
}

#[cfg(not(unix))]
fn file_id(_: &std::fs::Metadata) -> Option<(u64, u64)> {
    None
}

/// Wrap any byte stream (a pipe, a socket, a generator); gzip is recognised by its magic bytes.
pub fn from_reader(name: &str, raw: Box<dyn Read>) -> Result<Input, Error> {
    let name = name.to_string();
    let mut buffered = BufReader::with_capacity(BUFFER, raw);
    let head = buffered.fill_buf().map_err(|source| Error::Read {
        path: PathBuf::from(&name),
        source,
    })?;
    let gzip = head.starts_with(&[0x1f, 0x8b]);
    let inner: Box<dyn BufRead> = if gzip {
        Box::new(BufReader::with_capacity(
            BUFFER,
            flate2::read::MultiGzDecoder::new(buffered),
        ))
    } else {
        Box::new(buffered)
    };
    let position = Arc::new(Position::default());
    Ok(Input {
        name,
        reader: Box::new(Limited {
            inner,
            position: position.clone(),
        }),
        position,
        gzip,
    })
}

impl Input {
    /// The first bytes, without consuming them (for format detection).
    pub fn peek(&mut self) -> Result<&[u8], Error> {
        let locate = self.locator();
        self.reader.fill_buf().map_err(|e| locate.error(e))
    }

    /// What turns a read error into a located message, usable while the reader is borrowed.
    pub fn locator(&self) -> Locator {
        Locator {
            name: self.name.clone(),
            position: self.position.clone(),
            gzip: self.gzip,
        }
    }
}

/// How far a reader has got: lines completed, and bytes since the last line break (or since
/// [`Position::restart`]).
#[derive(Debug, Default)]
pub struct Position {
    lines: AtomicU64,
    since: AtomicU64,
}

impl Position {
    /// The 1-based number of the line being read.
    pub fn line(&self) -> u64 {
        self.lines.load(Ordering::Relaxed) + 1
    }

    /// Start counting a record's length afresh: a JSON array may hold every row on one line,
    /// and the limit applies to each row.
    pub fn restart(&self) {
        self.since.store(0, Ordering::Relaxed);
    }
}

/// A line longer than [`MAX_LINE_BYTES`], as the payload of an `io::Error`.
#[derive(Debug)]
struct LineTooLong;

impl std::fmt::Display for LineTooLong {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "a line longer than {} MiB", MAX_LINE_BYTES >> 20)
    }
}

impl std::error::Error for LineTooLong {}

/// A reader that counts lines and fails on one longer than [`MAX_LINE_BYTES`] before a caller
/// could buffer it.
struct Limited {
    inner: Box<dyn BufRead>,
    position: Arc<Position>,
}

impl Read for Limited {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let n = {
            let buf = self.fill_buf()?;
            let n = buf.len().min(out.len());
            out[..n].copy_from_slice(&buf[..n]);
            n
        };
        self.consume(n);
        Ok(n)
    }
}

impl BufRead for Limited {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        if self.position.since.load(Ordering::Relaxed) > MAX_LINE_BYTES {
            return Err(io::Error::new(io::ErrorKind::InvalidData, LineTooLong));
        }
        self.inner.fill_buf()
    }

    fn consume(&mut self, amt: usize) {
        if amt > 0 {
            // The bytes consumed are still in the inner buffer: count their line breaks.
            if let Ok(buf) = self.inner.fill_buf() {
                let taken = &buf[..amt.min(buf.len())];
                let p = &self.position;
                match taken.iter().rposition(|b| *b == b'\n') {
                    Some(last) => {
                        let breaks = taken.iter().filter(|b| **b == b'\n').count() as u64;
                        p.lines.fetch_add(breaks, Ordering::Relaxed);
                        p.since
                            .store((taken.len() - last - 1) as u64, Ordering::Relaxed);
                    }
                    None => {
                        p.since.fetch_add(taken.len() as u64, Ordering::Relaxed);
                    }
                }
            }
        }
        self.inner.consume(amt);
    }
}

/// Turns read errors of one input into messages located at the line where reading stopped.
#[derive(Clone, Debug)]
pub struct Locator {
    pub name: String,
    position: Arc<Position>,
    gzip: bool,
}

impl Locator {
    /// The line being read.
    pub fn line(&self) -> u64 {
        self.position.line()
    }

    /// A read error, located: a line too long, a gzip stream cut short or corrupt, or any other
    /// failure to read.
    pub fn error(&self, e: io::Error) -> Error {
        self.known(&e).unwrap_or_else(|| Error::Read {
            path: PathBuf::from(format!("{}:{}", self.name, self.line())),
            source: e,
        })
    }

    /// The message for a read error inside another error (a JSON parser's), when it is one of
    /// those [`Locator::error`] explains.
    pub fn known(&self, e: &io::Error) -> Option<Error> {
        let (name, line) = (&self.name, self.line());
        if e.get_ref().is_some_and(|inner| inner.is::<LineTooLong>()) {
            return Some(
                UsageKind::LineTooLong {
                    at: format!("{name}:{line}"),
                    max_mib: MAX_LINE_BYTES >> 20,
                }
                .into(),
            );
        }
        if self.gzip && e.kind() == io::ErrorKind::UnexpectedEof {
            return Some(
                UsageKind::GzipTruncated {
                    at: format!("{name}:{line}"),
                }
                .into(),
            );
        }
        if self.gzip
            && matches!(
                e.kind(),
                io::ErrorKind::InvalidData | io::ErrorKind::InvalidInput
            )
        {
            return Some(
                UsageKind::GzipCorrupt {
                    at: format!("{name}:{line}"),
                    error: e.to_string(),
                }
                .into(),
            );
        }
        None
    }
}

/// Lines (or records) that could not be read.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Malformed {
    pub count: u64,
    /// The first few: (file, line number, reason).
    pub first: Vec<(String, u64, String)>,
}

/// How many malformed lines to keep for the report.
pub const MALFORMED_SHOWN: usize = 10;
/// Lines read before the malformed share is judged mid-stream.
pub const JUDGE_AFTER: u64 = 1000;

/// The malformed-line budget of one run.
#[derive(Clone, Debug)]
pub struct Budget {
    /// Largest tolerated share of malformed lines.
    pub max_share: f64,
    pub lines: u64,
    pub malformed: Malformed,
}

impl Budget {
    pub fn new(max_share: f64) -> Self {
        Budget {
            max_share,
            lines: 0,
            malformed: Malformed::default(),
        }
    }

    /// Count a good line.
    pub fn ok(&mut self) {
        self.lines += 1;
    }

    /// Count a bad line; `Err` once bad lines are over budget.
    pub fn bad(&mut self, file: &str, line: u64, reason: BadLine) -> Result<(), Error> {
        self.lines += 1;
        self.malformed.count += 1;
        if self.malformed.first.len() < MALFORMED_SHOWN {
            let mut reason = reason.to_string();
            if reason.len() > 200 {
                let cut = crate::base::source::floor_char_boundary(&reason, 200);
                reason.truncate(cut);
                reason.push('…');
            }
            self.malformed.first.push((file.to_string(), line, reason));
        }
        if self.lines >= JUDGE_AFTER && self.over() {
            return Err(self.error());
        }
        Ok(())
    }

    pub fn over(&self) -> bool {
        self.lines > 0 && self.malformed.count as f64 > self.max_share * self.lines as f64
    }

    /// Check at the end of the input.
    pub fn finish(&self) -> Result<(), Error> {
        if self.over() {
            Err(self.error())
        } else {
            Ok(())
        }
    }

    fn error(&self) -> Error {
        UsageKind::TooMalformed {
            count: self.malformed.count,
            lines: self.lines,
            max_share: self.max_share,
            report: self.report(),
        }
        .into()
    }

    /// The first malformed lines, one per line, indented.
    pub fn report(&self) -> String {
        let mut out = String::new();
        // A reason may quote the line; neither it nor the file name may act on the terminal.
        for (file, line, reason) in &self.malformed.first {
            out.push_str(&format!(
                "  {}:{line}: {}\n",
                crate::base::escape::visible(file),
                crate::base::escape::visible(reason)
            ));
        }
        if self.malformed.count > self.malformed.first.len() as u64 {
            out.push_str(&format!(
                "  … and {} more\n",
                self.malformed.count - self.malformed.first.len() as u64
            ));
        }
        out
    }
}
