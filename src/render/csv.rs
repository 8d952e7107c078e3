//! CSV for spreadsheets and scripts. Long ("tidy") format: one row per stack × statistic, with the
//! same columns whatever the scenario, so a pivot table or `pandas` reads every file the same way.
//! Numbers are written in full precision without separators; an absent value is an empty field.
//! Every row repeats the scenario, seed, trials and version, so a row keeps its provenance when
//! files are concatenated.

use crate::analysis::compare::Comparison;
use crate::analysis::detail::{Detail, Share, StackDetail};
use crate::analysis::report::Report;
use crate::base::stats::estimate::{Estimate, Interval, Z95};
use crate::sim::engine::TrialOutcome;

/// The columns of `simulate --format csv`, in order.
pub const COLUMNS: [&str; 12] = [
    "scenario",
    "seed",
    "trials",
    "stack",
    "statistic",
    "group",
    "unit",
    "value",
    "standard_error",
    "ci95_low",
    "ci95_high",
    "aicost_version",
];

/// The columns of `simulate --trials-out`, in order.
pub const TRIAL_COLUMNS: [&str; 7] = [
    "trial",
    "stack",
    "monthly_spend_usd",
    "requests",
    "accepted",
    "breach",
    "month",
];

/// A text field: a name that a spreadsheet would run as a formula (`=HYPERLINK(…)`) starts
/// with an apostrophe, and the field is quoted when it needs it (RFC 4180); see
/// `crate::base::escape::csv_cell`. Numbers are written by `num`, unchanged.
pub fn field(s: &str) -> String {
    crate::base::escape::csv_cell(s).into_owned()
}

fn num(x: f64) -> String {
    if x.is_finite() {
        format!("{x}")
    } else {
        String::new()
    }
}

struct Writer<'a> {
    out: String,
    prefix: String,
    version: &'a str,
}

impl Writer<'_> {
    /// One row; `key` is (stack, statistic, group, unit).
    fn row(&mut self, key: [&str; 4], value: f64, se: Option<f64>, ci: Option<(f64, f64)>) {
        let [stack, statistic, group, unit] = key;
        let (lo, hi) = ci.map_or((String::new(), String::new()), |(l, h)| (num(l), num(h)));
        self.out.push_str(&format!(
            "{}{},{},{},{},{},{},{},{},{}\n",
            self.prefix,
            field(stack),
            statistic,
            field(group),
            unit,
            num(value),
            se.map_or(String::new(), num),
            lo,
            hi,
            self.version
        ));
    }

    fn estimate(&mut self, stack: &str, statistic: &str, group: &str, unit: &str, e: &Estimate) {
        let ci = (e.standard_error.is_finite()).then_some((
            e.value - Z95 * e.standard_error,
            e.value + Z95 * e.standard_error,
        ));
        self.row(
            [stack, statistic, group, unit],
            e.value,
            Some(e.standard_error),
            ci,
        );
    }

    /// A probability estimated from `n` trials: its 95% interval is clamped to [0, 1], and when
    /// none (or all) of the trials had the event it is the Clopper–Pearson interval.
    fn proportion(&mut self, stack: &str, statistic: &str, group: &str, e: &Estimate, n: usize) {
        let edge = crate::base::format::clopper_pearson_edge(n);
        let ci = if e.value == 0.0 {
            (0.0, edge)
        } else if e.value == 1.0 {
            (1.0 - edge, 1.0)
        } else {
            (
                (e.value - Z95 * e.standard_error).max(0.0),
                (e.value + Z95 * e.standard_error).min(1.0),
            )
        };
        self.row(
            [stack, statistic, group, "probability"],
            e.value,
            Some(e.standard_error),
            Some(ci),
        );
    }

    fn interval(&mut self, stack: &str, statistic: &str, unit: &str, i: &Interval) {
        self.interval_in(stack, statistic, "", unit, i);
    }

    fn interval_in(&mut self, stack: &str, statistic: &str, group: &str, unit: &str, i: &Interval) {
        self.row(
            [stack, statistic, group, unit],
            i.value,
            None,
            Some((i.low, i.high)),
        );
    }

    fn shares(&mut self, stack: &str, what: &str, shares: &[Share]) {
        for s in shares {
            // Workflow and model names are the user's, written as they are (`x y` and `x_y` are
            // two workflows); token kinds are aicost's own fixed labels, written as identifiers
            // (`cached_input`).
            let kind;
            let group = if what == "token_kind" {
                kind = s.name.replace(' ', "_");
                kind.as_str()
            } else {
                s.name.as_str()
            };
            self.estimate(
                stack,
                &format!("{what}_spend_mean"),
                group,
                "usd",
                &s.monthly_usd,
            );
            self.estimate(
                stack,
                &format!("{what}_spend_share"),
                group,
                "share",
                &s.share,
            );
        }
    }
}

