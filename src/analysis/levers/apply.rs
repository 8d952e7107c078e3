//! The seven levers: how each one changes a scenario, and why it does not apply where it does not
//! (see the module documentation of [`super`] for what each assumes).

use crate::base::stats;
use crate::billing::call::cacheable;
use crate::billing::invoice::commitment_covering;
use crate::model::{Chain, Link, Param, RequestPath, Scenario};
use crate::sim::engine::SimResult;

use super::assumptions::Assumptions;
use super::lever::{Candidate, Inapplicable, Lever, Variant};

pub(super) fn step_name(s: &Scenario, w: usize, st: usize) -> String {
    format!("{}/{}", s.workflows[w].name, s.workflows[w].steps[st].name)
}

pub(super) fn tokens(x: f64) -> String {
    crate::base::format::count(x)
}

pub fn quantile_name(q: f64) -> String {
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
    ) -> Result<Vec<Candidate>, Inapplicable> {
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
            return Err(Inapplicable::OutputCapped {
                quantile: quantile_name(a.output_quantile),
            });
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
    ) -> Result<Vec<Candidate>, Inapplicable> {
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
                return Err(Inapplicable::WindowRefuses { kept });
            }
            return Err(Inapplicable::NoMultiModelChain);
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
    ) -> Result<Vec<Candidate>, Inapplicable> {
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
            return Err(Inapplicable::NoStaticPrefix);
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
    ) -> Result<Vec<Candidate>, Inapplicable> {
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
                Inapplicable::PrefixTooShort
            } else {
                Inapplicable::CacheHitRateReached {
                    rate: a.cache_hit_rate,
                }
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
    ) -> Result<Vec<Candidate>, Inapplicable> {
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
            return Err(Inapplicable::NothingToBatch);
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
    ) -> Result<Vec<Candidate>, Inapplicable> {
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
            return Err(Inapplicable::SemanticCacheReached {
                rate: a.semantic_cache_hit_rate,
            });
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
pub(super) fn size_contracts(
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
pub(super) fn provider_usage(s: &Scenario, base: &SimResult, k: usize, provider: &str) -> Vec<f64> {
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
    ) -> Result<Vec<Candidate>, Inapplicable> {
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
                Inapplicable::NoUsage
            } else if unnamed {
                Inapplicable::NoProvider
            } else {
                Inapplicable::ContractsExist
            });
        }
        Ok(out)
    }
}
