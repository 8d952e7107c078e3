//! The fast engine against the exact engine on reference scenarios small enough to simulate
//! request by request: the means agree within 4 combined standard errors, p95 and p99 within 4
//! standard errors of their paired difference, and a two-sample Kolmogorov–Smirnov test on
//! monthly spend does not reject at α = 0.01.
//!
//! The mean and KS comparisons use independent runs (different seeds). Percentiles are compared
//! on runs with the same seed, which share every trial's parameter draws (head-count, rates,
//! prices) but not the draws within the month (each engine draws its own traffic), so the paired
//! difference of a p99 still has sampling noise, larger where the parameters are uncertain. Its
//! standard error is estimated by a bootstrap over trials (the same resampled trials for both
//! engines, so the pairing is kept; fixed seed), and the engines must agree within 4 of them, the
//! tolerance this project uses for every stochastic figure: about 20 percentile comparisons run
//! here, so a false alarm has odds of about 1 in 800 (two-sided 6·10⁻⁵ each). So that the bound
//! keeps its teeth, the standard error must itself be under 2% of the percentile, so a bias of
//! 8% is always caught (the SE is 0.25–0.85% on the fixed-parameter scenarios, about 1–1.5% on
//! `uncertain_parameters`, whose head-count and rates vary trial to trial).

mod common;

use aicost::model::Scenario;
use aicost::sim::engine::{self, EngineRequest, SimOptions, SimResult};
use common::*;

/// Run an engine; the fast engine runs whether or not it vouches for its shape, which is what
/// these tests measure.
fn run(s: &Scenario, engine: EngineRequest, trials: u64, seed: u64) -> SimResult {
    let mut opts = SimOptions::new(trials, seed);
    opts.engine = engine;
    match engine {
        EngineRequest::Fast => engine::simulate_fast(s, &opts, "test".to_string()),
        _ => engine::simulate(s, &opts),
    }
    .expect("simulation runs")
}

fn quantile(sorted: &[f64], p: f64) -> f64 {
    aicost::base::stats::quantile_sorted(sorted, p)
}

/// Two-sample Kolmogorov–Smirnov statistic (amounts equal to the micro-dollar are ties).
fn ks(a: &[f64], b: &[f64]) -> f64 {
    let round = |v: &[f64]| -> Vec<f64> { v.iter().map(|x| (x * 1e6).round() / 1e6).collect() };
    let (a, b) = (
        aicost::base::stats::sorted(&round(a)),
        aicost::base::stats::sorted(&round(b)),
    );
    let (mut i, mut j, mut d) = (0usize, 0usize, 0.0f64);
    while i < a.len() && j < b.len() {
        let x = a[i].min(b[j]);
        while i < a.len() && a[i] <= x {
            i += 1;
        }
        while j < b.len() && b[j] <= x {
            j += 1;
        }
        d = d.max((i as f64 / a.len() as f64 - j as f64 / b.len() as f64).abs());
    }
    d
}

/// The standard error of `quantile(b, p) − quantile(a, p)` for paired samples (`a[i]` and
/// `b[i]` from the same trial): the standard deviation of that difference over 1,000 bootstrap
/// resamples of the trials, each resample the same trials for both. The resampling generator is
/// SplitMix64 with a fixed seed, so the bound is the same on every run.
fn paired_quantile_se(a: &[f64], b: &[f64], p: f64) -> f64 {
    assert_eq!(a.len(), b.len());
    let n = a.len();
    let mut state = 0x0b00_7574_7261_7000_u64;
    let mut next = || {
        state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        ((z ^ (z >> 31)) % n as u64) as usize
    };
    let (mut ra, mut rb) = (vec![0.0; n], vec![0.0; n]);
    let diffs: Vec<f64> = (0..1000)
        .map(|_| {
            for (x, y) in ra.iter_mut().zip(rb.iter_mut()) {
                let i = next();
                (*x, *y) = (a[i], b[i]);
            }
            ra.sort_by(f64::total_cmp);
            rb.sort_by(f64::total_cmp);
            quantile(&rb, p) - quantile(&ra, p)
        })
        .collect();
    aicost::base::stats::sd(&diffs)
}

