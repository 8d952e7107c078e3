//! Validation of what ties models to traffic: the `[[route]]` chains, the `[[stack]]`s that
//! serve them, and the model names they use (defined, misspelt or missing).

use crate::base::error::{ProblemKind, suggest};
use crate::base::source::Loc;
use crate::model::doc::de::Located;
use crate::model::scenario::raw::*;
use crate::model::scenario::validator::*;
use crate::model::*;

/// Checks that need to know which models serve which steps: a step asking for a service tier,
/// a one-hour cache or audio must be served only by models with those prices.
pub(super) fn check_serving_models(
    raw: &RawScenario,
    workflows: &[Workflow],
    models: &[Model],
    stacks: &[Stack],
    v: &mut Validator,
) {
    for (w, raw_w) in workflows.iter().zip(&raw.workflows) {
        let mut reported: Vec<(usize, &str)> = Vec::new();
        for (step, raw_step) in w.steps.iter().zip(&raw_w.steps) {
            let serving: Vec<usize> = stacks
                .iter()
                .flat_map(|st| st.chains[step.route].links.iter().map(|l| l.model))
                .collect();
            let sp = format!("workflow[{}].step[{}]", w.name, step.name);
            for &m in &serving {
                let model = &models[m];
                if w.service_tier != ServiceTier::Standard && !reported.contains(&(m, "tier")) {
                    let tier = w.service_tier.name();
                    let missing: Vec<&str> = match model.tier(w.service_tier) {
                        None => vec![
                            "input_usd_per_mtok",
                            "output_usd_per_mtok",
                            "cached_input_usd_per_mtok",
                        ],
                        Some(t) => [
                            ("input_usd_per_mtok", t.input.is_none()),
                            ("output_usd_per_mtok", t.output.is_none()),
                            ("cached_input_usd_per_mtok", t.cached_input.is_none()),
                        ]
                        .into_iter()
                        .filter_map(|(k, absent)| absent.then_some(k))
                        .collect(),
                    };
                    if !missing.is_empty() {
                        v.error(
                            ProblemKind::MissingKey,
                            format!(
                                "workflow `{}` uses the `{tier}` service tier, but model `{}` has no {tier} {}",
                                w.name,
                                model.name,
                                missing.iter().map(|k| format!("`{k}`")).collect::<Vec<_>>().join(", ")
                            ),
                            raw_w.service_tier.as_ref().map(|t| t.loc),
                            &format!("workflow[{}].service_tier", w.name),
                            Some(format!(
                                "add `{tier} = {{ input_usd_per_mtok = …, output_usd_per_mtok = …, cached_input_usd_per_mtok = … }}` to model `{}`",
                                model.name
                            )),
                        );
                        reported.push((m, "tier"));
                    }
                }
                if step.cache_ttl == CacheTtl::OneHour && model.cache_write_1h.is_none() {
                    v.error(
                        ProblemKind::MissingKey,
                        format!(
                            "step `{}` asks for a one-hour cache, but model `{}` has no `cache_write_1h_usd_per_mtok`",
                            step.name, model.name
                        ),
                        raw_step.cache_ttl.as_ref().map(|t| t.loc),
                        &format!("{sp}.cache_ttl"),
                        Some(format!(
                            "add `cache_write_1h_usd_per_mtok = …` to model `{}` (2× input at Anthropic), or use cache_ttl = \"5m\"",
                            model.name
                        )),
                    );
                }
                for (key, used, price, raw_q) in [
                    (
                        "audio_input",
                        step.audio_input_tokens.mean() > 0.0,
                        &model.audio_input,
                        &raw_step.audio_input_tokens,
                    ),
                    (
                        "audio_output",
                        step.audio_output_tokens.mean() > 0.0,
                        &model.audio_output,
                        &raw_step.audio_output_tokens,
                    ),
                ] {
                    if used && price.is_none() {
                        v.error(
                            ProblemKind::MissingKey,
                            format!(
                                "step `{}` sends {key} tokens, but model `{}` has no `{key}_usd_per_mtok`",
                                step.name, model.name
                            ),
                            raw_q.as_ref().map(|q| q.loc),
                            &format!("{sp}.{key}_tokens"),
                            Some(format!("add `{key}_usd_per_mtok = …` to model `{}`", model.name)),
                        );
                    }
                }
            }
        }
    }
}

/// A step's use of a route, for messages about routes.
pub(crate) struct RouteUse {
    pub route: String,
    pub workflow: String,
    pub step: String,
    pub loc: Loc,
}

/// The models a chain may name, and the names already explained by a misnamed [[model]].
pub(super) struct ModelNames<'a> {
    pub(super) defined: &'a [&'a str],
    /// Names chains use that no [[model]] defines, reported once at the [[model]] whose `name`
    /// is that name misspelled (see [`misnamed_models`]).
    pub(super) misnamed: &'a [String],
}

