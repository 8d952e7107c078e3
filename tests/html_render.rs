//! The HTML brief as a person sees it: a headless Chromium renders the page, and the test reads
//! the screenshot (not blank; the stacks' palette colours are on screen, so the charts were drawn)
//! and the DOM after loading (five inline SVG charts with their text), and checks run in the page
//! once it is laid out: tables that fit, headings, text alternatives and contrast of the page, and
//! of every chart's text (boxes apart and inside the chart, contrast, a colour per legend entry).
//!
//! Without a Chromium on the PATH the test prints a notice and passes, unless
//! `AICOST_REQUIRE_CHROMIUM=1` (set by `.ci/run`), which makes a missing browser a failure.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use aicost::render::brief::Brief;

/// Window size of the screenshot: a laptop's width, tall enough for all five charts.
const WIDTH: u32 = 1280;
const HEIGHT: u32 = 4200;
/// A safety net against a hung browser, not a timing assertion.
const GIVE_UP: Duration = Duration::from_secs(180);

/// The browser, or `None` after saying the test is skipped.
fn browser_or_skip() -> Option<PathBuf> {
    common::chromium_or_skip("the rendered-HTML test")
}

/// What a finished command printed.
struct Output {
    success: bool,
    stdout: String,
    stderr: String,
}

/// Run a command, killing it if it outlives [`GIVE_UP`]. Its output goes to files in `dir` (a
/// pipe would fill up with a large DOM and stall the browser).
fn run(cmd: &mut Command, dir: &Path) -> Output {
    let (out, err) = (dir.join("stdout"), dir.join("stderr"));
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&out).unwrap())
        .stderr(std::fs::File::create(&err).unwrap())
        .spawn()
        .expect("chromium starts");
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().expect("wait") {
            let read = |p: &Path| String::from_utf8_lossy(&std::fs::read(p).unwrap()).into_owned();
            return Output {
                success: status.success(),
                stdout: read(&out),
                stderr: read(&err),
            };
        }
        if start.elapsed() > GIVE_UP {
            let _ = child.kill();
            panic!("chromium did not finish within {GIVE_UP:?}");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn chromium(browser: &Path, profile: &Path) -> Command {
    let mut c = Command::new(browser);
    c.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--hide-scrollbars",
    ])
    .arg(format!("--user-data-dir={}", profile.display()));
    c
}

/// RGB pixels of a PNG.
fn pixels(png_path: &Path) -> (u32, u32, Vec<[u8; 3]>) {
    let file = std::io::BufReader::new(std::fs::File::open(png_path).expect("screenshot exists"));
    let mut decoder = png::Decoder::new(file);
    decoder.set_transformations(png::Transformations::normalize_to_color8());
    let mut reader = decoder.read_info().expect("a PNG");
    let mut buf = vec![0; reader.output_buffer_size().expect("size")];
    let info = reader.next_frame(&mut buf).expect("a frame");
    let channels = match info.color_type {
        png::ColorType::Rgb => 3,
        png::ColorType::Rgba => 4,
        png::ColorType::Grayscale => 1,
        png::ColorType::GrayscaleAlpha => 2,
        other => panic!("unexpected colour type {other:?}"),
    };
    let px = buf[..info.buffer_size()]
        .chunks_exact(channels)
        .map(|c| match channels {
            1 | 2 => [c[0], c[0], c[0]],
            _ => [c[0], c[1], c[2]],
        })
        .collect();
    (info.width, info.height, px)
}

