//! `aicost fit` keeps what the logs say exactly: names reach the scenario as logged (blanks
//! included), and warehouse aggregates carry every measure the raw readers fit (cache writes and
//! their time to live, reasoning, image and audio tokens), so a fit from aggregates, and an
//! `--update` from them, equals one from the raw rows.

mod logs;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use aicost::analysis::fit::hist::{Moments, bucket};
use aicost::analysis::fit::skeleton::{self, CacheFit, Fitted};
use aicost::analysis::fit::{LogOptions, summarize};
use aicost::base::calendar::Date;
use assert_cmd::cargo::cargo_bin_cmd;
use logs::{PartTruth, WorkflowTruth, part};

fn aicost() -> assert_cmd::Command {
    let mut cmd = cargo_bin_cmd!("aicost");
    cmd.env_remove("NO_COLOR").env("AICOST_TODAY", "2026-11-23");
    cmd
}

// ---------------------------------------------------------------------------------------------
// Names

/// Workflow names that differ only by blanks stay apart, in the plain, LiteLLM and aggregate
/// formats, and the scenario validates.
#[test]
fn names_with_leading_and_trailing_blanks_reach_the_scenario_as_logged() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let names = [
        " lead space",
        "lead space",
        "a ",
        "a",
        "two  inner  blanks ",
    ];
    let mut plain = String::from(
        "timestamp,user,workflow,model,input_tokens,cached_tokens,output_tokens,status\n",
    );
    let mut litellm = String::from(
        "startTime,end_user,model,prompt_tokens,completion_tokens,status,request_tags\n",
    );
    for (i, name) in names.iter().enumerate() {
        for k in 0..=i {
            plain += &format!(
                "2026-10-0{}T10:00:00Z,u{k},\"{name}\",gpt-4o-mini,{},0,100,ok\n",
                k + 1,
                1000 + 100 * i
            );
            let tag = format!("[\"\"workflow:{name}\"\"]");
            litellm += &format!(
                "2026-10-0{}T10:00:00Z,u{k},gpt-4o-mini,{},100,success,\"{tag}\"\n",
                k + 1,
                1000 + 100 * i
            );
        }
    }
    let files = [("plain.csv", plain), ("spend.csv", litellm)];
    for (file, text) in &files {
        std::fs::write(d.join(file), text).unwrap();
    }
    // The aggregates `--aggregates-out` writes read back to the same names.
    aicost()
        .current_dir(d)
        .args(["fit", "plain.csv", "--aggregates-out", "agg.csv", "--quiet"])
        .assert()
        .success();
    for (file, from) in [
        ("plain.csv", "csv"),
        ("spend.csv", "litellm"),
        ("agg.csv", "aggregates"),
    ] {
        let out = format!("{file}.toml");
        aicost()
            .current_dir(d)
            .args(["fit", file, "--from", from, "--out", &out, "--quiet"])
            .assert()
            .success();
        let text = std::fs::read_to_string(d.join(&out)).unwrap();
        for (i, name) in names.iter().enumerate() {
            let line = format!("name = {}", aicost::base::escape::toml_str(name));
            assert!(text.contains(&line), "{file}: no `{line}` in\n{text}");
            // Each name's calls stay its own: `a ` has 3, `a` 4.
            let doc: toml::Table = text.parse().unwrap();
            let w = doc["workflow"]
                .as_array()
                .unwrap()
                .iter()
                .find(|w| w["name"].as_str() == Some(name))
                .unwrap_or_else(|| panic!("{file}: workflow {name:?}"));
            let step = &w["step"].as_array().unwrap()[0];
            let input = step["input_tokens"].to_string();
            assert!(
                input.contains(&format!("{}", 1000 + 100 * i)),
                "{file}: {name:?} has input {input}"
            );
        }
        aicost()
            .current_dir(d)
            .args(["validate", &out])
            .assert()
            .success();
    }
}

// ---------------------------------------------------------------------------------------------
// Aggregates with every measure

fn truth() -> Vec<WorkflowTruth> {
    vec![
        WorkflowTruth {
            name: "draft",
            users: 120,
            rate: 1.2,
            weekend_factor: 0.5,
            user_cv: 0.5,
            parts: vec![PartTruth {
                prefix: 3000,
                hit_rate: 0.6,
                validation_failure_rate: 0.05,
                error_rate: 0.02,
                ..part("claude-sonnet-4-5", 1.0)
            }],
        },
        WorkflowTruth {
            name: "reason",
            users: 60,
            rate: 2.0,
            weekend_factor: 0.3,
            user_cv: 0.3,
            parts: vec![PartTruth {
                validation_failure_rate: 0.1,
                ..part("o4-mini", 1.0)
            }],
        },
    ]
}

