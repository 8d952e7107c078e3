//! The collector of problems that validation and price filling share: a problem or warning at a
//! located value, the checks of one number or distribution against its domain and ceiling, and
//! the wording of numbers in messages. [`validate`](super::validate) builds the scenario with it;
//! [`prices`](super::prices) fills prices from a catalog with it.

use std::collections::HashMap;

use crate::base::error::{Problem, ProblemKind};
use crate::base::source::Loc;
use crate::model::dist::Dist;
use crate::model::doc::de::Located;
use crate::model::*;

use super::raw::*;

/// What values a quantity may take.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Domain {
    /// A probability or fraction in \[0, 1\].
    Rate,
    /// Any number ≥ 0 (tokens, counts, prices, factors).
    NonNegative,
    /// A monthly growth rate: a plain number above −1 (a decline), or a distribution over ≥ 0.
    Growth,
}

/// Collects problems while building the typed scenario.
pub struct Validator {
    pub errors: Vec<Problem>,
    pub warnings: Vec<Problem>,
}

/// The smallest size of a number other than 0: below it a number is a typo in the exponent (a
/// subnormal `1e-310` reached the numerics and stalled them).
pub(crate) const MIN_MAGNITUDE: f64 = 1e-12;

/// The cheapest real price per million tokens seen in provider catalogs is a few cents; a price
/// below this is almost always a per-token or per-1K price typed into a per-million field.
pub(crate) const IMPLAUSIBLY_LOW_USD_PER_MTOK: f64 = 0.01;
/// No text model lists more than a few hundred dollars per million tokens.
pub(crate) const IMPLAUSIBLY_HIGH_USD_PER_MTOK: f64 = 1000.0;

impl Validator {
    pub fn new() -> Self {
        Validator {
            errors: Vec::new(),
            warnings: Vec::new(),
        }
    }

    pub fn error(
        &mut self,
        kind: ProblemKind,
        message: impl Into<String>,
        loc: Option<Loc>,
        path: &str,
        help: Option<String>,
    ) {
        let mut p = Problem::new(kind, message).at_opt(loc).help_opt(help);
        if !path.is_empty() {
            p = p.path(path);
        }
        self.errors.push(p);
    }

    pub fn warn(
        &mut self,
        message: impl Into<String>,
        loc: Option<Loc>,
        path: &str,
        help: Option<String>,
    ) {
        let mut p = Problem::new(ProblemKind::Warning, message)
            .at_opt(loc)
            .help_opt(help);
        if !path.is_empty() {
            p = p.path(path);
        }
        self.warnings.push(p);
    }

    pub(crate) fn invalid(
        &mut self,
        message: impl Into<String>,
        loc: Loc,
        path: &str,
        help: impl Into<String>,
    ) {
        self.error(
            ProblemKind::InvalidValue,
            message,
            Some(loc),
            path,
            Some(help.into()),
        );
    }

    /// A plain number that must be finite and at least `min` (inclusive or not).
    pub fn number(
        &mut self,
        v: &Located<f64>,
        path: &str,
        min: f64,
        inclusive: bool,
    ) -> Option<f64> {
        let x = v.value;
        if !x.is_finite() {
            self.invalid(
                format!("`{}` must be a finite number, got {x}", leaf(path)),
                v.loc,
                path,
                "write an ordinary number; nan and inf are not allowed",
            );
            return None;
        }
        self.not_tiny(x, v.loc, path)?;
        let ok = if inclusive { x >= min } else { x > min };
        if !ok {
            let bound = if inclusive { "at least" } else { "above" };
            self.invalid(
                format!("`{}` must be {bound} {min}, got {}", leaf(path), num(x)),
                v.loc,
                path,
                format!("use a number {bound} {min}"),
            );
            return None;
        }
        self.within_limit(&Dist::Fixed(x), v.loc, path)?;
        Some(x)
    }

