//! Cost gates: rules over forecast metrics that a CI job can fail on.
//!
//! A rule reads like the condition that should stop a change: `p95 > 20000`,
//! `breach_probability > 0.05`, `stack=route-a: cost_per_accepted_task_usd > 0.02`,
//! `p95 > 1.1 * budget`. The metric is any number of a stack's JSON report (`simulate --format
//! json`), by its path (`workflows[live].monthly_spend_usd.p95`); `mean`, `p50`, `p95`, … alone mean
//! those of `monthly_spend_usd`. A rule without `stack=` applies to every stack.
//!
//! A Monte Carlo estimate is a measurement, so a rule is only decided when the measured value is
//! at least two standard errors away from the threshold; closer than that, the answer could flip
//! with the seed, and `check` says how many trials would settle it instead of guessing.

use serde::Serialize;

use crate::analysis::report::Report;
use crate::base::error::{Problem, ProblemKind, suggest};
use crate::base::source::{FileId, Loc};
use crate::base::stats;
use crate::base::stats::paired::{quantile_se, ratio_se};
use crate::model::doc::path::{self, Part};
use crate::model::{MAX_TRIALS, Scenario};
use crate::sim::engine::SimResult;

/// How many standard errors a value must be from its threshold before a rule is decided.
pub(crate) const DECISION_SE: f64 = 2.0;

/// Summary fields that may be named alone (`p95` for `monthly_spend_usd.p95`).
const SPEND_FIELDS: [&str; 9] = [
    "mean", "sd", "p5", "p50", "p95", "p99", "cvar95", "min", "max",
];

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Op {
    #[serde(rename = ">")]
    Gt,
    #[serde(rename = ">=")]
    Ge,
    #[serde(rename = "<")]
    Lt,
    #[serde(rename = "<=")]
    Le,
    #[serde(rename = "==")]
    Eq,
    #[serde(rename = "!=")]
    Ne,
}

impl Op {
    pub fn symbol(self) -> &'static str {
        match self {
            Op::Gt => ">",
            Op::Ge => ">=",
            Op::Lt => "<",
            Op::Le => "<=",
            Op::Eq => "==",
            Op::Ne => "!=",
        }
    }

    fn holds(self, a: f64, b: f64) -> bool {
        match self {
            Op::Gt => a > b,
            Op::Ge => a >= b,
            Op::Lt => a < b,
            Op::Le => a <= b,
            Op::Eq => a == b,
            Op::Ne => a != b,
        }
    }
}

/// One `--fail-if` rule.
#[derive(Clone, Debug)]
pub struct Rule {
    pub text: String,
    pub file: FileId,
    pub stack: Option<(String, Loc)>,
    pub metric: Vec<Part>,
    pub op: Op,
    /// The threshold is `factor`, or `factor × budget` when `of_budget`.
    pub factor: f64,
    pub of_budget: bool,
    /// Whether the threshold was written as a percentage (`5%`): a share, never dollars.
    pub percent: bool,
    pub rhs_loc: Loc,
}

fn problem(file: FileId, span: std::ops::Range<usize>, message: impl Into<String>) -> Problem {
    Problem::new(ProblemKind::Syntax, message).at(Loc::new(file, span))
}

const RULE_HELP: &str = "write METRIC OP THRESHOLD, e.g. \"p95 > 20000\", \"breach_probability > 0.05\", \"p95 > 1.1 * budget\" or \"stack=NAME: mean > 5000\"";

