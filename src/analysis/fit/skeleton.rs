//! From a [`Summary`] to fitted scenario inputs, and those to a scenario file.
//!
//! Fits, per workflow: users, weekday requests per user, the weekend factor, and the spread of
//! activity across users (`user_variability`, the coefficient of variation of a Gamma activity
//! multiplier, by the method of moments: per-user counts over the window are Poisson mixtures, so
//! Var = m + m²·cv²). Per workflow and model: the model's share of requests (the model mix), the
//! token distributions, the cache hit rate, the validation-failure rate (retries) and the provider
//! error rate. Tokens are lognormal maximum-likelihood fits (from the histogram's sums of logs, so
//! exact), or empirical distributions with `--empirical`. A request is an accepted call; see
//! `docs/fit.md` for every definition.

use std::fmt::Write as _;

use super::hist::Histogram;
use super::summary::{PartStats, Summary};
use crate::model::catalog::Catalog;

/// Largest coefficient of variation fitted for users' activity.
const MAX_USER_CV: f64 = 5.0;
/// Points of an empirical token distribution.
pub const EMPIRICAL_POINTS: usize = 40;

/// A fitted token distribution.
#[derive(Clone, Debug, PartialEq)]
pub enum TokenFit {
    Fixed(f64),
    Lognormal { p50: f64, p95: f64 },
    Empirical(Vec<(f64, f64)>),
}

impl TokenFit {
    pub fn from_histogram(h: &Histogram, empirical: bool) -> TokenFit {
        if empirical {
            let pts = h.empirical(EMPIRICAL_POINTS);
            return match pts.len() {
                0 => TokenFit::Fixed(0.0),
                1 => TokenFit::Fixed(pts[0].0.round()),
                _ => TokenFit::Empirical(
                    pts.into_iter()
                        .map(|(v, w)| ((v * 10.0).round() / 10.0, w))
                        .collect(),
                ),
            };
        }
        match h.lognormal() {
            None => TokenFit::Fixed(0.0),
            Some(f) if !(f.p50().is_finite() && f.p95().is_finite()) => {
                let mean = h.total().mean();
                TokenFit::Fixed(if mean.is_finite() { mean.round() } else { 0.0 })
            }
            Some(f) => {
                let p50 = f.p50().round().max(1.0);
                let p95 = f.p95().round();
                if p95 <= p50 {
                    TokenFit::Fixed(p50)
                } else {
                    TokenFit::Lognormal { p50, p95 }
                }
            }
        }
    }

    /// The distribution of `factor` × this one (a lognormal scaled is a lognormal).
    pub fn scaled(&self, factor: f64) -> TokenFit {
        let r = |x: f64| (x * factor).round();
        match self {
            TokenFit::Fixed(x) => TokenFit::Fixed(r(*x)),
            TokenFit::Lognormal { p50, p95 } => TokenFit::Lognormal {
                p50: r(*p50).max(1.0),
                p95: r(*p95).max(r(*p50).max(1.0) + 1.0),
            },
            TokenFit::Empirical(pts) => TokenFit::Empirical(
                pts.iter()
                    .map(|(v, w)| ((v * factor * 10.0).round() / 10.0, *w))
                    .collect(),
            ),
        }
    }

    pub fn toml(&self) -> String {
        match self {
            TokenFit::Fixed(x) => format!("{x}"),
            TokenFit::Lognormal { p50, p95 } => format!("{{ p50 = {p50}, p95 = {p95} }}"),
            TokenFit::Empirical(pts) => {
                let values: Vec<String> = pts.iter().map(|(v, _)| format!("{v}")).collect();
                let weights: Vec<String> = pts.iter().map(|(_, w)| format!("{w}")).collect();
                format!(
                    "{{ dist = \"empirical\", values = [{}], weights = [{}] }}",
                    values.join(", "),
                    weights.join(", ")
                )
            }
        }
    }
}