    /// Whether `x` is 0 or at least [`MIN_MAGNITUDE`] in size: a subnormal or near-subnormal
    /// number is a typo, and as a distribution's parameter it stalls the numerics.
    pub(crate) fn not_tiny(&mut self, x: f64, loc: Loc, path: &str) -> Option<()> {
        if x == 0.0 || x.abs() >= MIN_MAGNITUDE || !x.is_finite() {
            return Some(());
        }
        self.invalid(
            format!(
                "`{}` = {x:e} is too small to mean anything (a number other than 0 must be at least {MIN_MAGNITUDE:e} in size)",
                leaf(path)
            ),
            loc,
            path,
            "write 0, or check for a typo in the exponent",
        );
        None
    }

    /// Whether `dist` stays below the ceiling of `path` (see [`upper_limit`]); a distribution
    /// is judged by its 99.9th percentile, or its maximum when it has one.
    pub(crate) fn within_limit(&mut self, dist: &Dist, loc: Loc, path: &str) -> Option<()> {
        let (max, unit, help) = upper_limit(path);
        let (high, which) = match dist.fixed_value() {
            Some(x) => (x, None),
            None if dist.support().1.is_finite() => (dist.support().1, Some("its maximum")),
            None => (dist.quantile(0.999), Some("its 99.9th percentile")),
        };
        if high <= max {
            return Some(());
        }
        let max = if max < 1e9 {
            crate::base::format::count(max)
        } else {
            num(max)
        };
        let message = match which {
            None => format!(
                "`{}` = {} is more than aicost models (at most {max}{unit})",
                leaf(path),
                num(high),
            ),
            Some(which) => format!(
                "`{}` can reach {} ({which}), more than aicost models (at most {max}{unit})",
                leaf(path),
                num(high),
            ),
        };
        self.invalid(message, loc, path, help);
        None
    }

    /// A quantity that may be a number or a distribution.
    pub fn dist(&mut self, q: &Quantity, path: &str, domain: Domain) -> Option<Dist> {
        let dist = match &q.value {
            RawQuantity::Number(x) => {
                let x = *x;
                if !x.is_finite() {
                    self.invalid(
                        format!("`{}` must be a finite number, got {}", leaf(path), num(x)),
                        q.loc,
                        path,
                        "write an ordinary number; nan and inf are not allowed",
                    );
                    return None;
                }
                self.not_tiny(x, q.loc, path)?;
                if domain == Domain::Growth && x > -1.0 {
                    let d = Dist::Fixed(x);
                    self.within_limit(&d, q.loc, path)?;
                    return Some(d);
                }
                if x < 0.0 {
                    let help = if domain == Domain::Growth {
                        "a growth rate is above −1 (−0.05 is a 5% monthly decline)"
                    } else {
                        "use 0 or a positive number"
                    };
                    let what = if domain == Domain::Growth {
                        "-1 or less"
                    } else {
                        "negative"
                    };
                    self.invalid(
                        format!("`{}` cannot be {what}, got {}", leaf(path), num(x)),
                        q.loc,
                        path,
                        help,
                    );
                    return None;
                }
                Dist::Fixed(x)
            }
            RawQuantity::Dist(raw) => self.dist_table(raw, q.loc, path)?,
        };
        if domain == Domain::Rate {
            let (lo, hi) = dist.support();
            if lo < 0.0 || hi > 1.0 {
                let msg = match dist.fixed_value() {
                    Some(v) => format!(
                        "`{}` is a rate and must lie between 0 and 1, got {}",
                        leaf(path),
                        num(v)
                    ),
                    None => format!(
                        "`{}` is a rate, but this distribution can take values outside 0..1",
                        leaf(path)
                    ),
                };
                let help = match dist.fixed_value() {
                    Some(v) if v > 1.0 && v <= 100.0 => {
                        format!("write a fraction, not a percentage: {} for {v}%", v / 100.0)
                    }
                    Some(_) => "use a number between 0 and 1".to_string(),
                    None => {
                        "use a beta, uniform or triangular distribution inside 0..1".to_string()
                    }
                };
                self.invalid(msg, q.loc, path, help);
                return None;
            }
        }
        self.within_limit(&dist, q.loc, path)?;
        Some(dist)
    }

