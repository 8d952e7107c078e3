//! The differential suite: random valid scenarios through the exact engine, the fast engine and
//! `estimate`, comparing every figure the JSON report has.
//!
//! Each scenario comes from a fixed seed (see `differential/generator.rs`) and forces one of the
//! features on, so that a run of N scenarios covers all of them. Both engines run it with the
//! same seed, so they share each trial's parameter draws (head-counts, rates, prices, incidents)
//! and differ only in how they add up the month. Every numeric leaf of the two reports is then
//! compared by the rule its figure has in `docs/engine.md`:
//!
//! - **exact in mean** (spend means, counts, tokens, ratios of them): the difference within 4
//!   standard errors of the paired difference, estimated by resampling trials (the same trials
//!   for both engines);
//! - **shape** (percentiles, standard deviations, probabilities): only where the fast engine
//!   vouches for its shape (what `--engine fast` refuses to print otherwise), within 4 standard
//!   errors plus the documented shape tolerance;
//! - **documented approximations** (the spread of one user's cost, the hard cap's gap): their
//!   documented tolerance;
//! - **identical** (inputs echoed, incident draws shared by the seed): equal.
//!
//! A figure with no rule fails the suite, so a new figure cannot go unchecked. The estimate is
//! compared with the exact engine's means wherever it lists no approximation.
//!
//! `AICOST_DIFFERENTIAL_SCENARIOS`, `AICOST_DIFFERENTIAL_FIRST`, `AICOST_DIFFERENTIAL_TRIALS` and
//! `AICOST_DIFFERENTIAL_WORK` change the run (`.ci/differential --release` runs a few hundred
//! scenarios beyond CI's); `AICOST_DIFFERENTIAL_SUMMARY` names a file for the summary. A failure
//! prints the scenario's TOML.

#[path = "differential/estimate.rs"]
mod estimate_side;
#[path = "differential/generator.rs"]
mod generator;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use aicost::analysis::report::Report;
use aicost::model::Scenario;
use aicost::sim::engine::fast::{FastPlan, unsupported};
use aicost::sim::engine::{self, EngineChoice, SimOptions, SimResult, TrialOutcome, TrialSink};
use estimate_side::{estimate_figures, estimate_view};
use generator::Feature;
use rand::rngs::ChaCha8Rng;
use rand::{RngExt, SeedableRng};
use serde_json::Value;
use statrs::distribution::{ContinuousCDF, Normal};

/// Standard errors a difference may span.
const K: f64 = 4.0;
/// Request walks and model calls of the exact engine per scenario in CI, beyond which it runs
/// fewer trials (down to 100): about two seconds of one core.
const WORK_PER_SCENARIO: f64 = 1.5e7;
/// Resamples of the trials behind each standard error.
const RESAMPLES: usize = 40;
/// Shape tolerance of a percentile, standard deviation or tail mean of monthly spend, as a share
/// of the monthly spend's standard deviation, where the fast engine vouches for its shape.
const SHAPE_SD: f64 = 0.05;
/// Shape tolerance of a probability (breach, alert, cap, under-use) where the fast engine vouches.
const SHAPE_PROBABILITY: f64 = 0.02;
/// Tolerance of the requests the hard cap refuses, beyond the shape's: the fast engine's gap
/// below the cap is a uniform share of the day's average request, the exact engine's the request
/// that did not fit.
const CAP_GAP_REQUESTS: f64 = 1.0;
/// Tolerance of a median day (the fast engine resolves the month by day).
const DAY: f64 = 1.0;
/// Months that must cross an alert or the hard cap, on both engines, before their median day is
/// compared.
const MIN_CROSSING_MONTHS: f64 = 20.0;
/// Tolerance of the spread of one user's monthly cost (percentiles of sampled users), relative.
const USER_SPREAD: f64 = 0.05;
/// Rounding: relative difference below which two figures are the same.
const ROUNDING: f64 = 1e-9;

struct Config {
    scenarios: u64,
    trials: u64,
    first: u64,
    /// Request walks and model calls of the exact engine per scenario, beyond which it runs
    /// fewer trials (down to 100).
    work: f64,
    summary: Option<String>,
}

impl Config {
    fn from_env() -> Config {
        let num = |k: &str, d: u64| {
            std::env::var(k)
                .ok()
                .and_then(|v| v.parse().ok())
                .unwrap_or(d)
        };
        Config {
            scenarios: num("AICOST_DIFFERENTIAL_SCENARIOS", 30),
            trials: num("AICOST_DIFFERENTIAL_TRIALS", 300),
            first: num("AICOST_DIFFERENTIAL_FIRST", 0),
            work: num("AICOST_DIFFERENTIAL_WORK", WORK_PER_SCENARIO as u64) as f64,
            summary: std::env::var("AICOST_DIFFERENTIAL_SUMMARY").ok(),
        }
    }
}

