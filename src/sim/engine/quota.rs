//! Each request's minute of arrival in the exact engine, and the rate-limit quotas on it: each
//! quota'd model's count of calls and tokens per minute of the month on each stack, and what a
//! stack's client does with a call the provider throttles (retry after a delay, or the next
//! link). Provisioned capacity (`provisioned.rs`) reads the same minute: one clock, so that a
//! request sits in the same minute for its quota and for its capacity on every stack.
//!
//! A request arrives at a minute of its day drawn from its segment's traffic within the day
//! (`model::within_day`): with fixed arrivals, the day's requests spread evenly in the order
//! they come ([`crate::model::quota::fixed_minute`]); otherwise its hour by the hour's share and
//! its place within the hour uniform or, with burstiness, in proportion to each minute's Gamma
//! weight (drawn once per month, so that a bursty minute is bursty for every request). Requests
//! of a day are walked in random order, so within a minute the calls that find the quota spent
//! are a random choice among those of the minute, as in arrival order. A call is admitted while
//! its minute's calls and tokens are below the model's quota (providers admit against what the
//! minute has used); its tokens then count against the minute. A throttled call is billed
//! nothing. Scenarios with neither quotas nor a provisioned capacity skip all of this: nothing
//! is allocated or drawn.

use std::cell::RefCell;

use rand::RngExt;
use rand_distr::{Distribution, Gamma};

use super::rng::{mix, small, stream};
use crate::model::provisioned::MINUTES_PER_DAY;
use crate::model::quota::{OnThrottle, fixed_minute, random_minute};
use crate::model::within_day::{HOURS, MINUTES_PER_HOUR};
use crate::model::{Arrivals, Scenario};

/// The label of a request's own draw of its minute ("QUOTAMIN").
const MINUTE_LABEL: u64 = 0x5155_4f54_414d_494e;
/// The label of a month's draw of its bursty minutes ("QUOTABUR").
const BURST_LABEL: u64 = 0x5155_4f54_4142_5552;

/// What the quotas did to one stack in one month.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct QuotaMonth {
    /// Calls a quota throttled (every throttled try).
    pub throttled_calls: u64,
    /// Requests with at least one throttled call.
    pub throttled_requests: u64,
    /// Requests whose throttled call was retried at least once.
    pub retried: u64,
    /// Requests that failed because a call stayed throttled (its last try, or the last link).
    pub failed: u64,
    /// Requests with a call sent to the next link of the chain.
    pub sent_on: u64,
    /// What the calls sent on, and the calls after them, were billed.
    pub sent_on_usd: f64,
    /// Seconds of retry delay added to first runs.
    pub delay_s: f64,
}

impl QuotaMonth {
    /// Add another month's figures to these.
    fn add(&mut self, q: &QuotaMonth) {
        self.throttled_calls += q.throttled_calls;
        self.throttled_requests += q.throttled_requests;
        self.retried += q.retried;
        self.failed += q.failed;
        self.sent_on += q.sent_on;
        self.sent_on_usd += q.sent_on_usd;
        self.delay_s += q.delay_s;
    }
}

/// Quota figures summed over a run's simulated months, for one stack.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct QuotaTotals {
    pub months: u64,
    /// Months with at least one throttled call: some minute's demand exceeded a quota.
    pub months_throttled: u64,
    pub requests: u64,
    /// The months' figures, summed.
    pub sum: QuotaMonth,
}

impl QuotaTotals {
    /// Add one simulated month of `requests` requests.
    pub fn add(&mut self, q: &QuotaMonth, requests: u64) {
        self.months += 1;
        self.months_throttled += u64::from(q.throttled_calls > 0);
        self.requests += requests;
        self.sum.add(q);
    }
}

/// What the quota answers a call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Gate {
    /// Sent to the model.
    Pass,
    /// Throttled and sent to the next link.
    Next,
    /// Throttled for good: the request fails.
    Fail,
}

/// One quota'd model's month on one stack: calls and tokens per minute of the month.
#[derive(Clone, Debug)]
struct Counter {
    rpm: f64,
    tpm: f64,
    calls: Vec<u32>,
    tokens: Vec<f64>,
}

/// The request being walked on one stack.
#[derive(Clone, Copy, Debug, Default)]
struct Current {
    stack: usize,
    /// Minute of the month (fractional) of its next call.
    at: f64,
    tries: u32,
    throttled: bool,
    retried: bool,
    failed: bool,
    /// The index of its first call after one was sent on.
    sent_on_from: Option<usize>,
}

/// A month's quota state, all stacks; a request's walk, which only reads the month, updates it.
#[derive(Debug, Default)]
pub struct QuotaState(RefCell<Inner>);

impl QuotaState {
    /// Set up month `key` of scenario `s`, whose sessions fall on `(segment, day)`.
    pub fn start(&self, s: &Scenario, key: u64, sessions: impl Iterator<Item = (u16, u16)>) {
        self.0.borrow_mut().start(s, key, sessions);
    }

