//! The one place where a price is applied. [`prices`] resolves a model's price set (service tier
//! × long-context state); [`classes`] names the cost classes and token kinds a dollar or a token
//! is counted under; [`call`] is the per-call rule (cache reads and writes, batch, error billing,
//! images, audio, reasoning, tool fees); [`invoice`] turns a month's calls into what is billed
//! (volume tiers, committed-use contracts, the hard cap's view of spend). The exact engine bills
//! through it call by call, the closed forms and moments integrate over it, and backtest, FOCUS
//! and levers price with it; [`capacity`] holds the fees that do not depend on traffic (fine-tuning
//! jobs and hosting).

pub mod call;
pub mod capacity;
pub mod classes;
pub mod invoice;
pub mod prices;
pub mod provisioned;