/// Compare the engines on every stack; returns a description of each check for messages.
fn compare(name: &str, text: &str, exact_trials: u64, fast_trials: u64) {
    let s = scenario(text);
    let exact = run(&s, EngineRequest::Exact, exact_trials, 11);
    let fast = run(&s, EngineRequest::Fast, fast_trials, 12);
    let paired = run(&s, EngineRequest::Fast, exact_trials, 11);
    assert_eq!(fast.engine.name, "fast");
    for ((e, f), pair) in exact.stacks.iter().zip(&fast.stacks).zip(&paired.stacks) {
        let (me, se_e) = mean_se(&e.spend);
        let (mf, se_f) = mean_se(&f.spend);
        let combined = (se_e * se_e + se_f * se_f).sqrt();
        let (se, sf) = (
            aicost::base::stats::sorted(&e.spend),
            aicost::base::stats::sorted(&pair.spend),
        );
        let d = ks(&e.spend, &f.spend);
        let (n, m) = (e.spend.len() as f64, f.spend.len() as f64);
        // α = 0.01: c(α) = sqrt(−ln(α/2)/2) = 1.628.
        let critical = 1.628 * ((n + m) / (n * m)).sqrt();
        let report = format!(
            "{name}/{}: mean {me:.2} vs {mf:.2} ({:.2} combined SE); p95 {:.2} vs {:.2}; p99 {:.2} vs {:.2}; KS {d:.4} (critical {critical:.4})",
            e.name,
            (mf - me) / combined,
            quantile(&se, 0.95),
            quantile(&sf, 0.95),
            quantile(&se, 0.99),
            quantile(&sf, 0.99),
        );
        println!("{report}");
        assert!((mf - me).abs() <= 4.0 * combined, "mean: {report}");
        for p in [0.95, 0.99] {
            let (qe, qf) = (quantile(&se, p), quantile(&sf, p));
            let paired_se = paired_quantile_se(&e.spend, &pair.spend, p);
            let pct = p * 100.0;
            println!(
                "{name}/{}: p{pct} differs by {:.3}% ({:.2} paired SE of {:.3}%)",
                e.name,
                100.0 * (qf - qe) / qe,
                (qf - qe) / paired_se,
                100.0 * paired_se / qe
            );
            assert!(
                paired_se <= 0.02 * qe.abs(),
                "p{pct} SE {paired_se}: {report}"
            );
            assert!((qf - qe).abs() <= 4.0 * paired_se, "p{pct}: {report}");
        }
        assert!(d < critical, "KS: {report}");
    }
}

const MODELS: &str = r#"
[[model]]
name = "small"
provider = "openai"
input_usd_per_mtok = 0.40
output_usd_per_mtok = 1.60
cached_input_usd_per_mtok = 0.10
min_cacheable_tokens = 1024

[[model]]
name = "large"
provider = "anthropic"
input_usd_per_mtok = 3.00
output_usd_per_mtok = 15.00
cached_input_usd_per_mtok = 0.30
cache_write_usd_per_mtok = 3.75
min_cacheable_tokens = 1024
"#;

const STACKS: &str = r#"
[[stack]]
name = "small-first"
[stack.route.main]
chain = [
  { model = "small", validation_failure_rate = 0.15, max_attempts = 2, escalation_rate = 0.05 },
  { model = "large", validation_failure_rate = 0.04, max_attempts = 2 },
]

[[stack]]
name = "large"
[stack.route.main]
chain = [{ model = "large", validation_failure_rate = 0.04, max_attempts = 3 }]
"#;

/// One plan per provider, so a contract covers exactly one of them.
const SINGLE_STACKS: &str = r#"
[[stack]]
name = "small"
[stack.route.main]
chain = [{ model = "small", validation_failure_rate = 0.15, max_attempts = 2 }]

[[stack]]
name = "large"
[stack.route.main]
chain = [{ model = "large", validation_failure_rate = 0.04, max_attempts = 3 }]
"#;

fn scenario_text(budget: &str, segment: &str, step: &str, extra: &str) -> String {
    format!(
        r#"
name = "reference"
{budget}
[[segment]]
name = "users"
{segment}

[[workflow]]
name = "w"
requests_per_session = {{ dist = "poisson", mean = 2 }}

[[workflow.step]]
name = "answer"
route = "main"
{step}
{MODELS}
{STACKS}
{extra}
"#
    )
}

