//! Today's pricing surface, each class checked against hand arithmetic (deterministic scenarios:
//! every trial and `estimate` must equal the written-out sum to the cent).

mod common;

use aicost::analysis::report::Report;
use aicost::sim::estimate::estimate;
use common::*;

/// A model with every kind of price. 100 requests per month in every test below.
const MODEL: &str = r#"
[[model]]
name = "m"
input_usd_per_mtok = 2
output_usd_per_mtok = 8
cached_input_usd_per_mtok = 0.5
cache_write_usd_per_mtok = 2.5
cache_write_1h_usd_per_mtok = 4
min_cacheable_tokens = 1024
image_input_usd_per_mtok = 3
audio_input_usd_per_mtok = 40
audio_output_usd_per_mtok = 80
long_context = { above_input_tokens = 128000, input_usd_per_mtok = 4, output_usd_per_mtok = 12 }
priority = { input_usd_per_mtok = 3.5, output_usd_per_mtok = 14, cached_input_usd_per_mtok = 0.875 }
flex = { input_usd_per_mtok = 1, output_usd_per_mtok = 4, cached_input_usd_per_mtok = 0.25, unavailable_rate = 0 }
"#;

const STACK: &str = r#"
[[stack]]
name = "only"
[stack.route.r]
chain = [{ model = "m" }]
"#;

fn scenario_text(workflow_keys: &str, step: &str, model: &str, stack: &str) -> String {
    one_step(10, 10, workflow_keys, step, model, stack)
}

/// Every trial and the estimate equal `expected`; returns the report of the simulation.
fn check(text: &str, expected: f64) -> Report {
    let s = scenario(text);
    assert!(s.is_deterministic(), "the scenario should be deterministic");
    let r = simulate(&s, 3, 1);
    for spend in &r.stacks[0].spend {
        assert_cents("simulated month", *spend, expected);
    }
    let e = estimate(&s);
    assert!(e.approximations.is_empty(), "{:?}", e.approximations);
    assert_cents("estimate", e.stacks[0].monthly_usd, expected);
    // The estimate's breakdown and the simulated one agree class by class.
    let rep = Report::new(&s, &r);
    let sim = rep.stacks[0].cost_breakdown_usd.to_array();
    let est = e.stacks[0].by_class_usd.to_array();
    for (k, name) in aicost::billing::classes::CostBreakdown::NAMES
        .iter()
        .enumerate()
    {
        assert_cents(name, sim[k], est[k]);
    }
    assert_cents(
        "breakdown total",
        rep.stacks[0].cost_breakdown_usd.total(),
        expected,
    );
    rep
}

#[test]
fn reasoning_tokens_are_billed_at_the_output_price_by_default() {
    // 100 × (1,000 × 2 + 300 × 8 + 2,000 × 8) / 10^6 = 100 × 0.0204 = $2.04.
    let rep = check(
        &scenario_text(
            "",
            "input_tokens = 1000\noutput_tokens = 300\nreasoning_tokens = 2000",
            MODEL,
            STACK,
        ),
        2.04,
    );
    assert_eq!(rep.stacks[0].tokens.reasoning, 200_000.0);
    assert_cents(
        "reasoning class",
        rep.stacks[0].cost_breakdown_usd.reasoning,
        1.60,
    );
}

#[test]
fn the_thinking_budget_caps_reasoning_and_an_explicit_price_applies() {
    // Capped at 1,500 and billed at $6: 100 × (1,000 × 2 + 300 × 8 + 1,500 × 6) / 10^6 = $1.34.
    let model = MODEL.replace(
        "audio_input_usd_per_mtok = 40",
        "audio_input_usd_per_mtok = 40\nreasoning_usd_per_mtok = 6",
    );
    check(
        &scenario_text(
            "",
            "input_tokens = 1000\noutput_tokens = 300\nreasoning_tokens = 2000\nmax_reasoning_tokens = 1500",
            &model,
            STACK,
        ),
        1.34,
    );
}

