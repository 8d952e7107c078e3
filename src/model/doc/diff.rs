//! What changed between two versions of a document, key by key.
//!
//! The comparison runs on the located trees after `extends` and overrides are applied, so it shows
//! what the forecast actually sees. Arrays of named tables are matched by `name` (reordering
//! segments is not a change, renaming one is a removal and an addition), arrays of unnamed tables
//! (a `chain`) by position; numbers compare by value (`800` and `800.0` are the same).

use super::{Node, Value};

/// One difference between two documents.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
#[serde(tag = "change", rename_all = "lowercase")]
pub enum Change {
    Added {
        path: String,
        new: String,
    },
    Removed {
        path: String,
        old: String,
    },
    Changed {
        path: String,
        old: String,
        new: String,
    },
}

impl Change {
    pub fn path(&self) -> &str {
        match self {
            Change::Added { path, .. }
            | Change::Removed { path, .. }
            | Change::Changed { path, .. } => path,
        }
    }
}

/// Every difference from `old` to `new`, in document order (old's keys first, then new keys).
pub fn diff(old: &Node, new: &Node) -> Vec<Change> {
    let mut out = Vec::new();
    walk(old, new, "", &mut out);
    out
}

fn join(prefix: &str, key: &str) -> String {
    let key = if key
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        && !key.is_empty()
    {
        key.to_string()
    } else {
        crate::base::escape::toml_str(key)
    };
    if prefix.is_empty() {
        key
    } else {
        format!("{prefix}.{key}")
    }
}

fn walk(old: &Node, new: &Node, path: &str, out: &mut Vec<Change>) {
    match (&old.value, &new.value) {
        (Value::Table(a), Value::Table(b)) => {
            for e in a {
                let p = join(path, &e.key);
                match new.get(&e.key) {
                    Some(n) => walk(&e.value, n, &p, out),
                    None => out.push(Change::Removed {
                        path: p,
                        old: render(&e.value),
                    }),
                }
            }
            for e in b {
                if old.get(&e.key).is_none() {
                    out.push(Change::Added {
                        path: join(path, &e.key),
                        new: render(&e.value),
                    });
                }
            }
        }
        (Value::Array(a), Value::Array(b)) if named(a) && named(b) => {
            let name = |n: &Node| {
                n.get("name")
                    .and_then(Node::as_str)
                    .unwrap_or("")
                    .to_string()
            };
            for item in a {
                let p = format!("{path}[{}]", name(item));
                match b.iter().find(|n| name(n) == name(item)) {
                    Some(n) => walk(item, n, &p, out),
                    None => out.push(Change::Removed {
                        path: p,
                        old: render(item),
                    }),
                }
            }
            for item in b {
                if !a.iter().any(|n| name(n) == name(item)) {
                    out.push(Change::Added {
                        path: format!("{path}[{}]", name(item)),
                        new: render(item),
                    });
                }
            }
        }
        // Unnamed tables (a stack's `chain`, contracts without names) are matched by position,
        // so one changed rate reads `chain[0].validation_failure_rate 0.05 → 0.08`, not the
        // whole array twice.
        (Value::Array(a), Value::Array(b)) if tables(a) && tables(b) => {
            for (i, item) in a.iter().enumerate() {
                let p = format!("{path}[{i}]");
                match b.get(i) {
                    Some(n) => walk(item, n, &p, out),
                    None => out.push(Change::Removed {
                        path: p,
                        old: render(item),
                    }),
                }
            }
            for (i, item) in b.iter().enumerate().skip(a.len()) {
                out.push(Change::Added {
                    path: format!("{path}[{i}]"),
                    new: render(item),
                });
            }
        }
        (a, b) => {
            if !same(a, b) {
                out.push(Change::Changed {
                    path: path.to_string(),
                    old: render(old),
                    new: render(new),
                });
            }
        }
    }
}

fn tables(items: &[Node]) -> bool {
    !items.is_empty() && items.iter().all(|n| matches!(n.value, Value::Table(_)))
}

fn named(items: &[Node]) -> bool {
    !items.is_empty()
        && items
            .iter()
            .all(|n| n.get("name").and_then(Node::as_str).is_some())
}

/// Structural equality that ignores locations and compares numbers by value.
pub fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Integer(x), Value::Float(y)) | (Value::Float(y), Value::Integer(x)) => {
            *x as f64 == *y
        }
        (Value::Float(x), Value::Float(y)) => x == y || (x.is_nan() && y.is_nan()),
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| same(&p.value, &q.value))
        }
        (Value::Table(x), Value::Table(y)) => {
            x.len() == y.len()
                && x.iter().all(|e| {
                    y.iter()
                        .find(|f| f.key == e.key)
                        .is_some_and(|f| same(&e.value.value, &f.value.value))
                })
        }
        _ => a == b,
    }
}