const SEGMENT: &str =
    "users = 300\nsessions_per_user_per_day = 0.4\nuser_variability = 0.8\nweekend_factor = 0.5";

#[test]
fn retries_and_escalation() {
    let step = "static_prefix_tokens = 2000\ninput_tokens = { p50 = 800, p95 = 2500 }\noutput_tokens = { p50 = 250, p95 = 700 }\nmax_output_tokens = 900\ncache_hit_rate = 0.7";
    compare("retries", &scenario_text("", SEGMENT, step, ""), 3000, 6000);
}

/// Request costs with skewness above 25 (lognormal tokens with p95 ten times p50) over about
/// 6,000 requests a month: a monthly skewness above 0.3, where the fast engine does not vouch
/// for its shape (`--engine fast` refuses it). Its percentiles still agree within 4 paired SE here.
#[test]
fn heavy_tailed_tokens() {
    let step =
        "input_tokens = { p50 = 600, p95 = 6000 }\noutput_tokens = { p50 = 200, p95 = 2000 }";
    let text = scenario_text("", SEGMENT, step, "");
    let s = scenario(&text);
    let refused = engine::simulate(&s, &{
        let mut o = SimOptions::new(10, 1);
        o.engine = EngineRequest::Fast;
        o
    });
    assert!(
        matches!(
            &refused,
            Err(aicost::base::error::Error::Usage(u))
                if matches!(u.kind, aicost::base::error::UsageKind::FastCannotVouch { .. })
        ),
        "{refused:?}"
    );
    compare("heavy tails", &text, 3000, 6000);
}

#[test]
fn uncertain_parameters() {
    let segment = "users = { low = 200, high = 400 }\nsessions_per_user_per_day = { dist = \"gamma\", mean = 0.4, cv = 0.2 }\nuser_variability = 0.8";
    let step = "static_prefix_tokens = 2000\ninput_tokens = { p50 = 800, p95 = 2500 }\noutput_tokens = { p50 = 250, p95 = 700 }\ncache_hit_rate = { dist = \"uniform\", min = 0.4, max = 0.9 }";
    compare(
        "uncertain",
        &scenario_text("", segment, step, ""),
        3000,
        6000,
    );
}

#[test]
fn hard_cap_and_contract() {
    // The large model's usage is $49.5 ± 2.6 a month at list price. A $40 commitment at 20% off
    // covers $50 of it, so it is under-used in about half the months and over-used (at list
    // price) in the others; the $44 cap binds in a few percent of months.
    let budget = "[budget]\nmonthly_usd = 42\nhard_cap_usd = 44";
    let step = "input_tokens = { p50 = 800, p95 = 2500 }\noutput_tokens = { p50 = 250, p95 = 700 }";
    let contract = "[[contract]]\nprovider = \"anthropic\"\ncommitted_monthly_usd = 40\ndiscount = 0.2\noverage = \"list\"";
    let text = scenario_text(budget, SEGMENT, step, contract).replace(STACKS, SINGLE_STACKS);
    let s = scenario(&text);
    let exact = run(&s, EngineRequest::Exact, 1000, 3);
    let large = &exact.stacks[1];
    let under = large.contracts[0]
        .unused
        .iter()
        .filter(|u| **u > 0.0)
        .count();
    let capped = large.cap_hit_day.iter().filter(|d| d.is_some()).count();
    assert!(
        under > 200 && under < 800,
        "under-used in {under} of 1000 months"
    );
    assert!(
        capped > 5 && capped < 200,
        "capped in {capped} of 1000 months"
    );
    compare("cap+contract", &text, 3000, 6000);
}

#[test]
fn volume_tiers_and_incidents() {
    // The large model crosses a volume tier about mid-month; a runaway loop runs every request
    // four times for two days in 30% of months.
    let step = "static_prefix_tokens = 2000\ninput_tokens = { p50 = 800, p95 = 2500 }\noutput_tokens = { p50 = 250, p95 = 700 }\nmax_output_tokens = 900\ncache_hit_rate = 0.7";
    let text = scenario_text(
        "",
        SEGMENT,
        step,
        "[[incident]]\nname = \"loop\"\nmonthly_probability = 0.3\nmultiplier = 4\nduration_hours = 48",
    )
    .replace(
        "cache_write_usd_per_mtok = 3.75\nmin_cacheable_tokens = 1024",
        "cache_write_usd_per_mtok = 3.75\nmin_cacheable_tokens = 1024\nvolume_tiers = [{ above_mtok = 10, discount = 0.1 }, { above_mtok = 20, discount = 0.2 }]",
    );
    compare("tiers+incident", &text, 3000, 6000);
}

