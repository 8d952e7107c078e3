//! `aicost fit`: a scenario skeleton (or an updated scenario) fitted from usage logs.

use std::path::Path;

use crate::analysis::fit::readers::{LogFormat, ReadOptions};
use crate::analysis::fit::skeleton::{self, Provenance};
use crate::analysis::fit::{self, LogOptions, aggregate};
use crate::app::cli::{Config, FitArgs, LogFormatArg};
use crate::app::files::FilePlan;
use crate::app::output::{self, Destination};
use crate::base::error::{Error, UsageKind};

/// Log reading options from the flags shared by `fit` and `backtest`.
pub(crate) fn log_options(
    from: Option<LogFormatArg>,
    group_by: Option<&str>,
    max_malformed: f64,
) -> Result<LogOptions, Error> {
    if !(0.0..=1.0).contains(&max_malformed) {
        return Err(UsageKind::MaxMalformedOutOfRange { got: max_malformed }.into());
    }
    Ok(LogOptions {
        format: from.map(|f| match f {
            LogFormatArg::Otel => LogFormat::Otel,
            LogFormatArg::Litellm => LogFormat::Litellm,
            LogFormatArg::Csv => LogFormat::Csv,
            LogFormatArg::Aggregates => LogFormat::Aggregates,
        }),
        read: ReadOptions {
            group_by: group_by.map(str::to_string),
        },
        max_malformed,
    })
}

pub(crate) fn format_name(f: LogFormat) -> &'static str {
    match f {
        LogFormat::Otel => "OpenTelemetry spans",
        LogFormat::Litellm => "LiteLLM spend logs",
        LogFormat::Csv => "plain CSV",
        LogFormat::Aggregates => "aggregates",
    }
}

