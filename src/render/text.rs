//! Plain-text rendering of blocks for a terminal: aligned tables, wrapped paragraphs, bold headings
//! when colour is on. Figures are left out.

use super::blocks::{Block, Inline};

const WRAP: usize = 100;

fn wrap(text: &str, width: usize) -> String {
    let mut out = String::new();
    let mut line = 0;
    for word in text.split_whitespace() {
        let w = word.chars().count();
        if line > 0 && line + 1 + w > width {
            out.push('\n');
            line = 0;
        } else if line > 0 {
            out.push(' ');
            line += 1;
        }
        out.push_str(word);
        line += w;
    }
    out
}

/// Render blocks as text; `bold` turns on ANSI bold for titles, headings and table heads.
pub fn render(blocks: &[Block], bold: bool) -> String {
    let b = |t: &str| {
        if bold {
            format!("\x1b[1m{t}\x1b[0m")
        } else {
            t.to_string()
        }
    };
    let mut out = String::new();
    for block in blocks {
        match block {
            Block::Title(t) => {
                out.push_str(&b(t));
                out.push('\n');
            }
            Block::Heading(t) | Block::Subheading(t) => {
                out.push('\n');
                out.push_str(&b(t));
                out.push('\n');
            }
            Block::Para(parts) => {
                let text: String = parts
                    .iter()
                    .map(|p| match p {
                        Inline::Text(t) | Inline::Strong(t) => t.as_str(),
                    })
                    .collect();
                out.push_str(&wrap(&text, WRAP));
                out.push('\n');
            }
            Block::Note(t) => {
                out.push('\n');
                out.push_str(&wrap(t, WRAP));
                out.push('\n');
            }
            Block::Figure { .. } => {}
            Block::Table(t) => {
                let cols = t.head.len();
                let show_head = t.head.iter().any(|h| !h.is_empty());
                let mut widths = vec![0; cols];
                for row in std::iter::once(&t.head).chain(&t.rows) {
                    for (i, c) in row.iter().enumerate().take(cols) {
                        widths[i] = widths[i].max(c.chars().count());
                    }
                }
                let line = |row: &[String]| {
                    let mut s = String::new();
                    for (i, c) in row.iter().enumerate().take(cols) {
                        if i > 0 {
                            s.push_str("  ");
                        }
                        let pad = widths[i] - c.chars().count();
                        if t.right.get(i).copied().unwrap_or(false) {
                            s.push_str(&" ".repeat(pad));
                            s.push_str(c);
                        } else {
                            s.push_str(c);
                            s.push_str(&" ".repeat(pad));
                        }
                    }
                    s.trim_end().to_string()
                };
                if show_head {
                    out.push_str(&b(&line(&t.head)));
                    out.push('\n');
                }
                for r in &t.rows {
                    out.push_str(&line(r));
                    out.push('\n');
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::blocks::Table;

    #[test]
    fn tables_align_numbers_right() {
        let mut t = Table::numeric(vec!["".into(), "a".into()]);
        t.row(vec!["mean".into(), "$1".into()]);
        t.row(vec!["p95".into(), "$1,000".into()]);
        let s = render(&[Block::Table(t)], false);
        assert_eq!(s, "           a\nmean      $1\np95   $1,000\n");
    }

    #[test]
    fn paragraphs_wrap() {
        let long = "word ".repeat(40);
        let s = wrap(&long, 20);
        assert!(s.lines().all(|l| l.chars().count() <= 20));
    }
}
