//! `aicost fit`: scenario inputs measured from real usage logs instead of guessed.
//!
//! Logs are read as a stream ([`readers`], gzip or not, from files or standard input) into a
//! bounded-memory [`summary::Summary`]; the summary is fitted ([`skeleton::fit`]) and written as a
//! scenario. Warehouse aggregates ([`aggregate`]) are summaries computed elsewhere, so a SQL engine
//! can do the reading for logs too large to move. `backtest` reuses the readers.

pub mod aggregate;
pub mod fields;
pub mod hist;
pub mod input;
pub mod plain;
pub mod readers;
pub mod record;
pub mod resolve;
pub mod skeleton;
pub mod span;
pub mod summary;
pub mod update;

use std::path::PathBuf;

use crate::base::error::{Error, UsageKind};
use input::Budget;
use readers::{LogFormat, ReadOptions, Skipped};
use record::Call;
use span::{SetAside, SpanFilter};
use summary::{Accumulator, Summary};

/// How to read logs.
#[derive(Clone, Debug)]
pub struct LogOptions {
    /// `None` detects the format of each file.
    pub format: Option<LogFormat>,
    pub read: ReadOptions,
    /// Largest tolerated share of malformed lines.
    pub max_malformed: f64,
}

impl Default for LogOptions {
    fn default() -> Self {
        LogOptions {
            format: None,
            read: ReadOptions::default(),
            max_malformed: 0.01,
        }
    }
}

/// What reading the logs gave.
#[derive(Debug)]
pub struct Ingested {
    pub summary: Summary,
    pub budget: Budget,
    pub skipped: Skipped,
    /// Calls far outside the logs' span, not fitted.
    pub set_aside: SetAside,
    /// Each file with the format it was read as.
    pub sources: Vec<(String, LogFormat)>,
}

fn format_of(input: &mut input::Input, opts: &LogOptions) -> Result<LogFormat, Error> {
    match opts.format {
        Some(f) => Ok(f),
        None => {
            let name = input.name.clone();
            Ok(readers::detect(&name, input.peek()?))
        }
    }
}

/// Read call logs (or aggregates) into one summary.
pub fn summarize(paths: &[PathBuf], opts: &LogOptions) -> Result<Ingested, Error> {
    input::distinct(paths)?;
    let inputs = paths.iter().map(|p| input::open(p));
    summarize_inputs(inputs, opts, Accumulator::new())
}

/// What reading call logs keeps across files: the malformed-line budget, what was skipped on
/// purpose, and the span filter.
struct CallReader {
    budget: Budget,
    skipped: Skipped,
    span: SpanFilter,
}

impl CallReader {
    fn new(opts: &LogOptions) -> Self {
        CallReader {
            budget: Budget::new(opts.max_malformed),
            skipped: Skipped::default(),
            span: SpanFilter::new(),
        }
    }

    /// Read every call of `input` through the span filter into `f`.
    fn read(
        &mut self,
        input: &mut input::Input,
        format: LogFormat,
        opts: &LogOptions,
        f: &mut dyn FnMut(Call),
    ) -> Result<(), Error> {
        let span = &mut self.span;
        readers::read(
            input,
            format,
            &opts.read,
            &mut self.budget,
            &mut self.skipped,
            &mut |c| span.add(c, f),
        )
    }

    /// The logs have ended: check the malformed share and release the calls held back.
    fn finish(self, f: &mut dyn FnMut(Call)) -> Result<(Budget, Skipped, SetAside), Error> {
        self.budget.finish()?;
        let set_aside = self.span.finish(f)?;
        Ok((self.budget, self.skipped, set_aside))
    }
}

/// [`summarize`] over opened inputs, with a given accumulator (e.g. a small user sample).
pub fn summarize_inputs(
    inputs: impl IntoIterator<Item = Result<input::Input, Error>>,
    opts: &LogOptions,
    mut acc: Accumulator,
) -> Result<Ingested, Error> {
    let mut reader = CallReader::new(opts);
    let mut from_aggregates = Summary::default();
    let mut part_lines = aggregate::PartLines::new();
    let mut sources = Vec::new();
    for input in inputs {
        let mut input = input?;
        let format = format_of(&mut input, opts)?;
        sources.push((input.name.clone(), format));
        if format == LogFormat::Aggregates {
            aggregate::read(
                &mut input,
                &mut reader.budget,
                &mut reader.skipped,
                &mut from_aggregates,
                &mut part_lines,
            )?;
        } else {
            reader.read(&mut input, format, opts, &mut |c| acc.add(&c))?;
        }
    }
    aggregate::check_parts(&mut from_aggregates, &part_lines, &mut reader.budget)?;
    let (budget, skipped, set_aside) = reader.finish(&mut |c| acc.add(&c))?;
    if acc.dropped_parts > 0 {
        return Err(UsageKind::TooManyParts {
            max: summary::MAX_PARTS,
            beyond: acc.dropped_parts,
        }
        .into());
    }
    let mut summary = acc.finish();
    summary.merge(&from_aggregates);
    Ok(Ingested {
        summary,
        budget,
        skipped,
        set_aside,
        sources,
    })
}

/// Stream every call of the logs' span to `f` (aggregates are refused: they hold no calls); calls
/// far outside the span are set aside (see [`span`]).
pub fn for_each_call(
    paths: &[PathBuf],
    opts: &LogOptions,
    f: &mut dyn FnMut(Call),
) -> Result<(Budget, Skipped, SetAside), Error> {
    input::distinct(paths)?;
    let mut reader = CallReader::new(opts);
    for p in paths {
        let mut input = input::open(p)?;
        let format = format_of(&mut input, opts)?;
        if format == LogFormat::Aggregates {
            return Err(UsageKind::AggregatesNotCalls {
                name: Some(input.name.clone()),
            }
            .into());
        }
        reader.read(&mut input, format, opts, f)?;
    }
    reader.finish(f)
}