/// A generated call with the counts the base generator has no notion of, derived from its index
/// so the data is fixed: `draft` reports cache writes (a call without a read writes the prefix,
/// two in three times), their time to live and image tokens; `reason` reports reasoning, audio
/// output and audio input.
#[derive(Clone, Debug)]
struct Call {
    row: logs::Row,
    writes: Option<u64>,
    writes_1h: Option<u64>,
    image: u64,
    audio_in: u64,
    reasoning: Option<u64>,
    audio_out: u64,
}

/// Without `audio`, no call has audio tokens (the bundled catalog prices no model's audio
/// output, so a scenario with them does not validate).
fn calls(seed: u64, audio: bool) -> Vec<Call> {
    let mut rows = Vec::new();
    logs::generate(
        &truth(),
        Date::parse("2026-09-01").unwrap(),
        30,
        seed,
        |r| rows.push(r.clone()),
    );
    rows.into_iter()
        .enumerate()
        .map(|(i, row)| {
            let i = i as u64;
            let draft = row.workflow == "draft";
            let billed = row.status != "error";
            let writes = (draft && billed).then(|| {
                if row.cached == 0 && !i.is_multiple_of(3) {
                    3000
                } else {
                    0
                }
            });
            Call {
                writes,
                writes_1h: writes.map(|w| if i.is_multiple_of(4) { w / 4 } else { w }),
                image: if draft && i.is_multiple_of(5) {
                    row.input / 4
                } else {
                    0
                },
                audio_in: if audio && !draft && i.is_multiple_of(11) {
                    row.input / 10
                } else {
                    0
                },
                reasoning: (!draft && billed).then_some(row.output / 3),
                audio_out: if audio && !draft && billed && i.is_multiple_of(7) {
                    row.output / 5
                } else {
                    0
                },
                row,
            }
        })
        .collect()
}

const HEADER: &str = "timestamp,user,workflow,model,input_tokens,cached_tokens,cache_write_tokens,\
cache_write_1h_tokens,image_tokens,audio_input_tokens,output_tokens,reasoning_tokens,\
audio_output_tokens,status\n";

fn plain(calls: &[Call]) -> String {
    let opt = |x: Option<u64>| x.map_or(String::new(), |x| x.to_string());
    let mut out = HEADER.to_string();
    for c in calls {
        let r = &c.row;
        out += &format!(
            "{},{},{},{},{},{},{},{},{},{},{},{},{},{}\n",
            logs::timestamp(r),
            r.user,
            r.workflow,
            r.model,
            r.input,
            r.cached,
            opt(c.writes),
            opt(c.writes_1h),
            c.image,
            c.audio_in,
            r.output,
            opt(c.reasoning),
            c.audio_out,
            r.status
        );
    }
    out
}

