//! `aicost estimate`: expected values with the arithmetic shown.

use super::load;
use crate::app::cli::{Config, EstimateArgs, Format};
use crate::base::error::Error;

pub fn estimate(a: &EstimateArgs, config: &Config) -> Result<u8, Error> {
    let loaded = load(&a.file, config)?;
    crate::app::files::FilePlan::new()
        .reads_scenario(&loaded)
        .writes("--out", a.out.as_deref())
        .check()?;
    let e = crate::sim::estimate::estimate(&loaded.scenario);
    let text = match a.format {
        Format::Table => crate::render::estimate::render(&e),
        Format::Json => crate::app::output::pretty_json(&e),
        Format::Focus => super::focus_csv(
            &loaded.scenario,
            a.month.as_deref(),
            a.focus_version,
            config,
        )?,
    };
    super::emit(a.out.as_deref(), &text, config)?;
    Ok(0)
}
