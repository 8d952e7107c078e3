//! The expected month's fees beyond its calls (fine-tuning jobs and hosting): the same
//! `billing::capacity::month_fees` the engines bill, added to the invoice after the hard cap,
//! which neither refuses nor counts them.

use super::report::Invoice;
use crate::billing::capacity::month_fees;
use crate::billing::classes::{CostBreakdown, CostClass};
use crate::model::Scenario;

/// Add stack `stack`'s fees of month `month` (0-based) to its invoice and billing classes.
pub(super) fn add_fees(
    s: &Scenario,
    stack: usize,
    month: u32,
    inv: &mut Invoice,
    classes: &mut [f64; CostBreakdown::LEN],
) {
    for fee in month_fees(s, stack, month, s.simulation.days) {
        match fee.class {
            CostClass::Training => inv.training_usd += fee.usd,
            _ => inv.hosting_usd += fee.usd,
        }
        classes[fee.class.index()] += fee.usd;
        inv.total_usd += fee.usd;
    }
}
