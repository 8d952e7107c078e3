//! Deterministic scenarios: nothing is random, so the simulated month must equal hand arithmetic
//! to the cent, in every trial, and must equal `estimate`.

mod common;

use aicost::sim::estimate::estimate;
use common::*;

const MINI: &str = r#"
[[model]]
name = "m"
input_usd_per_mtok = 2.50
output_usd_per_mtok = 10.00
cached_input_usd_per_mtok = 0.25
cache_write_usd_per_mtok = 3.125
min_cacheable_tokens = 1024
batch_discount = 0.5
long_context = { above_input_tokens = 128000, input_usd_per_mtok = 5.00, output_usd_per_mtok = 15.00 }
"#;

const ONE_MODEL: &str = r#"
[[stack]]
name = "only"
[stack.route.r]
chain = [{ model = "m" }]
"#;

/// Simulate and check: every trial costs exactly `expected`, and so does the estimate.
fn check(text: &str, expected: f64) {
    let s = scenario(text);
    assert!(s.is_deterministic(), "the scenario should be deterministic");
    let r = simulate(&s, 3, 1);
    for (t, spend) in r.stacks[0].spend.iter().enumerate() {
        assert_cents(&format!("trial {t}"), *spend, expected);
    }
    let e = estimate(&s);
    assert!(e.approximations.is_empty(), "{:?}", e.approximations);
    assert_cents("estimate", e.stacks[0].monthly_usd, expected);
}

#[test]
fn chatbot_costs_exactly_11_500_dollars() {
    // 500,000 sessions × 8 messages × (350 × $2.50 + 200 × $10) / 10^6 = $11,500.
    let text = std::fs::read_to_string("scenarios/chatbot.toml")
        .unwrap()
        .replace("seed = 11", "seed = 11\narrivals = \"fixed\"")
        .replace("user_variability = 1.0", "user_variability = 0")
        .replace("{ dist = \"lognormal\", mean = 350, sd = 150 }", "350")
        .replace("{ dist = \"lognormal\", mean = 200, sd = 90 }", "200");
    let s = scenario(&text);
    assert!(s.is_deterministic());
    let r = simulate(&s, 2, 5);
    assert_eq!(r.stacks[0].name, "gpt-4o");
    for spend in &r.stacks[0].spend {
        assert_cents("gpt-4o month", *spend, 11_500.0);
    }
    assert_eq!(r.stacks[0].requests, vec![4_000_000.0, 4_000_000.0]);
    // gpt-4.1-mini: 4M × (350 × 0.40 + 200 × 1.60) / 10^6 = $1,840; gpt-4o-mini: $690.
    assert_cents("gpt-4.1-mini", r.stacks[1].spend[0], 1_840.0);
    assert_cents("gpt-4o-mini", r.stacks[2].spend[0], 690.0);
    let e = estimate(&s);
    assert_cents("estimate", e.stacks[0].monthly_usd, 11_500.0);
}

#[test]
fn the_shipped_chatbot_has_an_expected_month_of_exactly_11_500_dollars() {
    let s = aicost::model::scenario::load(std::path::Path::new("scenarios/chatbot.toml"))
        .unwrap()
        .scenario;
    let e = estimate(&s);
    assert!(e.approximations.is_empty());
    assert_cents("estimate", e.stacks[0].monthly_usd, 11_500.0);
}

#[test]
fn a_cached_prefix_is_billed_at_the_cache_read_price() {
    // 100 requests × (6,000 × 0.25 + 900 × 2.50 + 200 × 10) / 10^6 = 100 × 0.00575 = $0.575.
    let step =
        "static_prefix_tokens = 6000\ninput_tokens = 900\noutput_tokens = 200\ncache_hit_rate = 1";
    check(&one_step(10, 10, "", step, MINI, ONE_MODEL), 0.575);
}

#[test]
fn a_cache_miss_pays_the_write_premium() {
    // 100 × (6,000 × 3.125 + 900 × 2.50 + 200 × 10) / 10^6 = 100 × 0.023 = $2.30.
    let step =
        "static_prefix_tokens = 6000\ninput_tokens = 900\noutput_tokens = 200\ncache_hit_rate = 0";
    check(&one_step(10, 10, "", step, MINI, ONE_MODEL), 2.30);
}