#[test]
fn html_brief_renders_in_a_browser() {
    let Some(browser) = browser_or_skip() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let s = common::scenario(&std::fs::read_to_string("tests/fixtures/brief.toml").unwrap());
    // n = 300 trials, seed 11.
    let html = Brief::new(&s, &common::simulate(&s, 300, 11)).html();
    let page = dir.path().join("brief.html");
    std::fs::write(&page, &html).unwrap();
    let url = format!("file://{}", page.display());

    // What the browser built from the file: five charts, each with its text.
    let dom = run(
        chromium(&browser, &dir.path().join("profile-dom"))
            .arg("--dump-dom")
            .arg(&url),
        dir.path(),
    );
    assert!(dom.success, "{}", dom.stderr);
    let dom = dom.stdout;
    assert_eq!(dom.matches("<svg").count(), 5, "charts in the rendered DOM");
    // Three stacks' labels on each chart: apart, inside, readable, one colour per thing.
    let v = svg_checks(&browser, dir.path(), "fixture", &html);
    assert_charts_clean("the three-stack brief", &v, 5);
    for title in [
        "Monthly spend per stack",
        "How often each stack stays within budget",
        "Cumulative spend through the month",
        "Where the money goes",
        "Cost per user, by segment",
    ] {
        assert!(
            dom.contains(title),
            "{title} missing from the rendered page"
        );
    }

    // What a person sees.
    let shot = dir.path().join("brief.png");
    let out = run(
        chromium(&browser, &dir.path().join("profile-shot"))
            .arg(format!("--screenshot={}", shot.display()))
            .arg(format!("--window-size={WIDTH},{HEIGHT}"))
            .arg(&url),
        dir.path(),
    );
    assert!(
        out.success && shot.exists(),
        "no screenshot: {}",
        out.stderr
    );
    let (w, h, px) = pixels(&shot);
    assert_eq!((w, h), (WIDTH, HEIGHT));
    let n = px.len() as f64;
    let ink = px.iter().filter(|p| p.iter().all(|c| *c < 100)).count() as f64;
    let not_white = px.iter().filter(|p| p.iter().any(|c| *c < 235)).count() as f64;
    assert!(ink / n > 0.002, "hardly any text: {:.4}", ink / n);
    assert!(
        not_white / n > 0.03,
        "the page is nearly blank: {:.4}",
        not_white / n
    );
    // The Okabe–Ito colours of the three stacks, and vermillion (the fourth part of the cost
    // drivers), each fill a visible area of the page.
    let near = |p: &[u8; 3], c: [u8; 3]| p.iter().zip(c).all(|(a, b)| a.abs_diff(b) <= 8);
    for (name, colour) in [
        ("blue", [0x00, 0x72, 0xB2]),
        ("orange", [0xE6, 0x9F, 0x00]),
        ("bluish green", [0x00, 0x9E, 0x73]),
        ("vermillion", [0xD5, 0x5E, 0x00]),
    ] {
        let count = px.iter().filter(|p| near(p, colour)).count();
        println!("{name}: {count} pixels");
        assert!(
            count > 2_000,
            "{name} covers only {count} pixels: the charts did not draw"
        );
    }
    // The page fits the laptop's width: the right margin of the screenshot is white.
    let right_edge_dark = (0..h as usize)
        .map(|y| px[y * w as usize + w as usize - 4])
        .filter(|p| p.iter().any(|c| *c < 200))
        .count();
    assert_eq!(right_edge_dark, 0, "something runs past the right edge");
}