/// What a warehouse query computes (docs/warehouse.md and docs/fit.md's table), written from
/// the documents rather than from the summary code.
fn warehouse_aggregates(calls: &[Call]) -> String {
    type Key = (String, String, &'static str);
    let mut hist: BTreeMap<(String, String, &str, Option<i32>), Moments> = BTreeMap::new();
    let mut counters: BTreeMap<Key, f64> = BTreeMap::new();
    let mut sums: BTreeMap<Key, (f64, f64)> = BTreeMap::new();
    let mut per_user: BTreeMap<(String, String), f64> = BTreeMap::new();
    let mut days: BTreeSet<Date> = BTreeSet::new();
    for c in calls {
        let r = &c.row;
        days.insert(r.date);
        let (w, m) = (r.workflow.to_string(), r.model.to_string());
        let count = |counters: &mut BTreeMap<Key, f64>, measure: &'static str| {
            *counters.entry((w.clone(), m.clone(), measure)).or_default() += 1.0;
        };
        match r.status {
            "error" => {
                count(&mut counters, "errors");
                continue;
            }
            "validation_failed" => count(&mut counters, "validation_failures"),
            _ => {
                count(&mut counters, "ok_calls");
                let day = if r.date.is_weekend() {
                    "requests_weekend"
                } else {
                    "requests_weekday"
                };
                *counters.entry((w.clone(), String::new(), day)).or_default() += 1.0;
                *per_user.entry((w.clone(), r.user.clone())).or_default() += 1.0;
            }
        }
        if r.cached > 0 {
            count(&mut counters, "cache_hits");
        }
        let mut h = |measure: &'static str, x: u64| {
            let x = x as f64;
            hist.entry((w.clone(), m.clone(), measure, bucket(x)))
                .or_default()
                .add(x);
        };
        h("input_tokens_all", r.input);
        h("output_tokens", r.output);
        if r.cached > 0 {
            h("cached_tokens", r.cached);
            h("input_tokens_hit", r.input - r.cached);
        }
        if let Some(writes) = c.writes {
            if r.cached + writes > 0 {
                h("prefix_tokens", r.cached + writes);
            }
            h("uncached_input_tokens", r.input - r.cached - writes);
        }
        if let Some(reasoning) = c.reasoning {
            h("reasoning_tokens", reasoning);
            h("visible_output_tokens", r.output - reasoning - c.audio_out);
        }
        for (measure, x) in [
            ("image_tokens", c.image),
            ("audio_input_tokens", c.audio_in),
            ("audio_output_tokens", c.audio_out),
        ] {
            if x > 0 {
                h(measure, x);
            }
        }
        let mut sum = |measure: &'static str, x: u64| {
            let e = sums.entry((w.clone(), m.clone(), measure)).or_default();
            e.0 += 1.0;
            e.1 += x as f64;
        };
        if let Some(writes) = c.writes {
            sum("cache_write_tokens", writes);
            sum("cache_read_tokens", r.cached);
            if let Some(h1) = c.writes_1h {
                sum("cache_write_ttl_known_tokens", writes);
                sum("cache_write_1h_tokens", h1);
            }
        }
    }
    let mut out = String::from("workflow,model,measure,bucket,n,sum,sum_sq,sum_ln,sum_ln2\n");
    for ((w, m, measure, b), s) in &hist {
        let b = b.map_or(String::new(), |b| b.to_string());
        out += &format!(
            "{w},{m},{measure},{b},{},{},{},{},{}\n",
            s.n, s.sum, s.sum_sq, s.sum_ln, s.sum_ln2
        );
    }
    for ((w, m, measure), n) in &counters {
        out += &format!("{w},{m},{measure},,{n},,,,\n");
    }
    for ((w, m, measure), (n, s)) in &sums {
        out += &format!("{w},{m},{measure},,{n},{s},,,\n");
    }
    let mut users: BTreeMap<String, Moments> = BTreeMap::new();
    for ((w, _), n) in &per_user {
        let u = users.entry(w.clone()).or_default();
        u.n += 1.0;
        u.sum += n;
        u.sum_sq += n * n;
    }
    for (w, u) in &users {
        out += &format!("{w},,users,,{},,,,\n", u.n);
        out += &format!("{w},,user_requests,,{},{},{},,\n", u.n, u.sum, u.sum_sq);
    }
    let weekdays = days.iter().filter(|d| !d.is_weekend()).count();
    out += &format!(
        ",,days_weekday,,{weekdays},,,,\n,,days_weekend,,{},,,,\n",
        days.len() - weekdays
    );
    out
}

fn fit(path: &Path, empirical: bool) -> Fitted {
    let ing = summarize(&[path.to_path_buf()], &LogOptions::default()).unwrap();
    assert_eq!(ing.budget.malformed.count, 0, "{}", ing.budget.report());
    let mut f = skeleton::fit(&ing.summary, empirical);
    // Aggregates carry neither dates nor user ids: compare the rest.
    f.days_covered = None;
    f.workflows.sort_by(|a, b| a.name.cmp(&b.name));
    f
}

fn toml_of(t: &Option<skeleton::TokenFit>) -> Option<String> {
    t.as_ref().map(skeleton::TokenFit::toml)
}

