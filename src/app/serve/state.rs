//! What `aicost serve` knows about its scenario: the base forecast of the version on disk (or the
//! located errors that stop it), the controls of the page, and the runs behind a what-if and a
//! save.
//!
//! Every run goes through the path of `aicost simulate`: the scenario is loaded with the
//! command's `--set` lines followed by the what-if's, and simulated on the same trials and seed
//! as the base, so a what-if is a difference on common random numbers and its figures are those
//! of `aicost simulate FILE --set … --trials N --seed S --format json`.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use super::controls::{self, Control};
use crate::analysis::report::Report;
use crate::analysis::sensitivity;
use crate::app::cli::Config;
use crate::base::error::{Error, UsageKind};
use crate::model::scenario::{self, LoadOptions, Loaded};
use crate::render::brief::Brief;
use crate::sim::engine::{self, SimOptions};

/// Trials of the sensitivity runs that rank the top drivers: enough to order them (the swings
/// are differences on common random numbers), few enough to re-rank on every save of the file.
pub const DRIVER_TRIALS: u64 = 300;

/// Trials of every run without `--trials`, at most: a what-if answers while the control is
/// still under the finger, and a difference on common random numbers needs far fewer trials
/// than a forecast (as for `levers` and `sensitivity`).
pub const TRIALS_CAP: u64 = 1_000;

/// What the command line settled for every run.
#[derive(Clone, Debug)]
pub struct Settings {
    pub file: PathBuf,
    /// The command's own `--set` lines, applied before the what-if's.
    pub overrides: Vec<String>,
    pub allow_dirs: Vec<PathBuf>,
    /// `--trials`; `None` follows the scenario, at most [`TRIALS_CAP`].
    pub trials: Option<u64>,
    /// `--seed`; `None` follows the scenario, else [`Settings::fallback_seed`].
    pub seed: Option<u64>,
    /// The seed of a scenario that names none, drawn once per server so that every run of it
    /// shares it.
    pub fallback_seed: u64,
    pub threads: Option<usize>,
}

impl Settings {
    fn load_options(&self, extra: &[String]) -> LoadOptions {
        let mut overrides = self.overrides.clone();
        overrides.extend(extra.iter().cloned());
        LoadOptions {
            overrides,
            allow_dirs: self.allow_dirs.clone(),
            ..Default::default()
        }
    }

    fn options(&self, loaded: &Loaded) -> Result<SimOptions, Error> {
        let s = &loaded.scenario;
        let trials = self
            .trials
            .unwrap_or_else(|| s.simulation.trials.min(TRIALS_CAP));
        if trials == 0 || trials > crate::model::MAX_TRIALS {
            return Err(UsageKind::TrialsOutOfRange {
                max: crate::model::MAX_TRIALS,
                got: trials,
            }
            .into());
        }
        let seed = self
            .seed
            .or(s.simulation.seed)
            .unwrap_or(self.fallback_seed);
        let mut o = SimOptions::new(trials, seed);
        o.threads = self.threads;
        Ok(o)
    }

    /// The folder saved what-ifs go to: the scenario's own.
    pub fn folder(&self) -> PathBuf {
        match self.file.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
            _ => PathBuf::from("."),
        }
    }
}

/// The base forecast of one version of the scenario.
pub struct Base {
    pub loaded: Loaded,
    pub trials: u64,
    pub seed: u64,
    pub report: Report,
    /// The brief, as `--format html` renders it, without the document around it.
    pub brief_html: String,
    pub controls: Vec<Control>,
    /// The key paths of the top drivers, the most moving first.
    pub drivers: Vec<String>,
}

/// One version of the scenario on disk and what became of it.
pub struct Snapshot {
    /// Counts up from 1 with every reload; the page polls it.
    pub version: u64,
    /// The files it was read from (scenario, files it extends, catalog), watched for changes.
    pub inputs: Vec<PathBuf>,
    /// The forecast, or the errors that stop it, as the terminal shows them.
    pub outcome: Result<Base, String>,
}

/// Errors as the terminal shows them (file:line:col, the line, a caret, the fix), uncoloured.
pub fn error_text(e: &Error) -> String {
    let plain = Config {
        color_stderr: false,
        color_stdout: false,
        progress: false,
        quiet: true,
        overrides: Vec::new(),
        allow_dirs: Vec::new(),
    };
    crate::app::diagnostics::render_error(e, &plain)
}

/// How far the loading of a version is, for the terminal: the base forecast, then the runs that
/// rank the top drivers.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Progress {
    Forecast { trials: u64 },
    Ranking { done: usize, runs: usize },
}

