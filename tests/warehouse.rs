//! docs/warehouse.md run for real: its commands, its view and its query, taken from the doc as
//! written, run by DuckDB's command-line tool over generated logs stored as CSV and as Parquet, and
//! the aggregates it returns fitted by `aicost fit` to the same scenario as the raw rows.
//!
//! Without `duckdb` on the PATH the test says so and passes, unless `AICOST_REQUIRE_DUCKDB=1` (set
//! by `.ci/run`, which installs the tool), which makes a missing DuckDB a failure.
//!
//! What "the same" means: every count is an integer and every token sum a sum of integers far
//! below 2⁵³, so DuckDB's sums equal aicost's bit for bit whatever the order it adds them in; the
//! sums of logarithms (the lognormal fits) and of logged spend are the only ones whose last bits
//! depend on the order. The fitted structure is compared field by field, exactly, except the
//! spend per call (relative 1e-12, a few ulps of a sum of thousands of terms); the lognormal
//! `p50` and `p95` are compared exactly because they are rounded to whole tokens, which an error
//! of about 1e-12 tokens cannot move unless the fit falls on a half token. The scenario files
//! `aicost fit` writes from both are then compared line for line, bar the first (which names the
//! input file). The raw rows are grouped by workflow and model in name order, the order of the
//! query's `ORDER BY`, since `fit` lists workflows in the order it first meets them.

mod logs;

use std::path::Path;
use std::process::Command;

use aicost::analysis::fit::skeleton::{self, Fitted};
use aicost::analysis::fit::{LogOptions, summarize};
use aicost::base::calendar::Date;
use assert_cmd::cargo::cargo_bin_cmd;
use logs::{PartTruth, WorkflowTruth, part};

/// Whether DuckDB's command-line tool runs, after saying the test is skipped when it does not; a
/// failure instead where `AICOST_REQUIRE_DUCKDB=1`.
fn duckdb_or_skip() -> bool {
    let found = Command::new("duckdb")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        if std::env::var("AICOST_REQUIRE_DUCKDB").is_ok_and(|v| v == "1") {
            panic!("AICOST_REQUIRE_DUCKDB=1 but no duckdb on the PATH (pip install duckdb-cli)");
        }
        println!("notice: duckdb not found; skipping the warehouse query test");
        eprintln!("notice: duckdb not found; skipping the warehouse query test");
    }
    found
}

/// What docs/warehouse.md gives: the commands (its first ```sh block), the view (`usage.sql`)
/// and the query (`aggregates.sql`), the two ```sql blocks of its DuckDB section.
struct Doc {
    commands: String,
    view: String,
    query: String,
}

fn block<'a>(text: &'a str, fence: &str) -> Vec<&'a str> {
    text.split(fence)
        .skip(1)
        .map(|b| &b[..b.find("```").expect("a closed code block")])
        .collect()
}

fn doc() -> Doc {
    let doc = std::fs::read_to_string("docs/warehouse.md").unwrap();
    let commands = block(&doc, "```sh\n")[0].to_string();
    assert!(commands.contains("usage.sql aggregates.sql"), "{commands}");
    let start = doc
        .find("\n## The query (DuckDB)")
        .expect("docs/warehouse.md has a section `## The query (DuckDB)`");
    let section = &doc[start + 1..];
    let section = &section[..section.find("\n## ").unwrap_or(section.len())];
    let sql = block(section, "```sql\n");
    assert_eq!(sql.len(), 2, "the view and the query: {sql:#?}");
    assert!(sql[0].contains("CREATE VIEW usage"), "{}", sql[0]);
    assert!(sql[1].contains("WITH calls AS"), "{}", sql[1]);
    Doc {
        commands,
        view: sql[0].to_string(),
        query: sql[1].to_string(),
    }
}

