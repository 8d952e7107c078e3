//! Two fits of the same calls compared figure by figure (from raw rows and from aggregates, or
//! from a dump and the rows it came from): counts and rates agree to rounding, as their sums run
//! in another order; token fits agree as the scenario writes them.

use aicost::analysis::fit::skeleton::{self, CacheFit, Fitted};

/// Workflows by name and each workflow's parts by model, so fits read in another order compare.
pub fn sorted(f: &Fitted) -> Fitted {
    let mut f = f.clone();
    f.workflows.sort_by(|a, b| a.name.cmp(&b.name));
    for w in &mut f.workflows {
        w.parts.sort_by(|a, b| a.model.cmp(&b.model));
    }
    f
}

fn toml_of(t: &Option<skeleton::TokenFit>) -> Option<String> {
    t.as_ref().map(skeleton::TokenFit::toml)
}

/// Asserts that two fits of the same calls agree.
pub fn assert_same_fit(a: &Fitted, b: &Fitted) {
    let (a, b) = (sorted(a), sorted(b));
    assert_eq!(a.populations, b.populations);
    assert_eq!(a.workflows.len(), b.workflows.len());
    for (x, y) in a.workflows.iter().zip(&b.workflows) {
        assert_eq!(x.name, y.name);
        for (p, q) in [
            (x.requests_per_user_per_day, y.requests_per_user_per_day),
            (x.weekend_factor, y.weekend_factor),
            (x.user_variability, y.user_variability),
            (x.users, y.users),
        ] {
            assert!(
                (p - q).abs() <= 1e-9 * p.abs().max(1.0),
                "{}: {p} vs {q}",
                x.name
            );
        }
        assert_eq!(x.parts.len(), y.parts.len());
        for (p, q) in x.parts.iter().zip(&y.parts) {
            let what = &p.model;
            assert_eq!(p.model, q.model);
            assert_eq!(p.input_tokens, q.input_tokens, "{what}");
            assert_eq!(p.output_tokens, q.output_tokens, "{what}");
            assert_eq!(
                toml_of(&p.static_prefix_tokens),
                toml_of(&q.static_prefix_tokens),
                "{what}"
            );
            assert_eq!(
                toml_of(&p.reasoning_tokens),
                toml_of(&q.reasoning_tokens),
                "{what}"
            );
            assert_eq!(
                toml_of(&p.audio_input_tokens),
                toml_of(&q.audio_input_tokens),
                "{what}"
            );
            assert_eq!(
                toml_of(&p.audio_output_tokens),
                toml_of(&q.audio_output_tokens),
                "{what}"
            );
            assert_eq!(p.images, q.images, "{what}");
            assert_eq!(p.write_1h_share, q.write_1h_share, "{what}");
            assert_eq!(p.mean_reasoning_tokens, q.mean_reasoning_tokens, "{what}");
            match (&p.cache, &q.cache) {
                (
                    CacheFit::Measured {
                        reads_per_call: r1,
                        writes_per_call: w1,
                    },
                    CacheFit::Measured {
                        reads_per_call: r2,
                        writes_per_call: w2,
                    },
                ) => {
                    assert!((r1 - r2).abs() < 1e-9 && (w1 - w2).abs() < 1e-9, "{what}");
                }
                (c, d) => assert_eq!(c, d, "{what}"),
            }
            for (u, v) in [
                (p.cache_hit_rate, q.cache_hit_rate),
                (p.validation_failure_rate, q.validation_failure_rate),
                (p.error_rate, q.error_rate),
                (p.share, q.share),
            ] {
                assert!((u - v).abs() < 1e-12, "{what}: {u} vs {v}");
            }
        }
    }
}
