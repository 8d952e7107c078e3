//! The estimate's side of the differential suite: the figures `estimate` reports, and the exact
//! engine's figures on the months each of them means (the horizon's average month, the first
//! month, a workflow's first month before seasonality), so that the two can be compared.

use std::collections::BTreeMap;

use aicost::model::Scenario;
use aicost::sim::engine::TrialOutcome;

/// The figures of a run's trials that the estimate reports, by the estimate's names, each on the
/// months the estimate means: requests, accepted tasks, review and the unit costs of the
/// horizon's average month (every month of every trial pooled, as `simulate` reports them); the
/// billing classes of the first month; a workflow's requests of the first month before its
/// seasonality.
pub fn estimate_view(
    s: &Scenario,
    outcomes: &[TrialOutcome],
    idx: &[usize],
) -> BTreeMap<String, f64> {
    let n = idx.len() as f64;
    let months = s.simulation.months.max(1) as usize;
    let season = s.simulation.seasonality.first().copied().unwrap_or(1.0);
    let mut out: BTreeMap<String, f64> = BTreeMap::new();
    for (k, st) in s.stacks.iter().enumerate() {
        let (mut spend, mut requests, mut accepted, mut review) = (0.0, 0.0, 0.0, 0.0);
        let mut refused = 0.0;
        let mut classes = [0.0; aicost::billing::classes::CostBreakdown::LEN];
        let mut workflow_requests = vec![0.0; s.workflows.len()];
        for &i in idx {
            for (m, month) in outcomes[i].months.iter().enumerate() {
                let t = &month.stacks[k];
                spend += t.spend;
                requests += t.requests as f64;
                accepted += t.accepted as f64;
                refused += t.window_refused as f64;
                review += t.review_usd;
                if m == 0 {
                    for (c, x) in classes.iter_mut().zip(t.cost_by_class.to_array()) {
                        *c += x;
                    }
                    for (w, x) in workflow_requests.iter_mut().zip(&t.workflow_requests) {
                        *w += *x as f64;
                    }
                }
            }
        }
        let month_count = n * months as f64;
        let p = |name: &str| format!("{}/{name}", st.name);
        out.insert(p("requests_per_month"), requests / month_count);
        out.insert(p("accepted_per_month"), accepted / month_count);
        if windows_compared(s) && requests > 0.0 {
            out.insert(p("window_refused_share"), refused / requests);
        }
        if requests > 0.0 {
            out.insert(p("cost_per_request_usd"), spend / requests);
        }
        if accepted > 0.0 {
            out.insert(p("cost_per_accepted_task_usd"), spend / accepted);
        }
        if s.workflows.iter().any(|w| w.review.is_some()) {
            out.insert(p("review_usd"), review / month_count);
            if accepted > 0.0 {
                out.insert(p("cost_per_useful_output_usd"), (spend + review) / accepted);
            }
        }
        for (name, x) in aicost::billing::classes::CostBreakdown::NAMES
            .iter()
            .zip(classes)
        {
            out.insert(p(&format!("by_class_usd.{name}")), x / n);
        }
        if season > 0.0 {
            for (w, x) in s.workflows.iter().zip(workflow_requests) {
                out.insert(
                    p(&format!("workflows[{}].requests_per_month", w.name)),
                    x / n / season,
                );
            }
        }
    }
    out
}

/// The estimate's figures under the names of [`estimate_view`] and of the report.
pub fn estimate_figures(s: &Scenario) -> (BTreeMap<String, f64>, BTreeMap<String, f64>) {
    let e = aicost::sim::estimate::estimate(s);
    let mut first = BTreeMap::new();
    let mut report = BTreeMap::new();
    for st in &e.stacks {
        let p = |name: &str| format!("{}/{name}", st.name);
        first.insert(p("requests_per_month"), st.requests_per_month);
        first.insert(p("accepted_per_month"), st.accepted_per_month);
        if windows_compared(s) {
            // Requests refused for their window, per request: each step's refusals among the
            // requests that reach it, outside the semantic cache.
            let (refused, requests) = st.workflows.iter().fold((0.0, 0.0), |(r, n), w| {
                let per_request: f64 = w
                    .steps
                    .iter()
                    .map(|step| step.reach_probability * step.window_refused)
                    .sum();
                (
                    r + w.requests_per_month * (1.0 - w.semantic_cache_hit_rate) * per_request,
                    n + w.requests_per_month,
                )
            });
            if requests > 0.0 {
                first.insert(p("window_refused_share"), refused / requests);
            }
        }
        if let Some(x) = st.cost_per_request_usd {
            first.insert(p("cost_per_request_usd"), x);
        }
        if let Some(x) = st.cost_per_accepted_task_usd {
            first.insert(p("cost_per_accepted_task_usd"), x);
        }
        if let Some(x) = st.review_usd {
            first.insert(p("review_usd"), x);
        }
        if let Some(x) = st.cost_per_useful_output_usd {
            first.insert(p("cost_per_useful_output_usd"), x);
        }
        for (name, x) in aicost::billing::classes::CostBreakdown::NAMES
            .iter()
            .zip(st.by_class_usd.to_array())
        {
            first.insert(p(&format!("by_class_usd.{name}")), x);
        }
        for w in &st.workflows {
            first.insert(
                p(&format!("workflows[{}].requests_per_month", w.name)),
                w.requests_per_month,
            );
        }
        report.insert(p("monthly_spend_usd.mean"), st.monthly_usd);
        if e.months > 1 {
            report.insert(p("horizon_total_usd.mean"), st.horizon_total_usd);
            for (m, x) in st.months_usd.iter().enumerate() {
                report.insert(p(&format!("months[{}].monthly_spend_usd.mean", m + 1)), *x);
            }
        }
    }
    (first, report)
}

/// Whether the estimate's share of requests refused for their input window is compared: where a
/// model has a window, and the share of the first month is that of the horizon (one month, or
/// one workflow whose mix cannot change).
fn windows_compared(s: &Scenario) -> bool {
    s.models.iter().any(|m| m.max_input_tokens.is_some())
        && (s.simulation.months <= 1 || s.workflows.len() == 1)
}
