//! From the file as written ([`raw`](super::raw)) to a checked [`Scenario`]: ranges, references,
//! defaults, and every error located at the value that causes it.
//!
//! Validation collects all problems it can find rather than stopping at the first, so one run of
//! `aicost validate` shows everything to fix. Warnings (implausible prices, a cache that can never
//! hit) are collected separately and do not stop a run.

use crate::base::error::{Problem, ProblemKind, suggest};
use crate::base::source::Loc;
use crate::model::dist::Dist;
use crate::model::doc::de::Located;
use crate::model::*;

use super::raw::*;

use super::validator::*;

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
    let models: Vec<Option<Model>> = raw.models.iter().map(|m| model(m, v)).collect();
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
    }

    let contracts = contracts(raw, &models, budget.as_ref(), v);
    let workflow_names: Vec<&str> = raw
        .workflows
        .iter()
        .map(|w| w.name.value.as_str())
        .collect();
    let incidents = incidents(raw, &workflow_names, simulation.as_ref(), v);

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
    };
    check_traffic(raw, &scenario, v);
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

fn contracts(
    raw: &RawScenario,
    models: &[Option<Model>],
    budget: Option<&Budget>,
    v: &mut Validator,
) -> Option<Vec<Contract>> {
    let mut out = Vec::new();
    let mut ok = true;
    let providers: Vec<&str> = models
        .iter()
        .flatten()
        .map(|m| m.provider.as_str())
        .collect();
    let mut seen: Vec<&str> = Vec::new();
    for c in &raw.contracts {
        let name = c
            .name
            .as_ref()
            .map_or_else(|| c.provider.value.clone(), |n| n.value.clone());
        let cp = format!("contract[{name}]");
        if seen.contains(&c.provider.value.as_str()) {
            v.error(
                ProblemKind::Duplicate,
                format!("two contracts cover provider `{}`", c.provider.value),
                Some(c.provider.loc),
                &format!("{cp}.provider"),
                Some("merge them into one contract per provider".to_string()),
            );
            ok = false;
            continue;
        }
        seen.push(&c.provider.value);
        if !providers.contains(&c.provider.value.as_str()) {
            let help = match suggest(&c.provider.value, providers.iter().copied()) {
                Some(s) => format!("did you mean `{s}`?"),
                None => "set `provider = …` on the models this contract covers".to_string(),
            };
            v.warn(
                format!(
                    "no model has provider `{}`, so this contract covers nothing",
                    c.provider.value
                ),
                Some(c.provider.loc),
                &format!("{cp}.provider"),
                Some(help),
            );
        }
        let committed = v.param(
            Some(&c.committed_monthly_usd),
            0.0,
            &format!("{cp}.committed_monthly_usd"),
            Domain::NonNegative,
        );
        let discount = v.param(
            Some(&c.discount),
            0.0,
            &format!("{cp}.discount"),
            Domain::Rate,
        );
        if let Some(d) = &discount
            && d.dist.support().1 >= 1.0
        {
            v.invalid(
                "a contract `discount` must be below 1",
                c.discount.loc,
                &format!("{cp}.discount"),
                "write 0.25 for 25% off list price",
            );
            ok = false;
        }
        let overage = match c.overage.as_ref().map(|o| o.value) {
            None | Some(RawOverage::Discounted) => Overage::Discounted,
            Some(RawOverage::List) => Overage::List,
        };
        match (committed, discount) {
            (Some(committed_monthly_usd), Some(discount)) => out.push(Contract {
                name,
                provider: c.provider.value.clone(),
                committed_monthly_usd,
                discount,
                overage,
            }),
            _ => ok = false,
        }
    }
    if let Some(cap) = budget.and_then(|b| b.hard_cap_usd) {
        let committed: f64 = out
            .iter()
            .map(|c| c.committed_monthly_usd.dist.support().1)
            .sum();
        if committed > cap {
            v.error(
                ProblemKind::InvalidValue,
                format!("`hard_cap_usd` ({cap}) is below the monthly commitments ({committed})"),
                raw.budget
                    .as_ref()
                    .and_then(|b| b.hard_cap_usd.as_ref())
                    .map(|c| c.loc),
                "budget.hard_cap_usd",
                Some(
                    "a commitment is billed whatever the usage; raise the cap above it".to_string(),
                ),
            );
            ok = false;
        }
    }
    ok.then_some(out)
}

