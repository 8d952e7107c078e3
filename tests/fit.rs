//! `aicost fit` against logs with a known truth: every fitted quantity lands within a few standard
//! errors of the value the logs were generated from, in each format; the warehouse histogram gives
//! the same fit as the raw rows; malformed lines are counted with their line numbers; gzip works.

mod common;

mod logs;

use common::aicost_dated as aicost;
use common::fit_update;
use std::io::Write as _;
use std::path::PathBuf;

use aicost::analysis::fit::aggregate;
use aicost::analysis::fit::skeleton::{self, Fitted, TokenFit};
use aicost::analysis::fit::{LogOptions, summarize};
use aicost::base::calendar::Date;
use logs::same_fit::assert_same_fit;
use logs::{PartTruth, WorkflowTruth, part};
use predicates::prelude::PredicateBooleanExt;
use predicates::str::contains;

/// Standard errors allowed between a fitted value and the truth.
const K: f64 = 4.0;

fn truth() -> Vec<WorkflowTruth> {
    vec![
        WorkflowTruth {
            name: "summarize",
            users: 400,
            rate: 1.5,
            weekend_factor: 0.4,
            user_cv: 0.6,
            parts: vec![
                PartTruth {
                    prefix: 3000,
                    hit_rate: 0.7,
                    validation_failure_rate: 0.08,
                    error_rate: 0.02,
                    ..part("gpt-4o-mini", 0.75)
                },
                PartTruth {
                    input_mu: 1500f64.ln(),
                    input_sigma: 0.3,
                    ..part("gpt-4o", 0.25)
                },
            ],
        },
        WorkflowTruth {
            name: "classify",
            users: 100,
            rate: 4.0,
            weekend_factor: 1.0,
            user_cv: 0.0,
            parts: vec![part("claude-haiku-4-5", 1.0)],
        },
    ]
}

fn start() -> Date {
    Date::parse("2026-09-01").unwrap()
}

/// Write the truth's logs (30 days) in a format; returns the file.
fn write_logs(
    dir: &std::path::Path,
    name: &str,
    fmt: fn(&logs::Row, u64) -> String,
    header: &str,
) -> PathBuf {
    let path = dir.join(name);
    let mut f = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
    f.write_all(header.as_bytes()).unwrap();
    let mut i = 0;
    logs::generate(&truth(), start(), 30, 7, |r| {
        i += 1;
        f.write_all(fmt(r, i).as_bytes()).unwrap();
    });
    f.flush().unwrap();
    path
}

fn fitted(paths: &[PathBuf], opts: &LogOptions) -> Fitted {
    let ing = summarize(paths, opts).unwrap();
    assert_eq!(ing.budget.malformed.count, 0, "{}", ing.budget.report());
    skeleton::fit(&ing.summary, false)
}

fn close(what: &str, got: f64, want: f64, se: f64) {
    assert!(
        (got - want).abs() <= K * se,
        "{what}: fitted {got}, truth {want} ({:.1} standard errors)",
        (got - want) / se
    );
}

fn lognormal_close(what: &str, fit: &TokenFit, mu: f64, sigma: f64, n: f64) {
    let TokenFit::Lognormal { p50, p95 } = fit else {
        panic!("{what}: {fit:?}")
    };
    // Rounded to whole tokens: allow half a token besides the sampling error.
    let fmu = p50.ln();
    let fsigma = (p95.ln() - fmu) / aicost::model::dist::Z95;
    close(&format!("{what} mu"), fmu, mu, sigma / n.sqrt() + 0.5 / p50);
    close(
        &format!("{what} sigma"),
        fsigma,
        sigma,
        sigma / (2.0 * n).sqrt() + 1.0 / p95,
    );
}

