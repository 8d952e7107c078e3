//! What the commands that run several simulations share: trials and seed settled once, every run
//! on the same seed (common random numbers), one progress bar for all of them.

use super::with_progress;
use crate::app::cli::{Config, RunArgs};
use crate::base::error::{Error, UsageKind};
use crate::model::{MAX_TRIALS, Scenario};
use crate::sim::engine::{SimOptions, SimResult, detail_months};

/// Paired comparisons difference runs month by month, so every month must be kept: at most
/// [`detail_months`] simulated months (trials × months of the horizon).
pub(crate) fn check_paired(trials: u64, s: &Scenario) -> Result<(), Error> {
    let months = s.simulation.months;
    let limit = detail_months(s) as u64 / u64::from(months.max(1));
    if trials > limit {
        return Err(UsageKind::TooManyPairedTrials {
            trials,
            limit,
            months,
        }
        .into());
    }
    Ok(())
}

/// Trials, seed and threads shared by every run of one command.
#[derive(Clone, Copy, Debug)]
pub(crate) struct RunPlan {
    pub trials: u64,
    pub seed: u64,
    pub threads: Option<usize>,
    /// Whether the scenario's trials were lowered to the command's default cap.
    pub capped: bool,
}

impl RunPlan {
    /// `--trials`, else the scenario's trials (at most `cap` when given); `--seed`, else the
    /// scenario's seed, else a random one (always reported).
    pub fn new(a: &RunArgs, s: &Scenario, cap: Option<u64>) -> Result<RunPlan, Error> {
        let plan = RunPlan::single(a, s, cap)?;
        check_paired(plan.trials, s)?;
        Ok(plan)
    }

    /// Like [`RunPlan::new`] for a command that reads one run's figures and needs no month-by-month
    /// pairing, so its trials may exceed the detail a run keeps.
    pub fn single(a: &RunArgs, s: &Scenario, cap: Option<u64>) -> Result<RunPlan, Error> {
        let (trials, capped) = match a.trials {
            Some(t) => (t, false),
            None => match cap {
                Some(c) if s.simulation.trials > c => (c, true),
                _ => (s.simulation.trials, false),
            },
        };
        if trials == 0 || trials > MAX_TRIALS {
            return Err(UsageKind::TrialsOutOfRange {
                max: MAX_TRIALS,
                got: trials,
            }
            .into());
        }
        super::check_threads(a.threads)?;
        Ok(RunPlan {
            trials,
            seed: a.seed.or(s.simulation.seed).unwrap_or_else(rand::random),
            threads: a.threads,
            capped,
        })
    }

    pub fn options(&self) -> SimOptions {
        let mut o = SimOptions::new(self.trials, self.seed);
        o.threads = self.threads;
        o
    }

    /// Simulate every scenario with this plan; a progress bar covers all runs.
    pub fn run(&self, scenarios: &[&Scenario], config: &Config) -> Result<Vec<SimResult>, Error> {
        let mut opts = self.options();
        let total = self.trials.saturating_mul(scenarios.len() as u64);
        with_progress(config.progress, total, &mut opts, |opts| {
            crate::sim::engine::simulate_all(scenarios, opts)
        })
    }

    /// "2,000 trials · seed 7", with a note when the trials were capped.
    pub fn describe(&self, runs: usize) -> String {
        let mut s = format!(
            "{} trials · seed {}",
            crate::base::format::count(self.trials as f64),
            self.seed
        );
        if runs > 1 {
            s.push_str(&format!(" · {runs} runs on common random numbers"));
        }
        if self.capped {
            s.push_str(" (trials capped for this command; --trials to change)");
        }
        s
    }
}
