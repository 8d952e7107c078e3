//! Provisioned capacity by hand arithmetic: a capacity exactly used (no spillover, no idle
//! hours), one with a known spillover by fixed arrivals, spillover billed at another model's
//! prices, and the worked example of docs/capacity.md (`scenarios/provisioned-throughput.toml`)
//! figure by figure.

mod common;

use aicost::analysis::report::Report;
use common::*;

/// One segment of `per_minute` × 1,440 requests a day over a 30-day month, flat over the day,
/// each of 1,000 input and 200 output tokens (1,200 tokens); `gpt` at $2.50 / $10 per million
/// ($0.0045 a request), and `ptu`, a capacity of `units` × `tpm` tokens a minute at $2 a
/// unit-hour spilling to `gpt`.
fn text(per_minute: u32, units: u32, tpm: u32) -> String {
    format!(
        r#"
name = "ptu"
[simulation]
trials = 2
months = 1
arrivals = "fixed"
{demand}
[[model]]
name = "gpt"
input_usd_per_mtok = 2.50
output_usd_per_mtok = 10.00
[[model]]
name = "ptu"
[model.provisioned]
units = {units}
tokens_per_minute_per_unit = {tpm}
usd_per_unit_hour = 2
spillover = "gpt"
[[stack]]
name = "payg"
[stack.route.r]
chain = [{{ model = "gpt" }}]
[[stack]]
name = "provisioned"
[stack.route.r]
chain = [{{ model = "ptu" }}]
"#,
        demand = one_call_demand("s", 1440 * u64::from(per_minute), 30, "")
    )
}

#[test]
fn a_capacity_exactly_used_has_no_spillover_and_no_idle_hours() {
    // One request a minute of 1,200 tokens against one unit of 1,200 tokens a minute. The
    // month's 43,200 requests cost $194.40 pay-as-you-go; the capacity serves every token,
    // so the stack pays its fee alone: 1 × 720 hours × $2 = $1,440.00.
    let s = scenario(&text(1, 1, 1200));
    let r = simulate(&s, 2, 7);
    for m in 0..2 {
        assert_cents("payg", r.stacks[0].spend[m], 194.40);
        assert_cents("provisioned", r.stacks[1].spend[m], 1_440.00);
    }
    let c = &r.stacks[1].capacity[0][0];
    assert_eq!(c.spilled_tokens, 0.0);
    assert!((c.utilisation() - 1.0).abs() < 1e-12, "{}", c.utilisation());
    assert!(c.idle_usd().abs() < 1e-9);
    assert_cents("fee", c.fee_usd, 1_440.00);
    assert_cents("credited", c.served_usd, 194.40);
    let rep = Report::new(&s, &r);
    let p = &rep.stacks[1].provisioned[0];
    assert_eq!(
        (p.model.as_str(), p.spillover_model.as_str()),
        ("ptu", "gpt")
    );
    assert_eq!(p.utilisation.p50, 1.0);
    assert_eq!(p.utilisation.p95, 1.0);
    assert_eq!(p.spillover_usd.mean, 0.0);
    assert!(rep.stacks[0].provisioned.is_empty());
    // The billing classes still add up to the spend: calls pay-as-you-go, the fee, and the
    // pay-as-you-go dollars the capacity served credited back.
    let b = &r.stacks[1].cost_by_class;
    assert_cents("fee class", b.provisioned, 2.0 * 1_440.00);
    assert_cents("credit class", b.provisioned_served, -2.0 * 194.40);
}

