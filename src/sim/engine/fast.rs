//! The fast engine: a month at any traffic in microseconds, by the structure of the sums.
//!
//! The exact engine's work grows with every request; this engine's work grows only with the
//! number of segments, workflows, stacks, days and sampled users. It rests on four facts, each
//! documented with its limits in `docs/engine.md`:
//!
//! 1. **Traffic is exact.** N users with Gamma(mean 1, cv) activity and Poisson sessions have, in
//!    total, a Poisson number of sessions whose mean is Gamma(N/cv², λ·cv²): one draw replaces N
//!    users. Each session lands on a day independently, so the days split the total
//!    multinomially. Requests per session sum exactly for fixed and Poisson counts.
//! 2. **The expected request is exact.** Given a trial's parameters, the expected cost of a
//!    request — by model and by class, with retries, escalation, errors, caches, tiers of service
//!    and long-context pricing — comes from the same closed forms as `estimate`.
//! 3. **The noise of a day's requests is a sum of many independent costs.** Its mean and variance
//!    are the request's times the count; its shape is a shifted gamma matched to the skewness of
//!    the request cost (measured once per run on a reference sample of exactly simulated
//!    requests), which tends to the normal as the count grows. Every stack uses the same
//!    standard normal for a day, so stacks compare with common random numbers.
//! 4. **The invoice is applied day by day** in calendar order: volume tiers, contracts and the
//!    hard cap see the month's cumulative usage as the exact engine does, at day resolution.
//!
//! Per-user spreads draw sampled users' requests from the reference sample; latencies are drawn
//! from the reference latencies.

use rand::{Rng, RngExt};

use super::draw::review_usd;
use super::draw::{IncidentMonth, TrialDraw, draw, round_random};
use super::exact::Plan;
use super::fast_shape::{Shape, kept_stride, refused_at_margin, shape};
use super::fast_users::{SampledUsers, UsersMonth};
use super::outcome::{MonthOutcome, StackTrial, ToolUse, TrialOutcome};
use super::rng::{mix, small, stream};
use super::sums::{binomial, gamma, multinomial, poisson, requests_of, sum_of};
pub use super::support::unsupported;
use crate::billing::classes::{CostBreakdown, CostClass, Tokens};
use crate::billing::invoice::ContractMonth;
use crate::billing::invoice::PriceState;
use crate::model::{Param, Scenario};
use crate::sim::estimate::{RequestExpectation, request_expectation};
use crate::sim::moments::{Moments, request_moments};

/// Requests simulated exactly, per workflow, to measure the shape of a request's cost.
pub const REFERENCE_REQUESTS: usize = 50_000;
/// Model calls the reference sample may make per workflow (a few seconds of one core); beyond
/// it, fewer requests are sampled (down to 1,000).
pub const REFERENCE_CALL_BUDGET: f64 = 2e7;
/// Per-month requests of a workflow below which the limiting shape is not trusted.
pub const MIN_REQUESTS_PER_MONTH: f64 = 1_000.0;
/// Largest skewness of a month's sum of request costs for which the fast engine is accurate.
pub const MAX_MONTHLY_SKEW: f64 = 0.25;
/// Skewness of a stack's month beyond which the fast engine's spread says nothing: a gamma of
/// skewness 2 is an exponential, and beyond it the density is highest at zero, so its low and
/// middle percentiles fall towards $0 whatever the month's real spread (a prompt of
/// `{ p50 = 100, p95 = 100000 }` tokens at 160,000 requests a month gives a p50 of $0 where the
/// mean is $270,000). `auto` then runs neither engine as asked (see [`FastPlan::shapeless`]).
pub const MAX_SHAPE_SKEW: f64 = 2.0;

/// Requests of one workflow and day that incidents repeat.
#[derive(Clone, Copy, Debug, Default)]
struct Repeats {
    /// Requests inside an incident's window.
    affected: u64,
    /// Their runs beyond the first.
    extra_runs: u64,
}

