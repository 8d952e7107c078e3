//! Pricing and risk mechanics of a real invoice, each against hand arithmetic: volume tiers,
//! committed-use contracts, the hard cap, incidents, growth over a horizon, review cost,
//! latency, provider errors, semantic cache, per-request fees and agent loops.

mod common;

use aicost::analysis::report::Report;
use common::*;

/// 50 users, one session each per day for 30 days (fixed arrivals): 1,500 requests, 50 a day.
fn month(workflow_keys: &str, step: &str, models: &str, stacks: &str, extra: &str) -> String {
    format!(
        r#"
name = "risk"
[simulation]
trials = 4
days = 30
arrivals = "fixed"
{extra}

[[segment]]
name = "s"
users = 50
sessions_per_user_per_day = 1

[[workflow]]
name = "w"
{workflow_keys}

[[workflow.step]]
name = "call"
route = "r"
{step}

{models}
{stacks}
"#
    )
}

/// $10 per million input tokens, provider "p".
const MODEL: &str = r#"
[[model]]
name = "m"
provider = "p"
input_usd_per_mtok = 10
output_usd_per_mtok = 10
"#;

const STACK: &str = r#"
[[stack]]
name = "only"
[stack.route.r]
chain = [{ model = "m" }]
"#;

/// Simulate; a deterministic scenario must also equal `estimate` to the cent.
fn run(text: &str) -> Report {
    let s = scenario(text);
    let rep = Report::new(&s, &simulate(&s, 4, 9));
    if s.is_deterministic() {
        let e = aicost::sim::estimate::estimate(&s);
        for (st, es) in rep.stacks.iter().zip(&e.stacks) {
            assert_cents(
                &format!("estimate of {}", st.name),
                es.monthly_usd,
                st.monthly_spend_usd.mean,
            );
        }
        if let (Some(r), Some(er)) = (rep.stacks[0].review_cost_usd, e.stacks[0].review_usd) {
            assert_cents("estimated review", er, r.mean);
        }
    }
    rep
}

fn spend_of_every_trial(text: &str) -> Vec<f64> {
    let s = scenario(text);
    simulate(&s, 4, 9).stacks[0].spend.clone()
}

#[test]
fn a_volume_tier_boundary_is_crossed_mid_month() {
    // 1,000 tokens × $10/Mtok = $0.01 per request, 50,000 tokens a day. Tokens beyond 0.5M
    // (after day 10) get 10% off, beyond 1M (after day 20) 20%: 10 × 0.50 + 10 × 0.45 + 10 × 0.40.
    let models = MODEL.replace(
        "output_usd_per_mtok = 10",
        "output_usd_per_mtok = 10\nvolume_tiers = [{ above_mtok = 0.5, discount = 0.10 }, { above_mtok = 1.0, discount = 0.20 }]",
    );
    let text = month("", "input_tokens = 1000", &models, STACK, "");
    let s = scenario(&text);
    let r = simulate(&s, 2, 1);
    for spend in &r.stacks[0].spend {
        assert_cents("month", *spend, 13.50);
    }
    let daily = &r.stacks[0].daily;
    assert_cents("day 1 at list price", daily[0][0], 0.50);
    assert_cents("day 15 at 10% off", daily[14][0], 0.45);
    assert_cents("day 25 at 20% off", daily[24][0], 0.40);
    let rep = Report::new(&s, &r);
    assert_cents(
        "volume discount class",
        rep.stacks[0].cost_breakdown_usd.volume_discount,
        -1.50,
    );
    assert_cents(
        "estimate",
        aicost::sim::estimate::estimate(&s).stacks[0].monthly_usd,
        13.50,
    );
}

fn contract(committed: f64, overage: &str) -> String {
    format!(
        "[[contract]]\nprovider = \"p\"\ncommitted_monthly_usd = {committed}\ndiscount = 0.25\noverage = \"{overage}\"\n"
    )
}

