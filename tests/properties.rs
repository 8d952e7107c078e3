//! Properties that hold for every valid scenario, checked on small random ones (1–3 segments,
//! 1–2 workflows of 1–3 steps, random token distributions, rates, prices and budget):
//!
//! - every simulated month's spend is finite and at least 0, on both engines;
//! - p5 ≤ p50 ≤ p95 ≤ p99 ≤ max, and the breach probability lies in [0, 1];
//! - doubling every price doubles every month's spend at the same seed — exactly: the random
//!   draws do not depend on prices, and multiplying by 2 commutes with floating-point rounding,
//!   so every product and (compensated) sum is scaled without error (the test allows a relative
//!   1e-12 and also asserts bit-for-bit equality, which holds);
//! - a deterministic scenario's simulated month equals `estimate` to the cent.

mod common;

use std::fmt::Write as _;

use aicost::analysis::report::Report;
use aicost::model::Scenario;
use aicost::sim::engine::{self, SimOptions, SimResult};
use aicost::sim::estimate::estimate;
use proptest::prelude::*;

/// Cases per property: enough to reach the corners, few enough for a quick suite.
const CASES: u32 = 48;
const TRIALS: u64 = 30;

/// A token count as a scenario may write it.
#[derive(Clone, Debug)]
enum Tokens {
    Fixed(u32),
    P50P95(u32, f64),
    Gamma(u32, f64),
    Uniform(u32, u32),
    Poisson(u32),
}

impl Tokens {
    fn toml(&self) -> String {
        match self {
            Tokens::Fixed(x) => x.to_string(),
            Tokens::P50P95(p50, ratio) => {
                format!("{{ p50 = {p50}, p95 = {} }}", f64::from(*p50) * ratio)
            }
            Tokens::Gamma(mean, cv) => format!("{{ dist = \"gamma\", mean = {mean}, cv = {cv} }}"),
            Tokens::Uniform(lo, width) => {
                format!("{{ dist = \"uniform\", min = {lo}, max = {} }}", lo + width)
            }
            Tokens::Poisson(mean) => format!("{{ dist = \"poisson\", mean = {mean} }}"),
        }
    }
}

fn tokens(deterministic: bool) -> BoxedStrategy<Tokens> {
    if deterministic {
        (0u32..4000).prop_map(Tokens::Fixed).boxed()
    } else {
        prop_oneof![
            (0u32..4000).prop_map(Tokens::Fixed),
            (1u32..3000, 1.1f64..6.0).prop_map(|(a, r)| Tokens::P50P95(a, r)),
            (1u32..3000, 0.1f64..2.0).prop_map(|(a, cv)| Tokens::Gamma(a, cv)),
            (0u32..2000, 1u32..2000).prop_map(|(a, w)| Tokens::Uniform(a, w)),
            (1u32..500).prop_map(Tokens::Poisson),
        ]
        .boxed()
    }
}

#[derive(Clone, Debug)]
struct Segment {
    users: u32,
    /// `users` as a 90% interval around it instead of a number.
    uncertain_users: bool,
    sessions_per_month: u32,
    variability: f64,
    weekend: f64,
}

#[derive(Clone, Debug)]
struct Step {
    route: usize,
    prefix: u32,
    cache_hit_rate: f64,
    input: Tokens,
    output: Tokens,
    max_output: Option<u32>,
}

#[derive(Clone, Debug)]
struct Workflow {
    requests_per_session: u32,
    steps: Vec<Step>,
}

#[derive(Clone, Debug)]
struct Model {
    input: f64,
    output: f64,
    cached_share: f64,
    batch_discount: f64,
}

#[derive(Clone, Debug)]
struct Link {
    model: usize,
    validation_failure_rate: f64,
    max_attempts: u32,
    escalation_rate: f64,
}

#[derive(Clone, Debug)]
struct Gen {
    segments: Vec<Segment>,
    workflows: Vec<Workflow>,
    models: Vec<Model>,
    /// Per stack, a chain for each of the two routes.
    stacks: Vec<[Vec<Link>; 2]>,
    budget: f64,
    deterministic: bool,
}

fn segment(deterministic: bool) -> impl Strategy<Value = Segment> {
    (
        1u32..40,
        any::<bool>(),
        1u32..60,
        prop_oneof![Just(0.0), 0.1f64..1.5],
        0.0f64..1.5,
    )
        .prop_map(
            move |(users, uncertain, sessions, variability, weekend)| Segment {
                users,
                uncertain_users: uncertain && !deterministic,
                sessions_per_month: sessions,
                variability: if deterministic { 0.0 } else { variability },
                weekend,
            },
        )
}

