//! A TOML document as a tree whose every key and value remembers where it came from.
//!
//! `toml` parses text; this module keeps the result as a [`Node`] tree with a [`Loc`] on each key
//! and value. The tree is what gets deserialized (through [`de`], which reports the key path and
//! location of any mistake), and it is the level at which documents can later be layered
//! (`extends`) or overridden from the command line, without losing track of which file a value
//! came from.

pub mod de;
pub mod diff;
pub mod merge;
pub mod path;
pub mod set;

use std::fmt;

use toml::de::{DeTable, DeValue};

use crate::base::error::{Problem, ProblemKind};
use crate::base::source::{FileId, Loc};

/// A value and where it was written.
#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    pub value: Value,
    pub loc: Loc,
}

/// The kinds of TOML values.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    String(String),
    Integer(i64),
    Float(f64),
    Boolean(bool),
    /// A date or time, kept as written.
    Datetime(String),
    Array(Vec<Node>),
    Table(Vec<Entry>),
}

/// One `key = value` of a table.
#[derive(Clone, Debug, PartialEq)]
pub struct Entry {
    pub key: String,
    pub key_loc: Loc,
    pub value: Node,
}

impl Value {
    /// The TOML name of this value's type, for messages.
    pub(crate) fn type_name(&self) -> &'static str {
        match self {
            Value::String(_) => "a string",
            Value::Integer(_) => "an integer",
            Value::Float(_) => "a float",
            Value::Boolean(_) => "a boolean",
            Value::Datetime(_) => "a date-time",
            Value::Array(_) => "an array",
            Value::Table(_) => "a table",
        }
    }
}

impl Node {
    /// Parse TOML `text` of source `file` into a tree; a syntax error becomes a located problem.
    pub fn parse(text: &str, file: FileId) -> Result<Node, Problem> {
        let table = DeTable::parse(text).map_err(|e| {
            let mut message = syntax_message(e.message());
            let span = e.span();
            let snippet = span
                .clone()
                .and_then(|r| text.get(r))
                .map(|t| t.trim())
                .filter(|t| !t.is_empty() && t.len() <= 80 && !t.contains('\n'));
            let mut problem = Problem::new(ProblemKind::Syntax, "");
            // The parser's recursion limit has no place of its own: it is the most deeply
            // dotted key.
            let span = match span {
                None if message.contains("recursion") => {
                    let (span, parts) = most_dotted_key(text);
                    message = format!(
                        "invalid TOML: a key of {parts} dotted parts is nested too deeply to read"
                    );
                    Some(span)
                }
                s => s,
            };
            if let Some(span) = span.clone() {
                problem = problem.at(Loc::new(file, span));
            }
            let line = span
                .map(|r| {
                    let start =
                        crate::base::source::floor_char_boundary(text, r.start.min(text.len()));
                    let from = text[..start].rfind('\n').map_or(0, |i| i + 1);
                    let to = text[start..].find('\n').map_or(text.len(), |i| start + i);
                    &text[from..to]
                })
                .unwrap_or("");
            let help = if message.contains("nested too deeply") {
                "a scenario's keys have a few parts (`workflow.step.input_tokens`); check this key"
                    .to_string()
            } else if message.contains("duplicate key") {
                if let Some(key) = snippet {
                    message = format!("invalid TOML: duplicate key `{key}`");
                }
                "a key may appear once in each table; remove or rename one of the two".to_string()
            } else if message.contains("must be quoted") {
                match snippet {
                    Some(v) => format!("put the text in double quotes: \"{v}\""),
                    None => "put the text in double quotes".to_string(),
                }
            } else if message.contains("unclosed table")
                || message.contains("unclosed array of tables")
            {
                "close the header with `]` (or `]]` for an array of tables) on the same line"
                    .to_string()
            } else if message.contains("expected `=`") && line.contains(':') {
                "TOML writes `key = value`, not `key: value` (is this YAML?)".to_string()
            } else {
                "the file must be TOML: `key = value` lines and `[table]` headers".to_string()
            };
            problem.message = message;
            problem.help(help)
        })?;
        let span = table.span();
        let mut root = Node {
            value: convert_table(table.into_inner(), file)?,
            loc: Loc::new(file, span),
        };
        // The document's own span is the whole text.
        root.loc = Loc::new(file, 0..text.len());
        Ok(root)
    }

    /// The entry `key` of a table node.
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.entry(key).map(|e| &e.value)
    }

    /// The full entry (with the key's location) for `key` of a table node.
    pub fn entry(&self, key: &str) -> Option<&Entry> {
        match &self.value {
            Value::Table(entries) => entries.iter().find(|e| e.key == key),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    /// The node at `path`, if every step exists.
    pub fn at_path(&self, path: &KeyPath) -> Option<&Node> {
        let mut node = self;
        for seg in &path.0 {
            node = match (seg, &node.value) {
                (Seg::Key(k), Value::Table(_)) => node.get(k)?,
                (Seg::Index(i), Value::Array(items)) => items.get(*i)?,
                _ => return None,
            };
        }
        Some(node)
    }
}

/// The key (of a `key = value` line or a `[table]` header) with the most dotted parts: its span
/// and its number of parts. Dots inside quotes are not counted.
fn most_dotted_key(text: &str) -> (std::ops::Range<usize>, usize) {
    let mut best = (0..text.find('\n').unwrap_or(text.len()), 0);
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let trimmed = line.trim_start();
        let start = offset + (line.len() - trimmed.len());
        let key = if let Some(header) = trimmed.strip_prefix('[') {
            let header = header.trim_start_matches('[');
            header.split(']').next().unwrap_or("")
        } else {
            trimmed.split('=').next().unwrap_or("")
        };
        let (mut quote, mut dots) = (None, 0);
        for c in key.chars() {
            match (quote, c) {
                (None, '"' | '\'') => quote = Some(c),
                (Some(q), c) if c == q => quote = None,
                (None, '.') => dots += 1,
                _ => {}
            }
        }
        if dots + 1 > best.1 {
            let lead = trimmed.find(key).unwrap_or(0);
            let from = start + lead;
            best = (from..from + key.trim_end().len(), dots + 1);
        }
        offset += line.len();
    }
    best
}