/// What was fitted for one workflow served by one model.
#[derive(Clone, Debug, PartialEq)]
pub struct FittedPart {
    pub model: String,
    /// Share of the workflow's requests this model served.
    pub share: f64,
    pub requests: f64,
    /// Completed (billed) calls.
    pub calls: f64,
    pub static_prefix_tokens: Option<TokenFit>,
    pub input_tokens: TokenFit,
    pub output_tokens: TokenFit,
    pub cache_hit_rate: f64,
    pub validation_failure_rate: f64,
    pub max_attempts: u64,
    /// Provider errors per call sent.
    pub error_rate: f64,
    /// Share of calls that were retries, when the log says.
    pub retry_share: Option<f64>,
    pub zero_output_share: f64,
    pub mean_input_tokens: f64,
    pub mean_output_tokens: f64,
    /// Mean spend per completed call, when the log says.
    pub cost_per_call_usd: Option<f64>,
    /// How the cache was fitted.
    pub cache: CacheFit,
    /// Share of cache writes kept an hour, when the log shows it.
    pub write_1h_share: Option<f64>,
    /// Reasoning tokens per call, when the log reports them (the output fit then excludes them).
    pub reasoning_tokens: Option<TokenFit>,
    pub mean_reasoning_tokens: Option<f64>,
    /// Image input: (mean images-with-tokens per call, mean image tokens of a call that has some).
    pub images: Option<(f64, f64)>,
    pub audio_input_tokens: Option<TokenFit>,
    pub audio_output_tokens: Option<TokenFit>,
}

/// How a part's prompt cache was fitted.
#[derive(Clone, Debug, PartialEq)]
pub enum CacheFit {
    /// No call read from or wrote to the cache.
    None,
    /// The log reports cache writes: the prefix is what goes through the cache, and the hit rate
    /// the share of it read rather than written, so that the forecast's reads and writes per call
    /// are the observed ones.
    Measured {
        /// Mean cached and written tokens per completed call, as observed.
        reads_per_call: f64,
        writes_per_call: f64,
    },
    /// The log reports cache reads only: every call without a read is assumed to write the whole
    /// prefix.
    ReadsOnly,
}

/// What was fitted for one workflow.
#[derive(Clone, Debug, PartialEq)]
pub struct FittedWorkflow {
    pub name: String,
    pub users: f64,
    /// Requests per user on a weekday.
    pub requests_per_user_per_day: f64,
    pub weekend_factor: f64,
    pub user_variability: f64,
    pub requests: f64,
    /// No user ids: traffic is one "user".
    pub users_unknown: bool,
    pub parts: Vec<FittedPart>,
    /// The population it shares with other workflows (an index into [`Fitted::populations`]);
    /// `None` when no other workflow has its users.
    pub population: Option<usize>,
}

/// Users shared by several workflows: one segment.
#[derive(Clone, Debug, PartialEq)]
pub struct FittedPopulation {
    /// The workflows' names joined by `+`.
    pub name: String,
    pub users: f64,
    /// Requests (to any of the workflows) per user on a weekday.
    pub requests_per_user_per_day: f64,
    pub weekend_factor: f64,
    pub user_variability: f64,
    pub requests: f64,
}

/// The whole fit.
#[derive(Clone, Debug, PartialEq)]
pub struct Fitted {
    pub workflows: Vec<FittedWorkflow>,
    /// Workflows sharing users, each one segment.
    pub populations: Vec<FittedPopulation>,
    /// Days from the logs' first day to their last, both included (`None` for aggregates
    /// without dates).
    pub days_covered: Option<u32>,
    pub days_weekday: f64,
    pub days_weekend: f64,
}

fn ratio(a: f64, b: f64) -> f64 {
    if b > 0.0 { a / b } else { 0.0 }
}

