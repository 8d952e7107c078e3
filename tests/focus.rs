//! `--format focus`: the expected month as FOCUS rows, checked against hand arithmetic, the
//! estimate's invoice and the FOCUS format rules (mandatory columns filled, nulls empty, dates UTC
//! ISO 8601, x_ columns last, commitment purchase / used / unused rows).

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
    assert_eq!(h, aicost::render::focus::FocusVersion::V1_3.columns());
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
    // Each meter is named after the tokens it prices: 200 output tokens × 8 messages × 500,000
    // sessions at $10 per Mtok.
    let output = gpt4o
        .iter()
        .find(|r| r[col(&h, "SkuMeter")] == "Output")
        .unwrap();
    assert_eq!(output[col(&h, "ConsumedQuantity")], "800000000");
    assert_eq!(output[col(&h, "ListUnitPrice")], "10");
    assert_eq!(output[col(&h, "SkuId")], "gpt-4o:output");
    assert_eq!(gpt4o.len(), 2);
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
    let loaded =
        aicost::model::scenario::from_str(file, &std::fs::read_to_string(file).unwrap()).unwrap();
    let e = aicost::sim::estimate::estimate(&loaded.scenario);
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

const FEATURES: &str = "tests/fixtures/features.toml";

/// The invoice total before the hard cap of every stack of `estimate --format json` with the same
/// arguments.
fn invoice_totals(args: &[&str]) -> Vec<(String, f64)> {
    let mut a = vec!["estimate", "--format", "json", "-q"];
    a.extend_from_slice(args);
    let out = aicost()
        .args(&a)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
    v["stacks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["name"].as_str().unwrap().to_string(),
                // The rows show the month's demand before the hard cap (the module's docs say
                // so), so the cap's refusal (negative) is taken back out of the invoice.
                s["invoice"]["total_usd"].as_f64().unwrap()
                    - s["invoice"]["capped_usd"].as_f64().unwrap(),
            )
        })
        .collect()
}

fn num(r: &[String], h: &[String], name: &str) -> f64 {
    r[col(h, name)].parse().unwrap()
}

fn sum(rows: &[&Vec<String>], h: &[String], name: &str) -> f64 {
    rows.iter().map(|r| num(r, h, name)).sum()
}

#[test]
fn every_scenario_s_rows_sum_to_its_expected_invoice() {
    for entry in std::fs::read_dir("scenarios").unwrap() {
        let path = entry.unwrap().path();
        let file = path.to_str().unwrap();
        let (h, rows) = focus(&["estimate", file, "--format", "focus", "--month", "2026-12"]);
        for (stack, total) in invoice_totals(&[file]) {
            let mine: Vec<&Vec<String>> = rows
                .iter()
                .filter(|r| r[col(&h, "x_Stack")] == stack)
                .collect();
            for cost in ["BilledCost", "EffectiveCost"] {
                let s = sum(&mine, &h, cost);
                assert!(
                    (s - total).abs() <= 1e-6 * total.max(1.0),
                    "{file} {stack}: {cost} sums to {s}, the invoice to {total}"
                );
            }
            for r in &mine {
                // ListCost = ListUnitPrice × PricingQuantity, and the same for Contracted.
                let q = num(r, &h, "PricingQuantity");
                for (cost, price) in [
                    ("ListCost", "ListUnitPrice"),
                    ("ContractedCost", "ContractedUnitPrice"),
                ] {
                    let (c, p) = (num(r, &h, cost), num(r, &h, price));
                    assert!(
                        (c - p * q).abs() <= 1e-9 * c.abs().max(1.0),
                        "{file}: {cost} {c} vs {price} {p} × {q}"
                    );
                }
                let meter = &r[col(&h, "SkuMeter")];
                assert!(!meter.is_empty());
                // A meter is named after what it prices: output tokens are never an input meter.
                let sku = &r[col(&h, "SkuId")];
                if meter.starts_with("Output") {
                    assert!(
                        sku.ends_with("output") || sku.ends_with("output-batch"),
                        "{sku}"
                    );
                }
            }
        }
    }
}

