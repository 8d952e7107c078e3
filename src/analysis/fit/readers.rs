//! The log formats `fit` and `backtest` read, each streamed record by record.
//!
//! - **OpenTelemetry GenAI spans** as JSON lines: one span per line with an `attributes` object,
//!   or one OTLP/JSON export (`resourceSpans`) per line. The names of semantic-conventions-genai
//!   (cache reads and writes, reasoning, per-modality tokens) and the older ones are accepted.
//! - **LiteLLM spend logs** (`LiteLLM_SpendLogs` rows) as CSV, JSON lines or one JSON array, and
//!   the SDK's logging payloads (StandardLoggingPayload) as JSON lines.
//! - **Plain CSV** with the header
//!   `timestamp,user,workflow,model,input_tokens,cached_tokens,output_tokens,status` and optional
//!   cache-write, reasoning, image and audio columns.
//!
//! The plain CSV reader is in [`plain`](super::plain). Each reader calls the sink once per call
//! and counts every unreadable line in the [`Budget`]; nothing is held but the current line.
//! `docs/fit.md` documents each format.

use std::collections::HashMap;
use std::io::BufRead;

use serde_json::{Map, Value};

use super::fields::{count, csv_error, csv_reader, header_map, missing_column};
use super::input::{Budget, Input};
pub use super::plain::PLAIN_COLUMNS;
use super::record::{Call, Status};
use crate::base::badline::{BadLine, Convention};
use crate::base::calendar::Timestamp;
use crate::base::error::{Error, UsageKind};

/// The formats `--from` names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogFormat {
    Otel,
    Litellm,
    Csv,
    /// Warehouse aggregates (see [`aggregate`](super::aggregate)).
    Aggregates,
}

/// What a reader skipped on purpose (not malformed).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Skipped {
    /// Spans without token usage (not model calls).
    pub other_spans: u64,
    /// LiteLLM proxy cache hits: served without a model call.
    pub proxy_cache_hits: u64,
    /// Calls (or aggregate rows) whose workflow or model name held control characters, which
    /// were replaced so that the scenario written from them validates.
    pub renamed: u64,
    /// Aggregate rows whose workflow or model name held such characters.
    pub renamed_rows: u64,
    /// Names after replacement that holds U+FFFD, with the first name as logged.
    pub replaced_from: std::collections::BTreeMap<String, String>,
    /// Names after replacement that two different logged names became (merged into one).
    pub merged: std::collections::BTreeSet<String>,
}

impl Skipped {
    /// `name` with every character no scenario name may hold replaced by U+FFFD (a log is data,
    /// not text to pass on to a terminal or a TOML file); a replacement is counted.
    pub fn clean_name(&mut self, name: &str) -> String {
        let clean = crate::base::escape::sanitize_name(name);
        if let std::borrow::Cow::Owned(_) = clean {
            self.renamed += 1;
        }
        let clean = clean.into_owned();
        self.note(name, &clean);
        clean
    }

    /// Remember that `logged` reads as `clean`; two logged names that read the same (`a\tb`,
    /// `a\nb` and `a\u{FFFD}b`) are noted as merged.
    pub fn note(&mut self, logged: &str, clean: &str) {
        /// Names remembered at most, so that a hostile log cannot grow the map without bound.
        const KEEP: usize = 10_000;
        if !clean.contains('\u{FFFD}') {
            return;
        }
        match self.replaced_from.get(clean) {
            Some(first) if first != logged => {
                self.merged.insert(clean.to_string());
            }
            Some(_) => {}
            None if self.replaced_from.len() < KEEP => {
                self.replaced_from
                    .insert(clean.to_string(), logged.to_string());
            }
            None => {}
        }
    }
}

/// Reader settings.
#[derive(Clone, Debug, Default)]
pub struct ReadOptions {
    /// Where the workflow name comes from (see `docs/fit.md`).
    pub group_by: Option<String>,
}