fn part(model: &str, p: &PartStats, workflow_requests: f64, empirical: bool) -> FittedPart {
    let calls = p.calls();
    let fit = |h: &Histogram| TokenFit::from_histogram(h, empirical);
    // Cache writes reported on every completed call: fit reads and writes as measured. Else, as
    // before writes were logged, from the reads alone.
    let (cache, prefix, input, hit_rate) = if p.writes_reported >= calls && calls > 0.0 {
        let through = p.read_tokens_reported + p.write_tokens;
        if p.cache_active > 0.0 && through > 0.0 {
            // The engine sends the prefix on every call; the calls that did not use the cache
            // send none, so the prefix is scaled by the share of calls that did: the forecast's
            // reads and writes per call are then the observed ones.
            let active = p.cache_active / calls;
            (
                CacheFit::Measured {
                    reads_per_call: p.read_tokens_reported / calls,
                    writes_per_call: p.write_tokens / calls,
                },
                Some(fit(&p.prefix_tokens).scaled(active)),
                fit(&p.uncached_input),
                p.read_tokens_reported / through,
            )
        } else {
            (CacheFit::None, None, fit(&p.uncached_input), 0.0)
        }
    } else if p.cache_hits > 0.0 {
        (
            CacheFit::ReadsOnly,
            Some(fit(&p.cached_tokens)),
            fit(&p.input_tokens_hit),
            ratio(p.cache_hits, calls),
        )
    } else {
        (CacheFit::None, None, fit(&p.input_tokens_all), 0.0)
    };
    let vfr = ratio(p.validation_failures, calls);
    let max_attempts = if p.validation_failures > 0.0 {
        (p.max_attempt as u64).clamp(2, crate::model::MAX_ATTEMPTS)
    } else {
        1
    };
    // Reasoning reported on every completed call: output without it, and reasoning on its own
    // (the engine bills them separately).
    let reasoning = p.reasoning_reported >= calls && calls > 0.0;
    let output = if reasoning {
        fit(&p.visible_output_tokens)
    } else {
        fit(&p.output_tokens)
    };
    // Image and audio tokens: the calls that had some, scaled by their share of the calls.
    let share = |h: &Histogram| ratio(h.n(), calls);
    let scaled = |h: &Histogram| (h.n() > 0.0).then(|| fit(h).scaled(share(h)));
    FittedPart {
        model: model.to_string(),
        share: ratio(p.ok_calls, workflow_requests),
        requests: p.ok_calls,
        calls,
        static_prefix_tokens: prefix,
        input_tokens: input,
        output_tokens: output,
        cache_hit_rate: hit_rate,
        validation_failure_rate: vfr,
        max_attempts,
        error_rate: ratio(p.errors, calls + p.errors),
        retry_share: (p.max_attempt > 0.0).then(|| ratio(p.retries, calls + p.errors)),
        zero_output_share: p.output_tokens.zero_share(),
        mean_input_tokens: p.input_tokens_all.total().mean(),
        mean_output_tokens: p.output_tokens.total().mean(),
        cost_per_call_usd: (p.cost_usd.n > 0.0).then(|| p.cost_usd.mean()),
        cache,
        write_1h_share: (p.write_tokens_ttl_known > 0.0)
            .then(|| p.write_tokens_1h / p.write_tokens_ttl_known),
        reasoning_tokens: reasoning.then(|| fit(&p.reasoning_tokens)),
        mean_reasoning_tokens: reasoning.then(|| p.reasoning_tokens.total().mean()),
        images: (p.image_tokens.n() > 0.0).then(|| {
            (
                share(&p.image_tokens),
                p.image_tokens.total().mean().round(),
            )
        }),
        audio_input_tokens: scaled(&p.audio_input_tokens),
        // Audio output is inside the output count; it is fitted apart only when the output fit
        // excludes it.
        audio_output_tokens: if reasoning {
            scaled(&p.audio_output_tokens)
        } else {
            None
        },
    }
}

