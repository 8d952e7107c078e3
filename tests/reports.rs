//! The report formats of `simulate` and the `plot` command, on real input: Markdown and CSV are
//! pinned by snapshots (fixed seed, few trials), and every format is checked against the JSON it
//! must agree with.

mod common;

use common::aicost;
use std::collections::HashMap;

use aicost::analysis::detail::Detail;
use aicost::analysis::report::Report;
use aicost::render::brief::Brief;
use aicost::render::csv;
use predicates::str::contains;

const BRIEF: &str = "tests/fixtures/brief.toml";
/// Every feature with a report section: horizon, hard cap, contract, incident, latency, review,
/// flex, reasoning, tool fees, a semantic cache and provider errors.
const FEATURES: &str = "tests/fixtures/features.toml";
const PLAIN: &str = "scenarios/support-summarizer.toml";

fn fixture() -> aicost::model::Scenario {
    common::scenario(&std::fs::read_to_string(BRIEF).unwrap())
}

/// Output with the version number replaced, so snapshots survive a release.
fn unversioned(text: &str) -> String {
    text.replace(env!("CARGO_PKG_VERSION"), "[version]")
}

fn run(args: &[&str]) -> Vec<u8> {
    aicost()
        .args(args)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone()
}

fn json(args: &[&str]) -> serde_json::Value {
    let mut a = args.to_vec();
    a.extend(["--format", "json"]);
    serde_json::from_slice(&run(&a)).unwrap()
}

#[test]
fn markdown_brief_snapshot() {
    // n = 120 trials, seed 11.
    let s = fixture();
    let brief = Brief::new(&s, &common::simulate(&s, 120, 11));
    insta::assert_snapshot!("brief_markdown", unversioned(&brief.markdown()));
}

#[test]
fn csv_snapshot() {
    // n = 120 trials, seed 11.
    let s = fixture();
    let r = common::simulate(&s, 120, 11);
    let text = csv::simulation(&Report::new(&s, &r), &Detail::new(&s, &r));
    insta::assert_snapshot!("stats_csv", unversioned(&text));
}

fn table(path: &str, trials: u64, seed: u64) -> String {
    let s = common::scenario(&std::fs::read_to_string(path).unwrap());
    let r = common::simulate(&s, trials, seed);
    aicost::render::table::render(&Report::new(&s, &r), &Detail::new(&s, &r), false)
}

#[test]
fn table_snapshots() {
    // n = 120 trials, seed 11: a plain scenario stays compact; one using every feature shows
    // each of them with its standard error.
    insta::assert_snapshot!("table_plain", table(PLAIN, 120, 11));
    insta::assert_snapshot!("table_features", table(FEATURES, 120, 11));
}

#[test]
fn the_table_shows_the_features_a_scenario_uses_and_only_those() {
    let features = table(FEATURES, 100, 3);
    let plain = table(PLAIN, 100, 3);
    for row in [
        "Hard cap hit (at $36.00)",
        "  requests refused by the hard cap, mean / p95",
        "Months with retry-storm",
        "  extra spend, mean",
        "  p99 due to incidents",
        "Contract acme ($6.00/month), billed",
        "  under-used months",
        "  unused, mean / p95",
        "  overage, mean",
        "Horizon total (2 months), mean",
        "  per useful output (with review)",
        "  review, per month",
        "  reasoning share of spend",
        "  tool fees share of spend",
        "  flex calls refused",
        "  semantic cache hits",
        "  provider errors",
        "Latency",
        "  answer p50 / p95",
        "(meets target)",
        "(misses target)",
        "not in this plan",
    ] {
        assert!(features.contains(row), "missing {row:?} in\n{features}");
        assert!(
            !plain.contains(row.trim()),
            "{row:?} in a plain table\n{plain}"
        );
    }
    // The risk rows carry their standard errors.
    for label in [
        "Months with retry-storm",
        "  review, per month",
        "  extra spend, mean",
    ] {
        let line = features.lines().find(|l| l.starts_with(label)).unwrap();
        assert!(line.contains('±'), "{line}");
    }
    assert!(plain.lines().count() <= 25, "{plain}");
}

