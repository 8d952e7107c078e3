//! Random valid scenarios for the differential suite.
//!
//! A scenario is drawn from a seed: one to three segments, one to three workflows of one to three
//! steps, two or three models with every optional price (so that any step may use any feature),
//! one to three stacks whose chains retry, fail over and escalate, and, at random, each of the
//! features the engines price: prompt caching (five-minute and one-hour), batch, long-context
//! tiers, uncertain parameters, volume tiers, committed-use contracts, a hard cap, incidents,
//! human review, service tiers, reasoning, images, audio, tools, agent loops, retrieval, semantic
//! caching, provider errors, a horizon of several months with growth and seasonality, latency.
//! `Feature` forces one of them on, so a run of N scenarios covers each of them.
//!
//! Input windows are drawn apart, from their own generator, so that adding them left every other
//! draw of a seed as it was: about a third of the scenarios give every model one window, set
//! where it refuses a small share of some step's prompts ([`window_share`], [`with_window`]).
//!
//! Fine-tuning fees are drawn apart too, from a generator of their own ([`fine_tune`],
//! [`with_fine_tune`]): about a third of the scenarios make their first model a fine-tune with a
//! training job in some month of the horizon and, half the time, an hourly hosting fee.
//!
//! Traffic is sized so that the exact engine simulates a scenario in about a second: a few
//! thousand requests a month in all.

use rand::rngs::ChaCha8Rng;
use rand::{RngExt, SeedableRng};

/// A feature a generated scenario can be made to use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Feature {
    Segments,
    MultiStep,
    Retries,
    Escalation,
    Caching,
    Batch,
    LongContext,
    UncertainRates,
    VolumeTiers,
    Contract,
    HardCap,
    Incident,
    Review,
    ServiceTier,
    Reasoning,
    Media,
    Tools,
    AgentLoop,
    SemanticCache,
    Horizon,
}

impl Feature {
    pub const ALL: [Feature; 20] = [
        Feature::Segments,
        Feature::MultiStep,
        Feature::Retries,
        Feature::Escalation,
        Feature::Caching,
        Feature::Batch,
        Feature::LongContext,
        Feature::UncertainRates,
        Feature::VolumeTiers,
        Feature::Contract,
        Feature::HardCap,
        Feature::Incident,
        Feature::Review,
        Feature::ServiceTier,
        Feature::Reasoning,
        Feature::Media,
        Feature::Tools,
        Feature::AgentLoop,
        Feature::SemanticCache,
        Feature::Horizon,
    ];
}

struct Gen {
    rng: ChaCha8Rng,
    forced: Feature,
    /// Whether parameters may be uncertain in this scenario.
    uncertain: bool,
}

impl Gen {
    fn chance(&mut self, p: f64) -> bool {
        self.rng.random::<f64>() < p
    }

    /// Whether to use `f`: always when it is the forced feature, else with probability `p`.
    fn feature(&mut self, f: Feature, p: f64) -> bool {
        f == self.forced || self.chance(p)
    }

    fn uniform(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.rng.random::<f64>()
    }

