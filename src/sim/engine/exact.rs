//! The exact engine: every user, session, request and model call of a month, simulated one by one.
//!
//! It is the reference the fast engine is tested against, so it follows the format's semantics
//! literally. A month is simulated in the order its traffic arrives: users' sessions are drawn
//! (Gamma activity multiplier, Poisson or fixed arrivals, a day for each), sorted by day, and
//! processed day by day, so that what depends on the month so far — graduated volume tiers,
//! committed-use contracts, the hard cap, incident windows — sees requests in calendar order
//! (within a day, in random order, so that no segment or user is served first). Each request draws its prompt once, walks its route's chain
//! (provider errors, validation retries, escalation, agent loops), is priced, and is then either
//! billed or, past the hard cap, rejected. Memory per month is one record per session; nothing
//! per request outlives the request.

use rand::{Rng, RngExt};
use rand_distr::Distribution;

use super::draw::stochastic_round;
use super::draw::{IncidentMonth, LinkDraw, TrialDraw, poisson, round_random, snap};
use super::outcome::{MonthOutcome, TrialOutcome};
use super::policy::Effect;
use super::rng::{Keyed, label, mix, stream};
use super::stack_month::{CallRec, StackAcc, Tally};
use crate::billing::call::{self, CallLines, CallRule};
use crate::billing::classes::Meter;
use crate::model::{Arrivals, RequestPath, Scenario, ServiceTier, Step};

pub use super::samples::{
    LATENCY_SAMPLE_BUDGET, RUN_SAMPLE_BUDGET, USER_SAMPLE_BUDGET, samples_per_month,
};

/// The golden-ratio conjugate: phases `frac(0.5 + u·φ)` spread users' fixed arrivals evenly.
const GOLDEN: f64 = 0.618_033_988_749_894_9;

/// Scenario facts computed once per run.
pub struct Plan<'a> {
    pub scenario: &'a Scenario,
    /// Workflows each segment's sessions trigger.
    segment_workflows: Vec<Vec<usize>>,
    /// Users per segment whose monthly cost is recorded in each month (for the per-user spread).
    users_sampled: u64,
    /// Requests per workflow whose latency is recorded in each month.
    latencies_sampled: usize,
    max_steps: usize,
}

impl<'a> Plan<'a> {
    pub fn new(scenario: &'a Scenario, trials: u64) -> Self {
        let segment_workflows = (0..scenario.segments.len())
            .map(|s| {
                scenario
                    .workflows
                    .iter()
                    .enumerate()
                    .filter(|(_, w)| w.segments.contains(&s))
                    .map(|(i, _)| i)
                    .collect()
            })
            .collect();
        let months = trials.max(1) * u64::from(scenario.simulation.months);
        Plan {
            scenario,
            segment_workflows,
            users_sampled: samples_per_month(
                USER_SAMPLE_BUDGET,
                scenario.stacks.len() * scenario.segments.len(),
                months,
            ),
            latencies_sampled: samples_per_month(
                LATENCY_SAMPLE_BUDGET,
                scenario.stacks.len() * scenario.workflows.len(),
                months,
            ) as usize,
            max_steps: scenario
                .workflows
                .iter()
                .map(|w| w.steps.len())
                .max()
                .unwrap_or(0),
        }
    }

    /// Simulate trial `trial` of the run seeded with `seed`: every month of its horizon.
    pub fn run_trial(&self, seed: u64, trial: u64) -> TrialOutcome {
        let key = super::rng::trial_key(seed, trial);
        let draw = TrialDraw::new(self.scenario, key);
        TrialOutcome {
            months: (0..self.scenario.simulation.months)
                .map(|m| self.run_month(&draw, m))
                .collect(),
        }
    }

    /// Simulate month `m` of a trial with the given parameter draws; with budget policies, the
    /// same month is simulated again without them, for its spend.
    pub fn run_month(&self, draw: &TrialDraw, m: u32) -> MonthOutcome {
        MonthOutcome::with_and_without(self.scenario, |on| self.run_month_with(draw, m, on))
    }

