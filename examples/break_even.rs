//! Load the shipped fine-tuning scenario, compare its stacks over the year and print the month
//! the fine-tune's training job has paid for itself, with its spread over simulated years.
//!
//! cargo run --release --example break_even -- 500
//!
//! The argument is the number of simulated years (trials); the default is the scenario's own.

use std::process::ExitCode;

fn main() -> ExitCode {
    let loaded = match aicost::load("scenarios/fine-tune-break-even.toml") {
        Ok(l) => l,
        Err(e) => {
            eprint!("{e}");
            return ExitCode::from(2);
        }
    };
    let s = &loaded.scenario;
    let trials = std::env::args()
        .nth(1)
        .and_then(|t| t.parse().ok())
        .unwrap_or(s.simulation.trials);
    let result = match aicost::simulate(s, trials, s.simulation.seed.unwrap_or(7)) {
        Ok(r) => r,
        Err(e) => {
            eprint!("{e}");
            return ExitCode::from(2);
        }
    };
    let comparison = aicost::compare(s, &result, aicost::DEFAULT_MAX_BREACH);
    let month =
        |m: Option<u32>| m.map_or_else(|| "beyond the horizon".to_string(), |m| m.to_string());
    for b in comparison
        .differences
        .iter()
        .filter_map(|d| d.break_even.as_ref())
    {
        println!(
            "{} against {}: ${:.2} of training, paid back in month {} (expected months), {} – {} – {} (p5 – median – p95 of {} simulated years)",
            b.investing,
            b.against,
            b.one_time_usd,
            month(b.expected_month),
            month(b.p5_month),
            month(b.median_month),
            month(b.p95_month),
            trials
        );
        for (m, (p, saving)) in b
            .probability_by_month
            .iter()
            .zip(&b.cumulative_saving_usd)
            .enumerate()
        {
            println!(
                "  month {:>2}: saved ${:>9.2} ± {:.2} so far, paid back in {:>3.0}% of years",
                m + 1,
                saving.value,
                saving.standard_error,
                p.value * 100.0
            );
        }
    }
    ExitCode::SUCCESS
}
