//! The optimization backlog: which change to the scenario saves the most, and how sure that is.
//!
//! Each lever turns the scenario into one or more modified versions ("candidates"); every
//! candidate is simulated with the base scenario's seed and trials, so its saving is measured
//! month by month on common random numbers (see [`crate::base::stats::paired`]) and even a saving of a few
//! percent is not noise. A candidate changes the typed scenario only, so it is validated like the
//! base and keeps every parameter's key (same draws).
//!
//! The levers, in the order the token-economics guide recommends trying them:
//! 1. `output_cap` — set `max_output_tokens` to a quantile of each step's output (default p95);
//! 2. `route` — send a share of requests straight to the cheapest model of a multi-model stack;
//! 3. `prefix_trim` — shorten every static prefix (system prompt, tools, examples) by a fraction;
//! 4. `prompt_cache` — raise prompt-cache hit rates to a target where the prefix is cacheable;
//! 3. `semantic_cache` — answer a share of one workflow's requests from a semantic cache (one
//!    candidate per workflow: only a person knows whose users repeat their questions);
//! 4. `prefix_trim` — shorten every static prefix (system prompt, tools, examples) by a fraction;
//! 5. `prompt_cache` — raise prompt-cache hit rates to a target where the prefix is cacheable;
//! 6. `batch` — move one live workflow without a latency target to the batch path (one candidate
//!    per workflow, since only a person knows which users can wait);
//! 7. `contract` — a committed-use contract with each provider a stack calls, sized at the
//!    commitment that minimises the expected bill (one candidate per stack).
//!
//! Routing is modelled as a mixture: a share `s` of requests, chosen independently at random, goes
//! to the cheap model alone, so a month costs `(1 − s)·base + s·cheap-only` in expectation, with
//! both terms simulated on the same months. A chain is not routed where the cheap model's input
//! window would refuse its prompts (more than one in a million, validation's warning threshold):
//! a refused call is billed nothing, so the spend it drops is demand turned away, not a saving. Acceptance is affected only through the validation
//! failure rates of the scenario; the quality of shorter answers, a trimmed prompt or a near-miss
//! semantic-cache answer is not modelled. Latency is reported where the scenario models it.
//!
//! The contract's size is a newsvendor problem. With discount `d` and list-price overage, a
//! commitment `C` buys `C / (1 − d)` of (tier-discounted) usage `U`, so the month's bill is
//! `C + max(0, U − C / (1 − d))`. Its expectation is convex in `C`, with derivative
//! `1 − P(U > C / (1 − d)) / (1 − d)`, zero where `P(U ≤ C / (1 − d)) = d`: the optimal
//! commitment is `(1 − d)` times the `d`-quantile of monthly usage, read off the base run. The
//! commitment is then under-used in a share `d` of months — that risk is priced in, not ignored.
//! (With discounted overage the bill `max(C, (1 − d)·U)` only grows with `C`, so that form has no
//! interior optimum; the lever therefore proposes list-price overage, the common contract form.)

use serde::Serialize;

use crate::base::error::suggest;
use crate::base::stats;
use crate::base::stats::paired::{Delta, ProbabilityChange, exceedance_change};
use crate::billing::call::cacheable;
use crate::billing::invoice::commitment_covering;
use crate::model::{Chain, Link, Param, RequestPath, Scenario};
use crate::sim::engine::{SimResult, StackSim};

/// The numbers a lever assumes, each overridable with `--lever KEY=VALUE`.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Assumptions {
    /// Prompt-cache hit rate a team can reach by putting static content first.
    pub cache_hit_rate: f64,
    /// Quantile of each step's output that `max_output_tokens` is lowered to.
    pub output_quantile: f64,
    /// Fraction of every static prefix that prompt trimming removes.
    pub prefix_trim: f64,
    /// Share of requests routed straight to the stack's cheapest model.
    pub route_share: f64,
    /// Share of a workflow's requests a semantic cache answers (GPTCache reports 30–40% in
    /// customer support).
    pub semantic_cache_hit_rate: f64,
    /// Cost of one semantic-cache lookup, hit or miss: a query embedding and a vector search.
    pub semantic_lookup_usd: f64,
    /// Discount a committed-use contract earns (enterprise agreements: typically 20–40%).
    pub contract_discount: f64,
}

impl Default for Assumptions {
    fn default() -> Self {
        Assumptions {
            cache_hit_rate: 0.9,
            output_quantile: 0.95,
            prefix_trim: 0.2,
            route_share: 0.5,
            semantic_cache_hit_rate: 0.3,
            semantic_lookup_usd: 0.00001,
            contract_discount: 0.2,
        }
    }
}

/// Documentation of each assumption: key, meaning, and the open or closed range it must lie in.
pub const ASSUMPTION_KEYS: [(&str, &str); 7] = [
    (
        "cache_hit_rate",
        "prompt-cache hit rate reached by putting static content first (0 to 1)",
    ),
    (
        "output_quantile",
        "quantile of each step's output that max_output_tokens is lowered to (0 to 1)",
    ),
    (
        "prefix_trim",
        "fraction of every static prefix removed by prompt trimming (0 to 1)",
    ),
    (
        "route_share",
        "share of requests sent straight to a stack's cheapest model (0 to 1)",
    ),
    (
        "semantic_cache_hit_rate",
        "share of a workflow's requests answered by a semantic cache (0 to 1)",
    ),
    (
        "semantic_lookup_usd",
        "cost of one semantic-cache lookup in USD (0 or more)",
    ),
    (
        "contract_discount",
        "discount of a committed-use contract (0 to 1)",
    ),
];