fn assert_same_fit(a: &Fitted, b: &Fitted) {
    assert!(a.populations.is_empty() && b.populations.is_empty());
    assert_eq!(a.workflows.len(), b.workflows.len());
    for (x, y) in a.workflows.iter().zip(&b.workflows) {
        assert_eq!(x.name, y.name);
        for (p, q) in [
            (x.requests_per_user_per_day, y.requests_per_user_per_day),
            (x.weekend_factor, y.weekend_factor),
            (x.user_variability, y.user_variability),
            (x.users, y.users),
        ] {
            assert!(
                (p - q).abs() <= 1e-9 * p.abs().max(1.0),
                "{}: {p} vs {q}",
                x.name
            );
        }
        assert_eq!(x.parts.len(), y.parts.len());
        for (p, q) in x.parts.iter().zip(&y.parts) {
            let what = &p.model;
            assert_eq!(p.model, q.model);
            assert_eq!(p.input_tokens.toml(), q.input_tokens.toml(), "{what}");
            assert_eq!(p.output_tokens.toml(), q.output_tokens.toml(), "{what}");
            assert_eq!(
                toml_of(&p.static_prefix_tokens),
                toml_of(&q.static_prefix_tokens),
                "{what}"
            );
            assert_eq!(
                toml_of(&p.reasoning_tokens),
                toml_of(&q.reasoning_tokens),
                "{what}"
            );
            assert_eq!(
                toml_of(&p.audio_input_tokens),
                toml_of(&q.audio_input_tokens),
                "{what}"
            );
            assert_eq!(
                toml_of(&p.audio_output_tokens),
                toml_of(&q.audio_output_tokens),
                "{what}"
            );
            assert_eq!(p.images, q.images, "{what}");
            assert_eq!(p.write_1h_share, q.write_1h_share, "{what}");
            assert_eq!(p.mean_reasoning_tokens, q.mean_reasoning_tokens, "{what}");
            match (&p.cache, &q.cache) {
                (
                    CacheFit::Measured {
                        reads_per_call: r1,
                        writes_per_call: w1,
                    },
                    CacheFit::Measured {
                        reads_per_call: r2,
                        writes_per_call: w2,
                    },
                ) => {
                    assert!((r1 - r2).abs() < 1e-9 && (w1 - w2).abs() < 1e-9, "{what}");
                }
                (c, d) => assert_eq!(c, d, "{what}"),
            }
            for (u, v) in [
                (p.cache_hit_rate, q.cache_hit_rate),
                (p.validation_failure_rate, q.validation_failure_rate),
                (p.error_rate, q.error_rate),
                (p.share, q.share),
            ] {
                assert!((u - v).abs() < 1e-12, "{what}: {u} vs {v}");
            }
        }
    }
}

struct Logs {
    _dir: tempfile::TempDir,
    raw: PathBuf,
    agg: PathBuf,
    calls: Vec<Call>,
}

fn write_logs(audio: bool) -> Logs {
    let dir = tempfile::tempdir().unwrap();
    let calls = calls(11, audio);
    let raw = dir.path().join("raw.csv");
    std::fs::write(&raw, plain(&calls)).unwrap();
    let agg = dir.path().join("agg.csv");
    std::fs::write(&agg, warehouse_aggregates(&calls)).unwrap();
    Logs {
        _dir: dir,
        raw,
        agg,
        calls,
    }
}

#[test]
fn aggregates_carry_cache_writes_their_time_to_live_reasoning_and_media() {
    let logs = write_logs(true);
    for empirical in [false, true] {
        let from_raw = fit(&logs.raw, empirical);
        let from_agg = fit(&logs.agg, empirical);
        assert_same_fit(&from_raw, &from_agg);
    }
    let f = fit(&logs.agg, false);
    // The measures are really there, with the values of the rows (hand sums).
    let draft = &f.workflows[0].parts[0];
    let billed: Vec<&Call> = logs
        .calls
        .iter()
        .filter(|c| c.row.workflow == "draft" && c.row.status != "error")
        .collect();
    let n = billed.len() as f64;
    let writes: u64 = billed.iter().map(|c| c.writes.unwrap()).sum();
    let reads: u64 = billed.iter().map(|c| c.row.cached).sum();
    let one_hour: u64 = billed.iter().map(|c| c.writes_1h.unwrap()).sum();
    let CacheFit::Measured {
        reads_per_call,
        writes_per_call,
    } = draft.cache
    else {
        panic!("{:?}", draft.cache)
    };
    assert!((writes_per_call - writes as f64 / n).abs() < 1e-9);
    assert!((reads_per_call - reads as f64 / n).abs() < 1e-9);
    assert!((draft.cache_hit_rate - reads as f64 / (reads + writes) as f64).abs() < 1e-12);
    assert!((draft.write_1h_share.unwrap() - one_hour as f64 / writes as f64).abs() < 1e-12);
    let with_images = billed.iter().filter(|c| c.image > 0).count() as f64;
    assert!((draft.images.unwrap().0 - with_images / n).abs() < 1e-12);
    assert!(draft.reasoning_tokens.is_none());
    let reason = &f.workflows[1].parts[0];
    let billed: Vec<&Call> = logs
        .calls
        .iter()
        .filter(|c| c.row.workflow == "reason" && c.row.status != "error")
        .collect();
    let reasoning: u64 = billed.iter().map(|c| c.reasoning.unwrap()).sum();
    let mean = reason.mean_reasoning_tokens.unwrap();
    assert!((mean - reasoning as f64 / billed.len() as f64).abs() < 1e-9);
    assert!(reason.audio_output_tokens.is_some() && reason.audio_input_tokens.is_some());
    // `--aggregates-out` writes the new measures too.
    let dump = logs.agg.with_file_name("dump.csv");
    aicost()
        .arg("fit")
        .arg(&logs.raw)
        .arg("--aggregates-out")
        .arg(&dump)
        .arg("--quiet")
        .assert()
        .success();
    assert_same_fit(&fit(&logs.raw, false), &fit(&dump, false));
    let text = std::fs::read_to_string(&dump).unwrap();
    for measure in [
        ",cache_write_tokens,",
        ",cache_read_tokens,",
        ",cache_write_ttl_known_tokens,",
        ",cache_write_1h_tokens,",
        ",prefix_tokens,",
        ",uncached_input_tokens,",
        ",reasoning_tokens,",
        ",visible_output_tokens,",
        ",image_tokens,",
        ",audio_input_tokens,",
        ",audio_output_tokens,",
    ] {
        assert!(text.contains(measure), "{measure}");
    }
}

