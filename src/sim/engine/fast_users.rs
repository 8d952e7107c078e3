//! Sampled users' monthly costs on the fast engine: each user's sessions and requests drawn,
//! each request's cost drawn from the reference sample of exactly simulated requests, and under
//! an incident each of its repeats taken from that same request's recorded repeats (an incident
//! resends the same prompt, so a heavy request stays heavy in every run).

use rand::{Rng, RngExt};
use rand_distr::Distribution;

use super::draw::TrialDraw;
use super::fast_shape::Shape;
use super::outcome::StackTrial;
use super::sums::{binomial, poisson, requests_of, sum_of};
use crate::model::Scenario;
use crate::sim::estimate::RequestExpectation;
use crate::sim::moments::Moments;

/// What sampled users' costs need of one stack's month, per workflow.
pub(super) struct UsersMonth {
    /// Billed dollars per served list dollar (repeats included) of the workflow's requests.
    pub(super) billed_per_list: Vec<f64>,
    /// Per day: the share of its requests served under the hard cap (1 before the day the cap
    /// is reached, none after it); empty when the cap refused nothing this month.
    pub(super) served: Vec<f64>,
    /// List dollars with repeats per list dollar of first runs, of the requests the cap served.
    pub(super) repeat_factor: Vec<f64>,
    /// Per day: the share of the workflow's requests inside an incident's window, and their
    /// runs beyond the first.
    pub(super) repeats: Vec<Vec<(f64, f64)>>,
}

/// What sampled users' costs need of the fast engine's plan.
pub(super) struct SampledUsers<'p> {
    pub(super) s: &'p Scenario,
    /// Workflows each segment's sessions trigger.
    pub(super) segment_workflows: &'p [Vec<usize>],
    /// Per workflow and stack.
    pub(super) shapes: &'p [Vec<Shape>],
    /// Users per segment whose monthly cost is recorded in each month.
    pub(super) users_sampled: u64,
}