impl Assumptions {
    /// Apply one `KEY=VALUE`; the error is a message with a fix.
    pub fn set(&mut self, kv: &str) -> Result<(), String> {
        let Some((key, value)) = kv.split_once('=') else {
            return Err(format!(
                "`--lever {kv}`: write KEY=VALUE, e.g. --lever cache_hit_rate=0.9"
            ));
        };
        let (key, value) = (key.trim(), value.trim());
        let keys = ASSUMPTION_KEYS.map(|(k, _)| k);
        let slot = match key {
            "cache_hit_rate" => &mut self.cache_hit_rate,
            "output_quantile" => &mut self.output_quantile,
            "prefix_trim" => &mut self.prefix_trim,
            "route_share" => &mut self.route_share,
            "semantic_cache_hit_rate" => &mut self.semantic_cache_hit_rate,
            "semantic_lookup_usd" => &mut self.semantic_lookup_usd,
            "contract_discount" => &mut self.contract_discount,
            _ => {
                let hint = match suggest(key, keys) {
                    Some(s) => format!("did you mean `{s}`?"),
                    None => format!("known: {}", keys.join(", ")),
                };
                return Err(format!(
                    "`--lever {kv}`: unknown assumption `{key}`; {hint}"
                ));
            }
        };
        let x: f64 = value
            .parse()
            .map_err(|_| format!("`--lever {kv}`: `{value}` is not a number"))?;
        // The ceilings and the floor of the scenario's own numbers.
        if x != 0.0 && x.abs() < crate::model::scenario::validator::MIN_MAGNITUDE {
            return Err(format!(
                "`--lever {kv}`: {value} is too small to mean anything (a number other than 0 must be at least {:e})",
                crate::model::scenario::validator::MIN_MAGNITUDE
            ));
        }
        if key == "semantic_lookup_usd" {
            if !(x >= 0.0) || !x.is_finite() || x > crate::model::MAX_NUMBER {
                return Err(format!(
                    "`--lever {kv}`: `{key}` is a cost in USD, 0 or more and at most {:e} (the ceiling of a scenario's numbers), got {value}",
                    crate::model::MAX_NUMBER
                ));
            }
            *slot = x;
            return Ok(());
        }
        let ok = match key {
            "cache_hit_rate" | "route_share" | "semantic_cache_hit_rate" => x > 0.0 && x <= 1.0,
            _ => x > 0.0 && x < 1.0,
        };
        if !ok || !x.is_finite() {
            return Err(format!(
                "`--lever {kv}`: `{key}` must lie between 0 and 1, got {value}"
            ));
        }
        *slot = x;
        Ok(())
    }

    pub fn describe(&self) -> String {
        format!(
            "cache_hit_rate={} · output_quantile={} · prefix_trim={} · route_share={} · semantic_cache_hit_rate={} · semantic_lookup_usd={} · contract_discount={}",
            self.cache_hit_rate,
            self.output_quantile,
            self.prefix_trim,
            self.route_share,
            self.semantic_cache_hit_rate,
            self.semantic_lookup_usd,
            self.contract_discount
        )
    }
}

/// How a candidate's month is made from simulated months.
#[derive(Clone, Debug)]
pub enum Variant {
    /// The modified scenario's month.
    Replace(Scenario),
    /// `(1 − share)` of the base month plus `share` of the modified scenario's month.
    Mix { share: f64, with: Scenario },
}

impl Variant {
    pub fn scenario(&self) -> &Scenario {
        match self {
            Variant::Replace(s) | Variant::Mix { with: s, .. } => s,
        }
    }
}

/// One modified scenario to try.
#[derive(Clone, Debug)]
pub struct Candidate {
    pub lever: &'static str,
    /// What the candidate changes, stable across scenarios the lever is applied to: the lever,
    /// and the workflow or stack of a lever with one candidate per workflow or stack. The same
    /// lever applied to an already modified scenario gives the candidate with the same key.
    pub key: String,
    /// What was changed, for people.
    pub change: String,
    pub variant: Variant,
    /// The stack the candidate was sized for, when it was (a contract); the backlog lists it
    /// under that stack only.
    pub for_stack: Option<usize>,
}

/// A way to save money; see the module documentation for the list.
pub trait Lever: Sync {
    fn id(&self) -> &'static str;
    /// The candidates this lever proposes, or why it does not apply to this scenario; `base` is
    /// the scenario's own simulation (with the seed and trials every candidate will run on).
    fn candidates(
        &self,
        s: &Scenario,
        a: &Assumptions,
        base: &SimResult,
    ) -> Result<Vec<Candidate>, String>;
}

/// Every lever, in the order they are tried.
pub static LEVERS: &[&dyn Lever] = &[
    &OutputCap,
    &Route,
    &SemanticCache,
    &PrefixTrim,
    &PromptCache,
    &Batch,
    &Contract,
];

/// Every candidate of every lever, and the levers that do not apply (with the reason).
pub fn candidates(
    s: &Scenario,
    a: &Assumptions,
    base: &SimResult,
) -> (Vec<Candidate>, Vec<NotApplicable>) {
    let mut out = Vec::new();
    let mut skipped = Vec::new();
    for lever in LEVERS {
        match lever.candidates(s, a, base) {
            Ok(c) if !c.is_empty() => out.extend(c),
            Ok(_) => skipped.push(NotApplicable {
                lever: lever.id(),
                reason: "nothing to change".to_string(),
            }),
            Err(reason) => skipped.push(NotApplicable {
                lever: lever.id(),
                reason,
            }),
        }
    }
    (out, skipped)
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct NotApplicable {
    pub lever: &'static str,
    pub reason: String,
}

fn step_name(s: &Scenario, w: usize, st: usize) -> String {
    format!("{}/{}", s.workflows[w].name, s.workflows[w].steps[st].name)
}

/// Milliseconds as seconds for people: `1.24 s`, `380 ms`.
fn seconds(ms: f64) -> String {
    if ms >= 1000.0 {
        format!("{:.2} s", ms / 1000.0)
    } else {
        format!("{ms:.0} ms")
    }
}

fn tokens(x: f64) -> String {
    crate::base::format::count(x)
}

fn quantile_name(q: f64) -> String {
    let pct = q * 100.0;
    if (pct - pct.round()).abs() < 1e-9 {
        format!("p{}", pct.round())
    } else {
        format!("p{pct}")
    }
}

/// `max_output_tokens` lowered to a quantile of the step's output.
pub struct OutputCap;

impl Lever for OutputCap {
    fn id(&self) -> &'static str {
        "output_cap"
    }

    fn candidates(
        &self,
        s: &Scenario,
        a: &Assumptions,
        _base: &SimResult,
    ) -> Result<Vec<Candidate>, String> {
        let mut m = s.clone();
        let mut changes = Vec::new();
        for (w, wf) in m.workflows.iter_mut().enumerate() {
            for (k, st) in wf.steps.iter_mut().enumerate() {
                if st.output_tokens.is_fixed() || st.output_tokens.mean() == 0.0 {
                    continue;
                }
                let q = st.output_tokens.quantile(a.output_quantile).ceil().max(1.0);
                if st.max_output_tokens.is_some_and(|c| c <= q) {
                    continue;
                }
                let before = st
                    .max_output_tokens
                    .map_or_else(|| "no cap".to_string(), tokens);
                changes.push(format!("{} {before} → {}", step_name(s, w, k), tokens(q)));
                st.max_output_tokens = Some(q);
            }
        }
        if changes.is_empty() {
            return Err(format!(
                "every step's output is fixed or already capped at or below its {}",
                quantile_name(a.output_quantile)
            ));
        }
        Ok(vec![Candidate {
            lever: self.id(),
            key: self.id().to_string(),
            change: format!(
                "max_output_tokens at the {} of output: {}",
                quantile_name(a.output_quantile),
                changes.join(", ")
            ),
            variant: Variant::Replace(m),
            for_stack: None,
        }])
    }
}

