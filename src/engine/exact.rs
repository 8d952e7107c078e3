//! The exact engine: every user, session, request and model call of a month, simulated one by one.
//!
//! It is the reference the fast engine is tested against, so it follows the format's semantics
//! literally: users get a Gamma activity multiplier, sessions arrive by day, each request draws its
//! tokens, walks its route's chain (validation retries, escalation) and pays each call at the
//! prices of the trial. Nothing per request is stored; only per-trial totals leave this module.

use rand::{Rng, RngExt};
use rand_distr::Distribution;

use super::draw::{LinkDraw, ModelDraw, TrialDraw};
use super::rng::{label, mix, small, stream};
use super::{CostBreakdown, StackTrial, Tokens, ToolUse, TrialOutcome, class, token};
use crate::model::{Arrivals, CacheTtl, RequestPath, Scenario, ServiceTier, Step, Workflow};
use crate::stats::KahanSum;

/// The golden-ratio conjugate: phases `frac(0.5 + u·φ)` spread users' fixed arrivals evenly.
const GOLDEN: f64 = 0.618_033_988_749_894_9;

/// Scenario facts computed once per run.
pub struct Plan<'a> {
    pub scenario: &'a Scenario,
    /// Workflows each segment's sessions trigger.
    segment_workflows: Vec<Vec<usize>>,
    /// Users per segment whose monthly cost is recorded in each trial (for the per-user spread).
    users_sampled_per_trial: u64,
    max_steps: usize,
}

/// Per-user cost samples kept over a whole run, per segment and stack; bounds memory whatever
/// the number of trials.
pub const USER_SAMPLE_BUDGET: u64 = 200_000;

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
        Plan {
            scenario,
            segment_workflows,
            users_sampled_per_trial: (USER_SAMPLE_BUDGET / trials.max(1)).clamp(1, 4096),
            max_steps: scenario
                .workflows
                .iter()
                .map(|w| w.steps.len())
                .max()
                .unwrap_or(0),
        }
    }

    /// Simulate trial `trial` of the run seeded with `seed`.
    pub fn run_trial(&self, seed: u64, trial: u64) -> TrialOutcome {
        let key = super::rng::trial_key(seed, trial);
        let draw = TrialDraw::new(self.scenario, key);
        self.run_draw(&draw)
    }

    /// Simulate a month with the given parameter draws.
    pub fn run_draw(&self, draw: &TrialDraw) -> TrialOutcome {
        let s = self.scenario;
        let mut out = TrialOutcome::new(s, draw);
        let mut month = Month {
            plan: self,
            draw,
            stacks: (0..s.stacks.len()).map(|_| StackAcc::new(s)).collect(),
            inputs: vec![StepInput::default(); self.max_steps],
            tool_counts: vec![Vec::new(); self.max_steps],
            user_cost: vec![0.0; s.stacks.len()],
        };
        for (si, seg) in draw.segments.iter().enumerate() {
            if self.segment_workflows[si].is_empty() || seg.users == 0 {
                continue;
            }
            let mut rng = stream(mix(draw.key, s.segments[si].users.key));
            let activity = (seg.user_variability > 0.0).then(|| {
                let cv2 = seg.user_variability * seg.user_variability;
                rand_distr::Gamma::new(1.0 / cv2, cv2).expect("validated coefficient of variation")
            });
            let sampled = self.users_sampled_per_trial.min(seg.users);
            for user in 0..seg.users {
                let multiplier = activity.as_ref().map_or(1.0, |g| g.sample(&mut rng));
                let expected = seg.sessions_per_user * multiplier;
                month.user_cost.iter_mut().for_each(|c| *c = 0.0);
                match draw.arrivals {
                    Arrivals::Poisson => {
                        let n = poisson(expected, &mut rng);
                        for _ in 0..n {
                            let u: f64 = rng.random();
                            let day = seg
                                .day_cumulative
                                .partition_point(|&c| c <= u)
                                .min(seg.day_cumulative.len() - 1);
                            month.session(si, day, &mut rng);
                        }
                    }
                    Arrivals::Fixed => {
                        let phase = (0.5 + user as f64 * GOLDEN).fract();
                        let mut before = 0u64;
                        for (day, cum) in seg.day_cumulative.iter().enumerate() {
                            let through = (snap(expected * cum) + phase).floor() as u64;
                            for _ in before..through {
                                month.session(si, day, &mut rng);
                            }
                            before = through.max(before);
                        }
                    }
                }
                if user < sampled {
                    for (k, c) in month.user_cost.iter().enumerate() {
                        out.stacks[k].user_costs[si].push(*c);
                    }
                }
            }
        }
        for (k, acc) in month.stacks.into_iter().enumerate() {
            acc.finish(&mut out.stacks[k]);
        }
        out
    }
}