/// A volume tier crossed on the day the hard cap binds lowers the price of the rest of that day,
/// so the share of the day that fits under the cap is not proportional to its cost: the fast
/// engine must still never bill past the cap.
#[test]
fn the_fast_engine_never_bills_past_the_cap_when_a_tier_is_crossed_that_day() {
    let text = r#"
name = "capped-tiers"
[budget]
monthly_usd = 100
hard_cap_usd = 120
[[segment]]
name = "s"
users = 2000
sessions_per_user_per_day = 1
[[workflow]]
name = "w"
[[workflow.step]]
name = "call"
route = "r"
input_tokens = { p50 = 1000, p95 = 3000 }
[[model]]
name = "m"
input_usd_per_mtok = 2
output_usd_per_mtok = 2
volume_tiers = [{ above_mtok = 60, discount = 0.2 }]
[[stack]]
name = "only"
[stack.route.r]
chain = [{ model = "m" }]
"#;
    let s = scenario(text);
    let fast = run(&s, EngineRequest::Fast, 4000, 3);
    let spend = &fast.stacks[0].spend;
    let capped = fast.stacks[0].cap_hit_day.iter().flatten().count();
    assert!(capped > 3900, "the cap binds in {capped} of 4000 months");
    let max = spend.iter().copied().fold(f64::MIN, f64::max);
    assert!(max <= 120.0, "a month billed {max} past the $120 cap");
    // The refused request leaves a gap of about half a request's cost, not more.
    let mean = spend.iter().sum::<f64>() / spend.len() as f64;
    assert!(mean > 119.99, "{mean}");
}

/// 100,000 requests a month in one workflow and about 100 in another: too few for the fast
/// engine's limiting shape. Auto simulates every request while that is quick, and past a few
/// minutes of work runs the fast engine with a warning instead of for hours.
#[test]
fn auto_runs_the_fast_engine_with_a_warning_when_exact_would_take_hours() {
    let text = r#"
name = "mostly-large"
[[segment]]
name = "s"
users = 1000
sessions_per_user_per_month = 100
[[workflow]]
name = "chat"
[[workflow.step]]
name = "answer"
route = "r"
input_tokens = { p50 = 800, p95 = 2500 }
output_tokens = { p50 = 200, p95 = 600 }
[[workflow]]
name = "export"
requests_per_session = { dist = "poisson", mean = 0.001 }
[[workflow.step]]
name = "pdf"
route = "r"
input_tokens = 2000
output_tokens = 500
[[model]]
name = "m"
input_usd_per_mtok = 0.4
output_usd_per_mtok = 1.6
[[stack]]
name = "only"
[stack.route.r]
chain = [{ model = "m" }]
"#;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mostly-large.toml");
    std::fs::write(&path, text).unwrap();
    let run = |trials: &str| {
        assert_cmd::cargo::cargo_bin_cmd!("aicost")
            .arg("simulate")
            .arg(&path)
            .args(["-n", trials, "--seed", "1", "--format", "json"])
            .output()
            .unwrap()
    };
    // 300 trials: 3e7 request walks, seconds of exact simulation.
    let out = run("300");
    let v = success_json(&out);
    assert_eq!(v["engine"], "exact");
    assert!(
        v["engine_reason"]
            .as_str()
            .unwrap()
            .contains("approximation does not hold"),
        "{}",
        v["engine_reason"]
    );
    assert!(out.stderr.is_empty());
    // 100,000 trials: 1e10 request walks, hours of exact simulation.
    let out = run("100000");
    let v = success_json(&out);
    assert_eq!(v["engine"], "fast");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("warning: the fast engine's approximation may not hold: workflow `export`"),
        "{stderr}"
    );
    assert!(stderr.contains("--engine exact"), "{stderr}");
}