/// The cheapest model of each multi-model stack serves a share of requests alone.
pub struct Route;

/// Expected token mix of one request (input, output), for ranking models by price.
fn token_mix(s: &Scenario) -> (f64, f64) {
    let mut input = 0.0;
    let mut output = 0.0;
    for w in &s.workflows {
        for st in &w.steps {
            input += st.static_prefix_tokens.mean()
                + st.input_tokens.mean()
                + st.retrieval
                    .as_ref()
                    .map_or(0.0, |r| r.chunks.mean() * r.chunk_tokens.mean());
            output += st.max_output_tokens.map_or_else(
                || st.output_tokens.mean(),
                |c| st.output_tokens.mean_capped(c),
            );
        }
    }
    (input.max(1.0), output.max(1.0))
}

/// Why model `m` cannot serve route `route` alone: the steps on that route whose prompts exceed
/// its input window more often than [`crate::model::prompt::WINDOW_WARNING_SHARE`], in words (`its
/// chain for w/a: 29.36% of the prompts exceed the 2,000-token window of `small``); `None` when
/// the window takes them all.
fn window_refusals(s: &Scenario, route: usize, m: usize) -> Option<String> {
    use crate::base::format::{count, small_percent};
    let model = &s.models[m];
    let window = model.max_input_tokens?;
    let steps: Vec<String> = s
        .workflows
        .iter()
        .enumerate()
        .flat_map(|(w, wf)| {
            wf.steps
                .iter()
                .enumerate()
                .map(move |(st, step)| (w, st, step))
        })
        .filter(|(_, _, step)| step.route == route)
        .filter_map(|(w, st, step)| {
            let share = crate::model::prompt::window_exceeded_share(step, window);
            (share >= crate::model::prompt::WINDOW_WARNING_SHARE).then(|| {
                format!(
                    "{} of the prompts of {}",
                    small_percent(share),
                    step_name(s, w, st)
                )
            })
        })
        .collect();
    (!steps.is_empty()).then(|| {
        format!(
            "its chain: {} exceed the {}-token window of {}",
            steps.join(", "),
            count(window),
            model.name
        )
    })
}

impl Lever for Route {
    fn id(&self) -> &'static str {
        "route"
    }

    fn candidates(
        &self,
        s: &Scenario,
        a: &Assumptions,
        _base: &SimResult,
    ) -> Result<Vec<Candidate>, String> {
        let (win, wout) = token_mix(s);
        let price = |m: usize| {
            let p = &s.models[m].prices;
            win * p.input.mean() + wout * p.output.mean()
        };
        let mut m = s.clone();
        let mut changes = Vec::new();
        let mut kept = Vec::new();
        for stack in &mut m.stacks {
            let mut models: Vec<usize> = stack
                .chains
                .iter()
                .flat_map(|c| c.links.iter().map(|l| l.model))
                .collect();
            models.sort_unstable();
            models.dedup();
            if models.len() < 2 {
                continue;
            }
            let cheap = *models
                .iter()
                .min_by(|x, y| price(**x).total_cmp(&price(**y)))
                .expect("two models");
            let mut touched = false;
            for (route, chain) in stack.chains.iter_mut().enumerate() {
                let Some(link) = chain.links.iter().find(|l| l.model == cheap) else {
                    continue;
                };
                if chain.links.len() == 1 {
                    continue;
                }
                // A prompt longer than the cheap model's window is refused there, unbilled: its
                // "saving" is demand turned away, so such a route is not offered.
                if let Some(refused) = window_refusals(s, route, cheap) {
                    kept.push(format!("{} keeps {refused}", stack.name));
                    continue;
                }
                let escalation = &link.escalation_rate;
                let alone = Link {
                    escalation_rate: Param {
                        dist: crate::model::dist::Dist::Fixed(0.0),
                        key: escalation.key,
                        label: escalation.label.clone(),
                    },
                    ..link.clone()
                };
                *chain = Chain { links: vec![alone] };
                touched = true;
            }
            if touched {
                changes.push(format!("{} → {}", stack.name, s.models[cheap].name));
            }
        }
        if changes.is_empty() {
            if !kept.is_empty() {
                return Err(format!(
                    "the cheapest model would refuse prompts longer than its input window (not billed, and the request fails), which is no saving: {}",
                    kept.join("; ")
                ));
            }
            return Err("no stack has a chain of more than one model".to_string());
        }
        let kept = if kept.is_empty() {
            String::new()
        } else {
            format!(
                " (not routed, the cheapest model's window would refuse prompts: {})",
                kept.join("; ")
            )
        };
        Ok(vec![Candidate {
            lever: self.id(),
            key: self.id().to_string(),
            change: format!(
                "{:.0}% of requests straight to the cheapest model, without fallback: {}{kept}",
                a.route_share * 100.0,
                changes.join(", ")
            ),
            variant: Variant::Mix {
                share: a.route_share,
                with: m,
            },
            for_stack: None,
        }])
    }
}

/// Every static prefix shortened by a fraction.
pub struct PrefixTrim;