/// How a figure is compared.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Rule {
    /// Echoed from the scenario or shared by the seed: equal.
    Identical,
    /// Exact in mean: within K standard errors.
    Mean,
    /// Exact in distribution (traffic): within K standard errors.
    Traffic,
    /// A dollar figure of the distribution of a month's (or horizon's) spend: where vouched, K
    /// standard errors plus the shape tolerance, a share of that spend's standard deviation.
    ShapeSpend,
    /// A mean, total or ratio that depends on the shape because the invoice is not linear (a
    /// hard cap, volume tiers, a contract): where vouched, the shape tolerance in proportion to
    /// the figure (the spend's tolerance times the figure's share of the spend).
    ShapeMean,
    /// A standard deviation or standard error: where vouched, the shape tolerance relative to it.
    ShapeRelative,
    /// A probability that depends on the shape.
    ShapeProbability,
    /// A median day.
    ShapeDay,
    /// Requests refused by the hard cap: the shape's tolerance in requests, plus the cap's gap.
    CapRequests,
    /// The demand the hard cap refused, in dollars: the shape's tolerance, plus the cap's gap
    /// in dollars.
    CapDollars,
    /// A percentile of a contract's monthly amounts: the shape, plus what the fast engine's
    /// narrower spread of one provider's usage explains (see [`contract_spread`]).
    ContractShape,
    /// The probability that a contract is under-used: the shape's, plus what that narrower
    /// spread explains.
    ContractProbability,
    /// The spread of one user's monthly cost.
    UserSpread,
    /// Request latency percentiles.
    Latency,
    /// Not compared: sample extremes, sample sizes, flags derived from compared figures.
    Skip,
}

/// What a scenario uses that changes a figure's rule.
struct Traits {
    /// A hard cap, volume tiers or a contract: billed amounts are not linear in the month's
    /// requests, so their means depend on the month's shape.
    nonlinear_invoice: bool,
    hard_cap: bool,
    /// Parameters that latency depends on (chain rates, model speeds) vary between trials: the
    /// fast engine draws latencies at their means, a documented approximation.
    latency_at_means: bool,
}

fn traits(s: &Scenario) -> Traits {
    let hard_cap = s.budget.as_ref().is_some_and(|b| b.hard_cap_usd.is_some());
    Traits {
        nonlinear_invoice: hard_cap
            || !s.contracts.is_empty()
            || s.models.iter().any(|m| !m.volume_tiers.is_empty()),
        hard_cap,
        latency_at_means: s.models.iter().any(|m| {
            m.latency
                .as_ref()
                .is_some_and(|l| !l.output_tokens_per_s.is_fixed())
        }) || s
            .stacks
            .iter()
            .flat_map(|st| &st.chains)
            .flat_map(|c| &c.links)
            .any(|l| {
                !(l.validation_failure_rate.is_fixed()
                    && l.escalation_rate.is_fixed()
                    && l.provider_error_rate.is_fixed())
            }),
    }
}

