//! `aicost schema`: the JSON Schema of the scenario format, for editors and CI.

use crate::cli::{Config, SchemaArgs};
use crate::error::Error;
use crate::output::{self, Destination};

pub fn schema(a: &SchemaArgs, config: &Config) -> Result<u8, Error> {
    super::refuse_overrides(config, "schema")?;
    crate::files::FilePlan::new()
        .writes("--out", a.out.as_deref())
        .check()?;
    output::write(
        &Destination::from_option(a.out.as_deref()),
        crate::schema::to_json().as_bytes(),
    )?;
    Ok(0)
}