fn incidents(
    raw: &RawScenario,
    workflow_names: &[&str],
    simulation: Option<&Simulation>,
    v: &mut Validator,
) -> Option<Vec<Incident>> {
    v.check_unique(
        "incident",
        raw.incidents
            .iter()
            .map(|i| (&i.name, format!("incident[{}].name", i.name.value))),
    );
    let mut out = Vec::new();
    let mut ok = true;
    for i in &raw.incidents {
        let ip = format!("incident[{}]", i.name.value);
        let probability = v.param(
            Some(&i.monthly_probability),
            0.0,
            &format!("{ip}.monthly_probability"),
            Domain::Rate,
        );
        let multiplier = v.param(
            Some(&i.multiplier),
            0.0,
            &format!("{ip}.multiplier"),
            Domain::NonNegative,
        );
        if let Some(m) = &multiplier
            && m.dist.support().0 < 1.0
        {
            v.invalid(
                "an incident's `multiplier` must be at least 1",
                i.multiplier.loc,
                &format!("{ip}.multiplier"),
                "it is how many times each affected request runs: 20 for a runaway loop that repeats calls 20 times",
            );
            ok = false;
        }
        let duration = v.param(
            Some(&i.duration_hours),
            0.0,
            &format!("{ip}.duration_hours"),
            Domain::NonNegative,
        );
        if let (Some(d), Some(sim)) = (&duration, simulation) {
            let month_hours = 24.0 * f64::from(sim.days);
            if d.dist.support().1 > month_hours {
                v.warn(
                    format!("`duration_hours` can exceed the month ({month_hours} hours); the excess is ignored"),
                    Some(i.duration_hours.loc),
                    &format!("{ip}.duration_hours"),
                    None,
                );
            }
        }
        let workflows = match &i.workflow {
            None => Some((0..workflow_names.len()).collect()),
            Some(w) => match workflow_names.iter().position(|n| *n == w.value) {
                Some(k) => Some(vec![k]),
                None => {
                    let help = match suggest(&w.value, workflow_names.iter().copied()) {
                        Some(s) => format!("did you mean `{s}`?"),
                        None => format!("defined workflows: {}", workflow_names.join(", ")),
                    };
                    v.error(
                        ProblemKind::UnknownReference,
                        format!("unknown workflow `{}`", w.value),
                        Some(w.loc),
                        &format!("{ip}.workflow"),
                        Some(help),
                    );
                    None
                }
            },
        };
        match (probability, multiplier, duration, workflows) {
            (
                Some(monthly_probability),
                Some(multiplier),
                Some(duration_hours),
                Some(workflows),
            ) => out.push(Incident {
                name: i.name.value.clone(),
                monthly_probability,
                multiplier,
                duration_hours,
                workflows,
            }),
            _ => ok = false,
        }
    }
    ok.then_some(out)
}

fn simulation(raw: Option<&Located<RawSimulation>>, v: &mut Validator) -> Option<Simulation> {
    let default = RawSimulation::default();
    let raw = raw.map_or(&default, |r| &r.value);
    let mut ok = true;
    let trials = match &raw.trials {
        None => DEFAULT_TRIALS,
        Some(t) if t.value == 0 => {
            v.invalid(
                "`trials` must be at least 1",
                t.loc,
                "simulation.trials",
                format!("use the number of simulated months, e.g. {DEFAULT_TRIALS}"),
            );
            ok = false;
            0
        }
        Some(t) if t.value > MAX_TRIALS => {
            v.invalid(
                format!(
                    "`trials` = {} is more than aicost will run ({MAX_TRIALS})",
                    t.value
                ),
                t.loc,
                "simulation.trials",
                "10,000 trials give percentiles to about 1%; 100,000 is plenty for p99",
            );
            ok = false;
            0
        }
        Some(t) => t.value,
    };
    let days = match &raw.days {
        None => DEFAULT_DAYS,
        Some(d) if (1..=31).contains(&d.value) => d.value as u32,
        Some(d) => {
            v.invalid(
                format!(
                    "`days` must be between 1 and 31 (days in one month), got {}",
                    d.value
                ),
                d.loc,
                "simulation.days",
                "a trial is one month; use 28 to 31",
            );
            ok = false;
            0
        }
    };
    let arrivals = match raw.arrivals.as_ref().map(|a| a.value) {
        None | Some(RawArrivals::Poisson) => Arrivals::Poisson,
        Some(RawArrivals::Fixed) => Arrivals::Fixed,
    };
    let months = match &raw.months {
        None => 1,
        Some(m) if (1..=MAX_MONTHS).contains(&m.value) => m.value as u32,
        Some(m) => {
            v.invalid(
                format!(
                    "`months` must be between 1 and {MAX_MONTHS}, got {}",
                    m.value
                ),
                m.loc,
                "simulation.months",
                "the horizon in months, e.g. 12 for a yearly budget",
            );
            ok = false;
            0
        }
    };
    let seasonality = match &raw.seasonality {
        None => vec![1.0; 12],
        Some(list) if list.value.len() != 12 => {
            v.invalid(
                format!("`seasonality` needs 12 factors, one per month, got {}", list.value.len()),
                list.loc,
                "simulation.seasonality",
                "list 12 activity factors starting with the first month of the horizon, e.g. [1, 1, 1.1, …]",
            );
            ok = false;
            Vec::new()
        }
        Some(list) => {
            let mut out = Vec::with_capacity(12);
            for f in &list.value {
                match v.number(f, "simulation.seasonality", 0.0, true) {
                    Some(x) => out.push(x),
                    None => ok = false,
                }
            }
            out
        }
    };
    ok.then_some(Simulation {
        trials,
        days,
        seed: raw.seed.as_ref().map(|s| s.value),
        arrivals,
        months,
        seasonality,
        first_weekday: 0,
    })
}

