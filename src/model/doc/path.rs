//! Key paths as people type them: `segment.agents.users`, `segment[agents].users`,
//! `stack[route-a].route.summary.chain[0].model`.
//!
//! One syntax serves `--set` overrides, the labels of uncertain parameters and the metric names of
//! `aicost check`, so a path printed in one place can be pasted into another. Arrays of tables are
//! addressed by the `name` of an element (`segment.agents` or `segment[agents]`) or by index
//! (`chain[0]`, `chain.0`); every part keeps its byte span so a mistake can be pointed at.

use std::ops::Range;

use super::{Node, Value};

/// One part of a typed path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Part {
    pub text: String,
    /// Byte range of the part in the text it was parsed from.
    pub span: Range<usize>,
    /// Written as `[text]`: selects an array element by name or index.
    pub bracketed: bool,
}

impl Part {
    /// The index this part selects, when it is a whole number.
    pub fn index(&self) -> Option<usize> {
        if !self.text.is_empty() && self.text.bytes().all(|b| b.is_ascii_digit()) {
            self.text.parse().ok()
        } else {
            None
        }
    }
}

/// A mistake in the syntax of a path, at a byte range of it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PathError {
    pub message: String,
    pub span: Range<usize>,
}

/// Parse `text` (already isolated, starting at byte `offset` of its source) into parts.
pub fn parse(text: &str, offset: usize) -> Result<Vec<Part>, PathError> {
    let bytes = text.as_bytes();
    let mut parts = Vec::new();
    let mut i = 0;
    let err = |message: String, span: Range<usize>| PathError {
        message,
        span: span.start + offset..span.end + offset,
    };
    if text.trim().is_empty() {
        return Err(err("the key path is empty".to_string(), 0..text.len()));
    }
    let mut expect_key = true;
    while i < bytes.len() {
        match bytes[i] {
            b'.' => {
                if expect_key {
                    return Err(err("empty key in the path".to_string(), i..i + 1));
                }
                expect_key = true;
                i += 1;
            }
            b'[' => {
                let Some(close) = text[i + 1..].find(']') else {
                    return Err(err("`[` without a closing `]`".to_string(), i..text.len()));
                };
                let inner = &text[i + 1..i + 1 + close];
                let (name, start) = unquote(inner, i + 1);
                if name.trim().is_empty() {
                    return Err(err(
                        "empty `[]`: put a name or an index inside".to_string(),
                        i..i + close + 2,
                    ));
                }
                if expect_key && !parts.is_empty() {
                    return Err(err("`.[` : remove the dot".to_string(), i..i + 1));
                }
                if parts.is_empty() {
                    return Err(err(
                        "a path starts with a key, e.g. `segment[agents]`".to_string(),
                        i..i + close + 2,
                    ));
                }
                parts.push(Part {
                    span: offset + start..offset + start + name.len(),
                    text: name,
                    bracketed: true,
                });
                expect_key = false;
                i += close + 2;
            }
            b'"' => {
                let Some(close) = text[i + 1..].find('"') else {
                    return Err(err("unterminated quoted key".to_string(), i..text.len()));
                };
                if !expect_key {
                    return Err(err("a key must follow a `.`".to_string(), i..i + 1));
                }
                parts.push(Part {
                    text: text[i + 1..i + 1 + close].to_string(),
                    span: offset + i + 1..offset + i + 1 + close,
                    bracketed: false,
                });
                expect_key = false;
                i += close + 2;
            }
            _ => {
                if !expect_key {
                    return Err(err(
                        "a key must follow a `.`".to_string(),
                        i..(i + 1).min(text.len()),
                    ));
                }
                let start = i;
                while i < bytes.len() && !matches!(bytes[i], b'.' | b'[' | b'"') {
                    i += 1;
                }
                let key = &text[start..i];
                if let Some(bad) = key.find(|c: char| c.is_whitespace() || c == ']' || c == '=') {
                    return Err(err(
                        format!(
                            "unexpected `{}` in a key",
                            &key[bad..].chars().next().unwrap_or(' ')
                        ),
                        start + bad..start + bad + 1,
                    ));
                }
                parts.push(Part {
                    text: key.to_string(),
                    span: offset + start..offset + i,
                    bracketed: false,
                });
                expect_key = false;
            }
        }
    }
    if expect_key {
        return Err(err(
            "the path ends with a `.`".to_string(),
            text.len().saturating_sub(1)..text.len(),
        ));
    }
    Ok(parts)
}

fn unquote(inner: &str, start: usize) -> (String, usize) {
    let t = inner.trim();
    let lead = inner.len() - inner.trim_start().len();
    if t.len() >= 2 && t.starts_with('"') && t.ends_with('"') {
        (t[1..t.len() - 1].to_string(), start + lead + 1)
    } else {
        (t.to_string(), start + lead)
    }
}

/// Render parts back in the canonical form: keys joined by `.`, array elements in brackets.
pub fn render(parts: &[Part]) -> String {
    let mut out = String::new();
    for p in parts {
        if p.bracketed {
            out.push('[');
            out.push_str(&p.text);
            out.push(']');
        } else {
            if !out.is_empty() {
                out.push('.');
            }
            out.push_str(&p.text);
        }
    }
    out
}