impl std::fmt::Display for Progress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Progress::Forecast { trials } => write!(
                f,
                "running the forecast ({} trials)",
                crate::base::format::count(*trials as f64)
            ),
            Progress::Ranking { done, runs } => write!(
                f,
                "ranking the top drivers: {done} of {runs} sensitivity runs done"
            ),
        }
    }
}

/// Load the scenario as it is on disk now and run its base forecast; the top drivers are
/// `drivers` when given (kept from an earlier version), else ranked anew.
pub fn snapshot(settings: &Settings, version: u64, drivers: Option<&[String]>) -> Snapshot {
    snapshot_with_progress(settings, version, drivers, &|_| {})
}

/// [`snapshot`], telling `progress` what it does (one line each: the forecast, then the runs of
/// the ranking of the top drivers as they finish).
pub fn snapshot_with_progress(
    settings: &Settings,
    version: u64,
    drivers: Option<&[String]>,
    progress: &dyn Fn(Progress),
) -> Snapshot {
    let opts = settings.load_options(&[]);
    match scenario::load_with(&settings.file, &opts) {
        Ok(loaded) => {
            let inputs = loaded.inputs.iter().map(|f| f.path.clone()).collect();
            Snapshot {
                version,
                inputs,
                outcome: base(settings, loaded, drivers, progress).map_err(|e| error_text(&e)),
            }
        }
        Err(e) => Snapshot {
            version,
            inputs: scenario::inputs_of(&settings.file, &opts)
                .into_iter()
                .map(|f| f.path)
                .collect(),
            outcome: Err(error_text(&e)),
        },
    }
}

fn base(
    settings: &Settings,
    loaded: Loaded,
    drivers: Option<&[String]>,
    progress: &dyn Fn(Progress),
) -> Result<Base, Error> {
    let opts = settings.options(&loaded)?;
    let s = &loaded.scenario;
    progress(Progress::Forecast {
        trials: opts.trials,
    });
    let result = engine::simulate(s, &opts)?;
    let brief = Brief::new(s, &result);
    let charts = brief.charts();
    let brief_html = crate::render::html::body(&brief.blocks(Some(&charts)));
    let drivers = match drivers {
        Some(d) => d.to_vec(),
        None => top_drivers(&loaded, &opts, progress),
    };
    let controls = controls::discover(s, &loaded.document, &drivers);
    Ok(Base {
        report: brief.report.clone(),
        trials: opts.trials,
        seed: opts.seed,
        brief_html,
        controls,
        drivers,
        loaded,
    })
}

/// The uncertain inputs that move the mean spend most, in any stack, the most moving first: the
/// ranking of `aicost sensitivity`, on [`DRIVER_TRIALS`] trials. A failed run ranks nothing.
fn top_drivers(loaded: &Loaded, opts: &SimOptions, progress: &dyn Fn(Progress)) -> Vec<String> {
    let s = &loaded.scenario;
    let inputs = sensitivity::inputs(s, &loaded.document, false);
    if inputs.is_empty() {
        return Vec::new();
    }
    let mut o = SimOptions::new(opts.trials.min(DRIVER_TRIALS), opts.seed);
    o.threads = opts.threads;
    // One run at the base, then each input at its low and its high value.
    let runs = 1 + 2 * inputs.len();
    let tell = |done: usize| progress(Progress::Ranking { done, runs });
    tell(0);
    let Ok(base) = engine::simulate(s, &o) else {
        return Vec::new();
    };
    let mut done = 1;
    tell(done);
    let Ok(swings) = sensitivity::run_inputs(&inputs, |sc| {
        let r = engine::simulate(sc, &o);
        done += 1;
        tell(done);
        r
    }) else {
        return Vec::new();
    };
    let result = sensitivity::analyze(s, &inputs, &base, &swings);
    let mut ranked: Vec<(String, f64)> = Vec::new();
    for st in &result.stacks {
        for sw in &st.inputs {
            let size = sw.mean_swing_usd.abs();
            match ranked.iter_mut().find(|(l, _)| *l == sw.input) {
                Some(slot) => slot.1 = slot.1.max(size),
                None => ranked.push((sw.input.clone(), size)),
            }
        }
    }
    ranked.retain(|(_, size)| *size > 0.0);
    ranked.sort_by(|a, b| b.1.total_cmp(&a.1));
    ranked
        .into_iter()
        .take(controls::TOP_DRIVERS)
        .map(|(l, _)| l)
        .collect()
}

