//! What every chart shares: the width, the Okabe–Ito palette, ink and grid colours, axis labels,
//! legends, and the error a chart can end in.

use plotters::chart::ChartContext;
use plotters::coord::{CoordTranslate, Shift};
use plotters::drawing::DrawingArea;
use plotters::prelude::DrawingBackend;
use plotters::style::{RGBAColor, RGBColor};

/// Width of every chart, in SVG pixels.
pub const WIDTH: u32 = 960;

/// The Okabe–Ito palette (Okabe & Ito, "Color Universal Design", 2002), in the order series take
/// it: blue, orange, bluish green, vermillion, reddish purple, sky blue, yellow.
pub(crate) const PALETTE: [RGBColor; 7] = [
    RGBColor(0x00, 0x72, 0xB2),
    RGBColor(0xE6, 0x9F, 0x00),
    RGBColor(0x00, 0x9E, 0x73),
    RGBColor(0xD5, 0x5E, 0x00),
    RGBColor(0xCC, 0x79, 0xA7),
    RGBColor(0x56, 0xB4, 0xE9),
    RGBColor(0xF0, 0xE4, 0x42),
];

/// Colour of the `i`-th series.
pub fn color(i: usize) -> RGBColor {
    PALETTE[i % PALETTE.len()]
}

/// Relative luminance of a colour (WCAG 2).
pub(super) fn luminance(RGBColor(r, g, b): RGBColor) -> f64 {
    let lin = |c: u8| {
        let c = f64::from(c) / 255.0;
        if c <= 0.03928 {
            c / 12.92
        } else {
            ((c + 0.055) / 1.055).powf(2.4)
        }
    };
    0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b)
}

/// WCAG contrast ratio of two colours (1 to 21).
pub(super) fn contrast(a: RGBColor, b: RGBColor) -> f64 {
    let (la, lb) = (luminance(a), luminance(b));
    (la.max(lb) + 0.05) / (la.min(lb) + 0.05)
}

/// The colour text of series colour `c` is written in on white: `c` itself where it reads at
/// WCAG AA (4.5:1), else `c` darkened until it does, so that an orange or yellow label stays
/// legible and still says which series it names.
pub fn text_color(c: RGBColor) -> RGBColor {
    let RGBColor(r, g, b) = c;
    (0..=100)
        .map(|k| {
            let f = 1.0 - f64::from(k) / 100.0;
            let d = |v: u8| (f64::from(v) * f).round() as u8;
            RGBColor(d(r), d(g), d(b))
        })
        .find(|d| contrast(*d, RGBColor(255, 255, 255)) >= 4.6)
        .unwrap_or(RGBColor(0, 0, 0))
}

/// Labels placed so that none overlaps another, a reserved box, or the edge of its drawing
/// area. An SVG carries no font metrics, so a label's box is estimated from its characters at a
/// generous average width for sans-serif fonts (DejaVu Sans, the widest common default, averages
/// about 0.6 em), and sizes are plotters' (which writes `size × 0.806` px into the SVG).
pub(super) struct Labels {
    bounds: [f64; 4],
    boxes: Vec<[f64; 4]>,
}

/// A point of `chart`'s data in the pixels of `area`, the drawing area the chart was built on
/// (the pixels [`Labels::for_plot`] works in).
pub(super) fn to_pixels<DB: DrawingBackend, CT: CoordTranslate<From = (f64, f64)> + Clone>(
    area: &DrawingArea<DB, Shift>,
    chart: &ChartContext<'_, DB, CT>,
) -> impl Fn(f64, f64) -> (f64, f64) + use<DB, CT> {
    let (base_x, base_y) = area.get_base_pixel();
    let coord = chart.as_coord_spec().clone();
    move |x: f64, y: f64| {
        let (a, b) = coord.translate(&(x, y));
        (f64::from(a - base_x), f64::from(b - base_y))
    }
}

/// Estimated width and height in pixels of `text` at plotters font size `size`.
pub(super) fn text_box(text: &str, size: f64, bold: bool) -> (f64, f64) {
    let em = size * 0.806;
    let per_char = if bold { 0.68 } else { 0.64 };
    (text.chars().count() as f64 * em * per_char, em * 1.25)
}

impl Labels {
    /// Labels inside the plot of `chart`, in the pixels of `area`, the drawing area the chart
    /// was built on.
    pub(super) fn for_plot<DB: DrawingBackend, CT: CoordTranslate>(
        area: &DrawingArea<DB, Shift>,
        chart: &ChartContext<'_, DB, CT>,
    ) -> Labels {
        let (base_x, base_y) = area.get_base_pixel();
        let (px, py) = chart.plotting_area().get_pixel_range();
        Labels::new(
            f64::from(px.start - base_x),
            f64::from(py.start - base_y),
            f64::from(px.end - base_x),
            f64::from(py.end - base_y),
        )
    }

