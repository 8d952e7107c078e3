//! Charts as SVG text, drawn with plotters' SVG backend (no fonts are loaded: the text is written
//! as SVG `<text>`, which the viewer sets in its own sans-serif face).
//!
//! Every function takes plain numbers and returns a complete `<svg>` document, so the same chart
//! goes into the HTML brief or into a file of its own (`aicost plot`). Colours come from the
//! Okabe–Ito palette, which stays distinguishable under the common colour-vision deficiencies; dollar
//! axes carry thousands separators. Charts are 960 px wide, the width of the brief's column on a
//! laptop screen; they scale with the page through their `viewBox`.

mod bars;
mod cdf;
mod fan;
mod histogram;
mod spread;
mod style;

pub use bars::drivers;
pub(crate) use bars::{Bar, BarGroup};
pub use cdf::cdf;
pub use fan::fan;
pub(crate) use fan::{Axis, Band};
pub(crate) use histogram::Reference;
pub use histogram::histogram;
pub(crate) use spread::Boxes;
pub use spread::spread;
pub use style::*;
