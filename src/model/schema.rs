//! A JSON Schema of the scenario format, generated from the raw serde types.
//!
//! The schema is derived (schemars) from the very types the loader deserializes, so the schema an
//! editor uses and the format the program accepts cannot drift apart: a key added to
//! [`crate::model::scenario::raw`] appears here on the next build. It is written in draft 7, the newest
//! draft taplo (Even Better TOML) reads. `docs/scenario.schema.json` is this output, checked by a
//! test; a scenario opts in with a first line `#:schema ../docs/scenario.schema.json`.

use std::borrow::Cow;

use schemars::generate::SchemaSettings;
use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};

use crate::model::doc::de::Located;
use crate::model::scenario::raw::{
    RawDist, RawLongContext, RawLongContexts, RawQuantity, RawScenario,
};

/// The location wrapper is invisible in the file: its schema is its value's.
impl<T: JsonSchema> JsonSchema for Located<T> {
    fn inline_schema() -> bool {
        T::inline_schema()
    }

    fn schema_name() -> Cow<'static, str> {
        T::schema_name()
    }

    fn schema_id() -> Cow<'static, str> {
        T::schema_id()
    }

    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        T::json_schema(generator)
    }
}

/// A quantity is a plain number or a distribution table.
impl JsonSchema for RawQuantity {
    fn schema_name() -> Cow<'static, str> {
        "Quantity".into()
    }

    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        let dist = generator.subschema_for::<RawDist>();
        json_schema!({
            "description": "A number, or a distribution such as { p50 = 900, p95 = 2600 } or { dist = \"beta\", mean = 0.1, sd = 0.03 }.",
            "anyOf": [
                { "type": "number" },
                dist
            ]
        })
    }
}

/// Long-context prices are one table or an array of them.
impl JsonSchema for RawLongContexts {
    fn schema_name() -> Cow<'static, str> {
        "LongContexts".into()
    }

    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        let one = generator.subschema_for::<RawLongContext>();
        json_schema!({
            "description": "Prices of requests whose whole input exceeds a threshold: one table, or an array of tables with ascending thresholds (a request is priced at the highest one it exceeds).",
            "anyOf": [
                one,
                { "type": "array", "items": one }
            ]
        })
    }
}

/// The schema as a JSON value.
pub fn scenario_schema() -> serde_json::Value {
    let generator = SchemaSettings::draft07().into_generator();
    let mut schema = generator.into_root_schema_for::<RawScenario>();
    schema.insert("title".into(), "aicost scenario".into());
    schema.insert(
        "description".into(),
        "A scenario for aicost: traffic per user segment, workflows of model calls, model prices and candidate stacks. See the README's format guide.".into(),
    );
    let mut value = schema.to_value();
    strip_null(&mut value);
    value
}

/// TOML has no null: an optional key is simply absent, so `Option`'s "or null" is dropped.
fn strip_null(v: &mut serde_json::Value) {
    use serde_json::Value;
    match v {
        Value::Object(map) => {
            if let Some(Value::Array(types)) = map.get_mut("type") {
                types.retain(|t| t != "null");
                if types.len() == 1 {
                    let only = types[0].clone();
                    map.insert("type".into(), only);
                }
            }
            for key in ["anyOf", "oneOf"] {
                let Some(Value::Array(alts)) = map.get_mut(key) else {
                    continue;
                };
                alts.retain(|a| a.get("type").is_none_or(|t| t != "null"));
                if alts.len() == 1 {
                    let Some(Value::Object(only)) = map
                        .remove(key)
                        .and_then(|mut a| a.as_array_mut().and_then(|a| a.pop()))
                    else {
                        continue;
                    };
                    for (k, x) in only {
                        map.entry(k).or_insert(x);
                    }
                }
            }
            for x in map.values_mut() {
                strip_null(x);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(strip_null),
        _ => {}
    }
}

/// The schema as pretty JSON with a trailing newline, as shipped in `docs/scenario.schema.json`.
pub fn to_json() -> String {
    let mut s = serde_json::to_string_pretty(&scenario_schema()).expect("a schema serializes");
    s.push('\n');
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn located_values_and_quantities_have_the_schema_of_what_is_written() {
        let v = scenario_schema();
        let defs = &v["definitions"];
        assert_eq!(v["properties"]["name"]["type"], "string");
        assert_eq!(v["additionalProperties"], false);
        let required: Vec<&str> = v["required"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r.as_str().unwrap())
            .collect();
        assert_eq!(required, ["name"]);
        assert_eq!(defs["Quantity"]["anyOf"][0]["type"], "number");
        assert!(v["properties"]["extends"]["type"] == "string");
        assert!(defs["DistFamily"]["enum"].as_array().unwrap().len() == 8);
    }

    #[test]
    fn the_list_of_top_level_keys_is_the_format_s() {
        let v = scenario_schema();
        let mut keys: Vec<&str> = v["properties"]
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        let mut listed = crate::model::scenario::raw::TOP_LEVEL_KEYS.to_vec();
        keys.sort_unstable();
        listed.sort_unstable();
        assert_eq!(keys, listed);
    }
}
