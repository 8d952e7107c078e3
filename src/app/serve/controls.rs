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
    /// Every listed price (path, value in the scenario) times the control's value.
    Prices(Vec<(String, f64)>),
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
            Target::Prices(prices) => prices
                .iter()
                .map(|(p, v)| format!("{p}={}", number(v * value)))
                .collect(),
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

/// Whether the element that `label` ends in is written in `doc`, so a `--set` of it lands on
/// something the scenario has.
/// An `escalation_rate` counts only on a link with another after it: on the last link of a
/// chain any value but 0 is refused ("nowhere to escalate to"), so it gets no control.
fn settable(doc: &Node, label: &str) -> bool {
    let Ok(parts) = path::parse(label, 0) else {
        return false;
    };
    let n = parts.len();
    if n < 2 || path::lookup(doc, &parts[..n - 1]).is_none() {
        return false;
    }
    if parts[n - 1].text == "escalation_rate" && n >= 3 {
        let links = path::lookup(doc, &parts[..n - 2]).and_then(|c| match &c.value {
            Value::Array(items) => Some(items.len()),
            _ => None,
        });
        if let (Some(links), Some(at)) = (links, parts[n - 2].index()) {
            return at + 1 < links;
        }
    }
    true
}

fn control_for(label: &str, group: &'static str, mean: f64, high: f64) -> Control {
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
        target: Target::Path(label.to_string()),
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
            && settable(doc, d)
            && seen.insert(d.clone())
        {
            out.push(control_for(
                d,
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
        if !settable(doc, &p.label) || !seen.insert(p.label.clone()) {
            continue;
        }
        out.push(control_for(
            &p.label,
            group,
            p.dist.mean(),
            p.dist.quantile(0.9),
        ));
    }
    out.extend(price_controls(s, doc));
    out
}

/// One multiplier per provider over the standard prices (input, output, cached input, cache
/// write) of each of its models written in the scenario. A provider with an uncertain price, or
/// a model priced only by the catalog and not listed under `[[model]]`, gets none: there is no
/// single number to multiply, or no element to set it on.
fn price_controls(s: &Scenario, doc: &Node) -> Vec<Control> {
    // Per provider: its prices (key path, value), and whether every one can be multiplied.
    type Provider = (String, Vec<(String, f64)>, bool);
    let mut providers: Vec<Provider> = Vec::new();
    for m in &s.models {
        let at = match providers.iter().position(|(p, _, _)| *p == m.provider) {
            Some(i) => i,
            None => {
                providers.push((m.provider.clone(), Vec::new(), true));
                providers.len() - 1
            }
        };
        let element = format!("model[{}]", quoted(&m.name));
        let written =
            path::parse(&element, 0).is_ok_and(|parts| path::lookup(doc, &parts).is_some());
        if !written {
            providers[at].2 = false;
            continue;
        }
        for (key, price) in [
            ("input_usd_per_mtok", &m.prices.input),
            ("output_usd_per_mtok", &m.prices.output),
            ("cached_input_usd_per_mtok", &m.prices.cached_input),
            ("cache_write_usd_per_mtok", &m.prices.cache_write),
        ] {
            match price.dist.fixed_value() {
                Some(v) if v > 0.0 => providers[at].1.push((format!("{element}.{key}"), v)),
                Some(_) => {}
                None => providers[at].2 = false,
            }
        }
    }
    providers
        .into_iter()
        .filter(|(_, prices, ok)| *ok && !prices.is_empty())
        .map(|(provider, prices, _)| Control {
            id: format!("price[{provider}]"),
            group: "Prices",
            label: format!("{provider} prices ×"),
            start: 1.0,
            min: 0.25,
            max: 3.0,
            step: 0.05,
            target: Target::Prices(prices),
        })
        .collect()
}

/// A name inside `[…]` of a key path, quoted when it holds characters a bare name cannot.
fn quoted(name: &str) -> String {
    if name
        .chars()
        .all(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | '.' | ':' | '/' | '+' | ' '))
        && !name.contains(']')
    {
        name.to_string()
    } else {
        format!("\"{}\"", name.replace('\\', "\\\\").replace('"', "\\\""))
    }
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
        let c = control_for("segment[a].users", "Traffic", 400.0, 450.0);
        assert!(c.sets(400.0).is_empty());
        assert_eq!(c.sets(800.0), vec!["segment[a].users=800".to_string()]);
        assert_eq!((c.min, c.max, c.step), (0.0, 1200.0, 1.0));
        let r = control_for(
            "stack[x].route.main.chain[0].validation_failure_rate",
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
        assert!(settable(&doc, &at(0)));
        assert!(
            !settable(&doc, &at(1)),
            "the last link has nowhere to escalate to"
        );
        assert!(settable(
            &doc,
            "stack[x].route.main.chain[1].validation_failure_rate"
        ));
    }

    #[test]
    fn a_value_outside_the_controls_range_is_refused() {
        let c = control_for("segment[a].users", "Traffic", 400.0, 450.0);
        let controls = vec![c];
        let id = "segment[a].users".to_string();
        assert!(sets_of(&controls, &[(id.clone(), 1200.0)]).is_ok());
        let err = sets_of(&controls, &[(id, 1e12)]).unwrap_err();
        assert!(err.contains("outside the control's range"), "{err}");
    }

    #[test]
    fn a_price_multiplier_scales_every_price() {
        let c = Control {
            id: "price[openai]".into(),
            group: "Prices",
            label: "openai prices ×".into(),
            start: 1.0,
            min: 0.25,
            max: 3.0,
            step: 0.05,
            target: Target::Prices(vec![
                ("model[m].input_usd_per_mtok".into(), 0.15),
                ("model[m].output_usd_per_mtok".into(), 0.6),
            ]),
        };
        assert_eq!(
            c.sets(1.5),
            vec![
                "model[m].input_usd_per_mtok=0.225".to_string(),
                "model[m].output_usd_per_mtok=0.9".to_string()
            ]
        );
        assert!(sets_of(&[c], &[("nope".into(), 1.0)]).is_err());
    }
}
