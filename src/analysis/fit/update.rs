//! `aicost fit --update`: fitted values written into an existing scenario, keeping its comments,
//! layout and everything the logs cannot tell.
//!
//! A fitted workflow is matched by name (`workflow` or `workflow/model` when it used several
//! models). In its step (the only one, or the one whose route the fitted name names) the token
//! keys, the cache hit rate and the keys fitted from cache writes, reasoning, image and audio
//! tokens are replaced; in its segment (when only this workflow uses it) the
//! head-count, rate, weekend factor and user variability; in every stack, the validation-failure
//! rate of chain links to the fitted model. A workflow the scenario lacks is added whole, with its
//! segment, its model and a route in every stack. Each change is reported.

use std::path::Path;

use toml_edit::{DocumentMut, Item, Table, Value};

use super::skeleton::{self, Fitted, FittedPart, FittedWorkflow, Provenance, part_name, sig};
use crate::base::error::{Error, UsageKind};
use crate::model::catalog::Catalog;

fn value(text: &str) -> Value {
    let doc: DocumentMut = format!("v = {text}")
        .parse()
        .expect("fitted values are valid TOML");
    doc["v"].as_value().expect("a value").clone()
}

fn name_of(t: &Table) -> Option<&str> {
    t.get("name").and_then(Item::as_str)
}

/// Set `key` to `v`, keeping the old value's layout and comment. A comment that states numbers
/// and sits on a value the update changed is marked, so a stale figure does not read as current:
/// `# 800 tokens in May` becomes `# (fit: was 800) 800 tokens in May`.
fn set(t: &mut Table, key: &str, v: Value, changed: &mut Vec<String>) {
    let old = t.get(key).and_then(Item::as_value).cloned();
    let mut v = v;
    if let Some(old) = old {
        let mut decor = old.decor().clone();
        let bare = |x: &Value| {
            let mut x = x.clone();
            *x.decor_mut() = toml_edit::Decor::default();
            x.to_string().trim().to_string()
        };
        let (before, after) = (bare(&old), bare(&v));
        let comment = decor
            .suffix()
            .and_then(|s| s.as_str())
            .map(str::to_string)
            .unwrap_or_default();
        if before != after
            && let Some((space, text)) = comment.split_once('#')
            && text.chars().any(|c| c.is_ascii_digit())
        {
            decor.set_suffix(format!(
                "{space}# (fit: was {}){text}",
                crate::base::escape::visible(&before)
            ));
        }
        *v.decor_mut() = decor;
    }
    t.insert(key, Item::Value(v));
    changed.push(key.to_string());
}

/// Update the scenario at `base` with `f`; returns the new text and one note per change.
pub fn update(base: &Path, f: &Fitted, catalog: &Catalog) -> Result<(String, Vec<String>), Error> {
    let text = crate::base::source::read_bounded_text(
        base,
        crate::base::source::MAX_SCENARIO_BYTES,
        crate::base::source::Named::OnCommandLine,
    )
    .map_err(|source| Error::Read {
        path: base.to_path_buf(),
        source,
    })?;
    let mut doc: DocumentMut = text.parse().map_err(|e: toml_edit::TomlError| {
        let at = e
            .span()
            .map(|s| crate::base::source::line_col(&text, s.start))
            .map_or(String::new(), |lc| format!(":{}:{}", lc.line, lc.column));
        Error::from(UsageKind::NotTomlScenario {
            path: base.to_path_buf(),
            at,
            message: e.message().to_string(),
        })
    })?;
    let days = doc
        .get("simulation")
        .and_then(|s| s.get("days"))
        .and_then(Item::as_integer)
        .unwrap_or(30) as u32;
    let mut notes = Vec::new();
    for w in &f.workflows {
        for p in &w.parts {
            let pn = part_name(w, p);
            let found = doc
                .get("workflow")
                .and_then(Item::as_array_of_tables)
                .and_then(|a| {
                    a.iter()
                        .position(|t| name_of(t) == Some(pn.as_str()))
                        .or_else(|| a.iter().position(|t| name_of(t) == Some(w.name.as_str())))
                });
            match found {
                Some(i) => update_workflow(&mut doc, i, w, p, &pn, days, catalog, &mut notes),
                None => add_workflow(&mut doc, w, p, catalog, &mut notes),
            }
        }
    }
    Ok((doc.to_string(), notes))
}

