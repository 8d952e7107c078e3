//! `aicost check`: fail a CI job when a forecast crosses a threshold.

use std::sync::Arc;

use super::load;
use super::runs::RunPlan;
use crate::analysis::check::{self, Outcome, Verdict};
use crate::analysis::report::Report;
use crate::app::cli::{CheckArgs, Config, TableOrJson};
use crate::base::error::{Error, Problem, ScenarioError};
use crate::base::format::{
    count, fixed, money, money_with_se, number_with_se, percent, percent_with_se,
};
use crate::base::source::Sources;

/// The exit code of a check that fails no rule but cannot decide one at these trials.
pub const UNDECIDED: u8 = 3;

pub fn check(a: &CheckArgs, config: &Config) -> Result<u8, Error> {
    // Rules first: a typo in a rule should not cost a simulation.
    let mut sources = Sources::new();
    let mut rules = Vec::new();
    for text in &a.fail_if {
        let id = sources.add("--fail-if", None, text.clone());
        rules.push(check::parse(text, id).map_err(|p| rule_error(&sources, p))?);
    }
    let loaded = load(&a.file, config)?;
    crate::app::files::FilePlan::new()
        .reads_scenario(&loaded)
        .writes("--out", a.out.as_deref())
        .check()?;
    let s = &loaded.scenario;
    let plan = RunPlan::single(&a.run, s, None)?;
    let result = plan.run(&[s], config)?.remove(0);
    let report = Report::new(s, &result);
    let outcomes =
        check::evaluate(&rules, s, &result, &report).map_err(|p| rule_error(&sources, p))?;
    let text = match a.format {
        TableOrJson::Table => render(&s.name, &plan.describe(1), &outcomes),
        TableOrJson::Json => {
            #[derive(serde::Serialize)]
            struct Doc<'a> {
                scenario: &'a str,
                trials: u64,
                seed: u64,
                decision_standard_errors: f64,
                outcomes: &'a [Outcome],
            }
            let doc = Doc {
                scenario: &s.name,
                trials: plan.trials,
                seed: plan.seed,
                decision_standard_errors: check::DECISION_SE,
                outcomes: &outcomes,
            };
            crate::app::output::pretty_json(&doc)
        }
    };
    super::emit(a.out.as_deref(), &text, config)?;
    if outcomes.iter().any(|o| o.verdict == Verdict::Fail) {
        return Ok(1);
    }
    let undecided: Vec<&Outcome> = outcomes
        .iter()
        .filter(|o| o.verdict == Verdict::Undecided)
        .collect();
    if !undecided.is_empty() {
        let needed = undecided.iter().filter_map(|o| o.trials_to_decide).max();
        // Not a user error: the scenario and the rules are fine, the forecast is too uncertain.
        // Its own exit code lets a CI gate tell "rerun with more trials" from "fix the scenario".
        let warning = crate::base::warning::Warning::from(
            crate::base::warning::WarningKind::ChecksUndecided {
                checks: undecided.len(),
                standard_errors: check::DECISION_SE,
                trials: plan.trials,
                trials_to_decide: needed,
            },
        );
        eprintln!("undecided: {warning}");
        return Ok(UNDECIDED);
    }
    Ok(0)
}

fn rule_error(sources: &Sources, p: Problem) -> Error {
    Error::Scenario(ScenarioError {
        sources: Arc::new(sources.clone()),
        problems: vec![p],
    })
}

/// A metric value in its unit: dollars, percentages or plain numbers.
fn show(metric: &str, x: f64, se: Option<f64>) -> String {
    let is_money = metric.contains("usd") && !metric.contains("standard_error");
    let is_share =
        metric.ends_with("probability") || metric.ends_with("_rate") || metric.ends_with("_share");
    let se = se.filter(|s| *s > 0.0);
    if is_money {
        se.map_or_else(|| money(x), |se| money_with_se(x, se))
    } else if is_share {
        se.map_or_else(|| percent(x), |se| percent_with_se(x, se))
    } else {
        se.map_or_else(|| fixed(x, 2), |se| number_with_se(x, se))
    }
}

fn render(scenario: &str, run: &str, outcomes: &[Outcome]) -> String {
    let mut out = format!("check {scenario} · {run}\n");
    let stack_w = outcomes
        .iter()
        .map(|o| o.stack.chars().count())
        .max()
        .unwrap_or(0);
    let rule_w = outcomes
        .iter()
        .map(|o| o.rule.chars().count())
        .max()
        .unwrap_or(0);
    for o in outcomes {
        let label = match o.verdict {
            Verdict::Pass => "pass",
            Verdict::Fail => "FAIL",
            Verdict::Undecided => "UNDECIDED",
        };
        let measured = format!(
            "{} = {} (threshold {})",
            o.metric,
            show(&o.metric, o.value, o.standard_error),
            show(&o.metric, o.threshold, None)
        );
        let note = match (o.verdict, o.standard_error, o.trials_to_decide) {
            (Verdict::Undecided, _, Some(n)) => format!(
                ": within {} standard errors; raise --trials to about {} to decide",
                check::DECISION_SE,
                count(n as f64)
            ),
            (Verdict::Undecided, _, None) => ": equal to the threshold".to_string(),
            (_, None, _) => " (no standard error for this metric)".to_string(),
            _ => String::new(),
        };
        out.push_str(&format!(
            "  {label:<9}  {:<stack_w$}  {:<rule_w$}  {measured}{note}\n",
            o.stack, o.rule
        ));
    }
    let failed = outcomes
        .iter()
        .filter(|o| o.verdict == Verdict::Fail)
        .count();
    let undecided = outcomes
        .iter()
        .filter(|o| o.verdict == Verdict::Undecided)
        .count();
    out.push_str(&format!(
        "{} check{}: {} failed, {} undecided, {} passed\n",
        outcomes.len(),
        if outcomes.len() == 1 { "" } else { "s" },
        failed,
        undecided,
        outcomes.len() - failed - undecided
    ));
    out
}
