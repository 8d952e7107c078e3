//! The what-if controls of `aicost serve`: which inputs of a scenario a person may move, and the
//! `--set` lines that a position of the controls stands for.
//!
//! A control exists only for an input the scenario has: the inputs that move its spend most (the
//! top drivers of `sensitivity`), users and sessions per segment, monthly growth, cache hit
//! rates, failure and escalation rates, and a price multiplier per provider. A control left at
//! its starting value adds no `--set` line, so an untouched page is the base scenario itself.
//! Every line is a path the scenario already has (its parent element is written in the file),
//! so each one is checked by the loader exactly as `--set` on the command line is.

use serde::Serialize;

use crate::model::Scenario;
use crate::model::doc::{Node, Value, path};

/// How many of the top drivers of `sensitivity` get a control of their own.
pub const TOP_DRIVERS: usize = 5;

/// What a control sets.
#[derive(Clone, Debug, PartialEq)]
enum Target {
    /// One value at a key path.
    Path(String),
}

/// One control of the page.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Control {
    /// The name the page sends back: the key path, or `price[PROVIDER]`.
    pub id: String,
    /// The group it is shown under: "Top drivers", "Traffic", "Cache", "Failures", "Prices",
    /// "Growth".
    pub group: &'static str,
    /// What the person reads beside it.
    pub label: String,
    /// The value it starts at: the mean of the input in the scenario, on the nearest step (1 for
    /// a multiplier). At this value the control sets nothing: the input stays as the file has it.
    pub start: f64,
    pub min: f64,
    pub max: f64,
    pub step: f64,
    #[serde(skip)]
    target: Target,
}

impl Control {
    /// The `--set` lines of this control at `value`; none at its starting value.
    pub fn sets(&self, value: f64) -> Vec<String> {
        if value == self.start || !value.is_finite() {
            return Vec::new();
        }
        match &self.target {
            Target::Path(p) => vec![format!("{p}={}", number(value))],
        }
    }
}

/// A number as a `--set` value: an integer without a decimal point, else at most nine decimals
/// without trailing zeros (`0.225`, not `0.22499999999999998`).
pub fn number(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e15 {
        return format!("{}", x as i64);
    }
    let s = format!("{x:.9}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" || s.is_empty() {
        "0".to_string()
    } else {
        s.to_string()
    }
}

/// What kind of number a key path holds, by its last key.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Kind {
    Rate,
    Growth,
    Amount,
}

fn kind_of(label: &str) -> Kind {
    let last = label.rsplit('.').next().unwrap_or(label);
    if last.ends_with("_rate") || last == "user_variability" || last == "weekend_factor" {
        Kind::Rate
    } else if last == "monthly_growth" {
        Kind::Growth
    } else {
        Kind::Amount
    }
}

/// The group of a key path that is not a top driver, or `None` when it gets no control.
fn group_of(label: &str) -> Option<&'static str> {
    let last = label.rsplit('.').next().unwrap_or(label);
    if label.starts_with("segment")
        && matches!(
            last,
            "users" | "sessions_per_user_per_day" | "sessions_per_user_per_month"
        )
    {
        Some("Traffic")
    } else if last == "monthly_growth" {
        Some("Growth")
    } else if last.ends_with("cache_hit_rate") {
        Some("Cache")
    } else if last.ends_with("failure_rate")
        || last.ends_with("escalation_rate")
        || last.ends_with("error_rate")
    {
        Some("Failures")
    } else {
        None
    }
}

/// A step that puts about a thousand positions between 0 and `max`: 1 for a few hundred users,
/// 0.01 for a dozen sessions.
fn step_for(max: f64) -> f64 {
    if max <= 0.0 || !max.is_finite() {
        return 0.01;
    }
    10f64.powi(max.log10().floor() as i32 - 3).clamp(0.001, 1e6)
}

