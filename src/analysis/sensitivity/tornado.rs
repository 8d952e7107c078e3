//! The tornado chart as SVG: one panel per stack, one bar per input, from the mean spend with the
//! input low to the mean spend with it high, around the base mean; largest swing on top.
//!
//! Self-contained (plotters with the SVG backend only, no font files): the chart is text, so it
//! can be committed next to a scenario and diffed.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::{Sensitivity, StackSensitivity};

/// Inputs drawn per panel; the rest are in the table.
pub(crate) const MAX_BARS: usize = 12;

const WIDTH: u32 = 960;
const ROW_PX: u32 = 28;
const PANEL_EXTRA_PX: u32 = 90;

const LOW_COLOR: RGBColor = RGBColor(70, 130, 180);
const HIGH_COLOR: RGBColor = RGBColor(214, 96, 77);

/// The chart as an SVG document; the error is the drawing backend's.
pub fn svg(r: &Sensitivity) -> Result<String, Box<dyn std::error::Error>> {
    let heights: Vec<u32> = r
        .stacks
        .iter()
        .map(|st| st.moving().count().clamp(1, MAX_BARS) as u32 * ROW_PX + PANEL_EXTRA_PX)
        .collect();
    let total: u32 = heights.iter().sum::<u32>().max(1);
    let mut out = String::new();
    let mut shortened = Vec::new();
    {
        let root = SVGBackend::with_string(&mut out, (WIDTH, total)).into_drawing_area();
        root.fill(&WHITE)?;
        let mut rest = root;
        for (st, h) in r.stacks.iter().zip(&heights) {
            let (panel, below) = rest.split_vertically(*h);
            shortened.extend(panel_for(&panel, st, &r.scenario)?);
            rest = below;
        }
        rest.present()?;
    }
    Ok(crate::base::svgtext::with_titles(&out, &shortened))
}

/// Size of the inputs' names, in plotters' units (the SVG gets `× 0.806` px).
const LABEL_SIZE: f64 = 13.0;
/// The widest the column of names may grow, in pixels; a longer name is shortened in the middle
/// and keeps its full text as a tooltip.
const MAX_LABEL_PX: f64 = 440.0;

fn label_px() -> f64 {
    LABEL_SIZE * 0.806
}

/// The column width the names need, up to [`MAX_LABEL_PX`].
fn label_area(labels: &[&str]) -> f64 {
    let widest = labels
        .iter()
        .map(|l| crate::base::svgtext::width(l, label_px()))
        .fold(0.0, f64::max);
    (widest + 24.0).clamp(120.0, MAX_LABEL_PX + 24.0)
}

fn short(label: &str, area: f64) -> String {
    crate::base::svgtext::fit(label, label_px(), area - 24.0)
}

/// Draw one stack's panel; returns the names it shortened, with their full text.
fn panel_for(
    area: &DrawingArea<SVGBackend<'_>, Shift>,
    st: &StackSensitivity,
    scenario: &str,
) -> Result<Vec<(String, String)>, Box<dyn std::error::Error>> {
    let bars: Vec<_> = st.moving().take(MAX_BARS).collect();
    let n = bars.len().max(1) as i32;
    let base = st.mean_usd;
    let lo = bars
        .iter()
        .map(|b| b.mean_low_usd.min(b.mean_high_usd))
        .fold(base, f64::min);
    let hi = bars
        .iter()
        .map(|b| b.mean_low_usd.max(b.mean_high_usd))
        .fold(base, f64::max);
    let pad = ((hi - lo) * 0.08).max(base.abs() * 0.01).max(1e-9);
    let names: Vec<&str> = bars.iter().map(|b| b.input.as_str()).collect();
    let area_px = label_area(&names);
    let labels: Vec<String> = names.iter().map(|n| short(n, area_px)).collect();
    let mut chart = ChartBuilder::on(area)
        .caption(
            format!(
                "{scenario} · {} · mean monthly spend, input low (blue) / high (red)",
                st.stack
            ),
            ("sans-serif", 16),
        )
        .margin(10)
        // The last tick's label is centred on the plot's right edge: room for half of it.
        .margin_right(
            (crate::base::svgtext::width(&crate::base::format::money(hi + pad), label_px()) / 2.0)
                .ceil() as u32
                + 10,
        )
        .x_label_area_size(45)
        .y_label_area_size(area_px as u32)
        .build_cartesian_2d((lo - pad)..(hi + pad), (0..n).into_segmented())?;
    chart
        .configure_mesh()
        .disable_y_mesh()
        .disable_x_mesh()
        .y_labels(n as usize)
        .x_labels(8)
        .x_desc("USD per month")
        .label_style(("sans-serif", LABEL_SIZE))
        .x_label_formatter(&|x| crate::base::format::money(*x))
        .y_label_formatter(&|y| match y {
            SegmentValue::CenterOf(i) => {
                // Row 0 is drawn at the bottom; the largest swing goes on top.
                let idx = (n - 1 - *i) as usize;
                labels.get(idx).cloned().unwrap_or_default()
            }
            _ => String::new(),
        })
        .draw()?;
    for (i, b) in bars.iter().enumerate() {
        let row = n - 1 - i as i32;
        for (x, color) in [(b.mean_low_usd, LOW_COLOR), (b.mean_high_usd, HIGH_COLOR)] {
            let (a, z) = if x < base { (x, base) } else { (base, x) };
            let mut bar = Rectangle::new(
                [
                    (a, SegmentValue::Exact(row)),
                    (z, SegmentValue::Exact(row + 1)),
                ],
                color.mix(0.85).filled(),
            );
            bar.set_margin(4, 4, 0, 0);
            chart.draw_series(std::iter::once(bar))?;
        }
    }
    chart.draw_series(std::iter::once(PathElement::new(
        vec![
            (base, SegmentValue::Exact(0)),
            (base, SegmentValue::Exact(n)),
        ],
        BLACK.stroke_width(1),
    )))?;
    Ok(labels
        .into_iter()
        .zip(names)
        .map(|(s, f)| (s, f.to_string()))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_labels_keep_their_start_and_end() {
        let l = "stack[a-very-long-stack-name].route.summary.chain[0].validation_failure_rate.of.a.very.long.step";
        let area = label_area(&[l]);
        assert_eq!(area, MAX_LABEL_PX + 24.0);
        let s = short(l, area);
        assert!(
            s.starts_with("stack[") && s.ends_with(".step") && s.contains('…'),
            "{s}"
        );
        // The names of the shipped scenarios fit whole.
        let n = "model[claude-sonnet-4-5].long_context.input_usd_per_mtok";
        assert_eq!(short(n, label_area(&[n])), n);
    }
}
