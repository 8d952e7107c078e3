//! Run a scenario through the library API and print each stack's monthly spend percentiles.
//!
//! cargo run --release --example forecast -- scenarios/support-summarizer.toml 2000

use std::path::PathBuf;
use std::process::ExitCode;

use aicost::engine::{SimOptions, simulate_exact};
use aicost::report::Report;

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let path = PathBuf::from(
        args.next()
            .unwrap_or_else(|| "scenarios/support-summarizer.toml".into()),
    );
    let trials: u64 = args.next().and_then(|t| t.parse().ok()).unwrap_or(1000);

    let loaded = match aicost::scenario::load(&path) {
        Ok(loaded) => loaded,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    let scenario = &loaded.scenario;
    let seed = scenario.simulation.seed.unwrap_or(42);
    let result = match simulate_exact(scenario, &SimOptions::new(trials, seed)) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    let report = Report::new(scenario, &result);
    println!(
        "{}: {} simulated months, seed {}",
        report.scenario, report.trials, report.seed
    );
    for stack in &report.stacks {
        let m = &stack.monthly_spend_usd;
        print!(
            "  {:<24} mean ${:>10.2} (±{:.2})  p50 ${:>10.2}  p95 ${:>10.2}  p99 ${:>10.2}",
            stack.name, m.mean, stack.mean_standard_error_usd, m.p50, m.p95, m.p99
        );
        match stack.breach_probability {
            Some(p) => println!("  P(over budget) {:.1}%", p * 100.0),
            None => println!(),
        }
    }
    ExitCode::SUCCESS
}
