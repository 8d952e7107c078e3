//! Fan charts: one panel per stack (sharing the dollar axis), bands for the middle 50% and 90% of
//! simulated months, the median line, and dashed reference lines. Drawn over the days of a month
//! for cumulative spend against the alert thresholds, and over the months of a horizon for each
//! month's spend against the monthly budget and hard cap.

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::style::{
    FONT, GRID, INK, Labels, Mark, Result, WIDTH, axis_decimals, axis_money, color, err,
    half_width, legend, padded, text_box, text_color,
};

/// Percentiles of spend at one point of the x axis (a day, or a month of the horizon).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Band {
    /// The day of the month, or the month of the horizon (1-based).
    pub day: u32,
    pub p5: f64,
    pub p25: f64,
    pub p50: f64,
    pub p75: f64,
    pub p95: f64,
}

/// What the x axis of a fan chart counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Axis {
    /// Days of the month, for cumulative spend that starts at zero on day 0.
    Days,
    /// Months of a horizon, for each month's own spend.
    Months,
}

/// Draw the fan chart; `lines` are reference levels `(label, dollars)`: the alert thresholds,
/// or the budget and the hard cap.
// Long on purpose: one chart drawn in order (scales, then per stack its bands, median and labels)
// on one plotters area borrowed throughout; split, each part would take the area and the chart's
// scales.
pub fn fan(
    title: &str,
    stacks: &[(&str, &[Band])],
    lines: &[(String, f64)],
    axis: Axis,
) -> Result<String> {
    let top_data = stacks
        .iter()
        .flat_map(|(_, b)| b.iter().map(|d| d.p95))
        .fold(0.0, f64::max);
    let shown: Vec<&(String, f64)> = lines
        .iter()
        .filter(|(_, y)| *y > 0.0 && *y <= 1.6 * top_data.max(f64::MIN_POSITIVE))
        .collect();
    let top = shown.iter().map(|(_, y)| *y).fold(top_data, f64::max);
    // Headroom above the highest band or line, so a band never meets the frame.
    let (_, top) = padded(0.0, top, 0.12);
    let days = stacks
        .iter()
        .map(|(_, b)| b.len())
        .max()
        .unwrap_or(1)
        .max(1) as f64;
    // Cumulative spend starts at zero on day 0; a horizon's months start at month 1.
    let (x0, x_desc, legend_lines) = match axis {
        Axis::Days => (0.0, "day of the month", "alert thresholds"),
        Axis::Months => (1.0, "month of the horizon", "monthly budget and hard cap"),
    };
    let x1 = days.max(x0 + 1.0);
    let cols = stacks.len().clamp(1, 3);
    let rows = stacks.len().div_ceil(cols).max(1);
    let panel_height = if cols == 1 { 400 } else { 330 };
    let height = 56 + panel_height * rows as u32;
    let decimals = axis_decimals(top);
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, height)).into_drawing_area();
        root.fill(&WHITE).map_err(err)?;
        let root = root
            .titled(title, (FONT, 21).into_font().color(&INK))
            .map_err(err)?;
        let mut items = vec![
            (
                // Each month of a horizon is a share of the horizons, not of pooled months.
                match axis {
                    Axis::Days => "middle 90% of months",
                    Axis::Months => "middle 90% of horizons",
                }
                .to_string(),
                Mark::Fill(INK.mix(0.2)),
            ),
            ("middle 50%".to_string(), Mark::Fill(INK.mix(0.45))),
            ("median".to_string(), Mark::Line(INK.to_rgba())),
        ];
        if !shown.is_empty() {
            let capped = axis == Axis::Days && shown.iter().any(|(l, _)| l.starts_with("hard cap"));
            let text = if capped {
                format!("{legend_lines} and hard cap")
            } else {
                legend_lines.to_string()
            };
            items.push((text, Mark::Dashed(INK.to_rgba())));
        }
        let used = legend(&root, &items)?;
        let (_, rest) = root.split_vertically(used);
        let areas = rest.split_evenly((rows, cols));
        for (k, ((name, bands), area)) in stacks.iter().zip(areas.iter()).enumerate() {
            let c = color(k);
            let x_fmt = |x: &f64| format!("{x:.0}");
            let y_fmt = |y: &f64| axis_money(*y, decimals);
            let mut chart =
                ChartBuilder::on(area)
                    .caption(
                        *name,
                        (FONT, 16)
                            .into_font()
                            .style(FontStyle::Bold)
                            .color(&text_color(c)),
                    )
                    .margin_left(6)
                    .margin_right(16)
                    .x_label_area_size(40)
                    // Room for the widest money label left of the axis.
                    .y_label_area_size(
                        (2 * half_width(&[axis_money(top, decimals)], 14.0) + 4)
                            .max(if cols == 1 { 76 } else { 70 }),
                    )
                    .build_cartesian_2d(x0..x1, 0.0..top)
                    .map_err(err)?;
            chart
                .configure_mesh()
                .bold_line_style(GRID)
                .light_line_style(GRID.mix(0.4))
                .max_light_lines(2)
                .x_labels(match axis {
                    Axis::Months => (x1 - x0) as usize + 1,
                    Axis::Days if cols == 1 => 10,
                    Axis::Days => 6,
                })
                .y_labels(6)
                .x_label_formatter(&x_fmt)
                .y_label_formatter(&y_fmt)
                .x_desc(x_desc)
                .label_style((FONT, 14).into_font().color(&INK))
                .axis_desc_style((FONT, 14).into_font().color(&INK))
                .draw()
                .map_err(err)?;
            let with_start = |f: &dyn Fn(&Band) -> f64| -> Vec<(f64, f64)> {
                let start = (axis == Axis::Days).then_some((0.0, 0.0));
                start
                    .into_iter()
                    .chain(bands.iter().map(|b| (f64::from(b.day), f(b))))
                    .collect()
            };
            for (low, high, alpha) in [
                (
                    (|b: &Band| b.p5) as fn(&Band) -> f64,
                    (|b: &Band| b.p95) as fn(&Band) -> f64,
                    0.2,
                ),
                (|b| b.p25, |b| b.p75, 0.42),
            ] {
                let mut poly = with_start(&low);
                let mut upper = with_start(&high);
                upper.reverse();
                poly.extend(upper);
                chart
                    .draw_series(std::iter::once(Polygon::new(poly, c.mix(alpha).filled())))
                    .map_err(err)?;
            }
            chart
                .draw_series(LineSeries::new(with_start(&|b| b.p50), c.stroke_width(3)))
                .map_err(err)?;
            // Each line's label sits just above it at the left, moved off another label where
            // two lines run close.
            let (base_x, base_y) = area.get_base_pixel();
            let mut labels = Labels::for_plot(area, &chart);
            for (label, y) in &shown {
                chart
                    .draw_series(DashedLineSeries::new(
                        vec![(x0, *y), (x1, *y)],
                        6,
                        4,
                        INK.mix(0.8).stroke_width(1),
                    ))
                    .map_err(err)?;
                let (w, h) = text_box(label, 13.0, false);
                let (lx, ly) = chart.backend_coord(&(x0 + (x1 - x0) * 0.02, *y));
                let at = labels.place(
                    label,
                    13.0,
                    false,
                    f64::from(lx - base_x) + w / 2.0,
                    f64::from(ly - base_y) - h / 2.0 - 1.0,
                );
                area.draw(&Text::new(
                    label.clone(),
                    at,
                    (FONT, 13)
                        .into_font()
                        .color(&INK)
                        .pos(Pos::new(HPos::Center, VPos::Center)),
                ))
                .map_err(err)?;
            }
        }
        root.present().map_err(err)?;
    }
    Ok(svg)
}