    /// The minute of the month (fractional) at which a request of `segment` arrives on day
    /// `day`; `key` is the request's own key.
    pub fn arrival(&self, s: &Scenario, segment: usize, day: usize, key: u64) -> f64 {
        self.0.borrow_mut().arrival(s, segment, day, key)
    }

    /// A request arriving at minute `at` starts its walk on stack `k`.
    pub fn begin(&self, k: usize, at: f64) {
        self.0.borrow_mut().begin(k, at);
    }

    /// Whether a call to `model` goes through (see `Inner::gate`).
    pub fn gate(&self, model: usize, last: bool, call: (u32, usize, &mut Option<f64>)) -> Gate {
        self.0.borrow_mut().gate(model, last, call)
    }

    /// A call to `model` that went through used `tokens` (by class).
    pub fn used(&self, model: usize, tokens: Option<&[f64]>) {
        self.0.borrow_mut().used(model, tokens);
    }

    /// The request was billed (see `Inner::end`).
    pub fn end(&self, billed: &[(f64, f64)], tool_usd: impl Fn(usize) -> f64) {
        self.0.borrow_mut().end(billed, tool_usd);
    }

    /// The month's record per stack (empty records where quotas are off).
    pub fn finish(&self, stacks: usize) -> Vec<QuotaMonth> {
        self.0.take().finish(stacks)
    }
}

/// The state behind [`QuotaState`].
#[derive(Clone, Debug, Default)]
struct Inner {
    /// Off where no model has a quota or a provisioned capacity, and for reference samples
    /// (no month).
    on: bool,
    fixed: bool,
    /// Per segment and day, the expected requests (fixed arrivals) and those arrived so far.
    day_n: Vec<Vec<f64>>,
    day_i: Vec<Vec<u64>>,
    /// Per segment with burstiness, per day and hour, the cumulative weights of its minutes.
    bursts: Vec<Option<Vec<[f64; 60]>>>,
    /// Per stack, per model, the counter of a model with a quota.
    counters: Vec<Vec<Option<Counter>>>,
    on_throttle: Vec<OnThrottle>,
    cur: Current,
    months: Vec<QuotaMonth>,
}

/// Whether any model of the scenario has a quota.
pub fn has_quotas(s: &Scenario) -> bool {
    s.models.iter().any(|m| m.quota.is_some())
}

/// The minute of day `day` (0 to 1,439) of a request arriving at minute `at` of the month.
pub(super) fn minute_of_day(at: f64, day: usize) -> u32 {
    let minute = at - (day * MINUTES_PER_DAY) as f64;
    (minute.max(0.0) as usize).min(MINUTES_PER_DAY - 1) as u32
}

impl Inner {
    /// Set up month `key` of scenario `s`, whose sessions fall on `(segment, day)`.
    fn start(&mut self, s: &Scenario, key: u64, sessions: impl Iterator<Item = (u16, u16)>) {
        if !has_quotas(s) && !s.models.iter().any(|m| m.provisioned.is_some()) {
            return;
        }
        let days = s.simulation.days as usize;
        let minutes = days * MINUTES_PER_DAY;
        self.on = true;
        self.fixed = s.simulation.arrivals == Arrivals::Fixed;
        let per_session: Vec<f64> = (0..s.segments.len())
            .map(|g| {
                s.workflows
                    .iter()
                    .filter(|w| w.segments.contains(&g))
                    .map(|w| w.requests_per_session.mean())
                    .sum()
            })
            .collect();
        self.day_n = vec![vec![0.0; days]; s.segments.len()];
        self.day_i = vec![vec![0; days]; s.segments.len()];
        for (g, d) in sessions {
            let (g, d) = (g as usize, d as usize);
            self.day_n[g][d] += per_session[g];
        }
        self.bursts = s
            .segments
            .iter()
            .enumerate()
            .map(|(g, seg)| {
                let b = seg.within_day.burstiness;
                (b > 0.0 && !self.fixed).then(|| {
                    let gamma = Gamma::new(1.0 / (b * b), b * b).expect("a positive burstiness");
                    let mut rng = stream(mix(mix(key, BURST_LABEL), g as u64));
                    (0..days * HOURS)
                        .map(|_| {
                            let mut w = [0.0; 60];
                            let mut total = 0.0;
                            for x in &mut w {
                                total += gamma.sample(&mut rng);
                                *x = total;
                            }
                            w.map(|x| if total > 0.0 { x / total } else { 1.0 })
                        })
                        .collect()
                })
            })
            .collect();
        self.counters = s
            .stacks
            .iter()
            .map(|_| {
                s.models
                    .iter()
                    .map(|m| {
                        m.quota.map(|q| Counter {
                            rpm: q.requests_per_minute.unwrap_or(f64::INFINITY),
                            tpm: q.tokens_per_minute.unwrap_or(f64::INFINITY),
                            calls: vec![0; minutes],
                            tokens: vec![0.0; minutes],
                        })
                    })
                    .collect()
            })
            .collect();
        self.on_throttle = s.stacks.iter().map(|st| st.on_throttle).collect();
        self.months = vec![QuotaMonth::default(); s.stacks.len()];
    }

