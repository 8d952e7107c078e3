//! The expected traffic of a scenario: users × sessions × requests per workflow and segment, at
//! the parameters' means, for the first month. Validation sizes its checks with it, the estimate
//! starts from it and the engines budget their work with it.

use serde::Serialize;

use crate::model::{Arrivals, Scenario, SessionRate, Workflow, day_weights};

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct TrafficLine {
    pub segment: String,
    pub users: f64,
    pub sessions_per_user: f64,
    pub requests_per_session: f64,
    pub requests: f64,
}

/// Why a figure is approximate, each reason once.
#[derive(Default)]
pub(crate) struct Approximations(pub(crate) Vec<String>);

impl Approximations {
    pub(crate) fn note(&mut self, why: String) {
        if !self.0.contains(&why) {
            self.0.push(why);
        }
    }
}

/// Expected sessions of one user of `seg` in the first month.
fn sessions_per_user(s: &Scenario, seg: &crate::model::Segment) -> f64 {
    let weights = day_weights(
        s.simulation.days,
        s.simulation.first_weekday,
        seg.weekend_factor.mean(),
    );
    let weekday_days = weights.iter().filter(|&&x| x == 1.0).count() as f64;
    let weekend_days = s.simulation.days as f64 - weekday_days;
    match &seg.sessions {
        // Weekday rate × (weekdays + weekend days × factor): linear in both, so exact.
        SessionRate::PerDay(p) => {
            p.mean() * (weekday_days + weekend_days * seg.weekend_factor.mean())
        }
        SessionRate::PerMonth(p) => p.mean(),
    }
}

/// Expected sessions of all segments in the first month (parameters at their means).
pub fn sessions_per_month(s: &Scenario) -> f64 {
    s.segments
        .iter()
        .map(|seg| seg.users.mean() * sessions_per_user(s, seg))
        .sum()
}

pub(crate) fn traffic(s: &Scenario, w: &Workflow, approx: &mut Approximations) -> Vec<TrafficLine> {
    w.segments
        .iter()
        .map(|&i| {
            let seg = &s.segments[i];
            let sessions = sessions_per_user(s, seg);
            if s.simulation.arrivals == Arrivals::Fixed
                && (sessions.fract() != 0.0 || seg.user_variability.mean() > 0.0)
            {
                approx.note(format!(
                    "segment `{}`: fixed arrivals round each user's sessions to whole numbers",
                    seg.name
                ));
            }
            let users = seg.users.mean();
            let rps = w.requests_per_session.mean();
            TrafficLine {
                segment: seg.name.clone(),
                users,
                sessions_per_user: sessions,
                requests_per_session: rps,
                requests: users * sessions * rps,
            }
        })
        .collect()
}

/// Expected requests per month of workflow `w` (first month, parameters at their means).
pub(crate) fn workflow_requests_per_month(s: &Scenario, w: usize) -> f64 {
    let mut approx = Approximations::default();
    traffic(s, &s.workflows[w], &mut approx)
        .iter()
        .map(|l| l.requests)
        .sum()
}

/// Expected requests per month of all workflows.
/// Expected requests per month of each segment, at the parameters' means (first month).
pub(crate) fn requests_per_month_by_segment(s: &Scenario) -> Vec<f64> {
    let mut approx = Approximations::default();
    let mut out = vec![0.0; s.segments.len()];
    for w in &s.workflows {
        for (line, &i) in traffic(s, w, &mut approx).iter().zip(&w.segments) {
            out[i] += line.requests;
        }
    }
    out
}

pub fn requests_per_month(s: &Scenario) -> f64 {
    let mut approx = Approximations::default();
    s.workflows
        .iter()
        .map(|w| {
            traffic(s, w, &mut approx)
                .iter()
                .map(|l| l.requests)
                .sum::<f64>()
        })
        .sum()
}
