//! A small document model shared by the Markdown and HTML renderings: a brief is built once as
//! [`Block`]s, and each format only decides how a heading, a paragraph or a table looks. So the
//! Markdown and the HTML of one run say exactly the same things.

/// A run of text in a paragraph.
#[derive(Clone, Debug, PartialEq)]
pub enum Inline {
    Text(String),
    Strong(String),
}

/// A table; `right[i]` right-aligns column `i` (numbers).
#[derive(Clone, Debug, PartialEq)]
pub struct Table {
    pub head: Vec<String>,
    pub rows: Vec<Vec<String>>,
    pub right: Vec<bool>,
}

impl Table {
    /// A table whose first column is a label and the others are numbers.
    pub fn numeric(head: Vec<String>) -> Self {
        let right = (0..head.len()).map(|i| i > 0).collect();
        Table {
            head,
            rows: Vec::new(),
            right,
        }
    }

    pub fn row(&mut self, cells: Vec<String>) {
        self.rows.push(cells);
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum Block {
    /// The document title (one per document).
    Title(String),
    Heading(String),
    Subheading(String),
    Para(Vec<Inline>),
    Table(Table),
    /// A chart: an inline SVG and its caption (HTML only; Markdown skips it).
    Figure {
        svg: String,
        caption: String,
    },
    /// Small print: method notes, provenance.
    Note(String),
}

/// A paragraph that starts with a bold lead-in.
pub fn lead(strong: impl Into<String>, text: impl Into<String>) -> Block {
    Block::Para(vec![
        Inline::Strong(strong.into()),
        Inline::Text(text.into()),
    ])
}

/// A plain paragraph.
pub(crate) fn para(text: impl Into<String>) -> Block {
    Block::Para(vec![Inline::Text(text.into())])
}
