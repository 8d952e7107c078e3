//! The shape of the code: seven layers, each importing only the layers below it, and no cycle of
//! imports between modules. The test reads the source files themselves (every `crate::…` and
//! `super::…` path outside comments, and every path through a child module a file declares), so a
//! new import that goes up a layer or closes a loop fails here, naming the files and the path.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

/// The layers from the ground up; a module may import its own layer and those before it.
const LAYERS: [&str; 7] = [
    "base", "model", "billing", "sim", "analysis", "render", "app",
];

/// A source file as a module path (`["sim", "engine", "fast"]`; a `mod.rs` is its folder).
fn module_of(src: &Path, file: &Path) -> Vec<String> {
    let rel = file.strip_prefix(src).expect("file under src");
    let mut parts: Vec<String> = rel
        .iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    let last = parts.pop().expect("a file name");
    let stem = last.trim_end_matches(".rs");
    if stem != "mod" && stem != "lib" {
        parts.push(stem.to_string());
    }
    parts
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = fs::read_dir(dir)
        .expect("readable source folder")
        .map(|e| e.expect("readable entry").path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|e| e == "rs") {
            out.push(p);
        }
    }
}

/// The code of a file without comments, string literals and `#[cfg(test)]` modules: tests may
/// reach anywhere.
fn code_of(text: &str) -> String {
    // Each `#[cfg(test)]` item, up to its closing brace, goes.
    let mut without_tests = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find("#[cfg(test)]") {
        without_tests.push_str(&rest[..i]);
        let after = &rest[i..];
        let end = match (after.find('{'), after.find(';')) {
            (Some(open), Some(semi)) if semi < open => semi + 1,
            (Some(open), _) => matching_brace(after, open) + 1,
            (None, Some(semi)) => semi + 1,
            (None, None) => after.len(),
        };
        rest = &after[end.min(after.len())..];
    }
    without_tests.push_str(rest);
    let mut out = String::with_capacity(without_tests.len());
    let b = without_tests.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'/' && b.get(i + 1) == Some(&b'/') {
            while i < b.len() && b[i] != b'\n' {
                i += 1;
            }
        } else if b[i] == b'/' && b.get(i + 1) == Some(&b'*') {
            i += 2;
            while i + 1 < b.len() && !(b[i] == b'*' && b[i + 1] == b'/') {
                i += 1;
            }
            i += 2;
        } else if b[i] == b'"' {
            // A string literal (raw strings with `#` are not used around paths).
            out.push(' ');
            i += 1;
            while i < b.len() && b[i] != b'"' {
                if b[i] == b'\\' {
                    i += 1;
                }
                i += 1;
            }
            i += 1;
        } else if b[i] == b'\'' && b.get(i + 1) == Some(&b'\\') {
            // An escaped character literal such as '\"'.
            out.push(' ');
            i += 2;
            while i < b.len() && b[i] != b'\'' {
                i += 1;
            }
            i += 1;
        } else if b[i] == b'\'' && b.get(i + 2) == Some(&b'\'') {
            // A character literal such as '"'.
            out.push(' ');
            i += 3;
        } else {
            out.push(b[i] as char);
            i += 1;
        }
    }
    out
}

/// Every path a file names that starts with `crate::`, `super::`, one of `children` or one of
/// `aliases` (a module brought into scope by name: `use crate::app::commands;` makes
/// `commands::serve::serve` a path into `app::commands::serve`), as segments after resolving
/// `super`. Grouped imports (`use a::{b, c::d}`) give one path each.
fn paths_of(
    code: &str,
    module: &[String],
    children: &[String],
    aliases: &BTreeMap<String, Vec<String>>,
) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    let bytes = code.as_bytes();
    let is_ident = |c: u8| c.is_ascii_alphanumeric() || c == b'_';
    let mut i = 0;
    while i < bytes.len() {
        if !(is_ident(bytes[i]) && (i == 0 || !(is_ident(bytes[i - 1]) || bytes[i - 1] == b':'))) {
            i += 1;
            continue;
        }
        let start = i;
        while i < bytes.len() && is_ident(bytes[i]) {
            i += 1;
        }
        let first = &code[start..i];
        if !code[i..].starts_with("::") {
            continue;
        }
        // The module a path's first segment names, from this file.
        let mut base: Vec<String> = match first {
            "crate" => Vec::new(),
            "super" => {
                let mut m = module.to_vec();
                m.pop();
                m
            }
            "self" => module.to_vec(),
            c if children.iter().any(|x| x == c) => {
                let mut m = module.to_vec();
                m.push(c.to_string());
                m
            }
            c if aliases.contains_key(c) => aliases[c].clone(),
            _ => continue,
        };
        // Further `super::` segments, then the rest of the path (or a `{…}` group).
        let mut j = i;
        loop {
            if code[j..].starts_with("::super") && first == "super" {
                base.pop();
                j += "::super".len();
            } else {
                break;
            }
        }
        let (segments, next) = read_path(code, j);
        i = next;
        for seg in segments {
            let mut p = base.clone();
            p.extend(seg);
            out.push(p);
        }
    }
    out
}