fn check_truth(f: &Fitted) {
    let t = truth();
    let sum = f.workflows.iter().find(|w| w.name == "summarize").unwrap();
    let weekday_days = 22.0; // September 2026 has 22 weekdays and 8 weekend days.
    // Requests per user per weekday: the mean of a Gamma-Poisson mixture over 400 users.
    let rate_se = (t[0].rate * (1.0 + t[0].rate * 0.36) / (400.0 * weekday_days)).sqrt()
        + t[0].rate * 0.6 / 400f64.sqrt();
    close("rate", sum.requests_per_user_per_day, t[0].rate, rate_se);
    close("weekend factor", sum.weekend_factor, 0.4, 0.05);
    close("user variability", sum.user_variability, 0.6, 0.06);
    assert_eq!(sum.users, 400.0);
    let mini = sum.parts.iter().find(|p| p.model == "gpt-4o-mini").unwrap();
    let big = sum.parts.iter().find(|p| p.model == "gpt-4o").unwrap();
    let n = mini.calls;
    close(
        "model mix",
        mini.share,
        0.75,
        (0.75f64 * 0.25 / sum.requests).sqrt(),
    );
    close(
        "cache hit rate",
        mini.cache_hit_rate,
        0.7,
        (0.21 / n).sqrt(),
    );
    close(
        "validation failures",
        mini.validation_failure_rate,
        0.08,
        (0.08 * 0.92 / n).sqrt(),
    );
    close("errors", mini.error_rate, 0.02, (0.02 * 0.98 / n).sqrt());
    assert_eq!(mini.static_prefix_tokens, Some(TokenFit::Fixed(3000.0)));
    assert_eq!(mini.max_attempts, 2);
    lognormal_close("mini input", &mini.input_tokens, 800f64.ln(), 0.6, n * 0.7);
    lognormal_close("mini output", &mini.output_tokens, 200f64.ln(), 0.4, n);
    lognormal_close("4o input", &big.input_tokens, 1500f64.ln(), 0.3, big.calls);
    assert_eq!(big.cache_hit_rate, 0.0);
    assert!(big.static_prefix_tokens.is_none());
    let cls = f.workflows.iter().find(|w| w.name == "classify").unwrap();
    close(
        "classify rate",
        cls.requests_per_user_per_day,
        4.0,
        (4.0f64 / (100.0 * 22.0)).sqrt(),
    );
    close("classify weekend", cls.weekend_factor, 1.0, 0.06);
    assert!(cls.user_variability < 0.08, "{}", cls.user_variability);
}

#[test]
fn plain_csv_fits_the_truth_and_the_scenario_validates() {
    let dir = tempfile::tempdir().unwrap();
    let csv = write_logs(
        dir.path(),
        "usage.csv",
        |r, _| logs::plain_csv(r),
        logs::PLAIN_HEADER,
    );
    check_truth(&fitted(std::slice::from_ref(&csv), &LogOptions::default()));
    let out = dir.path().join("fitted.toml");
    aicost()
        .arg("fit")
        .arg(&csv)
        .arg("--out")
        .arg(&out)
        .assert()
        .success()
        .stderr(contains("0 malformed"));
    let text = std::fs::read_to_string(&out).unwrap();
    assert!(text.contains("name = \"summarize/gpt-4o-mini\""), "{text}");
    assert!(text.contains("[stack.route.classify]"), "{text}");
    aicost().arg("validate").arg(&out).assert().success();
    aicost().arg("estimate").arg(&out).assert().success();
}

#[test]
fn otel_spans_fit_the_same_truth() {
    let dir = tempfile::tempdir().unwrap();
    let p = write_logs(dir.path(), "spans.jsonl", |r, _| logs::otel_json(r), "");
    let opts = LogOptions {
        read: aicost::analysis::fit::readers::ReadOptions {
            group_by: Some("app.workflow".into()),
        },
        ..LogOptions::default()
    };
    check_truth(&fitted(&[p], &opts));
}

#[test]
fn litellm_spend_logs_fit_the_same_truth() {
    let dir = tempfile::tempdir().unwrap();
    let p = write_logs(
        dir.path(),
        "spend.csv",
        logs::litellm_csv,
        logs::LITELLM_HEADER,
    );
    let f = fitted(&[p], &LogOptions::default());
    check_truth(&f);
}