/// Longest rendering of one value in a change.
const MAX_RENDER: usize = 120;

/// A value as compact inline TOML, cut to a readable length.
pub fn render(node: &Node) -> String {
    let mut s = String::new();
    write_value(&node.value, &mut s);
    if s.chars().count() > MAX_RENDER {
        let cut: String = s.chars().take(MAX_RENDER - 1).collect();
        format!("{cut}…")
    } else {
        s
    }
}

fn write_value(v: &Value, out: &mut String) {
    match v {
        Value::String(s) => out.push_str(&crate::base::escape::toml_str(s)),
        Value::Integer(i) => out.push_str(&i.to_string()),
        Value::Float(f) => {
            if f.is_finite() && f.fract() == 0.0 && f.abs() < 1e15 {
                out.push_str(&format!("{f:.1}"));
            } else {
                out.push_str(&f.to_string());
            }
        }
        Value::Boolean(b) => out.push_str(&b.to_string()),
        Value::Datetime(d) => out.push_str(d),
        Value::Array(items) => {
            out.push('[');
            for (i, n) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_value(&n.value, out);
            }
            out.push(']');
        }
        Value::Table(entries) => {
            if entries.is_empty() {
                out.push_str("{}");
                return;
            }
            out.push_str("{ ");
            for (i, e) in entries.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                out.push_str(&join("", &e.key));
                out.push_str(" = ");
                write_value(&e.value.value, out);
            }
            out.push_str(" }");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::base::source::FileId;

    fn d(a: &str, b: &str) -> Vec<Change> {
        diff(
            &Node::parse(a, FileId(0)).unwrap(),
            &Node::parse(b, FileId(1)).unwrap(),
        )
    }

    #[test]
    fn changes_are_found_by_key_and_by_name() {
        let a = "name = \"x\"\n[[segment]]\nname = \"a\"\nusers = 300\n[[segment]]\nname = \"b\"\nusers = 1\n";
        let b = "name = \"x\"\n[[segment]]\nname = \"b\"\nusers = 1\n[[segment]]\nname = \"a\"\nusers = 800\nweekend_factor = 0.5\n[budget]\nmonthly_usd = 10\n";
        let changes = d(a, b);
        assert_eq!(
            changes,
            vec![
                Change::Changed {
                    path: "segment[a].users".into(),
                    old: "300".into(),
                    new: "800".into()
                },
                Change::Added {
                    path: "segment[a].weekend_factor".into(),
                    new: "0.5".into()
                },
                Change::Added {
                    path: "budget".into(),
                    new: "{ monthly_usd = 10 }".into()
                },
            ]
        );
    }

    #[test]
    fn unnamed_tables_are_matched_by_position() {
        let a = "chain = [{ model = \"m\", validation_failure_rate = 0.05 }, { model = \"n\" }]\n";
        let b = "chain = [{ model = \"m\", validation_failure_rate = 0.08 }, { model = \"n\" }, { model = \"o\" }]\n";
        assert_eq!(
            d(a, b),
            vec![
                Change::Changed {
                    path: "chain[0].validation_failure_rate".into(),
                    old: "0.05".into(),
                    new: "0.08".into()
                },
                Change::Added {
                    path: "chain[2]".into(),
                    new: "{ model = \"o\" }".into()
                },
            ]
        );
        assert_eq!(
            d(b, a).last(),
            Some(&Change::Removed {
                path: "chain[2]".into(),
                old: "{ model = \"o\" }".into()
            })
        );
    }

    #[test]
    fn equal_numbers_and_reordering_are_not_changes() {
        assert!(d("a = 800\nb = [1, 2]\n", "a = 800.0\nb = [1, 2]\n").is_empty());
        assert_eq!(d("a = [1, 2]\n", "a = [2, 1]\n").len(), 1);
    }

    #[test]
    fn removals_and_distributions() {
        let changes = d(
            "x = { p50 = 1, p95 = 2 }\ny = 1\n",
            "x = { p50 = 1, p95 = 3 }\n",
        );
        assert_eq!(changes[0].path(), "x.p95");
        assert_eq!(
            changes[1],
            Change::Removed {
                path: "y".into(),
                old: "1".into()
            }
        );
    }
}
