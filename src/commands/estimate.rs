//! `aicost estimate`: expected values with the arithmetic shown.

use super::load;
use crate::cli::{Config, EstimateArgs, Format};
use crate::error::Error;
use crate::report;

pub fn estimate(a: &EstimateArgs, config: &Config) -> Result<u8, Error> {
    let loaded = load(&a.file, config)?;
    crate::files::FilePlan::new()
        .reads_scenario(&loaded)
        .writes("--out", a.out.as_deref())
        .check()?;
    let e = crate::estimate::estimate(&loaded.scenario);
    let text = match a.format {
        Format::Table => report::estimate::render(&e),
        Format::Json => crate::output::pretty_json(&e),
        Format::Focus => super::focus_csv(&loaded.scenario, a.month.as_deref(), config)?,
    };
    super::emit(a.out.as_deref(), &text, config)?;
    Ok(0)
}