/// A [[model]] no chain uses whose name is close to one the chains use but nothing defines may be
/// a typo in the model's `name` rather than in the references: then report it once, at that
/// `name`, with the name the chains use, instead of suggesting the typo at each correct
/// reference. The references are taken to be right when they agree at two places or more, or
/// when the name they use is a model of the built-in catalog and the defined one is not;
/// otherwise the one reference is the likelier typo, and is reported as such.
pub(super) fn misnamed_models(
    raw: &RawScenario,
    model_names: &[&str],
    v: &mut Validator,
) -> Vec<String> {
    let mut used: Vec<(&str, usize)> = Vec::new();
    for s in &raw.stacks {
        for r in s.route.values() {
            for link in &r.chain.value {
                let name = link.model.value.as_str();
                match used.iter_mut().find(|(n, _)| *n == name) {
                    Some((_, count)) => *count += 1,
                    None => used.push((name, 1)),
                }
            }
        }
    }
    let known = |n: &str| crate::model::catalog::builtin().lookup(n).is_some();
    let undefined: Vec<(&str, usize)> = used
        .iter()
        .copied()
        .filter(|(u, _)| !model_names.contains(u))
        .collect();
    let mut explained: Vec<String> = Vec::new();
    for m in &raw.models {
        let name = m.name.value.as_str();
        if used.iter().any(|(n, _)| *n == name) {
            continue;
        }
        let candidates = undefined
            .iter()
            .map(|(u, _)| *u)
            .filter(|u| !explained.iter().any(|e| e == u));
        let Some(meant) = suggest(name, candidates) else {
            continue;
        };
        let references = undefined
            .iter()
            .find(|(u, _)| *u == meant)
            .map_or(0, |u| u.1);
        let catalog_says_so = known(meant) && !known(name);
        if references < 2 && !catalog_says_so {
            continue;
        }
        v.error(
            ProblemKind::UnknownReference,
            format!("no chain uses model `{name}`, and the chains name `{meant}`, which no [[model]] defines"),
            Some(m.name.loc),
            &format!("model[{name}].name"),
            Some(format!("did you mean name = \"{meant}\"?")),
        );
        explained.push(meant.to_string());
    }
    explained
}

pub(super) fn chain(
    raw: &Located<RawRoute>,
    rp: &str,
    names: &ModelNames,
    v: &mut Validator,
) -> Option<Chain> {
    let model_names = names.defined;
    if raw.chain.value.is_empty() {
        v.invalid(
            "this chain is empty",
            raw.chain.loc,
            rp,
            "list at least one model: chain = [{ model = \"gpt-4o-mini\" }]",
        );
        return None;
    }
    let n = raw.chain.value.len();
    let mut links = Vec::with_capacity(n);
    let mut ok = true;
    for (i, link) in raw.chain.value.iter().enumerate() {
        let lp = format!("{rp}[{i}]");
        let model = model_names.iter().position(|m| *m == link.model.value);
        if model.is_none() && !names.misnamed.contains(&link.model.value) {
            let help = match suggest(&link.model.value, model_names.iter().copied()) {
                Some(s) => format!("did you mean `{s}`?"),
                None => {
                    let mut names: Vec<&str> = Vec::new();
                    for m in model_names {
                        if !names.contains(m) {
                            names.push(m);
                        }
                    }
                    format!(
                        "define it with [[model]] name = \"{}\", or use one of: {}",
                        link.model.value,
                        names.join(", ")
                    )
                }
            };
            v.error(
                ProblemKind::UnknownReference,
                format!("unknown model `{}`", link.model.value),
                Some(link.model.loc),
                &format!("{lp}.model"),
                Some(help),
            );
        }
        let failure = v.param(
            link.validation_failure_rate.as_ref(),
            0.0,
            &format!("{lp}.validation_failure_rate"),
            Domain::Rate,
        );
        let attempts = match &link.max_attempts {
            None => Some(1),
            Some(a) if a.value >= 1 && a.value <= MAX_ATTEMPTS => Some(a.value as u32),
            Some(a) => {
                v.invalid(
                    format!(
                        "`max_attempts` must be between 1 and {MAX_ATTEMPTS}, got {}",
                        a.value
                    ),
                    a.loc,
                    &format!("{lp}.max_attempts"),
                    "count every call to this model, the first included: 1 means no retry",
                );
                None
            }
        };
        let escalation = v.param(
            link.escalation_rate.as_ref(),
            0.0,
            &format!("{lp}.escalation_rate"),
            Domain::Rate,
        );
        let errors = v.param(
            link.provider_error_rate.as_ref(),
            0.0,
            &format!("{lp}.provider_error_rate"),
            Domain::Rate,
        );
        let error_billing = match link.error_billing.as_ref().map(|b| b.value) {
            None | Some(RawErrorBilling::None) => ErrorBilling::None,
            Some(RawErrorBilling::Input) => ErrorBilling::Input,
        };
        if let (true, Some(q), Some(e)) = (i + 1 == n, &link.escalation_rate, &escalation)
            && e.mean() > 0.0
        {
            v.invalid(
                "`escalation_rate` on the last model of a chain has nowhere to escalate to",
                q.loc,
                &format!("{lp}.escalation_rate"),
                "add a stronger model after this one, or remove the key",
            );
            ok = false;
        }
        match (model, failure, attempts, escalation, errors) {
            (
                Some(model),
                Some(validation_failure_rate),
                Some(max_attempts),
                Some(escalation_rate),
                Some(provider_error_rate),
            ) => links.push(Link {
                model,
                validation_failure_rate,
                max_attempts,
                escalation_rate,
                provider_error_rate,
                error_billing,
            }),
            _ => ok = false,
        }
    }
    ok.then_some(Chain { links })
}

