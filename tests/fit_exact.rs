//! `aicost fit` keeps what the logs say exactly: names reach the scenario as logged (blanks
//! included), and warehouse aggregates carry every measure the raw readers fit (cache writes and
//! their time to live, reasoning, image and audio tokens), so a fit from aggregates, and an
//! `--update` from them, equals one from the raw rows.

mod common;

mod logs;

use common::aicost_dated as aicost;
use std::path::{Path, PathBuf};

use aicost::analysis::fit::skeleton::{self, CacheFit, Fitted};
use aicost::analysis::fit::{LogOptions, summarize};
use aicost::base::calendar::Date;
use logs::same_fit::assert_same_fit;
use logs::{PartTruth, WorkflowTruth, part};

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
    let mut agg = logs::aggregates::Aggregates::default();
    for c in calls {
        let r = &c.row;
        if !agg.add_row(r) {
            continue;
        }
        if let Some(writes) = c.writes {
            if r.cached + writes > 0 {
                agg.hist(r, "prefix_tokens", r.cached + writes);
            }
            agg.hist(r, "uncached_input_tokens", r.input - r.cached - writes);
        }
        if let Some(reasoning) = c.reasoning {
            agg.hist(r, "reasoning_tokens", reasoning);
            agg.hist(
                r,
                "visible_output_tokens",
                r.output - reasoning - c.audio_out,
            );
        }
        for (measure, x) in [
            ("image_tokens", c.image),
            ("audio_input_tokens", c.audio_in),
            ("audio_output_tokens", c.audio_out),
        ] {
            if x > 0 {
                agg.hist(r, measure, x);
            }
        }
        if let Some(writes) = c.writes {
            agg.sum(r, "cache_write_tokens", writes);
            agg.sum(r, "cache_read_tokens", r.cached);
            if let Some(h1) = c.writes_1h {
                agg.sum(r, "cache_write_ttl_known_tokens", writes);
                agg.sum(r, "cache_write_1h_tokens", h1);
            }
        }
    }
    agg.csv()
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
