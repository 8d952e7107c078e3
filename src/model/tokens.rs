//! Token counts of real text, so a step's prompt size can be read from the prompt itself rather
//! than guessed.
//!
//! OpenAI's encodings (o200k, cl100k and the older ones) are public and built into the
//! `tiktoken-rs` crate, so their counts are exact and need nothing at run time. Anthropic, Google
//! and the other providers do not publish their tokenizers: their counts come from the average
//! number of characters per token each documents, and are marked as approximations wherever they
//! are shown.

use std::path::Path;

use tiktoken_rs::tokenizer::{Tokenizer, get_tokenizer};

/// How a model's text is counted.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Encoding {
    /// A public byte-pair encoding, counted exactly.
    Bpe(Tokenizer),
    /// A documented average of characters per token, for a tokenizer that is not public.
    Ratio {
        chars_per_token: f64,
        /// Whose tokenizer, and where the ratio is documented.
        name: &'static str,
        source: &'static str,
    },
}

/// Anthropic: "a token approximately represents 3.5 English characters" (Claude docs, glossary
/// "Tokens": <https://docs.anthropic.com/en/docs/about-claude/glossary>).
pub const ANTHROPIC: Encoding = Encoding::Ratio {
    chars_per_token: 3.5,
    name: "Anthropic (not public)",
    source: "docs.anthropic.com glossary: about 3.5 English characters per token",
};
/// Google: "a token is equivalent to about 4 characters for Gemini models"
/// (<https://ai.google.dev/gemini-api/docs/tokens>).
pub const GOOGLE: Encoding = Encoding::Ratio {
    chars_per_token: 4.0,
    name: "Gemini (not public)",
    source: "ai.google.dev/gemini-api/docs/tokens: about 4 characters per token",
};
/// Any other provider: OpenAI's rule of thumb for English text, "one token generally corresponds
/// to ~4 characters" (<https://platform.openai.com/tokenizer>).
pub const OTHER: Encoding = Encoding::Ratio {
    chars_per_token: 4.0,
    name: "unknown tokenizer",
    source: "platform.openai.com/tokenizer: about 4 characters per token of English text",
};

impl Encoding {
    /// The encoding of `model` (a provider prefix such as `openai/` is ignored), given its
    /// provider when known: OpenAI's models by their public encoding, others by their
    /// provider's documented ratio.
    pub fn of(model: &str, provider: Option<&str>) -> Encoding {
        let bare = model.rsplit('/').next().unwrap_or(model);
        if let Some(t) = get_tokenizer(bare) {
            return Encoding::Bpe(t);
        }
        let provider = provider.unwrap_or("").to_ascii_lowercase();
        let lower = bare.to_ascii_lowercase();
        if provider == "anthropic" || lower.starts_with("claude") {
            ANTHROPIC
        } else if ["google", "gemini", "vertex_ai", "vertex"].contains(&provider.as_str())
            || lower.starts_with("gemini")
        {
            GOOGLE
        } else if provider == "openai" || provider == "azure" {
            // A newer OpenAI model the crate does not list yet: its latest encoding.
            Encoding::Bpe(Tokenizer::O200kBase)
        } else {
            OTHER
        }
    }

    /// Whether counts are estimates rather than the tokenizer's own.
    pub fn approximate(&self) -> bool {
        matches!(self, Encoding::Ratio { .. })
    }

    /// A short name for messages: `o200k_base`, or the ratio and its source.
    pub fn describe(&self) -> String {
        match self {
            Encoding::Bpe(t) => bpe_name(*t).to_string(),
            Encoding::Ratio {
                chars_per_token,
                name,
                source,
            } => {
                format!("approximation: {name}, {chars_per_token} characters per token ({source})")
            }
        }
    }

    /// The number of tokens of `text` (special-token markers counted as plain text).
    pub fn count(&self, text: &str) -> u64 {
        match self {
            Encoding::Bpe(t) => {
                let bpe = match t {
                    Tokenizer::Cl100kBase => tiktoken_rs::cl100k_base_singleton(),
                    Tokenizer::P50kBase => tiktoken_rs::p50k_base_singleton(),
                    Tokenizer::P50kEdit => tiktoken_rs::p50k_edit_singleton(),
                    Tokenizer::R50kBase | Tokenizer::Gpt2 => tiktoken_rs::r50k_base_singleton(),
                    Tokenizer::O200kBase | Tokenizer::O200kHarmony => {
                        tiktoken_rs::o200k_base_singleton()
                    }
                };
                bpe.encode_ordinary(text).len() as u64
            }
            Encoding::Ratio {
                chars_per_token, ..
            } => (text.chars().count() as f64 / chars_per_token).ceil() as u64,
        }
    }
}

fn bpe_name(t: Tokenizer) -> &'static str {
    match t {
        Tokenizer::O200kBase => "o200k_base",
        Tokenizer::O200kHarmony => "o200k_harmony",
        Tokenizer::Cl100kBase => "cl100k_base",
        Tokenizer::P50kBase => "p50k_base",
        Tokenizer::P50kEdit => "p50k_edit",
        Tokenizer::R50kBase => "r50k_base",
        Tokenizer::Gpt2 => "gpt2",
    }
}

/// The largest prompt file read (a system prompt is kilobytes; anything near this is not one).
pub const MAX_PROMPT_BYTES: u64 = 16 << 20;

/// The text of a prompt file: refused when missing, unreadable, too large, or not text (a NUL
/// byte, or bytes that are not UTF-8), with the reason in words.
pub fn read_text(path: &Path) -> Result<String, String> {
    let meta = std::fs::metadata(path).map_err(|e| e.to_string())?;
    if !meta.is_file() {
        return Err("not a regular file".to_string());
    }
    if meta.len() > MAX_PROMPT_BYTES {
        return Err(format!(
            "{} bytes, more than the {} MiB a prompt may have",
            meta.len(),
            MAX_PROMPT_BYTES >> 20
        ));
    }
    let bytes = std::fs::read(path).map_err(|e| e.to_string())?;
    if bytes.contains(&0) {
        return Err("a binary file (it holds NUL bytes), not text".to_string());
    }
    String::from_utf8(bytes).map_err(|e| {
        format!(
            "not UTF-8 text (invalid byte at offset {})",
            e.utf8_error().valid_up_to()
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_counts() {
        let o200k = Encoding::of("gpt-4o", None);
        assert_eq!(o200k, Encoding::Bpe(Tokenizer::O200kBase));
        // "hello" and " world" are one token each in both encodings.
        assert_eq!(o200k.count("hello world"), 2);
        let cl100k = Encoding::of("openai/gpt-4", None);
        assert_eq!(cl100k, Encoding::Bpe(Tokenizer::Cl100kBase));
        assert_eq!(cl100k.count("hello world"), 2);
        assert_eq!(o200k.count(""), 0);
        // 11 characters at 3.5 per token: 3.14…, rounded up.
        let claude = Encoding::of("claude-sonnet-4-5", Some("anthropic"));
        assert!(claude.approximate());
        assert_eq!(claude.count("hello world"), 4);
        assert_eq!(Encoding::of("gemini-2.5-pro", None).count("hello world"), 3);
        assert_eq!(
            Encoding::of("gpt-9-preview", Some("openai")),
            Encoding::Bpe(Tokenizer::O200kBase)
        );
    }
}
