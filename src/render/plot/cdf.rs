//! Empirical CDF of monthly spend per stack, with the budget and each stack's breach probability.

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::style::{
    FONT, GRID, INK, Labels, Mark, Result, Series, WIDTH, axis_decimals, axis_money, color, err,
    half_width, legend, padded, q, text_box, text_color, to_pixels,
};

/// Points per curve: enough for a smooth line, few enough for a small file.
const POINTS: usize = 400;

/// Draw the CDF. `series` values must be sorted.
// Long on purpose: one chart drawn in order (axes, curves, markers, labels) on one plotters area
// borrowed throughout; split, each part would take the area and the chart's scales.
pub fn cdf(title: &str, series: &[Series], budget: Option<f64>) -> Result<String> {
    let lo = series
        .iter()
        .map(|s| q(s.values, 0.001))
        .fold(f64::INFINITY, f64::min);
    let hi = series
        .iter()
        .map(|s| q(s.values, 0.999))
        .fold(f64::NEG_INFINITY, f64::max);
    let span = (hi - lo).max(hi.abs() * 0.05);
    let on_chart = budget.filter(|b| *b >= lo - 1.5 * span && *b <= hi + 1.5 * span);
    let (lo, hi) = match on_chart {
        Some(b) => (lo.min(b), hi.max(b)),
        None => (lo, hi),
    };
    let (lo, hi) = padded(lo, hi, 0.04);
    let decimals = axis_decimals(hi - lo);
    let height = 470;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, height)).into_drawing_area();
        root.fill(&WHITE).map_err(err)?;
        let root = root
            .titled(title, (FONT, 21).into_font().color(&INK))
            .map_err(err)?;
        let mut items: Vec<(String, Mark)> = series
            .iter()
            .enumerate()
            .map(|(i, s)| (s.name.to_string(), Mark::Line(color(i).to_rgba())))
            .collect();
        if on_chart.is_some() {
            items.push(("budget".to_string(), Mark::Line(INK.to_rgba())));
        }
        let used = legend(&root, &items)?;
        let x_fmt = |x: &f64| axis_money(*x, decimals);
        let y_fmt = |y: &f64| format!("{y:.0}%");
        let mut chart = ChartBuilder::on(&root)
            .margin_left(10)
            .margin_right(half_width(&[axis_money(hi, decimals)], 15.0).max(24))
            .margin_top(used)
            .x_label_area_size(48)
            .y_label_area_size(64)
            .build_cartesian_2d(lo..hi, 0.0..100.0)
            .map_err(err)?;
        chart
            .configure_mesh()
            .bold_line_style(GRID)
            .light_line_style(GRID.mix(0.4))
            .max_light_lines(2)
            .x_labels(8)
            .y_labels(6)
            .x_label_formatter(&x_fmt)
            .y_label_formatter(&y_fmt)
            .x_desc("monthly spend")
            .y_desc("months at or below")
            .label_style((FONT, 15).into_font().color(&INK))
            .axis_desc_style((FONT, 15).into_font().color(&INK))
            .draw()
            .map_err(err)?;
        chart
            .draw_series(DashedLineSeries::new(
                vec![(lo, 95.0), (hi, 95.0)],
                4,
                4,
                INK.mix(0.5).stroke_width(1),
            ))
            .map_err(err)?;
        // Labels stay inside the plot and off each other: the plot's box in the chart's pixels.
        let mut labels = Labels::for_plot(&root, &chart);
        let to_px = to_pixels(&root, &chart);
        let text = "95% of months";
        let (x, y) = to_px(lo, 96.5);
        let (w, h) = text_box(text, 13.0, false);
        let at = labels.place(text, 13.0, false, x + w / 2.0 + 4.0, y - h / 2.0);
        // Grey enough to recede, dark enough to read (WCAG AA on white).
        root.draw(&Text::new(
            text,
            at,
            (FONT, 13)
                .into_font()
                .color(&RGBColor(0x59, 0x59, 0x59))
                .pos(Pos::new(HPos::Center, VPos::Center)),
        ))
        .map_err(err)?;
        for (i, s) in series.iter().enumerate() {
            let n = s.values.len();
            if n == 0 {
                continue;
            }
            let mut points = Vec::with_capacity(POINTS + 3);
            points.push((lo, 0.0));
            points.push((s.values[0].max(lo), 0.0));
            for k in 0..=POINTS {
                let p = k as f64 / POINTS as f64;
                let x = q(s.values, p);
                if x >= lo && x <= hi {
                    points.push((x, p * 100.0));
                }
            }
            points.push((hi, 100.0));
            chart
                .draw_series(LineSeries::new(points, color(i).stroke_width(3)))
                .map_err(err)?;
        }
        if let Some(b) = on_chart {
            chart
                .draw_series(LineSeries::new(
                    vec![(b, 0.0), (b, 100.0)],
                    INK.stroke_width(2),
                ))
                .map_err(err)?;
            // Each stack's share of months at or below the budget, labelled with its complement.
            let mut marks: Vec<(usize, f64)> = series
                .iter()
                .enumerate()
                .filter(|(_, s)| !s.values.is_empty())
                .map(|(i, s)| {
                    let below = s.values.partition_point(|x| *x <= b);
                    (i, below as f64 * 100.0 / s.values.len() as f64)
                })
                .collect();
            // Labels from the top down, each at least 7 points below the one above.
            marks.sort_by(|a, b| b.1.total_cmp(&a.1));
            let mut last_y = 104.0;
            for (i, f) in marks {
                let c = color(i);
                let (mx, my) = to_px(b, f);
                labels.reserve([mx - 7.0, my - 7.0, mx + 7.0, my + 7.0]);
                let label_y = f.min(97.0).min(last_y - 7.0);
                last_y = label_y;
                chart
                    .draw_series(std::iter::once(Circle::new((b, f), 6, c.filled())))
                    .map_err(err)?;
                chart
                    .draw_series(std::iter::once(Circle::new(
                        (b, f),
                        6,
                        WHITE.stroke_width(1),
                    )))
                    .map_err(err)?;
                let breach = 100.0 - f;
                let text = format!("{}: {} over budget", series[i].name, pct(breach));
                // Put labels on the side with more room.
                let right = b < lo + 0.6 * (hi - lo);
                let (w, _) = text_box(&text, 14.0, true);
                let (x, y) = to_px(b, label_y);
                let x = if right {
                    x + 12.0 + w / 2.0
                } else {
                    x - 12.0 - w / 2.0
                };
                let at = labels.place(&text, 14.0, true, x, y);
                root.draw(&Text::new(
                    text,
                    at,
                    (FONT, 14)
                        .into_font()
                        .style(FontStyle::Bold)
                        .color(&text_color(c))
                        .pos(Pos::new(HPos::Center, VPos::Center)),
                ))
                .map_err(err)?;
            }
        } else if let Some(b) = budget {
            let note = if b > hi {
                format!(
                    "budget {} is beyond the chart: no simulated month comes near it",
                    axis_money(b, 0)
                )
            } else {
                format!(
                    "budget {} is below the chart: every simulated month exceeds it",
                    axis_money(b, 0)
                )
            };
            chart
                .draw_series(std::iter::once(Text::new(
                    note,
                    (lo + 0.02 * (hi - lo), 50.0),
                    (FONT, 14).into_font().color(&INK),
                )))
                .map_err(err)?;
        }
        root.present().map_err(err)?;
    }
    Ok(svg)
}

/// A percentage for a chart label: `3.1%`, `<0.1%`, `0%`.
pub(super) fn pct(p: f64) -> String {
    if p <= 0.0 {
        "0%".to_string()
    } else if p < 0.1 {
        "<0.1%".to_string()
    } else if p > 99.9 && p < 100.0 {
        ">99.9%".to_string()
    } else {
        format!("{p:.1}%")
    }
}
