//! The dollar totals of one stack's month in the exact engine, in one typed place: what every
//! billed or refused request adds (by cost class, workflow, model, day; retries, incident
//! repeats, refused demand).
//!
//! A month adds up millions of small amounts, so its totals are compensated sums (a plain sum
//! drifts by cents at a billion requests, and by 10⁻⁸ of a dollar at four million). A request
//! adds into the day in progress through Knuth's TwoSum, which has no branch and keeps the
//! running sum's dependency chain one addition long (the rounding error of each addition is
//! computed beside it and summed apart); each day's sum and its error are folded into the
//! month's Neumaier sums once, when the day ends. So every total is the exact sum of its amounts
//! rounded about once, at the price of five floating-point operations per amount that do not
//! delay the next request. Requests arrive in day order, so a day ends when a request of a later
//! day comes or the month closes.

use crate::base::stats::KahanSum;
use crate::billing::classes::CostBreakdown;

/// A day's running total: the rounded sum and the sum of the rounding errors of its additions
/// (Knuth's TwoSum, exact for any order of magnitudes, without a branch).
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct DaySum {
    sum: f64,
    error: f64,
}

impl std::ops::AddAssign<f64> for DaySum {
    #[inline(always)]
    fn add_assign(&mut self, x: f64) {
        let t = self.sum + x;
        let x_part = t - self.sum;
        self.error += (self.sum - (t - x_part)) + (x - x_part);
        self.sum = t;
    }
}

impl DaySum {
    /// The day's total, rounded once.
    fn value(&self) -> f64 {
        self.sum + self.error
    }
}

/// Dollar totals, as the day's running sums (`DaySum`) or the month's compensated ones
/// (`KahanSum`).
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
    /// The day in progress.
    today: Dollars<DaySum>,
    /// The closed days, compensated.
    month: Dollars<KahanSum>,
    /// Billed per day of the month.
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

    /// The sums to add a request of day `day` (0-based) into; closes the day in progress when
    /// `day` is a later one.
    #[inline]
    pub fn day(&mut self, day: usize) -> &mut Dollars<DaySum> {
        if day != self.day {
            self.close_day();
            self.day = day;
        }
        &mut self.today
    }

    /// Fold the day in progress into the month and start it afresh.
    fn close_day(&mut self) {
        let (t, m) = (&mut self.today, &mut self.month);
        self.daily[self.day] += t.spend.value();
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

/// Add a day's sum and its rounding error into a compensated sum and empty it.
#[inline]
fn fold(month: &mut KahanSum, day: &mut DaySum) {
    if day.sum != 0.0 || day.error != 0.0 {
        month.add(day.sum);
        month.add(day.error);
        *day = DaySum::default();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A month of a million cent-sized amounts over 30 days sums to the exact cent (the float
    /// nearest 0.01 is 0.01 + 2·10⁻¹⁹, so the exact sum rounds to 10,000), and each day to its
    /// own requests; the days' sums add up to the month's. A plain running sum of the same
    /// amounts ends 1.6·10⁻⁸ away.
    #[test]
    fn days_fold_into_the_month_exactly() {
        let mut l = Ledger::new(30, 1, 1);
        let n = 1_000_000u64;
        let mut per_day = [0u64; 30];
        let mut plain = 0.0f64;
        for i in 0..n {
            let day = (i * 30 / n) as usize;
            per_day[day] += 1;
            plain += 0.01;
            let d = l.day(day);
            d.spend += 0.01;
            d.workflow[0] += 0.01;
            d.by_class[2] += 0.01;
        }
        assert!((plain - 10_000.0).abs() > 1e-9, "{plain}");
        let (m, daily) = l.close();
        assert_eq!(m.spend, 10_000.0);
        assert_eq!(m.workflow[0], 10_000.0);
        assert_eq!(m.by_class[2], 10_000.0);
        assert_eq!(m.model[0], 0.0);
        for (d, count) in daily.iter().zip(per_day) {
            assert!((d - count as f64 * 0.01).abs() < 1e-12, "{d} for {count}");
        }
        let total: f64 = daily.iter().sum();
        assert!((total - m.spend).abs() < 1e-9);
    }

    /// A day's sum is exact whatever the order of magnitudes: a large amount, many tiny ones
    /// each below half a unit in its last place, and the large amount taken back. The rounding
    /// errors are themselves summed plainly, so the day is within n·ε of them (10⁻¹³ here).
    #[test]
    fn a_day_keeps_amounts_below_the_last_place() {
        let mut d = DaySum::default();
        d += 1e8;
        for _ in 0..1_000_000 {
            d += 1e-9;
        }
        d += -1e8;
        assert!((d.value() - 1e-3).abs() < 1.2e-13, "{}", d.value());
    }
}