/// The parts of `label` (a parameter's label, names written as they are: `stack[a"b].route.my
/// route.chain[0].escalation_rate`), found by walking `doc`: at an array, the element whose name
/// the label goes on with in brackets; at a table, the key it goes on with. `None` when the
/// label does not lead through `doc` to its last key.
fn resolve(doc: &Node, label: &str) -> Option<Vec<path::Part>> {
    fn part(text: &str, bracketed: bool) -> path::Part {
        path::Part {
            text: text.to_string(),
            span: 0..0,
            bracketed,
        }
    }
    fn walk(node: &Node, rest: &str, out: &mut Vec<path::Part>) -> bool {
        if rest.is_empty() {
            return true;
        }
        match &node.value {
            Value::Array(items) => {
                let Some(inner) = rest.strip_prefix('[') else {
                    return false;
                };
                for (i, item) in items.iter().enumerate() {
                    let index = i.to_string();
                    let name = item.get("name").and_then(Node::as_str);
                    for text in name.into_iter().chain([index.as_str()]) {
                        if let Some(after) =
                            inner.strip_prefix(text).and_then(|r| r.strip_prefix(']'))
                        {
                            out.push(part(text, true));
                            if walk(item, after, out) {
                                return true;
                            }
                            out.pop();
                        }
                    }
                }
                false
            }
            Value::Table(entries) => {
                let rest = match rest.strip_prefix('.') {
                    Some(r) => r,
                    None if out.is_empty() => rest,
                    None => return false,
                };
                for e in entries {
                    if let Some(after) = rest.strip_prefix(e.key.as_str())
                        && (after.is_empty() || after.starts_with(['.', '[']))
                    {
                        out.push(part(&e.key, false));
                        if walk(&e.value, after, out) {
                            return true;
                        }
                        out.pop();
                    }
                }
                // The last key need not be written: `--set` adds it.
                if !rest.is_empty() && !rest.contains(['.', '[']) {
                    out.push(part(rest, false));
                    return true;
                }
                false
            }
            _ => false,
        }
    }
    let mut out = Vec::new();
    walk(doc, label, &mut out).then_some(out)
}

/// The `--set` path of `label` when the element it ends in is written in `doc`, so that the
/// line lands on something the scenario has, quoted as `--set` reads it back.
/// An `escalation_rate` counts only on a link with another after it: on the last link of a
/// chain any value but 0 is refused ("nowhere to escalate to"), so it gets no control.
fn settable(doc: &Node, label: &str) -> Option<String> {
    let parts = resolve(doc, label)?;
    let n = parts.len();
    if n < 2 || path::lookup(doc, &parts[..n - 1]).is_none() {
        return None;
    }
    if parts[n - 1].text == "escalation_rate" && n >= 3 {
        let links = path::lookup(doc, &parts[..n - 2]).and_then(|c| match &c.value {
            Value::Array(items) => Some(items.len()),
            _ => None,
        });
        if let (Some(links), Some(at)) = (links, parts[n - 2].index())
            && at + 1 >= links
        {
            return None;
        }
    }
    path::render_quoted(&parts)
}

fn control_for(label: &str, at: String, group: &'static str, mean: f64, high: f64) -> Control {
    let (min, max, step) = match kind_of(label) {
        Kind::Rate => (0.0, 1.0, 0.01),
        Kind::Growth => (-0.5, 1.0, 0.005),
        Kind::Amount => {
            let max = (3.0 * mean).max(1.5 * high).max(1.0);
            let step = step_for(max);
            (0.0, (max / step).ceil() * step, step)
        }
    };
    // The slider can only sit on a step: it starts on the step nearest the mean, so that an
    // untouched control reads as untouched.
    let start = ((mean / step).round() * step).clamp(min, max);
    let start = number(start).parse().unwrap_or(start);
    Control {
        id: label.to_string(),
        group,
        label: label.to_string(),
        start,
        min,
        max,
        step,
        target: Target::Path(at),
    }
}

