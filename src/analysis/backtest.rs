//! Backtests: does the forecast's interval contain what was actually spent?
//!
//! For each calendar month of the logs, the actual spend is summed call by call — the spend the
//! log records when it has one (LiteLLM's `response_cost` or `spend`, a span's cost attribute), else the call's tokens at the scenario's prices (the
//! forecast's own prices, so a backtest measures the traffic and token model, not price changes) —
//! and compared with the forecast distribution of a month of that many days. Over many months, the
//! share of months inside the central 90 % interval (the coverage) should be near 90 %: far below
//! means the forecast is overconfident or biased, far above that it is too vague.
//!
//! Pricing a logged call goes through the billing kernel's price sets ([`ModelDraw`] at the
//! means): see `PriceSheet::cost`. Each month is simulated with its own calendar: its days, and
//! its first day on its real weekday. Provider errors cost nothing.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::analysis::fit::record::{Call, Status};
use crate::analysis::fit::resolve::How;
use crate::analysis::fit::span::SetAside;
use crate::base::calendar::{Date, Month};
use crate::base::stats::KahanSum;
use crate::billing::prices::ModelDraw;
use crate::model::catalog::Catalog;
use crate::model::{Model, RequestPath, Scenario, ServiceTier};

/// Spend of one calendar month, from logs.
#[derive(Clone, Debug, Default)]
pub struct MonthActual {
    pub spend: KahanSum,
    pub calls: u64,
    /// Calls whose model has no price in the scenario or the catalog.
    pub unpriced_calls: u64,
    /// Calls whose actual is the cost the log gives.
    pub logged_cost_calls: u64,
    /// Calls whose actual is their tokens priced (the log gives no cost).
    pub priced_calls: u64,
}

/// Actual monthly spend from a stream of calls.
#[derive(Debug)]
pub struct Actuals<'a> {
    scenario: &'a Scenario,
    catalog: &'a Catalog,
    pub months: BTreeMap<Month, MonthActual>,
    pub first_day: Option<Date>,
    pub last_day: Option<Date>,
    /// Days with calls (at most a century of them: the span filter refuses more).
    days: BTreeSet<Date>,
    /// Models priced from the catalog because the scenario lacks them.
    pub from_catalog: Vec<String>,
    /// Models with no price anywhere.
    pub unpriced: Vec<String>,
    /// Logged names priced as another name: (logged, priced as, how).
    pub resolved: Vec<(String, String, How)>,
    cache: BTreeMap<String, Option<PriceSheet>>,
    /// Calls of models beyond the first [`MAX_MODELS`] names.
    pub beyond_models: u64,
    /// Calls far outside the logs' span, left out.
    pub set_aside: SetAside,
}

/// Most distinct model names a backtest prices: more means the model column holds something
/// else (a request id), and memory would grow with the log.
pub const MAX_MODELS: usize = crate::analysis::fit::summary::MAX_PARTS;

/// Most days without a call inside a month that still counts as covered by the logs.
pub const MAX_GAP_IN_MONTH: i64 = 7;

/// A model's prices at their means, from the billing kernel: the scenario's model, or a catalog
/// entry made a model the way a scenario naming it would be.
#[derive(Clone, Debug)]
struct PriceSheet {
    draw: ModelDraw,
}

impl PriceSheet {
    fn of_model(m: &Model) -> Self {
        PriceSheet {
            draw: ModelDraw::at_means(m),
        }
    }