#[test]
fn empirical_fits_keep_the_mean() {
    let dir = tempfile::tempdir().unwrap();
    let p = write_logs(
        dir.path(),
        "usage.csv",
        |r, _| logs::plain_csv(r),
        logs::PLAIN_HEADER,
    );
    let ing = summarize(&[p], &LogOptions::default()).unwrap();
    let f = skeleton::fit(&ing.summary, true);
    let part = &f.workflows[0].parts[0];
    let TokenFit::Empirical(points) = &part.output_tokens else {
        panic!("{:?}", part.output_tokens)
    };
    assert!(points.len() <= skeleton::EMPIRICAL_POINTS + 1);
    let n: f64 = points.iter().map(|(_, w)| w).sum();
    let mean: f64 = points.iter().map(|(v, w)| v * w).sum::<f64>() / n;
    assert!(
        (mean - part.mean_output_tokens).abs() < 0.05,
        "{mean} vs {}",
        part.mean_output_tokens
    );
}

/// What a warehouse query computes (docs/warehouse.md), written independently of the summary code.
fn warehouse_aggregates(rows: &[logs::Row]) -> String {
    let mut agg = logs::aggregates::Aggregates::default();
    for r in rows {
        agg.add_row(r);
    }
    agg.csv()
}

#[test]
fn fitting_from_warehouse_histograms_matches_fitting_from_raw_rows() {
    let dir = tempfile::tempdir().unwrap();
    let mut rows = Vec::new();
    logs::generate(&truth(), start(), 30, 7, |r| rows.push(r.clone()));
    let raw = dir.path().join("raw.csv");
    let mut text = logs::PLAIN_HEADER.to_string();
    for r in &rows {
        text += &logs::plain_csv(r);
    }
    std::fs::write(&raw, text).unwrap();
    let agg = dir.path().join("agg.csv");
    std::fs::write(&agg, warehouse_aggregates(&rows)).unwrap();
    let from_raw = fitted(std::slice::from_ref(&raw), &LogOptions::default());
    let from_agg = fitted(std::slice::from_ref(&agg), &LogOptions::default());
    assert_same_fit(&from_raw, &from_agg);
    {
        let empirical = true;
        let a = skeleton::fit(
            &summarize(std::slice::from_ref(&raw), &LogOptions::default())
                .unwrap()
                .summary,
            empirical,
        );
        let b = skeleton::fit(
            &summarize(std::slice::from_ref(&agg), &LogOptions::default())
                .unwrap()
                .summary,
            empirical,
        );
        assert_same_fit(&a, &b);
    }
    // `--aggregates-out` writes the same format.
    let out = dir.path().join("dump.csv");
    aicost()
        .arg("fit")
        .arg(&raw)
        .arg("--aggregates-out")
        .arg(&out)
        .assert()
        .success();
    let dumped = fitted(&[out], &LogOptions::default());
    assert_same_fit(&from_raw, &dumped);
    // The CLI reads aggregates too, detected from the header.
    aicost()
        .arg("fit")
        .arg(&agg)
        .assert()
        .success()
        .stderr(contains("(aggregates)"))
        .stdout(contains("[[workflow]]"));
}

#[test]
fn shards_by_user_merge_to_the_whole() {
    let dir = tempfile::tempdir().unwrap();
    let mut rows = Vec::new();
    logs::generate(&truth(), start(), 30, 9, |r| rows.push(r.clone()));
    let mut all = logs::PLAIN_HEADER.to_string();
    let mut shards = [
        logs::PLAIN_HEADER.to_string(),
        logs::PLAIN_HEADER.to_string(),
    ];
    for r in &rows {
        let line = logs::plain_csv(r);
        all += &line;
        shards[usize::from(r.user.ends_with(['1', '3', '5', '7', '9']))] += &line;
    }
    let paths: Vec<PathBuf> = (0..3)
        .map(|i| {
            let p = dir.path().join(format!("s{i}.csv"));
            std::fs::write(&p, if i == 2 { &all } else { &shards[i] }).unwrap();
            p
        })
        .collect();
    let mut dumps = Vec::new();
    for (i, p) in paths[..2].iter().enumerate() {
        let d = dir.path().join(format!("agg{i}.csv"));
        let ing = summarize(std::slice::from_ref(p), &LogOptions::default()).unwrap();
        std::fs::write(&d, aggregate::write(&ing.summary)).unwrap();
        dumps.push(d);
    }
    let merged = fitted(&dumps, &LogOptions::default());
    let whole = fitted(&paths[2..], &LogOptions::default());
    // Days are counted per shard, so compare everything but the per-day rates.
    for (x, y) in merged.workflows.iter().zip(&whole.workflows) {
        assert_eq!(x.users, y.users);
        assert!((x.user_variability - y.user_variability).abs() < 1e-9);
        for (p, q) in x.parts.iter().zip(&y.parts) {
            assert_eq!(p.input_tokens, q.input_tokens);
            assert_eq!(p.calls, q.calls);
        }
    }
}