#[test]
fn a_contract_fills_the_commitment_columns_and_bills_the_expected_month() {
    // features.toml: a $6 contract with provider acme at 20% off, list-price overage; the acme
    // model's expected usage is about $4.42 at list price, so $6 is under-used and $2 over-used.
    for (commitment, overage) in [("6", "list"), ("2", "list"), ("2", "discounted")] {
        let sets = [
            format!("contract[0].committed_monthly_usd={commitment}"),
            format!("contract[0].overage={overage}"),
        ];
        let mut args = vec![FEATURES, "--set", &sets[0], "--set", &sets[1]];
        let totals = invoice_totals(&args);
        args.splice(0..0, ["estimate"]);
        args.extend(["--format", "focus", "--month", "2026-12"]);
        let (h, rows) = focus(&args);
        let c: f64 = commitment.parse().unwrap();
        let case = format!("${commitment}, {overage} overage");
        let of = |stack: &str| -> Vec<&Vec<String>> {
            rows.iter()
                .filter(|r| r[col(&h, "x_Stack")] == stack)
                .collect()
        };
        let get = |r: &Vec<String>, name: &str| r[col(&h, name)].clone();
        // BilledCost (and EffectiveCost) sum to the expected bill.
        for (stack, total) in &totals {
            for cost in ["BilledCost", "EffectiveCost"] {
                let s = sum(&of(stack), &h, cost);
                assert!(
                    (s - total).abs() < 1e-9 * total,
                    "{case} {stack}: {cost} {s} vs {total}"
                );
            }
        }
        // The plan that never calls acme signs nothing.
        for r in of("deep-only") {
            assert!(get(r, "CommitmentDiscountId").is_empty(), "{case}");
            assert_eq!(get(r, "ChargeCategory"), "Usage");
        }
        let quick = of("quick-only");
        let purchases: Vec<&Vec<String>> = quick
            .iter()
            .filter(|r| get(r, "ChargeCategory") == "Purchase")
            .copied()
            .collect();
        assert_eq!(purchases.len(), 1, "{case}");
        let p = purchases[0];
        let id = get(p, "CommitmentDiscountId");
        assert!(!id.is_empty());
        assert_eq!(num(p, &h, "BilledCost"), c);
        assert_eq!(num(p, &h, "EffectiveCost"), 0.0);
        assert_eq!(get(p, "ChargeFrequency"), "Recurring");
        assert_eq!(get(p, "CommitmentDiscountCategory"), "Spend");
        assert_eq!(get(p, "CommitmentDiscountType"), "Committed-Use Contract");
        assert_eq!(get(p, "CommitmentDiscountName"), "acme");
        assert_eq!(get(p, "CommitmentDiscountStatus"), "");
        assert_eq!(num(p, &h, "CommitmentDiscountQuantity"), c);
        assert_eq!(get(p, "CommitmentDiscountUnit"), "USD");
        assert_eq!(get(p, "PricingUnit"), "USD");
        assert_eq!(get(p, "ConsumedQuantity"), "");
        assert_eq!(get(p, "ResourceId"), id);
        let used: Vec<&Vec<String>> = quick
            .iter()
            .filter(|r| get(r, "CommitmentDiscountStatus") == "Used")
            .copied()
            .collect();
        let unused: Vec<&Vec<String>> = quick
            .iter()
            .filter(|r| get(r, "CommitmentDiscountStatus") == "Unused")
            .copied()
            .collect();
        assert!(!used.is_empty(), "{case}");
        for r in &used {
            assert_eq!(get(r, "ChargeCategory"), "Usage");
            assert_eq!(get(r, "CommitmentDiscountId"), id);
            assert_eq!(get(r, "PricingCategory"), "Committed");
            assert_eq!(num(r, &h, "BilledCost"), 0.0);
            assert!(!get(r, "ConsumedQuantity").is_empty());
            // The commitment draws down the discounted price of what it covers.
            let eff = num(r, &h, "EffectiveCost");
            assert!((eff - 0.8 * num(r, &h, "ContractedCost")).abs() < 1e-9);
            assert!((num(r, &h, "CommitmentDiscountQuantity") - eff).abs() < 1e-9);
        }
        let tools = quick
            .iter()
            .filter(|r| get(r, "SkuMeter") == "Tool Calls")
            .map(|r| num(r, &h, "BilledCost"))
            .sum::<f64>();
        let bill = sum(&quick, &h, "BilledCost");
        // What the commitment buys: the EffectiveCost of its Used and Unused rows is its purchase.
        let drawn = sum(&used, &h, "EffectiveCost") + sum(&unused, &h, "EffectiveCost");
        assert!((drawn - c).abs() < 1e-9, "{case}: {drawn}");
        // The acme model's usage at list price (tool fees are billed beside the contract).
        let usage: f64 = quick
            .iter()
            .filter(|r| get(r, "ResourceId") == "quick" && get(r, "SkuMeter") != "Tool Calls")
            .map(|r| num(r, &h, "ListCost"))
            .sum();
        if commitment == "6" {
            // Under-used: the bill is the commitment plus tool fees, and one Unused row holds
            // what was paid for nothing.
            assert_eq!(unused.len(), 1, "{case}");
            let u = unused[0];
            assert_eq!(get(u, "ChargeCategory"), "Usage");
            assert_eq!(num(u, &h, "BilledCost"), 0.0);
            assert_eq!(get(u, "ConsumedQuantity"), "");
            assert_eq!(get(u, "CommitmentDiscountId"), id);
            let left = num(u, &h, "EffectiveCost");
            assert!((left - (c - 0.8 * usage)).abs() < 1e-9, "{left}");
            assert!((bill - (c + tools)).abs() < 1e-9, "{case}: {bill}");
            assert!(
                quick
                    .iter()
                    .all(|r| !get(r, "ChargeDescription").contains("beyond"))
            );
        } else {
            // Over-used: no Unused row; usage beyond $2 / 0.8 of list price is billed on rows of
            // its own, at list price or at the contract discount.
            assert!(unused.is_empty(), "{case}");
            let rate = if overage == "list" { 1.0 } else { 0.8 };
            let expected = c + rate * (usage - c / 0.8) + tools;
            assert!(
                (bill - expected).abs() < 1e-9,
                "{case}: {bill} vs {expected}"
            );
            let beyond: Vec<&Vec<String>> = quick
                .iter()
                .filter(|r| get(r, "ChargeDescription").contains("beyond the commitment"))
                .copied()
                .collect();
            assert!(!beyond.is_empty());
            for r in beyond {
                assert!(get(r, "CommitmentDiscountId").is_empty());
                assert_eq!(get(r, "PricingCategory"), "Standard");
                assert!(num(r, &h, "BilledCost") > 0.0);
            }
        }
    }
}