    /// The catalog entry `key` as a scenario's model: a one-model scenario naming it is
    /// validated, so its prices are filled exactly as `simulate` fills them.
    fn of_catalog(key: &str, catalog: &Catalog) -> Option<Self> {
        let text = format!(
            "name = \"backtest\"\n[[segment]]\nname = \"s\"\nusers = 1\nsessions_per_user_per_day = 1\n[[workflow]]\nname = \"w\"\n[[workflow.step]]\nname = \"call\"\nroute = \"r\"\ninput_tokens = 1\noutput_tokens = 1\n[[model]]\nname = {}\n[[stack]]\nname = \"s\"\n[stack.route.r]\nchain = [{{ model = {} }}]\n",
            crate::base::escape::toml_str(key),
            crate::base::escape::toml_str(key)
        );
        let opts = crate::model::scenario::LoadOptions {
            catalog: (catalog.name != crate::model::catalog::BUILTIN_NAME)
                .then(|| std::sync::Arc::new(catalog.clone())),
            ..crate::model::scenario::LoadOptions::default()
        };
        let loaded = crate::model::scenario::from_str_with("backtest", &text, &opts).ok()?;
        loaded.scenario.models.first().map(Self::of_model)
    }

    /// What a logged call cost at these prices: the uncached text input at the input price, cache
    /// reads at the cached-input price, cache writes at the write price of their time to live,
    /// image and audio tokens at theirs, output without reasoning at the output price and
    /// reasoning at the reasoning price; the whole call at long-context prices above the
    /// threshold, and the batch discount for a batch-path workflow. A class the model has no
    /// price for (0 in the price set) is billed like the tokens it is part of.
    fn cost(&self, c: &Call, batch: bool) -> f64 {
        let p = self
            .draw
            .prices(ServiceTier::Standard, c.input_tokens as f64);
        let or = |price: f64, fallback: f64| if price > 0.0 { price } else { fallback };
        let writes = c.writes();
        let writes_1h = c.cache_write_1h_tokens.unwrap_or(0).min(writes);
        let text = c
            .uncached_input()
            .saturating_sub(c.image_tokens + c.audio_input_tokens);
        let reasoning = c.reasoning_tokens.unwrap_or(0);
        let visible = c.output_tokens - reasoning - c.audio_output_tokens;
        let micro = text as f64 * p.input
            + c.cached_tokens as f64 * p.cached_input
            + (writes - writes_1h) as f64 * or(p.cache_write, p.input)
            + writes_1h as f64 * or(p.cache_write_1h, or(p.cache_write, p.input))
            + c.image_tokens as f64 * or(p.image, p.input)
            + c.audio_input_tokens as f64 * or(p.audio_input, p.input)
            + visible as f64 * p.output
            + reasoning as f64 * or(p.reasoning, p.output)
            + c.audio_output_tokens as f64 * or(p.audio_output, p.output);
        let factor = if batch {
            1.0 - self.draw.batch_discount
        } else {
            1.0
        };
        micro / 1e6 * factor
    }
}

impl<'a> Actuals<'a> {
    pub fn new(scenario: &'a Scenario, catalog: &'a Catalog) -> Self {
        Actuals {
            scenario,
            catalog,
            months: BTreeMap::new(),
            first_day: None,
            last_day: None,
            days: BTreeSet::new(),
            from_catalog: Vec::new(),
            unpriced: Vec::new(),
            resolved: Vec::new(),
            cache: BTreeMap::new(),
            beyond_models: 0,
            set_aside: SetAside::default(),
        }
    }

    fn sheet(&mut self, model: &str) -> Option<&PriceSheet> {
        if self.cache.contains_key(model) {
            return self.cache.get(model).and_then(Option::as_ref);
        }
        if self.cache.len() >= MAX_MODELS {
            self.beyond_models += 1;
            return None;
        }
        let names: Vec<&str> = self
            .scenario
            .models
            .iter()
            .map(|m| m.name.as_str())
            .collect();
        let sheet = match crate::analysis::fit::resolve::resolve_among(&names, model) {
            Some((name, how)) => {
                if how != How::AsLogged {
                    self.resolved
                        .push((model.to_string(), name.to_string(), how));
                }
                self.scenario
                    .models
                    .iter()
                    .find(|m| m.name == name)
                    .map(PriceSheet::of_model)
            }
            None => match crate::analysis::fit::resolve::resolve(self.catalog, model) {
                Some(r) => {
                    let s = PriceSheet::of_catalog(&r.key, self.catalog);
                    if s.is_some() {
                        self.from_catalog.push(model.to_string());
                        if r.how != How::AsLogged {
                            self.resolved.push((model.to_string(), r.key, r.how));
                        }
                    } else {
                        self.unpriced.push(model.to_string());
                    }
                    s
                }
                None => {
                    self.unpriced.push(model.to_string());
                    None
                }
            },
        };
        self.cache.insert(model.to_string(), sheet);
        self.cache.get(model).and_then(Option::as_ref)
    }

