//! Validation of the traffic: `[[segment]]`s of users and the `[[workflow]]`s they start, step
//! by step (token distributions, retries, validation, escalation, caching).

use crate::base::error::{ProblemKind, suggest};
use crate::model::doc::de::Located;
use crate::model::scenario::raw::*;
use crate::model::scenario::validator::*;
use crate::model::*;

pub(super) fn segment(raw: &Located<RawSegment>, v: &mut Validator) -> Option<Segment> {
    let p = format!("segment[{}]", raw.name.value);
    let users = v.param(
        Some(&raw.users),
        0.0,
        &format!("{p}.users"),
        Domain::NonNegative,
    );
    if let Some(u) = &users {
        let hi = if u.dist.support().1.is_finite() {
            u.dist.support().1
        } else {
            u.dist.quantile(1.0 - 1e-9)
        };
        if hi > MAX_USERS {
            v.invalid(
                format!("`users` can reach {hi:e}, more than aicost models ({MAX_USERS:e})"),
                raw.users.loc,
                &format!("{p}.users"),
                "model the world population at most; check for a typo in the exponent",
            );
        }
    }
    let sessions = match (
        &raw.sessions_per_user_per_day,
        &raw.sessions_per_user_per_month,
    ) {
        (Some(d), None) => v
            .param(
                Some(d),
                0.0,
                &format!("{p}.sessions_per_user_per_day"),
                Domain::NonNegative,
            )
            .map(SessionRate::PerDay),
        (None, Some(m)) => v
            .param(
                Some(m),
                0.0,
                &format!("{p}.sessions_per_user_per_month"),
                Domain::NonNegative,
            )
            .map(SessionRate::PerMonth),
        (Some(_), Some(m)) => {
            v.invalid(
                "give either `sessions_per_user_per_day` or `sessions_per_user_per_month`, not both",
                m.loc,
                &format!("{p}.sessions_per_user_per_month"),
                "remove one of the two",
            );
            None
        }
        (None, None) => {
            v.error(
                ProblemKind::MissingKey,
                "missing key `sessions_per_user_per_day`",
                Some(raw.name.loc),
                &p,
                Some("add `sessions_per_user_per_day = …` (or `sessions_per_user_per_month`) to this segment".to_string()),
            );
            None
        }
    };
    let variability = v.param(
        raw.user_variability.as_ref(),
        0.0,
        &format!("{p}.user_variability"),
        Domain::NonNegative,
    );
    if let (Some(q), Some(var)) = (&raw.user_variability, &variability)
        && var.dist.support().1 > 100.0
    {
        v.invalid(
            "`user_variability` above 100 is not a meaningful coefficient of variation",
            q.loc,
            &format!("{p}.user_variability"),
            "0 means identical users; 1 is a wide spread; 3 is extreme",
        );
    }
    let weekend = v.param(
        raw.weekend_factor.as_ref(),
        1.0,
        &format!("{p}.weekend_factor"),
        Domain::NonNegative,
    );
    let growth = v.param(
        raw.monthly_growth.as_ref(),
        0.0,
        &format!("{p}.monthly_growth"),
        Domain::Growth,
    );
    let within_day = super::capacity::within_day(raw, &p, v);
    Some(Segment {
        within_day: within_day?,
        monthly_growth: growth?,
        name: raw.name.value.clone(),
        users: users?,
        sessions: sessions?,
        user_variability: variability?,
        weekend_factor: weekend?,
    })
}