#[test]
fn focus_rows_cover_every_month_of_the_horizon_and_month_picks_one() {
    let file = "scenarios/ecommerce-assistant.toml";
    let (h, rows) = focus(&["estimate", file, "--format", "focus", "-q"]);
    let col = |name: &str| col(&h, name);
    let e = aicost::sim::estimate::estimate(
        &aicost::model::scenario::load(std::path::Path::new(file))
            .unwrap()
            .scenario,
    );
    // Today is 2026-11-23: the horizon runs from 2026-12 to 2027-11.
    let expected_starts: Vec<String> = (0..12)
        .map(|m| {
            let (y, mo) = if m == 0 { (2026, 12) } else { (2027, m) };
            format!("{y}-{mo:02}-01T00:00:00Z")
        })
        .collect();
    for st in &e.stacks {
        for (m, start) in expected_starts.iter().enumerate() {
            let month: Vec<&Vec<String>> = rows
                .iter()
                .filter(|r| {
                    r[col("x_Stack")] == st.name && r[col("x_HorizonMonth")] == (m + 1).to_string()
                })
                .collect();
            assert!(!month.is_empty(), "{} month {}", st.name, m + 1);
            assert!(month.iter().all(|r| r[col("BillingPeriodStart")] == *start));
            let billed: f64 = month
                .iter()
                .map(|r| r[col("BilledCost")].parse::<f64>().unwrap())
                .sum();
            // Each month's rows add up to that month's expected invoice, before any hard cap.
            let inv = &st.month_invoices[m];
            let demand = inv.total_usd - inv.capped_usd;
            assert!(
                (billed - demand).abs() < 0.005,
                "{} month {}: {billed} vs {demand}",
                st.name,
                m + 1
            );
        }
    }
    // --month picks one month of the horizon: 2027-03 is its fourth.
    let (h, rows) = focus(&[
        "estimate", file, "--format", "focus", "--month", "2027-03", "-q",
    ]);
    let idx = h.iter().position(|c| c == "x_HorizonMonth").unwrap();
    assert!(!rows.is_empty());
    assert!(rows.iter().all(|r| r[idx] == "4"));
    // A month outside the horizon is a usage error that says where the horizon lies.
    aicost()
        .args(["estimate", file, "--format", "focus", "--month", "2026-11"])
        .assert()
        .code(2)
        .stderr(contains("runs from 2026-12 to 2027-11"));
}

