//! Text in SVG charts, which carry no font metrics: how wide a label will be, estimated from its
//! characters; a label shortened to fit a width, keeping its start and its end; and the full text
//! of every shortened label put back as a `<title>` (the tooltip a reader hovers for), so that no
//! chart silently truncates a name.

/// Average advance of a character, in em, generous for sans-serif fonts: DejaVu Sans, the widest
/// common default, averages about 0.6 em over names and digits.
pub const EM_PER_CHAR: f64 = 0.64;

/// Estimated width in pixels of `text` drawn at `px` pixels.
pub fn width(text: &str, px: f64) -> f64 {
    text.chars().count() as f64 * px * EM_PER_CHAR
}

/// `text` as it fits in `max_px` pixels at `px` pixels: itself when it fits, else its start and
/// its end around an ellipsis (`model[claude-sonnet-4-5]…input_usd_per_mtok`), the end being
/// what tells two long labels apart.
pub fn fit(text: &str, px: f64, max_px: f64) -> String {
    if width(text, px) <= max_px {
        return text.to_string();
    }
    let chars: Vec<char> = text.chars().collect();
    let keep = ((max_px / (px * EM_PER_CHAR)).floor() as usize)
        .saturating_sub(1)
        .max(2);
    let head = keep * 2 / 5;
    let tail = keep - head;
    let start: String = chars[..head].iter().collect();
    let end: String = chars[chars.len() - tail..].iter().collect();
    format!("{start}…{end}")
}

/// Escape text for SVG content, as plotters does.
fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&apos;")
}

/// `svg` with a `<title>` holding the full text inside every `<text>` element whose content is
/// one of the shortened labels of `pairs` (shortened, full).
pub fn with_titles(svg: &str, pairs: &[(String, String)]) -> String {
    let mut out = svg.to_string();
    for (short, full) in pairs.iter().filter(|(s, f)| s != f) {
        for body in [escape(short), short.clone()] {
            let needle = format!(">\n{body}\n</text>");
            if out.contains(&needle) {
                out = out.replace(
                    &needle,
                    &format!("><title>{}</title>\n{body}\n</text>", escape(full)),
                );
                break;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_label_keeps_its_start_and_end_and_fits() {
        let l = "model[claude-sonnet-4-5].long_context.input_usd_per_mtok";
        assert_eq!(fit(l, 10.0, 1000.0), l);
        let s = fit(l, 10.0, 200.0);
        assert!(width(&s, 10.0) <= 200.0, "{s}");
        assert!(
            s.starts_with("model[") && s.ends_with("per_mtok") && s.contains('…'),
            "{s}"
        );
    }

    #[test]
    fn shortened_labels_get_their_full_text_as_a_title() {
        let svg = "<svg><text x=\"1\">\na…z\n</text><text>\nkept\n</text></svg>";
        let out = with_titles(
            svg,
            &[
                ("a…z".to_string(), "a <long> z".to_string()),
                ("kept".to_string(), "kept".to_string()),
            ],
        );
        assert_eq!(
            out,
            "<svg><text x=\"1\"><title>a &lt;long&gt; z</title>\na…z\n</text><text>\nkept\n</text></svg>"
        );
    }
}