    // Long on purpose: one distribution table checked key by key, in the order its messages are
    // reported; the checks share the table's location, path and family.
    pub(crate) fn dist_table(&mut self, raw: &RawDist, loc: Loc, path: &str) -> Option<Dist> {
        // Prompt files are counted before validation, in a step's prompt keys only.
        for (key, v) in [
            ("file", &raw.file),
            ("folder", &raw.folder),
            ("model", &raw.model),
        ] {
            if let Some(v) = v {
                self.invalid(
                    format!("`{key}` is read only in a step's static_prefix_tokens or input_tokens"),
                    v.loc,
                    &format!("{path}.{key}"),
                    "write the number of tokens, or a distribution such as { p50 = 900, p95 = 2600 }",
                );
                return None;
            }
        }
        let present: Vec<(&'static str, Loc)> = [
            ("p50", raw.p50.as_ref().map(|v| v.loc)),
            ("p95", raw.p95.as_ref().map(|v| v.loc)),
            ("low", raw.low.as_ref().map(|v| v.loc)),
            ("high", raw.high.as_ref().map(|v| v.loc)),
            ("mean", raw.mean.as_ref().map(|v| v.loc)),
            ("sd", raw.sd.as_ref().map(|v| v.loc)),
            ("cv", raw.cv.as_ref().map(|v| v.loc)),
            ("min", raw.min.as_ref().map(|v| v.loc)),
            ("mode", raw.mode.as_ref().map(|v| v.loc)),
            ("max", raw.max.as_ref().map(|v| v.loc)),
            ("values", raw.values.as_ref().map(|v| v.loc)),
            ("weights", raw.weights.as_ref().map(|v| v.loc)),
        ]
        .into_iter()
        .filter_map(|(k, l)| l.map(|l| (k, l)))
        .collect();
        for (key, value) in [
            ("p50", &raw.p50),
            ("p95", &raw.p95),
            ("low", &raw.low),
            ("high", &raw.high),
            ("mean", &raw.mean),
            ("sd", &raw.sd),
            ("cv", &raw.cv),
            ("min", &raw.min),
            ("mode", &raw.mode),
            ("max", &raw.max),
        ] {
            if let Some(v) = value
                && !v.value.is_finite()
            {
                self.invalid(
                    format!("`{key}` must be a finite number, got {}", v.value),
                    v.loc,
                    &format!("{path}.{key}"),
                    "write an ordinary number; nan and inf are not allowed",
                );
                return None;
            }
            if let Some(v) = value {
                self.not_tiny(v.value, v.loc, &format!("{path}.{key}"))?;
            }
        }
        for (key, list) in [("values", &raw.values), ("weights", &raw.weights)] {
            if let Some(list) = list
                && let Some(x) = list
                    .value
                    .iter()
                    .find(|x| **x != 0.0 && x.abs() < MIN_MAGNITUDE)
            {
                self.not_tiny(*x, list.loc, &format!("{path}.{key}"))?;
            }
        }
        let has = |k: &str| present.iter().any(|(p, _)| *p == k);
        let get = |v: &Option<Located<f64>>| v.as_ref().map_or(f64::NAN, |v| v.value);
        // Which forms each family accepts; the first whose keys are all present wins.
        let (family, forms): (&str, &[&[&str]]) = match raw.dist.as_ref().map(|d| d.value) {
            None => ("lognormal", &[&["p50", "p95"], &["low", "high"]]),
            Some(DistFamily::Lognormal) => (
                "lognormal",
                &[&["p50", "p95"], &["low", "high"], &["mean", "sd"]],
            ),
            Some(DistFamily::Normal) => ("normal", &[&["mean", "sd"]]),
            Some(DistFamily::Gamma) => ("gamma", &[&["mean", "cv"]]),
            Some(DistFamily::Uniform) => ("uniform", &[&["min", "max"]]),
            Some(DistFamily::Triangular) => ("triangular", &[&["min", "mode", "max"]]),
            Some(DistFamily::Beta) => ("beta", &[&["mean", "sd"]]),
            Some(DistFamily::Poisson) => ("poisson", &[&["mean"]]),
            Some(DistFamily::Empirical) => ("empirical", &[&["values", "weights"], &["values"]]),
        };
        let describe_forms = forms
            .iter()
            .map(|f| {
                f.iter()
                    .map(|k| format!("`{k}`"))
                    .collect::<Vec<_>>()
                    .join(" and ")
            })
            .collect::<Vec<_>>()
            .join(", or ");
        // A key no form of the family takes is the likeliest mistake (`sd` for a gamma's `cv`).
        if let Some((extra, extra_loc)) = present
            .iter()
            .find(|(k, _)| !forms.iter().any(|f| f.contains(k)))
        {
            self.invalid(
                format!("`{extra}` is not a parameter of this {family} distribution"),
                *extra_loc,
                &format!("{path}.{extra}"),
                format!("a {family} distribution takes {describe_forms}"),
            );
            return None;
        }
        let Some(form) = forms.iter().find(|f| f.iter().all(|k| has(k))) else {
            let msg = if raw.dist.is_none() {
                "a distribution table needs `dist = \"…\"` or the keys `p50` and `p95` (or `low` and `high`)".to_string()
            } else {
                format!("a {family} distribution needs {describe_forms}")
            };
            self.invalid(msg, loc, path, format!("write e.g. {}", example(family)));
            return None;
        };
        if let Some((extra, extra_loc)) = present.iter().find(|(k, _)| !form.contains(k)) {
            self.invalid(
                format!("`{extra}` is not a parameter of this {family} distribution"),
                *extra_loc,
                &format!("{path}.{extra}"),
                format!("a {family} distribution takes {describe_forms}"),
            );
            return None;
        }
        let built = match *form {
            ["p50", "p95"] => Dist::lognormal_p50_p95(get(&raw.p50), get(&raw.p95)),
            ["low", "high"] => Dist::lognormal_interval(get(&raw.low), get(&raw.high)),
            ["mean", "sd"] if family == "lognormal" => {
                Dist::lognormal_mean_sd(get(&raw.mean), get(&raw.sd))
            }
            ["mean", "sd"] if family == "normal" => {
                Dist::trunc_normal(get(&raw.mean), get(&raw.sd))
            }
            ["mean", "sd"] => Dist::beta_mean_sd(get(&raw.mean), get(&raw.sd)),
            ["mean", "cv"] => Dist::gamma_mean_cv(get(&raw.mean), get(&raw.cv)),
            ["min", "max"] => Dist::uniform(get(&raw.min), get(&raw.max)),
            ["min", "mode", "max"] => {
                Dist::triangular(get(&raw.min), get(&raw.mode), get(&raw.max))
            }
            ["mean"] => Dist::poisson(get(&raw.mean)),
            _ => Dist::empirical(
                raw.values
                    .as_ref()
                    .map(|v| v.value.clone())
                    .unwrap_or_default(),
                raw.weights.as_ref().map(|w| w.value.clone()),
            ),
        };
        match built {
            Ok(d) => Some(d),
            Err(reason) => {
                let pair = match *form {
                    ["p50", "p95"] => Some((get(&raw.p50), get(&raw.p95))),
                    ["low", "high"] => Some((get(&raw.low), get(&raw.high))),
                    ["min", "max"] => Some((get(&raw.min), get(&raw.max))),
                    _ => None,
                };
                let help = match (pair, *form) {
                    _ if reason.never_varies() => format!(
                        "write it as a plain number: `{} = {}`",
                        leaf(path),
                        num(get(&raw.mean))
                    ),
                    (Some((a, b)), _) if a == b => {
                        "if the value never varies, write it as a plain number".to_string()
                    }
                    (Some((a, b)), [first, second]) if a > b => format!(
                        "swap them: `{first}` is the lower value and `{second}` the higher, e.g. {}",
                        example(family)
                    ),
                    _ => format!("write e.g. {}", example(family)),
                };
                self.invalid(reason.to_string(), loc, path, help);
                None
            }
        }
    }