/// A prompt of `{ p50 = 100, p95 = 100000 }` tokens (a lognormal with σ = 4.2, skewness 3·10¹¹)
/// at 160,000 requests a month, at $2.50 per million input tokens and 100 output tokens at $10:
/// the expected prompt is 100·e^{σ²/2} = 675,739 tokens, so the month is
/// 160,000 × ($1.68935 + $0.001) = $270,455.47. The fast engine keeps that mean (a shape cut at
/// zero once made it millions), refuses `--engine fast` because the closed-form skewness says a
/// month of 160,000 such requests is nowhere near a smooth sum, and so does `auto`, for which the
/// exact engine would take an hour: no figure of the fast engine's but the mean holds there.
///
/// The model has gpt-4o's prices but no input window: gpt-4o's own 128,000-token window would
/// refuse the 4.4% of prompts beyond it (billed nothing) and leave $1,850.50 a month, which is
/// not the tail this test is about.
#[test]
fn a_heavy_tailed_prompt_keeps_its_mean_and_neither_fast_nor_auto_prints_its_spread() {
    let text = r#"
name = "heavy-prompt"
[[segment]]
name = "s"
users = 160000
sessions_per_user_per_month = 1
[[workflow]]
name = "w"
[[workflow.step]]
name = "a"
route = "r"
input_tokens = { p50 = 100, p95 = 100000 }
output_tokens = 100
[[model]]
name = "unbounded"
input_usd_per_mtok = 2.5
output_usd_per_mtok = 10
[[stack]]
name = "only"
[stack.route.r]
chain = [{ model = "unbounded" }]
"#;
    let s = scenario(text);
    let expected = 270_455.47;
    let e = aicost::sim::estimate::estimate(&s);
    assert_cents("estimate", e.stacks[0].monthly_usd, expected);
    // The fast engine's month has the exact mean and variance, so its standard error holds.
    let fast = run(&s, EngineRequest::Fast, 4000, 5);
    let (mean, se) = mean_se(&fast.stacks[0].spend);
    assert_within_se("fast mean", mean, se, expected, 4.0);
    assert!(fast.stacks[0].spend.iter().all(|x| *x >= 0.0));
    let mut opts = SimOptions::new(10_000, 5);
    opts.engine = EngineRequest::Fast;
    match engine::simulate(&s, &opts) {
        Err(aicost::base::error::Error::Usage(u)) => {
            let m = u.to_string();
            assert!(
                matches!(&u.kind, aicost::base::error::UsageKind::FastCannotVouch { why }
                    if why.contains("skewness 3.1e11")),
                "{m}"
            )
        }
        other => panic!("--engine fast should refuse: {other:?}"),
    }
    // `auto`: the exact engine would take 1.6·10⁹ request walks, and the fast engine's month has
    // a skewness of 7.7·10⁸ (3.1·10¹¹/√160,000), its gamma a mass at $0 (it printed a p50 of $0
    // and a p95 of $38 against a mean of $270,000): neither vouches, so it refuses.
    opts.engine = EngineRequest::Auto;
    match engine::simulate(&s, &opts) {
        Err(aicost::base::error::Error::Usage(u)) => {
            let m = u.to_string();
            assert!(
                matches!(&u.kind, aicost::base::error::UsageKind::NoEngineVouches { why, .. }
                    if why.contains("its limiting shape has its mass at $0")),
                "{m}"
            );
            assert!(m.contains("--engine exact"), "{m}");
        }
        other => panic!("auto should refuse: {other:?}"),
    }
    // Through the command line: both exit 2 with the reason and `--engine exact` as the fix.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("heavy.toml");
    std::fs::write(&path, text).unwrap();
    for engine in ["fast", "auto"] {
        let out = assert_cmd::cargo::cargo_bin_cmd!("aicost")
            .arg("simulate")
            .arg(&path)
            .args(["-n", "10000", "--seed", "1", "--engine", engine])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{engine}: {stderr}");
        assert!(out.stdout.is_empty(), "{engine}");
        assert!(
            stderr.contains("cannot vouch") && stderr.contains("--engine exact"),
            "{engine}: {stderr}"
        );
    }
}

/// Mean and standard error over trials of the mean of each trial's `per_trial` values: the users
/// of one trial share its month (the day the cap is reached), so trials are the independent unit.
fn per_trial_mean(values: &[f64], per_trial: usize) -> (f64, f64) {
    let means: Vec<f64> = values
        .chunks(per_trial)
        .map(|c| c.iter().sum::<f64>() / c.len() as f64)
        .collect();
    mean_se(&means)
}