fn truth() -> Vec<WorkflowTruth> {
    vec![
        WorkflowTruth {
            name: "summarize",
            users: 150,
            rate: 1.5,
            weekend_factor: 0.4,
            user_cv: 0.6,
            parts: vec![
                PartTruth {
                    prefix: 3000,
                    hit_rate: 0.7,
                    // Failures follow one another often enough for third and fourth attempts.
                    validation_failure_rate: 0.15,
                    error_rate: 0.03,
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
            // A name that needs quoting in CSV and TOML, and starts like a spreadsheet formula.
            name: "=classify \"fast\", v2",
            users: 40,
            rate: 4.0,
            weekend_factor: 1.0,
            user_cv: 0.0,
            parts: vec![part("claude-haiku-4-5", 1.0)],
        },
    ]
}

/// The logged spend of a billed call (made-up prices: any number with many digits will do).
fn cost(r: &logs::Row) -> String {
    if r.status == "error" {
        return String::new();
    }
    let usd = (r.input - r.cached) as f64 * 0.15e-6
        + r.cached as f64 * 0.075e-6
        + r.output as f64 * 0.6e-6;
    format!("{usd}")
}

/// The optional columns of cache writes, reasoning, image and audio tokens, from the row's second
/// of the day (a stand-in for chance that leaves the generator's draws alone): Claude reports
/// writes on every call and their time to live on some, GPT-4o reports reasoning on every call,
/// writes on a few (so its cache is fitted from reads), images and audio output on some;
/// GPT-4o mini reports none of them.
fn details(r: &logs::Row) -> String {
    let k = u64::from(r.second);
    let (mut writes, mut one_hour, mut reasoning) = (String::new(), String::new(), String::new());
    let (mut image, mut audio_in, mut audio_out) = (0, 0, 0);
    match r.model {
        "claude-haiku-4-5" => {
            let w = if k % 3 == 0 {
                (r.input / 2).min(1024)
            } else {
                0
            };
            writes = w.to_string();
            if k % 2 == 0 {
                one_hour = if k % 4 == 0 { w } else { 0 }.to_string();
            }
            if k % 11 == 0 {
                audio_in = r.input / 10;
            }
        }
        "gpt-4o" => {
            if k % 5 == 0 {
                writes = "0".to_string();
            }
            reasoning = (r.output / 3).to_string();
            if k % 7 == 0 {
                image = (r.input / 4).min(85 * (1 + k % 3));
            }
            if k % 13 == 0 {
                audio_out = (r.output / 4).min(50);
            }
        }
        _ => {}
    }
    format!("{writes},{one_hour},{reasoning},{image},{audio_in},{audio_out}")
}

/// The view's columns that a log may lack, in the order the generated log has them.
const OPTIONAL_COLUMNS: [&str; 8] = [
    "attempt",
    "cost_usd",
    "cache_write_tokens",
    "cache_write_1h_tokens",
    "reasoning_tokens",
    "image_tokens",
    "audio_input_tokens",
    "audio_output_tokens",
];

/// A CSV field in quotes.
fn quoted(s: &str) -> String {
    format!("\"{}\"", s.replace('"', "\"\""))
}

/// 30 days of logs in the plain CSV format, with its optional columns ([`OPTIONAL_COLUMNS`]) or
/// without them.
fn write_logs(path: &Path, optional: bool) -> usize {
    let mut text = String::from(
        "timestamp,user,workflow,model,input_tokens,cached_tokens,output_tokens,status",
    );
    if optional {
        text += ",";
        text += &OPTIONAL_COLUMNS.join(",");
    }
    text.push('\n');
    let mut rows = Vec::new();
    logs::generate(&truth(), Date::parse("2026-09-01").unwrap(), 30, 11, |r| {
        rows.push(r.clone())
    });
    // Grouped by workflow and model in name order, the order of the query's result: `fit` lists
    // workflows and models in the order it first meets them, in rows and in aggregates alike.
    rows.sort_by_key(|r| (r.workflow, r.model));
    for r in &rows {
        // One user per workflow is not named: requests without a user, as logs have them.
        let user = if r.user.ends_with("-user-7") {
            ""
        } else {
            &r.user
        };
        text += &format!(
            "{},{},{},{},{},{},{},{}",
            logs::timestamp(r),
            quoted(user),
            quoted(r.workflow),
            r.model,
            r.input,
            r.cached,
            r.output,
            r.status,
        );
        if optional {
            text += &format!(",{},{},{}", r.attempt, cost(r), details(r));
        }
        text.push('\n');
    }
    std::fs::write(path, text).unwrap();
    rows.len()
}

/// Run the doc's commands in `dir` (which holds the view's input) with `view` as `usage.sql`:
/// DuckDB writes `aggregates.csv` and `aicost fit` reads it into `fitted.toml`. DuckDB's time
/// zone is set far from UTC (Kiritimati is UTC+14), so the query's own `SET TimeZone` is what
/// makes its days UTC days.
fn run_doc(dir: &Path, doc: &Doc, view: &str) {
    std::fs::write(dir.join("usage.sql"), view).unwrap();
    std::fs::write(dir.join("aggregates.sql"), &doc.query).unwrap();
    let bin = Path::new(env!("CARGO_BIN_EXE_aicost")).parent().unwrap();
    let path = std::env::join_paths(std::iter::once(bin.to_path_buf()).chain(
        std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default()),
    ))
    .unwrap();
    let o = Command::new("sh")
        .current_dir(dir)
        .args(["-ec", &doc.commands])
        .env("PATH", path)
        .env("TZ", "Pacific/Kiritimati")
        .env("AICOST_TODAY", "2026-11-23")
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "{}:\n{}",
        doc.commands,
        String::from_utf8_lossy(&o.stderr)
    );
}