    fn int(&mut self, lo: u32, hi: u32) -> u32 {
        self.rng.random_range(lo..=hi)
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.rng.random_range(0..items.len())]
    }

    /// A number rounded to 3 significant digits, as a person would write it.
    fn num(x: f64) -> String {
        if x == 0.0 {
            return "0".to_string();
        }
        let digits = 3 - 1 - x.abs().log10().floor() as i32;
        let scale = 10f64.powi(digits.max(0));
        let v = (x * scale).round() / scale;
        let s = format!("{v}");
        if s.contains('e') { format!("{x}") } else { s }
    }

    /// A token count around `mean`: fixed or one of the distribution families.
    fn tokens(&mut self, mean: f64, heavy: bool) -> String {
        let n = Self::num;
        match self.int(0, 8) {
            0 => n(mean.round()),
            1 | 2 => {
                let ratio = if heavy {
                    self.uniform(4.0, 12.0)
                } else {
                    self.uniform(1.5, 4.0)
                };
                format!("{{ p50 = {}, p95 = {} }}", n(mean), n(mean * ratio))
            }
            3 => format!(
                "{{ low = {}, high = {} }}",
                n(mean * 0.5),
                n(mean * self.uniform(1.5, 3.0))
            ),
            4 => format!(
                "{{ dist = \"gamma\", mean = {}, cv = {} }}",
                n(mean),
                n(self.uniform(0.2, if heavy { 2.0 } else { 1.0 }))
            ),
            5 => format!(
                "{{ dist = \"uniform\", min = {}, max = {} }}",
                n(mean * 0.5),
                n(mean * 1.5)
            ),
            6 => format!(
                "{{ dist = \"triangular\", min = {}, mode = {}, max = {} }}",
                n(mean * 0.3),
                n(mean * 0.8),
                n(mean * 1.9)
            ),
            7 => format!(
                "{{ dist = \"normal\", mean = {}, sd = {} }}",
                n(mean),
                n(mean * self.uniform(0.1, 0.6))
            ),
            _ => {
                let a = (mean * 0.4).round().max(1.0);
                let b = (mean * 1.2).round().max(1.0);
                let c = (mean * 3.0).round().max(1.0);
                format!(
                    "{{ dist = \"empirical\", values = [{a}, {b}, {c}], weights = [0.5, 0.4, 0.1] }}"
                )
            }
        }
    }

    /// A small count per request (images, tool calls, chunks, loop calls).
    fn count(&mut self, mean: f64) -> String {
        let n = Self::num;
        match self.int(0, 3) {
            0 => n(mean.round().max(1.0)),
            1 => format!("{{ dist = \"poisson\", mean = {} }}", n(mean)),
            2 => format!(
                "{{ dist = \"empirical\", values = [1, {}, {}] }}",
                (mean.round() as u64).max(1),
                (mean * 2.0).round().max(2.0)
            ),
            _ => format!(
                "{{ dist = \"uniform\", min = {}, max = {} }}",
                n(mean * 0.5),
                n(mean * 1.5)
            ),
        }
    }

    /// A rate around `mean`: fixed, or uncertain (a bounded distribution) with `uncertain`.
    fn rate(&mut self, mean: f64, uncertain: bool) -> String {
        let n = Self::num;
        if !uncertain || mean <= 0.0 {
            return n(mean);
        }
        match self.int(0, 2) {
            // A beta's sd must stay below sqrt(mean·(1 − mean)): near 1, 30% of the mean is
            // too wide (scenario 1215 drew a mean of 0.949 and an sd of 0.285).
            0 => format!(
                "{{ dist = \"beta\", mean = {}, sd = {} }}",
                n(mean),
                n((mean * 0.3).min(0.9 * (mean * (1.0 - mean)).sqrt()))
            ),
            1 => format!(
                "{{ dist = \"uniform\", min = {}, max = {} }}",
                n(mean * 0.5),
                n((mean * 1.5).min(1.0))
            ),
            _ => format!(
                "{{ dist = \"triangular\", min = {}, mode = {}, max = {} }}",
                n(mean * 0.5),
                n(mean),
                n((mean * 1.8).min(1.0))
            ),
        }
    }

    /// A positive quantity that may be an uncertain parameter.
    fn amount(&mut self, x: f64, uncertain: bool) -> String {
        let n = Self::num;
        if !uncertain {
            return n(x);
        }
        match self.int(0, 2) {
            0 => format!("{{ low = {}, high = {} }}", n(x * 0.8), n(x * 1.2)),
            1 => format!(
                "{{ dist = \"gamma\", mean = {}, cv = {} }}",
                n(x),
                n(self.uniform(0.05, 0.25))
            ),
            _ => format!(
                "{{ dist = \"uniform\", min = {}, max = {} }}",
                n(x * 0.85),
                n(x * 1.15)
            ),
        }
    }

    /// A rate drawn from `[lo, hi]`, uncertain with probability `p` in a scenario that has
    /// uncertain parameters.
    fn rate_in(&mut self, lo: f64, hi: f64, p: f64) -> String {
        let mean = self.uniform(lo, hi);
        let uncertain = self.uncertain && self.chance(p);
        self.rate(mean, uncertain)
    }

    /// An amount, uncertain with probability `p` in a scenario that has uncertain parameters.
    fn amount_maybe(&mut self, x: f64, p: f64) -> String {
        let uncertain = self.uncertain && self.chance(p);
        self.amount(x, uncertain)
    }

    fn tokens_in(&mut self, lo: f64, hi: f64, heavy: bool) -> String {
        let mean = self.uniform(lo, hi);
        self.tokens(mean, heavy)
    }

    fn count_in(&mut self, lo: f64, hi: f64) -> String {
        let mean = self.uniform(lo, hi);
        self.count(mean)
    }
}