/// A segment's cost per user on both engines (`users` of them a trial): the same mean within 4
/// standard errors, and a p50, p95 and p99 within `tolerance` of the exact engine's.
fn assert_user_costs_agree(what: &str, exact: &[f64], fast: &[f64], users: usize, tolerance: f64) {
    let (me, se_e) = per_trial_mean(exact, users);
    let (mf, se_f) = per_trial_mean(fast, users);
    assert_within_se(
        &format!("{what}: fast cost per user"),
        mf,
        (se_e * se_e + se_f * se_f).sqrt(),
        me,
        4.0,
    );
    let (se, sf) = (
        aicost::base::stats::sorted(exact),
        aicost::base::stats::sorted(fast),
    );
    for p in [0.5, 0.95, 0.99] {
        let (qe, qf) = (quantile(&se, p), quantile(&sf, p));
        assert!(
            (qf - qe).abs() <= tolerance * qe,
            "{what}: p{}: exact {qe:.5}, fast {qf:.5}",
            p * 100.0
        );
    }
}

/// A hard cap reached mid-month refuses the rest of the month for every segment alike: within a
/// day, sessions arrive in random order (in segment order, the first segment was served first on
/// the day the cap is reached, its users 3% dearer than the second's identical users). A user's
/// cost under the cap is what their sessions on served days cost, so its spread is that of half a
/// month's sessions; scaling a whole month down by the served share made the fast engine's p99
/// 10–20% too low.
#[test]
fn a_cap_reached_mid_month_refuses_every_segment_and_user_alike_on_both_engines() {
    // 300 users × 12 sessions × 2 requests at about $0.0076 (the large model: input mean
    // 800·e^(σ²/2) = 1,017 tokens at $3, output 304 at $15 per million): about $55 of demand a
    // month, so that a $27 cap is reached about mid-month.
    let segment = |name: &str| {
        format!(
            "[[segment]]\nname = \"{name}\"\nusers = 150\nsessions_per_user_per_month = 12\nuser_variability = 0.3\n"
        )
    };
    let text = format!(
        r#"
name = "cap"
[budget]
monthly_usd = 25
hard_cap_usd = 27

{}
{}
[[workflow]]
name = "w"
requests_per_session = {{ dist = "poisson", mean = 2 }}

[[workflow.step]]
name = "answer"
route = "main"
input_tokens = {{ p50 = 800, p95 = 2500 }}
output_tokens = {{ p50 = 250, p95 = 700 }}
{MODELS}
[[stack]]
name = "large"
[stack.route.main]
chain = [{{ model = "large" }}]
"#,
        segment("a"),
        segment("b")
    );
    let s = scenario(&text);
    let trials = 400;
    let exact = run(&s, EngineRequest::Exact, trials, 5);
    let fast = run(&s, EngineRequest::Fast, trials, 6);
    let capped = exact.stacks[0]
        .cap_hit_day
        .iter()
        .filter(|d| d.is_some_and(|d| (10..=20).contains(&d)))
        .count();
    assert!(
        capped > trials as usize * 9 / 10,
        "cap reached mid-month in {capped} of {trials} months"
    );
    let users = 150;
    let (e, f) = (&exact.stacks[0].user_costs, &fast.stacks[0].user_costs);
    assert_eq!(e[0].len(), users * trials as usize);
    assert_eq!(f[0].len(), users * trials as usize);
    // The same users in two segments: the same cost, trial by trial, on the exact engine.
    let diff: Vec<f64> = e[0].iter().zip(&e[1]).map(|(a, b)| a - b).collect();
    let (d, se) = per_trial_mean(&diff, users);
    assert_within_se("exact: segment a less segment b per user", d, se, 0.0, 4.0);
    for seg in 0..2 {
        // Exact in mean (independent runs); the spread within the documented 5% of the
        // per-user percentiles.
        let what = format!("segment {seg}");
        assert_user_costs_agree(&what, &e[seg], &f[seg], users, 0.05);
    }
}

