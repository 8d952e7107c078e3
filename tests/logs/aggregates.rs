//! The warehouse query of docs/warehouse.md computed in Rust from generated rows: what a
//! warehouse would hand `fit` as aggregates, so tests can check that a fit from aggregates equals
//! the fit from the raw rows without a database.

use std::collections::{BTreeMap, BTreeSet};

use aicost::analysis::fit::hist::{Moments, bucket};
use aicost::base::calendar::Date;

use super::Row;

type Key = (String, String, &'static str);

/// Histograms, counters and sums per (workflow, model, measure), plus each user's requests and the
/// days the rows cover.
#[derive(Default)]
pub struct Aggregates {
    hist: BTreeMap<(String, String, &'static str, Option<i32>), Moments>,
    counters: BTreeMap<Key, f64>,
    sums: BTreeMap<Key, (f64, f64)>,
    per_user: BTreeMap<(String, String), f64>,
    days: BTreeSet<Date>,
}

fn key(r: &Row, measure: &'static str) -> Key {
    (r.workflow.to_string(), r.model.to_string(), measure)
}

impl Aggregates {
    /// Adds what every row carries: its status, day, user, input, output and cache reads. Returns
    /// false for an error, which carries no tokens: the caller adds nothing more for it.
    pub fn add_row(&mut self, r: &Row) -> bool {
        self.days.insert(r.date);
        match r.status {
            "error" => {
                self.count(r, "errors");
                return false;
            }
            "validation_failed" => self.count(r, "validation_failures"),
            _ => {
                self.count(r, "ok_calls");
                let day = if r.date.is_weekend() {
                    "requests_weekend"
                } else {
                    "requests_weekday"
                };
                *self
                    .counters
                    .entry((r.workflow.to_string(), String::new(), day))
                    .or_default() += 1.0;
                *self
                    .per_user
                    .entry((r.workflow.to_string(), r.user.clone()))
                    .or_default() += 1.0;
            }
        }
        self.hist(r, "input_tokens_all", r.input);
        self.hist(r, "output_tokens", r.output);
        if r.cached > 0 {
            self.count(r, "cache_hits");
            self.hist(r, "cached_tokens", r.cached);
            self.hist(r, "input_tokens_hit", r.input - r.cached);
        }
        true
    }

    /// One more call counted under `measure`.
    pub fn count(&mut self, r: &Row, measure: &'static str) {
        *self.counters.entry(key(r, measure)).or_default() += 1.0;
    }

    /// `x` into the histogram of `measure`.
    pub fn hist(&mut self, r: &Row, measure: &'static str, x: u64) {
        let (w, m, measure) = key(r, measure);
        let x = x as f64;
        self.hist
            .entry((w, m, measure, bucket(x)))
            .or_default()
            .add(x);
    }

    /// `x` into the plain sum of `measure` (with its count).
    pub fn sum(&mut self, r: &Row, measure: &'static str, x: u64) {
        let e = self.sums.entry(key(r, measure)).or_default();
        e.0 += 1.0;
        e.1 += x as f64;
    }

    /// The query's result as the CSV `fit` reads.
    pub fn csv(&self) -> String {
        let mut out = String::from("workflow,model,measure,bucket,n,sum,sum_sq,sum_ln,sum_ln2\n");
        for ((w, m, measure, b), s) in &self.hist {
            let b = b.map_or(String::new(), |b| b.to_string());
            out += &format!(
                "{w},{m},{measure},{b},{},{},{},{},{}\n",
                s.n, s.sum, s.sum_sq, s.sum_ln, s.sum_ln2
            );
        }
        for ((w, m, measure), n) in &self.counters {
            out += &format!("{w},{m},{measure},,{n},,,,\n");
        }
        for ((w, m, measure), (n, s)) in &self.sums {
            out += &format!("{w},{m},{measure},,{n},{s},,,\n");
        }
        let mut users: BTreeMap<String, Moments> = BTreeMap::new();
        for ((w, _), n) in &self.per_user {
            let u = users.entry(w.clone()).or_default();
            u.n += 1.0;
            u.sum += n;
            u.sum_sq += n * n;
        }
        for (w, u) in &users {
            out += &format!("{w},,users,,{},,,,\n", u.n);
            out += &format!("{w},,user_requests,,{},{},{},,\n", u.n, u.sum, u.sum_sq);
        }
        let weekdays = self.days.iter().filter(|d| !d.is_weekend()).count();
        out += &format!(
            ",,days_weekday,,{weekdays},,,,\n,,days_weekend,,{},,,,\n",
            self.days.len() - weekdays
        );
        out
    }
}
