//! Traffic the estimate needs beyond the expected requests of `model::traffic`: the share of a
//! workflow's requests on each day of the month, and the expected repeats of incidents over it.

use crate::model::traffic::Approximations;
use crate::model::{Scenario, SessionRate, day_weights};

/// Expected runs per request of workflow `w`: 1 plus what incidents repeat.
pub(super) fn incident_factor(s: &Scenario, w: usize, approx: &mut Approximations) -> f64 {
    let days = s.simulation.days;
    let month_hours = 24.0 * f64::from(days);
    let covering: Vec<&crate::model::Incident> = s
        .incidents
        .iter()
        .filter(|i| i.workflows.contains(&w))
        .collect();
    if covering.len() > 1 {
        approx.note(format!(
            "workflow `{}`: overlapping incidents are added, not maxed",
            s.workflows[w].name
        ));
    }
    let shares = workflow_day_shares(s, w);
    1.0 + covering
        .iter()
        .map(|i| {
            if !i.duration_hours.is_fixed() {
                approx.note(format!(
                    "incident `{}`: its uncertain duration's mean is used",
                    i.name
                ));
            }
            let duration = i.duration_hours.mean().min(month_hours);
            // Expected share of the day's requests inside the window, over a uniform start.
            const STARTS: usize = 4096;
            let affected: f64 = (0..STARTS)
                .map(|k| {
                    let start = (k as f64 + 0.5) / STARTS as f64 * (month_hours - duration);
                    let end = start + duration;
                    shares
                        .iter()
                        .enumerate()
                        .map(|(d, share)| {
                            let (d0, d1) = (24.0 * d as f64, 24.0 * (d as f64 + 1.0));
                            share * ((end.min(d1) - start.max(d0)) / 24.0).max(0.0)
                        })
                        .sum::<f64>()
                })
                .sum::<f64>()
                / STARTS as f64;
            i.monthly_probability.mean() * affected * (i.multiplier.mean() - 1.0)
        })
        .sum::<f64>()
}

/// Share of a workflow's requests falling on each day of the month.
fn workflow_day_shares(s: &Scenario, w: usize) -> Vec<f64> {
    let days = s.simulation.days;
    let mut shares = vec![0.0; days as usize];
    let mut total = 0.0;
    for &seg in &s.workflows[w].segments {
        let segment = &s.segments[seg];
        let weights = day_weights(
            days,
            s.simulation.first_weekday,
            segment.weekend_factor.mean(),
        );
        let sum: f64 = weights.iter().sum();
        let sessions = segment.users.mean()
            * match &segment.sessions {
                SessionRate::PerDay(p) => p.mean() * sum,
                SessionRate::PerMonth(p) => p.mean(),
            };
        for (d, wgt) in weights.iter().enumerate() {
            shares[d] += sessions * wgt / sum;
        }
        total += sessions;
    }
    if total > 0.0 {
        shares.iter_mut().for_each(|x| *x /= total);
    }
    shares
}
