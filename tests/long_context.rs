//! Several long-context thresholds: a request is priced at the highest threshold its whole input
//! exceeds, as providers bill, in the exact engine, the fast engine and `estimate`; the compound
//! prices (a service tier above a threshold, a one-hour cache write above a threshold) apply;
//! and LiteLLM's real price file format (`tiered_pricing`, `…_above_{N}k_tokens` keys and their
//! compounds, `alias_of`) imports into levels that bill the same way.

mod common;

use aicost::model::catalog::Catalog;
use aicost::sim::estimate::estimate;
use assert_cmd::cargo::cargo_bin_cmd;
use common::*;
use predicates::str::contains;

/// A real-format excerpt of LiteLLM's price file (entries copied from the 1.109.1 file, plus
/// `alias_of` entries and a `fedramp_uplift_multiplier` key as the newer files write them).
const TIERED: &str = "tests/fixtures/litellm-tiered.json";

/// $1/$2 below 32k input tokens, $2/$4 above 32k, $3/$6 above 128k (where a one-hour cache write
/// costs $10 and the priority tier lists $9/$18).
const MODEL: &str = r#"
[[model]]
name = "m"
input_usd_per_mtok = 1
output_usd_per_mtok = 2
cache_write_usd_per_mtok = 1.25
cache_write_1h_usd_per_mtok = 2
priority = { input_usd_per_mtok = 1.5, output_usd_per_mtok = 3, cached_input_usd_per_mtok = 0.375 }
[[model.long_context]]
above_input_tokens = 32000
input_usd_per_mtok = 2
output_usd_per_mtok = 4
[[model.long_context]]
above_input_tokens = 128000
input_usd_per_mtok = 3
output_usd_per_mtok = 6
cache_write_1h_usd_per_mtok = 10
priority = { input_usd_per_mtok = 9, output_usd_per_mtok = 18 }
"#;

const STACK: &str = r#"
[[stack]]
name = "only"
[stack.route.r]
chain = [{ model = "m" }]
"#;

/// 100 requests a month of one call; every trial and the estimate equal `expected`.
fn check(workflow: &str, step: &str, model: &str, expected: f64) {
    let s = scenario(&one_step(10, 10, workflow, step, model, STACK));
    assert!(s.is_deterministic());
    for spend in &simulate(&s, 2, 1).stacks[0].spend {
        assert_cents("simulated month", *spend, expected);
    }
    let e = estimate(&s);
    assert!(e.approximations.is_empty(), "{:?}", e.approximations);
    assert_cents("estimate", e.stacks[0].monthly_usd, expected);
}

#[test]
fn each_request_is_priced_at_the_highest_threshold_it_crosses() {
    let out = "output_tokens = 1000";
    // 100 × (10,000 × 1 + 1,000 × 2) / 10^6 = $1.20
    check("", &format!("input_tokens = 10000\n{out}"), MODEL, 1.20);
    // Above 32k only: 100 × (100,000 × 2 + 1,000 × 4) / 10^6 = $20.40
    check("", &format!("input_tokens = 100000\n{out}"), MODEL, 20.40);
    // Above both: the whole request at the 128k prices, 100 × (200,000 × 3 + 1,000 × 6) / 10^6
    check("", &format!("input_tokens = 200000\n{out}"), MODEL, 60.60);
}

#[test]
fn a_service_tier_and_a_one_hour_write_above_a_threshold_take_their_listed_prices() {
    let tier = "service_tier = \"priority\"";
    // Listed above 128k: 100 × (200,000 × 9 + 1,000 × 18) / 10^6 = $181.80
    check(
        tier,
        "input_tokens = 200000\noutput_tokens = 1000",
        MODEL,
        181.80,
    );
    // Not listed above 32k: priority scaled like standard (× 2): 100 × (100,000 × 3 + 1,000 × 6)
    check(
        tier,
        "input_tokens = 100000\noutput_tokens = 1000",
        MODEL,
        30.60,
    );
    // A 150,000-token prefix written for an hour on every call, with 60,000 more input tokens:
    // 210,000 > 128k, so 100 × (150,000 × 10 + 60,000 × 3 + 1,000 × 6) / 10^6 = $168.60
    check(
        "",
        "static_prefix_tokens = 150000\ncache_hit_rate = 0\ncache_ttl = \"1h\"\ninput_tokens = 60000\noutput_tokens = 1000",
        MODEL,
        168.60,
    );
}