#[test]
fn malformed_lines_are_counted_with_line_numbers_and_fatal_only_above_the_threshold() {
    let dir = tempfile::tempdir().unwrap();
    let mut text = logs::PLAIN_HEADER.to_string();
    let mut n = 0;
    logs::generate(&truth()[1..], start(), 10, 3, |r| {
        n += 1;
        text += &logs::plain_csv(r);
        if n == 5 {
            text += "2026-09-01T00:00:00Z,u,classify,claude-haiku-4-5,lots,0,10,ok\n";
        }
        if n == 9 {
            text += "this is not a row\n";
        }
    });
    let p = dir.path().join("u.csv");
    std::fs::write(&p, &text).unwrap();
    aicost()
        .arg("fit")
        .arg(&p)
        .assert()
        .success()
        .stderr(contains("2 malformed"))
        .stderr(contains(
            "u.csv:7: `input_tokens` is not a token count: `lots`",
        ))
        .stderr(contains("u.csv:12: 1 fields where the header has 8"));
    // Above the threshold: exit 2 with the first lines.
    aicost()
        .arg("fit")
        .arg(&p)
        .args(["--max-malformed", "0.0001"])
        .assert()
        .code(2)
        .stderr(contains("malformed"))
        .stderr(contains("u.csv:7:"));
    // A file of the wrong format stops early with a hint.
    let bad = dir.path().join("bad.csv");
    std::fs::write(&bad, "a,b\n1,2\n").unwrap();
    aicost()
        .arg("fit")
        .arg(&bad)
        .assert()
        .code(2)
        .stderr(contains("no `timestamp` column"));
    // Binary garbage never panics.
    let junk = dir.path().join("junk.jsonl");
    std::fs::write(&junk, [0xff, 0x00, 0x7b, 0x0a, 0x22, 0x0a].repeat(500)).unwrap();
    aicost()
        .arg("fit")
        .arg(&junk)
        .arg("--from")
        .arg("otel")
        .assert()
        .code(2);
}

#[test]
fn gzip_and_standard_input_are_read() {
    let dir = tempfile::tempdir().unwrap();
    let mut text = logs::PLAIN_HEADER.to_string();
    logs::generate(&truth()[1..], start(), 30, 3, |r| {
        text += &logs::plain_csv(r)
    });
    let gz = dir.path().join("u.csv.gz");
    let mut enc = flate2::write::GzEncoder::new(
        std::fs::File::create(&gz).unwrap(),
        flate2::Compression::fast(),
    );
    enc.write_all(text.as_bytes()).unwrap();
    enc.finish().unwrap();
    let from_gz = aicost()
        .arg("fit")
        .arg(&gz)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let from_stdin = aicost()
        .args(["fit", "-", "--from", "csv"])
        .write_stdin(std::fs::read(&gz).unwrap())
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let strip = |b: &[u8]| {
        String::from_utf8_lossy(b)
            .lines()
            .skip(1)
            .collect::<Vec<_>>()
            .join("\n")
    };
    assert_eq!(strip(&from_gz), strip(&from_stdin));
    assert!(String::from_utf8_lossy(&from_gz).contains("name = \"classify\""));
}

