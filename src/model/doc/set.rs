//! Command-line overrides: `--set segment.agents.users=800`.
//!
//! An override is applied to the located tree before deserialization, so it goes through the same
//! checks as the file and its mistakes are reported the same way. Each `--set` argument is its own
//! source named `--set`: a bad value or an unknown key is shown in the argument itself, with a caret.
//! The value is TOML (`800`, `0.9`, `"fixed"`, `{ p50 = 900, p95 = 2600 }`); a bare word that is not
//! TOML (`fixed`, `gpt-4o`) is taken as a string, so shells need no extra quoting.

use super::path::{self, Part};
use super::{Entry, Node, Value};
use crate::base::error::{Problem, ProblemKind, suggest};
use crate::base::source::{FileId, Loc};

/// One parsed `--set PATH=VALUE`.
#[derive(Clone, Debug)]
pub struct Override {
    pub parts: Vec<Part>,
    pub value: Node,
    pub file: FileId,
}

/// Parse `arg`, the text of source `file`.
pub fn parse(arg: &str, file: FileId) -> Result<Override, Problem> {
    let at = |span: std::ops::Range<usize>| Loc::new(file, span);
    let Some(eq) = find_eq(arg) else {
        return Err(
            Problem::new(ProblemKind::Syntax, "an override is written `path=value`")
                .at(at(0..arg.len()))
                .help("e.g. --set segment.agents.users=800 or --set simulation.trials=2000"),
        );
    };
    let raw_path = &arg[..eq];
    let lead = raw_path.len() - raw_path.trim_start().len();
    let parts = path::parse(raw_path.trim(), lead).map_err(|e| {
        Problem::new(ProblemKind::Syntax, e.message)
            .at(at(e.span))
            .help("write keys joined by `.`, with array elements by name: segment.agents.users or segment[agents].users")
    })?;
    let value_text = &arg[eq + 1..];
    if value_text.trim().is_empty() {
        return Err(
            Problem::new(ProblemKind::Syntax, "the override has no value")
                .at(at(eq..eq + 1))
                .help(format!(
                    "give a value after `=`, e.g. {}=800",
                    raw_path.trim()
                )),
        );
    }
    // Parse `x<spaces>=VALUE`: the same length before the value as in the argument, so the spans
    // of the parsed value are spans of the argument.
    let padded = format!("x{}={value_text}", " ".repeat(eq.saturating_sub(1)));
    let value = match Node::parse(&padded, file) {
        Ok(root) => match root.value {
            Value::Table(mut entries) if entries.len() == 1 => entries.remove(0).value,
            _ => return Err(not_one_value(value_text, eq, file)),
        },
        Err(problem) => {
            let bare = value_text.trim();
            if is_bare_word(bare) {
                let start = eq + 1 + (value_text.len() - value_text.trim_start().len());
                Node {
                    value: Value::String(bare.to_string()),
                    loc: at(start..start + bare.len()),
                }
            } else {
                let mut problem = problem.help(
                    "the value is TOML: a number, true/false, a quoted string or { key = value }; quote the whole argument for the shell",
                );
                problem.message = problem.message.replace("invalid TOML", "invalid value");
                return Err(problem);
            }
        }
    };
    Ok(Override { parts, value, file })
}

fn not_one_value(value_text: &str, eq: usize, file: FileId) -> Problem {
    Problem::new(
        ProblemKind::Syntax,
        "the override's value is not one TOML value",
    )
    .at(Loc::new(file, eq + 1..eq + 1 + value_text.len()))
    .help("quote strings that contain spaces or `=`: --set 'name=\"my scenario\"'")
}

/// The first `=` outside brackets and quoted keys, read as the path parser reads them: a `[`
/// runs to the first `]` (a name inside may hold `"`, `=` or `.`), a `"` to the next `"`.
fn find_eq(arg: &str) -> Option<usize> {
    let mut i = 0;
    while i < arg.len() {
        match arg.as_bytes()[i] {
            b'[' => i += 1 + arg[i + 1..].find(']')?,
            b'"' => i += 1 + arg[i + 1..].find('"')?,
            b'=' => return Some(i),
            _ => {}
        }
        i += 1;
    }
    None
}

/// A word a person would not think of quoting: letters, digits, `-`, `_`, `.`, `:`, `/`, `+`.
fn is_bare_word(s: &str) -> bool {
    !s.is_empty()
        && s.chars().next().is_some_and(|c| c.is_alphabetic())
        && s.chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | '.' | ':' | '/' | '+'))
}

/// The key that setting `key` at `parts` replaces, where a table holds one of two: a policy's
/// threshold is `at_usd` or `at_budget_fraction`.
fn excluded_by(parts: &[Part], key: &str) -> Option<&'static str> {
    if parts.len() != 3 || parts[0].text != "policy" || parts[0].bracketed {
        return None;
    }
    match key {
        "at_usd" => Some("at_budget_fraction"),
        "at_budget_fraction" => Some("at_usd"),
        _ => None,
    }
}

