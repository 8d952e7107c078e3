//! Rate-limit quotas: an office day whose peak minute is known by hand, against a quota of 20
//! calls a minute, throttled minute by minute in the exact engine and sent to the next link,
//! retried or failed as the stack says; the closed form of the month's peak; validation.

mod common;

use aicost::analysis::quota::QuotaReport;
use aicost::analysis::report::{Report, StackReport};
use aicost::model::quota::month_against;
use aicost::sim::engine::{self, SimOptions};
use common::*;

/// 12,000 users with one session a day each: 12,000 requests every day of a 30-day month, each
/// 1,000 input and 200 output tokens, under office hours. Hours 10, 11 and 14 hold 11% of the
/// day (1,320 requests: 22 a minute), hour 15 10.5% (21 a minute), hour 13 10% (20 a minute).
///
/// - `small`: 1,000 × $0.30 + 200 × $1.20 per million: $0.00054 a request.
/// - `large`: 1,000 × $2.50 + 200 × $10 per million: $0.0045 a request.
fn office(quota: &str, throttle: &str) -> String {
    format!(
        r#"
name = "office-quota"
[simulation]
trials = 2
arrivals = "fixed"
{demand}
[[model]]
name = "small"
input_usd_per_mtok = 0.30
output_usd_per_mtok = 1.20
{quota}

[[model]]
name = "large"
input_usd_per_mtok = 2.50
output_usd_per_mtok = 10.00

[[stack]]
name = "fallback"
{throttle}
[stack.route.r]
chain = [{{ model = "small" }}, {{ model = "large" }}]
"#,
        demand = one_call_demand("staff", 12000, 30, "hourly_profile = \"office-hours\"")
    )
}

fn run(text: &str) -> Report {
    report(&scenario(text), 2, 7)
}

/// The office day's only stack, run under `quota` and `throttle`.
fn office_stack(quota: &str, throttle: &str) -> StackReport {
    run(&office(quota, throttle)).stacks.swap_remove(0)
}

/// The quota report a stack must have.
fn quota_of(st: &StackReport) -> &QuotaReport {
    st.quotas.as_ref().expect("a quota report")
}

#[test]
fn the_office_day_s_22_request_minutes_send_2_a_minute_to_the_next_link() {
    // 20 a minute: hours 10, 11 and 14 throttle 2 a minute (360 a day), hour 15 one (60):
    // 420 of 12,000 a day, 3.5%; 12,600 a month go to `large`, which bills them
    // 12,600 × $0.0045 = $56.70. The month: 347,400 × $0.00054 + $56.70 = $244.296.
    let st = office_stack(
        "requests_per_minute = 20",
        "[stack.throttle]\naction = \"next\"",
    );
    let q = quota_of(&st);
    assert_eq!(q.models, vec!["small".to_string()]);
    assert_eq!(q.on_throttle, "next");
    assert_eq!(q.probability_minute_over_quota, 1.0);
    assert!(
        (q.throttled_share - 0.035).abs() < 1e-12,
        "{}",
        q.throttled_share
    );
    assert_eq!(q.throttled_calls_per_month, 12_600.0);
    assert_eq!(q.sent_on_requests_per_month, 12_600.0);
    assert_eq!(
        (q.retried_requests_per_month, q.failed_requests_per_month),
        (0.0, 0.0)
    );
    assert_cents("sent on", q.sent_on_cost_usd, 56.70);
    assert_cents("month", st.monthly_spend_usd.mean, 244.296);
    // The closed form says the same of the month's 30 days.
    let s = scenario(&office("requests_per_minute = 20", ""));
    let f = month_against(&s.segments[0].within_day, &[12_000.0; 30], 20.0, true);
    assert!((f.throttled - 12_600.0).abs() < 1e-6, "{}", f.throttled);
    assert_eq!(f.peak_probability, 1.0);
}

#[test]
fn a_token_quota_of_20_requests_worth_throttles_the_same_minutes() {
    // 1,200 tokens a request: 24,000 a minute is spent by the minute's 20th call.
    let st = office_stack(
        "tokens_per_minute = 24000",
        "[stack.throttle]\naction = \"next\"",
    );
    let q = quota_of(&st);
    assert_eq!(q.throttled_calls_per_month, 12_600.0);
    assert_cents("sent on", q.sent_on_cost_usd, 56.70);
}

