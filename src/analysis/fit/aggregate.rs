//! Warehouse aggregates: a [`Summary`] as CSV rows, so logs of billions of rows can be fitted from
//! what a SQL engine computes where they live.
//!
//! One row per `(workflow, model, measure, bucket)` with the columns
//! `workflow,model,measure,bucket,n,sum,sum_sq,sum_ln,sum_ln2`. Token measures carry one row per
//! histogram bucket (`bucket = floor(16·log2(tokens))`, empty for 0 tokens); counters carry only
//! `n`; sums of tokens over a set of calls carry `n` and `sum`. `docs/warehouse.md` gives the
//! measures and a query that produces them (DuckDB, BigQuery, Spark SQL); `docs/fit.md` lists
//! those of cache writes, reasoning, images and audio. Rows of several files, or several rows of
//! the same key, add up, so partitions and shards merge. `aicost fit --aggregates-out` writes the
//! same format from raw logs.

use std::fmt::Write as _;

use super::hist::{Histogram, Moments};
use super::input::{Budget, Input};
use super::readers::Skipped;
use super::summary::{PartStats, Summary, WorkflowStats};
use crate::base::badline::BadLine;
use crate::base::calendar::Date;
use crate::base::error::{Error, UsageKind, suggest};

pub const HEADER: [&str; 9] = [
    "workflow", "model", "measure", "bucket", "n", "sum", "sum_sq", "sum_ln", "sum_ln2",
];

/// Measures of a (workflow, model) pair that are histograms.
pub const PART_HISTOGRAMS: [&str; 11] = [
    "input_tokens_hit",
    "input_tokens_all",
    "cached_tokens",
    "output_tokens",
    "prefix_tokens",
    "uncached_input_tokens",
    "reasoning_tokens",
    "visible_output_tokens",
    "image_tokens",
    "audio_input_tokens",
    "audio_output_tokens",
];
/// Measures of a (workflow, model) pair that are a count of calls (`n`) and a sum of tokens
/// (`sum`) over the calls whose log reports cache writes, or the time to live of their writes.
pub const PART_SUMS: [&str; 4] = [
    "cache_write_tokens",
    "cache_read_tokens",
    "cache_write_ttl_known_tokens",
    "cache_write_1h_tokens",
];
/// Measures of a (workflow, model) pair that are counts (in `n`) or sums (`cost_usd`).
pub const PART_COUNTERS: [&str; 7] = [
    "ok_calls",
    "validation_failures",
    "errors",
    "retries",
    "max_attempt",
    "cache_hits",
    "cost_usd",
];
/// Measures of a workflow (model empty).
pub const WORKFLOW_MEASURES: [&str; 5] = [
    "requests_weekday",
    "requests_weekend",
    "users",
    "user_requests",
    "requests_without_user",
];
/// Measures of the whole log (workflow and model empty); `first_day` and `last_day` carry a date
/// as days since 1970-01-01 in `n` (merged by minimum and maximum).
pub const LOG_MEASURES: [&str; 4] = ["days_weekday", "days_weekend", "first_day", "last_day"];

/// Days since 1970-01-01 further than this (about ±27,000 years) are not a date.
const MAX_DAY_NUMBER: f64 = 1e7;

/// The date whose day number since 1970-01-01 is `n`.
fn day(n: f64, value: &str) -> Result<Date, BadLine> {
    if n.fract() == 0.0 && n.abs() <= MAX_DAY_NUMBER {
        Ok(Date::from_days(n as i64))
    } else {
        Err(BadLine::NotANumber {
            column: "n",
            value: value.to_string(),
        })
    }
}

fn hist_mut<'a>(p: &'a mut PartStats, measure: &str) -> Option<&'a mut Histogram> {
    Some(match measure {
        "input_tokens_hit" => &mut p.input_tokens_hit,
        "input_tokens_all" => &mut p.input_tokens_all,
        "cached_tokens" => &mut p.cached_tokens,
        "output_tokens" => &mut p.output_tokens,
        "prefix_tokens" => &mut p.prefix_tokens,
        "uncached_input_tokens" => &mut p.uncached_input,
        "reasoning_tokens" => &mut p.reasoning_tokens,
        "visible_output_tokens" => &mut p.visible_output_tokens,
        "image_tokens" => &mut p.image_tokens,
        "audio_input_tokens" => &mut p.audio_input_tokens,
        "audio_output_tokens" => &mut p.audio_output_tokens,
        _ => return None,
    })
}