    /// Labels inside `(x0, y0)–(x1, y1)`, in the drawing area's pixels.
    pub(super) fn new(x0: f64, y0: f64, x1: f64, y1: f64) -> Labels {
        Labels {
            bounds: [x0, y0, x1, y1],
            boxes: Vec::new(),
        }
    }

    /// Keep labels off a box (a legend, another label drawn elsewhere).
    pub(super) fn reserve(&mut self, b: [f64; 4]) {
        self.boxes.push(b);
    }

    fn free(&self, b: &[f64; 4]) -> bool {
        self.boxes
            .iter()
            .all(|o| b[2] <= o[0] || o[2] <= b[0] || b[3] <= o[1] || o[3] <= b[1])
    }

    /// The centre at which to draw `text` (centred both ways) that wants to be centred at
    /// `(x, y)`: moved inside the bounds, then up or down by whole lines, nearest first, until it
    /// overlaps nothing placed before; where nothing is free, the wanted place inside the bounds.
    pub(super) fn place(
        &mut self,
        text: &str,
        size: f64,
        bold: bool,
        x: f64,
        y: f64,
    ) -> (i32, i32) {
        let (w, h) = text_box(text, size, bold);
        let [bx0, by0, bx1, by1] = self.bounds;
        let clamp = |v: f64, lo: f64, hi: f64| {
            if hi < lo {
                (lo + hi) / 2.0
            } else {
                v.clamp(lo, hi)
            }
        };
        let cx = clamp(x, bx0 + w / 2.0 + 2.0, bx1 - w / 2.0 - 2.0);
        let at = |cy: f64| {
            let cy = clamp(cy, by0 + h / 2.0, by1 - h / 2.0);
            (cy, [cx - w / 2.0, cy - h / 2.0, cx + w / 2.0, cy + h / 2.0])
        };
        let steps = (0..40).map(|k| {
            let n = f64::from((k + 1) / 2);
            if k % 2 == 1 {
                y + n * h * 0.6
            } else {
                y - n * h * 0.6
            }
        });
        let (cy, b) = steps
            .map(at)
            .find(|(_, b)| self.free(b))
            .unwrap_or_else(|| at(y));
        self.boxes.push(b);
        (cx.round() as i32, cy.round() as i32)
    }
}

/// Room in pixels for half of the widest of `labels` at plotters size `size`: the margin that keeps
/// a tick label centred on the last tick of an axis inside the chart.
pub(super) fn half_width(labels: &[String], size: f64) -> u32 {
    let widest = labels
        .iter()
        .map(|l| crate::base::svgtext::width(l, size * 0.806))
        .fold(0.0, f64::max);
    (widest / 2.0).ceil() as u32 + 6
}

/// Ink for text and reference lines.
pub(super) const INK: RGBColor = RGBColor(0x22, 0x22, 0x22);
pub(super) const GRID: RGBColor = RGBColor(0xDD, 0xDD, 0xDD);
pub(super) const FONT: &str = "sans-serif";

/// A named series of values (sorted ascending where a function says so).
#[derive(Clone, Copy, Debug)]
pub struct Series<'a> {
    pub name: &'a str,
    pub values: &'a [f64],
}

/// Something that went wrong while drawing; a bug, reported instead of a chart.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlotError(pub String);

impl std::fmt::Display for PlotError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for PlotError {}

pub(super) type Result<T> = std::result::Result<T, PlotError>;

pub(super) fn err<E: std::fmt::Display>(e: E) -> PlotError {
    PlotError(e.to_string())
}

/// Decimals for dollar tick labels on an axis spanning `span` dollars with about 8 ticks.
pub(super) fn axis_decimals(span: f64) -> usize {
    let step = span / 8.0;
    if !(step > 0.0) || step >= 1.0 {
        0
    } else {
        ((-step.log10()).ceil() as usize).min(6)
    }
}

/// A dollar tick label: `$12,000`, `$0.05`.
pub(super) fn axis_money(x: f64, decimals: usize) -> String {
    let body = crate::base::format::fixed(x.abs(), decimals);
    if x < 0.0 && body.chars().any(|c| c.is_ascii_digit() && c != '0') {
        format!("-${body}")
    } else {
        format!("${body}")
    }
}

/// A range with some room around it; never empty.
pub(super) fn padded(lo: f64, hi: f64, pad: f64) -> (f64, f64) {
    let (lo, hi) = if lo.is_finite() && hi.is_finite() {
        (lo, hi)
    } else {
        (0.0, 1.0)
    };
    if hi > lo {
        let p = (hi - lo) * pad;
        (lo - p, hi + p)
    } else {
        let p = (lo.abs() * 0.05).max(0.01);
        (lo - p, hi + p)
    }
}