#[test]
fn an_under_used_contract_bills_the_whole_commitment() {
    // Usage $15 at list, $11.25 after 25% off, below the $20 commitment: billed $20.
    for overage in ["discounted", "list"] {
        let text = month(
            "",
            "input_tokens = 1000",
            &format!("{MODEL}\n{}", contract(20.0, overage)),
            STACK,
            "",
        );
        let rep = run(&text);
        let st = &rep.stacks[0];
        assert_cents("spend", st.monthly_spend_usd.mean, 20.0);
        let c = &st.contracts[0];
        assert_cents("billed", c.billed_usd.mean, 20.0);
        assert_cents("unused", c.unused_commitment_usd.mean, 8.75);
        assert_cents("overage", c.overage_usd.mean, 0.0);
        assert_eq!(c.underuse_probability, 1.0);
        assert_cents(
            "unused class",
            st.cost_breakdown_usd.unused_commitment,
            8.75,
        );
        assert_cents(
            "contract discount class",
            st.cost_breakdown_usd.contract_discount,
            -3.75,
        );
        assert_cents(
            "breakdown sums to the bill",
            st.cost_breakdown_usd.total(),
            20.0,
        );
    }
}

#[test]
fn an_over_used_contract_under_both_overage_rules() {
    // Commitment $6 at 25% off. Discounted overage: all $15 of usage at 75% = $11.25.
    let text = month(
        "",
        "input_tokens = 1000",
        &format!("{MODEL}\n{}", contract(6.0, "discounted")),
        STACK,
        "",
    );
    let c = &run(&text).stacks[0].contracts[0];
    assert_cents("billed", c.billed_usd.mean, 11.25);
    assert_cents("overage", c.overage_usd.mean, 5.25);
    assert_cents("unused", c.unused_commitment_usd.mean, 0.0);
    assert_eq!(c.underuse_probability, 0.0);
    // List overage: the commitment buys $6 / 0.75 = $8 of usage; the other $7 at list: $13.
    let text = month(
        "",
        "input_tokens = 1000",
        &format!("{MODEL}\n{}", contract(6.0, "list")),
        STACK,
        "",
    );
    let rep = run(&text);
    let c = &rep.stacks[0].contracts[0];
    assert_cents("billed", c.billed_usd.mean, 13.0);
    assert_cents("overage", c.overage_usd.mean, 7.0);
    assert_cents(
        "contract discount",
        rep.stacks[0].cost_breakdown_usd.contract_discount,
        -2.0,
    );
}

/// $15 of list price a month, with 10% and 20% volume tiers and a $5 contract at 25% off.
fn tiered_month_under_contract() -> String {
    let models = MODEL.replace(
        "output_usd_per_mtok = 10",
        "output_usd_per_mtok = 10\nvolume_tiers = [{ above_mtok = 0.5, discount = 0.10 }, { above_mtok = 1.0, discount = 0.20 }]",
    );
    month(
        "",
        "input_tokens = 1000",
        &format!("{models}\n{}", contract(5.0, "discounted")),
        STACK,
        "",
    )
}

#[test]
fn volume_tiers_apply_before_the_contract_discount() {
    // $15 list → $13.50 after tiers → 25% off = $10.125 (above the $5 commitment).
    let rep = run(&tiered_month_under_contract());
    let st = &rep.stacks[0];
    assert_cents("spend", st.monthly_spend_usd.mean, 10.125);
    assert_cents("volume", st.cost_breakdown_usd.volume_discount, -1.50);
    assert_cents("contract", st.cost_breakdown_usd.contract_discount, -3.375);
}

