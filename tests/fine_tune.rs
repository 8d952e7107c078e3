//! Fine-tuned models: the training job is billed once, in the month the scenario names, hosting
//! every hour of every month, by both engines and the estimate alike; FOCUS writes both as rows
//! of their own; `compare` finds the month the training pays for itself, by hand arithmetic.

mod common;

use aicost::analysis::compare::{Comparison, DEFAULT_MAX_BREACH};
use aicost::sim::engine::{self, SimOptions};
use aicost::sim::estimate::estimate;
use common::*;

/// 1,000 users × 20 sessions × 1 request = 20,000 requests a month of 1,000 input and 200 output
/// tokens, over a year of 30-day months.
///
/// - `few-shot` on `large`: 20,000 × (1,000 × $2.50 + 200 × $10) / 10⁶ = $90 a month.
/// - `fine-tuned` on `tuned`: 20,000 × (1,000 × $0.30 + 200 × $1.20) / 10⁶ = $10.80 a month,
///   plus hosting $0.05 × 24 × 30 = $36 a month, plus, in month 1, training
///   2,000,000 tokens × 4 epochs × $25 / 10⁶ = $200.
///
/// The fine-tune saves $90 − $46.80 = $43.20 a month: the cumulative saving is −$156.80 after
/// month 1, then −$113.60, −$70.40, −$27.20 and +$16.00 after month 5, the break-even month
/// ($200 / $43.20 = 4.6 months).
fn scenario_text(training_month: u32) -> String {
    format!(
        r#"
name = "fine-tune"
[simulation]
trials = 4
months = 12
arrivals = "fixed"
{demand}
[[model]]
name = "large"
input_usd_per_mtok = 2.50
output_usd_per_mtok = 10.00

[[model]]
name = "tuned"
input_usd_per_mtok = 0.30
output_usd_per_mtok = 1.20
[model.fine_tune]
base = "small"
training_tokens = 2000000
epochs = 4
training_usd_per_mtok = 25
training_month = {training_month}
hosting_usd_per_hour = 0.05

[[stack]]
name = "few-shot"
[stack.route.r]
chain = [{{ model = "large" }}]

[[stack]]
name = "fine-tuned"
[stack.route.r]
chain = [{{ model = "tuned" }}]
"#,
        demand = one_call_demand("s", 1000, 20, "")
    )
}

#[test]
fn training_is_billed_once_and_hosting_every_month() {
    let s = scenario(&scenario_text(1));
    assert!(s.is_deterministic());
    let r = simulate(&s, 2, 3);
    let tuned = &r.stacks[1];
    for (i, spend) in tuned.spend.iter().enumerate() {
        let month = i % 12;
        let expected = if month == 0 { 246.80 } else { 46.80 };
        assert_cents(&format!("fine-tuned month {}", month + 1), *spend, expected);
        assert_cents("few-shot", r.stacks[0].spend[i], 90.0);
    }
    // Summed over both trials' 24 months: 2 × $200 of training, 24 × $36 of hosting.
    assert_cents("training", tuned.cost_by_class.training, 400.0);
    assert_cents("hosting", tuned.cost_by_class.hosting, 864.0);
    assert_eq!(r.stacks[0].cost_by_class.training, 0.0);
    // The model's spend holds its fees; a day of the first month its training.
    let model = tuned.model_spend[1];
    assert_cents("tuned model", model, 2.0 * (246.80 + 11.0 * 46.80));
    let days: f64 = tuned.daily.iter().map(|d| d[0]).sum();
    assert_cents("days of month 1", days, 246.80);
    assert!(
        tuned.daily[0][0] > 200.0,
        "the training job falls on the first day"
    );

    let e = estimate(&s);
    assert_cents("estimate month 1", e.stacks[1].months_usd[0], 246.80);
    assert_cents("estimate month 2", e.stacks[1].months_usd[1], 46.80);
    assert_cents("estimate training", e.stacks[1].invoice.training_usd, 200.0);
    assert_cents("estimate hosting", e.stacks[1].invoice.hosting_usd, 36.0);
    assert_cents("estimate class", e.stacks[1].by_class_usd.training, 200.0);
}