    /// A per-trial parameter: a number or a distribution, with a default when absent.
    pub(crate) fn param(
        &mut self,
        q: Option<&Quantity>,
        default: f64,
        path: &str,
        domain: Domain,
    ) -> Option<Param> {
        match q {
            None => Some(Param::fixed(default, path)),
            Some(q) => self.dist(q, path, domain).map(|d| Param::new(d, path)),
        }
    }

    /// A per-request distribution with a default when absent.
    pub fn per_request(&mut self, q: Option<&Quantity>, default: f64, path: &str) -> Option<Dist> {
        match q {
            None => Some(Dist::Fixed(default)),
            Some(q) => self.dist(q, path, Domain::NonNegative),
        }
    }

    pub(crate) fn check_unique<'a>(
        &mut self,
        what: &str,
        names: impl IntoIterator<Item = (&'a Located<String>, String)>,
    ) {
        let mut seen: HashMap<&str, Loc> = HashMap::new();
        for (name, path) in names {
            if name.value.trim().is_empty() {
                self.invalid(
                    format!("a {what} name cannot be empty"),
                    name.loc,
                    &path,
                    "give it a short name such as \"main\"",
                );
                continue;
            }
            if let Some(first) = seen.get(name.value.as_str()) {
                let _ = first;
                self.error(
                    ProblemKind::Duplicate,
                    format!("duplicate {what} name `{}`", name.value),
                    Some(name.loc),
                    &path,
                    Some(format!(
                        "each {what} needs its own name; rename one of them"
                    )),
                );
            } else {
                seen.insert(&name.value, name.loc);
            }
        }
    }
}