/// Φ, the standard normal CDF, by Simpson's rule on the density (error far below 1e-12).
fn phi(z: f64) -> f64 {
    if z < 0.0 {
        return 1.0 - phi(-z);
    }
    let n = 20_000;
    let h = z / n as f64;
    let f = |x: f64| (-x * x / 2.0).exp() / (2.0 * std::f64::consts::PI).sqrt();
    let mut s = f(0.0) + f(z);
    for i in 1..n {
        s += f(i as f64 * h) * if i % 2 == 1 { 4.0 } else { 2.0 };
    }
    0.5 + s * h / 3.0
}

#[test]
fn a_lognormal_prompt_is_priced_level_by_level_in_closed_form() {
    // Input lognormal with median 60,000 and 95th percentile 300,000, output 1,000 tokens. With
    // X ~ LN(μ, σ), P(X > t) = 1 − Φ((ln t − μ)/σ) and E[X; X > t] = e^{μ+σ²/2} Φ((μ + σ² − ln t)/σ).
    let mu = 60_000f64.ln();
    let sigma = (300_000f64.ln() - mu) / 1.644_853_626_951_472_2;
    let above = |t: f64| 1.0 - phi((t.ln() - mu) / sigma);
    let mean_above =
        |t: f64| (mu + sigma * sigma / 2.0).exp() * phi((mu + sigma * sigma - t.ln()) / sigma);
    let mean = (mu + sigma * sigma / 2.0).exp();
    // Input cost: $1 on every token, $1 more on those of requests above 32k, $1 more above 128k;
    // output: $2, $2 more above 32k, $2 more above 128k.
    let input = mean + mean_above(32_000.0) + mean_above(128_000.0);
    let output = 1_000.0 * (2.0 + 2.0 * above(32_000.0) + 2.0 * above(128_000.0));
    let hand = (input + output) / 1e6;
    let text = one_step(
        10,
        10,
        "",
        "input_tokens = { p50 = 60000, p95 = 300000 }\noutput_tokens = 1000",
        MODEL,
        STACK,
    );
    let s = scenario(&text);
    let e = estimate(&s);
    assert!(e.approximations.is_empty(), "{:?}", e.approximations);
    let per_request = e.stacks[0].workflows[0].cost_per_request_usd;
    assert!(
        (per_request - hand).abs() < 1e-9 * hand,
        "{per_request} vs {hand}"
    );
    // The estimate's share of calls at each level.
    let link = &e.stacks[0].workflows[0].steps[0].links[0];
    assert!((link.long_context_share - above(32_000.0)).abs() < 1e-9);
    let levels: Vec<(f64, f64)> = link
        .long_context_levels
        .iter()
        .map(|l| (l.above_input_tokens, l.share))
        .collect();
    assert_eq!(levels.len(), 2);
    assert_eq!((levels[0].0, levels[1].0), (32_000.0, 128_000.0));
    assert!((levels[0].1 - (above(32_000.0) - above(128_000.0))).abs() < 1e-9);
    assert!((levels[1].1 - above(128_000.0)).abs() < 1e-9);
    // The exact engine's mean month agrees within 4 standard errors (100 requests a month).
    let text = text.replace("trials = 10\n", "trials = 2000\n");
    let s = scenario(&text);
    let r = simulate(&s, 2000, 5);
    let (m, se) = mean_se(&r.stacks[0].spend);
    assert_within_se("simulated month", m, se, 100.0 * hand, 4.0);
}

