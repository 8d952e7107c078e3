//! serde deserialization from a [`Node`] tree that knows, for every error, the key path and the
//! location of the offending key or value.
//!
//! The raw scenario types derive `Deserialize` as usual (with `deny_unknown_fields`). Driving them
//! from the tree instead of from text means an unknown key is reported at the key itself, a wrong
//! type at the value itself, and a missing key at the table that lacks it, each with its dotted
//! path. [`Located<T>`] lets a raw type keep the location of a value for checks done after
//! deserialization.

use std::fmt;
use std::ops::Deref;

use serde::de::{
    self, DeserializeSeed, Deserializer, EnumAccess, IntoDeserializer, MapAccess, SeqAccess,
    Unexpected, Visitor,
};
use serde::{Deserialize, Serialize};

use super::{Entry, KeyPath, Node, Value};
use crate::base::error::{Problem, ProblemKind, suggest};
use crate::base::source::{FileId, Loc};

const LOCATED_NAME: &str = "$__aicost_private_Located";
const LOC_FIELD: &str = "$__aicost_private_loc";
const VALUE_FIELD: &str = "$__aicost_private_value";

/// A deserialization error with the location and key path where it happened.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct DeError {
    pub kind: ProblemKind,
    pub message: String,
    pub help: Option<String>,
    pub loc: Option<Loc>,
    pub path: Option<KeyPath>,
}

impl DeError {
    fn new(kind: ProblemKind, message: String) -> Self {
        DeError {
            kind,
            message,
            help: None,
            loc: None,
            path: None,
        }
    }

    fn locate(mut self, loc: Loc, path: &KeyPath) -> Self {
        if self.loc.is_none() {
            self.loc = Some(loc);
        }
        if self.path.is_none() {
            self.path = Some(path.clone());
        }
        self
    }

    /// Convert into a [`Problem`], naming array elements in the key path by their `name`.
    pub(crate) fn into_problem(self, root: &Node) -> Problem {
        let table_for_array = self.message == "expected an array, found a table";
        let mut problem = Problem::new(self.kind, self.message).help_opt(self.help);
        problem.loc = self.loc;
        if let Some(path) = self.path.filter(|p| !p.is_root()) {
            let described = path.describe(root);
            if table_for_array && !described.contains(['.', '[']) {
                problem.help = Some(format!(
                    "write [[{described}]] (double brackets) above each entry"
                ));
            }
            problem.key_path = Some(described);
        }
        problem
    }
}

impl fmt::Display for DeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for DeError {}

impl de::Error for DeError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        DeError::new(ProblemKind::InvalidValue, msg.to_string())
    }

    fn invalid_type(unexp: Unexpected<'_>, exp: &dyn de::Expected) -> Self {
        let expected = humanize_expected(&exp.to_string());
        let mut err = DeError::new(
            ProblemKind::InvalidType,
            format!("expected {expected}, found {}", describe_unexpected(&unexp)),
        );
        err.help = Some(type_help(&unexp, &expected));
        err
    }

    fn invalid_value(unexp: Unexpected<'_>, exp: &dyn de::Expected) -> Self {
        let expected = humanize_expected(&exp.to_string());
        let mut err = DeError::new(
            ProblemKind::InvalidValue,
            format!("expected {expected}, found {}", describe_unexpected(&unexp)),
        );
        err.help = Some(type_help(&unexp, &expected));
        err
    }

    fn unknown_field(field: &str, expected: &'static [&'static str]) -> Self {
        let mut err = DeError::new(ProblemKind::UnknownKey, format!("unknown key `{field}`"));
        err.help = Some(match suggest(field, expected.iter().copied()) {
            Some(s) => format!("did you mean `{s}`?"),
            None if expected.is_empty() => "this table takes no keys".to_string(),
            None => format!("known keys here: {}", list(expected)),
        });
        err
    }

    fn unknown_variant(variant: &str, expected: &'static [&'static str]) -> Self {
        let mut err = DeError::new(
            ProblemKind::InvalidValue,
            format!("unknown value `{variant}`"),
        );
        err.help = Some(match suggest(variant, expected.iter().copied()) {
            Some(s) => format!("did you mean `{s}`? (one of {})", list(expected)),
            None => format!("use one of {}", list(expected)),
        });
        err
    }

    fn missing_field(field: &'static str) -> Self {
        let mut err = DeError::new(ProblemKind::MissingKey, format!("missing key `{field}`"));
        err.help = Some(format!("add `{field} = …` to this table"));
        err
    }

    fn duplicate_field(field: &'static str) -> Self {
        DeError::new(
            ProblemKind::Duplicate,
            format!("key `{field}` is given twice"),
        )
    }
}