    fn run_month_with(&self, draw: &TrialDraw, m: u32, policies: bool) -> MonthOutcome {
        let s = self.scenario;
        let days = s.simulation.days;
        let key = draw.month_key(m);
        let users: Vec<u64> = draw.segments.iter().map(|d| d.users_in_month(m)).collect();
        let incidents = draw.incidents_in_month(m, days);
        let sessions = self.sessions(draw, m, key, &users);
        let user_costs = (0..s.stacks.len())
            .map(|_| {
                users
                    .iter()
                    .map(|&u| vec![0.0; self.users_sampled.min(u) as usize])
                    .collect()
            })
            .collect();
        let mut month = Month::new(self, draw, &incidents, user_costs, None);
        month.policies = policies && !s.policies.is_empty();
        let at = sessions.iter().map(|x| (x.segment, x.day));
        month.quota.start(s, key, at);
        for session in &sessions {
            month.session(session);
        }
        let mut quota = month.quota.finish(s.stacks.len()).into_iter();
        let Month {
            stacks, user_costs, ..
        } = month;
        MonthOutcome {
            users: users.clone(),
            incidents: incidents.iter().map(|i| i.happened).collect(),
            stacks: stacks
                .into_iter()
                .zip(user_costs)
                .map(|(acc, users)| acc.finish(draw, days, users).with_quota(quota.next()))
                .collect(),
        }
    }

    /// A month of `draw` without incidents or users' costs, whose requests are captured
    /// (room for `capacity` per stack) rather than billed to a month.
    fn sampling_month<'p>(&'p self, draw: &'p TrialDraw, capacity: usize) -> Month<'p, 'a> {
        let s = self.scenario;
        Month::new(
            self,
            draw,
            &[],
            vec![vec![Vec::new(); s.segments.len()]; s.stacks.len()],
            Some(vec![Vec::with_capacity(capacity); s.stacks.len()]),
        )
    }

    /// List-price cost and latency of `n` requests of workflow `w`, for every stack, with the
    /// parameters of `draw`; requests are independent of each other and of any month.
    pub fn sample_requests(
        &self,
        draw: &TrialDraw,
        w: usize,
        n: usize,
        key: u64,
    ) -> Vec<Vec<RequestSample>> {
        let mut month = self.sampling_month(draw, n);
        let session = Session::default();
        for i in 0..n {
            month.request(w, &session, mix(key, i as u64));
        }
        month.capture.take().unwrap_or_default()
    }

    /// For each request `i` of `indices` in the sample that [`Plan::sample_requests`] draws
    /// with the same `draw`, `w` and `key`, the list-price cost of `rewalks` repeats of it on
    /// every stack, as an incident repeats a request: the chain walked again with the same step
    /// inputs (prompt, retrieval, images), each walk with its own outcomes, without a second
    /// semantic-cache lookup. Per stack, per request, per repeat.
    pub fn sample_rewalks(
        &self,
        draw: &TrialDraw,
        w: usize,
        indices: &[usize],
        key: u64,
        rewalks: u64,
    ) -> Vec<Vec<Vec<f64>>> {
        let s = self.scenario;
        let mut month = self.sampling_month(draw, 0);
        month.rewalks = Some((
            rewalks,
            vec![Vec::with_capacity(indices.len()); s.stacks.len()],
        ));
        let session = Session::default();
        for &i in indices {
            month.request(w, &session, mix(key, i as u64));
        }
        month.rewalks.take().map(|(_, r)| r).unwrap_or_default()
    }

    /// Every session of the month, in day order (in random order within a day).
    fn sessions(&self, draw: &TrialDraw, m: u32, key: u64, users: &[u64]) -> Vec<Session> {
        let s = self.scenario;
        let days = s.simulation.days as usize;
        let season = draw.season(m);
        let mut sessions = Vec::new();
        for (si, seg) in draw.segments.iter().enumerate() {
            if self.segment_workflows[si].is_empty() || users[si] == 0 {
                continue;
            }
            let mut rng = stream(mix(key, s.segments[si].users.key));
            let activity = (seg.user_variability > 0.0).then(|| {
                let cv2 = seg.user_variability * seg.user_variability;
                rand_distr::Gamma::new(1.0 / cv2, cv2).expect("validated coefficient of variation")
            });
            let sampled = self.users_sampled.min(users[si]);
            for user in 0..users[si] {
                let multiplier = activity.as_ref().map_or(1.0, |g| g.sample(&mut rng));
                let expected = seg.sessions_per_user * season * multiplier;
                let slot = if user < sampled {
                    user as u32
                } else {
                    u32::MAX
                };
                let mut push = |day: usize, rng: &mut rand::rngs::ChaCha8Rng| {
                    sessions.push(Session {
                        day: day as u16,
                        segment: si as u16,
                        user_slot: slot,
                        key: rng.next_u64(),
                    })
                };
                match draw.arrivals {
                    Arrivals::Poisson => {
                        for _ in 0..poisson(expected, &mut rng) {
                            let u: f64 = rng.random();
                            let day = seg
                                .day_cumulative
                                .partition_point(|&c| c <= u)
                                .min(days - 1);
                            push(day, &mut rng);
                        }
                    }
                    Arrivals::Fixed => {
                        let phase = (0.5 + user as f64 * GOLDEN).fract();
                        let mut before = 0u64;
                        for (day, cum) in seg.day_cumulative.iter().enumerate() {
                            let through = (snap(expected * cum) + phase).floor() as u64;
                            for _ in before..through {
                                push(day, &mut rng);
                            }
                            before = through.max(before);
                        }
                    }
                }
            }
        }
        // Counting sort by day.
        let mut counts = vec![0usize; days + 1];
        for sess in &sessions {
            counts[sess.day as usize + 1] += 1;
        }
        for d in 0..days {
            counts[d + 1] += counts[d];
        }
        let mut ordered = vec![Session::default(); sessions.len()];
        for sess in sessions {
            let at = &mut counts[sess.day as usize];
            ordered[*at] = sess;
            *at += 1;
        }
        // In random order within a day: no segment or user is always served first under a cap.
        let mut rng = stream(mix(key, 0x004f_5244_4552)); // "ORDER"
        let mut start = 0;
        for &end in &counts[..days] {
            let day = &mut ordered[start..end];
            for i in (1..day.len()).rev() {
                day.swap(i, rng.random_range(0..=i));
            }
            start = end;
        }
        ordered
    }
}