    /// The minute of the month (fractional) at which a request of `segment` arrives on day
    /// `day`; `key` is the request's own key.
    fn arrival(&mut self, s: &Scenario, segment: usize, day: usize, key: u64) -> f64 {
        if !self.on {
            return 0.0;
        }
        let w = &s.segments[segment].within_day;
        let minute = if self.fixed {
            let i = self.day_i[segment][day];
            self.day_i[segment][day] += 1;
            fixed_minute(w, i, self.day_n[segment][day])
        } else {
            let mut rng = small(mix(key, MINUTE_LABEL));
            let (u, v): (f64, f64) = (rng.random(), rng.random());
            let m = random_minute(w, u, v);
            match &self.bursts[segment] {
                Some(b) => {
                    let hour = (m / MINUTES_PER_HOUR) as usize;
                    let cum = &b[day * HOURS + hour];
                    let j = cum.iter().position(|&c| v < c).unwrap_or(59);
                    hour as f64 * MINUTES_PER_HOUR + j as f64 + rng.random::<f64>()
                }
                None => m,
            }
        };
        (day * MINUTES_PER_DAY) as f64 + minute
    }

    /// A request arriving at minute `at` starts its walk on stack `k`.
    fn begin(&mut self, k: usize, at: f64) {
        self.cur = Current {
            stack: k,
            at,
            ..Current::default()
        };
    }

    /// Whether a call to `model` goes through, where `last` says whether its link is the
    /// chain's last, `run` is the request's run and `calls` is how many calls the request has
    /// made so far. A retry's delay is added to `latency_ms` on the request's first run.
    fn gate(
        &mut self,
        model: usize,
        last: bool,
        (run, calls, latency_ms): (u32, usize, &mut Option<f64>),
    ) -> Gate {
        if !self.on {
            return Gate::Pass;
        }
        let k = self.cur.stack;
        let Some(c) = self.counters[k][model].as_mut() else {
            return Gate::Pass;
        };
        loop {
            let minute = self.cur.at as usize;
            if minute >= c.calls.len() {
                // Retried past the month's end: next month's quota, not counted here.
                return Gate::Pass;
            }
            if f64::from(c.calls[minute]) < c.rpm && c.tokens[minute] < c.tpm {
                c.calls[minute] += 1;
                return Gate::Pass;
            }
            self.months[k].throttled_calls += 1;
            self.cur.throttled = true;
            match self.on_throttle[k] {
                OnThrottle::Next if !last => {
                    self.cur.sent_on_from.get_or_insert(calls);
                    self.cur.tries = 0;
                    return Gate::Next;
                }
                OnThrottle::Next => {
                    self.cur.failed = true;
                    return Gate::Fail;
                }
                OnThrottle::Retry { after_s, max_tries } => {
                    self.cur.tries += 1;
                    if self.cur.tries >= max_tries {
                        self.cur.failed = true;
                        self.cur.tries = 0;
                        return Gate::Fail;
                    }
                    self.cur.retried = true;
                    self.cur.at += after_s / 60.0;
                    if run == 0 {
                        self.months[k].delay_s += after_s;
                        if let Some(l) = latency_ms {
                            *l += after_s * 1000.0;
                        }
                    }
                }
            }
        }
    }

    /// A call to `model` that went through used `tokens` (by class): they count against its
    /// minute.
    fn used(&mut self, model: usize, tokens: Option<&[f64]>) {
        if !self.on {
            return;
        }
        let tokens: f64 = tokens.map_or(0.0, |t| t.iter().sum());
        let minute = self.cur.at as usize;
        if let Some(c) = self.counters[self.cur.stack][model].as_mut()
            && minute < c.tokens.len()
        {
            c.tokens[minute] += tokens;
        }
        self.cur.tries = 0;
    }

    /// The request's walk on its stack is over and it was billed: `billed[i].1` (after volume
    /// tiers) plus `tool_usd(i)` is what its `i`-th call was billed.
    fn end(&mut self, billed: &[(f64, f64)], tool_usd: impl Fn(usize) -> f64) {
        if !self.on {
            return;
        }
        let cur = self.cur;
        let m = &mut self.months[cur.stack];
        m.throttled_requests += u64::from(cur.throttled);
        m.retried += u64::from(cur.retried);
        m.failed += u64::from(cur.failed);
        if let Some(from) = cur.sent_on_from {
            m.sent_on += 1;
            m.sent_on_usd += (from..billed.len())
                .map(|i| billed[i].1 + tool_usd(i))
                .sum::<f64>();
        }
    }

    /// The month's record per stack (empty records where quotas are off).
    fn finish(self, stacks: usize) -> Vec<QuotaMonth> {
        if self.on {
            self.months
        } else {
            vec![QuotaMonth::default(); stacks]
        }
    }
}