#[test]
fn update_keeps_the_scenario_and_replaces_fitted_values() {
    let dir = tempfile::tempdir().unwrap();
    let csv = write_logs(
        dir.path(),
        "usage.csv",
        |r, _| logs::plain_csv(r),
        logs::PLAIN_HEADER,
    );
    let (base, out, run) = fit_update(
        dir.path(),
        &csv,
        r#"# our forecast
name = "ours"

[[segment]]
name = "analysts"   # the classify users
users = 3
sessions_per_user_per_day = 1

[[workflow]]
name = "classify"
segments = ["analysts"]
[[workflow.step]]
name = "label"
route = "main"
input_tokens = 100   # a guess
output_tokens = 10

[[model]]
name = "claude-haiku-4-5"

[[stack]]
name = "haiku"
[stack.route.main]
chain = [{ model = "claude-haiku-4-5" }]
"#,
    );
    run.success()
        .stderr(contains("updated workflow `classify`, step `label`"))
        .stderr(contains("updated segment `analysts`"))
        .stderr(contains("added workflow `summarize/gpt-4o-mini`"));
    let text = std::fs::read_to_string(&out).unwrap();
    assert!(text.starts_with("# our forecast"), "{text}");
    assert!(text.contains("# the classify users"));
    assert!(text.contains("users = 100"), "{text}");
    assert!(!text.contains("input_tokens = 100 "), "{text}");
    assert!(
        text.contains("[stack.route.\"summarize/gpt-4o\"]"),
        "{text}"
    );
    aicost().arg("validate").arg(&out).assert().success();
    // The base is never overwritten.
    aicost()
        .arg("fit")
        .arg(&csv)
        .arg("--update")
        .arg(&base)
        .arg("--out")
        .arg(&base)
        .assert()
        .code(2)
        .stderr(contains("refusing to overwrite"));
}

#[test]
fn no_input_makes_it_panic() {
    use rand::{RngExt, SeedableRng};
    let dir = tempfile::tempdir().unwrap();
    let mut good = Vec::new();
    logs::generate(&truth()[1..], start(), 2, 5, |r| good.push(r.clone()));
    let samples: Vec<(&str, String)> = vec![
        ("csv", logs::PLAIN_HEADER.to_string() + &logs::plain_csv(&good[0])),
        ("otel", logs::otel_json(&good[0])),
        ("litellm", logs::LITELLM_HEADER.to_string() + &logs::litellm_csv(&good[0], 1)),
        (
            "aggregates",
            "workflow,model,measure,bucket,n,sum,sum_sq,sum_ln,sum_ln2\nw,m,output_tokens,3,1e308,1e308,1e308,1e308,1e308\nw,m,output_tokens,4,1e308,1e308,1e308,1e308,1e308\nw,,users,,1e308,,,,\n".to_string(),
        ),
    ];
    let mut rng = rand::rngs::ChaCha8Rng::seed_from_u64(99);
    for (format, sample) in &samples {
        for round in 0..60 {
            let mut bytes = sample.as_bytes().to_vec();
            for _ in 0..(round % 7) {
                let i = rng.random_range(0..bytes.len());
                match rng.random_range(0..4) {
                    0 => bytes[i] = rng.random(),
                    1 => {
                        bytes.remove(i);
                    }
                    2 => bytes.insert(i, b"\"{[,\n-9e99"[rng.random_range(0..10)]),
                    _ => bytes.truncate(i),
                }
                if bytes.is_empty() {
                    bytes.push(b'x');
                }
            }
            let p = dir.path().join(format!("f{round}"));
            std::fs::write(&p, &bytes).unwrap();
            let out = dir.path().join("out.toml");
            let a = aicost()
                .args(["fit", "--max-malformed", "1", "--from", format])
                .arg(&p)
                .arg("--out")
                .arg(&out)
                .output()
                .unwrap();
            let code = a.status.code();
            assert!(
                code == Some(0) || code == Some(2),
                "{format} round {round}: {:?}\n{}",
                code,
                String::from_utf8_lossy(&a.stderr)
            );
            let upd = aicost()
                .args(["fit", "--max-malformed", "1", "--from", format])
                .arg(&p)
                .arg("--update")
                .arg("scenarios/chatbot.toml")
                .arg("--out")
                .arg(&out)
                .output()
                .unwrap();
            assert!(
                matches!(upd.status.code(), Some(0) | Some(2)),
                "{format} round {round} update"
            );
        }
    }
}

#[test]
fn fit_and_backtest_have_help_with_examples() {
    for sub in ["fit", "backtest"] {
        aicost()
            .args([sub, "--help"])
            .assert()
            .success()
            .stdout(contains("Examples:"));
    }
}