/// Checks of the text inside every SVG chart, run in the browser on the laid-out page: the box of
/// every `<text>` (`getBBox`, after any rotation) overlaps no other and stays inside the svg's
/// viewBox (no label collides with another, no tick label is clipped); the contrast of its fill
/// against what is drawn under it, the last opaque shape below its centre or the white page,
/// passes WCAG AA (4.5:1; 3:1 for large text); and no two legend entries of a chart share a
/// colour. The result is written into the page as JSON for `--dump-dom`.
const SVG_CHECKS: &str = r#"<script>
(function () {
  const out = { overlaps: [], outside: [], contrast: [], colours: [], texts: 0, charts: 0 };
  const rgb = c => (c.match(/[\d.]+/g) || []).map(Number);
  const lum = ([r, g, b]) => {
    const f = v => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
  };
  const colour = c => { c = (c || '#000000').trim(); if (c[0] === '#') { const n = parseInt(c.slice(1), 16); return [n >> 16 & 255, n >> 8 & 255, n & 255]; } return rgb(c).slice(0, 3); };
  // A text's own words, without the <title> a shortened label carries.
  const own = t => Array.from(t.childNodes).filter(n => n.nodeType === 3).map(n => n.textContent).join('').trim();
  document.querySelectorAll('svg').forEach((svg, si) => {
    out.charts += 1;
    const vb = svg.viewBox.baseVal;
    const texts = Array.from(svg.querySelectorAll('text')).filter(t => own(t) !== '');
    out.texts += texts.length;
    const toSvg = svg.getScreenCTM().inverse();
    // Each text's box in the svg's coordinates, after any rotation (the y axis's title).
    const boxes = texts.map(t => {
      const b = t.getBBox(), m = toSvg.multiply(t.getScreenCTM());
      const pts = [[b.x, b.y], [b.x + b.width, b.y], [b.x, b.y + b.height], [b.x + b.width, b.y + b.height]]
        .map(([x, y]) => { const p = svg.createSVGPoint(); p.x = x; p.y = y; return p.matrixTransform(m); });
      const xs = pts.map(p => p.x), ys = pts.map(p => p.y);
      const x = Math.min(...xs), y = Math.min(...ys);
      return { t: own(t), x, y, w: Math.max(...xs) - x, h: Math.max(...ys) - y };
    });
    boxes.forEach((b, i) => {
      if (b.x < vb.x - 0.5 || b.y < vb.y - 0.5 || b.x + b.w > vb.x + vb.width + 0.5 || b.y + b.h > vb.y + vb.height + 0.5)
        out.outside.push({ chart: si, text: b.t, box: [b.x, b.y, b.w, b.h].map(Math.round), viewBox: [vb.width, vb.height] });
      for (let j = i + 1; j < boxes.length; j++) {
        const c = boxes[j];
        // A glyph box holds the line's leading above and below the letters: 15% of its height
        // each side may touch the next line's.
        const sb = b.h * 0.15, sc = c.h * 0.15;
        if (b.x < c.x + c.w && c.x < b.x + b.w && b.y + sb < c.y + c.h - sc && c.y + sc < b.y + b.h - sb)
          out.overlaps.push({ chart: si, a: b.t, b: c.t });
      }
    });
    // The background of a text: the last opaque shape drawn before it under its centre, else the
    // page's white.
    const shapes = Array.from(svg.querySelectorAll('rect, polygon, path, circle'));
    texts.forEach((t, i) => {
      const b = boxes[i];
      const p = svg.createSVGPoint();
      p.x = b.x + b.w / 2; p.y = b.y + b.h / 2;
      let bg = [255, 255, 255];
      for (const s of shapes) {
        if (!(s.compareDocumentPosition(t) & Node.DOCUMENT_POSITION_FOLLOWING)) continue;
        const fill = s.getAttribute('fill');
        if (!fill || fill === 'none') continue;
        if (Number(s.getAttribute('fill-opacity') || s.getAttribute('opacity') || 1) < 0.99) continue;
        const q = p.matrixTransform(toSvg.multiply(s.getScreenCTM()).inverse());
        if (s.isPointInFill(q)) bg = colour(fill);
      }
      const fg = colour(t.getAttribute('fill'));
      const [hi, lo] = [lum(fg), lum(bg)].sort((x, y) => y - x);
      const ratio = (hi + 0.05) / (lo + 0.05);
      const size = parseFloat(t.getAttribute('font-size') || '16');
      const bold = t.getAttribute('font-weight') === 'bold';
      const needed = (size >= 24 || (bold && size >= 18.66)) ? 3 : 4.5;
      if (ratio < needed) out.contrast.push({ chart: si, text: b.t, ratio: Math.round(ratio * 100) / 100 });
    });
    // One colour per thing: a legend's swatch (a filled rect followed by its name) names one
    // thing, and no two names share a swatch's colour.
    const named = {};
    svg.querySelectorAll('rect').forEach(r => {
      const next = r.nextElementSibling;
      const fill = (r.getAttribute('fill') || '').toUpperCase();
      if (!next || next.tagName !== 'text' || !fill || fill === 'NONE' || fill === '#FFFFFF') return;
      // A swatch is small (18 × 12 px); a bar with its label inside is not.
      if (Number(r.getAttribute('width')) > 24 || Number(r.getAttribute('height')) > 16) return;
      const key = fill + '/' + (r.getAttribute('fill-opacity') || r.getAttribute('opacity') || '1');
      (named[key] = named[key] || new Set()).add(own(next));
    });
    Object.entries(named).forEach(([key, names]) => {
      if (names.size > 1) out.colours.push({ chart: si, colour: key, names: Array.from(names) });
    });
  });
  const pre = document.createElement('pre');
  pre.id = 'svg-checks';
  pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
})();
</script>"#;