#[test]
fn thresholds_must_rise() {
    let model = MODEL.replace("above_input_tokens = 128000", "above_input_tokens = 32000");
    let text = one_step(10, 10, "", "input_tokens = 1000", &model, STACK);
    let err = match aicost::model::scenario::from_str("t.toml", &text) {
        Ok(_) => panic!("falling thresholds are invalid"),
        Err(e) => e.to_string(),
    };
    assert!(err.contains("thresholds must rise"), "{err}");
    assert!(err.contains("t.toml:"), "{err}");
    assert!(
        err.contains("model[m].long_context[1].above_input_tokens"),
        "{err}"
    );
}

fn import(dir: &std::path::Path) -> (std::path::PathBuf, String) {
    let out = dir.join("prices.json");
    let done = cargo_bin_cmd!("aicost")
        .env("AICOST_TODAY", "2026-11-23")
        .args([
            "prices",
            "import",
            "litellm",
            TIERED,
            "--release",
            "1.110.2",
        ])
        .args([
            "--release-date",
            "2026-11-20",
            "--checked",
            "2026-11-23",
            "--out",
        ])
        .arg(&out)
        .output()
        .unwrap();
    assert!(
        done.status.success(),
        "{}",
        String::from_utf8_lossy(&done.stderr)
    );
    (out, String::from_utf8_lossy(&done.stderr).into_owned())
}