/// Round away float noise so that, e.g., 30 × (1/30) sessions is exactly one.
fn snap(x: f64) -> f64 {
    let scaled = x * 1e9;
    if scaled.abs() < 9e15 {
        scaled.round() / 1e9
    } else {
        x
    }
}

fn poisson<R: Rng + ?Sized>(mean: f64, rng: &mut R) -> u64 {
    if !(mean > 0.0) {
        return 0;
    }
    match rand_distr::Poisson::new(mean) {
        Ok(p) => p.sample(rng) as u64,
        Err(_) => mean.round() as u64,
    }
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
}

impl StepInput {
    /// The whole input, which decides the long-context tier.
    fn total(&self) -> f64 {
        self.prefix + self.variable + self.image_tokens + self.audio_input
    }
}

/// Running totals of one stack within a trial.
struct StackAcc {
    spend: KahanSum,
    requests: u64,
    accepted: u64,
    calls: u64,
    retry_spend: f64,
    escalated: u64,
    tokens: [f64; Tokens::LEN],
    cost_by_class: [f64; CostBreakdown::LEN],
    tools: Vec<ToolUse>,
    flex_calls: u64,
    flex_refused: u64,
    workflow_spend: Vec<f64>,
    workflow_requests: Vec<u64>,
    model_spend: Vec<f64>,
    daily: Vec<KahanSum>,
}

impl StackAcc {
    fn new(s: &Scenario) -> Self {
        StackAcc {
            spend: KahanSum::new(),
            requests: 0,
            accepted: 0,
            calls: 0,
            retry_spend: 0.0,
            escalated: 0,
            tokens: [0.0; Tokens::LEN],
            cost_by_class: [0.0; CostBreakdown::LEN],
            tools: vec![ToolUse::default(); s.tools.len()],
            flex_calls: 0,
            flex_refused: 0,
            workflow_spend: vec![0.0; s.workflows.len()],
            workflow_requests: vec![0; s.workflows.len()],
            model_spend: vec![0.0; s.models.len()],
            daily: vec![KahanSum::new(); s.simulation.days as usize],
        }
    }

    fn finish(self, out: &mut StackTrial) {
        out.spend = self.spend.value();
        out.requests = self.requests;
        out.accepted = self.accepted;
        out.calls = self.calls;
        out.retry_spend = self.retry_spend;
        out.escalated = self.escalated;
        out.tokens = Tokens::from_array(self.tokens);
        out.cost_by_class = CostBreakdown::from_array(self.cost_by_class);
        out.tools = self.tools;
        out.flex_calls = self.flex_calls;
        out.flex_refused = self.flex_refused;
        out.workflow_spend = self.workflow_spend;
        out.workflow_requests = self.workflow_requests;
        out.model_spend = self.model_spend;
        out.daily = self.daily.iter().map(KahanSum::value).collect();
    }
}

/// One month in progress.
struct Month<'p, 'a> {
    plan: &'p Plan<'a>,
    draw: &'p TrialDraw,
    stacks: Vec<StackAcc>,
    inputs: Vec<StepInput>,
    /// Per step of the current request, calls of each of the step's tools per attempt.
    tool_counts: Vec<Vec<f64>>,
    user_cost: Vec<f64>,
}

