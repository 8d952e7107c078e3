//! The request-cost moments used by the fast engine, against requests simulated one by one:
//! the mean equals the estimate's to rounding, and the second moment lies within 4 standard
//! errors of the sample second moment of 300,000 simulated requests (fixed seeds).

mod common;

use aicost::model::Param;
use aicost::sim::engine::draw::TrialDraw;
use aicost::sim::engine::exact::Plan;
use aicost::sim::estimate::request_expectation;
use aicost::sim::moments::request_moments;
use common::*;

const N: usize = 300_000;

fn check(name: &str, text: &str) {
    let s = scenario(text);
    // The moments are the fast engine's: checked where it models the scenario.
    assert_eq!(aicost::sim::engine::fast::unsupported(&s), None, "{name}");
    let plan = Plan::new(&s, 1);
    let at_means = TrialDraw::with(&s, 99, &|p: &Param| p.mean());
    for w in 0..s.workflows.len() {
        let samples = plan.sample_requests(&at_means, w, N, 7 + w as u64);
        for (k, stack) in s.stacks.iter().enumerate() {
            let m = request_moments(&s, k, w, &|p| p.mean());
            let e = request_expectation(&s, k, w, &|p| p.mean());

            assert!(
                (m.mean - e.cost).abs() <= 1e-9 * e.cost.max(1e-12),
                "{name}/{}: moments mean {} vs estimate {}",
                stack.name,
                m.mean,
                e.cost
            );
            let costs: Vec<f64> = samples[k].iter().map(|(c, _)| *c).collect();
            let (mean, se) = mean_se(&costs);
            assert_within_se(
                &format!("{name}/{}: mean", stack.name),
                mean,
                se,
                m.mean,
                4.0,
            );
            let squares: Vec<f64> = costs.iter().map(|c| c * c).collect();
            let (sq, sq_se) = mean_se(&squares);
            assert_within_se(
                &format!("{name}/{}: second moment", stack.name),
                sq,
                sq_se,
                m.second,
                4.0,
            );
        }
    }
}

fn text(workflow: &str, step: &str, models: &str, stacks: &str) -> String {
    format!(
        "name = \"m\"\n[[segment]]\nname = \"s\"\nusers = 10\nsessions_per_user_per_day = 1\n[[workflow]]\nname = \"w\"\n{workflow}\n[[workflow.step]]\nname = \"a\"\nroute = \"r\"\n{step}\n{models}\n{stacks}"
    )
}

const MODELS: &str = r#"
[[model]]
name = "small"
input_usd_per_mtok = 0.4
output_usd_per_mtok = 1.6
cached_input_usd_per_mtok = 0.1
cache_write_usd_per_mtok = 0.5
min_cacheable_tokens = 1024
[[model]]
name = "large"
input_usd_per_mtok = 3
output_usd_per_mtok = 15
cached_input_usd_per_mtok = 0.3
cache_write_usd_per_mtok = 3.75
min_cacheable_tokens = 2048
long_context = { above_input_tokens = 4000, input_usd_per_mtok = 6, output_usd_per_mtok = 22.5 }
flex = { input_usd_per_mtok = 1.5, output_usd_per_mtok = 7.5, cached_input_usd_per_mtok = 0.15, unavailable_rate = 0.3 }
"#;

const CHAIN: &str = r#"
[[stack]]
name = "chain"
[stack.route.r]
chain = [
  { model = "small", validation_failure_rate = 0.3, max_attempts = 3, escalation_rate = 0.1, provider_error_rate = 0.1, error_billing = "input" },
  { model = "large", validation_failure_rate = 0.2, max_attempts = 2, provider_error_rate = 0.05 },
]
[[stack]]
name = "large"
[stack.route.r]
chain = [{ model = "large", validation_failure_rate = 0.1, max_attempts = 2 }]
"#;

#[test]
fn retries_errors_escalation_and_cache() {
    let step = "static_prefix_tokens = 3000\ninput_tokens = { p50 = 800, p95 = 2400 }\noutput_tokens = { p50 = 200, p95 = 800 }\nmax_output_tokens = 900\ncache_hit_rate = 0.6";
    check("chain", &text("", step, MODELS, CHAIN));
}