impl Lever for PrefixTrim {
    fn id(&self) -> &'static str {
        "prefix_trim"
    }

    fn candidates(
        &self,
        s: &Scenario,
        a: &Assumptions,
        _base: &SimResult,
    ) -> Result<Vec<Candidate>, String> {
        let mut m = s.clone();
        let mut changes = Vec::new();
        for (w, wf) in m.workflows.iter_mut().enumerate() {
            for (k, st) in wf.steps.iter_mut().enumerate() {
                let before = st.static_prefix_tokens.mean();
                if before <= 0.0 {
                    continue;
                }
                let Some(d) = st.static_prefix_tokens.scaled(1.0 - a.prefix_trim) else {
                    continue;
                };
                changes.push(format!(
                    "{} {} → {}",
                    step_name(s, w, k),
                    tokens(before),
                    tokens(d.mean())
                ));
                st.static_prefix_tokens = d;
            }
        }
        if changes.is_empty() {
            return Err("no step has a static prefix".to_string());
        }
        Ok(vec![Candidate {
            lever: self.id(),
            key: self.id().to_string(),
            change: format!(
                "static prefix {:.0}% shorter (mean tokens): {}",
                a.prefix_trim * 100.0,
                changes.join(", ")
            ),
            variant: Variant::Replace(m),
            for_stack: None,
        }])
    }
}

/// Prompt-cache hit rates raised to a target where the prefix can be cached.
pub struct PromptCache;

impl Lever for PromptCache {
    fn id(&self) -> &'static str {
        "prompt_cache"
    }

    fn candidates(
        &self,
        s: &Scenario,
        a: &Assumptions,
        _base: &SimResult,
    ) -> Result<Vec<Candidate>, String> {
        let mut m = s.clone();
        let mut changes = Vec::new();
        let mut too_short = false;
        for (w, wf) in m.workflows.iter_mut().enumerate() {
            for (k, st) in wf.steps.iter_mut().enumerate() {
                let prefix_max = st.static_prefix_tokens.support().1;
                if prefix_max <= 0.0 || st.cache_hit_rate.mean() >= a.cache_hit_rate {
                    continue;
                }
                let cacheable = s.stacks.iter().any(|stack| {
                    stack.chains.get(st.route).is_some_and(|c| {
                        c.links
                            .iter()
                            .any(|l| cacheable(prefix_max, s.models[l.model].min_cacheable_tokens))
                    })
                });
                if !cacheable {
                    too_short = true;
                    continue;
                }
                changes.push(format!(
                    "{} {} → {}",
                    step_name(s, w, k),
                    st.cache_hit_rate.mean(),
                    a.cache_hit_rate
                ));
                st.cache_hit_rate.dist = crate::model::dist::Dist::Fixed(a.cache_hit_rate);
            }
        }
        if changes.is_empty() {
            return Err(if too_short {
                "the static prefixes are shorter than every model's min_cacheable_tokens"
                    .to_string()
            } else {
                format!(
                    "no cacheable prefix has a hit rate below {}",
                    a.cache_hit_rate
                )
            });
        }
        Ok(vec![Candidate {
            lever: self.id(),
            key: self.id().to_string(),
            change: format!("prompt-cache hit rate: {}", changes.join(", ")),
            variant: Variant::Replace(m),
            for_stack: None,
        }])
    }
}

/// One live workflow moved to the batch path.
pub struct Batch;

impl Lever for Batch {
    fn id(&self) -> &'static str {
        "batch"
    }

    fn candidates(
        &self,
        s: &Scenario,
        _a: &Assumptions,
        _base: &SimResult,
    ) -> Result<Vec<Candidate>, String> {
        let mut out = Vec::new();
        for (w, wf) in s.workflows.iter().enumerate() {
            // A batch job answers within hours: never a workflow with a latency target.
            if wf.path == RequestPath::Batch || wf.latency_target.is_some() {
                continue;
            }
            let discounted = wf.steps.iter().any(|st| {
                s.stacks.iter().any(|stack| {
                    stack.chains.get(st.route).is_some_and(|c| {
                        c.links
                            .iter()
                            .any(|l| s.models[l.model].batch_discount.mean() > 0.0)
                    })
                })
            });
            if !discounted {
                continue;
            }
            let mut m = s.clone();
            m.workflows[w].path = RequestPath::Batch;
            out.push(Candidate {
                lever: self.id(),
                key: format!("{}:{}", self.id(), wf.name),
                change: format!(
                    "workflow {} on the batch path (only if its users can wait)",
                    wf.name
                ),
                variant: Variant::Replace(m),
                for_stack: None,
            });
        }
        if out.is_empty() {
            return Err(
                "every workflow is on the batch path already, has a latency target, or uses no model with a batch discount"
                    .to_string(),
            );
        }
        Ok(out)
    }
}

/// One workflow's requests answered from a semantic cache at a target hit rate.
pub struct SemanticCache;

impl Lever for SemanticCache {
    fn id(&self) -> &'static str {
        "semantic_cache"
    }

    fn candidates(
        &self,
        s: &Scenario,
        a: &Assumptions,
        _base: &SimResult,
    ) -> Result<Vec<Candidate>, String> {
        let mut out = Vec::new();
        for (w, wf) in s.workflows.iter().enumerate() {
            let now = wf.semantic_cache_hit_rate.mean();
            if now >= a.semantic_cache_hit_rate {
                continue;
            }
            let mut m = s.clone();
            let target = &mut m.workflows[w];
            target.semantic_cache_hit_rate.dist =
                crate::model::dist::Dist::Fixed(a.semantic_cache_hit_rate);
            let lookup = if target.semantic_cache_usd_per_lookup.mean() > 0.0 {
                target.semantic_cache_usd_per_lookup.mean()
            } else {
                target.semantic_cache_usd_per_lookup.dist =
                    crate::model::dist::Dist::Fixed(a.semantic_lookup_usd);
                a.semantic_lookup_usd
            };
            out.push(Candidate {
                lever: self.id(),
                key: format!("{}:{}", self.id(), wf.name),
                change: format!(
                    "workflow {} answered from a semantic cache: hit rate {} → {}, ${lookup} a lookup (only if its users repeat their questions)",
                    wf.name, now, a.semantic_cache_hit_rate
                ),
                variant: Variant::Replace(m),
                for_stack: None,
            });
        }
        if out.is_empty() {
            return Err(format!(
                "every workflow's semantic-cache hit rate is at least {}",
                a.semantic_cache_hit_rate
            ));
        }
        Ok(out)
    }
}

