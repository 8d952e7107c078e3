//! Validate a scenario written in code, simulate it and compare its stacks: which plan to ship.
//!
//! cargo run --release --example compare_stacks -- 800
//!
//! The scenario is TOML text (here with the number of users from the command line); a mistake
//! in it is reported as `aicost validate` reports it, with `name:line:column` and a fix.

use std::process::ExitCode;

fn main() -> ExitCode {
    let users: u64 = std::env::args()
        .nth(1)
        .and_then(|u| u.parse().ok())
        .unwrap_or(400);
    let (low, high) = (users * 4 / 5, users * 6 / 5);
    let text = format!(
        r#"
name = "ticket-summaries"

[simulation]
trials = 4000
seed = 7

[budget]
monthly_usd = 600

[[segment]]
name = "agents"
users = {{ low = {low}, high = {high} }}   # head-count next quarter, a 90% interval
sessions_per_user_per_day = 12
weekend_factor = 0.1

[[workflow]]
name = "summarize"

[[workflow.step]]
name = "summary"
route = "main"
input_tokens = {{ p50 = 1100, p95 = 2600 }}
output_tokens = {{ p50 = 170, p95 = 320 }}

[[model]]
name = "gpt-4o-mini"

[[model]]
name = "gpt-4o"

[[stack]]
name = "small"
[stack.route.main]
chain = [{{ model = "gpt-4o-mini", validation_failure_rate = 0.08, max_attempts = 2 }}]

[[stack]]
name = "large"
[stack.route.main]
chain = [{{ model = "gpt-4o", validation_failure_rate = 0.02, max_attempts = 2 }}]
"#
    );
    let loaded = match aicost::validate("ticket-summaries.toml", &text) {
        Ok(l) => l,
        Err(e) => {
            eprint!("{e}");
            return ExitCode::from(2);
        }
    };
    let s = &loaded.scenario;
    let result = match aicost::simulate(s, s.simulation.trials, s.simulation.seed.unwrap_or(7)) {
        Ok(r) => r,
        Err(e) => {
            eprint!("{e}");
            return ExitCode::from(2);
        }
    };
    let comparison = aicost::compare(s, &result, aicost::DEFAULT_MAX_BREACH);
    for plan in &comparison.plans {
        println!(
            "{:<8} mean ${:>9.2} ± {:.2}  p95 ${:>9.2}",
            plan.label,
            plan.monthly_spend_usd.value,
            plan.monthly_spend_usd.standard_error,
            plan.p95_usd.value
        );
    }
    for d in &comparison.differences {
        println!(
            "{} − {}: ${:.2} ± {:.2} a month (independent runs: ± {:.2}), P({} cheaper) {:.0}%",
            d.a,
            d.b,
            d.mean_usd.value,
            d.mean_usd.standard_error,
            d.independent_standard_error_usd,
            d.a,
            d.probability_a_cheaper.value * 100.0
        );
    }
    println!("{}", comparison.recommendation.text);
    ExitCode::SUCCESS
}
