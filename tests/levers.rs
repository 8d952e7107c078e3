//! `aicost levers`: every lever's saving agrees with hand arithmetic (exactly where nothing is
//! random, within 4 standard errors where it is), levers leave untouched stacks exactly as they
//! were, and the assumptions can be changed from the command line.
//!
//! The scenario: 1,000 requests a month (100 users × 10 sessions, fixed arrivals), a 2,000-token
//! cacheable prefix hit half the time, 1,000 input tokens, output Uniform(0, 200). Per call:
//! - cheap:  2,000 × (0.5 × $0.10 + 0.5 × $1.25) + 1,000 × $1 + 100 × $4 per Mtok = $0.00275
//! - strong: 2,000 × (0.5 × $1 + 0.5 × $12.50) + 1,000 × $10 + 100 × $40 per Mtok = $0.0275
//!
//! Stack `cheap-only` costs $2.75 a month; stack `cascade` (cheap, 20% validation failures
//! escalated to strong) costs $2.75 + 0.2 × $27.50 = $8.25.

mod common;

use aicost::analysis::levers::{self, Assumptions, Backlog, StackEffect};
use aicost::model::Scenario;
use aicost::sim::engine::SimOptions;
use aicost::sim::engine::simulate_all;
use common::aicost;
use common::{assert_cents, assert_within_se};
use predicates::str::contains;

const SCENARIO: &str = r#"
name = "levers"
[simulation]
trials = 400
seed = 11
arrivals = "fixed"

[budget]
monthly_usd = 8.25

[[segment]]
name = "users"
users = 100
sessions_per_user_per_month = 10

[[workflow]]
name = "live"

[[workflow.step]]
name = "answer"
route = "main"
static_prefix_tokens = 2000
input_tokens = 1000
output_tokens = { dist = "uniform", min = 0, max = 200 }
cache_hit_rate = 0.5

[[model]]
name = "cheap"
input_usd_per_mtok = 1.0
output_usd_per_mtok = 4.0
cached_input_usd_per_mtok = 0.1
cache_write_usd_per_mtok = 1.25
batch_discount = 0.5

[[model]]
name = "strong"
input_usd_per_mtok = 10.0
output_usd_per_mtok = 40.0
cached_input_usd_per_mtok = 1.0
cache_write_usd_per_mtok = 12.5
batch_discount = 0.5

[[stack]]
name = "cheap-only"
[stack.route.main]
chain = [{ model = "cheap" }]

[[stack]]
name = "cascade"
[stack.route.main]
chain = [{ model = "cheap", validation_failure_rate = 0.2 }, { model = "strong" }]
"#;

const REQUESTS: f64 = 1000.0;

fn backlog(s: &Scenario, a: &Assumptions) -> Backlog {
    let opts = SimOptions::new(400, 11);
    let base = aicost::sim::engine::simulate(s, &opts).unwrap();
    let (candidates, skipped) = levers::candidates(s, a, &base);
    let all: Vec<&Scenario> = candidates.iter().map(|c| c.variant.scenario()).collect();
    let runs = simulate_all(&all, &opts).unwrap();
    levers::backlog(s, a, &base, &candidates, &runs, skipped)
}

fn effect<'a>(b: &'a Backlog, lever: &str, stack: usize) -> &'a StackEffect {
    let row = b
        .rows
        .iter()
        .find(|r| r.lever == lever)
        .unwrap_or_else(|| panic!("no row for {lever}"));
    &row.stacks[stack]
}

fn check(what: &str, e: &StackEffect, expected: f64) {
    assert!(e.affected, "{what} should change the stack");
    let s = &e.saving_usd;
    if s.standard_error == 0.0 {
        assert_cents(what, s.mean, expected);
    } else {
        assert_within_se(what, s.mean, s.standard_error, expected, 4.0);
    }
}