#[test]
fn retried_after_two_hours_every_throttled_call_finds_room() {
    // 21 a minute: hours 10, 11 and 14 throttle one a minute (180 a day). Retried two hours
    // later they land in hours 12 (16 a minute), 13 (20) and 16 (18): room for each. Nothing
    // fails, the month costs 360,000 × $0.00054 = $194.40, and each retried request waits
    // 7,200 s more.
    let st = office_stack(
        "requests_per_minute = 21",
        "[stack.throttle]\naction = \"retry\"\nretry_after_s = 7200\nmax_tries = 3",
    );
    let q = quota_of(&st);
    assert_eq!(q.on_throttle, "retry");
    assert_eq!(q.retried_requests_per_month, 5_400.0);
    assert_eq!(q.failed_requests_per_month, 0.0);
    assert_eq!(q.sent_on_requests_per_month, 0.0);
    assert!((q.throttled_share - 0.015).abs() < 1e-12);
    assert_eq!(q.mean_retry_delay_s, Some(7_200.0));
    assert_cents("month", st.monthly_spend_usd.mean, 194.40);
}

#[test]
fn one_try_fails_every_throttled_request() {
    // max_tries = 1: the 420 throttled requests of each day fail, billed nothing.
    let st = office_stack(
        "requests_per_minute = 20",
        "[stack.throttle]\nmax_tries = 1",
    );
    let q = quota_of(&st);
    assert_eq!(q.failed_requests_per_month, 12_600.0);
    assert_eq!(q.retried_requests_per_month, 0.0);
    let accepted = st.acceptance_rate.expect("an acceptance rate");
    assert!((accepted - 0.965).abs() < 1e-12, "{accepted}");
    assert_cents("month", st.monthly_spend_usd.mean, 347_400.0 * 0.00054);
}

#[test]
fn the_fast_engine_declines_quotas_and_auto_runs_the_exact_one() {
    let text = office("requests_per_minute = 20", "").replace("\"fixed\"", "\"poisson\"");
    let s = scenario(&text);
    let mut opts = SimOptions::new(2, 1);
    opts.engine = engine::EngineRequest::Fast;
    let e = engine::simulate(&s, &opts)
        .expect_err("declined")
        .to_string();
    assert!(e.contains("rate-limit quotas"), "{e}");
    opts.engine = engine::EngineRequest::Auto;
    let r = engine::simulate(&s, &opts).expect("runs");
    assert_eq!(r.engine.name, "exact");
}

#[test]
fn without_a_quota_there_is_no_quota_report() {
    let r = run(&office("", ""));
    assert!(r.stacks[0].quotas.is_none());
    let json = serde_json::to_value(&r).expect("JSON");
    assert!(json["stacks"][0].get("quotas").is_none());
}

