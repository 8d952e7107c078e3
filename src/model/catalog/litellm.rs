//! Import of LiteLLM's `model_prices_and_context_window.json` into an aicost catalog.
//!
//! LiteLLM prices are USD per token, keyed by names that often carry a provider prefix; many
//! entries are not text models (images, embeddings, audio) or have no price at all. The import keeps
//! chat, completion, responses and realtime models with both base prices, converts every per-token price to
//! per million tokens by shifting the decimal point (see [`decimal`](super::decimal)), maps each key
//! aicost can represent to its catalog key, and counts — never silently drops — the rest: skipped
//! entries by reason, and price keys aicost cannot represent yet by key.

use std::collections::BTreeMap;

use indexmap::IndexMap;
use serde::Serialize;
use serde_json::{Map, Value};

use super::decimal::per_token_to_per_mtok;
use super::levels::{threshold_levels, tiered};
use super::{
    CatalogFile, Entry, FORMAT_VERSION, Imported, LongContextLevels, TierPrices, split_provider,
};

/// Modes that price tokens: text models, and realtime (speech) models, which bill text and audio
/// tokens the same way.
pub(crate) const TOKEN_MODES: [&str; 4] = ["chat", "completion", "responses", "realtime"];

/// What to import and how to label it.
#[derive(Clone, Debug, Default)]
pub struct ImportOptions {
    /// Shown in each entry's `imported_from` (usually the file name).
    pub source_label: String,
    /// `checked` date written into the catalog (`YYYY-MM-DD`).
    pub checked: String,
    /// Import only these keys (exact LiteLLM keys); all when `None`.
    pub only: Option<Vec<String>>,
    /// Name entries without their provider prefix (`gemini/gemini-2.5-pro` → `gemini-2.5-pro`).
    pub strip_prefix: bool,
    /// The LiteLLM release the file belongs to (`1.110.2`), when known.
    pub release: Option<String>,
    /// The date of that release or file (`YYYY-MM-DD`), when known.
    pub date: Option<String>,
}

/// What the import did, for the summary printed to the user.
#[derive(Clone, Debug, Default, Serialize, PartialEq)]
pub struct ImportSummary {
    pub imported: usize,
    /// Keys that are not model entries (`sample_spec`, `fallback_generalizations`, non-objects).
    pub not_models: usize,
    /// Entries of other modes (embedding, image_generation, …), by mode.
    pub skipped_by_mode: BTreeMap<String, usize>,
    /// Token-model entries without an input or output price.
    pub skipped_without_prices: usize,
    /// Token-model entries whose prices are all 0 (unpriced, not free).
    pub skipped_zero_prices: usize,
    /// Entries dropped because another one already had the same (stripped) name.
    pub skipped_duplicates: usize,
    /// Entries whose name (or provider, mode, source…) holds a control character, which no
    /// scenario or catalog may hold.
    pub skipped_control_names: usize,
    /// `--only` names that the file does not have.
    pub not_found: Vec<String>,
    /// Price keys of imported entries that aicost cannot represent, with how many entries have
    /// each.
    pub unrepresented: BTreeMap<String, usize>,
    /// Keys of imported entries that carry no price (capabilities, limits aicost does not use,
    /// notes), with how many entries have each: listed, not imported.
    pub not_prices: BTreeMap<String, usize>,
    /// `alias_of` entries imported with their target's prices.
    pub aliases_resolved: usize,
    /// `alias_of` entries whose target is not in the file (or is itself unresolvable), by name.
    pub aliases_unresolved: Vec<String>,
}

impl ImportSummary {
    pub fn skipped(&self) -> usize {
        self.skipped_by_mode.values().sum::<usize>()
            + self.skipped_without_prices
            + self.skipped_zero_prices
            + self.skipped_duplicates
            + self.skipped_control_names
            + self.aliases_unresolved.len()
    }