fn fitted(path: &Path, empirical: bool) -> Fitted {
    let ing = summarize(&[path.to_path_buf()], &LogOptions::default()).unwrap();
    assert_eq!(ing.budget.malformed.count, 0, "{}", ing.budget.report());
    skeleton::fit(&ing.summary, empirical)
}

/// Workflows by name, parts by model: a warehouse returns rows in any order.
fn sorted(f: &Fitted) -> Fitted {
    let mut f = f.clone();
    f.workflows.sort_by(|a, b| a.name.cmp(&b.name));
    for w in &mut f.workflows {
        w.parts.sort_by(|a, b| a.model.cmp(&b.model));
    }
    f
}

/// The fit from the raw rows and from the aggregates: equal, as the module doc says.
fn assert_same_fit(raw: &Fitted, agg: &Fitted) {
    let (raw, mut agg) = (sorted(raw), sorted(agg));
    for (p, q) in raw
        .workflows
        .iter()
        .flat_map(|w| &w.parts)
        .zip(agg.workflows.iter_mut().flat_map(|w| &mut w.parts))
    {
        if let (Some(a), Some(b)) = (p.cost_per_call_usd, q.cost_per_call_usd) {
            assert!((a - b).abs() <= 1e-12 * a, "{}: spend {a} vs {b}", p.model);
            q.cost_per_call_usd = p.cost_per_call_usd;
        }
    }
    assert_eq!(raw, agg);
}

/// The scenario `aicost fit FILE` writes, without its first line (which names the file).
fn scenario(file: &Path) -> String {
    let out = cargo_bin_cmd!("aicost")
        .env_remove("NO_COLOR")
        .env("AICOST_TODAY", "2026-11-23")
        .arg("fit")
        .arg(file)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    text.split_once('\n').unwrap().1.to_string()
}