#[test]
fn a_later_training_month_moves_the_fee() {
    let s = scenario(&scenario_text(3));
    let r = simulate(&s, 1, 3);
    assert_cents("month 1", r.stacks[1].spend[0], 46.80);
    assert_cents("month 3", r.stacks[1].spend[2], 246.80);
    let e = estimate(&s);
    assert_cents("estimate month 3", e.stacks[1].months_usd[2], 246.80);
}

#[test]
fn the_break_even_month_is_the_fifth_by_hand() {
    let s = scenario(&scenario_text(1));
    let r = simulate(&s, 4, 3);
    let c = Comparison::of_stacks(&s, &r, DEFAULT_MAX_BREACH);
    let b = c.differences[0]
        .break_even
        .as_ref()
        .expect("the fine-tune pays a one-time fee");
    assert_eq!(b.investing, "fine-tuned");
    assert_eq!(b.against, "few-shot");
    assert_cents("one-time", b.one_time_usd, 200.0);
    assert_eq!(b.expected_month, Some(5));
    assert_eq!(b.median_month, Some(5));
    assert_eq!(b.p5_month, Some(5));
    assert_eq!(b.p95_month, Some(5));
    assert_eq!(b.probability_by_month[3].value, 0.0);
    assert_eq!(b.probability_by_month[4].value, 1.0);
    assert_eq!(b.probability_within_horizon.value, 1.0);
    for (m, saving) in [-156.80, -113.60, -70.40, -27.20, 16.00].iter().enumerate() {
        assert_cents(
            &format!("saving after month {}", m + 1),
            b.cumulative_saving_usd[m].value,
            *saving,
        );
    }
    // Billed in month 3, the fee meets two months of saving already made: +$43.20, +$86.40,
    // then −$70.40 after month 3, −$27.20, and +$16.00 after month 5 again; months before the
    // fee do not count as paid back.
    let s3 = scenario(&scenario_text(3));
    let r3 = simulate(&s3, 2, 3);
    let c3 = Comparison::of_stacks(&s3, &r3, DEFAULT_MAX_BREACH);
    let b3 = c3.differences[0]
        .break_even
        .as_ref()
        .expect("a one-time fee");
    assert_eq!(b3.expected_month, Some(5));
    assert_eq!(b3.median_month, Some(5));
    assert_eq!(b3.probability_by_month[1].value, 0.0);
}

#[test]
fn a_fine_tune_is_invalid_without_a_training_month_in_the_horizon() {
    let text = scenario_text(13);
    let err = aicost::model::scenario::from_str("test.toml", &text)
        .err()
        .unwrap_or_else(|| panic!("month 13 of a 12-month horizon is refused"));
    let shown = err.to_string();
    assert!(shown.contains("training_month"), "{shown}");
    assert!(shown.contains("1 to 12"), "{shown}");
    let zero_epochs = scenario_text(1).replace("epochs = 4", "epochs = 0");
    let err = aicost::model::scenario::from_str("test.toml", &zero_epochs)
        .err()
        .unwrap_or_else(|| panic!("no epochs is refused"));
    assert!(err.to_string().contains("epochs"), "{err}");
    let unknown = scenario_text(1).replace("epochs = 4", "epochz = 4");
    assert!(aicost::model::scenario::from_str("test.toml", &unknown).is_err());
}

