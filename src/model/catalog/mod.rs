//! Price catalogs: list prices of models, per million tokens, with where each came from and when
//! it was checked.
//!
//! Users copy prices by hand and get them wrong (per-1K for per-1M, stale prices); a catalog lets a
//! scenario name a model and get its prices. One is compiled into the binary (`data/catalog.json`,
//! curated from LiteLLM's catalog, see `data/README.md`); a scenario can load another with
//! `catalog = "prices.json"`, and `aicost prices import litellm` writes one from LiteLLM's file.
//!
//! A catalog entry uses the same key names as a scenario's `[[model]]` table, so a price class the
//! scenario format gains later (reasoning, service tiers, one-hour cache writes, images, audio,
//! tool fees) is one more optional key here, and entries written today stay readable.

pub mod decimal;
mod levels;
pub mod litellm;

use std::path::Path;
use std::sync::OnceLock;

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

use crate::base::calendar::Date;
use crate::base::error::{Error, Usage, UsageKind, suggest};

/// Version of the catalog file format (`aicost_catalog` key).
pub(crate) const FORMAT_VERSION: u32 = 1;

/// Catalog prices older than this draw a warning when a scenario uses them.
pub(crate) const STALE_AFTER_DAYS: i64 = 90;

/// The catalog file as written (JSON).
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct CatalogFile {
    /// Format version; always [`FORMAT_VERSION`].
    pub aicost_catalog: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Date (`YYYY-MM-DD`) for entries that do not give their own `checked`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checked: Option<String>,
    /// Where an imported catalog came from: the tool's release and the file's date.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub imported: Option<Imported>,
    pub models: IndexMap<String, Entry>,
}

/// The provenance of an imported catalog, shown by `prices show` and in every report's
/// assumptions, so a reader knows which edition of the prices a forecast used.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Imported {
    /// `LiteLLM`.
    pub from: String,
    /// The release the price file belongs to (`1.110.2`), when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub release: Option<String>,
    /// The date of the price file (`YYYY-MM-DD`): the release's date, or the file's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<String>,
    /// The file name it was read from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
}

impl Imported {
    /// `LiteLLM 1.110.2 of 2026-11-20`, with what is known.
    pub fn text(&self) -> String {
        let mut s = crate::base::escape::visible(&self.from).into_owned();
        match &self.release {
            Some(r) => s.push_str(&format!(" {}", crate::base::escape::visible(r))),
            None => s.push_str(" (release not recorded)"),
        }
        if let Some(d) = &self.date {
            s.push_str(&format!(" of {}", crate::base::escape::visible(d)));
        }
        s
    }
}

/// Prices of a service tier or of the batch API, USD per million tokens.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct TierPrices {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input_usd_per_mtok: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output_usd_per_mtok: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cached_input_usd_per_mtok: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache_write_usd_per_mtok: Option<f64>,
}

impl TierPrices {
    pub fn is_empty(&self) -> bool {
        *self == TierPrices::default()
    }

    /// The prices given, with their keys.
    pub fn keyed(&self) -> Vec<(&'static str, f64)> {
        [
            ("input_usd_per_mtok", self.input_usd_per_mtok),
            ("output_usd_per_mtok", self.output_usd_per_mtok),
            ("cached_input_usd_per_mtok", self.cached_input_usd_per_mtok),
            ("cache_write_usd_per_mtok", self.cache_write_usd_per_mtok),
        ]
        .into_iter()
        .filter_map(|(k, v)| Some((k, v?)))
        .collect()
    }
}

/// Prices of a request whose whole input exceeds `above_input_tokens` (every token of it), and
/// no higher threshold of the model.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct LongContextPrices {
    pub above_input_tokens: f64,
    pub input_usd_per_mtok: f64,
    pub output_usd_per_mtok: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cached_input_usd_per_mtok: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache_write_usd_per_mtok: Option<f64>,
    /// One-hour cache writes above the threshold.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache_write_1h_usd_per_mtok: Option<f64>,
    /// Service-tier and batch prices above the threshold.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub batch: Option<TierPrices>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority: Option<TierPrices>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flex: Option<TierPrices>,
}