/// The fits and the scenario file from `dir`'s aggregates (the doc's commands were run there)
/// are those from the raw log.
fn assert_same_scenario(raw: &Path, raw_scenario: &str, dir: &Path) {
    let agg = dir.join("aggregates.csv");
    for empirical in [false, true] {
        assert_same_fit(&fitted(raw, empirical), &fitted(&agg, empirical));
    }
    let written = std::fs::read_to_string(dir.join("fitted.toml")).unwrap();
    let from_agg = written.split_once('\n').unwrap().1;
    if let Some((a, b)) = raw_scenario
        .lines()
        .zip(from_agg.lines())
        .find(|(a, b)| a != b)
    {
        panic!(
            "{}: the scenarios differ:\n  raw: {a}\n  agg: {b}",
            dir.display()
        );
    }
    assert_eq!(raw_scenario, from_agg, "{}", dir.display());
}

#[test]
fn the_documented_query_run_in_duckdb_fits_the_same_scenario_as_the_raw_rows() {
    if !duckdb_or_skip() {
        return;
    }
    let doc = doc();
    let dir = tempfile::tempdir().unwrap();
    // CSV: the view as written reads `usage.csv`.
    let csv_dir = dir.path().join("csv");
    std::fs::create_dir(&csv_dir).unwrap();
    let raw = csv_dir.join("usage.csv");
    let rows = write_logs(&raw, true);
    run_doc(&csv_dir, &doc, &doc.view);
    // Parquet: the same rows, written by DuckDB's COPY, read by the view's documented variant.
    let parquet_dir = dir.path().join("parquet");
    std::fs::create_dir(&parquet_dir).unwrap();
    let o = Command::new("duckdb")
        .current_dir(&csv_dir)
        .arg("-c")
        .arg(format!(
            "COPY (SELECT * FROM read_csv('usage.csv')) TO '{}' (FORMAT parquet)",
            parquet_dir.join("usage.parquet").display()
        ))
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(
        doc.view.matches("read_csv('usage.csv')").count(),
        1,
        "{}",
        doc.view
    );
    let parquet_view = doc
        .view
        .replace("read_csv('usage.csv')", "read_parquet('usage.parquet')");
    run_doc(&parquet_dir, &doc, &parquet_view);

    let truth_raw = fitted(&raw, false);
    // The logs are rich enough for every measure to matter: retries up to a fourth attempt,
    // logged spend, provider errors, cache reads and writes, reasoning, image and audio tokens,
    // 30 days from a Tuesday.
    let mini = truth_raw
        .workflows
        .iter()
        .flat_map(|w| &w.parts)
        .find(|p| p.model == "gpt-4o-mini")
        .unwrap();
    assert!(mini.max_attempts >= 3, "{}", mini.max_attempts);
    assert!(mini.retry_share.unwrap() > 0.1 && mini.error_rate > 0.0);
    assert!(mini.cache_hit_rate > 0.5);
    assert_eq!(truth_raw.days_covered, Some(30));
    assert_eq!(
        (truth_raw.days_weekday, truth_raw.days_weekend),
        (22.0, 8.0)
    );
    assert!(rows > 10_000, "{rows} rows");

    let raw_scenario = scenario(&raw);
    for comment in [
        "% of calls were retries.",
        "; logged spend $",
        "days = 30   # the days the logs cover",
        "2026-09-01 to 2026-09-30",
        "max_attempts = ",
        "written per call, as logged; ",
        "% of the writes kept an hour",
        "reasoning_tokens = ",
        "images = { count = ",
        "audio_input_tokens = ",
        "audio_output_tokens = ",
    ] {
        assert!(raw_scenario.contains(comment), "{comment}:\n{raw_scenario}");
    }
    for d in [&csv_dir, &parquet_dir] {
        assert_same_scenario(&raw, &raw_scenario, d);
        let agg = d.join("aggregates.csv");
        let text = std::fs::read_to_string(&agg).unwrap();
        assert!(
            text.starts_with("workflow,model,measure,bucket,n,sum,sum_sq,sum_ln,sum_ln2\n"),
            "{}",
            &text[..200.min(text.len())]
        );
        assert!(!text.contains("NULL"), "NULL written as a word");
        for measure in [
            ",retries,",
            ",max_attempt,",
            ",cost_usd,",
            ",first_day,",
            ",last_day,",
        ] {
            assert!(text.contains(measure), "{measure} in {}", agg.display());
        }
    }

    // A log without the optional columns: the view names them NULL, as the doc says, and the
    // scenario is again the one from the rows (no retry or spend comment in either).
    let bare_dir = dir.path().join("bare");
    std::fs::create_dir(&bare_dir).unwrap();
    let bare = bare_dir.join("usage.csv");
    write_logs(&bare, false);
    let mut bare_view = doc.view.clone();
    for column in OPTIONAL_COLUMNS {
        let listed = format!(" {column},");
        let listed = if bare_view.contains(&listed) {
            listed
        } else {
            format!(" {column}\n")
        };
        assert_eq!(
            bare_view.matches(&listed).count(),
            1,
            "{column}: {bare_view}"
        );
        bare_view = bare_view.replace(
            &listed,
            &listed.replacen(column, &format!("NULL AS {column}"), 1),
        );
    }
    run_doc(&bare_dir, &doc, &bare_view);
    let bare_scenario = scenario(&bare);
    assert!(!bare_scenario.contains("were retries") && !bare_scenario.contains("logged spend"));
    assert_same_scenario(&bare, &bare_scenario, &bare_dir);
}

