//! Stacked bars of cost drivers: for each stack, one bar per breakdown (by workflow, by model, by
//! billing class) whose parts add up to the stack's mean monthly spend. Negative parts (volume and
//! contract discounts) are stacked left of zero, so a bar's right end minus its length left of
//! zero is the spend.

use std::collections::HashMap;

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::style::{
    FONT, GRID, INK, Mark, PALETTE, Result, WIDTH, axis_decimals, axis_money, contrast, err,
    half_width, legend_at, text_box,
};

/// Colours beyond the Okabe–Ito palette, for the parts of a chart with more things than it has
/// colours: Paul Tol's muted scheme, also readable with the common colour-vision deficiencies.
const MORE: [RGBColor; 8] = [
    RGBColor(0x33, 0x22, 0x88),
    RGBColor(0xCC, 0x66, 0x77),
    RGBColor(0x11, 0x77, 0x33),
    RGBColor(0xDD, 0xCC, 0x77),
    RGBColor(0x88, 0x22, 0x55),
    RGBColor(0x88, 0xCC, 0xEE),
    RGBColor(0x99, 0x99, 0x33),
    RGBColor(0xAA, 0x44, 0x99),
];

/// The colour of the `i`-th thing of the chart: every part of every breakdown has its own, so a
/// workflow, a model and a billing class are never drawn in the same colour.
fn part_color(i: usize) -> RGBColor {
    match i.checked_sub(PALETTE.len()) {
        None => PALETTE[i],
        Some(j) => MORE[j % MORE.len()],
    }
}

/// How a part's label is written on its fill: in white or in ink, whichever contrasts more, and
/// on a white patch (`true`) where neither reaches WCAG AA's 4.5:1 (vermillion, mid blues).
fn part_ink(i: usize) -> (RGBColor, bool) {
    let fill = part_color(i);
    let (white, ink) = (contrast(fill, WHITE), contrast(fill, INK));
    if white.max(ink) >= 4.5 {
        (if white > ink { WHITE } else { INK }, false)
    } else {
        (INK, true)
    }
}

/// One bar: a breakdown (`label`) and its parts in dollars.
#[derive(Clone, Debug, PartialEq)]
pub struct Bar {
    pub label: String,
    pub parts: Vec<(String, f64)>,
}

/// The bars of one stack.
#[derive(Clone, Debug, PartialEq)]
pub struct BarGroup {
    pub name: String,
    pub bars: Vec<Bar>,
}

const ROW: u32 = 34;
/// Pixels of the rows' names (plotters' size 15).
const LABEL_PX: f64 = 15.0 * 0.806;

