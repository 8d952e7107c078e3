//! `aicost prices`: list and show catalog prices, import LiteLLM's catalog.

use std::fmt::Write as _;
use std::path::Path;

use crate::app::cli::{Config, ImportArgs, ImportSource, PricesArgs, PricesCommand, TableOrJson};
use crate::app::output;
use crate::base::calendar;
use crate::base::error::{Error, UsageKind};
use crate::model::catalog::litellm::{self, ImportOptions};
use crate::model::catalog::{self, Catalog, Entry, TierPrices};

pub fn prices(a: &PricesArgs, config: &Config) -> Result<u8, Error> {
    match &a.command {
        PricesCommand::List {
            pattern,
            catalog,
            format,
        } => list(pattern.as_deref(), catalog.as_deref(), *format),
        PricesCommand::Show {
            model,
            catalog,
            format,
        } => show(model, catalog.as_deref(), *format),
        PricesCommand::Import(i) => import(i, config),
    }
}

/// The catalog of `prices list` and `prices show`, which print to standard output: never into
/// the catalog itself (`> prices.json` is caught by the shell first, `>> prices.json` is not).
fn open_listed_catalog(path: Option<&Path>) -> Result<std::borrow::Cow<'static, Catalog>, Error> {
    if let Some(p) = path {
        crate::app::files::FilePlan::new()
            .reads(p, "the --catalog")
            .writes("the listing", None)
            .check()?;
    }
    open_catalog(path)
}

/// The catalog a command reads: a file given with `--catalog`, else the built-in one.
pub(crate) fn open_catalog(
    path: Option<&Path>,
) -> Result<std::borrow::Cow<'static, Catalog>, Error> {
    match path {
        None => Ok(std::borrow::Cow::Borrowed(catalog::builtin())),
        Some(p) => Catalog::load(p).map(std::borrow::Cow::Owned),
    }
}

fn list(pattern: Option<&str>, path: Option<&Path>, format: TableOrJson) -> Result<u8, Error> {
    let cat = open_listed_catalog(path)?;
    let rows = cat.matching(pattern);
    if rows.is_empty() {
        let help = pattern.and_then(|p| cat.suggest(p)).map_or_else(
            || "`aicost prices list` shows every model".to_string(),
            |s| format!("did you mean `{s}`?"),
        );
        return Err(UsageKind::NoModelMatches {
            catalog: cat.label(),
            pattern: pattern.unwrap_or("").to_string(),
        }
        .help(help)
        .into());
    }
    let text = match format {
        // A catalog file, so that `prices list claude --format json > mine.json` is a catalog a
        // scenario's `catalog =` (or `--catalog`) reads: each entry keeps its source and date.
        TableOrJson::Json => {
            let file = catalog::CatalogFile {
                aicost_catalog: catalog::FORMAT_VERSION,
                description: Some(match pattern {
                    Some(p) => format!("Models of the {} matching `{p}`", cat.label()),
                    None => format!("Models of the {}", cat.label()),
                }),
                checked: None,
                imported: cat.file.imported.clone(),
                models: rows
                    .iter()
                    .map(|(k, e, d)| {
                        let mut e = (*e).clone();
                        e.checked = d.map(|d| d.to_string());
                        (k.to_string(), e)
                    })
                    .collect(),
            };
            crate::app::output::pretty_json(&file)
        }
        TableOrJson::Table => list_table(&cat, &rows),
    };
    output::write_stdout(text.as_bytes())?;
    Ok(0)
}

fn entry_json(e: &Entry, checked: Option<calendar::Date>) -> serde_json::Value {
    let mut v = serde_json::to_value(e).expect("entry serializes");
    if let (Some(d), Some(obj)) = (checked, v.as_object_mut()) {
        obj.insert("checked".into(), serde_json::Value::String(d.to_string()));
    }
    v
}

/// A price for a table: the decimal as written, or `-`.
fn p(x: Option<f64>) -> String {
    x.map_or_else(|| "-".to_string(), |v| format!("{v}"))
}

fn tokens(n: Option<u64>) -> String {
    match n {
        None => "-".to_string(),
        Some(n) if n >= 1_000_000 && n % 1_000_000 == 0 => format!("{}M", n / 1_000_000),
        Some(n) if n >= 1000 => format!("{}k", n / 1000),
        Some(n) => n.to_string(),
    }
}