/// Parameters that the expected request of workflow `w` on stack `k` depends on.
fn request_params(s: &Scenario, k: usize, w: usize) -> Vec<&Param> {
    let wf = &s.workflows[w];
    let mut out = vec![
        &wf.semantic_cache_hit_rate,
        &wf.semantic_cache_usd_per_lookup,
    ];
    for step in &wf.steps {
        out.push(&step.cache_hit_rate);
        out.push(&step.aux_usd_per_request);
        out.extend(step.tool_calls.iter().map(|t| &t.usd_per_call));
        for link in &s.stacks[k].chains[step.route].links {
            out.extend([
                &link.validation_failure_rate,
                &link.escalation_rate,
                &link.provider_error_rate,
            ]);
            let m = &s.models[link.model];
            out.extend([
                &m.prices.input,
                &m.prices.output,
                &m.prices.cached_input,
                &m.prices.cache_write,
                &m.batch_discount,
                &m.reasoning,
                &m.image_input,
            ]);
            out.extend(
                [
                    &m.cache_write_1h,
                    &m.input_per_image,
                    &m.audio_input,
                    &m.audio_output,
                ]
                .into_iter()
                .flatten(),
            );
            for lc in &m.long_context {
                out.extend([
                    &lc.prices.input,
                    &lc.prices.output,
                    &lc.prices.cached_input,
                    &lc.prices.cache_write,
                ]);
                out.extend(&lc.cache_write_1h);
                for t in [&lc.priority, &lc.flex].into_iter().flatten() {
                    out.extend(
                        [&t.input, &t.output, &t.cached_input, &t.cache_write]
                            .into_iter()
                            .flatten(),
                    );
                }
            }
            for t in [&m.priority, &m.flex].into_iter().flatten() {
                out.push(&t.unavailable_rate);
                out.extend(
                    [&t.input, &t.output, &t.cached_input, &t.cache_write]
                        .into_iter()
                        .flatten(),
                );
            }
        }
    }
    out
}

/// The costs of incidents' repeats of the reference sample's kept requests of workflow `w`
/// (`n` requests of `calls` model calls, all stacks together), per stack, kept request and
/// repeat: as many repeats as the largest multiplier (its 99.9th percentile) makes, at most 64
/// and within the sample's call budget. Empty where no incident reaches `w`.
fn sample_rewalks(
    s: &Scenario,
    exact: &Plan<'_>,
    draw: &TrialDraw,
    w: usize,
    n: usize,
    calls: f64,
    key: u64,
) -> Vec<Vec<Vec<f64>>> {
    let most = s
        .incidents
        .iter()
        .filter(|i| i.workflows.contains(&w))
        .map(|i| i.multiplier.dist.quantile(0.999).ceil() - 1.0)
        .fold(0.0, f64::max)
        .min(64.0);
    if most < 1.0 {
        return Vec::new();
    }
    let kept: Vec<usize> = (0..n).step_by(kept_stride(n)).collect();
    let affordable = REFERENCE_CALL_BUDGET / (kept.len() as f64 * calls.max(1e-9));
    let rewalks = most.min(affordable.floor()).max(1.0) as u64;
    exact.sample_rewalks(draw, w, &kept, key, rewalks)
}

/// What the fast engine computes once per run.
pub struct FastPlan<'a> {
    s: &'a Scenario,
    segment_workflows: Vec<Vec<usize>>,
    /// Per workflow and stack.
    shapes: Vec<Vec<Shape>>,
    /// Per stack, the skewness of a month's list-price spend at the parameters' means, from each
    /// workflow's requests a month, request variance and skewness.
    month_skew: Vec<f64>,
    /// Per workflow and stack, the expected request and its cost moments when they do not vary
    /// between trials.
    fixed: Vec<Vec<Option<(RequestExpectation, Moments)>>>,
    users_sampled: u64,
    latencies_sampled: usize,
}