fn budget(raw: &Located<RawBudget>, v: &mut Validator) -> Option<Budget> {
    let monthly = v.number(&raw.monthly_usd, "budget.monthly_usd", 0.0, false)?;
    let mut fractions = Vec::new();
    match &raw.alert_fractions {
        None => fractions.extend(DEFAULT_ALERT_FRACTIONS),
        Some(list) => {
            for f in &list.value {
                fractions.push(v.number(f, "budget.alert_fractions", 0.0, false)?);
            }
            fractions.sort_by(f64::total_cmp);
            fractions.dedup();
        }
    }
    let hard_cap = match &raw.hard_cap_usd {
        None => Some(None),
        Some(c) => v.number(c, "budget.hard_cap_usd", 0.0, false).map(Some),
    };
    let per_user = match &raw.per_user_monthly_usd {
        None => Some(None),
        Some(c) => v
            .number(c, "budget.per_user_monthly_usd", 0.0, false)
            .map(Some),
    };
    Some(Budget {
        monthly_usd: monthly,
        alert_fractions: fractions,
        hard_cap_usd: hard_cap?,
        per_user_monthly_usd: per_user?,
    })
}

fn segment(raw: &Located<RawSegment>, v: &mut Validator) -> Option<Segment> {
    let p = format!("segment[{}]", raw.name.value);
    let users = v.param(
        Some(&raw.users),
        0.0,
        &format!("{p}.users"),
        Domain::NonNegative,
    );
    if let Some(u) = &users {
        let hi = if u.dist.support().1.is_finite() {
            u.dist.support().1
        } else {
            u.dist.quantile(1.0 - 1e-9)
        };
        if hi > MAX_USERS {
            v.invalid(
                format!("`users` can reach {hi:e}, more than aicost models ({MAX_USERS:e})"),
                raw.users.loc,
                &format!("{p}.users"),
                "model the world population at most; check for a typo in the exponent",
            );
        }
    }
    let sessions = match (
        &raw.sessions_per_user_per_day,
        &raw.sessions_per_user_per_month,
    ) {
        (Some(d), None) => v
            .param(
                Some(d),
                0.0,
                &format!("{p}.sessions_per_user_per_day"),
                Domain::NonNegative,
            )
            .map(SessionRate::PerDay),
        (None, Some(m)) => v
            .param(
                Some(m),
                0.0,
                &format!("{p}.sessions_per_user_per_month"),
                Domain::NonNegative,
            )
            .map(SessionRate::PerMonth),
        (Some(_), Some(m)) => {
            v.invalid(
                "give either `sessions_per_user_per_day` or `sessions_per_user_per_month`, not both",
                m.loc,
                &format!("{p}.sessions_per_user_per_month"),
                "remove one of the two",
            );
            None
        }
        (None, None) => {
            v.error(
                ProblemKind::MissingKey,
                "missing key `sessions_per_user_per_day`",
                Some(raw.name.loc),
                &p,
                Some("add `sessions_per_user_per_day = …` (or `sessions_per_user_per_month`) to this segment".to_string()),
            );
            None
        }
    };
    let variability = v.param(
        raw.user_variability.as_ref(),
        0.0,
        &format!("{p}.user_variability"),
        Domain::NonNegative,
    );
    if let (Some(q), Some(var)) = (&raw.user_variability, &variability)
        && var.dist.support().1 > 100.0
    {
        v.invalid(
            "`user_variability` above 100 is not a meaningful coefficient of variation",
            q.loc,
            &format!("{p}.user_variability"),
            "0 means identical users; 1 is a wide spread; 3 is extreme",
        );
    }
    let weekend = v.param(
        raw.weekend_factor.as_ref(),
        1.0,
        &format!("{p}.weekend_factor"),
        Domain::NonNegative,
    );
    let growth = v.param(
        raw.monthly_growth.as_ref(),
        0.0,
        &format!("{p}.monthly_growth"),
        Domain::Growth,
    );
    Some(Segment {
        monthly_growth: growth?,
        name: raw.name.value.clone(),
        users: users?,
        sessions: sessions?,
        user_variability: variability?,
        weekend_factor: weekend?,
    })
}