    /// A few lines for stderr.
    pub fn render(&self) -> String {
        let mut out = format!(
            "imported {} models; skipped {}",
            self.imported,
            self.skipped()
        );
        let mut parts = Vec::new();
        let modes: usize = self.skipped_by_mode.values().sum();
        if modes > 0 {
            let mut by: Vec<(&String, &usize)> = self.skipped_by_mode.iter().collect();
            by.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
            let list: Vec<String> = by.iter().map(|(m, n)| format!("{m} {n}")).collect();
            parts.push(format!(
                "{modes} not chat/completion/responses/realtime ({})",
                list.join(", ")
            ));
        }
        if self.skipped_without_prices > 0 {
            parts.push(format!(
                "{} without an input or output price",
                self.skipped_without_prices
            ));
        }
        if self.skipped_zero_prices > 0 {
            parts.push(format!(
                "{} priced 0 (unpriced, not free)",
                self.skipped_zero_prices
            ));
        }
        if self.skipped_duplicates > 0 {
            parts.push(format!("{} duplicate names", self.skipped_duplicates));
        }
        if self.skipped_control_names > 0 {
            parts.push(format!(
                "{} with control characters in a name or text",
                self.skipped_control_names
            ));
        }
        if !self.aliases_unresolved.is_empty() {
            parts.push(format!(
                "{} aliases whose target is not in the file",
                self.aliases_unresolved.len()
            ));
        }
        if !parts.is_empty() {
            out.push_str(": ");
            out.push_str(&parts.join("; "));
        }
        out.push('\n');
        if self.aliases_resolved > 0 {
            out.push_str(&format!(
                "resolved {} alias{} (`alias_of`) to their target's prices\n",
                self.aliases_resolved,
                if self.aliases_resolved == 1 { "" } else { "es" }
            ));
        }
        if self.not_models > 0 {
            out.push_str(&format!(
                "ignored {} keys that are not models (sample_spec, …)\n",
                self.not_models
            ));
        }
        if !self.not_found.is_empty() {
            let names: Vec<String> = self
                .not_found
                .iter()
                .map(|n| crate::base::escape::visible(n).into_owned())
                .collect();
            out.push_str(&format!("not in the file: {}\n", names.join(", ")));
        }
        if !self.unrepresented.is_empty() {
            let mut by: Vec<(&String, &usize)> = self.unrepresented.iter().collect();
            by.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
            out.push_str(
                "price keys aicost cannot represent yet (the imported entries keep their other prices):\n",
            );
            for (k, n) in by {
                out.push_str(&format!(
                    "  {}: {n} entr{}\n",
                    crate::base::escape::visible(k),
                    if *n == 1 { "y" } else { "ies" }
                ));
            }
        }
        if !self.not_prices.is_empty() {
            // Capability flags are many and alike: one line for them all.
            let (flags, other): (Vec<_>, Vec<_>) = self
                .not_prices
                .iter()
                .partition(|(k, _)| k.starts_with("supports_"));
            let mut names: Vec<String> = other
                .iter()
                .map(|(k, n)| format!("{} ({n})", crate::base::escape::visible(k)))
                .collect();
            if !flags.is_empty() {
                names.insert(0, format!("{} supports_* flags", flags.len()));
            }
            out.push_str(&format!(
                "keys without a price, not imported: {}\n",
                names.join(", ")
            ));
        }
        out
    }
}