// The document, the fitted workflow and part, and what locating them needs: one call site.
// Long on purpose: one workflow updated in order (its step and the step's figures, then the one
// segment its users come from), each edit beside the note it leaves for the person who reads the
// updated file.
#[allow(clippy::too_many_arguments)]
fn update_workflow(
    doc: &mut DocumentMut,
    index: usize,
    w: &FittedWorkflow,
    p: &FittedPart,
    pn: &str,
    days: u32,
    catalog: &Catalog,
    notes: &mut Vec<String>,
) {
    let workflows = doc["workflow"].as_array_of_tables().expect("checked");
    let wt = workflows.get(index).expect("index in range");
    let wname = name_of(wt).unwrap_or(pn).to_string();
    let used_segments: Vec<String> = match wt.get("segments").and_then(Item::as_array) {
        Some(a) => a
            .iter()
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect(),
        None => Vec::new(),
    };
    let all_use = wt.get("segments").is_none();
    // The step: the only one, or the one routed to the fitted name.
    let wt = doc["workflow"]
        .as_array_of_tables_mut()
        .expect("checked")
        .get_mut(index)
        .expect("index");
    let Some(steps) = wt.get_mut("step").and_then(Item::as_array_of_tables_mut) else {
        notes.push(format!("workflow `{wname}` has no step; left as it is"));
        return;
    };
    let si = if steps.len() == 1 {
        Some(0)
    } else {
        steps
            .iter()
            .position(|s| s.get("route").and_then(Item::as_str) == Some(pn))
    };
    let route = match si {
        None => {
            notes.push(format!(
                "workflow `{wname}` has several steps and none is routed to `{pn}`; its tokens were not updated"
            ));
            None
        }
        Some(si) => {
            let step = steps.get_mut(si).expect("index in range");
            let mut changed = Vec::new();
            set(
                step,
                "input_tokens",
                value(&p.input_tokens.toml()),
                &mut changed,
            );
            set(
                step,
                "output_tokens",
                value(&p.output_tokens.toml()),
                &mut changed,
            );
            match &p.static_prefix_tokens {
                Some(prefix) => {
                    set(
                        step,
                        "static_prefix_tokens",
                        value(&prefix.toml()),
                        &mut changed,
                    );
                    set(
                        step,
                        "cache_hit_rate",
                        value(&format!("{}", sig(p.cache_hit_rate, 4))),
                        &mut changed,
                    );
                }
                None => {
                    if step.contains_key("cache_hit_rate") {
                        set(step, "cache_hit_rate", value("0"), &mut changed);
                    }
                    if step.contains_key("static_prefix_tokens") {
                        step.remove("static_prefix_tokens");
                        changed.push(
                            "static_prefix_tokens (removed: no cache hits in the logs)".into(),
                        );
                    }
                }
            }
            update_measures(step, p, catalog, &mut changed);
            notes.push(format!(
                "updated workflow `{wname}`, step `{}`: {}",
                name_of(step).unwrap_or("?"),
                changed.join(", ")
            ));
            step.get("route").and_then(Item::as_str).map(str::to_string)
        }
    };
    // The segment, when this workflow is its only user.
    let segment = if used_segments.len() == 1 {
        Some(used_segments[0].clone())
    } else if all_use {
        doc.get("segment")
            .and_then(Item::as_array_of_tables)
            .filter(|a| a.len() == 1)
            .and_then(|a| a.get(0))
            .and_then(name_of)
            .map(str::to_string)
    } else {
        None
    };
    let shared = segment.as_ref().is_some_and(|s| {
        doc.get("workflow")
            .and_then(Item::as_array_of_tables)
            .map_or(0, |a| {
                a.iter()
                    .filter(|t| match t.get("segments").and_then(Item::as_array) {
                        Some(list) => list.iter().any(|v| v.as_str() == Some(s)),
                        None => true,
                    })
                    .count()
            })
            > 1
    });
    match (&segment, shared, w.parts.len() > 1) {
        (Some(s), false, false) => {
            if let Some(segs) = doc
                .get_mut("segment")
                .and_then(Item::as_array_of_tables_mut)
                && let Some(t) = segs.iter_mut().find(|t| name_of(t) == Some(s.as_str()))
            {
                let mut changed = Vec::new();
                set(
                    t,
                    "users",
                    value(&format!("{}", w.users.round().max(1.0))),
                    &mut changed,
                );
                let rate = sig(w.requests_per_user_per_day, 4);
                if t.contains_key("sessions_per_user_per_month") {
                    let weights = crate::model::day_weights(days, 0, w.weekend_factor);
                    let month: f64 = weights.iter().sum::<f64>() * w.requests_per_user_per_day;
                    set(
                        t,
                        "sessions_per_user_per_month",
                        value(&format!("{}", sig(month, 4))),
                        &mut changed,
                    );
                } else {
                    set(
                        t,
                        "sessions_per_user_per_day",
                        value(&format!("{rate}")),
                        &mut changed,
                    );
                }
                set(
                    t,
                    "weekend_factor",
                    value(&format!("{}", sig(w.weekend_factor, 3))),
                    &mut changed,
                );
                set(
                    t,
                    "user_variability",
                    value(&format!("{}", sig(w.user_variability, 3))),
                    &mut changed,
                );
                notes.push(format!("updated segment `{s}`: {}", changed.join(", ")));
            }
        }
        (Some(s), true, _) => notes.push(format!(
            "segment `{s}` is shared with other workflows; its traffic was not updated"
        )),
        _ => notes.push(format!("workflow `{wname}`: no single segment to update")),
    }
    // Validation-failure rates of links to the fitted model, in every stack.
    let Some(route) = route else { return };
    if let Some(stacks) = doc.get_mut("stack").and_then(Item::as_array_of_tables_mut) {
        for st in stacks.iter_mut() {
            let sname = name_of(st).unwrap_or("?").to_string();
            let Some(chain) = st
                .get_mut("route")
                .and_then(|r| r.get_mut(&route))
                .and_then(|r| r.get_mut("chain"))
                .and_then(Item::as_array_mut)
            else {
                continue;
            };
            for link in chain.iter_mut() {
                let Some(t) = link.as_inline_table_mut() else {
                    continue;
                };
                let linked = t.get("model").and_then(Value::as_str);
                if linked != Some(p.model.as_str())
                    && linked != Some(skeleton::model_name(catalog, &p.model).as_str())
                {
                    continue;
                }
                let r = sig(p.validation_failure_rate, 4);
                t.insert("validation_failure_rate", value(&format!("{r}")));
                if p.validation_failure_rate > 0.0 {
                    let keep = t
                        .get("max_attempts")
                        .and_then(Value::as_integer)
                        .unwrap_or(1);
                    t.insert(
                        "max_attempts",
                        value(&format!("{}", (p.max_attempts as i64).max(keep))),
                    );
                }
                notes.push(format!(
                    "updated stack `{sname}`, route `{route}`, model `{}`: validation_failure_rate = {r}",
                    p.model
                ));
            }
        }
    }
}