#[test]
fn markdown_has_every_part_of_the_brief() {
    let md = String::from_utf8(run(&[
        "simulate", BRIEF, "-n", "100", "--format", "markdown",
    ]))
    .unwrap();
    for part in [
        "# Cost brief: support-small",
        "**Verdict.** ",
        "stays under the $36.00 budget in",
        "**Recommendation.** Choose small-only",
        "## Scenario",
        "## At a glance",
        "## Stack small-only",
        "## Stack large-only",
        "## Stack small-then-large",
        "| p95 month | ",
        "95% CI",
        "Breach probability (> $36.00)",
        "Cost per user (mean)",
        "Cost per accepted task",
        "### Cost drivers",
        "| workflow | summary |",
        "| model | small |",
        "| billing class | cached input |",
        "| billing class | cache write |",
        "| retries |",
        "### Alerts",
        "| 80% of budget | $28.80 |",
        "### One user's monthly cost",
        "| agents |",
    ] {
        assert!(md.contains(part), "missing {part:?} in\n{md}");
    }
    // No figure without its uncertainty: every row of a stack's figure table has a `±` or an interval.
    for line in md
        .lines()
        .filter(|l| l.starts_with("| Mean monthly spend | $"))
    {
        assert!(line.contains('±'), "{line}");
    }
}

#[test]
fn feature_snapshots() {
    // n = 120 trials, seed 11.
    let s = common::scenario(&std::fs::read_to_string(FEATURES).unwrap());
    let r = common::simulate(&s, 120, 11);
    insta::assert_snapshot!(
        "brief_markdown_features",
        unversioned(&Brief::new(&s, &r).markdown())
    );
    let text = csv::simulation(&Report::new(&s, &r), &Detail::new(&s, &r));
    insta::assert_snapshot!("stats_csv_features", unversioned(&text));
}

/// The parts of a brief that only a scenario using a feature has.
const FEATURE_PARTS: [&str; 26] = [
    "| Contracts | acme (acme, $6.00 a month at 20% off) |",
    "| Incidents | retry-storm |",
    "| Latency targets | answer p95 ≤ 20,000 ms |",
    "| Human review | answer |",
    "hard cap $36.00",
    "p95 total over 2 months",
    "Months hitting the $36.00 hard cap",
    "| Latency targets | all met | misses answer p95",
    "Flex calls refused (re-sent at standard)",
    "Requests answered by the semantic cache",
    "Calls failed at the provider",
    "Reasoning share of spend",
    "Tool fees share of spend",
    "Human review per month (not in spend)",
    "Cost per useful output (spend + review)",
    "### Horizon of 2 months",
    "| p95 total |",
    "### Hard cap at $36.00",
    "| Months the cap refuses requests |",
    "### Contract acme",
    "| Unused commitment per month (mean) |",
    "| Months the commitment is under-used |",
    "### Incidents",
    "| Of the p99, incidents explain |",
    "### Latency",
    "| answer | ",
];

#[test]
fn markdown_and_html_show_the_features_a_scenario_uses_and_only_those() {
    let md = String::from_utf8(run(&[
        "simulate", FEATURES, "-n", "60", "--format", "markdown",
    ]))
    .unwrap();
    let html =
        String::from_utf8(run(&["simulate", FEATURES, "-n", "60", "--format", "html"])).unwrap();
    let plain = String::from_utf8(run(&[
        "simulate", PLAIN, "-n", "60", "--format", "markdown",
    ]))
    .unwrap();
    for part in FEATURE_PARTS {
        assert!(md.contains(part), "missing {part:?} in\n{md}");
        assert!(!plain.contains(part), "{part:?} in a plain brief\n{plain}");
    }
    for part in [
        "<h3>Horizon of 2 months</h3>",
        "<h3>Hard cap at $36.00</h3>",
        "<h3>Contract acme</h3>",
        "<h3>Incidents</h3>",
        "<h3>Latency</h3>",
        "Requests answered by the semantic cache",
        "Cost per useful output (spend + review)",
    ] {
        assert!(html.contains(part), "missing {part:?} in the HTML");
    }
    // The contract is signed only by the plan that calls its provider.
    assert_eq!(md.matches("### Contract acme").count(), 1);
}

/// Parse CSV without quoted fields (the fixture's names need none).
fn rows(text: &str) -> (Vec<String>, Vec<HashMap<String, String>>) {
    let mut lines = text.lines();
    let head: Vec<String> = lines
        .next()
        .unwrap()
        .split(',')
        .map(str::to_string)
        .collect();
    let rows = lines
        .map(|l| {
            let cells: Vec<&str> = l.split(',').collect();
            assert_eq!(cells.len(), head.len(), "{l}");
            head.iter()
                .cloned()
                .zip(cells.iter().map(|c| c.to_string()))
                .collect()
        })
        .collect();
    (head, rows)
}