fn list(names: &[&str]) -> String {
    names
        .iter()
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn humanize_expected(exp: &str) -> String {
    match exp {
        "f64" | "f32" => "a number".to_string(),
        "u64" | "u32" | "u16" | "u8" | "usize" => "a whole number, 0 or more".to_string(),
        "i64" | "i32" | "isize" => "a whole number".to_string(),
        "a sequence" => "an array".to_string(),
        "a map" => "a table".to_string(),
        "a borrowed string" => "a string".to_string(),
        _ if exp.starts_with("struct ") => "a table".to_string(),
        _ if exp.starts_with("enum ") => "a string".to_string(),
        _ => exp.to_string(),
    }
}

/// How to write a value of the `expected` type in place of `unexp`.
fn type_help(unexp: &Unexpected<'_>, expected: &str) -> String {
    let numeric = expected.starts_with("a number") || expected.starts_with("a whole number");
    match unexp {
        Unexpected::Str(s) if numeric && s.trim().replace('_', "").parse::<f64>().is_ok() => {
            format!("remove the quotes: {}", s.trim())
        }
        Unexpected::Signed(i) if *i < 0 && expected == "a whole number, 0 or more" => {
            "use 0 or a positive whole number".to_string()
        }
        Unexpected::Float(_) if expected.starts_with("a whole number") => {
            "write a whole number, without a decimal point or exponent".to_string()
        }
        Unexpected::Seq if expected.starts_with("a number or a distribution") => {
            "one number, or a distribution such as { p50 = 900, p95 = 2600 }; a list is not a range"
                .to_string()
        }
        _ if expected.starts_with("a number or a distribution") => {
            "write a plain number such as 900, or a distribution such as { p50 = 900, p95 = 2600 }"
                .to_string()
        }
        Unexpected::Map if expected == "an array" => {
            "an array of tables takes a double-bracket header, [[name]], above each entry"
                .to_string()
        }
        _ if expected == "a string" => "put the value in double quotes: \"…\"".to_string(),
        _ if expected == "a boolean" => "write true or false, without quotes".to_string(),
        _ if numeric => format!("write {expected}, without quotes"),
        _ => format!("write {expected} here"),
    }
}

fn describe_unexpected(unexp: &Unexpected<'_>) -> String {
    match unexp {
        Unexpected::Bool(b) => format!("boolean `{b}`"),
        Unexpected::Unsigned(u) => format!("integer `{u}`"),
        Unexpected::Signed(i) => format!("integer `{i}`"),
        Unexpected::Float(f) => format!("number `{f}`"),
        Unexpected::Str(s) => format!("string \"{s}\""),
        Unexpected::Seq => "an array".to_string(),
        Unexpected::Map => "a table".to_string(),
        other => other.to_string(),
    }
}

/// Deserialize a `T` from a document tree.
pub(crate) fn from_node<'a, T: Deserialize<'a>>(root: &'a Node) -> Result<T, DeError> {
    T::deserialize(NodeDeserializer {
        node: root,
        path: KeyPath::root(),
    })
}

/// A deserializer over one node, knowing its key path.
pub(crate) struct NodeDeserializer<'a> {
    pub node: &'a Node,
    pub path: KeyPath,
}

impl<'a> NodeDeserializer<'a> {
    fn locate(&self, err: DeError) -> DeError {
        err.locate(self.node.loc, &self.path)
    }
}

