//! "Save" of `aicost serve`: a what-if as a scenario file that `extends` the base with the
//! values of the page, ready to commit or to pass to `compare`.
//!
//! The file holds only what the what-if changed: each `--set` line becomes the key it names,
//! under `[[segment]]`/`[[model]]`/`[[stack]]` elements selected by `name` (which `extends`
//! merges by name), so the rest keeps following the base. An array addressed by index
//! (`chain[0]`) is not merged by `extends` but replaced, so it is written whole, as the what-if
//! has it. The name is a plain file name in the scenario's own folder; the file is written
//! atomically, never over the base or any other file the scenario is read from, never over an
//! existing file, and read back and validated before the page says it is saved.

use std::path::{Path, PathBuf};

use crate::model::doc::{Node, Value, path};

/// Why a save was refused, for the page.
pub type Refusal = String;

/// Device names Windows reserves in every folder, whatever the extension (`CON.toml` opens the
/// console there, not a file).
const WINDOWS_RESERVED: [&str; 22] = [
    "CON", "PRN", "AUX", "NUL", "COM1", "COM2", "COM3", "COM4", "COM5", "COM6", "COM7", "COM8",
    "COM9", "LPT1", "LPT2", "LPT3", "LPT4", "LPT5", "LPT6", "LPT7", "LPT8", "LPT9",
];

/// The path a save of `name` writes: `name` in `folder`, when it is a plain file name ending in
/// `.toml` that is safe on every system and in a shell: no folder, no `..`, nothing hidden, no
/// leading `-` (an option to every command it is passed to), no space or dot at either end
/// (Windows drops them), no name Windows reserves for a device (`CON`, `NUL`, `COM1`, …).
pub fn target(folder: &Path, name: &str) -> Result<PathBuf, Refusal> {
    let shown = crate::base::escape::visible(name);
    if name.ends_with([' ', '.']) || name.starts_with(' ') || name.trim() != name {
        return Err(format!(
            "`{shown}` begins or ends with a space or a dot: write the name without them, e.g. what-if.toml"
        ));
    }
    let plain = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | '.' | '+'))
        && name.len() <= 200;
    if !plain {
        return Err(format!(
            "`{shown}` is not a plain file name: use letters, digits, `-`, `_` and `.`, e.g. what-if.toml; the file goes in the scenario's folder"
        ));
    }
    if name.starts_with(['-', '.']) {
        return Err(format!(
            "`{shown}` begins with `{}`: a saved what-if's name begins with a letter or a digit, e.g. what-if.toml (a leading `-` reads as an option, a leading `.` hides the file)",
            &name[..1]
        ));
    }
    if !name.ends_with(".toml") || name == ".toml" {
        return Err(format!(
            "`{shown}` does not end in .toml: a scenario is a .toml file, e.g. what-if.toml"
        ));
    }
    let stem = name.split('.').next().unwrap_or(name);
    if WINDOWS_RESERVED
        .iter()
        .any(|r| r.eq_ignore_ascii_case(stem))
    {
        return Err(format!(
            "`{shown}` is a device name on Windows (`{stem}`), not a file there: choose another name, e.g. {stem}-what-if.toml"
        ));
    }
    Ok(folder.join(name))
}

