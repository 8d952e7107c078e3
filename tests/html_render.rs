//! The HTML brief as a person sees it: a headless Chromium renders the page, and the test reads
//! the screenshot (not blank; the stacks' palette colours are on screen, so the charts were drawn)
//! and the DOM after loading (five inline SVG charts with their text).
//!
//! Without a Chromium on the PATH the test prints a notice and passes, unless
//! `AICOST_REQUIRE_CHROMIUM=1` (set by `.ci/run`), which makes a missing browser a failure.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use aicost::report::brief::Brief;

/// Window size of the screenshot: a laptop's width, tall enough for all five charts.
const WIDTH: u32 = 1280;
const HEIGHT: u32 = 4200;
/// A safety net against a hung browser, not a timing assertion.
const GIVE_UP: Duration = Duration::from_secs(180);

fn find_chromium() -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    [
        "chromium",
        "chromium-browser",
        "google-chrome",
        "google-chrome-stable",
    ]
    .iter()
    .flat_map(|name| std::env::split_paths(&path).map(move |dir| dir.join(name)))
    .find(|p| p.is_file())
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
    let Some(browser) = find_chromium() else {
        if std::env::var("AICOST_REQUIRE_CHROMIUM").is_ok_and(|v| v == "1") {
            panic!(
                "AICOST_REQUIRE_CHROMIUM=1 but no chromium on the PATH (apt-get install chromium)"
            );
        }
        println!("notice: chromium not found; skipping the rendered-HTML test");
        eprintln!("notice: chromium not found; skipping the rendered-HTML test");
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
