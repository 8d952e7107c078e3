//! Bounded resources: a run keeps the detail of a bounded number of months whatever its trials,
//! while its headline spend figures still cover every trial; `--trials-out` streams every trial;
//! commands refuse work that would not fit in memory instead of exhausting it.

mod common;

use aicost::analysis::report::Report;
use aicost::base::stats::{STREAM_RELATIVE_ACCURACY, Summary};
use aicost::model::Scenario;
use aicost::sim::engine::{self, EngineRequest, SimOptions, SimResult};
use assert_cmd::Command;
use predicates::str::contains;

fn load(path: &str) -> Scenario {
    aicost::model::scenario::load(std::path::Path::new(path))
        .unwrap_or_else(|e| panic!("{e}"))
        .scenario
}

fn run(s: &Scenario, trials: u64, detail_months: usize, threads: usize) -> SimResult {
    let mut o = SimOptions::new(trials, 11);
    o.engine = EngineRequest::Fast;
    o.detail_months = Some(detail_months);
    o.threads = Some(threads);
    engine::simulate(s, &o).expect("runs")
}

#[test]
fn detail_is_bounded_while_headline_figures_cover_every_trial() {
    let s = load("scenarios/ecommerce-assistant.toml");
    let months = s.simulation.months as usize;
    let full = run(&s, 400, usize::MAX, 2);
    let thin = run(&s, 400, 10 * months, 2);
    assert!(!full.is_thinned());
    assert!(thin.is_thinned());
    assert_eq!((thin.trials, thin.detail_trials), (400, 10));
    assert_eq!(thin.samples(), 10 * months);
    for st in &thin.stacks {
        let n = 10 * months;
        assert_eq!(st.spend.len(), n);
        assert_eq!(st.trial_totals.len(), n);
        assert!(st.daily.iter().all(|d| d.len() == n));
        assert!(st.workflow_spend.iter().all(|w| w.len() == n));
        assert!(st.contracts.iter().all(|c| c.billed.len() == n));
        assert_eq!(st.stream.count(), 400 * months as u64);
    }
    // The kept detail is the first trials of the full run, month for month.
    for (a, b) in full.stacks.iter().zip(&thin.stacks) {
        assert_eq!(&a.spend[..thin.samples()], &b.spend[..]);
    }
    let (rf, rt) = (Report::new(&s, &full), Report::new(&s, &thin));
    assert_eq!(rt.trials, 400);
    assert_eq!(rt.detail_trials, Some(10));
    assert_eq!(rf.detail_trials, None);
    for (k, (a, b)) in rf.stacks.iter().zip(&rt.stacks).enumerate() {
        let (x, y) = (&a.monthly_spend_usd, &b.monthly_spend_usd);
        assert!(
            (x.mean - y.mean).abs() <= 1e-9 * x.mean,
            "{} vs {}",
            x.mean,
            y.mean
        );
        assert!((x.sd - y.sd).abs() <= 1e-9 * x.sd);
        assert_eq!((x.min, x.max), (y.min, y.max));
        // Percentiles from the sketch: within its relative accuracy of a value between the
        // neighbouring order statistics.
        let sorted = aicost::base::stats::sorted(&full.stacks[k].spend);
        let gap = sorted.windows(2).map(|w| w[1] - w[0]).fold(0.0, f64::max);
        for (p, q) in [(x.p50, y.p50), (x.p95, y.p95), (x.p99, y.p99)] {
            assert!(
                (p - q).abs() <= 2.0 * STREAM_RELATIVE_ACCURACY * p + gap,
                "{p} vs {q}"
            );
        }
        assert_eq!(a.breach_probability, b.breach_probability);
        let alerts = |r: &aicost::analysis::report::StackReport| {
            r.alerts.iter().map(|a| a.probability).collect::<Vec<_>>()
        };
        assert_eq!(alerts(a), alerts(b));
        // Standard errors from per-trial means agree with those of the full run.
        let rel = (a.mean_standard_error_usd - b.mean_standard_error_usd).abs()
            / a.mean_standard_error_usd;
        assert!(rel < 1e-6, "{rel}");
    }
}

#[test]
fn a_thinned_run_does_not_depend_on_the_thread_count() {
    let s = load("scenarios/chatbot.toml");
    let one = Report::new(&s, &run(&s, 300, 40, 1)).to_json();
    let two = Report::new(&s, &run(&s, 300, 40, 2)).to_json();
    assert_eq!(one, two);
}