/// Guess the format from the file name and its first bytes.
pub fn detect(name: &str, head: &[u8]) -> LogFormat {
    let text = String::from_utf8_lossy(&head[..head.len().min(65_536)]);
    let first_line = text.lines().next().unwrap_or("").to_ascii_lowercase();
    let lower = name.to_ascii_lowercase();
    let trimmed = text.trim_start();
    if trimmed.starts_with('{') || trimmed.starts_with('[') {
        if text.contains("gen_ai.") || text.contains("resourceSpans") {
            LogFormat::Otel
        } else {
            LogFormat::Litellm
        }
    } else if first_line.contains("measure") && first_line.contains("bucket") {
        LogFormat::Aggregates
    } else if first_line.contains("prompt_tokens") || first_line.contains("completion_tokens") {
        LogFormat::Litellm
    } else if lower.contains(".jsonl") || lower.contains(".ndjson") {
        LogFormat::Otel
    } else {
        LogFormat::Csv
    }
}

/// Read every call of `input` in `format`.
pub fn read(
    input: &mut Input,
    format: LogFormat,
    opts: &ReadOptions,
    budget: &mut Budget,
    skipped: &mut Skipped,
    sink: &mut dyn FnMut(Call),
) -> Result<(), Error> {
    // Names with control characters are replaced before anything counts them, so that two
    // spellings that print the same become one workflow.
    let mut renamed = 0;
    let mut notes = Skipped::default();
    let mut sink = |mut c: Call| {
        let mut clean = |s: &mut String| {
            let changed = if let std::borrow::Cow::Owned(t) = crate::base::escape::sanitize_name(s)
            {
                let logged = std::mem::replace(s, t);
                notes.note(&logged, s);
                true
            } else {
                false
            };
            if !changed && s.contains('\u{FFFD}') {
                notes.note(&s.clone(), s);
            }
            changed
        };
        let (w, m) = (clean(&mut c.workflow), clean(&mut c.model));
        if w || m {
            renamed += 1;
        }
        sink(c);
    };
    let sink: &mut dyn FnMut(Call) = &mut sink;
    let result = read_format(input, format, opts, budget, skipped, sink);
    skipped.renamed += renamed;
    for (clean, logged) in notes.replaced_from {
        skipped.note(&logged, &clean);
    }
    skipped.merged.extend(notes.merged);
    result
}

fn read_format(
    input: &mut Input,
    format: LogFormat,
    opts: &ReadOptions,
    budget: &mut Budget,
    skipped: &mut Skipped,
    sink: &mut dyn FnMut(Call),
) -> Result<(), Error> {
    match format {
        LogFormat::Otel => read_otel(input, opts, budget, skipped, sink),
        LogFormat::Litellm => {
            let head = input.peek()?;
            let first = head.iter().find(|b| !b.is_ascii_whitespace()).copied();
            match first {
                Some(b'[') => read_litellm_json_array(input, opts, budget, skipped, sink),
                Some(b'{') => read_litellm_json_lines(input, opts, budget, skipped, sink),
                _ => read_litellm_csv(input, opts, budget, skipped, sink),
            }
        }
        LogFormat::Csv => super::plain::read(input, budget, sink),
        LogFormat::Aggregates => Err(UsageKind::AggregatesNotCalls { name: None }.into()),
    }
}