/// The controls of `s` (read from `doc`), with a control for each of `drivers` (key paths, the
/// most moving first) ahead of the others.
pub fn discover(s: &Scenario, doc: &Node, drivers: &[String]) -> Vec<Control> {
    let params = s.params();
    let mut out: Vec<Control> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for d in drivers.iter().take(TOP_DRIVERS) {
        if let Some(p) = params.iter().find(|p| &p.label == d)
            && let Some(at) = settable(doc, d)
            && seen.insert(d.clone())
        {
            out.push(control_for(
                d,
                at,
                "Top drivers",
                p.dist.mean(),
                p.dist.quantile(0.9),
            ));
        }
    }
    for p in &params {
        let Some(group) = group_of(&p.label) else {
            continue;
        };
        let Some(at) = settable(doc, &p.label) else {
            continue;
        };
        if !seen.insert(p.label.clone()) {
            continue;
        }
        out.push(control_for(
            &p.label,
            at,
            group,
            p.dist.mean(),
            p.dist.quantile(0.9),
        ));
    }
    out.extend(price_controls(s));
    out
}

/// One multiplier per provider (`price_multiplier.PROVIDER`), over every price of its models:
/// token, image and audio prices at every service tier and long-context level, of the models
/// listed under `[[model]]` and of those priced from the catalog alike. It starts at the
/// scenario's own multiplier (1 when it writes none).
fn price_controls(s: &Scenario) -> Vec<Control> {
    let mut out: Vec<Control> = Vec::new();
    for m in &s.models {
        let id = format!("price[{}]", m.provider);
        if out.iter().any(|c| c.id == id) {
            continue;
        }
        let parts = [
            path::Part {
                text: "price_multiplier".to_string(),
                span: 0..0,
                bracketed: false,
            },
            path::Part {
                text: m.provider.clone(),
                span: 0..0,
                bracketed: false,
            },
        ];
        let Some(at) = path::render_quoted(&parts) else {
            continue;
        };
        out.push(Control {
            id,
            group: "Prices",
            label: format!("{} prices ×", m.provider),
            start: m.price_multiplier,
            min: 0.25_f64.min(m.price_multiplier),
            max: 3.0_f64.max(m.price_multiplier),
            step: 0.05,
            target: Target::Path(at),
        });
    }
    out
}