fn header() -> String {
    let mut h = COLUMNS.join(",");
    h.push('\n');
    h
}

/// The statistics of a simulation.
pub fn simulation(report: &Report, detail: &Detail) -> String {
    let mut w = Writer {
        out: header(),
        prefix: format!(
            "{},{},{},",
            field(&report.scenario),
            report.seed,
            report.trials
        ),
        version: report.aicost_version,
    };
    if report.partial {
        // A run stopped early (--max-seconds, Ctrl-C): its `trials` are the months it finished.
        w.row(["", "partial_run", "", "flag"], 1.0, None, None);
    }
    let n = report.trials as f64;
    for (r, d) in report.stacks.iter().zip(&detail.stacks) {
        let st = r.name.as_str();
        let m = &r.monthly_spend_usd;
        w.estimate(st, "monthly_spend_mean", "", "usd", &d.mean);
        w.row([st, "monthly_spend_sd", "", "usd"], m.sd, None, None);
        w.interval(st, "monthly_spend_p5", "usd", &d.p5);
        w.interval(st, "monthly_spend_p50", "usd", &d.p50);
        w.interval(st, "monthly_spend_p95", "usd", &d.p95);
        w.interval(st, "monthly_spend_p99", "usd", &d.p99);
        w.row(
            [st, "monthly_spend_cvar95", "", "usd"],
            m.cvar95,
            None,
            None,
        );
        w.row([st, "monthly_spend_min", "", "usd"], m.min, None, None);
        w.row([st, "monthly_spend_max", "", "usd"], m.max, None, None);
        if let Some(b) = &d.breach_probability {
            w.proportion(st, "breach_probability", "", b, report.trials as usize);
        }
        for a in &d.alerts {
            let g = num(a.fraction);
            w.row(
                [st, "alert_threshold", &g, "usd"],
                a.threshold_usd,
                None,
                None,
            );
            w.proportion(
                st,
                "alert_probability",
                &g,
                &a.probability,
                report.trials as usize,
            );
            if let Some(day) = &a.median_day {
                w.row(
                    [st, "alert_median_day", &g, "day"],
                    day.value,
                    None,
                    Some((day.low, day.high)),
                );
            }
        }
        w.estimate(st, "cost_per_user_mean", "", "usd", &d.cost_per_user);
        for (name, e, unit) in [
            ("cost_per_request", &d.cost_per_request, "usd"),
            ("cost_per_accepted_task", &d.cost_per_accepted_task, "usd"),
            ("acceptance_rate", &d.acceptance_rate, "share"),
            ("calls_per_request", &d.calls_per_request, "count"),
            ("escalation_share", &d.escalation_share, "share"),
        ] {
            if let Some(e) = e {
                w.estimate(st, name, "", unit, e);
            }
        }
        if let Some(retries) = &d.retries {
            w.estimate(st, "retry_cost_share", "", "share", &retries.share);
        }
        let req = &r.requests_per_month;
        w.estimate(
            st,
            "requests_per_month_mean",
            "",
            "count",
            &Estimate::new(req.mean, if n > 1.0 { req.sd / n.sqrt() } else { f64::NAN }),
        );
        w.shares(st, "workflow", &d.workflows);
        w.shares(st, "model", &d.models);
        w.shares(st, "token_kind", &d.token_kinds);
        let token_values = r.tokens.to_array();
        for (kind, tokens) in crate::billing::classes::Tokens::NAMES
            .iter()
            .zip(token_values)
            .filter(|(name, t)| {
                *t != 0.0 || ["input", "cached_input", "cache_write", "output"].contains(name)
            })
        {
            w.row(
                [st, "tokens_per_month_mean", kind, "tokens"],
                tokens,
                None,
                None,
            );
        }
        for g in &d.segments {
            for (name, v) in [
                ("segment_cost_per_user_mean", g.mean),
                ("segment_cost_per_user_p5", g.p5),
                ("segment_cost_per_user_p50", g.p50),
                ("segment_cost_per_user_p95", g.p95),
            ] {
                w.row([st, name, &g.name, "usd"], v, None, None);
            }
            if let Some(b) = g.over_budget {
                w.row(
                    [st, "segment_user_budget", &g.name, "usd"],
                    b.limit_usd,
                    None,
                    None,
                );
                w.row(
                    [st, "segment_share_over_user_budget", &g.name, "share"],
                    b.share_over,
                    None,
                    None,
                );
            }
        }
        features(
            &mut w,
            st,
            d,
            report.detail_trials.unwrap_or(report.trials) as usize,
        );
        if let Some(p) = &r.policies {
            policies(&mut w, st, p);
        }
    }
    w.out
}