/// Parse a rule; `text` is the source `file`.
pub fn parse(text: &str, file: FileId) -> Result<Rule, Problem> {
    let mut rest_start = 0;
    let mut stack = None;
    let trimmed = text.trim_start();
    let lead = text.len() - trimmed.len();
    if let Some(after) = trimmed.strip_prefix("stack=") {
        let Some(colon) = after.find(':') else {
            return Err(
                problem(file, lead..text.len(), "`stack=NAME` must end with `:`")
                    .help("e.g. \"stack=route-a: p95 > 20000\""),
            );
        };
        let name_start = lead + "stack=".len();
        let name = after[..colon].trim();
        if name.is_empty() {
            return Err(problem(
                file,
                name_start..name_start + colon,
                "the stack name is empty",
            ));
        }
        let offset = name_start + (after[..colon].len() - after[..colon].trim_start().len());
        stack = Some((
            name.to_string(),
            Loc::new(file, offset..offset + name.len()),
        ));
        rest_start = name_start + colon + 1;
    }
    let rest = &text[rest_start..];
    let Some((op_at, op, op_len)) = find_op(rest) else {
        return Err(problem(
            file,
            rest_start..text.len(),
            "no comparison operator in the rule",
        )
        .help(RULE_HELP));
    };
    let metric_text = &rest[..op_at];
    let m_lead = metric_text.len() - metric_text.trim_start().len();
    if metric_text.trim().is_empty() {
        return Err(problem(
            file,
            rest_start..rest_start + op_at + op_len,
            "the rule names no metric",
        )
        .help(RULE_HELP));
    }
    let metric = path::parse(metric_text.trim(), rest_start + m_lead)
        .map_err(|e| problem(file, e.span, e.message).help(RULE_HELP))?;
    let rhs_start = rest_start + op_at + op_len;
    let rhs_text = &text[rhs_start..];
    let r_lead = rhs_text.len() - rhs_text.trim_start().len();
    let rhs_loc = Loc::new(
        file,
        rhs_start + r_lead..rhs_start + rhs_text.trim_end().len(),
    );
    let (factor, of_budget) = parse_threshold(rhs_text.trim()).ok_or_else(|| {
        Problem::new(
            ProblemKind::Syntax,
            format!("cannot read the threshold `{}`", rhs_text.trim()),
        )
        .at(rhs_loc)
        .help(
            "a number (20000, 20_000, $20,000, 5%), `budget`, or a multiple such as `1.1 * budget`",
        )
    })?;
    Ok(Rule {
        text: text.to_string(),
        file,
        stack,
        metric,
        op,
        factor,
        of_budget,
        percent: rhs_text.contains('%'),
        rhs_loc,
    })
}

fn find_op(s: &str) -> Option<(usize, Op, usize)> {
    for (i, &b) in s.as_bytes().iter().enumerate() {
        let two = s.get(i..i + 2);
        let op = match (b, two) {
            (_, Some(">=")) => Some((Op::Ge, 2)),
            (_, Some("<=")) => Some((Op::Le, 2)),
            (_, Some("==")) => Some((Op::Eq, 2)),
            (_, Some("!=")) => Some((Op::Ne, 2)),
            (b'>', _) => Some((Op::Gt, 1)),
            (b'<', _) => Some((Op::Lt, 1)),
            _ => None,
        };
        if let Some((op, len)) = op {
            return Some((i, op, len));
        }
    }
    None
}

/// `20000`, `20_000`, `$20,000`, `5%`, `budget`, `1.1 * budget`, `budget * 1.1`.
fn parse_threshold(s: &str) -> Option<(f64, bool)> {
    let terms: Vec<&str> = s.split('*').map(str::trim).collect();
    match terms.as_slice() {
        [one] if *one == "budget" => Some((1.0, true)),
        [one] => number(one).map(|x| (x, false)),
        [a, b] if *b == "budget" => number(a).map(|x| (x, true)),
        [a, b] if *a == "budget" => number(b).map(|x| (x, true)),
        [a, b] => Some((number(a)? * number(b)?, false)),
        _ => None,
    }
    .filter(|(x, _)| x.is_finite())
}

/// A dollar amount as a person writes it: `65000`, `65_000`, `$65,000`, `1e5`.
pub fn dollar_amount(s: &str) -> Option<f64> {
    if s.trim().ends_with('%') {
        return None;
    }
    number(s)
}

fn number(s: &str) -> Option<f64> {
    let s = s.trim();
    let (s, scale) = match s.strip_suffix('%') {
        Some(x) => (x.trim_end(), 0.01),
        None => (s, 1.0),
    };
    let s = s.strip_prefix('$').unwrap_or(s);
    let cleaned: String = without_thousands_commas(s)?
        .chars()
        .filter(|c| *c != '_')
        .collect();
    let x: f64 = cleaned.parse().ok()?;
    x.is_finite().then_some(x * scale)
}

