//! The spread of one user's monthly cost, per segment and stack: a box for the middle half of
//! users, whiskers to the 5th and 95th percentiles, a tick at the median. The dollar axis turns
//! logarithmic when segments differ by more than a factor of 50 (light and power users).

use plotters::prelude::*;
use plotters::style::RGBAColor;

use super::style::{FONT, GRID, INK, Mark, Result, WIDTH, axis_money, color, err, legend};

/// Percentiles of one user's monthly cost.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Boxes {
    pub p5: f64,
    pub p25: f64,
    pub p50: f64,
    pub p75: f64,
    pub p95: f64,
}

const ROW: u32 = 30;

/// Draw the spread; `stacks[k].1[s]` is stack `k` in segment `segments[s]`.
// Long on purpose: one chart drawn in order (axes, bands, markers, labels) on one plotters area
// borrowed throughout; split, each part would take the area and the chart's scales.
pub fn spread(title: &str, segments: &[&str], stacks: &[(&str, Vec<Boxes>)]) -> Result<String> {
    let all = || {
        stacks
            .iter()
            .flat_map(|(_, b)| b.iter())
            .filter(|b| b.p5.is_finite() && b.p95.is_finite())
    };
    let hi = all().map(|b| b.p95).fold(0.0, f64::max);
    let min_positive = all()
        .flat_map(|b| [b.p5, b.p25, b.p50])
        .filter(|x| *x > 0.0)
        .fold(f64::INFINITY, f64::min);
    let log = hi > 0.0 && min_positive.is_finite() && hi / min_positive > 50.0;
    // Positions on the axis: dollars, or log10 of dollars.
    let (lo_x, hi_x, ticks) = if log {
        let lo = (min_positive / 1.5).log10();
        let hi = (hi * 1.3).log10();
        (lo, hi, log_ticks(lo, hi))
    } else {
        let hi = if hi > 0.0 { hi * 1.08 } else { 1.0 };
        (0.0, hi, linear_ticks(hi))
    };
    let floor = lo_x;
    let pos = move |x: f64| {
        if log {
            if x > 0.0 { x.log10().max(floor) } else { floor }
        } else {
            x
        }
    };
    let value = move |p: f64| if log { 10f64.powf(p) } else { p };
    let step = if ticks.len() > 1 {
        value(ticks[1]) - value(ticks[0])
    } else {
        1.0
    };
    // Whole dollars from $1 up (or on a coarse linear axis), else cents or the first significant
    // digit: $0.05, $0.10, $2, $50.
    let decimals = |x: f64| {
        if (log && x >= 0.999) || (!log && step >= 1.0) {
            0
        } else if log {
            ((-x.abs().max(1e-9).log10()).ceil() as usize).clamp(2, 6)
        } else {
            super::style::axis_decimals(step * 8.0).max(2)
        }
    };
    // Rows top to bottom: each segment's stacks, then a spacer.
    let mut rows: Vec<Option<(usize, usize)>> = Vec::new();
    for s in 0..segments.len() {
        if s > 0 {
            rows.push(None);
        }
        rows.extend((0..stacks.len()).map(|k| Some((s, k))));
    }
    let n = rows.len().max(1) as i32;
    let label = |r: &Option<(usize, usize)>| match r {
        Some((s, k)) if stacks.len() == 1 || *k == 0 => segments[*s].to_string(),
        _ => String::new(),
    };
    let label_width = (segments
        .iter()
        .map(|s| s.chars().count())
        .max()
        .unwrap_or(0) as f64
        * 14.0
        * 0.56
        + 20.0)
        .clamp(70.0, 260.0) as u32;
    let height = 120 + ROW * n as u32;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, height)).into_drawing_area();
        root.fill(&WHITE).map_err(err)?;
        let root = root
            .titled(title, (FONT, 21).into_font().color(&INK))
            .map_err(err)?;
        let mut items: Vec<(String, Mark)> = stacks
            .iter()
            .enumerate()
            .map(|(k, (name, _))| (name.to_string(), Mark::Fill(color(k).to_rgba())))
            .collect();
        items.push((
            "box: middle 50% of users · whiskers: 5th–95th percentile · tick: median".to_string(),
            Mark::Line(INK.to_rgba()),
        ));
        let used = legend(&root, &items)?;
        let x_fmt = |p: &f64| {
            let v = value(*p);
            axis_money(v, decimals(v))
        };
        let y_fmt = |v: &SegmentValue<i32>| match v {
            SegmentValue::CenterOf(i) => rows
                .get((n - 1 - *i) as usize)
                .map(label)
                .unwrap_or_default(),
            _ => String::new(),
        };
        let mut chart = ChartBuilder::on(&root)
            .margin_left(10)
            .margin_right(30)
            .margin_top(used)
            .x_label_area_size(48)
            .y_label_area_size(label_width)
            .build_cartesian_2d(
                Ticked {
                    lo: lo_x,
                    hi: hi_x,
                    ticks: ticks.clone(),
                },
                (0..n).into_segmented(),
            )
            .map_err(err)?;
        chart
            .configure_mesh()
            .disable_y_mesh()
            .bold_line_style(GRID)
            .light_line_style(GRID.mix(0.4))
            .max_light_lines(2)
            .y_labels(n as usize)
            .x_label_formatter(&x_fmt)
            .y_label_formatter(&y_fmt)
            .x_desc(if log {
                "one user's monthly cost (log scale)"
            } else {
                "one user's monthly cost"
            })
            .label_style((FONT, 15).into_font().color(&INK))
            .axis_desc_style((FONT, 15).into_font().color(&INK))
            .draw()
            .map_err(err)?;
        for (r, row) in rows.iter().enumerate() {
            let Some((s, k)) = row else { continue };
            // A segment without sampled users (no users this run) has no spread to draw.
            let Some(b) = stacks[*k]
                .1
                .get(*s)
                .filter(|b| b.p5.is_finite() && b.p95.is_finite())
            else {
                continue;
            };
            let c = color(*k);
            let y = n - 1 - r as i32;
            let mid = SegmentValue::CenterOf(y);
            chart
                .draw_series(std::iter::once(PathElement::new(
                    vec![(pos(b.p5), mid.clone()), (pos(b.p95), mid)],
                    c.stroke_width(2),
                )))
                .map_err(err)?;
            // Ticks are narrow filled bars: a zero-width rectangle would not show.
            let half = (hi_x - lo_x) * 0.0022;
            let tick = |at: f64, margin: u32, fill: RGBAColor| {
                let mut r = Rectangle::new(
                    [
                        (pos(at) - half, SegmentValue::Exact(y)),
                        (pos(at) + half, SegmentValue::Exact(y + 1)),
                    ],
                    fill.filled(),
                );
                r.set_margin(margin, margin, 0, 0);
                r
            };
            chart
                .draw_series([tick(b.p5, 8, c.to_rgba()), tick(b.p95, 8, c.to_rgba())])
                .map_err(err)?;
            let mut body = Rectangle::new(
                [
                    (pos(b.p25), SegmentValue::Exact(y)),
                    (pos(b.p75), SegmentValue::Exact(y + 1)),
                ],
                c.mix(0.75).filled(),
            );
            body.set_margin(4, 4, 0, 0);
            chart.draw_series(std::iter::once(body)).map_err(err)?;
            chart
                .draw_series(std::iter::once(tick(b.p50, 2, INK.to_rgba())))
                .map_err(err)?;
        }
        root.present().map_err(err)?;
    }
    Ok(svg)
}