fn num(s: &str, column: &'static str) -> Result<f64, BadLine> {
    let s = s.trim();
    if s.is_empty() || s.eq_ignore_ascii_case("null") {
        return Ok(0.0);
    }
    s.parse::<f64>()
        .ok()
        .filter(|x| x.is_finite())
        .ok_or_else(|| BadLine::NotANumber {
            column,
            value: s.to_string(),
        })
}

/// Read aggregate rows into `into`; names with control characters are renamed (and counted in
/// `skipped`) as [`super::readers::read`] does.
pub fn read(
    input: &mut Input,
    budget: &mut Budget,
    skipped: &mut Skipped,
    into: &mut Summary,
) -> Result<(), Error> {
    let name = input.name.clone();
    let locate = input.locator();
    let mut rdr = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(&mut input.reader);
    let header: Vec<String> = rdr
        .headers()
        .map_err(|e| super::fields::csv_error(&locate, e))?
        .iter()
        .map(|h| h.trim().to_ascii_lowercase())
        .collect();
    let mut col = [0usize; 9];
    for (i, h) in HEADER.iter().enumerate() {
        col[i] = header.iter().position(|c| c == h).ok_or_else(|| {
            let help = suggest(h, header.iter().map(String::as_str)).map_or_else(
                || "see docs/warehouse.md for the query that produces them".to_string(),
                |s| format!("did you mean `{s}`? rename the column to `{h}`"),
            );
            Error::from(
                UsageKind::AggregatesMissingColumn {
                    name: name.to_string(),
                    column: h.to_string(),
                    header: HEADER.join(","),
                }
                .help(help),
            )
        })?;
    }
    let all_measures: Vec<&str> = PART_HISTOGRAMS
        .iter()
        .chain(&PART_COUNTERS)
        .chain(&PART_SUMS)
        .chain(&WORKFLOW_MEASURES)
        .chain(&LOG_MEASURES)
        .copied()
        .collect();
    let mut rec = csv::StringRecord::new();
    loop {
        match rdr.read_record(&mut rec) {
            Ok(false) => return Ok(()),
            Ok(true) => {
                let line = rec.position().map_or(0, |p| p.line());
                let get = |i: usize| rec.get(col[i]).unwrap_or("").trim();
                // Names exactly as written (`a ` and `a` are two workflows); blank is empty.
                let exact = |i: usize| {
                    let s = rec.get(col[i]).unwrap_or("");
                    if s.trim().is_empty() { "" } else { s }
                };
                let row = (|| -> Result<(), BadLine> {
                    let (workflow, model, measure) = (
                        skipped.clean_name(crate::base::escape::csv_uncell(exact(0))),
                        skipped.clean_name(crate::base::escape::csv_uncell(exact(1))),
                        get(2),
                    );
                    let (workflow, model) = (workflow.as_str(), model.as_str());
                    let m = Moments {
                        n: num(get(4), "n")?,
                        sum: num(get(5), "sum")?,
                        sum_sq: num(get(6), "sum_sq")?,
                        sum_ln: num(get(7), "sum_ln")?,
                        sum_ln2: num(get(8), "sum_ln2")?,
                    };
                    if measure == "first_day" || measure == "last_day" {
                        // A date, which may be before 1970; empty when the log had no rows.
                        if get(4).is_empty() || get(4).eq_ignore_ascii_case("null") {
                            return Ok(());
                        }
                        let d = day(m.n, get(4))?;
                        let (slot, keep) = if measure == "first_day" {
                            (&mut into.first_day, Ord::min as fn(Date, Date) -> Date)
                        } else {
                            (&mut into.last_day, Ord::max as fn(Date, Date) -> Date)
                        };
                        *slot = Some(slot.map_or(d, |old| keep(old, d)));
                        return Ok(());
                    }
                    if m.n < 0.0 {
                        return Err(BadLine::NegativeN);
                    }
                    let bucket = match get(3) {
                        "" => None,
                        b if b.eq_ignore_ascii_case("null") => None,
                        b => Some(
                            b.parse::<f64>()
                                .ok()
                                .filter(|x| x.is_finite() && x.fract() == 0.0)
                                .ok_or_else(|| BadLine::BucketNotInteger {
                                    value: b.to_string(),
                                })? as i32,
                        ),
                    };
                    if PART_HISTOGRAMS.contains(&measure)
                        || PART_COUNTERS.contains(&measure)
                        || PART_SUMS.contains(&measure)
                    {
                        if workflow.is_empty() || model.is_empty() {
                            return Err(BadLine::NeedsWorkflowAndModel {
                                measure: measure.to_string(),
                            });
                        }
                        let p = into
                            .parts
                            .entry((workflow.to_string(), model.to_string()))
                            .or_default();
                        if let Some(h) = hist_mut(p, measure) {
                            h.add_bucket(bucket, &m);
                            // The calls these histograms hold are the calls that report cache
                            // writes and used the cache, and those that report reasoning.
                            match measure {
                                "prefix_tokens" => p.cache_active += m.n,
                                "reasoning_tokens" => p.reasoning_reported += m.n,
                                _ => {}
                            }
                            return Ok(());
                        }
                        match measure {
                            "cache_write_tokens" => {
                                p.writes_reported += m.n;
                                p.write_tokens += m.sum;
                                return Ok(());
                            }
                            "cache_read_tokens" => {
                                p.read_tokens_reported += m.sum;
                                return Ok(());
                            }
                            "cache_write_ttl_known_tokens" => {
                                p.ttl_known_calls += m.n;
                                p.write_tokens_ttl_known += m.sum;
                                return Ok(());
                            }
                            "cache_write_1h_tokens" => {
                                p.write_tokens_1h += m.sum;
                                return Ok(());
                            }
                            _ => {}
                        }
                        match measure {
                            "ok_calls" => p.ok_calls += m.n,
                            "validation_failures" => p.validation_failures += m.n,
                            "errors" => p.errors += m.n,
                            "retries" => p.retries += m.n,
                            "max_attempt" => p.max_attempt = p.max_attempt.max(m.n),
                            "cache_hits" => p.cache_hits += m.n,
                            _ => p.cost_usd.merge(&m),
                        }
                        return Ok(());
                    }
                    if WORKFLOW_MEASURES.contains(&measure) {
                        if workflow.is_empty() {
                            return Err(BadLine::NeedsWorkflow {
                                measure: measure.to_string(),
                            });
                        }
                        let w = into.workflows.entry(workflow.to_string()).or_default();
                        match measure {
                            "requests_weekday" => w.requests_weekday += m.n,
                            "requests_weekend" => w.requests_weekend += m.n,
                            "users" => w.users += m.n,
                            "user_requests" => w.user_requests.merge(&m),
                            _ => w.requests_without_user += m.n,
                        }
                        return Ok(());
                    }
                    match measure {
                        "days_weekday" => into.days_weekday += m.n,
                        "days_weekend" => into.days_weekend += m.n,
                        other => {
                            return Err(BadLine::UnknownMeasure {
                                measure: other.to_string(),
                                suggestion: suggest(other, all_measures.iter().copied())
                                    .map(str::to_string),
                            });
                        }
                    }
                    Ok(())
                })();
                match row {
                    Ok(()) => budget.ok(),
                    Err(e) => budget.bad(&name, line, e)?,
                }
            }
            Err(e) => {
                if matches!(e.kind(), csv::ErrorKind::Io(_)) {
                    return Err(super::fields::csv_error(&locate, e));
                }
                let line = e.position().map_or(0, |p| p.line());
                budget.bad(&name, line, BadLine::csv(e))?;
            }
        }
    }
}