#[test]
fn tiers_and_contracts_start_again_every_month_of_a_horizon() {
    // The month of the test above, three times: volume counts and the commitment reset on the
    // first of each month, so every month bills $10.125 again.
    let text = tiered_month_under_contract()
        .replace("arrivals = \"fixed\"", "arrivals = \"fixed\"\nmonths = 3");
    let s = scenario(&text);
    let r = simulate(&s, 2, 9);
    assert_eq!(r.stacks[0].spend.len(), 6);
    for (i, spend) in r.stacks[0].spend.iter().enumerate() {
        assert_cents(
            &format!("trial {} month {}", i / 3, i % 3 + 1),
            *spend,
            10.125,
        );
    }
}

#[test]
fn a_hard_cap_rejects_exactly_the_requests_past_it() {
    // 15,625 tokens × $1/Mtok = $1/64 per request; a $10 cap admits exactly 640 of the 1,500.
    let models = "[[model]]\nname = \"m\"\ninput_usd_per_mtok = 1\noutput_usd_per_mtok = 1\n";
    let text = month(
        "",
        "input_tokens = 15625",
        models,
        STACK,
        "[budget]\nmonthly_usd = 8\nhard_cap_usd = 10\n",
    )
    .replace(
        "[simulation]\ntrials = 4\ndays = 30\narrivals = \"fixed\"\n[budget]",
        "[budget]",
    )
    .replace(
        "name = \"risk\"",
        "name = \"risk\"\n[simulation]\ntrials = 4\ndays = 30\narrivals = \"fixed\"",
    );
    let s = scenario(&text);
    let r = simulate(&s, 3, 2);
    let st = &r.stacks[0];
    for t in 0..3 {
        assert_eq!(st.spend[t], 10.0, "spend never exceeds the cap");
        assert_eq!(st.rejected[t], 860.0);
        assert_eq!(st.requests[t], 1500.0);
        assert_eq!(st.accepted[t], 640.0);
        // 50 requests a day: the 641st arrives on day 13.
        assert_eq!(st.cap_hit_day[t], Some(13));
    }
    let rep = Report::new(&s, &r);
    let cap = rep.stacks[0].hard_cap.as_ref().unwrap();
    assert_eq!(cap.probability_hit, 1.0);
    assert_eq!(cap.median_day_hit, Some(13.0));
    assert_eq!(cap.rejected_requests.mean, 860.0);
    // Soft alerts keep working beside the cap: 50% of the $8 budget ($4, request 257) passes on day 6.
    assert_eq!(rep.stacks[0].alerts[0].median_day, Some(6.0));
}

#[test]
fn spend_never_exceeds_the_cap_with_random_traffic() {
    let text = std::fs::read_to_string("scenarios/support-summarizer.toml")
        .unwrap()
        .replace(
            "alert_fractions = [0.5, 0.8, 1.0]",
            "alert_fractions = [0.5, 0.8, 1.0]\nhard_cap_usd = 590",
        );
    let s = scenario(&text);
    let r = simulate(&s, 200, 5);
    for st in &r.stacks {
        assert!(st.spend.iter().all(|x| *x <= 590.0), "{}", st.name);
    }
    assert!(
        r.stacks[1].rejected.iter().any(|x| *x > 0.0),
        "the large model hits the cap sometimes"
    );
}

#[test]
fn an_incident_with_probability_one_multiplies_the_workflow() {
    // A runaway loop all month long running every request 3 times: 3 × $15 = $45.
    let incident = "[[incident]]\nname = \"loop\"\nmonthly_probability = 1\nmultiplier = 3\nduration_hours = 720\nworkflow = \"w\"\n";
    let text = month(
        "",
        "input_tokens = 1000",
        &format!("{MODEL}\n{incident}"),
        STACK,
        "",
    );
    let rep = run(&text);
    let st = &rep.stacks[0];
    assert_cents("spend", st.monthly_spend_usd.mean, 45.0);
    let inc = st.incidents.as_ref().unwrap();
    assert_eq!(inc.incidents[0].probability, 1.0);
    assert_cents("extra", inc.extra_spend_usd.mean, 30.0);
    assert_cents("p99 from incidents", inc.p99_from_incidents_usd, 30.0);
    assert_cents(
        "estimate",
        aicost::sim::estimate::estimate(&scenario(&text)).stacks[0].monthly_usd,
        45.0,
    );
}

