//! Everything `fit` needs from a log, in bounded memory and in a form that merges.
//!
//! [`Accumulator`] folds calls one by one into a [`Summary`]: per workflow and model, token
//! [`Histogram`]s and call counts; per workflow, requests on weekdays and weekend days and the
//! spread of requests across users; over the whole log, the number of weekdays and weekend days
//! it covers. Memory does not grow with the number of calls: histograms have a bounded number of
//! buckets, and users are kept in a hash-sampled set (when it fills up, the sampling rate halves and
//! users outside the sample are dropped, an unbiased sample of users either way), so a billion-row
//! log needs what a thousand-row log needs. A [`Summary`] is also what a warehouse query produces
//! (see [`aggregate`](super::aggregate)), and summaries of shards add up.

use std::collections::{BTreeSet, HashMap};

use indexmap::IndexMap;

use super::hist::{Histogram, Moments};
use super::record::{Call, Status};
use crate::base::calendar::Date;

/// Calls of one workflow served by one model.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PartStats {
    /// Completed calls whose output was accepted (one per request).
    pub ok_calls: f64,
    /// Completed (billed) calls whose output failed validation.
    pub validation_failures: f64,
    /// Provider errors (not billed).
    pub errors: f64,
    /// Calls that were retries (attempt > 1), when logs say.
    pub retries: f64,
    /// Highest attempt number seen.
    pub max_attempt: f64,
    /// Completed calls that read part of the prompt from the cache.
    pub cache_hits: f64,
    /// Input minus cached tokens of completed calls with a cache hit.
    pub input_tokens_hit: Histogram,
    /// Input tokens of every completed call.
    pub input_tokens_all: Histogram,
    /// Cached tokens of completed calls with a cache hit.
    pub cached_tokens: Histogram,
    /// Output tokens of every completed call.
    pub output_tokens: Histogram,
    /// Spend the log reports, and over how many calls.
    pub cost_usd: Moments,
    /// Completed calls whose log reports cache writes (0 included).
    pub writes_reported: f64,
    /// Completed calls, among those, that read or wrote part of the prompt through the cache.
    pub cache_active: f64,
    /// Cached plus written tokens of those calls: the part of the prompt that goes through the
    /// cache.
    pub prefix_tokens: Histogram,
    /// Cached tokens and cache writes summed over the calls that report writes.
    pub read_tokens_reported: f64,
    pub write_tokens: f64,
    /// Input that neither came from nor went to the cache, over the calls that report writes.
    pub uncached_input: Histogram,
    /// Completed calls whose log shows the time to live of their writes; their writes, and the
    /// one-hour ones among them.
    pub ttl_known_calls: f64,
    pub write_tokens_ttl_known: f64,
    pub write_tokens_1h: f64,
    /// Completed calls whose log reports reasoning tokens; their reasoning tokens, and their
    /// output without reasoning and audio.
    pub reasoning_reported: f64,
    pub reasoning_tokens: Histogram,
    pub visible_output_tokens: Histogram,
    /// Image and audio tokens of the completed calls that had some.
    pub image_tokens: Histogram,
    pub audio_input_tokens: Histogram,
    pub audio_output_tokens: Histogram,
}

impl PartStats {
    /// Completed (billed) calls.
    pub fn calls(&self) -> f64 {
        self.ok_calls + self.validation_failures
    }