fn row(
    out: &mut String,
    workflow: &str,
    model: &str,
    measure: &str,
    bucket: Option<i32>,
    m: &Moments,
) {
    let b = bucket.map_or(String::new(), |b| b.to_string());
    let _ = writeln!(
        out,
        "{},{},{measure},{b},{},{},{},{},{}",
        crate::base::escape::csv_cell(workflow),
        crate::base::escape::csv_cell(model),
        m.n,
        m.sum,
        m.sum_sq,
        m.sum_ln,
        m.sum_ln2
    );
}

fn count(n: f64) -> Moments {
    Moments {
        n,
        ..Moments::default()
    }
}

fn total(n: f64, sum: f64) -> Moments {
    Moments {
        n,
        sum,
        ..Moments::default()
    }
}

/// Write a summary as aggregate rows.
pub fn write(s: &Summary) -> String {
    let mut out = HEADER.join(",");
    out.push('\n');
    for ((w, m), p) in &s.parts {
        for (measure, h) in [
            ("input_tokens_hit", &p.input_tokens_hit),
            ("input_tokens_all", &p.input_tokens_all),
            ("cached_tokens", &p.cached_tokens),
            ("output_tokens", &p.output_tokens),
            ("prefix_tokens", &p.prefix_tokens),
            ("uncached_input_tokens", &p.uncached_input),
            ("reasoning_tokens", &p.reasoning_tokens),
            ("visible_output_tokens", &p.visible_output_tokens),
            ("image_tokens", &p.image_tokens),
            ("audio_input_tokens", &p.audio_input_tokens),
            ("audio_output_tokens", &p.audio_output_tokens),
        ] {
            if h.zero.n > 0.0 {
                row(&mut out, w, m, measure, None, &h.zero);
            }
            for (b, mm) in &h.buckets {
                row(&mut out, w, m, measure, Some(*b), mm);
            }
        }
        for (measure, n) in [
            ("ok_calls", p.ok_calls),
            ("validation_failures", p.validation_failures),
            ("errors", p.errors),
            ("retries", p.retries),
            ("max_attempt", p.max_attempt),
            ("cache_hits", p.cache_hits),
        ] {
            if n > 0.0 {
                row(&mut out, w, m, measure, None, &count(n));
            }
        }
        if p.cost_usd.n > 0.0 {
            row(&mut out, w, m, "cost_usd", None, &p.cost_usd);
        }
        if p.writes_reported > 0.0 {
            let n = p.writes_reported;
            row(
                &mut out,
                w,
                m,
                "cache_write_tokens",
                None,
                &total(n, p.write_tokens),
            );
            let reads = total(n, p.read_tokens_reported);
            row(&mut out, w, m, "cache_read_tokens", None, &reads);
        }
        if p.ttl_known_calls > 0.0 {
            let n = p.ttl_known_calls;
            let known = total(n, p.write_tokens_ttl_known);
            row(&mut out, w, m, "cache_write_ttl_known_tokens", None, &known);
            let one_hour = total(n, p.write_tokens_1h);
            row(&mut out, w, m, "cache_write_1h_tokens", None, &one_hour);
        }
    }
    for (w, ws) in &s.workflows {
        let WorkflowStats {
            requests_weekday,
            requests_weekend,
            users,
            user_requests,
            requests_without_user,
        } = ws;
        row(
            &mut out,
            w,
            "",
            "requests_weekday",
            None,
            &count(*requests_weekday),
        );
        row(
            &mut out,
            w,
            "",
            "requests_weekend",
            None,
            &count(*requests_weekend),
        );
        row(&mut out, w, "", "users", None, &count(*users));
        row(&mut out, w, "", "user_requests", None, user_requests);
        if *requests_without_user > 0.0 {
            row(
                &mut out,
                w,
                "",
                "requests_without_user",
                None,
                &count(*requests_without_user),
            );
        }
    }
    row(
        &mut out,
        "",
        "",
        "days_weekday",
        None,
        &count(s.days_weekday),
    );
    row(
        &mut out,
        "",
        "",
        "days_weekend",
        None,
        &count(s.days_weekend),
    );
    for (measure, d) in [("first_day", s.first_day), ("last_day", s.last_day)] {
        if let Some(d) = d {
            row(&mut out, "", "", measure, None, &count(d.days() as f64));
        }
    }
    out
}
