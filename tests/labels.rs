//! Labels say what a figure is: calls per request count every step's calls, `estimate` and
//! `simulate` report human review for the same month (the horizon's average), and `levers` says
//! its savings do not add and shows what the top levers save together.

mod common;

use aicost::analysis::detail::Detail;
use aicost::analysis::report::Report;
use aicost::sim::engine::{self, SimOptions};

fn scenario(text: &str) -> aicost::model::Scenario {
    common::scenario(text)
}

/// 1,000 users with one session a month, fixed arrivals; a two-step workflow (one call each, no
/// retries) whose every accepted output is reviewed for a minute at $60 an hour: $1 a request.
/// Month 2 of the horizon has three times the activity of month 1.
const TWO_STEPS: &str = r#"
name = "two-steps"
[simulation]
trials = 4
arrivals = "fixed"
months = 2
seasonality = [1, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1]

[[segment]]
name = "s"
users = 1000
sessions_per_user_per_month = 1

[[workflow]]
name = "w"
review = { share = 1, minutes = 1, hourly_usd = 60 }

[[workflow.step]]
name = "draft"
route = "r"
input_tokens = 1000

[[workflow.step]]
name = "polish"
route = "r"
input_tokens = 1000

[[model]]
name = "m"
input_usd_per_mtok = 1
output_usd_per_mtok = 1

[[stack]]
name = "plan"
[stack.route.r]
chain = [{ model = "m" }]
"#;

#[test]
fn calls_per_request_count_the_calls_of_every_step() {
    let s = scenario(TWO_STEPS);
    let r = engine::simulate_exact(&s, &SimOptions::new(4, 1)).unwrap();
    let report = Report::new(&s, &r);
    // Two steps of one call each: 2 calls per request, not attempts of one call.
    assert_eq!(report.stacks[0].calls_per_request, Some(2.0));
    let json = report.to_json();
    assert!(json.contains("\"calls_per_request\": 2.0"), "{json}");
    assert!(!json.contains("attempts_per_request"));
    let table = aicost::render::table::render(&report, &Detail::new(&s, &r), false);
    let row = table
        .lines()
        .find(|l| l.starts_with("  model calls per request (all steps)"))
        .unwrap();
    assert!(row.trim_end().ends_with("2.000"), "{row}");
    let md = aicost::render::brief::Brief::new(&s, &r).markdown();
    assert!(
        md.contains("| Model calls per request (all steps) | 2.000 |"),
        "{md}"
    );
}

#[test]
fn estimate_and_simulate_report_review_for_the_same_average_month() {
    let s = scenario(TWO_STEPS);
    // Month 1: 1,000 reviewed requests × $1 = $1,000; month 2: 3,000 × $1 = $3,000. The average
    // month of the horizon, which simulate pools, costs $2,000 of review.
    let r = engine::simulate_exact(&s, &SimOptions::new(4, 1)).unwrap();
    let simulated = Report::new(&s, &r).stacks[0].review_cost_usd.unwrap().mean;
    assert!((simulated - 2_000.0).abs() < 1e-9, "{simulated}");
    let e = aicost::sim::estimate::estimate(&s);
    let st = &e.stacks[0];
    assert!((st.review_usd.unwrap() - 2_000.0).abs() < 1e-9);
    assert_eq!(st.months_review_usd.len(), 2);
    assert!((st.months_review_usd[0] - 1_000.0).abs() < 1e-9);
    assert!((st.months_review_usd[1] - 3_000.0).abs() < 1e-9);
    // Spend: 2 calls × 1,000 tokens × $1/Mtok = $0.002 a request; 4,000 requests over the
    // horizon for $8 and 4,000 accepted tasks: $0.002 each, with review $1.002.
    assert!((st.cost_per_accepted_task_usd.unwrap() - 0.002).abs() < 1e-15);
    assert!((st.cost_per_useful_output_usd.unwrap() - 1.002).abs() < 1e-12);
    assert!((st.accepted_per_month - 2_000.0).abs() < 1e-9);
    let text = aicost::render::estimate::render(&e);
    assert!(
        text.contains("  average month of the 2-month horizon (as simulate reports it):\n    human review $2,000.00 per month (month 1: $1,000.00)"),
        "{text}"
    );
}