/// Convert LiteLLM's catalog text into an aicost catalog.
/// The error is why `text` is not LiteLLM's catalog: it is not a JSON object.
pub fn import(
    text: &str,
    opts: &ImportOptions,
) -> Result<(CatalogFile, ImportSummary), serde_json::Error> {
    let all: IndexMap<String, Value> = serde_json::from_str(text)?;
    let mut summary = ImportSummary::default();
    let mut models: IndexMap<String, Entry> = IndexMap::new();
    let keys: Vec<&String> = match &opts.only {
        Some(only) => {
            let mut keys = Vec::new();
            for name in only {
                match all.get_key_value(name.as_str()) {
                    Some((k, _)) => keys.push(k),
                    None => summary.not_found.push(name.clone()),
                }
            }
            keys
        }
        None => all.keys().collect(),
    };
    for key in keys {
        let Some(obj) = all.get(key).and_then(Value::as_object) else {
            summary.not_models += 1;
            continue;
        };
        let (obj, alias_target) = match resolve_alias(&all, obj) {
            Resolved::Plain => (std::borrow::Cow::Borrowed(obj), None),
            Resolved::Alias(merged, target) => (std::borrow::Cow::Owned(merged), Some(target)),
            Resolved::Unresolved => {
                summary.aliases_unresolved.push(key.clone());
                continue;
            }
        };
        let obj: &Map<String, Value> = &obj;
        if key == "sample_spec" || obj.get("litellm_provider").is_none() {
            summary.not_models += 1;
            continue;
        }
        let mode = obj.get("mode").and_then(Value::as_str).unwrap_or("(none)");
        if !TOKEN_MODES.contains(&mode) {
            *summary.skipped_by_mode.entry(mode.to_string()).or_default() += 1;
            continue;
        }
        // Entries priced only through `tiered_pricing` take their first range's prices.
        let first_range = |k: &str| {
            obj.get("tiered_pricing")
                .and_then(Value::as_array)
                .and_then(|r| {
                    r.iter().filter_map(Value::as_object).find(|t| {
                        t.get("range")
                            .and_then(Value::as_array)
                            .and_then(|r| r.first())
                            .and_then(Value::as_f64)
                            == Some(0.0)
                    })
                })
                .and_then(|t| number(t, k))
        };
        let input =
            number(obj, "input_cost_per_token").or_else(|| first_range("input_cost_per_token"));
        let output =
            number(obj, "output_cost_per_token").or_else(|| first_range("output_cost_per_token"));
        let (Some(input), Some(output)) = (input, output) else {
            summary.skipped_without_prices += 1;
            continue;
        };
        if input == 0.0 && output == 0.0 {
            summary.skipped_zero_prices += 1;
            continue;
        }
        let name = if opts.strip_prefix {
            split_provider(key).1.to_string()
        } else {
            key.clone()
        };
        if name.chars().any(crate::base::escape::forbidden_in_name) {
            summary.skipped_control_names += 1;
            continue;
        }
        if models.contains_key(&name) {
            summary.skipped_duplicates += 1;
            continue;
        }
        let (mut entry, unrepresented) = entry(key, obj, opts);
        if entry.control_text().is_some() {
            summary.skipped_control_names += 1;
            continue;
        }
        if let Some(target) = &alias_target {
            entry.imported_from = Some(format!("{}: {key} (alias of {target})", opts.source_label));
            summary.aliases_resolved += 1;
        }
        for k in unrepresented {
            *summary.unrepresented.entry(k).or_default() += 1;
        }
        for k in obj.keys() {
            if !is_price_key(k) && !MAPPED_FACTS.contains(&k.as_str()) {
                *summary.not_prices.entry(k.clone()).or_default() += 1;
            }
        }
        models.insert(name, entry);
        summary.imported += 1;
    }
    Ok((
        CatalogFile {
            aicost_catalog: FORMAT_VERSION,
            description: Some(format!(
                "Imported from LiteLLM's model price catalog ({})",
                opts.source_label
            )),
            checked: Some(opts.checked.clone()),
            imported: Some(Imported {
                from: "LiteLLM".to_string(),
                release: opts.release.clone(),
                date: opts.date.clone(),
                file: Some(opts.source_label.clone()),
            }),
            models,
        },
        summary,
    ))
}