#[test]
fn a_ten_day_incident_adds_its_expected_share() {
    // 240 hours of a 720-hour month at 5× : extra = 240/720 × 4 × $15 = $20 on average.
    let incident = "[[incident]]\nname = \"storm\"\nmonthly_probability = 1\nmultiplier = 5\nduration_hours = 240\n";
    let s = scenario(&month(
        "",
        "input_tokens = 1000",
        &format!("{MODEL}\n{incident}"),
        STACK,
        "",
    ));
    let r = simulate(&s, 2000, 3);
    let (mean, se) = mean_se(&r.stacks[0].spend);
    assert_within_se("month with a storm", mean, se, 35.0, 4.0);
    assert_cents(
        "estimate",
        aicost::sim::estimate::estimate(&s).stacks[0].monthly_usd,
        35.0,
    );
}

#[test]
fn growth_compounds_over_twelve_months() {
    // One user doubling every month: 1, 2, 4, … 2,048 users; one session each at $1/64.
    let text = r#"
name = "growth"
[simulation]
trials = 3
months = 12
arrivals = "fixed"
[[segment]]
name = "s"
users = 1
sessions_per_user_per_month = 1
monthly_growth = 1.0
[[workflow]]
name = "w"
[[workflow.step]]
name = "call"
route = "r"
input_tokens = 15625
[[model]]
name = "m"
input_usd_per_mtok = 1
output_usd_per_mtok = 1
[[stack]]
name = "only"
[stack.route.r]
chain = [{ model = "m" }]
"#;
    let rep = run(text);
    let st = &rep.stacks[0];
    assert_eq!(st.months.len(), 12);
    assert_eq!(st.months[0].monthly_spend_usd.mean, 1.0 / 64.0);
    assert_eq!(st.months[11].monthly_spend_usd.mean, 2048.0 / 64.0);
    assert_eq!(st.horizon_total_usd.unwrap().mean, 4095.0 / 64.0);
    // 5% growth of 1,000 users, with random rounding of head-counts: the 12-month total has
    // mean 1,000 × Σ 1.05^m sessions.
    let text = text
        .replace("users = 1\n", "users = 1000\n")
        .replace("monthly_growth = 1.0", "monthly_growth = 0.05")
        .replace("trials = 3", "trials = 400");
    let s = scenario(&text);
    let r = simulate(&s, 400, 12);
    let totals: Vec<f64> = r.stacks[0]
        .spend
        .chunks(12)
        .map(|c| c.iter().sum())
        .collect();
    let (mean, se) = mean_se(&totals);
    let expected: f64 = (0..12).map(|m| 1000.0 * 1.05f64.powi(m) / 64.0).sum();
    assert_within_se("12-month total", mean, se.max(1e-9), expected, 4.0);
}

#[test]
fn seasonality_scales_activity_by_month() {
    let text = month(
        "",
        "input_tokens = 1000",
        MODEL,
        STACK,
        "months = 3\nseasonality = [1, 2, 0.5, 1, 1, 1, 1, 1, 1, 1, 1, 1]",
    );
    let rep = run(&text);
    let m = &rep.stacks[0].months;
    assert_cents("month 1", m[0].monthly_spend_usd.mean, 15.0);
    assert_cents("month 2", m[1].monthly_spend_usd.mean, 30.0);
    assert_cents("month 3", m[2].monthly_spend_usd.mean, 7.5);
}

