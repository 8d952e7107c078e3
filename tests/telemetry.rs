//! Today's telemetry and spend logs, in the formats their tools write: OpenTelemetry GenAI spans
//! with the usage attributes of semantic-conventions-genai (cache reads and writes, reasoning,
//! per-modality input), LiteLLM's SDK logging payload (StandardLoggingPayload, with the usage
//! object and `response_cost`), and the plain CSV's cache-write column. Every figure is checked
//! against hand arithmetic.

mod common;

use common::aicost_dated as aicost;
use std::path::{Path, PathBuf};

use aicost::analysis::backtest::{Actuals, evaluate};
use aicost::analysis::fit::record::{Call, Status};
use aicost::analysis::fit::resolve::How;
use aicost::analysis::fit::skeleton::{self, CacheFit, TokenFit};
use aicost::analysis::fit::{LogOptions, for_each_call, summarize};
use aicost::base::calendar::Month;
use predicates::str::contains;

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

fn calls(path: &Path, opts: &LogOptions) -> (Vec<Call>, u64) {
    let mut out = Vec::new();
    let (budget, _, _) = for_each_call(&[path.to_path_buf()], opts, &mut |c| out.push(c)).unwrap();
    (out, budget.malformed.count)
}

/// 2026-10-05T10:00:00Z, a Monday, in epoch seconds (LiteLLM's payload times are floats).
const OCT_5: f64 = 1_791_194_400.0;

/// One LiteLLM SDK logging payload (StandardLoggingPayload) as a JSON line: an Anthropic call
/// whose `prompt_tokens` include the cache reads and writes, with the caller's `user` in
/// `model_parameters` and an empty `end_user`, as the SDK logs it.
#[allow(clippy::too_many_arguments)]
fn payload(
    at: f64,
    user: &str,
    prompt: u64,
    read: u64,
    write: u64,
    write_1h: u64,
    completion: u64,
    reasoning: u64,
    cost: Option<f64>,
) -> String {
    let cost = cost.map_or("null".to_string(), |c| c.to_string());
    format!(
        r#"{{"id":"chatcmpl-{at}","call_type":"acompletion","response_cost":{cost},"status":"success","prompt_tokens":{prompt},"completion_tokens":{completion},"total_tokens":{},"startTime":{at},"endTime":{},"model":"claude-sonnet-4-5-20250929","model_group":"claude-sonnet-4-5","api_base":"https://api.anthropic.com","metadata":{{"user_api_key_user_id":"key-owner","usage_object":{{"prompt_tokens":{prompt},"completion_tokens":{completion},"total_tokens":{},"prompt_tokens_details":{{"cached_tokens":{read},"cache_creation_tokens":{write},"cache_creation_token_details":{{"ephemeral_5m_input_tokens":{},"ephemeral_1h_input_tokens":{write_1h}}}}},"completion_tokens_details":{{"reasoning_tokens":{reasoning}}},"cache_creation_input_tokens":{write},"cache_read_input_tokens":{read}}}}},"cache_hit":false,"request_tags":["workflow:summarize"],"end_user":"","model_parameters":{{"user":"{user}","max_tokens":1024}},"hidden_params":{{"model_id":"d1"}}}}"#,
        prompt + completion,
        at + 1.5,
        prompt + completion,
        write - write_1h,
    ) + "\n"
}

const SONNET: &str = r#"
name = "sonnet"
[[segment]]
name = "summarize"
users = 10
sessions_per_user_per_day = 1
[[workflow]]
name = "summarize"
[[workflow.step]]
name = "call"
route = "main"
input_tokens = 1000
output_tokens = 100
[[model]]
name = "claude-sonnet-4-5"
input_usd_per_mtok = 3
output_usd_per_mtok = 15
cached_input_usd_per_mtok = 0.3
cache_write_usd_per_mtok = 3.75
[[stack]]
name = "observed"
[stack.route.main]
chain = [{ model = "claude-sonnet-4-5" }]
"#;