fn workflow(
    raw: &Located<RawWorkflow>,
    segment_names: &[&str],
    routes: &[String],
    tools: &mut Vec<String>,
    v: &mut Validator,
) -> Option<Workflow> {
    let p = format!("workflow[{}]", raw.name.value);
    let mut ok = true;
    let segments = match &raw.segments {
        None => (0..segment_names.len()).collect(),
        Some(list) => {
            if list.value.is_empty() {
                v.invalid(
                    "`segments` is empty, so this workflow never runs",
                    list.loc,
                    &format!("{p}.segments"),
                    "list the segments that use it, or remove the key to use all segments",
                );
                ok = false;
            }
            let mut out = Vec::new();
            for name in &list.value {
                match segment_names.iter().position(|s| *s == name.value) {
                    Some(i) if out.contains(&i) => {
                        v.error(
                            ProblemKind::Duplicate,
                            format!("segment `{}` is listed twice", name.value),
                            Some(name.loc),
                            &format!("{p}.segments"),
                            Some("list each segment once".to_string()),
                        );
                        ok = false;
                    }
                    Some(i) => out.push(i),
                    None => {
                        let help = match suggest(&name.value, segment_names.iter().copied()) {
                            Some(s) => format!("did you mean `{s}`?"),
                            None => format!("defined segments: {}", segment_names.join(", ")),
                        };
                        v.error(
                            ProblemKind::UnknownReference,
                            format!("unknown segment `{}`", name.value),
                            Some(name.loc),
                            &format!("{p}.segments"),
                            Some(help),
                        );
                        ok = false;
                    }
                }
            }
            out
        }
    };
    let requests = v.per_request(
        raw.requests_per_session.as_ref(),
        1.0,
        &format!("{p}.requests_per_session"),
    );
    if raw.steps.is_empty() {
        v.error(
            ProblemKind::MissingKey,
            format!("workflow `{}` has no steps", raw.name.value),
            Some(raw.name.loc),
            &p,
            Some("add a [[workflow.step]] with `name`, `route` and token counts".to_string()),
        );
        ok = false;
    }
    let path = match raw.path.as_ref().map(|x| x.value) {
        None | Some(RawPath::Live) => RequestPath::Live,
        Some(RawPath::Batch) => RequestPath::Batch,
    };
    let service_tier = match raw.service_tier.as_ref().map(|t| t.value) {
        None | Some(RawServiceTier::Standard) => ServiceTier::Standard,
        Some(RawServiceTier::Priority) => ServiceTier::Priority,
        Some(RawServiceTier::Flex) => ServiceTier::Flex,
    };
    if let Some(t) = &raw.service_tier
        && path == RequestPath::Batch
        && service_tier != ServiceTier::Standard
    {
        v.invalid(
            format!("a batch workflow cannot use the `{}` service tier", service_tier.name()),
            t.loc,
            &format!("{p}.service_tier"),
            "batch requests are billed at the batch discount; use service_tier = \"standard\" or path = \"live\"",
        );
        ok = false;
    }
    let steps: Vec<Option<Step>> = raw
        .steps
        .iter()
        .map(|s| step(s, &p, routes, tools, v))
        .collect();
    let steps: Option<Vec<Step>> = steps.into_iter().collect();
    if !ok {
        return None;
    }
    let semantic_hit = v.param(
        raw.semantic_cache_hit_rate.as_ref(),
        0.0,
        &format!("{p}.semantic_cache_hit_rate"),
        Domain::Rate,
    );
    let semantic_fee = v.param(
        raw.semantic_cache_usd_per_lookup.as_ref(),
        0.0,
        &format!("{p}.semantic_cache_usd_per_lookup"),
        Domain::NonNegative,
    );
    let review = match &raw.review {
        None => Some(None),
        Some(r) => {
            let rp = format!("{p}.review");
            let share = v.param(Some(&r.share), 0.0, &format!("{rp}.share"), Domain::Rate);
            let minutes = v.param(
                Some(&r.minutes),
                0.0,
                &format!("{rp}.minutes"),
                Domain::NonNegative,
            );
            let hourly = v.param(
                Some(&r.hourly_usd),
                0.0,
                &format!("{rp}.hourly_usd"),
                Domain::NonNegative,
            );
            let failed = v.param(
                r.failed_review_minutes.as_ref(),
                0.0,
                &format!("{rp}.failed_review_minutes"),
                Domain::NonNegative,
            );
            match (share, minutes, hourly, failed) {
                (Some(share), Some(minutes), Some(hourly_usd), Some(failed_review_minutes)) => {
                    Some(Some(Review {
                        share,
                        minutes,
                        hourly_usd,
                        failed_review_minutes,
                    }))
                }
                _ => None,
            }
        }
    };
    let latency_target = match &raw.latency_target_ms {
        None => Some(None),
        Some(t) => {
            let lp = format!("{p}.latency_target_ms");
            let mut get = |x: &Option<Located<f64>>, key: &str| match x {
                None => Some(None),
                Some(x) => v.number(x, &format!("{lp}.{key}"), 0.0, false).map(Some),
            };
            let (p50, p95, p99) = (get(&t.p50, "p50"), get(&t.p95, "p95"), get(&t.p99, "p99"));
            if t.p50.is_none() && t.p95.is_none() && t.p99.is_none() {
                v.invalid(
                    "`latency_target_ms` names no percentile",
                    t.loc,
                    &lp,
                    "write e.g. latency_target_ms = { p95 = 3000 }",
                );
            }
            if path == RequestPath::Batch {
                v.warn(
                    "a latency target on a batch workflow is not checked: batch requests have no interactive latency",
                    Some(t.loc),
                    &lp,
                    Some("remove it, or use path = \"live\"".to_string()),
                );
            }
            match (p50, p95, p99) {
                (Some(p50), Some(p95), Some(p99)) => Some(Some(LatencyTarget { p50, p95, p99 })),
                _ => None,
            }
        }
    };
    Some(Workflow {
        name: raw.name.value.clone(),
        segments,
        requests_per_session: requests?,
        path,
        service_tier,
        steps: steps?,
        semantic_cache_hit_rate: semantic_hit?,
        semantic_cache_usd_per_lookup: semantic_fee?,
        review: review?,
        latency_target: latency_target?,
    })
}