macro_rules! forward_to_any {
    ($($method:ident)*) => {
        $(
            fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
                self.deserialize_any(visitor)
            }
        )*
    };
}

impl<'de, 'a> Deserializer<'de> for NodeDeserializer<'a> {
    type Error = DeError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        let result = match &self.node.value {
            Value::String(s) => visitor.visit_str(s),
            Value::Integer(i) => visitor.visit_i64(*i),
            Value::Float(f) => visitor.visit_f64(*f),
            Value::Boolean(b) => visitor.visit_bool(*b),
            Value::Datetime(d) => visitor.visit_str(d),
            Value::Array(items) => visitor.visit_seq(ArrayAccess {
                items: items.iter().enumerate(),
                path: &self.path,
            }),
            Value::Table(entries) => visitor.visit_map(TableAccess {
                entries: entries.iter(),
                current: None,
                path: &self.path,
            }),
        };
        result.map_err(|e| self.locate(e))
    }

    fn deserialize_f64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match self.node.value {
            Value::Integer(i) => visitor.visit_f64(i as f64).map_err(|e| self.locate(e)),
            _ => self.deserialize_any(visitor),
        }
    }

    fn deserialize_f32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.deserialize_f64(visitor)
    }

    fn deserialize_u64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        // `trials = 1e4` is a float in TOML but a whole number to a person.
        match self.node.value {
            Value::Float(f) if f.fract() == 0.0 && (0.0..1.8e19).contains(&f) => {
                visitor.visit_u64(f as u64).map_err(|e| self.locate(e))
            }
            _ => self.deserialize_any(visitor),
        }
    }

    fn deserialize_u32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.deserialize_u64(visitor)
    }

    fn deserialize_u16<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.deserialize_u64(visitor)
    }

    fn deserialize_u8<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.deserialize_u64(visitor)
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        visitor.visit_some(self)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DeError> {
        if name == LOCATED_NAME {
            return visitor.visit_map(LocatedAccess {
                node: self.node,
                path: &self.path,
                state: 0,
            });
        }
        let _ = fields;
        self.deserialize_any(visitor)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DeError> {
        match &self.node.value {
            Value::String(s) => visitor
                .visit_enum(StrEnum(s.as_str()))
                .map_err(|e| self.locate(e)),
            other => Err(self.locate(de::Error::invalid_type(unexpected(other), &"a string"))),
        }
    }

    forward_to_any! {
        deserialize_bool deserialize_i8 deserialize_i16 deserialize_i32 deserialize_i64
        deserialize_char deserialize_str deserialize_string deserialize_bytes
        deserialize_byte_buf deserialize_unit deserialize_seq deserialize_map
        deserialize_identifier deserialize_ignored_any
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        self.deserialize_any(visitor)
    }

    fn deserialize_tuple<V: Visitor<'de>>(
        self,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        self.deserialize_any(visitor)
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        self.deserialize_any(visitor)
    }
}

fn unexpected(value: &Value) -> Unexpected<'_> {
    match value {
        Value::String(s) => Unexpected::Str(s),
        Value::Integer(i) => Unexpected::Signed(*i),
        Value::Float(f) => Unexpected::Float(*f),
        Value::Boolean(b) => Unexpected::Bool(*b),
        Value::Datetime(d) => Unexpected::Str(d),
        Value::Array(_) => Unexpected::Seq,
        Value::Table(_) => Unexpected::Map,
    }
}

struct ArrayAccess<'a, 'p> {
    items: std::iter::Enumerate<std::slice::Iter<'a, Node>>,
    path: &'p KeyPath,
}

impl<'de, 'a, 'p> SeqAccess<'de> for ArrayAccess<'a, 'p> {
    type Error = DeError;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, DeError> {
        match self.items.next() {
            Some((i, node)) => seed
                .deserialize(NodeDeserializer {
                    node,
                    path: self.path.index(i),
                })
                .map(Some),
            None => Ok(None),
        }
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.items.len())
    }
}

struct TableAccess<'a, 'p> {
    entries: std::slice::Iter<'a, Entry>,
    current: Option<&'a Entry>,
    path: &'p KeyPath,
}