/// Draw the stacked bars. A part keeps its colour in every stack (a model is the same colour
/// wherever it appears), no two parts share one; parts wide enough carry their name and share
/// of the stack's mean spend.
// Long on purpose: one chart drawn in order (axes, bars, labels, legend) on one plotters area
// borrowed throughout; split, each part would take the area and the chart's scales.
pub fn drivers(title: &str, groups: &[BarGroup]) -> Result<String> {
    // Rows top to bottom: a group's bars, then a blank spacer row between groups.
    let mut rows: Vec<Option<(usize, usize)>> = Vec::new();
    for (g, group) in groups.iter().enumerate() {
        if g > 0 {
            rows.push(None);
        }
        rows.extend((0..group.bars.len()).map(|b| Some((g, b))));
    }
    let n = rows.len().max(1) as i32;
    let label = |r: &Option<(usize, usize)>| match r {
        Some((g, b)) => format!("{} · {}", groups[*g].name, groups[*g].bars[*b].label),
        None => String::new(),
    };
    let label_width = rows
        .iter()
        .map(|r| crate::base::svgtext::width(&label(r), LABEL_PX))
        .fold(0.0, f64::max)
        + 20.0;
    let label_width = label_width.clamp(80.0, 360.0).ceil() as u32;
    // A row name too long for the column is shortened in the middle; its full text becomes a
    // tooltip.
    let fitted = |r: &Option<(usize, usize)>| {
        crate::base::svgtext::fit(&label(r), LABEL_PX, f64::from(label_width) - 19.0)
    };
    let shortened: Vec<(String, String)> = rows.iter().map(|r| (fitted(r), label(r))).collect();
    // A colour per part name within each breakdown, and a legend row per breakdown.
    let mut colours: HashMap<(String, String), usize> = HashMap::new();
    let mut breakdowns: Vec<(String, Vec<String>)> = Vec::new();
    for group in groups {
        for bar in &group.bars {
            let k = match breakdowns.iter().position(|(l, _)| *l == bar.label) {
                Some(k) => k,
                None => {
                    breakdowns.push((bar.label.clone(), Vec::new()));
                    breakdowns.len() - 1
                }
            };
            for (name, _) in &bar.parts {
                let next = colours.len();
                if let std::collections::hash_map::Entry::Vacant(e) =
                    colours.entry((bar.label.clone(), name.clone()))
                {
                    e.insert(next);
                    breakdowns[k].1.push(name.clone());
                }
            }
        }
    }
    let top = groups
        .iter()
        .flat_map(|g| &g.bars)
        .map(|b| b.parts.iter().map(|p| p.1.max(0.0)).sum::<f64>())
        .fold(0.0, f64::max);
    let top = if top > 0.0 { top * 1.02 } else { 1.0 };
    let bottom = groups
        .iter()
        .flat_map(|g| &g.bars)
        .map(|b| b.parts.iter().map(|p| p.1.min(0.0)).sum::<f64>())
        .fold(0.0, f64::min)
        * 1.02;
    let decimals = axis_decimals(top - bottom);
    let height = 110 + ROW * n as u32 + 26 * breakdowns.len() as u32;
    let plot_width = f64::from(WIDTH - label_width - 40) * top / (top - bottom);
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, height)).into_drawing_area();
        root.fill(&WHITE).map_err(err)?;
        let root = root
            .titled(title, (FONT, 21).into_font().color(&INK))
            .map_err(err)?;
        let mut y = 14;
        for (label, names) in &breakdowns {
            let mut items = vec![(format!("{label}:"), Mark::Heading)];
            items.extend(names.iter().map(|n| {
                let ci = colours[&(label.clone(), n.clone())];
                (n.clone(), Mark::Fill(part_color(ci).to_rgba()))
            }));
            y = legend_at(&root, &items, y)? as i32;
        }
        let used = y as u32;
        let x_fmt = |x: &f64| axis_money(*x, decimals);
        let y_fmt = |v: &SegmentValue<i32>| match v {
            SegmentValue::CenterOf(i) => {
                let r = (n - 1 - *i) as usize;
                rows.get(r).map(fitted).unwrap_or_default()
            }
            _ => String::new(),
        };
        let mut chart = ChartBuilder::on(&root)
            .margin_left(10)
            .margin_right(half_width(&[axis_money(top, decimals)], 15.0).max(30))
            .margin_top(used)
            .x_label_area_size(48)
            .y_label_area_size(label_width)
            .build_cartesian_2d(bottom..top, (0..n).into_segmented())
            .map_err(err)?;
        chart
            .configure_mesh()
            .disable_y_mesh()
            .bold_line_style(GRID)
            .light_line_style(GRID.mix(0.4))
            .max_light_lines(2)
            .x_labels(8)
            .y_labels(n as usize)
            .x_label_formatter(&x_fmt)
            .y_label_formatter(&y_fmt)
            .x_desc("mean monthly spend")
            .label_style((FONT, 15).into_font().color(&INK))
            .axis_desc_style((FONT, 15).into_font().color(&INK))
            .draw()
            .map_err(err)?;
        for (r, row) in rows.iter().enumerate() {
            let Some((g, b)) = row else { continue };
            let bar = &groups[*g].bars[*b];
            let y = n - 1 - r as i32;
            // Shares of what the bar adds up to, the stack's mean spend: the cost-driver table's
            // shares, so a discount's share is negative and the others may add up past 100%.
            let total: f64 = bar
                .parts
                .iter()
                .map(|p| p.1)
                .filter(|x| x.is_finite())
                .sum();
            let (mut right, mut left) = (0.0, 0.0);
            for (name, usd) in &bar.parts {
                let usd = *usd;
                if usd == 0.0 || !usd.is_finite() {
                    continue;
                }
                // Positive parts stack rightwards from zero, negative ones leftwards.
                let (x0, x1) = if usd > 0.0 {
                    right += usd;
                    (right - usd, right)
                } else {
                    left += usd;
                    (left, left - usd)
                };
                let ci = colours
                    .get(&(bar.label.clone(), name.clone()))
                    .copied()
                    .unwrap_or(0);
                let mut rect = Rectangle::new(
                    [
                        (x0, SegmentValue::Exact(y)),
                        (x1, SegmentValue::Exact(y + 1)),
                    ],
                    part_color(ci).filled(),
                );
                rect.set_margin(4, 4, 0, 0);
                chart.draw_series(std::iter::once(rect)).map_err(err)?;
                let px = (x1 - x0) / top * plot_width;
                let share = if total > 0.0 {
                    usd / total * 100.0
                } else {
                    0.0
                };
                let short = if share < 0.0 {
                    format!("-{}", super::cdf::pct(-share))
                } else {
                    super::cdf::pct(share)
                };
                let long = format!("{name} {short}");
                let text = [long, short]
                    .into_iter()
                    .find(|t| text_box(t, 14.0, false).0 + 14.0 < px);
                if let Some(text) = text {
                    let (ink, patch) = part_ink(ci);
                    if patch {
                        let (w, h) = text_box(&text, 14.0, false);
                        let (cx, cy) =
                            chart.backend_coord(&((x0 + x1) / 2.0, SegmentValue::CenterOf(y)));
                        let (bx, by) = root.get_base_pixel();
                        let (cx, cy) = (f64::from(cx - bx), f64::from(cy - by));
                        root.draw(&Rectangle::new(
                            [
                                ((cx - w / 2.0 - 3.0) as i32, (cy - h / 2.0) as i32),
                                ((cx + w / 2.0 + 3.0) as i32, (cy + h / 2.0) as i32),
                            ],
                            WHITE.filled(),
                        ))
                        .map_err(err)?;
                    }
                    chart
                        .draw_series(std::iter::once(Text::new(
                            text,
                            ((x0 + x1) / 2.0, SegmentValue::CenterOf(y)),
                            (FONT, 14)
                                .into_font()
                                .color(&ink)
                                .pos(Pos::new(HPos::Center, VPos::Center)),
                        )))
                        .map_err(err)?;
                }
            }
        }
        root.present().map_err(err)?;
    }
    Ok(crate::base::svgtext::with_titles(&svg, &shortened))
}