fn list_table(cat: &Catalog, rows: &[(&str, &Entry, Option<calendar::Date>)]) -> String {
    let header = [
        "model", "provider", "input", "output", "cached", "write", "batch", "context", "checked",
    ];
    let mut cells: Vec<[String; 9]> = Vec::with_capacity(rows.len());
    for (k, e, d) in rows {
        cells.push([
            k.to_string(),
            e.provider.clone().unwrap_or_default(),
            p(e.input_usd_per_mtok),
            p(e.output_usd_per_mtok),
            p(e.cached_input_usd_per_mtok),
            p(e.cache_write_usd_per_mtok),
            e.batch_discount()
                .map_or_else(|| "-".to_string(), |b| format!("{}%", fmt_pct(b))),
            tokens(e.context_window),
            d.map_or_else(|| "-".to_string(), |d| d.to_string()),
        ]);
    }
    let mut width = header.map(str::len);
    for row in &cells {
        for (w, c) in width.iter_mut().zip(row) {
            *w = (*w).max(c.chars().count());
        }
    }
    let mut out = String::new();
    let line = |out: &mut String, row: &[String]| {
        let mut s = String::new();
        for (i, c) in row.iter().enumerate() {
            let pad = width[i] - c.chars().count();
            if i < 2 {
                let _ = write!(s, "{c}{}  ", " ".repeat(pad));
            } else {
                let _ = write!(s, "{}{c}  ", " ".repeat(pad));
            }
        }
        out.push_str(s.trim_end());
        out.push('\n');
    };
    line(&mut out, &header.map(str::to_string));
    for row in &cells {
        line(&mut out, row);
    }
    let _ = writeln!(
        out,
        "{} of {} models in the {}; prices in USD per million tokens, batch = discount on the batch API",
        rows.len(),
        cat.len(),
        cat.label()
    );
    out
}

fn fmt_pct(f: f64) -> String {
    let v = (f * 1000.0).round() / 10.0;
    format!("{v}")
}

fn show(model: &str, path: Option<&Path>, format: TableOrJson) -> Result<u8, Error> {
    let cat = open_listed_catalog(path)?;
    let Some(found) = cat.lookup(model) else {
        let help = match cat.suggest(model) {
            Some(s) => format!("did you mean `{s}`?"),
            None => "`aicost prices list PATTERN` searches the catalog".to_string(),
        };
        return Err(UsageKind::ModelNotInCatalog {
            model: model.to_string(),
            catalog: cat.label(),
        }
        .help(help)
        .into());
    };
    let text = match format {
        TableOrJson::Json => {
            let mut obj = serde_json::Map::new();
            obj.insert(
                found.key.to_string(),
                entry_json(found.entry, found.checked),
            );
            crate::app::output::pretty_json(&obj)
        }
        TableOrJson::Table => show_text(&cat, found.key, found.entry, found.checked),
    };
    output::write_stdout(text.as_bytes())?;
    Ok(0)
}

fn tier_text(t: &TierPrices) -> String {
    let mut parts = Vec::new();
    for (label, v) in [
        ("input", t.input_usd_per_mtok),
        ("output", t.output_usd_per_mtok),
        ("cached input", t.cached_input_usd_per_mtok),
        ("cache write", t.cache_write_usd_per_mtok),
    ] {
        if let Some(v) = v {
            parts.push(format!("{label} {v}"));
        }
    }
    parts.join(", ")
}

fn show_text(cat: &Catalog, key: &str, e: &Entry, checked: Option<calendar::Date>) -> String {
    let mut out = String::new();
    let kind: Vec<&str> = [e.provider.as_deref(), e.mode.as_deref()]
        .into_iter()
        .flatten()
        .collect();
    let _ = writeln!(out, "{key} ({}) — {}", kind.join(", "), cat.label());
    let mut row = |label: &str, value: String| {
        let _ = writeln!(out, "  {label:<22} {value}");
    };
    if let Some(d) = checked {
        row("checked", d.to_string());
    }
    if let Some(s) = &e.source {
        row("source", s.clone());
    }
    if let Some(s) = &e.imported_from {
        row("imported from", s.clone());
    }
    if let Some(s) = &e.deprecation_date {
        row("deprecation date", s.clone());
    }
    if e.context_window.is_some() || e.max_output_tokens.is_some() {
        row(
            "context",
            format!(
                "{} input tokens, {} output tokens",
                tokens(e.context_window),
                tokens(e.max_output_tokens)
            ),
        );
    }
    if let Some(m) = e.min_cacheable_tokens {
        row("min cacheable prefix", format!("{m} tokens"));
    }
    let _ = writeln!(out, "USD per million tokens");
    let mut row = |label: &str, value: String| {
        let _ = writeln!(out, "  {label:<22} {value}");
    };
    row("input", p(e.input_usd_per_mtok));
    row("output", p(e.output_usd_per_mtok));
    for (label, v) in [
        ("cached input", e.cached_input_usd_per_mtok),
        ("cache write", e.cache_write_usd_per_mtok),
        ("cache write (1 hour)", e.cache_write_1h_usd_per_mtok),
        ("reasoning", e.reasoning_usd_per_mtok),
        ("image input", e.image_input_usd_per_mtok),
        ("audio input", e.audio_input_usd_per_mtok),
        ("audio output", e.audio_output_usd_per_mtok),
    ] {
        if let Some(v) = v {
            row(label, format!("{v}"));
        }
    }
    if let Some(b) = &e.batch {
        let off = e
            .batch_discount()
            .map_or(String::new(), |d| format!(" ({}% off)", fmt_pct(d)));
        row("batch", format!("{}{off}", tier_text(b)));
    }
    if let Some(t) = &e.priority {
        row("priority tier", tier_text(t));
    }
    if let Some(t) = &e.flex {
        row("flex tier", tier_text(t));
    }
    for lc in e.long_context.iter().flat_map(|l| &l.0) {
        let mut s = format!(
            "above {} input tokens: input {}, output {}",
            lc.above_input_tokens, lc.input_usd_per_mtok, lc.output_usd_per_mtok
        );
        if let Some(c) = lc.cached_input_usd_per_mtok {
            let _ = write!(s, ", cached input {c}");
        }
        if let Some(c) = lc.cache_write_usd_per_mtok {
            let _ = write!(s, ", cache write {c}");
        }
        if let Some(c) = lc.cache_write_1h_usd_per_mtok {
            let _ = write!(s, ", cache write (1 hour) {c}");
        }
        for (label, t) in [
            ("batch", &lc.batch),
            ("priority", &lc.priority),
            ("flex", &lc.flex),
        ] {
            if let Some(t) = t {
                let _ = write!(s, "; {label}: {}", tier_text(t));
            }
        }
        row("long context", s);
    }
    if let Some(v) = e.input_usd_per_image {
        let _ = writeln!(out, "  {:<22} {v} USD per image", "image input");
    }
    if let Some(tools) = &e.tool_usd_per_call {
        for (k, v) in tools {
            let _ = writeln!(out, "  {:<22} {v} USD per call", format!("tool {k}"));
        }
    }
    let _ = writeln!(
        out,
        "In a scenario, `[[model]] name = \"{key}\"` takes these prices; keys written there override them."
    );
    out
}