    fn is_batch(&self, workflow: &str) -> bool {
        self.scenario.workflows.iter().any(|w| {
            w.path == RequestPath::Batch
                && (w.name == workflow
                    || w.name.split_once('/').is_some_and(|(h, _)| h == workflow))
        })
    }

    pub fn add(&mut self, c: &Call) {
        let day = c.timestamp.date();
        self.first_day = Some(self.first_day.map_or(day, |d| d.min(day)));
        self.last_day = Some(self.last_day.map_or(day, |d| d.max(day)));
        self.days.insert(day);
        let (cost, logged, priced) = if c.status == Status::Error {
            (Some(0.0), false, false)
        } else if let Some(x) = c.cost_usd {
            (Some(x), true, false)
        } else {
            let batch = self.is_batch(&c.workflow);
            let cost = self.sheet(&c.model).map(|s| s.cost(c, batch));
            (cost, false, cost.is_some())
        };
        let m = self.months.entry(day.month()).or_default();
        m.logged_cost_calls += u64::from(logged);
        m.priced_calls += u64::from(priced);
        m.calls += 1;
        match cost {
            Some(x) => m.spend.add(x),
            None => m.unpriced_calls += 1,
        }
    }

    /// Whether the logs cover `month`: they have calls on or before its first day and on or
    /// after its last, and never more than [`MAX_GAP_IN_MONTH`] days without a call in between.
    pub fn is_complete(&self, month: Month) -> bool {
        let first = month.first_day();
        let last = Date::from_days(month.next().first_day().days() - 1);
        let (Some(from), Some(to)) = (
            self.days.range(..=first).next_back(),
            self.days.range(last..).next(),
        ) else {
            return false;
        };
        let mut previous = from.days();
        for d in self.days.range(*from..=*to) {
            if d.days() - previous > MAX_GAP_IN_MONTH {
                return false;
            }
            previous = d.days();
        }
        true
    }
}

/// One month of a backtest.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct MonthResult {
    pub month: String,
    pub days: u32,
    /// Saturdays and Sundays of the month, simulated as such.
    pub weekend_days: u32,
    pub complete: bool,
    pub actual_usd: f64,
    pub calls: u64,
    pub unpriced_calls: u64,
    /// Calls whose actual is the cost the log gives, and calls priced from their tokens (the
    /// rest are provider errors, which cost nothing, and unpriced calls).
    pub logged_cost_calls: u64,
    pub priced_from_tokens_calls: u64,
    pub forecast_mean_usd: f64,
    pub forecast_low_usd: f64,
    pub forecast_p50_usd: f64,
    pub forecast_high_usd: f64,
    /// Share of simulated months below the actual spend.
    pub percentile: f64,
    pub inside: bool,
}

/// A logged model name priced under another name.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct ResolvedModel {
    pub logged: String,
    pub priced_as: String,
    /// `undated` (a dated snapshot) or `latest` (a `-latest` alias).
    pub how: &'static str,
}

/// A whole backtest.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Backtest {
    pub scenario: String,
    pub stack: String,
    /// Central interval probability (0.9).
    pub interval: f64,
    pub trials: u64,
    pub seed: u64,
    pub months: Vec<MonthResult>,
    /// Complete months inside the interval, over complete months.
    pub coverage: Option<f64>,
    pub complete_months: usize,
    pub models_priced_from_catalog: Vec<String>,
    pub unpriced_models: Vec<String>,
    /// Over the months shown: calls whose actual is the logged cost, and calls priced from their
    /// tokens.
    pub logged_cost_calls: u64,
    pub priced_from_tokens_calls: u64,
    /// Dated and `-latest` names priced as another name.
    pub resolved_models: Vec<ResolvedModel>,
    /// Calls far outside the logs' span, left out of every month.
    pub set_aside_calls: u64,
    /// Their dates (`first` or `first to last`), by stretch.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub set_aside_dates: Vec<String>,
}