#[test]
fn csv_has_stable_columns_and_agrees_with_json() {
    let args = ["simulate", BRIEF, "-n", "150", "--seed", "5"];
    let v = json(&args);
    let mut a = args.to_vec();
    a.extend(["--format", "csv"]);
    let text = String::from_utf8(run(&a)).unwrap();
    let (head, rows) = rows(&text);
    assert_eq!(head, csv::COLUMNS);
    let get = |stack: &str, statistic: &str, group: &str| -> f64 {
        let r = rows
            .iter()
            .find(|r| r["stack"] == stack && r["statistic"] == statistic && r["group"] == group)
            .unwrap_or_else(|| panic!("no row {stack} {statistic} {group}"));
        r["value"].parse().unwrap()
    };
    for (k, stack) in ["small-only", "large-only", "small-then-large"]
        .iter()
        .enumerate()
    {
        let s = &v["stacks"][k];
        assert_eq!(
            get(stack, "monthly_spend_mean", ""),
            s["monthly_spend_usd"]["mean"].as_f64().unwrap()
        );
        assert_eq!(
            get(stack, "monthly_spend_p95", ""),
            s["monthly_spend_usd"]["p95"].as_f64().unwrap()
        );
        assert_eq!(
            get(stack, "breach_probability", ""),
            s["breach_probability"].as_f64().unwrap()
        );
        let retry = s["retry_cost_share"].as_f64().unwrap();
        assert!((get(stack, "retry_cost_share", "") - retry).abs() < 1e-12);
        let kinds: f64 = ["input", "cached_input", "cache_write", "output"]
            .iter()
            .map(|g| get(stack, "token_kind_spend_share", g))
            .sum();
        assert!((kinds - 1.0).abs() < 1e-9, "token kinds add up to {kinds}");
    }
    for r in &rows {
        assert_eq!(r["seed"], "5");
        assert_eq!(r["trials"], "150");
        assert_eq!(r["scenario"], "support-small");
        assert!(r["value"].parse::<f64>().is_ok(), "{r:?}");
        for col in ["standard_error", "ci95_low", "ci95_high"] {
            assert!(r[col].is_empty() || r[col].parse::<f64>().is_ok(), "{r:?}");
        }
        if let (Ok(lo), Ok(hi), Ok(v)) = (
            r["ci95_low"].parse::<f64>(),
            r["ci95_high"].parse::<f64>(),
            r["value"].parse::<f64>(),
        ) {
            assert!(
                lo <= v && v <= hi,
                "interval does not hold the value: {r:?}"
            );
        }
    }
}

/// The statistics only a scenario using a feature has.
const FEATURE_STATISTICS: [&str; 36] = [
    "flex_refused_share",
    "semantic_cache_hit_share",
    "provider_error_share",
    "hard_cap",
    "cap_hit_probability",
    "cap_hit_median_day",
    "rejected_requests_mean",
    "rejected_requests_p95",
    "rejected_request_share",
    "contract_committed",
    "contract_discount",
    "contract_billed_mean",
    "contract_billed_p95",
    "contract_unused_mean",
    "contract_unused_p95",
    "contract_overage_mean",
    "contract_underuse_probability",
    "incident_probability",
    "incident_extra_spend_mean",
    "monthly_spend_p99_without_incidents",
    "p99_from_incidents",
    "latency_p50",
    "latency_p95",
    "latency_p99",
    "latency_p95_target",
    "latency_p95_target_met",
    "review_cost_mean",
    "cost_per_useful_output",
    "horizon_total_mean",
    "horizon_total_p5",
    "horizon_total_p50",
    "horizon_total_p95",
    "month_spend_mean",
    "month_spend_p50",
    "month_spend_p95",
    "month_breach_probability",
];