/// Names for `--only`: a comma-separated list, or `@FILE` with one name per line (`#` comments).
fn only_names(spec: &str) -> Result<Vec<String>, Error> {
    let text = match spec.strip_prefix('@') {
        Some(path) => crate::base::source::read_bounded_text(
            Path::new(path),
            crate::base::source::MAX_INPUT_BYTES,
            crate::base::source::Named::OnCommandLine,
        )
        .map_err(|source| Error::Read {
            path: path.into(),
            source,
        })?,
        None => spec.replace(',', "\n"),
    };
    Ok(text
        .lines()
        .map(|l| l.split('#').next().unwrap_or("").trim())
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect())
}

fn import(a: &ImportArgs, config: &Config) -> Result<u8, Error> {
    let ImportSource::Litellm = a.source;
    let mut files = crate::app::files::FilePlan::new();
    files.reads(&a.file, "the file to import");
    if let Some(list) = a.only.as_deref().and_then(|o| o.strip_prefix('@')) {
        files.reads(Path::new(list), "the --only list");
    }
    files.writes("--out", Some(&a.out)).check()?;
    let text = crate::base::source::read_bounded_text(
        &a.file,
        crate::base::source::MAX_INPUT_BYTES,
        crate::base::source::Named::OnCommandLine,
    )
    .map_err(|source| Error::Read {
        path: a.file.clone(),
        source,
    })?;
    let checked = match &a.checked {
        Some(c) => calendar::Date::parse(c)
            .ok_or_else(|| {
                Error::from(UsageKind::NotADate {
                    flag: "--checked",
                    got: c.to_string(),
                })
            })?
            .to_string(),
        None => calendar::today().to_string(),
    };
    let opts = ImportOptions {
        source_label: a.file.file_name().map_or_else(
            || a.file.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        ),
        checked,
        only: a.only.as_deref().map(only_names).transpose()?,
        strip_prefix: a.strip_prefix,
        release: a.release.clone().or_else(|| litellm::release_of(&a.file)),
        date: match &a.release_date {
            Some(d) => Some(
                calendar::Date::parse(d)
                    .ok_or_else(|| {
                        Error::from(UsageKind::NotADate {
                            flag: "--release-date",
                            got: d.to_string(),
                        })
                    })?
                    .to_string(),
            ),
            None => litellm::file_date(&a.file),
        },
    };
    let (file, summary) =
        litellm::import(&text, &opts).map_err(|e| UsageKind::NotLitellmCatalog {
            path: a.file.clone(),
            error: e.to_string(),
        })?;
    if summary.imported == 0 {
        return Err(UsageKind::NothingImported {
            path: a.file.clone(),
            summary: summary.render(),
        }
        .into());
    }
    let json = crate::app::output::pretty_json(&file);
    output::emit(Some(&a.out), &json)?;
    if !config.quiet {
        eprint!("{}", summary.render());
        if a.out != Path::new("-") {
            eprintln!(
                "wrote {}; use it with `catalog = \"{}\"` in a scenario or `aicost prices list --catalog {}`",
                a.out.display(),
                a.out.display(),
                a.out.display()
            );
        }
    }
    Ok(0)
}
