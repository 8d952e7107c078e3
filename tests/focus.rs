//! `--format focus`: the expected month as FOCUS rows, checked against hand arithmetic and the
//! FOCUS format rules (mandatory columns filled, nulls empty, dates UTC ISO 8601, x_ columns last).

use assert_cmd::cargo::cargo_bin_cmd;
use predicates::str::contains;

fn aicost() -> assert_cmd::Command {
    let mut cmd = cargo_bin_cmd!("aicost");
    cmd.env_remove("NO_COLOR").env("AICOST_TODAY", "2026-11-23");
    cmd
}

fn focus(args: &[&str]) -> (Vec<String>, Vec<Vec<String>>) {
    let out = aicost()
        .args(args)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let mut r = csv::Reader::from_reader(out.as_slice());
    let header = r.headers().unwrap().iter().map(str::to_string).collect();
    let rows = r
        .records()
        .map(|x| x.unwrap().iter().map(str::to_string).collect())
        .collect();
    (header, rows)
}

fn col(header: &[String], name: &str) -> usize {
    header
        .iter()
        .position(|h| h == name)
        .unwrap_or_else(|| panic!("no column {name}"))
}

#[test]
fn the_chatbot_month_is_11500_dollars_in_focus_rows() {
    let (h, rows) = focus(&[
        "simulate",
        "scenarios/chatbot.toml",
        "--format",
        "focus",
        "--month",
        "2026-12",
    ]);
    assert_eq!(h, aicost::focus::COLUMNS);
    let first_x = h.iter().position(|c| c.starts_with("x_")).unwrap();
    assert!(
        h[first_x..].iter().all(|c| c.starts_with("x_")),
        "x_ columns come last"
    );
    let gpt4o: Vec<&Vec<String>> = rows
        .iter()
        .filter(|r| r[col(&h, "x_Stack")] == "gpt-4o")
        .collect();
    // 500,000 sessions × 8 messages × (350 input × $2.5 + 200 output × $10) per Mtok.
    let total: f64 = gpt4o
        .iter()
        .map(|r| r[col(&h, "BilledCost")].parse::<f64>().unwrap())
        .sum();
    assert!((total - 11_500.0).abs() < 0.005, "{total}");
    let input = gpt4o
        .iter()
        .find(|r| r[col(&h, "SkuMeter")] == "Input")
        .unwrap();
    assert_eq!(input[col(&h, "ConsumedQuantity")], "1400000000");
    assert_eq!(input[col(&h, "ConsumedUnit")], "Tokens");
    assert_eq!(input[col(&h, "PricingQuantity")], "1400");
    assert_eq!(input[col(&h, "PricingUnit")], "1000000 Tokens");
    assert_eq!(input[col(&h, "ListUnitPrice")], "2.5");
    assert_eq!(input[col(&h, "ListCost")], "3500");
    assert_eq!(input[col(&h, "ResourceId")], "gpt-4o");
    assert_eq!(input[col(&h, "BillingPeriodStart")], "2026-12-01T00:00:00Z");
    assert_eq!(input[col(&h, "BillingPeriodEnd")], "2027-01-01T00:00:00Z");
    let tags: serde_json::Value = serde_json::from_str(&input[col(&h, "Tags")]).unwrap();
    assert_eq!(tags["workflow"], "chat");
    assert!(tags["segment"].is_string());
    for r in &rows {
        for name in [
            "BilledCost",
            "EffectiveCost",
            "ListCost",
            "ContractedCost",
            "BillingCurrency",
            "BillingPeriodStart",
            "BillingPeriodEnd",
            "ChargePeriodStart",
            "ChargePeriodEnd",
            "ChargeCategory",
            "ChargeDescription",
            "ServiceName",
            "ServiceCategory",
            "ProviderName",
            "PublisherName",
            "InvoiceIssuerName",
            "BillingAccountId",
            "SkuId",
            "SkuPriceId",
            "PricingQuantity",
            "PricingUnit",
            "ConsumedQuantity",
            "ConsumedUnit",
        ] {
            assert!(!r[col(&h, name)].is_empty(), "{name} is null");
        }
        for name in [
            "ChargeClass",
            "CommitmentDiscountId",
            "CommitmentDiscountStatus",
            "RegionId",
        ] {
            assert!(r[col(&h, name)].is_empty(), "{name} must be null");
        }
        for name in [
            "BilledCost",
            "ListUnitPrice",
            "ConsumedQuantity",
            "PricingQuantity",
        ] {
            let v = &r[col(&h, name)];
            assert!(
                !v.contains('e') && !v.contains(',') && !v.starts_with('+'),
                "{name} = {v}"
            );
        }
        // ListCost = ListUnitPrice × PricingQuantity.
        let lc: f64 = r[col(&h, "ListCost")].parse().unwrap();
        let up: f64 = r[col(&h, "ListUnitPrice")].parse().unwrap();
        let q: f64 = r[col(&h, "PricingQuantity")].parse().unwrap();
        assert!(
            (lc - up * q).abs() <= 1e-9 * lc.max(1.0),
            "{lc} vs {up} × {q}"
        );
    }
}

#[test]
fn every_stack_sums_to_its_estimate_and_batch_traffic_has_batch_meters() {
    let file = "scenarios/support-ticket-summary-v2.toml";
    let (h, rows) = focus(&["estimate", file, "--format", "focus", "--month", "2026-12"]);
    let loaded = aicost::scenario::from_str(file, &std::fs::read_to_string(file).unwrap()).unwrap();
    let e = aicost::estimate::estimate(&loaded.scenario);
    for st in &e.stacks {
        let sum: f64 = rows
            .iter()
            .filter(|r| r[col(&h, "x_Stack")] == st.name)
            .map(|r| r[col(&h, "BilledCost")].parse::<f64>().unwrap())
            .sum();
        assert!(
            (sum - st.monthly_usd).abs() < 0.005,
            "{}: {sum} vs {}",
            st.name,
            st.monthly_usd
        );
    }
    assert!(
        rows.iter()
            .any(|r| r[col(&h, "SkuMeter")] == "Input Cache Read (Batch)")
    );
    assert!(
        rows.iter()
            .any(|r| r[col(&h, "SkuMeter")] == "Input Cache Write")
    );
    // simulate writes the same rows.
    let (_, sim) = focus(&["simulate", file, "--format", "focus", "--month", "2026-12"]);
    assert_eq!(sim, rows);
}

#[test]
fn a_bad_month_is_a_usage_error() {
    aicost()
        .args([
            "simulate",
            "scenarios/chatbot.toml",
            "--format",
            "focus",
            "--month",
            "2026-13",
        ])
        .assert()
        .code(2)
        .stderr(contains("--month"));
}
