//! Budget policies: a policy that fires on a known day of a month with fixed arrivals, the share
//! of each segment's requests it degrades, stacked policies, and what validation says about a
//! mistaken `[[policy]]`.

mod common;

use aicost::analysis::report::Report;
use aicost::sim::engine::{EngineRequest, SimOptions};
use common::*;

/// 100 free users and 50 paying ones, one session a day each for 30 days, one request per
/// session, every request $0.01 on `big` ($0.001 on `mini`): $1.50 a day, $45 a month, and every
/// day's requests are the same whatever their order within the day.
fn base(policies: &str) -> String {
    let header = r#"
name = "policies"
[simulation]
trials = 2
arrivals = "fixed"
[budget]
monthly_usd = 30

[[segment]]
name = "free"
users = 100
sessions_per_user_per_day = 1
weekend_factor = 1
user_variability = 0

[[segment]]
name = "paying"
users = 50
sessions_per_user_per_day = 1
weekend_factor = 1
user_variability = 0
"#;
    format!("{header}{}", big_and_mini(policies))
}

fn run(text: &str) -> Report {
    let s = scenario(text);
    report(&s, 2, 7)
}

#[test]
fn a_route_policy_fires_on_day_11_and_degrades_two_thirds_of_the_free_tier() {
    // Ten days of $1.50 make $15.00; the last request of day 10 sees $14.99 and the first of
    // day 11 sees $15.00 > $14.995, so the policy fires on day 11. From then on the 100 free
    // requests a day go to `mini` ($0.10 a day) and the 50 paying ones stay on `big` ($0.50):
    // 20 days × $0.60 = $12, a month of $27 instead of $45. The free tier is degraded on
    // 20 of its 30 days (2,000 of 3,000 requests), the paying tier never.
    let r = run(&base(
        r#"
[[policy]]
name = "mini-for-free"
at_usd = 14.995
route = "cheap"
protect = ["paying"]
"#,
    ));
    let st = &r.stacks[0];
    assert_cents("spend", st.monthly_spend_usd.mean, 27.0);
    let p = st.policies.as_ref().expect("a policies report");
    assert_eq!(p.policies[0].probability_fired, 1.0);
    assert_eq!(p.policies[0].median_day_fired, Some(11.0));
    assert_eq!(p.policies[0].action, "route");
    let free = &p.segments[0];
    assert_eq!(free.requests_per_month, 3000.0);
    assert!((free.degraded_share - 2.0 / 3.0).abs() < 1e-12, "{free:?}");
    assert_eq!(p.segments[1].degraded_share, 0.0);
    assert_eq!(p.segments[1].requests_per_month, 1500.0);
    assert_cents("without", p.monthly_spend_without_policies_usd, 45.0);
    assert_cents("change", p.spend_change_usd.mean, -18.0);
    // $45 breaches the $30 budget every month, $27 never.
    let b = p.breach_probability.expect("a budget");
    assert_eq!((b.before, b.after), (1.0, 0.0));
    assert_eq!(p.degraded_acceptance_rate, Some(1.0));
    assert_eq!(p.refused_requests.mean, 0.0);
}

#[test]
fn stacked_policies_degrade_then_refuse() {
    // As above until day 20: $15 + 10 × $0.60 = $21.00 at the end of day 20 (its last request
    // sees at most $20.999), so a refusal at $20.9995 fires on day 21. The free tier is then
    // refused for 10 days (1,000 requests) and the paying tier still served: 10 × $0.50. The
    // month is $26; the free tier has 1,000 requests degraded and 1,000 refused of 3,000.
    let r = run(&base(
        r#"
[[policy]]
name = "mini-for-free"
at_usd = 14.995
route = "cheap"
protect = ["paying"]

[[policy]]
name = "refuse-free"
at_usd = 20.9995
refuse = true
segments = ["free"]
"#,
    ));
    let st = &r.stacks[0];
    assert_cents("spend", st.monthly_spend_usd.mean, 26.0);
    let p = st.policies.as_ref().unwrap();
    assert_eq!(p.policies[1].median_day_fired, Some(21.0));
    let free = &p.segments[0];
    assert!((free.degraded_share - 1.0 / 3.0).abs() < 1e-12, "{free:?}");
    assert!((free.refused_share - 1.0 / 3.0).abs() < 1e-12, "{free:?}");
    assert_eq!(p.segments[1].refused_share, 0.0);
    assert_eq!(p.refused_requests.mean, 1000.0);
    // Refused requests are requests of the month, neither served nor billed.
    assert_eq!(st.requests_per_month.mean, 4500.0);
}

