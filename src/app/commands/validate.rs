//! `aicost validate`: check a scenario, print one line.

use super::load;
use crate::app::cli::{Config, ValidateArgs};
use crate::app::output;
use crate::base::error::Error;
use crate::base::format::count;

pub fn validate(a: &ValidateArgs, config: &Config) -> Result<u8, Error> {
    let loaded = load(&a.file, config)?;
    // `aicost validate s.toml >> s.toml` would append the summary to the scenario.
    crate::app::files::FilePlan::new()
        .reads_scenario(&loaded)
        .writes("the summary", None)
        .check()?;
    let s = &loaded.scenario;
    let steps: usize = s.workflows.iter().map(|w| w.steps.len()).sum();
    let uncertain = s.params().iter().filter(|p| !p.is_fixed()).count();
    let line = format!(
        "ok: {} — {} segment{}, {} workflow{} ({} step{}), {} model{}, {} stack{}, {} uncertain parameter{}, {} warning{}\n",
        a.file.display(),
        s.segments.len(),
        plural(s.segments.len()),
        s.workflows.len(),
        plural(s.workflows.len()),
        steps,
        plural(steps),
        s.models.len(),
        plural(s.models.len()),
        s.stacks.len(),
        plural(s.stacks.len()),
        uncertain,
        plural(uncertain),
        loaded.warnings.len(),
        plural(loaded.warnings.len()),
    );
    let mut line = line;
    // Each prompt file a step was counted from, with its count, so a changed prompt shows; a
    // large folder shows its first files and a summary.
    for p in &loaded.prompts {
        let approx = if p.approximate { " ≈" } else { "" };
        let key = crate::base::escape::visible(&p.key);
        for (file, n) in p.files.iter().take(MAX_FILES_SHOWN) {
            line += &format!(
                "  {key}: {}{approx} {} token{}\n",
                crate::base::escape::visible(&file.display().to_string()),
                count(*n as f64),
                plural(*n as usize)
            );
        }
        if p.files.len() > MAX_FILES_SHOWN {
            let rest = p.files.len() - MAX_FILES_SHOWN;
            line += &format!(
                "  {key}: … and {} more file{}\n",
                count(rest as f64),
                plural(rest)
            );
        }
        if p.files.len() > 1 {
            let total: u64 = p.files.iter().map(|(_, n)| n).sum();
            line += &format!(
                "  {key}: mean {} tokens over {} files\n",
                crate::base::format::fixed(total as f64 / p.files.len() as f64, 1),
                count(p.files.len() as f64)
            );
        }
        line += &format!("  {key}: counted with {}\n", p.encoding);
    }
    output::write_stdout(line.as_bytes())?;
    Ok(0)
}

/// The most files of one prompt folder listed one by one.
const MAX_FILES_SHOWN: usize = 20;

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}