impl<'de, 'a, 'p> MapAccess<'de> for TableAccess<'a, 'p> {
    type Error = DeError;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, DeError> {
        let Some(entry) = self.entries.next() else {
            return Ok(None);
        };
        self.current = Some(entry);
        let key: de::value::StrDeserializer<'_, DeError> = entry.key.as_str().into_deserializer();
        seed.deserialize(key)
            .map(Some)
            .map_err(|e| e.locate(entry.key_loc, &self.path.key(&entry.key)))
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, DeError> {
        let entry = self
            .current
            .take()
            .ok_or_else(|| de::Error::custom("value requested before key"))?;
        seed.deserialize(NodeDeserializer {
            node: &entry.value,
            path: self.path.key(&entry.key),
        })
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.entries.len())
    }
}

/// Unit variants from strings (`path = "batch"`).
struct StrEnum<'a>(&'a str);

impl<'de, 'a> EnumAccess<'de> for StrEnum<'a> {
    type Error = DeError;
    type Variant = UnitOnly;

    fn variant_seed<V: DeserializeSeed<'de>>(
        self,
        seed: V,
    ) -> Result<(V::Value, UnitOnly), DeError> {
        let key: de::value::StrDeserializer<'_, DeError> = self.0.into_deserializer();
        Ok((seed.deserialize(key)?, UnitOnly))
    }
}

struct UnitOnly;

impl<'de> de::VariantAccess<'de> for UnitOnly {
    type Error = DeError;

    fn unit_variant(self) -> Result<(), DeError> {
        Ok(())
    }

    fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, _seed: T) -> Result<T::Value, DeError> {
        Err(de::Error::invalid_type(Unexpected::Str("…"), &"a table"))
    }

    fn tuple_variant<V: Visitor<'de>>(self, _len: usize, _visitor: V) -> Result<V::Value, DeError> {
        Err(de::Error::invalid_type(Unexpected::Str("…"), &"an array"))
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        _fields: &'static [&'static str],
        _visitor: V,
    ) -> Result<V::Value, DeError> {
        Err(de::Error::invalid_type(Unexpected::Str("…"), &"a table"))
    }
}

/// Feeds [`Located`]'s visitor the node's location, then the node itself.
struct LocatedAccess<'a, 'p> {
    node: &'a Node,
    path: &'p KeyPath,
    state: u8,
}

impl<'de, 'a, 'p> MapAccess<'de> for LocatedAccess<'a, 'p> {
    type Error = DeError;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, DeError> {
        let key = match self.state {
            0 => LOC_FIELD,
            1 => VALUE_FIELD,
            _ => return Ok(None),
        };
        let key: de::value::StrDeserializer<'_, DeError> = key.into_deserializer();
        seed.deserialize(key).map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, DeError> {
        self.state += 1;
        if self.state == 1 {
            let loc = self.node.loc;
            let parts = vec![u64::from(loc.file.0), loc.start as u64, loc.end as u64];
            let seq: de::value::SeqDeserializer<_, DeError> =
                de::value::SeqDeserializer::new(parts.into_iter());
            seed.deserialize(seq)
        } else {
            seed.deserialize(NodeDeserializer {
                node: self.node,
                path: self.path.clone(),
            })
        }
    }
}

/// A deserialized value with the location it was read from.
#[derive(Clone, Debug, PartialEq)]
pub struct Located<T> {
    pub value: T,
    pub loc: Loc,
}

impl<T> Located<T> {
    pub fn new(value: T, loc: Loc) -> Self {
        Located { value, loc }
    }

    pub fn into_inner(self) -> T {
        self.value
    }
}

impl<T> Deref for Located<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.value
    }
}

