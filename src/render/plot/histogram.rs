//! Histogram of monthly spend per stack, with the budget and each stack's p95 marked.

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::style::{
    FONT, GRID, INK, Labels, Mark, Result, Series, WIDTH, axis_decimals, axis_money, color, err,
    half_width, legend, padded, q, to_pixels,
};

const BINS: usize = 40;
/// Share of months trimmed from each tail so one extreme month does not squash the chart.
const TAIL: f64 = 0.0025;

/// A vertical reference line: the budget, or zero on a chart of differences.
#[derive(Clone, Debug, PartialEq)]
pub struct Reference {
    /// The legend entry (`budget`).
    pub legend: String,
    /// The label next to the line (`budget $3,000`).
    pub text: String,
    pub at: f64,
}

/// Draw the histogram. `series` values must be sorted. When the stacks' spends overlap they share
/// one panel; when they are far apart (one is several times the other), each gets its own panel.
pub fn histogram(title: &str, series: &[Series], reference: Option<&Reference>) -> Result<String> {
    let ranges: Vec<(f64, f64)> = series
        .iter()
        .map(|s| (q(s.values, TAIL), q(s.values, 1.0 - TAIL)))
        .collect();
    let lo = ranges.iter().map(|r| r.0).fold(f64::INFINITY, f64::min);
    let hi = ranges.iter().map(|r| r.1).fold(f64::NEG_INFINITY, f64::max);
    let widest = ranges.iter().map(|r| r.1 - r.0).fold(0.0, f64::max);
    let overlay = series.len() <= 1 || (hi - lo) <= 4.0 * widest;
    let panels: Vec<(Vec<usize>, (f64, f64))> = if overlay {
        vec![((0..series.len()).collect(), (lo, hi))]
    } else {
        ranges
            .iter()
            .enumerate()
            .map(|(i, r)| (vec![i], *r))
            .collect()
    };
    let panel_height = if overlay { 400 } else { 230 };
    let height = 50 + panel_height * panels.len() as u32;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, height)).into_drawing_area();
        root.fill(&WHITE).map_err(err)?;
        let root = root
            .titled(title, (FONT, 21).into_font().color(&INK))
            .map_err(err)?;
        let areas = root.split_evenly((panels.len(), 1));
        for (area, (idx, range)) in areas.iter().zip(&panels) {
            panel(area, series, idx, *range, reference)?;
        }
        root.present().map_err(err)?;
    }
    Ok(svg)
}

