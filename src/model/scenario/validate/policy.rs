//! Validation of `[[policy]]`: a threshold (a share of the budget or dollars), the segments and
//! workflows a policy covers, the segments it protects, and exactly one action, each mistake
//! located at the key that causes it.

use crate::base::error::{ProblemKind, suggest};
use crate::base::format::money;
use crate::base::source::Loc;
use crate::model::doc::de::Located;
use crate::model::scenario::raw::*;
use crate::model::scenario::validator::*;
use crate::model::*;

use super::routes::RouteUse;

/// The names a policy may refer to.
pub(super) struct PolicyNames<'a> {
    pub(super) segments: &'a [&'a str],
    pub(super) workflows: &'a [&'a str],
}

/// Build the scenario's policies. A policy's route that no step uses joins `routes` (and
/// `uses`), so that every stack builds its chain; it must be defined by every stack.
pub(super) fn policies(
    raw: &RawScenario,
    budget: Option<&Budget>,
    names: &PolicyNames<'_>,
    routes: &mut Vec<String>,
    uses: &mut Vec<RouteUse>,
    v: &mut Validator,
) -> Option<Vec<Policy>> {
    v.check_unique(
        "policy",
        raw.policies
            .iter()
            .map(|p| (&p.name, format!("policy[{}].name", p.name.value))),
    );
    let mut out = Vec::new();
    let mut ok = true;
    for p in &raw.policies {
        match policy(raw, p, budget, names, routes, uses, v) {
            Some(x) => out.push(x),
            None => ok = false,
        }
    }
    if let Some(cap) = budget.and_then(|b| b.hard_cap_usd) {
        for (p, raw_p) in out.iter().zip(&raw.policies) {
            if p.threshold_usd >= cap {
                let loc = threshold_loc(raw_p).unwrap_or(raw_p.name.loc);
                v.warn(
                    format!(
                        "policy `{}` fires at {}, at or above the hard cap ({}), so it never acts",
                        p.name,
                        money(p.threshold_usd),
                        money(cap)
                    ),
                    Some(loc),
                    &format!("policy[{}]", p.name),
                    Some("set its threshold below `budget.hard_cap_usd`".to_string()),
                );
            }
        }
    }
    ok.then_some(out)
}

fn threshold_loc(p: &RawPolicy) -> Option<Loc> {
    p.at_budget_fraction
        .as_ref()
        .map(|x| x.loc)
        .or(p.at_usd.as_ref().map(|x| x.loc))
}

// Long on purpose: the threshold, the three name lists and the seven action keys of one policy,
// checked in the order a reader writes them.
fn policy(
    raw: &RawScenario,
    p: &Located<RawPolicy>,
    budget: Option<&Budget>,
    names: &PolicyNames<'_>,
    routes: &mut Vec<String>,
    uses: &mut Vec<RouteUse>,
    v: &mut Validator,
) -> Option<Policy> {
    let path = format!("policy[{}]", p.name.value);
    if p.name.value.trim().is_empty() {
        v.invalid(
            "a policy's `name` cannot be empty",
            p.name.loc,
            &format!("{path}.name"),
            "name what it does, e.g. \"mini-model-for-free-tier\"",
        );
    }
    let threshold = match (&p.at_budget_fraction, &p.at_usd) {
        (Some(f), None) => {
            let fraction = v.number(f, &format!("{path}.at_budget_fraction"), 0.0, true);
            match budget {
                Some(b) => fraction.map(|f| f * b.monthly_usd),
                None => {
                    v.error(
                        ProblemKind::MissingKey,
                        "`at_budget_fraction` is a share of the budget, but the scenario has no [budget]",
                        Some(f.loc),
                        &format!("{path}.at_budget_fraction"),
                        Some("add [budget] with `monthly_usd`, or give the threshold in dollars with `at_usd`".to_string()),
                    );
                    None
                }
            }
        }
        (None, Some(usd)) => v.number(usd, &format!("{path}.at_usd"), 0.0, true),
        (Some(_), Some(usd)) => {
            v.invalid(
                "a policy has one threshold: `at_budget_fraction` or `at_usd`, not both",
                usd.loc,
                &format!("{path}.at_usd"),
                "keep one of the two",
            );
            None
        }
        (None, None) => {
            v.error(
                ProblemKind::MissingKey,
                format!("policy `{}` has no threshold", p.name.value),
                Some(p.name.loc),
                &path,
                Some("add `at_budget_fraction = 0.8` (a share of `budget.monthly_usd`) or `at_usd = 12000`".to_string()),
            );
            None
        }
    };
    let segments = names_or_all(
        &p.segments,
        names.segments,
        "segment",
        (&path, "segments"),
        v,
    );
    let protect = match &p.protect {
        Some(list) => name_list(
            list,
            names.segments,
            "segment",
            &format!("{path}.protect"),
            v,
        ),
        None => Some(Vec::new()),
    };
    let workflows = names_or_all(
        &p.workflows,
        names.workflows,
        "workflow",
        (&path, "workflows"),
        v,
    );
    let spend_of = spend_of(p, names, &path, v);
    let action = action(raw, p, &path, routes, uses, v);
    let segments: Vec<usize> = segments?
        .into_iter()
        .filter(|s| !protect.as_ref().is_some_and(|x| x.contains(s)))
        .collect();
    let (threshold, workflows, action) = (threshold?, workflows?, action?);
    if segments.is_empty() {
        let loc = p.protect.as_ref().map_or(p.name.loc, |x| x.loc);
        v.invalid(
            format!(
                "policy `{}` protects every segment it covers, so it never acts",
                p.name.value
            ),
            loc,
            &format!("{path}.protect"),
            "protect only the segments that must never be degraded",
        );
        return None;
    }
    Some(Policy {
        name: p.name.value.clone(),
        threshold_usd: threshold,
        segments,
        workflows,
        action,
        spend_of: spend_of?,
    })
}