/// Call `f` on each non-empty line with its 1-based number.
fn for_each_line(
    input: &mut Input,
    mut f: impl FnMut(u64, &[u8]) -> Result<(), Error>,
) -> Result<(), Error> {
    let mut buf = Vec::with_capacity(4096);
    let mut line = 0u64;
    let locate = input.locator();
    loop {
        buf.clear();
        let n = input
            .reader
            .read_until(b'\n', &mut buf)
            .map_err(|e| locate.error(e))?;
        if n == 0 {
            return Ok(());
        }
        line += 1;
        let trimmed = buf.trim_ascii();
        if trimmed.is_empty() {
            continue;
        }
        f(line, trimmed)?;
        // Keep memory flat after one huge line.
        if buf.capacity() > 1 << 22 {
            buf = Vec::with_capacity(4096);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// OpenTelemetry

fn scalar_str(v: &Value) -> Option<String> {
    match v {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// Span or resource attributes by key.
type Attributes = HashMap<String, Value>;

/// An OTLP/JSON `AnyValue` as a plain JSON value.
fn otlp_value(v: &Value) -> Value {
    let Some(o) = v.as_object() else {
        return v.clone();
    };
    for k in ["stringValue", "intValue", "doubleValue", "boolValue"] {
        if let Some(x) = o.get(k) {
            return x.clone();
        }
    }
    if let Some(arr) = o
        .get("arrayValue")
        .and_then(|a| a.get("values"))
        .and_then(Value::as_array)
    {
        return Value::Array(arr.iter().map(otlp_value).collect());
    }
    Value::Null
}

/// Attributes of a span: a JSON object, or OTLP's `[{key, value}]` list.
fn attributes(v: Option<&Value>, into: &mut HashMap<String, Value>) {
    match v {
        Some(Value::Object(m)) => {
            for (k, x) in m {
                into.insert(k.clone(), x.clone());
            }
        }
        Some(Value::Array(list)) => {
            for kv in list {
                if let (Some(k), Some(x)) = (kv.get("key").and_then(Value::as_str), kv.get("value"))
                {
                    into.insert(k.to_string(), otlp_value(x));
                }
            }
        }
        _ => {}
    }
}

const OTEL_INPUT: [&str; 2] = ["gen_ai.usage.input_tokens", "gen_ai.usage.prompt_tokens"];
const OTEL_OUTPUT: [&str; 2] = [
    "gen_ai.usage.output_tokens",
    "gen_ai.usage.completion_tokens",
];
/// Cache reads: the current name, then the flat spelling of semantic-conventions #3163.
const OTEL_CACHED: [&str; 3] = [
    "gen_ai.usage.cache_read.input_tokens",
    "gen_ai.usage.cache_read_input_tokens",
    "gen_ai.usage.cached_tokens",
];
/// Cache writes: the current name (semantic-conventions-genai #440 renamed `cache_creation` to
/// `cache_write`), then the name it replaced, then the flat spelling of #3163.
const OTEL_CACHE_WRITE: [&str; 3] = [
    "gen_ai.usage.cache_write.input_tokens",
    "gen_ai.usage.cache_creation.input_tokens",
    "gen_ai.usage.cache_creation_input_tokens",
];
const OTEL_REASONING: [&str; 2] = [
    "gen_ai.usage.reasoning.output_tokens",
    "gen_ai.usage.reasoning_tokens",
];
const OTEL_IMAGE_INPUT: [&str; 1] = ["gen_ai.usage.image.input_tokens"];
const OTEL_AUDIO_INPUT: [&str; 1] = ["gen_ai.usage.audio.input_tokens"];
const OTEL_AUDIO_OUTPUT: [&str; 1] = ["gen_ai.usage.audio.output_tokens"];
/// What the call cost: LiteLLM's span attribute (`litellm.cost.total` in its v2 spans), then
/// names other instrumentations use, then the one an application can set itself.
const OTEL_COST: [&str; 4] = [
    "gen_ai.cost.total_cost",
    "litellm.cost.total",
    "gen_ai.usage.cost",
    "aicost.cost_usd",
];
const OTEL_MODEL: [&str; 2] = ["gen_ai.request.model", "gen_ai.response.model"];
/// `llm.user` is where LiteLLM's spans carry the caller's `user`.
const OTEL_USER: [&str; 5] = [
    "enduser.id",
    "user.id",
    "gen_ai.user.id",
    "llm.user",
    "user",
];

fn first<'a>(attrs: &'a HashMap<String, Value>, keys: &[&str]) -> Option<&'a Value> {
    keys.iter()
        .find_map(|k| attrs.get(*k).filter(|v| !v.is_null()))
}

fn span_time(span: &Map<String, Value>) -> Option<Timestamp> {
    for k in [
        "startTimeUnixNano",
        "start_time_unix_nano",
        "start_time",
        "startTime",
        "timestamp",
        "time",
    ] {
        if let Some(v) = span.get(k)
            && let Some(t) = scalar_str(v).and_then(|s| Timestamp::parse(&s))
        {
            return Some(t);
        }
    }
    None
}

fn span_failed(span: &Map<String, Value>, attrs: &HashMap<String, Value>) -> bool {
    if attrs.get("error.type").is_some_and(|v| !v.is_null()) {
        return true;
    }
    match span
        .get("status")
        .and_then(|s| s.get("code").or_else(|| s.get("status_code")))
    {
        Some(Value::Number(n)) => n.as_u64() == Some(2),
        Some(Value::String(s)) => s.to_ascii_uppercase().contains("ERROR"),
        _ => false,
    }
}

/// One span → a call (`Ok(None)` for a span that is not a model call).
fn otel_span(
    span: &Map<String, Value>,
    resource: &HashMap<String, Value>,
    opts: &ReadOptions,
) -> Result<Option<Call>, BadLine> {
    let mut attrs = resource.clone();
    attributes(span.get("attributes"), &mut attrs);
    if span.get("attributes").is_none() {
        // A flat record with the attributes at the top level.
        for (k, v) in span {
            if k.contains('.') {
                attrs.insert(k.clone(), v.clone());
            }
        }
    }
    let input = first(&attrs, &OTEL_INPUT);
    let output = first(&attrs, &OTEL_OUTPUT);
    let failed = span_failed(span, &attrs);
    if input.is_none() && output.is_none() {
        // A failed model call reports no usage: it is a provider error, not another kind of
        // span. A span is a model call when it names a model.
        if !(failed && first(&attrs, &OTEL_MODEL).is_some()) {
            return Ok(None);
        }
    }
    let tokens = |keys: &[&str]| first(&attrs, keys).map_or(Ok(0), count);
    let model = first(&attrs, &OTEL_MODEL)
        .and_then(scalar_str)
        .ok_or(BadLine::NoOtelModel)?;
    let timestamp = span_time(span).ok_or(BadLine::NoOtelStartTime)?;
    let workflow = match &opts.group_by {
        None => "all".to_string(),
        Some(k) => attrs
            .get(k)
            .and_then(scalar_str)
            .unwrap_or_else(|| "(none)".to_string()),
    };
    let mut call = Call::new(timestamp, workflow, model);
    call.input_tokens = input.map_or(Ok(0), count)?;
    call.output_tokens = output.map_or(Ok(0), count)?;
    call.cached_tokens = tokens(&OTEL_CACHED)?;
    call.cache_write_tokens = first(&attrs, &OTEL_CACHE_WRITE).map(count).transpose()?;
    call.reasoning_tokens = first(&attrs, &OTEL_REASONING).map(count).transpose()?;
    call.image_tokens = tokens(&OTEL_IMAGE_INPUT)?;
    call.audio_input_tokens = tokens(&OTEL_AUDIO_INPUT)?;
    call.audio_output_tokens = tokens(&OTEL_AUDIO_OUTPUT)?;
    call.check()
        .map_err(|e| e.counted(Convention::OpenTelemetry))?;
    call.cost_usd = first(&attrs, &OTEL_COST).map(cost).transpose()?;
    let validation_failed = attrs
        .get("aicost.validation_failed")
        .is_some_and(|v| v == &Value::Bool(true) || v.as_str() == Some("true"))
        || attrs
            .get("aicost.status")
            .and_then(Value::as_str)
            .and_then(Status::parse)
            == Some(Status::ValidationFailed);
    call.status = if failed {
        Status::Error
    } else if validation_failed {
        Status::ValidationFailed
    } else {
        Status::Ok
    };
    call.attempt = if let Some(a) = attrs.get("aicost.attempt") {
        Some(count(a)? as u32)
    } else if let Some(r) = attrs.get("http.request.resend_count") {
        Some((count(r)? as u32).saturating_add(1))
    } else {
        None
    };
    call.user = first(&attrs, &OTEL_USER).and_then(scalar_str);
    Ok(Some(call))
}

/// A logged cost in USD: a finite, non-negative number (or its text) that one call can cost.
fn cost(v: &Value) -> Result<f64, BadLine> {
    let x = match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse::<f64>().ok(),
        _ => None,
    };
    let value = v.to_string();
    super::record::call_cost(
        x,
        &value,
        BadLine::NotACost {
            value: value.clone(),
        },
    )
}

fn read_otel(
    input: &mut Input,
    opts: &ReadOptions,
    budget: &mut Budget,
    skipped: &mut Skipped,
    sink: &mut dyn FnMut(Call),
) -> Result<(), Error> {
    let name = input.name.clone();
    for_each_line(input, |line, bytes| {
        let v: Value = match serde_json::from_slice(bytes) {
            Ok(v) => v,
            Err(e) => return budget.bad(&name, line, BadLine::not_json(e)),
        };
        let Some(obj) = v.as_object() else {
            return budget.bad(&name, line, BadLine::NotJsonObject);
        };
        let mut spans: Vec<(&Map<String, Value>, Attributes)> = Vec::new();
        if let Some(rs) = obj.get("resourceSpans").and_then(Value::as_array) {
            for r in rs {
                let mut resource = HashMap::new();
                attributes(
                    r.get("resource").and_then(|x| x.get("attributes")),
                    &mut resource,
                );
                let scopes = r
                    .get("scopeSpans")
                    .or_else(|| r.get("instrumentationLibrarySpans"))
                    .and_then(Value::as_array);
                for s in scopes.into_iter().flatten() {
                    for span in s
                        .get("spans")
                        .and_then(Value::as_array)
                        .into_iter()
                        .flatten()
                    {
                        if let Some(m) = span.as_object() {
                            spans.push((m, resource.clone()));
                        }
                    }
                }
            }
        } else {
            spans.push((obj, HashMap::new()));
        }
        let mut bad = None;
        let mut any = false;
        for (span, resource) in spans {
            match otel_span(span, &resource, opts) {
                Ok(Some(call)) => {
                    any = true;
                    sink(call);
                }
                Ok(None) => skipped.other_spans += 1,
                Err(e) => bad = Some(e),
            }
        }
        match bad {
            Some(e) => budget.bad(&name, line, e),
            None => {
                let _ = any;
                budget.ok();
                Ok(())
            }
        }
    })
}

// ---------------------------------------------------------------------------------------------
// LiteLLM spend logs

/// A row of a spend log, from CSV or JSON.
enum Row<'a> {
    Csv(&'a csv::StringRecord, &'a HashMap<String, usize>),
    Json(&'a Map<String, Value>),
}

impl Row<'_> {
    fn str(&self, key: &str) -> Option<String> {
        match self {
            Row::Csv(r, cols) => cols
                .get(key)
                .and_then(|&i| r.get(i))
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string),
            Row::Json(m) => m.get(key).and_then(scalar_str),
        }
    }

    /// A name (model, user, workflow): exactly as logged, as JSON rows give it; `None` when
    /// absent or nothing but blanks.
    fn name(&self, key: &str) -> Option<String> {
        match self {
            Row::Csv(r, cols) => cols
                .get(key)
                .and_then(|&i| r.get(i))
                .filter(|s| !s.trim().is_empty())
                .map(str::to_string),
            Row::Json(m) => m
                .get(key)
                .and_then(scalar_str)
                .filter(|s| !s.trim().is_empty()),
        }
    }

    /// A JSON-valued column (`metadata`, `request_tags`), which CSV exports hold as text.
    fn json(&self, key: &str) -> Option<Value> {
        match self {
            Row::Csv(..) => self.str(key).and_then(|s| serde_json::from_str(&s).ok()),
            Row::Json(m) => match m.get(key)? {
                Value::String(s) => serde_json::from_str(s).ok(),
                v => Some(v.clone()),
            },
        }
    }
}

