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
fn refusals_by_a_policy_and_by_the_hard_cap_are_counted_and_labelled_apart() {
    // A refusal of the free tier at $14.995 fires on day 11 (as above): 20 days × 100 free
    // requests = 2,000 refused by the policy. The paying tier then adds $0.50 a day: $20.00 at
    // the end of day 20; on day 21 its 25th request would bring $20.25 past the $20.245 cap, so
    // the cap refuses 26 requests that day and 9 × 50 after: 476, all paying.
    // Without the policies, $1.50 a day: $19.50 after day 13, the 75th request of day 14 passes
    // the cap, 76 refused that day and 16 × 150 after: 2,476.
    let text = base(
        r#"
[[policy]]
name = "refuse-free"
at_usd = 14.995
refuse = true
segments = ["free"]
"#,
    )
    .replace(
        "monthly_usd = 30\n",
        "monthly_usd = 30\nhard_cap_usd = 20.245\n",
    );
    let s = scenario(&text);
    let res = simulate(&s, 2, 7);
    let r = Report::new(&s, &res);
    let p = r.stacks[0].policies.as_ref().unwrap();
    assert_eq!(p.policy_refused_requests.mean, 2000.0);
    assert_eq!(p.hard_cap_refused_requests.mean, 476.0);
    assert_eq!(p.refused_requests.mean, 2476.0);
    assert_eq!(p.refused_requests_without_policies.mean, 2476.0);
    let (free, paying) = (&p.segments[0], &p.segments[1]);
    assert!((free.refused_share - 2.0 / 3.0).abs() < 1e-12, "{free:?}");
    assert_eq!(free.hard_cap_refused_share, 0.0);
    assert_eq!(paying.refused_share, 0.0);
    assert!(
        (paying.hard_cap_refused_share - 476.0 / 1500.0).abs() < 1e-12,
        "{paying:?}"
    );
    // The table and the brief name each kind of refusal and never add them up under one label.
    let detail = aicost::analysis::detail::Detail::new(&s, &res);
    let table = aicost::render::table::render(&r, &detail, false);
    for line in [
        "  requests refused by the hard cap, mean / p95",
        "  free degraded / paused",
        "  free refused by a policy / by the hard cap",
        "  requests refused by a policy, mean",
        "  refused by the hard cap without / with, mean",
    ] {
        assert!(table.contains(line), "{line:?} in\n{table}");
    }
    let row = |label: &str| {
        table
            .lines()
            .find(|l| l.starts_with(label))
            .unwrap_or_else(|| panic!("{label} in\n{table}"))
            .to_string()
    };
    assert!(row("  free refused by").ends_with(" 66.7% / 0%"), "{table}");
    assert!(
        row("  paying refused by").ends_with(" 0% / 31.7%"),
        "{table}"
    );
    assert!(
        row("  requests refused by a policy").ends_with(" 2,000"),
        "{table}"
    );
    assert!(
        row("  refused by the hard cap without").ends_with(" 2,476 / 476"),
        "{table}"
    );
    let md = aicost::render::brief::Brief::new(&s, &res).markdown();
    assert!(
        md.contains("| refused by a policy | refused by the hard cap |"),
        "{md}"
    );
    assert!(
        md.contains("| free | 3,000 | 0% | 0% | 66.7% | 0% |"),
        "{md}"
    );
    assert!(
        md.contains("| paying | 1,500 | 0% | 0% | 0% | 31.7% |"),
        "{md}"
    );
    assert!(
        md.contains("| requests refused by a policy a month, mean | 2,000 | — |"),
        "{md}"
    );
    assert!(
        md.contains("| requests refused by the hard cap a month, mean | 476 | 2,476 |"),
        "{md}"
    );
    let json = serde_json::to_value(p).unwrap();
    for key in [
        "policy_refused_requests",
        "hard_cap_refused_requests",
        "refused_requests",
    ] {
        assert!(json.get(key).is_some(), "{key} in {json}");
    }
    // The CSV has the policies too, each refusal under its own statistic.
    let csv = aicost::render::csv::simulation(&r, &detail);
    let value = |statistic: &str, group: &str| -> f64 {
        csv.lines()
            .map(|l| l.split(',').collect::<Vec<_>>())
            .find(|f| f[4] == statistic && f[5] == group)
            .unwrap_or_else(|| panic!("{statistic} {group} in\n{csv}"))[7]
            .parse()
            .unwrap()
    };
    assert_eq!(value("policy_refused_requests_mean", ""), 2000.0);
    assert_eq!(value("policies_hard_cap_refused_requests_mean", ""), 476.0);
    assert_eq!(
        value("policies_hard_cap_refused_requests_without_mean", ""),
        2476.0
    );
    assert_eq!(value("policy_probability_fired", "refuse-free"), 1.0);
    assert_eq!(value("policy_median_day_fired", "refuse-free"), 11.0);
    assert!((value("policy_refused_share", "free") - 2.0 / 3.0).abs() < 1e-12);
    assert!((value("hard_cap_refused_share", "paying") - 476.0 / 1500.0).abs() < 1e-12);
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

/// The warnings of a valid scenario, one string.
fn warnings(text: &str) -> String {
    let loaded = aicost::model::scenario::from_str("test.toml", text).expect("valid");
    loaded
        .warnings
        .iter()
        .map(|w| format!("{}\n", w.message))
        .collect()
}

#[test]
fn a_threshold_under_a_contracts_commitment_is_warned_about_and_fires_on_day_1() {
    // A $20 commitment counts as spent from day one, so a policy at $10 fires on the first
    // request and degrades the whole free tier.
    let contract = "\n[[contract]]\nprovider = \"p\"\ncommitted_monthly_usd = 20\ndiscount = 0\n";
    let text = base(
        "[[policy]]\nname = \"early\"\nat_usd = 10\nroute = \"cheap\"\nprotect = [\"paying\"]\n",
    )
    .replace(
        "[[model]]\nname = \"big\"\n",
        "[[model]]\nname = \"big\"\nprovider = \"p\"\n",
    )
    .replace(
        "[[model]]\nname = \"mini\"\n",
        "[[model]]\nname = \"mini\"\nprovider = \"p\"\n",
    ) + contract;
    let w = warnings(&text);
    assert!(
        w.contains(
            "policy `early` fires at $10.00, under the $20.00 its contracts commit on stack `plan`"
        ) && w.contains("first request of every month"),
        "{w}"
    );
    let p = run(&text).stacks[0].policies.clone().unwrap();
    assert_eq!(p.policies[0].median_day_fired, Some(1.0));
    assert_eq!(p.segments[0].degraded_share, 1.0);
    // Above the commitment, or counting only billed spend, it does not warn.
    let above = text.replace("at_usd = 10\n", "at_usd = 25\n");
    assert!(!warnings(&above).contains("commit"), "{}", warnings(&above));
    let own = text.replace(
        "at_usd = 10\n",
        "at_usd = 10\nspend_of_segments = [\"free\"]\n",
    );
    assert!(!warnings(&own).contains("commit"), "{}", warnings(&own));
    // Without a contract, nothing to say.
    let plain = base("[[policy]]\nname = \"early\"\nat_usd = 10\nroute = \"cheap\"\n");
    assert!(!warnings(&plain).contains("commit"), "{}", warnings(&plain));
}

#[test]
fn a_policy_that_changes_nothing_is_warned_about_and_degrades_nobody() {
    // Batching models without a batch discount, and routing to the route the steps already
    // call: the month costs $45 as without the policy, and no request counts as degraded.
    for (policy, why) in [
        ("batch = true", "its models have no `batch_discount`"),
        ("route = \"main\"", "its steps already call that route"),
    ] {
        let text = base(&format!(
            "[[policy]]\nname = \"noop\"\nat_usd = 14.995\n{policy}\n"
        ));
        let w = warnings(&text);
        assert!(
            w.contains("policy `noop`")
                && w.contains("changes nothing for workflow `draft` on stack `plan`")
                && w.contains(why),
            "{policy}: {w}"
        );
        let r = run(&text);
        let p = r.stacks[0].policies.as_ref().unwrap();
        assert_eq!(p.policies[0].probability_fired, 1.0, "{policy}");
        assert_cents(policy, r.stacks[0].monthly_spend_usd.mean, 45.0);
        for seg in &p.segments {
            assert_eq!(seg.degraded_share, 0.0, "{policy}: {seg:?}");
        }
        assert_eq!(p.degraded_acceptance_rate, None, "{policy}");
    }
    // With a batch discount, or a cheaper route, the policy acts and nothing is said.
    let batch = base("[[policy]]\nname = \"b\"\nat_usd = 14.995\nbatch = true\n").replace(
        "output_usd_per_mtok = 10\n",
        "output_usd_per_mtok = 10\nbatch_discount = 0.5\n",
    );
    assert!(
        !warnings(&batch).contains("changes nothing"),
        "{}",
        warnings(&batch)
    );
    let p = run(&batch).stacks[0].policies.clone().unwrap();
    assert!((p.segments[0].degraded_share - 2.0 / 3.0).abs() < 1e-12);
    let route = base("[[policy]]\nname = \"r\"\nat_usd = 14.995\nroute = \"cheap\"\n");
    assert!(
        !warnings(&route).contains("changes nothing"),
        "{}",
        warnings(&route)
    );
}

#[test]
fn set_switches_a_threshold_between_a_budget_fraction_and_dollars() {
    // `--set policy.NAME.at_usd=…` replaces a policy's `at_budget_fraction` (and the reverse):
    // $30 budget × 0.5 = $15, or $12 once set in dollars.
    let text = base("[[policy]]\nname = \"half\"\nat_budget_fraction = 0.5\npause = true\n");
    let load = |set: &str| {
        let opts = aicost::model::scenario::LoadOptions {
            overrides: vec![set.to_string()],
            ..Default::default()
        };
        aicost::model::scenario::from_str_with("test.toml", &text, &opts)
            .unwrap_or_else(|e| panic!("{set}: {e}"))
            .scenario
            .policies[0]
            .threshold_usd
    };
    assert_eq!(load("policy.half.at_usd=12"), 12.0);
    assert_eq!(load("policy.half.at_budget_fraction=0.8"), 24.0);
    let dollars = text.replace("at_budget_fraction = 0.5", "at_usd = 12");
    let opts = aicost::model::scenario::LoadOptions {
        overrides: vec!["policy.half.at_budget_fraction=0.25".to_string()],
        ..Default::default()
    };
    let loaded = aicost::model::scenario::from_str_with("test.toml", &dollars, &opts).unwrap();
    assert_eq!(loaded.scenario.policies[0].threshold_usd, 7.5);
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
