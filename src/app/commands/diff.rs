//! `aicost diff`: keys changed and forecast effect between two versions of a scenario.

use std::path::PathBuf;

use super::runs::RunPlan;
use super::{load, print_warnings};
use crate::analysis::diff;
use crate::app::cli::{Config, DiffArgs, DiffFormat};
use crate::base::error::{Error, UsageKind};
use crate::model::scenario::{self, LoadOptions};

pub fn diff(a: &DiffArgs, config: &Config) -> Result<u8, Error> {
    let (old_path, new_path): (PathBuf, PathBuf) = match (a.files.as_slice(), &a.base_ref) {
        ([new], Some(_)) => (new.clone(), new.clone()),
        ([old, new], _) => (old.clone(), new.clone()),
        ([_], None) => {
            return Err(UsageKind::DiffNeedsTwoVersions.into());
        }
        _ => unreachable!("clap takes one or two files"),
    };
    let old = match &a.base_ref {
        None => load(&old_path, config)?,
        Some(rev) => {
            let loaded = scenario::load_with(
                &old_path,
                &LoadOptions {
                    git_rev: Some(rev.clone()),
                    ..super::load_options(config)?
                },
            )?;
            print_warnings(&loaded.warnings, &loaded.sources, config);
            loaded
        }
    };
    let new = load(&new_path, config)?;
    crate::app::files::FilePlan::new()
        .reads_scenario(&old)
        .reads_scenario(&new)
        .writes("--out", a.out.as_deref())
        .check()?;
    let mut plan = RunPlan::new(&a.run, &new.scenario, None)?;
    if a.run.seed.is_none()
        && new.scenario.simulation.seed.is_none()
        && let Some(seed) = old.scenario.simulation.seed
    {
        plan.seed = seed;
    }
    let mut results = plan.run(&[&old.scenario, &new.scenario], config)?;
    let new_r = results.pop().expect("two runs");
    let old_r = results.pop().expect("two runs");
    let old_label = match &a.base_ref {
        Some(rev) => format!("{rev}:{}", old_path.display()),
        None => old_path.display().to_string(),
    };
    let d = diff::compare(
        &old_label,
        &new_path.display().to_string(),
        &old.document,
        &new.document,
        (&old.scenario, &old_r),
        (&new.scenario, &new_r),
    );
    let text = match a.format {
        DiffFormat::Markdown => diff::markdown(&d),
        DiffFormat::Json => crate::app::output::pretty_json(&d),
    };
    super::emit(a.out.as_deref(), &text, config)?;
    Ok(0)
}