/// The case LiteLLM's own `response_cost` exposed: cache writes priced at the input price. 100
/// calls of 20,000 prompt tokens (10,000 read, 4,000 written) and 500 output tokens at $3 input,
/// $0.30 cached, $3.75 write and $15 output per million:
/// 6,000 × 3 + 10,000 × 0.3 + 4,000 × 3.75 + 500 × 15 = 43,500 µ$ = $0.0435 a call, $4.35 in all.
/// Writes at the input price gave $4.05: 400,000 write tokens × $0.75/M = $0.30 less.
#[test]
fn backtest_prices_cache_writes_at_the_write_price_and_a_logged_cost_is_the_actual() {
    let dir = tempfile::tempdir().unwrap();
    let s = aicost::model::scenario::from_str("sonnet.toml", SONNET)
        .unwrap()
        .scenario;
    let catalog = aicost::model::catalog::builtin();
    let rows = |cost: Option<f64>| -> String {
        (0..100)
            .map(|i| {
                payload(
                    OCT_5 + f64::from(i),
                    "u-1",
                    20_000,
                    10_000,
                    4_000,
                    0,
                    500,
                    0,
                    cost,
                )
            })
            .collect()
    };
    let priced = write(dir.path(), "payload.jsonl", &rows(None));
    let mut a = Actuals::new(&s, catalog);
    for_each_call(&[priced], &LogOptions::default(), &mut |c| a.add(&c)).unwrap();
    let october = Month::parse("2026-10").unwrap();
    let actual = a.months[&october].spend.value();
    assert!((actual - 4.35).abs() < 1e-9, "{actual}");
    assert!((actual - 4.05 - 400_000.0 * 0.75 / 1e6).abs() < 1e-9);
    // The dated snapshot is priced as the scenario's model, and the backtest says so.
    assert_eq!(
        a.resolved,
        [(
            "claude-sonnet-4-5-20250929".to_string(),
            "claude-sonnet-4-5".to_string(),
            How::Undated
        )]
    );
    // A logged `response_cost` is the actual, whatever the tokens say.
    let logged = write(dir.path(), "costed.jsonl", &rows(Some(0.05)));
    let mut a = Actuals::new(&s, catalog);
    for_each_call(&[logged], &LogOptions::default(), &mut |c| a.add(&c)).unwrap();
    let actual = a.months[&october].spend.value();
    assert!((actual - 5.0).abs() < 1e-9, "{actual}");
}

/// One-hour writes at their own price, reasoning at the output price (Sonnet has no reasoning
/// price of its own) and the plain CSV's cache-write columns: 10,000 input of which 2,000 read,
/// 3,000 written (1,000 of them for an hour), 1,000 output of which 400 reasoning:
/// 5,000 × 3 + 2,000 × 0.3 + 2,000 × 3.75 + 1,000 × 6 (the catalog's one-hour price) + 1,000 × 15
/// = 15,000 + 600 + 7,500 + 6,000 + 15,000 = 44,100 µ$.
#[test]
fn the_plain_csv_has_cache_write_columns() {
    let dir = tempfile::tempdir().unwrap();
    let csv = write(
        dir.path(),
        "usage.csv",
        "timestamp,user,workflow,model,input_tokens,cached_tokens,cache_write_tokens,cache_write_1h_tokens,output_tokens,reasoning_tokens,status\n\
         2026-10-05T10:00:00Z,u-1,summarize,claude-sonnet-4-5,10000,2000,3000,1000,1000,400,ok\n",
    );
    let mut s = aicost::model::scenario::from_str("sonnet.toml", SONNET)
        .unwrap()
        .scenario;
    // Priced from the catalog (the scenario has no one-hour price).
    s.models[0].name = "claude-sonnet-4-5-scenario".to_string();
    let mut a = Actuals::new(&s, aicost::model::catalog::builtin());
    for_each_call(&[csv], &LogOptions::default(), &mut |c| a.add(&c)).unwrap();
    let actual = a.months[&Month::parse("2026-10").unwrap()].spend.value();
    assert!((actual - 0.0441).abs() < 1e-12, "{actual}");
    assert_eq!(a.from_catalog, ["claude-sonnet-4-5"]);
}