#[test]
fn a_known_spillover_by_fixed_arrivals() {
    // Two requests a minute, 2,400 tokens, against 2 units of 1,000: every minute spills 400
    // tokens, a sixth of its dollars. A month: 86,400 requests, $388.80 pay-as-you-go;
    // spillover 400 × 43,200 = 17,280,000 tokens, $64.80; fee 2 × 720 × $2 = $2,880.00;
    // the stack pays $2,944.80.
    let s = scenario(&text(2, 2, 1000));
    let r = simulate(&s, 2, 7);
    assert_cents("payg", r.stacks[0].spend[0], 388.80);
    assert_cents("provisioned", r.stacks[1].spend[0], 2_944.80);
    let c = &r.stacks[1].capacity[0][0];
    assert!(
        (c.spilled_tokens - 17_280_000.0).abs() < 1e-3,
        "{}",
        c.spilled_tokens
    );
    assert_cents("spillover", c.spilled_usd, 64.80);
    assert!((c.utilisation() - 1.0).abs() < 1e-12);
    // The same traffic on 3 units (3,000 a minute): nothing spills, a fifth of it idles:
    // fee $4,320.00, idle $864.00.
    let s = scenario(&text(2, 3, 1000));
    let r = simulate(&s, 1, 7);
    let c = &r.stacks[1].capacity[0][0];
    assert_eq!(c.spilled_tokens, 0.0);
    assert!((c.utilisation() - 0.8).abs() < 1e-12);
    assert_cents("idle", c.idle_usd(), 864.00);
    assert_cents("provisioned", r.stacks[1].spend[0], 4_320.00);
    // The days carry the fee evenly and the spend adds up.
    let days: f64 = r.stacks[1].daily.iter().map(|d| d[0]).sum();
    assert_cents("days", days, 4_320.00);
}

#[test]
fn the_worked_example_of_the_capacity_guide() {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/scenarios/provisioned-throughput.toml"
    ))
    .unwrap();
    // Per unit count: (stack spend, fee, spillover $, idle $, utilisation).
    let cases = [
        (1, 547.20, 288.00, 259.20, 156.00, 99.0 / 216.0),
        (
            2,
            622.08,
            576.00,
            46.08,
            576.00 * (1.0 - 165.6 / 432.0),
            165.6 / 432.0,
        ),
        (
            3,
            864.00,
            864.00,
            0.0,
            864.00 * (1.0 - 180.0 / 648.0),
            180.0 / 648.0,
        ),
    ];
    for (units, spend, fee, spill, idle, used) in cases {
        let t = text.replace("units = 1\n", &format!("units = {units}\n"));
        let s = scenario(&t);
        let r = simulate(&s, 1, 1);
        assert_cents("pay-as-you-go", r.stacks[0].spend[0], 576.00);
        assert_cents(&format!("{units} units"), r.stacks[1].spend[0], spend);
        let c = &r.stacks[1].capacity[0][0];
        assert_cents("fee", c.fee_usd, fee);
        assert_cents("spillover", c.spilled_usd, spill);
        assert_cents("idle", c.idle_usd(), idle);
        assert!((c.utilisation() - used).abs() < 1e-9, "{}", c.utilisation());
    }
}

#[test]
fn users_and_workflows_bear_the_settled_dollars_of_a_provisioned_stack() {
    // The known spillover above: $2,944.80 a month over 2,880 users of 30 requests each, all
    // alike, so each user costs $2,944.80 / 2,880 = $1.0225 (not the $0.135 of their
    // pay-as-you-go calls), and the one workflow carries the whole month.
    let s = scenario(&text(2, 2, 1000));
    let r = simulate(&s, 2, 7);
    let rep = Report::new(&s, &r);
    let st = &rep.stacks[1];
    assert_cents("stack per user", st.cost_per_user_usd.mean, 1.0225);
    let seg = &st.segments[0].cost_per_user_usd;
    assert!((seg.mean - 1.0225).abs() < 1e-9, "{}", seg.mean);
    assert!((seg.p95 - 1.0225).abs() < 1e-9, "{}", seg.p95);
    assert_cents("workflow", st.workflows[0].monthly_spend_usd.mean, 2_944.80);
    // The pay-as-you-go stack is untouched: $388.80 / 2,880 = $0.135.
    let seg = &rep.stacks[0].segments[0].cost_per_user_usd;
    assert!((seg.mean - 0.135).abs() < 1e-9, "{}", seg.mean);
}