#[test]
fn a_prefix_below_the_cache_minimum_is_plain_input_with_no_write_premium() {
    // 1,000-token prefix < 1,024: neither read nor written; 100 × (1,900 × 2.50 + 200 × 10) / 10^6.
    let step =
        "static_prefix_tokens = 1000\ninput_tokens = 900\noutput_tokens = 200\ncache_hit_rate = 1";
    check(&one_step(10, 10, "", step, MINI, ONE_MODEL), 0.675);
    let s =
        aicost::model::scenario::from_str("t.toml", &one_step(10, 10, "", step, MINI, ONE_MODEL))
            .unwrap();
    assert!(
        s.warnings.iter().any(|w| w.message.contains("no effect")),
        "a cache rate that cannot apply is worth a warning"
    );
}

#[test]
fn the_batch_path_halves_every_token() {
    let step =
        "static_prefix_tokens = 6000\ninput_tokens = 900\noutput_tokens = 200\ncache_hit_rate = 1";
    check(
        &one_step(10, 10, "path = \"batch\"", step, MINI, ONE_MODEL),
        0.575 / 2.0,
    );
}

#[test]
fn a_request_over_the_long_context_threshold_is_priced_entirely_at_long_context_rates() {
    // 130,000 input tokens > 128,000: all of them at $5, output at $15.
    // 100 × (130,000 × 5 + 500 × 15) / 10^6 = 100 × 0.6575 = $65.75.
    let step = "input_tokens = 130000\noutput_tokens = 500";
    check(&one_step(10, 10, "", step, MINI, ONE_MODEL), 65.75);
    // Exactly at the threshold is not above it: 100 × (128,000 × 2.5 + 500 × 10) / 10^6 = $32.50.
    let step = "input_tokens = 128000\noutput_tokens = 500";
    check(&one_step(10, 10, "", step, MINI, ONE_MODEL), 32.5);
}

#[test]
fn long_context_cache_prices_scale_with_the_input_price() {
    // Prefix 100,000 cached + 30,000 variable = 130,000 > 128,000. Cache read scales by 5/2.5 = 2:
    // 100 × (100,000 × 0.50 + 30,000 × 5 + 100 × 15) / 10^6 = 100 × 0.2015 = $20.15.
    let step = "static_prefix_tokens = 100000\ninput_tokens = 30000\noutput_tokens = 100\ncache_hit_rate = 1";
    check(&one_step(10, 10, "", step, MINI, ONE_MODEL), 20.15);
}

#[test]
fn retries_and_escalations_follow_the_chain() {
    let models = format!(
        "{MINI}\n[[model]]\nname = \"big\"\ninput_usd_per_mtok = 10\noutput_usd_per_mtok = 30\n"
    );
    // Always fails validation: 3 calls on m, then 2 on big, and the request is not accepted.
    // Per request: 3 × (1,000 × 2.5 + 100 × 10) + 2 × (1,000 × 10 + 100 × 30) = 3 × 3,500 + 2 × 13,000
    // = 36,500 µ$; 100 requests → $3.65.
    let stacks = r#"
[[stack]]
name = "always-fails"
[stack.route.r]
chain = [
  { model = "m", validation_failure_rate = 1, max_attempts = 3 },
  { model = "big", validation_failure_rate = 1, max_attempts = 2 },
]
"#;
    let text = one_step(
        10,
        10,
        "",
        "input_tokens = 1000\noutput_tokens = 100",
        &models,
        stacks,
    );
    check(&text, 3.65);
    let rep = report(&scenario(&text), 2, 1);
    let st = &rep.stacks[0];
    assert_eq!(st.acceptance_rate, Some(0.0));
    assert_eq!(st.calls_per_request, Some(5.0));
    assert_eq!(st.escalation_share, Some(1.0));
    assert_eq!(st.cost_per_accepted_task_usd, None);

    // Passes validation but always escalates: one call on each model, accepted by the second.
    // 100 × (3,500 + 13,000) µ$ = $1.65.
    let stacks = r#"
[[stack]]
name = "always-escalates"
[stack.route.r]
chain = [
  { model = "m", escalation_rate = 1, max_attempts = 3 },
  { model = "big" },
]
"#;
    let text = one_step(
        10,
        10,
        "",
        "input_tokens = 1000\noutput_tokens = 100",
        &models,
        stacks,
    );
    check(&text, 1.65);
    let rep = report(&scenario(&text), 2, 1);
    assert_eq!(rep.stacks[0].acceptance_rate, Some(1.0));
    assert_eq!(rep.stacks[0].calls_per_request, Some(2.0));
    assert!((rep.stacks[0].retry_cost_share.unwrap() - 13_000.0 / 16_500.0).abs() < 1e-12);
}