// Long on purpose: one [[workflow]] table checked key by key, in the order its messages are
// reported; every check shares the table's location, path and validator, so parts would only
// pass them around.
pub(super) fn workflow(
    raw: &Located<RawWorkflow>,
    segment_names: &[&str],
    routes: &[String],
    tools: &mut Vec<String>,
    v: &mut Validator,
) -> Option<Workflow> {
    let p = format!("workflow[{}]", raw.name.value);
    let mut ok = true;
    let segments = match &raw.segments {
        None => (0..segment_names.len()).collect(),
        Some(list) => {
            if list.value.is_empty() {
                v.invalid(
                    "`segments` is empty, so this workflow never runs",
                    list.loc,
                    &format!("{p}.segments"),
                    "list the segments that use it, or remove the key to use all segments",
                );
                ok = false;
            }
            let mut out = Vec::new();
            for name in &list.value {
                match segment_names.iter().position(|s| *s == name.value) {
                    Some(i) if out.contains(&i) => {
                        v.error(
                            ProblemKind::Duplicate,
                            format!("segment `{}` is listed twice", name.value),
                            Some(name.loc),
                            &format!("{p}.segments"),
                            Some("list each segment once".to_string()),
                        );
                        ok = false;
                    }
                    Some(i) => out.push(i),
                    None => {
                        let help = match suggest(&name.value, segment_names.iter().copied()) {
                            Some(s) => format!("did you mean `{s}`?"),
                            None => format!("defined segments: {}", segment_names.join(", ")),
                        };
                        v.error(
                            ProblemKind::UnknownReference,
                            format!("unknown segment `{}`", name.value),
                            Some(name.loc),
                            &format!("{p}.segments"),
                            Some(help),
                        );
                        ok = false;
                    }
                }
            }
            out
        }
    };
    let requests = v.per_request(
        raw.requests_per_session.as_ref(),
        1.0,
        &format!("{p}.requests_per_session"),
    );
    if raw.steps.is_empty() {
        v.error(
            ProblemKind::MissingKey,
            format!("workflow `{}` has no steps", raw.name.value),
            Some(raw.name.loc),
            &p,
            Some("add a [[workflow.step]] with `name`, `route` and token counts".to_string()),
        );
        ok = false;
    }
    let path = match raw.path.as_ref().map(|x| x.value) {
        None | Some(RawPath::Live) => RequestPath::Live,
        Some(RawPath::Batch) => RequestPath::Batch,
    };
    let service_tier = match raw.service_tier.as_ref().map(|t| t.value) {
        None | Some(RawServiceTier::Standard) => ServiceTier::Standard,
        Some(RawServiceTier::Priority) => ServiceTier::Priority,
        Some(RawServiceTier::Flex) => ServiceTier::Flex,
    };
    if let Some(t) = &raw.service_tier
        && path == RequestPath::Batch
        && service_tier != ServiceTier::Standard
    {
        v.invalid(
            format!("a batch workflow cannot use the `{}` service tier", service_tier.name()),
            t.loc,
            &format!("{p}.service_tier"),
            "batch requests are billed at the batch discount; use service_tier = \"standard\" or path = \"live\"",
        );
        ok = false;
    }
    let steps: Vec<Option<Step>> = raw
        .steps
        .iter()
        .map(|s| step(s, &p, routes, tools, v))
        .collect();
    let steps: Option<Vec<Step>> = steps.into_iter().collect();
    if !ok {
        return None;
    }
    let semantic_hit = v.param(
        raw.semantic_cache_hit_rate.as_ref(),
        0.0,
        &format!("{p}.semantic_cache_hit_rate"),
        Domain::Rate,
    );
    let semantic_fee = v.param(
        raw.semantic_cache_usd_per_lookup.as_ref(),
        0.0,
        &format!("{p}.semantic_cache_usd_per_lookup"),
        Domain::NonNegative,
    );
    let review = match &raw.review {
        None => Some(None),
        Some(r) => {
            let rp = format!("{p}.review");
            let share = v.param(Some(&r.share), 0.0, &format!("{rp}.share"), Domain::Rate);
            let minutes = v.param(
                Some(&r.minutes),
                0.0,
                &format!("{rp}.minutes"),
                Domain::NonNegative,
            );
            let hourly = v.param(
                Some(&r.hourly_usd),
                0.0,
                &format!("{rp}.hourly_usd"),
                Domain::NonNegative,
            );
            let failed = v.param(
                r.failed_review_minutes.as_ref(),
                0.0,
                &format!("{rp}.failed_review_minutes"),
                Domain::NonNegative,
            );
            match (share, minutes, hourly, failed) {
                (Some(share), Some(minutes), Some(hourly_usd), Some(failed_review_minutes)) => {
                    Some(Some(Review {
                        share,
                        minutes,
                        hourly_usd,
                        failed_review_minutes,
                    }))
                }
                _ => None,
            }
        }
    };
    let latency_target = match &raw.latency_target_ms {
        None => Some(None),
        Some(t) => {
            let lp = format!("{p}.latency_target_ms");
            let mut get = |x: &Option<Located<f64>>, key: &str| match x {
                None => Some(None),
                Some(x) => v.number(x, &format!("{lp}.{key}"), 0.0, false).map(Some),
            };
            let (p50, p95, p99) = (get(&t.p50, "p50"), get(&t.p95, "p95"), get(&t.p99, "p99"));
            if t.p50.is_none() && t.p95.is_none() && t.p99.is_none() {
                v.invalid(
                    "`latency_target_ms` names no percentile",
                    t.loc,
                    &lp,
                    "write e.g. latency_target_ms = { p95 = 3000 }",
                );
            }
            if path == RequestPath::Batch {
                v.warn(
                    "a latency target on a batch workflow is not checked: batch requests have no interactive latency",
                    Some(t.loc),
                    &lp,
                    Some("remove it, or use path = \"live\"".to_string()),
                );
            }
            match (p50, p95, p99) {
                (Some(p50), Some(p95), Some(p99)) => Some(Some(LatencyTarget { p50, p95, p99 })),
                _ => None,
            }
        }
    };
    Some(Workflow {
        name: raw.name.value.clone(),
        segments,
        requests_per_session: requests?,
        path,
        service_tier,
        steps: steps?,
        semantic_cache_hit_rate: semantic_hit?,
        semantic_cache_usd_per_lookup: semantic_fee?,
        review: review?,
        latency_target: latency_target?,
    })
}