impl<'a> FastPlan<'a> {
    pub fn new(s: &'a Scenario, trials: u64, seed: u64) -> Self {
        let exact = Plan::new(s, trials);
        let at_means = TrialDraw::with(s, mix(seed, 0x5245_4645), &|p: &Param| p.mean());
        // The expected request and its cost moments at the parameters' means, per workflow and
        // stack: computed once (the moments of a long agent loop take a while).
        let at_mean: Vec<Vec<(RequestExpectation, Moments)>> = (0..s.workflows.len())
            .map(|w| {
                (0..s.stacks.len())
                    .map(|k| {
                        (
                            request_expectation(s, k, w, &|p| p.mean()),
                            request_moments(s, k, w, &|p| p.mean()),
                        )
                    })
                    .collect()
            })
            .collect();
        let shapes: Vec<Vec<Shape>> = (0..s.workflows.len())
            .map(|w| {
                // Requests whose calls run to thousands (long agent loops with many retries) are
                // sampled fewer times, so that the sample stays within a call budget.
                let calls: f64 = at_mean[w].iter().map(|(e, _)| e.calls).sum();
                let n = if calls > 0.0 {
                    (REFERENCE_CALL_BUDGET / calls).clamp(1_000.0, REFERENCE_REQUESTS as f64)
                        as usize
                } else {
                    REFERENCE_REQUESTS
                };
                let samples = exact.sample_requests(&at_means, w, n, mix(seed, w as u64));
                let mut rewalks =
                    sample_rewalks(s, &exact, &at_means, w, n, calls, mix(seed, w as u64));
                samples
                    .into_iter()
                    .enumerate()
                    .map(|(k, sample)| {
                        let mut shape = shape(sample);
                        if let Some(r) = rewalks.get_mut(k) {
                            shape.set_rewalks(std::mem::take(r));
                        }
                        // A sample under-reaches a heavy tail's skewness (n draws cannot show
                        // more than √n); the token distributions' closed form does not.
                        let closed = at_mean[w][k].1.closed_form_skewness();
                        if closed.is_finite() && closed > shape.skew {
                            shape.skew = closed;
                        }
                        shape
                    })
                    .collect()
            })
            .collect();
        let fixed = (0..s.workflows.len())
            .map(|w| {
                (0..s.stacks.len())
                    .map(|k| {
                        request_params(s, k, w)
                            .iter()
                            .all(|p| p.is_fixed())
                            .then(|| at_mean[w][k].clone())
                    })
                    .collect()
            })
            .collect();
        let month_skew = (0..s.stacks.len())
            .map(|k| {
                let (mut k2, mut k3) = (0.0, 0.0);
                for (w, shapes) in shapes.iter().enumerate() {
                    let n = crate::model::traffic::workflow_requests_per_month(s, w);
                    let var = at_mean[w][k].1.variance();
                    k2 += n * var;
                    k3 += n * shapes[k].skew * var.powf(1.5);
                }
                if k2 > 0.0 { k3 / k2.powf(1.5) } else { 0.0 }
            })
            .collect();
        let months = trials.max(1) * u64::from(s.simulation.months);
        FastPlan {
            month_skew,
            s,
            segment_workflows: (0..s.segments.len())
                .map(|i| {
                    (0..s.workflows.len())
                        .filter(|w| s.workflows[*w].segments.contains(&i))
                        .collect()
                })
                .collect(),
            shapes,
            fixed,
            users_sampled: super::exact::samples_per_month(
                super::exact::USER_SAMPLE_BUDGET,
                s.stacks.len() * s.segments.len(),
                months,
            ),
            latencies_sampled: super::exact::samples_per_month(
                super::exact::LATENCY_SAMPLE_BUDGET,
                s.stacks.len() * s.workflows.len(),
                months,
            ) as usize,
        }
    }

    /// Latencies in the reference sample of workflow `w` on stack `k`, from which each month's
    /// latencies are drawn: their percentiles carry that sample's error.
    pub fn reference_latencies(&self, w: usize, k: usize) -> usize {
        self.shapes[w][k].latencies.len()
    }

    /// Why the limiting shapes cannot be trusted for this scenario's traffic, if they cannot.
    pub fn inaccurate(&self) -> Option<String> {
        let s = self.s;
        for (w, wf) in s.workflows.iter().enumerate() {
            let requests = crate::model::traffic::workflow_requests_per_month(s, w);
            if requests < MIN_REQUESTS_PER_MONTH {
                return Some(format!(
                    "workflow `{}` has about {requests:.0} requests a month, too few for the limiting shape",
                    wf.name
                ));
            }
            for (k, shape) in self.shapes[w].iter().enumerate() {
                let skew = shape.skew / requests.sqrt();
                if skew > MAX_MONTHLY_SKEW {
                    return Some(format!(
                        "request costs of workflow `{}` on stack `{}` are so heavy-tailed (skewness {}) that a month's {requests:.0} requests do not yet sum to a smooth shape",
                        wf.name,
                        s.stacks[k].name,
                        if shape.skew < 1e4 {
                            format!("{:.1}", shape.skew)
                        } else {
                            format!("{:.1e}", shape.skew)
                        }
                    ));
                }
            }
        }
        super::support::contract_split(s)
    }