fn invalid(text: &str) -> String {
    match aicost::model::scenario::from_str("test.toml", text) {
        Ok(_) => panic!("should be invalid"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn quota_mistakes_are_located_with_a_fix() {
    let e = invalid(&office("requests_per_minute = 0", ""));
    assert!(e.contains("`requests_per_minute` must be above 0"), "{e}");
    assert!(e.contains("test.toml:"), "{e}");
    let e = invalid(&office("", "[stack.throttle]\naction = \"nxt\""));
    assert!(e.contains("unknown throttle `action` `nxt`"), "{e}");
    assert!(e.contains("did you mean `next`?"), "{e}");
    let e = invalid(&office("", "[stack.throttle]\nmax_tries = 0"));
    assert!(
        e.contains("`max_tries` must be a whole number from 1 to 100"),
        "{e}"
    );
    let e = invalid(&office(
        "",
        "[stack.throttle]\naction = \"next\"\nretry_after_s = 5",
    ));
    assert!(e.contains("has no effect with `action = \"next\"`"), "{e}");
    let e = invalid(&office("request_per_minute = 20", ""));
    assert!(e.contains("did you mean `requests_per_minute`?"), "{e}");
}

#[test]
fn the_table_and_the_brief_show_the_quota_figures() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let path = dir.path().join("office.toml");
    let text = office(
        "requests_per_minute = 20",
        "[stack.throttle]\naction = \"next\"",
    );
    std::fs::write(&path, text).expect("written");
    let run = |format: &str| {
        let out = assert_cmd::cargo::cargo_bin_cmd!("aicost")
            .env("NO_COLOR", "1")
            .args([
                "simulate",
                path.to_str().unwrap(),
                "-n",
                "2",
                "--format",
                format,
            ])
            .output()
            .expect("runs");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).expect("UTF-8")
    };
    let table = run("table");
    assert!(table.contains("Months with a minute over quota"), "{table}");
    assert!(table.contains("0 / 0 / 12,600"), "{table}");
    assert!(table.contains("$56.70"), "{table}");
    let brief = run("markdown");
    assert!(brief.contains("Rate limits"), "{brief}");
    assert!(
        brief.contains("sent to the next model of the chain"),
        "{brief}"
    );
    let json: serde_json::Value = serde_json::from_str(&run("json")).expect("JSON");
    let q = &json["stacks"][0]["quotas"];
    assert_eq!(q["sent_on_requests_per_month"], 12_600.0);
    assert_eq!(q["on_throttle"], "next");
}

#[test]
fn the_estimate_gives_the_closed_form_of_the_month_s_minutes() {
    // Fixed arrivals: the office month's 12,600 calls over 20 a minute, 3.5% of `small`'s.
    let e = aicost::sim::estimate::estimate(&scenario(&office("requests_per_minute = 20", "")));
    let q = &e.stacks[0].quotas[0];
    assert_eq!(q.model, "small");
    assert!(
        (q.throttled_calls - 12_600.0).abs() < 1e-6,
        "{}",
        q.throttled_calls
    );
    assert!((q.throttled_share - 0.035).abs() < 1e-9);
    assert_eq!(q.peak_probability, 1.0);
    assert!(!e.approximations.is_empty());
    // Poisson arrivals (no user variability, one request a session): each minute's calls are
    // Poisson and independent of the other minutes', which is the closed form's model, so the
    // simulation agrees within its own standard errors and no slack is added. With `next`, a
    // throttled call is not tried again on `small`: first tries only.
    let trials = 40;
    let poisson = |quota: &str| {
        let text = office(quota, "[stack.throttle]\naction = \"next\"")
            .replace("\"fixed\"", "\"poisson\"");
        let s = scenario(&text);
        let q = aicost::sim::estimate::estimate(&s).stacks[0].quotas[0].clone();
        let r = report(&s, trials, 11);
        (q, r.stacks[0].quotas.clone().expect("a quota report"))
    };
    // Over 41 calls: P(some minute of the month) ≈ 0.45, a binomial share of 40 months.
    let (q, sim) = poisson("requests_per_minute = 41");
    let p = q.peak_probability;
    assert!((0.2..0.8).contains(&p), "{p}");
    let se = (p * (1.0 - p) / trials as f64).sqrt();
    assert!(
        (sim.probability_minute_over_quota - p).abs() < 4.0 * se,
        "{} vs {p} (se {se})",
        sim.probability_minute_over_quota
    );
    // Over 30 calls: a month's throttled calls are Σ over its minutes of (N − 30)⁺, whose
    // variance is Σ Var[(N − 30)⁺] (N Poisson of the minute's rate), summed by hand here; the
    // mean of 40 months has a fortieth of it. (Not the Poisson √mean: an overflow that
    // happens is often more than one call.)
    let (q, sim) = poisson("requests_per_minute = 30");
    let w = aicost::model::within_day::WithinDay {
        shares: aicost::model::within_day::shares(
            &aicost::model::within_day::profile("office-hours").expect("a profile"),
        )
        .expect("shares"),
        burstiness: 0.0,
    };
    let day = 12_000.0;
    let month_var: f64 = (0..24)
        .map(|h| 30.0 * 60.0 * overflow_variance(w.minute_rate(day, h), 30.0))
        .sum();
    let se = (month_var / trials as f64).sqrt();
    let (expected, got) = (q.throttled_calls, sim.throttled_calls_per_month);
    assert!(
        (got - expected).abs() < 4.0 * se,
        "{got} vs {expected} (se {se})"
    );
}

/// Var[(N − q)⁺] for N Poisson of mean `lambda`.
fn overflow_variance(lambda: f64, q: f64) -> f64 {
    let (mut pmf, mut m1, mut m2) = ((-lambda).exp(), 0.0, 0.0);
    for k in 0..1_000 {
        let over = (f64::from(k) - q).max(0.0);
        m1 += pmf * over;
        m2 += pmf * over * over;
        pmf *= lambda / f64::from(k + 1);
    }
    m2 - m1 * m1
}

#[test]
fn the_shipped_azure_scenario_throttles_at_its_morning_peak() {
    // 100,000 tokens a minute against a 10:00 peak of about 90,000 with bursty minutes: some
    // minute of every month goes over; the spill stack sends those calls to the global
    // deployment and pays for them there, the retry stack retries and fails some.
    let text = std::fs::read_to_string("scenarios/azure-office-quota.toml").expect("shipped");
    let s = scenario(&text);
    let r = report(&s, 4, 1);
    let (spill, retry) = (quota_of(&r.stacks[0]), quota_of(&r.stacks[1]));
    assert_eq!(spill.probability_minute_over_quota, 1.0);
    assert!(
        (0.005..0.2).contains(&spill.throttled_share),
        "{}",
        spill.throttled_share
    );
    assert!(spill.sent_on_requests_per_month > 0.0 && spill.sent_on_cost_usd > 0.0);
    assert_eq!(spill.failed_requests_per_month, 0.0);
    assert!(retry.retried_requests_per_month > 0.0 && retry.failed_requests_per_month > 0.0);
    assert_eq!(retry.sent_on_requests_per_month, 0.0);
}

/// 2,400 requests every day, three quarters of them from 10:00 (30 a minute) and a quarter from
/// 11:00 (10 a minute), each 1,000 input and 200 output tokens on one model whose calls take
/// 500 ms to the first token and 200 tokens at 100 a second: 2,500 ms.
fn two_hours(quota: &str) -> String {
    format!(
        r#"
name = "latency-quota"
[simulation]
trials = 2
arrivals = "fixed"
{demand}
[[model]]
name = "small"
input_usd_per_mtok = 0.30
output_usd_per_mtok = 1.20
latency = {{ first_token_ms = 500, output_tokens_per_s = 100 }}
{quota}

[[stack]]
name = "retry"
[stack.throttle]
action = "retry"
retry_after_s = 3600
max_tries = 2
[stack.route.r]
chain = [{{ model = "small" }}]
"#,
        demand = one_call_demand(
            "staff",
            2400,
            30,
            "hourly_weights = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 3, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]"
        )
    )
}

#[test]
fn a_retried_request_carries_its_throttle_delay_in_its_latency() {
    // Without a quota every request takes 2,500 ms.
    let r = run(&two_hours(""));
    let l = &r.stacks[0].latency[0];
    assert_eq!((l.p50_ms, l.p95_ms), (2_500.0, 2_500.0));
    // 20 a minute: each minute from 10:00 throttles 10 of its 30 requests, a quarter of the
    // day's. Retried 3,600 s later they land in the same minute of the hour from 11:00, whose
    // 10 requests leave room for exactly 10 more: every retry goes through. A quarter of the
    // requests (more than 5%, fewer than half) take 2,500 + 3,600,000 ms; the rest 2,500 ms.
    let r = run(&two_hours("requests_per_minute = 20"));
    let st = &r.stacks[0];
    let q = quota_of(st);
    assert!(
        (q.throttled_share - 0.25).abs() < 1e-12,
        "{}",
        q.throttled_share
    );
    assert_eq!(q.retried_requests_per_month, 18_000.0);
    assert_eq!(q.failed_requests_per_month, 0.0);
    assert_eq!(q.mean_retry_delay_s, Some(3_600.0));
    let l = &st.latency[0];
    assert_eq!(l.p50_ms, 2_500.0);
    assert_eq!(l.p95_ms, 3_602_500.0);
    assert_eq!(l.p99_ms, 3_602_500.0);
}

/// A burstiness above 0 but too small to draw (the minute's Gamma shape 1/b² overflows) is a
/// located mistake, not a panic or a month of requests in one minute.
#[test]
fn a_burstiness_too_small_to_draw_is_refused_where_it_is() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_aicost"))
        .args([
            "simulate",
            "scenarios/azure-office-quota.toml",
            "--trials",
            "2",
        ])
        .args(["--set", "segment.employees.burstiness=1e-200"])
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("is above 0 but below 0.01"), "{err}");
    assert!(err.contains("use 0 for steady (Poisson) arrivals"), "{err}");
}