/// The segments after `::` at `at`, expanding one level of `{…}` groups recursively.
fn read_path(code: &str, mut at: usize) -> (Vec<Vec<String>>, usize) {
    let bytes = code.as_bytes();
    let mut prefix = Vec::new();
    while code[at..].starts_with("::") {
        at += 2;
        while at < bytes.len() && bytes[at].is_ascii_whitespace() {
            at += 1;
        }
        if bytes.get(at) == Some(&b'{') {
            let close = matching_brace(code, at);
            let mut all = Vec::new();
            for item in split_top(&code[at + 1..close]) {
                let item = item.trim();
                let name: String = item
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                if name.is_empty() || name == "self" {
                    all.push(prefix.clone());
                    continue;
                }
                let rest = &item[name.len()..];
                let mut head = prefix.clone();
                head.push(name);
                if rest.trim_start().starts_with("::") {
                    let sub = rest.trim_start().to_string();
                    let (tails, _) = read_path(&sub, 0);
                    for t in tails {
                        let mut p = head.clone();
                        p.extend(t);
                        all.push(p);
                    }
                } else {
                    all.push(head);
                }
            }
            return (all, close + 1);
        }
        let start = at;
        while at < bytes.len() && (bytes[at].is_ascii_alphanumeric() || bytes[at] == b'_') {
            at += 1;
        }
        if at == start {
            break;
        }
        prefix.push(code[start..at].to_string());
    }
    (vec![prefix], at)
}

fn matching_brace(code: &str, open: usize) -> usize {
    let mut depth = 0;
    for (k, c) in code[open..].char_indices() {
        match c {
            '{' => depth += 1,
            '}' => {
                depth -= 1;
                if depth == 0 {
                    return open + k;
                }
            }
            _ => {}
        }
    }
    code.len()
}

fn split_top(s: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let (mut depth, mut start) = (0, 0);
    for (k, c) in s.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                out.push(&s[start..k]);
                start = k + 1;
            }
            _ => {}
        }
    }
    out.push(&s[start..]);
    out
}

/// The child modules a file declares (`mod x;` / `pub mod x;`).
fn children_of(code: &str) -> Vec<String> {
    code.lines()
        .filter_map(|l| {
            let l = l.trim();
            let l = l
                .strip_prefix("pub(crate) ")
                .or_else(|| l.strip_prefix("pub "))
                .unwrap_or(l);
            l.strip_prefix("mod ")
                .and_then(|r| r.strip_suffix(';'))
                .map(|n| n.trim().to_string())
        })
        .collect()
}

/// The graph of imports between source files: file -> (file -> the paths that tie them).
struct Graph {
    edges: BTreeMap<String, BTreeMap<String, BTreeSet<String>>>,
}

fn graph() -> Graph {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let modules: BTreeMap<Vec<String>, String> = files
        .iter()
        .map(|f| {
            (
                module_of(&src, f),
                f.strip_prefix(&src).unwrap().display().to_string(),
            )
        })
        .collect();
    let mut edges: BTreeMap<String, BTreeMap<String, BTreeSet<String>>> = BTreeMap::new();
    for f in &files {
        let name = f.strip_prefix(&src).unwrap().display().to_string();
        if name == "main.rs" {
            continue;
        }
        let text = fs::read_to_string(f).expect("readable source");
        let code = code_of(&text);
        let module = module_of(&src, f);
        let children = children_of(&code);
        let out = edges.entry(name.clone()).or_default();
        // The modules the file names whole (`use crate::base::diag::{self, …}`), by their last
        // segment, so that a path through one of them (`diag::render`) is read too.
        let aliases: BTreeMap<String, Vec<String>> =
            paths_of(&code, &module, &children, &BTreeMap::new())
                .into_iter()
                .filter(|p| p.len() > 1 && modules.contains_key(p))
                .map(|p| (p.last().cloned().unwrap_or_default(), p))
                .collect();
        for path in paths_of(&code, &module, &children, &aliases) {
            // The longest prefix of the path that is a file: the module it imports from.
            let target = (1..=path.len())
                .rev()
                .find_map(|n| modules.get(&path[..n]))
                .or_else(|| modules.get(&Vec::new()));
            let Some(target) = target else { continue };
            if *target == name || target == "lib.rs" {
                continue;
            }
            out.entry(target.clone())
                .or_default()
                .insert(path.join("::"));
        }
    }
    Graph { edges }
}

fn layer_of(file: &str) -> Option<usize> {
    let top = file.split('/').next()?;
    LAYERS.iter().position(|l| *l == top)
}

#[test]
fn every_source_file_stands_in_a_layer() {
    let g = graph();
    let outside: Vec<&String> = g
        .edges
        .keys()
        .filter(|f| *f != "lib.rs" && layer_of(f).is_none())
        .collect();
    assert!(
        outside.is_empty(),
        "files outside the layer folders {LAYERS:?}: {outside:?}"
    );
}