#[test]
fn every_saving_matches_hand_arithmetic() {
    let s = common::scenario(SCENARIO);
    let b = backlog(&s, &Assumptions::default());
    assert_cents("baseline cheap-only", b.baseline[0].mean_usd, 2.75);
    let (cheap, strong) = (1e-6, 1e-6);
    // Output capped at the p95 (190 tokens): E[max(X − 190, 0)] = 10² / (2 × 200) = 0.25 tokens,
    // on every cheap call and on the 20% of requests that reach strong.
    let excess = 10.0_f64.powi(2) / (2.0 * 200.0);
    check(
        "output_cap, cheap-only",
        effect(&b, "output_cap", 0),
        REQUESTS * excess * 4.0 * cheap,
    );
    check(
        "output_cap, cascade",
        effect(&b, "output_cap", 1),
        REQUESTS * excess * (4.0 * cheap + 0.2 * 40.0 * strong),
    );
    // Prefix 20% shorter: 400 fewer prefix tokens, still cacheable, at the mean prefix price.
    check(
        "prefix_trim, cheap-only",
        effect(&b, "prefix_trim", 0),
        REQUESTS * 400.0 * 0.675 * cheap,
    );
    check(
        "prefix_trim, cascade",
        effect(&b, "prefix_trim", 1),
        REQUESTS * 400.0 * (0.675 + 0.2 * 6.75) * cheap,
    );
    // Cache hit rate 0.5 → 0.9: 40% of prefixes move from the write price to the read price.
    check(
        "prompt_cache, cheap-only",
        effect(&b, "prompt_cache", 0),
        REQUESTS * 0.4 * 2000.0 * (1.25 - 0.1) * cheap,
    );
    check(
        "prompt_cache, cascade",
        effect(&b, "prompt_cache", 1),
        REQUESTS * 0.4 * 2000.0 * ((1.25 - 0.1) + 0.2 * (12.5 - 1.0)) * cheap,
    );
    // Half the requests skip the escalation to strong: 0.5 × 0.2 × $0.0275 per request.
    let route = effect(&b, "route", 1);
    check("route, cascade", route, REQUESTS * 0.5 * 0.2 * 0.0275);
    let after = route.acceptance_rate_after.unwrap();
    let se = (0.2 * 0.8 / (REQUESTS * 400.0)).sqrt() * 0.5;
    assert_within_se("acceptance after routing", after, se, 0.9, 4.0);
    assert_eq!(route.acceptance_rate_before, Some(1.0));
    let breach = route.breach_probability.unwrap();
    assert!(breach.after < breach.before, "{breach:?}");
}

#[test]
fn the_batch_path_halves_every_month_exactly() {
    let s = common::scenario(SCENARIO);
    let b = backlog(&s, &Assumptions::default());
    for k in 0..2 {
        let e = effect(&b, "batch", k);
        let base = b.baseline[k].mean_usd;
        assert!(
            (e.saving_usd.mean - 0.5 * base).abs() < 1e-9 * base,
            "{} vs {}",
            e.saving_usd.mean,
            base
        );
        assert!((e.saving_share - 0.5).abs() < 1e-9);
    }
}

/// A batch job answers within hours, so a workflow with a latency target is never proposed for
/// the batch path.
#[test]
fn a_workflow_with_a_latency_target_is_not_moved_to_batch() {
    let with_target = SCENARIO.replace(
        "name = \"live\"\n",
        "name = \"live\"\nlatency_target_ms = { p95 = 3000 }\n",
    );
    assert_ne!(with_target, SCENARIO);
    let s = common::scenario(&with_target);
    let b = backlog(&s, &Assumptions::default());
    assert!(b.rows.iter().all(|r| r.lever != "batch"));
    let batch = b
        .not_applicable
        .iter()
        .find(|n| n.lever == "batch")
        .expect("the batch lever says why it does not apply");
    assert!(batch.reason.contains("latency target"), "{}", batch.reason);
}

#[test]
fn untouched_stacks_see_exactly_the_same_months() {
    let s = common::scenario(SCENARIO);
    let b = backlog(&s, &Assumptions::default());
    let e = effect(&b, "route", 0);
    assert!(
        !e.affected,
        "cheap-only has one model; routing cannot change it"
    );
    assert_eq!(e.saving_usd.mean, 0.0);
    assert_eq!(e.saving_usd.standard_error, 0.0);
    let ranked = b.ranked(0);
    assert_eq!(
        ranked.last().unwrap().0.lever,
        "route",
        "no-effect rows last"
    );
    let savings: Vec<f64> = ranked
        .iter()
        .filter(|(_, e)| e.affected)
        .map(|(_, e)| e.saving_usd.mean)
        .collect();
    assert!(savings.windows(2).all(|w| w[0] >= w[1]), "{savings:?}");
}