impl LongContextPrices {
    /// A level with these threshold, input and output prices and nothing else.
    pub fn new(above_input_tokens: f64, input: f64, output: f64) -> Self {
        LongContextPrices {
            above_input_tokens,
            input_usd_per_mtok: input,
            output_usd_per_mtok: output,
            cached_input_usd_per_mtok: None,
            cache_write_usd_per_mtok: None,
            cache_write_1h_usd_per_mtok: None,
            batch: None,
            priority: None,
            flex: None,
        }
    }
}

/// `long_context` in a catalog: one table (one threshold) or a list of them by ascending
/// threshold. Written back the same way: a single level stays a table.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct LongContextLevels(pub Vec<LongContextPrices>);

impl Serialize for LongContextLevels {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self.0.as_slice() {
            [one] => one.serialize(serializer),
            many => many.serialize(serializer),
        }
    }
}

impl<'de> Deserialize<'de> for LongContextLevels {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct LevelsVisitor;

        impl<'de> serde::de::Visitor<'de> for LevelsVisitor {
            type Value = LongContextLevels;

            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("an object with `above_input_tokens`, `input_usd_per_mtok` and `output_usd_per_mtok`, or a list of such objects")
            }

            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                map: A,
            ) -> Result<LongContextLevels, A::Error> {
                let one = LongContextPrices::deserialize(
                    serde::de::value::MapAccessDeserializer::new(map),
                )?;
                Ok(LongContextLevels(vec![one]))
            }

            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<LongContextLevels, A::Error> {
                let mut out = Vec::new();
                while let Some(x) = seq.next_element::<LongContextPrices>()? {
                    out.push(x);
                }
                Ok(LongContextLevels(out))
            }
        }

        deserializer.deserialize_any(LevelsVisitor)
    }
}

/// One model's list prices (USD per million tokens unless the key says otherwise).
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider: Option<String>,
    /// `chat`, `completion` or `responses`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<String>,
    /// When the prices were checked against `source` (`YYYY-MM-DD`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checked: Option<String>,
    /// The provider's price page the prices come from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// The file and key the entry was imported from, when it was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub imported_from: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deprecation_date: Option<String>,
    /// Largest input in tokens.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context_window: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_output_tokens: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input_usd_per_mtok: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output_usd_per_mtok: Option<f64>,
    /// Input read from the prompt cache.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cached_input_usd_per_mtok: Option<f64>,
    /// Input written to the prompt cache (5-minute lifetime where providers distinguish).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache_write_usd_per_mtok: Option<f64>,
    /// Input written to the prompt cache with a one-hour lifetime.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache_write_1h_usd_per_mtok: Option<f64>,
    /// Shortest prompt prefix the provider caches.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_cacheable_tokens: Option<f64>,
    /// Batch-API prices.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub batch: Option<TierPrices>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub long_context: Option<LongContextLevels>,
    /// Hidden reasoning tokens (billed at the output price when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reasoning_usd_per_mtok: Option<f64>,
    /// The priority service tier.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority: Option<TierPrices>,
    /// The flex service tier.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flex: Option<TierPrices>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_input_usd_per_mtok: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input_usd_per_image: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audio_input_usd_per_mtok: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audio_output_usd_per_mtok: Option<f64>,
    /// Fees per call of a provider-side tool, by tool name (`web_search`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_usd_per_call: Option<IndexMap<String, f64>>,
}

impl Entry {
    /// The batch discount as a fraction off the input price, when the entry has batch prices.
    pub fn batch_discount(&self) -> Option<f64> {
        let input = self.input_usd_per_mtok?;
        let batch = self.batch.as_ref()?.input_usd_per_mtok?;
        (input > 0.0 && batch <= input).then(|| round_fraction(1.0 - batch / input))
    }
}

/// Round a ratio of two decimal prices to 12 significant places (0.5, not 0.49999999999999994).
fn round_fraction(x: f64) -> f64 {
    (x * 1e12).round() / 1e12
}

