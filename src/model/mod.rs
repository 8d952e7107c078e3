//! What a forecast is about: the validated scenario ([`types`], whose items are re-exported
//! here), the distributions its quantities follow, the TOML format it is read from (documents,
//! layers and `--set`, validation), price catalogs, and the expected traffic it implies.

pub mod catalog;
pub mod dist;
pub mod doc;
pub mod policy;
pub mod prompt;
pub mod provisioned;
pub mod quota;
pub mod scenario;
pub mod schema;
pub mod sizes;
pub mod tokens;
pub mod traffic;
pub mod types;
pub mod within_day;

pub use policy::{Policy, PolicyAction, SpendScope};
pub use types::*;