/// `s` without its thousands separators, or `None` when a comma is anything else: commas group
/// the whole part in threes (`20,000`, `1,234.5`), so `0,004` or `1,5` (a decimal comma) is
/// refused rather than read as 4 or 15.
fn without_thousands_commas(s: &str) -> Option<String> {
    if !s.contains(',') {
        return Some(s.to_string());
    }
    let (whole, rest) = match s.find(['.', 'e', 'E']) {
        Some(i) => s.split_at(i),
        None => (s, ""),
    };
    if rest.contains(',') {
        return None;
    }
    let (sign, digits) = match whole.strip_prefix('-') {
        Some(d) => ("-", d),
        None => ("", whole),
    };
    let groups: Vec<&str> = digits.split(',').collect();
    let first_ok = (1..=3).contains(&groups[0].len()) && !groups[0].starts_with('0');
    let rest_ok = groups[1..]
        .iter()
        .all(|g| g.len() == 3 && g.bytes().all(|b| b.is_ascii_digit()));
    (first_ok && rest_ok).then(|| format!("{sign}{}{rest}", groups.concat()))
}

/// The verdict of one rule on one stack.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    /// The failure condition is false.
    Pass,
    /// The failure condition is true.
    Fail,
    /// Too close to the threshold to tell at this number of trials.
    Undecided,
}

/// A rule evaluated on one stack.
#[derive(Clone, Debug, Serialize)]
pub struct Outcome {
    pub rule: String,
    pub stack: String,
    /// The metric's full path in the stack's JSON report.
    pub metric: String,
    pub value: f64,
    /// `None` when no standard error is known for this metric.
    pub standard_error: Option<f64>,
    pub op: Op,
    pub threshold: f64,
    pub verdict: Verdict,
    /// For an undecided rule: about how many trials would decide it.
    pub trials_to_decide: Option<u64>,
}

/// The full metric path (`p95` → `monthly_spend_usd.p95`).
pub(crate) fn full_path(metric: &[Part]) -> Vec<Part> {
    match metric {
        [only] if !only.bracketed && SPEND_FIELDS.contains(&only.text.as_str()) => vec![
            Part {
                text: "monthly_spend_usd".into(),
                span: only.span.clone(),
                bracketed: false,
            },
            only.clone(),
        ],
        other => other.to_vec(),
    }
}

/// Evaluate every rule on the stacks it names; user mistakes (unknown stack or metric, a metric
/// that is not a number, `budget` without a budget) are located problems.
pub fn evaluate(
    rules: &[Rule],
    s: &Scenario,
    result: &SimResult,
    report: &Report,
) -> Result<Vec<Outcome>, Problem> {
    let mut out = Vec::new();
    let stacks: Vec<serde_json::Value> = report
        .stacks
        .iter()
        .map(|st| serde_json::to_value(st).expect("a stack report serializes"))
        .collect();
    for rule in rules {
        let threshold = if rule.of_budget {
            match &s.budget {
                Some(b) if !(rule.factor * b.monthly_usd).is_finite() => {
                    return Err(Problem::new(
                        ProblemKind::InvalidValue,
                        format!(
                            "the threshold is {} × the budget of ${}, beyond any number",
                            crate::model::scenario::validator::num(rule.factor),
                            crate::model::scenario::validator::num(b.monthly_usd)
                        ),
                    )
                    .at(rule.rhs_loc)
                    .help("write a multiple of the budget such as `1.1 * budget`"));
                }
                Some(b) => rule.factor * b.monthly_usd,
                None => {
                    return Err(Problem::new(
                        ProblemKind::MissingKey,
                        "the rule uses `budget`, but the scenario has no [budget]",
                    )
                    .at(rule.rhs_loc)
                    .help("add [budget] monthly_usd = … to the scenario, or write the threshold in dollars"));
                }
            }
        } else {
            rule.factor
        };
        let targets: Vec<usize> = match &rule.stack {
            None => (0..report.stacks.len()).collect(),
            Some((name, loc)) => match report.stacks.iter().position(|st| &st.name == name) {
                Some(i) => vec![i],
                None => {
                    let names: Vec<&str> =
                        report.stacks.iter().map(|st| st.name.as_str()).collect();
                    let help = match suggest(name, names.iter().copied()) {
                        Some(x) => format!("did you mean `{x}`?"),
                        None => format!("stacks: {}", names.join(", ")),
                    };
                    return Err(Problem::new(
                        ProblemKind::UnknownReference,
                        format!("no stack named `{name}`"),
                    )
                    .at(*loc)
                    .help(help));
                }
            },
        };
        let metric = full_path(&rule.metric);
        let shown = path::render(&metric);
        if rule.percent && !rule.of_budget && metric.iter().any(|p| p.text.contains("usd")) {
            return Err(Problem::new(
                ProblemKind::InvalidValue,
                format!("`{shown}` is in dollars, but the threshold is a percentage"),
            )
            .at(rule.rhs_loc)
            .help(format!(
                "a percentage is a share, not money: write dollars (`{} > 20000`) or a share of the budget (`{} > {}% * budget`)",
                path::render(&rule.metric),
                path::render(&rule.metric),
                rule.factor * 100.0
            )));
        }
        for k in targets {
            let value = metric_value(&stacks[k], &metric, rule, &shown)?;
            let se = standard_error(&shown, s, result, report, k)
                .or_else(|| json_standard_error(&stacks[k], &metric, rule, &shown));
            let (verdict, trials_to_decide) = decide(value, se, rule.op, threshold, result.trials);
            out.push(Outcome {
                rule: rule.text.trim().to_string(),
                stack: report.stacks[k].name.clone(),
                metric: shown.clone(),
                value,
                standard_error: se,
                op: rule.op,
                threshold,
                verdict,
                trials_to_decide,
            });
        }
    }
    Ok(out)
}