/// A loaded catalog: the file's entries with their `checked` dates resolved.
#[derive(Clone, Debug)]
pub struct Catalog {
    /// `built-in` or the path it was read from, for messages.
    pub name: String,
    pub file: CatalogFile,
    checked: Vec<Option<Date>>,
}

/// A mistake in a catalog file, with its line and column when known.
#[derive(Clone, Debug, PartialEq)]
pub struct CatalogError {
    pub message: String,
    pub help: Option<String>,
    /// 1-based line and column.
    pub line_col: Option<(usize, usize)>,
    /// Byte offset of the mistake.
    pub offset: Option<usize>,
    /// Whether a message may quote the file. Off when it does not look like a catalog, so that
    /// `catalog = ".env"` never prints a secret (see [`looks_like_catalog`]).
    pub quoted: bool,
}

/// Whether `text` looks like an aicost catalog (it names the format), so that a mistake in it
/// may be quoted.
pub(crate) fn looks_like_catalog(text: &str) -> bool {
    text.contains("\"aicost_catalog\"")
}

impl CatalogError {
    /// Render as `name:line:col: message` plus the help line.
    pub fn render(&self, name: &str) -> String {
        let mut out = match self.line_col {
            Some((l, c)) => format!("{name}:{l}:{c}: {}", self.message),
            None => format!("{name}: {}", self.message),
        };
        let _ = crate::base::usage::write_notes(&mut out, self.help.as_deref(), None);
        out
    }

    /// The error of a command that read the catalog `name`.
    pub(crate) fn into_error(self, name: String) -> Error {
        let kind = UsageKind::CatalogInvalid {
            name,
            line_col: self.line_col,
            message: self.message,
        };
        match self.help {
            Some(help) => kind.help(help).into(),
            None => Usage::from(kind).into(),
        }
    }
}

/// The name of the built-in catalog in messages.
pub(crate) const BUILTIN_NAME: &str = "built-in catalog";

/// The catalog compiled into the binary.
pub(crate) const BUILTIN_JSON: &str = include_str!("../../../data/catalog.json");

/// The built-in catalog, parsed once.
pub fn builtin() -> &'static Catalog {
    static CELL: OnceLock<Catalog> = OnceLock::new();
    CELL.get_or_init(|| {
        Catalog::parse(BUILTIN_NAME, BUILTIN_JSON)
            .unwrap_or_else(|e| panic!("the built-in catalog is valid: {}", e.render("built-in")))
    })
}

/// Byte offset of a 1-based line and column.
pub(crate) fn offset_of(text: &str, line: usize, column: usize) -> usize {
    let mut offset = 0;
    for (i, l) in text.split_inclusive('\n').enumerate() {
        if i + 1 == line {
            return offset
                + l.char_indices()
                    .nth(column.saturating_sub(1))
                    .map_or(l.len(), |(b, _)| b);
        }
        offset += l.len();
    }
    text.len()
}

impl Catalog {
    /// Parse catalog JSON; `name` is used in messages.
    pub fn parse(name: &str, text: &str) -> Result<Catalog, CatalogError> {
        Self::parse_quoting(name, text).map_err(|e| {
            if looks_like_catalog(text) {
                return e;
            }
            // Some other file: where it went wrong, but not what it holds.
            let litellm = text.trim_start().starts_with("{\n  \"sample_spec\"");
            let what = if serde_json::from_str::<serde::de::IgnoredAny>(text).is_ok() {
                "it is JSON without the `aicost_catalog` key"
            } else {
                "it is not JSON"
            };
            CatalogError {
                message: format!("`{name}` is not an aicost catalog: {what}"),
                help: Some(if litellm {
                    "this looks like LiteLLM's catalog; convert it with `aicost prices import litellm FILE`".to_string()
                } else {
                    "its content is not shown; a catalog is the JSON file that `aicost prices import litellm` writes: check that this is the file you meant".to_string()
                }),
                quoted: false,
                ..e
            }
        })
    }