#[test]
fn stream_summary_matches_kept_months_when_nothing_is_dropped() {
    let s = load("scenarios/support-summarizer.toml");
    let r = run(&s, 500, usize::MAX, 2);
    for st in &r.stacks {
        let kept = Summary::of(&st.spend);
        let streamed = st.stream.summary(kept.cvar95);
        assert!((kept.mean - streamed.mean).abs() <= 1e-12 * kept.mean);
        assert!((kept.p95 - streamed.p95).abs() <= 2.0 * STREAM_RELATIVE_ACCURACY * kept.p95 + 0.1);
    }
}

fn aicost() -> Command {
    Command::cargo_bin("aicost").unwrap()
}

#[test]
fn trials_out_streams_every_month_of_every_trial() {
    let dir = tempfile::tempdir().unwrap();
    let trials = dir.path().join("trials.csv");
    aicost()
        .args([
            "simulate",
            "scenarios/ecommerce-assistant.toml",
            "-n",
            "7",
            "--seed",
            "5",
            "--format",
            "json",
            "--out",
        ])
        .arg(dir.path().join("r.json"))
        .arg("--trials-out")
        .arg(&trials)
        .assert()
        .success();
    let text = std::fs::read_to_string(&trials).unwrap();
    let mut lines = text.lines();
    assert_eq!(
        lines.next(),
        Some(aicost::render::csv::TRIAL_COLUMNS.join(",").as_str())
    );
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
    let stacks = load("scenarios/ecommerce-assistant.toml").stacks.len();
    assert_eq!(rows.len(), 7 * 12 * stacks);
    assert_eq!(rows[0][0], "0");
    assert_eq!(rows[0][6], "1");
    assert_eq!(rows.last().unwrap()[0], "6");
    assert_eq!(rows.last().unwrap()[6], "12");
    // No temporary file is left beside the output.
    let names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(names.iter().all(|n| !n.ends_with(".tmp")), "{names:?}");
}

#[test]
fn paired_commands_refuse_more_trials_than_they_keep() {
    let limit = engine::DETAIL_MONTHS as u64 + 1;
    for args in [
        vec!["compare", "scenarios/support-summarizer.toml"],
        vec!["levers", "scenarios/support-summarizer.toml"],
        vec!["sensitivity", "scenarios/support-summarizer.toml"],
    ] {
        aicost()
            .args(&args)
            .args(["--trials", &limit.to_string()])
            .assert()
            .code(2)
            .stderr(contains("more than a paired comparison keeps"))
            .stderr(contains("--trials 100000 or fewer"));
    }
    // A 12-month horizon keeps a twelfth of the trials.
    aicost()
        .args([
            "compare",
            "scenarios/ecommerce-assistant.toml",
            "--trials",
            "9000",
        ])
        .assert()
        .code(2)
        .stderr(contains("at most 8333 trials of 12 months"));
}

#[test]
fn the_exact_engine_refuses_a_month_it_cannot_hold() {
    aicost()
        .args([
            "simulate",
            "scenarios/chatbot.toml",
            "--engine",
            "exact",
            "-n",
            "1",
            // 30 million sessions, one request each: within the exact engine's reach in time
            // (720 million request walks over 3 stacks), not in memory.
            "--set",
            "segment[0].users=7500000",
            "--set",
            "workflow[0].requests_per_session=1",
        ])
        .assert()
        .code(2)
        .stderr(contains("the exact engine would hold about"))
        .stderr(contains("--engine fast"));
}

/// A run of several minutes, to be stopped early.
const LONG_RUN: [&str; 6] = [
    "simulate",
    "scenarios/chatbot.toml",
    "--trials",
    "10000000",
    "--format",
    "json",
];