/// A TOML value as one inline expression.
fn inline(node: &Node) -> String {
    match &node.value {
        Value::String(s) => crate::base::escape::toml_str(s),
        Value::Integer(i) => i.to_string(),
        Value::Float(f) => toml_float(*f),
        Value::Boolean(b) => b.to_string(),
        Value::Datetime(d) => d.clone(),
        Value::Array(items) => format!(
            "[{}]",
            items.iter().map(inline).collect::<Vec<_>>().join(", ")
        ),
        Value::Table(entries) => format!(
            "{{ {} }}",
            entries
                .iter()
                .map(|e| format!(
                    "{} = {}",
                    crate::base::escape::toml_key(&e.key),
                    inline(&e.value)
                ))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

fn toml_float(f: f64) -> String {
    if f.is_nan() {
        "nan".to_string()
    } else if f.is_infinite() {
        if f > 0.0 { "inf" } else { "-inf" }.to_string()
    } else if f.fract() == 0.0 && f.abs() < 1e15 {
        format!("{f:.1}")
    } else {
        format!("{f}")
    }
}

/// A table being built: plain keys with inline values, sub-tables, and arrays of named tables.
#[derive(Default)]
struct Out {
    values: Vec<(String, String)>,
    tables: Vec<(String, Out)>,
    named: Vec<(String, Vec<(String, Out)>)>,
}

impl Out {
    fn value(&mut self, key: &str, text: String) {
        match self.values.iter_mut().find(|(k, _)| k == key) {
            Some(slot) => slot.1 = text,
            None => self.values.push((key.to_string(), text)),
        }
    }

    fn table(&mut self, key: &str) -> &mut Out {
        let i = match self.tables.iter().position(|(k, _)| k == key) {
            Some(i) => i,
            None => {
                self.tables.push((key.to_string(), Out::default()));
                self.tables.len() - 1
            }
        };
        &mut self.tables[i].1
    }

    fn element(&mut self, key: &str, name: &str) -> &mut Out {
        let a = match self.named.iter().position(|(k, _)| k == key) {
            Some(a) => a,
            None => {
                self.named.push((key.to_string(), Vec::new()));
                self.named.len() - 1
            }
        };
        let items = &mut self.named[a].1;
        let i = match items.iter().position(|(n, _)| n == name) {
            Some(i) => i,
            None => {
                items.push((name.to_string(), Out::default()));
                items.len() - 1
            }
        };
        &mut items[i].1
    }

    /// Write this table's contents under the header path `prefix` (empty: the top level).
    fn write(&self, prefix: &[String], text: &mut String) {
        for (k, v) in &self.values {
            text.push_str(&format!("{} = {v}\n", crate::base::escape::toml_key(k)));
        }
        for (k, t) in &self.tables {
            let mut p = prefix.to_vec();
            p.push(crate::base::escape::toml_key(k));
            // A table holding only tables needs no header of its own.
            if !t.values.is_empty() || (t.tables.is_empty() && t.named.is_empty()) {
                text.push_str(&format!("\n[{}]\n", p.join(".")));
            }
            t.write(&p, text);
        }
        for (k, items) in &self.named {
            let mut p = prefix.to_vec();
            p.push(crate::base::escape::toml_key(k));
            for (name, t) in items {
                text.push_str(&format!(
                    "\n[[{}]]\nname = {}\n",
                    p.join("."),
                    crate::base::escape::toml_str(name)
                ));
                t.write(&p, text);
            }
        }
    }
}

/// The text of a scenario that extends `base_name` (a path relative to the new file) with
/// `sets`, each written as the what-if document `doc` holds it.
pub fn scenario_text(base_name: &str, sets: &[String], doc: &Node, header: &str) -> String {
    let mut out = Out::default();
    for set in sets {
        let Some(eq) = set.find('=') else { continue };
        let Ok(parts) = path::parse(set[..eq].trim(), 0) else {
            continue;
        };
        place(&mut out, doc, &parts);
    }
    let mut text = String::new();
    for line in header.lines() {
        text.push_str(&format!("# {line}\n"));
    }
    text.push_str(&format!(
        "extends = {}\n",
        crate::base::escape::toml_str(base_name)
    ));
    out.write(&[], &mut text);
    text
}

/// Put the value `doc` holds at `parts` into `out`, walking `doc` alongside.
fn place(out: &mut Out, doc: &Node, parts: &[path::Part]) {
    let mut table = out;
    let mut node = doc;
    let mut i = 0;
    while i < parts.len() {
        let part = &parts[i];
        let Value::Table(entries) = &node.value else {
            return;
        };
        let Some(entry) = entries.iter().find(|e| e.key == part.text) else {
            return;
        };
        let child = &entry.value;
        if i + 1 == parts.len() {
            table.value(&part.text, inline(child));
            return;
        }
        match &child.value {
            Value::Array(items) => {
                let next = &parts[i + 1];
                let Some((_, element)) = path::select(items, next) else {
                    return;
                };
                let name = element.get("name").and_then(Node::as_str);
                match name {
                    // `extends` merges named elements by name.
                    Some(name) if next.index().is_none() => {
                        if i + 2 == parts.len() {
                            // The whole element: written whole, inline.
                            table.value(&part.text, inline(child));
                            return;
                        }
                        table = table.element(&part.text, name);
                        node = element;
                        i += 2;
                    }
                    // An element by index: the array is replaced, so it is written whole.
                    _ => {
                        table.value(&part.text, inline(child));
                        return;
                    }
                }
            }
            Value::Table(_) => {
                table = table.table(&part.text);
                node = child;
                i += 1;
            }
            _ => {
                table.value(&part.text, inline(child));
                return;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_plain_toml_name_in_the_folder_is_a_target() {
        let dir = Path::new("/s");
        assert_eq!(target(dir, "w.toml").unwrap(), Path::new("/s/w.toml"));
        for bad in [
            "../w.toml",
            "/etc/w.toml",
            "a/w.toml",
            "w.txt",
            ".hidden.toml",
            "",
            "a\\b.toml",
        ] {
            assert!(target(dir, bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn names_unsafe_in_a_shell_or_on_windows_are_refused_with_the_reason() {
        let dir = Path::new("/s");
        for (bad, why) in [
            ("-rf.toml", "begins with `-`"),
            ("--help.toml", "begins with `-`"),
            (".w.toml", "begins with `.`"),
            ("CON.toml", "device name on Windows"),
            ("con.toml", "device name on Windows"),
            ("nul.backup.toml", "device name on Windows"),
            ("Lpt9.toml", "device name on Windows"),
            ("w.toml ", "space or a dot"),
            (" w.toml", "space or a dot"),
            ("w.toml.", "space or a dot"),
            ("w.toml\t", "space or a dot"),
            ("w\t1.toml", "not a plain file name"),
        ] {
            let why_not = target(dir, bad).unwrap_err();
            assert!(why_not.contains(why), "{bad:?}: {why_not}");
        }
        for good in [
            "console.toml",
            "com10.toml",
            "w-1.toml",
            "a.b.toml",
            "CONx.toml",
        ] {
            assert!(target(dir, good).is_ok(), "{good}");
        }
    }

    #[test]
    fn sets_become_keys_under_named_elements_or_whole_arrays() {
        let sets = [
            "segment[agents].users=520".to_string(),
            "simulation.trials=2000".to_string(),
            "stack[gpt-4o].route.main.chain[0].validation_failure_rate=0.1".to_string(),
        ];
        let loaded = crate::model::scenario::load_with(
            Path::new("scenarios/support-summarizer.toml"),
            &crate::model::scenario::LoadOptions {
                overrides: sets.to_vec(),
                ..Default::default()
            },
        )
        .unwrap();
        let text = scenario_text("base.toml", &sets, &loaded.document, "a what-if");
        assert!(
            text.starts_with("# a what-if\nextends = \"base.toml\"\n"),
            "{text}"
        );
        assert!(text.contains("\n[simulation]\ntrials = 2000\n"), "{text}");
        assert!(
            text.contains("\n[[segment]]\nname = \"agents\"\nusers = 520\n"),
            "{text}"
        );
        // `chain[0]`: the array is replaced by `extends`, so it is written whole.
        assert!(
            text.contains("\n[[stack]]\nname = \"gpt-4o\"\n\n[stack.route.main]\nchain = [{ model = \"gpt-4o\", validation_failure_rate = 0.1, max_attempts = 2 }]\n"),
            "{text}"
        );
        assert!(!text.contains("[stack.route]\n"), "{text}");
        // The file, beside its base, is the what-if.
        let dir = tempfile::tempdir().unwrap();
        std::fs::copy(
            "scenarios/support-summarizer.toml",
            dir.path().join("base.toml"),
        )
        .unwrap();
        std::fs::write(dir.path().join("w.toml"), &text).unwrap();
        let saved = crate::model::scenario::load(&dir.path().join("w.toml")).unwrap();
        let labels: Vec<(String, Option<f64>)> = saved
            .scenario
            .params()
            .iter()
            .map(|p| (p.label.clone(), p.dist.fixed_value()))
            .collect();
        for (label, value) in [
            ("segment[agents].users", 520.0),
            (
                "stack[gpt-4o].route.main.chain[0].validation_failure_rate",
                0.1,
            ),
            (
                "stack[gpt-4o-mini].route.main.chain[0].validation_failure_rate",
                0.05,
            ),
        ] {
            assert!(
                labels.contains(&(label.to_string(), Some(value))),
                "{label} = {value} in {labels:?}"
            );
        }
        assert_eq!(saved.scenario.simulation.trials, 2000);
    }
}
