//! Layering one document over another (`extends`), at the level of the located tree.
//!
//! Merging trees rather than typed values means every key and value keeps the file it was written
//! in, so a mistake in an inherited file is reported in that file, and the layered result goes
//! through exactly the same deserialization and validation as a single file.
//!
//! The rules:
//! - a `[table]` written with a header merges key by key with the table it overrides;
//! - an inline table (`users = { p50 = 900, p95 = 2600 }`) is one value and replaces the whole
//!   inherited value, so a distribution can change family without leftover keys;
//! - an array whose elements are all tables with a `name` (`[[segment]]`, `[[model]]`) merges by
//!   name: an element whose name exists in the base merges into it, a new name is appended;
//! - every other value (numbers, strings, other arrays) replaces the inherited one.

use super::{Entry, Node, Value};
use crate::base::source::Sources;

/// `over` layered on top of `base`. `sources` tells inline tables from tables with a header.
pub fn merge(base: Node, over: Node, sources: &Sources) -> Node {
    match (base.value, over.value) {
        (Value::Table(base_entries), Value::Table(over_entries))
            if !is_inline(&over.loc, sources) && !is_inline(&base.loc, sources) =>
        {
            Node {
                value: Value::Table(merge_entries(base_entries, over_entries, sources)),
                loc: over.loc,
            }
        }
        (Value::Array(base_items), Value::Array(over_items))
            if named_tables(&base_items) && named_tables(&over_items) =>
        {
            Node {
                value: Value::Array(merge_named(base_items, over_items, sources)),
                loc: over.loc,
            }
        }
        (_, value) => Node {
            value,
            loc: over.loc,
        },
    }
}

fn merge_entries(mut base: Vec<Entry>, over: Vec<Entry>, sources: &Sources) -> Vec<Entry> {
    for entry in over {
        match base.iter().position(|e| e.key == entry.key) {
            Some(i) => {
                let old = std::mem::replace(
                    &mut base[i].value,
                    Node {
                        value: Value::Boolean(false),
                        loc: entry.value.loc,
                    },
                );
                base[i].value = merge(old, entry.value, sources);
                base[i].key_loc = entry.key_loc;
            }
            None => base.push(entry),
        }
    }
    base
}

fn merge_named(mut base: Vec<Node>, over: Vec<Node>, sources: &Sources) -> Vec<Node> {
    let inherited = base.len();
    let mut merged = vec![false; inherited];
    for item in over {
        let name = item.get("name").and_then(Node::as_str).map(str::to_string);
        let target = (0..inherited)
            .find(|&i| !merged[i] && base[i].get("name").and_then(Node::as_str) == name.as_deref());
        match target {
            Some(i) => {
                merged[i] = true;
                let old = std::mem::replace(
                    &mut base[i],
                    Node {
                        value: Value::Boolean(false),
                        loc: item.loc,
                    },
                );
                base[i] = merge(old, item, sources);
            }
            // A second element with the same name in one file stays a duplicate, so validation
            // still reports it.
            None => base.push(item),
        }
    }
    base
}

/// Whether every element is a table with a string `name` (and there is at least one).
fn named_tables(items: &[Node]) -> bool {
    !items.is_empty()
        && items.iter().all(|n| {
            matches!(n.value, Value::Table(_)) && n.get("name").and_then(Node::as_str).is_some()
        })
}

/// An inline table's span starts at its `{`; a table with a header starts at `[`, and a table
/// implied by a dotted key starts at the key.
fn is_inline(loc: &crate::base::source::Loc, sources: &Sources) -> bool {
    sources
        .get(loc.file)
        .text
        .as_bytes()
        .get(loc.start)
        .is_some_and(|&b| b == b'{')
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::doc::path::{lookup, parse};

    fn layered(base: &str, over: &str) -> (Node, Sources) {
        let mut sources = Sources::new();
        let b = sources.add("base.toml", None, base.to_string());
        let o = sources.add("child.toml", None, over.to_string());
        let base = Node::parse(base, b).unwrap();
        let over = Node::parse(over, o).unwrap();
        (merge(base, over, &sources), sources)
    }

    fn at<'a>(root: &'a Node, p: &str) -> Option<&'a Node> {
        lookup(root, &parse(p, 0).unwrap())
    }

    const BASE: &str = r#"
name = "base"
[budget]
monthly_usd = 100
alert_fractions = [0.5, 1.0]
[[segment]]
name = "a"
users = { p50 = 10, p95 = 20 }
sessions_per_user_per_day = 2
[[segment]]
name = "b"
users = 5
"#;

    #[test]
    fn tables_merge_keys_and_inline_tables_replace() {
        let over = "[budget]\nmonthly_usd = 200\n[[segment]]\nname = \"a\"\nusers = { dist = \"uniform\", min = 1, max = 2 }\n";
        let (root, sources) = layered(BASE, over);
        let budget = at(&root, "budget.monthly_usd").unwrap();
        assert_eq!(budget.value, Value::Integer(200));
        assert_eq!(sources.get(budget.loc.file).name, "child.toml");
        let fractions = at(&root, "budget.alert_fractions").unwrap();
        assert_eq!(sources.get(fractions.loc.file).name, "base.toml");
        let users = at(&root, "segment.a.users").unwrap();
        assert!(
            users.get("p50").is_none(),
            "inline table replaced, not merged"
        );
        assert!(users.get("dist").is_some());
        assert!(at(&root, "segment.a.sessions_per_user_per_day").is_some());
        assert!(at(&root, "segment.b.users").is_some());
    }

    #[test]
    fn arrays_of_tables_merge_by_name_and_append_new_names() {
        let over = "[[segment]]\nname = \"b\"\nusers = 7\n[[segment]]\nname = \"c\"\nusers = 1\n";
        let (root, _) = layered(BASE, over);
        let Value::Array(items) = &root.get("segment").unwrap().value else {
            panic!("array")
        };
        let names: Vec<_> = items
            .iter()
            .map(|n| n.get("name").unwrap().as_str().unwrap())
            .collect();
        assert_eq!(names, ["a", "b", "c"]);
        assert_eq!(
            at(&root, "segment.b.users").unwrap().value,
            Value::Integer(7)
        );
    }

    #[test]
    fn plain_values_and_unnamed_arrays_replace() {
        let over = "name = \"child\"\n[budget]\nalert_fractions = [0.9]\n";
        let (root, _) = layered(BASE, over);
        assert_eq!(root.get("name").unwrap().as_str(), Some("child"));
        let Value::Array(f) = &at(&root, "budget.alert_fractions").unwrap().value else {
            panic!("array")
        };
        assert_eq!(f.len(), 1);
    }

    #[test]
    fn duplicates_within_one_layer_stay_duplicates() {
        let over = "[[segment]]\nname = \"b\"\nusers = 7\n[[segment]]\nname = \"b\"\nusers = 8\n";
        let (root, _) = layered(BASE, over);
        let Value::Array(items) = &root.get("segment").unwrap().value else {
            panic!("array")
        };
        assert_eq!(items.len(), 3);
    }
}