fn step(deterministic: bool) -> impl Strategy<Value = Step> {
    (
        0usize..2,
        prop_oneof![Just(0u32), 500u32..5000],
        prop_oneof![Just(0.0), Just(1.0), 0.0f64..1.0],
        tokens(deterministic),
        tokens(deterministic),
        proptest::option::of(50u32..3000),
    )
        .prop_map(
            move |(route, prefix, cache, input, output, max_output)| Step {
                route,
                prefix,
                // A cache hit rate strictly between 0 and 1 draws hits at random.
                cache_hit_rate: if deterministic { cache.round() } else { cache },
                input,
                output,
                max_output,
            },
        )
}

fn workflow(deterministic: bool) -> impl Strategy<Value = Workflow> {
    (1u32..4, prop::collection::vec(step(deterministic), 1..=3)).prop_map(|(rps, steps)| Workflow {
        requests_per_session: rps,
        steps,
    })
}

fn model() -> impl Strategy<Value = Model> {
    (0.05f64..20.0, 0.1f64..60.0, 0.05f64..1.0, 0.0f64..0.6).prop_map(
        |(input, output, cached_share, batch_discount)| Model {
            input,
            output,
            cached_share,
            batch_discount,
        },
    )
}

fn chain(models: usize, deterministic: bool) -> impl Strategy<Value = Vec<Link>> {
    prop::collection::vec((0..models, 0.0f64..0.5, 1u32..4, 0.0f64..0.3), 1..=2).prop_map(
        move |links| {
            let n = links.len();
            links
                .into_iter()
                .enumerate()
                .map(|(i, (model, vfr, attempts, esc))| Link {
                    model,
                    validation_failure_rate: if deterministic { 0.0 } else { vfr },
                    max_attempts: attempts,
                    // Escalation needs a later model to go to.
                    escalation_rate: if deterministic || i + 1 == n {
                        0.0
                    } else {
                        esc
                    },
                })
                .collect()
        },
    )
}

fn scenario(deterministic: bool) -> impl Strategy<Value = Gen> {
    prop::collection::vec(model(), 1..=3).prop_flat_map(move |models| {
        let n = models.len();
        (
            prop::collection::vec(segment(deterministic), 1..=3),
            prop::collection::vec(workflow(deterministic), 1..=2),
            Just(models),
            prop::collection::vec(
                (chain(n, deterministic), chain(n, deterministic)).prop_map(|(a, b)| [a, b]),
                1..=2,
            ),
            1.0f64..500.0,
        )
            .prop_map(move |(segments, workflows, models, stacks, budget)| Gen {
                segments,
                workflows,
                models,
                stacks,
                budget,
                deterministic,
            })
    })
}

impl Gen {
    /// The scenario as TOML, with every price multiplied by `price_factor`.
    fn toml(&self, price_factor: f64) -> String {
        let mut t = String::new();
        let arrivals = if self.deterministic {
            "fixed"
        } else {
            "poisson"
        };
        let _ = writeln!(
            t,
            "name = \"generated\"\n[simulation]\ntrials = {TRIALS}\narrivals = \"{arrivals}\"\n\n[budget]\nmonthly_usd = {}\n",
            self.budget
        );
        for (i, s) in self.segments.iter().enumerate() {
            let users = if s.uncertain_users {
                format!("{{ low = {}, high = {} }}", s.users, s.users * 2)
            } else {
                s.users.to_string()
            };
            let _ = writeln!(
                t,
                "[[segment]]\nname = \"s{i}\"\nusers = {users}\nsessions_per_user_per_month = {}\nuser_variability = {}\nweekend_factor = {}\n",
                s.sessions_per_month, s.variability, s.weekend
            );
        }
        for (i, w) in self.workflows.iter().enumerate() {
            let _ = writeln!(
                t,
                "[[workflow]]\nname = \"w{i}\"\nrequests_per_session = {}\n",
                w.requests_per_session
            );
            for (j, s) in w.steps.iter().enumerate() {
                let _ = writeln!(
                    t,
                    "[[workflow.step]]\nname = \"step{j}\"\nroute = \"r{}\"\nstatic_prefix_tokens = {}\ncache_hit_rate = {}\ninput_tokens = {}\noutput_tokens = {}",
                    s.route,
                    s.prefix,
                    s.cache_hit_rate,
                    s.input.toml(),
                    s.output.toml()
                );
                if let Some(cap) = s.max_output {
                    let _ = writeln!(t, "max_output_tokens = {cap}");
                }
                t.push('\n');
            }
        }
        for (i, m) in self.models.iter().enumerate() {
            let _ = writeln!(
                t,
                "[[model]]\nname = \"m{i}\"\ninput_usd_per_mtok = {}\noutput_usd_per_mtok = {}\ncached_input_usd_per_mtok = {}\nbatch_discount = {}\n",
                m.input * price_factor,
                m.output * price_factor,
                m.input * m.cached_share * price_factor,
                m.batch_discount
            );
        }
        let used: Vec<usize> = (0..2)
            .filter(|r| {
                self.workflows
                    .iter()
                    .any(|w| w.steps.iter().any(|s| s.route == *r))
            })
            .collect();
        for (i, routes) in self.stacks.iter().enumerate() {
            let _ = writeln!(t, "[[stack]]\nname = \"stack{i}\"");
            for &r in &used {
                let links: Vec<String> = routes[r]
                    .iter()
                    .map(|l| {
                        format!(
                            "{{ model = \"m{}\", validation_failure_rate = {}, max_attempts = {}, escalation_rate = {} }}",
                            l.model, l.validation_failure_rate, l.max_attempts, l.escalation_rate
                        )
                    })
                    .collect();
                let _ = writeln!(t, "[stack.route.r{r}]\nchain = [{}]", links.join(", "));
            }
            t.push('\n');
        }
        t
    }