    fn parse_quoting(name: &str, text: &str) -> Result<Catalog, CatalogError> {
        let file: CatalogFile = serde_json::from_str(text).map_err(|e| {
            let message = e.to_string();
            let message = message
                .rsplit_once(" at line ")
                .map_or(message.as_str(), |(m, _)| m)
                .to_string();
            let help = unknown_field_help(&message).or_else(|| {
                text.trim_start().starts_with("{\n  \"sample_spec\"").then(|| {
                    "this looks like LiteLLM's catalog; convert it with `aicost prices import litellm FILE`".to_string()
                })
            });
            let help = help.or_else(|| {
                (e.classify() == serde_json::error::Category::Syntax
                    || e.classify() == serde_json::error::Category::Eof)
                    .then(|| "a catalog is a JSON file; see `aicost prices import litellm --help`".to_string())
            });
            let line_col = (e.line() > 0).then(|| (e.line(), e.column()));
            CatalogError {
                message,
                help,
                line_col,
                offset: line_col.map(|(l, c)| offset_of(text, l, c)),
                quoted: true,
            }
        })?;
        Catalog::from_file(name, file, text)
    }

    /// Check a parsed file; `text` (when known) is used to locate mistakes.
    pub(crate) fn from_file(
        name: &str,
        file: CatalogFile,
        text: &str,
    ) -> Result<Catalog, CatalogError> {
        let locate = |key: &str| -> (Option<(usize, usize)>, Option<usize>) {
            let needle = format!("\"{}\"", key.replace('\\', "\\\\").replace('"', "\\\""));
            // As JSON escapes it (a control character as `\u001b`), else as written.
            let escaped = serde_json::to_string(key).unwrap_or_default();
            match text.find(&escaped).or_else(|| text.find(&needle)) {
                Some(off) => {
                    let lc = crate::base::source::line_col(text, off);
                    (Some((lc.line, lc.column)), Some(off))
                }
                None => (None, None),
            }
        };
        let err = |key: &str, message: String, help: &str| {
            let (line_col, offset) = locate(key);
            CatalogError {
                message,
                help: Some(help.to_string()),
                line_col,
                offset,
                quoted: true,
            }
        };
        if file.aicost_catalog != FORMAT_VERSION {
            return Err(err(
                "aicost_catalog",
                format!(
                    "catalog format {} is not supported (this aicost reads format {FORMAT_VERSION})",
                    file.aicost_catalog
                ),
                "upgrade aicost, or re-import the catalog with this version",
            ));
        }
        let default_checked = match &file.checked {
            None => None,
            Some(s) => Some(Date::parse(s).ok_or_else(|| {
                err(
                    "checked",
                    format!("`checked` must be a date YYYY-MM-DD, got `{s}`"),
                    "write the date the prices were checked, e.g. \"2026-11-01\"",
                )
            })?),
        };
        let mut checked = Vec::with_capacity(file.models.len());
        if file.description.as_deref().is_some_and(|d| {
            d.chars()
                .any(|c| c != '\n' && crate::base::escape::forbidden_in_name(c))
        }) {
            return Err(err(
                "description",
                "the catalog's `description` holds a control character".to_string(),
                "remove it: a control character would act on terminals",
            ));
        }
        for (key, e) in &file.models {
            let text = Some(key.as_str())
                .filter(|k| k.chars().any(crate::base::escape::forbidden_in_name))
                .or_else(|| e.control_text());
            if let Some(text) = text {
                return Err(err(
                    key,
                    format!(
                        "the entry `{}` holds a control character in `{}`; names and texts may not",
                        crate::base::escape::visible(key),
                        crate::base::escape::visible(text)
                    ),
                    "remove it: a scenario names models by these names, and a control character would act on terminals and break CSV and Markdown",
                ));
            }
            let date = match &e.checked {
                None => default_checked,
                Some(s) => Some(Date::parse(s).ok_or_else(|| {
                    err(
                        key,
                        format!("`checked` of `{key}` must be a date YYYY-MM-DD, got `{s}`"),
                        "write the date the prices were checked, e.g. \"2026-11-01\"",
                    )
                })?),
            };
            for (what, v) in e.prices() {
                if !(v >= 0.0) || !v.is_finite() {
                    return Err(err(
                        key,
                        format!("`{what}` of `{key}` must be a number of at least 0, got {v}"),
                        "prices are USD per million tokens",
                    ));
                }
            }
            let levels = e.long_context.as_ref().map_or(&[][..], |l| &l.0[..]);
            if levels.is_empty() && e.long_context.is_some() {
                return Err(err(
                    key,
                    format!("`long_context` of `{key}` is an empty list"),
                    "remove it, or give each threshold an object with `above_input_tokens`, `input_usd_per_mtok` and `output_usd_per_mtok`",
                ));
            }
            if let Some(w) = levels
                .windows(2)
                .find(|w| w[1].above_input_tokens <= w[0].above_input_tokens)
            {
                return Err(err(
                    key,
                    format!(
                        "the `long_context` thresholds of `{key}` must rise: {} is not above {}",
                        w[1].above_input_tokens, w[0].above_input_tokens
                    ),
                    "list the long-context levels by ascending `above_input_tokens`",
                ));
            }
            if e.input_usd_per_mtok.is_none() || e.output_usd_per_mtok.is_none() {
                return Err(err(
                    key,
                    format!("`{key}` needs `input_usd_per_mtok` and `output_usd_per_mtok`"),
                    "a model without prices cannot be used; remove the entry or add its prices",
                ));
            }
            checked.push(date);
        }
        Ok(Catalog {
            name: name.to_string(),
            file,
            checked,
        })
    }