/// A request's list-price cost and, when modelled, its latency in milliseconds.
pub type RequestSample = (f64, Option<f64>);

/// One session of one user.
#[derive(Clone, Copy, Debug, Default)]
struct Session {
    day: u16,
    segment: u16,
    /// The user's slot among the sampled users of the segment, or `u32::MAX`.
    user_slot: u32,
    key: u64,
}

/// What one request sends at one step, drawn once and resent by every retry.
#[derive(Clone, Copy, Debug, Default)]
struct StepInput {
    prefix: f64,
    /// Variable prompt plus retrieved chunks.
    variable: f64,
    images: f64,
    image_tokens: f64,
    audio_input: f64,
    /// Calls of the step in this request (agent loops); 1 for an ordinary step.
    calls: u64,
    /// Tokens each further call of a loop adds to the variable input.
    growth: f64,
}

impl StepInput {
    /// The whole input, which decides the long-context tier.
    fn total(&self) -> f64 {
        self.prefix + self.variable + self.image_tokens + self.audio_input
    }
}

/// One month in progress.
struct Month<'p, 'a> {
    plan: &'p Plan<'a>,
    draw: &'p TrialDraw,
    incidents: &'p [IncidentMonth],
    stacks: Vec<StackAcc>,
    inputs: Vec<StepInput>,
    /// Per step of the current request, calls of each of the step's tools per attempt.
    tool_counts: Vec<Vec<f64>>,
    tally: Tally,
    /// Per stack and segment, the month's cost of each sampled user.
    user_costs: Vec<Vec<Vec<f64>>>,
    /// When set, requests are not billed: each stack's list-price cost and latency are recorded
    /// here instead (reference samples for the fast engine).
    capture: Option<Vec<Vec<RequestSample>>>,
    /// Whether the budget policies act (off for the month without them, and for samples).
    policies: bool,
    /// Each request's minute, and the rate-limit quotas' minutes of the month.
    quota: super::quota::QuotaState,
    /// When set with capture: every request runs this many times more, and each stack's
    /// list-price cost of each repeat is recorded here, per request.
    rewalks: Option<(u64, Vec<Vec<Vec<f64>>>)>,
}