/// A committed-use contract with each provider a stack calls, sized at the optimum.
pub struct Contract;

/// Stack `k`'s contracts with the providers it calls that have none, each sized at the
/// commitment with the lowest expected bill given `usage(provider)`, the stack's usage of that
/// provider month by month: the scenario with them and their terms in words, or `None` when no
/// month has usage to commit to. `uncovered` is set when some provider could have had one.
fn size_contracts(
    s: &Scenario,
    k: usize,
    d: f64,
    usage: &dyn Fn(&str) -> Vec<f64>,
    uncovered: &mut bool,
) -> Option<(Scenario, Vec<String>)> {
    let stack = &s.stacks[k];
    let mut providers: Vec<&str> = stack
        .chains
        .iter()
        .flat_map(|c| c.links.iter().map(|l| s.models[l.model].provider.as_str()))
        // A contract is signed with a named provider.
        .filter(|p| *p != "unknown" && !s.contracts.iter().any(|c| c.provider == *p))
        .collect();
    providers.sort_unstable();
    providers.dedup();
    let mut m = s.clone();
    let mut parts = Vec::new();
    for p in providers {
        *uncovered = true;
        let usage = usage(p);
        // The commitment that buys the d-quantile of the monthly usage (the newsvendor optimum).
        let commitment = commitment_covering(stats::quantile_sorted(&stats::sorted(&usage), d), d);
        // Cents: a contract is signed in round money.
        let commitment = (commitment * 100.0).floor() / 100.0;
        if !(commitment > 0.0) {
            continue;
        }
        let label = format!("contract[{p}-for-{}]", stack.name);
        m.contracts.push(crate::model::Contract {
            name: format!("{p}-for-{}", stack.name),
            provider: p.to_string(),
            committed_monthly_usd: Param::fixed(
                commitment,
                format!("{label}.committed_monthly_usd"),
            ),
            discount: Param::fixed(d, format!("{label}.discount")),
            overage: crate::model::Overage::List,
        });
        parts.push(format!(
            "{} a month to {p}",
            crate::base::format::money(commitment)
        ));
    }
    (!parts.is_empty()).then_some((m, parts))
}

/// Monthly usage of `provider` by stack `k` in each simulated month: what its models are billed
/// after volume tiers (the amount a contract discount applies to).
fn provider_usage(s: &Scenario, base: &SimResult, k: usize, provider: &str) -> Vec<f64> {
    base.stacks[k]
        .trial_totals
        .iter()
        .map(|t| {
            t.model_spend
                .iter()
                .zip(&s.models)
                .filter(|(_, m)| m.provider == provider)
                .map(|(x, _)| x)
                .sum()
        })
        .collect()
}

impl Lever for Contract {
    fn id(&self) -> &'static str {
        "contract"
    }

    fn candidates(
        &self,
        s: &Scenario,
        a: &Assumptions,
        base: &SimResult,
    ) -> Result<Vec<Candidate>, String> {
        let d = a.contract_discount;
        let mut out = Vec::new();
        let mut uncovered = false;
        let unnamed = s.models.iter().any(|m| m.provider == "unknown");
        for (k, stack) in s.stacks.iter().enumerate() {
            let Some((m, parts)) =
                size_contracts(s, k, d, &|p| provider_usage(s, base, k, p), &mut uncovered)
            else {
                continue;
            };
            out.push(Candidate {
                lever: self.id(),
                key: format!("{}:{}", self.id(), stack.name),
                change: format!(
                    "commit {} at {:.0}% off, list-price overage — (1 − discount) × the {} of {}'s monthly usage, the commitment with the lowest expected bill",
                    parts.join(" and "),
                    d * 100.0,
                    quantile_name(d),
                    stack.name
                ),
                variant: Variant::Replace(m),
                for_stack: Some(k),
            });
        }
        if out.is_empty() {
            return Err(if uncovered {
                "no month has usage to commit to".to_string()
            } else if unnamed {
                "the models name no provider to contract with; set `provider = …` on them"
                    .to_string()
            } else {
                "every provider the stacks call has a contract already".to_string()
            });
        }
        Ok(out)
    }
}

/// The effect of one candidate on one stack.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct StackEffect {
    pub stack: String,
    /// Whether any simulated month of this stack changed.
    pub affected: bool,
    /// Monthly saving (base − candidate), per trial.
    pub saving_usd: Delta,
    /// Mean saving as a share of the base mean spend.
    pub saving_share: f64,
    pub breach_probability: Option<ProbabilityChange>,
    pub acceptance_rate_before: Option<f64>,
    pub acceptance_rate_after: Option<f64>,
    /// p95 request latency of each workflow whose latency is modelled, before and after.
    pub latency_p95_ms: Vec<LatencyChange>,
    /// Share of months in which a contract the candidate signs is under-used.
    pub underused_probability: Option<f64>,
}

/// A workflow's p95 request latency before and after a lever, in milliseconds.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LatencyChange {
    pub workflow: String,
    pub before: f64,
    pub after: f64,
}

/// One candidate's row of the backlog.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Row {
    pub lever: &'static str,
    /// What the candidate changes (see `Candidate::key`).
    pub key: String,
    pub change: String,
    /// The stack the candidate was sized for; it is ranked under that stack only.
    pub for_stack: Option<String>,
    pub stacks: Vec<StackEffect>,
}

/// One stack before any lever.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Baseline {
    pub stack: String,
    pub mean_usd: f64,
    pub p95_usd: f64,
    pub breach_probability: Option<f64>,
    pub acceptance_rate: Option<f64>,
}

/// The best levers of a stack simulated together. Savings measured one lever at a time do not
/// add: two levers that cut the same spend (a prompt cache and a trimmed prefix, a semantic cache
/// and anything per call) save less together than the sum of their savings.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Combined {
    pub stack: String,
    /// The levers combined (their keys), best first.
    pub levers: Vec<String>,
    /// What was changed, lever by lever, in the order they were applied.
    pub changes: Vec<String>,
    /// The effect of all of them at once on the stack, on the same simulated months.
    pub effect: StackEffect,
    /// Their savings one at a time, added up as if they were additive.
    pub sum_of_savings_usd: f64,
}