    /// Read a catalog file.
    pub fn load(path: &Path) -> Result<Catalog, Error> {
        let text = crate::base::source::read_bounded_text(
            path,
            crate::base::source::MAX_INPUT_BYTES,
            crate::base::source::Named::OnCommandLine,
        )
        .map_err(|e| UsageKind::CatalogUnreadable {
            path: path.to_path_buf(),
            error: e.to_string(),
        })?;
        let name = path.display().to_string();
        Catalog::parse(&name, &text).map_err(|e| e.into_error(name))
    }

    /// `built-in catalog` or ``catalog `path` `` for messages.
    pub fn label(&self) -> String {
        let base = if self.name == BUILTIN_NAME {
            self.name.clone()
        } else {
            format!("catalog `{}`", crate::base::escape::visible(&self.name))
        };
        match &self.file.imported {
            Some(i) => format!("{base}, imported from {}", i.text()),
            None => base,
        }
    }

    pub fn len(&self) -> usize {
        self.file.models.len()
    }

    pub fn is_empty(&self) -> bool {
        self.file.models.is_empty()
    }

    /// Entries in file order, with their resolved `checked` dates.
    pub fn entries(&self) -> impl Iterator<Item = (&str, &Entry, Option<Date>)> {
        self.file
            .models
            .iter()
            .zip(&self.checked)
            .map(|((k, e), d)| (k.as_str(), e, *d))
    }

