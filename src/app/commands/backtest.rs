//! `aicost backtest`: forecast intervals against the actual monthly spend in usage logs.

use super::load;
use crate::analysis::backtest::{self, Actuals};
use crate::app::cli::{BacktestArgs, Config, TableOrJson};
use crate::base::calendar::Month;
use crate::base::error::{Error, UsageKind, suggest};

pub fn backtest(a: &BacktestArgs, config: &Config) -> Result<u8, Error> {
    if !(a.interval > 0.0 && a.interval < 1.0) {
        return Err(UsageKind::IntervalOutOfRange { got: a.interval }.into());
    }
    if a.trials == 0 || a.trials > crate::model::MAX_TRIALS {
        return Err(UsageKind::TrialsOutOfRange {
            max: crate::model::MAX_TRIALS,
            got: a.trials,
        }
        .into());
    }
    let month = match &a.month {
        None => None,
        Some(m) => Some(Month::parse(m).ok_or_else(|| {
            Error::from(UsageKind::NotAMonth {
                got: m.clone(),
                example: "2026-10",
            })
        })?),
    };
    let loaded = load(&a.scenario, config)?;
    let mut files = crate::app::files::FilePlan::new();
    files.reads_scenario(&loaded);
    for log in &a.logs {
        files.reads(log, "a log");
    }
    files.writes("--out", a.out.as_deref()).check()?;
    let s = &loaded.scenario;
    let stack = match &a.stack {
        None => 0,
        Some(name) => s
            .stacks
            .iter()
            .position(|st| &st.name == name)
            .ok_or_else(|| {
                let help = suggest(name, s.stacks.iter().map(|st| st.name.as_str())).map_or_else(
                    || {
                        format!(
                            "the scenario's stacks: {}",
                            s.stacks
                                .iter()
                                .map(|st| st.name.as_str())
                                .collect::<Vec<_>>()
                                .join(", ")
                        )
                    },
                    |x| format!("did you mean `{x}`?"),
                );
                Error::from(UsageKind::NoSuchStack { name: name.clone() }.help(help))
            })?,
    };
    let opts = super::fit::log_options(a.from, a.group_by.as_deref(), a.max_malformed)?;
    let catalog = crate::model::catalog::builtin();
    let mut actuals = Actuals::new(s, catalog);
    let (budget, _, set_aside) =
        crate::analysis::fit::for_each_call(&a.logs, &opts, &mut |c| actuals.add(&c))?;
    if actuals.beyond_models > 0 {
        return Err(UsageKind::TooManyModels {
            max: backtest::MAX_MODELS,
            beyond: actuals.beyond_models,
        }
        .into());
    }
    if !config.quiet
        && let Some(note) = set_aside.describe()
    {
        eprintln!("{note}");
    }
    actuals.set_aside = set_aside;
    if !config.quiet && budget.malformed.count > 0 {
        eprintln!("{} malformed lines skipped:", budget.malformed.count);
        eprint!("{}", budget.report());
    }
    if let Some(m) = month
        && !actuals.months.contains_key(&m)
    {
        let have: Vec<String> = actuals.months.keys().map(Month::to_string).collect();
        return Err(UsageKind::NoCallInMonth { month: m, have }.into());
    }
    if actuals.months.is_empty() {
        return Err(UsageKind::NoModelCall { to_fit: false }.into());
    }
    let b = backtest::evaluate(s, stack, &actuals, month, a.interval, a.trials, a.seed)?;
    let text = match a.format {
        TableOrJson::Table => backtest::render(&b),
        TableOrJson::Json => crate::app::output::pretty_json(&b),
    };
    super::emit(a.out.as_deref(), &text, config)?;
    Ok(0)
}
