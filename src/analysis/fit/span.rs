//! Which calls belong to the logs' span, and which lie so far outside it that they are set aside.
//!
//! A log row stamped `0` (1970-01-01, the usual stand-in for a missing time) or a stray row from
//! another year once widened the span `fit` divides traffic by, and made `backtest` treat 1970-01
//! as a month of data. Calls are grouped into *stretches*: runs of days with calls, broken where
//! more than [`GAP_DAYS`] days pass without one. The stretch with the most calls is the bulk of
//! the logs. A stretch of fewer than [`ESTABLISHED_CALLS`] calls that is smaller than the bulk and
//! either holds under 1% of all calls or lies more than [`FAR_DAYS`] days from the bulk is set
//! aside: its calls are neither fitted nor backtested, and the commands say so.
//!
//! The logs are a stream, so the bulk is known only at the end. Calls of a stretch that has not
//! yet reached [`ESTABLISHED_CALLS`] are held back (at most [`HELD_CALLS`] of them, a few MB) and
//! released once their stretch is established or at the end; everything else passes straight
//! through. Memory is bounded: at most [`MAX_DAYS`] distinct days are kept.

use std::collections::BTreeMap;

use super::record::Call;
use crate::base::calendar::Date;
use crate::base::error::{Error, UsageKind};

/// Days without a call that end a stretch.
pub const GAP_DAYS: i64 = 31;
/// Calls that make a stretch real traffic, never set aside.
pub const ESTABLISHED_CALLS: u64 = 1000;
/// A stretch at least this far from the bulk (in days) is set aside whatever its share.
pub const FAR_DAYS: i64 = 366;
/// A stretch with less than this share of all calls is set aside when it is apart from the bulk.
pub const SMALL_SHARE: f64 = 0.01;
/// Most calls held back while their stretch is small.
pub const HELD_CALLS: usize = 100_000;
/// Most distinct days with calls: a century.
pub const MAX_DAYS: usize = 36_525;

#[derive(Clone, Copy, Debug)]
struct Stretch {
    last: i64,
    calls: u64,
    established: bool,
}

/// Calls set aside, by stretch.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SetAside {
    /// (first day, last day, calls) of each stretch set aside, earliest first.
    pub stretches: Vec<(Date, Date, u64)>,
    /// The kept span: first and last day of the stretches kept.
    pub kept: Option<(Date, Date)>,
}

impl SetAside {
    pub fn calls(&self) -> u64 {
        self.stretches.iter().map(|s| s.2).sum()
    }

    /// "1 call dated 1970-01-01, far outside the logs (2026-10-01 to 2026-10-30)", or `None`
    /// when nothing was set aside.
    pub fn describe(&self) -> Option<String> {
        if self.stretches.is_empty() {
            return None;
        }
        let calls = self.calls();
        let mut dates: Vec<String> = self
            .stretches
            .iter()
            .take(5)
            .map(|(a, b, _)| {
                if a == b {
                    a.to_string()
                } else {
                    format!("{a} to {b}")
                }
            })
            .collect();
        if self.stretches.len() > 5 {
            dates.push(format!("and {} more stretches", self.stretches.len() - 5));
        }
        let span = self
            .kept
            .map_or(String::new(), |(a, b)| format!(" ({a} to {b})"));
        Some(format!(
            "set aside {calls} call{} dated {}, far outside the span of the logs{span}",
            if calls == 1 { "" } else { "s" },
            dates.join(", ")
        ))
    }
}

/// Passes calls on, holding back those whose stretch is still small; see the module
/// documentation.
#[derive(Debug, Default)]
pub struct SpanFilter {
    /// Calls per day.
    days: BTreeMap<i64, u64>,
    /// Stretches by first day.
    stretches: BTreeMap<i64, Stretch>,
    held: Vec<Call>,
    total: u64,
    /// Calls on days beyond [`MAX_DAYS`], which make the read fail.
    beyond: u64,
}

impl SpanFilter {
    pub fn new() -> Self {
        SpanFilter::default()
    }