impl Default for Validator {
    fn default() -> Self {
        Self::new()
    }
}

pub(crate) fn leaf(path: &str) -> &str {
    path.rsplit('.').next().unwrap_or(path)
}

/// A number as messages show it: as written for ordinary magnitudes, in exponent form for huge or
/// tiny ones (so `1e308` is not printed as 309 digits).
pub fn num(x: f64) -> String {
    let a = x.abs();
    if a != 0.0 && a.is_finite() && !(1e-4..1e9).contains(&a) {
        format!("{x:e}")
    } else {
        format!("{x}")
    }
}

/// A computed amount as messages show it: whole with separators, or three significant digits in
/// exponent form when huge.
pub(crate) fn approx(x: f64) -> String {
    if x.abs() < 1e9 {
        crate::base::format::count(x)
    } else {
        format!("{x:.2e}")
    }
}

/// The largest value a number at `path` may take: what it is, and how to fix a value above it.
/// Everything has a ceiling, so no value can overflow the engine's arithmetic.
pub(crate) fn upper_limit(path: &str) -> (f64, &'static str, &'static str) {
    let key = leaf(path);
    if key.ends_with("_tokens") {
        (
            MAX_TOKENS,
            " tokens",
            "no model reads or writes more than a few million tokens in one call; check for a typo in the exponent",
        )
    } else if key.ends_with("_usd_per_mtok") {
        (
            MAX_USD_PER_MTOK,
            " USD per million tokens",
            "prices are USD per million tokens: $1,000,000 per million would be $1 a token",
        )
    } else if key == "users" {
        (
            MAX_USERS,
            " users",
            "model the world population at most; check for a typo in the exponent",
        )
    } else if key == "calls" {
        (
            MAX_LOOP_CALLS,
            " calls per request",
            "an agent loop of more calls never finishes; cap the loop as the application does",
        )
    } else if key == "multiplier" {
        (
            MAX_LOOP_CALLS,
            " runs of each affected request",
            "an incident runs each affected request this many times: 20 for a runaway loop",
        )
    } else if key == "chunks" || key == "count" {
        (
            MAX_ITEMS_PER_REQUEST,
            " per request",
            "this counts items sent with one request; check for a typo in the exponent",
        )
    } else {
        (MAX_NUMBER, "", "check for a typo in the exponent")
    }
}

pub(crate) fn example(family: &str) -> &'static str {
    match family {
        "normal" => "{ dist = \"normal\", mean = 900, sd = 200 }",
        "gamma" => "{ dist = \"gamma\", mean = 900, cv = 0.5 }",
        "uniform" => "{ dist = \"uniform\", min = 0.6, max = 0.9 }",
        "triangular" => "{ dist = \"triangular\", min = 0.6, mode = 0.8, max = 0.9 }",
        "beta" => "{ dist = \"beta\", mean = 0.2, sd = 0.05 }",
        "poisson" => "{ dist = \"poisson\", mean = 3 }",
        "empirical" => "{ dist = \"empirical\", values = [1, 2, 3], weights = [0.5, 0.3, 0.2] }",
        _ => "{ p50 = 900, p95 = 2600 }",
    }
}