impl<'p, 'a> Month<'p, 'a> {
    fn new(
        plan: &'p Plan<'a>,
        draw: &'p TrialDraw,
        incidents: &'p [IncidentMonth],
        user_costs: Vec<Vec<Vec<f64>>>,
        capture: Option<Vec<Vec<RequestSample>>>,
    ) -> Self {
        let s = plan.scenario;
        Month {
            plan,
            draw,
            incidents,
            stacks: (0..s.stacks.len())
                .map(|k| StackAcc::new(s, draw, k))
                .collect(),
            inputs: vec![StepInput::default(); plan.max_steps],
            tool_counts: vec![Vec::new(); plan.max_steps],
            tally: Tally::default(),
            user_costs,
            capture,
            policies: false,
            quota: Default::default(),
            rewalks: None,
        }
    }
}

impl Month<'_, '_> {
    fn session(&mut self, sess: &Session) {
        let plan = self.plan;
        let mut rng = Keyed::new(sess.key);
        for &w in &plan.segment_workflows[sess.segment as usize] {
            let x = plan.scenario.workflows[w]
                .requests_per_session
                .sample(&mut rng);
            for _ in 0..round_random(x, &mut rng) {
                let key = rng.next_u64();
                self.request(w, sess, key);
            }
        }
    }