fn path<'a>(v: &'a Value, dotted: &str) -> Option<&'a Value> {
    dotted.split('.').try_fold(v, |v, k| v.get(k))
}

/// Where a LiteLLM row keeps the provider's usage object: `metadata.usage_object` in the SDK's
/// logging payload (StandardLoggingPayload), `metadata.additional_usage_values` (every usage key
/// but the three totals) in the proxy's spend logs.
const LITELLM_USAGE: [&str; 2] = ["usage_object", "additional_usage_values"];
/// Paths inside the usage object, first found wins. LiteLLM's `Usage` maps Anthropic's
/// `cache_read_input_tokens` to `prompt_tokens_details.cached_tokens` and its
/// `cache_creation_input_tokens` to `prompt_tokens_details.cache_creation_tokens` (newer releases
/// also `cache_write_tokens`), and keeps the Anthropic names at the top level too.
const LITELLM_CACHED: [&str; 2] = [
    "prompt_tokens_details.cached_tokens",
    "cache_read_input_tokens",
];
const LITELLM_CACHE_WRITE: [&str; 3] = [
    "cache_creation_input_tokens",
    "prompt_tokens_details.cache_creation_tokens",
    "prompt_tokens_details.cache_write_tokens",
];
const LITELLM_CACHE_WRITE_1H: [&str; 2] = [
    "prompt_tokens_details.cache_creation_token_details.ephemeral_1h_input_tokens",
    "cache_creation.ephemeral_1h_input_tokens",
];
const LITELLM_REASONING: [&str; 1] = ["completion_tokens_details.reasoning_tokens"];
const LITELLM_IMAGE_INPUT: [&str; 1] = ["prompt_tokens_details.image_tokens"];
const LITELLM_AUDIO_INPUT: [&str; 1] = ["prompt_tokens_details.audio_tokens"];
const LITELLM_AUDIO_OUTPUT: [&str; 1] = ["completion_tokens_details.audio_tokens"];

