//! From the file as written ([`raw`](super::raw)) to a checked [`Scenario`]: ranges, references,
//! defaults, and every error located at the value that causes it.
//!
//! Validation collects all problems it can find rather than stopping at the first, so one run of
//! `aicost validate` shows everything to fix. Warnings (implausible prices, a cache that can never
//! hit) are collected separately and do not stop a run.

use crate::base::error::{Problem, ProblemKind};
use crate::base::source::Loc;
use crate::model::dist::Dist;
use crate::model::*;

use super::raw::*;
use super::validator::*;

mod capacity;
mod long_context;
mod models;
mod policy;
mod price;
mod provisioned;
mod quota;
mod routes;
mod run;
mod traffic;

use models::*;
pub(crate) use routes::RouteUse;
use routes::*;
use run::*;
use traffic::*;
/// Problems that stop a scenario from loading.
pub type Errors = Vec<Problem>;
/// Problems worth a look that do not.
pub type Warnings = Vec<Problem>;

/// Build the typed scenario; `Err` holds every error found, `Ok` the scenario and its warnings.
pub fn validate(raw: &RawScenario) -> Result<(Scenario, Warnings), (Errors, Warnings)> {
    let mut v = Validator::new();
    let scenario = build(raw, &mut v);
    match scenario {
        Some(s) if v.errors.is_empty() => Ok((s, v.warnings)),
        _ => Err((v.errors, v.warnings)),
    }
}

