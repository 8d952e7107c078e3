//! The figures as people read them: terminal tables and text, CSV, Markdown and HTML briefs
//! (built from shared [`blocks`]), SVG charts, the estimate's spreadsheet view and FOCUS rows.

pub mod assumptions;
pub mod blocks;
pub mod brief;
pub mod charts;
pub mod csv;
pub mod estimate;
pub mod focus;
pub mod html;
pub mod markdown;
pub mod plot;
pub mod policy;
pub mod quota;
pub mod roadmap;
pub mod table;
pub mod text;