/// Traffic fitted from requests on weekdays and weekend days and the requests of each (sampled)
/// user: (users, weekday requests per user, weekend factor, user variability, users unknown).
fn traffic(
    s: &Summary,
    weekday_requests: f64,
    weekend_requests: f64,
    users: f64,
    user_requests: &super::hist::Moments,
) -> (f64, f64, f64, f64, bool) {
    let requests = weekday_requests + weekend_requests;
    let users_unknown = users <= 0.0;
    let users = if users_unknown { 1.0 } else { users };
    let (per_day, weekend_factor) = if s.days_weekday > 0.0 && weekday_requests > 0.0 {
        let weekday = weekday_requests / s.days_weekday;
        let weekend = if s.days_weekend > 0.0 {
            ratio(weekend_requests / s.days_weekend, weekday)
        } else {
            1.0
        };
        (weekday / users, weekend)
    } else {
        (
            ratio(requests, (s.days_weekday + s.days_weekend) * users),
            1.0,
        )
    };
    let m = user_requests.mean();
    let cv = if user_requests.n >= 2.0 && m > 0.0 {
        let var = user_requests.variance() * user_requests.n / (user_requests.n - 1.0);
        ((var - m) / (m * m)).max(0.0).sqrt().min(MAX_USER_CV)
    } else {
        0.0
    };
    (users, per_day, weekend_factor, cv, users_unknown)
}

/// Fit every workflow of a summary.
pub fn fit(s: &Summary, empirical: bool) -> Fitted {
    let mut workflows = Vec::new();
    let mut names: Vec<&String> = s.parts.keys().map(|(w, _)| w).collect();
    names.dedup();
    let mut seen = std::collections::HashSet::new();
    for w in names {
        if !seen.insert(w) {
            continue;
        }
        let stats = s.workflows.get(w).cloned().unwrap_or_default();
        let requests = stats.requests_weekday + stats.requests_weekend;
        let (users, per_day, weekend_factor, cv, users_unknown) = traffic(
            s,
            stats.requests_weekday,
            stats.requests_weekend,
            stats.users,
            &stats.user_requests,
        );
        let parts = s
            .parts
            .iter()
            .filter(|((pw, _), _)| pw == w)
            .map(|((_, model), p)| part(model, p, requests, empirical))
            .collect();
        workflows.push(FittedWorkflow {
            name: w.clone(),
            users,
            requests_per_user_per_day: per_day,
            weekend_factor,
            user_variability: cv,
            requests,
            users_unknown,
            parts,
            population: None,
        });
    }
    // Workflows that share users are one population: one segment, each workflow its share of the
    // population's sessions (a session is one request).
    let mut populations = Vec::new();
    for pop in &s.populations {
        let members: Vec<usize> = workflows
            .iter()
            .enumerate()
            .filter(|(_, w)| pop.workflows.contains(&w.name))
            .map(|(i, _)| i)
            .collect();
        if members.len() < 2 {
            continue;
        }
        let (mut weekday, mut weekend) = (0.0, 0.0);
        for w in &pop.workflows {
            if let Some(st) = s.workflows.get(w) {
                weekday += st.requests_weekday;
                weekend += st.requests_weekend;
            }
        }
        let (users, per_day, weekend_factor, cv, _) =
            traffic(s, weekday, weekend, pop.users, &pop.user_requests);
        let index = populations.len();
        for &i in &members {
            workflows[i].population = Some(index);
        }
        populations.push(FittedPopulation {
            name: members
                .iter()
                .map(|&i| workflows[i].name.as_str())
                .collect::<Vec<_>>()
                .join("+"),
            users,
            requests_per_user_per_day: per_day,
            weekend_factor,
            user_variability: cv,
            requests: weekday + weekend,
        });
    }
    Fitted {
        workflows,
        populations,
        days_covered: match (s.first_day, s.last_day) {
            (Some(a), Some(b)) => u32::try_from(b.days() - a.days() + 1).ok(),
            _ => None,
        },
        days_weekday: s.days_weekday,
        days_weekend: s.days_weekend,
    }
}

pub use crate::base::escape::{toml_key, toml_str};

/// A name inside a `#` comment: any character that could end the comment (a line break) or act
/// on a terminal is written as an escape, so the rest of the line stays a comment.
fn c(name: &str) -> std::borrow::Cow<'_, str> {
    crate::base::escape::visible(name)
}