    /// Find a model by name: exactly; then without a provider prefix (`openai/gpt-4o` →
    /// `gpt-4o`), on either side; then ignoring case. Among several entries with the same bare name
    /// the one whose provider matches the query's prefix wins, then the first in the file.
    pub fn lookup(&self, name: &str) -> Option<Found<'_>> {
        let pick = |i: usize| {
            let (key, entry) = self.file.models.get_index(i).expect("index in range");
            Found {
                key,
                entry,
                checked: self.checked[i],
            }
        };
        if let Some(i) = self.file.models.get_index_of(name) {
            return Some(pick(i));
        }
        let (prefix, bare) = split_provider(name);
        if let Some(i) = self.file.models.get_index_of(bare) {
            return Some(pick(i));
        }
        for fold in [false, true] {
            let same = |k: &str| {
                let kb = split_provider(k).1;
                if fold {
                    kb.eq_ignore_ascii_case(bare)
                } else {
                    kb == bare
                }
            };
            let candidates: Vec<usize> = self
                .file
                .models
                .keys()
                .enumerate()
                .filter(|(_, k)| same(k))
                .map(|(i, _)| i)
                .collect();
            let by_provider = prefix.and_then(|p| {
                candidates.iter().copied().find(|&i| {
                    let (k, e) = self.file.models.get_index(i).expect("index in range");
                    split_provider(k).0 == Some(p) || e.provider.as_deref() == Some(p)
                })
            });
            if let Some(i) = by_provider.or(candidates.first().copied()) {
                return Some(pick(i));
            }
        }
        None
    }

    /// The closest model name, for "did you mean".
    pub(crate) fn suggest(&self, name: &str) -> Option<String> {
        let bare = split_provider(name).1;
        let undated = strip_date_suffix(bare);
        if undated != bare
            && let Some(f) = self.lookup(undated)
        {
            return Some(f.key.to_string());
        }
        let names: Vec<&str> = self.file.models.keys().map(String::as_str).collect();
        if let Some(s) = suggest(name, names.iter().copied()) {
            return Some(s.to_string());
        }
        let bares: Vec<&str> = names.iter().map(|k| split_provider(k).1).collect();
        suggest(bare, bares.iter().copied()).and_then(|b| {
            names
                .iter()
                .find(|k| split_provider(k).1 == b)
                .map(|k| k.to_string())
        })
    }

    /// Entries whose name contains `pattern` (case-insensitive; `*` matches any run of
    /// characters), or every entry when there is no pattern.
    pub fn matching(&self, pattern: Option<&str>) -> Vec<(&str, &Entry, Option<Date>)> {
        self.entries()
            .filter(|(k, e, _)| {
                pattern.is_none_or(|p| {
                    glob_contains(&k.to_lowercase(), &p.to_lowercase())
                        || e.provider
                            .as_deref()
                            .is_some_and(|pr| pr.eq_ignore_ascii_case(p))
                })
            })
            .collect()
    }
}

/// A catalog entry found by [`Catalog::lookup`].
#[derive(Clone, Copy, Debug)]
pub struct Found<'a> {
    /// The catalog's name for it.
    pub key: &'a str,
    pub entry: &'a Entry,
    pub checked: Option<Date>,
}

impl Entry {
    /// A text of the entry (its provider, mode, source…) that holds a character no name may
    /// hold ([`crate::base::escape::forbidden_in_name`]).
    pub(crate) fn control_text(&self) -> Option<&str> {
        [
            &self.provider,
            &self.mode,
            &self.checked,
            &self.source,
            &self.imported_from,
            &self.deprecation_date,
        ]
        .into_iter()
        .flatten()
        .chain(self.tool_usd_per_call.iter().flat_map(|t| t.keys()))
        .map(String::as_str)
        .find(|s| s.chars().any(crate::base::escape::forbidden_in_name))
    }