// Long on purpose: one panel drawn in order (axes, bars, markers, labels) on one plotters area
// borrowed throughout; split, each part would take the area and the chart's scales.
fn panel<DB: DrawingBackend>(
    area: &DrawingArea<DB, plotters::coord::Shift>,
    series: &[Series],
    idx: &[usize],
    range: (f64, f64),
    reference: Option<&Reference>,
) -> Result<()> {
    let (mut lo, mut hi) = range;
    let show_budget = reference.map(|r| r.at).filter(|b| {
        let span = (hi - lo).max(hi.abs() * 0.05);
        *b >= lo - 0.6 * span && *b <= hi + 0.6 * span
    });
    if let Some(b) = show_budget {
        lo = lo.min(b);
        hi = hi.max(b);
    }
    let (lo, hi) = padded(lo, hi, 0.04);
    let width = (hi - lo) / BINS as f64;
    let shares: Vec<Vec<f64>> = idx
        .iter()
        .map(|&i| {
            let values = series[i].values;
            let mut counts = vec![0.0; BINS];
            for v in values.iter().filter(|v| **v >= lo && **v <= hi) {
                let b = (((v - lo) / width) as usize).min(BINS - 1);
                counts[b] += 1.0;
            }
            let n = values.len().max(1) as f64;
            counts.iter().map(|c| c * 100.0 / n).collect()
        })
        .collect();
    let top = shares
        .iter()
        .flatten()
        .copied()
        .fold(0.0, f64::max)
        .max(1.0)
        * 1.22;
    let decimals = axis_decimals(hi - lo);
    let mut items: Vec<(String, Mark)> = idx
        .iter()
        .map(|&i| (series[i].name.to_string(), Mark::Fill(color(i).to_rgba())))
        .collect();
    items.push(("p95".to_string(), Mark::Dashed(INK.to_rgba())));
    if let (Some(r), Some(_)) = (reference, show_budget) {
        items.push((r.legend.clone(), Mark::Line(INK.to_rgba())));
    }
    let used = legend(area, &items)?;
    let x_fmt = |x: &f64| axis_money(*x, decimals);
    let y_fmt = |y: &f64| format!("{y:.0}%");
    let mut chart = ChartBuilder::on(area)
        .margin_left(10)
        .margin_right(half_width(&[axis_money(hi, decimals)], 15.0).max(24))
        .margin_top(used)
        .x_label_area_size(48)
        .y_label_area_size(64)
        .build_cartesian_2d(lo..hi, 0.0..top)
        .map_err(err)?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .bold_line_style(GRID)
        .light_line_style(GRID.mix(0.4))
        .max_light_lines(2)
        .x_labels(8)
        .y_labels(5)
        .x_label_formatter(&x_fmt)
        .y_label_formatter(&y_fmt)
        .x_desc("monthly spend")
        .y_desc("share of months")
        .label_style((FONT, 15).into_font().color(&INK))
        .axis_desc_style((FONT, 15).into_font().color(&INK))
        .draw()
        .map_err(err)?;
    // Labels go where they overlap no other label and stay inside the plot: the plot's box in
    // the panel's pixels.
    let mut labels = Labels::for_plot(area, &chart);
    let to_px = to_pixels(area, &chart);
    // The budget's label first, at the top of its line: the p95 labels make way for it.
    let budget_label = match (reference, show_budget) {
        (Some(r), Some(b)) => {
            let (x, y) = to_px(b, top * 0.82);
            Some((r.text.clone(), labels.place(&r.text, 14.0, true, x, y)))
        }
        _ => None,
    };
    let mut p95_labels = Vec::new();
    for (k, &i) in idx.iter().enumerate() {
        let c = color(i);
        chart
            .draw_series(
                shares[k]
                    .iter()
                    .enumerate()
                    .filter(|(_, h)| **h > 0.0)
                    .map(|(b, h)| {
                        let x0 = lo + b as f64 * width;
                        Rectangle::new([(x0, 0.0), (x0 + width, *h)], c.mix(0.28).filled())
                    }),
            )
            .map_err(err)?;
        // The outline runs from the first to the last non-empty bin, not along the axis.
        let first = shares[k].iter().position(|h| *h > 0.0).unwrap_or(0);
        let last = shares[k].iter().rposition(|h| *h > 0.0).unwrap_or(0);
        let x_at = |b: usize| lo + b as f64 * width;
        let mut outline = vec![(x_at(first), 0.0)];
        for (b, h) in shares[k].iter().enumerate().take(last + 1).skip(first) {
            outline.push((x_at(b), *h));
            outline.push((x_at(b + 1), *h));
        }
        outline.push((x_at(last + 1), 0.0));
        chart
            .draw_series(LineSeries::new(outline, c.stroke_width(2)))
            .map_err(err)?;
        let p95 = q(series[i].values, 0.95);
        if p95 >= lo && p95 <= hi {
            let y_text = top * (0.97 - 0.07 * k as f64);
            chart
                .draw_series(DashedLineSeries::new(
                    vec![(p95, 0.0), (p95, y_text - top * 0.04)],
                    6,
                    4,
                    c.stroke_width(2),
                ))
                .map_err(err)?;
            let text = format!("p95 {}", axis_money(p95, decimals));
            let (x, y) = to_px(p95, y_text);
            let at = labels.place(&text, 14.0, false, x, y);
            p95_labels.push((text, at));
        }
    }
    let centred = |size: u32| {
        (FONT, size)
            .into_font()
            .color(&INK)
            .pos(Pos::new(HPos::Center, VPos::Center))
    };
    for (text, at) in p95_labels {
        area.draw(&Text::new(text, at, centred(14))).map_err(err)?;
    }
    if let (Some((text, at)), Some(b)) = (budget_label, show_budget) {
        chart
            .draw_series(LineSeries::new(
                vec![(b, 0.0), (b, top * 0.78)],
                INK.stroke_width(3),
            ))
            .map_err(err)?;
        area.draw(&Text::new(
            text,
            at,
            (FONT, 14)
                .into_font()
                .style(FontStyle::Bold)
                .color(&INK)
                .pos(Pos::new(HPos::Center, VPos::Center)),
        ))
        .map_err(err)?;
    } else if let Some(r) = reference {
        // The line would squeeze every bar into a sliver; say where it is instead.
        let side = if r.at > hi { "beyond" } else { "below" };
        chart
            .draw_series(std::iter::once(Text::new(
                format!("{} is {side} the chart", r.text),
                (lo + 0.02 * (hi - lo), top * 0.93),
                (FONT, 14).into_font().color(&INK),
            )))
            .map_err(err)?;
    }
    Ok(())
}