/// The first of `paths` present (not null) in any of the row's usage objects.
fn usage_value<'a>(metadata: Option<&'a Value>, paths: &[&str]) -> Option<&'a Value> {
    let m = metadata?;
    LITELLM_USAGE.iter().find_map(|u| {
        let usage = m.get(*u)?;
        paths
            .iter()
            .find_map(|p| path(usage, p).filter(|v| !v.is_null()))
    })
}

fn tags(row: &Row) -> Vec<String> {
    match row.json("request_tags") {
        Some(Value::Array(a)) => a.iter().filter_map(scalar_str).collect(),
        _ => Vec::new(),
    }
}

fn litellm_row(
    row: &Row,
    opts: &ReadOptions,
    skipped: &mut Skipped,
) -> Result<Option<Call>, BadLine> {
    if row
        .str("cache_hit")
        .is_some_and(|s| s.eq_ignore_ascii_case("true"))
    {
        skipped.proxy_cache_hits += 1;
        return Ok(None);
    }
    let num = |k: &str| -> Result<u64, BadLine> {
        match row.str(k) {
            None => Err(BadLine::NoField { key: k.to_string() }),
            Some(s) => count(&Value::String(s)).map_err(|e| e.in_field(k)),
        }
    };
    let input_tokens = num("prompt_tokens")?;
    let output_tokens = num("completion_tokens")?;
    let model = row
        .name("model")
        .or_else(|| row.name("model_group"))
        .ok_or_else(|| BadLine::NoField {
            key: "model".to_string(),
        })?;
    let timestamp = row
        .str("startTime")
        .ok_or_else(|| BadLine::NoField {
            key: "startTime".to_string(),
        })
        .and_then(|s| {
            Timestamp::parse(&s).ok_or_else(|| BadLine::UnreadableTime {
                key: "startTime".to_string(),
            })
        })?;
    let metadata = row.json("metadata");
    let usage = |paths: &[&str]| usage_value(metadata.as_ref(), paths).map(count).transpose();
    let tags = tags(row);
    let status = match row.str("status") {
        None => Status::Ok,
        Some(s) => Status::parse(&s).ok_or(BadLine::UnknownStatus {
            value: s,
            list: false,
        })?,
    };
    let status = if status == Status::Ok && tags.iter().any(|t| t == "validation_failed") {
        Status::ValidationFailed
    } else {
        status
    };
    let workflow = match opts.group_by.as_deref() {
        None => tags
            .iter()
            .find_map(|t| t.strip_prefix("workflow:").map(str::to_string))
            .or_else(|| tags.iter().find(|t| *t != "validation_failed").cloned())
            .unwrap_or_else(|| "all".to_string()),
        Some(g) => {
            if let Some(prefix) = g.strip_prefix("tag:") {
                tags.iter()
                    .find_map(|t| t.strip_prefix(prefix).map(str::to_string))
                    .unwrap_or_else(|| "(none)".to_string())
            } else if g == "tag" || g == "tags" {
                tags.first()
                    .cloned()
                    .unwrap_or_else(|| "(none)".to_string())
            } else if let Some(p) = g.strip_prefix("metadata.") {
                metadata
                    .as_ref()
                    .and_then(|m| path(m, p))
                    .and_then(scalar_str)
                    .unwrap_or_else(|| "(none)".to_string())
            } else {
                row.name(g).unwrap_or_else(|| "(none)".to_string())
            }
        }
    };
    // The end user; else the caller's `user`, which the SDK keeps in `model_parameters` when
    // `end_user` is empty; else the key's user.
    let user = row
        .name("end_user")
        .or_else(|| {
            row.json("model_parameters")
                .as_ref()
                .and_then(|p| p.get("user"))
                .and_then(scalar_str)
        })
        .or_else(|| row.name("user"))
        .or_else(|| {
            metadata
                .as_ref()
                .and_then(|m| m.get("user_api_key_user_id"))
                .and_then(scalar_str)
        });
    // The SDK's payload calls the cost `response_cost`, the proxy's spend log `spend`.
    let cost_usd = match row.str("response_cost").or_else(|| row.str("spend")) {
        None => None,
        Some(s) => Some(super::record::call_cost(
            s.parse::<f64>().ok(),
            &s,
            BadLine::UnreadableCost {
                key: None,
                value: s.clone(),
            },
        )?),
    };
    let mut call = Call::new(timestamp, workflow, model);
    call.user = user;
    call.input_tokens = input_tokens;
    call.output_tokens = output_tokens;
    call.cached_tokens = usage(&LITELLM_CACHED)?.unwrap_or(0);
    call.cache_write_tokens = usage(&LITELLM_CACHE_WRITE)?;
    call.cache_write_1h_tokens = usage(&LITELLM_CACHE_WRITE_1H)?;
    call.reasoning_tokens = usage(&LITELLM_REASONING)?;
    call.image_tokens = usage(&LITELLM_IMAGE_INPUT)?.unwrap_or(0);
    call.audio_input_tokens = usage(&LITELLM_AUDIO_INPUT)?.unwrap_or(0);
    call.audio_output_tokens = usage(&LITELLM_AUDIO_OUTPUT)?.unwrap_or(0);
    call.status = status;
    call.cost_usd = cost_usd;
    call.check().map_err(|e| e.counted(Convention::Litellm))?;
    Ok(Some(call))
}