// Long on purpose: the scenario's top-level tables validated in the order their messages are
// reported, each one call into a module of its own; what remains here is that order and the
// names the tables share (models, routes, segments).
fn build(raw: &RawScenario, v: &mut Validator) -> Option<Scenario> {
    if raw.name.value.trim().is_empty() {
        v.invalid(
            "the scenario `name` cannot be empty",
            raw.name.loc,
            "name",
            "name the feature being forecast, e.g. \"support-summarizer\"",
        );
    }
    let simulation = simulation(raw.simulation.as_ref(), v);
    let budget = raw.budget.as_ref().and_then(|b| budget(b, v));

    v.check_unique(
        "segment",
        raw.segments
            .iter()
            .map(|s| (&s.name, format!("segment[{}].name", s.name.value))),
    );
    v.check_unique(
        "workflow",
        raw.workflows
            .iter()
            .map(|w| (&w.name, format!("workflow[{}].name", w.name.value))),
    );
    v.check_unique(
        "model",
        raw.models
            .iter()
            .map(|m| (&m.name, format!("model[{}].name", m.name.value))),
    );
    v.check_unique(
        "stack",
        raw.stacks
            .iter()
            .map(|s| (&s.name, format!("stack[{}].name", s.name.value))),
    );
    for w in &raw.workflows {
        v.check_unique(
            "step",
            w.steps.iter().map(|s| {
                (
                    &s.name,
                    format!("workflow[{}].step[{}].name", w.name.value, s.name.value),
                )
            }),
        );
    }

    // The engine numbers segments in 16 bits; no real scenario comes near.
    for (what, names) in [
        (
            "segment",
            raw.segments.iter().map(|x| &x.name).collect::<Vec<_>>(),
        ),
        ("workflow", raw.workflows.iter().map(|x| &x.name).collect()),
        ("model", raw.models.iter().map(|x| &x.name).collect()),
        ("stack", raw.stacks.iter().map(|x| &x.name).collect()),
    ] {
        // Every stack is simulated in every trial and keeps its own figures.
        let (most, help) = if what == "stack" {
            (
                MAX_STACKS,
                "each stack is simulated in every trial and keeps its own figures: compare fewer plans in one run",
            )
        } else {
            (
                MAX_ENTRIES,
                "split the scenario, or merge entries that share their settings",
            )
        };
        if let Some(extra) = names.get(most) {
            v.invalid(
                format!("more than {most} entries of [[{what}]]"),
                extra.loc,
                &format!("{what}[{}]", extra.value),
                help,
            );
            return None;
        }
    }

    for (what, empty, help) in [
        (
            "segment",
            raw.segments.is_empty(),
            "add a [[segment]] with `name`, `users` and `sessions_per_user_per_day`",
        ),
        (
            "workflow",
            raw.workflows.is_empty(),
            "add a [[workflow]] with at least one [[workflow.step]]",
        ),
        (
            "model",
            raw.models.is_empty(),
            "add a [[model]] with `name`, `input_usd_per_mtok` and `output_usd_per_mtok`",
        ),
        (
            "stack",
            raw.stacks.is_empty(),
            "add a [[stack]] with a [stack.route.NAME] chain of models",
        ),
    ] {
        if empty {
            v.error(
                ProblemKind::MissingKey,
                format!("the scenario defines no [[{what}]]"),
                None,
                what,
                Some(help.to_string()),
            );
        }
    }

    let segments: Vec<Option<Segment>> = raw.segments.iter().map(|s| segment(s, v)).collect();
    let segment_names: Vec<&str> = raw.segments.iter().map(|s| s.name.value.as_str()).collect();
    let mut models: Vec<Option<Model>> = raw
        .models
        .iter()
        .map(|m| model(&provisioned::priced(raw, m), v))
        .collect();
    price_multipliers(raw, &mut models, v);
    let model_names: Vec<&str> = raw.models.iter().map(|m| m.name.value.as_str()).collect();

    // Routes in the order steps first use them.
    let mut routes: Vec<String> = Vec::new();
    let mut uses: Vec<RouteUse> = Vec::new();
    for w in &raw.workflows {
        for s in &w.steps {
            if !routes.contains(&s.route.value) {
                routes.push(s.route.value.clone());
            }
            uses.push(RouteUse {
                route: s.route.value.clone(),
                workflow: w.name.value.clone(),
                step: s.name.value.clone(),
                loc: s.route.loc,
            });
        }
    }
    let undefined = undefined_routes(raw, &uses, v);
    let workflow_names: Vec<&str> = raw
        .workflows
        .iter()
        .map(|w| w.name.value.as_str())
        .collect();
    let policy_names = policy::PolicyNames {
        segments: &segment_names,
        workflows: &workflow_names,
    };
    let policies = policy::policies(
        raw,
        budget.as_ref(),
        &policy_names,
        &mut routes,
        &mut uses,
        v,
    );

    let mut tools: Vec<String> = Vec::new();
    let workflows: Vec<Option<Workflow>> = raw
        .workflows
        .iter()
        .map(|w| workflow(w, &segment_names, &routes, &mut tools, v))
        .collect();

    let misnamed = misnamed_models(raw, &model_names, v);
    let models_known = ModelNames {
        defined: &model_names,
        misnamed: &misnamed,
    };
    let stacks: Vec<Option<Stack>> = raw
        .stacks
        .iter()
        .map(|s| stack(s, &routes, &uses, &undefined, &models_known, v))
        .collect();

    // A cache hit rate that can never take effect is almost always a mistake.
    for (w, raw_w) in workflows.iter().zip(&raw.workflows) {
        let Some(w) = w else { continue };
        for (step, raw_step) in w.steps.iter().zip(&raw_w.steps) {
            if step.cache_hit_rate.mean() == 0.0 {
                continue;
            }
            let prefix_max = step.static_prefix_tokens.support().1;
            let min_needed = stacks
                .iter()
                .flatten()
                .flat_map(|st| {
                    st.chains
                        .get(step.route)
                        .map(|c| c.links.as_slice())
                        .unwrap_or(&[])
                })
                .filter_map(|l| models.get(l.model).and_then(Option::as_ref))
                .map(|m| m.min_cacheable_tokens)
                .fold(f64::INFINITY, f64::min);
            if min_needed.is_finite() && prefix_max < min_needed {
                let loc = raw_step.cache_hit_rate.as_ref().map(|q| q.loc);
                v.warn(
                    format!(
                        "`cache_hit_rate` has no effect: the static prefix ({prefix_max} tokens) is below every model's `min_cacheable_tokens` ({min_needed})"
                    ),
                    loc,
                    &format!("workflow[{}].step[{}].cache_hit_rate", w.name, step.name),
                    Some("prompts shorter than the provider minimum are never cached; they are billed at the input price".to_string()),
                );
            }
        }
    }

    if let (Some(w), Some(m), Some(st)) = (
        workflows.iter().cloned().collect::<Option<Vec<Workflow>>>(),
        models.iter().cloned().collect::<Option<Vec<Model>>>(),
        stacks.iter().cloned().collect::<Option<Vec<Stack>>>(),
    ) {
        check_serving_models(raw, &w, &m, &st, v);
        if let Some(p) = &policies {
            policy::check_route_tiers(raw, p, (&w, &m, &st), v);
        }
    }

    let contracts = contracts(raw, &models, budget.as_ref(), v);
    let incidents = incidents(raw, &workflow_names, simulation.as_ref(), v);
    capacity::fine_tunes(raw, &mut models, simulation.as_ref(), v);
    provisioned::provisioned(raw, &mut models, v);
    let mut stacks = stacks;
    quota::quotas(raw, &mut models, &mut stacks, v);

    let simulation = simulation?;
    let segments: Option<Vec<Segment>> = segments.into_iter().collect();
    let workflows: Option<Vec<Workflow>> = workflows.into_iter().collect();
    let models: Option<Vec<Model>> = models.into_iter().collect();
    let stacks: Option<Vec<Stack>> = stacks.into_iter().collect();
    if !v.errors.is_empty() {
        return None;
    }
    let scenario = Scenario {
        name: raw.name.value.clone(),
        description: raw.description.clone(),
        simulation,
        budget,
        segments: segments?,
        workflows: workflows?,
        models: models?,
        routes,
        stacks: stacks?,
        tools,
        contracts: contracts?,
        incidents: incidents?,
        policies: policies?,
    };
    check_traffic(raw, &scenario, v);
    policy::check_effects(raw, &scenario, v);
    check_calls(raw, &scenario, v);
    check_size(raw, &scenario, v);
    v.errors.is_empty().then_some(scenario)
}