    /// Take one call: it is passed to `sink` now, or held back until its stretch is established
    /// or the logs end.
    pub fn add(&mut self, call: Call, sink: &mut dyn FnMut(Call)) {
        let day = call.timestamp.date().days();
        if !self.days.contains_key(&day) && self.days.len() >= MAX_DAYS {
            self.beyond += 1;
            return;
        }
        *self.days.entry(day).or_default() += 1;
        self.total += 1;
        let start = self.join(day);
        let s = self
            .stretches
            .get_mut(&start)
            .expect("the stretch just joined");
        s.calls += 1;
        if s.established {
            sink(call);
            return;
        }
        self.held.push(call);
        if s.calls >= ESTABLISHED_CALLS {
            self.establish(start, sink);
        } else if self.held.len() > HELD_CALLS {
            // Many small stretches at once: release the largest of them.
            let largest = self
                .stretches
                .iter()
                .filter(|(_, s)| !s.established)
                .max_by_key(|(_, s)| s.calls)
                .map(|(k, _)| *k);
            if let Some(k) = largest {
                self.establish(k, sink);
            }
        }
    }

    /// The first day of the stretch `day` now belongs to, merging the stretches it bridges.
    fn join(&mut self, day: i64) -> i64 {
        let before = self
            .stretches
            .range(..=day)
            .next_back()
            .filter(|(_, s)| s.last + GAP_DAYS >= day)
            .map(|(k, _)| *k);
        let start = match before {
            Some(k) => {
                let s = self.stretches.get_mut(&k).expect("found above");
                s.last = s.last.max(day);
                k
            }
            None => {
                self.stretches.insert(
                    day,
                    Stretch {
                        last: day,
                        calls: 0,
                        established: false,
                    },
                );
                day
            }
        };
        // Merge every later stretch the grown one now reaches.
        loop {
            let last = self.stretches[&start].last;
            let next = self
                .stretches
                .range(start + 1..)
                .next()
                .filter(|(k, _)| **k <= last + GAP_DAYS)
                .map(|(k, s)| (*k, *s));
            let Some((k, other)) = next else {
                break;
            };
            self.stretches.remove(&k);
            let s = self.stretches.get_mut(&start).expect("found above");
            s.last = s.last.max(other.last);
            s.calls += other.calls;
            s.established |= other.established;
        }
        start
    }

    /// Mark the stretch at `start` established and release its held calls.
    fn establish(&mut self, start: i64, sink: &mut dyn FnMut(Call)) {
        let Some(s) = self.stretches.get_mut(&start) else {
            return;
        };
        s.established = true;
        let last = s.last;
        self.release(|d| d >= start && d <= last, sink);
    }

    fn release(&mut self, keep: impl Fn(i64) -> bool, sink: &mut dyn FnMut(Call)) {
        let held = std::mem::take(&mut self.held);
        for c in held {
            if keep(c.timestamp.date().days()) {
                sink(c);
            } else {
                self.held.push(c);
            }
        }
    }

