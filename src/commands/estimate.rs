//! `aicost estimate`: expected values with the arithmetic shown.

use super::load;
use crate::cli::{Config, EstimateArgs, Format};
use crate::error::Error;
use crate::output;
use crate::report;

pub fn estimate(a: &EstimateArgs, config: &Config) -> Result<u8, Error> {
    let loaded = load(&a.file, config)?;
    let e = crate::estimate::estimate(&loaded.scenario);
    let text = match a.format {
        Format::Table => report::estimate::render(&e),
        Format::Json => crate::output::pretty_json(&e),
        Format::Focus => super::focus_csv(&loaded.scenario, a.month.as_deref(), config)?,
    };
    let inputs = super::input_files(&loaded);
    output::emit(a.out.as_deref(), &text, &super::as_paths(&inputs))?;
    Ok(0)
}
