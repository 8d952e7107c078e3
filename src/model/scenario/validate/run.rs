//! Validation of the run's settings: `[simulation]` (trials, horizon, seed), `[budget]` and
//! `[[incident]]`s.

use crate::base::error::{ProblemKind, suggest};
use crate::model::doc::de::Located;
use crate::model::scenario::raw::*;
use crate::model::scenario::validator::*;
use crate::model::*;

pub(super) fn incidents(
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

pub(super) fn simulation(
    raw: Option<&Located<RawSimulation>>,
    v: &mut Validator,
) -> Option<Simulation> {
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

pub(super) fn budget(raw: &Located<RawBudget>, v: &mut Validator) -> Option<Budget> {
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
