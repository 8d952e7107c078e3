//! Markdown (GitHub-flavoured) rendering of a brief; figures are left out.

use super::blocks::{Block, Inline};

/// Escape text so Markdown shows it literally (names may contain `*`, `|` or `_`).
pub fn escape(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len() + 8);
    for (i, &c) in chars.iter().enumerate() {
        let word = |j: Option<usize>| {
            j.and_then(|j| chars.get(j))
                .is_some_and(|c| c.is_alphanumeric())
        };
        let escape = match c {
            '\\' | '*' | '|' | '`' | '[' | ']' => true,
            // `<` starts HTML only before a letter, `/`, `!` or `?` (`<0.01%` is plain text).
            '<' => chars
                .get(i + 1)
                .is_some_and(|n| n.is_alphabetic() || matches!(n, '/' | '!' | '?')),
            // An underscore inside a word never starts emphasis.
            '_' => !(word(i.checked_sub(1)) && word(Some(i + 1))),
            _ => false,
        };
        if escape {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

fn inlines(parts: &[Inline]) -> String {
    parts
        .iter()
        .map(|p| match p {
            Inline::Text(t) => escape(t),
            Inline::Strong(t) => format!("**{}**", escape(t)),
        })
        .collect()
}

/// Render blocks as Markdown.
pub fn render(blocks: &[Block]) -> String {
    let mut out = String::new();
    for b in blocks {
        match b {
            Block::Title(t) => out.push_str(&format!("# {}\n\n", escape(t))),
            Block::Heading(t) => out.push_str(&format!("## {}\n\n", escape(t))),
            Block::Subheading(t) => out.push_str(&format!("### {}\n\n", escape(t))),
            Block::Para(parts) => {
                out.push_str(&inlines(parts));
                out.push_str("\n\n");
            }
            Block::Note(t) => out.push_str(&format!("_{}_\n\n", escape(t))),
            Block::Figure { .. } => {}
            Block::Table(t) => {
                let line = |cells: &[String]| {
                    let cells: Vec<String> = cells.iter().map(|c| escape(c)).collect();
                    format!("| {} |\n", cells.join(" | "))
                };
                out.push_str(&line(&t.head));
                let rule: Vec<String> = (0..t.head.len())
                    .map(|i| {
                        if t.right.get(i).copied().unwrap_or(false) {
                            "--:".to_string()
                        } else {
                            "---".to_string()
                        }
                    })
                    .collect();
                out.push_str(&format!("|{}|\n", rule.join("|")));
                for r in &t.rows {
                    out.push_str(&line(r));
                }
                out.push('\n');
            }
        }
    }
    while out.ends_with("\n\n") {
        out.pop();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_what_markdown_would_interpret() {
        assert_eq!(escape("live_agent_assist"), "live_agent_assist");
        assert_eq!(escape("_x_"), "\\_x\\_");
        assert_eq!(escape("a|b*c"), "a\\|b\\*c");
        assert_eq!(escape("<0.01% <b>"), "<0.01% \\<b>");
    }
}
