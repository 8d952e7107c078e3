//! Model names as logs write them, resolved to the names a price list uses.
//!
//! Providers answer with dated snapshots (`gpt-4o-2024-08-06`, `claude-sonnet-4-5-20250929`) and
//! applications ask for moving aliases (`claude-3-7-sonnet-latest`); a catalog lists the family
//! name. A logged name is tried as written, then without its date suffix, then without a
//! `-latest` suffix; the first that a price list knows is used, and how it was found is kept so
//! `fit` and `backtest` can say which resolution priced a call.

use crate::model::catalog::{Catalog, split_provider, strip_date_suffix};

/// How a logged name was matched.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum How {
    /// As logged (a provider prefix or a case difference aside).
    AsLogged,
    /// Without its date suffix: a dated snapshot priced as its family.
    Undated,
    /// Without its `-latest` suffix: a moving alias priced as the model it names today.
    Latest,
}

impl How {
    pub fn describe(self) -> &'static str {
        match self {
            How::AsLogged => "as logged",
            How::Undated => "a dated snapshot, priced as the model without its date",
            How::Latest => "a `-latest` alias, priced as the model it names",
        }
    }
}

/// A logged name matched to a price list's name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Resolution {
    /// The price list's name for it.
    pub key: String,
    pub how: How,
}

/// The names to try for a logged name, in order, with how each was derived.
pub fn candidates(name: &str) -> Vec<(String, How)> {
    let mut out = vec![(name.to_string(), How::AsLogged)];
    let (_, bare) = split_provider(name);
    let undated = strip_date_suffix(bare);
    if undated != bare {
        out.push((undated.to_string(), How::Undated));
    }
    for suffix in ["-latest", ":latest"] {
        if let Some(stem) = bare.strip_suffix(suffix)
            && !stem.is_empty()
        {
            out.push((stem.to_string(), How::Latest));
        }
    }
    out
}

/// The catalog entry a logged model name stands for.
pub fn resolve(catalog: &Catalog, name: &str) -> Option<Resolution> {
    candidates(name).into_iter().find_map(|(n, how)| {
        catalog.lookup(&n).map(|f| Resolution {
            key: f.key.to_string(),
            how,
        })
    })
}

/// The first of `names` (a scenario's models) that a logged name stands for: the same name, or
/// the same without a provider prefix, tried for each candidate in turn.
pub fn resolve_among<'a>(names: &[&'a str], logged: &str) -> Option<(&'a str, How)> {
    candidates(logged).into_iter().find_map(|(n, how)| {
        let bare = split_provider(&n).1.to_string();
        names
            .iter()
            .find(|m| **m == n)
            .or_else(|| names.iter().find(|m| split_provider(m).1 == bare))
            .map(|m| (*m, how))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dated_and_latest_names_reach_their_family() {
        let c = crate::model::catalog::builtin();
        let r = resolve(c, "gpt-4o-2024-08-06").expect("gpt-4o is in the built-in catalog");
        assert_eq!((r.key.as_str(), r.how), ("gpt-4o", How::Undated));
        let r = resolve(c, "openai/gpt-4o").expect("a provider prefix is fine");
        assert_eq!(r.how, How::AsLogged);
        let r = resolve(c, "gpt-4o-latest").expect("an alias");
        assert_eq!((r.key.as_str(), r.how), ("gpt-4o", How::Latest));
        assert_eq!(resolve(c, "no-such-model-2024-08-06"), None);
        let names = ["claude-sonnet-4-5", "gpt-4o"];
        assert_eq!(
            resolve_among(&names, "anthropic/claude-sonnet-4-5-20250929"),
            Some(("claude-sonnet-4-5", How::Undated))
        );
    }
}
