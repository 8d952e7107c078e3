//! Backtests on generated logs with a known truth: when the scenario is the process that made the
//! logs, about 90 % of months fall inside the forecast's 90 % interval; when it is wrong, far fewer.

mod logs;

use std::io::Write as _;
use std::path::PathBuf;

use aicost::analysis::backtest::{Actuals, evaluate};
use aicost::analysis::fit::{LogOptions, for_each_call};
use aicost::base::calendar::{Date, Month};
use assert_cmd::cargo::cargo_bin_cmd;
use logs::WorkflowTruth;
use predicates::str::contains;

const MONTHS: i64 = 200;
const TRIALS: u64 = 2000;

fn truth() -> Vec<WorkflowTruth> {
    vec![WorkflowTruth {
        name: "summarize",
        users: 30,
        rate: 2.0,
        weekend_factor: 1.0,
        user_cv: 0.5,
        parts: vec![logs::part("gpt-4o-mini", 1.0)],
    }]
}

fn scenario(users: u64) -> String {
    let p95 = |mu: f64, sigma: f64| (mu + aicost::model::dist::Z95 * sigma).exp();
    format!(
        r#"
name = "truth"
[[segment]]
name = "summarize"
users = {users}
sessions_per_user_per_day = 2
user_variability = 0.5
[[workflow]]
name = "summarize"
[[workflow.step]]
name = "call"
route = "main"
input_tokens = {{ p50 = 800, p95 = {} }}
output_tokens = {{ p50 = 200, p95 = {} }}
[[model]]
name = "gpt-4o-mini"
input_usd_per_mtok = 0.15
output_usd_per_mtok = 0.6
[[stack]]
name = "mini"
[stack.route.main]
chain = [{{ model = "gpt-4o-mini" }}]
"#,
        p95(800f64.ln(), 0.6),
        p95(200f64.ln(), 0.4)
    )
}

fn start() -> Date {
    Date::parse("2010-01-01").unwrap()
}

fn write_logs(dir: &std::path::Path) -> PathBuf {
    let path = dir.join("usage.csv");
    let mut f = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
    f.write_all(logs::PLAIN_HEADER.as_bytes()).unwrap();
    let mut end = start().month();
    for _ in 0..MONTHS {
        end = end.next();
    }
    let days = end.first_day().days() - start().days();
    logs::generate(&truth(), start(), days, 11, |r| {
        f.write_all(logs::plain_csv(r).as_bytes()).unwrap();
    });
    f.flush().unwrap();
    path
}

fn coverage(logs: &PathBuf, users: u64) -> (f64, usize) {
    let s = aicost::model::scenario::from_str("truth.toml", &scenario(users))
        .unwrap()
        .scenario;
    let catalog = aicost::model::catalog::builtin();
    let mut actuals = Actuals::new(&s, catalog);
    for_each_call(
        std::slice::from_ref(logs),
        &LogOptions::default(),
        &mut |c| actuals.add(&c),
    )
    .unwrap();
    let b = evaluate(&s, 0, &actuals, None, 0.9, TRIALS, 5).unwrap();
    assert!(b.unpriced_models.is_empty());
    (b.coverage.unwrap(), b.complete_months)
}

