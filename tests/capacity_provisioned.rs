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
[[segment]]
name = "s"
users = {users}
sessions_per_user_per_month = 30
user_variability = 0
[[workflow]]
name = "w"
requests_per_session = 1
[[workflow.step]]
name = "call"
route = "r"
input_tokens = 1000
output_tokens = 200
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
        users = 1440 * per_minute
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