/// A linear axis with the tick positions given (plotters' own picks round numbers of the
/// position, which on a log10 axis are not round dollars).
struct Ticked {
    lo: f64,
    hi: f64,
    ticks: Vec<f64>,
}

impl plotters::coord::ranged1d::Ranged for Ticked {
    type ValueType = f64;
    type FormatOption = plotters::coord::ranged1d::DefaultFormatting;

    fn map(&self, v: &f64, limit: (i32, i32)) -> i32 {
        let span = self.hi - self.lo;
        let t = if span > 0.0 {
            (v - self.lo) / span
        } else {
            0.5
        };
        limit.0 + (t * f64::from(limit.1 - limit.0)).round() as i32
    }

    fn key_points<H: plotters::coord::ranged1d::KeyPointHint>(&self, hint: H) -> Vec<f64> {
        if hint.weight().allow_light_points() {
            Vec::new()
        } else {
            self.ticks.clone()
        }
    }

    fn range(&self) -> std::ops::Range<f64> {
        self.lo..self.hi
    }
}

/// Tick positions (log10 of dollars) at 1, 2 and 5 times powers of ten inside `lo..hi`.
fn log_ticks(lo: f64, hi: f64) -> Vec<f64> {
    let mut out = Vec::new();
    for e in (lo.floor() as i32)..=(hi.ceil() as i32) {
        for m in [1.0, 2.0, 5.0] {
            let p = (m * 10f64.powi(e)).log10();
            if p >= lo && p <= hi {
                out.push(p);
            }
        }
    }
    if out.len() > 12 {
        // Keep the powers of ten only.
        out.retain(|p| (p - p.round()).abs() < 1e-9);
    }
    out
}

/// About eight round tick positions in `0..hi`.
fn linear_ticks(hi: f64) -> Vec<f64> {
    let raw = hi / 8.0;
    let mag = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 2.5, 5.0, 10.0]
        .iter()
        .map(|m| m * mag)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * mag);
    (0..)
        .map(|i| i as f64 * step)
        .take_while(|x| *x <= hi)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_are_round() {
        assert_eq!(
            linear_ticks(40.0),
            vec![0.0, 5.0, 10.0, 15.0, 20.0, 25.0, 30.0, 35.0, 40.0]
        );
        let t: Vec<f64> = log_ticks(-1.0, 2.0)
            .iter()
            .map(|p| (10f64.powf(*p) * 100.0).round() / 100.0)
            .collect();
        assert_eq!(
            t,
            vec![0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0]
        );
    }
}