/// The forecast of a calendar month: sorted simulated spends of `stack` over the month's days,
/// its first day on its real weekday (so its weekdays and weekend days are the month's own).
pub fn forecast(
    s: &Scenario,
    stack: usize,
    month: Month,
    trials: u64,
    seed: u64,
) -> Result<Vec<f64>, crate::base::error::Error> {
    let mut s = s.clone();
    s.simulation.days = month.days();
    s.simulation.first_weekday = month.first_day().weekday();
    let r = crate::sim::engine::simulate(&s, &crate::sim::engine::SimOptions::new(trials, seed))?;
    let mut spend = r.stacks[stack].spend.clone();
    spend.sort_by(f64::total_cmp);
    Ok(spend)
}

/// Compare each month's actual spend with the forecast interval.
pub fn evaluate(
    s: &Scenario,
    stack: usize,
    actuals: &Actuals,
    only: Option<Month>,
    interval: f64,
    trials: u64,
    seed: u64,
) -> Result<Backtest, crate::base::error::Error> {
    // Months of the same length starting on the same weekday have the same calendar.
    let mut by_days: BTreeMap<(u32, u32), Vec<f64>> = BTreeMap::new();
    let mut months = Vec::new();
    let lo_p = (1.0 - interval) / 2.0;
    for (m, a) in &actuals.months {
        if only.is_some_and(|o| o != *m) {
            continue;
        }
        let days = m.days();
        let f = match by_days.entry((days, m.first_day().weekday())) {
            std::collections::btree_map::Entry::Occupied(e) => e.into_mut(),
            std::collections::btree_map::Entry::Vacant(e) => {
                e.insert(forecast(s, stack, *m, trials, seed)?)
            }
        };
        let f = &*f;
        let actual = a.spend.value();
        let low = crate::base::stats::quantile_sorted(f, lo_p);
        let high = crate::base::stats::quantile_sorted(f, 1.0 - lo_p);
        let below = f.partition_point(|x| *x < actual) as f64;
        months.push(MonthResult {
            month: m.to_string(),
            days,
            weekend_days: (0..days)
                .filter(|d| (d + m.first_day().weekday()) % 7 >= 5)
                .count() as u32,
            complete: actuals.is_complete(*m),
            actual_usd: actual,
            calls: a.calls,
            unpriced_calls: a.unpriced_calls,
            logged_cost_calls: a.logged_cost_calls,
            priced_from_tokens_calls: a.priced_calls,
            forecast_mean_usd: crate::base::stats::mean(f),
            forecast_low_usd: low,
            forecast_p50_usd: crate::base::stats::quantile_sorted(f, 0.5),
            forecast_high_usd: high,
            percentile: below / f.len().max(1) as f64,
            inside: actual >= low && actual <= high,
        });
    }
    let complete: Vec<&MonthResult> = months.iter().filter(|m| m.complete).collect();
    let coverage = (!complete.is_empty())
        .then(|| complete.iter().filter(|m| m.inside).count() as f64 / complete.len() as f64);
    let logged_cost_calls = months.iter().map(|m| m.logged_cost_calls).sum();
    let priced_from_tokens_calls = months.iter().map(|m| m.priced_from_tokens_calls).sum();
    Ok(Backtest {
        scenario: s.name.clone(),
        stack: s.stacks[stack].name.clone(),
        interval,
        trials,
        seed,
        complete_months: complete.len(),
        months,
        coverage,
        logged_cost_calls,
        priced_from_tokens_calls,
        resolved_models: actuals
            .resolved
            .iter()
            .map(|(logged, priced_as, how)| ResolvedModel {
                logged: logged.clone(),
                priced_as: priced_as.clone(),
                how: match how {
                    How::Undated => "undated",
                    How::Latest => "latest",
                    How::AsLogged => "as_logged",
                },
            })
            .collect(),
        models_priced_from_catalog: actuals.from_catalog.clone(),
        unpriced_models: actuals.unpriced.clone(),
        set_aside_calls: actuals.set_aside.calls(),
        set_aside_dates: actuals
            .set_aside
            .stretches
            .iter()
            .map(|(a, b, _)| {
                if a == b {
                    a.to_string()
                } else {
                    format!("{a} to {b}")
                }
            })
            .collect(),
    })
}

