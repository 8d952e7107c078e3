//! Where the fast engine's closed forms hold: what it declines (fixed arrivals, input windows
//! its closed forms cannot follow, …) and says why, so that `auto` simulates those scenarios
//! request by request.

use crate::model::{Arrivals, Scenario};

/// Why the fast engine cannot run a scenario, if it cannot.
pub fn unsupported(s: &Scenario) -> Option<String> {
    if s.simulation.arrivals == Arrivals::Fixed {
        return Some("fixed arrivals are simulated user by user".to_string());
    }
    if super::provisioned::any(s) {
        return Some("provisioned capacity is sized minute by minute".to_string());
    }
    if !s.policies.is_empty() {
        return Some(
            "budget policies act request by request on the month's running spend".to_string(),
        );
    }
    if super::quota::has_quotas(s) {
        return Some(
            "rate-limit quotas throttle calls minute by minute, and a throttled call is retried or sent on".to_string(),
        );
    }
    for w in &s.workflows {
        for step in &w.steps {
            let serving_long_context = s.stacks.iter().any(|st| {
                st.chains[step.route]
                    .links
                    .iter()
                    .any(|l| !s.models[l.model].long_context.is_empty())
            });
            if step.calls.fixed_value() != Some(1.0)
                && step.context_growth_tokens.mean() > 0.0
                && serving_long_context
            {
                return Some(format!(
                    "the growing input of agent loop `{}` (workflow `{}`) can cross a long-context threshold",
                    step.name, w.name
                ));
            }
            let random_parts = [
                !step.static_prefix_tokens.is_fixed(),
                !step.input_tokens.is_fixed(),
                step.retrieval
                    .as_ref()
                    .is_some_and(|r| !r.chunks.is_fixed()),
                step.retrieval
                    .as_ref()
                    .is_some_and(|r| !r.chunk_tokens.is_fixed()),
                step.images.as_ref().is_some_and(|i| !i.count.is_fixed()),
                !step.audio_input_tokens.is_fixed(),
            ]
            .iter()
            .filter(|x| **x)
            .count();
            let crosses = s.stacks.iter().any(|st| {
                st.chains[step.route].links.iter().any(|l| {
                    let m = &s.models[l.model];
                    m.long_context.iter().any(|lc| {
                        let share =
                            crate::model::prompt::prompt_above(step, 0.0, lc.above_input_tokens);
                        share > 1e-9 && share < 1.0 - 1e-9
                    })
                })
            });
            if random_parts > 1 && crosses {
                return Some(format!(
                    "several random prompt parts of step `{}` can cross a long-context threshold",
                    step.name
                ));
            }
            if let Some(why) = window_unsupported(s, w, step, random_parts) {
                return Some(why);
            }
        }
    }
    None
}

/// Share of a step's prompts below which what a model's input window refuses is left out of a
/// closed form: one in a billion, as for a long-context threshold.
const NEGLIGIBLE_SHARE: f64 = 1e-9;

/// Why the fast engine's closed forms cannot follow the input windows of `step`'s models. They
/// cut the prompt at the first model's window, on its one random part, for every call of the
/// chain and every iteration of an agent loop: exact only where no other prompt is refused (a
/// later model's smaller window, an agent loop's growing input) and where the prompt has one
/// random part or no prompt is refused.
fn window_unsupported(
    s: &Scenario,
    w: &crate::model::Workflow,
    step: &crate::model::Step,
    random_parts: usize,
) -> Option<String> {
    use crate::model::prompt::{prompt_above, window_exceeded_share};
    for st in &s.stacks {
        let links = &st.chains[step.route].links;
        let window = |i: usize| {
            s.models[links[i].model]
                .max_input_tokens
                .unwrap_or(f64::INFINITY)
        };
        let Some(smallest) = (0..links.len()).map(window).min_by(f64::total_cmp) else {
            continue;
        };
        if smallest == f64::INFINITY {
            continue;
        }
        let first = window(0);
        let at_first = if first == f64::INFINITY {
            0.0
        } else {
            prompt_above(step, 0.0, first)
        };
        let named = |limit: f64| {
            let i = (0..links.len()).find(|&i| window(i) == limit).unwrap_or(0);
            s.models[links[i].model].name.clone()
        };
        if random_parts > 1 && prompt_above(step, 0.0, smallest) > NEGLIGIBLE_SHARE {
            return Some(format!(
                "several random prompt parts of step `{}` (workflow `{}`) can exceed the input window of `{}`",
                step.name,
                w.name,
                named(smallest)
            ));
        }
        let grows =
            step.calls.fixed_value() != Some(1.0) && step.context_growth_tokens.mean() > 0.0;
        if grows && window_exceeded_share(step, smallest) - at_first > NEGLIGIBLE_SHARE {
            return Some(format!(
                "the growing input of agent loop `{}` (workflow `{}`) can exceed the input window of `{}`",
                step.name,
                w.name,
                named(smallest)
            ));
        }
        if prompt_above(step, 0.0, smallest) - at_first > NEGLIGIBLE_SHARE {
            return Some(format!(
                "step `{}` (workflow `{}`) can send `{}` a prompt within the first model's input window but beyond its own",
                step.name,
                w.name,
                named(smallest)
            ));
        }
    }
    None
}

/// Why the fast engine cannot vouch for the spread of a stack's month under a contract, if it
/// cannot: a commitment can hold its provider's spend at the committed amount, and a chain of
/// the stack also reaches a model of another provider. The month's spread is then that model's
/// own usage, a sum of the fewer calls that reach it, where the fast engine splits a workflow's
/// day among its models in proportion to the expected request (the whole workflow's relative
/// spread): scenarios 1139 and 1142 of the long run, a month's sd 35-40% narrower and its p5 up
/// to $0.50 high. Its means stay exact.
pub fn contract_split(s: &Scenario) -> Option<String> {
    for c in &s.contracts {
        for st in &s.stacks {
            for chain in &st.chains {
                let providers: Vec<&str> = chain
                    .links
                    .iter()
                    .map(|l| s.models[l.model].provider.as_str())
                    .collect();
                if providers.contains(&c.provider.as_str())
                    && providers.iter().any(|p| *p != c.provider)
                {
                    return Some(format!(
                        "contract `{}` can hold provider `{}`'s spend at its commitment while a chain of stack `{}` also calls another provider's model, whose own spread the fast engine does not draw",
                        c.name, c.provider, st.name
                    ));
                }
            }
        }
    }
    None
}