/// How many of a stack's best levers `levers` simulates together.
pub const COMBINED_LEVERS: usize = 3;

/// The optimization backlog of a scenario.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Backlog {
    pub scenario: String,
    pub trials: u64,
    pub seed: u64,
    pub assumptions: Assumptions,
    pub budget_usd: Option<f64>,
    pub baseline: Vec<Baseline>,
    pub rows: Vec<Row>,
    /// Per stack with at least two levers that clearly save, its best ones simulated together.
    pub combined: Vec<Combined>,
    pub not_applicable: Vec<NotApplicable>,
}

fn acceptance(accepted: f64, requests: f64) -> Option<f64> {
    (requests > 0.0).then(|| accepted / requests)
}

/// Per-trial spend and totals of accepted and requested work of a candidate's stack; a mixture
/// takes `(1 − share)` of `base` (the base run, or the other levers of a combination).
fn candidate_stack(variant: &Variant, base: &StackSim, run: &StackSim) -> (Vec<f64>, f64, f64) {
    match variant {
        Variant::Replace(_) => (
            run.spend.clone(),
            stats::sum(&run.accepted),
            stats::sum(&run.requests),
        ),
        Variant::Mix { share, .. } => {
            let spend = base
                .spend
                .iter()
                .zip(&run.spend)
                .map(|(b, r)| (1.0 - share) * b + share * r)
                .collect();
            let mix = |b: &[f64], r: &[f64]| (1.0 - share) * stats::sum(b) + share * stats::sum(r);
            (
                spend,
                mix(&base.accepted, &run.accepted),
                mix(&base.requests, &run.requests),
            )
        }
    }
}

/// p95 latency per workflow, before (`base`) and after, where the runs have latency samples. A
/// mixture takes the first `(1 − share)` of the samples of `rest` (the base, or the other levers of
/// a combination) and the first `share` of the candidate's.
fn latency_changes(
    s: &Scenario,
    variant: &Variant,
    base: &StackSim,
    rest: &StackSim,
    run: &StackSim,
) -> Vec<LatencyChange> {
    s.workflows
        .iter()
        .enumerate()
        .filter(|(w, _)| {
            !base.latency_ms[*w].is_empty()
                && !rest.latency_ms[*w].is_empty()
                && !run.latency_ms[*w].is_empty()
        })
        .map(|(w, wf)| {
            let (b, rest, r) = (&base.latency_ms[w], &rest.latency_ms[w], &run.latency_ms[w]);
            let after = match variant {
                Variant::Replace(_) => r.clone(),
                Variant::Mix { share, .. } => {
                    let keep = ((1.0 - share) * rest.len() as f64).round() as usize;
                    let take = (share * r.len() as f64).round() as usize;
                    rest[..keep.min(rest.len())]
                        .iter()
                        .chain(&r[..take.min(r.len())])
                        .copied()
                        .collect()
                }
            };
            let p95 = |x: &[f64]| stats::quantile_sorted(&stats::sorted(x), 0.95);
            LatencyChange {
                workflow: wf.name.clone(),
                before: p95(b),
                after: p95(&after),
            }
        })
        .collect()
}

/// Share of months in which a contract the candidate added (one the base scenario lacks) is
/// under-used by stack `k`.
fn underused(s: &Scenario, variant: &Variant, run: &StackSim) -> Option<f64> {
    let c = variant.scenario();
    let added = s.contracts.len()..c.contracts.len();
    if added.is_empty() {
        return None;
    }
    let months = run.spend.len();
    let under = (0..months)
        .filter(|&t| added.clone().any(|i| run.contracts[i].unused[t] > 0.0))
        .count();
    Some(under as f64 / months.max(1) as f64)
}

/// The effect on one stack of a candidate whose months are made by `variant` from `rest` (the
/// base, or the other levers of a combination) and `run`, measured against `base`.
fn stack_effect(
    s: &Scenario,
    baseline: &Baseline,
    variant: &Variant,
    base: &StackSim,
    rest: &StackSim,
    run: &StackSim,
) -> StackEffect {
    let budget = s.budget.as_ref().map(|b| b.monthly_usd);
    let (spend, accepted, requests) = candidate_stack(variant, rest, run);
    let saving = Delta::of(&spend, &base.spend);
    StackEffect {
        stack: base.name.clone(),
        affected: spend != base.spend || accepted != stats::sum(&base.accepted),
        saving_share: if baseline.mean_usd > 0.0 {
            saving.mean / baseline.mean_usd
        } else {
            0.0
        },
        saving_usd: saving,
        breach_probability: budget.map(|bud| exceedance_change(&base.spend, &spend, bud)),
        acceptance_rate_before: baseline.acceptance_rate,
        acceptance_rate_after: acceptance(accepted, requests),
        latency_p95_ms: latency_changes(s, variant, base, rest, run),
        underused_probability: underused(s, variant, run),
    }
}

/// Build the backlog from the base run and one run per candidate (same seed and trials).
pub fn backlog(
    s: &Scenario,
    a: &Assumptions,
    base: &SimResult,
    candidates: &[Candidate],
    runs: &[SimResult],
    not_applicable: Vec<NotApplicable>,
) -> Backlog {
    let budget = s.budget.as_ref().map(|b| b.monthly_usd);
    let baseline = base
        .stacks
        .iter()
        .map(|st| Baseline {
            stack: st.name.clone(),
            mean_usd: stats::mean(&st.spend),
            p95_usd: stats::quantile_sorted(&stats::sorted(&st.spend), 0.95),
            breach_probability: budget.map(|b| {
                st.spend.iter().filter(|x| **x > b).count() as f64 / st.spend.len().max(1) as f64
            }),
            acceptance_rate: acceptance(stats::sum(&st.accepted), stats::sum(&st.requests)),
        })
        .collect::<Vec<_>>();
    let rows = candidates
        .iter()
        .zip(runs)
        .map(|(c, run)| Row {
            lever: c.lever,
            key: c.key.clone(),
            change: c.change.clone(),
            for_stack: c.for_stack.map(|k| s.stacks[k].name.clone()),
            stacks: base
                .stacks
                .iter()
                .zip(&run.stacks)
                .zip(&baseline)
                .map(|((b, r), bl)| stack_effect(s, bl, &c.variant, b, b, r))
                .collect(),
        })
        .collect();
    Backlog {
        scenario: s.name.clone(),
        trials: base.trials,
        seed: base.seed,
        assumptions: *a,
        budget_usd: budget,
        baseline,
        rows,
        combined: Vec::new(),
        not_applicable,
    }
}