/// The rule of a figure of a stack, by its path with array elements named.
fn rule(path: &str, t: &Traits) -> Option<Rule> {
    let generic: String = {
        // Strip element names: `workflows[wf0].cost_per_request_usd` → `workflows[].cost_…`.
        let mut out = String::new();
        let mut depth = 0;
        for c in path.chars() {
            match c {
                '[' => {
                    depth += 1;
                    out.push('[');
                }
                ']' => {
                    depth -= 1;
                    out.push(']');
                }
                _ if depth > 0 => {}
                _ => out.push(c),
            }
        }
        out
    };
    let summary_field = |p: &str| p.rsplit('.').next().unwrap_or("").to_string();
    // Billed dollars: exact in mean unless the invoice is not linear in the requests.
    let billed = if t.nonlinear_invoice {
        Rule::ShapeMean
    } else {
        Rule::Mean
    };
    // Served requests and their list-price amounts: a hard cap refuses some.
    let served = if t.hard_cap {
        Rule::ShapeMean
    } else {
        Rule::Mean
    };
    let spend_summary = |field: &str| match field {
        "mean" => Some(billed),
        "sd" => Some(Rule::ShapeRelative),
        "p5" | "p50" | "p95" | "p99" | "cvar95" => Some(Rule::ShapeSpend),
        "min" | "max" => Some(Rule::Skip),
        _ => None,
    };
    let g = generic.as_str();
    if matches!(
        summary_field(g).as_str(),
        "name" | "provider" | "overage" | "workflow"
    ) {
        return Some(Rule::Identical);
    }
    Some(match g {
        _ if g.starts_with("monthly_spend_usd.") => spend_summary(&summary_field(g))?,
        _ if g.starts_with("horizon_total_usd.") => spend_summary(&summary_field(g))?,
        _ if g.starts_with("months[].monthly_spend_usd.") => spend_summary(&summary_field(g))?,
        "months[].month" => Rule::Identical,
        "months[].breach_probability" => Rule::ShapeProbability,
        "mean_standard_error_usd" => Rule::ShapeRelative,
        "breach_probability"
        | "breach_probability_standard_error"
        | "horizon_breach_probability"
        | "horizon_breach_probability_standard_error" => Rule::ShapeProbability,
        "alerts[].fraction" | "alerts[].threshold_usd" => Rule::Identical,
        "alerts[].probability" => Rule::ShapeProbability,
        "alerts[].median_day" => Rule::ShapeDay,
        "cost_per_user_usd.mean" => billed,
        "segments[].users" => Rule::Identical,
        "segments[].cost_per_user_usd.mean" => billed,
        "segments[].cost_per_user_usd.p50"
        | "segments[].cost_per_user_usd.p95"
        | "segments[].cost_per_user_usd.p99"
        | "segments[].share_over_user_budget" => Rule::UserSpread,
        _ if g.starts_with("requests_per_month.") => match summary_field(g).as_str() {
            "min" | "max" => Rule::Skip,
            _ => Rule::Traffic,
        },
        "cost_per_request_usd" | "cost_per_accepted_task_usd" | "cost_per_useful_output_usd" => {
            billed
        }
        "acceptance_rate"
        | "calls_per_request"
        | "escalation_share"
        | "flex_refused_share"
        | "semantic_cache_hit_share"
        | "window_refused_share"
        | "provider_error_share" => served,
        "retry_cost_share" => billed,
        _ if g.starts_with("tokens.") => served,
        "cost_breakdown_usd.volume_discount"
        | "cost_breakdown_usd.contract_discount"
        | "cost_breakdown_usd.unused_commitment" => billed,
        _ if g.starts_with("cost_breakdown_usd.") => served,
        "tool_fees[].calls_per_month" | "tool_fees[].monthly_usd" => served,
        "workflows[].monthly_spend_usd.mean" | "workflows[].cost_per_request_usd" => billed,
        "workflows[].monthly_spend_usd.p95" => Rule::ShapeMean,
        "workflows[].requests_per_month" => Rule::Traffic,
        "models[].monthly_spend_usd.mean" => billed,
        "review_cost_usd.mean" => served,
        "hard_cap.cap_usd" => Rule::Identical,
        "hard_cap.probability_hit" => Rule::ShapeProbability,
        "hard_cap.median_day_hit" => Rule::ShapeDay,
        "hard_cap.rejected_requests.mean" | "hard_cap.rejected_requests.p95" => Rule::CapRequests,
        "hard_cap.refused_demand_usd.mean" | "hard_cap.refused_demand_usd.p95" => Rule::CapDollars,
        "contracts[].committed_monthly_usd" | "contracts[].discount" => Rule::Identical,
        "contracts[].billed_usd.mean"
        | "contracts[].unused_commitment_usd.mean"
        | "contracts[].overage_usd.mean" => billed,
        "contracts[].billed_usd.p5"
        | "contracts[].billed_usd.p95"
        | "contracts[].unused_commitment_usd.p95"
        | "contracts[].overage_usd.p95" => Rule::ContractShape,
        "contracts[].underuse_probability" => Rule::ContractProbability,
        "incidents.incidents[].probability" => Rule::Identical,
        "incidents.extra_spend_usd.mean" => billed,
        "incidents.extra_spend_usd.p95"
        | "incidents.p99_without_incidents_usd"
        | "incidents.p99_from_incidents_usd" => Rule::ShapeSpend,
        "latency[].p50_ms" | "latency[].p95_ms" | "latency[].p99_ms" => {
            if t.latency_at_means {
                Rule::Skip
            } else {
                Rule::Latency
            }
        }
        "latency[].samples" | "latency[].target_met" => Rule::Skip,
        "latency[].target_p50_ms" | "latency[].target_p95_ms" | "latency[].target_p99_ms" => {
            Rule::Identical
        }
        _ => return None,
    })
}

/// Numeric leaves of a JSON value, by path; array elements named by their `name`, `workflow`,
/// `month` or `fraction` where they have one.
fn leaves(v: &Value, path: &str, out: &mut BTreeMap<String, f64>) {
    match v {
        Value::Number(x) => {
            out.insert(path.to_string(), x.as_f64().unwrap_or(f64::NAN));
        }
        Value::Bool(b) => {
            out.insert(path.to_string(), f64::from(u8::from(*b)));
        }
        Value::String(x) => {
            // A name: compared for equality through a hash of it.
            let h = x.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
                (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
            });
            out.insert(path.to_string(), (h >> 12) as f64);
        }
        Value::Object(map) => {
            for (k, x) in map {
                let p = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                leaves(x, &p, out);
            }
        }
        Value::Array(items) => {
            for (i, x) in items.iter().enumerate() {
                let key = ["name", "workflow", "month", "fraction"]
                    .iter()
                    .find_map(|k| {
                        x.get(*k)
                            .map(|v| v.to_string().trim_matches('"').to_string())
                    })
                    .unwrap_or_else(|| i.to_string());
                leaves(x, &format!("{path}[{key}]"), out);
            }
        }
        Value::Null => {}
    }
}

/// Every figure of every stack of a report: `stack/path` → value.
fn figures(r: &Report) -> BTreeMap<String, f64> {
    let mut out = BTreeMap::new();
    for st in &r.stacks {
        let v = serde_json::to_value(st).expect("report serializes");
        let mut leaves_of = BTreeMap::new();
        leaves(&v, "", &mut leaves_of);
        for (p, x) in leaves_of {
            out.insert(format!("{}/{p}", st.name), x);
        }
    }
    out
}

/// A run and the trials it folded, to resample.
struct Run {
    result: SimResult,
    outcomes: Vec<TrialOutcome>,
}

fn collect(run: impl FnOnce(&SimOptions) -> SimResult, trials: u64, seed: u64) -> Run {
    let kept: Arc<Mutex<Vec<TrialOutcome>>> = Arc::new(Mutex::new(Vec::new()));
    let sink = kept.clone();
    let mut opts = SimOptions::new(trials, seed);
    opts.threads = Some(1);
    opts.sink = Some(TrialSink(Arc::new(Mutex::new(
        move |_t: u64, o: &TrialOutcome| sink.lock().unwrap().push(o.clone()),
    ))));
    let result = run(&opts);
    let outcomes = std::mem::take(&mut *kept.lock().unwrap());
    Run { result, outcomes }
}