    fn request(&mut self, w: usize, sess: &Session, key: u64) {
        let s = self.plan.scenario;
        let draw = self.draw;
        let workflow = &s.workflows[w];
        let wd = &draw.workflows[w];
        let day = sess.day as usize;
        // Everything about the request that does not depend on the stack comes from its own
        // generator first, so every stack sees the same request.
        let mut rng = Keyed::new(key);
        let semantic_hit =
            wd.semantic_cache_hit_rate > 0.0 && rng.random::<f64>() < wd.semantic_cache_hit_rate;
        for ((input, counts), step) in self
            .inputs
            .iter_mut()
            .zip(self.tool_counts.iter_mut())
            .zip(&workflow.steps)
        {
            let retrieval = step.retrieval.as_ref().map_or(0.0, |r| {
                r.chunks.sample(&mut rng) * r.chunk_tokens.sample(&mut rng)
            });
            let prefix = step.static_prefix_tokens.sample(&mut rng);
            let variable = step.input_tokens.sample(&mut rng) + retrieval;
            let (images, image_tokens) = match &step.images {
                Some(i) => {
                    let n = i.count.sample(&mut rng);
                    (n, n * i.tokens_per_image)
                }
                None => (0.0, 0.0),
            };
            let audio_input = step.audio_input_tokens.sample(&mut rng);
            let calls = step.calls.sample(&mut rng);
            *input = StepInput {
                prefix,
                variable,
                images,
                image_tokens,
                audio_input,
                calls: round_random(calls, &mut rng),
                growth: step.context_growth_tokens.sample(&mut rng),
            };
            counts.clear();
            counts.extend(step.tool_calls.iter().map(|t| t.count.sample(&mut rng)));
        }
        // An incident in progress repeats the request (a runaway loop).
        let mut runs = 1 + self.rewalks.as_ref().map_or(0, |(r, _)| *r);
        for inc in self
            .incidents
            .iter()
            .filter(|i| i.happened && i.workflows.contains(&w))
        {
            let overlap = inc.day_overlap[day];
            if overlap > 0.0 && (overlap >= 1.0 || rng.random::<f64>() < overlap) {
                runs = runs.max(stochastic_round(inc.multiplier, mix(key, label::INCIDENT)).max(1));
            }
        }
        let walk_key = mix(key, label::WALK);
        let hard_cap = s.budget.as_ref().and_then(|b| b.hard_cap_usd);
        let latency_cap = self.plan.latencies_sampled;
        let at = self.quota.arrival(s, sess.segment as usize, day, key);
        for k in 0..self.stacks.len() {
            let acc = &mut self.stacks[k];
            let effect =
                acc.policy
                    .effect(self.policies, s, day, (sess.segment as usize, w), || {
                        acc.state
                            .committed_spend(&draw.contracts, &acc.contract_active)
                    });
            if acc.policy.dropped(sess.segment as usize, &effect) {
                // Paused or refused by a policy: nothing is sent, nothing billed.
                (acc.requests, acc.workflow_requests[w]) =
                    (acc.requests + 1, acc.workflow_requests[w] + 1);
                continue;
            }
            self.quota.begin(k, at);
            let semantic_hit = effect.semantic_hit(semantic_hit, wd.semantic_cache_hit_rate, key);
            let mut tally = std::mem::take(&mut self.tally);
            tally.clear();
            tally.minute = super::quota::minute_of_day(at, day);
            if wd.semantic_cache_usd_per_lookup > 0.0 {
                tally.fees.push((0, wd.semantic_cache_usd_per_lookup));
            }
            if semantic_hit {
                tally.latency_ms = None;
            } else {
                let mut first_escalated = false;
                for run in 0..runs {
                    let run_key = if run == 0 {
                        walk_key
                    } else {
                        mix(walk_key, label::REPEAT + run)
                    };
                    let accepted = self.walk(
                        &mut tally,
                        k,
                        w,
                        run as u32,
                        &effect,
                        &mut Keyed::new(run_key),
                    );
                    if run == 0 {
                        // Acceptance and escalation are the request's own outcome, its first
                        // run's; an incident's repeats add calls and spend, not outcomes.
                        tally.accepted = accepted;
                        first_escalated = tally.escalated;
                    }
                }
                tally.escalated = first_escalated;
            }
            if workflow.path == RequestPath::Batch || effect.batch {
                tally.latency_ms = None;
            }
            if let Some(capture) = &mut self.capture {
                let list: f64 = tally
                    .calls
                    .iter()
                    .map(|c| c.usd.iter().sum::<f64>() + c.tool_usd)
                    .sum::<f64>()
                    + tally.fees.iter().map(|(_, f)| f).sum::<f64>();
                capture[k].push((list, tally.latency_ms));
                if let Some((_, rewalks)) = &mut self.rewalks {
                    // Each repeat's own cost: its calls, tools and fees (the lookup is run 0's).
                    let mut per_run = vec![0.0; runs as usize];
                    for c in &tally.calls {
                        per_run[c.run as usize] += c.usd.iter().sum::<f64>() + c.tool_usd;
                    }
                    for &(run, fee) in &tally.fees {
                        per_run[run as usize] += fee;
                    }
                    per_run.remove(0);
                    rewalks[k].push(per_run);
                }
                self.tally = tally;
                continue;
            }
            let acc = &mut self.stacks[k];
            let cost = acc.price(&tally, s, draw);
            let over_cap = hard_cap.is_some_and(|cap| {
                acc.cap_hit_day.is_some()
                    || acc
                        .trial_state
                        .committed_spend(&draw.contracts, &acc.contract_active)
                        > cap
            });
            if over_cap {
                // Past the hard cap: the provider refuses the request; nothing is billed.
                acc.rejected += 1;
                acc.dollars.day(day).rejected += cost;
                acc.requests += 1;
                acc.workflow_requests[w] += 1;
                acc.cap_hit_day.get_or_insert(sess.day as u32 + 1);
            }
            if self.policies {
                let at = (sess.segment as usize, w);
                acc.policy.served(at.0, &effect, over_cap, tally.accepted);
                if !over_cap {
                    acc.policy
                        .billed(s, at, &effect, (cost, tally.latency_ms), latency_cap);
                }
            }
            if !over_cap {
                if semantic_hit {
                    acc.semantic_hits += 1;
                }
                acc.commit(&tally, w, day, cost, latency_cap);
                self.quota.end(&acc.billed, |i| tally.calls[i].tool_usd);
                if let Some(c) =
                    self.user_costs[k][sess.segment as usize].get_mut(sess.user_slot as usize)
                {
                    *c += cost;
                }
            }
            self.tally = tally;
        }
    }