#[test]
fn random_prefix_across_cache_minimums() {
    // (Without a long-context tier: two random prompt parts near a threshold are left to the
    // exact engine.)
    let step = "static_prefix_tokens = { dist = \"uniform\", min = 500, max = 3000 }\ninput_tokens = { p50 = 300, p95 = 900 }\noutput_tokens = 100\ncache_hit_rate = 0.5";
    let models = MODELS.replace(
        "long_context = { above_input_tokens = 4000, input_usd_per_mtok = 6, output_usd_per_mtok = 22.5 }\n",
        "",
    );
    check("prefix", &text("", step, &models, CHAIN));
}

#[test]
fn one_random_part_across_a_long_context_threshold() {
    let step = "static_prefix_tokens = 1500\ninput_tokens = { p50 = 2000, p95 = 6000 }\noutput_tokens = { p50 = 150, p95 = 400 }\ncache_hit_rate = 0.7";
    check("long context", &text("", step, MODELS, CHAIN));
}

#[test]
fn one_random_part_across_several_long_context_thresholds() {
    // Three levels, with listed flex prices at the top one: the fast engine's moments, the
    // estimate and sampled requests agree.
    let models = MODELS.replace(
        "long_context = { above_input_tokens = 4000, input_usd_per_mtok = 6, output_usd_per_mtok = 22.5 }",
        r#"long_context = [
  { above_input_tokens = 3000, input_usd_per_mtok = 4.5, output_usd_per_mtok = 18 },
  { above_input_tokens = 4000, input_usd_per_mtok = 6, output_usd_per_mtok = 22.5 },
  { above_input_tokens = 6000, input_usd_per_mtok = 9, output_usd_per_mtok = 30, flex = { input_usd_per_mtok = 2, output_usd_per_mtok = 9 } },
]"#,
    );
    let step = "static_prefix_tokens = 1500\ninput_tokens = { p50 = 2500, p95 = 9000 }\noutput_tokens = { p50 = 150, p95 = 400 }\ncache_hit_rate = 0.7";
    check("levels", &text("", step, &models, CHAIN));
    let large = "[[stack]]\nname = \"large\"\n[stack.route.r]\nchain = [{ model = \"large\", validation_failure_rate = 0.1, max_attempts = 2 }]";
    check(
        "levels, flex",
        &text("service_tier = \"flex\"", step, &models, large),
    );
}

#[test]
fn flex_tools_reasoning_images_audio_and_semantic_cache() {
    // Without the long-context tier: the prompt's input and its Poisson count of images are two
    // random parts, and where they can cross a threshold together the fast engine declines the
    // scenario, so its moments are never asked for there (the estimate sums the count over its
    // values, exactly; the moments would take it at its mean for the threshold).
    let models = MODELS.replace(
        "long_context = { above_input_tokens = 4000, input_usd_per_mtok = 6, output_usd_per_mtok = 22.5 }\n",
        "",
    );
    let models = models.replace(
        "min_cacheable_tokens = 2048",
        "min_cacheable_tokens = 2048\naudio_input_usd_per_mtok = 40\naudio_output_usd_per_mtok = 80",
    )
    .replace("min_cacheable_tokens = 1024", "min_cacheable_tokens = 1024\naudio_input_usd_per_mtok = 10\naudio_output_usd_per_mtok = 20\ninput_usd_per_image = 0.001");
    let step = r#"input_tokens = { p50 = 500, p95 = 1500 }
output_tokens = { p50 = 150, p95 = 400 }
reasoning_tokens = { p50 = 500, p95 = 4000 }
max_reasoning_tokens = 3000
images = { count = { dist = "poisson", mean = 1 }, tokens_per_image = 300 }
audio_output_tokens = { dist = "gamma", mean = 200, cv = 0.5 }
tool_calls = [{ name = "search", count = { dist = "poisson", mean = 2 }, usd_per_call = 0.01 }]
aux_usd_per_request = 0.0005"#;
    let workflow = "service_tier = \"flex\"\nsemantic_cache_hit_rate = 0.2\nsemantic_cache_usd_per_lookup = 0.0001";
    let models = models.replace(
        "[[model]]\nname = \"small\"",
        "[[model]]\nname = \"small\"\nflex = { input_usd_per_mtok = 0.2, output_usd_per_mtok = 0.8, cached_input_usd_per_mtok = 0.05, unavailable_rate = 0.5 }",
    );
    check("surface", &text(workflow, step, &models, CHAIN));
}