    fn load(&self, price_factor: f64) -> Scenario {
        common::scenario(&self.toml(price_factor))
    }
}

/// Finite, non-negative months; ordered percentiles; a breach probability in [0, 1].
fn assert_sane(s: &Scenario, r: &SimResult) -> Result<(), TestCaseError> {
    for st in &r.stacks {
        for (t, x) in st.spend.iter().enumerate() {
            prop_assert!(
                x.is_finite() && *x >= 0.0,
                "stack {} trial {t}: spend {x}",
                st.name
            );
        }
    }
    let report = Report::new(s, r);
    for st in &report.stacks {
        let m = &st.monthly_spend_usd;
        prop_assert!(
            m.mean.is_finite() && m.mean >= 0.0,
            "{}: mean {}",
            st.name,
            m.mean
        );
        prop_assert!(
            m.min <= m.p5 && m.p5 <= m.p50 && m.p50 <= m.p95 && m.p95 <= m.p99 && m.p99 <= m.max,
            "{}: percentiles out of order: {m:?}",
            st.name
        );
        let breach = st.breach_probability.expect("the scenario has a budget");
        prop_assert!(
            (0.0..=1.0).contains(&breach),
            "{}: breach {breach}",
            st.name
        );
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: CASES, ..ProptestConfig::default() })]

    #[test]
    fn spend_is_finite_non_negative_and_its_percentiles_ordered(g in scenario(false), seed in any::<u64>()) {
        let s = g.load(1.0);
        let exact = engine::simulate_exact(&s, &SimOptions::new(TRIALS, seed)).unwrap();
        assert_sane(&s, &exact)?;
        if engine::fast::unsupported(&s).is_none() {
            let fast = engine::simulate_fast(&s, &SimOptions::new(TRIALS, seed), String::new()).unwrap();
            assert_sane(&s, &fast)?;
        }
    }

    #[test]
    fn doubling_every_price_doubles_spend_exactly(g in scenario(false), seed in any::<u64>()) {
        let once = common::simulate(&g.load(1.0), TRIALS, seed);
        let twice = common::simulate(&g.load(2.0), TRIALS, seed);
        for (a, b) in once.stacks.iter().zip(&twice.stacks) {
            for (t, (x, y)) in a.spend.iter().zip(&b.spend).enumerate() {
                let tolerance = 1e-12 * (2.0 * x).abs();
                prop_assert!(
                    (y - 2.0 * x).abs() <= tolerance,
                    "stack {} trial {t}: {y} is not twice {x}",
                    a.name
                );
                prop_assert_eq!(y.to_bits(), (2.0 * x).to_bits(), "not bit-exact at trial {}", t);
            }
        }
    }

    #[test]
    fn a_deterministic_month_equals_the_estimate_to_the_cent(g in scenario(true), seed in any::<u64>()) {
        let s = g.load(1.0);
        prop_assert!(s.is_deterministic(), "generated scenario is not deterministic:\n{}", g.toml(1.0));
        let e = estimate(&s);
        prop_assert!(e.approximations.is_empty(), "{:?}", e.approximations);
        let r = common::simulate(&s, 3, seed);
        for (st, est) in r.stacks.iter().zip(&e.stacks) {
            for (t, spend) in st.spend.iter().enumerate() {
                prop_assert!(
                    (spend - est.monthly_usd).abs() < 0.005,
                    "stack {} trial {t}: simulated {spend} vs estimate {}\n{}",
                    st.name,
                    est.monthly_usd,
                    g.toml(1.0)
                );
            }
        }
    }
}