/// The requests whose spend the threshold counts: `Some(None)` for the month's whole spend,
/// `None` after a mistake.
fn spend_of(
    p: &RawPolicy,
    names: &PolicyNames<'_>,
    path: &str,
    v: &mut Validator,
) -> Option<Option<SpendScope>> {
    if p.spend_of_segments.is_none() && p.spend_of_workflows.is_none() {
        return Some(None);
    }
    let segments = names_or_all(
        &p.spend_of_segments,
        names.segments,
        "segment",
        (path, "spend_of_segments"),
        v,
    );
    let workflows = names_or_all(
        &p.spend_of_workflows,
        names.workflows,
        "workflow",
        (path, "spend_of_workflows"),
        v,
    );
    Some(Some(SpendScope {
        segments: segments?,
        workflows: workflows?,
    }))
}

/// The one action of a policy.
fn action(
    raw: &RawScenario,
    p: &Located<RawPolicy>,
    path: &str,
    routes: &mut Vec<String>,
    uses: &mut Vec<RouteUse>,
    v: &mut Validator,
) -> Option<PolicyAction> {
    let mut given: Vec<(&'static str, Loc)> = Vec::new();
    let mut note = |key: &'static str, loc: Option<Loc>| {
        if let Some(l) = loc {
            given.push((key, l));
        }
    };
    note("route", p.route.as_ref().map(|x| x.loc));
    note(
        "max_output_tokens",
        p.max_output_tokens.as_ref().map(|x| x.loc),
    );
    note(
        "max_reasoning_tokens",
        p.max_reasoning_tokens.as_ref().map(|x| x.loc),
    );
    note(
        "semantic_cache_hit_rate",
        p.semantic_cache_hit_rate.as_ref().map(|x| x.loc),
    );
    note("batch", p.batch.as_ref().map(|x| x.loc));
    note("pause", p.pause.as_ref().map(|x| x.loc));
    note("refuse", p.refuse.as_ref().map(|x| x.loc));
    const ACTIONS: &str = "`route = \"…\"`, `max_output_tokens`, `max_reasoning_tokens`, `semantic_cache_hit_rate`, `batch = true`, `pause = true` or `refuse = true`";
    match given.as_slice() {
        [] => {
            v.error(
                ProblemKind::MissingKey,
                format!("policy `{}` does nothing", p.name.value),
                Some(p.name.loc),
                path,
                Some(format!("give it one action: {ACTIONS}")),
            );
            return None;
        }
        [_] => {}
        [(first, _), (second, loc), ..] => {
            v.invalid(
                format!("a policy does one thing, and this one has both `{first}` and `{second}`"),
                *loc,
                &format!("{path}.{second}"),
                "write one [[policy]] per action, in the order they should stack",
            );
            return None;
        }
    }
    let flag = |key: &str, x: &Located<bool>, v: &mut Validator| {
        if x.value {
            true
        } else {
            v.invalid(
                format!("`{key} = false` does nothing"),
                x.loc,
                &format!("{path}.{key}"),
                format!("write `{key} = true`, or remove the policy"),
            );
            false
        }
    };
    if let Some(r) = &p.route {
        return route(raw, p, r, path, routes, uses, v).map(PolicyAction::Route);
    }
    if let Some(x) = &p.max_output_tokens {
        return v
            .number(x, &format!("{path}.max_output_tokens"), 0.0, true)
            .map(PolicyAction::MaxOutputTokens);
    }
    if let Some(x) = &p.max_reasoning_tokens {
        return v
            .number(x, &format!("{path}.max_reasoning_tokens"), 0.0, true)
            .map(PolicyAction::MaxReasoningTokens);
    }
    if let Some(x) = &p.semantic_cache_hit_rate {
        let key = format!("{path}.semantic_cache_hit_rate");
        let rate = v.number(x, &key, 0.0, true)?;
        if rate > 1.0 {
            v.invalid(
                format!(
                    "`semantic_cache_hit_rate` is a share, at most 1, got {}",
                    num(rate)
                ),
                x.loc,
                &key,
                "write the share of requests the cache answers, e.g. 0.4",
            );
            return None;
        }
        return Some(PolicyAction::SemanticCache(rate));
    }
    if let Some(x) = &p.batch {
        return flag("batch", x, v).then_some(PolicyAction::Batch);
    }
    if let Some(x) = &p.pause {
        return flag("pause", x, v).then_some(PolicyAction::Pause);
    }
    if let Some(x) = &p.refuse {
        return flag("refuse", x, v).then_some(PolicyAction::Refuse);
    }
    None
}