#[test]
fn review_cost_gives_the_cost_per_useful_output() {
    // 1,500 accepted outputs, 20% reviewed for 3 minutes at $40/h: 1,500 × 0.2 × 3/60 × 40 = $600.
    let review =
        "review = { share = 0.2, minutes = 3, hourly_usd = 40, failed_review_minutes = 5 }";
    let rep = run(&month(review, "input_tokens = 1000", MODEL, STACK, ""));
    let st = &rep.stacks[0];
    assert_cents("review", st.review_cost_usd.unwrap().mean, 600.0);
    assert!((st.cost_per_useful_output_usd.unwrap() - 615.0 / 1500.0).abs() < 1e-12);
    // Every request fails validation: 1,500 failed × 5 minutes at $40/h = $5,000, no useful output.
    let failing = "[[stack]]\nname = \"failing\"\n[stack.route.r]\nchain = [{ model = \"m\", validation_failure_rate = 1 }]\n";
    let rep = run(&month(review, "input_tokens = 1000", MODEL, failing, ""));
    assert_cents(
        "failed review",
        rep.stacks[0].review_cost_usd.unwrap().mean,
        5000.0,
    );
    assert_eq!(rep.stacks[0].cost_per_useful_output_usd, None);
}

#[test]
fn latency_of_a_two_attempt_retry() {
    // Two calls, each 400 ms to the first token + 200 output tokens at 100 tokens/s: 4,800 ms.
    let models = MODEL.replace(
        "output_usd_per_mtok = 10",
        "output_usd_per_mtok = 10\nlatency = { first_token_ms = 400, output_tokens_per_s = 100 }",
    );
    let stack = "[[stack]]\nname = \"retry\"\n[stack.route.r]\nchain = [{ model = \"m\", validation_failure_rate = 1, max_attempts = 2 }]\n";
    let rep = run(&month(
        "latency_target_ms = { p95 = 3000 }",
        "input_tokens = 100\noutput_tokens = 200",
        &models,
        stack,
        "",
    ));
    let l = &rep.stacks[0].latency[0];
    assert_eq!((l.p50_ms, l.p95_ms, l.p99_ms), (4800.0, 4800.0, 4800.0));
    assert_eq!(l.target_met, Some(false));
    // A batch workflow has no interactive latency.
    let rep = run(&month(
        "path = \"batch\"",
        "input_tokens = 100\noutput_tokens = 200",
        &models,
        stack,
        "",
    ));
    assert!(rep.stacks[0].latency.is_empty());
}

#[test]
fn provider_errors_count_as_attempts_and_bill_input_or_nothing() {
    // Every call errors, 2 attempts: input billed ($0.01 × 2 per request) or nothing.
    for (billing, expected) in [("input", 30.0), ("none", 0.0)] {
        let stack = format!(
            "[[stack]]\nname = \"e\"\n[stack.route.r]\nchain = [{{ model = \"m\", provider_error_rate = 1, error_billing = \"{billing}\", max_attempts = 2 }}]\n"
        );
        let rep = run(&month(
            "",
            "input_tokens = 1000\noutput_tokens = 500",
            MODEL,
            &stack,
            "",
        ));
        let st = &rep.stacks[0];
        assert_cents(billing, st.monthly_spend_usd.mean, expected);
        assert_eq!(st.acceptance_rate, Some(0.0));
        assert_eq!(st.calls_per_request, Some(2.0));
        assert_eq!(st.provider_error_share, Some(1.0));
    }
    // 30% errors billed nothing, validation never fails, up to 3 attempts:
    // E[successful-call cost] = $0.015 × P(some attempt succeeds) = 0.015 × (1 − 0.3³).
    let stack = "[[stack]]\nname = \"e\"\n[stack.route.r]\nchain = [{ model = \"m\", provider_error_rate = 0.3, max_attempts = 3 }]\n";
    let s = scenario(&month(
        "",
        "input_tokens = 1000\noutput_tokens = 500",
        MODEL,
        stack,
        "",
    ));
    let r = simulate(&s, 2000, 4);
    let (mean, se) = mean_se(&r.stacks[0].spend);
    assert_within_se("errors", mean, se, 1500.0 * 0.015 * (1.0 - 0.027), 4.0);
}