/// The candidate of lever `key` (see [`Candidate::key`]) on scenario `s`, if the lever still
/// applies to it.
fn derive(s: &Scenario, a: &Assumptions, base: &SimResult, key: &str) -> Option<Candidate> {
    let id = key.split_once(':').map_or(key, |(id, _)| id);
    let lever = LEVERS.iter().find(|l| l.id() == id)?;
    lever
        .candidates(s, a, base)
        .ok()?
        .into_iter()
        .find(|c| c.key == key)
}

/// Simulates scenarios with the base run's seed and trials, in order.
pub type Runner<'a> =
    dyn FnMut(&[&Scenario]) -> Result<Vec<SimResult>, crate::base::error::Error> + 'a;

/// Simulate each stack's best levers together and add the result to the backlog: up to
/// [`COMBINED_LEVERS`] levers whose saving is positive and at least two standard errors, when a
/// stack has two or more. They are applied one after another in the order [`LEVERS`] tries
/// them, each re-derived on the scenario the earlier ones produced; routing mixes the result with
/// its cheap-model version; a contract comes last, sized on the months of the other levers
/// together (a commitment sized before the other savings would be under-used).
pub fn combine(
    s: &Scenario,
    a: &Assumptions,
    base: &SimResult,
    backlog: &mut Backlog,
    run: &mut Runner<'_>,
) -> Result<(), crate::base::error::Error> {
    // Stacks whose best levers are the same share one combination.
    let mut groups: Vec<(Vec<String>, Vec<usize>)> = Vec::new();
    for k in 0..backlog.baseline.len() {
        let keys: Vec<String> = backlog
            .ranked(k)
            .into_iter()
            .filter(|(_, e)| {
                e.affected
                    && e.saving_usd.mean > 0.0
                    && e.saving_usd.mean >= 2.0 * e.saving_usd.standard_error
            })
            .take(COMBINED_LEVERS)
            .map(|(r, _)| r.key.clone())
            .collect();
        if keys.len() < 2 {
            continue;
        }
        match groups.iter_mut().find(|(g, _)| *g == keys) {
            Some((_, stacks)) => stacks.push(k),
            None => groups.push((keys, vec![k])),
        }
    }
    for (keys, stacks) in groups {
        let lever_of = |key: &str| key.split_once(':').map_or(key, |(id, _)| id).to_string();
        let position = |key: &String| LEVERS.iter().position(|l| l.id() == lever_of(key));
        let mut order = keys.clone();
        order.sort_by_key(position);
        let mut current = s.clone();
        let mut changes = Vec::new();
        let mut applied = Vec::new();
        for key in order
            .iter()
            .filter(|k| !matches!(lever_of(k).as_str(), "route" | "contract"))
        {
            if let Some(c) = derive(&current, a, base, key) {
                changes.push(c.change);
                current = c.variant.scenario().clone();
                applied.push(key.clone());
            }
        }
        let mut mix = None;
        if let Some(key) = order.iter().find(|k| lever_of(k) == "route")
            && let Some(c) = derive(&current, a, base, key)
            && let Variant::Mix { share, with } = c.variant
        {
            changes.push(c.change);
            mix = Some((share, with));
            applied.push(key.clone());
        }
        let scenarios = |current: &Scenario, mix: &Option<(f64, Scenario)>| -> Vec<Scenario> {
            std::iter::once(current.clone())
                .chain(mix.as_ref().map(|(_, w)| w.clone()))
                .collect()
        };
        let list = scenarios(&current, &mix);
        let mut runs = run(&list.iter().collect::<Vec<_>>())?;
        if let Some(key) = order.iter().find(|k| lever_of(k) == "contract")
            && let Some(k) = s
                .stacks
                .iter()
                .position(|st| key.split_once(':').is_some_and(|(_, n)| n == st.name))
        {
            // Usage month by month of the other levers together, mixed as routing mixes it.
            let usage = |p: &str| -> Vec<f64> {
                let rest = provider_usage(&current, &runs[0], k, p);
                match &mix {
                    Some((share, _)) => rest
                        .iter()
                        .zip(provider_usage(&current, &runs[1], k, p))
                        .map(|(x, y)| (1.0 - share) * x + share * y)
                        .collect(),
                    None => rest,
                }
            };
            let mut uncovered = false;
            if let Some((with_contract, parts)) =
                size_contracts(&current, k, a.contract_discount, &usage, &mut uncovered)
            {
                changes.push(format!(
                    "commit {} at {:.0}% off, list-price overage, sized on the months of the other levers together",
                    parts.join(" and "),
                    a.contract_discount * 100.0
                ));
                if let Some((_, with)) = &mut mix {
                    with.contracts = with_contract.contracts.clone();
                }
                current = with_contract;
                applied.push(key.clone());
                let list = scenarios(&current, &mix);
                runs = run(&list.iter().collect::<Vec<_>>())?;
            }
        }
        if applied.len() < 2 {
            continue;
        }
        let variant = match mix {
            Some((share, with)) => Variant::Mix { share, with },
            None => Variant::Replace(current),
        };
        let ranked_keys: Vec<String> = keys
            .iter()
            .filter(|k| applied.contains(k))
            .cloned()
            .collect();
        for &k in &stacks {
            let rest = &runs[0].stacks[k];
            let with = runs.last().map_or(rest, |r| &r.stacks[k]);
            let effect = stack_effect(
                s,
                &backlog.baseline[k],
                &variant,
                &base.stacks[k],
                rest,
                with,
            );
            let sum_of_savings_usd = backlog
                .rows
                .iter()
                .filter(|r| ranked_keys.contains(&r.key))
                .map(|r| r.stacks[k].saving_usd.mean)
                .sum();
            backlog.combined.push(Combined {
                stack: backlog.baseline[k].stack.clone(),
                levers: ranked_keys.clone(),
                changes: changes.clone(),
                effect,
                sum_of_savings_usd,
            });
        }
    }
    Ok(())
}