/// The parts of a scenario the second phase needs: what the estimate says it costs.
pub struct Draft {
    /// The scenario without `[budget]` and contracts.
    pub text: String,
    has_cap: bool,
    has_contract: bool,
    per_user_budget: bool,
    providers: Vec<String>,
    budget_factor: f64,
    cap_factor: f64,
    commitment_factor: f64,
    contract_discount: f64,
    contract_list_overage: bool,
    alerts: bool,
}

/// Draw scenario `seed`, forcing `forced` on; returns the first phase (see [`finish`]).
pub fn draft(seed: u64, forced: Feature) -> Draft {
    let mut g = Gen {
        rng: ChaCha8Rng::seed_from_u64(seed),
        forced,
        uncertain: false,
    };
    let n = Gen::num;
    g.uncertain = g.feature(Feature::UncertainRates, 0.35);
    let horizon = g.feature(Feature::Horizon, 0.15);
    let months = if horizon { g.int(2, 3) } else { 1 };
    let days = if g.chance(0.7) { 30 } else { g.int(20, 31) };
    let mut t = format!("name = \"generated-{seed}\"\n\n[simulation]\ndays = {days}\n");
    if months > 1 {
        t += &format!("months = {months}\n");
        if g.chance(0.5) {
            let season: Vec<String> = (0..12).map(|_| n(g.uniform(0.7, 1.3))).collect();
            t += &format!("seasonality = [{}]\n", season.join(", "));
        }
    }

    // Models: every optional price, so that any feature may use any model.
    let n_models = g.int(2, 3);
    let providers = ["alpha", "beta", "gamma"];
    let mut models = Vec::new();
    let mut model_text = String::new();
    let long_context = g.feature(Feature::LongContext, 0.3);
    let tiers = g.feature(Feature::VolumeTiers, 0.25);
    for i in 0..n_models {
        let name = format!("m{i}");
        let input = g.uniform(0.1, 5.0);
        let output = input * g.uniform(2.0, 6.0);
        let provider = providers[i as usize % providers.len()];
        model_text += &format!(
            "\n[[model]]\nname = \"{name}\"\nprovider = \"{provider}\"\ninput_usd_per_mtok = {}\noutput_usd_per_mtok = {}\n",
            g.amount_maybe(input, 0.3),
            n(output)
        );
        model_text += &format!(
            "cached_input_usd_per_mtok = {}\ncache_write_usd_per_mtok = {}\ncache_write_1h_usd_per_mtok = {}\nmin_cacheable_tokens = {}\nbatch_discount = {}\n",
            n(input * 0.1),
            n(input * g.uniform(1.0, 1.25)),
            n(input * 2.0),
            g.pick(&[256, 1024, 2048]),
            n(g.uniform(0.3, 0.5))
        );
        if g.chance(0.5) {
            model_text += &format!("reasoning_usd_per_mtok = {}\n", n(output * 1.2));
        }
        model_text += &format!(
            "image_input_usd_per_mtok = {}\naudio_input_usd_per_mtok = {}\naudio_output_usd_per_mtok = {}\n",
            n(input * 1.5),
            n(input * 10.0),
            n(output * 5.0)
        );
        if g.chance(0.2) {
            model_text += &format!("input_usd_per_image = {}\n", n(g.uniform(0.001, 0.01)));
        }
        model_text += &format!(
            "priority = {{ input_usd_per_mtok = {}, output_usd_per_mtok = {}, cached_input_usd_per_mtok = {} }}\n",
            n(input * 1.8),
            n(output * 1.8),
            n(input * 0.18)
        );
        model_text += &format!(
            "flex = {{ input_usd_per_mtok = {}, output_usd_per_mtok = {}, cached_input_usd_per_mtok = {}, unavailable_rate = {} }}\n",
            n(input * 0.5),
            n(output * 0.5),
            n(input * 0.05),
            g.rate_in(0.02, 0.3, 0.3)
        );
        if long_context && g.chance(0.7) {
            model_text += &format!(
                "long_context = {{ above_input_tokens = {}, input_usd_per_mtok = {}, output_usd_per_mtok = {} }}\n",
                g.pick(&[2000, 4000, 8000]),
                n(input * 2.0),
                n(output * 1.5)
            );
        }
        if tiers && g.chance(0.7) {
            // Thresholds are set in the second phase's units: a few Mtok a month at this traffic.
            let first = g.uniform(0.5, 6.0);
            model_text += &format!(
                "volume_tiers = [{{ above_mtok = {}, discount = {} }}, {{ above_mtok = {}, discount = {} }}]\n",
                n(first),
                n(g.uniform(0.05, 0.15)),
                n(first * g.uniform(1.5, 3.0)),
                n(g.uniform(0.15, 0.3))
            );
        }
        if g.chance(0.4) {
            model_text += &format!(
                "latency = {{ first_token_ms = {}, output_tokens_per_s = {} }}\n",
                g.tokens(400.0, false),
                {
                    // A speed must stay above 0: uncertain, it is uniform.
                    let x = g.uniform(40.0, 120.0);
                    if g.uncertain && g.chance(0.3) {
                        format!(
                            "{{ dist = \"uniform\", min = {}, max = {} }}",
                            n(x * 0.8),
                            n(x * 1.2)
                        )
                    } else {
                        n(x)
                    }
                }
            );
        }
        models.push((name, provider.to_string()));
    }

    // Segments.
    let n_segments = if g.feature(Feature::Segments, 0.4) {
        g.int(2, 3)
    } else {
        1
    };
    let mut segments = Vec::new();
    let mut seg_text = String::new();
    for i in 0..n_segments {
        let name = format!("seg{i}");
        let users = g.int(20, 300);
        seg_text += &format!(
            "\n[[segment]]\nname = \"{name}\"\nusers = {}\n",
            g.amount_maybe(f64::from(users), 0.4)
        );
        segments.push((name, f64::from(users)));
    }

    // Workflows.
    let n_workflows = g.int(1, 3);
    let semantic = g.feature(Feature::SemanticCache, 0.2);
    let multi = g.feature(Feature::MultiStep, 0.4);
    let batch = g.feature(Feature::Batch, 0.2);
    let service = g.feature(Feature::ServiceTier, 0.25);
    let review = g.feature(Feature::Review, 0.25);
    let caching = g.feature(Feature::Caching, 0.5);
    let reasoning = g.feature(Feature::Reasoning, 0.25);
    let media = g.feature(Feature::Media, 0.2);
    let tools = g.feature(Feature::Tools, 0.2);
    let agent = g.feature(Feature::AgentLoop, 0.2);
    let mut wf_text = String::new();
    let mut routes: Vec<String> = Vec::new();
    let mut workflow_names = Vec::new();
    // Requests a month each workflow should get, and the sessions that makes.
    let mut sessions_needed = vec![0.0; n_segments as usize];
    for wi in 0..n_workflows {
        let name = format!("wf{wi}");
        let target = g.uniform(1200.0, 3500.0);
        let rps = g.uniform(1.0, 3.0);
        let members: Vec<usize> = if n_segments > 1 && g.chance(0.5) {
            let k = g.int(0, n_segments - 1) as usize;
            vec![k]
        } else {
            (0..n_segments as usize).collect()
        };
        for &m in &members {
            sessions_needed[m] += target / rps / members.len() as f64;
        }
        wf_text += &format!("\n[[workflow]]\nname = \"{name}\"\n");
        if members.len() < n_segments as usize {
            let list: Vec<String> = members
                .iter()
                .map(|&m| format!("\"{}\"", segments[m].0))
                .collect();
            wf_text += &format!("segments = [{}]\n", list.join(", "));
        }
        wf_text += &format!(
            "requests_per_session = {}\n",
            match g.int(0, 3) {
                0 => n(rps.round().max(1.0)),
                1 => format!("{{ dist = \"poisson\", mean = {} }}", n(rps)),
                2 => format!(
                    "{{ dist = \"gamma\", mean = {}, cv = {} }}",
                    n(rps),
                    n(g.uniform(0.3, 1.2))
                ),
                _ => n(rps),
            }
        );
        let is_batch = batch && g.chance(0.6);
        if is_batch {
            wf_text += "path = \"batch\"\n";
        } else if service && g.chance(0.7) {
            wf_text += &format!("service_tier = \"{}\"\n", g.pick(&["priority", "flex"]));
        }
        if semantic && g.chance(0.7) {
            wf_text += &format!("semantic_cache_hit_rate = {}\n", g.rate_in(0.05, 0.4, 0.5));
            if g.chance(0.6) {
                wf_text += &format!(
                    "semantic_cache_usd_per_lookup = {}\n",
                    n(g.uniform(0.00005, 0.002))
                );
            }
        }
        if review && g.chance(0.7) {
            wf_text += &format!(
                "review = {{ share = {}, minutes = {}, hourly_usd = {}, failed_review_minutes = {} }}\n",
                g.rate_in(0.01, 0.2, 0.5),
                n(g.uniform(0.5, 5.0)),
                n(g.uniform(30.0, 90.0)),
                n(g.uniform(1.0, 30.0))
            );
        }
        if !is_batch && g.chance(0.2) {
            wf_text += &format!(
                "latency_target_ms = {{ p95 = {} }}\n",
                n(g.uniform(1000.0, 8000.0))
            );
        }
        let steps = if multi { g.int(1, 3) } else { 1 };
        for si in 0..steps {
            let route = if !routes.is_empty() && g.chance(0.3) {
                g.pick(&routes).clone()
            } else {
                let r = format!("r{}", routes.len());
                routes.push(r.clone());
                r
            };
            let heavy = g.chance(0.15);
            wf_text += &format!("\n[[workflow.step]]\nname = \"s{si}\"\nroute = \"{route}\"\n");
            if caching && g.chance(0.7) {
                let prefix = g.uniform(300.0, 4000.0);
                let prefix = if g.chance(0.7) {
                    n(prefix.round())
                } else {
                    g.tokens(prefix, false)
                };
                wf_text += &format!(
                    "static_prefix_tokens = {prefix}\ncache_hit_rate = {}\n",
                    g.rate_in(0.2, 0.95, 0.5)
                );
                if g.chance(0.25) {
                    wf_text += "cache_ttl = \"1h\"\n";
                }
            }
            wf_text += &format!("input_tokens = {}\n", g.tokens_in(100.0, 2500.0, heavy));
            if g.chance(0.2) {
                wf_text += &format!(
                    "retrieval = {{ chunks = {}, chunk_tokens = {} }}\n",
                    g.count_in(1.0, 5.0),
                    g.tokens_in(100.0, 500.0, false)
                );
            }
            wf_text += &format!("output_tokens = {}\n", {
                let h = heavy && g.chance(0.5);
                g.tokens_in(50.0, 700.0, h)
            });
            if g.chance(0.3) {
                wf_text += &format!("max_output_tokens = {}\n", g.int(200, 1200));
            }
            if reasoning && g.chance(0.6) {
                wf_text += &format!("reasoning_tokens = {}\n", {
                    let h = g.chance(0.3);
                    g.tokens_in(200.0, 2000.0, h)
                });
                if g.chance(0.5) {
                    wf_text += &format!("max_reasoning_tokens = {}\n", g.int(1000, 4000));
                }
            }
            if media && g.chance(0.5) {
                wf_text += &format!(
                    "images = {{ count = {}, tokens_per_image = {} }}\n",
                    g.count_in(1.0, 3.0),
                    g.int(300, 1500)
                );
            }
            if media && g.chance(0.4) {
                wf_text += &format!(
                    "audio_input_tokens = {}\naudio_output_tokens = {}\n",
                    g.tokens_in(100.0, 800.0, false),
                    g.tokens_in(50.0, 400.0, false)
                );
            }
            if tools && g.chance(0.6) {
                wf_text += &format!(
                    "tool_calls = [{{ name = \"{}\", count = {}, usd_per_call = {} }}]\n",
                    g.pick(&["search", "fetch"]),
                    g.count_in(0.5, 3.0),
                    {
                        let x = g.uniform(0.001, 0.02);
                        g.amount_maybe(x, 0.3)
                    }
                );
            }
            if g.chance(0.2) {
                wf_text += &format!("aux_usd_per_request = {}\n", n(g.uniform(0.0001, 0.003)));
            }
            if agent && g.chance(0.6) {
                wf_text += &format!("calls = {}\n", g.count_in(1.5, 4.0));
                if g.chance(0.5) {
                    wf_text += &format!(
                        "context_growth_tokens = {}\n",
                        g.tokens_in(100.0, 600.0, false)
                    );
                }
            }
        }
        workflow_names.push(name);
    }
    // Segment activity: the sessions the workflows need, spread over the month.
    let mut seg_full = String::new();
    for (i, chunk) in seg_text.split("\n[[segment]]").skip(1).enumerate() {
        let users = segments[i].1;
        let per_user_month = sessions_needed[i].max(users) / users;
        seg_full += &format!("\n[[segment]]{chunk}");
        if g.chance(0.5) {
            seg_full += &format!(
                "sessions_per_user_per_month = {}\n",
                g.amount_maybe(per_user_month, 0.3)
            );
        } else {
            let weekend = if g.chance(0.5) {
                g.uniform(0.2, 1.0)
            } else {
                1.0
            };
            let weekdays = f64::from(days) * 5.0 / 7.0;
            let weekend_days = f64::from(days) - weekdays;
            let per_day = per_user_month / (weekdays + weekend * weekend_days);
            seg_full += &format!("sessions_per_user_per_day = {}\n", n(per_day));
            if weekend < 1.0 {
                seg_full += &format!("weekend_factor = {}\n", n(weekend));
            }
        }
        if g.chance(0.6) {
            seg_full += &format!("user_variability = {}\n", n(g.uniform(0.2, 1.5)));
        }
        if months > 1 && g.chance(0.6) {
            seg_full += &format!("monthly_growth = {}\n", n(g.uniform(-0.05, 0.15)));
        }
    }

    // Stacks: chains over the models for every route.
    let retries = g.feature(Feature::Retries, 0.6);
    let escalation = g.feature(Feature::Escalation, 0.4);
    let errors = g.chance(0.3);
    let n_stacks = g.int(1, 3);
    let mut stack_text = String::new();
    for k in 0..n_stacks {
        stack_text += &format!("\n[[stack]]\nname = \"plan{k}\"\n");
        for route in &routes {
            let len = if escalation || retries {
                g.int(1, 3.min(n_models))
            } else {
                1
            };
            let mut order: Vec<usize> = (0..n_models as usize).collect();
            for i in (1..order.len()).rev() {
                let j = g.int(0, i as u32) as usize;
                order.swap(i, j);
            }
            let links: Vec<String> = (0..len as usize)
                .map(|li| {
                    let mut l = format!("{{ model = \"{}\"", models[order[li]].0);
                    if retries {
                        l += &format!(
                            ", validation_failure_rate = {}, max_attempts = {}",
                            g.rate_in(0.01, 0.3, 0.4),
                            g.int(1, 3)
                        );
                    }
                    if escalation && li + 1 < len as usize {
                        l += &format!(", escalation_rate = {}", g.rate_in(0.02, 0.3, 0.4));
                    }
                    if errors {
                        l += &format!(
                            ", provider_error_rate = {}, error_billing = \"{}\"",
                            n(g.uniform(0.005, 0.08)),
                            g.pick(&["input", "none"])
                        );
                    }
                    l + " }"
                })
                .collect();
            stack_text += &format!("[stack.route.{route}]\nchain = [{}]\n", links.join(", "));
        }
    }

    let mut incident_text = String::new();
    if g.feature(Feature::Incident, 0.2) {
        for i in 0..g.int(1, 2) {
            incident_text += &format!(
                "\n[[incident]]\nname = \"incident{i}\"\nmonthly_probability = {}\nmultiplier = {}\nduration_hours = {}\n",
                n(g.uniform(0.1, 0.6)),
                n(g.uniform(1.5, 8.0)),
                n(g.uniform(4.0, 120.0))
            );
            if n_workflows > 1 && g.chance(0.5) {
                incident_text += &format!("workflow = \"{}\"\n", g.pick(&workflow_names));
            }
        }
    }
    let text = format!("{t}{seg_full}{wf_text}{model_text}{stack_text}{incident_text}");
    Draft {
        text,
        has_cap: g.feature(Feature::HardCap, 0.15),
        has_contract: g.feature(Feature::Contract, 0.2),
        per_user_budget: g.chance(0.3),
        providers: models.iter().map(|(_, p)| p.clone()).collect(),
        budget_factor: g.uniform(0.9, 1.25),
        cap_factor: g.uniform(1.0, 1.3),
        commitment_factor: g.uniform(0.6, 1.1),
        contract_discount: g.uniform(0.1, 0.3),
        contract_list_overage: g.chance(0.5),
        alerts: g.chance(0.5),
    }
}

