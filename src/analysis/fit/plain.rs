//! The plain CSV log format: a header naming its columns, then one call per line. The columns
//! are documented in `docs/fit.md`; [`PLAIN_COLUMNS`] lists them.

use serde_json::Value;

use super::fields::{count, csv_error, csv_reader, header_map, missing_column};
use super::input::{Budget, Input};
use super::record::{Call, Status};
use crate::base::badline::BadLine;
use crate::base::calendar::Timestamp;
use crate::base::error::Error;

/// Columns of the plain CSV format; `cached_tokens` and the columns after `status` are optional.
pub const PLAIN_COLUMNS: [&str; 16] = [
    "timestamp",
    "user",
    "workflow",
    "model",
    "input_tokens",
    "cached_tokens",
    "output_tokens",
    "status",
    "attempt",
    "cost_usd",
    "cache_write_tokens",
    "cache_write_1h_tokens",
    "reasoning_tokens",
    "image_tokens",
    "audio_input_tokens",
    "audio_output_tokens",
];
const PLAIN_REQUIRED: usize = 7;

/// Read every call of a plain CSV log.
pub fn read(
    input: &mut Input,
    budget: &mut Budget,
    sink: &mut dyn FnMut(Call),
) -> Result<(), Error> {
    let name = input.name.clone();
    let locate = input.locator();
    let mut rdr = csv_reader(input);
    let cols = header_map(rdr.headers().map_err(|e| csv_error(&locate, e))?, &name)?;
    for needed in PLAIN_COLUMNS[..PLAIN_REQUIRED]
        .iter()
        .filter(|c| **c != "cached_tokens")
    {
        if !cols.contains_key(*needed) {
            return Err(missing_column(&name, needed, &cols, "plain CSV"));
        }
    }
    let idx = |c: &str| cols.get(c).copied();
    let [
        ts,
        user,
        wf,
        model,
        inp,
        cached,
        out,
        status,
        attempt,
        cost,
        write,
        write_1h,
        reasoning,
        image,
        audio_in,
        audio_out,
    ] = PLAIN_COLUMNS.map(idx);
    let mut rec = csv::StringRecord::new();
    loop {
        match rdr.read_record(&mut rec) {
            Ok(false) => return Ok(()),
            Ok(true) => {
                let line = rec.position().map_or(0, |p| p.line());
                if rec.len() < cols.len() {
                    budget.bad(
                        &name,
                        line,
                        BadLine::TooFewFields {
                            fields: rec.len(),
                            header: cols.len(),
                        },
                    )?;
                    continue;
                }
                let get =
                    |i: Option<usize>| i.and_then(|i| rec.get(i)).map(str::trim).unwrap_or("");
                // Names are data: kept exactly as logged (`a ` and `a` are two workflows), and
                // empty only when nothing but blanks.
                let exact = |i: Option<usize>| {
                    let s = i.and_then(|i| rec.get(i)).unwrap_or("");
                    if s.trim().is_empty() { "" } else { s }
                };
                let parsed = (|| -> Result<Call, BadLine> {
                    let tokens =
                        |i: Option<usize>, k: &str, required: bool| -> Result<u64, BadLine> {
                            let s = get(i);
                            if s.is_empty() && !required {
                                return Ok(0);
                            }
                            count(&Value::String(s.to_string())).map_err(|_| {
                                BadLine::ColumnNotATokenCount {
                                    key: k.to_string(),
                                    value: s.to_string(),
                                }
                            })
                        };
                    let optional = |i: Option<usize>, k: &str| -> Result<Option<u64>, BadLine> {
                        if get(i).is_empty() {
                            Ok(None)
                        } else {
                            tokens(i, k, true).map(Some)
                        }
                    };
                    let wf = exact(wf);
                    let model = exact(model);
                    if wf.is_empty() || model.is_empty() {
                        return Err(BadLine::EmptyWorkflowOrModel);
                    }
                    let timestamp =
                        Timestamp::parse(get(ts)).ok_or_else(|| BadLine::UnreadableTimestamp {
                            value: get(ts).to_string(),
                        })?;
                    let mut c = Call::new(timestamp, wf.to_string(), model.to_string());
                    c.user = Some(exact(user))
                        .filter(|u| !u.is_empty())
                        .map(str::to_string);
                    c.input_tokens = tokens(inp, "input_tokens", true)?;
                    c.cached_tokens = tokens(cached, "cached_tokens", false)?;
                    c.cache_write_tokens = optional(write, "cache_write_tokens")?;
                    c.cache_write_1h_tokens = optional(write_1h, "cache_write_1h_tokens")?;
                    c.image_tokens = tokens(image, "image_tokens", false)?;
                    c.audio_input_tokens = tokens(audio_in, "audio_input_tokens", false)?;
                    c.output_tokens = tokens(out, "output_tokens", true)?;
                    c.reasoning_tokens = optional(reasoning, "reasoning_tokens")?;
                    c.audio_output_tokens = tokens(audio_out, "audio_output_tokens", false)?;
                    c.check()?;
                    c.status =
                        Status::parse(get(status)).ok_or_else(|| BadLine::UnknownStatus {
                            value: get(status).to_string(),
                            list: true,
                        })?;
                    c.attempt = match get(attempt) {
                        "" => None,
                        s => Some(s.parse::<u32>().ok().filter(|a| *a >= 1).ok_or_else(|| {
                            BadLine::BadAttempt {
                                value: s.to_string(),
                            }
                        })?),
                    };
                    c.cost_usd = match get(cost) {
                        "" => None,
                        s => Some(super::record::call_cost(
                            s.parse::<f64>().ok(),
                            s,
                            BadLine::UnreadableCost {
                                key: Some("cost_usd".to_string()),
                                value: s.to_string(),
                            },
                        )?),
                    };
                    Ok(c)
                })();
                match parsed {
                    Ok(c) => {
                        budget.ok();
                        sink(c);
                    }
                    Err(e) => budget.bad(&name, line, e)?,
                }
            }
            Err(e) => {
                if matches!(e.kind(), csv::ErrorKind::Io(_)) {
                    return Err(csv_error(&locate, e));
                }
                let line = e.position().map_or(0, |p| p.line());
                budget.bad(&name, line, BadLine::csv(e))?;
            }
        }
    }
}
