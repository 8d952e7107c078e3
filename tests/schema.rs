//! The shipped JSON Schema: it is exactly what `aicost schema` prints, every shipped scenario
//! validates against it, and it rejects the mistakes the loader rejects (unknown keys, wrong
//! types, missing required keys).
//!
//! The validator below covers the draft-7 keywords the generated schema uses and fails loudly on
//! any other keyword, so a new construct in the schema cannot be skipped silently.

use std::path::Path;

use assert_cmd::cargo::cargo_bin_cmd;
use serde_json::Value;

const SHIPPED: &str = "docs/scenario.schema.json";

fn schema() -> Value {
    aicost::model::schema::scenario_schema()
}

/// Keywords that only describe (no constraint).
const ANNOTATIONS: &[&str] = &[
    "$schema",
    "title",
    "description",
    "definitions",
    "format",
    "default",
    "examples",
];

/// Errors of `value` against `schema`, as `path: message` lines.
fn validate(root: &Value, schema: &Value, value: &Value, path: &str, errors: &mut Vec<String>) {
    let Value::Object(s) = schema else {
        match schema {
            Value::Bool(true) => return,
            Value::Bool(false) => {
                errors.push(format!("{path}: not allowed"));
                return;
            }
            _ => panic!("a schema is an object or a boolean: {schema}"),
        }
    };
    for (key, rule) in s {
        match key.as_str() {
            k if ANNOTATIONS.contains(&k) => {}
            "$ref" => {
                let name = rule
                    .as_str()
                    .and_then(|r| r.strip_prefix("#/definitions/"))
                    .unwrap_or_else(|| panic!("unsupported $ref {rule}"));
                validate(root, &root["definitions"][name], value, path, errors);
            }
            "type" => {
                let types: Vec<&str> = match rule {
                    Value::String(t) => vec![t.as_str()],
                    Value::Array(ts) => ts.iter().map(|t| t.as_str().unwrap()).collect(),
                    _ => panic!("bad type {rule}"),
                };
                if !types.iter().any(|t| has_type(value, t)) {
                    errors.push(format!("{path}: expected {types:?}, found {value}"));
                }
            }
            "enum" => {
                if !rule.as_array().unwrap().contains(value) {
                    errors.push(format!("{path}: {value} is not one of {rule}"));
                }
            }
            "minimum" => {
                if value.as_f64().is_some_and(|x| x < rule.as_f64().unwrap()) {
                    errors.push(format!("{path}: {value} is below {rule}"));
                }
            }
            "maximum" => {
                if value.as_f64().is_some_and(|x| x > rule.as_f64().unwrap()) {
                    errors.push(format!("{path}: {value} is above {rule}"));
                }
            }
            "required" => {
                if let Value::Object(o) = value {
                    for r in rule.as_array().unwrap() {
                        if !o.contains_key(r.as_str().unwrap()) {
                            errors.push(format!("{path}: missing required key {r}"));
                        }
                    }
                }
            }
            "properties" => {
                if let Value::Object(o) = value {
                    for (k, v) in o {
                        if let Some(sub) = rule.get(k) {
                            validate(root, sub, v, &format!("{path}.{k}"), errors);
                        }
                    }
                }
            }
            "additionalProperties" => {
                if let Value::Object(o) = value {
                    let known = s.get("properties");
                    for (k, v) in o {
                        if known.and_then(|p| p.get(k)).is_none() {
                            validate(root, rule, v, &format!("{path}.{k}"), errors);
                        }
                    }
                }
            }
            "items" => {
                if let Value::Array(items) = value {
                    for (i, v) in items.iter().enumerate() {
                        validate(root, rule, v, &format!("{path}[{i}]"), errors);
                    }
                }
            }
            "anyOf" | "oneOf" => {
                let passing = rule
                    .as_array()
                    .unwrap()
                    .iter()
                    .filter(|alt| {
                        let mut e = Vec::new();
                        validate(root, alt, value, path, &mut e);
                        e.is_empty()
                    })
                    .count();
                let ok = if key == "anyOf" {
                    passing >= 1
                } else {
                    passing == 1
                };
                if !ok {
                    errors.push(format!("{path}: {passing} alternatives of {key} match"));
                }
            }
            "allOf" => {
                for alt in rule.as_array().unwrap() {
                    validate(root, alt, value, path, errors);
                }
            }
            other => panic!("the test validator does not know the keyword `{other}`; teach it"),
        }
    }
}

