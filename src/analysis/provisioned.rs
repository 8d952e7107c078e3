//! The report of a stack's provisioned capacities: per capacity, the share of it used (p50
//! and p95 over the simulated months), the fee, what its idle hours cost, and the spillover
//! billed pay-as-you-go, in tokens and dollars. The JSON, the text table and the brief read
//! this one struct.

use serde::Serialize;

use crate::base::stats::{self, Summary};
use crate::billing::provisioned::CapacityMonth;
use crate::model::Scenario;
use crate::sim::engine::StackSim;

/// A mean over the simulated months with its standard error.
#[derive(Clone, Copy, Debug, Serialize, PartialEq)]
pub struct MeanSe {
    pub mean: f64,
    pub standard_error: f64,
}

impl MeanSe {
    fn of(values: &[f64]) -> MeanSe {
        let n = values.len().max(1) as f64;
        MeanSe {
            mean: stats::mean(values),
            standard_error: if values.len() > 1 {
                stats::sd(values) / n.sqrt()
            } else {
                0.0
            },
        }
    }
}

/// The share of a capacity used in a month: its median and 95th percentile over months.
#[derive(Clone, Copy, Debug, Serialize, PartialEq)]
pub struct Utilisation {
    pub mean: f64,
    pub p50: f64,
    pub p95: f64,
}

/// One provisioned capacity of one stack.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct ProvisionedReport {
    /// The provisioned model.
    pub model: String,
    /// The model whose pay-as-you-go prices bill the spillover.
    pub spillover_model: String,
    pub units: u32,
    pub term: &'static str,
    /// Tokens the capacity serves in a minute (all units).
    pub tokens_per_minute: f64,
    /// Units × hours × the hourly price, per month.
    pub fee_usd: MeanSe,
    /// The share of the capacity's tokens used in a month.
    pub utilisation: Utilisation,
    /// The fee of the unused share: fee × (1 − utilisation).
    pub idle_usd: MeanSe,
    /// Tokens above the capacity in a month, billed pay-as-you-go.
    pub spillover_tokens: MeanSe,
    /// Their cost at the spillover model's prices.
    pub spillover_usd: MeanSe,
    /// Fee plus spillover: what the model costs a month with the capacity.
    pub total_usd: MeanSe,
}

impl ProvisionedReport {
    /// The reports of a stack's capacities, in model order; empty without one.
    pub fn of(s: &Scenario, st: &StackSim) -> Vec<ProvisionedReport> {
        let Some(first) = st.capacity.first() else {
            return Vec::new();
        };
        (0..first.len())
            .filter_map(|i| {
                let months: Vec<&CapacityMonth> =
                    st.capacity.iter().filter_map(|m| m.get(i)).collect();
                let model = &s.models[months.first()?.model];
                let offer = model.provisioned.as_ref()?;
                let of = |f: &dyn Fn(&CapacityMonth) -> f64| {
                    MeanSe::of(&months.iter().map(|m| f(m)).collect::<Vec<f64>>())
                };
                let used: Vec<f64> = months.iter().map(|m| m.utilisation()).collect();
                let u = Summary::of(&used);
                Some(ProvisionedReport {
                    model: model.name.clone(),
                    spillover_model: offer.spillover.clone(),
                    units: offer.units,
                    term: offer.term.name(),
                    tokens_per_minute: offer.capacity_per_minute(),
                    fee_usd: of(&|m| m.fee_usd),
                    utilisation: Utilisation {
                        mean: u.mean,
                        p50: u.p50,
                        p95: u.p95,
                    },
                    idle_usd: of(&|m| m.idle_usd()),
                    spillover_tokens: of(&|m| m.spilled_tokens),
                    spillover_usd: of(&|m| m.spilled_usd),
                    total_usd: of(&|m| m.total_usd()),
                })
            })
            .collect()
    }
}
