//! `aicost validate`: check a scenario, print one line.

use super::load;
use crate::app::cli::{Config, ValidateArgs};
use crate::app::output;
use crate::base::error::Error;

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
    // Each prompt file a step was counted from, with its count, so a changed prompt shows.
    for p in &loaded.prompts {
        let approx = if p.approximate { " ≈" } else { "" };
        for (file, n) in &p.files {
            line += &format!(
                "  {}: {}{approx} {n} token{}\n",
                crate::base::escape::visible(&p.key),
                crate::base::escape::visible(&file.display().to_string()),
                plural(*n as usize)
            );
        }
        if p.files.len() > 1 {
            let total: u64 = p.files.iter().map(|(_, n)| n).sum();
            line += &format!(
                "  {}: mean {:.1} tokens over {} files\n",
                crate::base::escape::visible(&p.key),
                total as f64 / p.files.len() as f64,
                p.files.len()
            );
        }
        line += &format!(
            "  {}: counted with {}\n",
            crate::base::escape::visible(&p.key),
            p.encoding
        );
    }
    output::write_stdout(line.as_bytes())?;
    Ok(0)
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}