/// The columns each FOCUS release makes mandatory in a Cost and Usage dataset. Sources:
/// FinOps-Open-Cost-and-Usage-Spec/FOCUS_Spec at tag `v1.2`, `specification/columns/*.md`
/// (Content Constraints, "Feature level | Mandatory"); FOCUS 1.3's Cost and Usage columns, which
/// add ServiceProviderName and HostProviderName (mandatory, introduced in 1.3) and mark
/// ProviderName and PublisherName deprecated but still mandatory (removed in 1.4's draft).
const MANDATORY_1_2: [&str; 21] = [
    "BilledCost",
    "BillingAccountId",
    "BillingAccountName",
    "BillingCurrency",
    "BillingPeriodEnd",
    "BillingPeriodStart",
    "ChargeCategory",
    "ChargeClass",
    "ChargeDescription",
    "ChargePeriodEnd",
    "ChargePeriodStart",
    "ContractedCost",
    "EffectiveCost",
    "InvoiceIssuerName",
    "ListCost",
    "PricingQuantity",
    "PricingUnit",
    "ProviderName",
    "PublisherName",
    "ServiceCategory",
    "ServiceName",
];
const ADDED_1_3: [&str; 2] = ["HostProviderName", "ServiceProviderName"];

#[test]
fn each_focus_version_has_its_mandatory_columns_and_1_3_names_the_service_and_host_provider() {
    use aicost::render::focus::FocusVersion;
    let mandatory_1_3: Vec<&str> = MANDATORY_1_2.iter().chain(&ADDED_1_3).copied().collect();
    assert_eq!(FocusVersion::V1_2.mandatory(), MANDATORY_1_2);
    assert_eq!(FocusVersion::V1_3.mandatory(), mandatory_1_3);
    let run = |version: &str| {
        focus(&[
            "estimate",
            "scenarios/coding-assistant.toml",
            "--format",
            "focus",
            "--focus-version",
            version,
        ])
    };
    // The default is 1.3.
    let (default_h, _) = focus(&[
        "estimate",
        "scenarios/coding-assistant.toml",
        "--format",
        "focus",
    ]);
    let (h13, rows13) = run("1.3");
    assert_eq!(default_h, h13);
    let (h12, rows12) = run("1.2");
    assert_eq!(h12, aicost::render::focus::COLUMNS);
    assert_eq!(rows12.len(), rows13.len());
    for (h, version) in [(&h12, FocusVersion::V1_2), (&h13, FocusVersion::V1_3)] {
        for c in version.mandatory() {
            assert!(h.iter().any(|x| x == c), "{} lacks {c}", version.label());
        }
    }
    assert!(!h12.iter().any(|c| c == "ServiceProviderName"));
    // The provider sells and hosts its own models: both 1.3 names are the provider's company.
    for r in &rows13 {
        let provider = &r[col(&h13, "ProviderName")];
        assert!(!provider.is_empty());
        assert_eq!(&r[col(&h13, "ServiceProviderName")], provider);
        assert_eq!(&r[col(&h13, "HostProviderName")], provider);
    }
    // Token meters as FOCUS's AI guidance has them: consumed in tokens, priced per million, and
    // cache reads and writes each their own SKU.
    let meters: Vec<&str> = rows13
        .iter()
        .map(|r| r[col(&h13, "SkuMeter")].as_str())
        .collect();
    assert!(meters.contains(&"Input Cache Read"), "{meters:?}");
    for r in rows13
        .iter()
        .filter(|r| r[col(&h13, "SkuMeter")].starts_with("Input Cache"))
    {
        assert_eq!(r[col(&h13, "ConsumedUnit")], "Tokens");
        assert_eq!(r[col(&h13, "PricingUnit")], "1000000 Tokens");
        let sku = &r[col(&h13, "SkuId")];
        assert!(
            sku.ends_with(":input-cache-read") || sku.contains(":input-cache-write"),
            "{sku}"
        );
    }
}