/// `first_day` and `last_day` carry a day number; files merge by the earliest and the latest, an
/// empty `n` (a table without rows) is ignored, and a day that is not a whole number is a bad
/// line named by file and line. Needs no DuckDB.
#[test]
fn the_days_the_aggregates_cover_merge_by_earliest_and_latest() {
    let dir = tempfile::tempdir().unwrap();
    let day = |d: &str| Date::parse(d).unwrap().days();
    let header = "workflow,model,measure,bucket,n,sum,sum_sq,sum_ln,sum_ln2\n";
    let part = "w,m,ok_calls,,10,,,,\nw,m,input_tokens_all,160,10,1000,100000,46.05,212.07\nw,m,output_tokens,,10,,,,\n";
    let a = dir.path().join("a.csv");
    std::fs::write(
        &a,
        format!(
            "{header}{part},,first_day,,{},,,,\n,,last_day,,{},,,,\n",
            day("2026-09-03"),
            day("2026-09-20")
        ),
    )
    .unwrap();
    let b = dir.path().join("b.csv");
    std::fs::write(
        &b,
        format!(
            "{header},,first_day,,,,,,\n,,last_day,,,,,,\n,,first_day,,{},,,,\n,,last_day,,{},,,,\n",
            day("2026-09-10"),
            day("2026-10-02")
        ),
    )
    .unwrap();
    let ing = summarize(&[a.clone(), b], &LogOptions::default()).unwrap();
    assert_eq!(ing.budget.malformed.count, 0, "{}", ing.budget.report());
    assert_eq!(ing.summary.first_day, Date::parse("2026-09-03"));
    assert_eq!(ing.summary.last_day, Date::parse("2026-10-02"));
    assert_eq!(skeleton::fit(&ing.summary, false).days_covered, Some(30));
    // Written back by `--aggregates-out`, the span survives.
    let dump = dir.path().join("dump.csv");
    std::fs::write(&dump, aicost::analysis::fit::aggregate::write(&ing.summary)).unwrap();
    let again = summarize(&[dump], &LogOptions::default()).unwrap().summary;
    assert_eq!(
        (again.first_day, again.last_day),
        (ing.summary.first_day, ing.summary.last_day)
    );

    let bad = dir.path().join("bad.csv");
    std::fs::write(&bad, format!("{header}{part},,first_day,,20700.5,,,,\n")).unwrap();
    let out = cargo_bin_cmd!("aicost")
        .env_remove("NO_COLOR")
        .arg("fit")
        .arg(&bad)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("bad.csv:5: `n` is not a number: `20700.5`"),
        "{stderr}"
    );
}