/// Round to `digits` significant digits for display in a scenario.
pub fn sig(x: f64, digits: i32) -> f64 {
    if x == 0.0 || !x.is_finite() {
        return 0.0;
    }
    let scale = 10f64.powi(digits - 1 - x.abs().log10().floor() as i32);
    (x * scale).round() / scale
}

/// The names parts get in the scenario: the workflow's when it used one model, else
/// `workflow/model`.
pub fn part_name(w: &FittedWorkflow, p: &FittedPart) -> String {
    if w.parts.len() == 1 {
        w.name.clone()
    } else {
        format!("{}/{}", w.name, p.model)
    }
}

/// A part name (`workflow/model`) that is also another workflow's name, with the workflow whose
/// part it is: the scenario would hold one route name twice.
pub fn part_name_clash(f: &Fitted) -> Option<(String, String)> {
    let single: std::collections::HashSet<&str> = f
        .workflows
        .iter()
        .filter(|w| w.parts.len() == 1)
        .map(|w| w.name.as_str())
        .collect();
    let mut seen = std::collections::HashSet::new();
    for w in f.workflows.iter().filter(|w| w.parts.len() > 1) {
        for p in &w.parts {
            let name = part_name(w, p);
            if single.contains(name.as_str()) || !seen.insert(name.clone()) {
                return Some((name, w.name.clone()));
            }
        }
    }
    None
}

/// Where the scenario came from, for its header comment.
#[derive(Clone, Debug, Default)]
pub struct Provenance {
    pub sources: Vec<String>,
    pub calls: f64,
    pub malformed: u64,
    /// Calls far outside the logs' span, not fitted.
    pub set_aside: u64,
    pub first_day: Option<String>,
    pub last_day: Option<String>,
    /// The `catalog` key to write, when models were looked up in a catalog file.
    pub catalog_path: Option<String>,
}

/// A comment on how the part's cache was fitted, or nothing.
pub fn cache_comment(p: &FittedPart) -> Option<String> {
    match &p.cache {
        CacheFit::None => None,
        CacheFit::Measured {
            reads_per_call,
            writes_per_call,
        } => Some(format!(
            "cache: {} tokens read and {} written per call, as logged{}",
            sig(*reads_per_call, 4),
            sig(*writes_per_call, 4),
            p.write_1h_share.map_or(String::new(), |h| format!(
                "; {}% of the writes kept an hour",
                sig(h * 100.0, 3)
            ))
        )),
        CacheFit::ReadsOnly => Some(
            "the logs report no cache writes: a call without a cache read is assumed to write the whole prefix"
                .to_string(),
        ),
    }
}

/// Whether the part's writes are mostly one-hour ones and its model has a price for them.
pub fn one_hour_cache(p: &FittedPart, catalog: &Catalog) -> bool {
    p.write_1h_share.is_some_and(|h| h >= 0.5)
        && super::resolve::resolve(catalog, &p.model)
            .and_then(|r| catalog.lookup(&r.key))
            .is_some_and(|f| f.entry.cache_write_1h_usd_per_mtok.is_some())
}

/// The fitted `images` value of a part, when its calls had image tokens.
pub fn images_toml(p: &FittedPart) -> Option<String> {
    p.images.map(|(count, per_image)| {
        format!(
            "{{ count = {}, tokens_per_image = {} }}",
            sig(count, 4),
            per_image.max(1.0)
        )
    })
}