/// The rows of a stack's budget policies: each policy's firing, each segment's degraded, paused
/// and refused shares (by a policy and by the hard cap apart), and the month with and without.
fn policies(w: &mut Writer<'_>, st: &str, p: &crate::analysis::policy::PoliciesReport) {
    for f in &p.policies {
        w.row(
            [st, "policy_probability_fired", &f.name, "share"],
            f.probability_fired,
            Some(f.probability_fired_standard_error),
            None,
        );
        if let Some(day) = f.median_day_fired {
            w.row(
                [st, "policy_median_day_fired", &f.name, "day"],
                day,
                None,
                None,
            );
        }
        w.row(
            [st, "policy_threshold", &f.name, "usd"],
            f.threshold_usd,
            None,
            None,
        );
    }
    for g in &p.segments {
        for (name, v) in [
            ("policy_degraded_share", g.degraded_share),
            ("policy_paused_share", g.paused_share),
            ("policy_refused_share", g.refused_share),
            ("hard_cap_refused_share", g.hard_cap_refused_share),
        ] {
            w.row([st, name, &g.name, "share"], v, None, None);
        }
    }
    let d = &p.spend_change_usd;
    for (name, v, se) in [
        ("policies_spend_mean", p.monthly_spend_usd, None),
        (
            "policies_spend_without_mean",
            p.monthly_spend_without_policies_usd,
            None,
        ),
        ("policies_spend_change_mean", d.mean, Some(d.standard_error)),
    ] {
        w.row([st, name, "", "usd"], v, se, None);
    }
    for (name, v) in [
        ("policies_hard_cap_probability", p.hard_cap_probability),
        (
            "policies_hard_cap_probability_without",
            p.hard_cap_probability_without_policies,
        ),
    ] {
        w.row([st, name, "", "share"], v, None, None);
    }
    for (name, v) in [
        (
            "policy_refused_requests_mean",
            p.policy_refused_requests.mean,
        ),
        (
            "policies_hard_cap_refused_requests_mean",
            p.hard_cap_refused_requests.mean,
        ),
        (
            "policies_hard_cap_refused_requests_without_mean",
            p.refused_requests_without_policies.mean,
        ),
        ("policies_paused_requests_mean", p.paused_requests.mean),
    ] {
        w.row([st, name, "", "count"], v, None, None);
    }
}