#[test]
fn litellm_tiers_thresholds_compounds_and_aliases_import_and_bill_as_listed() {
    let dir = tempfile::tempdir().unwrap();
    let (out, summary) = import(dir.path());
    // 6 entries and 2 aliases imported; the alias to a missing entry is counted.
    assert!(
        summary.contains("imported 8 models; skipped 1"),
        "{summary}"
    );
    assert!(
        summary.contains("1 aliases whose target is not in the file"),
        "{summary}"
    );
    assert!(
        summary.contains("resolved 2 aliases (`alias_of`)"),
        "{summary}"
    );
    // Every key is mapped or listed: the uplift is listed, `tiered_pricing` is mapped.
    assert!(
        summary.contains("fedramp_uplift_multiplier: 1 entry"),
        "{summary}"
    );
    assert!(!summary.contains("tiered_pricing"), "{summary}");
    assert!(
        summary.contains("keys without a price, not imported:"),
        "{summary}"
    );
    let text = std::fs::read_to_string(&out).unwrap();
    let cat = Catalog::parse("prices.json", &text).unwrap();
    let imported = cat.file.imported.as_ref().unwrap();
    assert_eq!(imported.text(), "LiteLLM 1.110.2 of 2026-11-20");
    // Priced only through `tiered_pricing`: four ranges, three thresholds.
    let q = cat.lookup("dashscope/qwen3-coder-plus").unwrap().entry;
    assert_eq!(
        (q.input_usd_per_mtok, q.output_usd_per_mtok),
        (Some(1.0), Some(5.0))
    );
    let levels = &q.long_context.as_ref().unwrap().0;
    let got: Vec<(f64, f64, f64)> = levels
        .iter()
        .map(|l| {
            (
                l.above_input_tokens,
                l.input_usd_per_mtok,
                l.output_usd_per_mtok,
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            (32_000.0, 1.8, 9.0),
            (128_000.0, 3.0, 15.0),
            (256_000.0, 6.0, 60.0)
        ]
    );
    // Two `…_above_{N}k_tokens` thresholds, both kept.
    let k = cat.lookup("kyma/qwen3.7-flash").unwrap().entry;
    let th: Vec<f64> = k
        .long_context
        .as_ref()
        .unwrap()
        .0
        .iter()
        .map(|l| l.above_input_tokens)
        .collect();
    assert_eq!(th, [32_000.0, 256_000.0]);
    // The alias has its target's prices and says so.
    let alias = cat.lookup("azure_ai/gpt-5.5-latest").unwrap().entry;
    let target = cat.lookup("azure_ai/gpt-5.5").unwrap().entry;
    assert_eq!(alias.long_context, target.long_context);
    assert!(
        alias
            .imported_from
            .as_deref()
            .unwrap()
            .contains("alias of azure_ai/gpt-5.5")
    );

    // Billed through a scenario, with the real numbers (100 requests of one call).
    let bill = |model: &str, workflow: &str, step: &str| -> f64 {
        let text = format!(
            "catalog = \"prices.json\"\n{}",
            one_step(
                10,
                10,
                workflow,
                step,
                &format!("[[model]]\nname = \"{model}\""),
                &STACK.replace("model = \"m\"", &format!("model = \"{model}\""))
            )
        );
        let path = dir.path().join("s.toml");
        std::fs::write(&path, text).unwrap();
        let l = aicost::model::scenario::load(&path).unwrap();
        estimate(&l.scenario).stacks[0].monthly_usd
    };
    let step = "input_tokens = 300000\noutput_tokens = 1000";
    // qwen3-coder-plus above 256k: 100 × (300,000 × 6 + 1,000 × 60) / 10^6 = $186
    assert_cents(
        "tiered",
        bill("dashscope/qwen3-coder-plus", "", step),
        186.0,
    );
    // gpt-5.5 priority above 272k: 100 × (300,000 × 20 + 1,000 × 90) / 10^6 = $609
    assert_cents(
        "priority above 272k",
        bill(
            "azure_ai/gpt-5.5-latest",
            "service_tier = \"priority\"",
            step,
        ),
        609.0,
    );
    // Claude Sonnet 4.5 on Bedrock, a 250,000-token prefix written for an hour above 200k:
    // 100 × (250,000 × 12 + 1,000 × 6 + 1,000 × 22.5) / 10^6 = $302.85
    assert_cents(
        "one-hour write above 200k",
        bill(
            "anthropic.claude-sonnet-4-5-20250929-v1:0",
            "",
            "static_prefix_tokens = 250000\ncache_hit_rate = 0\ncache_ttl = \"1h\"\ninput_tokens = 1000\noutput_tokens = 1000",
        ),
        302.85,
    );
}

#[test]
fn the_release_shows_in_prices_show_and_in_a_briefs_assumptions() {
    let dir = tempfile::tempdir().unwrap();
    let (out, _) = import(dir.path());
    cargo_bin_cmd!("aicost")
        .env("AICOST_TODAY", "2026-11-23")
        .args(["prices", "show", "dashscope/qwen3-coder-plus", "--catalog"])
        .arg(&out)
        .assert()
        .success()
        .stdout(contains("imported from LiteLLM 1.110.2 of 2026-11-20"))
        .stdout(contains("above 256000 input tokens: input 6, output 60"));
    let text = format!(
        "catalog = \"prices.json\"\n{}",
        one_step(
            10,
            10,
            "",
            "input_tokens = 1000\noutput_tokens = 100",
            "[[model]]\nname = \"kyma/qwen3.7-flash\"",
            &STACK.replace("model = \"m\"", "model = \"kyma/qwen3.7-flash\"")
        )
    );
    std::fs::write(dir.path().join("s.toml"), text).unwrap();
    cargo_bin_cmd!("aicost")
        .env("AICOST_TODAY", "2026-11-23")
        .current_dir(dir.path())
        .args([
            "simulate", "s.toml", "--trials", "20", "--format", "markdown",
        ])
        .assert()
        .success()
        .stdout(contains("imported from LiteLLM 1.110.2 of 2026-11-20"));
}

/// docs/prices.md's `levels.toml` runs as written, at the figure the guide gives ($60.60), and
/// its priority and one-hour prices are the ones the guide lists.
#[test]
fn the_levels_guide_runs_as_written() {
    let doc =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/prices.md")).unwrap();
    let block = doc
        .split("```toml levels.toml\n")
        .nth(1)
        .and_then(|rest| rest.split("```").next())
        .expect("docs/prices.md has the levels.toml example");
    assert!(doc.contains("so $60.60 a month"));
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("levels.toml"), block).unwrap();
    let out = cargo_bin_cmd!("aicost")
        .current_dir(dir.path())
        .args(["estimate", "levels.toml", "--format", "json"])
        .output()
        .unwrap();
    let v = success_json(&out);
    let total = v["stacks"][0]["monthly_usd"].as_f64().unwrap();
    assert_cents("the guide's month", total, 60.60);
}
