//! `aicost compare`: plans side by side under common random numbers.

use std::path::Path;

use super::{load, sim_options, with_progress};
use crate::analysis::compare::Comparison;
use crate::app::cli::{CompareArgs, Config, EngineArg, ReportFormat};
use crate::base::error::{Error, UsageKind};
use crate::model::Scenario;
use crate::render::{brief, csv, text};
use crate::sim::engine::{self, EngineRequest, SimResult};

pub fn compare(a: &CompareArgs, config: &Config) -> Result<u8, Error> {
    if !(0.0..=1.0).contains(&a.max_breach) {
        return Err(UsageKind::MaxBreachOutOfRange { got: a.max_breach }.into());
    }
    let first = load(&a.files[0], config)?;
    let second = a.files.get(1).map(|f| load(f, config)).transpose()?;
    let mut files = crate::app::files::FilePlan::new();
    files.reads_scenario(&first);
    if let Some(l) = &second {
        files.reads_scenario(l);
    }
    files.writes("--out", a.out.as_deref()).check()?;
    let sa = &first.scenario;
    if second.is_none() && sa.stacks.len() < 2 {
        return Err(UsageKind::OneStack {
            path: a.files[0].clone(),
        }
        .into());
    }
    let trials = a.run.trials.unwrap_or(sa.simulation.trials);
    super::runs::check_paired(trials, sa)?;
    if let Some(b) = &second {
        super::runs::check_paired(trials, &b.scenario)?;
    }
    let file_seeds = (
        sa.simulation.seed,
        second.as_ref().and_then(|l| l.scenario.simulation.seed),
    );
    let seed = a
        .run
        .seed
        .or(file_seeds.0)
        .or(file_seeds.1)
        .unwrap_or_else(rand::random);
    if a.run.seed.is_none()
        && !config.quiet
        && let (Some(x), Some(y)) = file_seeds
        && x != y
    {
        eprintln!(
            "note: the files set different seeds ({x} and {y}); both versions run with seed {seed} so that they see the same traffic"
        );
    }
    let format = ReportFormat::resolve(a.format.map(Into::into), a.out.as_deref());
    let show_progress = config.progress && format != ReportFormat::Json;
    let run = |s: &Scenario, request: EngineRequest| -> Result<SimResult, Error> {
        let mut opts = sim_options(trials, seed, a.run.threads)?;
        opts.engine = request;
        with_progress(show_progress, trials, &mut opts, |o| engine::simulate(s, o))
    };
    let mut ra = run(sa, a.engine.into())?;
    let comparison = match &second {
        None => Comparison::of_stacks(sa, &ra, a.max_breach),
        Some(b) => {
            let sb = &b.scenario;
            let rb = match run(sb, same_engine(&ra)) {
                Ok(rb) => rb,
                // The second version cannot run on the first's engine: both run on the one auto
                // picks for the second.
                Err(Error::Usage(_)) if a.engine == EngineArg::Auto => {
                    let rb = run(sb, EngineRequest::Auto)?;
                    ra = run(sa, same_engine(&rb))?;
                    rb
                }
                Err(e) => return Err(e),
            };
            let (la, lb) = labels(&a.files[0], &sa.name, &a.files[1], &sb.name);
            Comparison::of_versions((&la, sa, &ra), (&lb, sb, &rb), a.max_breach)?
        }
    };
    let text = match format {
        ReportFormat::Table => text::render(
            &brief::comparison_blocks(&comparison, None),
            config.color_stdout && a.out.is_none(),
        ),
        ReportFormat::Json => comparison.to_json(),
        ReportFormat::Csv => csv::comparison(&comparison),
        ReportFormat::Markdown => brief::comparison_markdown(&comparison),
        ReportFormat::Html => brief::comparison_html(&comparison),
        ReportFormat::Focus => unreachable!("`compare` offers no FOCUS format"),
    };
    super::emit(a.out.as_deref(), &text, config)?;
    Ok(0)
}

/// A request for the engine that ran `r`: where `r` is a fast run that `auto` chose for its
/// size with a caveat, the other version follows it on the same terms.
fn same_engine(r: &SimResult) -> EngineRequest {
    match (r.engine.name.as_str(), &r.engine.caveat) {
        ("fast", Some(_)) => EngineRequest::FastWithCaveat,
        ("fast", None) => EngineRequest::Fast,
        _ => EngineRequest::Exact,
    }
}

/// Names for two versions: their scenario names when they differ, else their file names.
fn labels(fa: &Path, na: &str, fb: &Path, nb: &str) -> (String, String) {
    if na != nb {
        return (na.to_string(), nb.to_string());
    }
    let stem = |p: &Path| {
        p.file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default()
    };
    let (sa, sb) = (stem(fa), stem(fb));
    if sa != sb && !sa.is_empty() && !sb.is_empty() {
        (sa, sb)
    } else {
        (fa.display().to_string(), fb.display().to_string())
    }
}