/// The `p`-quantile of sorted values (linear interpolation).
pub(super) fn q(sorted: &[f64], p: f64) -> f64 {
    crate::base::stats::quantile_sorted(sorted, p)
}

/// How a legend entry is drawn.
#[derive(Clone, Copy, Debug)]
pub(super) enum Mark {
    Fill(RGBAColor),
    Line(RGBAColor),
    Dashed(RGBAColor),
    /// Text only, in bold: the heading of a legend row.
    Heading,
}

/// Draw a legend as rows of entries along the top of `area`; returns the height it takes.
pub(super) fn legend<DB: plotters::prelude::DrawingBackend>(
    area: &plotters::prelude::DrawingArea<DB, plotters::coord::Shift>,
    items: &[(String, Mark)],
) -> Result<u32> {
    legend_at(area, items, 14).map(|y| y + 2)
}

/// Draw legend entries starting on a new row at `y` (pixels from the top of `area`); returns the
/// position below the last row.
pub(super) fn legend_at<DB: plotters::prelude::DrawingBackend>(
    area: &plotters::prelude::DrawingArea<DB, plotters::coord::Shift>,
    items: &[(String, Mark)],
    y: i32,
) -> Result<u32> {
    use plotters::prelude::*;
    use plotters::style::text_anchor::{HPos, Pos, VPos};
    if items.is_empty() {
        return Ok(y.max(0) as u32);
    }
    let font = (FONT, 15)
        .into_font()
        .color(&INK)
        .pos(Pos::new(HPos::Left, VPos::Center));
    let (width, _) = area.dim_in_pixel();
    let (left, row_height) = (76i32, 24i32);
    let (mut x, mut y) = (left, y);
    for (label, mark) in items {
        let text_width = (label.chars().count() as f64 * 15.0 * 0.56).ceil() as i32;
        if x > left && x + 26 + text_width > width as i32 - 16 {
            x = left;
            y += row_height;
        }
        if let Mark::Heading = mark {
            area.draw(&Text::new(
                label.clone(),
                (x, y),
                (FONT, 15)
                    .into_font()
                    .style(FontStyle::Bold)
                    .color(&INK)
                    .pos(Pos::new(HPos::Left, VPos::Center)),
            ))
            .map_err(err)?;
            x += text_width + 16;
            continue;
        }
        match *mark {
            Mark::Fill(c) => area.draw(&Rectangle::new([(x, y - 6), (x + 18, y + 6)], c.filled())),
            Mark::Line(c) => area.draw(&PathElement::new(
                vec![(x, y), (x + 18, y)],
                c.stroke_width(3),
            )),
            Mark::Dashed(c) => area
                .draw(&PathElement::new(
                    vec![(x, y), (x + 7, y)],
                    c.stroke_width(2),
                ))
                .and_then(|()| {
                    area.draw(&PathElement::new(
                        vec![(x + 11, y), (x + 18, y)],
                        c.stroke_width(2),
                    ))
                }),
            Mark::Heading => Ok(()),
        }
        .map_err(err)?;
        area.draw(&Text::new(label.clone(), (x + 24, y), font.clone()))
            .map_err(err)?;
        x += 24 + text_width + 22;
    }
    Ok((y + row_height) as u32)
}

/// An SVG that says a chart could not be drawn (used instead of panicking).
pub(crate) fn unavailable(title: &str, why: &str) -> String {
    let esc = |s: &str| {
        s.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
    };
    format!(
        "<svg width=\"{WIDTH}\" height=\"80\" viewBox=\"0 0 {WIDTH} 80\" xmlns=\"http://www.w3.org/2000/svg\">\n\
         <text x=\"16\" y=\"44\" font-family=\"sans-serif\" font-size=\"15\">{}: not drawn ({})</text>\n</svg>\n",
        esc(title),
        esc(why)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dollar_ticks_have_separators_and_sensible_decimals() {
        assert_eq!(axis_money(12_000.0, axis_decimals(40_000.0)), "$12,000");
        assert_eq!(axis_money(0.05, axis_decimals(0.4)), "$0.05");
        assert_eq!(axis_money(-1500.0, 0), "-$1,500");
        assert_eq!(axis_money(-0.0, 0), "$0");
    }

    #[test]
    fn padded_ranges_are_never_empty() {
        let (lo, hi) = padded(5.0, 5.0, 0.05);
        assert!(lo < 5.0 && hi > 5.0);
        let (lo, hi) = padded(f64::NAN, 1.0, 0.05);
        assert!(lo < hi);
    }
}
