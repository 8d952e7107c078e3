//! HTML rendering of a brief: one self-contained file. Styles are inline in a `<style>` element,
//! charts are inline `<svg>` elements, and nothing is fetched from anywhere (no scripts, fonts or
//! images), so the file can be mailed, attached to a ticket or opened offline.

use super::blocks::{Block, Inline};

/// Escape text for HTML element content and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            other => out.push(other),
        }
    }
    out
}

/// The brief's style sheet, shared with pages that embed a brief (`aicost serve`).
pub const STYLE: &str = "\
:root { color-scheme: light; }
body { margin: 0; background: #ffffff; color: #1a1a1a;
  font: 15px/1.5 system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif; }
main { max-width: 1000px; margin: 0 auto; padding: 24px 28px 48px; }
h1 { font-size: 26px; margin: 8px 0 4px; }
h2 { font-size: 20px; margin: 32px 0 8px; padding-bottom: 4px; border-bottom: 1px solid #d8d8d8; }
h3 { font-size: 16px; margin: 22px 0 6px; }
p { margin: 8px 0; }
p.note { color: #555555; font-size: 13px; }
div.scroll { overflow-x: auto; margin: 8px 0 16px; }
table { border-collapse: collapse; font-variant-numeric: tabular-nums; }
th, td { padding: 4px 10px; border-bottom: 1px solid #e4e4e4; text-align: left; vertical-align: top; }
th { background: #f3f3f3; font-weight: 600; }
td.num, th.num { text-align: right; white-space: nowrap; }
tbody tr:nth-child(even) { background: #fafafa; }
figure { margin: 12px 0 24px; }
figure svg { width: 100%; height: auto; display: block; }
figcaption { color: #444444; font-size: 13px; margin-top: 4px; }
table.wide { font-size: 13px; }
table.wide th, table.wide td { padding: 4px 7px; }
table.wide td.num { white-space: normal; }
@page { size: A4; margin: 14mm 12mm; }
@media print {
  body { font-size: 10pt; }
  main { max-width: none; padding: 0; }
  h1 { font-size: 18pt; }
  h2 { font-size: 14pt; margin-top: 18pt; break-after: avoid; }
  h3 { font-size: 11pt; break-after: avoid; }
  div.scroll { overflow: visible; }
  table, table.wide { font-size: 8.5pt; width: 100%; }
  th, td, table.wide th, table.wide td { padding: 2px 5px; }
  td.num { white-space: normal; }
  tr, figure { break-inside: avoid; }
  thead { display: table-header-group; }
  tbody tr:nth-child(even) { background: none; }
  figure svg { max-height: 120mm; }
  * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
}
";

/// Columns from which a table gets the compact `wide` style, whose numbers may wrap, so that it
/// fits a laptop's width and an A4 page without a horizontal scrollbar.
const WIDE_COLUMNS: usize = 5;

/// Give an inline chart its text alternative: `role="img"` and an `aria-label`, so a screen
/// reader announces the caption where a sighted reader sees the picture.
fn labelled_svg(svg: &str, label: &str) -> String {
    let svg = svg.trim();
    match svg.strip_prefix("<svg") {
        Some(rest) if !rest.starts_with(|c: char| c.is_alphanumeric()) => {
            format!("<svg role=\"img\" aria-label=\"{}\"{rest}", escape(label))
        }
        _ => svg.to_string(),
    }
}

fn inlines(parts: &[Inline]) -> String {
    parts
        .iter()
        .map(|p| match p {
            Inline::Text(t) => escape(t),
            Inline::Strong(t) => format!("<strong>{}</strong>", escape(t)),
        })
        .collect()
}

/// Render blocks as a complete HTML document titled `title`.
pub fn render(title: &str, blocks: &[Block]) -> String {
    let body = body(blocks);
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{}</title>\n<style>\n{STYLE}</style>\n</head>\n<body>\n<main>\n{body}</main>\n</body>\n</html>\n",
        escape(title)
    )
}

/// The blocks as HTML elements, without the document around them: the content of `<main>`.
pub fn body(blocks: &[Block]) -> String {
    let mut body = String::new();
    for b in blocks {
        match b {
            Block::Title(t) => body.push_str(&format!("<h1>{}</h1>\n", escape(t))),
            Block::Heading(t) => body.push_str(&format!("<h2>{}</h2>\n", escape(t))),
            Block::Subheading(t) => body.push_str(&format!("<h3>{}</h3>\n", escape(t))),
            Block::Para(parts) => body.push_str(&format!("<p>{}</p>\n", inlines(parts))),
            Block::Note(t) => body.push_str(&format!("<p class=\"note\">{}</p>\n", escape(t))),
            Block::Figure { svg, caption } => body.push_str(&format!(
                "<figure>\n{}\n<figcaption>{}</figcaption>\n</figure>\n",
                labelled_svg(svg, caption),
                escape(caption)
            )),
            Block::Table(t) => {
                let class = |i: usize| {
                    if t.right.get(i).copied().unwrap_or(false) {
                        " class=\"num\""
                    } else {
                        ""
                    }
                };
                let wide = if t.head.len() >= WIDE_COLUMNS {
                    " class=\"wide\""
                } else {
                    ""
                };
                body.push_str(&format!("<div class=\"scroll\"><table{wide}>\n"));
                if t.head.iter().any(|h| !h.is_empty()) {
                    body.push_str("<thead><tr>");
                    for (i, h) in t.head.iter().enumerate() {
                        body.push_str(&format!("<th scope=\"col\"{}>{}</th>", class(i), escape(h)));
                    }
                    body.push_str("</tr></thead>\n");
                }
                body.push_str("<tbody>\n");
                for r in &t.rows {
                    body.push_str("<tr>");
                    for (i, c) in r.iter().enumerate() {
                        body.push_str(&format!("<td{}>{}</td>", class(i), escape(c)));
                    }
                    body.push_str("</tr>\n");
                }
                body.push_str("</tbody>\n</table></div>\n");
            }
        }
    }
    body
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::blocks::{Table, lead};

    #[test]
    fn a_chart_is_labelled_by_its_caption() {
        let html = render(
            "x",
            &[Block::Figure {
                svg: "<svg width=\"10\" height=\"10\"></svg>".into(),
                caption: "Spend \"per\" <month>".into(),
            }],
        );
        assert!(html.contains(
            "<svg role=\"img\" aria-label=\"Spend &quot;per&quot; &lt;month&gt;\" width=\"10\""
        ));
        assert_eq!(labelled_svg("<svgx/>", "c"), "<svgx/>");
    }

    #[test]
    fn document_is_self_contained_and_escaped() {
        let mut t = Table::numeric(vec!["stack".into(), "mean".into()]);
        t.row(vec!["<a&b>".into(), "$1,000".into()]);
        let html = render(
            "x",
            &[Block::Title("T".into()), lead("V.", " ok"), Block::Table(t)],
        );
        assert!(html.contains("&lt;a&amp;b&gt;"));
        assert!(html.contains("<th scope=\"col\">stack</th>"));
        assert!(html.contains("<td class=\"num\">$1,000</td>"));
        for external in ["<script", "<link", "http://", "https://", "@import", "url("] {
            assert!(!html.contains(external), "{external}");
        }
    }
}