/// Names as a list of code spans: `a`, `b`.
pub(super) fn ticked(names: &[&str]) -> String {
    let mut seen: Vec<&str> = Vec::new();
    for n in names {
        if !seen.contains(n) {
            seen.push(n);
        }
    }
    seen.iter()
        .map(|n| format!("`{}`", crate::base::escape::visible(n)))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Report routes that steps use but no stack defines, once, at the step.
pub(super) fn undefined_routes(
    raw: &RawScenario,
    uses: &[RouteUse],
    v: &mut Validator,
) -> Vec<String> {
    let defined: Vec<&str> = raw
        .stacks
        .iter()
        .flat_map(|s| s.route.keys().map(String::as_str))
        .collect();
    let mut reported = Vec::new();
    for u in uses {
        if raw.stacks.is_empty()
            || defined.contains(&u.route.as_str())
            || reported.contains(&u.route)
        {
            continue;
        }
        let help = match suggest(&u.route, defined.iter().copied()) {
            Some(s) => format!("did you mean `{s}`?"),
            None if defined.is_empty() => format!(
                "add [stack.route.{}] with a chain of models to each stack",
                u.route
            ),
            None => format!(
                "add [stack.route.{}] with a chain of models to each stack, or use a route the stacks define: {}",
                u.route,
                ticked(&defined)
            ),
        };
        v.error(
            ProblemKind::UnknownReference,
            format!("no stack defines route `{}`", u.route),
            Some(u.loc),
            &format!("workflow[{}].step[{}].route", u.workflow, u.step),
            Some(help),
        );
        reported.push(u.route.clone());
    }
    reported
}

pub(super) fn stack(
    raw: &Located<RawStack>,
    routes: &[String],
    uses: &[RouteUse],
    undefined: &[String],
    model_names: &ModelNames,
    v: &mut Validator,
) -> Option<Stack> {
    let p = format!("stack[{}]", raw.name.value);
    // Every chain the stack defines is checked, used or not.
    let defined: Vec<(&String, Option<Chain>)> = raw
        .route
        .iter()
        .map(|(name, r)| {
            (
                name,
                chain(r, &format!("{p}.route.{name}.chain"), model_names, v),
            )
        })
        .collect();
    let mut ok = defined.iter().all(|(_, c)| c.is_some());
    let mut chains = Vec::with_capacity(routes.len());
    for route in routes {
        match defined.iter().find(|(name, _)| *name == route) {
            Some((_, Some(c))) => chains.push(c.clone()),
            Some((_, None)) => {}
            None if undefined.contains(route) => ok = false,
            None => {
                let u = uses
                    .iter()
                    .find(|u| &u.route == route)
                    .expect("every route has a use");
                let help = match suggest(route, raw.route.keys().map(String::as_str)) {
                    Some(s) => format!("this stack defines `{s}`; rename it to `{route}`"),
                    None if raw.route.is_empty() => format!(
                        "add [stack.route.{route}] with chain = [{{ model = \"…\" }}] to this stack"
                    ),
                    None => format!(
                        "add [stack.route.{route}] with chain = [{{ model = \"…\" }}] to this stack (it defines {})",
                        ticked(&raw.route.keys().map(String::as_str).collect::<Vec<_>>())
                    ),
                };
                v.error(
                    ProblemKind::UnknownReference,
                    format!(
                        "stack `{}` does not define route `{route}`, which step `{}` of workflow `{}` uses",
                        raw.name.value, u.step, u.workflow
                    ),
                    Some(raw.name.loc),
                    &format!("{p}.route"),
                    Some(help),
                );
                ok = false;
            }
        }
    }
    for (name, r) in &raw.route {
        if !routes.contains(name) {
            let help = match suggest(name, routes.iter().map(String::as_str)) {
                Some(s) => format!("did you mean `{s}`?"),
                None => "remove it, or point a step's `route` at it".to_string(),
            };
            v.warn(
                format!(
                    "route `{name}` of stack `{}` is not used by any step",
                    raw.name.value
                ),
                Some(r.loc),
                &format!("{p}.route.{name}"),
                Some(help),
            );
        }
    }
    ok.then(|| Stack {
        name: raw.name.value.clone(),
        chains,
        on_throttle: Default::default(),
    })
}