    /// Every price of the entry, with its key, for range checks.
    pub fn prices(&self) -> Vec<(String, f64)> {
        let mut out = Vec::new();
        let mut push = |k: &str, v: Option<f64>| {
            if let Some(v) = v {
                out.push((k.to_string(), v));
            }
        };
        push("input_usd_per_mtok", self.input_usd_per_mtok);
        push("output_usd_per_mtok", self.output_usd_per_mtok);
        push("cached_input_usd_per_mtok", self.cached_input_usd_per_mtok);
        push("cache_write_usd_per_mtok", self.cache_write_usd_per_mtok);
        push(
            "cache_write_1h_usd_per_mtok",
            self.cache_write_1h_usd_per_mtok,
        );
        push("reasoning_usd_per_mtok", self.reasoning_usd_per_mtok);
        push("image_input_usd_per_mtok", self.image_input_usd_per_mtok);
        push("input_usd_per_image", self.input_usd_per_image);
        push("audio_input_usd_per_mtok", self.audio_input_usd_per_mtok);
        push("audio_output_usd_per_mtok", self.audio_output_usd_per_mtok);
        push("min_cacheable_tokens", self.min_cacheable_tokens);
        for (tier, t) in [
            ("batch", &self.batch),
            ("priority", &self.priority),
            ("flex", &self.flex),
        ] {
            if let Some(t) = t {
                push(&format!("{tier}.input_usd_per_mtok"), t.input_usd_per_mtok);
                push(
                    &format!("{tier}.output_usd_per_mtok"),
                    t.output_usd_per_mtok,
                );
                push(
                    &format!("{tier}.cached_input_usd_per_mtok"),
                    t.cached_input_usd_per_mtok,
                );
                push(
                    &format!("{tier}.cache_write_usd_per_mtok"),
                    t.cache_write_usd_per_mtok,
                );
            }
        }
        let levels = self.long_context.as_ref().map_or(&[][..], |l| &l.0[..]);
        for (i, lc) in levels.iter().enumerate() {
            let lp = if levels.len() == 1 {
                "long_context".to_string()
            } else {
                format!("long_context[{i}]")
            };
            push(
                &format!("{lp}.above_input_tokens"),
                Some(lc.above_input_tokens),
            );
            push(
                &format!("{lp}.input_usd_per_mtok"),
                Some(lc.input_usd_per_mtok),
            );
            push(
                &format!("{lp}.output_usd_per_mtok"),
                Some(lc.output_usd_per_mtok),
            );
            push(
                &format!("{lp}.cached_input_usd_per_mtok"),
                lc.cached_input_usd_per_mtok,
            );
            push(
                &format!("{lp}.cache_write_usd_per_mtok"),
                lc.cache_write_usd_per_mtok,
            );
            push(
                &format!("{lp}.cache_write_1h_usd_per_mtok"),
                lc.cache_write_1h_usd_per_mtok,
            );
            for (tier, t) in [
                ("batch", &lc.batch),
                ("priority", &lc.priority),
                ("flex", &lc.flex),
            ] {
                if let Some(t) = t {
                    for (k, v) in t.keyed() {
                        push(&format!("{lp}.{tier}.{k}"), Some(v));
                    }
                }
            }
        }
        if let Some(tools) = &self.tool_usd_per_call {
            for (k, v) in tools {
                push(&format!("tool_usd_per_call.{k}"), Some(*v));
            }
        }
        out
    }
}

/// `("openai", "gpt-4o")` for `openai/gpt-4o`; `(None, name)` without a prefix. Only the first
/// segment is the provider; the bare name is what follows the last `/`.
pub(crate) fn split_provider(name: &str) -> (Option<&str>, &str) {
    match name.rsplit_once('/') {
        Some((head, bare)) => (Some(head.split('/').next().unwrap_or(head)), bare),
        None => (None, name),
    }
}

/// `gpt-4o-2024-08-06` → `gpt-4o`; `claude-sonnet-4-5-20250929` → `claude-sonnet-4-5`.
pub(crate) fn strip_date_suffix(name: &str) -> &str {
    let b = name.as_bytes();
    let n = b.len();
    let digits = |r: std::ops::Range<usize>| b[r].iter().all(u8::is_ascii_digit);
    if n > 11
        && b[n - 11] == b'-'
        && b[n - 6] == b'-'
        && b[n - 3] == b'-'
        && digits(n - 10..n - 6)
        && digits(n - 5..n - 3)
        && digits(n - 2..n)
    {
        return &name[..n - 11];
    }
    if n > 9 && b[n - 9] == b'-' && digits(n - 8..n) {
        return &name[..n - 9];
    }
    name
}

/// Whether `text` contains `pattern`, where `*` in the pattern matches any run of characters.
fn glob_contains(text: &str, pattern: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').filter(|p| !p.is_empty()).collect();
    let mut rest = text;
    for p in parts {
        match rest.find(p) {
            Some(i) => rest = &rest[i + p.len()..],
            None => return false,
        }
    }
    true
}