/// The LiteLLM release a price file belongs to, when its path says: a version in the file's
/// name (`litellm-model-prices-1.110.2.json`), or the metadata of the installed package it
/// lies in (`…/site-packages/litellm/model_prices_and_context_window_backup.json` beside
/// `litellm-1.110.2.dist-info`).
pub fn release_of(path: &std::path::Path) -> Option<String> {
    let version = |s: &str| -> Option<String> {
        s.split(|c: char| !(c.is_ascii_digit() || c == '.'))
            .map(|p| p.trim_matches('.'))
            .find(|p| p.split('.').count() >= 3 && p.split('.').all(|n| !n.is_empty()))
            .map(str::to_string)
    };
    if let Some(v) = path.file_name().and_then(|n| version(&n.to_string_lossy())) {
        return Some(v);
    }
    let package = path.parent()?;
    if package.file_name()? != "litellm" {
        return None;
    }
    let site = package.parent()?;
    let mut found: Vec<String> = std::fs::read_dir(site)
        .ok()?
        .filter_map(Result::ok)
        .filter_map(|e| {
            let n = e.file_name().to_string_lossy().into_owned();
            n.strip_prefix("litellm-")?
                .strip_suffix(".dist-info")
                .map(str::to_string)
        })
        .collect();
    found.sort();
    (found.len() == 1).then(|| found.remove(0))
}

/// The modification date of a file (`YYYY-MM-DD`, UTC), when the system gives one.
pub fn file_date(path: &std::path::Path) -> Option<String> {
    let modified = std::fs::metadata(path).ok()?.modified().ok()?;
    let secs = modified
        .duration_since(std::time::UNIX_EPOCH)
        .ok()?
        .as_secs();
    Some(crate::base::calendar::Date::from_days((secs / 86_400) as i64).to_string())
}

/// Keys without a price that the import maps (to a catalog key, or as the alias link).
const MAPPED_FACTS: [&str; 10] = [
    "litellm_provider",
    "mode",
    "source",
    "deprecation_date",
    "max_input_tokens",
    "max_output_tokens",
    "max_tokens",
    "prompt_cache_min_tokens",
    "alias_of",
    "search_context_cost_per_query",
];

/// How deep a chain of `alias_of` may go before it counts as a cycle.
const MAX_ALIAS_DEPTH: usize = 8;

enum Resolved {
    /// Not an alias.
    Plain,
    /// An alias: its target's keys with the alias's own on top, and the final target's name.
    Alias(Map<String, Value>, String),
    /// An alias whose target is missing, not an object, or a cycle.
    Unresolved,
}

/// Follow `alias_of` (LiteLLM's newer files name another entry whose prices an alias shares).
fn resolve_alias(all: &IndexMap<String, Value>, obj: &Map<String, Value>) -> Resolved {
    let Some(mut target) = obj.get("alias_of").and_then(Value::as_str) else {
        return Resolved::Plain;
    };
    for _ in 0..MAX_ALIAS_DEPTH {
        let Some(t) = all.get(target).and_then(Value::as_object) else {
            return Resolved::Unresolved;
        };
        match t.get("alias_of").and_then(Value::as_str) {
            Some(next) => target = next,
            None => {
                let mut merged = t.clone();
                for (k, v) in obj {
                    if k != "alias_of" {
                        merged.insert(k.clone(), v.clone());
                    }
                }
                merged.insert("alias_of".to_string(), Value::String(target.to_string()));
                return Resolved::Alias(merged, target.to_string());
            }
        }
    }
    Resolved::Unresolved
}

fn number(obj: &Map<String, Value>, key: &str) -> Option<f64> {
    obj.get(key)
        .and_then(Value::as_f64)
        .filter(|v| v.is_finite() && *v >= 0.0)
}

fn per_mtok(obj: &Map<String, Value>, key: &str) -> Option<f64> {
    number(obj, key).map(per_token_to_per_mtok)
}