/// The rows of the features a scenario uses, after the rows every scenario has; a plain scenario
/// gets none of them.
fn features(w: &mut Writer<'_>, st: &str, d: &StackDetail, n: usize) {
    for (name, e) in [
        ("flex_refused_share", &d.flex_refused_share),
        ("semantic_cache_hit_share", &d.semantic_cache_hit_share),
        ("window_refused_share", &d.window_refused_share),
        ("provider_error_share", &d.provider_error_share),
    ] {
        if let Some(e) = e {
            w.estimate(st, name, "", "share", e);
        }
    }
    if let Some(c) = &d.hard_cap {
        w.row([st, "hard_cap", "", "usd"], c.cap_usd, None, None);
        w.proportion(st, "cap_hit_probability", "", &c.probability_hit, n);
        if let Some(day) = &c.median_day_hit {
            w.row(
                [st, "cap_hit_median_day", "", "day"],
                day.value,
                None,
                Some((day.low, day.high)),
            );
        }
        w.estimate(
            st,
            "rejected_requests_mean",
            "",
            "count",
            &c.rejected_requests,
        );
        w.interval(st, "rejected_requests_p95", "count", &c.rejected_p95);
        if let Some(e) = &c.rejected_share {
            w.estimate(st, "rejected_request_share", "", "share", e);
        }
        w.estimate(st, "refused_demand_mean", "", "usd", &c.refused_demand);
        w.interval(st, "refused_demand_p95", "usd", &c.refused_demand_p95);
    }
    for c in &d.contracts {
        let g = c.name.as_str();
        w.row(
            [st, "contract_committed", g, "usd"],
            c.committed_monthly_usd,
            None,
            None,
        );
        w.row(
            [st, "contract_discount", g, "share"],
            c.discount,
            None,
            None,
        );
        w.estimate(st, "contract_billed_mean", g, "usd", &c.billed);
        w.interval_in(st, "contract_billed_p95", g, "usd", &c.billed_p95);
        w.estimate(st, "contract_unused_mean", g, "usd", &c.unused);
        w.interval_in(st, "contract_unused_p95", g, "usd", &c.unused_p95);
        w.estimate(st, "contract_overage_mean", g, "usd", &c.overage_usd);
        w.proportion(
            st,
            "contract_underuse_probability",
            g,
            &c.underuse_probability,
            n,
        );
    }
    if let Some(i) = &d.incidents {
        for chance in &i.incidents {
            w.proportion(
                st,
                "incident_probability",
                &chance.name,
                &chance.probability,
                n,
            );
        }
        w.estimate(st, "incident_extra_spend_mean", "", "usd", &i.extra_spend);
        w.interval(
            st,
            "monthly_spend_p99_without_incidents",
            "usd",
            &i.p99_without,
        );
        w.estimate(st, "p99_from_incidents", "", "usd", &i.p99_from_incidents);
    }
    for l in &d.latency {
        let g = l.workflow.as_str();
        w.interval_in(st, "latency_p50", g, "ms", &l.p50_ms);
        w.interval_in(st, "latency_p95", g, "ms", &l.p95_ms);
        w.interval_in(st, "latency_p99", g, "ms", &l.p99_ms);
        for t in &l.targets {
            w.row(
                [st, &format!("latency_{}_target", t.percentile), g, "ms"],
                t.target_ms,
                None,
                None,
            );
            w.row(
                [
                    st,
                    &format!("latency_{}_target_met", t.percentile),
                    g,
                    "flag",
                ],
                f64::from(u8::from(t.met)),
                None,
                None,
            );
        }
    }
    if let Some(r) = &d.review {
        w.estimate(st, "review_cost_mean", "", "usd", &r.cost);
        if let Some(e) = &r.cost_per_useful_output {
            w.estimate(st, "cost_per_useful_output", "", "usd", e);
        }
    }
    if let Some(h) = &d.horizon {
        w.estimate(st, "horizon_total_mean", "", "usd", &h.total_mean);
        w.interval(st, "horizon_total_p5", "usd", &h.total_p5);
        w.interval(st, "horizon_total_p50", "usd", &h.total_p50);
        w.interval(st, "horizon_total_p95", "usd", &h.total_p95);
        if let (Some(budget), Some(p)) = (h.budget_usd, &h.breach) {
            w.row([st, "horizon_budget", "", "usd"], budget, None, None);
            w.proportion(st, "horizon_breach_probability", "", p, n);
        }
        for m in &h.months {
            let g = m.month.to_string();
            w.estimate(st, "month_spend_mean", &g, "usd", &m.mean);
            w.interval_in(st, "month_spend_p50", &g, "usd", &m.p50);
            w.interval_in(st, "month_spend_p95", &g, "usd", &m.p95);
            if let Some(b) = &m.breach_probability {
                w.proportion(st, "month_breach_probability", &g, b, n);
            }
        }
    }
}