/// `fit --update` writes the keys fitted from cache writes, reasoning and images into a scenario
/// that lacks them, removes a `reasoning_tokens` the logs count inside the output, and does the
/// same from aggregates as from the raw rows.
#[test]
fn update_adds_cache_ttl_reasoning_and_image_keys_from_raw_rows_and_from_aggregates() {
    let logs = write_logs(false);
    let d = logs.raw.parent().unwrap();
    // A scenario fitted from the same calls without the new columns, plus a stale reasoning key.
    let base: String = logs.calls.iter().map(|c| logs::plain_csv(&c.row)).collect();
    std::fs::write(d.join("base.csv"), format!("{}{base}", logs::PLAIN_HEADER)).unwrap();
    aicost()
        .current_dir(d)
        .args(["fit", "base.csv", "--out", "base.toml", "--quiet"])
        .assert()
        .success();
    let text = std::fs::read_to_string(d.join("base.toml")).unwrap();
    assert!(!text.contains("reasoning_tokens") && !text.contains("cache_ttl"));
    let at = text.find("name = \"draft\"").unwrap();
    let out_at = at + text[at..].find("\noutput_tokens = ").unwrap();
    let text = format!(
        "{}\nreasoning_tokens = 50   # a guess{}",
        &text[..out_at],
        &text[out_at..]
    );
    std::fs::write(d.join("base.toml"), &text).unwrap();
    let mut updated = Vec::new();
    for (logs_file, out) in [("raw.csv", "raw.toml"), ("agg.csv", "agg.toml")] {
        let assert = aicost()
            .current_dir(d)
            .args(["fit", logs_file, "--update", "base.toml", "--out", out])
            .assert()
            .success();
        let stderr = String::from_utf8_lossy(&assert.get_output().stderr).to_string();
        assert!(stderr.contains("reasoning_tokens (removed"), "{stderr}");
        aicost()
            .current_dir(d)
            .args(["validate", out])
            .assert()
            .success();
        let text = std::fs::read_to_string(d.join(out)).unwrap();
        let doc: toml::Table = text.parse().unwrap();
        let step = |name: &str| {
            let w = doc["workflow"]
                .as_array()
                .unwrap()
                .iter()
                .find(|w| w["name"].as_str() == Some(name))
                .unwrap();
            w["step"].as_array().unwrap()[0].as_table().unwrap().clone()
        };
        let draft = step("draft");
        assert_eq!(draft["cache_ttl"].as_str(), Some("1h"), "{text}");
        assert!(draft.contains_key("images"), "{text}");
        assert!(!draft.contains_key("reasoning_tokens"), "{text}");
        let reason = step("reason");
        assert!(reason.contains_key("reasoning_tokens"), "{text}");
        updated.push(text);
    }
    assert_eq!(updated[0], updated[1]);
}