    pub fn merge(&mut self, o: &PartStats) {
        self.ok_calls += o.ok_calls;
        self.validation_failures += o.validation_failures;
        self.errors += o.errors;
        self.retries += o.retries;
        self.max_attempt = self.max_attempt.max(o.max_attempt);
        self.cache_hits += o.cache_hits;
        self.input_tokens_hit.merge(&o.input_tokens_hit);
        self.input_tokens_all.merge(&o.input_tokens_all);
        self.cached_tokens.merge(&o.cached_tokens);
        self.output_tokens.merge(&o.output_tokens);
        self.cost_usd.merge(&o.cost_usd);
        self.writes_reported += o.writes_reported;
        self.cache_active += o.cache_active;
        self.prefix_tokens.merge(&o.prefix_tokens);
        self.read_tokens_reported += o.read_tokens_reported;
        self.write_tokens += o.write_tokens;
        self.uncached_input.merge(&o.uncached_input);
        self.ttl_known_calls += o.ttl_known_calls;
        self.write_tokens_ttl_known += o.write_tokens_ttl_known;
        self.write_tokens_1h += o.write_tokens_1h;
        self.reasoning_reported += o.reasoning_reported;
        self.reasoning_tokens.merge(&o.reasoning_tokens);
        self.visible_output_tokens.merge(&o.visible_output_tokens);
        self.image_tokens.merge(&o.image_tokens);
        self.audio_input_tokens.merge(&o.audio_input_tokens);
        self.audio_output_tokens.merge(&o.audio_output_tokens);
    }
}

/// Traffic of one workflow.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct WorkflowStats {
    /// Requests (accepted calls) on weekdays and on Saturdays and Sundays.
    pub requests_weekday: f64,
    pub requests_weekend: f64,
    /// Distinct users (estimated when users were sampled).
    pub users: f64,
    /// Over (sampled) users: n = users, sum = their requests, sum_sq = Σ requests².
    pub user_requests: Moments,
    /// Requests whose log line names no user.
    pub requests_without_user: f64,
}

impl WorkflowStats {
    pub fn merge(&mut self, o: &WorkflowStats) {
        self.requests_weekday += o.requests_weekday;
        self.requests_weekend += o.requests_weekend;
        self.users += o.users;
        self.user_requests.merge(&o.user_requests);
        self.requests_without_user += o.requests_without_user;
    }
}

/// Workflows whose users overlap: one population of users that uses each of them.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Population {
    /// In order of first appearance.
    pub workflows: Vec<String>,
    /// Distinct users of any of them (estimated when users were sampled).
    pub users: f64,
    /// Over (sampled) users: their requests to any of the workflows.
    pub user_requests: Moments,
}

/// A log, summarised.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Summary {
    /// Groups of two or more workflows that share users (workflows whose users nobody else has
    /// are in none); empty for warehouse aggregates, which carry no user ids.
    pub populations: Vec<Population>,
    /// By (workflow, model), in order of first appearance.
    pub parts: IndexMap<(String, String), PartStats>,
    pub workflows: IndexMap<String, WorkflowStats>,
    /// Distinct weekdays and weekend days the log covers.
    pub days_weekday: f64,
    pub days_weekend: f64,
    /// First and last day seen (not carried by warehouse aggregates).
    pub first_day: Option<Date>,
    pub last_day: Option<Date>,
}

impl Summary {
    pub fn merge(&mut self, o: &Summary) {
        // Populations come from user ids, which only call logs carry: one summary holds them.
        if self.populations.is_empty() {
            self.populations.clone_from(&o.populations);
        }
        for (k, p) in &o.parts {
            self.parts.entry(k.clone()).or_default().merge(p);
        }
        for (k, w) in &o.workflows {
            self.workflows.entry(k.clone()).or_default().merge(w);
        }
        self.days_weekday += o.days_weekday;
        self.days_weekend += o.days_weekend;
        self.first_day = match (self.first_day, o.first_day) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        self.last_day = match (self.last_day, o.last_day) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        };
    }

    /// Calls read, errors included (0, not −0, when there are none).
    pub fn calls(&self) -> f64 {
        self.parts
            .values()
            .fold(0.0, |total, p| total + p.calls() + p.errors)
    }

    /// Distinct workflows, whether or not any of their calls was accepted.
    pub fn workflow_count(&self) -> usize {
        let mut names: Vec<&str> = self.parts.keys().map(|(w, _)| w.as_str()).collect();
        names.extend(self.workflows.keys().map(String::as_str));
        names.sort_unstable();
        names.dedup();
        names.len()
    }
}

/// Users kept per run before the sampling rate halves; bounds memory at a few megabytes.
pub const USER_SAMPLE_CAP: usize = 1 << 18;