impl SampledUsers<'_> {
    /// Monthly costs of sampled users: their sessions and requests drawn, each request's cost
    /// drawn from the reference sample (or, for very active users, a sum of many).
    #[allow(clippy::too_many_arguments)]
    pub(super) fn sample_users<R: Rng + ?Sized>(
        &self,
        draw: &TrialDraw,
        k: usize,
        exp: &[Vec<(RequestExpectation, Moments)>],
        users: &[u64],
        season: f64,
        month: &UsersMonth,
        out: &mut StackTrial,
        rng: &mut R,
    ) {
        let s = self.s;
        for (si, seg) in draw.segments.iter().enumerate() {
            let n = self.users_sampled.min(users[si]);
            let activity = (seg.user_variability > 0.0).then(|| {
                let cv2 = seg.user_variability * seg.user_variability;
                rand_distr::Gamma::new(1.0 / cv2, cv2).expect("validated coefficient of variation")
            });
            let mut costs = Vec::with_capacity(n as usize);
            for _ in 0..n {
                let multiplier = activity.as_ref().map_or(1.0, |g| g.sample(rng));
                let sessions = poisson(seg.sessions_per_user * season * multiplier, rng);
                let capped = !month.served.is_empty();
                // Under an incident, a session's workflows share its day, as in the exact
                // engine: a session inside the incident's window has every affected workflow's
                // requests repeated, and one past the hard cap's day is refused in all of them.
                // Days drawn per workflow would spread these over independent days and make
                // users' costs too alike. Each session's day, or `None` where the cap refused it.
                let shared: Option<Vec<Option<usize>>> = (sessions <= 64
                    && self.segment_workflows[si]
                        .iter()
                        .any(|&w| month.repeats[w].iter().any(|(p, _)| *p > 0.0)))
                .then(|| {
                    (0..sessions)
                        .map(|_| session_day(&seg.day_cumulative, month, capped, rng))
                        .collect()
                });
                let mut cost = 0.0;
                for &w in &self.segment_workflows[si] {
                    let (e, moments) = &exp[w][k];
                    let shape = &self.shapes[w][k];
                    let per_session = &s.workflows[w].requests_per_session;
                    // A request of the reference sample: its cost and its index there.
                    let pick = |rng: &mut R| {
                        if shape.relative.is_empty() {
                            (e.cost, usize::MAX)
                        } else {
                            let i = rng.random_range(0..shape.relative.len());
                            (e.cost * shape.relative[i], i)
                        }
                    };
                    let request = |rng: &mut R| pick(rng).0;
                    let repeated = month.repeats[w].iter().any(|(p, _)| *p > 0.0);
                    let listed = if (repeated || capped) && sessions <= 64 {
                        // Each session on its own day, served as that day was under the hard
                        // cap (in random order within the day); each request in an incident's
                        // window with that day's share, repeated that day's runs.
                        (0..sessions as usize)
                            .map(|j| {
                                let day = match &shared {
                                    Some(days) => days[j],
                                    None => session_day(&seg.day_cumulative, month, capped, rng),
                                };
                                let Some(day) = day else {
                                    return 0.0;
                                };
                                let (p, extra) = month.repeats[w][day];
                                (0..requests_of(per_session, 1, rng))
                                    .map(|_| {
                                        let (c, i) = pick(rng);
                                        if p > 0.0 && rng.random::<f64>() < p {
                                            // Each repeat resends this request's prompt and
                                            // walks the chain again (without a second lookup
                                            // fee): this request's own recorded repeats, in
                                            // units of the expected repeat. Runs beyond those
                                            // recorded (a multiplier past 65, or beyond the
                                            // reference sample's call budget) are drawn as
                                            // independent requests, which understates the
                                            // spread of such users but keeps the mean.
                                            let runs = extra.floor() as u64
                                                + u64::from(rng.random::<f64>() < extra.fract());
                                            let again = e.cost - e.lookup_usd;
                                            c + (0..runs as usize)
                                                .map(|j| match shape.rewalk(i, j) {
                                                    Some(x) => again * x,
                                                    None => request(rng) - e.lookup_usd,
                                                })
                                                .sum::<f64>()
                                        } else {
                                            c
                                        }
                                    })
                                    .sum::<f64>()
                            })
                            .sum::<f64>()
                    } else {
                        // A very active user under a binding cap: their sessions on served days,
                        // each served with its day's share.
                        let sessions = if capped {
                            let q: f64 = seg
                                .day_share
                                .iter()
                                .zip(&month.served)
                                .map(|(a, b)| a * b)
                                .sum();
                            binomial(sessions, q.clamp(0.0, 1.0), rng)
                        } else {
                            sessions
                        };
                        let reqs = requests_of(per_session, sessions, rng);
                        let plain = if reqs <= 64 || shape.relative.is_empty() {
                            (0..reqs).map(|_| request(rng)).sum::<f64>()
                        } else {
                            sum_of(
                                reqs,
                                e.cost,
                                moments.variance().sqrt(),
                                shape.skew,
                                rng.sample(rand_distr::StandardNormal),
                            )
                        };
                        if repeated {
                            plain * month.repeat_factor[w]
                        } else {
                            plain
                        }
                    };
                    cost += month.billed_per_list[w] * listed;
                }
                costs.push(cost);
            }
            out.user_costs[si] = costs;
        }
    }
}

/// A session's day, drawn from the segment's cumulative day shares, or `None` where the hard cap
/// refused it (each day serves its share of sessions, in random order within the day).
fn session_day<R: Rng + ?Sized>(
    day_cumulative: &[f64],
    month: &UsersMonth,
    capped: bool,
    rng: &mut R,
) -> Option<usize> {
    let u: f64 = rng.random();
    let days = month.repeats.first().map_or(1, Vec::len);
    let day = day_cumulative
        .partition_point(|&c| c <= u)
        .min(days.max(1) - 1);
    if capped && rng.random::<f64>() >= month.served[day] {
        return None;
    }
    Some(day)
}
