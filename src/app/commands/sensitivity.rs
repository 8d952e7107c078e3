//! `aicost sensitivity`: the tornado table (and chart) of a scenario.

use super::levers::DEFAULT_TRIALS_CAP;
use super::load;
use super::runs::RunPlan;
use crate::analysis::sensitivity::{self, tornado};
use crate::app::cli::{Config, SensitivityArgs, TableOrJson};
use crate::app::output::{self, Destination};
use crate::base::error::{Error, UsageKind};

pub fn sensitivity(a: &SensitivityArgs, config: &Config) -> Result<u8, Error> {
    let loaded = load(&a.file, config)?;
    let mut files = crate::app::files::FilePlan::new();
    files
        .reads_scenario(&loaded)
        .writes(super::report_flag(a.out.as_deref()), a.out.as_deref());
    if let Some(svg) = &a.svg {
        files.writes("--svg", Some(svg));
    }
    files.check()?;
    let s = &loaded.scenario;
    let plan = RunPlan::new(&a.run, s, Some(DEFAULT_TRIALS_CAP))?;
    let inputs = sensitivity::inputs(s, &loaded.document, a.all);
    let runs = 1 + 2 * inputs.len();
    let mut opts = plan.options();
    let total = plan.trials.saturating_mul(runs as u64);
    // One run at a time: each input's low and high runs are reduced to their spend at once.
    let (base, swings) = super::with_progress(config.progress, total, &mut opts, |opts| {
        let base = crate::sim::engine::simulate(s, opts)?;
        let swings = sensitivity::run_inputs(&inputs, |sc| crate::sim::engine::simulate(sc, opts))?;
        Ok((base, swings))
    })?;
    let result = sensitivity::analyze(s, &inputs, &base, &swings);
    if let Some(path) = &a.svg {
        let svg = tornado::svg(&result).map_err(|e| UsageKind::TornadoChart {
            error: e.to_string(),
        })?;
        output::write(&Destination::File(path.clone()), svg.as_bytes())?;
    }
    let text = match a.format {
        TableOrJson::Table => sensitivity::render(&result, &plan.describe(runs)),
        TableOrJson::Json => crate::app::output::pretty_json(&result),
    };
    super::emit(a.out.as_deref(), &text, config)?;
    Ok(0)
}