/// An incident runs every request of its 120 hours eight times, and each run walks the chain
/// again: half the calls of `small` fail validation (up to three attempts, then `large`), so one
/// run may cost a call and the next four. Sampled users' repeats are requests of their own, as
/// the exact engine's are; eight copies of one request made the fast engine's p99 of a user's
/// month 13% too high and its p50 7% too low.
#[test]
fn an_incidents_repeats_of_a_users_request_are_requests_of_their_own() {
    let text = format!(
        r#"
name = "repeats"
[[segment]]
name = "a"
users = 300
sessions_per_user_per_month = 12
user_variability = 0.3

[[workflow]]
name = "w"
requests_per_session = {{ dist = "poisson", mean = 2 }}

[[workflow.step]]
name = "answer"
route = "main"
input_tokens = 1000
output_tokens = 300
{MODELS}
[[stack]]
name = "retrying"
[stack.route.main]
chain = [{{ model = "small", validation_failure_rate = 0.5, max_attempts = 3 }}, {{ model = "large" }}]

[[incident]]
name = "loop"
monthly_probability = 1
multiplier = 8
duration_hours = 120
"#
    );
    let s = scenario(&text);
    let trials = 400;
    let exact = run(&s, EngineRequest::Exact, trials, 5);
    let fast = run(&s, EngineRequest::Fast, trials, 6);
    let (e, f) = (
        &exact.stacks[0].user_costs[0],
        &fast.stacks[0].user_costs[0],
    );
    assert_user_costs_agree("the segment", e, f, 300, 0.03);
}

/// The text of a scenario whose one segment runs three workflows, each with a heavy-tailed prompt,
/// and an incident that repeats every request of its 96 hours seven times.
const SHARED_INCIDENT: &str = r#"
name = "shared-incident"
[[segment]]
name = "a"
users = 300
sessions_per_user_per_month = 12

[[incident]]
name = "loop"
monthly_probability = 1
multiplier = 7
duration_hours = 96
"#;

/// A session in an incident's window has every workflow it triggers repeated, so a user whose
/// sessions fall there pays the multiplier on all of them: the exact engine simulates the
/// session on one day. Each repeat resends the same prompt, so a heavy request stays heavy in all
/// seven runs. The fast engine drew a user's sessions again for each workflow, on independent
/// days, which averaged the incident out over three workflows: its p50 of a user's month was 6%
/// above the exact engine's, its p95 13% and its p99 21% below.
#[test]
fn a_sessions_workflows_share_its_day_and_an_incidents_repeats_resend_its_prompt() {
    let workflow = |name: &str| {
        format!(
            "[[workflow]]\nname = \"{name}\"\nrequests_per_session = {{ dist = \"poisson\", mean = 1.3 }}\n\n[[workflow.step]]\nname = \"answer\"\nroute = \"main\"\ninput_tokens = {{ p50 = 800, p95 = 6000 }}\noutput_tokens = {{ p50 = 150, p95 = 400 }}\n"
        )
    };
    let text = format!(
        "{SHARED_INCIDENT}\n{}\n{}\n{}\n{MODELS}\n[[stack]]\nname = \"large\"\n[stack.route.main]\nchain = [{{ model = \"large\" }}]\n",
        workflow("w0"),
        workflow("w1"),
        workflow("w2"),
    );
    let s = scenario(&text);
    let trials = 300;
    let exact = run(&s, EngineRequest::Exact, trials, 5);
    let fast = run(&s, EngineRequest::Fast, trials, 6);
    let (e, f) = (
        &exact.stacks[0].user_costs[0],
        &fast.stacks[0].user_costs[0],
    );
    // The documented per-user tolerance: 5% of each percentile.
    assert_user_costs_agree("the segment", e, f, 300, 0.05);
}