#[test]
fn estimate_settles_the_capacity_as_the_exact_engine_does_by_hand() {
    // The known spillover: fee $2,880.00 + spillover $64.80 = $2,944.80, the capacity serving
    // the other $324.00 of the pay-as-you-go $388.80.
    let e = aicost::sim::estimate::estimate(&scenario(&text(2, 2, 1000)));
    assert_cents("payg", e.stacks[0].monthly_usd, 388.80);
    assert_cents("provisioned", e.stacks[1].monthly_usd, 2_944.80);
    let inv = &e.stacks[1].invoice;
    assert_cents("fee", inv.provisioned_usd, 2_880.00);
    assert_cents("served", inv.provisioned_served_usd, -324.00);
    let c = &inv.provisioned[0];
    assert!(
        (c.spilled_tokens - 17_280_000.0).abs() < 1e-3,
        "{}",
        c.spilled_tokens
    );
    assert_cents("spillover", c.spilled_usd, 64.80);
    assert!((c.utilisation() - 1.0).abs() < 1e-12);
    assert!(e.stacks[0].invoice.provisioned.is_empty());
    // The worked example of the guide, unit count by unit count: (spend, spillover $).
    let guide = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/scenarios/provisioned-throughput.toml"
    ))
    .unwrap();
    for (units, spend, spill) in [(1, 547.20, 259.20), (2, 622.08, 46.08), (3, 864.00, 0.0)] {
        let t = guide.replace("units = 1\n", &format!("units = {units}\n"));
        let e = aicost::sim::estimate::estimate(&scenario(&t));
        assert_cents("pay-as-you-go", e.stacks[0].monthly_usd, 576.00);
        assert_cents(&format!("{units} units"), e.stacks[1].monthly_usd, spend);
        assert_cents(
            "spillover",
            e.stacks[1].invoice.provisioned[0].spilled_usd,
            spill,
        );
    }
}