/// "did you mean" for serde's `unknown field `x`, expected one of …` messages.
fn unknown_field_help(message: &str) -> Option<String> {
    let rest = message.strip_prefix("unknown field `")?;
    let (field, expected) = rest.split_once('`')?;
    let candidates: Vec<&str> = expected
        .split('`')
        .enumerate()
        .filter(|(i, _)| i % 2 == 1)
        .map(|(_, s)| s)
        .collect();
    Some(match suggest(field, candidates.iter().copied()) {
        Some(s) => format!("did you mean `{s}`?"),
        None => "remove it; catalog keys are the [[model]] price keys (see `aicost prices show`)"
            .to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn catalog(models: &str) -> Catalog {
        Catalog::parse(
            "test",
            &format!(r#"{{"aicost_catalog": 1, "checked": "2026-10-01", "models": {{{models}}}}}"#),
        )
        .unwrap()
    }

    #[test]
    fn lookup_strips_provider_prefixes_on_either_side() {
        let c = catalog(
            r#""gpt-4o": {"input_usd_per_mtok": 2.5, "output_usd_per_mtok": 10},
               "vertex_ai/gemini-2.5-pro": {"provider": "vertex_ai", "input_usd_per_mtok": 1.25, "output_usd_per_mtok": 10},
               "gemini/gemini-2.5-pro": {"provider": "gemini", "input_usd_per_mtok": 1.3, "output_usd_per_mtok": 10}"#,
        );
        assert_eq!(c.lookup("gpt-4o").unwrap().key, "gpt-4o");
        assert_eq!(c.lookup("openai/gpt-4o").unwrap().key, "gpt-4o");
        assert_eq!(c.lookup("GPT-4o").unwrap().key, "gpt-4o");
        assert_eq!(
            c.lookup("gemini-2.5-pro").unwrap().key,
            "vertex_ai/gemini-2.5-pro"
        );
        assert_eq!(
            c.lookup("gemini/gemini-2.5-pro").unwrap().key,
            "gemini/gemini-2.5-pro"
        );
        assert!(c.lookup("gpt-4").is_none());
        assert_eq!(c.suggest("gpt-4o-2024-08-06").as_deref(), Some("gpt-4o"));
        assert_eq!(c.suggest("gpt-4oo").as_deref(), Some("gpt-4o"));
        assert_eq!(
            c.suggest("gemini-2.5-prp").as_deref(),
            Some("vertex_ai/gemini-2.5-pro")
        );
        assert_eq!(
            c.lookup("gpt-4o").unwrap().checked,
            Date::parse("2026-10-01")
        );
    }

    #[test]
    fn mistakes_are_located_with_a_fix() {
        let text = "{\"aicost_catalog\": 1, \"models\": {\n  \"m\": {\"inptu_usd_per_mtok\": 1}}}";
        let e = Catalog::parse("c.json", text).unwrap_err();
        assert_eq!(e.line_col.map(|l| l.0), Some(2));
        assert_eq!(
            e.help.as_deref(),
            Some("did you mean `input_usd_per_mtok`?")
        );
        let e = Catalog::parse(
            "c.json",
            "{\"aicost_catalog\": 1, \"models\": {\n\"m\": {\"input_usd_per_mtok\": 1}}}",
        )
        .unwrap_err();
        assert!(
            e.message
                .contains("needs `input_usd_per_mtok` and `output_usd_per_mtok`")
        );
        assert_eq!(e.line_col, Some((2, 1)));
    }

    #[test]
    fn patterns_and_date_suffixes() {
        assert!(glob_contains("claude-sonnet-4-5", "sonnet"));
        assert!(glob_contains("claude-sonnet-4-5", "claude*4-5"));
        assert!(!glob_contains("gpt-4o", "claude"));
        assert_eq!(strip_date_suffix("gpt-4o-2024-08-06"), "gpt-4o");
        assert_eq!(
            strip_date_suffix("claude-sonnet-4-5-20250929"),
            "claude-sonnet-4-5"
        );
        assert_eq!(strip_date_suffix("gpt-4o"), "gpt-4o");
        assert_eq!(
            split_provider("bedrock/us-east-1/claude"),
            (Some("bedrock"), "claude")
        );
    }

    #[test]
    fn the_builtin_catalog_parses_and_is_dated() {
        let c = builtin();
        assert!(c.len() >= 30);
        for (name, e, checked) in c.entries() {
            assert!(checked.is_some(), "{name} has no checked date");
            assert!(e.source.is_some(), "{name} has no source");
            assert!(e.provider.is_some(), "{name} has no provider");
        }
        for name in [
            "gpt-4o",
            "gpt-4o-mini",
            "claude-sonnet-4-5",
            "claude-haiku-4-5",
            "gemini-2.5-pro",
            "gemini-2.5-flash",
            "mistral-large-latest",
        ] {
            assert!(c.lookup(name).is_some(), "{name} missing");
        }
    }
}