    /// Why the fast engine's spread of a stack's month says nothing at all, if it does not: the
    /// month's skewness is beyond [`MAX_SHAPE_SKEW`] (its percentiles, breach probability and
    /// alerts would be those of a shape with its mass at zero). Its means are still exact.
    pub fn shapeless(&self) -> Option<String> {
        self.month_skew
            .iter()
            .enumerate()
            .find(|(_, skew)| **skew > MAX_SHAPE_SKEW)
            .map(|(k, skew)| {
                format!(
                    "a month's spend on stack `{}` is so skewed (skewness {}) that its limiting shape has its mass at $0",
                    self.s.stacks[k].name,
                    if *skew < 1e4 {
                        format!("{skew:.1}")
                    } else {
                        format!("{skew:.1e}")
                    }
                )
            })
    }

    /// Simulate trial `trial` of the run seeded with `seed`.
    pub fn run_trial(&self, seed: u64, trial: u64) -> TrialOutcome {
        let s = self.s;
        let key = super::rng::trial_key(seed, trial);
        let draw_ = TrialDraw::new(s, key);
        let val = |p: &Param| draw(p, key);
        let expectations: Vec<Vec<(RequestExpectation, Moments)>> = (0..s.workflows.len())
            .map(|w| {
                (0..s.stacks.len())
                    .map(|k| match &self.fixed[w][k] {
                        Some(e) => e.clone(),
                        None => (
                            request_expectation(s, k, w, &val),
                            request_moments(s, k, w, &val),
                        ),
                    })
                    .collect()
            })
            .collect();
        TrialOutcome {
            months: (0..s.simulation.months)
                .map(|m| self.run_month(&draw_, m, &expectations))
                .collect(),
        }
    }

    fn run_month(
        &self,
        draw: &TrialDraw,
        m: u32,
        exp: &[Vec<(RequestExpectation, Moments)>],
    ) -> MonthOutcome {
        let s = self.s;
        let days = s.simulation.days as usize;
        let key = draw.month_key(m);
        let mut rng = stream(mix(key, 0x4641_5354)); // "FAST"
        let users: Vec<u64> = draw.segments.iter().map(|d| d.users_in_month(m)).collect();
        let incidents = draw.incidents_in_month(m, s.simulation.days);
        let season = draw.season(m);

        // 1. Sessions per segment and day: Gamma-Poisson total, multinomial days.
        let sessions: Vec<Vec<u64>> = draw
            .segments
            .iter()
            .zip(&users)
            .map(|(seg, &n)| {
                let lambda = seg.sessions_per_user * season;
                let total = if n == 0 || lambda <= 0.0 {
                    0
                } else {
                    let mean = if seg.user_variability > 0.0 {
                        let cv2 = seg.user_variability * seg.user_variability;
                        gamma(n as f64 / cv2, lambda * cv2, &mut rng)
                    } else {
                        n as f64 * lambda
                    };
                    poisson(mean, &mut rng)
                };
                multinomial(total, &seg.day_share, &mut rng)
            })
            .collect();

        // 2. Requests per workflow and day.
        let requests: Vec<Vec<u64>> = s
            .workflows
            .iter()
            .enumerate()
            .map(|(w, wf)| {
                (0..days)
                    .map(|d| {
                        wf.segments
                            .iter()
                            .filter(|&&seg| self.segment_workflows[seg].contains(&w))
                            .map(|&seg| {
                                requests_of(&wf.requests_per_session, sessions[seg][d], &mut rng)
                            })
                            .fold(0, u64::saturating_add)
                    })
                    .collect()
            })
            .collect();

        // 3. The noise of each (workflow, day), common to every stack.
        let z: Vec<Vec<f64>> = (0..s.workflows.len())
            .map(|_| {
                (0..days)
                    .map(|_| rng.sample(rand_distr::StandardNormal))
                    .collect()
            })
            .collect();
        // Requests repeated by incidents, per workflow and day. A request inside several windows
        // runs as many times as the largest multiplier among them says (as in the exact engine,
        // whose rounding of a fractional multiplier shares one uniform across incidents), so the
        // day's requests are split by the largest-multiplier incident that catches them.
        let repeated: Vec<Vec<Repeats>> = (0..s.workflows.len())
            .map(|w| {
                let mut covering: Vec<&IncidentMonth> = incidents
                    .iter()
                    .filter(|i| i.happened && i.workflows.contains(&w))
                    .collect();
                covering.sort_by(|a, b| b.multiplier.total_cmp(&a.multiplier));
                (0..days)
                    .map(|d| {
                        let mut left = requests[w][d];
                        let mut out = Repeats::default();
                        for inc in &covering {
                            let overlap = inc.day_overlap[d].min(1.0);
                            if overlap <= 0.0 || left == 0 {
                                continue;
                            }
                            let caught = binomial(left, overlap, &mut rng);
                            left -= caught;
                            // Runs per caught request: the multiplier rounded at random.
                            let m = inc.multiplier.max(1.0);
                            let runs = caught
                                .saturating_mul(m.floor() as u64)
                                .saturating_add(binomial(caught, m - m.floor(), &mut rng));
                            out.affected += caught;
                            out.extra_runs += runs - caught;
                        }
                        out
                    })
                    .collect()
            })
            .collect();

        let stacks = (0..s.stacks.len())
            .map(|k| {
                self.stack_month(
                    draw,
                    key,
                    k,
                    exp,
                    &requests,
                    &repeated,
                    &z,
                    &users,
                    season,
                    &mut small(mix(key, 0x5553_4552 + k as u64)),
                )
            })
            .collect();
        MonthOutcome {
            users,
            incidents: incidents.iter().map(|i| i.happened).collect(),
            stacks,
        }
    }