/// Poisson traffic and uncertain prices, so both engines run: their fees must be the same
/// figures, trial by trial — the spend with the fine-tune less the spend of the same scenario
/// without its fees is exactly the fees in every month, on each engine.
#[test]
fn both_engines_bill_the_same_fees() {
    let with = scenario_text(2)
        .replace("arrivals = \"fixed\"", "")
        .replace("months = 12", "months = 3")
        .replace("users = 1000", "users = { low = 800, high = 1200 }")
        .replace("user_variability = 0", "user_variability = 0.5")
        .replace(
            "input_tokens = 1000",
            "input_tokens = { p50 = 1000, p95 = 1500 }",
        );
    let without = with
        .replace("hosting_usd_per_hour = 0.05", "hosting_usd_per_hour = 0")
        .replace("training_usd_per_mtok = 25", "training_usd_per_mtok = 0");
    let (a, b) = (scenario(&with), scenario(&without));
    let opts = SimOptions::new(40, 9);
    for (name, ra, rb) in [
        (
            "exact",
            engine::simulate_exact(&a, &opts).unwrap(),
            engine::simulate_exact(&b, &opts).unwrap(),
        ),
        (
            "fast",
            engine::simulate_fast(&a, &opts, "test".into()).unwrap(),
            engine::simulate_fast(&b, &opts, "test".into()).unwrap(),
        ),
    ] {
        for (i, (x, y)) in ra.stacks[1]
            .spend
            .iter()
            .zip(&rb.stacks[1].spend)
            .enumerate()
        {
            let fees = 36.0 + if i % 3 == 1 { 200.0 } else { 0.0 };
            assert!(
                (x - y - fees).abs() < 1e-6,
                "{name}: month {i} carries {} of fees, not {fees}",
                x - y
            );
        }
        assert_cents(
            &format!("{name} training"),
            ra.stacks[1].cost_by_class.training,
            40.0 * 200.0,
        );
        assert_eq!(
            ra.stacks[0].spend, rb.stacks[0].spend,
            "{name}: few-shot pays nothing"
        );
    }
}

#[test]
fn focus_writes_the_training_job_and_hosting_as_rows_of_their_own() {
    let s = scenario(&scenario_text(1));
    let e = estimate(&s);
    let rows = aicost::render::focus::rows(&s, &e, 0);
    let training: Vec<_> = rows
        .iter()
        .filter(|r| r.meter == "Fine-Tuning Training")
        .collect();
    assert_eq!(training.len(), 1);
    assert_cents("training row", training[0].billed_cost, 200.0);
    assert_eq!(training[0].quantity, 8_000_000.0);
    let hosting: Vec<_> = rows
        .iter()
        .filter(|r| r.meter == "Fine-Tuned Deployment Hosting")
        .collect();
    assert_eq!(hosting.len(), 1);
    assert_cents("hosting row", hosting[0].billed_cost, 36.0);
    assert_eq!(hosting[0].quantity, 720.0);
    // The fine-tuned stack's rows sum to its invoice; month 2 has no training row.
    let billed: f64 = rows
        .iter()
        .filter(|r| r.stack == "fine-tuned")
        .map(|r| r.billed_cost)
        .sum();
    assert_cents("fine-tuned rows", billed, 246.80);
    let later = aicost::render::focus::rows(&s, &e, 1);
    assert!(!later.iter().any(|r| r.meter == "Fine-Tuning Training"));
    let csv = aicost::render::focus::render(
        &s,
        &e,
        &[(aicost::base::calendar::Month::parse("2027-01").unwrap(), 1)],
        aicost::render::focus::FocusVersion::default(),
    );
    assert!(csv.contains(",One-Time,"), "{csv}");
}