#[test]
fn otlp_exports_and_litellm_json_are_read() {
    let dir = tempfile::tempdir().unwrap();
    // One OTLP/JSON export per line: resource attributes apply to every span; deprecated names.
    let otlp = r#"{"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"support-bot"}}]},"scopeSpans":[{"spans":[
{"name":"chat gpt-4o-mini","startTimeUnixNano":"1790000000000000000","attributes":[{"key":"gen_ai.request.model","value":{"stringValue":"gpt-4o-mini"}},{"key":"gen_ai.usage.prompt_tokens","value":{"intValue":"1200"}},{"key":"gen_ai.usage.completion_tokens","value":{"intValue":"80"}},{"key":"gen_ai.usage.cache_read.input_tokens","value":{"intValue":"1024"}}]},
{"name":"tool call","startTimeUnixNano":"1790000001000000000","attributes":[{"key":"gen_ai.operation.name","value":{"stringValue":"execute_tool"}}]},
{"name":"chat gpt-4o-mini","startTimeUnixNano":"1790000002000000000","status":{"code":2},"attributes":[{"key":"gen_ai.request.model","value":{"stringValue":"gpt-4o-mini"}},{"key":"gen_ai.usage.input_tokens","value":{"intValue":"1200"}},{"key":"gen_ai.usage.output_tokens","value":{"intValue":"0"}}]}
]}]}]}"#
        .replace('\n', "");
    let p = dir.path().join("otlp.jsonl");
    std::fs::write(&p, format!("{otlp}\n")).unwrap();
    let opts = LogOptions {
        read: aicost::analysis::fit::readers::ReadOptions {
            group_by: Some("service.name".into()),
        },
        ..LogOptions::default()
    };
    let ing = summarize(std::slice::from_ref(&p), &opts).unwrap();
    assert_eq!(ing.skipped.other_spans, 1);
    let part = &ing.summary.parts[&("support-bot".to_string(), "gpt-4o-mini".to_string())];
    assert_eq!(
        (part.ok_calls, part.errors, part.cache_hits),
        (1.0, 1.0, 1.0)
    );
    assert_eq!(part.input_tokens_hit.total().sum, 176.0);

    // LiteLLM rows as one JSON array (metadata as an object) and as JSON lines (metadata as text).
    let rows = [
        r#"{"request_id":"a","spend":0.0012,"prompt_tokens":2000,"completion_tokens":100,"startTime":"2026-10-01T10:00:00Z","model":"gpt-4o","user":"u1","metadata":{"additional_usage_values":{"prompt_tokens_details":{"cached_tokens":1536}}},"request_tags":["workflow:triage"],"status":"success"}"#,
        r#"{"request_id":"b","spend":0,"prompt_tokens":2000,"completion_tokens":100,"startTime":"2026-10-01T10:00:01Z","model":"gpt-4o","user":"u1","request_tags":["workflow:triage"],"status":"success","cache_hit":"True"}"#,
        r#"{"request_id":"c","spend":0.001,"prompt_tokens":900,"completion_tokens":50,"startTime":"2026-10-02T10:00:00Z","model":"gpt-4o","end_user":"u2","metadata":"{\"usage_object\": {\"prompt_tokens_details\": {\"cached_tokens\": 0}}}","request_tags":"[\"workflow:triage\", \"validation_failed\"]","status":"success"}"#,
    ];
    let array = dir.path().join("spend.json");
    std::fs::write(&array, format!("[\n{}\n]\n", rows.join(",\n"))).unwrap();
    let lines = dir.path().join("spend.jsonl");
    std::fs::write(&lines, rows.join("\n") + "\n").unwrap();
    for p in [array, lines] {
        let ing = summarize(std::slice::from_ref(&p), &LogOptions::default()).unwrap();
        assert_eq!(ing.skipped.proxy_cache_hits, 1, "{}", p.display());
        let part = &ing.summary.parts[&("triage".to_string(), "gpt-4o".to_string())];
        assert_eq!((part.ok_calls, part.validation_failures), (1.0, 1.0));
        assert_eq!(part.cached_tokens.total().sum, 1536.0);
        assert!((part.cost_usd.sum - 0.0022).abs() < 1e-12);
        assert_eq!(ing.summary.workflows["triage"].users, 1.0);
    }
}