/// A span file in the current convention (an OTLP/JSON export) and one in the older spellings.
#[test]
fn otel_spans_carry_writes_reasoning_modalities_cost_and_errors() {
    let dir = tempfile::tempdir().unwrap();
    let span = |attrs: &str, status: &str| {
        format!(
            r#"{{"traceId":"t","spanId":"s","name":"chat claude-sonnet-4-5","kind":3,"startTimeUnixNano":"1791194400000000000","endTimeUnixNano":"1791194401000000000","attributes":[{attrs}],"status":{status}}}"#
        )
    };
    let kv = |k: &str, v: &str| format!(r#"{{"key":"{k}","value":{v}}}"#);
    let int = |k: &str, n: u64| kv(k, &format!(r#"{{"intValue":"{n}"}}"#));
    let text = |k: &str, s: &str| kv(k, &format!(r#"{{"stringValue":"{s}"}}"#));
    let ok = span(
        &[
            text("gen_ai.operation.name", "chat"),
            text("gen_ai.provider.name", "anthropic"),
            text("gen_ai.request.model", "claude-sonnet-4-5"),
            int("gen_ai.usage.input_tokens", 20_000),
            int("gen_ai.usage.cache_read.input_tokens", 10_000),
            int("gen_ai.usage.cache_write.input_tokens", 4_000),
            int("gen_ai.usage.image.input_tokens", 1_500),
            int("gen_ai.usage.audio.input_tokens", 0),
            int("gen_ai.usage.output_tokens", 500),
            int("gen_ai.usage.reasoning.output_tokens", 120),
            kv("gen_ai.cost.total_cost", r#"{"doubleValue":0.0441}"#),
            text("llm.user", "u-7"),
        ]
        .join(","),
        r#"{"code":1}"#,
    );
    let failed = span(
        &[
            text("gen_ai.operation.name", "chat"),
            text("gen_ai.request.model", "claude-sonnet-4-5"),
            text("error.type", "overloaded_error"),
            text("llm.user", "u-7"),
        ]
        .join(","),
        r#"{"code":2,"message":"Overloaded"}"#,
    );
    let tool = span(
        &[
            text("gen_ai.operation.name", "execute_tool"),
            text("gen_ai.tool.name", "search"),
        ]
        .join(","),
        r#"{"code":1}"#,
    );
    let export = format!(
        r#"{{"resourceSpans":[{{"resource":{{"attributes":[{}]}},"scopeSpans":[{{"scope":{{"name":"litellm"}},"spans":[{ok},{failed},{tool}]}}]}}]}}"#,
        text("service.name", "support")
    );
    // The spellings before semantic-conventions-genai #440, flat.
    let old = r#"{"startTimeUnixNano":1791194400000000000,"attributes":{"gen_ai.request.model":"gpt-4o-2024-08-06","gen_ai.usage.prompt_tokens":3000,"gen_ai.usage.completion_tokens":40,"gen_ai.usage.cache_read_input_tokens":1000,"gen_ai.usage.cache_creation.input_tokens":500,"enduser.id":"u-8"}}"#;
    let file = write(dir.path(), "spans.jsonl", &format!("{export}\n{old}\n"));
    let (got, malformed) = calls(&file, &LogOptions::default());
    assert_eq!(malformed, 0);
    assert_eq!(got.len(), 3, "{got:?}");
    let c = &got[0];
    assert_eq!(
        (
            c.input_tokens,
            c.cached_tokens,
            c.cache_write_tokens,
            c.image_tokens,
            c.output_tokens,
            c.reasoning_tokens
        ),
        (20_000, 10_000, Some(4_000), 1_500, 500, Some(120))
    );
    assert_eq!(c.cost_usd, Some(0.0441));
    assert_eq!(c.user.as_deref(), Some("u-7"));
    assert_eq!(c.status, Status::Ok);
    // A failed call without usage is a provider error, counted.
    assert_eq!(got[1].status, Status::Error);
    assert_eq!((got[1].input_tokens, got[1].output_tokens), (0, 0));
    let o = &got[2];
    assert_eq!(
        (o.input_tokens, o.cached_tokens, o.cache_write_tokens),
        (3000, 1000, Some(500))
    );
    assert_eq!(o.reasoning_tokens, None);
    // The fit counts the error.
    let ing = summarize(&[file], &LogOptions::default()).unwrap();
    let part = &ing.summary.parts[&("all".to_string(), "claude-sonnet-4-5".to_string())];
    assert_eq!((part.ok_calls, part.errors), (1.0, 1.0));
    assert_eq!(ing.skipped.other_spans, 1);
}

/// Cached and written tokens above the prompt are malformed in every reader: never clamped.
#[test]
fn more_cached_than_prompt_tokens_is_malformed_in_every_reader() {
    let dir = tempfile::tempdir().unwrap();
    let opts = LogOptions {
        max_malformed: 1.0,
        ..LogOptions::default()
    };
    let csv = write(
        dir.path(),
        "usage.csv",
        "timestamp,user,workflow,model,input_tokens,cached_tokens,cache_write_tokens,output_tokens,status\n\
         2026-10-05T10:00:00Z,u,w,gpt-4o,100,80,30,5,ok\n\
         2026-10-05T10:00:00Z,u,w,gpt-4o,100,70,30,5,ok\n",
    );
    assert_eq!(calls(&csv, &opts).1, 1);
    let litellm = write(
        dir.path(),
        "payload.jsonl",
        &(payload(OCT_5, "u", 1000, 1200, 0, 0, 10, 0, None)
            + &payload(OCT_5, "u", 1000, 600, 400, 0, 10, 0, None)),
    );
    assert_eq!(calls(&litellm, &opts).1, 1);
    let otel = write(
        dir.path(),
        "spans.jsonl",
        r#"{"startTimeUnixNano":1791194400000000000,"attributes":{"gen_ai.request.model":"m","gen_ai.usage.input_tokens":100,"gen_ai.usage.cache_read.input_tokens":101,"gen_ai.usage.output_tokens":1}}
{"startTimeUnixNano":1791194400000000000,"attributes":{"gen_ai.request.model":"m","gen_ai.usage.input_tokens":100,"gen_ai.usage.output_tokens":10,"gen_ai.usage.reasoning.output_tokens":11}}
{"startTimeUnixNano":1791194400000000000,"attributes":{"gen_ai.request.model":"m","gen_ai.usage.input_tokens":100,"gen_ai.usage.cache_read.input_tokens":100,"gen_ai.usage.output_tokens":1}}
"#,
    );
    assert_eq!(calls(&otel, &opts).1, 2);
}

/// The cache is fitted from reads and writes: 60 calls read 6,000 tokens, 20 write 6,000 and 20
/// do neither. Observed per call: 3,600 read and 1,200 written. The fit sends a prefix of
/// 0.8 × 6,000 = 4,800 on every call with a hit rate of 3,600 / 4,800 = 0.75: 3,600 read and
/// 1,200 written per call. (Assuming every miss writes the whole prefix gave 0.4 × 6,000 = 2,400.)
#[test]
fn the_cache_fit_forecasts_the_observed_reads_and_writes() {
    let dir = tempfile::tempdir().unwrap();
    let mut text = String::new();
    for i in 0..100u32 {
        let (read, write, write_1h) = match i % 5 {
            0..=2 => (6_000, 0, 0),
            3 => (0, 6_000, 6_000),
            _ => (0, 0, 0),
        };
        let day = f64::from(i % 10) * 86_400.0;
        text += &payload(
            OCT_5 + day + f64::from(i),
            &format!("u-{}", i % 10),
            8_000,
            read,
            write,
            write_1h,
            500,
            200,
            None,
        );
    }
    let file = write(dir.path(), "payload.jsonl", &text);
    let ing = summarize(&[file], &LogOptions::default()).unwrap();
    let f = skeleton::fit(&ing.summary, true);
    let w = &f.workflows[0];
    assert_eq!(w.name, "summarize");
    assert_eq!(w.users, 10.0);
    let p = &w.parts[0];
    assert_eq!(p.static_prefix_tokens, Some(TokenFit::Fixed(4800.0)));
    assert_eq!(p.cache_hit_rate, 0.75);
    assert_eq!(
        p.cache,
        CacheFit::Measured {
            reads_per_call: 3600.0,
            writes_per_call: 1200.0
        }
    );
    assert_eq!(p.write_1h_share, Some(1.0));
    // Output without reasoning, and reasoning apart.
    assert_eq!(p.output_tokens, TokenFit::Fixed(300.0));
    assert_eq!(p.reasoning_tokens, Some(TokenFit::Fixed(200.0)));
    // Days 2026-10-05 to 2026-10-14.
    assert_eq!(f.days_covered, Some(10));
}

/// `fit` on a payload file: the dated model is written as its catalog entry and said so, the days
/// the logs cover are the scenario's `days`, the one-hour writes set `cache_ttl`, thin logs are
/// named, and the result validates.
#[test]
fn fit_writes_days_resolved_models_and_warns_on_thin_logs() {
    let dir = tempfile::tempdir().unwrap();
    let mut text = String::new();
    for i in 0..40u32 {
        text += &payload(
            OCT_5 + f64::from(i % 14) * 86_400.0,
            "u-1",
            8_000,
            if i % 2 == 0 { 6_000 } else { 0 },
            if i % 2 == 0 { 0 } else { 6_000 },
            if i % 2 == 0 { 0 } else { 6_000 },
            500,
            100,
            None,
        );
    }
    let logs = write(dir.path(), "payload.jsonl", &text);
    let out = dir.path().join("fitted.toml");
    aicost()
        .arg("fit")
        .arg(&logs)
        .arg("--out")
        .arg(&out)
        .assert()
        .success()
        .stderr(contains("priced as `claude-sonnet-4-5`"))
        .stderr(contains("fewer than 300"))
        .stderr(contains("one user in the logs"));
    let fitted = std::fs::read_to_string(&out).unwrap();
    assert!(fitted.contains("days = 14"), "{fitted}");
    assert!(fitted.contains("name = \"claude-sonnet-4-5\""), "{fitted}");
    assert!(
        fitted.contains("# logged as `claude-sonnet-4-5-20250929`"),
        "{fitted}"
    );
    assert!(fitted.contains("cache_ttl = \"1h\""), "{fitted}");
    assert!(fitted.contains("reasoning_tokens = 100"), "{fitted}");
    aicost().arg("validate").arg(&out).assert().success();
}

/// October 2026 has 22 weekdays and 9 weekend days; a month simulated from a Monday has 23 and 8.
/// With no weekend traffic, 10 users × 1 request per weekday × $0.001 a request is $0.22.
#[test]
fn backtest_simulates_each_month_with_its_real_calendar() {
    let scenario = r#"
name = "calendar"
[simulation]
arrivals = "fixed"
[[segment]]
name = "office"
users = 10
sessions_per_user_per_day = 1
weekend_factor = 0
[[workflow]]
name = "office"
[[workflow.step]]
name = "call"
route = "main"
input_tokens = 1000
output_tokens = 0
[[model]]
name = "m"
input_usd_per_mtok = 1
output_usd_per_mtok = 1
[[stack]]
name = "only"
[stack.route.main]
chain = [{ model = "m" }]
"#;
    let s = aicost::model::scenario::from_str("calendar.toml", scenario)
        .unwrap()
        .scenario;
    let mut a = Actuals::new(&s, aicost::model::catalog::builtin());
    let mut c = Call::new(
        aicost::base::calendar::Timestamp::parse("2026-10-05").unwrap(),
        "office".into(),
        "m".into(),
    );
    c.input_tokens = 1000;
    a.add(&c);
    c.timestamp = aicost::base::calendar::Timestamp::parse("2026-06-05").unwrap();
    a.add(&c);
    let b = evaluate(&s, 0, &a, None, 0.9, 50, 1).unwrap();
    let oct = b.months.iter().find(|m| m.month == "2026-10").unwrap();
    assert_eq!((oct.days, oct.weekend_days), (31, 9));
    assert!((oct.forecast_p50_usd - 0.22).abs() < 1e-12, "{oct:?}");
    // June 2026 starts on a Monday: 30 days, 22 weekdays, 8 weekend days.
    let june = b.months.iter().find(|m| m.month == "2026-06").unwrap();
    assert_eq!((june.days, june.weekend_days), (30, 8));
    assert!((june.forecast_p50_usd - 0.22).abs() < 1e-12, "{june:?}");
}

/// 60 users who use two workflows are one population, not 120 users: 60 users × (2 chat + 1
/// search requests) on each of 5 weekdays is one segment of 60 users at 3 requests a weekday,
/// chat getting 2/3 of the sessions and search 1/3. A workflow whose users nobody else has keeps
/// its own segment.
#[test]
fn workflows_sharing_users_are_one_population() {
    let dir = tempfile::tempdir().unwrap();
    let mut text =
        String::from("timestamp,user,workflow,model,input_tokens,output_tokens,status\n");
    for day in 5..=9 {
        for u in 0..60 {
            for wf in ["chat", "chat", "search"] {
                text += &format!("2026-10-{day:02}T10:00:00Z,u-{u},{wf},gpt-4o,1000,100,ok\n");
            }
        }
        for u in 0..10 {
            text += &format!("2026-10-{day:02}T10:00:00Z,b-{u},batch,gpt-4o,1000,100,ok\n");
        }
    }
    let logs = write(dir.path(), "usage.csv", &text);
    let ing = summarize(std::slice::from_ref(&logs), &LogOptions::default()).unwrap();
    let f = skeleton::fit(&ing.summary, false);
    assert_eq!(f.populations.len(), 1);
    let pop = &f.populations[0];
    assert_eq!(pop.name, "chat+search");
    assert_eq!((pop.users, pop.requests), (60.0, 900.0));
    assert!((pop.requests_per_user_per_day - 3.0).abs() < 1e-12);
    let batch = f.workflows.iter().find(|w| w.name == "batch").unwrap();
    assert_eq!((batch.population, batch.users), (None, 10.0));
    let out = dir.path().join("fitted.toml");
    aicost()
        .arg("fit")
        .arg(&logs)
        .arg("--out")
        .arg(&out)
        .assert()
        .success();
    let fitted = std::fs::read_to_string(&out).unwrap();
    assert_eq!(fitted.matches("[[segment]]").count(), 2, "{fitted}");
    assert!(fitted.contains("name = \"chat+search\""), "{fitted}");
    assert!(fitted.contains("requests_per_session = 0.6667"), "{fitted}");
    assert!(fitted.contains("requests_per_session = 0.3333"), "{fitted}");
    aicost().arg("validate").arg(&out).assert().success();
}

/// `fit --update` keeps the file's layout and comments, marks a comment whose figure the update
/// changed, and gives a route it adds the fitted failure rate: 4 triage calls of which 1 failed
/// validation is a rate of 0.25.
#[test]
fn fit_update_marks_stale_comments_and_keeps_the_fitted_failure_rate() {
    let dir = tempfile::tempdir().unwrap();
    let base = write(
        dir.path(),
        "base.toml",
        r#"# Our support bot, priced by hand.
name = "support"

[[segment]]
name = "agents"
users = 5
sessions_per_user_per_day = 2

[[workflow]]
name = "summarize"
[[workflow.step]]
name = "call"
route = "summarize"
input_tokens = 500   # about 500 tokens in May
output_tokens = 100   # short answers

[[model]]
name = "gpt-4o-mini"

[[stack]]
name = "observed"
[stack.route.summarize]
chain = [{ model = "gpt-4o-mini" }]
"#,
    );
    let mut text =
        String::from("timestamp,user,workflow,model,input_tokens,output_tokens,status\n");
    for u in 0..4 {
        text += &format!("2026-10-05T10:00:00Z,u-{u},summarize,gpt-4o-mini,1000,100,ok\n");
    }
    for status in ["ok", "ok", "ok", "validation_failed"] {
        text += &format!("2026-10-05T11:00:00Z,t-1,triage,gpt-4o-mini,300,20,{status}\n");
    }
    let logs = write(dir.path(), "usage.csv", &text);
    let out = dir.path().join("updated.toml");
    aicost()
        .arg("fit")
        .arg(&logs)
        .arg("--update")
        .arg(&base)
        .arg("--out")
        .arg(&out)
        .assert()
        .success();
    let updated = std::fs::read_to_string(&out).unwrap();
    assert!(
        updated.starts_with("# Our support bot, priced by hand.\n"),
        "{updated}"
    );
    assert!(
        updated.contains("input_tokens = 1000   # (fit: was 500) about 500 tokens in May"),
        "{updated}"
    );
    // Unchanged value: its comment is left alone.
    assert!(
        updated.contains("output_tokens = 100   # short answers"),
        "{updated}"
    );
    assert!(
        updated.contains("validation_failure_rate = 0.25, max_attempts = 2"),
        "{updated}"
    );
    aicost().arg("validate").arg(&out).assert().success();
}

/// The fenced `csv` and `jsonl` examples of a section of docs/fit.md, in order.
fn doc_examples(lang: &str) -> Vec<String> {
    let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/fit.md")).unwrap();
    let open = format!("```{lang}\n");
    doc.split(&open)
        .skip(1)
        .map(|rest| rest.split("```").next().unwrap().to_string())
        .collect()
}

/// docs/fit.md's examples run as written: its CSV with `aicost fit usage.csv --out fitted.toml`
/// and the backtest line, and its span and payload lines (whose costs are the hand arithmetic of
/// Sonnet's prices: 1,018 × 3 + 8,192 × 3.75 + 655 × 15 = 43,599 µ$; 1,152 × 3 + 8,192 × 0.3 +
/// 512 × 15 = 13,593.6 µ$).
#[test]
fn the_fit_guide_runs_as_written() {
    let dir = tempfile::tempdir().unwrap();
    let csv = doc_examples("csv");
    assert_eq!(csv.len(), 1);
    write(dir.path(), "usage.csv", &csv[0]);
    aicost()
        .current_dir(dir.path())
        .args(["fit", "usage.csv", "--out", "fitted.toml"])
        .assert()
        .success();
    aicost()
        .current_dir(dir.path())
        .args(["validate", "fitted.toml"])
        .assert()
        .success();
    aicost()
        .current_dir(dir.path())
        .args([
            "backtest",
            "--scenario",
            "fitted.toml",
            "--logs",
            "usage.csv",
            "--month",
            "2026-10",
            "--stack",
            "observed",
        ])
        .assert()
        .success()
        .stdout(contains("2026-10"));
    let lines = doc_examples("jsonl");
    assert_eq!(lines.len(), 2);
    let sonnet = aicost::model::scenario::from_str("sonnet.toml", SONNET)
        .unwrap()
        .scenario;
    for (i, (line, cost)) in lines.iter().zip([0.0135936, 0.043599]).enumerate() {
        let path = write(dir.path(), &format!("example-{i}.jsonl"), line);
        aicost()
            .arg("fit")
            .arg(&path)
            .arg("--out")
            .arg(dir.path().join(format!("example-{i}.toml")))
            .assert()
            .success();
        let (got, malformed) = calls(&path, &LogOptions::default());
        assert_eq!((got.len(), malformed), (1, 0));
        assert_eq!(got[0].cost_usd, Some(cost));
        // The logged cost is what the tokens cost at Sonnet's prices.
        let mut a = Actuals::new(&sonnet, aicost::model::catalog::builtin());
        let mut c = got[0].clone();
        c.cost_usd = None;
        a.add(&c);
        let priced = a.months[&Month::parse("2026-10").unwrap()].spend.value();
        assert!((priced - cost).abs() < 1e-12, "{priced} vs {cost}");
    }
}