#[test]
fn an_output_cap_cuts_every_answer() {
    // Output 900 capped at 700: 100 × (1,000 × 2.5 + 700 × 10) / 10^6 = $0.95.
    let step = "input_tokens = 1000\noutput_tokens = 900\nmax_output_tokens = 700";
    check(&one_step(10, 10, "", step, MINI, ONE_MODEL), 0.95);
}

#[test]
fn weekday_rates_and_weekend_factor_give_exact_session_counts() {
    // 30 days from a Monday: 22 weekdays and 8 weekend days. 7 users × 2 sessions per weekday,
    // weekends at 0.5: 7 × 2 × (22 + 8 × 0.5) = 364 sessions of $0.01 each = $3.64.
    let text = r#"
name = "t"
[simulation]
arrivals = "fixed"
[[segment]]
name = "s"
users = 7
sessions_per_user_per_day = 2
weekend_factor = 0.5
[[workflow]]
name = "w"
[[workflow.step]]
name = "call"
route = "r"
input_tokens = 4000
[[model]]
name = "m"
input_usd_per_mtok = 2.5
output_usd_per_mtok = 10
[[stack]]
name = "only"
[stack.route.r]
chain = [{ model = "m" }]
"#;
    check(text, 3.64);
    let r = simulate(&scenario(text), 1, 1);
    assert_eq!(r.stacks[0].requests[0], 364.0);
    // Day 1 is a Monday: 14 sessions; day 6 is a Saturday: 7.
    assert_cents("monday", r.stacks[0].daily[0][0], 0.14);
    assert_cents("saturday", r.stacks[0].daily[5][0], 0.07);
}

#[test]
fn retrieved_chunks_are_input_tokens_and_are_never_cached() {
    // 100 requests × ((900 + 5 × 400) × 2.50 + 200 × 10) / 10^6 = 100 × 0.00925 = $0.925.
    let step =
        "input_tokens = 900\nretrieval = { chunks = 5, chunk_tokens = 400 }\noutput_tokens = 200";
    check(&one_step(10, 10, "", step, MINI, ONE_MODEL), 0.925);
    // With a 6,000-token prefix read from the cache, the chunks stay at the input price:
    // 100 × (6,000 × 0.25 + 2,900 × 2.50 + 200 × 10) / 10^6 = $1.075.
    let cached = format!("static_prefix_tokens = 6000\ncache_hit_rate = 1\n{step}");
    check(&one_step(10, 10, "", &cached, MINI, ONE_MODEL), 1.075);
}

#[test]
fn every_user_of_a_uniform_segment_costs_the_month_divided_by_its_users() {
    // 10 users × 10 requests × $0.00925 = $0.925 a month: $0.0925 for each user, with no spread.
    let step =
        "input_tokens = 900\nretrieval = { chunks = 5, chunk_tokens = 400 }\noutput_tokens = 200";
    let s = scenario(&one_step(10, 10, "", step, MINI, ONE_MODEL));
    let r = report(&s, 3, 1);
    let st = &r.stacks[0];
    let per_user = &st.segments[0].cost_per_user_usd;
    for (what, v) in [
        ("mean", per_user.mean),
        ("p50", per_user.p50),
        ("p95", per_user.p95),
        ("p99", per_user.p99),
    ] {
        assert_cents(what, v, 0.0925);
    }
    assert_cents("stack cost per user", st.cost_per_user_usd.mean, 0.0925);
    assert_eq!(st.segments[0].users, 10.0);
}
