//! A trial's fees beyond its calls (fine-tuning jobs and hosting, `billing::capacity`), added
//! to each month of each stack once the engine has simulated it. Both engines' trials pass
//! through [`add_fees`] on their way to the fold, so their invoices carry the same fees.

use crate::billing::capacity::{Fee, month_fees};
use crate::billing::classes::CostClass;
use crate::model::Scenario;
use crate::sim::engine::outcome::{StackTrial, TrialOutcome};

/// Add every month's fees to each stack's spend, billing classes, model spend and days: a
/// training job on the month's first day, hosting spread evenly over its days.
pub(crate) fn add_fees(s: &Scenario, o: &mut TrialOutcome) {
    if !crate::billing::capacity::has_fees(s) {
        return;
    }
    let days = s.simulation.days;
    for (mi, month) in o.months.iter_mut().enumerate() {
        for (k, st) in month.stacks.iter_mut().enumerate() {
            for fee in month_fees(s, k, mi as u32, days) {
                add_fee(st, &fee);
            }
        }
    }
}

fn add_fee(st: &mut StackTrial, fee: &Fee) {
    st.spend += fee.usd;
    // The same month without the budget policies is billed the same fees: policies act on
    // requests, and a training job or a deployment's hours are billed whatever they do.
    if let Some(without) = st.policy.spend_without.as_mut() {
        *without += fee.usd;
    }
    let mut classes = st.cost_by_class.to_array();
    classes[fee.class.index()] += fee.usd;
    st.cost_by_class = crate::billing::classes::CostBreakdown::from_array(classes);
    if let Some(x) = st.model_spend.get_mut(fee.model) {
        *x += fee.usd;
    }
    let n = st.daily.len();
    if n == 0 {
        return;
    }
    match fee.class {
        CostClass::Training => st.daily[0] += fee.usd,
        _ => {
            let per_day = fee.usd / n as f64;
            for d in &mut st.daily {
                *d += per_day;
            }
        }
    }
}
