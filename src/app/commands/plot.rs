//! `aicost plot`: the charts of a simulation as SVG files.

use super::{load, with_progress};
use crate::analysis::detail::Detail;
use crate::analysis::report::Report;
use crate::app::cli::{Config, PlotArgs};
use crate::app::output::{self, Destination};
use crate::base::error::{Error, UsageKind};
use crate::render::charts;
use crate::sim::engine;

pub fn plot(a: &PlotArgs, config: &Config) -> Result<u8, Error> {
    let loaded = load(&a.file, config)?;
    let s = &loaded.scenario;
    if a.out.exists() && !a.out.is_dir() {
        return Err(UsageKind::ChartsOutIsFile {
            path: a.out.clone(),
        }
        .into());
    }
    let mut files = crate::app::files::FilePlan::new();
    files.reads_scenario(&loaded);
    for file in crate::render::charts::files(s.simulation.months) {
        files.writes(format!("--out (its {file})"), Some(&a.out.join(file)));
    }
    files.check()?;
    let plan = super::runs::RunPlan::single(&a.run, s, None)?;
    let trials = plan.trials;
    let mut opts = plan.options();
    let result = with_progress(config.progress, trials, &mut opts, |o| {
        engine::simulate(s, o)
    })?;
    std::fs::create_dir_all(&a.out).map_err(|source| Error::Write {
        path: a.out.clone(),
        source,
    })?;
    let charts = charts::simulation(&Report::new(s, &result), &Detail::new(s, &result));
    for c in &charts {
        output::write(&Destination::File(a.out.join(c.file)), c.svg.as_bytes())?;
    }
    if !config.quiet {
        let names: Vec<&str> = charts.iter().map(|c| c.file).collect();
        eprintln!(
            "wrote {} to {} (seed {})",
            names.join(", "),
            a.out.display(),
            plan.seed
        );
    }
    Ok(0)
}