fn has_type(v: &Value, t: &str) -> bool {
    match t {
        "object" => v.is_object(),
        "array" => v.is_array(),
        "string" => v.is_string(),
        "boolean" => v.is_boolean(),
        "number" => v.is_number(),
        "integer" => v.as_f64().is_some_and(|x| x.fract() == 0.0),
        "null" => v.is_null(),
        _ => panic!("unknown type {t}"),
    }
}

fn toml_to_json(text: &str) -> Value {
    toml::from_str::<Value>(text).expect("valid TOML")
}

fn errors_of(text: &str) -> Vec<String> {
    let root = schema();
    let mut errors = Vec::new();
    validate(&root, &root, &toml_to_json(text), "", &mut errors);
    errors
}

#[test]
fn the_shipped_schema_is_what_aicost_schema_prints() {
    let printed = cargo_bin_cmd!("aicost")
        .arg("schema")
        .output()
        .expect("aicost runs");
    assert!(printed.status.success());
    let shipped = std::fs::read_to_string(SHIPPED).expect("docs/scenario.schema.json exists");
    assert!(
        shipped == String::from_utf8(printed.stdout).unwrap(),
        "{SHIPPED} is out of date: run `cargo run --release -- schema --out {SHIPPED}`"
    );
}

#[test]
fn every_shipped_scenario_validates_and_points_editors_at_the_schema() {
    let mut checked = 0;
    for entry in std::fs::read_dir("scenarios").unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "toml") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        let errors = errors_of(&text);
        assert!(errors.is_empty(), "{}: {errors:#?}", path.display());
        let first = text.lines().next().unwrap_or("");
        let target = first.strip_prefix("#:schema ").map(str::trim);
        assert_eq!(
            target,
            Some("../docs/scenario.schema.json"),
            "{}: the first line should be the taplo hint",
            path.display()
        );
        assert!(path.parent().unwrap().join(target.unwrap()).exists());
        checked += 1;
    }
    assert!(checked >= 6, "only {checked} scenarios found");
    assert!(errors_of(aicost::app::commands::init::STARTER).is_empty());
}

#[test]
fn the_schema_rejects_what_the_loader_rejects() {
    let base = std::fs::read_to_string(Path::new("scenarios/support-summarizer.toml")).unwrap();
    let typo = base.replace("weekend_factor", "weekend_fctor");
    assert!(
        errors_of(&typo)
            .iter()
            .any(|e| e.contains("segment[0].weekend_fctor")),
        "{:?}",
        errors_of(&typo)
    );
    let wrong_type = base.replace(
        "sessions_per_user_per_day = 12",
        "sessions_per_user_per_day = \"12\"",
    );
    assert!(!errors_of(&wrong_type).is_empty());
    let bad_dist = base.replace("{ low = 350, high = 450 }", "{ low = 350, hgh = 450 }");
    assert!(!errors_of(&bad_dist).is_empty());
    let bad_family = base.replace("dist = \"lognormal\"", "dist = \"lognormla\"");
    assert!(!errors_of(&bad_family).is_empty());
    let no_name = base.replace("name = \"support-summarizer\"", "");
    assert!(
        errors_of(&no_name)
            .iter()
            .any(|e| e.contains("missing required key \"name\"")),
    );
    assert!(errors_of("extends = \"base.toml\"\nname = \"x\"\n").is_empty());
}

#[test]
fn schema_help_explains_the_editor_hint() {
    cargo_bin_cmd!("aicost")
        .args(["schema", "--help"])
        .assert()
        .success()
        .stdout(predicates::str::contains("Examples:"))
        .stdout(predicates::str::contains("#:schema"));
    cargo_bin_cmd!("aicost")
        .args(["schema", "--set", "name=x"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("reads no scenario"));
}