/// The route a policy moves requests to: every stack must define it.
fn route(
    raw: &RawScenario,
    p: &Located<RawPolicy>,
    r: &Located<String>,
    path: &str,
    routes: &mut Vec<String>,
    uses: &mut Vec<RouteUse>,
    v: &mut Validator,
) -> Option<usize> {
    for st in &raw.stacks {
        if st.route.contains_key(&r.value) {
            continue;
        }
        let help = match suggest(&r.value, st.route.keys().map(String::as_str)) {
            Some(s) => format!("did you mean `{s}`?"),
            None => format!(
                "add [stack.route.{}] with a chain of models to stack `{}`",
                r.value, st.name.value
            ),
        };
        v.error(
            ProblemKind::UnknownReference,
            format!(
                "stack `{}` does not define route `{}`, which policy `{}` moves requests to",
                st.name.value, r.value, p.name.value
            ),
            Some(r.loc),
            &format!("{path}.route"),
            Some(help),
        );
        return None;
    }
    if !routes.contains(&r.value) {
        routes.push(r.value.clone());
        uses.push(RouteUse {
            route: r.value.clone(),
            workflow: format!("policy {}", p.name.value),
            step: "route".to_string(),
            loc: r.loc,
        });
    }
    routes.iter().position(|x| *x == r.value)
}

/// Indices of the names in `list`, each known and listed once.
/// The names `list` gives, as indices into `known`; every index when the key is absent.
fn names_or_all(
    list: &Option<Located<Vec<Located<String>>>>,
    known: &[&str],
    what: &str,
    (path, key): (&str, &str),
    v: &mut Validator,
) -> Option<Vec<usize>> {
    match list {
        Some(list) => name_list(list, known, what, &format!("{path}.{key}"), v),
        None => Some((0..known.len()).collect()),
    }
}

fn name_list(
    list: &Located<Vec<Located<String>>>,
    known: &[&str],
    what: &str,
    path: &str,
    v: &mut Validator,
) -> Option<Vec<usize>> {
    if list.value.is_empty() {
        v.invalid(
            format!("`{}` is empty", leaf(path)),
            list.loc,
            path,
            format!("list at least one {what}, or remove the key"),
        );
        return None;
    }
    let mut out = Vec::new();
    let mut ok = true;
    for name in &list.value {
        match known.iter().position(|s| *s == name.value) {
            Some(i) if out.contains(&i) => {
                v.error(
                    ProblemKind::Duplicate,
                    format!("{what} `{}` is listed twice", name.value),
                    Some(name.loc),
                    path,
                    Some(format!("list each {what} once")),
                );
                ok = false;
            }
            Some(i) => out.push(i),
            None => {
                let help = match suggest(&name.value, known.iter().copied()) {
                    Some(s) => format!("did you mean `{s}`?"),
                    None => format!("defined {what}s: {}", known.join(", ")),
                };
                v.error(
                    ProblemKind::UnknownReference,
                    format!("unknown {what} `{}`", name.value),
                    Some(name.loc),
                    path,
                    Some(help),
                );
                ok = false;
            }
        }
    }
    ok.then_some(out)
}