/// The second phase: a budget, hard cap and contract sized from the estimate of the draft, so
/// that they bind in some months and not in others.
pub fn finish(d: &Draft, monthly_usd: f64, users: f64, provider_usd: &[(String, f64)]) -> String {
    let n = Gen::num;
    let mut budget = format!(
        "\n[budget]\nmonthly_usd = {}\n",
        n(monthly_usd * d.budget_factor)
    );
    if d.alerts {
        budget += "alert_fractions = [0.5, 0.9]\n";
    }
    if d.has_cap {
        budget += &format!("hard_cap_usd = {}\n", n(monthly_usd * d.cap_factor));
    }
    if d.per_user_budget && users > 0.0 {
        budget += &format!("per_user_monthly_usd = {}\n", n(monthly_usd / users * 1.5));
    }
    let mut contract = String::new();
    if d.has_contract
        && let Some((provider, usd)) = provider_usd.iter().find(|(_, u)| *u > 0.0)
    {
        contract = format!(
            "\n[[contract]]\nname = \"commit\"\nprovider = \"{provider}\"\ncommitted_monthly_usd = {}\ndiscount = {}\noverage = \"{}\"\n",
            n(usd * d.commitment_factor * (1.0 - d.contract_discount)),
            n(d.contract_discount),
            if d.contract_list_overage {
                "list"
            } else {
                "discounted"
            }
        );
    }
    let _ = &d.providers;
    // The budget goes before the first segment, where a table header may follow.
    let at = d.text.find("\n[[segment]]").unwrap_or(d.text.len());
    format!("{}{budget}{}{contract}", &d.text[..at], &d.text[at..])
}