impl<T: Serialize> Serialize for Located<T> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.value.serialize(serializer)
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Located<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct LocatedVisitor<T>(std::marker::PhantomData<T>);

        impl<'de, T: Deserialize<'de>> Visitor<'de> for LocatedVisitor<T> {
            type Value = Located<T>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a value read from a scenario document")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Located<T>, A::Error> {
                let mut loc = None;
                let mut value = None;
                while let Some(key) = map.next_key::<String>()? {
                    if key == LOC_FIELD {
                        let (file, start, end): (u32, u64, u64) = map.next_value()?;
                        loc = Some(Loc {
                            file: FileId(file),
                            start: start as usize,
                            end: end as usize,
                        });
                    } else if key == VALUE_FIELD {
                        value = Some(map.next_value()?);
                    } else {
                        return Err(de::Error::custom(
                            "Located read from a foreign deserializer",
                        ));
                    }
                }
                match (value, loc) {
                    (Some(value), Some(loc)) => Ok(Located { value, loc }),
                    _ => Err(de::Error::custom(
                        "Located read from a foreign deserializer",
                    )),
                }
            }
        }

        deserializer.deserialize_struct(
            LOCATED_NAME,
            &[LOC_FIELD, VALUE_FIELD],
            LocatedVisitor(std::marker::PhantomData),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::base::source::FileId;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Doc {
        #[serde(default)]
        step: Vec<Step>,
        mode: Option<Mode>,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Step {
        name: String,
        retry_rate: Option<Located<f64>>,
        trials: Option<u64>,
    }

    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(rename_all = "lowercase")]
    enum Mode {
        Live,
        Batch,
    }

    fn parse(text: &str) -> Result<Doc, Box<(DeError, Node)>> {
        let root = Node::parse(text, FileId(0)).unwrap();
        from_node::<Doc>(&root).map_err(|e| Box::new((e, root.clone())))
    }

    #[test]
    fn unknown_keys_point_at_the_key_and_suggest_the_fix() {
        let text = "[[step]]\nname = \"a\"\nretyr_rate = 0.1\n";
        let (err, root) = *parse(text).unwrap_err();
        assert_eq!(err.kind, ProblemKind::UnknownKey);
        let loc = err.loc.unwrap();
        assert_eq!(&text[loc.start..loc.end], "retyr_rate");
        let problem = err.into_problem(&root);
        assert_eq!(problem.key_path.as_deref(), Some("step[a].retyr_rate"));
        assert_eq!(problem.help.as_deref(), Some("did you mean `retry_rate`?"));
    }

    #[test]
    fn wrong_types_point_at_the_value() {
        let text = "[[step]]\nname = \"a\"\nretry_rate = \"high\"\n";
        let (err, _) = *parse(text).unwrap_err();
        assert_eq!(err.kind, ProblemKind::InvalidType);
        assert_eq!(err.message, "expected a number, found string \"high\"");
        let loc = err.loc.unwrap();
        assert_eq!(&text[loc.start..loc.end], "\"high\"");
    }

    #[test]
    fn missing_keys_point_at_their_table() {
        let (err, _) = *parse("[[step]]\nretry_rate = 0.1\n").unwrap_err();
        assert_eq!(err.kind, ProblemKind::MissingKey);
        assert_eq!(err.path.unwrap().to_string(), "step[0]");
    }

    #[test]
    fn located_values_keep_their_span_and_integral_floats_are_whole_numbers() {
        let text = "[[step]]\nname = \"a\"\nretry_rate = 3\ntrials = 1e4\n";
        let doc = parse(text).unwrap();
        assert_eq!(doc.step[0].name, "a");
        let rate = doc.step[0].retry_rate.as_ref().unwrap();
        assert_eq!(rate.value, 3.0);
        assert_eq!(&text[rate.loc.start..rate.loc.end], "3");
        assert_eq!(doc.step[0].trials, Some(10_000));
    }

    #[test]
    fn unknown_enum_values_suggest_the_closest() {
        let (err, _) = *parse("mode = \"bacth\"\n").unwrap_err();
        assert_eq!(
            err.help.as_deref(),
            Some("did you mean `batch`? (one of `live`, `batch`)")
        );
        let doc = parse("mode = \"batch\"\n").unwrap();
        assert_eq!(doc.mode, Some(Mode::Batch));
    }
}