// Long on purpose: one step table checked key by key, in the order its messages are reported;
// every check shares the step's location, path and validator.
pub(super) fn step(
    raw: &Located<RawStep>,
    wp: &str,
    routes: &[String],
    tools: &mut Vec<String>,
    v: &mut Validator,
) -> Option<Step> {
    let p = format!("{wp}.step[{}]", raw.name.value);
    let route = routes.iter().position(|r| *r == raw.route.value)?;
    let tokens = |v: &mut Validator, q: &Option<Quantity>, key: &str| {
        v.per_request(q.as_ref(), 0.0, &format!("{p}.{key}"))
    };
    let prefix = tokens(v, &raw.static_prefix_tokens, "static_prefix_tokens");
    let input = tokens(v, &raw.input_tokens, "input_tokens");
    let output = tokens(v, &raw.output_tokens, "output_tokens");
    let reasoning = tokens(v, &raw.reasoning_tokens, "reasoning_tokens");
    let audio_in = tokens(v, &raw.audio_input_tokens, "audio_input_tokens");
    let audio_out = tokens(v, &raw.audio_output_tokens, "audio_output_tokens");
    let retrieval = match &raw.retrieval {
        None => Some(None),
        Some(r) => {
            let chunks = v.dist(
                &r.chunks,
                &format!("{p}.retrieval.chunks"),
                Domain::NonNegative,
            );
            let tokens = v.dist(
                &r.chunk_tokens,
                &format!("{p}.retrieval.chunk_tokens"),
                Domain::NonNegative,
            );
            match (chunks, tokens) {
                (Some(chunks), Some(chunk_tokens)) => Some(Some(Retrieval {
                    chunks,
                    chunk_tokens,
                })),
                _ => None,
            }
        }
    };
    let cap = |v: &mut Validator, c: &Option<Located<f64>>, key: &str| match c {
        None => Some(None),
        Some(c) => v.number(c, &format!("{p}.{key}"), 0.0, false).map(Some),
    };
    let max_output = cap(v, &raw.max_output_tokens, "max_output_tokens");
    let max_reasoning = cap(v, &raw.max_reasoning_tokens, "max_reasoning_tokens");
    if raw.max_reasoning_tokens.is_some() && raw.reasoning_tokens.is_none() {
        v.warn(
            "`max_reasoning_tokens` has no effect without `reasoning_tokens`",
            raw.max_reasoning_tokens.as_ref().map(|m| m.loc),
            &format!("{p}.max_reasoning_tokens"),
            Some("add `reasoning_tokens = …` to this step".to_string()),
        );
    }
    let cache = v.param(
        raw.cache_hit_rate.as_ref(),
        0.0,
        &format!("{p}.cache_hit_rate"),
        Domain::Rate,
    );
    let images = match &raw.images {
        None => Some(None),
        Some(i) => {
            let count = v.dist(&i.count, &format!("{p}.images.count"), Domain::NonNegative);
            let per = v.number(
                &i.tokens_per_image,
                &format!("{p}.images.tokens_per_image"),
                0.0,
                true,
            );
            match (count, per) {
                (Some(count), Some(tokens_per_image)) => Some(Some(Images {
                    count,
                    tokens_per_image,
                })),
                _ => None,
            }
        }
    };
    let mut tool_calls = Some(Vec::new());
    if let Some(list) = &raw.tool_calls {
        let mut seen: Vec<&str> = Vec::new();
        for t in &list.value {
            let tp = format!("{p}.tool_calls[{}]", t.name.value);
            if seen.contains(&t.name.value.as_str()) {
                v.error(
                    ProblemKind::Duplicate,
                    format!("tool `{}` is listed twice in this step", t.name.value),
                    Some(t.name.loc),
                    &tp,
                    Some("list each tool once; add the counts".to_string()),
                );
                tool_calls = None;
                continue;
            }
            seen.push(&t.name.value);
            let count = v.dist(&t.count, &format!("{tp}.count"), Domain::NonNegative);
            let fee = v.param(
                Some(&t.usd_per_call),
                0.0,
                &format!("{tp}.usd_per_call"),
                Domain::NonNegative,
            );
            let tool = match tools.iter().position(|n| *n == t.name.value) {
                Some(i) => i,
                None => {
                    tools.push(t.name.value.clone());
                    tools.len() - 1
                }
            };
            match (count, fee, tool_calls.as_mut()) {
                (Some(count), Some(usd_per_call), Some(list)) => list.push(ToolCall {
                    tool,
                    count,
                    usd_per_call,
                }),
                _ => tool_calls = None,
            }
        }
    }
    let aux = v.param(
        raw.aux_usd_per_request.as_ref(),
        0.0,
        &format!("{p}.aux_usd_per_request"),
        Domain::NonNegative,
    );
    let calls = v.per_request(raw.calls.as_ref(), 1.0, &format!("{p}.calls"));
    let growth = tokens(v, &raw.context_growth_tokens, "context_growth_tokens");
    if raw.context_growth_tokens.is_some() && raw.calls.is_none() {
        v.warn(
            "`context_growth_tokens` has no effect without `calls`",
            raw.context_growth_tokens.as_ref().map(|q| q.loc),
            &format!("{p}.context_growth_tokens"),
            Some(
                "the input grows from one call of a loop to the next; set `calls = …`".to_string(),
            ),
        );
    }
    let cache_ttl = match raw.cache_ttl.as_ref().map(|t| t.value) {
        None | Some(RawCacheTtl::FiveMinutes) => CacheTtl::FiveMinutes,
        Some(RawCacheTtl::OneHour) => CacheTtl::OneHour,
    };
    if raw.static_prefix_tokens.is_none()
        && raw.input_tokens.is_none()
        && raw.output_tokens.is_none()
        && raw.retrieval.is_none()
        && raw.images.is_none()
        && raw.audio_input_tokens.is_none()
        && raw.audio_output_tokens.is_none()
        && raw.tool_calls.is_none()
    {
        v.warn(
            format!(
                "step `{}` sends no tokens, so it costs nothing",
                raw.name.value
            ),
            Some(raw.name.loc),
            &p,
            Some("set `input_tokens` and `output_tokens`".to_string()),
        );
    }
    Some(Step {
        name: raw.name.value.clone(),
        route,
        static_prefix_tokens: prefix?,
        input_tokens: input?,
        retrieval: retrieval?,
        output_tokens: output?,
        max_output_tokens: max_output?,
        cache_hit_rate: cache?,
        cache_ttl,
        reasoning_tokens: reasoning?,
        max_reasoning_tokens: max_reasoning?,
        images: images?,
        audio_input_tokens: audio_in?,
        audio_output_tokens: audio_out?,
        tool_calls: tool_calls?,
        aux_usd_per_request: aux?,
        calls: calls?,
        context_growth_tokens: growth?,
    })
}