fn read_litellm_csv(
    input: &mut Input,
    opts: &ReadOptions,
    budget: &mut Budget,
    skipped: &mut Skipped,
    sink: &mut dyn FnMut(Call),
) -> Result<(), Error> {
    let name = input.name.clone();
    let locate = input.locator();
    let mut rdr = csv_reader(input);
    let cols = header_map(rdr.headers().map_err(|e| csv_error(&locate, e))?, &name)?;
    for needed in ["model", "prompt_tokens", "completion_tokens", "startTime"] {
        if !cols.contains_key(needed) {
            return Err(missing_column(&name, needed, &cols, "LiteLLM spend-log"));
        }
    }
    let mut rec = csv::StringRecord::new();
    loop {
        match rdr.read_record(&mut rec) {
            Ok(false) => return Ok(()),
            Ok(true) => {
                let line = rec.position().map_or(0, |p| p.line());
                match litellm_row(&Row::Csv(&rec, &cols), opts, skipped) {
                    Ok(Some(c)) => {
                        budget.ok();
                        sink(c);
                    }
                    Ok(None) => budget.ok(),
                    Err(e) => budget.bad(&name, line, e)?,
                }
            }
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line());
                if matches!(e.kind(), csv::ErrorKind::Io(_)) {
                    return Err(csv_error(&locate, e));
                }
                budget.bad(&name, line, BadLine::csv(e))?;
            }
        }
    }
}

