//! Opening usage logs: files or standard input, gzip or not, and the malformed-line budget.
//!
//! Logs come from production, so a bad line is expected and never a panic: it is counted, the
//! first few are kept with their line numbers for the report, and reading stops with an error only
//! when bad lines pass a share of the lines read (after enough lines to judge), so a file of the
//! wrong format fails fast instead of after a gigabyte.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use crate::error::Error;

/// Read buffer size; also how much of the start is available for format sniffing.
const BUFFER: usize = 1 << 18;

/// An opened log: a buffered reader of its (decompressed) bytes.
pub struct Input {
    pub name: String,
    pub reader: Box<dyn BufRead>,
}

/// Open `path` (`-` = standard input); gzip is recognised by its magic bytes.
pub fn open(path: &Path) -> Result<Input, Error> {
    let name = path.display().to_string();
    let raw: Box<dyn Read> = if path == Path::new("-") {
        Box::new(io::stdin())
    } else {
        if path.is_dir() {
            return Err(Error::Usage(format!(
                "`{name}` is a directory; pass log files (they may be gzipped)"
            )));
        }
        Box::new(File::open(path).map_err(|source| Error::Read {
            path: path.to_path_buf(),
            source,
        })?)
    };
    from_reader(&name, raw)
}

/// Wrap any byte stream (a pipe, a socket, a generator); gzip is recognised by its magic bytes.
pub fn from_reader(name: &str, raw: Box<dyn Read>) -> Result<Input, Error> {
    let name = name.to_string();
    let mut buffered = BufReader::with_capacity(BUFFER, raw);
    let head = buffered.fill_buf().map_err(|source| Error::Read {
        path: PathBuf::from(&name),
        source,
    })?;
    let reader: Box<dyn BufRead> = if head.starts_with(&[0x1f, 0x8b]) {
        Box::new(BufReader::with_capacity(
            BUFFER,
            flate2::read::MultiGzDecoder::new(buffered),
        ))
    } else {
        Box::new(buffered)
    };
    Ok(Input { name, reader })
}

impl Input {
    /// The first bytes, without consuming them (for format detection).
    pub fn peek(&mut self) -> Result<&[u8], Error> {
        let name = self.name.clone();
        self.reader.fill_buf().map_err(|source| Error::Read {
            path: PathBuf::from(name),
            source,
        })
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
    pub fn bad(&mut self, file: &str, line: u64, reason: impl Into<String>) -> Result<(), Error> {
        self.lines += 1;
        self.malformed.count += 1;
        if self.malformed.first.len() < MALFORMED_SHOWN {
            let mut reason = reason.into();
            if reason.len() > 200 {
                let cut = crate::source::floor_char_boundary(&reason, 200);
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
        Error::Usage(format!(
            "{} of {} lines read are malformed (more than {}%); stopped\n{}  = help: check the format (--from), or raise --max-malformed",
            self.malformed.count,
            self.lines,
            self.max_share * 100.0,
            self.report()
        ))
    }

    /// The first malformed lines, one per line, indented.
    pub fn report(&self) -> String {
        let mut out = String::new();
        for (file, line, reason) in &self.malformed.first {
            out.push_str(&format!("  {file}:{line}: {reason}\n"));
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
