//! How a provisioned capacity is billed: units × hours × the hourly price, whatever the
//! traffic, and what does not fit in a minute at the spillover model's pay-as-you-go prices.
//!
//! The engines price every call to a provisioned model pay-as-you-go (at the spillover
//! model's prices) and record, minute by minute, its tokens and dollars. [`settle`] then
//! turns a month of minutes into the bill: the reservation's fee is added, and the
//! pay-as-you-go dollars of the tokens the capacity served are credited back. Within a minute
//! that overflows, each call spills the same share of its tokens (a minute's mix of requests
//! is the same whichever of them come first), so the spilled dollars are the minute's dollars
//! times its overflow over its tokens. The estimate settles its expected month with the same
//! function.

use crate::model::provisioned::{MINUTES_PER_DAY, Provisioned};

/// A month of one provisioned model's traffic on one stack, minute by minute summed up.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Demand {
    /// Index into the scenario's models.
    pub model: usize,
    /// Tokens sent to the model in the month (input and output).
    pub tokens: f64,
    /// Their pay-as-you-go dollars, as the engine billed them.
    pub usd: f64,
    /// Tokens above the capacity, minute by minute.
    pub spilled_tokens: f64,
    /// Their pay-as-you-go dollars.
    pub spilled_usd: f64,
    /// Per day, the pay-as-you-go dollars of the tokens the capacity served.
    pub served_usd_by_day: Vec<f64>,
}

impl Demand {
    /// Add a day's minutes: each minute's tokens and pay-as-you-go dollars, against the
    /// capacity per minute.
    pub fn add_day(&mut self, day: usize, capacity: f64, tokens: &[f64], usd: &[f64]) {
        let mut served = 0.0;
        for (&t, &u) in tokens.iter().zip(usd) {
            self.tokens += t;
            self.usd += u;
            let over = (t - capacity).max(0.0);
            let spilled = if t > 0.0 { u * over / t } else { 0.0 };
            self.spilled_tokens += over;
            self.spilled_usd += spilled;
            served += u - spilled;
        }
        if self.served_usd_by_day.len() <= day {
            self.served_usd_by_day.resize(day + 1, 0.0);
        }
        self.served_usd_by_day[day] += served;
    }
}

/// A month of one provisioned capacity on one stack, as billed.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CapacityMonth {
    /// Index into the scenario's models.
    pub model: usize,
    pub units: u32,
    /// Units × hours × the hourly price.
    pub fee_usd: f64,
    /// Tokens the capacity could serve in the month: its tokens per minute × the month's
    /// minutes.
    pub capacity_tokens: f64,
    /// Tokens the capacity served.
    pub served_tokens: f64,
    /// Tokens above the capacity, billed pay-as-you-go.
    pub spilled_tokens: f64,
    /// What they cost at the spillover model's prices.
    pub spilled_usd: f64,
    /// The pay-as-you-go dollars of the tokens the capacity served (credited back).
    pub served_usd: f64,
}

impl CapacityMonth {
    /// The share of the capacity used: served tokens over the tokens it could serve.
    pub fn utilisation(&self) -> f64 {
        if self.capacity_tokens > 0.0 {
            (self.served_tokens / self.capacity_tokens).min(1.0)
        } else {
            0.0
        }
    }

    /// The fee of the capacity left unused: the fee × (1 − utilisation).
    pub fn idle_usd(&self) -> f64 {
        self.fee_usd * (1.0 - self.utilisation())
    }

    /// What the capacity changes on the month's bill against pay-as-you-go for every token:
    /// the fee, less the pay-as-you-go dollars of what it served.
    pub fn net_usd(&self) -> f64 {
        self.fee_usd - self.served_usd
    }

    /// What the model costs in the month with the capacity: the fee plus the spillover.
    pub fn total_usd(&self) -> f64 {
        self.fee_usd + self.spilled_usd
    }
}

/// The month's bill of `offer` for `demand`, in a month of `days` days.
pub fn settle(offer: &Provisioned, days: u32, demand: &Demand) -> CapacityMonth {
    let minutes = (MINUTES_PER_DAY as f64) * f64::from(days);
    CapacityMonth {
        model: demand.model,
        units: offer.units,
        fee_usd: offer.month_usd(days),
        capacity_tokens: offer.capacity_per_minute() * minutes,
        served_tokens: (demand.tokens - demand.spilled_tokens).max(0.0),
        spilled_tokens: demand.spilled_tokens,
        spilled_usd: demand.spilled_usd,
        served_usd: demand.usd - demand.spilled_usd,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::provisioned::Term;

    fn offer(units: u32) -> Provisioned {
        Provisioned {
            units,
            tokens_per_minute_per_unit: 1_000.0,
            usd_per_unit_hour: 2.0,
            term: Term::Hourly,
            spillover: "m".into(),
        }
    }

    #[test]
    fn a_minute_over_capacity_spills_its_share_of_dollars() {
        // Capacity 2,000 a minute. Minutes of 1,000, 3,000 and 0 tokens at $1 per 1,000:
        // 1,000 over in the second minute, $1 of its $3.
        let mut d = Demand::default();
        d.add_day(0, 2_000.0, &[1_000.0, 3_000.0, 0.0], &[1.0, 3.0, 0.0]);
        assert_eq!(d.tokens, 4_000.0);
        assert_eq!(d.spilled_tokens, 1_000.0);
        assert!((d.spilled_usd - 1.0).abs() < 1e-12);
        assert!((d.served_usd_by_day[0] - 3.0).abs() < 1e-12);
        // A 30-day month of 2 units at $2 an hour: 2 × 720 × $2 = $2,880.
        let m = settle(&offer(2), 30, &d);
        assert_eq!(m.fee_usd, 2_880.0);
        assert_eq!(m.capacity_tokens, 2_000.0 * 43_200.0);
        assert!((m.net_usd() - 2_877.0).abs() < 1e-9);
        assert!((m.total_usd() - 2_881.0).abs() < 1e-9);
    }
}