#[test]
fn priority_tier_prices_apply_to_every_token() {
    // Prefix 2,000 cached at 0.875, 1,000 input at 3.5, 300 output + 500 reasoning at 14:
    // 100 × (1,750 + 3,500 + 11,200) / 10^6 = $1.645.
    let step = "static_prefix_tokens = 2000\ncache_hit_rate = 1\ninput_tokens = 1000\noutput_tokens = 300\nreasoning_tokens = 500";
    check(
        &scenario_text("service_tier = \"priority\"", step, MODEL, STACK),
        1.645,
    );
}

#[test]
fn flex_tier_prices_and_a_refusal_rate_of_one() {
    // Flex: 100 × (1,000 × 1 + 300 × 4) / 10^6 = $0.22.
    let step = "input_tokens = 1000\noutput_tokens = 300";
    let rep = check(
        &scenario_text("service_tier = \"flex\"", step, MODEL, STACK),
        0.22,
    );
    assert_eq!(rep.stacks[0].flex_refused_share, Some(0.0));
    // Every flex call refused: billed nothing at flex and re-sent at standard,
    // 100 × (1,000 × 2 + 300 × 8) / 10^6 = $0.44.
    let always_refused = MODEL.replace("unavailable_rate = 0", "unavailable_rate = 1");
    let rep = check(
        &scenario_text("service_tier = \"flex\"", step, &always_refused, STACK),
        0.44,
    );
    assert_eq!(rep.stacks[0].flex_refused_share, Some(1.0));
}

#[test]
fn a_one_hour_cache_write_costs_the_one_hour_price() {
    // 100 × (4,000 × 4 + 1,000 × 2) / 10^6 = $1.80 (the 5-minute write would be $1.20).
    let step =
        "static_prefix_tokens = 4000\ncache_hit_rate = 0\ncache_ttl = \"1h\"\ninput_tokens = 1000";
    check(&scenario_text("", step, MODEL, STACK), 1.80);
    let step = "static_prefix_tokens = 4000\ncache_hit_rate = 0\ninput_tokens = 1000";
    check(&scenario_text("", step, MODEL, STACK), 1.20);
}

#[test]
fn images_priced_per_token_and_per_image() {
    // 3 images × 800 tokens at $3: 100 × (2,400 × 3 + 500 × 2) / 10^6 = $0.82.
    let step = "input_tokens = 500\nimages = { count = 3, tokens_per_image = 800 }";
    let rep = check(&scenario_text("", step, MODEL, STACK), 0.82);
    assert_eq!(rep.stacks[0].tokens.image, 240_000.0);
    // With $0.002 per image instead: 100 × (3 × 0.002 + 500 × 2 / 10^6) = $0.70.
    let per_image = MODEL.replace(
        "image_input_usd_per_mtok = 3",
        "input_usd_per_image = 0.002",
    );
    check(&scenario_text("", step, &per_image, STACK), 0.70);
}

#[test]
fn an_audio_call() {
    // 100 × (2,000 × 40 + 600 × 80 + 100 × 2 + 50 × 8) / 10^6 = 100 × 0.1286 = $12.86.
    let step = "input_tokens = 100\noutput_tokens = 50\naudio_input_tokens = 2000\naudio_output_tokens = 600";
    let rep = check(&scenario_text("", step, MODEL, STACK), 12.86);
    assert_cents("audio class", rep.stacks[0].cost_breakdown_usd.audio, 12.80);
}

#[test]
fn tool_fees_are_billed_on_every_attempt() {
    // Two attempts (the first always fails validation), 3 web searches each at $0.01 and 1 fetch
    // at $0.002: tools 100 × 2 × 0.032 = $6.40, tokens 100 × 2 × (1,000 × 2) / 10^6 = $0.40.
    let stack = r#"
[[stack]]
name = "retrying"
[stack.route.r]
chain = [{ model = "m", validation_failure_rate = 1, max_attempts = 2 }]
"#;
    let step = r#"input_tokens = 1000
tool_calls = [
  { name = "web_search", count = 3, usd_per_call = 0.01 },
  { name = "fetch", count = 1, usd_per_call = 0.002 },
]"#;
    let rep = check(&scenario_text("", step, MODEL, stack), 6.80);
    let tools = &rep.stacks[0].tool_fees;
    assert_eq!(tools[0].name, "web_search");
    assert_eq!(tools[0].calls_per_month, 600.0);
    assert_cents("web search fees", tools[0].monthly_usd, 6.00);
    assert_cents(
        "tool class",
        rep.stacks[0].cost_breakdown_usd.tool_fees,
        6.40,
    );
}

