//! Field parsing every log reader shares: token counts, CSV headers and the errors that stop a
//! CSV read. Kept apart so that the readers of each format depend on it, not on each other.

use std::collections::HashMap;
use std::io::BufRead;

use serde_json::Value;

use super::input::{Input, Locator};
use crate::base::badline::BadLine;
use crate::base::error::{Error, UsageKind, suggest};

/// A token count: a non-negative integer, possibly written as a string or a float (`10.0`); a
/// fraction (`10.5`) is no count of tokens, and is not rounded into one.
pub fn count(v: &Value) -> Result<u64, BadLine> {
    let x = match v {
        Value::Number(n) => n.as_f64().unwrap_or(f64::NAN),
        Value::String(s) => s.trim().parse::<f64>().unwrap_or(f64::NAN),
        Value::Null => return Ok(0),
        _ => f64::NAN,
    };
    if (0.0..1e15).contains(&x) && x.fract() == 0.0 {
        Ok(x as u64)
    } else {
        Err(BadLine::NotATokenCount {
            value: v.to_string(),
        })
    }
}

pub fn header_map(h: &csv::StringRecord, name: &str) -> Result<HashMap<String, usize>, Error> {
    let mut cols = HashMap::new();
    for (i, c) in h.iter().enumerate() {
        let c = c.trim().trim_start_matches('\u{feff}').to_string();
        // Two columns of one name: which one holds the value cannot be told, so neither wins.
        if let Some(first) = cols.get(&c)
            && !c.is_empty()
        {
            return Err(UsageKind::Csv {
                at: format!("{}:1", crate::base::escape::visible(name)),
                error: Some(format!(
                    "the column `{}` appears twice (columns {} and {}); rename or remove one",
                    crate::base::escape::visible(&c),
                    first + 1,
                    i + 1
                )),
            }
            .into());
        }
        cols.entry(c).or_insert(i);
    }
    Ok(cols)
}

pub fn csv_reader(input: &mut Input) -> csv::Reader<&mut Box<dyn BufRead>> {
    csv::ReaderBuilder::new()
        .flexible(true)
        .has_headers(true)
        .from_reader(&mut input.reader)
}

/// A CSV reader's error that stops the read: a failure to read the bytes (located by the input),
/// or a header that is not CSV.
pub fn csv_error(locate: &Locator, e: csv::Error) -> Error {
    if !matches!(e.kind(), csv::ErrorKind::Io(_)) {
        let line = e.position().map_or_else(|| locate.line(), |p| p.line());
        return UsageKind::Csv {
            at: format!("{}:{line}", locate.name),
            error: Some(e.to_string()),
        }
        .into();
    }
    match e.into_kind() {
        csv::ErrorKind::Io(io) => locate.error(io),
        _ => UsageKind::Csv {
            at: locate.name.to_string(),
            error: None,
        }
        .into(),
    }
}

pub fn missing_column(name: &str, col: &str, cols: &HashMap<String, usize>, what: &str) -> Error {
    let found: Vec<&str> = cols.keys().map(String::as_str).collect();
    let help = match found.iter().find(|c| suggest(col, [**c]).is_some()) {
        Some(s) => format!("did you mean `{s}`? rename the column to `{col}`"),
        None => format!(
            "a {what} file needs a header line naming its columns; see docs/fit.md (or pick another --from)"
        ),
    };
    UsageKind::MissingColumn {
        name: name.to_string(),
        column: col.to_string(),
    }
    .help(help)
    .into()
}