fn syntax_message(message: &str) -> String {
    let first = message.lines().next().unwrap_or("invalid TOML").trim();
    format!("invalid TOML: {first}")
}

fn convert_table(table: DeTable<'_>, file: FileId) -> Result<Value, Problem> {
    let mut entries = Vec::with_capacity(table.len());
    for (key, value) in table {
        let key_loc = Loc::new(file, key.span());
        entries.push(Entry {
            key: key.into_inner().into_owned(),
            key_loc,
            value: convert(value, file)?,
        });
    }
    Ok(Value::Table(entries))
}

fn convert(value: toml::Spanned<DeValue<'_>>, file: FileId) -> Result<Node, Problem> {
    let loc = Loc::new(file, value.span());
    let value = match value.into_inner() {
        DeValue::String(s) => Value::String(s.into_owned()),
        DeValue::Integer(i) => match i64::from_str_radix(i.as_str(), i.radix()) {
            Ok(v) => Value::Integer(v),
            Err(_) => {
                return Err(Problem::new(
                    ProblemKind::InvalidValue,
                    format!("integer `{}` does not fit in 64 bits", i.as_str()),
                )
                .at(loc)
                .help("use a smaller number (TOML integers are 64-bit)"));
            }
        },
        DeValue::Float(f) => match f.as_str().parse::<f64>() {
            Ok(v) => Value::Float(v),
            Err(_) => {
                return Err(Problem::new(ProblemKind::InvalidValue, "unreadable float")
                    .at(loc)
                    .help("write a decimal number such as 0.25 or 1e6"));
            }
        },
        DeValue::Boolean(b) => Value::Boolean(b),
        DeValue::Datetime(d) => Value::Datetime(d.to_string()),
        DeValue::Array(items) => Value::Array(
            items
                .into_iter()
                .map(|v| convert(v, file))
                .collect::<Result<_, _>>()?,
        ),
        DeValue::Table(t) => convert_table(t, file)?,
    };
    Ok(Node { value, loc })
}

/// One step of a key path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Seg {
    Key(String),
    Index(usize),
}

/// The path from the document root to a value, e.g. `workflow[0].step[1].cache_hit_rate`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct KeyPath(pub Vec<Seg>);

impl KeyPath {
    pub fn root() -> Self {
        KeyPath(Vec::new())
    }

    pub fn key(&self, key: &str) -> Self {
        let mut p = self.clone();
        p.0.push(Seg::Key(key.to_string()));
        p
    }

    pub fn index(&self, i: usize) -> Self {
        let mut p = self.clone();
        p.0.push(Seg::Index(i));
        p
    }

    pub(crate) fn is_root(&self) -> bool {
        self.0.is_empty()
    }

    /// Render with array elements named by their `name` key where they have one:
    /// `workflow[summarize].step[summary].cache_hit_rate`.
    pub fn describe(&self, root: &Node) -> String {
        let mut out = String::new();
        let mut node = Some(root);
        for seg in &self.0 {
            match seg {
                Seg::Key(k) => {
                    if !out.is_empty() {
                        out.push('.');
                    }
                    out.push_str(k);
                    node = node.and_then(|n| n.get(k));
                }
                Seg::Index(i) => {
                    let item = node.and_then(|n| match &n.value {
                        Value::Array(items) => items.get(*i),
                        _ => None,
                    });
                    match item.and_then(|n| n.get("name")).and_then(Node::as_str) {
                        Some(name) => {
                            out.push('[');
                            out.push_str(name);
                            out.push(']');
                        }
                        None => {
                            out.push_str(&format!("[{i}]"));
                        }
                    }
                    node = item;
                }
            }
        }
        out
    }
}

impl fmt::Display for KeyPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        for seg in &self.0 {
            match seg {
                Seg::Key(k) => {
                    if !first {
                        f.write_str(".")?;
                    }
                    f.write_str(k)?;
                }
                Seg::Index(i) => write!(f, "[{i}]")?,
            }
            first = false;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_locations_of_keys_and_values() {
        let text = "name = \"x\"\n[[workflow]]\nname = \"w\"\nrate = 0.5\n";
        let root = Node::parse(text, FileId(0)).unwrap();
        let wf = &root.get("workflow").unwrap();
        let Value::Array(items) = &wf.value else {
            panic!("array expected")
        };
        let rate = items[0].entry("rate").unwrap();
        assert_eq!(&text[rate.key_loc.start..rate.key_loc.end], "rate");
        assert_eq!(&text[rate.value.loc.start..rate.value.loc.end], "0.5");
        let path = KeyPath::root().key("workflow").index(0).key("rate");
        assert_eq!(path.describe(&root), "workflow[w].rate");
        assert_eq!(path.to_string(), "workflow[0].rate");
    }

    #[test]
    fn syntax_errors_are_located() {
        let err = Node::parse("a = = 1", FileId(0)).unwrap_err();
        assert_eq!(err.kind, ProblemKind::Syntax);
        assert!(err.loc.is_some());
    }

    #[test]
    fn oversized_integers_are_an_error_not_a_wrap() {
        let err = Node::parse("users = 99999999999999999999", FileId(0)).unwrap_err();
        assert_eq!(err.kind, ProblemKind::InvalidValue);
    }
}
