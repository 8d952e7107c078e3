//! When a one-time fee pays for itself: a plan that pays for a fine-tuning job (or any other
//! one-time fee) against a plan that does not, month by month over the horizon, trial by trial
//! under common random numbers.
//!
//! In each trial the cumulative saving after month m is `Σ_{j ≤ m} (other_j − investing_j)`,
//! where each month's spend includes every fee of that month. The trial breaks even in the first
//! month, from the month of the investing plan's last one-time fee on, whose cumulative saving is
//! at least 0 (a trial that never does within the horizon breaks even "beyond the horizon"). The
//! break-even month's percentiles are order statistics of the trials' months; the probability of
//! having broken even by each month is a share of trials, with its binomial standard error; the
//! expected cumulative saving of each month is a mean over trials, with its standard error.

use serde::Serialize;

use crate::base::stats::estimate::Estimate;

/// The break-even of one plan's one-time fees against another plan.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct BreakEven {
    /// The plan that pays the one-time fees.
    pub investing: String,
    /// The plan it is measured against.
    pub against: String,
    /// One-time fees of the investing plan over the horizon, less the other plan's.
    pub one_time_usd: f64,
    /// Months of the horizon.
    pub months: u32,
    /// The month (1-based) in which the expected cumulative saving first reaches 0, from the
    /// month of the last one-time fee on; `None` when it does not within the horizon.
    pub expected_month: Option<u32>,
    /// Percentiles of the trials' break-even months (1-based); `None` is beyond the horizon.
    pub p5_month: Option<u32>,
    pub median_month: Option<u32>,
    pub p95_month: Option<u32>,
    /// Share of trials that break even within the horizon.
    pub probability_within_horizon: Estimate,
    /// For each month of the horizon, the share of trials that broke even by its end.
    pub probability_by_month: Vec<Estimate>,
    /// For each month of the horizon, the mean cumulative saving to its end (the other plan's
    /// spend less the investing plan's).
    pub cumulative_saving_usd: Vec<Estimate>,
}

/// The break-even of `investing` against `against`, from each plan's spend of every simulated
/// month (`trial × months + month`, the same trials in the same order) and the months (0-based)
/// in which the investing plan pays its one-time fees. `None` without a full trial.
pub fn break_even(
    (investing, spend_i): (&str, &[f64]),
    (against, spend_o): (&str, &[f64]),
    months: usize,
    one_time_usd: f64,
    last_fee_month: usize,
) -> Option<BreakEven> {
    let months = months.max(1);
    let trials = spend_i.len().min(spend_o.len()) / months;
    if trials == 0 {
        return None;
    }
    let mut cumulative: Vec<Vec<f64>> = vec![Vec::with_capacity(trials); months];
    // Per trial, the 0-based month it breaks even in; `months` when it does not.
    let mut when: Vec<usize> = Vec::with_capacity(trials);
    for t in 0..trials {
        let mut saving = 0.0;
        let mut at = months;
        for (m, column) in cumulative.iter_mut().enumerate() {
            let i = t * months + m;
            saving += spend_o[i] - spend_i[i];
            column.push(saving);
            if at == months && m >= last_fee_month && saving >= 0.0 {
                at = m;
            }
        }
        when.push(at);
    }
    let cumulative_saving_usd: Vec<Estimate> =
        cumulative.iter().map(|c| Estimate::mean_of(c)).collect();
    let expected_month = cumulative_saving_usd
        .iter()
        .enumerate()
        .find(|(m, e)| *m >= last_fee_month && e.value >= 0.0)
        .map(|(m, _)| m as u32 + 1);
    let mut sorted = when.clone();
    sorted.sort_unstable();
    // Nearest rank: the smallest month by which at least a share p of the trials broke even.
    let rank = |p: f64| {
        let k = ((p * trials as f64).ceil() as usize).clamp(1, trials) - 1;
        let m = sorted[k];
        (m < months).then_some(m as u32 + 1)
    };
    let by = |m: usize| Estimate::proportion(when.iter().filter(|&&w| w <= m).count(), trials);
    Some(BreakEven {
        investing: investing.to_string(),
        against: against.to_string(),
        one_time_usd,
        months: months as u32,
        expected_month,
        p5_month: rank(0.05),
        median_month: rank(0.5),
        p95_month: rank(0.95),
        probability_within_horizon: by(months - 1),
        probability_by_month: (0..months).map(by).collect(),
        cumulative_saving_usd,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fee_of_three_months_of_saving_breaks_even_in_the_third_month() {
        // A saving of $100 a month against a $250 fee in month 1: −150, −50, +50.
        let invest = [350.0, 100.0, 100.0, 100.0];
        let other = [200.0, 200.0, 200.0, 200.0];
        let b = break_even(("ft", &invest), ("few", &other), 4, 250.0, 0).expect("one trial");
        assert_eq!(b.expected_month, Some(3));
        assert_eq!(b.median_month, Some(3));
        assert_eq!(b.probability_by_month[1].value, 0.0);
        assert_eq!(b.probability_by_month[2].value, 1.0);
        assert_eq!(b.cumulative_saving_usd[3].value, 150.0);
    }

    #[test]
    fn a_trial_that_never_breaks_even_is_beyond_the_horizon() {
        let invest = [500.0, 100.0, 500.0, 190.0];
        let other = [200.0, 200.0, 200.0, 200.0];
        // Trial 1 never recovers its $300 within two months; trial 2 recovers nothing either.
        let b = break_even(("ft", &invest), ("few", &other), 2, 300.0, 0).expect("two trials");
        assert_eq!(b.median_month, None);
        assert_eq!(b.probability_within_horizon.value, 0.0);
    }
}
