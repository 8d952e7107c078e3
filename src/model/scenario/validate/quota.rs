//! Validation of rate-limit quotas: a model's `requests_per_minute` and `tokens_per_minute`,
//! and a stack's `[stack.throttle]` (what its client does with a throttled call). Kept apart
//! from the price sets of `models` and the chains of `routes`: a quota is capacity, not price.

use crate::model::doc::de::Located;
use crate::model::quota::{self, OnThrottle, Quota};
use crate::model::scenario::raw::*;
use crate::model::scenario::validator::*;
use crate::model::*;

/// The most calls or tokens a minute a quota may name: far beyond any deployment on sale.
const MAX_PER_MINUTE: f64 = 1e12;

/// The longest delay before a retry: a day.
const MAX_RETRY_AFTER_S: f64 = 86_400.0;

/// The most tries of a throttled call.
const MAX_TRIES: f64 = 100.0;

/// Fill in each model's quota and each stack's answer to throttling; false when one is invalid.
pub(super) fn quotas(
    raw: &RawScenario,
    models: &mut [Option<Model>],
    stacks: &mut [Option<Stack>],
    v: &mut Validator,
) -> bool {
    let mut ok = true;
    for (rm, m) in raw.models.iter().zip(models.iter_mut()) {
        let p = format!("model[{}]", rm.name.value);
        let limit = |x: &Option<Located<f64>>, key: &str, help: &str, v: &mut Validator| {
            x.as_ref()
                .map(|x| positive(v, x, &format!("{p}.{key}"), MAX_PER_MINUTE, help).ok_or(()))
        };
        let rpm = limit(
            &rm.requests_per_minute,
            "requests_per_minute",
            "the deployment's rate limit in calls a minute, e.g. 500",
            v,
        );
        let tpm = limit(
            &rm.tokens_per_minute,
            "tokens_per_minute",
            "the deployment's rate limit in tokens a minute, e.g. 200000 for 200K TPM",
            v,
        );
        match (rpm.transpose(), tpm.transpose()) {
            (Ok(None), Ok(None)) => {}
            (Ok(r), Ok(t)) => {
                if let Some(m) = m {
                    m.quota = Some(Quota {
                        requests_per_minute: r,
                        tokens_per_minute: t,
                    });
                }
            }
            _ => ok = false,
        }
    }
    for (rs, st) in raw.stacks.iter().zip(stacks.iter_mut()) {
        let Some(t) = &rs.throttle else { continue };
        let p = format!("stack[{}].throttle", rs.name.value);
        match throttle(&t.value, &p, v) {
            Some(a) => {
                if let Some(st) = st {
                    st.on_throttle = a;
                }
            }
            None => ok = false,
        }
    }
    ok
}

fn throttle(t: &RawThrottle, p: &str, v: &mut Validator) -> Option<OnThrottle> {
    let action = t.action.as_ref().map_or("retry", |a| a.value.as_str());
    let next = match action {
        "retry" => false,
        "next" => true,
        other => {
            let loc = t.action.as_ref()?.loc;
            let help = match crate::base::error::suggest(other, quota::ACTIONS) {
                Some(s) => format!("did you mean `{s}`?"),
                None => "use `retry` (try again after `retry_after_s`) or `next` (the next link of the chain)".to_string(),
            };
            v.invalid(
                format!("unknown throttle `action` `{other}`"),
                loc,
                &format!("{p}.action"),
                help,
            );
            return None;
        }
    };
    let after = match &t.retry_after_s {
        None => Some(quota::DEFAULT_RETRY_AFTER_S),
        Some(x) => positive(
            v,
            x,
            &format!("{p}.retry_after_s"),
            MAX_RETRY_AFTER_S,
            "the seconds a client waits before trying a throttled call again, e.g. 60",
        ),
    };
    let tries = match &t.max_tries {
        None => Some(quota::DEFAULT_MAX_TRIES),
        Some(x) if x.value.fract() == 0.0 && (1.0..=MAX_TRIES).contains(&x.value) => {
            Some(x.value as u32)
        }
        Some(x) => {
            v.invalid(
                format!(
                    "`max_tries` must be a whole number from 1 to {}, got {}",
                    num(MAX_TRIES),
                    num(x.value)
                ),
                x.loc,
                &format!("{p}.max_tries"),
                "the tries in all, the first included: 3 tries once and retries twice",
            );
            None
        }
    };
    if next {
        for (key, given) in [
            ("retry_after_s", t.retry_after_s.as_ref().map(|x| x.loc)),
            ("max_tries", t.max_tries.as_ref().map(|x| x.loc)),
        ] {
            if let Some(loc) = given {
                v.invalid(
                    format!("`{key}` has no effect with `action = \"next\"`"),
                    loc,
                    &format!("{p}.{key}"),
                    "remove it, or write `action = \"retry\"`",
                );
                return None;
            }
        }
        return Some(OnThrottle::Next);
    }
    Some(OnThrottle::Retry {
        after_s: after?,
        max_tries: tries?,
    })
}

/// A number above zero and at most `hi`.
fn positive(v: &mut Validator, x: &Located<f64>, path: &str, hi: f64, help: &str) -> Option<f64> {
    if x.value.is_finite() && x.value > 0.0 && x.value <= hi {
        return Some(x.value);
    }
    let key = path.rsplit('.').next().unwrap_or(path);
    v.invalid(
        format!(
            "`{key}` must be above 0 and at most {}, got {}",
            num(hi),
            if x.value.is_finite() {
                num(x.value)
            } else {
                x.value.to_string()
            }
        ),
        x.loc,
        path,
        help,
    );
    None
}