/// Run [`SVG_CHECKS`] on `html` (a page, or an SVG document wrapped into one) in the browser.
fn svg_checks(browser: &Path, dir: &Path, name: &str, html: &str) -> serde_json::Value {
    let page = if html.contains("</body>") {
        html.replace("</body>", &format!("{SVG_CHECKS}\n</body>"))
    } else {
        format!("<!doctype html><html lang=\"en\"><body>{html}\n{SVG_CHECKS}\n</body></html>")
    };
    let path = dir.join(format!("{name}-svg-checks.html"));
    std::fs::write(&path, page).unwrap();
    let dom = run(
        chromium(browser, &dir.join(format!("profile-svg-{name}")))
            .arg(format!("--window-size={WIDTH},1000"))
            .arg("--dump-dom")
            .arg(format!("file://{}", path.display())),
        dir,
    );
    assert!(dom.success, "{}", dom.stderr);
    let json = dom
        .stdout
        .split("<pre id=\"svg-checks\">")
        .nth(1)
        .and_then(|s| s.split("</pre>").next())
        .expect("the chart checks ran")
        .replace("&quot;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&");
    serde_json::from_str(&json).unwrap()
}

/// The chart checks of [`SVG_CHECKS`] all pass on `v`, from `charts` charts.
fn assert_charts_clean(what: &str, v: &serde_json::Value, charts: u64) {
    println!("{what}: chart checks {v}");
    assert_eq!(v["charts"], charts, "{what}: charts");
    assert!(
        v["texts"].as_u64().unwrap() > 10 * charts,
        "{what}: hardly any text: {v}"
    );
    for key in ["overlaps", "outside", "contrast", "colours"] {
        assert_eq!(v[key], serde_json::json!([]), "{what}: {key}");
    }
}

/// Checks run inside the page, in the browser, at the laptop's width: whether every table fits
/// without a horizontal scrollbar, the heading outline, a text alternative for every chart, the
/// contrast of every piece of text against its background (WCAG AA: 4.5:1, 3:1 for large text),
/// the page's language and title. The result is written into the page as JSON for `--dump-dom`.
const PAGE_CHECKS: &str = r#"<script>
(function () {
  const out = { overflow: [], headings: [], unlabelled: [], contrast: [], lang: document.documentElement.lang, title: document.title };
  document.querySelectorAll('div.scroll').forEach((d, i) => {
    if (d.scrollWidth > d.clientWidth + 1) {
      const head = d.querySelector('th');
      out.overflow.push({ table: i, head: head ? head.textContent : '', scroll: d.scrollWidth, width: d.clientWidth });
    }
  });
  document.querySelectorAll('h1, h2, h3, h4, h5, h6').forEach(h => out.headings.push(Number(h.tagName[1])));
  document.querySelectorAll('svg').forEach((s, i) => {
    const label = (s.getAttribute('aria-label') || '').trim();
    if (s.getAttribute('role') !== 'img' || label.length < 20) out.unlabelled.push(i);
  });
  const rgb = c => (c.match(/[\d.]+/g) || []).map(Number);
  const lum = ([r, g, b]) => {
    const f = v => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
  };
  const background = el => {
    for (let e = el; e; e = e.parentElement) {
      const c = rgb(getComputedStyle(e).backgroundColor);
      if (c.length === 3 || (c.length === 4 && c[3] > 0)) return c.slice(0, 3);
    }
    return [255, 255, 255];
  };
  document.querySelectorAll('main *').forEach(el => {
    if (el.closest('svg')) return;
    const own = Array.from(el.childNodes).some(n => n.nodeType === 3 && n.textContent.trim() !== '');
    if (!own) return;
    const st = getComputedStyle(el);
    const fg = rgb(st.color).slice(0, 3), bg = background(el);
    const [a, b] = [lum(fg), lum(bg)].sort((x, y) => y - x);
    const ratio = (a + 0.05) / (b + 0.05);
    const size = parseFloat(st.fontSize), bold = Number(st.fontWeight) >= 700;
    const needed = (size >= 24 || (bold && size >= 18.66)) ? 3 : 4.5;
    if (ratio < needed) out.contrast.push({ tag: el.tagName, text: el.textContent.slice(0, 40), ratio: Math.round(ratio * 100) / 100 });
  });
  const pre = document.createElement('pre');
  pre.id = 'page-checks';
  pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
})();
</script>"#;

