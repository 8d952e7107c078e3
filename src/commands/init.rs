//! `aicost init`: write a commented starter scenario.

use std::path::Path;

use crate::cli::InitArgs;
use crate::error::Error;
use crate::output;

/// The commented starter scenario written by `aicost init`.
pub const STARTER: &str = include_str!("../starter.toml");

pub fn init(a: &InitArgs) -> Result<u8, Error> {
    if a.path == Path::new("-") {
        output::write_stdout(STARTER.as_bytes())?;
        return Ok(0);
    }
    if a.path.exists() && !a.force {
        return Err(Error::Usage(format!(
            "`{}` already exists\n  = help: pass --force to overwrite it, or choose another path",
            a.path.display()
        )));
    }
    output::write_atomic(&a.path, STARTER.as_bytes())?;
    eprintln!(
        "wrote {}; next: aicost simulate {}",
        a.path.display(),
        a.path.display()
    );
    Ok(0)
}
