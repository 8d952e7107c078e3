//! The dollar totals of one stack's month in the exact engine, in one typed place: what every
//! billed or refused request adds (by cost class, workflow, model, day; retries, incident
//! repeats, refused demand).
//!
//! A month adds up millions of small amounts, so its totals are compensated sums (a plain sum
//! drifts by cents at a billion requests). A compensated addition costs a few dependent
//! operations, and a request makes a dozen of them; so a request adds into plain sums of the day
//! in progress, and each day's sums are folded into the month's compensated ones once, when the
//! day ends. A day's plain sum of a few million positive amounts is exact to about 10⁻¹⁰ of it,
//! and the month's sum over its days is compensated, so the month stays exact to the cent.
//! Requests arrive in day order, so a day ends when a request of a later day comes or the month
//! closes.

use crate::base::stats::KahanSum;
use crate::billing::classes::CostBreakdown;

/// Dollar totals, as plain sums (`f64`, one day) or compensated sums (`KahanSum`, the month).
#[derive(Clone, Debug, Default)]
pub(super) struct Dollars<T> {
    /// Billed, all classes together.
    pub spend: T,
    /// Billed by cost class ([`CostBreakdown`] order).
    pub by_class: [T; CostBreakdown::LEN],
    /// Billed per workflow.
    pub workflow: Vec<T>,
    /// Billed per model (token charges after volume tiers and contracts).
    pub model: Vec<T>,
    /// Billed on calls after the first of a step (retries and escalations).
    pub retry: T,
    /// Billed on the repetitions caused by incidents.
    pub incident_extra: T,
    /// What the requests the hard cap refused would have been billed.
    pub rejected: T,
}

impl<T: Clone + Default> Dollars<T> {
    fn new(workflows: usize, models: usize) -> Self {
        Dollars {
            spend: T::default(),
            by_class: std::array::from_fn(|_| T::default()),
            workflow: vec![T::default(); workflows],
            model: vec![T::default(); models],
            retry: T::default(),
            incident_extra: T::default(),
            rejected: T::default(),
        }
    }
}

/// One stack's month of dollars: the day in progress, the days closed, the month so far.
#[derive(Clone, Debug)]
pub(super) struct Ledger {
    /// The day whose amounts `today` holds (0-based).
    day: usize,
    /// The day in progress, as plain sums.
    today: Dollars<f64>,
    /// The closed days, compensated.
    month: Dollars<KahanSum>,
    /// Billed per day of the month, each day a plain sum of its requests.
    daily: Vec<f64>,
}

impl Ledger {
    pub fn new(days: usize, workflows: usize, models: usize) -> Self {
        Ledger {
            day: 0,
            today: Dollars::new(workflows, models),
            month: Dollars::new(workflows, models),
            daily: vec![0.0; days],
        }
    }

    /// The plain sums to add a request of day `day` (0-based) into; closes the day in progress
    /// when `day` is a later one.
    #[inline]
    pub fn day(&mut self, day: usize) -> &mut Dollars<f64> {
        if day != self.day {
            self.close_day();
            self.day = day;
        }
        &mut self.today
    }

    /// Fold the day in progress into the month and start it afresh.
    fn close_day(&mut self) {
        let (t, m) = (&mut self.today, &mut self.month);
        self.daily[self.day] += t.spend;
        fold(&mut m.spend, &mut t.spend);
        for (m, t) in m.by_class.iter_mut().zip(&mut t.by_class) {
            fold(m, t);
        }
        for (m, t) in m.workflow.iter_mut().zip(&mut t.workflow) {
            fold(m, t);
        }
        for (m, t) in m.model.iter_mut().zip(&mut t.model) {
            fold(m, t);
        }
        fold(&mut m.retry, &mut t.retry);
        fold(&mut m.incident_extra, &mut t.incident_extra);
        fold(&mut m.rejected, &mut t.rejected);
    }

    /// Close the month: the month's totals, and the amount billed each day.
    pub fn close(mut self) -> (Dollars<f64>, Vec<f64>) {
        self.close_day();
        let m = self.month;
        let value = KahanSum::value;
        (
            Dollars {
                spend: m.spend.value(),
                by_class: m.by_class.each_ref().map(value),
                workflow: m.workflow.iter().map(value).collect(),
                model: m.model.iter().map(value).collect(),
                retry: m.retry.value(),
                incident_extra: m.incident_extra.value(),
                rejected: m.rejected.value(),
            },
            self.daily,
        )
    }
}

/// Add a plain sum into a compensated one and empty it.
#[inline]
fn fold(month: &mut KahanSum, day: &mut f64) {
    if *day != 0.0 {
        month.add(*day);
        *day = 0.0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A month of a million cent-sized amounts over 30 days sums to the cent and each day to
    /// its own requests; the days' sums add up to the month's.
    #[test]
    fn days_fold_into_the_month_exactly() {
        let mut l = Ledger::new(30, 1, 1);
        let n = 1_000_000u64;
        for i in 0..n {
            let d = l.day((i * 30 / n) as usize);
            d.spend += 0.01;
            d.workflow[0] += 0.01;
            d.by_class[2] += 0.01;
        }
        let (m, daily) = l.close();
        assert!((m.spend - 10_000.0).abs() < 1e-6, "{}", m.spend);
        assert!((m.workflow[0] - 10_000.0).abs() < 1e-6);
        assert!((m.by_class[2] - 10_000.0).abs() < 1e-6);
        assert_eq!(m.model[0], 0.0);
        assert!(daily.iter().all(|d| (d - 10_000.0 / 30.0).abs() < 0.02));
        let total: f64 = daily.iter().sum();
        assert!((total - m.spend).abs() < 1e-6);
    }
}