/// The gap a hard cap leaves: the month's spend crosses the cap inside a request, hit in
/// proportion to its cost, and the request that does not fit is refused, so the gap below the cap
/// is a renewal process's undershoot, of mean `E[X²] / (2·E[X])` for a request cost `X`. Prompts
/// of 100 or 10,000 tokens (90% and 10%) and one output token at $10 per million:
/// `E[X] = $0.01091`, `E[X²] = 10⁻¹⁰ · (0.9·101² + 0.1·10,001²) = 0.0010011181`, so the gap is
/// $0.045881 and a capped month $49.954119. Drawn as half an average request ($0.005455) the fast
/// engine's month was $49.994545 and its spread a tenth of the exact engine's.
#[test]
fn a_hard_cap_leaves_the_gap_of_a_request_drawn_in_proportion_to_its_cost() {
    let text = r#"
name = "gap"
[budget]
monthly_usd = 60
hard_cap_usd = 50
[[segment]]
name = "s"
users = 1000
sessions_per_user_per_month = 10
[[workflow]]
name = "w"
[[workflow.step]]
name = "a"
route = "r"
input_tokens = { dist = "empirical", values = [100, 10000], weights = [0.9, 0.1] }
output_tokens = 1
[[model]]
name = "m"
input_usd_per_mtok = 10
output_usd_per_mtok = 10
[[stack]]
name = "only"
[stack.route.r]
chain = [{ model = "m" }]
"#;
    let s = scenario(text);
    let (mean, second) = (0.01091, 0.001_001_118_1);
    let m = aicost::sim::moments::request_moments(&s, 0, 0, &|p| p.mean());
    assert!((m.mean - mean).abs() < 1e-12 && (m.second - second).abs() < 1e-12);
    let capped = 50.0 - second / (2.0 * mean);
    assert!((capped - 49.954_119).abs() < 1e-6, "{capped}");
    for (engine, seed) in [(EngineRequest::Exact, 3), (EngineRequest::Fast, 4)] {
        let r = run(&s, engine, 400, seed);
        assert!(r.stacks[0].cap_hit_day.iter().all(|d| d.is_some()));
        let (got, se) = mean_se(&r.stacks[0].spend);
        assert_within_se(&format!("{engine:?} capped month"), got, se, capped, 4.0);
        // The gap's spread: E[G²] = E[X³] / (3·E[X]), so its sd is $0.0308 (half an average
        // request drawn uniformly spread $0.0016).
        let third = 1e-15 * (0.9 * 101f64.powi(3) + 0.1 * 10_001f64.powi(3));
        let sd = (third / (3.0 * mean) - (capped - 50.0).powi(2)).sqrt();
        let spread = aicost::base::stats::sd(&r.stacks[0].spend);
        assert!(
            (spread / sd - 1.0).abs() < 0.2,
            "{engine:?}: sd {spread} vs {sd}"
        );
    }
}

/// A commitment on one provider with a chain that falls back to another's model: where the
/// commitment holds the first provider's spend, the month's spread is the fallback model's own
/// usage, which the fast engine draws as a share of the whole workflow (narrower). It does not
/// vouch for that spread: `--engine fast` refuses and `auto` runs the exact engine. With a
/// single-provider chain it vouches.
#[test]
fn a_commitment_beside_a_fallback_to_another_provider_is_not_vouched_for() {
    let text = |fallback: &str| {
        format!(
            r#"
name = "split"
[[segment]]
name = "s"
users = 2000
sessions_per_user_per_month = 10
[[workflow]]
name = "w"
[[workflow.step]]
name = "a"
route = "r"
input_tokens = {{ p50 = 1000, p95 = 3000 }}
output_tokens = 200
[[model]]
name = "first"
provider = "beta"
input_usd_per_mtok = 3
output_usd_per_mtok = 15
[[model]]
name = "fallback"
provider = "{fallback}"
input_usd_per_mtok = 5
output_usd_per_mtok = 20
[[stack]]
name = "only"
[stack.route.r]
chain = [{{ model = "first", validation_failure_rate = 0.05, max_attempts = 1 }}, {{ model = "fallback" }}]
[[contract]]
name = "commit"
provider = "beta"
committed_monthly_usd = 200
discount = 0.2
overage = "list"
"#
        )
    };
    let s = scenario(&text("alpha"));
    let mut opts = SimOptions::new(100, 1);
    opts.engine = EngineRequest::Fast;
    match engine::simulate(&s, &opts) {
        Err(aicost::base::error::Error::Usage(u)) => assert!(
            matches!(&u.kind, aicost::base::error::UsageKind::FastCannotVouch { why }
                if why.contains("contract `commit`")),
            "{u}"
        ),
        other => panic!("--engine fast should refuse: {other:?}"),
    }
    opts.engine = EngineRequest::Auto;
    let r = engine::simulate(&s, &opts).unwrap();
    assert_eq!(r.engine.name, "exact");
    let s = scenario(&text("beta"));
    opts.engine = EngineRequest::Fast;
    assert_eq!(engine::simulate(&s, &opts).unwrap().engine.name, "fast");
}
