//! How the fast engine splits a month's billed dollars, against hand arithmetic: per workflow
//! (each at its own models' discounts) and per sampled user (with incident repeats and contract
//! discounts, without the unused commitment, which is no user's request). Found by the
//! differential suite (`tests/differential.rs`), which compares the same figures on random
//! scenarios.
//!
//! Traffic is 1,000 Poisson sessions a day of one request per workflow, 30 days: 30,000 requests
//! a month per workflow on average. A request of 1,000 input and 100 output tokens costs $0.0014
//! on `small` ($1/$4 per Mtok) and $0.0045 on `large` ($3/$15).

mod common;

use aicost::analysis::report::Report;
use aicost::model::Scenario;
use aicost::sim::engine::{self, SimOptions, SimResult};
use common::*;

fn fast(s: &Scenario, trials: u64, seed: u64) -> SimResult {
    engine::simulate_fast(s, &SimOptions::new(trials, seed), "test".to_string())
        .expect("the fast engine runs")
}

/// Mean and standard error of a segment's sampled users' costs, from each month's mean (users
/// of one month share its parameters and incidents).
fn per_user(r: &SimResult, stack: usize, segment: usize) -> (f64, f64) {
    let costs = &r.stacks[stack].user_costs[segment];
    let months = r.stacks[stack].spend.len();
    let per_month: Vec<f64> = costs
        .chunks(costs.len() / months)
        .map(|c| c.iter().sum::<f64>() / c.len() as f64)
        .collect();
    mean_se(&per_month)
}

fn text(workflows: &str, stack: &str, extra: &str) -> String {
    format!(
        r#"
name = "allocation"
[simulation]
days = 30
[[segment]]
name = "s"
users = 1000
sessions_per_user_per_day = 1
{workflows}
[[model]]
name = "small"
provider = "alpha"
input_usd_per_mtok = 1
output_usd_per_mtok = 4
[[model]]
name = "large"
provider = "beta"
input_usd_per_mtok = 3
output_usd_per_mtok = 15
[[stack]]
name = "plan"
{stack}
{extra}
"#
    )
}

fn workflow(name: &str, route: &str) -> String {
    format!(
        "[[workflow]]\nname = \"{name}\"\n[[workflow.step]]\nname = \"call\"\nroute = \"{route}\"\ninput_tokens = 1000\noutput_tokens = 100\n"
    )
}

/// A 20% contract with provider `alpha` covers `small` only: the workflow on `small` costs
/// $0.0014 × 0.8 = $0.00112 a request, the one on `large` still $0.0045 (the day's blended
/// discount once went to both).
#[test]
fn a_contract_discounts_only_the_workflows_on_its_models() {
    let workflows = format!("{}{}", workflow("cheap", "a"), workflow("strong", "b"));
    let stack = "[stack.route.a]\nchain = [{ model = \"small\" }]\n[stack.route.b]\nchain = [{ model = \"large\" }]";
    let contract = "[[contract]]\nprovider = \"alpha\"\ncommitted_monthly_usd = 1\ndiscount = 0.2\noverage = \"discounted\"";
    let s = scenario(&text(&workflows, stack, contract));
    let r = fast(&s, 200, 3);
    let report = Report::new(&s, &r);
    let per_request: Vec<f64> = report.stacks[0]
        .workflows
        .iter()
        .map(|w| w.cost_per_request_usd.unwrap())
        .collect();
    for (got, want) in per_request.iter().zip([0.0014 * 0.8, 0.0045]) {
        assert!((got / want - 1.0).abs() < 1e-9, "{per_request:?}");
    }
}

