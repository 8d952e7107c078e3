//! `aicost schema`: the JSON Schema of the scenario format, for editors and CI.

use crate::app::cli::{Config, SchemaArgs};
use crate::app::output::{self, Destination};
use crate::base::error::Error;

pub fn schema(a: &SchemaArgs, config: &Config) -> Result<u8, Error> {
    super::refuse_overrides(config, "schema")?;
    crate::app::files::FilePlan::new()
        .writes("--out", a.out.as_deref())
        .check()?;
    output::write(
        &Destination::from_option(a.out.as_deref()),
        crate::model::schema::to_json().as_bytes(),
    )?;
    Ok(0)
}