fn read_litellm_json_lines(
    input: &mut Input,
    opts: &ReadOptions,
    budget: &mut Budget,
    skipped: &mut Skipped,
    sink: &mut dyn FnMut(Call),
) -> Result<(), Error> {
    let name = input.name.clone();
    for_each_line(input, |line, bytes| {
        let v: Value = match serde_json::from_slice(bytes) {
            Ok(v) => v,
            Err(e) => return budget.bad(&name, line, BadLine::not_json(e)),
        };
        let Some(obj) = v.as_object() else {
            return budget.bad(&name, line, BadLine::NotJsonObject);
        };
        match litellm_row(&Row::Json(obj), opts, skipped) {
            Ok(Some(c)) => {
                budget.ok();
                sink(c);
                Ok(())
            }
            Ok(None) => {
                budget.ok();
                Ok(())
            }
            Err(e) => budget.bad(&name, line, e),
        }
    })
}

/// One JSON array of rows, streamed element by element (an export of `/spend/logs`).
fn read_litellm_json_array(
    input: &mut Input,
    opts: &ReadOptions,
    budget: &mut Budget,
    skipped: &mut Skipped,
    sink: &mut dyn FnMut(Call),
) -> Result<(), Error> {
    use serde::de::{DeserializeSeed, SeqAccess, Visitor};

    struct Rows<'a> {
        name: &'a str,
        opts: &'a ReadOptions,
        budget: &'a mut Budget,
        skipped: &'a mut Skipped,
        sink: &'a mut dyn FnMut(Call),
        /// Restarted at each row, so the line limit applies to each row of a one-line array.
        position: std::sync::Arc<super::input::Position>,
        stop: Option<Error>,
    }

    impl<'de> Visitor<'de> for &mut Rows<'_> {
        type Value = ();

        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("an array of spend-log rows")
        }

        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
            let mut index = 0u64;
            while let Some(v) = seq.next_element::<Value>()? {
                self.position.restart();
                index += 1;
                let result = match v.as_object() {
                    None => self.budget.bad(self.name, index, BadLine::RowNotJsonObject),
                    Some(obj) => match litellm_row(&Row::Json(obj), self.opts, self.skipped) {
                        Ok(Some(c)) => {
                            self.budget.ok();
                            (self.sink)(c);
                            Ok(())
                        }
                        Ok(None) => {
                            self.budget.ok();
                            Ok(())
                        }
                        Err(e) => self.budget.bad(self.name, index, e),
                    },
                };
                if let Err(e) = result {
                    self.stop = Some(e);
                    return Err(serde::de::Error::custom("stopped"));
                }
            }
            Ok(())
        }
    }

    impl<'de> DeserializeSeed<'de> for &mut Rows<'_> {
        type Value = ();

        fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
            d.deserialize_seq(self)
        }
    }

    let name = input.name.clone();
    let locate = input.locator();
    let mut rows = Rows {
        name: &name,
        opts,
        budget,
        skipped,
        sink,
        position: input.position.clone(),
        stop: None,
    };
    let mut de = serde_json::Deserializer::from_reader(&mut input.reader);
    let result = (&mut rows).deserialize(&mut de);
    if let Some(e) = rows.stop {
        return Err(e);
    }
    result.map_err(|e| {
        let io = std::error::Error::source(&e).and_then(|s| s.downcast_ref::<std::io::Error>());
        if let Some(known) = io.and_then(|io| locate.known(io)) {
            return known;
        }
        UsageKind::BrokenJsonArray {
            name: name.to_string(),
            line: e.line(),
            column: e.column(),
            error: e.to_string(),
        }
        .into()
    })
}

// ---------------------------------------------------------------------------------------------