#[test]
fn lowering_max_output_tokens_and_pausing_cost_what_hand_arithmetic_says() {
    // Output cut from 1,000 to 100 tokens from day 11 for the free tier: $0.001 a request, as
    // on `mini`: $27.
    let r = run(&base(
        r#"
[[policy]]
name = "short-answers"
at_budget_fraction = 0.49983333
max_output_tokens = 100
segments = ["free"]
"#,
    ));
    let st = &r.stacks[0];
    // 0.49983333 × $30 = $14.995.
    assert_cents("spend", st.monthly_spend_usd.mean, 27.0);
    // Pausing the free tier from day 11: only the paying tier's $0.50 a day: $25.
    let r = run(&base(
        r#"
[[policy]]
name = "pause-free"
at_usd = 14.995
pause = true
segments = ["free"]
"#,
    ));
    let st = &r.stacks[0];
    assert_cents("spend", st.monthly_spend_usd.mean, 25.0);
    let p = st.policies.as_ref().unwrap();
    assert!((p.segments[0].paused_share - 2.0 / 3.0).abs() < 1e-12);
    assert_eq!(p.paused_requests.mean, 2000.0);
    assert_eq!(p.refused_requests.mean, 0.0);
}

#[test]
fn a_batch_policy_bills_at_the_batch_discount() {
    // Batch at half price from day 11 for everyone: 20 days × $0.75 = $15, month $30.
    let text = base(
        r#"
[[policy]]
name = "batch-all"
at_usd = 14.995
batch = true
"#,
    )
    .replace(
        "output_usd_per_mtok = 10\n",
        "output_usd_per_mtok = 10\nbatch_discount = 0.5\n",
    );
    assert_cents("batch", run(&text).stacks[0].monthly_spend_usd.mean, 30.0);
}

#[test]
fn a_month_that_never_reaches_the_threshold_is_untouched() {
    let text = base(
        r#"
[[policy]]
name = "late"
at_usd = 100
route = "cheap"
"#,
    );
    let r = run(&text);
    let p = r.stacks[0].policies.as_ref().unwrap();
    assert_eq!(p.policies[0].probability_fired, 0.0);
    assert_eq!(p.policies[0].median_day_fired, None);
    assert_cents("spend", r.stacks[0].monthly_spend_usd.mean, 45.0);
    assert_eq!(p.spend_change_usd.mean, 0.0);
}

#[test]
fn the_fast_engine_declines_policies_and_auto_runs_the_exact_one() {
    let text = base(
        r#"
[[policy]]
name = "mini-for-free"
at_usd = 14.995
route = "cheap"
"#,
    )
    .replace("arrivals = \"fixed\"", "");
    let s = scenario(&text);
    let mut opts = SimOptions::new(2, 1);
    opts.engine = EngineRequest::Fast;
    let err = aicost::sim::engine::simulate(&s, &opts).unwrap_err();
    assert!(err.to_string().contains("budget policies"), "{err}");
    opts.engine = EngineRequest::Auto;
    let r = aicost::sim::engine::simulate(&s, &opts).unwrap();
    assert_eq!(r.engine.name, "exact");
    assert!(
        r.engine.reason.contains("budget policies"),
        "{}",
        r.engine.reason
    );
    let e = aicost::sim::estimate::estimate(&s);
    assert!(
        e.approximations
            .iter()
            .any(|a| a.contains("budget policies")),
        "{:?}",
        e.approximations
    );
}

#[test]
fn results_do_not_depend_on_threads() {
    let text = base(
        r#"
[[policy]]
name = "mini-for-free"
at_usd = 14.995
route = "cheap"
protect = ["paying"]
"#,
    )
    .replace("arrivals = \"fixed\"", "")
    .replace("user_variability = 0", "user_variability = 0.8");
    let s = scenario(&text);
    let json = |threads| {
        let mut o = SimOptions::new(40, 3);
        o.threads = Some(threads);
        let r = aicost::sim::engine::simulate_exact(&s, &o).unwrap();
        Report::new(&s, &r).to_json()
    };
    assert_eq!(json(1), json(3));
}