/// 10,000 requests a month (fixed arrivals), each one call with a 2,000-token static prefix that
/// is never read from the cache: written at the input price, $1 per million, so $0.002 a request
/// and $20 a month. No output, one model, no provider: only the prefix and cache levers apply.
const PREFIX_ONLY: &str = r#"
name = "prefix-only"
[simulation]
trials = 200
arrivals = "fixed"

[[segment]]
name = "s"
users = 1000
sessions_per_user_per_month = 10

[[workflow]]
name = "w"

[[workflow.step]]
name = "call"
route = "r"
static_prefix_tokens = 2000

[[model]]
name = "m"
input_usd_per_mtok = 1
output_usd_per_mtok = 1
cached_input_usd_per_mtok = 0.1

[[stack]]
name = "plan"
[stack.route.r]
chain = [{ model = "m" }]
"#;

#[test]
fn levers_say_their_savings_do_not_add_and_show_the_best_ones_together() {
    use aicost::analysis::levers::{self, Assumptions};
    let s = scenario(PREFIX_ONLY);
    let a = Assumptions::default();
    let opts = SimOptions::new(200, 5);
    let base = engine::simulate(&s, &opts).unwrap();
    let (candidates, skipped) = levers::candidates(&s, &a, &base);
    let scenarios: Vec<&aicost::model::Scenario> =
        candidates.iter().map(|c| c.variant.scenario()).collect();
    let runs = aicost::sim::engine::simulate_all(&scenarios, &opts).unwrap();
    let mut b = levers::backlog(&s, &a, &base, &candidates, &runs, skipped);
    levers::combine(&s, &a, &base, &mut b, &mut |list| {
        aicost::sim::engine::simulate_all(list, &opts)
    })
    .unwrap();
    assert_eq!(b.baseline[0].mean_usd, 20.0);
    // One at a time, a month of 10,000 requests saves:
    //   prompt_cache (hit rate 0 → 0.9): 20 − 10,000 × 2,000 × (0.9 × 0.1 + 0.1 × 1) / 10⁶ = $16.20;
    //   semantic_cache (30% answered, $0.00001 a lookup): 0.3 × 20 − 10,000 × 0.00001 = $5.90;
    //   prefix_trim (2,000 → 1,600 tokens): 0.2 × 20 = $4.00.
    let saving = |key: &str| {
        let row = b.rows.iter().find(|r| r.key == key).unwrap();
        row.stacks[0].saving_usd
    };
    for (key, hand) in [
        ("prompt_cache", 16.2),
        ("semantic_cache:w", 5.9),
        ("prefix_trim", 4.0),
    ] {
        let d = saving(key);
        common::assert_within_se(key, d.mean, d.standard_error, hand, 4.0);
    }
    // Added up they would save $26.10 — more than the $20 the month costs. Together:
    // $0.00001 + 0.7 × 1,600 × (0.9 × 0.1 + 0.1 × 1) / 10⁶ = $0.0002228 a request, $2.228 a month:
    // they save $17.772.
    assert_eq!(b.combined.len(), 1);
    let c = &b.combined[0];
    assert_eq!(
        c.levers,
        ["prompt_cache", "semantic_cache:w", "prefix_trim"]
    );
    let sum_se = ["prompt_cache", "semantic_cache:w", "prefix_trim"]
        .iter()
        .map(|k| saving(k).standard_error)
        .sum::<f64>();
    common::assert_within_se("sum", c.sum_of_savings_usd, sum_se, 26.1, 4.0);
    let together = c.effect.saving_usd;
    common::assert_within_se(
        "together",
        together.mean,
        together.standard_error,
        17.772,
        4.0,
    );
    let text = levers::render(&b, "200 trials");
    assert!(
        text.contains(
            "together: prompt_cache + semantic_cache:w + prefix_trim simulated at once save $17.7"
        ),
        "{text}"
    );
    assert!(text.contains("savings do not add"), "{text}");
    let json = aicost::app::output::pretty_json(&b);
    assert!(json.contains("\"sum_of_savings_usd\""), "{json}");
}