/// The value a quantity can reach: itself, its maximum, or its 99.9th percentile.
fn reach(d: &Dist) -> f64 {
    match d.fixed_value() {
        Some(x) => x,
        None if d.support().1.is_finite() => d.support().1,
        None => d.quantile(0.999),
    }
}

/// Traffic that each number allows but their product does not: head-counts compounding past
/// [`MAX_USERS`] over the horizon, and a busiest month beyond [`MAX_REQUESTS_PER_MONTH`].
fn check_traffic(raw: &RawScenario, s: &Scenario, v: &mut Validator) {
    let months = s.simulation.months.max(1);
    let horizon = (months as usize).min(s.simulation.seasonality.len());
    let season = s.simulation.seasonality[..horizon]
        .iter()
        .fold(0.0_f64, |a, &b| a.max(b));
    let requests = crate::model::traffic::requests_per_month_by_segment(s);
    for ((seg, raw_seg), requests) in s.segments.iter().zip(&raw.segments).zip(requests) {
        let p = format!("segment[{}]", seg.name);
        let grows = |g: f64| (1.0 + g.max(0.0)).powi(months as i32 - 1);
        let peak_users = reach(&seg.users.dist) * grows(reach(&seg.monthly_growth.dist));
        if !(peak_users <= MAX_USERS) {
            let loc = raw_seg
                .monthly_growth
                .as_ref()
                .map_or(raw_seg.users.loc, |g| g.loc);
            v.invalid(
                format!(
                    "with this `monthly_growth` over {months} months, `users` reaches {} by the last month, more than aicost models (at most {})",
                    approx(peak_users),
                    num(MAX_USERS)
                ),
                loc,
                &format!("{p}.monthly_growth"),
                "growth compounds: 0.05 is 5% a month, which multiplies the head-count by 18 over 60 months",
            );
            continue;
        }
        let peak = requests * season * grows(seg.monthly_growth.mean());
        if !(peak <= MAX_REQUESTS_PER_MONTH) {
            v.invalid(
                format!(
                    "segment `{}` makes about {} requests in its busiest month, more than aicost models (at most {})",
                    seg.name,
                    approx(peak),
                    num(MAX_REQUESTS_PER_MONTH)
                ),
                raw_seg.users.loc,
                &format!("{p}.users"),
                "requests = users × sessions per user × requests per session; check each for a typo in the exponent",
            );
        }
    }
}