/// The keys fitted from cache writes, reasoning, image and audio tokens, in a step the update
/// keeps. A key the logs cannot tell (images when no call had any) is left as it is; a
/// `reasoning_tokens` the logs do not report apart is removed, since the fitted `output_tokens`
/// then includes the reasoning and keeping both would count it twice.
fn update_measures(step: &mut Table, p: &FittedPart, catalog: &Catalog, changed: &mut Vec<String>) {
    if skeleton::one_hour_cache(p, catalog) {
        set(step, "cache_ttl", value("\"1h\""), changed);
    } else if p.write_1h_share.is_some_and(|h| h < 0.5)
        && step.get("cache_ttl").and_then(Item::as_str) == Some("1h")
    {
        set(step, "cache_ttl", value("\"5m\""), changed);
    }
    match &p.reasoning_tokens {
        Some(r) => set(step, "reasoning_tokens", value(&r.toml()), changed),
        None => {
            if step.contains_key("reasoning_tokens") {
                step.remove("reasoning_tokens");
                changed.push(
                    "reasoning_tokens (removed: the logs count reasoning inside output_tokens)"
                        .into(),
                );
            }
        }
    }
    if let Some(images) = skeleton::images_toml(p) {
        set(step, "images", value(&images), changed);
    }
    if let Some(a) = &p.audio_input_tokens {
        set(step, "audio_input_tokens", value(&a.toml()), changed);
    }
    if let Some(a) = &p.audio_output_tokens {
        set(step, "audio_output_tokens", value(&a.toml()), changed);
    }
}