impl Month<'_, '_> {
    fn session<R: Rng + ?Sized>(&mut self, segment: usize, day: usize, rng: &mut R) {
        let plan = self.plan;
        for &w in &plan.segment_workflows[segment] {
            let workflow = &plan.scenario.workflows[w];
            let x = workflow.requests_per_session.sample(rng);
            let mut n = x.floor();
            if x > n && rng.random::<f64>() < x - n {
                n += 1.0;
            }
            for _ in 0..n as u64 {
                let key = rng.next_u64();
                self.request(w, day, key);
            }
        }
    }

    fn request(&mut self, w: usize, day: usize, key: u64) {
        let s = self.plan.scenario;
        let workflow = &s.workflows[w];
        // Inputs first, from the request's own generator, so every stack sees the same prompt.
        let mut rng = small(key);
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
            *input = StepInput {
                prefix,
                variable,
                images,
                image_tokens,
                audio_input: step.audio_input_tokens.sample(&mut rng),
            };
            counts.clear();
            counts.extend(step.tool_calls.iter().map(|t| t.count.sample(&mut rng)));
        }
        let walk_key = mix(key, label::WALK);
        for (k, acc) in self.stacks.iter_mut().enumerate() {
            let mut rng = small(walk_key);
            let ctx = Ctx {
                chains: &self.draw.chains[k],
                models: &self.draw.models,
                cache_hit_rate: &self.draw.cache_hit_rate[w],
                tool_fee: &self.draw.tool_fee[w],
                workflow,
                inputs: &self.inputs,
                tool_counts: &self.tool_counts,
                batch: workflow.path == RequestPath::Batch,
            };
            let cost = walk(acc, &ctx, &mut rng);
            acc.workflow_spend[w] += cost;
            acc.workflow_requests[w] += 1;
            acc.daily[day].add(cost);
            acc.spend.add(cost);
            self.user_cost[k] += cost;
        }
    }
}

/// Everything one request's walk needs besides its generator.
struct Ctx<'a> {
    chains: &'a [Vec<LinkDraw>],
    models: &'a [ModelDraw],
    cache_hit_rate: &'a [f64],
    tool_fee: &'a [Vec<f64>],
    workflow: &'a Workflow,
    inputs: &'a [StepInput],
    tool_counts: &'a [Vec<f64>],
    batch: bool,
}

/// Walk one request through every step's chain for one stack; returns its cost.
#[inline]
fn walk<R: Rng + ?Sized>(acc: &mut StackAcc, ctx: &Ctx<'_>, rng: &mut R) -> f64 {
    acc.requests += 1;
    let mut request_cost = 0.0;
    let mut accepted = true;
    let mut escalated = false;
    for (k, step) in ctx.workflow.steps.iter().enumerate() {
        let chain = &ctx.chains[step.route];
        let call = Call {
            step,
            input: ctx.inputs[k],
            tool_counts: &ctx.tool_counts[k],
            tool_fee: &ctx.tool_fee[k],
            hit_rate: ctx.cache_hit_rate[k],
            tier: ctx.workflow.service_tier,
            batch: ctx.batch,
        };
        let mut first_call = true;
        let mut step_accepted = false;
        'links: for (li, link) in chain.iter().enumerate() {
            let last = li + 1 == chain.len();
            let model = &ctx.models[link.model];
            for _ in 0..link.max_attempts {
                let cost = call.cost(acc, model, rng);
                acc.calls += 1;
                acc.model_spend[link.model] += cost;
                request_cost += cost;
                if !first_call {
                    acc.retry_spend += cost;
                }
                first_call = false;
                let failed = link.validation_failure_rate > 0.0
                    && rng.random::<f64>() < link.validation_failure_rate;
                if failed {
                    continue;
                }
                if !last && link.escalation_rate > 0.0 && rng.random::<f64>() < link.escalation_rate
                {
                    escalated = true;
                    continue 'links;
                }
                step_accepted = true;
                break 'links;
            }
            if !last {
                escalated = true;
            }
        }
        if !step_accepted {
            accepted = false;
            break;
        }
    }
    if accepted {
        acc.accepted += 1;
    }
    if escalated {
        acc.escalated += 1;
    }
    request_cost
}