pub fn fit(a: &FitArgs, config: &Config) -> Result<u8, Error> {
    let opts = log_options(a.from, a.group_by.as_deref(), a.max_malformed)?;
    // Settled before a line of the logs is read.
    let mut files = FilePlan::new();
    for log in &a.logs {
        files.reads(log, "a log");
    }
    if let Some(base) = &a.update {
        // The scenario and every file it extends or prices with.
        for f in crate::model::scenario::inputs_of(base, &super::load_options(config)?) {
            files.reads(&f.path, format!("{}, read by --update", f.role));
        }
    }
    if let Some(c) = &a.catalog {
        files.reads(c, "the --catalog");
    }
    files.writes(super::report_flag(a.out.as_deref()), a.out.as_deref());
    if let Some(path) = &a.aggregates_out {
        files.writes("--aggregates-out", Some(path));
    }
    files.check()?;
    let ing = fit::summarize(&a.logs, &opts)?;
    let s = &ing.summary;
    if !config.quiet {
        let files: Vec<String> = ing
            .sources
            .iter()
            .map(|(n, f)| format!("{} ({})", crate::base::escape::visible(n), format_name(*f)))
            .collect();
        eprintln!(
            "read {} lines from {}: {} calls, {} workflow{}, {} malformed",
            ing.budget.lines,
            files.join(", "),
            s.calls(),
            s.workflow_count(),
            if s.workflow_count() == 1 { "" } else { "s" },
            ing.budget.malformed.count
        );
        eprint!("{}", ing.budget.report());
        if let Some(note) = ing.set_aside.describe() {
            eprintln!("{note}");
        }
        if ing.skipped.other_spans > 0 {
            eprintln!(
                "skipped {} spans without token usage (not model calls)",
                ing.skipped.other_spans
            );
        }
        if ing.skipped.proxy_cache_hits > 0 {
            eprintln!(
                "skipped {} LiteLLM proxy cache hits (served without a model call)",
                ing.skipped.proxy_cache_hits
            );
        }
        for (count, what) in [
            (ing.skipped.renamed, "calls name"),
            (ing.skipped.renamed_rows, "aggregate rows name"),
        ] {
            if count > 0 {
                eprintln!(
                    "{count} {what} a workflow or model with control characters; each such character became U+FFFD (the replacement character) so that the scenario validates"
                );
            }
        }
        if !ing.skipped.merged.is_empty() {
            let names: Vec<String> = ing
                .skipped
                .merged
                .iter()
                .take(5)
                .map(|n| format!("`{}`", crate::base::escape::visible(n)))
                .collect();
            eprintln!(
                "warning: logged names that differ only in such characters became one name: {}{}; rename them in the logs (or with --group-by) to keep them apart",
                names.join(", "),
                if ing.skipped.merged.len() > 5 {
                    ", …"
                } else {
                    ""
                }
            );
        }
    }
    if let Some(path) = &a.aggregates_out {
        output::write(
            &Destination::from_option(Some(path)),
            aggregate::write(s).as_bytes(),
        )?;
    }
    if s.parts.is_empty() {
        return Err(UsageKind::NoModelCall { to_fit: true }.into());
    }
    let catalog = super::prices::open_catalog(a.catalog.as_deref())?;
    let fitted = skeleton::fit(s, a.empirical);
    if let Some((name, workflow)) = skeleton::part_name_clash(&fitted) {
        return Err(UsageKind::PartNameClash { name, workflow }.into());
    }
    if !config.quiet {
        for w in skeleton::thin_log_warnings(s, &fitted) {
            eprintln!("warning: {w}");
        }
        for (logged, r) in skeleton::resolutions(&fitted, &catalog) {
            eprintln!(
                "model `{}` priced as `{}` ({})",
                crate::base::escape::visible(&logged),
                crate::base::escape::visible(&r.key),
                r.how.describe()
            );
        }
    }
    let prov = Provenance {
        sources: ing.sources.iter().map(|(n, _)| n.clone()).collect(),
        calls: s.calls(),
        malformed: ing.budget.malformed.count,
        set_aside: ing.set_aside.calls(),
        first_day: s.first_day.map(|d| d.to_string()),
        last_day: s.last_day.map(|d| d.to_string()),
        catalog_path: a
            .catalog
            .as_deref()
            .map(|c| catalog_reference(c, a.out.as_deref())),
    };
    let text = match &a.update {
        None => {
            // A name no scenario may hold (a line break, an escape) would make the written
            // scenario fail validation: its characters become U+FFFD, as logged names' do.
            let name = crate::base::escape::sanitize_name(&a.name);
            if name != a.name.as_str() {
                eprintln!(
                    "--name holds control characters; each became U+FFFD (the replacement character): `{}`",
                    crate::base::escape::visible(&name)
                );
            }
            skeleton::render(&fitted, &name, &prov, &catalog)
        }
        Some(base) => {
            let (text, notes) = crate::analysis::fit::update::update(base, &fitted, &catalog)?;
            if !config.quiet {
                for n in notes {
                    // Notes name workflows and stacks of a file that was not validated.
                    eprintln!("{}", crate::base::escape::visible(&n));
                }
            }
            text
        }
    };
    output::emit(a.out.as_deref(), &text)?;
    if !config.quiet
        && let Some(out) = &a.out
        && out != Path::new("-")
    {
        eprintln!(
            "wrote {}; next: aicost validate {}",
            out.display(),
            out.display()
        );
    }
    Ok(0)
}

/// How the written scenario should name the catalog: relative to the scenario's folder when the
/// catalog is inside it, else an absolute path.
fn catalog_reference(catalog: &Path, out: Option<&Path>) -> String {
    let abs = catalog
        .canonicalize()
        .unwrap_or_else(|_| catalog.to_path_buf());
    let dir = match out {
        Some(o) if o != Path::new("-") => o
            .parent()
            .map(|d| {
                if d.as_os_str().is_empty() {
                    Path::new(".")
                } else {
                    d
                }
            })
            .and_then(|d| d.canonicalize().ok()),
        _ => std::env::current_dir().ok(),
    };
    match dir.and_then(|d| abs.strip_prefix(&d).ok().map(Path::to_path_buf)) {
        Some(rel) => rel.display().to_string(),
        None => abs.display().to_string(),
    }
}