fn step(
    raw: &Located<RawStep>,
    wp: &str,
    routes: &[String],
    tools: &mut Vec<String>,
    v: &mut Validator,
) -> Option<Step> {
    let p = format!("{wp}.step[{}]", raw.name.value);
    let route = routes.iter().position(|r| *r == raw.route.value)?;
    let tokens = |v: &mut Validator, q: &Option<Quantity>, key: &str| {
        v.per_request(q.as_ref(), 0.0, &format!("{p}.{key}"))
    };
    let prefix = tokens(v, &raw.static_prefix_tokens, "static_prefix_tokens");
    let input = tokens(v, &raw.input_tokens, "input_tokens");
    let output = tokens(v, &raw.output_tokens, "output_tokens");
    let reasoning = tokens(v, &raw.reasoning_tokens, "reasoning_tokens");
    let audio_in = tokens(v, &raw.audio_input_tokens, "audio_input_tokens");
    let audio_out = tokens(v, &raw.audio_output_tokens, "audio_output_tokens");
    let retrieval = match &raw.retrieval {
        None => Some(None),
        Some(r) => {
            let chunks = v.dist(
                &r.chunks,
                &format!("{p}.retrieval.chunks"),
                Domain::NonNegative,
            );
            let tokens = v.dist(
                &r.chunk_tokens,
                &format!("{p}.retrieval.chunk_tokens"),
                Domain::NonNegative,
            );
            match (chunks, tokens) {
                (Some(chunks), Some(chunk_tokens)) => Some(Some(Retrieval {
                    chunks,
                    chunk_tokens,
                })),
                _ => None,
            }
        }
    };
    let cap = |v: &mut Validator, c: &Option<Located<f64>>, key: &str| match c {
        None => Some(None),
        Some(c) => v.number(c, &format!("{p}.{key}"), 0.0, false).map(Some),
    };
    let max_output = cap(v, &raw.max_output_tokens, "max_output_tokens");
    let max_reasoning = cap(v, &raw.max_reasoning_tokens, "max_reasoning_tokens");
    if raw.max_reasoning_tokens.is_some() && raw.reasoning_tokens.is_none() {
        v.warn(
            "`max_reasoning_tokens` has no effect without `reasoning_tokens`",
            raw.max_reasoning_tokens.as_ref().map(|m| m.loc),
            &format!("{p}.max_reasoning_tokens"),
            Some("add `reasoning_tokens = …` to this step".to_string()),
        );
    }
    let cache = v.param(
        raw.cache_hit_rate.as_ref(),
        0.0,
        &format!("{p}.cache_hit_rate"),
        Domain::Rate,
    );
    let images = match &raw.images {
        None => Some(None),
        Some(i) => {
            let count = v.dist(&i.count, &format!("{p}.images.count"), Domain::NonNegative);
            let per = v.number(
                &i.tokens_per_image,
                &format!("{p}.images.tokens_per_image"),
                0.0,
                true,
            );
            match (count, per) {
                (Some(count), Some(tokens_per_image)) => Some(Some(Images {
                    count,
                    tokens_per_image,
                })),
                _ => None,
            }
        }
    };
    let mut tool_calls = Some(Vec::new());
    if let Some(list) = &raw.tool_calls {
        let mut seen: Vec<&str> = Vec::new();
        for t in &list.value {
            let tp = format!("{p}.tool_calls[{}]", t.name.value);
            if seen.contains(&t.name.value.as_str()) {
                v.error(
                    ProblemKind::Duplicate,
                    format!("tool `{}` is listed twice in this step", t.name.value),
                    Some(t.name.loc),
                    &tp,
                    Some("list each tool once; add the counts".to_string()),
                );
                tool_calls = None;
                continue;
            }
            seen.push(&t.name.value);
            let count = v.dist(&t.count, &format!("{tp}.count"), Domain::NonNegative);
            let fee = v.param(
                Some(&t.usd_per_call),
                0.0,
                &format!("{tp}.usd_per_call"),
                Domain::NonNegative,
            );
            let tool = match tools.iter().position(|n| *n == t.name.value) {
                Some(i) => i,
                None => {
                    tools.push(t.name.value.clone());
                    tools.len() - 1
                }
            };
            match (count, fee, tool_calls.as_mut()) {
                (Some(count), Some(usd_per_call), Some(list)) => list.push(ToolCall {
                    tool,
                    count,
                    usd_per_call,
                }),
                _ => tool_calls = None,
            }
        }
    }
    let aux = v.param(
        raw.aux_usd_per_request.as_ref(),
        0.0,
        &format!("{p}.aux_usd_per_request"),
        Domain::NonNegative,
    );
    let calls = v.per_request(raw.calls.as_ref(), 1.0, &format!("{p}.calls"));
    let growth = tokens(v, &raw.context_growth_tokens, "context_growth_tokens");
    if raw.context_growth_tokens.is_some() && raw.calls.is_none() {
        v.warn(
            "`context_growth_tokens` has no effect without `calls`",
            raw.context_growth_tokens.as_ref().map(|q| q.loc),
            &format!("{p}.context_growth_tokens"),
            Some(
                "the input grows from one call of a loop to the next; set `calls = …`".to_string(),
            ),
        );
    }
    let cache_ttl = match raw.cache_ttl.as_ref().map(|t| t.value) {
        None | Some(RawCacheTtl::FiveMinutes) => CacheTtl::FiveMinutes,
        Some(RawCacheTtl::OneHour) => CacheTtl::OneHour,
    };
    if raw.static_prefix_tokens.is_none()
        && raw.input_tokens.is_none()
        && raw.output_tokens.is_none()
        && raw.retrieval.is_none()
        && raw.images.is_none()
        && raw.audio_input_tokens.is_none()
        && raw.audio_output_tokens.is_none()
        && raw.tool_calls.is_none()
    {
        v.warn(
            format!(
                "step `{}` sends no tokens, so it costs nothing",
                raw.name.value
            ),
            Some(raw.name.loc),
            &p,
            Some("set `input_tokens` and `output_tokens`".to_string()),
        );
    }
    Some(Step {
        name: raw.name.value.clone(),
        route,
        static_prefix_tokens: prefix?,
        input_tokens: input?,
        retrieval: retrieval?,
        output_tokens: output?,
        max_output_tokens: max_output?,
        cache_hit_rate: cache?,
        cache_ttl,
        reasoning_tokens: reasoning?,
        max_reasoning_tokens: max_reasoning?,
        images: images?,
        audio_input_tokens: audio_in?,
        audio_output_tokens: audio_out?,
        tool_calls: tool_calls?,
        aux_usd_per_request: aux?,
        calls: calls?,
        context_growth_tokens: growth?,
    })
}