#[test]
fn semantic_cache_aux_fees_and_agent_loops() {
    // Every request answered by the semantic cache: only the $0.001 lookups are billed.
    let rep = run(&month(
        "semantic_cache_hit_rate = 1\nsemantic_cache_usd_per_lookup = 0.001",
        "input_tokens = 1000",
        MODEL,
        STACK,
        "",
    ));
    let st = &rep.stacks[0];
    assert_cents("lookups", st.monthly_spend_usd.mean, 1.5);
    assert_eq!(st.semantic_cache_hit_share, Some(1.0));
    assert_eq!(st.acceptance_rate, Some(1.0));
    assert_eq!(st.calls_per_request, Some(0.0));
    // Aux fees once per request: 1,500 × ($0.01 + $0.002).
    let rep = run(&month(
        "",
        "input_tokens = 1000\naux_usd_per_request = 0.002",
        MODEL,
        STACK,
        "",
    ));
    assert_cents("aux", rep.stacks[0].monthly_spend_usd.mean, 18.0);
    assert_cents("aux class", rep.stacks[0].cost_breakdown_usd.aux_fees, 3.0);
    // An agent loop of 3 calls whose input grows by 500 tokens: 1,000 + 1,500 + 2,000 tokens.
    let rep = run(&month(
        "",
        "input_tokens = 1000\ncalls = 3\ncontext_growth_tokens = 500",
        MODEL,
        STACK,
        "",
    ));
    assert_cents(
        "loop",
        rep.stacks[0].monthly_spend_usd.mean,
        1500.0 * 4500.0 * 10.0 / 1e6,
    );
    assert_eq!(rep.stacks[0].calls_per_request, Some(3.0));
}

#[test]
fn per_user_budget_share_per_segment() {
    // Each user costs 30 × $0.01 = $0.30 a month.
    let over = run(&month("", "input_tokens = 1000", MODEL, STACK, "").replace(
        "[[segment]]",
        "[budget]\nmonthly_usd = 100\nper_user_monthly_usd = 0.25\n\n[[segment]]",
    ));
    assert_eq!(over.stacks[0].segments[0].share_over_user_budget, Some(1.0));
    let under = run(&month("", "input_tokens = 1000", MODEL, STACK, "").replace(
        "[[segment]]",
        "[budget]\nmonthly_usd = 100\nper_user_monthly_usd = 0.35\n\n[[segment]]",
    ));
    assert_eq!(
        under.stacks[0].segments[0].share_over_user_budget,
        Some(0.0)
    );
    let _ = spend_of_every_trial;
}

#[test]
fn the_per_user_budget_is_reported_in_every_format() {
    // Each user costs $0.30 a month against a $0.25 budget: all of them are over it.
    let text = month("", "input_tokens = 1000", MODEL, STACK, "").replace(
        "[[segment]]",
        "[budget]\nmonthly_usd = 100\nper_user_monthly_usd = 0.25\n\n[[segment]]",
    );
    let s = scenario(&text);
    let r = simulate(&s, 4, 9);
    let report = Report::new(&s, &r);
    let detail = aicost::analysis::detail::Detail::new(&s, &r);
    let table = aicost::render::table::render(&report, &detail, false);
    assert!(
        table
            .lines()
            .any(|l| l.contains("users in s over $0.2500") && l.contains("100%")),
        "{table}"
    );
    let csv = aicost::render::csv::simulation(&report, &detail);
    assert!(csv.contains(",segment_user_budget,s,usd,0.25,"), "{csv}");
    assert!(
        csv.contains(",segment_share_over_user_budget,s,share,1,"),
        "{csv}"
    );
    let brief = aicost::render::brief::Brief::new(&s, &r).markdown();
    assert!(brief.contains("| Users over their budget |"), "{brief}");
    assert!(brief.contains("100% over $0.2500"), "{brief}");
}