/// The 12-month RFP brief, as the finance reader opens it at 1280 px and prints it: the
/// assumptions are there to audit (prices with source and date, traffic, tokens), every table
/// fits (the per-month table with its breach column too), the outline, the charts' text
/// alternatives and the contrast pass, the fan chart shows the hard cap its band stops at, and
/// the page prints on A4. The screenshot is kept in the test's output folder for a person to look
/// at (`target/tmp/rfp-brief.png`).
#[test]
fn the_rfp_brief_reads_and_prints_for_finance() {
    let Some(browser) = browser_or_skip() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("rfp.html");
    let out = assert_cmd::cargo::cargo_bin_cmd!("aicost")
        .args([
            "simulate",
            "scenarios/ecommerce-assistant.toml",
            "--trials",
            "1000",
            "-q",
            "--out",
        ])
        .arg(&page)
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let html = std::fs::read_to_string(&page).unwrap();

    // The assumptions, in the file itself.
    let assumptions = &html[html
        .find("<h2>Assumptions</h2>")
        .expect("an assumptions section")..];
    let assumptions = &assumptions[..assumptions.find("<h2>At a glance</h2>").unwrap()];
    for expected in [
        "Prices (USD per million tokens)",
        "gpt-4.1-mini",
        "claude-haiku-4-5",
        "$0.40",
        "$1.60",
        "https://developers.openai.com/api/docs/pricing",
        "https://platform.claude.com/docs/en/about-claude/pricing",
        "2026-11-23",
        "Traffic",
        "shoppers",
        "merchants",
        "Tokens per request, by workflow step",
        "shopper-chat",
        "catalogue-writer",
    ] {
        assert!(
            assumptions.contains(expected),
            "{expected} missing from the assumptions"
        );
    }
    // The fan chart draws the hard cap that flattens its band.
    assert!(html.contains("hard cap $14,000"));
    // A print stylesheet for A4.
    assert!(html.contains("@media print") && html.contains("size: A4"));

    // In the browser, at 1280 px.
    let checked = dir.path().join("checked.html");
    std::fs::write(
        &checked,
        html.replace("</body>", &format!("{PAGE_CHECKS}\n</body>")),
    )
    .unwrap();
    let dom = run(
        chromium(&browser, &dir.path().join("profile-dom"))
            .arg(format!("--window-size={WIDTH},1000"))
            .arg("--dump-dom")
            .arg(format!("file://{}", checked.display())),
        dir.path(),
    );
    assert!(dom.success, "{}", dom.stderr);
    let json = dom
        .stdout
        .split("<pre id=\"page-checks\">")
        .nth(1)
        .and_then(|s| s.split("</pre>").next())
        .expect("the page's checks ran")
        .replace("&quot;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&");
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    println!("page checks: {v}");
    assert_eq!(
        v["overflow"],
        serde_json::json!([]),
        "tables wider than the page"
    );
    assert_eq!(
        v["unlabelled"],
        serde_json::json!([]),
        "charts without a text alternative"
    );
    assert_eq!(
        v["contrast"],
        serde_json::json!([]),
        "text below WCAG AA contrast"
    );
    assert_eq!(v["lang"], "en");
    assert!(v["title"].as_str().unwrap().contains("ecommerce-assistant"));
    let levels: Vec<u64> = v["headings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l.as_u64().unwrap())
        .collect();
    assert_eq!(levels.first(), Some(&1), "{levels:?}");
    assert_eq!(levels.iter().filter(|l| **l == 1).count(), 1, "{levels:?}");
    assert!(
        levels.windows(2).all(|w| w[1] <= w[0] + 1),
        "a heading level is skipped: {levels:?}"
    );
    assert_eq!(dom.stdout.matches("role=\"img\"").count(), 6, "six charts");

    // The text inside the six charts: apart, inside, readable, one colour per thing.
    let v = svg_checks(&browser, dir.path(), "rfp", &html);
    assert_charts_clean("the RFP brief", &v, 6);
    // Captions name the months their shares are of: 1,000 horizons of 12 months pool 12,000.
    assert!(
        html.contains(
            "Share of 12,000 simulated months (1,000 simulated horizons × 12 months, pooled)"
        ),
        "the histogram's caption does not say which months it counts"
    );
    assert!(html.contains("that month's median over the 1,000 simulated horizons"));

    // Printed: A4 pages.
    let pdf = dir.path().join("rfp.pdf");
    let printed = run(
        chromium(&browser, &dir.path().join("profile-pdf"))
            .arg("--no-pdf-header-footer")
            .arg(format!("--print-to-pdf={}", pdf.display()))
            .arg(format!("file://{}", page.display())),
        dir.path(),
    );
    assert!(printed.success && pdf.exists(), "{}", printed.stderr);
    let bytes = std::fs::read(&pdf).unwrap();
    let text = String::from_utf8_lossy(&bytes);
    // Every page's media box: 595 × 842 points is A4 (US Letter would be 612 × 792).
    let boxes: Vec<(f64, f64)> = text
        .split("/MediaBox [0 0 ")
        .skip(1)
        .filter_map(|rest| {
            let mut n = rest.split([' ', ']']).filter_map(|w| w.parse::<f64>().ok());
            Some((n.next()?, n.next()?))
        })
        .collect();
    println!("printed: {} pages, {:?}", boxes.len(), boxes.first());
    assert!(boxes.len() >= 3, "{boxes:?}");
    assert!(
        boxes
            .iter()
            .all(|(w, h)| (w - 595.28).abs() < 1.0 && (h - 841.89).abs() < 1.0),
        "the printed brief is not A4: {boxes:?}"
    );

    // What a person sees, kept for a person to look at.
    let shot = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("rfp-brief.png");
    let out = run(
        chromium(&browser, &dir.path().join("profile-shot"))
            .arg(format!("--screenshot={}", shot.display()))
            .arg(format!("--window-size={WIDTH},{HEIGHT}"))
            .arg(format!("file://{}", page.display())),
        dir.path(),
    );
    assert!(
        out.success && shot.exists(),
        "no screenshot: {}",
        out.stderr
    );
    println!("screenshot: {}", shot.display());
    let (w, h, px) = pixels(&shot);
    let right_edge_dark = (0..h as usize)
        .map(|y| px[y * w as usize + w as usize - 4])
        .filter(|p| p.iter().any(|c| *c < 200))
        .count();
    assert_eq!(right_edge_dark, 0, "something runs past the right edge");
}

/// Labels that used to collide or be clipped: the coding assistant's p95 sits near its budget
/// on the histogram, its stacks' names are long, its sensitivity inputs have long names; a
/// comparison page has its own two charts. In the browser, every chart's text is apart, inside
/// its viewBox, readable against what is under it, and each legend colour names one thing. The
/// brief's screenshot is kept in the test's output folder (`target/tmp/coding-brief.png`).
#[test]
fn chart_labels_are_apart_inside_and_readable() {
    let Some(browser) = browser_or_skip() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let aicost = |args: &[&str], out: &Path| {
        let o = assert_cmd::cargo::cargo_bin_cmd!("aicost")
            .args(args)
            .arg(out)
            .output()
            .unwrap();
        assert!(o.status.success(), "{o:?}");
        std::fs::read_to_string(out).unwrap()
    };
    let brief = dir.path().join("coding.html");
    let html = aicost(
        &[
            "simulate",
            "scenarios/coding-assistant.toml",
            "--trials",
            "1000",
            "-q",
            "--out",
        ],
        &brief,
    );
    let v = svg_checks(&browser, dir.path(), "coding", &html);
    assert_charts_clean("the coding assistant's brief", &v, 5);

    let html = aicost(
        &[
            "compare",
            "scenarios/coding-assistant.toml",
            "--trials",
            "500",
            "-q",
            "--out",
        ],
        &dir.path().join("compare.html"),
    );
    let v = svg_checks(&browser, dir.path(), "compare", &html);
    assert_charts_clean("the comparison", &v, 2);

    let svg = dir.path().join("tornado.svg");
    let o = assert_cmd::cargo::cargo_bin_cmd!("aicost")
        .args([
            "sensitivity",
            "scenarios/support-summarizer.toml",
            "--all",
            "--trials",
            "200",
            "-q",
            "--svg",
        ])
        .arg(&svg)
        .output()
        .unwrap();
    assert!(o.status.success(), "{o:?}");
    let tornado = std::fs::read_to_string(&svg).unwrap();
    let v = svg_checks(&browser, dir.path(), "tornado", &tornado);
    assert_charts_clean("the tornado", &v, 1);

    let shot = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("coding-brief.png");
    let out = run(
        chromium(&browser, &dir.path().join("profile-shot"))
            .arg(format!("--screenshot={}", shot.display()))
            .arg(format!("--window-size={WIDTH},{HEIGHT}"))
            .arg(format!("file://{}", brief.display())),
        dir.path(),
    );
    assert!(
        out.success && shot.exists(),
        "no screenshot: {}",
        out.stderr
    );
    println!("screenshot: {}", shot.display());
}