/// Warnings about policies that act other than their author expects: a threshold under the
/// commitments of a stack's contracts (the month's spend counts them from day one, so the policy
/// fires on the first request), and an action that changes nothing for some workflow it covers
/// on some stack (batching without a batch discount, a route the steps already call).
pub(super) fn check_effects(raw: &RawScenario, s: &Scenario, v: &mut Validator) {
    for (p, raw_p) in s.policies.iter().zip(&raw.policies) {
        let path = format!("policy[{}]", p.name);
        if p.spend_of.is_none() {
            commitments(s, (p, raw_p), &path, v);
        }
        let mut unchanged_for: Vec<String> = Vec::new();
        let mut why = "";
        for (k, st) in s.stacks.iter().enumerate() {
            for &w in &p.workflows {
                if let Some(reason) = crate::model::types::policy_unchanged(s, p.action, k, w, None)
                {
                    why = reason;
                    unchanged_for.push(format!("`{}` on stack `{}`", s.workflows[w].name, st.name));
                }
            }
        }
        if unchanged_for.is_empty() {
            continue;
        }
        let all = unchanged_for.len() == s.stacks.len() * p.workflows.len();
        let shown = if unchanged_for.len() > 4 {
            format!(
                "{} and {} more",
                unchanged_for[..4].join(", "),
                unchanged_for.len() - 4
            )
        } else {
            unchanged_for.join(", ")
        };
        let key = p.action.key();
        let loc = action_loc(raw_p).unwrap_or(raw_p.name.loc);
        v.warn(
            format!(
                "policy `{}` (`{key}`) changes nothing for workflow {shown}: {why}{}",
                p.name,
                if all { "; it never saves anything" } else { "" }
            ),
            Some(loc),
            &format!("{path}.{key}"),
            Some(match p.action {
                PolicyAction::Batch => "give the models a `batch_discount`, or choose another action (a cheaper `route`, `max_output_tokens`)".to_string(),
                PolicyAction::Route(_) => "route the requests to a cheaper route than the one their steps call".to_string(),
                _ => "choose an action that changes these requests, or leave them out with `workflows`".to_string(),
            }),
        );
    }
}

/// Warn when a policy's threshold is under the commitments of a stack's contracts.
fn commitments(s: &Scenario, (p, raw_p): (&Policy, &RawPolicy), path: &str, v: &mut Validator) {
    for (k, st) in s.stacks.iter().enumerate() {
        let (mut lo, mut hi) = (0.0, 0.0);
        for (c, contract) in s.contracts.iter().enumerate() {
            if s.contract_applies(k, c) {
                let (a, b) = contract.committed_monthly_usd.dist.support();
                (lo, hi) = (lo + a, hi + b);
            }
        }
        if hi <= p.threshold_usd {
            continue;
        }
        let when = if lo > p.threshold_usd {
            "on the first request of every month"
        } else {
            "on the first request of the months whose commitment exceeds it"
        };
        let loc = threshold_loc(raw_p).unwrap_or(raw_p.name.loc);
        v.warn(
            format!(
                "policy `{}` fires at {}, under the {} its contracts commit on stack `{}`: a month's spend counts commitments from day one, so it fires {when} and acts all month",
                p.name,
                money(p.threshold_usd),
                money(if lo > p.threshold_usd { lo } else { hi }),
                st.name
            ),
            Some(loc),
            path,
            Some("set its threshold above the committed amount, or count only the spend it is about with `spend_of_segments` or `spend_of_workflows` (billed spend, no commitments)".to_string()),
        );
        return;
    }
}

/// Where a policy's action is written.
fn action_loc(p: &RawPolicy) -> Option<Loc> {
    p.route
        .as_ref()
        .map(|x| x.loc)
        .or(p.batch.as_ref().map(|x| x.loc))
        .or(p.semantic_cache_hit_rate.as_ref().map(|x| x.loc))
}

/// A policy's route must serve the service tier of every workflow it moves there: each model of
/// the route's chain, on every stack, needs that tier's input and output prices. Located at the
/// policy's `route`.
pub(super) fn check_route_tiers(
    raw: &RawScenario,
    policies: &[Policy],
    (workflows, models, stacks): (&[Workflow], &[Model], &[Stack]),
    v: &mut Validator,
) {
    for (p, raw_p) in policies.iter().zip(&raw.policies) {
        let (PolicyAction::Route(r), Some(route)) = (p.action, raw_p.route.as_ref()) else {
            continue;
        };
        let mut reported: Vec<usize> = Vec::new();
        for w in p.workflows.iter().map(|&w| &workflows[w]) {
            if w.service_tier == ServiceTier::Standard {
                continue;
            }
            let tier = w.service_tier.name();
            for m in stacks
                .iter()
                .flat_map(|st| st.chains[r].links.iter().map(|l| l.model))
            {
                let model = &models[m];
                let priced = model
                    .tier(w.service_tier)
                    .is_some_and(|t| t.input.is_some() && t.output.is_some());
                if priced || reported.contains(&m) {
                    continue;
                }
                reported.push(m);
                v.error(
                    ProblemKind::InvalidValue,
                    format!(
                        "policy `{}` routes workflow `{}` (the `{tier}` service tier) to route `{}`, but its model `{}` has no {tier} prices",
                        p.name, w.name, route.value, model.name
                    ),
                    Some(route.loc),
                    &format!("policy[{}].route", p.name),
                    Some(format!(
                        "route it to a chain whose models have {tier} prices, or add `{tier} = {{ input_usd_per_mtok = …, output_usd_per_mtok = … }}` to model `{}`",
                        model.name
                    )),
                );
            }
        }
    }
}