fn price(
    v: &mut Validator,
    q: Option<&Quantity>,
    default: Option<&Param>,
    path: &str,
    owner_loc: Loc,
) -> Option<Param> {
    match (q, default) {
        (Some(q), _) => {
            let param = v.param(Some(q), 0.0, path, Domain::NonNegative)?;
            let m = param.mean();
            if m > 0.0 && m < IMPLAUSIBLY_LOW_USD_PER_MTOK {
                v.warn(
                    format!("{} USD per million tokens is implausibly low", num(m)),
                    Some(q.loc),
                    path,
                    Some(format!(
                        "prices are per million tokens: a price of ${} per 1K tokens is {} per million",
                        num(m),
                        num(m * 1000.0)
                    )),
                );
            } else if m > IMPLAUSIBLY_HIGH_USD_PER_MTOK {
                v.warn(
                    format!("{} USD per million tokens is implausibly high", num(m)),
                    Some(q.loc),
                    path,
                    Some("prices are per million tokens; check the unit".to_string()),
                );
            }
            Some(param)
        }
        (None, Some(d)) => Some(d.clone()),
        (None, None) if owner_has_errors(v, path) => {
            // The price this one defaults to was given but is invalid, and already reported.
            None
        }
        (None, None) => {
            v.error(
                ProblemKind::MissingKey,
                format!("missing key `{}`", leaf(path)),
                Some(owner_loc),
                path.rsplit_once('.').map_or(path, |(head, _)| head),
                Some(format!("add `{} = …` (USD per million tokens)", leaf(path))),
            );
            None
        }
    }
}

/// Whether an error was already reported inside the model (or other table) that `path` belongs
/// to, such as `model[m]` for `model[m].long_context.cache_write_usd_per_mtok`.
fn owner_has_errors(v: &Validator, path: &str) -> bool {
    let owner = path.find("].").map_or(path, |i| &path[..=i]);
    v.errors.iter().any(|e| {
        e.key_path
            .as_deref()
            .and_then(|k| k.strip_prefix(owner))
            .is_some_and(|rest| rest.starts_with('.'))
    })
}