/// One step's call, ready to be priced on a model.
struct Call<'a> {
    step: &'a Step,
    input: StepInput,
    tool_counts: &'a [f64],
    tool_fee: &'a [f64],
    hit_rate: f64,
    tier: ServiceTier,
    batch: bool,
}

impl Call<'_> {
    /// Draw this call's output, price it and add its tokens and dollars to the stack's totals.
    #[inline]
    fn cost<R: Rng + ?Sized>(&self, acc: &mut StackAcc, model: &ModelDraw, rng: &mut R) -> f64 {
        let step = self.step;
        let input = &self.input;
        let capped = |x: f64, cap: Option<f64>| cap.map_or(x, |c| x.min(c));
        let output = capped(step.output_tokens.sample(rng), step.max_output_tokens);
        let reasoning = capped(step.reasoning_tokens.sample(rng), step.max_reasoning_tokens);
        let audio_output = step.audio_output_tokens.sample(rng);
        let mut tier = self.tier;
        if tier == ServiceTier::Flex {
            acc.flex_calls += 1;
            // A refused flex call is billed nothing and re-sent at the standard tier.
            if model.flex_unavailable_rate > 0.0
                && rng.random::<f64>() < model.flex_unavailable_rate
            {
                acc.flex_refused += 1;
                tier = ServiceTier::Standard;
            }
        }
        let p = model.prices(tier, input.total());
        // USD × 10⁶ per billing class.
        let mut micro = [0.0; CostBreakdown::LEN];
        if input.prefix > 0.0 && input.prefix >= model.min_cacheable_tokens {
            let hit = self.hit_rate >= 1.0
                || (self.hit_rate > 0.0 && rng.random::<f64>() < self.hit_rate);
            if hit {
                acc.tokens[token::CACHED_INPUT] += input.prefix;
                micro[class::CACHED_INPUT] = input.prefix * p.cached_input;
            } else {
                acc.tokens[token::CACHE_WRITE] += input.prefix;
                let write = match step.cache_ttl {
                    CacheTtl::FiveMinutes => p.cache_write,
                    CacheTtl::OneHour => p.cache_write_1h,
                };
                micro[class::CACHE_WRITE] = input.prefix * write;
            }
        } else {
            acc.tokens[token::INPUT] += input.prefix;
            micro[class::INPUT] = input.prefix * p.input;
        }
        acc.tokens[token::INPUT] += input.variable;
        micro[class::INPUT] += input.variable * p.input;
        acc.tokens[token::IMAGE] += input.image_tokens;
        micro[class::IMAGE] = match p.per_image {
            Some(per_image) => input.images * per_image * 1e6,
            None => input.image_tokens * p.image,
        };
        acc.tokens[token::AUDIO_INPUT] += input.audio_input;
        acc.tokens[token::AUDIO_OUTPUT] += audio_output;
        micro[class::AUDIO] = input.audio_input * p.audio_input + audio_output * p.audio_output;
        acc.tokens[token::OUTPUT] += output;
        micro[class::OUTPUT] = output * p.output;
        acc.tokens[token::REASONING] += reasoning;
        micro[class::REASONING] = reasoning * p.reasoning;
        let keep = if self.batch {
            1.0 - model.batch_discount
        } else {
            1.0
        };
        let mut cost = 0.0;
        for (c, m) in micro.iter().enumerate().take(class::TOOL_FEES) {
            let usd = m / 1e6 * keep;
            acc.cost_by_class[c] += usd;
            cost += usd;
        }
        // Tool fees are per call of the tool, billed on every attempt; no batch discount.
        for ((t, count), fee) in step
            .tool_calls
            .iter()
            .zip(self.tool_counts)
            .zip(self.tool_fee)
        {
            let usd = count * fee;
            acc.tools[t.tool].calls += count;
            acc.tools[t.tool].usd += usd;
            acc.cost_by_class[class::TOOL_FEES] += usd;
            cost += usd;
        }
        cost
    }
}