/// The report of the trials `idx` of a run.
fn resampled(s: &Scenario, run: &Run, idx: &[usize]) -> Report {
    let mut opts = SimOptions::new(idx.len() as u64, run.result.seed);
    opts.threads = Some(1);
    let engine = EngineChoice {
        name: run.result.engine.name.clone(),
        reason: String::new(),
        caveat: None,
    };
    let r = engine::run_trials(s, &opts, engine, |t| run.outcomes[idx[t as usize]].clone())
        .expect("resampled run");
    Report::new(s, &r)
}

/// Mean and standard deviation of each contract's monthly usage (what it billed less what its
/// commitment left unused) on each stack of a run, by `stack/contracts[name]`.
///
/// The fast engine splits a day's cost of a workflow among its models in proportion to the
/// expected request, so a model that only some requests reach (a later link of a chain, on a
/// validation failure or an escalation) has the relative spread of the whole workflow, where its
/// own usage, the sum of fewer and rarer calls, spreads more. A contract on that model's
/// provider then has percentiles too close to its mean: by `z·(σ_exact − σ_fast)` in a normal
/// approximation, which is what [`Rule::ContractShape`] allows beyond the shape's tolerance.
fn contract_spread(s: &Scenario, run: &Run) -> BTreeMap<String, (f64, f64)> {
    let mut out = BTreeMap::new();
    for (k, st) in s.stacks.iter().enumerate() {
        for (c, contract) in s.contracts.iter().enumerate() {
            let usage: Vec<f64> = run
                .outcomes
                .iter()
                .flat_map(|o| &o.months)
                .filter_map(|m| m.stacks[k].contracts.get(c))
                .map(|x| x.billed - x.unused)
                .collect();
            let n = usage.len() as f64;
            if n < 2.0 {
                continue;
            }
            let mean = usage.iter().sum::<f64>() / n;
            let sd = (usage.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt();
            out.insert(
                format!("{}/contracts[{}]", st.name, contract.name),
                (mean, sd),
            );
        }
    }
    out
}

/// Standard deviation of each figure over resamples (NaN where a resample lacks it).
fn spread(samples: &[BTreeMap<String, f64>]) -> BTreeMap<String, f64> {
    let mut acc: BTreeMap<String, Vec<f64>> = BTreeMap::new();
    for m in samples {
        for (k, v) in m {
            acc.entry(k.clone()).or_default().push(*v);
        }
    }
    acc.into_iter()
        .map(|(k, v)| {
            let n = v.len() as f64;
            let sd = if v.len() == samples.len() && n > 1.0 {
                let m = v.iter().sum::<f64>() / n;
                (v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (n - 1.0)).sqrt()
            } else {
                f64::NAN
            };
            (k, sd)
        })
        .collect()
}

/// Outcome of one comparison, for the summary.
#[derive(Default, Clone)]
struct Tally {
    compared: u64,
    /// Largest |difference| / (K·SE + tolerance) seen: below 1 passes.
    worst: f64,
    worst_at: String,
    /// Largest |difference| / SE, tolerance aside (differences beyond rounding only): how far
    /// the documented approximations show.
    worst_z: f64,
    worst_z_at: String,
}

#[derive(Default)]
struct ScenarioOutcome {
    seed: u64,
    forced: Option<Feature>,
    text: String,
    fast: &'static str,
    /// Whether the scenario's models have input windows that refuse some prompts.
    windowed: bool,
    failures: Vec<String>,
    tallies: BTreeMap<String, Tally>,
}

impl ScenarioOutcome {
    fn note(&mut self, class: &str, ratio: f64, z: f64, at: &str) {
        let t = self.tallies.entry(class.to_string()).or_default();
        t.compared += 1;
        if z > t.worst_z {
            t.worst_z = z;
            t.worst_z_at = at.to_string();
        }
        if ratio > t.worst || t.worst_at.is_empty() {
            t.worst = t.worst.max(ratio);
            t.worst_at = at.to_string();
        }
    }

    /// Check `|a − b| ≤ K·se + tolerance`.
    fn check(&mut self, class: &str, at: &str, a: f64, b: f64, se: f64, tolerance: f64) {
        let scale = a.abs().max(b.abs());
        let allowed = K * se + tolerance + ROUNDING * scale + 1e-12;
        let diff = (a - b).abs();
        let ratio = if diff == 0.0 { 0.0 } else { diff / allowed };
        let z = if diff <= ROUNDING * scale + 1e-12 {
            0.0
        } else if se > 0.0 {
            diff / se
        } else {
            f64::INFINITY
        };
        self.note(class, ratio, z, at);
        if z > K && std::env::var("AICOST_DIFFERENTIAL_VERBOSE").is_ok() {
            eprintln!(
                "scenario {}: {class}: {at}: {a} vs {b}: {z:.1} standard errors, within the tolerance {tolerance:.3e}",
                self.seed
            );
        }
        if diff.is_nan() || diff > allowed {
            self.failures.push(format!(
                "{class}: {at}: {a} vs {b} (difference {diff:.6e}, standard error {se:.3e}, tolerance {tolerance:.3e})"
            ));
        }
    }
}

fn load(text: &str) -> Result<Scenario, String> {
    aicost::model::scenario::from_str("generated.toml", text)
        .map(|l| l.scenario)
        .map_err(|e| e.to_string())
}

/// Provider usage of the first stack at list price, from the estimate.
fn provider_usage(s: &Scenario) -> Vec<(String, f64)> {
    let e = aicost::sim::estimate::estimate(s);
    let mut out: Vec<(String, f64)> = Vec::new();
    let Some(st) = e.stacks.first() else {
        return out;
    };
    for w in &st.workflows {
        for step in &w.steps {
            for link in &step.links {
                let Some(model) = s.models.iter().find(|m| m.name == link.model) else {
                    continue;
                };
                let usd = w.requests_per_month
                    * (1.0 - w.semantic_cache_hit_rate)
                    * step.reach_probability
                    * link.cost_per_request_usd;
                match out.iter_mut().find(|(p, _)| *p == model.provider) {
                    Some((_, u)) => *u += usd,
                    None => out.push((model.provider.clone(), usd)),
                }
            }
        }
    }
    out
}

/// The smallest whole-token input window at which no step has more than `share` of its prompts
/// beyond it (at least the largest fixed prompt); `None` where no window below 10⁸ tokens does.
fn window_for(s: &Scenario, share: f64) -> Option<u64> {
    let exceeded = |tokens: f64| {
        s.workflows
            .iter()
            .flat_map(|w| &w.steps)
            .map(|step| aicost::model::prompt::window_exceeded_share(step, tokens))
            .fold(0.0, f64::max)
    };
    let (mut lo, mut hi) = (1.0f64, 1e8f64);
    if exceeded(hi) > share {
        return None;
    }
    for _ in 0..60 {
        let mid = (lo * hi).sqrt();
        if exceeded(mid) > share {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    Some(hi.ceil() as u64)
}

fn check_scenario(seed: u64, forced: Feature, trials: u64, work: f64) -> ScenarioOutcome {
    let started = std::time::Instant::now();
    let timing = std::env::var("AICOST_DIFFERENTIAL_TIMING").is_ok();
    let lap = |what: &str| {
        if timing {
            eprintln!(
                "scenario {seed}: {what} at {:.1}s",
                started.elapsed().as_secs_f64()
            );
        }
    };
    let mut out = ScenarioOutcome {
        seed,
        forced: Some(forced),
        ..ScenarioOutcome::default()
    };
    let mut d = generator::draft(seed, forced);
    // An input window on every model, where it refuses a small share of some step's prompts.
    if let Some(share) = generator::window_share(seed)
        && let Ok(s) = load(&d.text)
        && let Some(tokens) = window_for(&s, share)
    {
        d.text = generator::with_window(&d.text, tokens);
        out.windowed = true;
    }
    // A fine-tune of the first model, its fees sized from the expected month.
    if let Ok(s) = load(&d.text) {
        let monthly = aicost::sim::estimate::estimate(&s)
            .stacks
            .first()
            .map_or(1.0, |st| st.monthly_usd)
            .max(1e-3);
        if let Some(line) = generator::fine_tune(seed, s.simulation.months, monthly) {
            d.text = generator::with_fine_tune(&d.text, &line);
        }
    }
    let draft = match load(&d.text) {
        Ok(s) => s,
        Err(e) => {
            out.text = d.text;
            out.failures
                .push(format!("the generated scenario is invalid:\n{e}"));
            return out;
        }
    };
    let e = aicost::sim::estimate::estimate(&draft);
    let monthly = e.stacks.first().map_or(1.0, |st| st.monthly_usd).max(1e-6);
    let users: f64 = draft.segments.iter().map(|s| s.users.mean()).sum();
    out.text = generator::finish(&d, monthly, users, &provider_usage(&draft));
    let s = match load(&out.text) {
        Ok(s) => s,
        Err(e) => {
            out.failures
                .push(format!("the generated scenario is invalid:\n{e}"));
            return out;
        }
    };
    let t = traits(&s);
    // Fewer trials for a scenario whose months are long to simulate request by request.
    let trials = ((work / engine::exact_work_per_trial(&s)) as u64).clamp(100, trials);
    let exact = collect(
        |o| engine::simulate_exact(&s, o).expect("the exact engine runs"),
        trials,
        seed,
    );
    let mut pools: BTreeMap<String, usize> = BTreeMap::new();
    let fast = match unsupported(&s) {
        Some(_) => {
            out.fast = "not modelled";
            None
        }
        None => {
            let plan = FastPlan::new(&s, trials, seed);
            for (k, st) in s.stacks.iter().enumerate() {
                for (w, wf) in s.workflows.iter().enumerate() {
                    pools.insert(
                        format!("{}/latency[{}]", st.name, wf.name),
                        plan.reference_latencies(w, k),
                    );
                }
            }
            let vouched = plan.inaccurate().is_none();
            out.fast = if vouched { "vouched" } else { "mean only" };
            Some((
                collect(
                    |o| engine::simulate_fast(&s, o, "differential".to_string()).unwrap(),
                    trials,
                    seed,
                ),
                vouched,
            ))
        }
    };
    check_policies(&mut out, &s, &exact, seed);
    lap("simulated");
    // Paired resamples of the trials.
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x5eed);
    let n = exact.outcomes.len();
    let mut exact_samples = Vec::new();
    let mut diff_samples = Vec::new();
    let mut month_samples = Vec::new();
    for _ in 0..RESAMPLES {
        let idx: Vec<usize> = (0..n).map(|_| rng.random_range(0..n)).collect();
        let fe = figures(&resampled(&s, &exact, &idx));
        month_samples.push(estimate_view(&s, &exact.outcomes, &idx));
        if let Some((f, _)) = &fast {
            let ff = figures(&resampled(&s, f, &idx));
            let d: BTreeMap<String, f64> = ff
                .iter()
                .filter_map(|(k, v)| fe.get(k).map(|x| (k.clone(), v - x)))
                .collect();
            diff_samples.push(d);
        }
        exact_samples.push(fe);
    }
    lap("resampled");
    let exact_se = spread(&exact_samples);
    let diff_se = spread(&diff_samples);
    let month_se = spread(&month_samples);
    let fe = figures(&Report::new(&s, &exact.result));
    let spend_sd = |stack: &str| {
        fe.get(&format!("{stack}/monthly_spend_usd.sd"))
            .copied()
            .unwrap_or(0.0)
    };
    let spend_mean = |stack: &str| {
        fe.get(&format!("{stack}/monthly_spend_usd.mean"))
            .copied()
            .unwrap_or(0.0)
    };

    let exact_contracts = contract_spread(&s, &exact);
    let fast_contracts = fast
        .as_ref()
        .map(|(f, _)| contract_spread(&s, f))
        .unwrap_or_default();
    let latency_pool = |path: &str| {
        let prefix = &path[..path.rfind('.').unwrap_or(path.len())];
        pools.get(prefix).copied()
    };
    let figure_leaf = |path: &str| path.rsplit('.').next().unwrap_or("").to_string();
    // Exact against fast.
    if let Some((f, vouched)) = &fast {
        let ff = figures(&Report::new(&s, &f.result));
        for (path, &a) in &fe {
            let (stack, figure) = path.split_once('/').unwrap_or(("", path));
            let Some(rule) = rule(figure, &t) else {
                out.failures.push(format!("no rule for figure `{figure}`"));
                continue;
            };
            let Some(&b) = ff.get(path) else {
                // A median day where the fast engine never crossed the threshold: its
                // probability is compared.
                if rule != Rule::Skip && rule != Rule::ShapeDay {
                    out.failures
                        .push(format!("{path}: reported by the exact engine only"));
                }
                continue;
            };
            let se = diff_se.get(path).copied().unwrap_or(f64::NAN);
            let se = if se.is_finite() { se } else { 0.0 };
            let shape = |out: &mut ScenarioOutcome, class: &str, tolerance: f64| {
                if *vouched {
                    out.check(class, path, a, b, se, tolerance);
                }
            };
            match rule {
                Rule::Identical => out.check("identical", path, a, b, 0.0, 0.0),
                Rule::Mean => out.check("exact in mean", path, a, b, se, 0.0),
                Rule::Traffic => out.check("traffic", path, a, b, se, 0.0),
                Rule::ShapeSpend => {
                    // The standard deviation of the figure's own block (a month of the
                    // horizon, the horizon total), else of the monthly spend.
                    let block = &path[..path.rfind('.').unwrap_or(path.len())];
                    let sd = fe
                        .get(&format!("{block}.sd"))
                        .copied()
                        .unwrap_or_else(|| spend_sd(stack));
                    shape(&mut out, "shape", SHAPE_SD * sd)
                }
                Rule::ShapeMean => {
                    let mean = spend_mean(stack);
                    let cv = if mean > 0.0 {
                        spend_sd(stack) / mean
                    } else {
                        0.0
                    };
                    shape(&mut out, "shape", SHAPE_SD * cv * a.abs().max(b.abs()))
                }
                Rule::ShapeRelative => shape(&mut out, "shape", SHAPE_SD * a.abs().max(b.abs())),
                Rule::ContractShape | Rule::ContractProbability => {
                    let block = &path[..path.find("].").map_or(path.len(), |i| i + 1)];
                    let (mu, sd_e) = exact_contracts.get(block).copied().unwrap_or((0.0, 0.0));
                    let sd_f = fast_contracts.get(block).map_or(sd_e, |x| x.1);
                    let tolerance = if rule == Rule::ContractShape {
                        let mean = spend_mean(stack);
                        let cv = if mean > 0.0 {
                            spend_sd(stack) / mean
                        } else {
                            0.0
                        };
                        // The 5th and 95th percentiles: z = 1.645.
                        SHAPE_SD * cv * a.abs().max(b.abs()) + 1.645 * (sd_e - sd_f).abs()
                    } else {
                        let committed = fe
                            .get(&format!("{block}.committed_monthly_usd"))
                            .copied()
                            .unwrap_or(0.0);
                        let below = |sd: f64| {
                            if sd > 0.0 {
                                Normal::standard().cdf((committed - mu) / sd)
                            } else if committed > mu {
                                1.0
                            } else {
                                0.0
                            }
                        };
                        SHAPE_PROBABILITY + (below(sd_e) - below(sd_f)).abs()
                    };
                    shape(&mut out, "contract spread", tolerance)
                }
                Rule::ShapeProbability => shape(&mut out, "shape", SHAPE_PROBABILITY),
                Rule::ShapeDay => {
                    // A median day rests on the months that cross: on fewer than
                    // `MIN_CROSSING_MONTHS` of either engine it is the day of one or two months
                    // (scenario 1293: one month against two), and the crossing's probability is
                    // compared instead.
                    let probability = path
                        .replace("median_day_hit", "probability_hit")
                        .replace("median_day", "probability");
                    let months = |m: &BTreeMap<String, f64>| {
                        m.get(&probability).copied().unwrap_or(0.0) * trials as f64
                    };
                    if months(&fe).min(months(&ff)) >= MIN_CROSSING_MONTHS {
                        shape(&mut out, "shape", DAY);
                    }
                }
                Rule::CapRequests | Rule::CapDollars => {
                    let get = |f: &str| fe.get(&format!("{stack}/{f}")).copied().unwrap_or(0.0);
                    let per_request =
                        get("monthly_spend_usd.mean") / get("requests_per_month.mean").max(1.0);
                    // The shape's tolerance in dollars and the cap's gap in requests, both in
                    // the figure's unit.
                    let (shape_usd, gap_requests) = (SHAPE_SD * spend_sd(stack), CAP_GAP_REQUESTS);
                    let tolerance = if rule == Rule::CapDollars {
                        shape_usd + gap_requests * per_request
                    } else if per_request > 0.0 {
                        shape_usd / per_request + gap_requests
                    } else {
                        gap_requests
                    };
                    shape(&mut out, "hard-cap gap", tolerance)
                }
                Rule::UserSpread => out.check(
                    "per-user spread",
                    path,
                    a,
                    b,
                    se,
                    USER_SPREAD * a.abs().max(b.abs()),
                ),
                Rule::Latency => {
                    // The fast engine draws latencies from its reference sample, whose own
                    // sampling error the resampled trials do not show: that of a percentile of
                    // `pool` values, scaled from the exact engine's `samples`.
                    let pool = latency_pool(path).unwrap_or(1) as f64;
                    let samples = fe
                        .get(&path.replace(&format!(".{}", figure_leaf(path)), ".samples"))
                        .copied()
                        .unwrap_or(0.0);
                    let exact = exact_se.get(path).copied().unwrap_or(0.0);
                    let pool_se = exact * (samples / pool).sqrt();
                    out.check(
                        "latency",
                        path,
                        a,
                        b,
                        (se * se + pool_se * pool_se).sqrt(),
                        0.0,
                    )
                }
                Rule::Skip => {}
            }
        }
        for path in ff.keys() {
            let (_, figure) = path.split_once('/').unwrap_or(("", path));
            if !fe.contains_key(path)
                && rule(figure, &t).is_some_and(|r| r != Rule::Skip && r != Rule::ShapeDay)
            {
                out.failures
                    .push(format!("{path}: reported by the fast engine only"));
            }
        }
    } else {
        // The figures still need rules, whichever engine reports them.
        for path in fe.keys() {
            let (_, figure) = path.split_once('/').unwrap_or(("", path));
            if rule(figure, &t).is_none() {
                out.failures.push(format!("no rule for figure `{figure}`"));
            }
        }
    }

    // The estimate against the exact engine, where it claims to be exact.
    if aicost::sim::estimate::estimate(&s)
        .approximations
        .is_empty()
    {
        let (first, report) = estimate_figures(&s);
        let exact_first = estimate_view(&s, &exact.outcomes, &(0..n).collect::<Vec<_>>());
        for (path, &x) in &first {
            let Some(&a) = exact_first.get(path) else {
                continue;
            };
            let se = month_se.get(path).copied().unwrap_or(0.0);
            let mut se = if se.is_finite() { se } else { 0.0 };
            if path.ends_with("/window_refused_share") {
                // A share of one in a billion refuses no prompt in a run, whose resampled
                // standard error is then 0: the binomial one of the estimate's share is not.
                let stack = &path[..path.rfind('/').unwrap_or(0)];
                let requests = exact_first
                    .get(&format!("{stack}/requests_per_month"))
                    .copied()
                    .unwrap_or(0.0)
                    * (n as f64)
                    * f64::from(s.simulation.months.max(1));
                if requests > 0.0 {
                    se = se.max((x * (1.0 - x) / requests).sqrt());
                }
            }
            out.check("estimate", path, a, x, se, 0.0);
        }
        for (path, &x) in &report {
            let Some(&a) = fe.get(path) else {
                out.failures.push(format!("{path}: not in the report"));
                continue;
            };
            let se = exact_se.get(path).copied().unwrap_or(0.0);
            out.check(
                "estimate",
                path,
                a,
                x,
                if se.is_finite() { se } else { 0.0 },
                0.0,
            );
        }
    }
    out
}

/// Budget policies on the scenario: the exact engine alone models them (the fast engine declines,
/// and the estimate says it does not model them), so the check is the exact engine against
/// itself. The month without the policies that a policy run reports must be, month by month, the
/// very month the run without them simulated (common random numbers), and each share must be a
/// share.
fn check_policies(out: &mut ScenarioOutcome, s: &Scenario, plain: &Run, seed: u64) {
    let names = |v: Vec<&String>| v.into_iter().cloned().collect::<Vec<String>>();
    let monthly = plain.result.stacks[0].spend.iter().sum::<f64>()
        / plain.result.stacks[0].spend.len().max(1) as f64;
    let Some(policies) = generator::policies(
        seed,
        &names(s.segments.iter().map(|x| &x.name).collect()),
        &names(s.workflows.iter().map(|x| &x.name).collect()),
        &s.routes,
        monthly,
    ) else {
        return;
    };
    let text = format!("{}{policies}", out.text);
    let p = match load(&text) {
        Ok(p) => p,
        Err(e) => {
            out.failures
                .push(format!("the scenario with policies is invalid:\n{e}"));
            return;
        }
    };
    if unsupported(&p).is_none() {
        out.failures
            .push("the fast engine does not decline budget policies".to_string());
    }
    let e = aicost::sim::estimate::estimate(&p);
    if !e
        .approximations
        .iter()
        .any(|a| a.contains("budget policies"))
    {
        out.failures
            .push("the estimate does not say it leaves budget policies out".to_string());
    }
    let trials = plain.result.trials.min(100);
    let mut opts = SimOptions::new(trials, seed);
    opts.threads = Some(1);
    let with = engine::simulate_exact(&p, &opts).expect("the exact engine runs");
    for (k, st) in with.stacks.iter().enumerate() {
        let base = &plain.result.stacks[k].spend;
        let mut compared = 0;
        for (i, m) in st.policy.iter().enumerate() {
            compared += 1;
            if m.spend_without != Some(base[i]) {
                out.failures.push(format!(
                    "{}: month {i} without policies is ${:?}, the run without them ${}",
                    st.name, m.spend_without, base[i]
                ));
                break;
            }
        }
        out.check(
            "policies (same months)",
            &format!("{}/policies", st.name),
            compared as f64,
            (base.len().min(st.policy.len())) as f64,
            0.0,
            0.0,
        );
        let r = Report::new(&p, &with);
        let Some(pr) = &r.stacks[k].policies else {
            out.failures
                .push(format!("{}: no policies report", st.name));
            continue;
        };
        for seg in &pr.segments {
            let total = seg.degraded_share
                + seg.paused_share
                + seg.refused_share
                + seg.hard_cap_refused_share;
            if !(0.0..=1.0 + 1e-9).contains(&total) {
                out.failures.push(format!(
                    "{}: shares of segment {} add to {total}",
                    st.name, seg.name
                ));
            }
        }
    }
}

#[test]
fn engines_and_estimate_agree_on_every_figure() {
    let cfg = Config::from_env();
    // Two workers take the scenarios in turn; every engine run inside is single-threaded, so
    // the work does not depend on how a thread pool nests.
    let workers = std::thread::available_parallelism().map_or(2, |n| n.get().min(2)) as u64;
    let mut outcomes: Vec<ScenarioOutcome> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..workers)
            .map(|worker| {
                let cfg = &cfg;
                scope.spawn(move || {
                    (cfg.first..cfg.first + cfg.scenarios)
                        .filter(|i| i % workers == worker)
                        .map(|i| {
                            let forced = Feature::ALL[(i % Feature::ALL.len() as u64) as usize];
                            check_scenario(1000 + i, forced, cfg.trials, cfg.work)
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("a worker finished"))
            .collect()
    });
    outcomes.sort_by_key(|o| o.seed);
    // The summary: per rule, figures compared and the worst ratio to the allowed difference.
    let mut classes: BTreeMap<String, Tally> = BTreeMap::new();
    let mut fast_status: BTreeMap<&str, u64> = BTreeMap::new();
    let mut windowed: BTreeMap<&str, u64> = BTreeMap::new();
    for o in &outcomes {
        *fast_status.entry(o.fast).or_default() += 1;
        if o.windowed {
            *windowed.entry(o.fast).or_default() += 1;
        }
        for (class, t) in &o.tallies {
            let c = classes.entry(class.clone()).or_default();
            c.compared += t.compared;
            if t.worst_z > c.worst_z {
                c.worst_z = t.worst_z;
                c.worst_z_at = format!("scenario {}: {}", o.seed, t.worst_z_at);
            }
            if t.worst >= c.worst {
                c.worst = t.worst;
                c.worst_at = format!("scenario {}: {}", o.seed, t.worst_at);
            }
        }
    }
    let failed: Vec<&ScenarioOutcome> =
        outcomes.iter().filter(|o| !o.failures.is_empty()).collect();
    let mut summary = format!(
        "{} scenarios, {} trials each: fast engine {:?}; with input windows {:?}; {} failed\n",
        outcomes.len(),
        cfg.trials,
        fast_status,
        windowed,
        failed.len()
    );
    for (class, t) in &classes {
        summary += &format!(
            "  {class}: {} figures compared, worst at {:.2} of the allowed difference ({}); largest difference {:.1} standard errors ({})\n",
            t.compared, t.worst, t.worst_at, t.worst_z, t.worst_z_at
        );
    }
    println!("{summary}");
    if let Some(path) = &cfg.summary {
        std::fs::write(path, &summary).expect("summary written");
    }
    let mut message = String::new();
    for o in &failed {
        message += &format!(
            "\n=== scenario {} (forced feature {:?}, fast engine: {}{}) ===\n{}\n--- scenario ---\n{}\n",
            o.seed,
            o.forced,
            o.fast,
            if o.windowed { ", input windows" } else { "" },
            o.failures.join("\n"),
            o.text
        );
    }
    assert!(failed.is_empty(), "{summary}{message}");
}