/// The header line of `simulate --trials-out`.
pub(crate) fn trial_header() -> String {
    let mut out = TRIAL_COLUMNS.join(",");
    out.push('\n');
    out
}

/// The rows of trial `t`, one per month of its horizon and stack: monthly spend, requests,
/// accepted requests and whether the month breached the budget (`1`/`0`; empty without a
/// budget). Written as each trial finishes, so any number of trials fits in memory.
pub(crate) fn trial_rows(
    t: u64,
    o: &TrialOutcome,
    stacks: &[String],
    budget: Option<f64>,
) -> String {
    let mut out = String::new();
    for (m, month) in o.months.iter().enumerate() {
        for (st, name) in month.stacks.iter().zip(stacks) {
            let breach = budget.map_or("", |b| if st.spend > b { "1" } else { "0" });
            out.push_str(&format!(
                "{t},{},{},{},{},{breach},{}\n",
                field(name),
                num(st.spend),
                st.requests,
                st.accepted,
                m + 1
            ));
        }
    }
    out
}

/// The plans and pairwise differences of a comparison, in the same long format (`stack` holds
/// the plan, or `A − B` for a difference).
pub fn comparison(c: &Comparison) -> String {
    let mut w = Writer {
        out: header(),
        prefix: format!("{},{},{},", field(&c.title), c.seed, c.trials),
        version: c.aicost_version,
    };
    for p in &c.plans {
        let l = p.label.as_str();
        w.estimate(l, "monthly_spend_mean", "", "usd", &p.monthly_spend_usd);
        w.interval(l, "monthly_spend_p95", "usd", &p.p95_usd);
        if let Some(b) = &p.breach_probability {
            w.proportion(l, "breach_probability", "", b, c.trials as usize);
        }
        if let Some(a) = &p.acceptance_rate {
            w.estimate(l, "acceptance_rate", "", "share", a);
        }
        if let Some(a) = &p.cost_per_accepted_task_usd {
            w.estimate(l, "cost_per_accepted_task", "", "usd", a);
        }
        if let Some(e) = &p.window_refused {
            w.estimate(l, "window_refused_share", "", "share", e);
        }
        for lat in &p.latency {
            w.interval_in(l, "latency_p95", &lat.workflow, "ms", &lat.p95_ms);
        }
        if let Some(met) = p.latency_target_met {
            w.row(
                [l, "latency_targets_met", "", "flag"],
                f64::from(u8::from(met)),
                None,
                None,
            );
        }
    }
    for d in &c.differences {
        let l = format!("{} − {}", d.a, d.b);
        w.estimate(&l, "difference_mean", "", "usd", &d.mean_usd);
        w.row([&l, "difference_p5", "", "usd"], d.p5_usd, None, None);
        w.row([&l, "difference_p50", "", "usd"], d.p50_usd, None, None);
        w.row([&l, "difference_p95", "", "usd"], d.p95_usd, None, None);
        w.row(
            [&l, "difference_mean_independent_se", "", "usd"],
            d.independent_standard_error_usd,
            None,
            None,
        );
        w.proportion(
            &l,
            "probability_a_cheaper",
            "",
            &d.probability_a_cheaper,
            c.trials as usize,
        );
        if let Some(e) = &d.breach_probability_difference {
            w.estimate(&l, "breach_probability_difference", "", "probability", e);
        }
        if let Some(e) = &d.acceptance_rate_difference {
            w.estimate(&l, "acceptance_rate_difference", "", "share", e);
        }
        for lat in &d.latency_p95_differences {
            w.estimate(
                &l,
                "latency_p95_difference",
                &lat.workflow,
                "ms",
                &lat.difference_ms,
            );
        }
    }
    w.out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_quoted_only_when_needed() {
        assert_eq!(field("route-a"), "route-a");
        assert_eq!(field("a,b"), "\"a,b\"");
        assert_eq!(field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(field("=1+1"), "'=1+1");
    }
}