#[test]
fn image_tokens_alone_push_a_call_over_the_long_context_threshold() {
    // 100,000 text + 30 × 1,000 image tokens = 130,000 > 128,000: every token at long-context
    // rates, images scaled like input (3 × 4/2 = 6):
    // 100 × (100,000 × 4 + 30,000 × 6 + 1,000 × 12) / 10^6 = $59.20.
    let step = "input_tokens = 100000\nimages = { count = 30, tokens_per_image = 1000 }\noutput_tokens = 1000";
    check(&scenario_text("", step, MODEL, STACK), 59.20);
    // Without the images the call stays below: 100 × (100,000 × 2 + 1,000 × 8) / 10^6 = $20.80.
    check(
        &scenario_text(
            "",
            "input_tokens = 100000\noutput_tokens = 1000",
            MODEL,
            STACK,
        ),
        20.80,
    );
}

#[test]
fn the_breakdown_sums_to_the_total_in_every_shipped_scenario() {
    for entry in std::fs::read_dir("scenarios").unwrap() {
        let path = entry.unwrap().path();
        let s = aicost::model::scenario::load(&path).unwrap().scenario;
        let rep = Report::new(&s, &simulate(&s, 2, 3));
        for st in &rep.stacks {
            let total = st.cost_breakdown_usd.total();
            let mean = st.monthly_spend_usd.mean;
            assert!(
                (total - mean).abs() <= 1e-9 * mean.max(1.0),
                "{}: {}: breakdown {total} vs mean {mean}",
                path.display(),
                st.name
            );
        }
    }
}