#[test]
fn a_calibrated_forecast_covers_about_90_percent_of_months() {
    let dir = tempfile::tempdir().unwrap();
    let logs = write_logs(dir.path());
    let (c, n) = coverage(&logs, 30);
    assert_eq!(n, MONTHS as usize);
    // Binomial: n = 200 months, p = 0.9; allow 4 standard errors.
    let se = (0.9 * 0.1 / n as f64).sqrt();
    eprintln!("coverage of the true scenario: {c} over {n} months");
    assert!((c - 0.9).abs() <= 4.0 * se, "coverage {c} over {n} months");
    // A scenario with a third more users than the logs had is caught.
    let (wrong, _) = coverage(&logs, 40);
    eprintln!("coverage with a third more users: {wrong}");
    assert!(wrong < 0.5, "coverage of a wrong forecast: {wrong}");

    // The command line: one month, and every month as JSON.
    let scen = dir.path().join("truth.toml");
    std::fs::write(&scen, scenario(30)).unwrap();
    let month = Month::parse("2011-03").unwrap();
    let mut cmd = cargo_bin_cmd!("aicost");
    cmd.args(["backtest", "--scenario"])
        .arg(&scen)
        .arg("--logs")
        .arg(&logs)
        .args(["--month", &month.to_string(), "--trials", "500"])
        .assert()
        .success()
        .stdout(contains("2011-03"))
        .stdout(contains("Coverage: "));
    let mut cmd = cargo_bin_cmd!("aicost");
    let out = cmd
        .args(["backtest", "--scenario"])
        .arg(&scen)
        .arg("--logs")
        .arg(&logs)
        .args(["--trials", "300", "--format", "json"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(v["months"].as_array().unwrap().len(), MONTHS as usize);
    assert!(v["coverage"].as_f64().unwrap() > 0.7);
    let mut cmd = cargo_bin_cmd!("aicost");
    cmd.args(["backtest", "--scenario"])
        .arg(&scen)
        .arg("--logs")
        .arg(&logs)
        .args(["--month", "2030-01"])
        .assert()
        .code(2)
        .stderr(contains("no call in 2030-01"));
}

#[test]
fn actual_spend_is_priced_call_by_call() {
    let s = aicost::model::scenario::from_str("truth.toml", &scenario(30))
        .unwrap()
        .scenario;
    let catalog = aicost::model::catalog::builtin();
    let mut a = Actuals::new(&s, catalog);
    let call = |model: &str, input, cached, output, status| {
        let mut c = aicost::analysis::fit::record::Call::new(
            aicost::base::calendar::Timestamp::parse("2026-10-05T10:00:00Z").unwrap(),
            "summarize".into(),
            model.into(),
        );
        c.input_tokens = input;
        c.cached_tokens = cached;
        c.output_tokens = output;
        c.status = status;
        c
    };
    use aicost::analysis::fit::record::Status;
    // 1,000,000 input at $0.15 + 1,000,000 output at $0.60.
    a.add(&call("gpt-4o-mini", 1_000_000, 0, 1_000_000, Status::Ok));
    // Not billed.
    a.add(&call("gpt-4o-mini", 1_000_000, 0, 0, Status::Error));
    // Not in the scenario: the catalog's gpt-4o prices, cached at 1.25: 1.25 + 0.5 × ... .
    a.add(&call("openai/gpt-4o", 1_000_000, 500_000, 0, Status::Ok));
    a.add(&call("no-such-model", 10, 0, 10, Status::Ok));
    let m = &a.months[&Month::parse("2026-10").unwrap()];
    let expected = 0.15 + 0.6 + (0.5 * 2.5 + 0.5 * 1.25);
    assert!(
        (m.spend.value() - expected).abs() < 1e-12,
        "{}",
        m.spend.value()
    );
    assert_eq!(m.unpriced_calls, 1);
    assert_eq!(a.unpriced, ["no-such-model"]);
    assert_eq!(a.from_catalog, ["openai/gpt-4o"]);
}

/// One row stamped 0 made 1970-01 a "complete month" ("Coverage: 0 of 1"). It is set aside and
/// reported, and a month is complete only when the logs cover it, without a week's gap.
#[test]
fn a_month_is_complete_only_when_the_logs_cover_it() {
    let dir = tempfile::tempdir().unwrap();
    let logs = write_logs(dir.path());
    let text = std::fs::read_to_string(&logs).unwrap();
    let first_row = text.lines().nth(1).unwrap();
    let stray = dir.path().join("stray.csv");
    std::fs::write(
        &stray,
        format!("{text}0{}\n", &first_row[first_row.find(',').unwrap()..]),
    )
    .unwrap();
    let scen = dir.path().join("truth.toml");
    std::fs::write(&scen, scenario(30)).unwrap();
    let out = cargo_bin_cmd!("aicost")
        .args(["backtest", "--scenario"])
        .arg(&scen)
        .arg("--logs")
        .arg(&stray)
        .args(["--trials", "200", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("set aside 1 call dated 1970-01-01"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["set_aside_calls"], 1);
    assert_eq!(v["set_aside_dates"][0], "1970-01-01");
    let months = v["months"].as_array().unwrap();
    assert!(months.iter().all(|m| m["month"] != "1970-01"));
    assert_eq!(v["complete_months"], MONTHS);

    // Calls on the first and the last day of a month, and none between: not covered.
    let s = aicost::model::scenario::from_str("truth.toml", &scenario(30))
        .unwrap()
        .scenario;
    let mut a = Actuals::new(&s, aicost::model::catalog::builtin());
    let call = |day: &str| {
        let mut c = aicost::analysis::fit::record::Call::new(
            aicost::base::calendar::Timestamp::parse(day).unwrap(),
            "summarize".into(),
            "gpt-4o-mini".into(),
        );
        c.input_tokens = 10;
        c.output_tokens = 10;
        c
    };
    a.add(&call("2026-10-01"));
    a.add(&call("2026-10-31"));
    let october = Month::parse("2026-10").unwrap();
    assert!(!a.is_complete(october));
    for day in (2..=30).step_by(7) {
        a.add(&call(&format!("2026-10-{day:02}")));
    }
    assert!(a.is_complete(october));
    assert!(!a.is_complete(Month::parse("2026-09").unwrap()));
}

/// Backtest says where each call's actual came from: the cost the log gives, or its tokens
/// priced; and which dated or `-latest` names it priced as a scenario model.
#[test]
fn backtest_says_how_the_actual_was_counted_and_which_names_it_resolved() {
    let dir = tempfile::tempdir().unwrap();
    let scen = dir.path().join("truth.toml");
    std::fs::write(&scen, scenario(30)).unwrap();
    let logs = dir.path().join("mixed.csv");
    std::fs::write(
        &logs,
        "timestamp,user,workflow,model,input_tokens,cached_tokens,output_tokens,status,cost_usd\n\
         2026-10-05T10:00:00Z,u1,summarize,gpt-4o-mini,1000,0,100,ok,0.5\n\
         2026-10-05T11:00:00Z,u1,summarize,gpt-4o-mini,1000000,0,0,ok,\n\
         2026-10-06T11:00:00Z,u2,summarize,gpt-4o-mini-2024-07-18,0,0,1000000,ok,\n\
         2026-10-06T12:00:00Z,u2,summarize,gpt-4o-mini,10,0,0,error,\n",
    )
    .unwrap();
    let run = |format: &str| {
        let out = cargo_bin_cmd!("aicost")
            .args(["backtest", "--scenario"])
            .arg(&scen)
            .arg("--logs")
            .arg(&logs)
            .args(["--trials", "50", "--format", format])
            .output()
            .unwrap();
        assert!(out.status.success(), "{out:?}");
        String::from_utf8(out.stdout).unwrap()
    };
    let table = run("table");
    assert!(
        table.contains(
            "Actual spend: 1 call at the cost the log gives, 2 priced from their tokens at the scenario's prices"
        ),
        "{table}"
    );
    assert!(
        table.contains("Priced `gpt-4o-mini-2024-07-18` as `gpt-4o-mini` (a dated snapshot"),
        "{table}"
    );
    let json: serde_json::Value = serde_json::from_str(&run("json")).unwrap();
    assert_eq!(json["logged_cost_calls"], 1);
    assert_eq!(json["priced_from_tokens_calls"], 2);
    assert_eq!(json["months"][0]["logged_cost_calls"], 1);
    assert_eq!(
        json["resolved_models"][0]["logged"],
        "gpt-4o-mini-2024-07-18"
    );
    assert_eq!(json["resolved_models"][0]["priced_as"], "gpt-4o-mini");
    assert_eq!(json["resolved_models"][0]["how"], "undated");
    // $0.50 logged + 1M input at $0.15 + 1M output at $0.60; the error costs nothing.
    let actual = json["months"][0]["actual_usd"].as_f64().unwrap();
    assert!((actual - 1.25).abs() < 1e-9, "{actual}");
}

/// A logged cost no call can have (`1e308`, or anything above a call's largest plausible price)
/// is the line's mistake: refused with the file and line, not added to a month's spend.
#[test]
fn an_absurd_logged_cost_is_refused_where_it_is() {
    let dir = tempfile::tempdir().unwrap();
    let scen = dir.path().join("truth.toml");
    std::fs::write(&scen, scenario(30)).unwrap();
    let logs = dir.path().join("costs.csv");
    std::fs::write(
        &logs,
        "timestamp,user,workflow,model,input_tokens,cached_tokens,output_tokens,status,cost_usd\n\
         2026-10-05T10:00:00Z,u1,summarize,gpt-4o-mini,1000,0,100,ok,0.0002\n\
         2026-10-05T10:01:00Z,u2,summarize,gpt-4o-mini,1000,0,100,ok,1e308\n\
         2026-10-05T10:02:00Z,u3,summarize,gpt-4o-mini,1000,0,100,ok,0.0002\n",
    )
    .unwrap();
    let out = cargo_bin_cmd!("aicost")
        .args(["backtest", "--scenario"])
        .arg(&scen)
        .arg("--logs")
        .arg(&logs)
        .args(["--trials", "50"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("costs.csv:3"), "{err}");
    assert!(
        err.contains("a cost of 1e308 USD for one call is beyond any price"),
        "{err}"
    );
}
