//! Run a scenario through the library and print each stack's monthly spend percentiles.
//!
//! cargo run --release --example forecast -- scenarios/chatbot.toml 10000
//!
//! It calls the engine `aicost simulate` calls (the fast engine wherever its accuracy conditions
//! hold), so 10,000 months of the chatbot's four million requests each take well under a second,
//! and the figures are those of `aicost simulate FILE --trials N --seed S`.

use std::process::ExitCode;

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let path = args
        .next()
        .unwrap_or_else(|| "scenarios/support-summarizer.toml".into());
    let trials: Option<u64> = match args.next().map(|t| t.parse()) {
        None => None,
        Some(Ok(t)) => Some(t),
        Some(Err(_)) => {
            eprintln!("usage: forecast [SCENARIO.toml] [TRIALS]");
            return ExitCode::from(2);
        }
    };

    let loaded = match aicost::load(&path) {
        Ok(loaded) => loaded,
        Err(e) => {
            eprint!("{e}");
            return ExitCode::from(2);
        }
    };
    let scenario = &loaded.scenario;
    let trials = trials.unwrap_or(scenario.simulation.trials);
    let seed = scenario.simulation.seed.unwrap_or(42);
    let result = match aicost::simulate(scenario, trials, seed) {
        Ok(r) => r,
        Err(e) => {
            eprint!("{e}");
            return ExitCode::from(2);
        }
    };
    let report = aicost::report(scenario, &result);
    println!(
        "{}: {} simulated months, seed {}, {} engine",
        report.scenario, report.trials, report.seed, report.engine
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