fn invalid(text: &str) -> String {
    match aicost::model::scenario::from_str("t.toml", text) {
        Ok(_) => panic!("should be invalid"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn tier_cache_and_audio_requirements_are_validated() {
    let err = invalid(&scenario_text(
        "path = \"batch\"\nservice_tier = \"priority\"",
        "input_tokens = 1",
        MODEL,
        STACK,
    ));
    assert!(
        err.contains("a batch workflow cannot use the `priority` service tier"),
        "{err}"
    );

    let no_priority = MODEL.replace(
        "priority = { input_usd_per_mtok = 3.5, output_usd_per_mtok = 14, cached_input_usd_per_mtok = 0.875 }",
        "priority = { input_usd_per_mtok = 3.5, output_usd_per_mtok = 14 }",
    );
    let err = invalid(&scenario_text(
        "service_tier = \"priority\"",
        "input_tokens = 1",
        &no_priority,
        STACK,
    ));
    assert!(
        err.contains("uses the `priority` service tier, but model `m` has no priority `cached_input_usd_per_mtok`")
            && err.contains("t.toml:"),
        "{err}"
    );

    let no_1h = MODEL.replace("cache_write_1h_usd_per_mtok = 4\n", "");
    let err = invalid(&scenario_text(
        "",
        "static_prefix_tokens = 2000\ncache_ttl = \"1h\"",
        &no_1h,
        STACK,
    ));
    assert!(
        err.contains("step `call` asks for a one-hour cache, but model `m` has no `cache_write_1h_usd_per_mtok`"),
        "{err}"
    );

    let no_audio = MODEL.replace("audio_output_usd_per_mtok = 80\n", "");
    let err = invalid(&scenario_text(
        "",
        "audio_output_tokens = 100",
        &no_audio,
        STACK,
    ));
    assert!(
        err.contains("sends audio_output tokens, but model `m` has no `audio_output_usd_per_mtok`"),
        "{err}"
    );

    let err = invalid(&scenario_text(
        "",
        "input_tokens = 1\ncache_ttl = \"2h\"",
        MODEL,
        STACK,
    ));
    assert!(err.contains("unknown value `2h`"), "{err}");
}

#[test]
fn stochastic_reasoning_flex_and_tools_match_the_estimate_within_4_standard_errors() {
    // Heavy-tailed reasoning with a budget, 30% flex refusals, Poisson tool calls and images.
    let model = MODEL.replace("unavailable_rate = 0", "unavailable_rate = 0.3");
    let step = r#"input_tokens = { p50 = 800, p95 = 3000 }
output_tokens = { p50 = 300, p95 = 900 }
reasoning_tokens = { p50 = 1500, p95 = 12000 }
max_reasoning_tokens = 8000
images = { count = { dist = "poisson", mean = 1.5 }, tokens_per_image = 700 }
tool_calls = [{ name = "web_search", count = { dist = "poisson", mean = 2 }, usd_per_call = 0.01 }]"#;
    let s = scenario(&one_step(
        1,
        400,
        "service_tier = \"flex\"",
        step,
        &model,
        STACK,
    ));
    let r = simulate(&s, 3000, 77);
    let (mean, se) = mean_se(&r.stacks[0].spend);
    let e = estimate(&s);
    assert!(e.approximations.is_empty(), "{:?}", e.approximations);
    assert_within_se("monthly spend", mean, se, e.stacks[0].monthly_usd, 4.0);
    let rep = Report::new(&s, &r);
    let share = rep.stacks[0].flex_refused_share.unwrap();
    let n = r.stacks[0].calls;
    assert_within_se("refused share", share, (0.3 * 0.7 / n).sqrt(), 0.3, 4.0);
}

/// Poisson(4) chunks of 251, 502 or 1,506 tokens (equally likely), on a model whose every token
/// costs $1 per million up to 4,000 input tokens and $2 above: the expectation is exact.
const CHUNKS: &str = r#"
name = "chunks"
[simulation]
trials = 400
[[segment]]
name = "s"
users = 1000
sessions_per_user_per_month = 10
[[workflow]]
name = "w"
[[workflow.step]]
name = "answer"
route = "r"
retrieval = { chunks = { dist = "poisson", mean = 4 }, chunk_tokens = { dist = "empirical", values = [251, 502, 1506] } }
[[model]]
name = "m"
input_usd_per_mtok = 1
output_usd_per_mtok = 1
long_context = { above_input_tokens = 4000, input_usd_per_mtok = 2, output_usd_per_mtok = 2 }
[[stack]]
name = "plan"
[stack.route.r]
chain = [{ model = "m" }]
"#;

#[test]
fn random_chunks_of_random_size_near_a_threshold_are_priced_exactly() {
    // E[C·T] = 4 × (251 + 502 + 1,506) / 3 = 3,012 tokens, all at $1; those of prompts above
    // 4,000 tokens pay another $1. C·T > 4,000 takes C ≥ 16 chunks of 251, C ≥ 8 of 502 or
    // C ≥ 3 of 1,506, and E[C·1{C ≥ n}] = λ·P(C ≥ n − 1) for a Poisson(λ):
    //   E[C·T; C·T > 4,000] = (251·4·P(C ≥ 15) + 502·4·P(C ≥ 7) + 1,506·4·P(C ≥ 2)) / 3.
    let pmf =
        |k: u32| (-4.0f64).exp() * 4f64.powi(k as i32) / (1..=k).map(f64::from).product::<f64>();
    let at_least = |n: u32| 1.0 - (0..n).map(pmf).sum::<f64>();
    let above =
        (251.0 * 4.0 * at_least(15) + 502.0 * 4.0 * at_least(7) + 1506.0 * 4.0 * at_least(2)) / 3.0;
    let hand = (3012.0 + above) / 1e6;
    assert!((hand - 0.004_910_195).abs() < 1e-9, "{hand}");
    let s = scenario(CHUNKS);
    let e = estimate(&s);
    let per_request = e.stacks[0].workflows[0].cost_per_request_usd;
    assert!(
        (per_request - hand).abs() < 1e-12 * hand,
        "{per_request} vs {hand}"
    );
    assert!(e.approximations.is_empty(), "{:?}", e.approximations);
    // Share of calls at long-context prices: (P(C ≥ 16) + P(C ≥ 8) + P(C ≥ 3)) / 3.
    let share = (at_least(16) + at_least(8) + at_least(3)) / 3.0;
    let lc = e.stacks[0].workflows[0].steps[0].links[0].long_context_share;
    assert!((lc - share).abs() < 1e-12, "{lc} vs {share}");
    // The exact engine draws every request: its mean month agrees within 4 standard errors.
    let r = common::simulate(&s, 400, 21);
    let month = &Report::new(&s, &r).stacks[0];
    common::assert_within_se(
        "simulated month",
        month.monthly_spend_usd.mean,
        month.mean_standard_error_usd,
        10_000.0 * hand,
        4.0,
    );
}

#[test]
fn continuous_chunk_counts_and_sizes_keep_an_exact_mean_and_say_what_is_approximate() {
    let text = CHUNKS.replace(
        r#"retrieval = { chunks = { dist = "poisson", mean = 4 }, chunk_tokens = { dist = "empirical", values = [251, 502, 1506] } }"#,
        r#"retrieval = { chunks = { dist = "gamma", mean = 4, cv = 0.5 }, chunk_tokens = { p50 = 600, p95 = 1500 } }"#,
    );
    let s = scenario(&text);
    let e = estimate(&s);
    assert_eq!(
        e.approximations,
        [
            "random chunk count and chunk size, both continuous, near a long-context threshold or an input window: the count is integrated over 128 equally likely slices (two values each, keeping its mean and variance)"
        ]
    );
    // Mean and variance of the product are exact whatever the shape: E[CT] = E[C]·E[T] and
    // E[(CT)²] = E[C²]·E[T²].
    let r = s.workflows[0].steps[0].retrieval.as_ref().unwrap();
    let (d, exact) = aicost::model::dist::Dist::product(&r.chunks, &r.chunk_tokens);
    assert!(!exact);
    let m = r.chunks.mean() * r.chunk_tokens.mean();
    let m2 = r.chunks.second_moment() * r.chunk_tokens.second_moment();
    assert!((d.mean() - m).abs() < 1e-9 * m);
    assert!((d.second_moment() - m2).abs() < 1e-9 * m2);
    // And the estimate agrees with the exact engine's month within 4 standard errors.
    let sim = common::simulate(&s, 400, 22);
    let month = &Report::new(&s, &sim).stacks[0];
    common::assert_within_se(
        "simulated month",
        month.monthly_spend_usd.mean,
        month.mean_standard_error_usd,
        e.stacks[0].monthly_usd,
        4.0,
    );
}

#[test]
fn a_tool_named_like_a_token_line_is_billed_as_a_tool() {
    // A tool called `input` is a fee, not input tokens: two attempts of 1,000 input tokens at
    // $2/Mtok and 3 calls at $0.01, 100 requests: tokens $0.40, tools $6.00. `check` compares the
    // estimate with the simulation class by class.
    let stack = r#"
[[stack]]
name = "retrying"
[stack.route.r]
chain = [{ model = "m", validation_failure_rate = 1, max_attempts = 2 }]
"#;
    let step = r#"input_tokens = 1000
tool_calls = [{ name = "input", count = 3, usd_per_call = 0.01 }]"#;
    let rep = check(&scenario_text("", step, MODEL, stack), 6.40);
    assert_cents("input class", rep.stacks[0].cost_breakdown_usd.input, 0.40);
    assert_cents(
        "tool class",
        rep.stacks[0].cost_breakdown_usd.tool_fees,
        6.00,
    );
    let e = estimate(&scenario(&scenario_text("", step, MODEL, stack)));
    assert_cents(
        "estimated tool class",
        e.stacks[0].by_class_usd.tool_fees,
        6.00,
    );
}

#[test]
fn a_call_that_errors_bills_its_input_not_a_tool_named_audio_input() {
    // Every call fails at the provider and is billed its input only: 100 requests × 2 attempts ×
    // 1,000 tokens at $2/Mtok = $0.40; the tool it would have called, whatever its name, is not
    // billed.
    let stack = r#"
[[stack]]
name = "failing"
[stack.route.r]
chain = [{ model = "m", provider_error_rate = 1, max_attempts = 2, error_billing = "input" }]
"#;
    let step = r#"input_tokens = 1000
tool_calls = [{ name = "audio input", count = 3, usd_per_call = 0.01 }]"#;
    let rep = check(&scenario_text("", step, MODEL, stack), 0.40);
    assert_cents(
        "tool class",
        rep.stacks[0].cost_breakdown_usd.tool_fees,
        0.0,
    );
}

/// A Poisson(2) count of fixed 1,000-token chunks after a fixed 1,000-token input, on a model
/// whose input costs $1 per million up to 3,000 tokens and $2 above: prompts of three chunks or
/// more (4,000 tokens and up) pay long-context prices. Taken at its mean (2 chunks, 3,000 tokens)
/// the count never crossed the threshold; summed over its values it is exact:
/// `(E[1,000 + 1,000·C] + E[(1,000 + 1,000·C)·1{C ≥ 3}]) / 10⁶`, with `E[C·1{C ≥ 3}] = 2·P(C ≥ 2)`.
#[test]
fn a_poisson_count_of_fixed_size_chunks_crosses_a_long_context_threshold_as_often_as_it_does() {
    let text = CHUNKS
        .replace(
            r#"retrieval = { chunks = { dist = "poisson", mean = 4 }, chunk_tokens = { dist = "empirical", values = [251, 502, 1506] } }"#,
            "input_tokens = 1000\nretrieval = { chunks = { dist = \"poisson\", mean = 2 }, chunk_tokens = 1000 }",
        )
        .replace("above_input_tokens = 4000", "above_input_tokens = 3000");
    let at_least = |n: i32| {
        1.0 - (0..n)
            .map(|k| (-2.0f64).exp() * 2f64.powi(k) / (1..=k).map(f64::from).product::<f64>())
            .sum::<f64>()
    };
    let hand = (3000.0 + 1000.0 * at_least(3) + 2000.0 * at_least(2)) / 1e6;
    assert!((hand - 0.004_511_311_884_5).abs() < 1e-12, "{hand}");
    let s = scenario(&text);
    let e = estimate(&s);
    assert!(e.approximations.is_empty(), "{:?}", e.approximations);
    let per_request = e.stacks[0].workflows[0].cost_per_request_usd;
    assert!(
        (per_request - hand).abs() < 1e-12 * hand,
        "{per_request} vs {hand}"
    );
    let lc = e.stacks[0].workflows[0].steps[0].links[0].long_context_share;
    assert!((lc - at_least(3)).abs() < 1e-12, "{lc}");
    // Another random part (a lognormal input) besides the count: the count is summed over its
    // values, the input integrated exactly, so nothing is approximated; the exact engine's
    // month agrees within 4 standard errors.
    let text = text.replace(
        "input_tokens = 1000",
        "input_tokens = { p50 = 800, p95 = 2500 }",
    );
    let s = scenario(&text);
    let e = estimate(&s);
    assert!(e.approximations.is_empty(), "{:?}", e.approximations);
    let r = common::simulate(&s, 400, 23);
    let month = &Report::new(&s, &r).stacks[0];
    common::assert_within_se(
        "simulated month",
        month.monthly_spend_usd.mean,
        month.mean_standard_error_usd,
        10_000.0 * e.stacks[0].workflows[0].cost_per_request_usd,
        4.0,
    );
}

/// `price_multiplier` scales every price of the provider's models: each hand-checked figure
/// above, at 1.5 times the prices, is 1.5 times the figure, at every tier and long-context level
/// and for reasoning, images, audio and one-hour writes; tool fees are no model's price and stay.
#[test]
fn a_provider_price_multiplier_scales_every_price_of_its_models() {
    let model = MODEL.replace("name = \"m\"\n", "name = \"m\"\nprovider = \"acme\"\n");
    let per_image = model.replace(
        "image_input_usd_per_mtok = 3",
        "input_usd_per_image = 0.002",
    );
    let times = |workflow: &str, step: &str, model: &str, stack: &str, expected: f64| {
        let text = format!(
            "{}\n[price_multiplier]\nacme = 1.5\n",
            scenario_text(workflow, step, model, stack)
        );
        check(&text, expected);
    };
    // Reasoning at the output price: 1.5 × $2.04.
    let reasoning = "input_tokens = 1000\noutput_tokens = 300\nreasoning_tokens = 2000";
    times("", reasoning, &model, STACK, 3.06);
    // Priority: 1.5 × $1.645; flex: 1.5 × $0.22.
    let priority = "static_prefix_tokens = 2000\ncache_hit_rate = 1\ninput_tokens = 1000\noutput_tokens = 300\nreasoning_tokens = 500";
    times(
        "service_tier = \"priority\"",
        priority,
        &model,
        STACK,
        2.4675,
    );
    let plain = "input_tokens = 1000\noutput_tokens = 300";
    times("service_tier = \"flex\"", plain, &model, STACK, 0.33);
    // One-hour cache writes: 1.5 × $1.80.
    let one_hour =
        "static_prefix_tokens = 4000\ncache_hit_rate = 0\ncache_ttl = \"1h\"\ninput_tokens = 1000";
    times("", one_hour, &model, STACK, 2.70);
    // Images per token, 1.5 × $0.82, and per image, 1.5 × $0.70.
    let images = "input_tokens = 500\nimages = { count = 3, tokens_per_image = 800 }";
    times("", images, &model, STACK, 1.23);
    times("", images, &per_image, STACK, 1.05);
    // Audio: 1.5 × $12.86.
    let audio = "input_tokens = 100\noutput_tokens = 50\naudio_input_tokens = 2000\naudio_output_tokens = 600";
    times("", audio, &model, STACK, 19.29);
    // Above the long-context threshold: 1.5 × $59.20.
    let long = "input_tokens = 100000\nimages = { count = 30, tokens_per_image = 1000 }\noutput_tokens = 1000";
    times("", long, &model, STACK, 88.80);
    // Tool fees stay $6.40; the tokens of two attempts go from $0.40 to $0.60.
    let retrying = "\n[[stack]]\nname = \"retrying\"\n[stack.route.r]\nchain = [{ model = \"m\", validation_failure_rate = 1, max_attempts = 2 }]\n";
    let tools = "input_tokens = 1000\ntool_calls = [{ name = \"web_search\", count = 3, usd_per_call = 0.01 }, { name = \"fetch\", count = 1, usd_per_call = 0.002 }]";
    times("", tools, &model, retrying, 7.00);
}

/// A model whose prices all come from the built-in catalog (its `[[model]]` names it and
/// nothing else) is scaled as well: twice its provider's prices, twice the month.
#[test]
fn a_price_multiplier_scales_a_model_priced_from_the_catalog() {
    let stack =
        "\n[[stack]]\nname = \"c\"\n[stack.route.r]\nchain = [{ model = \"gpt-4o-mini\" }]\n";
    let step = "input_tokens = 50000\noutput_tokens = 5000";
    let model = "[[model]]\nname = \"gpt-4o-mini\"\n";
    let base = scenario(&scenario_text("", step, model, stack));
    assert_eq!(base.models[0].provider, "openai");
    let once = aicost::sim::estimate::estimate(&base).stacks[0].monthly_usd;
    // 100 × (50,000 × input + 5,000 × output) / 10^6 at the catalog's prices.
    let m = &base.models[0];
    assert_cents(
        "catalog prices",
        once,
        100.0 * (50_000.0 * m.prices.input.mean() + 5_000.0 * m.prices.output.mean()) / 1e6,
    );
    let text = format!(
        "{}\n[price_multiplier]\nopenai = 2\n",
        scenario_text("", step, model, stack)
    );
    check(&text, 2.0 * once);
}