fn partial_report(out: &std::process::Output) -> serde_json::Value {
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON on stdout");
    assert_eq!(v["partial"], true);
    assert!(v["trials"].as_u64().unwrap() < 10_000_000);
    assert!(v["trials"].as_u64().unwrap() > 0);
    assert!(
        v["stacks"][0]["monthly_spend_usd"]["mean"]
            .as_f64()
            .unwrap()
            > 0.0
    );
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("the result is partial"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    v
}

#[test]
fn max_seconds_stops_cleanly_with_a_partial_result() {
    let out = std::process::Command::new(assert_cmd::cargo::cargo_bin("aicost"))
        .args(LONG_RUN)
        .args(["--max-seconds", "0.5"])
        .output()
        .unwrap();
    partial_report(&out);
    // CSV says so in a row of its own, even with --quiet (no warning on stderr).
    let out = aicost()
        .args(["simulate", "scenarios/chatbot.toml", "--trials", "10000000"])
        .args(["--max-seconds", "0.5", "--format", "csv", "--quiet"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let csv = String::from_utf8(out.stdout).unwrap();
    assert!(
        csv.lines()
            .nth(1)
            .unwrap()
            .contains(",,partial_run,,flag,1,"),
        "{csv}"
    );
}

/// A limit no clock can reach is no limit: the run completes. A limit that is not a positive
/// number is a user error.
#[test]
fn max_seconds_beyond_any_clock_is_no_limit_and_a_non_positive_one_is_refused() {
    for huge in ["1e19", "1e308"] {
        let out = aicost()
            .args([
                "simulate",
                "scenarios/chatbot.toml",
                "-n",
                "20",
                "--format",
                "json",
            ])
            .args(["--max-seconds", huge])
            .output()
            .unwrap();
        let v = common::success_json(&out);
        assert_eq!(v["partial"], false, "--max-seconds {huge}");
        assert_eq!(v["trials"], 20, "--max-seconds {huge}");
    }
    for bad in ["0", "-1", "NaN", "inf"] {
        aicost()
            .args(["simulate", "scenarios/chatbot.toml", "-n", "20"])
            .arg(format!("--max-seconds={bad}"))
            .assert()
            .code(2)
            .stderr(contains("--max-seconds"));
    }
}

#[cfg(unix)]
#[test]
fn ctrl_c_stops_cleanly_with_a_partial_result() {
    let child = std::process::Command::new(assert_cmd::cargo::cargo_bin("aicost"))
        .args(LONG_RUN)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(1500));
    let status = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    partial_report(&child.wait_with_output().unwrap());
}

#[test]
fn every_format_labels_a_thinned_run_and_its_headline_covers_every_trial() {
    let s = load("scenarios/support-summarizer.toml");
    let thin = run(&s, 2_000, 200, 2);
    let full = run(&s, 2_000, usize::MAX, 2);
    let d = aicost::analysis::detail::Detail::new(&s, &thin);
    let f = aicost::analysis::detail::Detail::new(&s, &full);
    for (a, b) in d.stacks.iter().zip(&f.stacks) {
        assert!((a.mean.value - b.mean.value).abs() <= 1e-9 * b.mean.value);
        assert!(
            (a.mean.standard_error - b.mean.standard_error).abs() <= 1e-6 * b.mean.standard_error
        );
        assert!(a.p95.low <= a.p95.value && a.p95.value <= a.p95.high);
        assert_eq!(
            a.breach_probability.as_ref().map(|e| e.value),
            b.breach_probability.as_ref().map(|e| e.value)
        );
    }
    let report = Report::new(&s, &thin);
    let table = aicost::render::table::render(&report, &d, false);
    assert!(
        table.contains("cover every trial; the other figures the first 200"),
        "{table}"
    );
    let brief = aicost::render::brief::Brief::new(&s, &thin).markdown();
    assert!(
        brief.contains("the other figures come from the first 200"),
        "{brief}"
    );
    assert!(report.to_json().contains("\"detail_trials\": 200"));
}

/// A scenario of `stacks` stacks (alternating two models) and `segments` segments.
fn generated(stacks: usize, segments: usize) -> Scenario {
    let mut t = String::from(
        "name = \"sizes\"\n[simulation]\ntrials = 100\nseed = 3\n[budget]\nmonthly_usd = 100\n",
    );
    for i in 0..segments {
        t += &format!(
            "[[segment]]\nname = \"g{i}\"\nusers = {{ low = {}, high = {} }}\nsessions_per_user_per_day = 1\n",
            1000 + i,
            2000 + i
        );
    }
    t += "[[workflow]]\nname = \"w\"\n[[workflow.step]]\nname = \"a\"\nroute = \"main\"\ninput_tokens = { p50 = 900, p95 = 2000 }\noutput_tokens = 100\n";
    t += "[[model]]\nname = \"m0\"\ninput_usd_per_mtok = 1\noutput_usd_per_mtok = 2\n[[model]]\nname = \"m1\"\ninput_usd_per_mtok = 3\noutput_usd_per_mtok = 4\n";
    for k in 0..stacks {
        t += &format!(
            "[[stack]]\nname = \"s{k}\"\n[stack.route.main]\nchain = [{{ model = \"m{}\" }}]\n",
            k % 2
        );
    }
    aicost::model::scenario::from_str("sizes.toml", &t)
        .unwrap_or_else(|e| panic!("{e}"))
        .scenario
}

/// Memory grew with products of sizes: 300 segments kept 200,000 per-user samples each per
/// stack, and a run kept 10,000 months of detail however large a month was (9,999 stacks took
/// more than 3 GB for 20 trials). A run's samples now share one budget, and its kept months fit
/// their byte budget. (At most 1,000 stacks: the bad-input corpus holds the refusals.)
#[test]
fn what_a_run_keeps_is_bounded_in_bytes_whatever_its_sizes() {
    let s = generated(2, 300);
    let mut o = SimOptions::new(200, 5);
    o.engine = EngineRequest::Fast;
    let r = engine::simulate(&s, &o).unwrap();
    let samples: u64 = r
        .stacks
        .iter()
        .flat_map(|st| &st.user_costs)
        .map(|u| u.len() as u64)
        .sum();
    let floor = 2 * 300 * 200; // one sample per stack, segment and month
    assert!(
        samples <= engine::exact::RUN_SAMPLE_BUDGET.max(floor),
        "{samples} per-user samples"
    );

    let s = generated(400, 1);
    let bytes = engine::month_bytes(&s);
    let mut o = SimOptions::new(2_000, 5);
    o.engine = EngineRequest::Fast;
    let r = engine::simulate(&s, &o).unwrap();
    assert!(
        r.samples() * bytes <= engine::DETAIL_BYTES,
        "{} months kept",
        r.samples()
    );
    assert!(r.is_thinned());
    assert!(r.stacks.iter().all(|st| st.stream.count() == 2_000));
}

/// Few requests of thousands of steps each: `auto` once counted request walks only, so 900
/// requests a month of 3,000 steps ran on the exact engine, about 3 × 10⁹ model calls for 1,000
/// trials. Walks and calls together now count, and the fast engine runs. (The deadline only
/// keeps a wrong choice from running for minutes.)
#[test]
fn auto_counts_model_calls_as_well_as_request_walks() {
    let mut t = String::from(
        "name = \"steps\"\n[simulation]\nseed = 3\n[[segment]]\nname = \"g\"\nusers = 10\nsessions_per_user_per_day = 3\n[[workflow]]\nname = \"w\"\n",
    );
    for i in 0..3000 {
        t += &format!(
            "[[workflow.step]]\nname = \"s{i}\"\nroute = \"main\"\ninput_tokens = 1000\noutput_tokens = 100\n"
        );
    }
    t += "[[model]]\nname = \"m\"\ninput_usd_per_mtok = 1\noutput_usd_per_mtok = 2\n";
    t += "[[stack]]\nname = \"s\"\n[stack.route.main]\nchain = [{ model = \"m\" }]\n";
    let s = aicost::model::scenario::from_str("steps.toml", &t)
        .unwrap_or_else(|e| panic!("{e}"))
        .scenario;
    assert!(engine::exact_work_per_trial(&s) * 1000.0 > engine::EXACT_AUTO_MAX_WORK);
    let mut o = SimOptions::new(1000, 5);
    o.deadline = Some(std::time::Instant::now() + std::time::Duration::from_secs(20));
    let r = engine::simulate(&s, &o).unwrap();
    assert_eq!(r.engine.name, "fast", "{}", r.engine.reason);
    assert!(
        r.engine.reason.contains("model calls"),
        "{}",
        r.engine.reason
    );
}

/// `--threads 100000` once started a hundred thousand operating-system threads before any work,
/// and stalled; a thread count past any machine is refused at once, by every command that runs.
#[test]
fn a_thread_count_past_any_machine_is_refused() {
    for cmd in ["simulate", "levers"] {
        aicost()
            .args([cmd, "scenarios/chatbot.toml", "--threads", "100000"])
            .assert()
            .code(2)
            .stderr(contains("at most 1024"));
    }
}