/// Append a workflow the scenario lacks, with its segment, model and a route in every stack.
fn add_workflow(
    doc: &mut DocumentMut,
    w: &FittedWorkflow,
    p: &FittedPart,
    catalog: &Catalog,
    notes: &mut Vec<String>,
) {
    let one = Fitted {
        workflows: vec![FittedWorkflow {
            parts: vec![p.clone()],
            population: None,
            ..w.clone()
        }],
        populations: Vec::new(),
        days_covered: None,
        days_weekday: 0.0,
        days_weekend: 0.0,
    };
    let pn = part_name(w, p);
    let snippet = skeleton::render(&one, "x", &Provenance::default(), catalog);
    let Ok(mut part_doc) = snippet.parse::<DocumentMut>() else {
        return;
    };
    // Rename the single-part workflow and route to the multi-part name when needed.
    if pn != w.name
        && let Some(wt) = part_doc
            .get_mut("workflow")
            .and_then(Item::as_array_of_tables_mut)
            .and_then(|a| a.get_mut(0))
    {
        wt.insert("name", Item::Value(value(&skeleton::toml_str(&pn))));
        wt.insert(
            "requests_per_session",
            Item::Value(value(&format!("{}", sig(p.share, 4)))),
        );
        if let Some(st) = wt
            .get_mut("step")
            .and_then(Item::as_array_of_tables_mut)
            .and_then(|a| a.get_mut(0))
        {
            st.insert("route", Item::Value(value(&skeleton::toml_str(&pn))));
        }
    }
    let have_segment = doc
        .get("segment")
        .and_then(Item::as_array_of_tables)
        .is_some_and(|a| a.iter().any(|t| name_of(t) == Some(w.name.as_str())));
    let have_model = doc
        .get("model")
        .and_then(Item::as_array_of_tables)
        .is_some_and(|a| a.iter().any(|t| name_of(t) == Some(p.model.as_str())));
    if !have_segment {
        pin_segments(doc, notes);
    }
    // Moved tables are placed after everything in the scenario, in order.
    let mut next = max_position(doc.as_item()) + 1;
    let mut move_tables = |key: &str, keep: &dyn Fn(&Table) -> bool| {
        if let Some(src) = part_doc.get(key).and_then(Item::as_array_of_tables) {
            for t in src.iter().filter(|t| keep(t)) {
                if doc.get(key).is_none() {
                    doc.insert(key, Item::ArrayOfTables(toml_edit::ArrayOfTables::new()));
                }
                let mut t = t.clone();
                t.set_position(Some(next));
                next += 1;
                if let Some(steps) = t.get_mut("step").and_then(Item::as_array_of_tables_mut) {
                    for st in steps.iter_mut() {
                        st.set_position(Some(next));
                        next += 1;
                    }
                }
                if let Some(dst) = doc.get_mut(key).and_then(Item::as_array_of_tables_mut) {
                    dst.push(t);
                }
            }
        }
    };
    if !have_segment {
        move_tables("segment", &|_| true);
    }
    move_tables("workflow", &|_| true);
    if !have_model {
        move_tables("model", &|_| true);
    }
    // The route keeps the fitted failure rate, as a fitted scenario's would.
    let mut link = format!(
        "model = {}",
        skeleton::toml_str(&skeleton::model_name(catalog, &p.model))
    );
    if p.validation_failure_rate > 0.0 {
        link += &format!(
            ", validation_failure_rate = {}, max_attempts = {}",
            sig(p.validation_failure_rate, 4),
            p.max_attempts
        );
    }
    let chain = value(&format!("[{{ {link} }}]"));
    let mut stacks = 0;
    if let Some(list) = doc.get_mut("stack").and_then(Item::as_array_of_tables_mut) {
        for st in list.iter_mut() {
            if st.get("route").is_none() {
                st.insert("route", Item::Table(Table::new()));
            }
            if let Some(routes) = st.get_mut("route").and_then(Item::as_table_mut) {
                let mut t = Table::new();
                t.insert("chain", Item::Value(chain.clone()));
                routes.insert(&pn, Item::Table(t));
                stacks += 1;
            }
        }
    }
    notes.push(format!(
        "added workflow `{pn}` ({}{}), served by `{}` in {stacks} stack{}",
        if have_segment {
            "existing segment"
        } else {
            "new segment"
        },
        if have_model { "" } else { ", new model" },
        p.model,
        if stacks == 1 { "" } else { "s" }
    ));
}

/// The largest table position in a document (tables are written in position order).
fn max_position(item: &Item) -> isize {
    match item {
        Item::Table(t) => t
            .iter()
            .map(|(_, i)| max_position(i))
            .fold(t.position().unwrap_or(0), isize::max),
        Item::ArrayOfTables(a) => a
            .iter()
            .map(|t| {
                t.iter()
                    .map(|(_, i)| max_position(i))
                    .fold(t.position().unwrap_or(0), isize::max)
            })
            .max()
            .unwrap_or(0),
        _ => 0,
    }
}

/// Workflows without `segments` run for every segment; before a segment is added, name the
/// existing ones so they keep their traffic.
fn pin_segments(doc: &mut DocumentMut, notes: &mut Vec<String>) {
    let names: Vec<String> = doc
        .get("segment")
        .and_then(Item::as_array_of_tables)
        .map(|a| a.iter().filter_map(name_of).map(str::to_string).collect())
        .unwrap_or_default();
    let list = format!(
        "[{}]",
        names
            .iter()
            .map(|n| skeleton::toml_str(n))
            .collect::<Vec<_>>()
            .join(", ")
    );
    if let Some(ws) = doc
        .get_mut("workflow")
        .and_then(Item::as_array_of_tables_mut)
    {
        for w in ws.iter_mut() {
            if !w.contains_key("segments") {
                let wname = name_of(w).unwrap_or("?").to_string();
                w.insert("segments", Item::Value(value(&list)));
                notes.push(format!(
                    "workflow `{wname}` now names its segments ({list}) so the added segment does not run it"
                ));
            }
        }
    }
}