impl Backlog {
    /// Rows for stack `k`, most saving first; rows with no effect on the stack last. A row sized
    /// for another stack is left out.
    pub fn ranked(&self, k: usize) -> Vec<(&Row, &StackEffect)> {
        let name = &self.baseline[k].stack;
        let mut rows: Vec<(&Row, &StackEffect)> = self
            .rows
            .iter()
            .filter(|r| r.for_stack.as_ref().is_none_or(|f| f == name))
            .map(|r| (r, &r.stacks[k]))
            .collect();
        rows.sort_by(|(_, x), (_, y)| {
            y.affected
                .cmp(&x.affected)
                .then(y.saving_usd.mean.total_cmp(&x.saving_usd.mean))
        });
        rows
    }
}

/// The backlog as text: one ranked list per stack.
pub fn render(b: &Backlog, run: &str) -> String {
    use crate::analysis::diff::{signed_money, signed_points};
    use crate::base::format::{money, percent};
    let mut out = format!("Levers for {} · {run}\n", b.scenario);
    out.push_str(&format!(
        "Assumptions: {} (change with --lever KEY=VALUE)\n",
        b.assumptions.describe()
    ));
    for (k, base) in b.baseline.iter().enumerate() {
        out.push_str(&format!(
            "\n{} — now {} a month on average, p95 {}",
            base.stack,
            money(base.mean_usd),
            money(base.p95_usd)
        ));
        if let Some(p) = base.breach_probability {
            out.push_str(&format!(", breach {}", percent(p)));
        }
        out.push('\n');
        let mut rank = 0;
        for (row, e) in b.ranked(k) {
            if !e.affected {
                out.push_str(&format!("   –  {}: no effect on this stack\n", row.lever));
                continue;
            }
            rank += 1;
            out.push_str(&format!("  {rank:>2}. {}: {}\n", row.lever, row.change));
            let s = &e.saving_usd;
            let verb = if s.mean >= 0.0 { "saves" } else { "costs" };
            let amount = signed_money(s.mean.abs(), s.standard_error);
            let mut line = format!(
                "      {verb} {} a month ({:.1}%), p5–p95 {} – {}",
                amount.trim_start_matches(['+', '±']),
                e.saving_share.abs() * 100.0,
                money(s.p5),
                money(s.p95)
            );
            if let Some(bp) = &e.breach_probability {
                if bp.delta == 0.0 {
                    line.push_str(&format!(" · breach {} unchanged", percent(bp.before)));
                } else {
                    line.push_str(&format!(
                        " · breach {} → {} ({})",
                        percent(bp.before),
                        percent(bp.after),
                        signed_points(bp.delta, bp.delta_standard_error)
                    ));
                }
            }
            match (e.acceptance_rate_before, e.acceptance_rate_after) {
                (Some(x), Some(y)) if (x - y).abs() > 1e-12 => {
                    let (a, b) = if (x - y).abs() < 0.001 || percent(x) == percent(y) {
                        (format!("{:.3}%", x * 100.0), format!("{:.3}%", y * 100.0))
                    } else {
                        (percent(x), percent(y))
                    };
                    line.push_str(&format!(" · acceptance {a} → {b}"));
                }
                (Some(_), Some(_)) => line.push_str(" · acceptance unchanged"),
                _ => {}
            }
            if let Some(p) = e.underused_probability {
                line.push_str(&format!(
                    " · commitment under-used in {} of months",
                    percent(p)
                ));
            }
            for l in &e.latency_p95_ms {
                if (l.after - l.before).abs() > 0.005 * l.before.max(1.0) {
                    line.push_str(&format!(
                        " · p95 latency {} {} → {}",
                        l.workflow,
                        seconds(l.before),
                        seconds(l.after)
                    ));
                }
            }
            out.push_str(&line);
            out.push('\n');
        }
        for c in b.combined.iter().filter(|c| c.stack == base.stack) {
            let s = &c.effect.saving_usd;
            let verb = if s.mean >= 0.0 { "save" } else { "cost" };
            out.push_str(&format!(
                "   together: {} simulated at once {verb} {} a month ({:.1}%), p5–p95 {} – {}; their savings one at a time add up to {} ({:.1}%), which is not what they save together\n",
                c.levers.join(" + "),
                signed_money(s.mean.abs(), s.standard_error).trim_start_matches(['+', '±']),
                c.effect.saving_share.abs() * 100.0,
                money(s.p5),
                money(s.p95),
                money(c.sum_of_savings_usd),
                if base.mean_usd > 0.0 {
                    c.sum_of_savings_usd / base.mean_usd * 100.0
                } else {
                    0.0
                }
            ));
        }
    }
    if !b.not_applicable.is_empty() {
        out.push_str("\nNot applicable:\n");
        for n in &b.not_applicable {
            out.push_str(&format!("  {}: {}\n", n.lever, n.reason));
        }
    }
    out.push_str(
        "\nSavings are per-trial differences on common random numbers: mean ± standard error, and the 5th–95th percentile over simulated months. Each lever is measured alone against the scenario as it is, so savings do not add: levers that cut the same spend save less together than the sum of their savings (\"together\" simulates a stack's best levers at once).\n",
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn assumptions_are_overridable_and_checked() {
        let mut a = Assumptions::default();
        a.set("cache_hit_rate=0.95").unwrap();
        assert_eq!(a.cache_hit_rate, 0.95);
        a.set("route_share = 1").unwrap();
        assert_eq!(a.route_share, 1.0);
        assert!(
            a.set("cache_hit_rat=0.9")
                .unwrap_err()
                .contains("did you mean `cache_hit_rate`?")
        );
        assert!(a.set("prefix_trim=1").is_err());
        assert!(a.set("prefix_trim=x").is_err());
        assert!(a.set("prefix_trim").is_err());
        assert_eq!(quantile_name(0.95), "p95");
        assert_eq!(quantile_name(0.975), "p97.5");
    }
}
