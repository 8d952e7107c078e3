//! The page of `aicost serve`: the brief of `--format html` beside the what-if controls, and a
//! few lines of inline script that poll for a new version of the scenario, send a control's
//! change, and show the answer. Like the brief, the page is self-contained: its style and
//! script are inline and it fetches nothing but its own server's routes. Every name and message
//! in it comes from files and is escaped; the per-run token the server checks on every change
//! is in a `<meta>` element of the page, which another site cannot read.

use super::controls::Control;
use super::state::{Snapshot, StackDelta};
use crate::base::format;
use crate::render::html::{STYLE, escape};

const SERVE_STYLE: &str = "\
body { display: flex; align-items: flex-start; }
aside { position: sticky; top: 0; width: 430px; flex: none; height: 100vh; overflow-y: auto;
  box-sizing: border-box; padding: 16px 18px; background: #f6f7f9; border-right: 1px solid #d8d8d8;
  font-size: 13px; }
aside h2 { font-size: 15px; margin: 16px 0 6px; border: none; padding: 0; }
aside label { display: block; margin: 6px 0 10px; }
aside label span.name { display: block; font-family: ui-monospace, monospace; font-size: 12px;
  overflow-wrap: anywhere; }
aside input[type=range] { width: 300px; vertical-align: middle; }
aside output { font-variant-numeric: tabular-nums; margin-left: 6px; }
aside pre { white-space: pre-wrap; overflow-wrap: anywhere; background: #ffffff; padding: 6px;
  border: 1px solid #e0e0e0; font-size: 12px; margin: 4px 0; }
aside table { font-size: 12px; width: 100%; }
aside td { overflow-wrap: anywhere; }
span.delta { font-size: 11px; }
aside th, aside td { padding: 2px 5px; }
main { flex: 1; min-width: 0; }
#status { color: #555555; }
#errors pre { background: #fff4f2; border: 1px solid #d55e00; padding: 10px; white-space: pre-wrap;
  overflow-wrap: anywhere; font-size: 13px; }