/// Share of prompts the input window of scenario `seed` refuses at its most exposed step, for
/// about a third of the seeds; `None` for a scenario without windows. Drawn from a generator of
/// its own, so that every other draw of the seed is unchanged.
pub fn window_share(seed: u64) -> Option<f64> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x7769_6e64_6f77); // "window"
    let windowed = rng.random::<f64>() < 0.35;
    let share = 0.002 + 0.038 * rng.random::<f64>();
    windowed.then_some(share)
}

/// `text` with an input window of `tokens` on every model: one window for all, so that no later
/// model of a chain has a smaller one than the first.
pub fn with_window(text: &str, tokens: u64) -> String {
    let mut out = String::with_capacity(text.len() + 64);
    let mut lines = text.split_inclusive('\n').peekable();
    while let Some(line) = lines.next() {
        out.push_str(line);
        if line.trim_end() == "[[model]]"
            && let Some(name) = lines.next()
        {
            out.push_str(name);
            out.push_str(&format!("max_input_tokens = {tokens}\n"));
        }
    }
    out
}

/// The fine-tune of scenario `seed`'s first model, as the inline table of its `fine_tune` key,
/// for about a third of the seeds; `None` otherwise. `months` is the scenario's horizon and
/// `monthly_usd` its expected month, which the fees are sized from. Drawn from a generator of
/// its own, so that every other draw of the seed is unchanged.
pub fn fine_tune(seed: u64, months: u32, monthly_usd: f64) -> Option<String> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x6669_6e65_7475_6e65); // "finetune"
    let tuned = rng.random::<f64>() < 0.35;
    // A training job of 0.5 to 3 expected months, in a month of the horizon.
    let training_usd = monthly_usd * (0.5 + 2.5 * rng.random::<f64>());
    let epochs = 1 + (rng.random::<f64>() * 4.0) as u32;
    let price = 3.0 + 22.0 * rng.random::<f64>();
    let tokens = (training_usd / f64::from(epochs) / price * 1e6)
        .ceil()
        .max(1.0);
    let month = 1 + (rng.random::<f64>() * f64::from(months.max(1))) as u32;
    let hosted = rng.random::<f64>() < 0.5;
    let hourly = monthly_usd * 0.2 * rng.random::<f64>() / 720.0;
    tuned.then(|| {
        format!(
            "fine_tune = {{ base = \"base-model\", training_tokens = {tokens}, epochs = {epochs}, training_usd_per_mtok = {}, training_month = {}, hosting_usd_per_hour = {} }}\n",
            Gen::num(price),
            month.min(months.max(1)),
            if hosted { Gen::num(hourly) } else { "0".to_string() }
        )
    })
}