/// Ceilings on what a step's numbers add up to, as on the numbers themselves: each part of a
/// prompt is at most [`MAX_TOKENS`], and so is the whole prompt of the step's largest call —
/// prefix, text, audio, retrieved chunks × their size, images × tokens per image, and an agent
/// loop's context grown over all but its first call.
fn check_calls(raw: &RawScenario, s: &Scenario, v: &mut Validator) {
    for (w, raw_w) in s.workflows.iter().zip(&raw.workflows) {
        for (step, raw_step) in w.steps.iter().zip(&raw_w.steps) {
            let loc_of = |q: Option<&Quantity>| q.map_or(raw_step.name.loc, |q| q.loc);
            let mut terms: Vec<(&str, &str, f64, Loc)> = vec![
                (
                    "static_prefix_tokens",
                    "static_prefix_tokens",
                    reach(&step.static_prefix_tokens),
                    loc_of(raw_step.static_prefix_tokens.as_ref()),
                ),
                (
                    "input_tokens",
                    "input_tokens",
                    reach(&step.input_tokens),
                    loc_of(raw_step.input_tokens.as_ref()),
                ),
                (
                    "audio_input_tokens",
                    "audio_input_tokens",
                    reach(&step.audio_input_tokens),
                    loc_of(raw_step.audio_input_tokens.as_ref()),
                ),
            ];
            if let (Some(r), Some(raw_r)) = (&step.retrieval, &raw_step.retrieval) {
                terms.push((
                    "retrieval (chunks × chunk_tokens)",
                    "retrieval",
                    reach(&r.chunks) * reach(&r.chunk_tokens),
                    raw_r.loc,
                ));
            }
            if let (Some(i), Some(raw_i)) = (&step.images, &raw_step.images) {
                terms.push((
                    "images (count × tokens_per_image)",
                    "images",
                    reach(&i.count) * i.tokens_per_image,
                    raw_i.loc,
                ));
            }
            let grown = (reach(&step.calls) - 1.0).max(0.0) * reach(&step.context_growth_tokens);
            if grown > 0.0 {
                terms.push((
                    "context growth ((calls − 1) × context_growth_tokens)",
                    "context_growth_tokens",
                    grown,
                    loc_of(raw_step.context_growth_tokens.as_ref()),
                ));
            }
            let total: f64 = terms.iter().map(|t| t.2).sum();
            if total <= MAX_TOKENS {
                continue;
            }
            let Some(&(what, key, _, loc)) = terms.iter().max_by(|a, b| a.2.total_cmp(&b.2)) else {
                continue;
            };
            let path = format!("workflow[{}].step[{}].{key}", w.name, step.name);
            v.invalid(
                format!(
                    "a call of step `{}` can reach {} input tokens, more than aicost models (at most {} tokens); most of them from {what}",
                    step.name,
                    approx(total),
                    crate::base::format::count(MAX_TOKENS)
                ),
                loc,
                &path,
                "each part is within its limit but their sum is not: no model reads a prompt this long; check each for a typo in the exponent",
            );
        }
    }
}

/// Ceilings on the memory a simulation needs, which grows with products of the scenario's sizes:
/// a trial's figures (stacks × (days + workflows + models + …) × months) and the fast engine's
/// plan (workflows × stacks × models). Each size is within its own limit; their product must
/// be too.
fn check_size(raw: &RawScenario, s: &Scenario, v: &mut Validator) {
    use crate::model::sizes::{MAX_PLAN_BYTES, MAX_TRIAL_BYTES, month_bytes, plan_bytes};
    let Some(first) = raw.stacks.first() else {
        return;
    };
    let months = s.simulation.months.max(1) as usize;
    let trial = month_bytes(s).saturating_mul(months);
    let plan = plan_bytes(s);
    let mib = |b: usize| format!("{} MiB", crate::base::format::count(b as f64 / 1048576.0));
    let n = |x: usize, what: &str| {
        format!(
            "{} {what}{}",
            crate::base::format::count(x as f64),
            if x == 1 { "" } else { "s" }
        )
    };
    let sizes = format!(
        "{} × ({}, {}, {}){}",
        n(s.stacks.len(), "stack"),
        n(s.workflows.len(), "workflow"),
        n(s.models.len(), "model"),
        n(s.simulation.days as usize, "day"),
        if months > 1 {
            format!(" × {months} months")
        } else {
            String::new()
        }
    );
    let (message, help) = if trial > MAX_TRIAL_BYTES {
        (
            format!(
                "one simulated trial of {sizes} holds about {} of figures, more than aicost keeps (at most {})",
                mib(trial),
                mib(MAX_TRIAL_BYTES)
            ),
            "every stack keeps a figure per model, workflow and day of every month: use fewer stacks or months, or list in each scenario only the models its stacks use",
        )
    } else if plan > MAX_PLAN_BYTES {
        (
            format!(
                "the expected costs of {} × {} × {} take about {}, more than aicost keeps (at most {})",
                n(s.workflows.len(), "workflow"),
                n(s.stacks.len(), "stack"),
                n(s.models.len(), "model"),
                mib(plan),
                mib(MAX_PLAN_BYTES)
            ),
            "the fast engine prices every workflow on every model for each stack: use fewer stacks or workflows, or list in each scenario only the models its stacks use",
        )
    } else {
        return;
    };
    v.invalid(message, first.name.loc, "stack", help);
}