/// Render parts as `--set` and [`parse`] read them back, quoting where a name needs it: an
/// element's name in brackets (`[a"b]`, or `["name"]` when it has spaces at its ends or is
/// itself quoted), a key bare when it can be (`route.main`) and in quotes when not
/// (`route."my route"`). `None` when a part cannot be written at all: a key holding `"`, an
/// element's name holding both `]` and `"`. (An element named by digits alone reads back as an
/// index, as it does in every path.)
pub fn render_quoted(parts: &[Part]) -> Option<String> {
    let mut out = String::new();
    for p in parts {
        let t = &p.text;
        if t.is_empty() {
            return None;
        }
        if p.bracketed {
            if !t.contains(']') {
                let wrapped =
                    t.trim() != t || (t.len() >= 2 && t.starts_with('"') && t.ends_with('"'));
                out.push('[');
                if wrapped {
                    out.push('"');
                    out.push_str(t);
                    out.push('"');
                } else {
                    out.push_str(t);
                }
                out.push(']');
            } else if !t.contains('"') && !out.is_empty() {
                // An element can be selected by name as a quoted key, too.
                out.push_str(".\"");
                out.push_str(t);
                out.push('"');
            } else {
                return None;
            }
        } else {
            if !out.is_empty() {
                out.push('.');
            }
            let bare = !t
                .contains(|c: char| c.is_whitespace() || matches!(c, '.' | '[' | ']' | '"' | '='));
            if bare {
                out.push_str(t);
            } else if !t.contains('"') {
                out.push('"');
                out.push_str(t);
                out.push('"');
            } else {
                return None;
            }
        }
    }
    Some(out)
}

/// The element of an array of tables that `part` selects: by index, or by its `name`.
pub(crate) fn select<'a>(items: &'a [Node], part: &Part) -> Option<(usize, &'a Node)> {
    match part.index() {
        Some(i) => items.get(i).map(|n| (i, n)),
        None => items
            .iter()
            .enumerate()
            .find(|(_, n)| n.get("name").and_then(Node::as_str) == Some(part.text.as_str())),
    }
}

/// The names of the elements of an array of tables, for suggestions.
pub fn names(items: &[Node]) -> Vec<&str> {
    items
        .iter()
        .filter_map(|n| n.get("name").and_then(Node::as_str))
        .collect()
}

/// The node at `parts`, if every step exists.
pub fn lookup<'a>(root: &'a Node, parts: &[Part]) -> Option<&'a Node> {
    let mut node = root;
    for part in parts {
        node = match &node.value {
            Value::Table(_) if !part.bracketed => node.get(&part.text)?,
            Value::Array(items) => select(items, part)?.1,
            _ => return None,
        };
    }
    Some(node)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::base::source::FileId;

    fn texts(p: &str) -> Vec<(String, bool)> {
        parse(p, 0)
            .unwrap()
            .into_iter()
            .map(|p| (p.text, p.bracketed))
            .collect()
    }

    #[test]
    fn dotted_and_bracketed_forms() {
        assert_eq!(
            texts("segment.agents.users"),
            vec![
                ("segment".into(), false),
                ("agents".into(), false),
                ("users".into(), false)
            ]
        );
        assert_eq!(
            texts("stack[route-a].route.summary.chain[0].model"),
            vec![
                ("stack".into(), false),
                ("route-a".into(), true),
                ("route".into(), false),
                ("summary".into(), false),
                ("chain".into(), false),
                ("0".into(), true),
                ("model".into(), false)
            ]
        );
        assert_eq!(
            texts("model[\"gpt-4.1\"].input_usd_per_mtok")[1],
            ("gpt-4.1".into(), true)
        );
        assert_eq!(texts("model.\"gpt-4.1\".x")[1], ("gpt-4.1".into(), false));
    }

    #[test]
    fn spans_point_into_the_source() {
        let parts = parse("segment[agents].users", 10).unwrap();
        assert_eq!(parts[1].span, 18..24);
        assert_eq!(parts[2].span, 26..31);
        assert_eq!(render(&parts), "segment[agents].users");
    }

    #[test]
    fn syntax_errors_are_located() {
        assert_eq!(parse("a..b", 0).unwrap_err().span, 2..3);
        assert!(parse("a[b", 0).is_err());
        assert!(parse("a.", 0).is_err());
        assert!(parse("", 0).is_err());
        assert!(parse("a b", 0).is_err());
        assert!(parse("[x]", 0).is_err());
    }

    #[test]
    fn lookup_selects_by_name_or_index() {
        let text = "[[segment]]\nname = \"a\"\nusers = 1\n[[segment]]\nname = \"b\"\nusers = 2\n";
        let root = Node::parse(text, FileId(0)).unwrap();
        let users = |p: &str| lookup(&root, &parse(p, 0).unwrap()).map(|n| n.value.clone());
        assert_eq!(users("segment.b.users"), Some(Value::Integer(2)));
        assert_eq!(users("segment[a].users"), Some(Value::Integer(1)));
        assert_eq!(users("segment[1].users"), Some(Value::Integer(2)));
        assert_eq!(users("segment.c.users"), None);
    }
}