/// Whether a LiteLLM key carries a price (and so must be mapped or reported).
fn is_price_key(key: &str) -> bool {
    key.contains("cost")
        || key.contains("pricing")
        || key.contains("uplift")
        || key.contains("multiplier")
        || key == "provider_specific_entry"
}

/// Map one entry; also return the price keys that have no aicost equivalent.
// Long on purpose: one entry's keys mapped in turn, each a few lines, all recording into the
// same list of keys used; split, the parts would pass that list and the closure around.
fn entry(key: &str, obj: &Map<String, Value>, opts: &ImportOptions) -> (Entry, Vec<String>) {
    let mut used: Vec<String> = Vec::new();
    let mut take = |k: &str| -> Option<f64> {
        let v = per_mtok(obj, k);
        if v.is_some() {
            used.push(k.to_string());
        }
        v
    };
    let tier = |take: &mut dyn FnMut(&str) -> Option<f64>, suffix: &str| -> Option<TierPrices> {
        let t = TierPrices {
            input_usd_per_mtok: take(&format!("input_cost_per_token_{suffix}")),
            output_usd_per_mtok: take(&format!("output_cost_per_token_{suffix}")),
            cached_input_usd_per_mtok: take(&format!("cache_read_input_token_cost_{suffix}")),
            cache_write_usd_per_mtok: take(&format!("cache_creation_input_token_cost_{suffix}")),
        };
        (!t.is_empty()).then_some(t)
    };
    let input_usd_per_mtok = take("input_cost_per_token");
    let output_usd_per_mtok = take("output_cost_per_token");
    let cached = take("cache_read_input_token_cost");
    let cache_hit_alias = take("input_cost_per_token_cache_hit");
    let cache_write = take("cache_creation_input_token_cost");
    let cache_write_1h = take("cache_creation_input_token_cost_above_1hr");
    let reasoning = take("output_cost_per_reasoning_token");
    let image_token = take("input_cost_per_image_token");
    let audio_in = take("input_cost_per_audio_token");
    let audio_out = take("output_cost_per_audio_token");
    let batch = tier(&mut take, "batches");
    let priority = tier(&mut take, "priority");
    let flex = tier(&mut take, "flex");
    let mut levels = threshold_levels(obj, (input_usd_per_mtok, output_usd_per_mtok), &mut used);
    let tiered = tiered(obj, &mut used);
    let (mut input_usd_per_mtok, mut output_usd_per_mtok) =
        (input_usd_per_mtok, output_usd_per_mtok);
    let (mut cached, mut cache_write, mut reasoning) = (cached, cache_write, reasoning);
    let mut tiered_unmapped = Vec::new();
    if let Some(t) = tiered {
        // The first range prices what no threshold reaches; the base keys win where both give it.
        input_usd_per_mtok = input_usd_per_mtok.or(t.base.input_usd_per_mtok);
        output_usd_per_mtok = output_usd_per_mtok.or(t.base.output_usd_per_mtok);
        cached = cached.or(t.base.cached_input_usd_per_mtok);
        cache_write = cache_write.or(t.base.cache_write_usd_per_mtok);
        reasoning = reasoning.or(t.base_reasoning);
        for l in t.levels {
            if !levels
                .iter()
                .any(|x| x.above_input_tokens == l.above_input_tokens)
            {
                levels.push(l);
            }
        }
        levels.sort_by(|a, b| a.above_input_tokens.total_cmp(&b.above_input_tokens));
        tiered_unmapped = t.unmapped;
    }
    let long_context = (!levels.is_empty()).then_some(LongContextLevels(levels));
    // Per image, not per token: no unit change.
    let per_image = number(obj, "input_cost_per_image");
    if per_image.is_some() {
        used.push("input_cost_per_image".to_string());
    }
    let mut tools: IndexMap<String, f64> = IndexMap::new();
    if let Some(search) = obj
        .get("search_context_cost_per_query")
        .and_then(Value::as_object)
    {
        let medium = search
            .get("search_context_size_medium")
            .and_then(Value::as_f64);
        if let Some(m) = medium {
            tools.insert("web_search".to_string(), m);
            used.push("search_context_cost_per_query".to_string());
        }
    }
    let mut unrepresented: Vec<String> = obj
        .iter()
        .filter(|(k, v)| is_price_key(k) && !used.contains(k) && is_nonzero(v))
        .map(|(k, _)| k.clone())
        .collect();
    unrepresented.extend(tiered_unmapped);
    if let Some(search) = obj
        .get("search_context_cost_per_query")
        .and_then(Value::as_object)
    {
        let medium = search
            .get("search_context_size_medium")
            .and_then(Value::as_f64);
        for size in ["search_context_size_low", "search_context_size_high"] {
            if search.get(size).and_then(Value::as_f64) != medium {
                unrepresented.push(format!("search_context_cost_per_query.{size}"));
            }
        }
    }
    let count = |k: &str| {
        obj.get(k)
            .and_then(Value::as_f64)
            .filter(|v| v.is_finite() && *v > 0.0)
            .map(|v| v.round() as u64)
    };
    let entry = Entry {
        provider: obj
            .get("litellm_provider")
            .and_then(Value::as_str)
            .map(str::to_string),
        mode: obj.get("mode").and_then(Value::as_str).map(str::to_string),
        checked: None,
        source: obj
            .get("source")
            .and_then(Value::as_str)
            .map(str::to_string),
        imported_from: Some(format!("{}: {key}", opts.source_label)),
        deprecation_date: obj
            .get("deprecation_date")
            .and_then(Value::as_str)
            .map(str::to_string),
        // LiteLLM's legacy `max_tokens` is the output limit where the provider gives one (then
        // also `max_output_tokens`), else the input window: a scenario refuses prompts above
        // `context_window`, so an output limit must not stand for it.
        context_window: count("max_input_tokens")
            .or_else(|| count("max_tokens").filter(|_| count("max_output_tokens").is_none())),
        max_output_tokens: count("max_output_tokens"),
        input_usd_per_mtok,
        output_usd_per_mtok,
        cached_input_usd_per_mtok: cached.or(cache_hit_alias),
        cache_write_usd_per_mtok: cache_write,
        cache_write_1h_usd_per_mtok: cache_write_1h,
        min_cacheable_tokens: number(obj, "prompt_cache_min_tokens"),
        batch,
        long_context,
        reasoning_usd_per_mtok: reasoning,
        priority,
        flex,
        image_input_usd_per_mtok: image_token,
        input_usd_per_image: per_image,
        audio_input_usd_per_mtok: audio_in,
        audio_output_usd_per_mtok: audio_out,
        tool_usd_per_call: (!tools.is_empty()).then_some(tools),
    };
    (entry, unrepresented)
}

