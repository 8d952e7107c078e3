//! The figures of docs/budget-policies.md: the legal-drafting scenario's demand by hand (from
//! `estimate`), and the simulated month with its soft limits (the exact engine, 20 trials, seed
//! 23), each against the hand arithmetic of the guide.

mod common;

use common::*;

fn legal() -> aicost::model::Scenario {
    scenario(&std::fs::read_to_string("scenarios/legal-drafting.toml").unwrap())
}

#[test]
fn demand_is_15_300_dollars_a_month_by_hand() {
    let s = legal();
    let e = aicost::sim::estimate::estimate(&s);
    let w = &e.stacks[0].workflows;
    // 320,000 drafts × $0.0405 and 120,000 summaries × $0.0195.
    assert_cents("draft", w[0].monthly_usd, 12_960.0);
    assert_cents("summarize", w[1].monthly_usd, 2_340.0);
    assert_cents("demand", w[0].monthly_usd + w[1].monthly_usd, 15_300.0);
    assert!(
        e.approximations
            .iter()
            .any(|a| a.contains("budget policies")),
        "{:?}",
        e.approximations
    );
}

#[test]
fn the_soft_limits_fire_on_days_18_and_29_and_never_touch_firm_seats() {
    let s = legal();
    let r = report(&s, 20, 23);
    let st = &r.stacks[0];
    let p = st.policies.as_ref().expect("policies");
    // $9,000 / $648.31 a weekday = 13.88 weekday-equivalents: day 18; $13,500 at 22.21: day 29.
    assert_eq!(p.policies[0].median_day_fired, Some(18.0));
    assert_eq!(p.policies[1].median_day_fired, Some(29.0));
    assert_eq!(p.policies[0].probability_fired, 1.0);
    let firm = &p.segments[0];
    assert_eq!(firm.name, "firm-seats");
    assert_eq!(
        firm.degraded_share + firm.paused_share + firm.refused_share + firm.hard_cap_refused_share,
        0.0
    );
    // Trial: 39.6% served by Haiku and 1.6% paused in the average month.
    let trial = &p.segments[1];
    assert!((trial.degraded_share - 0.396).abs() < 0.01, "{trial:?}");
    assert!((trial.paused_share - 0.016).abs() < 0.004, "{trial:?}");
    // About $14,240 in the average month; the simulated mean is within 1% of it.
    let spend = st.monthly_spend_usd.mean;
    assert!((spend / 14_240.0 - 1.0).abs() < 0.01, "{spend}");
    // Without the policies the cap ($15,000) holds the month and refuses requests in most
    // months; with them, in none.
    assert!(p.monthly_spend_without_policies_usd <= 15_000.0);
    assert!(p.monthly_spend_without_policies_usd > 14_900.0);
    assert!(p.hard_cap_probability_without_policies > 0.5);
    assert_eq!(p.hard_cap_probability, 0.0);
    assert_eq!(p.refused_requests.mean, 0.0);
    assert!(p.refused_requests_without_policies.mean > 1_000.0);
}

#[test]
fn three_features_cost_108_000_dollars_a_month_by_hand() {
    let s = scenario(&std::fs::read_to_string("scenarios/three-features.toml").unwrap());
    let e = aicost::sim::estimate::estimate(&s);
    let w = &e.stacks[0].workflows;
    assert_cents("descriptions", w[0].monthly_usd, 41_000.0);
    assert_cents("chat", w[1].monthly_usd, 38_000.0);
    assert_cents("explanations", w[2].monthly_usd, 29_000.0);
    assert_cents("month", e.stacks[0].monthly_usd, 108_000.0);
    assert_eq!(w[0].requests_per_month, 1_000_000.0);
    assert_eq!(w[1].requests_per_month, 4_000_000.0);
    assert_eq!(w[2].requests_per_month, 5_000_000.0);
}