#[test]
fn grouping_by_something_unique_per_call_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let mut text = logs::PLAIN_HEADER.to_string();
    for i in 0..(aicost::analysis::fit::summary::MAX_PARTS + 5) {
        text += &format!("2026-10-01T00:00:00Z,u,req-{i},gpt-4o,10,0,5,ok\n");
    }
    let p = dir.path().join("u.csv");
    std::fs::write(&p, text).unwrap();
    aicost()
        .arg("fit")
        .arg(&p)
        .assert()
        .code(2)
        .stderr(contains("more than 2000 workflow and model pairs"));
}

/// Thirty days of generated calls as plain CSV text.
fn month_of_logs() -> String {
    let mut text = logs::PLAIN_HEADER.to_string();
    logs::generate(&truth()[1..], start(), 30, 3, |r| {
        text += &logs::plain_csv(r)
    });
    text
}

/// A line with no end (`/dev/zero`, or a small gzip that inflates to one huge line) once made
/// `fit` allocate until it aborted. It stops at the line limit, located.
#[test]
fn an_endless_line_stops_at_the_limit_with_its_line_number() {
    let dir = tempfile::tempdir().unwrap();
    let zeros = vec![0u8; (aicost::analysis::fit::input::MAX_LINE_BYTES + (1 << 20)) as usize];
    aicost()
        .args(["fit", "-"])
        .write_stdin(zeros)
        .assert()
        .code(2)
        .stderr(contains("-:1: a line longer than 16 MiB"));
    // 3 MB of gzip: a header, then one line of 300 MB.
    let bomb = dir.path().join("bomb.csv.gz");
    let mut enc = flate2::write::GzEncoder::new(
        std::fs::File::create(&bomb).unwrap(),
        flate2::Compression::best(),
    );
    enc.write_all(logs::PLAIN_HEADER.as_bytes()).unwrap();
    let chunk = vec![b'x'; 1 << 20];
    for _ in 0..300 {
        enc.write_all(&chunk).unwrap();
    }
    enc.finish().unwrap();
    aicost()
        .arg("fit")
        .arg(&bomb)
        .assert()
        .code(2)
        .stderr(contains("bomb.csv.gz:2: a line longer than 16 MiB"));
    // A JSON array may hold every row on one line: the limit is per row.
    let mut rows = String::from("[");
    let row = r#"{"model":"gpt-4o-mini","prompt_tokens":10,"completion_tokens":5,"startTime":"2026-10-01T00:00:00Z"}"#;
    for i in 0..200_000 {
        if i > 0 {
            rows.push(',');
        }
        rows.push_str(row);
    }
    rows.push(']');
    assert!(rows.len() as u64 > aicost::analysis::fit::input::MAX_LINE_BYTES);
    let array = dir.path().join("spend.json");
    std::fs::write(&array, rows).unwrap();
    aicost()
        .arg("fit")
        .arg(&array)
        .assert()
        .success()
        .stderr(contains("200000 calls"));
}

/// A truncated gzip was reported at "file:0"; it is reported at the line where the data stops.
#[test]
fn a_truncated_gzip_is_located_where_the_data_stops() {
    let dir = tempfile::tempdir().unwrap();
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    enc.write_all(month_of_logs().as_bytes()).unwrap();
    let gz = enc.finish().unwrap();
    let cut = dir.path().join("cut.csv.gz");
    std::fs::write(&cut, &gz[..gz.len() / 2]).unwrap();
    let out = aicost().arg("fit").arg(&cut).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("the gzip stream ends early"), "{err}");
    let line: u64 = err
        .split("cut.csv.gz:")
        .nth(1)
        .and_then(|r| r.split(':').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no line number: {err}"));
    assert!(line > 10, "{err}");
}

/// A header and no rows read as "0 calls, 0 workflows", not "-0 calls, 1 workflows".
#[test]
fn a_header_only_log_reads_as_no_calls() {
    aicost()
        .args(["fit", "-", "--from", "csv"])
        .write_stdin(logs::PLAIN_HEADER)
        .assert()
        .code(2)
        .stderr(contains(": 0 calls, 0 workflows, 0 malformed"))
        .stderr(contains("-0").not())
        .stderr(contains("the logs hold no model call"));
}

