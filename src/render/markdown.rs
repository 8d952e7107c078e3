//! Markdown (GitHub-flavoured) rendering of a brief; figures are left out.

use super::blocks::{Block, Inline};

/// Escape text so Markdown shows it literally, inline (names may contain `*`, `|`, `_`,
/// backticks, HTML or line breaks): every character Markdown would read as markup is escaped,
/// an entity (`&amp;`) stays as written, and a line break, which would end a table row or start
/// a heading, list or quote on the next line, becomes a space.
pub fn escape(text: &str) -> String {
    let joined;
    let text = if text.contains(['\n', '\r']) {
        joined = text.replace("\r\n", " ").replace(['\n', '\r'], " ");
        joined.as_str()
    } else {
        text
    };
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len() + 8);
    for (i, &c) in chars.iter().enumerate() {
        let word = |j: Option<usize>| {
            j.and_then(|j| chars.get(j))
                .is_some_and(|c| c.is_alphanumeric())
        };
        let escape = match c {
            '\\' | '*' | '|' | '`' | '[' | ']' | '~' => true,
            // `&` starts an entity (`&amp;`, `&#60;`) only before a letter or `#`.
            '&' => chars
                .get(i + 1)
                .is_some_and(|n| n.is_alphanumeric() || *n == '#'),
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
    let text: String = parts
        .iter()
        .map(|p| match p {
            Inline::Text(t) => escape(t),
            Inline::Strong(t) => format!("**{}**", escape(t)),
        })
        .collect();
    at_block_start(text)
}

/// A paragraph's text with the mark escaped that would make it another block where it starts
/// a line: a heading (`#`), a quote (`>`), a list (`-`, `+`, `1.`, `1)`), a rule or a setext
/// underline (`=`).
fn at_block_start(text: String) -> String {
    let digits = text.bytes().take_while(u8::is_ascii_digit).count();
    if text.starts_with(['#', '>', '-', '+', '=']) {
        format!("\\{text}")
    } else if (1..=9).contains(&digits) && text[digits..].starts_with(['.', ')']) {
        format!("{}\\{}", &text[..digits], &text[digits..])
    } else {
        text
    }
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
        assert_eq!(
            escape("~~x~~ &amp; R&D & co"),
            "\\~\\~x\\~\\~ \\&amp; R\\&D & co"
        );
        assert_eq!(escape("a\nb\r\nc"), "a b c");
    }

    /// A scenario's name and description, hostile to Markdown, show as they are written: no
    /// markup, no block, no table cell broken.
    #[test]
    fn hostile_names_and_descriptions_stay_text() {
        let name = "sup|port *bold* `code` <script>alert(1)</script>";
        let description = "Ticket | thread *summaries*\n# not a heading\n- not a list\n<script>x</script> `tick` [link](http://e.com) _em_ ~~strike~~ &amp; 1. item\n===\n> quote";
        let blocks = vec![
            Block::Title(name.to_string()),
            Block::Para(vec![Inline::Text(description.to_string())]),
            Block::Para(vec![Inline::Text("1. first".to_string())]),
            Block::Para(vec![Inline::Text("- dash".to_string())]),
            Block::Table(crate::render::blocks::Table {
                head: vec!["a".into(), "b".into()],
                rows: vec![vec![name.to_string(), description.to_string()]],
                right: vec![false, false],
            }),
        ];
        let md = render(&blocks);
        assert_eq!(
            md.lines().next().unwrap(),
            "# sup\\|port \\*bold\\* \\`code\\` \\<script>alert(1)\\</script>"
        );
        let lines: Vec<&str> = md.lines().collect();
        assert_eq!(
            lines[2],
            "Ticket \\| thread \\*summaries\\* # not a heading - not a list \\<script>x\\</script> \\`tick\\` \\[link\\](http://e.com) \\_em\\_ \\~\\~strike\\~\\~ \\&amp; 1. item === > quote"
        );
        assert_eq!(lines[4], "1\\. first");
        assert_eq!(lines[6], "\\- dash");
        // The table keeps its two columns on one row.
        let row = lines[10];
        assert_eq!(row.matches(" | ").count(), 1, "{row}");
        assert_eq!(lines.len(), 11, "{md}");
        assert_eq!(
            md.matches("<script>").count(),
            md.matches("\\<script>").count(),
            "{md}"
        );
    }
}