/// The FOCUS CSV of `text`'s expected month: its header and rows.
fn focus_csv(text: &str) -> (Vec<String>, Vec<Vec<String>>) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ptu.toml");
    std::fs::write(&path, text).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_aicost"))
        .env("AICOST_TODAY", "2026-11-23")
        .args(["estimate", path.to_str().unwrap(), "--format", "focus"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let mut r = csv::Reader::from_reader(out.stdout.as_slice());
    let header = r.headers().unwrap().iter().map(str::to_string).collect();
    let rows = r
        .records()
        .map(|x| x.unwrap().iter().map(str::to_string).collect())
        .collect();
    (header, rows)
}

#[test]
fn focus_rows_bill_the_capacity_fee_on_its_own_row_and_only_the_spillover_as_usage() {
    // The known spillover: the fee $2,880.00 for 2 units × 720 hours, the $324.00 the capacity
    // served billed nothing, the $64.80 spilled over billed at pay-as-you-go: $2,944.80.
    let (h, rows) = focus_csv(&text(2, 2, 1000));
    let col = |name: &str| h.iter().position(|x| x == name).unwrap();
    let num = |r: &Vec<String>, name: &str| r[col(name)].parse::<f64>().unwrap();
    let mine: Vec<&Vec<String>> = rows
        .iter()
        .filter(|r| r[col("x_Stack")] == "provisioned")
        .collect();
    for cost in ["BilledCost", "EffectiveCost"] {
        let total: f64 = mine.iter().map(|r| num(r, cost)).sum();
        assert_cents(cost, total, 2_944.80);
    }
    let fee: Vec<&&Vec<String>> = mine
        .iter()
        .filter(|r| r[col("SkuMeter")] == "Provisioned Throughput")
        .collect();
    assert_eq!(fee.len(), 1);
    let fee = fee[0];
    assert_eq!(fee[col("ChargeCategory")], "Usage");
    assert_eq!(fee[col("ChargeFrequency")], "Usage-Based");
    assert_eq!(fee[col("PricingUnit")], "Hours");
    assert_eq!(num(fee, "PricingQuantity"), 1_440.0);
    assert_cents("fee", num(fee, "BilledCost"), 2_880.00);
    assert_cents("fee unit price", num(fee, "ListUnitPrice"), 2.00);
    let served = |note: &str| -> (f64, f64, f64) {
        let rs: Vec<&&Vec<String>> = mine
            .iter()
            .filter(|r| r[col("ChargeDescription")].contains(note))
            .collect();
        assert!(!rs.is_empty(), "no row {note}");
        rs.iter().fold((0.0, 0.0, 0.0), |(b, l, q), r| {
            (
                b + num(r, "BilledCost"),
                l + num(r, "ListCost"),
                q + num(r, "ConsumedQuantity"),
            )
        })
    };
    // 5/6 of the 103,680,000 tokens served, 1/6 spilled.
    let (billed, list, tokens) = served("served by the provisioned capacity");
    assert_eq!(billed, 0.0);
    assert_cents("served at list", list, 324.00);
    assert!((tokens - 86_400_000.0).abs() < 1e-3, "{tokens}");
    let (billed, _, tokens) = served("spilled over to pay-as-you-go");
    assert_cents("spilled", billed, 64.80);
    assert!((tokens - 17_280_000.0).abs() < 1e-3, "{tokens}");
    // A monthly reservation is a recurring purchase.
    let monthly = text(2, 2, 1000).replace(
        "spillover = \"gpt\"",
        "spillover = \"gpt\"\nterm = \"monthly\"",
    );
    let (h, rows) = focus_csv(&monthly);
    let col = |name: &str| h.iter().position(|x| x == name).unwrap();
    let fee = rows
        .iter()
        .find(|r| r[col("SkuMeter")] == "Provisioned Throughput")
        .expect("a fee row");
    assert_eq!(fee[col("ChargeCategory")], "Purchase");
    assert_eq!(fee[col("ChargeFrequency")], "Recurring");
    assert_eq!(fee[col("ConsumedQuantity")], "");
    assert_cents(
        "effective",
        fee[col("EffectiveCost")].parse().unwrap(),
        2_880.00,
    );
}

/// The error of loading `text` as test.toml, which must point at the line holding `at`.
fn refused(text: &str, at: &str) -> String {
    let err = aicost::model::scenario::from_str("test.toml", text)
        .err()
        .unwrap_or_else(|| panic!("refused: {at}"));
    let shown = err.to_string();
    let line = text
        .lines()
        .position(|l| l.contains(at))
        .unwrap_or_else(|| panic!("no line holds {at}"))
        + 1;
    assert!(shown.contains(&format!("test.toml:{line}:")), "{shown}");
    shown
}

#[test]
fn a_provisioned_capacity_is_validated_with_located_errors_and_the_fix() {
    let ok = text(2, 2, 1000);
    assert!(aicost::model::scenario::from_str("test.toml", &ok).is_ok());
    let located: [(&str, &str, &str, &[&str]); 4] = [
        (
            "units = 2\n",
            "units = 1.5\n",
            "units = 1.5",
            &["`units` must be a whole number", "units are bought whole"],
        ),
        (
            "spillover = \"gpt\"",
            "spillover = \"gtp\"",
            "spillover = \"gtp\"",
            &["`spillover` names no model", "did you mean `gpt`?"],
        ),
        (
            "spillover = \"gpt\"",
            "spillover = \"gpt\"\nterm = \"yeraly\"",
            "term = \"yeraly\"",
            &["unknown `term`", "did you mean `yearly`?"],
        ),
        (
            "tokens_per_minute_per_unit = 1000\n",
            "tokens_per_minute_per_unit = 1000\ntokens_per_second_per_unit = 20\n",
            "tokens_per_second_per_unit",
            &["not both"],
        ),
    ];
    for (from, to, at, says) in located {
        let shown = refused(&ok.replace(from, to), at);
        for said in says {
            assert!(shown.contains(said), "{shown}");
        }
    }
    let bad = ok.replace("tokens_per_minute_per_unit = 1000\n", "");
    let err = aicost::model::scenario::from_str("test.toml", &bad)
        .err()
        .unwrap_or_else(|| panic!("a capacity without throughput is refused"));
    let shown = err.to_string();
    assert!(shown.contains("needs its throughput per unit"), "{shown}");
    assert!(shown.contains("tokens_per_second_per_unit"), "{shown}");
}