    /// One run of a request through every step on stack `k`; returns whether it was accepted.
    fn walk<R: Rng + ?Sized>(
        &self,
        tally: &mut Tally,
        k: usize,
        w: usize,
        run: u32,
        effect: &Effect,
        rng: &mut R,
    ) -> bool {
        let s = self.plan.scenario;
        let draw = self.draw;
        let workflow = &s.workflows[w];
        let wd = &draw.workflows[w];
        for (si, step) in workflow.steps.iter().enumerate() {
            if wd.aux_usd[si] > 0.0 {
                tally.fees.push((run, wd.aux_usd[si]));
            }
            let base = self.inputs[si];
            for i in 0..base.calls {
                let mut input = base;
                input.variable += i as f64 * base.growth;
                let call = Call {
                    step,
                    input,
                    tool_counts: &self.tool_counts[si],
                    tool_fee: &wd.tool_fee[si],
                    hit_rate: wd.cache_hit_rate[si],
                    tier: workflow.service_tier,
                    batch: workflow.path == RequestPath::Batch || effect.batch,
                    run,
                    max_output_tokens: effect.output_limit(step),
                    max_reasoning_tokens: effect.reasoning_limit(step),
                };
                let route = effect.route.unwrap_or(step.route);
                if !self.walk_chain(tally, &draw.chains[k][route], &call, rng) {
                    return false;
                }
            }
        }
        true
    }

    /// One call of a step through its chain; returns whether some model's answer was accepted.
    fn walk_chain<R: Rng + ?Sized>(
        &self,
        tally: &mut Tally,
        chain: &[LinkDraw],
        call: &Call<'_>,
        rng: &mut R,
    ) -> bool {
        let mut first = true;
        let models = &self.plan.scenario.models;
        'links: for (li, link) in chain.iter().enumerate() {
            let last = li + 1 == chain.len();
            if models[link.model]
                .max_input_tokens
                .is_some_and(|w| call.input.total() > w)
            {
                // The provider refuses an input beyond the model's window: an error, billed
                // nothing, that retrying cannot fix; the request fails here.
                tally.calls.push(CallRec {
                    model: link.model,
                    run: call.run,
                    retry: !first,
                    ..CallRec::default()
                });
                if call.run == 0 {
                    tally.window_refused = true;
                    // The refusal takes no modelled time; a model without a latency model
                    // leaves the request's latency unknown, as a call on it would.
                    if models[link.model].latency.is_none() {
                        tally.latency_ms = None;
                    }
                }
                return false;
            }
            for _ in 0..link.max_attempts {
                let q = (call.run, tally.calls.len(), &mut tally.latency_ms);
                match self.quota.gate(link.model, last, q) {
                    super::quota::Gate::Pass => {}
                    super::quota::Gate::Next => continue 'links,
                    super::quota::Gate::Fail => return false,
                }
                let errored = link.provider_error_rate > 0.0
                    && rng.random::<f64>() < link.provider_error_rate;
                call.record(self, tally, link, !first, errored, rng);
                self.quota
                    .used(link.model, tally.calls.last().map(|c| &c.tokens[..]));
                first = false;
                if errored {
                    tally.errored += 1;
                    continue;
                }
                let failed = link.validation_failure_rate > 0.0
                    && rng.random::<f64>() < link.validation_failure_rate;
                if failed {
                    continue;
                }
                if !last && link.escalation_rate > 0.0 && rng.random::<f64>() < link.escalation_rate
                {
                    tally.escalated = true;
                    continue 'links;
                }
                return true;
            }
            if !last {
                tally.escalated = true;
            }
        }
        false
    }
}

/// One call of a step, ready to be priced on a model.
struct Call<'a> {
    step: &'a Step,
    input: StepInput,
    tool_counts: &'a [f64],
    tool_fee: &'a [f64],
    hit_rate: f64,
    tier: ServiceTier,
    batch: bool,
    run: u32,
    /// The output and reasoning limits in force: the step's, or a policy's where smaller.
    max_output_tokens: Option<f64>,
    max_reasoning_tokens: Option<f64>,
}