fn model(raw: &Located<RawModel>, v: &mut Validator) -> Option<Model> {
    let p = format!("model[{}]", raw.name.value);
    let loc = raw.name.loc;
    let input = price(
        v,
        raw.input_usd_per_mtok.as_ref(),
        None,
        &format!("{p}.input_usd_per_mtok"),
        loc,
    );
    let output = price(
        v,
        raw.output_usd_per_mtok.as_ref(),
        None,
        &format!("{p}.output_usd_per_mtok"),
        loc,
    );
    let cached = price(
        v,
        raw.cached_input_usd_per_mtok.as_ref(),
        input.as_ref(),
        &format!("{p}.cached_input_usd_per_mtok"),
        loc,
    );
    let write = price(
        v,
        raw.cache_write_usd_per_mtok.as_ref(),
        input.as_ref(),
        &format!("{p}.cache_write_usd_per_mtok"),
        loc,
    );
    if let (Some(i), Some(c), Some(q)) = (&input, &cached, &raw.cached_input_usd_per_mtok)
        && c.mean() > i.mean()
    {
        v.warn(
            "the cached-input price is above the input price",
            Some(q.loc),
            &format!("{p}.cached_input_usd_per_mtok"),
            Some("a cache read is normally 10-50% of the input price".to_string()),
        );
    }
    let min_cacheable = match &raw.min_cacheable_tokens {
        None => Some(DEFAULT_MIN_CACHEABLE_TOKENS),
        Some(m) => v.number(m, &format!("{p}.min_cacheable_tokens"), 0.0, true),
    };
    let max_input = match &raw.max_input_tokens {
        None => Some(None),
        Some(m) => v
            .number(m, &format!("{p}.max_input_tokens"), 0.0, false)
            .map(Some),
    };
    let batch = v.param(
        raw.batch_discount.as_ref(),
        0.0,
        &format!("{p}.batch_discount"),
        Domain::Rate,
    );
    let long_context = match &raw.long_context {
        None => Some(None),
        Some(lc) => {
            let lp = format!("{p}.long_context");
            let above = v.number(
                &lc.above_input_tokens,
                &format!("{lp}.above_input_tokens"),
                0.0,
                true,
            );
            let li = price(
                v,
                Some(&lc.input_usd_per_mtok),
                None,
                &format!("{lp}.input_usd_per_mtok"),
                lc.loc,
            );
            let lo = price(
                v,
                Some(&lc.output_usd_per_mtok),
                None,
                &format!("{lp}.output_usd_per_mtok"),
                lc.loc,
            );
            // Providers scale cache reads and writes by the same factor as input above the
            // threshold; without explicit prices, do the same.
            let scaled = |base: &Option<Param>, label: &str| -> Option<Param> {
                let (Some(b), Some(i), Some(li)) = (base, &input, &li) else {
                    return None;
                };
                let factor = if i.mean() > 0.0 {
                    li.mean() / i.mean()
                } else {
                    1.0
                };
                let mut param = b.clone();
                param.dist = scale_dist(&b.dist, factor);
                param.label = label.to_string();
                Some(param)
            };
            let lc_cached_default = scaled(&cached, &format!("{lp}.cached_input_usd_per_mtok"));
            let lc_write_default = scaled(&write, &format!("{lp}.cache_write_usd_per_mtok"));
            let lcached = price(
                v,
                lc.cached_input_usd_per_mtok.as_ref(),
                lc_cached_default.as_ref(),
                &format!("{lp}.cached_input_usd_per_mtok"),
                lc.loc,
            );
            let lwrite = price(
                v,
                lc.cache_write_usd_per_mtok.as_ref(),
                lc_write_default.as_ref(),
                &format!("{lp}.cache_write_usd_per_mtok"),
                lc.loc,
            );
            match (above, li, lo, lcached, lwrite) {
                (Some(above), Some(input), Some(output), Some(cached_input), Some(cache_write)) => {
                    Some(Some(LongContext {
                        above_input_tokens: above,
                        prices: Prices {
                            input,
                            output,
                            cached_input,
                            cache_write,
                        },
                    }))
                }
                _ => None,
            }
        }
    };
    let optional = |v: &mut Validator, q: &Option<Quantity>, key: &str| match q {
        None => Some(None),
        Some(q) => price(v, Some(q), None, &format!("{p}.{key}"), loc).map(Some),
    };
    let reasoning = price(
        v,
        raw.reasoning_usd_per_mtok.as_ref(),
        output.as_ref(),
        &format!("{p}.reasoning_usd_per_mtok"),
        loc,
    );
    let image_input = price(
        v,
        raw.image_input_usd_per_mtok.as_ref(),
        input.as_ref(),
        &format!("{p}.image_input_usd_per_mtok"),
        loc,
    );
    let write_1h = optional(
        v,
        &raw.cache_write_1h_usd_per_mtok,
        "cache_write_1h_usd_per_mtok",
    );
    let per_image = match &raw.input_usd_per_image {
        None => Some(None),
        // A price per image, not per million tokens: no plausibility range applies.
        Some(q) => v
            .param(
                Some(q),
                0.0,
                &format!("{p}.input_usd_per_image"),
                Domain::NonNegative,
            )
            .map(Some),
    };
    let audio_input = optional(v, &raw.audio_input_usd_per_mtok, "audio_input_usd_per_mtok");
    let audio_output = optional(
        v,
        &raw.audio_output_usd_per_mtok,
        "audio_output_usd_per_mtok",
    );
    let priority = match &raw.priority {
        None => Some(None),
        Some(t) => tier(v, t, &format!("{p}.priority"), false).map(Some),
    };
    let flex = match &raw.flex {
        None => Some(None),
        Some(t) => tier(v, t, &format!("{p}.flex"), true).map(Some),
    };
    let volume_tiers = match &raw.volume_tiers {
        None => Some(Vec::new()),
        Some(list) => volume_tiers(v, list, &format!("{p}.volume_tiers")),
    };
    let latency = match &raw.latency {
        None => Some(None),
        Some(l) => {
            let lp = format!("{p}.latency");
            let first = v.dist(
                &l.first_token_ms,
                &format!("{lp}.first_token_ms"),
                Domain::NonNegative,
            );
            let speed = v.param(
                Some(&l.output_tokens_per_s),
                0.0,
                &format!("{lp}.output_tokens_per_s"),
                Domain::NonNegative,
            );
            if let Some(sp) = &speed
                && sp.dist.support().0 <= 0.0
            {
                v.invalid(
                    "`output_tokens_per_s` must be above 0",
                    l.output_tokens_per_s.loc,
                    &format!("{lp}.output_tokens_per_s"),
                    "a typical model streams 30 to 200 tokens per second",
                );
            }
            match (first, speed) {
                (Some(first_token_ms), Some(output_tokens_per_s)) => Some(Some(Latency {
                    first_token_ms,
                    output_tokens_per_s,
                })),
                _ => None,
            }
        }
    };
    let checked = match &raw.checked {
        None => Some(None),
        Some(c) => match crate::base::calendar::Date::parse(&c.value) {
            Some(d) => Some(Some(d)),
            None => {
                v.invalid(
                    format!("`checked` must be a date YYYY-MM-DD, got `{}`", c.value),
                    c.loc,
                    &format!("{p}.checked"),
                    "write the date the prices were checked, e.g. \"2026-11-01\"",
                );
                None
            }
        },
    };
    Some(Model {
        price_source: crate::model::PriceSource {
            source: raw.source.as_ref().map(|s| s.value.clone()),
            checked: checked?,
            catalog: raw.catalog.clone(),
        },
        volume_tiers: volume_tiers?,
        latency: latency?,
        name: raw.name.value.clone(),
        provider: raw
            .provider
            .as_ref()
            .map_or_else(|| "unknown".to_string(), |p| p.value.clone()),
        prices: Prices {
            input: input?,
            output: output?,
            cached_input: cached?,
            cache_write: write?,
        },
        min_cacheable_tokens: min_cacheable?,
        max_input_tokens: max_input?,
        batch_discount: batch?,
        long_context: long_context?,
        reasoning: reasoning?,
        cache_write_1h: write_1h?,
        image_input: image_input?,
        input_per_image: per_image?,
        audio_input: audio_input?,
        audio_output: audio_output?,
        priority: priority?,
        flex: flex?,
    })
}

