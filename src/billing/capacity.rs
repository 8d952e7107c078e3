//! What a plan pays for beyond its calls: a fine-tuned model's training job (one-time, in the
//! month the scenario names) and the hourly hosting of its deployment. These fees do not depend
//! on traffic, so both engines, the estimate and the FOCUS export take them from the one
//! function here, [`month_fees`], and the invoices agree by construction.
//!
//! A stack pays the fees of the fine-tuned models its chains route to (a plan that never calls
//! a fine-tune trains and hosts nothing). The fees are billed by the provider outside the
//! request path: the hard cap, which refuses requests, neither refuses nor counts them.

use crate::billing::classes::CostClass;
use crate::model::Scenario;

/// Hours in a day, for hourly fees.
pub const HOURS_PER_DAY: f64 = 24.0;

/// One fee of a month: a model's training job or its hosting.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Fee {
    /// Index into the scenario's models.
    pub model: usize,
    /// [`CostClass::Training`] or [`CostClass::Hosting`].
    pub class: CostClass,
    pub usd: f64,
    /// Hours billed (hosting); 0 for a training job.
    pub hours: f64,
    /// Tokens trained on (tokens × epochs; a training job); 0 for hosting.
    pub tokens: f64,
}

/// The fees stack `k` owes in month `month` (0-based) of the horizon, for a month of `days`
/// days, in model order (training before hosting); none are zero.
pub fn month_fees(s: &Scenario, k: usize, month: u32, days: u32) -> Vec<Fee> {
    let mut out = Vec::new();
    for m in s.stacks[k].models() {
        let Some(ft) = &s.models[m].fine_tune else {
            continue;
        };
        if ft.training_month == month {
            let usd = ft.training_usd();
            if usd > 0.0 {
                out.push(Fee {
                    model: m,
                    class: CostClass::Training,
                    usd,
                    hours: 0.0,
                    tokens: ft.training_tokens * ft.epochs,
                });
            }
        }
        let hours = HOURS_PER_DAY * f64::from(days);
        let usd = ft.hosting_usd_per_hour * hours;
        if usd > 0.0 {
            out.push(Fee {
                model: m,
                class: CostClass::Hosting,
                usd,
                hours,
                tokens: 0.0,
            });
        }
    }
    out
}

/// Whether any model of the scenario carries fees beyond its calls.
pub fn has_fees(s: &Scenario) -> bool {
    s.models.iter().any(|m| m.fine_tune.is_some())
}