fn metric_value(
    stack: &serde_json::Value,
    metric: &[Part],
    rule: &Rule,
    shown: &str,
) -> Result<f64, Problem> {
    let span = metric.first().map_or(0, |p| p.span.start)..metric.last().map_or(0, |p| p.span.end);
    let loc = Loc::new(rule.file, span);
    let mut node = stack;
    for (i, part) in metric.iter().enumerate() {
        let next = match node {
            serde_json::Value::Object(map) if !part.bracketed => map.get(&part.text),
            serde_json::Value::Array(items) => match part.index() {
                Some(i) => items.get(i),
                None => items
                    .iter()
                    .find(|x| x.get("name").and_then(|n| n.as_str()) == Some(part.text.as_str())),
            },
            _ => None,
        };
        let Some(next) = next else {
            let so_far = path::render(&metric[..i]);
            let mut candidates = keys_at(node);
            if i == 0 {
                candidates.extend(SPEND_FIELDS.iter().map(|f| f.to_string()));
            }
            let help = match suggest(&part.text, candidates.iter().map(String::as_str)) {
                Some(x) => format!("did you mean `{x}`?"),
                None if candidates.is_empty() => {
                    "metrics are the numbers of a stack in `aicost simulate --format json`"
                        .to_string()
                }
                None => format!("known here: {}", candidates.join(", ")),
            };
            let what = if so_far.is_empty() {
                format!("unknown metric `{}`", part.text)
            } else {
                format!("`{so_far}` has no `{}`", part.text)
            };
            return Err(Problem::new(ProblemKind::UnknownKey, what)
                .at(Loc::new(rule.file, part.span.clone()))
                .help(help));
        };
        node = next;
    }
    match node {
        serde_json::Value::Number(n) => Ok(n.as_f64().unwrap_or(f64::NAN)),
        serde_json::Value::Null => Err(Problem::new(
            ProblemKind::InvalidValue,
            format!("`{shown}` is not defined for this scenario"),
        )
        .at(loc)
        .help(if shown.starts_with("breach_probability") {
            "breach probability needs a [budget] monthly_usd in the scenario".to_string()
        } else {
            "it has no value here (for instance a ratio with nothing to divide by)".to_string()
        })),
        other => Err(Problem::new(
            ProblemKind::InvalidType,
            format!("`{shown}` is not a number"),
        )
        .at(loc)
        .help(format!(
            "pick one of its numbers: {}",
            keys_at(other).join(", ")
        ))),
    }
}