#[test]
fn csv_has_a_row_for_every_feature_the_scenario_uses_and_agrees_with_json() {
    let args = ["simulate", FEATURES, "-n", "80", "--seed", "4"];
    let v = json(&args);
    let mut a = args.to_vec();
    a.extend(["--format", "csv"]);
    let (head, rows) = rows(&String::from_utf8(run(&a)).unwrap());
    assert_eq!(head, csv::COLUMNS);
    let find = |stack: &str, statistic: &str, group: &str| {
        rows.iter()
            .find(|r| r["stack"] == stack && r["statistic"] == statistic && r["group"] == group)
            .map(|r| r["value"].parse::<f64>().unwrap())
    };
    let get = |stack: &str, statistic: &str, group: &str| {
        find(stack, statistic, group)
            .unwrap_or_else(|| panic!("no row {stack} {statistic} {group}"))
    };
    let close = |a: f64, b: f64| (a - b).abs() <= 1e-9 * b.abs().max(1.0);
    for (k, stack) in ["quick-only", "deep-only"].iter().enumerate() {
        let s = &v["stacks"][k];
        let cap = &s["hard_cap"];
        assert_eq!(get(stack, "hard_cap", ""), 36.0);
        assert!(close(
            get(stack, "cap_hit_probability", ""),
            cap["probability_hit"].as_f64().unwrap()
        ));
        assert!(close(
            get(stack, "rejected_requests_mean", ""),
            cap["rejected_requests"]["mean"].as_f64().unwrap()
        ));
        let inc = &s["incidents"];
        assert!(close(
            get(stack, "incident_probability", "retry-storm"),
            inc["incidents"][0]["probability"].as_f64().unwrap()
        ));
        assert!(close(
            get(stack, "incident_extra_spend_mean", ""),
            inc["extra_spend_usd"]["mean"].as_f64().unwrap()
        ));
        for (i, workflow) in ["answer", "digest"].iter().enumerate() {
            assert!(close(
                get(stack, "latency_p95", workflow),
                s["latency"][i]["p95_ms"].as_f64().unwrap()
            ));
        }
        assert_eq!(get(stack, "latency_p95_target", "answer"), 20_000.0);
        let met = s["latency"][0]["target_met"].as_bool().unwrap();
        assert_eq!(
            get(stack, "latency_p95_target_met", "answer"),
            f64::from(u8::from(met))
        );
        assert!(find(stack, "latency_p95_target", "digest").is_none());
        assert!(close(
            get(stack, "review_cost_mean", ""),
            s["review_cost_usd"]["mean"].as_f64().unwrap()
        ));
        assert!(close(
            get(stack, "cost_per_useful_output", ""),
            s["cost_per_useful_output_usd"].as_f64().unwrap()
        ));
        assert!(close(
            get(stack, "horizon_total_mean", ""),
            s["horizon_total_usd"]["mean"].as_f64().unwrap()
        ));
        assert!(close(
            get(stack, "horizon_total_p95", ""),
            s["horizon_total_usd"]["p95"].as_f64().unwrap()
        ));
        assert!(close(
            get(stack, "flex_refused_share", ""),
            s["flex_refused_share"].as_f64().unwrap()
        ));
        // The months of the horizon average to the pooled monthly mean.
        let months = get(stack, "month_spend_mean", "1") + get(stack, "month_spend_mean", "2");
        assert!(close(
            months / 2.0,
            s["monthly_spend_usd"]["mean"].as_f64().unwrap()
        ));
        // Reasoning and tool fees are billing classes: their share of spend is a token-kind row.
        for class in ["reasoning", "tool_fees"] {
            let share = get(stack, "token_kind_spend_share", class);
            assert!(share > 0.0 && share < 1.0, "{class}: {share}");
        }
    }
    // The contract is with the provider of `quick`: only the plan that calls it signs it.
    let c = &v["stacks"][0]["contracts"][0];
    assert!(close(
        get("quick-only", "contract_billed_mean", "acme"),
        c["billed_usd"]["mean"].as_f64().unwrap()
    ));
    assert!(close(
        get("quick-only", "contract_unused_mean", "acme"),
        c["unused_commitment_usd"]["mean"].as_f64().unwrap()
    ));
    assert!(close(
        get("quick-only", "contract_underuse_probability", "acme"),
        c["underuse_probability"].as_f64().unwrap()
    ));
    assert_eq!(get("quick-only", "contract_committed", "acme"), 6.0);
    assert!(
        rows.iter()
            .all(|r| !(r["stack"] == "deep-only" && r["statistic"].starts_with("contract_")))
    );
    // A plain scenario has none of these rows.
    let plain =
        String::from_utf8(run(&["simulate", PLAIN, "-n", "30", "--format", "csv"])).unwrap();
    let (_, plain_rows) = self::rows(&plain);
    for r in &plain_rows {
        assert!(
            !FEATURE_STATISTICS.contains(&r["statistic"].as_str()),
            "{r:?}"
        );
    }
    for statistic in FEATURE_STATISTICS {
        if statistic == "cap_hit_median_day" {
            continue;
        }
        assert!(
            rows.iter().any(|r| r["statistic"] == statistic),
            "no {statistic} row"
        );
    }
}