/// `text` with the `fine_tune` key `line` on its first model.
pub fn with_fine_tune(text: &str, line: &str) -> String {
    let mut out = String::with_capacity(text.len() + line.len());
    let mut done = false;
    let mut lines = text.split_inclusive('\n').peekable();
    while let Some(l) = lines.next() {
        out.push_str(l);
        if !done
            && l.trim_end() == "[[model]]"
            && let Some(name) = lines.next()
        {
            out.push_str(name);
            out.push_str(line);
            done = true;
        }
    }
    out
}

/// Budget policies for scenario `seed`, for about two scenarios in five; `None` for the others.
/// Drawn from a generator of their own, so that every other draw of the seed is unchanged, and
/// sized from the month's estimated spend so that they fire in some months and not in others:
/// one to three policies, each with a threshold between 30% and 100% of it, one of the seven
/// actions, and at times a subset of segments or workflows, or a protected segment.
pub fn policies(
    seed: u64,
    segments: &[String],
    workflows: &[String],
    routes: &[String],
    monthly_usd: f64,
) -> Option<String> {
    let mut g = Gen {
        rng: ChaCha8Rng::seed_from_u64(seed ^ 0x706f_6c69_6379), // "policy"
        forced: Feature::Segments,
        uncertain: false,
    };
    if !g.chance(0.4) {
        return None;
    }
    let n = Gen::num;
    let quoted = |names: &[&String]| {
        names
            .iter()
            .map(|x| format!("\"{x}\""))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut text = String::new();
    for i in 0..g.int(1, 3) {
        text += &format!(
            "\n[[policy]]\nname = \"policy{i}\"\nat_usd = {}\n",
            n(monthly_usd * g.uniform(0.3, 1.0))
        );
        match g.int(0, 6) {
            0 => text += &format!("route = \"{}\"\n", g.pick(routes)),
            1 => text += &format!("max_output_tokens = {}\n", n(g.uniform(20.0, 300.0))),
            2 => text += &format!("max_reasoning_tokens = {}\n", n(g.uniform(20.0, 500.0))),
            3 => text += &format!("semantic_cache_hit_rate = {}\n", n(g.uniform(0.2, 0.8))),
            4 => text += "batch = true\n",
            5 => text += "pause = true\n",
            _ => text += "refuse = true\n",
        }
        if segments.len() > 1 && g.chance(0.5) {
            let one = g.pick(segments);
            let key = if g.chance(0.5) { "segments" } else { "protect" };
            text += &format!("{key} = [{}]\n", quoted(&[one]));
        }
        if workflows.len() > 1 && g.chance(0.4) {
            text += &format!("workflows = [{}]\n", quoted(&[g.pick(workflows)]));
        }
    }
    Some(text)
}