/// The fitted keys of a part's step (`key = value` lines, with their comments).
pub fn step_keys(p: &FittedPart, catalog: &Catalog) -> String {
    let mut o = String::new();
    if let Some(note) = cache_comment(p) {
        let _ = writeln!(o, "# {note}");
    }
    if let Some(prefix) = &p.static_prefix_tokens {
        let _ = writeln!(o, "static_prefix_tokens = {}", prefix.toml());
    }
    let _ = writeln!(o, "input_tokens = {}", p.input_tokens.toml());
    let _ = writeln!(o, "output_tokens = {}", p.output_tokens.toml());
    if p.cache_hit_rate > 0.0 {
        let _ = writeln!(o, "cache_hit_rate = {}", sig(p.cache_hit_rate, 4));
    }
    if one_hour_cache(p, catalog) {
        let _ = writeln!(o, "cache_ttl = \"1h\"   # most writes were kept an hour");
    }
    if let Some(r) = &p.reasoning_tokens {
        let _ = writeln!(
            o,
            "reasoning_tokens = {}   # logged apart from output_tokens",
            r.toml()
        );
    }
    if let Some(images) = images_toml(p) {
        let _ = writeln!(
            o,
            "images = {images}   # image tokens of the calls that had some, per call"
        );
    }
    if let Some(a) = &p.audio_input_tokens {
        let _ = writeln!(o, "audio_input_tokens = {}", a.toml());
    }
    if let Some(a) = &p.audio_output_tokens {
        let _ = writeln!(o, "audio_output_tokens = {}", a.toml());
    }
    o
}

/// Fewest calls from which token distributions and rates are more than rough guesses.
pub const THIN_CALLS: f64 = 300.0;

/// What the logs were too thin to fit, and the defaults kept instead: no weekend day (the
/// weekend factor stays 1), fewer than [`THIN_CALLS`] calls, one user or none (the head-count
/// is 1 and the spread of activity across users 0).
pub fn thin_log_warnings(s: &Summary, f: &Fitted) -> Vec<String> {
    let mut out = Vec::new();
    if s.days_weekend == 0.0 && s.days_weekday > 0.0 {
        out.push(
            "the logs have no weekend day: weekend_factor is the default 1, not a fit".to_string(),
        );
    }
    let calls = s.calls();
    if calls < THIN_CALLS {
        out.push(format!(
            "the logs hold {calls} calls, fewer than {THIN_CALLS}: token distributions, cache and failure rates are rough"
        ));
    }
    for w in &f.workflows {
        if w.users <= 1.0 {
            out.push(format!(
                "workflow `{}`: {} user in the logs: users = 1 and user_variability = 0 are defaults, not fits (does the log name the end user?)",
                c(&w.name),
                if w.users_unknown { "no" } else { "one" }
            ));
        }
    }
    out
}

/// Logged model names that a scenario names otherwise: (logged, resolution).
pub fn resolutions(f: &Fitted, catalog: &Catalog) -> Vec<(String, super::resolve::Resolution)> {
    let mut out: Vec<(String, super::resolve::Resolution)> = Vec::new();
    for p in f.workflows.iter().flat_map(|w| &w.parts) {
        if let Some(r) = super::resolve::resolve(catalog, &p.model)
            && r.how != super::resolve::How::AsLogged
            && !out.iter().any(|(l, _)| *l == p.model)
        {
            out.push((p.model.clone(), r));
        }
    }
    out
}

/// The name a fitted scenario gives a logged model: the logged name when the catalog knows it as
/// written, else the catalog entry a dated or aliased name resolves to (see
/// [`resolve`](super::resolve)), else the logged name.
pub fn model_name(catalog: &Catalog, logged: &str) -> String {
    match super::resolve::resolve(catalog, logged) {
        Some(r) if r.how != super::resolve::How::AsLogged => r.key,
        _ => logged.to_string(),
    }
}

/// A `[[segment]]` table with fitted traffic.
fn segment_keys(
    o: &mut String,
    name: &str,
    users: f64,
    per_day: f64,
    weekend_factor: f64,
    user_variability: f64,
) {
    let _ = writeln!(o, "[[segment]]\nname = {}", toml_str(name));
    let _ = writeln!(o, "users = {}", users.round().max(1.0));
    let _ = writeln!(
        o,
        "sessions_per_user_per_day = {}   # requests per user on a weekday",
        sig(per_day, 4)
    );
    let _ = writeln!(o, "weekend_factor = {}", sig(weekend_factor, 3));
    let _ = writeln!(
        o,
        "user_variability = {}   # spread of activity across users (coefficient of variation)",
        sig(user_variability, 3)
    );
}