#[test]
fn assumptions_change_the_levers() {
    let s = common::scenario(SCENARIO);
    let mut a = Assumptions::default();
    a.set("cache_hit_rate=0.7").unwrap();
    a.set("route_share=1").unwrap();
    let b = backlog(&s, &a);
    check(
        "prompt_cache to 0.7, cheap-only",
        effect(&b, "prompt_cache", 0),
        REQUESTS * 0.2 * 2000.0 * 1.15e-6,
    );
    check(
        "all requests routed",
        effect(&b, "route", 1),
        REQUESTS * 0.2 * 0.0275,
    );
    // A target at or below the current rate leaves nothing to do.
    a.set("cache_hit_rate=0.5").unwrap();
    let base = aicost::sim::engine::simulate(&s, &SimOptions::new(20, 11)).unwrap();
    let (c, skipped) = levers::candidates(&s, &a, &base);
    assert!(c.iter().all(|c| c.lever != "prompt_cache"));
    assert!(skipped.iter().any(|n| n.lever == "prompt_cache"));
}

#[test]
fn the_command_ranks_levers_per_stack() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("levers.toml");
    std::fs::write(&path, SCENARIO).unwrap();
    let file = path.to_str().unwrap();
    aicost()
        .args(["levers", file, "--trials", "100"])
        .assert()
        .success()
        // The base, six candidates, and each stack's best three together: one run for one
        // stack, two for the other (routing is a mixture of two).
        .stdout(contains(
            "Levers for levers · 100 trials · seed 11 · 10 runs",
        ))
        .stdout(contains(
            "   together: batch:live + prompt_cache + route simulated at once save $",
        ))
        .stdout(contains("Assumptions: cache_hit_rate=0.9"))
        .stdout(contains("cascade — now $8."))
        .stdout(contains("1. batch: workflow live on the batch path"))
        .stdout(contains("route: no effect on this stack"))
        .stdout(contains("· acceptance 100% → "));
    let out = aicost()
        .args(["levers", file, "--trials", "50", "--format", "json"])
        .args(["--lever", "prefix_trim=0.5"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["assumptions"]["prefix_trim"], 0.5);
    // output_cap, route, semantic_cache, prefix_trim, prompt_cache, batch; no contract: the
    // models name no provider.
    assert_eq!(v["rows"].as_array().unwrap().len(), 6);
    assert!(
        v["not_applicable"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("set `provider = …`")
    );
    aicost()
        .args(["levers", file, "--lever", "cache_hit_rat=0.9"])
        .assert()
        .code(2)
        .stderr(contains("did you mean `cache_hit_rate`?"));
    aicost()
        .args(["levers", file, "--lever", "route_share=2"])
        .assert()
        .code(2)
        .stderr(contains("between 0 and 1"));
    aicost()
        .args(["levers", "--help"])
        .assert()
        .success()
        .stdout(contains("Examples:"))
        .stdout(contains("route_share=0.5"))
        .stdout(contains("contract_discount=0.2"));
    aicost()
        .args(["levers", file, "--lever", "semantic_lookup_usd=-1"])
        .assert()
        .code(2)
        .stderr(contains("0 or more"));
    // The ceilings and floor of a scenario's numbers: $1e300 a lookup once printed NaN%.
    aicost()
        .args(["levers", file, "--lever", "semantic_lookup_usd=1e300"])
        .assert()
        .code(2)
        .stderr(contains("at most 1e15"));
    aicost()
        .args(["levers", file, "--lever", "cache_hit_rate=1e-310"])
        .assert()
        .code(2)
        .stderr(contains("too small to mean anything"));
}

/// The scenario with both models at provider `acme`, and nothing random when `fixed` is set:
/// 100 output tokens and every prefix read from the cache.
fn with_provider(fixed: bool) -> Scenario {
    let mut text = SCENARIO.replace(
        "[[model]]\nname = \"cheap\"",
        "[[model]]\nname = \"cheap\"\nprovider = \"acme\"",
    );
    text = text.replace(
        "[[model]]\nname = \"strong\"",
        "[[model]]\nname = \"strong\"\nprovider = \"acme\"",
    );
    if fixed {
        text = text
            .replace(
                "output_tokens = { dist = \"uniform\", min = 0, max = 200 }",
                "output_tokens = 100",
            )
            .replace("cache_hit_rate = 0.5", "cache_hit_rate = 1")
            .replace(
                "validation_failure_rate = 0.2",
                "validation_failure_rate = 0",
            );
    }
    common::scenario(&text)
}

#[test]
fn a_semantic_cache_saves_its_hit_rate_of_spend_less_the_lookups() {
    let s = common::scenario(SCENARIO);
    let b = backlog(&s, &Assumptions::default());
    // 30% of requests served without a model call; every request pays a $0.00001 lookup.
    check(
        "semantic_cache, cheap-only",
        effect(&b, "semantic_cache", 0),
        REQUESTS * (0.3 * 0.00275 - 0.00001),
    );
    check(
        "semantic_cache, cascade",
        effect(&b, "semantic_cache", 1),
        REQUESTS * (0.3 * 0.00825 - 0.00001),
    );
    let mut a = Assumptions::default();
    a.set("semantic_cache_hit_rate=0.5").unwrap();
    a.set("semantic_lookup_usd=0").unwrap();
    let b = backlog(&s, &a);
    check(
        "semantic_cache at 0.5, free lookups",
        effect(&b, "semantic_cache", 0),
        REQUESTS * 0.5 * 0.00275,
    );
}

#[test]
fn a_contract_on_a_certain_month_earns_its_whole_discount() {
    // Nothing is random: the month's usage U is certain, the optimal commitment is 0.8 × U and
    // the bill is the commitment — a saving of 20% of U, to the cent.
    let s = with_provider(true);
    assert!(s.is_deterministic());
    let b = backlog(&s, &Assumptions::default());
    let rows: Vec<_> = b.rows.iter().filter(|r| r.lever == "contract").collect();
    assert_eq!(rows.len(), 2, "one contract sized per stack");
    for (k, row) in rows.iter().enumerate() {
        assert_eq!(row.for_stack.as_deref(), Some(b.baseline[k].stack.as_str()));
        let e = &row.stacks[k];
        let usage = b.baseline[k].mean_usd;
        assert_cents("contract saving", e.saving_usd.mean, 0.2 * usage);
        assert_eq!(e.underused_probability, Some(0.0));
        // Listed under its own stack only.
        let other = b.ranked(1 - k);
        assert!(!other.iter().any(|(r, _)| std::ptr::eq(*r, *row)));
    }
}

#[test]
fn the_contract_commitment_minimises_the_expected_bill() {
    let s = with_provider(false);
    let opts = SimOptions::new(2000, 5);
    let base = aicost::sim::engine::simulate(&s, &opts).unwrap();
    let a = Assumptions::default();
    let (candidates, _) = levers::candidates(&s, &a, &base);
    let c = candidates
        .iter()
        .find(|c| c.lever == "contract" && c.for_stack == Some(1))
        .unwrap();
    let sized = c.variant.scenario().clone();
    let commitment = sized.contracts[0].committed_monthly_usd.mean();
    let at = |factor: f64| {
        let mut v = sized.clone();
        v.contracts[0].committed_monthly_usd.dist =
            aicost::model::dist::Dist::Fixed(commitment * factor);
        aicost::sim::engine::simulate(&v, &opts).unwrap().stacks[1]
            .spend
            .clone()
    };
    let best = at(1.0);
    for factor in [0.9, 1.1] {
        let other = at(factor);
        let d = aicost::base::stats::paired::Delta::of(&best, &other);
        assert!(
            d.mean > -2.0 * d.standard_error,
            "a commitment × {factor} bills less on average: {d:?}"
        );
    }
    // Under-used in about a share `discount` of months, by construction.
    let runs = simulate_all(&[&sized], &opts).unwrap();
    let b = levers::backlog(&s, &a, &base, std::slice::from_ref(c), &runs, vec![]);
    let p = b.rows[0].stacks[1].underused_probability.unwrap();
    let se = (0.2 * 0.8 / 2000.0_f64).sqrt();
    assert_within_se("under-used share", p, se, 0.2, 4.0);
}