impl Call<'_> {
    /// Draw this call's output, price it at list prices and add it to the tally. A call that
    /// errors at the provider produces nothing and is billed its input or nothing.
    fn record<R: Rng + ?Sized>(
        &self,
        month: &Month<'_, '_>,
        tally: &mut Tally,
        link: &LinkDraw,
        retry: bool,
        errored: bool,
        rng: &mut R,
    ) {
        let s = month.plan.scenario;
        let model = &month.draw.models[link.model];
        let step = self.step;
        let input = &self.input;
        let capped = |x: f64, cap: Option<f64>| cap.map_or(x, |c| x.min(c));
        let (output, reasoning, audio_output) = if errored {
            (0.0, 0.0, 0.0)
        } else {
            (
                capped(step.output_tokens.sample(rng), self.max_output_tokens),
                capped(step.reasoning_tokens.sample(rng), self.max_reasoning_tokens),
                step.audio_output_tokens.sample(rng),
            )
        };
        let mut tier = self.tier;
        let tiers = call::billed_tiers(tier, model);
        if tiers.as_slice().len() > 1 {
            tally.flex_calls += 1;
            // A refused flex call is billed nothing and re-sent at the standard tier.
            let refused = tiers.refusal_rate();
            if refused > 0.0 && rng.random::<f64>() < refused {
                tally.flex_refused += 1;
                tier = call::REFUSED_FLEX_BILLED_AT;
            }
        }
        let mut rec = CallRec {
            model: link.model,
            run: self.run,
            retry,
            ..CallRec::default()
        };
        let rule = CallRule::new(model.prices(tier, input.total()), step.cache_ttl);
        let mut lines = CallLines::default();
        if call::billed(Meter::Input, errored, link.error_billing) {
            if call::cacheable(input.prefix, model.min_cacheable_tokens) {
                let hit = self.hit_rate >= 1.0
                    || (self.hit_rate > 0.0 && rng.random::<f64>() < self.hit_rate);
                rule.prefix(&mut lines, 0.0, input.prefix, if hit { 1.0 } else { 0.0 });
            } else {
                rule.prefix(&mut lines, input.prefix, 0.0, 0.0);
            }
            rule.text(&mut lines, input.variable);
            rule.images(&mut lines, input.images, Some(input.image_tokens));
            rule.audio_input(&mut lines, input.audio_input);
        }
        rule.produced(&mut lines, output, reasoning, audio_output);
        rec.tokens = lines.kind_tokens();
        let keep = call::batch_keep(model, self.batch);
        for (usd, m) in rec.usd.iter_mut().zip(lines.class_micro()) {
            // Most classes are empty in a call; skipping their division changes no figure.
            *usd = if m == 0.0 { 0.0 } else { call::usd(m, keep) };
        }
        rec.list = rec.usd.iter().sum();
        rec.token_count = rec.tokens.iter().sum();
        // Tool fees are per call of the tool, billed on every attempt that runs; no batch discount.
        for ((t, count), fee) in step
            .tool_calls
            .iter()
            .zip(self.tool_counts)
            .zip(self.tool_fee)
        {
            if !call::billed(Meter::Tool(t.tool), errored, link.error_billing) {
                break;
            }
            let usd = call::tool_fee(*count, *fee);
            rec.tool_usd += usd;
            tally.tools.push((t.tool, *count, usd));
        }
        tally.calls.push(rec);
        if self.run == 0 {
            tally.latency_ms = match (
                tally.latency_ms,
                &s.models[link.model].latency,
                month.draw.output_tokens_per_s[link.model],
            ) {
                (Some(total), Some(l), Some(speed)) => {
                    let first = l.first_token_ms.sample(rng);
                    let generated = output + reasoning + audio_output;
                    Some(
                        total
                            + first
                            + if speed > 0.0 {
                                generated / speed * 1000.0
                            } else {
                                0.0
                            },
                    )
                }
                _ => None,
            };
        }
    }
}