/// A $1,000 commitment with `alpha` against about $34 of discounted usage: the month is billed
/// $1,000, but a user's 30 requests are billed 30 × $0.00112 = $0.0336 (the unused commitment
/// was once spread over the users, 30 times that).
#[test]
fn sampled_users_are_not_billed_the_unused_commitment() {
    let stack = "[stack.route.a]\nchain = [{ model = \"small\" }]";
    let contract = "[[contract]]\nprovider = \"alpha\"\ncommitted_monthly_usd = 1000\ndiscount = 0.2\noverage = \"discounted\"";
    let s = scenario(&text(&workflow("cheap", "a"), stack, contract));
    let r = fast(&s, 200, 4);
    assert!((r.stacks[0].spend[0] - 1000.0).abs() < 1e-9);
    let (mean, se) = per_user(&r, 0, 0);
    assert_within_se("cost per user", mean, se, 30.0 * 0.00112, 4.0);
}

/// An incident repeats 10 times every request of 72 of the month's 720 hours: a user's 30
/// requests cost 30 × 1.9 × $0.0014 = $0.0798 on average (once $0.042: users saw no repeats),
/// and the users whose sessions fall inside the window carry them, so the spread widens.
#[test]
fn sampled_users_carry_the_incident_repeats_of_their_requests() {
    let stack = "[stack.route.a]\nchain = [{ model = \"small\" }]";
    let incident = "[[incident]]\nname = \"loop\"\nmonthly_probability = 1\nmultiplier = 10\nduration_hours = 72";
    let s = scenario(&text(&workflow("cheap", "a"), stack, incident));
    let r = fast(&s, 200, 5);
    let (mean, se) = per_user(&r, 0, 0);
    assert_within_se("cost per user", mean, se, 30.0 * 1.9 * 0.0014, 4.0);
    // Without repeats a user's cost is Poisson(30) requests × $0.0014: its p99 is 43 requests.
    // With them, the users with 3 or more of their ~30 requests inside the window pass it.
    let costs = aicost::base::stats::sorted(&r.stacks[0].user_costs[0]);
    let p99 = aicost::base::stats::quantile_sorted(&costs, 0.99);
    assert!(p99 > 43.0 * 0.0014 * 2.0, "p99 {p99}");
}

/// A heavy-tailed prompt (p95 twelve times p50) priced at $1 per Mtok: a user's requests are
/// drawn from a subsample of the reference requests, rescaled so that they cost the expected
/// request on average (the subsample's own mean was once a few percent off, for every user).
#[test]
fn sampled_users_cost_the_expected_request_on_average() {
    let w = "[[workflow]]\nname = \"heavy\"\n[[workflow.step]]\nname = \"call\"\nroute = \"a\"\ninput_tokens = { p50 = 1000, p95 = 12000 }\n";
    let stack = "[stack.route.a]\nchain = [{ model = \"small\" }]";
    let s = scenario(&text(w, stack, ""));
    let per_request = aicost::sim::estimate::estimate(&s).stacks[0]
        .cost_per_request_usd
        .unwrap();
    let r = fast(&s, 50, 6);
    let (mean, se) = per_user(&r, 0, 0);
    assert_within_se("cost per user", mean, se, 30.0 * per_request, 4.0);
}

/// A cascade from `small` (covered by a 20% contract with `alpha`) to `large` (not covered) for
/// 10% of requests: a request costs $0.0014 × 0.8 + 0.1 × $0.0045 = $0.00157, of which the
/// escalations are $0.00045 at list price, a retry share of 0.2866 (the workflow's blended
/// discount once made it 0.2432).
#[test]
fn escalations_are_billed_at_their_own_models_discount() {
    let stack = "[stack.route.a]\nchain = [{ model = \"small\", escalation_rate = 0.1 }, { model = \"large\" }]";
    let contract = "[[contract]]\nprovider = \"alpha\"\ncommitted_monthly_usd = 1\ndiscount = 0.2\noverage = \"discounted\"";
    let s = scenario(&text(&workflow("cascade", "a"), stack, contract));
    let r = fast(&s, 200, 7);
    let share = Report::new(&s, &r).stacks[0].retry_cost_share.unwrap();
    let want = 0.00045 / (0.0014 * 0.8 + 0.00045);
    assert!((share / want - 1.0).abs() < 1e-9, "{share} vs {want}");
}
