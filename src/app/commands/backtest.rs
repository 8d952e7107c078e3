//! `aicost backtest`: forecast intervals against the actual monthly spend in usage logs.

use super::load;
use crate::analysis::backtest::{self, Actuals};
use crate::app::cli::{BacktestArgs, Config, TableOrJson};
use crate::base::calendar::Month;
use crate::base::error::{Error, suggest};

pub fn backtest(a: &BacktestArgs, config: &Config) -> Result<u8, Error> {
    if !(a.interval > 0.0 && a.interval < 1.0) {
        return Err(Error::Usage(format!(
            "--interval is a probability between 0 and 1, e.g. 0.9; got {}",
            a.interval
        )));
    }
    if a.trials == 0 || a.trials > crate::model::MAX_TRIALS {
        return Err(Error::Usage(format!(
            "--trials must be between 1 and {}, got {}",
            crate::model::MAX_TRIALS,
            a.trials
        )));
    }
    let month = match &a.month {
        None => None,
        Some(m) => Some(Month::parse(m).ok_or_else(|| {
            Error::Usage(format!(
                "--month must be a month YYYY-MM, e.g. 2026-10, got `{m}`"
            ))
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
                Error::Usage(format!(
                    "the scenario has no stack `{name}`\n  = help: {help}"
                ))
            })?,
    };
    let opts = super::fit::log_options(a.from, a.group_by.as_deref(), a.max_malformed)?;
    let catalog = crate::model::catalog::builtin();
    let mut actuals = Actuals::new(s, catalog);
    let (budget, _, set_aside) =
        crate::analysis::fit::for_each_call(&a.logs, &opts, &mut |c| actuals.add(&c))?;
    if actuals.beyond_models > 0 {
        return Err(Error::Usage(format!(
            "the logs name more than {} models ({} calls beyond them)\n  = help: check the model column (--from): it should name the model of each call",
            backtest::MAX_MODELS,
            actuals.beyond_models
        )));
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
        return Err(Error::Usage(format!(
            "the logs have no call in {m}\n  = help: the logs cover {}",
            if have.is_empty() {
                "no month".to_string()
            } else {
                have.join(", ")
            }
        )));
    }
    if actuals.months.is_empty() {
        return Err(Error::Usage("the logs hold no model call".to_string()));
    }
    let b = backtest::evaluate(s, stack, &actuals, month, a.interval, a.trials, a.seed)?;
    let text = match a.format {
        TableOrJson::Table => backtest::render(&b),
        TableOrJson::Json => crate::app::output::pretty_json(&b),
    };
    super::emit(a.out.as_deref(), &text, config)?;
    Ok(0)
}