#[test]
fn trials_out_has_one_row_per_trial_and_stack() {
    let dir = tempfile::tempdir().unwrap();
    let trials = dir.path().join("trials.csv");
    let out = dir.path().join("r.json");
    aicost()
        .args(["simulate", BRIEF, "-n", "90", "--seed", "3", "--out"])
        .arg(&out)
        .arg("--trials-out")
        .arg(&trials)
        .assert()
        .success();
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    let (head, rows) = rows(&std::fs::read_to_string(&trials).unwrap());
    assert_eq!(head, csv::TRIAL_COLUMNS);
    assert_eq!(rows.len(), 90 * 3);
    for (k, stack) in ["small-only", "large-only", "small-then-large"]
        .iter()
        .enumerate()
    {
        let mine: Vec<&HashMap<String, String>> =
            rows.iter().filter(|r| r["stack"] == *stack).collect();
        assert_eq!(mine.len(), 90);
        let spend: Vec<f64> = mine
            .iter()
            .map(|r| r["monthly_spend_usd"].parse().unwrap())
            .collect();
        let (mean, _) = common::mean_se(&spend);
        let json_mean = v["stacks"][k]["monthly_spend_usd"]["mean"]
            .as_f64()
            .unwrap();
        assert!(
            (mean - json_mean).abs() <= 1e-9 * json_mean,
            "{mean} vs {json_mean}"
        );
        let breaches = mine.iter().filter(|r| r["breach"] == "1").count() as f64 / 90.0;
        assert_eq!(
            breaches,
            v["stacks"][k]["breach_probability"].as_f64().unwrap()
        );
        let accepted: f64 = mine
            .iter()
            .map(|r| r["accepted"].parse::<f64>().unwrap())
            .sum();
        let requests: f64 = mine
            .iter()
            .map(|r| r["requests"].parse::<f64>().unwrap())
            .sum();
        let rate = v["stacks"][k]["acceptance_rate"].as_f64().unwrap();
        assert!((accepted / requests - rate).abs() < 1e-12);
        let trial_ids: Vec<usize> = mine.iter().map(|r| r["trial"].parse().unwrap()).collect();
        assert_eq!(trial_ids, (0..90).collect::<Vec<_>>());
    }
}

#[test]
fn trials_out_may_not_share_standard_output_with_the_report() {
    aicost()
        .args(["simulate", BRIEF, "-n", "10", "--trials-out", "-"])
        .assert()
        .code(2)
        .stderr(contains("--trials-out"));
}

#[test]
fn the_out_extension_picks_the_format_and_the_file_is_written_whole() {
    let dir = tempfile::tempdir().unwrap();
    for (name, starts) in [
        ("b.md", "# Cost brief"),
        ("b.html", "<!DOCTYPE html>"),
        ("b.csv", "scenario,seed,trials,stack,statistic"),
        ("b.json", "{"),
    ] {
        let path = dir.path().join(name);
        aicost()
            .args(["simulate", BRIEF, "-n", "30", "--out"])
            .arg(&path)
            .assert()
            .success()
            .stdout("");
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(
            text.starts_with(starts),
            "{name}: {}",
            &text[..40.min(text.len())]
        );
    }
    // An explicit --format wins over the extension.
    let path = dir.path().join("brief.txt.md");
    aicost()
        .args(["simulate", BRIEF, "-n", "30", "--format", "csv", "--out"])
        .arg(&path)
        .assert()
        .success();
    assert!(
        std::fs::read_to_string(&path)
            .unwrap()
            .starts_with("scenario,")
    );
}

/// The charts inside an HTML page.
fn svgs(html: &str) -> Vec<&str> {
    html.match_indices("<svg")
        .map(|(i, _)| {
            let end = html[i..].find("</svg>").unwrap();
            &html[i..i + end]
        })
        .collect()
}

#[test]
fn html_is_one_self_contained_file_with_five_charts() {
    let html =
        String::from_utf8(run(&["simulate", BRIEF, "-n", "150", "--format", "html"])).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(html.contains("<style>"));
    for external in [
        "<script",
        "<link",
        "<img",
        "src=",
        "href=",
        "url(",
        "@import",
        "@font-face",
    ] {
        assert!(
            !html.contains(external),
            "HTML refers to something outside: {external}"
        );
    }
    let charts = svgs(&html);
    assert_eq!(charts.len(), 5);
    for (svg, title) in charts.iter().zip([
        "Monthly spend per stack",
        "How often each stack stays within budget",
        "Cumulative spend through the month",
        "Where the money goes",
        "Cost per user, by segment",
    ]) {
        assert!(svg.contains(title), "{title}");
        assert!(svg.contains("viewBox"), "{title}: not scalable");
        assert!(!svg.contains("not drawn"), "{title}: {svg}");
    }
    // Dollar axes with separators where the numbers need them; the budget line is labelled.
    assert!(charts[0].contains("budget $36.00"));
    assert!(charts[1].contains("over budget"));
    assert!(charts[2].contains("80% alert · $28.80"));
    // Okabe–Ito colours for the three stacks.
    for colour in ["#0072B2", "#E69F00", "#009E73"] {
        assert!(html.contains(colour), "{colour}");
    }
    // The brief itself is there too.
    assert!(html.contains("<strong>Verdict.</strong>"));
    assert!(html.contains("<h2>Stack large-only</h2>"));
}