/// A price of 0 (or an empty object) changes nothing, so it need not be reported.
fn is_nonzero(v: &Value) -> bool {
    match v {
        Value::Number(n) => n.as_f64().is_some_and(|x| x != 0.0),
        Value::Null => false,
        Value::Array(a) => !a.is_empty(),
        Value::Object(o) => !o.is_empty(),
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = r#"{
      "sample_spec": {"input_cost_per_token": 0.0, "litellm_provider": "x", "mode": "chat"},
      "gpt-4o": {"cache_read_input_token_cost": 1.25e-06, "input_cost_per_token": 2.5e-06,
        "input_cost_per_token_batches": 1.25e-06, "input_cost_per_token_priority": 4.25e-06,
        "litellm_provider": "openai", "max_input_tokens": 128000, "max_output_tokens": 16384,
        "mode": "chat", "output_cost_per_token": 1e-05, "output_cost_per_token_batches": 5e-06,
        "output_cost_per_token_priority": 1.7e-05, "source": "https://openai.example/pricing"},
      "gemini/gemini-2.5-pro": {"cache_read_input_token_cost": 1.25e-07,
        "cache_read_input_token_cost_above_200k_tokens": 2.5e-07, "input_cost_per_token": 1.25e-06,
        "input_cost_per_token_above_200k_tokens": 2.5e-06, "litellm_provider": "gemini",
        "mode": "chat", "output_cost_per_token": 1e-05, "output_cost_per_token_above_200k_tokens": 1.5e-05,
        "prompt_cache_min_tokens": 2048.0, "tiered_pricing": [{"range": [0, 1]}]},
      "text-embedding-3-small": {"input_cost_per_token": 2e-08, "litellm_provider": "openai", "mode": "embedding", "output_cost_per_token": 0.0},
      "bedrock/commitment": {"litellm_provider": "bedrock", "mode": "chat", "cost_per_second": 0.01},
      "ollama/free": {"litellm_provider": "ollama", "mode": "chat", "input_cost_per_token": 0.0, "output_cost_per_token": 0.0},
      "gpt-realtime": {"cache_read_input_token_cost": 4e-07, "input_cost_per_audio_token": 3.2e-05,
        "input_cost_per_image_token": 5e-06, "input_cost_per_token": 4e-06, "litellm_provider": "openai",
        "mode": "realtime", "output_cost_per_audio_token": 6.4e-05, "output_cost_per_token": 1.6e-05},
      "o3": {"input_cost_per_token": 2e-06, "input_cost_per_token_flex": 1e-06, "litellm_provider": "openai",
        "mode": "responses", "output_cost_per_reasoning_token": 8e-06, "output_cost_per_token": 8e-06,
        "output_cost_per_token_flex": 4e-06, "input_cost_per_image": 0.001}
    }"#;

    fn opts() -> ImportOptions {
        ImportOptions {
            source_label: "sample.json".into(),
            checked: "2026-11-01".into(),
            ..ImportOptions::default()
        }
    }

    #[test]
    fn entries_with_control_characters_are_skipped_and_counted() {
        let text = r#"{
          "evil\u001b[2J": {"input_cost_per_token": 1e-06, "output_cost_per_token": 2e-06,
            "litellm_provider": "openai", "mode": "chat"},
          "bell": {"input_cost_per_token": 1e-06, "output_cost_per_token": 2e-06,
            "litellm_provider": "open\u0007ai", "mode": "chat"},
          "fine": {"input_cost_per_token": 1e-06, "output_cost_per_token": 2e-06,
            "litellm_provider": "openai", "mode": "chat"}
        }"#;
        let (file, s) = import(text, &opts()).unwrap();
        assert_eq!(s.imported, 1);
        assert_eq!(s.skipped_control_names, 2);
        assert!(
            s.render().contains("2 with control characters"),
            "{}",
            s.render()
        );
        let json = serde_json::to_string(&file).unwrap();
        crate::model::catalog::Catalog::parse("imported", &json).unwrap();
    }

    #[test]
    fn converts_prices_exactly_and_counts_what_it_skips() {
        let (file, s) = import(SAMPLE, &opts()).unwrap();
        assert_eq!(s.imported, 4);
        assert_eq!(s.not_models, 1);
        assert_eq!(s.skipped_by_mode.get("embedding"), Some(&1));
        assert_eq!(s.skipped_without_prices, 1);
        assert_eq!(s.skipped_zero_prices, 1);
        // A range of 0 to 1 tokens prices nothing, but it is read: no key is left unmapped.
        assert_eq!(s.unrepresented.get("tiered_pricing"), None);
        assert_eq!(
            s.unrepresented.get("cost_per_second"),
            None,
            "skipped entries are not counted"
        );
        let g = &file.models["gpt-4o"];
        assert_eq!(g.input_usd_per_mtok, Some(2.5));
        assert_eq!(g.output_usd_per_mtok, Some(10.0));
        assert_eq!(g.cached_input_usd_per_mtok, Some(1.25));
        assert_eq!(g.batch.as_ref().unwrap().output_usd_per_mtok, Some(5.0));
        assert_eq!(g.priority.as_ref().unwrap().output_usd_per_mtok, Some(17.0));
        assert_eq!(g.batch_discount(), Some(0.5));
        assert_eq!(g.context_window, Some(128_000));
        assert_eq!(g.source.as_deref(), Some("https://openai.example/pricing"));
        let p = &file.models["gemini/gemini-2.5-pro"];
        let lc = &p.long_context.as_ref().unwrap().0[0];
        assert_eq!(lc.above_input_tokens, 200_000.0);
        assert_eq!((lc.input_usd_per_mtok, lc.output_usd_per_mtok), (2.5, 15.0));
        assert_eq!(lc.cached_input_usd_per_mtok, Some(0.25));
        assert_eq!(p.min_cacheable_tokens, Some(2048.0));
        // A realtime model is priced per token like a chat model, audio included.
        let r = &file.models["gpt-realtime"];
        assert_eq!(
            (r.input_usd_per_mtok, r.output_usd_per_mtok),
            (Some(4.0), Some(16.0))
        );
        assert_eq!(r.audio_input_usd_per_mtok, Some(32.0));
        assert_eq!(r.audio_output_usd_per_mtok, Some(64.0));
        assert_eq!(r.image_input_usd_per_mtok, Some(5.0));
        assert_eq!(r.cached_input_usd_per_mtok, Some(0.4));
        // Reasoning, flex and per-image prices.
        let o = &file.models["o3"];
        assert_eq!(o.reasoning_usd_per_mtok, Some(8.0));
        let flex = o.flex.as_ref().unwrap();
        assert_eq!(
            (flex.input_usd_per_mtok, flex.output_usd_per_mtok),
            (Some(1.0), Some(4.0))
        );
        assert_eq!(o.input_usd_per_image, Some(0.001));
        // The written catalog reads back.
        let text = serde_json::to_string_pretty(&file).unwrap();
        assert!(text.contains("\"input_usd_per_mtok\": 2.5,"));
        super::super::Catalog::parse("x", &text).unwrap();
    }

    #[test]
    fn only_and_strip_prefix() {
        let o = ImportOptions {
            only: Some(vec!["gemini/gemini-2.5-pro".into(), "nope".into()]),
            strip_prefix: true,
            ..opts()
        };
        let (file, s) = import(SAMPLE, &o).unwrap();
        assert_eq!(file.models.keys().collect::<Vec<_>>(), ["gemini-2.5-pro"]);
        assert_eq!(s.not_found, ["nope"]);
    }

    #[test]
    fn an_output_limit_is_not_taken_for_the_input_window() {
        let text = r#"{
          "old-output": {"input_cost_per_token": 1e-06, "output_cost_per_token": 2e-06,
            "litellm_provider": "openai", "mode": "chat", "max_tokens": 4096,
            "max_output_tokens": 4096},
          "old-input": {"input_cost_per_token": 1e-06, "output_cost_per_token": 2e-06,
            "litellm_provider": "openai", "mode": "chat", "max_tokens": 32000},
          "new": {"input_cost_per_token": 1e-06, "output_cost_per_token": 2e-06,
            "litellm_provider": "openai", "mode": "chat", "max_tokens": 8192,
            "max_input_tokens": 128000, "max_output_tokens": 8192}
        }"#;
        let (file, _) = import(text, &opts()).unwrap();
        assert_eq!(file.models["old-output"].context_window, None);
        assert_eq!(file.models["old-input"].context_window, Some(32_000));
        assert_eq!(file.models["new"].context_window, Some(128_000));
    }

    #[test]
    fn rejects_what_is_not_a_catalog() {
        assert!(import("[1, 2]", &opts()).is_err());
        assert!(import("{", &opts()).is_err());
    }
}