/// One stack's figures of a what-if beside the base's.
#[derive(Clone, Debug, serde::Serialize)]
pub struct StackDelta {
    pub name: String,
    pub base_mean_usd: f64,
    pub mean_usd: f64,
    pub base_p95_usd: f64,
    pub p95_usd: f64,
    pub base_breach_probability: Option<f64>,
    pub breach_probability: Option<f64>,
}

/// The result of one what-if.
#[derive(Clone, Debug)]
pub enum WhatIf {
    Done {
        sets: Vec<String>,
        stacks: Vec<StackDelta>,
        partial: bool,
    },
    /// A newer change arrived while it ran.
    Cancelled,
}

/// Run the what-if of `sets` against `base` (of the same settings), stopping early when
/// `cancel` becomes true.
pub fn what_if(
    settings: &Settings,
    base: &Base,
    sets: Vec<String>,
    cancel: Arc<AtomicBool>,
) -> Result<WhatIf, Error> {
    let loaded = scenario::load_with(&settings.file, &settings.load_options(&sets))?;
    let s = &loaded.scenario;
    let mut opts = SimOptions::new(base.trials, base.seed);
    opts.threads = settings.threads;
    opts.cancel = Some(Arc::clone(&cancel));
    let result = engine::simulate(s, &opts)?;
    if cancel.load(std::sync::atomic::Ordering::SeqCst) {
        return Ok(WhatIf::Cancelled);
    }
    let report = Report::new(s, &result);
    let stacks = report
        .stacks
        .iter()
        .filter_map(|w| {
            let b = base.report.stacks.iter().find(|b| b.name == w.name)?;
            Some(StackDelta {
                name: w.name.clone(),
                base_mean_usd: b.monthly_spend_usd.mean,
                mean_usd: w.monthly_spend_usd.mean,
                base_p95_usd: b.monthly_spend_usd.p95,
                p95_usd: w.monthly_spend_usd.p95,
                base_breach_probability: b.breach_probability,
                breach_probability: w.breach_probability,
            })
        })
        .collect();
    Ok(WhatIf::Done {
        sets,
        stacks,
        partial: result.is_partial(),
    })
}

/// What a save wrote.
pub struct Saved {
    pub path: PathBuf,
    /// The validator's one-line summary of the file written.
    pub summary: String,
}

/// Write the what-if of `sets` as a scenario named `name` in the scenario's folder that
/// extends the base, then read it back and validate it.
pub fn save(settings: &Settings, name: &str, sets: &[String]) -> Result<Saved, String> {
    let folder = settings.folder();
    let target = super::save::target(&folder, name)?;
    // The what-if's document, for the values the file writes; its files, which it must not
    // write over.
    let mut all = settings.overrides.clone();
    all.extend(sets.iter().cloned());
    let loaded = scenario::load_with(&settings.file, &settings.load_options(sets))
        .map_err(|e| error_text(&e))?;
    let mut plan = crate::app::files::FilePlan::new();
    plan.reads_scenario(&loaded)
        .writes("the saved what-if", Some(&target));
    plan.check().map_err(|e| error_text(&e))?;
    if target.exists() || std::fs::symlink_metadata(&target).is_ok() {
        return Err(format!(
            "`{name}` exists already in the scenario's folder: choose another name (a save never replaces a file)"
        ));
    }
    let base_name = settings
        .file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let header = format!(
        "A what-if of {base_name}, saved by `aicost serve`: the base with {}.\nCompare it with the base: aicost compare {base_name} {name}",
        if all.is_empty() {
            "no change".to_string()
        } else {
            all.join(", ")
        }
    );
    let text = super::save::scenario_text(&base_name, &all, &loaded.document, &header);
    crate::app::output::write_atomic(&target, text.as_bytes()).map_err(|e| error_text(&e))?;
    let written = LoadOptions {
        allow_dirs: settings.allow_dirs.clone(),
        ..Default::default()
    };
    match scenario::load_with(&target, &written) {
        Ok(l) => Ok(Saved {
            summary: format!(
                "{} validates: {} stack{}, extends {base_name}",
                display(&target),
                l.scenario.stacks.len(),
                if l.scenario.stacks.len() == 1 {
                    ""
                } else {
                    "s"
                }
            ),
            path: target,
        }),
        Err(e) => Err(format!(
            "wrote {} but it does not validate:\n{}",
            display(&target),
            error_text(&e)
        )),
    }
}

fn display(p: &Path) -> String {
    crate::base::escape::visible(&p.display().to_string()).into_owned()
}