/// The `--set` lines of `values` (control id, value); an unknown id is an error naming it.
pub fn sets_of(controls: &[Control], values: &[(String, f64)]) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    for (id, v) in values {
        let Some(c) = controls.iter().find(|c| &c.id == id) else {
            return Err(format!("no control `{id}` on this page; reload it"));
        };
        if !v.is_finite() {
            return Err(format!("`{id}`: the value must be a number"));
        }
        if *v < c.min || *v > c.max {
            return Err(format!(
                "`{id}`: {} is outside the control's range, {} to {}",
                number(*v),
                number(c.min),
                number(c.max)
            ));
        }
        out.extend(c.sets(*v));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The users of segment `a`, 400 in the base run.
    fn users_control() -> Control {
        control_for(
            "segment[a].users",
            "segment[a].users".into(),
            "Traffic",
            400.0,
            450.0,
        )
    }

    #[test]
    fn numbers_are_written_as_people_would() {
        assert_eq!(number(500.0), "500");
        assert_eq!(number(0.15 * 1.5), "0.225");
        assert_eq!(number(0.4), "0.4");
        assert_eq!(number(-0.05), "-0.05");
        assert_eq!(number(1e-12), "0");
    }

    #[test]
    fn a_control_at_its_start_sets_nothing() {
        let c = users_control();
        assert!(c.sets(400.0).is_empty());
        assert_eq!(c.sets(800.0), vec!["segment[a].users=800".to_string()]);
        assert_eq!((c.min, c.max, c.step), (0.0, 1200.0, 1.0));
        let r = control_for(
            "stack[x].route.main.chain[0].validation_failure_rate",
            "stack[x].route.main.chain[0].validation_failure_rate".into(),
            "Failures",
            0.05,
            0.05,
        );
        assert_eq!((r.min, r.max, r.step), (0.0, 1.0, 0.01));
    }

    #[test]
    fn only_a_link_with_another_after_it_can_escalate() {
        let text = "[[stack]]\nname = \"x\"\n[stack.route.main]\n\
                    chain = [{ model = \"a\" }, { model = \"b\" }]\n";
        let doc = Node::parse(text, crate::base::source::FileId(0)).unwrap();
        let at = |i: usize| format!("stack[x].route.main.chain[{i}].escalation_rate");
        assert_eq!(settable(&doc, &at(0)), Some(at(0)));
        assert_eq!(
            settable(&doc, &at(1)),
            None,
            "the last link has nowhere to escalate to"
        );
        assert!(settable(&doc, "stack[x].route.main.chain[1].validation_failure_rate").is_some());
    }

    /// Names holding quotes, spaces, dots, `=` and `]` get a `--set` path that `--set` reads
    /// back to the same input: the scenario loaded with each control's line has that input at
    /// the control's value.
    #[test]
    fn a_control_of_a_name_with_quotes_or_spaces_sets_its_own_input() {
        let text = r#"name = "q"
[[segment]]
name = 'the [vip] users'
users = { low = 30, high = 50 }
sessions_per_user_per_day = 2
[[workflow]]
name = "w"
segments = ['the [vip] users']
requests_per_session = 1
step = [{ name = "s", route = "my route", input_tokens = 100, output_tokens = 50 }]
[[model]]
name = "a"
input_usd_per_mtok = 1
output_usd_per_mtok = 2
[[model]]
name = "b"
input_usd_per_mtok = 1
output_usd_per_mtok = 2
[[stack]]
name = 'x"y=1.2'
[stack.route."my route"]
chain = [{ model = "a", escalation_rate = { dist = "uniform", min = 0.05, max = 0.15 } }, { model = "b" }]
"#;
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("q.toml");
        std::fs::write(&file, text).unwrap();
        let loaded = crate::model::scenario::load(&file).unwrap();
        let controls = discover(&loaded.scenario, &loaded.document, &[]);
        let ids: Vec<&str> = controls.iter().map(|c| c.id.as_str()).collect();
        for id in [
            "segment[the [vip] users].users",
            "stack[x\"y=1.2].route.my route.chain[0].escalation_rate",
        ] {
            let c = controls
                .iter()
                .find(|c| c.id == id)
                .unwrap_or_else(|| panic!("no control {id} in {ids:?}"));
            let value = c.start + c.step * 3.0;
            let sets = c.sets(value);
            assert_eq!(sets.len(), 1, "{sets:?}");
            let what_if = crate::model::scenario::load_with(
                &file,
                &crate::model::scenario::LoadOptions {
                    overrides: sets.clone(),
                    ..Default::default()
                },
            )
            .unwrap_or_else(|e| panic!("{sets:?}: {e}"));
            let p = what_if
                .scenario
                .params()
                .into_iter()
                .find(|p| p.label == id)
                .unwrap();
            assert_eq!(p.dist.fixed_value(), Some(value), "{sets:?}");
        }
    }

    #[test]
    fn a_value_outside_the_controls_range_is_refused() {
        let c = users_control();
        let controls = vec![c];
        let id = "segment[a].users".to_string();
        assert!(sets_of(&controls, &[(id.clone(), 1200.0)]).is_ok());
        let err = sets_of(&controls, &[(id, 1e12)]).unwrap_err();
        assert!(err.contains("outside the control's range"), "{err}");
    }

    #[test]
    fn a_price_multiplier_is_one_line_per_provider() {
        let loaded =
            crate::model::scenario::load(std::path::Path::new("scenarios/voice-assistant.toml"))
                .unwrap();
        let controls = discover(&loaded.scenario, &loaded.document, &[]);
        let c = controls.iter().find(|c| c.id == "price[openai]").unwrap();
        assert_eq!((c.start, c.group), (1.0, "Prices"));
        assert_eq!(c.sets(1.5), vec!["price_multiplier.openai=1.5".to_string()]);
        assert!(sets_of(&controls, &[("nope".into(), 1.0)]).is_err());
    }
}