#[test]
fn dollar_axes_have_thousands_separators() {
    // A scenario spending thousands a month: the axis labels must read $12,000, not $12000.
    let text = std::fs::read_to_string(BRIEF)
        .unwrap()
        .replace("users = 3\n", "users = 300\n")
        .replace("monthly_usd = 36", "monthly_usd = 36000");
    let s = common::scenario(&text);
    let charts = Brief::new(&s, &common::simulate(&s, 20, 2)).charts();
    let labels: Vec<&str> = charts[0]
        .svg
        .split("<text")
        .skip(1)
        .filter_map(|t| t.split('>').nth(1))
        .filter_map(|t| t.split('<').next())
        .map(str::trim)
        .filter(|t| t.starts_with('$'))
        .collect();
    assert!(!labels.is_empty());
    for l in &labels {
        let digits: String = l
            .chars()
            .take_while(|c| *c != '.')
            .filter(|c| c.is_ascii_digit())
            .collect();
        if digits.len() >= 4 {
            assert!(l.contains(','), "axis label without separators: {l}");
        }
    }
}

#[test]
fn plot_writes_the_svgs_alone() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("charts");
    aicost()
        .args(["plot", BRIEF, "-n", "60", "--out"])
        .arg(&out)
        .assert()
        .success()
        .stdout("")
        .stderr(contains("histogram.svg"));
    let mut names: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "cdf.svg",
            "drivers.svg",
            "fan.svg",
            "histogram.svg",
            "segments.svg"
        ]
    );
    for n in &names {
        let svg = std::fs::read_to_string(out.join(n)).unwrap();
        assert!(
            svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"),
            "{n}"
        );
    }
    // The same seed gives the same charts.
    let again = dir.path().join("again");
    aicost()
        .args(["plot", BRIEF, "-n", "60", "--quiet", "--out"])
        .arg(&again)
        .assert()
        .success()
        .stderr("");
    for n in &names {
        assert_eq!(
            std::fs::read(out.join(n)).unwrap(),
            std::fs::read(again.join(n)).unwrap(),
            "{n}"
        );
    }
}

#[test]
fn plot_refuses_a_file_as_its_directory() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("x.svg");
    std::fs::write(&file, "keep").unwrap();
    aicost()
        .args(["plot", BRIEF, "-n", "5", "--out"])
        .arg(&file)
        .assert()
        .code(2)
        .stderr(contains("directory"));
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "keep");
}

#[test]
fn new_commands_have_help_with_examples() {
    for sub in ["compare", "plot"] {
        aicost()
            .args([sub, "--help"])
            .assert()
            .success()
            .stdout(contains("Examples:"));
    }
    aicost()
        .args(["simulate", "--help"])
        .assert()
        .success()
        .stdout(contains("markdown"))
        .stdout(contains("--trials-out"));
}