/// The rendered problems of an invalid scenario.
fn problems(text: &str) -> String {
    match aicost::model::scenario::from_str("test.toml", text) {
        Ok(_) => panic!("should be invalid"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn mistakes_in_a_policy_are_located_with_a_fix() {
    let e = problems(&base(
        "[[policy]]\nname = \"p\"\nat_usd = 10\nroute = \"chepa\"\n",
    ));
    assert!(
        e.contains("route `chepa`") && e.contains("did you mean `cheap`?"),
        "{e}"
    );
    assert!(e.contains("test.toml:"), "{e}");
    let e = problems(&base(
        "[[policy]]\nname = \"p\"\nat_usd = 10\npause = true\nsegments = [\"fre\"]\n",
    ));
    assert!(
        e.contains("unknown segment `fre`") && e.contains("did you mean `free`?"),
        "{e}"
    );
    let e = problems(&base("[[policy]]\nname = \"p\"\nat_usd = 10\n"));
    assert!(e.contains("does nothing"), "{e}");
    let e = problems(&base(
        "[[policy]]\nname = \"p\"\nat_usd = 10\npause = true\nrefuse = true\n",
    ));
    assert!(e.contains("one thing"), "{e}");
    let e = problems(&base("[[policy]]\nname = \"p\"\npause = true\n"));
    assert!(e.contains("no threshold"), "{e}");
    let e = problems(&base(
        "[[policy]]\nname = \"p\"\nat_usd = 10\npause = true\nprotect = [\"free\", \"paying\"]\n",
    ));
    assert!(e.contains("never acts"), "{e}");
    let e = problems(&base(
        "[[policy]]\nname = \"p\"\nat_usd = 10\npaus = true\n",
    ));
    assert!(e.contains("did you mean `pause`"), "{e}");
    let e = problems(&base(
        "[[policy]]\nname = \"p\"\nat_usd = 10\npause = false\n",
    ));
    assert!(e.contains("does nothing"), "{e}");
}

#[test]
fn a_thinking_budget_policy_cuts_reasoning_tokens() {
    // 1,000 reasoning tokens at the output price ($10 a million) instead of output: $0.01 a
    // request; cut to 100 from day 11 for the free tier, $0.001: the month of the route policy,
    // $27.
    let text = base(
        r#"
[[policy]]
name = "think-less"
at_usd = 14.995
max_reasoning_tokens = 100
segments = ["free"]
"#,
    )
    .replace(
        "output_tokens = 1000\n",
        "output_tokens = 0\nreasoning_tokens = 1000\n",
    );
    assert_cents(
        "reasoning",
        run(&text).stacks[0].monthly_spend_usd.mean,
        27.0,
    );
}

#[test]
fn a_looser_semantic_cache_answers_the_share_the_policy_sets() {
    // From day 11 the cache answers half the free tier's 2,000 remaining requests, each a $0.01
    // request not made: $45 − 1,000 × $0.01 = $35 expected; the hits are binomial, so the mean
    // over trials is within 4 standard errors of it.
    let text = base(
        r#"
[[policy]]
name = "cache-more"
at_usd = 14.995
semantic_cache_hit_rate = 0.5
protect = ["paying"]
"#,
    );
    let s = scenario(&text);
    let r = simulate(&s, 40, 5);
    let (mean, se) = mean_se(&r.stacks[0].spend);
    assert_within_se("spend", mean, se, 35.0, 4.0);
    assert!(se > 0.0);
}

#[test]
fn latency_under_degradation_is_that_of_the_route_the_policy_chose() {
    // `big` answers 1,000 tokens in 0.5 s + 1,000 / 50 s = 20,500 ms, `mini` in 0.1 s +
    // 1,000 / 1,000 s = 1,100 ms. From day 11 the free tier is routed to `mini`: every
    // degraded request takes 1,100 ms, every other one 20,500 ms, and the policy's own rows
    // split its covered requests (the free tier) the same way.
    let text = base(
        r#"
[[policy]]
name = "mini-for-free"
at_usd = 14.995
route = "cheap"
protect = ["paying"]
"#,
    )
    .replace(
        "output_usd_per_mtok = 10\n",
        "output_usd_per_mtok = 10\nlatency = { first_token_ms = 500, output_tokens_per_s = 50 }\n",
    )
    .replace(
        "output_usd_per_mtok = 1\n",
        "output_usd_per_mtok = 1\nlatency = { first_token_ms = 100, output_tokens_per_s = 1000 }\n",
    );
    let r = run(&text);
    let p = r.stacks[0].policies.as_ref().unwrap();
    let both = |l: &aicost::analysis::policy::DegradedLatency| {
        let (n, d) = (l.not_degraded.unwrap(), l.degraded.unwrap());
        assert!(n.samples > 0 && d.samples > 0, "{l:?}");
        for (x, want) in [(n.p50_ms, 20_500.0), (n.p95_ms, 20_500.0)] {
            assert!((x - want).abs() < 1e-6, "{l:?}");
        }
        for (x, want) in [(d.p50_ms, 1_100.0), (d.p95_ms, 1_100.0)] {
            assert!((x - want).abs() < 1e-6, "{l:?}");
        }
    };
    both(&p.latency);
    both(&p.policies[0].latency);
    let brief = aicost::render::markdown::render(&aicost::render::policy::brief_blocks(&r, "plan"));
    assert!(brief.contains("1100 / 1100 ms"), "{brief}");
}

#[test]
fn a_threshold_on_a_segments_own_spend_waits_for_that_segment() {
    // The paying tier spends $0.50 a day: its own spend passes $4.995 with the 500th paying
    // request, the last one of day 10, and the policy fires at the next request: late on day
    // 10 (when free requests of that day follow it) or first thing on day 11. Days 11-30 then
    // cost $0.60 each, as in the route test above: $15 + $12 = $27, less $0.009 for each free
    // request of day 10 that follows its last paying one (at most 100). The month as a whole
    // passed $4.995 on day 4.
    let r = run(&base(
        r#"
[[policy]]
name = "mini-for-free"
at_usd = 4.995
spend_of_segments = ["paying"]
route = "cheap"
segments = ["free"]
"#,
    ));
    let st = &r.stacks[0];
    let spend = st.monthly_spend_usd.mean;
    assert!(
        (27.0 - 0.9 - 1e-9..=27.0 + 1e-9).contains(&spend),
        "{spend}"
    );
    // The free requests of day 10 degraded are exactly those the spend is short of $27.
    let early = ((27.0 - spend) / 0.009).round();
    let p = st.policies.as_ref().unwrap();
    let day = p.policies[0].median_day_fired.unwrap();
    assert!(
        day == 10.0 || (day == 11.0 && early == 0.0),
        "{day} {early}"
    );
    let free = p.segments[0].degraded_share;
    assert!(
        (free - (2000.0 + early) / 3000.0).abs() < 1e-12,
        "{free} {early}"
    );
    // On the whole month's spend ($1.50 a day: $4.50 after day 3) it fires during day 4; a
    // workflow's own spend is the whole month here, since there is one workflow.
    for key in ["", "spend_of_workflows = [\"draft\"]\n"] {
        let r = run(&base(&format!(
            "[[policy]]\nname = \"p\"\nat_usd = 4.995\n{key}route = \"cheap\"\nsegments = [\"free\"]\n"
        )));
        let p = r.stacks[0].policies.clone().unwrap();
        assert_eq!(p.policies[0].median_day_fired, Some(4.0), "{key}");
    }
    let e = problems(&base(
        "[[policy]]\nname = \"p\"\nat_usd = 10\npause = true\nspend_of_segments = [\"payng\"]\n",
    ));
    assert!(
        e.contains("unknown segment `payng`")
            && e.contains("did you mean `paying`?")
            && e.contains("spend_of_segments")
            && e.contains("test.toml:"),
        "{e}"
    );
}

#[test]
fn a_policy_route_must_serve_the_workflows_service_tier() {
    // `draft` runs on the priority tier: `big` has priority prices, `mini` has none, so a
    // policy that moves it to `cheap` (on `mini`) could not be billed.
    let priority = |policies: &str| {
        base(policies)
            .replace(
                "name = \"draft\"\n",
                "name = \"draft\"\nservice_tier = \"priority\"\n",
            )
            .replace(
                "output_usd_per_mtok = 10\n",
                "output_usd_per_mtok = 10\npriority = { input_usd_per_mtok = 2, output_usd_per_mtok = 20, cached_input_usd_per_mtok = 0.2 }\n",
            )
    };
    let e = problems(&priority(
        "[[policy]]\nname = \"p\"\nat_usd = 10\nroute = \"cheap\"\n",
    ));
    assert!(
        e.contains("policy `p` routes workflow `draft`")
            && e.contains("model `mini` has no priority prices")
            && e.contains("test.toml:")
            && e.contains("route"),
        "{e}"
    );
    // A policy that does not route, or routes to a chain with priority prices, is fine.
    aicost::model::scenario::from_str("test.toml", &priority("")).expect("valid");
    aicost::model::scenario::from_str(
        "test.toml",
        &priority("[[policy]]\nname = \"p\"\nat_usd = 10\nroute = \"main\"\n"),
    )
    .expect("valid");
}