#[test]
fn no_module_imports_from_a_layer_above_its_own() {
    let g = graph();
    let mut upward = Vec::new();
    for (from, tos) in &g.edges {
        let Some(lf) = layer_of(from) else { continue };
        for (to, paths) in tos {
            let Some(lt) = layer_of(to) else { continue };
            if lt > lf {
                upward.push(format!(
                    "{from} ({}) imports {to} ({}): {}",
                    LAYERS[lf],
                    LAYERS[lt],
                    paths.iter().cloned().collect::<Vec<_>>().join(", ")
                ));
            }
        }
    }
    assert!(
        upward.is_empty(),
        "imports that go up a layer:\n{}",
        upward.join("\n")
    );
}

#[test]
fn no_cycle_of_imports_between_modules() {
    let g = graph();
    // Tarjan's strongly connected components: any component of two files or more is a cycle.
    struct State<'a> {
        g: &'a Graph,
        index: BTreeMap<&'a str, usize>,
        low: BTreeMap<&'a str, usize>,
        stack: Vec<&'a str>,
        on_stack: BTreeSet<&'a str>,
        next: usize,
        cycles: Vec<Vec<&'a str>>,
    }
    fn visit<'a>(st: &mut State<'a>, v: &'a str) {
        st.index.insert(v, st.next);
        st.low.insert(v, st.next);
        st.next += 1;
        st.stack.push(v);
        st.on_stack.insert(v);
        if let Some(tos) = st.g.edges.get(v) {
            for w in tos.keys() {
                let w = w.as_str();
                if !st.index.contains_key(w) {
                    visit(st, w);
                    let lw = st.low[w];
                    let lv = st.low.get_mut(v).unwrap();
                    *lv = (*lv).min(lw);
                } else if st.on_stack.contains(w) {
                    let iw = st.index[w];
                    let lv = st.low.get_mut(v).unwrap();
                    *lv = (*lv).min(iw);
                }
            }
        }
        if st.low[v] == st.index[v] {
            let mut comp = Vec::new();
            while let Some(w) = st.stack.pop() {
                st.on_stack.remove(w);
                comp.push(w);
                if w == v {
                    break;
                }
            }
            if comp.len() > 1 {
                comp.sort();
                st.cycles.push(comp);
            }
        }
    }
    let mut st = State {
        g: &g,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        next: 0,
        cycles: Vec::new(),
    };
    let nodes: Vec<&str> = g.edges.keys().map(String::as_str).collect();
    for v in nodes {
        if !st.index.contains_key(v) {
            visit(&mut st, v);
        }
    }
    let described: Vec<String> = st
        .cycles
        .iter()
        .map(|comp| {
            let ties: Vec<String> = comp
                .iter()
                .flat_map(|a| {
                    g.edges[*a]
                        .iter()
                        .filter(|(b, _)| comp.contains(&b.as_str()))
                        .map(move |(b, paths)| {
                            format!(
                                "  {a} -> {b}: {}",
                                paths.iter().cloned().collect::<Vec<_>>().join(", ")
                            )
                        })
                })
                .collect();
            format!("{}\n{}", comp.join(" <-> "), ties.join("\n"))
        })
        .collect();
    assert!(
        described.is_empty(),
        "import cycles:\n{}",
        described.join("\n")
    );
}

/// The test's own reading of paths, on a file it can be checked against by hand.
#[test]
fn paths_are_read_through_groups_super_and_children() {
    let code = code_of(
        "use crate::base::{error::Error, stats::{self, mean}};\n\
         use super::draw::TrialDraw; // crate::app::run in a comment\n\
         let x = fast::plan(); let s = \"crate::render::csv\";\n",
    );
    let module: Vec<String> = ["sim", "engine", "exact"].map(String::from).to_vec();
    let mut got: Vec<String> = paths_of(&code, &module, &["fast".to_string()], &BTreeMap::new())
        .into_iter()
        .map(|p| p.join("::"))
        .collect();
    got.sort();
    assert_eq!(
        got,
        vec![
            "base::error::Error",
            "base::stats",
            "base::stats::mean",
            "sim::engine::draw::TrialDraw",
            "sim::engine::exact::fast::plan",
        ]
    );
}

/// A module named whole by a `use` is followed through: the path behind the name is read.
#[test]
fn paths_are_read_through_a_module_brought_into_scope() {
    let code = code_of("use crate::app::commands;\nfn f() { commands::serve::serve(); }\n");
    let module: Vec<String> = ["app", "run"].map(String::from).to_vec();
    let aliases: BTreeMap<String, Vec<String>> = [(
        "commands".to_string(),
        vec!["app".to_string(), "commands".to_string()],
    )]
    .into();
    let mut got: Vec<String> = paths_of(&code, &module, &[], &aliases)
        .into_iter()
        .map(|p| p.join("::"))
        .collect();
    got.sort();
    assert_eq!(got, vec!["app::commands", "app::commands::serve::serve"]);
}