/// Apply `o` to `root`, creating missing tables on the way.
pub fn apply(root: &mut Node, o: &Override) -> Result<(), Problem> {
    let loc = |part: &Part| Loc::new(o.file, part.span.clone());
    let mut node = root;
    let n = o.parts.len();
    for (i, part) in o.parts.iter().enumerate() {
        let last = i + 1 == n;
        let shown = path::render(&o.parts[..i]);
        match &mut node.value {
            Value::Table(entries) => {
                if part.bracketed {
                    return Err(Problem::new(
                        ProblemKind::InvalidType,
                        format!(
                            "`{shown}` is a table, not an array; `[{}]` selects nothing",
                            part.text
                        ),
                    )
                    .at(loc(part))
                    .help(format!("write `{shown}.{}`", part.text)));
                }
                let pos = match entries.iter().position(|e| e.key == part.text) {
                    Some(pos) => pos,
                    None => {
                        let placeholder = Node {
                            value: Value::Table(Vec::new()),
                            loc: loc(part),
                        };
                        entries.push(Entry {
                            key: part.text.clone(),
                            key_loc: loc(part),
                            value: placeholder,
                        });
                        entries.len() - 1
                    }
                };
                if last {
                    entries[pos].value = o.value.clone();
                    // Setting one of two keys that exclude each other replaces the other: the
                    // override says what the value is now, not that there are two.
                    if let Some(other) = excluded_by(&o.parts, &part.text) {
                        entries.retain(|e| e.key != other);
                    }
                    return Ok(());
                }
                node = &mut entries[pos].value;
            }
            Value::Array(items) => {
                let found = path::select(items, part).map(|(i, _)| i);
                let Some(idx) = found else {
                    return Err(missing_element(&shown, items, part, loc(part)));
                };
                if last {
                    items[idx] = o.value.clone();
                    return Ok(());
                }
                node = &mut items[idx];
            }
            other => {
                return Err(Problem::new(
                    ProblemKind::InvalidType,
                    format!(
                        "`{shown}` is {}, so it has no key `{}`",
                        other.type_name(),
                        part.text
                    ),
                )
                .at(loc(part))
                .help(format!("set `{shown}` itself, e.g. --set {shown}=…")));
            }
        }
    }
    Ok(())
}

fn missing_element(shown: &str, items: &[Node], part: &Part, loc: Loc) -> Problem {
    if let Some(i) = part.index() {
        return Problem::new(
            ProblemKind::UnknownReference,
            format!(
                "`{shown}` has {} element(s); there is no index {i}",
                items.len()
            ),
        )
        .at(loc)
        .help("indices start at 0");
    }
    let names = path::names(items);
    let help = match suggest(&part.text, names.iter().copied()) {
        Some(s) => format!("did you mean `{s}`?"),
        None if names.is_empty() => {
            format!("`{shown}` has no named elements; select one by index, e.g. {shown}[0]")
        }
        None => format!(
            "names in `{shown}`: {}",
            names
                .iter()
                .map(|n| format!("`{n}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    Problem::new(
        ProblemKind::UnknownReference,
        format!("no `{shown}` named `{}`", part.text),
    )
    .at(loc)
    .help(help)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::doc::path::{lookup, parse as parse_path};

    const DOC: &str = "name = \"x\"\n[[segment]]\nname = \"agents\"\nusers = 300\n";

    fn set(arg: &str) -> Result<Node, Problem> {
        let mut root = Node::parse(DOC, FileId(0)).unwrap();
        let o = parse(arg, FileId(1))?;
        apply(&mut root, &o)?;
        Ok(root)
    }

    fn at(root: &Node, p: &str) -> Value {
        lookup(root, &parse_path(p, 0).unwrap())
            .unwrap()
            .value
            .clone()
    }

    #[test]
    fn sets_by_name_creates_tables_and_parses_toml_values() {
        let root = set("segment.agents.users=800").unwrap();
        assert_eq!(at(&root, "segment.agents.users"), Value::Integer(800));
        let root = set("simulation.trials=2000").unwrap();
        assert_eq!(at(&root, "simulation.trials"), Value::Integer(2000));
        let root = set("segment[agents].users={ p50 = 10, p95 = 30 }").unwrap();
        assert!(matches!(at(&root, "segment.agents.users"), Value::Table(_)));
        let root = set("simulation.arrivals=fixed").unwrap();
        assert_eq!(
            at(&root, "simulation.arrivals"),
            Value::String("fixed".into())
        );
    }

    #[test]
    fn value_spans_are_spans_of_the_argument() {
        let arg = "segment.agents.users=800";
        let o = parse(arg, FileId(1)).unwrap();
        assert_eq!(&arg[o.value.loc.start..o.value.loc.end], "800");
        assert_eq!(o.value.loc.file, FileId(1));
        let arg = "simulation.arrivals=fixed";
        let o = parse(arg, FileId(1)).unwrap();
        assert_eq!(&arg[o.value.loc.start..o.value.loc.end], "fixed");
    }

    #[test]
    fn mistakes_are_located_with_a_fix() {
        let e = set("segment.agnets.users=1").unwrap_err();
        assert_eq!(e.kind, ProblemKind::UnknownReference);
        assert_eq!(e.help.as_deref(), Some("did you mean `agents`?"));
        assert_eq!(e.loc.map(|l| (l.start, l.end)), Some((8, 14)));
        let e = set("name.x=1").unwrap_err();
        assert!(e.message.contains("is a string"), "{}", e.message);
        assert!(set("segment.agents.users").is_err());
        assert!(set("segment.agents.users=").is_err());
        assert!(set("segment.agents.users=1 2").is_err());
        assert!(
            set("segment[3].users=1")
                .unwrap_err()
                .message
                .contains("no index 3")
        );
    }
}