/// The backtest as a table.
pub fn render(b: &Backtest) -> String {
    use std::fmt::Write as _;
    let pct = |x: f64| format!("{:.0}%", x * 100.0);
    let mut o = String::new();
    let _ = writeln!(
        o,
        "Backtest of {} (stack {}): actual monthly spend vs the forecast's {} interval",
        b.scenario,
        b.stack,
        pct(b.interval)
    );
    let _ = writeln!(
        o,
        "{} simulated months per month length · seed {}\n",
        b.trials, b.seed
    );
    let _ = writeln!(
        o,
        "{:<8} {:>14} {:>14} {:>14} {:>14} {:>10}  ",
        "month", "actual", "low", "median", "high", "percentile"
    );
    for m in &b.months {
        let flag = if !m.complete {
            "partial month"
        } else if m.inside {
            "inside"
        } else if m.actual_usd < m.forecast_low_usd {
            "BELOW"
        } else {
            "ABOVE"
        };
        let _ = writeln!(
            o,
            "{:<8} {:>14} {:>14} {:>14} {:>14} {:>10}  {flag}",
            m.month,
            crate::base::format::money(m.actual_usd),
            crate::base::format::money(m.forecast_low_usd),
            crate::base::format::money(m.forecast_p50_usd),
            crate::base::format::money(m.forecast_high_usd),
            pct(m.percentile),
        );
    }
    match b.coverage {
        Some(c) => {
            let _ = writeln!(
                o,
                "\nCoverage: {} of {} complete months inside the {} interval ({}; near {} when the forecast is calibrated)",
                b.months.iter().filter(|m| m.complete && m.inside).count(),
                b.complete_months,
                pct(b.interval),
                pct(c),
                pct(b.interval)
            );
        }
        None => {
            let _ = writeln!(
                o,
                "\nNo complete month in the logs: coverage needs whole months."
            );
        }
    }
    let _ = writeln!(
        o,
        "Actual spend: {} call{} at the cost the log gives, {} priced from {} tokens at the scenario's prices",
        b.logged_cost_calls,
        if b.logged_cost_calls == 1 { "" } else { "s" },
        b.priced_from_tokens_calls,
        if b.priced_from_tokens_calls == 1 {
            "its"
        } else {
            "their"
        }
    );
    for r in &b.resolved_models {
        let _ = writeln!(
            o,
            "Priced `{}` as `{}` ({})",
            crate::base::escape::visible(&r.logged),
            crate::base::escape::visible(&r.priced_as),
            if r.how == "latest" {
                How::Latest.describe()
            } else {
                How::Undated.describe()
            }
        );
    }
    if !b.models_priced_from_catalog.is_empty() {
        let _ = writeln!(
            o,
            "Priced from the catalog (not in the scenario): {}",
            b.models_priced_from_catalog.join(", ")
        );
    }
    if b.set_aside_calls > 0 {
        let _ = writeln!(
            o,
            "Set aside: {} call{} dated {}, far outside the span of the logs (not in any month)",
            b.set_aside_calls,
            if b.set_aside_calls == 1 { "" } else { "s" },
            b.set_aside_dates.join(", ")
        );
    }
    if !b.unpriced_models.is_empty() {
        let _ = writeln!(
            o,
            "No price for: {} (their calls are left out of the actual spend)",
            b.unpriced_models.join(", ")
        );
    }
    o
}