/// Volume tiers: thresholds strictly increasing, discounts in \[0, 1\].
fn volume_tiers(
    v: &mut Validator,
    list: &Located<Vec<Located<RawVolumeTier>>>,
    tp: &str,
) -> Option<Vec<VolumeTier>> {
    let mut out: Vec<VolumeTier> = Vec::new();
    for (i, t) in list.value.iter().enumerate() {
        let ip = format!("{tp}[{i}]");
        let above = v.number(&t.above_mtok, &format!("{ip}.above_mtok"), 0.0, true)?;
        let discount = v.number(&t.discount, &format!("{ip}.discount"), 0.0, true)?;
        if discount > 1.0 {
            v.invalid(
                format!("`discount` is a fraction between 0 and 1, got {discount}"),
                t.discount.loc,
                &format!("{ip}.discount"),
                "write 0.10 for a 10% discount",
            );
            return None;
        }
        if let Some(prev) = out.last()
            && above * 1e6 <= prev.above_tokens
        {
            v.invalid(
                "volume tiers must be listed by increasing `above_mtok`",
                t.above_mtok.loc,
                &format!("{ip}.above_mtok"),
                "order the tiers from the smallest threshold to the largest",
            );
            return None;
        }
        out.push(VolumeTier {
            above_tokens: above * 1e6,
            discount,
        });
    }
    Some(out)
}

/// A `priority` or `flex` price table. Prices may be left out; a workflow that uses the tier
/// then gets an error naming what is missing (see [`check_serving_models`]).
fn tier(v: &mut Validator, raw: &Located<RawTier>, tp: &str, flex: bool) -> Option<TierPrices> {
    let optional = |v: &mut Validator, q: &Option<Quantity>, key: &str| match q {
        None => Some(None),
        Some(q) => price(v, Some(q), None, &format!("{tp}.{key}"), raw.loc).map(Some),
    };
    let input = optional(v, &raw.input_usd_per_mtok, "input_usd_per_mtok");
    let output = optional(v, &raw.output_usd_per_mtok, "output_usd_per_mtok");
    let cached = optional(
        v,
        &raw.cached_input_usd_per_mtok,
        "cached_input_usd_per_mtok",
    );
    let write = optional(v, &raw.cache_write_usd_per_mtok, "cache_write_usd_per_mtok");
    let unavailable = match (&raw.unavailable_rate, flex) {
        (Some(q), false) => {
            v.invalid(
                "`unavailable_rate` applies to the flex tier only",
                q.loc,
                &format!("{tp}.unavailable_rate"),
                "move it to the model's `flex` table",
            );
            None
        }
        (q, _) => v.param(
            q.as_ref(),
            0.0,
            &format!("{tp}.unavailable_rate"),
            Domain::Rate,
        ),
    };
    Some(TierPrices {
        input: input?,
        output: output?,
        cached_input: cached?,
        cache_write: write?,
        unavailable_rate: unavailable?,
    })
}

/// Checks that need to know which models serve which steps: a step asking for a service tier,
/// a one-hour cache or audio must be served only by models with those prices.
fn check_serving_models(
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

/// The distribution of `factor · X`; a price with a family that cannot be scaled (beta, Poisson)
/// keeps its unscaled form, which validation reports.
fn scale_dist(d: &Dist, factor: f64) -> Dist {
    d.scaled(factor).unwrap_or_else(|| d.clone())
}

/// A step's use of a route, for messages about routes.
pub struct RouteUse {
    pub route: String,
    pub workflow: String,
    pub step: String,
    pub loc: Loc,
}

/// The models a chain may name, and the names already explained by a misnamed [[model]].
struct ModelNames<'a> {
    defined: &'a [&'a str],
    /// Names chains use that no [[model]] defines, reported once at the [[model]] whose `name`
    /// is that name misspelled (see [`misnamed_models`]).
    misnamed: &'a [String],
}

/// A [[model]] no chain uses whose name is close to one the chains use but nothing defines may be
/// a typo in the model's `name` rather than in the references: then report it once, at that
/// `name`, with the name the chains use, instead of suggesting the typo at each correct
/// reference. The references are taken to be right when they agree at two places or more, or
/// when the name they use is a model of the built-in catalog and the defined one is not;
/// otherwise the one reference is the likelier typo, and is reported as such.
fn misnamed_models(raw: &RawScenario, model_names: &[&str], v: &mut Validator) -> Vec<String> {
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

fn chain(
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
fn ticked(names: &[&str]) -> String {
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
fn undefined_routes(raw: &RawScenario, uses: &[RouteUse], v: &mut Validator) -> Vec<String> {
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

fn stack(
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
    })
}

/// Like [`validate`], with the prices a `[[model]]` leaves out taken from `catalog` (see
/// [`prices`](super::prices)); `today` dates the staleness warning.
pub fn validate_with_catalog(
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
                let loc = rs
                    .value
                    .input_tokens
                    .as_ref()
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
