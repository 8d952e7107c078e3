//! Usage logs with a known truth, generated from a seed: the model `fit` assumes (users with a
//! Gamma activity multiplier per month, Poisson requests per day, lognormal tokens, Bernoulli cache
//! hits, validation failures and errors), so fitted values can be checked against it.
#![allow(dead_code)]

use aicost::base::calendar::Date;
use rand::rngs::ChaCha8Rng;
use rand::{RngExt, SeedableRng};
use rand_distr::{Distribution, Gamma, LogNormal, Poisson};

/// How one workflow calls one model.
#[derive(Clone, Debug)]
pub struct PartTruth {
    pub model: &'static str,
    /// Share of the workflow's requests.
    pub share: f64,
    pub input_mu: f64,
    pub input_sigma: f64,
    pub output_mu: f64,
    pub output_sigma: f64,
    /// Cached prefix on a hit (0: no caching).
    pub prefix: u64,
    pub hit_rate: f64,
    pub validation_failure_rate: f64,
    pub error_rate: f64,
}

#[derive(Clone, Debug)]
pub struct WorkflowTruth {
    pub name: &'static str,
    pub users: u64,
    /// Requests per user on a weekday.
    pub rate: f64,
    pub weekend_factor: f64,
    pub user_cv: f64,
    pub parts: Vec<PartTruth>,
}

/// One generated call.
#[derive(Clone, Debug)]
pub struct Row {
    pub date: Date,
    pub second: u32,
    pub user: String,
    pub workflow: &'static str,
    pub model: &'static str,
    pub input: u64,
    pub cached: u64,
    pub output: u64,
    /// "ok", "validation_failed" or "error".
    pub status: &'static str,
    /// 1 for a request's first call, 2 for its first retry, …
    pub attempt: u32,
}

pub fn part(model: &'static str, share: f64) -> PartTruth {
    PartTruth {
        model,
        share,
        input_mu: 800f64.ln(),
        input_sigma: 0.6,
        output_mu: 200f64.ln(),
        output_sigma: 0.4,
        prefix: 0,
        hit_rate: 0.0,
        validation_failure_rate: 0.0,
        error_rate: 0.0,
    }
}

/// Generate `days` days of calls from `start`; the activity multiplier of each user is drawn
/// afresh each calendar month. Every validation failure is followed by a retry (another call).
pub fn generate(
    workflows: &[WorkflowTruth],
    start: Date,
    days: i64,
    seed: u64,
    mut sink: impl FnMut(&Row),
) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    for w in workflows {
        let users: Vec<String> = (0..w.users)
            .map(|u| format!("{}-user-{u}", w.name))
            .collect();
        let mut multipliers = vec![1.0; users.len()];
        let mut month = None;
        for d in 0..days {
            let date = Date::from_days(start.days() + d);
            if month != Some(date.month()) {
                month = Some(date.month());
                for m in multipliers.iter_mut() {
                    *m = if w.user_cv > 0.0 {
                        let cv2 = w.user_cv * w.user_cv;
                        Gamma::new(1.0 / cv2, cv2).unwrap().sample(&mut rng)
                    } else {
                        1.0
                    };
                }
            }
            let factor = if date.is_weekend() {
                w.weekend_factor
            } else {
                1.0
            };
            for (u, user) in users.iter().enumerate() {
                let mean = w.rate * multipliers[u] * factor;
                let n = if mean > 0.0 {
                    Poisson::new(mean).unwrap().sample(&mut rng) as u64
                } else {
                    0
                };
                for _ in 0..n {
                    let x: f64 = rng.random();
                    let mut acc = 0.0;
                    let p = w
                        .parts
                        .iter()
                        .find(|p| {
                            acc += p.share;
                            x < acc
                        })
                        .unwrap_or(w.parts.last().unwrap());
                    let mut attempt = 0;
                    loop {
                        attempt += 1;
                        let var = LogNormal::new(p.input_mu, p.input_sigma)
                            .unwrap()
                            .sample(&mut rng)
                            .round() as u64;
                        let output = LogNormal::new(p.output_mu, p.output_sigma)
                            .unwrap()
                            .sample(&mut rng)
                            .round() as u64;
                        let hit = rng.random::<f64>() < p.hit_rate;
                        let error = rng.random::<f64>() < p.error_rate;
                        let failed = rng.random::<f64>() < p.validation_failure_rate;
                        let status = if error {
                            "error"
                        } else if failed {
                            "validation_failed"
                        } else {
                            "ok"
                        };
                        sink(&Row {
                            date,
                            second: rng.random_range(0..86_400),
                            user: user.clone(),
                            workflow: w.name,
                            model: p.model,
                            input: p.prefix + var,
                            cached: if hit && !error { p.prefix } else { 0 },
                            output: if error { 0 } else { output },
                            status,
                            attempt,
                        });
                        if status == "ok" {
                            break;
                        }
                    }
                }
            }
        }
    }
}

pub fn timestamp(r: &Row) -> String {
    format!(
        "{}T{:02}:{:02}:{:02}Z",
        r.date,
        r.second / 3600,
        r.second / 60 % 60,
        r.second % 60
    )
}

pub const PLAIN_HEADER: &str =
    "timestamp,user,workflow,model,input_tokens,cached_tokens,output_tokens,status\n";

pub fn plain_csv(r: &Row) -> String {
    format!(
        "{},{},{},{},{},{},{},{}\n",
        timestamp(r),
        r.user,
        r.workflow,
        r.model,
        r.input,
        r.cached,
        r.output,
        r.status
    )
}

pub fn otel_json(r: &Row) -> String {
    let nanos = (r.date.days() * 86_400 + i64::from(r.second)) as i128 * 1_000_000_000;
    let mut attrs = serde_json::json!({
        "gen_ai.operation.name": "chat",
        "gen_ai.request.model": r.model,
        "gen_ai.usage.input_tokens": r.input,
        "gen_ai.usage.output_tokens": r.output,
        "gen_ai.usage.cache_read.input_tokens": r.cached,
        "app.workflow": r.workflow,
        "enduser.id": r.user,
    });
    if r.status == "validation_failed" {
        attrs["aicost.validation_failed"] = serde_json::json!(true);
    }
    if r.status == "error" {
        attrs["error.type"] = serde_json::json!("rate_limit");
    }
    format!(
        "{}\n",
        serde_json::json!({
            "name": format!("chat {}", r.model),
            "startTimeUnixNano": nanos.to_string(),
            "attributes": attrs,
        })
    )
}

pub const LITELLM_HEADER: &str = "request_id,call_type,spend,prompt_tokens,completion_tokens,startTime,model,user,end_user,metadata,request_tags,status,cache_hit\n";

pub fn litellm_csv(r: &Row, i: u64) -> String {
    let metadata = format!(
        "{{\"\"additional_usage_values\"\": {{\"\"prompt_tokens_details\"\": {{\"\"cached_tokens\"\": {}}}}}}}",
        r.cached
    );
    let mut tags = format!("workflow:{}", r.workflow);
    if r.status == "validation_failed" {
        tags.push_str("\"\", \"\"validation_failed");
    }
    format!(
        "req-{i},acompletion,0.001,{},{},{},{},key-user,{},\"{metadata}\",\"[\"\"{tags}\"\"]\",{},False\n",
        r.input,
        r.output,
        timestamp(r).replace('T', " ").replace('Z', "+00:00"),
        r.model,
        r.user,
        if r.status == "error" {
            "failure"
        } else {
            "success"
        },
    )
}