span.up { color: #b03000; } span.down { color: #006a4e; }
";

const SCRIPT: &str = r#"
const TOKEN = document.querySelector('meta[name="aicost-token"]').content;
let version = Number(document.body.dataset.version);
let generation = 0, timer = null;
const $ = (id) => document.getElementById(id);
function sliders() { return [...document.querySelectorAll('#controls input[type=range]')]; }
function values() {
  return sliders().filter((i) => Number(i.value) !== Number(i.dataset.start))
    .map((i) => ({ id: i.dataset.id, value: Number(i.value) }));
}
function post(path, body) {
  return fetch(path, { method: 'POST', headers: { 'Content-Type': 'application/json',
    'X-Aicost-Token': TOKEN }, body: JSON.stringify(body) }).then((r) => r.json());
}
function showWhatIf(r) {
  if (r.error) { $('whatif').innerHTML = ''; $('whatif-error').textContent = r.error; }
  else { $('whatif-error').textContent = ''; $('whatif').innerHTML = r.html; }
  $('sets').textContent = (r.sets || []).join('\n') || '(none: the base scenario)';
  $('command').textContent = r.command || '';
  $('status').textContent = r.error ? 'the what-if does not validate' : (r.partial ? 'partial run' : 'up to date');
  document.body.dataset.whatif = String(r.generation);
}
function whatIf() {
  const g = ++generation;
  $('status').textContent = 'running…';
  post('/whatif', { generation: g, values: values() }).then((r) => {
    if (r.stale || g !== generation) return;
    showWhatIf(r);
  }).catch((e) => { $('status').textContent = 'no answer: ' + e; });
}
function bind() {
  for (const i of sliders()) {
    i.addEventListener('input', () => {
      i.nextElementSibling.textContent = i.value;
      clearTimeout(timer);
      timer = setTimeout(whatIf, 100);
    });
  }
}
$('reset').addEventListener('click', () => {
  for (const i of sliders()) { i.value = i.dataset.start; i.nextElementSibling.textContent = i.value; }
  whatIf();
});
$('save').addEventListener('submit', (e) => {
  e.preventDefault();
  post('/save', { name: $('save-name').value, values: values() }).then((r) => {
    $('save-result').textContent = r.error ? r.error : 'saved: ' + r.summary;
    $('save-result').dataset.ok = r.error ? 'false' : 'true';
  });
});
async function poll() {
  try {
    const v = await fetch('/version').then((r) => r.json());
    if (v.version !== version) {
      const st = await fetch('/state').then((r) => r.json());
      const kept = values();
      version = st.version;
      document.body.dataset.version = String(version);
      $('brief').innerHTML = st.brief;
      $('errors').innerHTML = st.errors;
      $('controls').innerHTML = st.controls;
      $('run').textContent = st.run;
      for (const k of kept) {
        const i = sliders().find((s) => s.dataset.id === k.id);
        if (i) { i.value = k.value; i.nextElementSibling.textContent = i.value; }
      }
      bind();
      if (st.ok) whatIf();
    }
  } catch (e) { $('status').textContent = 'server stopped'; }
  setTimeout(poll, 500);
}
bind();
whatIf();
setTimeout(poll, 500);
"#;

/// The controls, grouped, as HTML.
pub fn controls_html(controls: &[Control]) -> String {
    let mut out = String::new();
    let mut group = "";
    for c in controls {
        if c.group != group {
            group = c.group;
            out.push_str(&format!("<h2>{}</h2>\n", escape(group)));
        }
        let start = super::controls::number(c.start);
        out.push_str(&format!(
            "<label><span class=\"name\">{label}</span><input type=\"range\" data-id=\"{id}\" data-start=\"{start}\" min=\"{min}\" max=\"{max}\" step=\"{step}\" value=\"{start}\"><output>{start}</output></label>\n",
            label = escape(&c.label),
            id = escape(&c.id),
            min = super::controls::number(c.min),
            max = super::controls::number(c.max),
            step = super::controls::number(c.step),
        ));
    }
    if out.is_empty() {
        out.push_str("<p>This scenario has no input a control can move.</p>\n");
    }
    out
}

/// The errors that stop the forecast, as the terminal shows them.
pub fn errors_html(errors: &str) -> String {
    format!(
        "<h2>The scenario does not validate</h2>\n<p>Fix the file and save it: the page updates by itself.</p>\n<pre>{}</pre>\n",
        escape(errors)
    )
}

/// "10,000 trials · seed 42".
pub fn run_text(trials: u64, seed: u64) -> String {
    format!("{} trials · seed {seed}", format::count(trials as f64))
}

/// The what-if beside the base, one row per stack.
pub fn what_if_html(stacks: &[StackDelta]) -> String {
    let signed_money = |d: f64| {
        if d > 0.0 {
            format!("+{}", format::money(d))
        } else {
            format::money(d)
        }
    };
    let class = |d: f64| {
        if d > 0.0 {
            " up"
        } else if d < 0.0 {
            " down"
        } else {
            ""
        }
    };
    let mut out = String::from(
        "<table id=\"whatif-table\"><thead><tr><th scope=\"col\">Stack</th><th scope=\"col\" class=\"num\">Mean<br>Δ mean</th><th scope=\"col\" class=\"num\">p95<br>Δ p95</th><th scope=\"col\" class=\"num\">Breach<br>Δ breach</th></tr></thead><tbody>\n",
    );
    for s in stacks {
        let dm = s.mean_usd - s.base_mean_usd;
        let dp = s.p95_usd - s.base_p95_usd;
        let (breach, data) = match (s.breach_probability, s.base_breach_probability) {
            (Some(b), Some(base)) => {
                let d = (b - base) * 100.0;
                (
                    format!(
                        "{}<br><span class=\"delta{}\">{}{:.1} pp</span>",
                        format::percent(b),
                        class(d),
                        if d > 0.0 { "+" } else { "" },
                        d
                    ),
                    format!(" data-breach=\"{b}\" data-base-breach=\"{base}\""),
                )
            }
            _ => ("no budget".to_string(), String::new()),
        };
        out.push_str(&format!(
            "<tr data-stack=\"{name}\" data-mean=\"{mean}\" data-p95=\"{p95}\"{data}><td>{name}</td><td class=\"num\">{m}<br><span class=\"delta{cm}\">{dm}</span></td><td class=\"num\">{p}<br><span class=\"delta{cp}\">{dp}</span></td><td class=\"num\">{breach}</td></tr>\n",
            name = escape(&s.name),
            mean = s.mean_usd,
            p95 = s.p95_usd,
            m = format::money(s.mean_usd),
            cm = class(dm),
            dm = signed_money(dm),
            p = format::money(s.p95_usd),
            cp = class(dp),
            dp = signed_money(dp),
        ));
    }
    out.push_str("</tbody></table>\n");
    out
}

/// The whole page for `snap` of the scenario named `file`, with `token` for the requests that
/// change something.
pub fn page(snap: &Snapshot, token: &str, file: &str) -> String {
    let (brief, errors, controls, run) = match &snap.outcome {
        Ok(b) => (
            b.brief_html.as_str(),
            String::new(),
            controls_html(&b.controls),
            run_text(b.trials, b.seed),
        ),
        Err(e) => ("", errors_html(e), String::new(), String::new()),
    };
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
<meta name=\"aicost-token\" content=\"{token}\">\n\
<title>aicost serve: {title}</title>\n<style>\n{STYLE}{SERVE_STYLE}</style>\n</head>\n\
<body data-version=\"{version}\" data-whatif=\"0\">\n\
<aside>\n<p><strong>aicost serve</strong> · <code>{title}</code><br><span id=\"run\">{run}</span><br><span id=\"status\">loading…</span></p>\n\
<h2>What if</h2>\n<div id=\"whatif\"></div>\n<p id=\"whatif-error\"></p>\n\
<div id=\"controls\">\n{controls}</div>\n\
<p><button type=\"button\" id=\"reset\">Reset to the base</button></p>\n\
<h2>--set lines of this what-if</h2>\n<pre id=\"sets\"></pre>\n\
<h2>The same run on the command line</h2>\n<pre id=\"command\"></pre>\n\
<h2>Save</h2>\n<form id=\"save\"><input id=\"save-name\" value=\"what-if.toml\" size=\"24\" aria-label=\"file name\"> <button type=\"submit\">Save</button></form>\n\
<p id=\"save-result\"></p>\n<p class=\"note\">Writes a scenario that extends this one with the values above, in its folder; it never replaces a file.</p>\n\
</aside>\n<main>\n<section id=\"errors\">{errors}</section>\n<div id=\"brief\">\n{brief}</div>\n</main>\n\
<script>{SCRIPT}</script>\n</body>\n</html>\n",
        token = escape(token),
        title = escape(file),
        version = snap.version,
    )
}