    /// The logs have ended: release the held calls of stretches that belong to the span, and
    /// say what was set aside. Fails when the calls fall on more than [`MAX_DAYS`] days.
    pub fn finish(mut self, sink: &mut dyn FnMut(Call)) -> Result<SetAside, Error> {
        if self.beyond > 0 {
            return Err(UsageKind::TooManyDays {
                max: MAX_DAYS,
                beyond: self.beyond,
            }
            .into());
        }
        let Some((&bulk_start, &bulk)) = self.stretches.iter().max_by_key(|(_, s)| s.calls) else {
            return Ok(SetAside::default());
        };
        let distance = |start: i64, s: &Stretch| {
            if s.last < bulk_start {
                bulk_start - s.last
            } else {
                start - bulk.last
            }
        };
        let mut out = SetAside::default();
        let mut aside: Vec<(i64, i64)> = Vec::new();
        let mut kept: Option<(i64, i64)> = None;
        for (&start, s) in &self.stretches {
            let small = (s.calls as f64) < SMALL_SHARE * self.total as f64;
            let set_aside = !s.established
                && start != bulk_start
                && s.calls < bulk.calls
                && (small || distance(start, s) > FAR_DAYS);
            if set_aside {
                aside.push((start, s.last));
                out.stretches
                    .push((Date::from_days(start), Date::from_days(s.last), s.calls));
            } else {
                kept = Some(kept.map_or((start, s.last), |(a, _)| (a, s.last)));
            }
        }
        out.kept = kept.map(|(a, b)| (Date::from_days(a), Date::from_days(b)));
        let in_aside = |d: i64| aside.iter().any(|(a, b)| d >= *a && d <= *b);
        self.release(|d| !in_aside(d), sink);
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::base::calendar::Timestamp;

    fn call(date: &str) -> Call {
        let mut c = Call::new(
            Timestamp::parse(date).unwrap(),
            "w".to_string(),
            "m".to_string(),
        );
        c.input_tokens = 1;
        c.output_tokens = 1;
        c
    }

    fn run(dates: &[String]) -> (Vec<String>, SetAside) {
        let mut passed = Vec::new();
        let mut f = SpanFilter::new();
        for d in dates {
            f.add(call(d), &mut |c| {
                passed.push(c.timestamp.date().to_string())
            });
        }
        let aside = f
            .finish(&mut |c| passed.push(c.timestamp.date().to_string()))
            .unwrap();
        passed.sort();
        (passed, aside)
    }

    fn october(n: usize) -> Vec<String> {
        (0..n)
            .map(|i| format!("2026-10-{:02}T12:00:00Z", 1 + i % 30))
            .collect()
    }

    #[test]
    fn a_row_stamped_zero_is_set_aside_and_the_rest_pass() {
        let mut dates = vec!["0".to_string()];
        dates.extend(october(1500));
        let (passed, aside) = run(&dates);
        assert_eq!(passed.len(), 1500);
        assert!(passed.iter().all(|d| d.starts_with("2026-10")));
        assert_eq!(aside.calls(), 1);
        assert_eq!(aside.stretches[0].0.to_string(), "1970-01-01");
        let text = aside.describe().unwrap();
        assert!(
            text.contains("1 call dated 1970-01-01") && text.contains("(2026-10-01 to 2026-10-30)"),
            "{text}"
        );
    }

    /// Far from the bulk, a stray stretch goes whatever its share; near it (a pause of two
    /// months), it goes only when tiny; a stretch as large as the bulk always stays.
    #[test]
    fn stray_stretches_go_and_real_traffic_stays() {
        let mut dates = october(30);
        dates.extend((0..5).map(|_| "2024-03-01T00:00:00Z".to_string()));
        let (passed, aside) = run(&dates);
        assert_eq!((passed.len(), aside.calls()), (30, 5));

        let mut dates = october(30);
        dates.extend((0..5).map(|_| "2027-01-05T00:00:00Z".to_string()));
        let (passed, aside) = run(&dates);
        assert_eq!(
            (passed.len(), aside.calls()),
            (35, 0),
            "5 of 35 is not tiny"
        );

        let mut dates = october(2000);
        dates.push("2027-01-05T00:00:00Z".to_string());
        let (passed, aside) = run(&dates);
        assert_eq!((passed.len(), aside.calls()), (2000, 1));

        let mut dates = october(30);
        dates.extend((0..30).map(|i| format!("2020-01-{:02}T00:00:00Z", 1 + i)));
        let (passed, _) = run(&dates);
        assert_eq!(passed.len(), 60, "two stretches of equal size both stay");
    }

    /// An established stretch (a thousand calls) is real traffic even far from the bulk, and its
    /// calls are not held.
    #[test]
    fn established_stretches_stay_and_pass_at_once() {
        let mut dates: Vec<String> = (0..1000)
            .map(|i| format!("2020-01-{:02}T00:00:00Z", 1 + i % 28))
            .collect();
        dates.extend(october(5000));
        let mut passed = 0;
        let mut f = SpanFilter::new();
        for d in &dates {
            f.add(call(d), &mut |_| passed += 1);
        }
        assert_eq!(passed, 6000, "everything passed before the end");
        assert_eq!(f.finish(&mut |_| passed += 1).unwrap().calls(), 0);
    }

    #[test]
    fn calls_on_more_days_than_a_century_are_refused() {
        let mut f = SpanFilter::new();
        for d in 0..(MAX_DAYS as i64 + 10) {
            let mut c = call("2026-10-01");
            c.timestamp = Timestamp(d * 86_400);
            f.add(c, &mut |_| {});
        }
        let e = f.finish(&mut |_| {}).unwrap_err().to_string();
        assert!(e.contains("more than 36525 distinct days"), "{e}");
    }
}
