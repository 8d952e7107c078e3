//! `aicost tokens FILE… --model M`: the token counts of prompt files with the model's tokenizer,
//! so a scenario's prompt sizes can be checked against the prompts themselves.

use crate::app::cli::{Config, TokensArgs};
use crate::app::output;
use crate::base::error::{Error, UsageKind};
use crate::model::tokens::{Encoding, read_text};

pub fn tokens(a: &TokensArgs, config: &Config) -> Result<u8, Error> {
    super::refuse_overrides(config, "tokens")?;
    let cat = super::prices::open_catalog(a.catalog.as_deref())?;
    let found = cat.lookup(&a.model);
    let bare = a.model.rsplit('/').next().unwrap_or(&a.model);
    // A model is known when the catalog has it or it is an OpenAI model whose encoding is public.
    if found.is_none() && tiktoken_rs::tokenizer::get_tokenizer(bare).is_none() {
        let help = match cat.suggest(&a.model) {
            Some(s) => format!("did you mean `{s}`? `aicost prices list` shows every model"),
            None => "`aicost prices list PATTERN` searches the catalog".to_string(),
        };
        return Err(UsageKind::ModelNotInCatalog {
            model: a.model.clone(),
            catalog: cat.label(),
        }
        .help(help)
        .into());
    }
    let encoding = match &found {
        Some(f) => Encoding::of(f.key, f.entry.provider.as_deref()),
        None => Encoding::of(&a.model, None),
    };
    let mut rows = Vec::with_capacity(a.files.len());
    for f in &a.files {
        let text = read_text(f).map_err(|error| {
            Error::from(
                UsageKind::PromptUnreadable {
                    path: f.clone(),
                    error,
                }
                .help("name a text file (UTF-8); the path is relative to the current folder"),
            )
        })?;
        rows.push((f, encoding.count(&text)));
    }
    let total: u64 = rows.iter().map(|(_, n)| n).sum();
    let width = total.to_string().len();
    let mut out = String::new();
    for (f, n) in &rows {
        out += &format!(
            "{n:>width$}  {}\n",
            crate::base::escape::visible(&f.display().to_string())
        );
    }
    if rows.len() > 1 {
        out += &format!("{total:>width$}  total\n");
    }
    out += &format!("tokenizer: {}\n", encoding.describe());
    output::write_stdout(out.as_bytes())?;
    Ok(0)
}