/// The same log twice (`fit a.csv a.csv`) once doubled the traffic silently.
#[test]
fn a_log_named_twice_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("a.csv");
    std::fs::write(&a, month_of_logs()).unwrap();
    let same = dir.path().join("sub/../a.csv");
    std::fs::create_dir(dir.path().join("sub")).unwrap();
    aicost()
        .arg("fit")
        .arg(&a)
        .arg(&a)
        .assert()
        .code(2)
        .stderr(contains("is given twice"));
    aicost()
        .arg("fit")
        .arg(&a)
        .arg(&same)
        .assert()
        .code(2)
        .stderr(contains("are the same file"));
    aicost()
        .args(["fit", "-", "-"])
        .write_stdin(month_of_logs())
        .assert()
        .code(2)
        .stderr(contains("`-` is given twice"));
}

/// A row stamped 0 (1970-01-01) once stretched the span the traffic is divided by. It is set
/// aside, counted, and the fit is the fit of the other rows.
#[test]
fn a_row_far_outside_the_logs_is_set_aside_and_counted() {
    let dir = tempfile::tempdir().unwrap();
    let text = month_of_logs();
    let clean = dir.path().join("clean.csv");
    std::fs::write(&clean, &text).unwrap();
    let stray = dir.path().join("stray.csv");
    let first_row = text.lines().nth(1).unwrap();
    let epoch_row = format!("0{}", &first_row[first_row.find(',').unwrap()..]);
    std::fs::write(&stray, format!("{text}{epoch_row}\n")).unwrap();
    let fit = |p: &PathBuf| aicost().arg("fit").arg(p).output().unwrap();
    let (a, b) = (fit(&clean), fit(&stray));
    assert_eq!(b.status.code(), Some(0));
    let err = String::from_utf8_lossy(&b.stderr);
    assert!(
        err.contains("set aside 1 call dated 1970-01-01, far outside the span of the logs"),
        "{err}"
    );
    let body = |o: &std::process::Output| {
        String::from_utf8_lossy(&o.stdout)
            .lines()
            .skip(1)
            .collect::<Vec<_>>()
            .join("\n")
    };
    assert_eq!(body(&a), body(&b), "the stray row changed the fit");
    assert!(
        String::from_utf8_lossy(&b.stdout)
            .lines()
            .next()
            .unwrap()
            .contains("1 far outside the span of the logs set aside")
    );
}

#[test]
fn a_part_name_that_is_another_workflows_name_is_refused_not_written_twice() {
    // Workflow `x` is served by two models, so its parts are `x/gpt-4o-mini` and `x/gpt-4o`;
    // another workflow is called `x/gpt-4o-mini`. Writing both would give a scenario with one
    // route key twice, which no TOML reader accepts.
    let dir = tempfile::tempdir().unwrap();
    let logs = dir.path().join("clash.csv");
    let mut text =
        String::from("timestamp,user,workflow,model,input_tokens,output_tokens,status\n");
    for i in 0..60 {
        let (workflow, model) = match i % 3 {
            0 => ("x", "gpt-4o-mini"),
            1 => ("x", "gpt-4o"),
            _ => ("x/gpt-4o-mini", "gpt-4o-mini"),
        };
        text += &format!(
            "2026-10-{:02}T09:{:02}:00Z,u{},{workflow},{model},{},{},ok\n",
            1 + i / 6,
            i % 60,
            i % 7,
            800 + 13 * i,
            90 + i
        );
    }
    std::fs::write(&logs, text).unwrap();
    let out = dir.path().join("clash.toml");
    aicost()
        .args(["fit"])
        .arg(&logs)
        .arg("--out")
        .arg(&out)
        .assert()
        .code(2)
        .stderr(predicates::str::contains(
            "one of its parts would be named `x/gpt-4o-mini`, which another workflow",
        ))
        .stderr(predicates::str::contains("rename one of the two workflows"));
    assert!(!out.exists(), "nothing is written");
}