/// Write the fitted scenario.
// Long on purpose: the scenario file written top to bottom, each table in the order it stands in
// the file, so that the code reads like its output; the per-table helpers above write the parts.
pub fn render(f: &Fitted, name: &str, prov: &Provenance, catalog: &Catalog) -> String {
    let mut o = String::new();
    let _ = writeln!(
        o,
        "# Fitted by `aicost fit` from {} ({} calls{}{}).",
        c(&prov.sources.join(", ")),
        prov.calls,
        if prov.malformed > 0 {
            format!(", {} malformed lines skipped", prov.malformed)
        } else {
            String::new()
        },
        if prov.set_aside > 0 {
            format!(
                ", {} far outside the span of the logs set aside",
                prov.set_aside
            )
        } else {
            String::new()
        }
    );
    let span = match (&prov.first_day, &prov.last_day) {
        (Some(a), Some(b)) => format!("{a} to {b}: "),
        _ => String::new(),
    };
    let _ = writeln!(
        o,
        "# The logs cover {span}{} weekdays and {} weekend days. A request is an accepted call; tokens are",
        f.days_weekday, f.days_weekend
    );
    let _ = writeln!(
        o,
        "# fitted per workflow and model (docs/fit.md). Review before budgeting: users who sent nothing are not in the logs."
    );
    let _ = writeln!(o, "name = {}", toml_str(name));
    let _ = writeln!(o, "description = {}", toml_str("Fitted from usage logs"));
    if let Some(c) = &prov.catalog_path {
        let _ = writeln!(o, "catalog = {}", toml_str(c));
    }
    match f.days_covered {
        Some(d) if d <= 31 => {
            let _ = writeln!(
                o,
                "\n[simulation]\ndays = {d}   # the days the logs cover (compare the simulated spend with theirs)"
            );
        }
        Some(d) => {
            let _ = writeln!(
                o,
                "\n[simulation]\ndays = 30   # the logs cover {d} days; a trial is one month"
            );
        }
        None => {
            let _ = writeln!(o, "\n[simulation]\ndays = 30");
        }
    }
    let mut written: Vec<String> = Vec::new();
    for w in &f.workflows {
        let _ = writeln!(
            o,
            "\n# Workflow `{}`: {} requests{}.",
            c(&w.name),
            w.requests,
            if w.users_unknown {
                " (the logs name no users: all traffic is one user)".to_string()
            } else {
                format!(" by {} users", w.users.round())
            }
        );
        // The segment: the workflow's own, or (written once) the population it shares.
        let (segment, workflow_share) = match w.population.and_then(|i| f.populations.get(i)) {
            Some(pop) => {
                if !written.contains(&pop.name) {
                    written.push(pop.name.clone());
                    let _ = writeln!(
                        o,
                        "# Users of `{}` (they share users): {} requests by {} users; each workflow gets its share of the sessions.",
                        c(&pop.name),
                        pop.requests,
                        pop.users.round()
                    );
                    segment_keys(
                        &mut o,
                        &pop.name,
                        pop.users,
                        pop.requests_per_user_per_day,
                        pop.weekend_factor,
                        pop.user_variability,
                    );
                }
                (pop.name.clone(), Some(ratio(w.requests, pop.requests)))
            }
            None => {
                segment_keys(
                    &mut o,
                    &w.name,
                    w.users,
                    w.requests_per_user_per_day,
                    w.weekend_factor,
                    w.user_variability,
                );
                (w.name.clone(), None)
            }
        };
        for p in &w.parts {
            let pn = part_name(w, p);
            let _ = writeln!(
                o,
                "\n# `{}` on {}: {} requests, {} billed calls; mean {} input and {} output tokens per call{}{}.",
                c(&w.name),
                c(&p.model),
                p.requests,
                p.calls,
                sig(p.mean_input_tokens, 4),
                sig(p.mean_output_tokens, 4),
                if p.error_rate > 0.0 {
                    format!(
                        "; provider errors {}% of calls sent (not modelled)",
                        sig(p.error_rate * 100.0, 3)
                    )
                } else {
                    String::new()
                },
                p.cost_per_call_usd.map_or(String::new(), |c| format!(
                    "; logged spend ${} per call",
                    sig(c, 4)
                )),
            );
            if p.zero_output_share > 0.01 {
                let _ = writeln!(
                    o,
                    "# {}% of calls returned no output tokens; the output fit describes the others.",
                    sig(p.zero_output_share * 100.0, 3)
                );
            }
            if let Some(r) = p.retry_share {
                let _ = writeln!(o, "# {}% of calls were retries.", sig(r * 100.0, 3));
            }
            let _ = writeln!(o, "[[workflow]]\nname = {}", toml_str(&pn));
            let _ = writeln!(o, "segments = [{}]", toml_str(&segment));
            if let Some(share) = workflow_share {
                let _ = writeln!(
                    o,
                    "requests_per_session = {}   # this {}'s share of the sessions",
                    sig(share * if w.parts.len() > 1 { p.share } else { 1.0 }, 4),
                    if w.parts.len() > 1 {
                        "workflow and model"
                    } else {
                        "workflow"
                    }
                );
            } else if w.parts.len() > 1 {
                let _ = writeln!(
                    o,
                    "requests_per_session = {}   # this model's share of the workflow's requests",
                    sig(p.share, 4)
                );
            }
            let _ = writeln!(
                o,
                "[[workflow.step]]\nname = \"call\"\nroute = {}",
                toml_str(&pn)
            );
            let _ = write!(o, "{}", step_keys(p, catalog));
        }
    }
    // Each logged name once, under the name the scenario gives it.
    let mut models: Vec<(String, Vec<&str>)> = Vec::new();
    for w in &f.workflows {
        for p in &w.parts {
            let name = model_name(catalog, &p.model);
            match models.iter_mut().find(|(n, _)| *n == name) {
                Some((_, logged)) => {
                    if !logged.contains(&p.model.as_str()) {
                        logged.push(&p.model);
                    }
                }
                None => models.push((name, vec![&p.model])),
            }
        }
    }
    for (m, logged) in &models {
        let _ = writeln!(o);
        for l in logged.iter().filter(|l| **l != m.as_str()) {
            if let Some(r) = super::resolve::resolve(catalog, l) {
                let _ = writeln!(o, "# logged as `{}`: {}", c(l), r.how.describe());
            }
        }
        match catalog.lookup(m) {
            Some(found) => {
                let flag = if catalog.name == crate::model::catalog::BUILTIN_NAME {
                    String::new()
                } else {
                    format!(" --catalog {}", catalog.name)
                };
                let _ = writeln!(
                    o,
                    "[[model]]   # prices from the {} (`aicost prices show {}{}`)\nname = {}",
                    catalog.label(),
                    c(found.key),
                    c(&flag),
                    toml_str(m)
                );
            }
            None => {
                let hint = catalog
                    .suggest(m)
                    .map_or(String::new(), |s| format!("; the catalog has `{s}`"));
                let _ = writeln!(
                    o,
                    "# `{}` is not in the {}{}: give its prices.\n[[model]]\nname = {}\n# input_usd_per_mtok = …\n# output_usd_per_mtok = …",
                    c(m),
                    catalog.label(),
                    c(&hint),
                    toml_str(m)
                );
            }
        }
    }
    let _ = writeln!(
        o,
        "\n# The model plan the logs show; add stacks to compare others."
    );
    let _ = writeln!(o, "[[stack]]\nname = \"observed\"");
    for w in &f.workflows {
        for p in &w.parts {
            let mut link = format!("model = {}", toml_str(&model_name(catalog, &p.model)));
            if p.validation_failure_rate > 0.0 {
                let _ = write!(
                    link,
                    ", validation_failure_rate = {}, max_attempts = {}",
                    sig(p.validation_failure_rate, 4),
                    p.max_attempts
                );
            }
            let _ = writeln!(
                o,
                "[stack.route.{}]\nchain = [{{ {link} }}]",
                toml_key(&part_name(w, p))
            );
        }
    }
    o
}