#[test]
fn quiet_and_colour_rules_hold_for_the_new_formats() {
    // Off a terminal: no escape codes in any format, nothing on stderr.
    for format in ["table", "markdown", "csv", "html"] {
        let out = aicost()
            .args(["simulate", BRIEF, "-n", "20", "--format", format])
            .assert()
            .success()
            .stderr("")
            .get_output()
            .stdout
            .clone();
        assert!(!out.contains(&0x1b), "{format} has escape codes");
    }
    let out = aicost()
        .args(["compare", BRIEF, "-n", "20", "--color", "always"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    assert!(out.contains(&0x1b));
    let out = aicost()
        .env("NO_COLOR", "1")
        .args(["compare", BRIEF, "-n", "20"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    assert!(!out.contains(&0x1b));
}

/// The delta-method standard errors of shares and ratios are checked against the spread of the
/// same figure over K = 40 independent runs (n = 40 trials each, seeds 1000..1040): the ratio of
/// the observed spread to the mean reported error must lie in [0.55, 1.6] (the spread of 40 runs
/// is itself uncertain by about 11%; these bounds are beyond 4 of those errors).
#[test]
fn standard_errors_of_shares_match_their_spread_over_independent_runs() {
    const K: u64 = 40;
    const N: u64 = 40;
    let s = fixture();
    let mut figures: Vec<[(f64, f64); 4]> = Vec::new();
    for seed in 1000..1000 + K {
        let d = Detail::new(&s, &common::simulate(&s, N, seed));
        let st = &d.stacks[2]; // small-then-large: two models, retries, escalations
        let e = |x: &aicost::base::stats::estimate::Estimate| (x.value, x.standard_error);
        figures.push([
            e(&st.models[0].share),
            e(&st.token_kinds[3].share),
            e(&st.retries.as_ref().unwrap().share),
            e(&st.cost_per_accepted_task.unwrap()),
        ]);
    }
    for (i, name) in [
        "model share",
        "output share",
        "retry share",
        "cost per accepted task",
    ]
    .iter()
    .enumerate()
    {
        let values: Vec<f64> = figures.iter().map(|f| f[i].0).collect();
        let (_, se_of_mean) = common::mean_se(&values);
        let spread = se_of_mean * (K as f64).sqrt();
        let reported = figures.iter().map(|f| f[i].1).sum::<f64>() / K as f64;
        let ratio = spread / reported;
        eprintln!(
            "{name}: observed spread {spread:.3e}, reported se {reported:.3e}, ratio {ratio:.2}"
        );
        assert!((0.55..1.6).contains(&ratio), "{name}: ratio {ratio}");
    }
}

/// The cost-driver chart and the table beside it say the same shares (of the stack's mean, so a
/// discount's is negative), and no two things of the chart share a colour: a workflow, a model
/// and a billing class once were all the same blue.
#[test]
fn the_driver_chart_shows_the_tables_shares_in_a_colour_per_part() {
    let text = std::fs::read_to_string("scenarios/ecommerce-assistant.toml").unwrap();
    let s = common::scenario(&text);
    // The fast engine, as `aicost simulate` picks for this scenario (the exact one would walk
    // every one of its millions of monthly requests).
    let r = aicost::simulate(&s, 200, 3).unwrap();
    let brief = Brief::new(&s, &r);
    let svg = brief
        .charts()
        .into_iter()
        .find(|c| c.file == "drivers.svg")
        .unwrap()
        .svg;
    let stack = &brief.detail.stacks[0];
    let mut checked = 0;
    for part in stack.token_kinds.iter().chain(&stack.models) {
        let pct = part.share.value * 100.0;
        let short = if pct < 0.0 {
            format!("-{:.1}%", -pct)
        } else {
            format!("{pct:.1}%")
        };
        // A label is its part's name and share, or the share alone where the part is narrow.
        if svg.contains(&format!("\n{} {short}\n", part.name))
            || svg.contains(&format!("\n{short}\n"))
        {
            checked += 1;
        }
    }
    assert!(
        checked >= 3,
        "only {checked} labels carry the table's shares:\n{svg}"
    );
    // The contract discount is negative: its label says so.
    let discount = stack
        .token_kinds
        .iter()
        .find(|p| p.share.value < 0.0)
        .expect("the openai stack has a contract discount");
    assert!(
        svg.contains(&format!("\n-{:.1}%\n", -discount.share.value * 100.0)),
        "{svg}"
    );
    // One colour per part: as many distinct fills as parts in the legend.
    let parts: usize = [&stack.workflows, &stack.models, &stack.token_kinds]
        .iter()
        .map(|v| v.len())
        .sum::<usize>()
        + 2; // first calls and retries
    let mut fills: Vec<&str> = svg
        .split("fill=\"#")
        .skip(1)
        .map(|f| &f[..6])
        .filter(|f| !["FFFFFF", "222222", "DDDDDD"].contains(f))
        .collect();
    fills.sort();
    fills.dedup();
    assert!(
        fills.len() >= parts,
        "{} colours for {parts} parts: {fills:?}",
        fills.len()
    );
}

/// One figure, one estimator: the scenario summary and the assumptions' traffic table print the
/// same head-count, the scenario's own (its mean). `users = { low = 350, high = 450 }` has a mean
/// of 398; 200 simulated months drew a mean of 395 users, which the summary printed beside the
/// table's 398.
#[test]
fn the_brief_prints_one_head_count_per_segment() {
    let s =
        common::scenario(&std::fs::read_to_string("scenarios/support-summarizer.toml").unwrap());
    let r = common::simulate(&s, 200, 42);
    let simulated = Report::new(&s, &r).stacks[0].segments[0].users;
    assert!((simulated - 398.0).abs() > 1.0, "{simulated}");
    let md = Brief::new(&s, &r).markdown();
    assert!(md.contains("| Segments | agents (398 users) |"), "{md}");
    assert!(md.contains("| agents | 398 (350–450) |"), "{md}");
}

/// The percentages of the "Where the money goes" chart in an HTML brief, name → share.
fn driver_chart_shares(html: &str) -> Vec<(String, f64)> {
    let at = html
        .find("charged to none")
        .expect("the drivers chart's caption");
    let start = html[..at].rfind("<svg").unwrap();
    let svg = &html[start..start + html[start..].find("</svg>").unwrap()];
    svg.split("<text")
        .filter_map(|t| {
            let text = t.split_once('>')?.1.split('<').next()?.trim();
            let (name, pct) = text.rsplit_once(' ')?;
            Some((name.to_string(), pct.strip_suffix('%')?.parse().ok()?))
        })
        .collect()
}

#[test]
fn the_drivers_chart_shows_the_tables_shares_of_the_mean() {
    // The model bar once left out the fees charged to no model and rescaled the rest to 100%:
    // 90.2% for gpt-4.1 against the table's 89.5%.
    let args = [
        "simulate",
        "scenarios/ecommerce-assistant.toml",
        "--trials",
        "200",
        "--seed",
        "1",
    ];
    let html = String::from_utf8(run(&[&args[..], &["--format", "html"]].concat())).unwrap();
    let report = json(&args);
    let chart = driver_chart_shares(&html);
    let mut checked = 0;
    for stack in report["stacks"].as_array().unwrap() {
        let mean = stack["monthly_spend_usd"]["mean"].as_f64().unwrap();
        for m in stack["models"].as_array().unwrap() {
            let name = m["name"].as_str().unwrap();
            let want = m["monthly_spend_usd"]["mean"].as_f64().unwrap() / mean * 100.0;
            if let Some((_, got)) = chart.iter().find(|(n, _)| n == name) {
                assert!(
                    (got - want).abs() <= 0.05,
                    "{name}: chart {got}%, table {want}%"
                );
                checked += 1;
            }
        }
    }
    assert!(
        checked >= 2,
        "model shares labelled in the chart: {chart:?}"
    );
}

/// The brief's section of assumptions.
fn assumptions_of(md: &str) -> &str {
    &md[md.find("## Assumptions").unwrap()..md.find("## At a glance").unwrap()]
}

/// The brief's assumptions show every input that carries spend: on voice-assistant, audio is
/// most of the spend, so its prices and its tokens per call are listed, as are the features'
/// tool fees, tiers, contract, hard cap and incident.
#[test]
fn the_assumptions_list_every_input_that_carries_spend() {
    let md = String::from_utf8(run(&[
        "simulate",
        "scenarios/voice-assistant.toml",
        "-n",
        "50",
        "--format",
        "markdown",
    ]))
    .unwrap();
    let assumptions = assumptions_of(&md);
    for line in [
        "| gpt-realtime | audio input tokens | $32.00 |",
        "| gpt-realtime | audio output tokens | $64.00 |",
        "| gpt-realtime-mini | audio input tokens | $10.00 |",
        "| gpt-realtime-mini | audio output tokens | $20.00 |",
        "| call · turn | audio input tokens per call | ",
        "| call · turn | audio output tokens per call | ",
    ] {
        assert!(assumptions.contains(line), "no `{line}` in\n{assumptions}");
    }
    let md = String::from_utf8(run(&[
        "simulate", FEATURES, "-n", "20", "--format", "markdown",
    ]))
    .unwrap();
    let assumptions = assumptions_of(&md);
    for part in [
        "Other inputs that carry spend",
        "tool ",
        "flex tier",
        "hard cap",
        "| contract ",
        "| incident ",
    ] {
        assert!(assumptions.contains(part), "no `{part}` in\n{assumptions}");
    }
}

/// A budget policy's table in the brief prints the stack's breach probability with the policies
/// as "At a glance" and the stack's table print it: the same figure, rounded once. 150 users on
/// one cheap-route policy, a budget just above the mean spend: on 600 trials (seed 11) the
/// probability is 3.17% ± 0.71 pt, two decimals by its standard error (a rounding of its own
/// would read 3.2%).
#[test]
fn a_breach_probability_reads_the_same_in_every_table_of_the_brief() {
    let header = r#"
name = "policies"
[simulation]
months = 1
[budget]
monthly_usd = 40

[[segment]]
name = "free"
users = 100
sessions_per_user_per_day = 1
user_variability = 0.3

[[segment]]
name = "paying"
users = 50
sessions_per_user_per_day = 1
user_variability = 0.3
"#;
    let policy = r#"
[[policy]]
name = "mini-for-free"
at_usd = 35
route = "cheap"
protect = ["paying"]
"#;
    let s = common::scenario(&format!("{header}{}", common::big_and_mini(policy)));
    let md = Brief::new(&s, &common::simulate(&s, 600, 11)).markdown();
    // The first cell after a row's label, up to its uncertainty.
    let cells = |label: &str| -> Vec<String> {
        md.lines()
            .filter(|l| l.starts_with(&format!("| {label}")))
            .map(|l| {
                let cell = l.split('|').nth(2).unwrap().trim();
                cell.split(" ±").next().unwrap().to_string()
            })
            .collect()
    };
    let glance = cells("Breach probability (> $40.00)");
    let policy = cells("breach probability |");
    assert_eq!(glance.len(), 2, "At a glance and the stack's table:\n{md}");
    assert_eq!(policy.len(), 1, "the policies' table:\n{md}");
    assert_eq!(glance[0], "3.17%", "{md}");
    assert_eq!(glance[1], glance[0], "{md}");
    assert_eq!(policy[0], glance[0], "{md}");
}