#[test]
fn two_steps_with_batch_discount() {
    let t = format!(
        "{}\n[[workflow.step]]\nname = \"b\"\nroute = \"r\"\ninput_tokens = {{ p50 = 400, p95 = 1000 }}\noutput_tokens = 300\n",
        text(
            "path = \"batch\"",
            "input_tokens = 700\noutput_tokens = { p50 = 100, p95 = 300 }",
            &MODELS.replace(
                "min_cacheable_tokens = 2048",
                "min_cacheable_tokens = 2048\nbatch_discount = 0.5"
            ),
            CHAIN
        )
    );
    // The second step must come right after the first; rebuild with both steps in order.
    let t = t.replace(
        "\n[[model]]\nname = \"small\"",
        "\n[[workflow.step]]\nname = \"b\"\nroute = \"r\"\ninput_tokens = { p50 = 400, p95 = 1000 }\noutput_tokens = 300\n[[model]]\nname = \"small\"",
    );
    let t = t[..t.rfind("\n[[workflow.step]]\nname = \"b\"").unwrap()].to_string();
    check("two steps", &t);
}

#[test]
fn agent_loops_with_growing_input() {
    let step = "static_prefix_tokens = 1500\ninput_tokens = { p50 = 600, p95 = 1800 }\noutput_tokens = { p50 = 200, p95 = 500 }\ncache_hit_rate = 0.6\ncalls = { dist = \"poisson\", mean = 2.5 }\ncontext_growth_tokens = { dist = \"gamma\", mean = 400, cv = 0.5 }";
    let models = MODELS.replace(
        "long_context = { above_input_tokens = 4000, input_usd_per_mtok = 6, output_usd_per_mtok = 22.5 }\n",
        "",
    );
    check("loops", &text("", step, &models, CHAIN));
}

/// The third cumulant in closed form: a request of one call (no retries) whose prompt, across a
/// long-context threshold, and output are random has exactly the closed form's skewness; the
/// sample of 300,000 requests agrees within 4 standard errors of its third central moment.
#[test]
fn closed_form_skewness_of_a_single_call() {
    let step = "input_tokens = { p50 = 2500, p95 = 6000 }\noutput_tokens = { dist = \"gamma\", mean = 300, cv = 0.8 }\nmax_output_tokens = 700";
    let stacks = "[[stack]]\nname = \"large\"\n[stack.route.r]\nchain = [{ model = \"large\" }]";
    let s = scenario(&text("", step, MODELS, stacks));
    let plan = Plan::new(&s, 1);
    let at_means = TrialDraw::with(&s, 99, &|p: &Param| p.mean());
    let samples = plan.sample_requests(&at_means, 0, N, 5);
    let m = request_moments(&s, 0, 0, &|p| p.mean());
    let costs: Vec<f64> = samples[0].iter().map(|(c, _)| *c).collect();
    let cubes: Vec<f64> = costs.iter().map(|c| (c - m.mean).powi(3)).collect();
    let (k3, se) = mean_se(&cubes);
    assert_within_se("third central moment", k3, se, m.third_closed_form, 4.0);
    assert!(
        m.closed_form_skewness() > 1.0,
        "{}",
        m.closed_form_skewness()
    );
}

/// A prompt whose mean lies in a tail no sample reaches: p50 = 100, p95 = 100,000 tokens is a
/// lognormal with σ = 4.2, whose skewness is 3·10¹¹. The closed form says so; 50,000 sampled
/// requests say a few hundred at most (a sample of n cannot show more than √n).
#[test]
fn closed_form_skewness_of_a_heavy_tail() {
    let step = "input_tokens = { p50 = 100, p95 = 100000 }\noutput_tokens = 100";
    let stacks = "[[stack]]\nname = \"small\"\n[stack.route.r]\nchain = [{ model = \"small\" }]";
    let s = scenario(&text("", step, MODELS, stacks));
    let m = request_moments(&s, 0, 0, &|p| p.mean());
    let sigma = (100_000f64 / 100.0).ln() / 1.644_853_626_951_472_2;
    let e = (sigma * sigma).exp();
    let lognormal = (e + 2.0) * (e - 1.0).sqrt();
    let skew = m.closed_form_skewness();
    assert!(
        (skew / lognormal - 1.0).abs() < 1e-6,
        "{skew} vs {lognormal}"
    );
}
