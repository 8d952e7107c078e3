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
}

/// The whole fit.
#[derive(Clone, Debug, PartialEq)]
pub struct Fitted {
    pub workflows: Vec<FittedWorkflow>,
    pub days_weekday: f64,
    pub days_weekend: f64,
}

fn ratio(a: f64, b: f64) -> f64 {
    if b > 0.0 { a / b } else { 0.0 }
}

fn part(model: &str, p: &PartStats, workflow_requests: f64, empirical: bool) -> FittedPart {
    let calls = p.calls();
    let (prefix, input) = if p.cache_hits > 0.0 {
        (
            Some(TokenFit::from_histogram(&p.cached_tokens, empirical)),
            TokenFit::from_histogram(&p.input_tokens_hit, empirical),
        )
    } else {
        (
            None,
            TokenFit::from_histogram(&p.input_tokens_all, empirical),
        )
    };
    let vfr = ratio(p.validation_failures, calls);
    let max_attempts = if p.validation_failures > 0.0 {
        (p.max_attempt as u64).clamp(2, crate::model::MAX_ATTEMPTS)
    } else {
        1
    };
    FittedPart {
        model: model.to_string(),
        share: ratio(p.ok_calls, workflow_requests),
        requests: p.ok_calls,
        calls,
        static_prefix_tokens: prefix,
        input_tokens: input,
        output_tokens: TokenFit::from_histogram(&p.output_tokens, empirical),
        cache_hit_rate: ratio(p.cache_hits, calls),
        validation_failure_rate: vfr,
        max_attempts,
        error_rate: ratio(p.errors, calls + p.errors),
        retry_share: (p.max_attempt > 0.0).then(|| ratio(p.retries, calls + p.errors)),
        zero_output_share: p.output_tokens.zero_share(),
        mean_input_tokens: p.input_tokens_all.total().mean(),
        mean_output_tokens: p.output_tokens.total().mean(),
        cost_per_call_usd: (p.cost_usd.n > 0.0).then(|| p.cost_usd.mean()),
    }
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
        let users_unknown = stats.users <= 0.0;
        let users = if users_unknown { 1.0 } else { stats.users };
        let (per_day, weekend_factor) = if s.days_weekday > 0.0 && stats.requests_weekday > 0.0 {
            let weekday = stats.requests_weekday / s.days_weekday;
            let weekend = if s.days_weekend > 0.0 {
                ratio(stats.requests_weekend / s.days_weekend, weekday)
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
        let m = stats.user_requests.mean();
        let cv = if stats.user_requests.n >= 2.0 && m > 0.0 {
            let var = stats.user_requests.variance() * stats.user_requests.n
                / (stats.user_requests.n - 1.0);
            ((var - m) / (m * m)).max(0.0).sqrt().min(MAX_USER_CV)
        } else {
            0.0
        };
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
        });
    }
    Fitted {
        workflows,
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

/// Write the fitted scenario.
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
    let _ = writeln!(o, "\n[simulation]\ndays = 30");
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
        let _ = writeln!(o, "[[segment]]\nname = {}", toml_str(&w.name));
        let _ = writeln!(o, "users = {}", w.users.round().max(1.0));
        let _ = writeln!(
            o,
            "sessions_per_user_per_day = {}   # requests per user on a weekday",
            sig(w.requests_per_user_per_day, 4)
        );
        let _ = writeln!(o, "weekend_factor = {}", sig(w.weekend_factor, 3));
        let _ = writeln!(
            o,
            "user_variability = {}   # spread of activity across users (coefficient of variation)",
            sig(w.user_variability, 3)
        );
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
            let _ = writeln!(o, "segments = [{}]", toml_str(&w.name));
            if w.parts.len() > 1 {
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
            if let Some(prefix) = &p.static_prefix_tokens {
                let _ = writeln!(o, "static_prefix_tokens = {}", prefix.toml());
            }
            let _ = writeln!(o, "input_tokens = {}", p.input_tokens.toml());
            let _ = writeln!(o, "output_tokens = {}", p.output_tokens.toml());
            if p.cache_hit_rate > 0.0 {
                let _ = writeln!(o, "cache_hit_rate = {}", sig(p.cache_hit_rate, 4));
            }
        }
    }
    let mut models: Vec<&str> = Vec::new();
    for w in &f.workflows {
        for p in &w.parts {
            if !models.contains(&p.model.as_str()) {
                models.push(&p.model);
            }
        }
    }
    for m in &models {
        let _ = writeln!(o);
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
            let mut link = format!("model = {}", toml_str(&p.model));
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
