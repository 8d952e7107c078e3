//! The figures of docs/budget-policies.md: the legal-drafting scenario's demand by hand (from
//! `estimate`), and the simulated month with its soft limits (the exact engine, 20 trials, seed
//! 23), each against the hand arithmetic of the guide; the guide's simulated column is read
//! from the guide itself and must match a run to the precision it prints.

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
fn what_the_guide_says_estimate_prints_is_what_it_prints() {
    let doc = std::fs::read_to_string("docs/budget-policies.md").unwrap();
    let text = aicost::render::estimate::render(&aicost::sim::estimate::estimate(&legal()));
    for (doc_says, printed) in [
        (
            "320,000 drafts for $12,960",
            "$0.0405 × 320,000 requests = $12,960.00 per month",
        ),
        (
            "120,000 summaries for $2,340",
            "$0.0195 × 120,000 requests = $2,340.00 per month",
        ),
        (
            "240,000 drafts and 90,000 summaries from the firm",
            "firm-seats: 1,500 users × 20 sessions/user/month × 8 requests/session = 240,000 requests/month",
        ),
        (
            "80,000 and 30,000 from the trial",
            "trial: 500 users × 20 sessions/user/month × 3 requests/session = 30,000 requests/month",
        ),
    ] {
        assert!(
            doc.replace('\n', " ").contains(doc_says),
            "the guide no longer says {doc_says:?}"
        );
        assert!(text.contains(printed), "{printed:?} in\n{text}");
    }
    // The dollar split by segment is the guide's own arithmetic, which estimate does not print.
    assert!(!text.contains("11,475"), "{text}");
    assert!(!doc.contains("prints this arithmetic"));
}

#[test]
fn the_guide_documents_thresholds_on_a_segments_own_spend_as_working() {
    // The policy section documents `spend_of_segments` and `spend_of_workflows` (and
    // tests/policies.rs checks the day such a policy fires): the Limits must not deny them.
    let doc = std::fs::read_to_string("docs/budget-policies.md").unwrap();
    assert!(doc.contains("spend_of_segments = [\"trial\"]"));
    assert!(!doc.contains("not a segment's or a workflow's own"));
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

/// The numbers written in `text`, each with half a unit of its last printed digit: "$14,164 ±
/// 32" is [(14164, 0.5), (32, 0.5)], "39.2%" is [(39.2, 0.05)].
fn figures(text: &str) -> Vec<(f64, f64)> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        if !chars[i].is_ascii_digit() {
            i += 1;
            continue;
        }
        let mut digits = String::new();
        let mut decimals: Option<i32> = None;
        while i < chars.len() {
            let c = chars[i];
            let digit_follows = chars.get(i + 1).is_some_and(|d| d.is_ascii_digit());
            if c.is_ascii_digit() {
                digits.push(c);
                decimals = decimals.map(|d| d + 1);
            } else if c == ',' && digit_follows && decimals.is_none() {
            } else if c == '.' && digit_follows && decimals.is_none() {
                digits.push('.');
                decimals = Some(0);
            } else {
                break;
            }
            i += 1;
        }
        let half = 0.5 * 10f64.powi(-decimals.unwrap_or(0));
        out.push((digits.parse().unwrap(), half));
    }
    out
}

/// The last cell (the simulated column) of the guide's table row that starts with `label`.
fn simulated_cell<'a>(doc: &'a str, label: &str) -> &'a str {
    let line = doc
        .lines()
        .find(|l| l.starts_with(&format!("| {label} |")))
        .unwrap_or_else(|| panic!("docs/budget-policies.md has no row `{label}`"));
    line.trim_end()
        .trim_end_matches('|')
        .rsplit('|')
        .next()
        .unwrap()
        .trim()
}

/// Each figure of `text` equals its value in `run` to the precision printed.
fn assert_printed(what: &str, text: &str, run: &[f64]) {
    let doc = figures(text);
    assert_eq!(doc.len(), run.len(), "{what}: `{text}` against {run:?}");
    for ((d, half), r) in doc.iter().zip(run) {
        assert!(
            (d - r).abs() <= half * (1.0 + 1e-9),
            "{what}: docs/budget-policies.md prints `{text}`, a run gives {r}: update the guide"
        );
    }
}

#[test]
fn the_guides_simulated_column_is_what_the_simulation_prints() {
    let doc = std::fs::read_to_string("docs/budget-policies.md").unwrap();
    let s = legal();
    let r = report(&s, 20, 23);
    let st = &r.stacks[0];
    let p = st.policies.as_ref().expect("policies");
    let pct = |x: f64| x * 100.0;
    for (i, name) in ["trial-on-haiku", "pause-trial-summaries"]
        .iter()
        .enumerate()
    {
        let f = &p.policies[i];
        assert_printed(
            name,
            simulated_cell(&doc, &format!("`{name}` fires")),
            &[pct(f.probability_fired), f.median_day_fired.unwrap()],
        );
    }
    let (firm, trial) = (&p.segments[0], &p.segments[1]);
    let rows: [(&str, Vec<f64>); 7] = [
        (
            "trial requests served degraded",
            vec![pct(trial.degraded_share)],
        ),
        ("trial requests paused", vec![pct(trial.paused_share)]),
        (
            "firm-seat requests degraded, paused or refused (by a policy or the cap)",
            vec![pct(firm.degraded_share
                + firm.paused_share
                + firm.refused_share
                + firm.hard_cap_refused_share)],
        ),
        (
            "monthly spend with the policies",
            vec![st.monthly_spend_usd.mean, st.mean_standard_error_usd],
        ),
        (
            "on the same months without them",
            vec![p.monthly_spend_without_policies_usd],
        ),
        (
            "months the hard cap refuses requests, without / with",
            vec![
                pct(p.hard_cap_probability_without_policies),
                pct(p.hard_cap_probability),
            ],
        ),
        (
            "requests the hard cap refuses a month, without / with",
            vec![
                p.refused_requests_without_policies.mean,
                p.hard_cap_refused_requests.mean,
            ],
        ),
    ];
    for (label, run) in rows {
        assert_printed(label, simulated_cell(&doc, label), &run);
    }
    let saved = doc
        .split("The policies save ")
        .nth(1)
        .and_then(|t| t.split(" a month").next())
        .expect("the guide says what the policies save");
    assert_printed(
        "policies save",
        saved,
        &[-p.spend_change_usd.mean, p.spend_change_usd.standard_error],
    );
}

#[test]
fn the_figure_reader_keeps_the_printed_precision() {
    assert_eq!(figures("$14,164 ± 32"), vec![(14164.0, 0.5), (32.0, 0.5)]);
    assert_eq!(figures("39.2%"), vec![(39.2, 0.05)]);
    assert_eq!(
        figures("100% of months, median day 18"),
        vec![(100.0, 0.5), (18.0, 0.5)]
    );
    assert_eq!(figures("6,372 / 0"), vec![(6372.0, 0.5), (0.0, 0.5)]);
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