fn keys_at(v: &serde_json::Value) -> Vec<String> {
    match v {
        serde_json::Value::Object(map) => map
            .iter()
            .filter(|(_, x)| !x.is_string())
            .map(|(k, _)| k.clone())
            .collect(),
        serde_json::Value::Array(items) => items
            .iter()
            .enumerate()
            .map(|(i, x)| {
                x.get("name")
                    .and_then(|n| n.as_str())
                    .map_or_else(|| format!("[{i}]"), |n| format!("[{n}]"))
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// The standard error the JSON gives beside a metric, where the run computes none itself:
/// `X_standard_error` beside `X` (`probability_fired_standard_error`), or `standard_error`
/// beside a `mean` or `value` (`spend_change_usd`). The same figure the report prints.
fn json_standard_error(
    stack: &serde_json::Value,
    metric: &[Part],
    rule: &Rule,
    shown: &str,
) -> Option<f64> {
    let (leaf, parent) = metric.split_last()?;
    if leaf.bracketed {
        return None;
    }
    let sibling = |text: String| -> Option<f64> {
        let mut path = parent.to_vec();
        path.push(Part {
            text,
            span: leaf.span.clone(),
            bracketed: false,
        });
        metric_value(stack, &path, rule, shown)
            .ok()
            .filter(|se| se.is_finite() && *se >= 0.0)
    };
    sibling(format!("{}_standard_error", leaf.text)).or_else(|| {
        matches!(leaf.text.as_str(), "mean" | "value")
            .then(|| sibling("standard_error".to_string()))
            .flatten()
    })
}

/// The standard error of a metric of stack `k`, where it is known.
pub fn standard_error(
    metric: &str,
    s: &Scenario,
    r: &SimResult,
    report: &Report,
    k: usize,
) -> Option<f64> {
    let st = &r.stacks[k];
    let rep = &report.stacks[k];
    let n = st.spend.len();
    if n < 2 {
        return None;
    }
    let mean_se = |v: &[f64]| stats::sd(v) / (v.len() as f64).sqrt();
    let summary = |v: &[f64], field: &str| -> Option<f64> {
        match field {
            "mean" => Some(mean_se(v)),
            "p5" => Some(quantile_se(v, 0.05)),
            "p50" => Some(quantile_se(v, 0.50)),
            "p95" => Some(quantile_se(v, 0.95)),
            "p99" => Some(quantile_se(v, 0.99)),
            _ => None,
        }
    };
    if let Some(field) = metric.strip_prefix("monthly_spend_usd.") {
        // The figure covers every month (the report's headline); so does its error.
        if field == "mean" {
            return Some(rep.mean_standard_error_usd);
        }
        if st.keeps_all_spend() {
            return summary(st.all_spend(), field);
        }
        // Sketched: the kept months give the shape of the error, which shrinks like 1/√trials.
        let shrink = (r.detail_trials as f64 / r.trials as f64).sqrt();
        return summary(&st.spend, field).map(|se| se * shrink);
    }
    if let Some(field) = metric.strip_prefix("requests_per_month.") {
        return summary(&st.requests, field);
    }
    if let Some(rest) = metric.strip_prefix("workflows[") {
        let (name, field) = rest.split_once("].monthly_spend_usd.")?;
        let w = s
            .workflows
            .iter()
            .position(|w| w.name == name)
            .or_else(|| name.parse().ok())?;
        return summary(st.workflow_spend.get(w)?, field);
    }
    if let Some(rest) = metric.strip_prefix("alerts[") {
        let (i, field) = rest.split_once("].")?;
        let a = rep.alerts.get(i.parse::<usize>().ok()?)?;
        return (field == "probability")
            .then(|| (a.probability * (1.0 - a.probability) / n as f64).sqrt());
    }
    match metric {
        "mean_standard_error_usd" => Some(0.0),
        "breach_probability" => rep.breach_probability_standard_error,
        "acceptance_rate" => ratio_se(&st.accepted, &st.requests),
        "cost_per_request_usd" => ratio_se(&st.spend, &st.requests),
        "cost_per_accepted_task_usd" => ratio_se(&st.spend, &st.accepted),
        "cost_per_user_usd.mean" => {
            let users = r.users();
            let per: Vec<f64> = st
                .spend
                .iter()
                .zip(&users)
                .filter(|(_, u)| **u > 0.0)
                .map(|(x, u)| x / u)
                .collect();
            (per.len() >= 2).then(|| mean_se(&per))
        }
        _ => None,
    }
}

/// Decide `value op threshold`, refusing within `DECISION_SE` standard errors.
pub fn decide(
    value: f64,
    se: Option<f64>,
    op: Op,
    threshold: f64,
    trials: u64,
) -> (Verdict, Option<u64>) {
    let fails = op.holds(value, threshold);
    let verdict = if fails { Verdict::Fail } else { Verdict::Pass };
    let Some(se) = se.filter(|se| *se > 0.0 && se.is_finite()) else {
        return (verdict, None);
    };
    let gap = (value - threshold).abs();
    if gap >= DECISION_SE * se {
        return (verdict, None);
    }
    // The standard error shrinks like 1/√trials; aim 25% past the decision margin.
    let needed = if gap > 0.0 {
        let factor = (DECISION_SE * se / gap).powi(2) * 1.25;
        let t = (trials as f64 * factor * (1.0 - 1e-12)).ceil();
        Some(if t > MAX_TRIALS as f64 {
            MAX_TRIALS
        } else {
            round_up(t as u64)
        })
    } else {
        None
    };
    (Verdict::Undecided, needed)
}

/// Round up to two significant digits (43,210 → 44,000).
fn round_up(x: u64) -> u64 {
    let mut unit = 1;
    while x / unit >= 100 {
        unit *= 10;
    }
    x.div_ceil(unit) * unit
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(text: &str) -> Rule {
        parse(text, FileId(0)).unwrap_or_else(|p| panic!("{text}: {}", p.message))
    }

    #[test]
    fn rules_parse_metrics_operators_and_thresholds() {
        let r = rule("p95 > 20000");
        assert_eq!((r.op, r.factor, r.of_budget), (Op::Gt, 20000.0, false));
        assert_eq!(path::render(&full_path(&r.metric)), "monthly_spend_usd.p95");
        let r = rule("breach_probability >= 5%");
        assert_eq!((r.op, r.factor), (Op::Ge, 0.05));
        let r = rule("p95 > 1.1 * budget");
        assert_eq!((r.factor, r.of_budget), (1.1, true));
        let r = rule("stack=route-a: workflows[live].monthly_spend_usd.p95 <= $20,000");
        assert_eq!(r.stack.as_ref().map(|s| s.0.as_str()), Some("route-a"));
        assert_eq!(r.factor, 20000.0);
        assert_eq!(
            path::render(&full_path(&r.metric)),
            "workflows[live].monthly_spend_usd.p95"
        );
        assert_eq!(rule("mean != budget * 2").factor, 2.0);
        assert_eq!(rule("acceptance_rate < 0.9").op, Op::Lt);
        assert_eq!(rule("mean == 1_000").factor, 1000.0);
    }

    #[test]
    fn a_comma_is_a_thousands_separator_or_a_mistake() {
        assert_eq!(rule("p95 > $1,234,567.5").factor, 1_234_567.5);
        assert_eq!(rule("p95 > -1,000").factor, -1000.0);
        assert_eq!(rule("p95 > 1,000 * budget").factor, 1000.0);
        // A decimal comma or a stray one would otherwise turn a gate into a pass.
        for bad in [
            "p95 > $0,004",
            "p95 > 1,5 * budget",
            "p95 > $1,2,3",
            "p95 > 12,34",
            "p95 > ,500",
            "p95 > 1,000.5,0",
            "p95 > 1,0000",
        ] {
            assert!(parse(bad, FileId(0)).is_err(), "{bad}");
        }
    }

    #[test]
    fn malformed_rules_are_located() {
        let e = parse("p95 20000", FileId(0)).unwrap_err();
        assert!(e.message.contains("operator"));
        let e = parse("p95 > twenty", FileId(0)).unwrap_err();
        assert_eq!(e.loc.map(|l| (l.start, l.end)), Some((6, 12)));
        assert!(parse("> 3", FileId(0)).is_err());
        assert!(parse("stack=a p95 > 3", FileId(0)).is_err());
    }

    #[test]
    fn decisions_keep_two_standard_errors_of_margin() {
        assert_eq!(
            decide(110.0, Some(4.0), Op::Gt, 100.0, 1000).0,
            Verdict::Fail
        );
        assert_eq!(
            decide(90.0, Some(4.0), Op::Gt, 100.0, 1000).0,
            Verdict::Pass
        );
        let (v, need) = decide(95.0, Some(4.0), Op::Gt, 100.0, 1000);
        assert_eq!(v, Verdict::Undecided);
        // (2 × 4 / 5)² × 1.25 × 1000 = 3,200.
        assert_eq!(need, Some(3200));
        assert_eq!(decide(95.0, None, Op::Gt, 100.0, 1000).0, Verdict::Pass);
        assert_eq!(decide(100.0, Some(0.0), Op::Ge, 100.0, 10).0, Verdict::Fail);
        assert_eq!(round_up(43_210), 44_000);
    }
}