/// Most (workflow, model) pairs a run keeps: more means the workflow is taken from something far
/// too fine-grained (a request id), and memory would grow with the log.
pub const MAX_PARTS: usize = 2000;

/// Folds calls into a [`Summary`] in bounded memory.
#[derive(Debug, Default)]
pub struct Accumulator {
    summary: Summary,
    workflow_index: HashMap<String, u32>,
    dates: BTreeSet<Date>,
    /// Requests per (workflow, user hash) of sampled users.
    users: HashMap<(u32, u64), u64>,
    /// Users are kept when the low `level` bits of their hash are 0.
    level: u32,
    cap: usize,
    /// Calls dropped because [`MAX_PARTS`] pairs were already kept.
    pub dropped_parts: u64,
}

/// The root of `i` in a union-find forest, with path halving.
fn root(parent: &mut [usize], mut i: usize) -> usize {
    while parent[i] != i {
        parent[i] = parent[parent[i]];
        i = parent[i];
    }
    i
}

/// A well-mixed 64-bit hash of a user id (FNV-1a, then the SplitMix64 finaliser).
fn user_hash(user: &str) -> u64 {
    let mut z = crate::model::stable_hash(user);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

impl Accumulator {
    pub fn new() -> Self {
        Accumulator::with_user_cap(USER_SAMPLE_CAP)
    }

    /// With a smaller user sample (for tests of the sampling).
    pub fn with_user_cap(cap: usize) -> Self {
        Accumulator {
            cap: cap.max(1),
            ..Accumulator::default()
        }
    }

    /// Distinct weekdays seen; bounded by the log's span in days.
    pub fn days_seen(&self) -> usize {
        self.dates.len()
    }

    /// Users currently held (bounded by the cap).
    pub fn users_held(&self) -> usize {
        self.users.len()
    }

    pub fn add(&mut self, c: &Call) {
        let key = (c.workflow.clone(), c.model.clone());
        if self.summary.parts.len() >= MAX_PARTS && !self.summary.parts.contains_key(&key) {
            self.dropped_parts += 1;
            return;
        }
        let day = c.timestamp.date();
        self.dates.insert(day);
        let part = self.summary.parts.entry(key).or_default();
        if let Some(a) = c.attempt {
            part.max_attempt = part.max_attempt.max(f64::from(a));
            if a > 1 {
                part.retries += 1.0;
            }
        }
        match c.status {
            Status::Error => {
                part.errors += 1.0;
                return;
            }
            Status::ValidationFailed => part.validation_failures += 1.0,
            Status::Ok => part.ok_calls += 1.0,
        }
        let input = c.input_tokens as f64;
        let cached = c.cached_tokens.min(c.input_tokens) as f64;
        part.input_tokens_all.add(input);
        part.output_tokens.add(c.output_tokens as f64);
        if cached > 0.0 {
            part.cache_hits += 1.0;
            part.cached_tokens.add(cached);
            part.input_tokens_hit.add(input - cached);
        }
        if let Some(cost) = c.cost_usd {
            part.cost_usd.add(cost);
        }
        if let Some(writes) = c.cache_write_tokens {
            let writes = writes as f64;
            part.writes_reported += 1.0;
            part.read_tokens_reported += cached;
            part.write_tokens += writes;
            part.uncached_input.add(c.uncached_input() as f64);
            if cached + writes > 0.0 {
                part.cache_active += 1.0;
                part.prefix_tokens.add(cached + writes);
            }
            if let Some(h) = c.cache_write_1h_tokens {
                part.ttl_known_calls += 1.0;
                part.write_tokens_ttl_known += writes;
                part.write_tokens_1h += h as f64;
            }
        }
        if let Some(r) = c.reasoning_tokens {
            part.reasoning_reported += 1.0;
            part.reasoning_tokens.add(r as f64);
            part.visible_output_tokens
                .add((c.output_tokens - r - c.audio_output_tokens) as f64);
        }
        for (h, n) in [
            (&mut part.image_tokens, c.image_tokens),
            (&mut part.audio_input_tokens, c.audio_input_tokens),
            (&mut part.audio_output_tokens, c.audio_output_tokens),
        ] {
            if n > 0 {
                h.add(n as f64);
            }
        }
        if c.status != Status::Ok {
            return;
        }
        let n = self.workflow_index.len() as u32;
        let wi = *self.workflow_index.entry(c.workflow.clone()).or_insert(n);
        let w = self
            .summary
            .workflows
            .entry(c.workflow.clone())
            .or_default();
        if day.is_weekend() {
            w.requests_weekend += 1.0;
        } else {
            w.requests_weekday += 1.0;
        }
        match &c.user {
            None => w.requests_without_user += 1.0,
            Some(u) => {
                let h = user_hash(u);
                if h & ((1u64 << self.level) - 1) == 0 {
                    *self.users.entry((wi, h)).or_default() += 1;
                    if self.users.len() > self.cap {
                        self.level += 1;
                        let mask = (1u64 << self.level) - 1;
                        self.users.retain(|(_, h), _| h & mask == 0);
                    }
                }
            }
        }
    }

    /// Workflows joined by a (sampled) user they share, with each group's users and their
    /// requests; groups of one workflow are left out.
    fn populations(&self, names: &[String], scale: f64) -> Vec<Population> {
        let mut parent: Vec<usize> = (0..names.len()).collect();
        let mut first_of: HashMap<u64, usize> = HashMap::new();
        let mut keys: Vec<&(u32, u64)> = self.users.keys().collect();
        keys.sort_unstable();
        for (wi, h) in keys {
            let w = *wi as usize;
            if w >= names.len() {
                continue;
            }
            let other = *first_of.entry(*h).or_insert(w);
            let (a, b) = (root(&mut parent, w), root(&mut parent, other));
            if a != b {
                parent[a.max(b)] = a.min(b);
            }
        }
        let mut groups: Vec<Vec<usize>> = Vec::new();
        let mut group_of: HashMap<usize, usize> = HashMap::new();
        for w in 0..names.len() {
            let r = root(&mut parent, w);
            let g = *group_of.entry(r).or_insert_with(|| {
                groups.push(Vec::new());
                groups.len() - 1
            });
            groups[g].push(w);
        }
        let mut out = Vec::new();
        for g in groups.into_iter().filter(|g| g.len() > 1) {
            let mut per_user: HashMap<u64, u64> = HashMap::new();
            for ((wi, h), n) in &self.users {
                if g.contains(&(*wi as usize)) {
                    *per_user.entry(*h).or_default() += n;
                }
            }
            let mut user_requests = Moments::default();
            let mut counts: Vec<u64> = per_user.into_values().collect();
            counts.sort_unstable();
            for n in counts {
                user_requests.add(n as f64);
            }
            out.push(Population {
                workflows: g.iter().map(|&w| names[w].clone()).collect(),
                users: user_requests.n * scale,
                user_requests,
            });
        }
        out
    }

    pub fn finish(mut self) -> Summary {
        let names: Vec<String> = self.summary.workflows.keys().cloned().collect();
        let scale = (1u64 << self.level) as f64;
        for ((wi, _), n) in &self.users {
            let Some(name) = names.get(*wi as usize) else {
                continue;
            };
            let w = self.summary.workflows.entry(name.clone()).or_default();
            w.user_requests.n += 1.0;
            w.user_requests.sum += *n as f64;
            w.user_requests.sum_sq += (*n as f64).powi(2);
        }
        for w in self.summary.workflows.values_mut() {
            w.users = w.user_requests.n * scale;
        }
        self.summary.populations = self.populations(&names, scale);
        self.summary.days_weekday = self.dates.iter().filter(|d| !d.is_weekend()).count() as f64;
        self.summary.days_weekend = self.dates.iter().filter(|d| d.is_weekend()).count() as f64;
        self.summary.first_day = self.dates.first().copied();
        self.summary.last_day = self.dates.last().copied();
        self.summary
    }
}