/// Like [`validate`], with the prices a `[[model]]` leaves out taken from `catalog` (see
/// [`prices`](super::prices)); `today` dates the staleness warning.
pub(crate) fn validate_with_catalog(
    raw: &RawScenario,
    catalog: &crate::model::catalog::Catalog,
    today: crate::base::calendar::Date,
) -> Result<(Scenario, Warnings), (Errors, Warnings)> {
    let mut raw = raw.clone();
    let mut v = Validator::new();
    let filled = super::prices::apply(&mut raw, catalog, today, &mut v);
    let scenario = build(&raw, &mut v);
    // An unknown model was reported once, with a suggestion; its missing prices need no more.
    v.errors.retain(|p| {
        !(p.kind == ProblemKind::MissingKey
            && filled
                .unknown
                .iter()
                .any(|n| p.key_path.as_deref() == Some(&format!("model[{n}]"))))
    });
    // Plausibility warnings are about hand-typed prices.
    v.warnings.retain(|w| {
        !w.key_path
            .as_ref()
            .is_some_and(|k| filled.paths.contains(k))
    });
    match scenario {
        Some(s) if v.errors.is_empty() => {
            window_warnings(&raw, &s, &mut v);
            Ok((s, v.warnings))
        }
        _ => Err((v.errors, v.warnings)),
    }
}

/// Apply `price_multiplier` (a factor per provider) to the models of each provider it names: a
/// factor above 0, and a provider some model has (else a warning: it multiplies nothing).
fn price_multipliers(raw: &RawScenario, models: &mut [Option<Model>], v: &mut Validator) {
    let Some(table) = &raw.price_multiplier else {
        return;
    };
    for (provider, factor) in &table.value {
        let path = format!("price_multiplier.{provider}");
        if !(factor.value.is_finite() && factor.value > 0.0) {
            v.invalid(
                format!("`{path}` must be a number above 0, got {}", factor.value),
                factor.loc,
                &path,
                "1 leaves the prices as listed; 1.2 raises every price of the provider by 20%",
            );
            continue;
        }
        let mut any = false;
        for m in models.iter_mut().flatten() {
            if &m.provider == provider {
                m.price_multiplier = factor.value;
                any = true;
            }
        }
        if !any {
            let providers: Vec<&str> = models
                .iter()
                .flatten()
                .map(|m| m.provider.as_str())
                .collect();
            let help = match crate::base::error::suggest(provider, providers.iter().copied()) {
                Some(s) => format!("did you mean `{s}`?"),
                None => "name the `provider` of a model of the scenario".to_string(),
            };
            v.warn(
                format!("no model has provider `{provider}`, so this multiplier changes nothing"),
                Some(factor.loc),
                &path,
                Some(help),
            );
        }
    }
}

/// Warn, per step and model that serves it, about the share of prompts longer than the model's
/// input window: a provider refuses them (an error, not billed) and the request fails.
fn window_warnings(raw: &RawScenario, s: &Scenario, v: &mut Validator) {
    for (w, rw) in s.workflows.iter().zip(&raw.workflows) {
        for (step, rs) in w.steps.iter().zip(&rw.value.steps) {
            let mut models: Vec<usize> = s
                .stacks
                .iter()
                .flat_map(|st| st.chains[step.route].links.iter().map(|l| l.model))
                .collect();
            models.sort_unstable();
            models.dedup();
            for m in models {
                let model = &s.models[m];
                let Some(window) = model.max_input_tokens else {
                    continue;
                };
                let share = crate::model::prompt::window_exceeded_share(step, window);
                if share < crate::model::prompt::WINDOW_WARNING_SHARE {
                    continue;
                }
                // At the larger of the two parts written in the step, by mean: a long
                // static prefix is what a user must shorten, not the input beside it.
                let prefix_larger = step.static_prefix_tokens.mean() > step.input_tokens.mean();
                let (first, second) = if prefix_larger {
                    (&rs.value.static_prefix_tokens, &rs.value.input_tokens)
                } else {
                    (&rs.value.input_tokens, &rs.value.static_prefix_tokens)
                };
                let loc = first
                    .as_ref()
                    .or(second.as_ref())
                    .map_or(rs.value.name.loc, |q| q.loc);
                v.warn(
                    format!(
                        "{} of the prompts of step `{}` (workflow `{}`) exceed the {}-token input window of `{}`: the provider refuses them (an error, not billed) and the request fails",
                        crate::base::format::small_percent(share),
                        step.name,
                        w.name,
                        crate::base::format::count(window),
                        model.name
                    ),
                    Some(loc),
                    &format!("workflow[{}].step[{}]", w.name, step.name),
                    Some(
                        "bound the prompt (its distribution's tail, retrieved chunks, agent-loop growth), or route long prompts to a model with a larger window".to_string(),
                    ),
                );
            }
        }
    }
}