    /// One stack's month: each day's list cost, then the invoice day by day.
    ///
    /// Long, and one function on purpose: the days' costs, their split by model and class, and
    /// the invoice applied day by day in calendar order fill one set of month accumulators that
    /// must see every day in the same order as the exact engine's requests; pieces would each
    /// take most of those accumulators as arguments.
    #[allow(clippy::too_many_arguments)]
    fn stack_month<R: Rng + ?Sized>(
        &self,
        draw: &TrialDraw,
        month_key: u64,
        k: usize,
        exp: &[Vec<(RequestExpectation, Moments)>],
        requests: &[Vec<u64>],
        repeated: &[Vec<Repeats>],
        z: &[Vec<f64>],
        users: &[u64],
        season: f64,
        rng: &mut R,
    ) -> StackTrial {
        let s = self.s;
        let days = s.simulation.days as usize;
        let nw = s.workflows.len();
        let nm = s.models.len();
        let mut out = StackTrial {
            workflow_spend: vec![0.0; nw],
            workflow_requests: vec![0; nw],
            workflow_accepted: vec![0; nw],
            workflow_failed: vec![0; nw],
            model_spend: vec![0.0; nm],
            tools: vec![ToolUse::default(); s.tools.len()],
            daily: vec![0.0; days],
            user_costs: vec![Vec::new(); s.segments.len()],
            contracts: vec![ContractMonth::default(); s.contracts.len()],
            latency_ms: vec![Vec::new(); nw],
            ..StackTrial::default()
        };
        let model_contract: Vec<Option<usize>> = draw
            .model_contract
            .iter()
            .map(|c| c.filter(|&c| s.contract_applies(k, c)))
            .collect();
        let contract_active: Vec<bool> = (0..s.contracts.len())
            .map(|c| s.contract_applies(k, c))
            .collect();
        let hard_cap = s.budget.as_ref().and_then(|b| b.hard_cap_usd);
        // Only the stack's own models are ever billed (the others' amounts are all 0, and
        // billing 0 changes nothing): with many models in the scenario the day loops visit the
        // few this stack calls.
        let used = s.stacks[k].models();
        let mut state = PriceState::new(used.clone(), s.contracts.len());
        let mut trial = state.clone();
        let mut classes = [0.0; CostBreakdown::LEN];
        let mut tokens = [0.0; Tokens::LEN];
        // Per-day buffers, reused.
        let mut list = vec![0.0; nw];
        let mut model_list = vec![0.0; nm];
        let mut model_tok = vec![0.0; nm];
        let mut after_tiers = vec![0.0; nm];
        let mut billed_model = vec![0.0; nm];
        let mut model_ratio = vec![0.0; nm];
        // Per workflow, the month's list cost of the first runs and of the repeats the hard cap
        // served: what sampled users' served requests are billed against.
        let mut first_total = vec![0.0; nw];
        let mut again_total = vec![0.0; nw];
        // The day's list cost of first runs and of repeats, per workflow; the share of each day
        // that the hard cap served.
        let mut first_day = vec![0.0; nw];
        let mut again_day = vec![0.0; nw];
        let mut served_by_day = vec![1.0; days];
        // Bill a share of the day from the state before it into `trial`.
        let bill_day = |trial: &mut PriceState,
                        state: &PriceState,
                        served: f64,
                        fees: f64,
                        model_list: &[f64],
                        model_tok: &[f64],
                        after_tiers: &mut [f64],
                        billed_model: &mut [f64]| {
            trial.clone_from(state);
            trial.other_billed += served * fees;
            for &mi in &used {
                (after_tiers[mi], billed_model[mi]) = trial.bill(
                    s,
                    &draw.contracts,
                    &model_contract,
                    mi,
                    served * model_list[mi],
                    served * model_tok[mi],
                );
            }
        };
        let mut capped = false;
        // Counts drawn per day from their own generator, so that the sampled users and latencies
        // do not depend on them.
        let mut counts_rng = small(mix(month_key, 0x434f_554e + k as u64)); // "COUN"
        // Per workflow, the day's list cost of first runs and of incident repeats, in units of the
        // expected request and of the expected repeated run.
        let mut units = vec![(0.0, 0.0); nw];
        for d in 0..days {
            // The day's list cost of each workflow, before the invoice.
            for w in 0..nw {
                let (e, moments) = &exp[w][k];
                let shape = &self.shapes[w][k];
                let rep = repeated[w][d];
                let sd = moments.variance().sqrt();
                let first = sum_of(requests[w][d], e.cost, sd, shape.skew, z[w][d]);
                // Repeated runs: the request's cost less its lookup fee (paid once), with the same
                // spread; summed as independent requests (they share only the prompt).
                let run_cost = e.cost - e.lookup_usd;
                let again = sum_of(rep.extra_runs, run_cost, sd, shape.skew, z[w][d]);
                list[w] = first + again;
                first_day[w] = first;
                again_day[w] = again;
                units[w] = (
                    if e.cost > 0.0 { first / e.cost } else { 0.0 },
                    if run_cost > 0.0 {
                        again / run_cost
                    } else {
                        0.0
                    },
                );
            }
            // Price the day: tiers on list price, then contracts.
            model_list.fill(0.0);
            model_tok.fill(0.0);
            let mut fees = 0.0;
            for w in 0..nw {
                let e = &exp[w][k].0;
                let (q, q_again) = units[w];
                for &mi in &used {
                    model_list[mi] += (q + q_again) * e.model_usd[mi];
                    model_tok[mi] += (q + q_again) * e.model_tokens[mi];
                }
                let per_request = e.class_usd[CostClass::ToolFees.index()]
                    + e.class_usd[CostClass::AuxFees.index()];
                fees += q * per_request + q_again * (per_request - e.lookup_usd);
            }
            let before = state.committed_spend(&draw.contracts, &contract_active);
            // Bill a share of the day into `trial`: the committed spend after it, its billed dollars.
            let mut spend_with = |share: f64| {
                bill_day(
                    &mut trial,
                    &state,
                    share,
                    fees,
                    &model_list,
                    &model_tok,
                    &mut after_tiers,
                    &mut billed_model,
                );
                let billed = billed_model.iter().sum::<f64>() + share * fees;
                (
                    trial.committed_spend(&draw.contracts, &contract_active),
                    billed,
                )
            };
            let after = spend_with(1.0).0;
            // The hard cap: serve the share of the day that fits, then refuse the rest.
            let mut served = 1.0;
            if let Some(cap) = hard_cap {
                if capped {
                    served = 0.0;
                } else if after > cap {
                    // The request that does not fit leaves a gap below the cap: a uniform share
                    // of a request drawn in proportion to its cost, of a workflow drawn in
                    // proportion to its share of the day's dollars (see `Shape::size_biased`),
                    // at the day's billed dollars per list dollar, as when the exact engine
                    // refuses it.
                    let day_list: f64 = list.iter().sum();
                    let mut gap_rng = small(mix(month_key, 0x4341_5047 + k as u64)); // "CAPG"
                    let mut at = gap_rng.random::<f64>() * day_list;
                    let w = (0..nw)
                        .find(|&w| {
                            at -= list[w];
                            at < 0.0
                        })
                        .unwrap_or(nw - 1);
                    let request = if day_list > 0.0 {
                        let e = &exp[w][k].0;
                        self.shapes[w][k].size_biased(gap_rng.random::<f64>())
                            * e.cost
                            * (after - before)
                            / day_list
                    } else {
                        0.0
                    };
                    let target = cap - gap_rng.random::<f64>() * request;
                    served = if after > before {
                        ((target - before) / (after - before)).clamp(0.0, 1.0)
                    } else {
                        0.0
                    };
                    // Spend grows with the served share but not in proportion: a volume tier
                    // crossed during the day lowers the price of what follows, so the
                    // proportional share can overshoot the cap. Bisect for the largest share
                    // that stays within the target.
                    if spend_with(served).0 > target {
                        let (mut lo, mut hi) = (0.0, served);
                        for _ in 0..60 {
                            let mid = 0.5 * (lo + hi);
                            if spend_with(mid).0 <= target {
                                lo = mid;
                            } else {
                                hi = mid;
                            }
                        }
                        served = lo;
                    }
                    capped = true;
                    out.cap_hit_day = Some(d as u32 + 1);
                }
            }
            served_by_day[d] = served;
            for w in 0..nw {
                first_total[w] += served * first_day[w];
                again_total[w] += served * again_day[w];
            }
            if served < 1.0 {
                out.rejected_usd += refused_at_margin(&mut spend_with, served);
            }
            for (spent, billed) in out.model_spend.iter_mut().zip(&billed_model) {
                *spent += billed;
            }
            std::mem::swap(&mut state, &mut trial);
            let day_billed: f64 = billed_model.iter().sum::<f64>() + served * fees;
            out.daily[d] = day_billed;
            let model_list_total: f64 = served * model_list.iter().sum::<f64>();
            let after_total: f64 = after_tiers.iter().sum();
            classes[CostClass::VolumeDiscount.index()] += after_total - model_list_total;
            classes[CostClass::ContractDiscount.index()] +=
                billed_model.iter().sum::<f64>() - after_total;
            // What each model's served list dollars were billed, after volume tiers and its
            // contract: a workflow's billed dollars follow its own models, not the day's mix.
            for mi in 0..nm {
                let listed = served * model_list[mi];
                model_ratio[mi] = if listed > 0.0 {
                    billed_model[mi] / listed
                } else {
                    0.0
                };
            }
            for w in 0..nw {
                let e = &exp[w][k].0;
                let n = requests[w][d];
                // The served requests: the share of the day that fits under the cap, rounded at
                // random so that the mean is kept.
                let n_served = if served >= 1.0 {
                    n
                } else {
                    round_random(served * n as f64, &mut counts_rng).min(n)
                };
                out.requests = out.requests.saturating_add(n);
                out.rejected = out.rejected.saturating_add(n - n_served);
                out.workflow_requests[w] = out.workflow_requests[w].saturating_add(n);
                // Each request is accepted, escalated or answered by the semantic cache
                // independently given the trial's parameters: binomial counts.
                let accepted = binomial(n_served, e.accepted, &mut counts_rng);
                out.accepted = out.accepted.saturating_add(accepted);
                out.workflow_accepted[w] = out.workflow_accepted[w].saturating_add(accepted);
                out.workflow_failed[w] = out.workflow_failed[w].saturating_add(n_served - accepted);
                out.escalated =
                    out.escalated
                        .saturating_add(binomial(n_served, e.escalated, &mut counts_rng));
                out.semantic_hits = out.semantic_hits.saturating_add(binomial(
                    n_served,
                    e.semantic_hit,
                    &mut counts_rng,
                ));
                // A prompt beyond a model's input window: the provider refuses it and the request
                // fails there, once per request.
                out.window_refused = out.window_refused.saturating_add(binomial(
                    n_served,
                    e.window_refused,
                    &mut counts_rng,
                ));
                // Calls of the served requests, their incident repeats included: the expected
                // number rounded at random; errors and flex refusals among them binomial.
                let runs = n_served as f64 + served * repeated[w][d].extra_runs as f64;
                let calls = round_random(runs * e.calls, &mut counts_rng);
                out.calls = out.calls.saturating_add(calls);
                let share = |x: f64| if e.calls > 0.0 { x / e.calls } else { 0.0 };
                out.errored_calls = out.errored_calls.saturating_add(binomial(
                    calls,
                    share(e.errored_calls),
                    &mut counts_rng,
                ));
                let flex = binomial(calls, share(e.flex_calls), &mut counts_rng);
                out.flex_calls = out.flex_calls.saturating_add(flex);
                let refused = if e.flex_calls > 0.0 {
                    e.flex_refused / e.flex_calls
                } else {
                    0.0
                };
                out.flex_refused =
                    out.flex_refused
                        .saturating_add(binomial(flex, refused, &mut counts_rng));
                // Amounts in proportion to the day's list cost: first runs at the expected
                // request's mix, repeats at the repeated run's (no second lookup fee).
                let (q, q_again) = units[w];
                let (q, q_again) = (served * q, served * q_again);
                for (c, x) in e
                    .class_usd
                    .iter()
                    .enumerate()
                    .take(CostClass::ToolFees.index() + 2)
                {
                    let again = if c == CostClass::AuxFees.index() {
                        x - e.lookup_usd
                    } else {
                        *x
                    };
                    classes[c] += q * x + q_again * again;
                }
                for (t, x) in tokens.iter_mut().zip(&e.tokens) {
                    *t += (q + q_again) * x;
                }
                for (tool, &(calls, usd)) in out.tools.iter_mut().zip(&e.tools) {
                    tool.calls += (q + q_again) * calls;
                    tool.usd += (q + q_again) * usd;
                }
                // Billed dollars: token dollars at their models' ratios, fees at list price.
                let per_request_fees = e.class_usd[CostClass::ToolFees.index()]
                    + e.class_usd[CostClass::AuxFees.index()];
                let tokens_billed: f64 = e
                    .model_usd
                    .iter()
                    .zip(&model_ratio)
                    .map(|(x, r)| x * r)
                    .sum();
                let billed_first = q * (tokens_billed + per_request_fees);
                let billed_again = q_again * (tokens_billed + per_request_fees - e.lookup_usd);
                let billed = billed_first + billed_again;
                // Retries and escalations at their own models' ratios: an escalation often
                // goes to a model that another contract covers, or none.
                let retry_tokens: f64 = e
                    .retry_model_usd
                    .iter()
                    .zip(&model_ratio)
                    .map(|(x, r)| x * r)
                    .sum();
                out.retry_spend += (q + q_again) * (retry_tokens + e.retry_fees_usd);
                out.workflow_spend[w] += billed;
                out.incident_extra += billed_again;
            }
        }
        // The month's close: unused commitments.
        let (contracts, unused) = state.close(&draw.contracts, &contract_active);
        out.contracts = contracts;
        if unused > 0.0 {
            out.daily[days - 1] += unused;
            classes[CostClass::UnusedCommitment.index()] += unused;
        }
        out.spend = out.daily.iter().sum();
        out.cost_by_class = CostBreakdown::from_array(classes);
        out.tokens = Tokens::from_array(tokens);
        out.review_usd = review_usd(draw, &out.workflow_accepted, &out.workflow_failed);
        // A user's served requests are billed what their workflow's served requests were on
        // average, after tiers and contracts (an unused commitment is no user's request); a
        // session is served as its day was under the hard cap, and incident repeats are drawn per
        // request, on the day each session falls.
        let users_month = UsersMonth {
            billed_per_list: (0..nw)
                .map(|w| {
                    let listed = first_total[w] + again_total[w];
                    if listed > 0.0 {
                        out.workflow_spend[w] / listed
                    } else {
                        0.0
                    }
                })
                .collect(),
            served: if served_by_day.iter().any(|&x| x < 1.0) {
                served_by_day
            } else {
                Vec::new()
            },
            repeat_factor: (0..nw)
                .map(|w| {
                    if first_total[w] > 0.0 {
                        1.0 + again_total[w] / first_total[w]
                    } else {
                        1.0
                    }
                })
                .collect(),
            repeats: (0..nw)
                .map(|w| {
                    repeated[w]
                        .iter()
                        .zip(&requests[w])
                        .map(|(r, &n)| {
                            if r.affected == 0 {
                                (0.0, 0.0)
                            } else {
                                (
                                    r.affected as f64 / n as f64,
                                    r.extra_runs as f64 / r.affected as f64,
                                )
                            }
                        })
                        .collect()
                })
                .collect(),
        };
        SampledUsers {
            s,
            segment_workflows: &self.segment_workflows,
            shapes: &self.shapes,
            users_sampled: self.users_sampled,
        }
        .sample_users(draw, k, exp, users, season, &users_month, &mut out, rng);
        for (w, wf) in s.workflows.iter().enumerate() {
            let shape = &self.shapes[w][k];
            if shape.latencies.is_empty() || wf.path == crate::model::RequestPath::Batch {
                continue;
            }
            let n = self
                .latencies_sampled
                .min(out.workflow_requests[w] as usize);
            out.latency_ms[w] = (0..n)
                .map(|_| shape.latencies[rng.random_range(0..shape.latencies.len())])
                .collect();
        }
        out
    }
}