/// The worked example of the capacity-planning guide is this file's scenario, and its figures
/// are the ones checked above.
#[test]
fn the_guide_works_through_this_scenario() {
    let guide = std::fs::read_to_string("docs/capacity.md").unwrap();
    let start = guide.find("```toml\n").expect("a TOML block") + "```toml\n".len();
    let end = start + guide[start..].find("```").unwrap();
    let s = scenario(&guide[start..end]);
    let r = simulate(&s, 1, 3);
    assert_cents("few-shot", r.stacks[0].spend[0], 90.0);
    assert_cents("fine-tuned month 1", r.stacks[1].spend[0], 246.80);
    assert_cents("fine-tuned month 2", r.stacks[1].spend[1], 46.80);
    let c = Comparison::of_stacks(&s, &r, DEFAULT_MAX_BREACH);
    let b = c.differences[0].break_even.as_ref().unwrap();
    assert_eq!(b.median_month, Some(5));
    assert_cents("after month 5", b.cumulative_saving_usd[4].value, 16.0);
    for (figure, text) in [
        ("$246.80", "month 1"),
        ("+$16.00 after month 5", "break-even"),
    ] {
        assert!(guide.contains(figure), "{text}: {figure}");
    }
}

/// The shipped scenario pays its training back within the year on both engines' terms.
#[test]
fn the_shipped_fine_tune_pays_back_within_the_year() {
    let s =
        aicost::model::scenario::load(std::path::Path::new("scenarios/fine-tune-break-even.toml"))
            .unwrap()
            .scenario;
    let r = aicost::simulate(&s, 200, 7).unwrap();
    let c = aicost::compare(&s, &r, DEFAULT_MAX_BREACH);
    let b = c.differences[0].break_even.as_ref().unwrap();
    assert_eq!(b.investing, "fine-tuned");
    assert_cents("training", b.one_time_usd, 450.0);
    assert!(
        b.median_month.is_some_and(|m| (2..=4).contains(&m)),
        "{b:?}"
    );
    assert!(b.probability_within_horizon.value > 0.95, "{b:?}");
}

/// A segment's traffic within the day never changes what a day totals: the same seed gives the
/// same months, whatever the profile and burstiness.
#[test]
fn an_hourly_profile_changes_no_figure_priced_today() {
    let base = scenario_text(1)
        .replace("arrivals = \"fixed\"", "")
        .replace("months = 12", "months = 2")
        .replace("user_variability = 0", "user_variability = 0.5");
    let shaped = base.replace(
        "user_variability = 0.5",
        "user_variability = 0.5\nhourly_profile = \"office-hours\"\nburstiness = 0.5",
    );
    let weights = base.replace(
        "user_variability = 0.5",
        &format!(
            "user_variability = 0.5\nhourly_weights = [{}]",
            ["1"; 24].join(", ")
        ),
    );
    let (a, b, w) = (scenario(&base), scenario(&shaped), scenario(&weights));
    assert_eq!(b.segments[0].within_day.burstiness, 0.5);
    assert!((b.segments[0].within_day.shares[10] - 0.11).abs() < 1e-12);
    assert_eq!(w.segments[0].within_day, a.segments[0].within_day);
    let (ra, rb) = (simulate(&a, 20, 5), simulate(&b, 20, 5));
    assert_eq!(ra.stacks[1].spend, rb.stacks[1].spend);
    assert_eq!(ra.stacks[0].requests, rb.stacks[0].requests);
}

#[test]
fn a_bad_hourly_profile_is_refused_with_a_fix() {
    let text = scenario_text(1).replace(
        "user_variability = 0",
        "user_variability = 0\nhourly_profile = \"office-hour\"",
    );
    let err = aicost::model::scenario::from_str("test.toml", &text)
        .err()
        .unwrap_or_else(|| panic!("an unknown profile is refused"))
        .to_string();
    assert!(err.contains("did you mean `office-hours`?"), "{err}");
    let text = scenario_text(1).replace(
        "user_variability = 0",
        "user_variability = 0\nhourly_weights = [1, 2, 3]",
    );
    let err = aicost::model::scenario::from_str("test.toml", &text)
        .err()
        .unwrap_or_else(|| panic!("three weights are refused"))
        .to_string();
    assert!(err.contains("needs 24 weights"), "{err}");
    assert!(err.contains("test.toml:"), "{err}");
}
