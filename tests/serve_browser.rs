//! `aicost serve` in a browser: a headless Chromium loads the page, a control is moved as a
//! person moves it (an `input` event on the slider), and the breach probability the page shows is
//! `aicost simulate --set … --format json`'s for the same values, trials and seed. Then the
//! scenario is edited on disk and the page changes by itself, and a what-if saved from the page
//! validates.
//!
//! Chromium is driven through the DevTools protocol over a pipe (`--remote-debugging-pipe`:
//! JSON messages ending in a NUL byte on file descriptors 3 and 4), so the test needs no
//! WebSocket client. Without a Chromium on the PATH the test prints a notice and passes, unless
//! `AICOST_REQUIRE_CHROMIUM=1`. With `AICOST_SERVE_SCREENSHOT=PATH` it also writes a screenshot
//! of the page (how docs/serve.png was made).
#![cfg(unix)]

mod common;

use std::io::{BufRead as _, Write as _};
use std::os::fd::{FromRawFd as _, RawFd};
use std::os::unix::process::CommandExt as _;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A safety net against a hung browser or server, not a timing assertion.
const GIVE_UP: Duration = Duration::from_secs(120);
const TRIALS: &str = "400";
const SEED: &str = "7";

/// A child process killed when the test ends, passing or not.
struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A DevTools-protocol connection to a browser over its pipe.
struct Cdp {
    to: std::fs::File,
    from: std::io::BufReader<std::fs::File>,
    next: u64,
    session: Option<String>,
}

impl Cdp {
    fn call(&mut self, method: &str, params: serde_json::Value) -> serde_json::Value {
        self.next += 1;
        let id = self.next;
        let mut msg = serde_json::json!({"id": id, "method": method, "params": params});
        if let Some(s) = &self.session {
            msg["sessionId"] = serde_json::Value::String(s.clone());
        }
        let mut bytes = msg.to_string().into_bytes();
        bytes.push(0);
        self.to.write_all(&bytes).unwrap();
        loop {
            let mut buf = Vec::new();
            let n = self.from.read_until(0, &mut buf).unwrap();
            assert!(n > 0, "the browser closed its pipe");
            buf.pop();
            let reply: serde_json::Value = serde_json::from_slice(&buf).unwrap();
            if reply["id"].as_u64() == Some(id) {
                assert!(reply.get("error").is_none(), "{method}: {reply}");
                return reply["result"].clone();
            }
        }
    }

    /// The value of a JavaScript expression in the page (promises awaited).
    fn eval(&mut self, expression: &str) -> serde_json::Value {
        let r = self.call(
            "Runtime.evaluate",
            serde_json::json!({"expression": expression, "returnByValue": true, "awaitPromise": true}),
        );
        assert!(r.get("exceptionDetails").is_none(), "{expression}: {r}");
        r["result"]["value"].clone()
    }

    /// Wait until `expression` is true in the page.
    fn wait_for(&mut self, expression: &str) {
        let start = Instant::now();
        while self.eval(expression) != serde_json::Value::Bool(true) {
            assert!(start.elapsed() < GIVE_UP, "never true: {expression}");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

/// Two pipes for the browser's descriptors 3 (it reads) and 4 (it writes).
fn pipes() -> ([RawFd; 2], [RawFd; 2]) {
    let (mut a, mut b) = ([0; 2], [0; 2]);
    unsafe {
        assert_eq!(libc::pipe2(a.as_mut_ptr(), libc::O_CLOEXEC), 0);
        assert_eq!(libc::pipe2(b.as_mut_ptr(), libc::O_CLOEXEC), 0);
    }
    (a, b)
}

fn browser(chromium: &Path, profile: &Path) -> (Killed, Cdp) {
    let (to_browser, from_browser) = pipes();
    let (read_end, write_end) = (to_browser[0], from_browser[1]);
    let mut cmd = Command::new(chromium);
    cmd.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--hide-scrollbars",
        "--window-size=1360,1000",
        "--remote-debugging-pipe",
    ])
    .arg(format!("--user-data-dir={}", profile.display()))
    .stdin(Stdio::null())
    .stdout(Stdio::null())
    .stderr(Stdio::null());
    unsafe {
        cmd.pre_exec(move || {
            // Out of the way of 3 and 4 first, then onto them (dup2 clears close-on-exec).
            let r = libc::fcntl(read_end, libc::F_DUPFD, 10);
            let w = libc::fcntl(write_end, libc::F_DUPFD, 10);
            if r < 0 || w < 0 || libc::dup2(r, 3) < 0 || libc::dup2(w, 4) < 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let child = Killed(cmd.spawn().expect("chromium starts"));
    unsafe {
        libc::close(read_end);
        libc::close(write_end);
    }
    let cdp = Cdp {
        to: unsafe { std::fs::File::from_raw_fd(to_browser[1]) },
        from: std::io::BufReader::new(unsafe { std::fs::File::from_raw_fd(from_browser[0]) }),
        next: 0,
        session: None,
    };
    (child, cdp)
}

/// Start `aicost serve` on `file`; the process and its address.
fn serve(file: &Path) -> (Killed, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_aicost"))
        .args(["serve", file.to_str().unwrap(), "--port", "0"])
        .args(["--trials", TRIALS, "--seed", SEED, "-q"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut out = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    out.read_line(&mut line).unwrap();
    assert!(line.starts_with("http://127.0.0.1:"), "{line}");
    (Killed(child), line.trim().to_string())
}

/// Standard base64, as the protocol sends a screenshot.
fn base64(text: &str) -> Vec<u8> {
    let value = |c: u8| match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'+' => 62,
        _ => 63,
    };
    let clean: Vec<u8> = text.bytes().filter(|c| *c != b'=').collect();
    let mut out = Vec::with_capacity(clean.len() * 3 / 4);
    for chunk in clean.chunks(4) {
        let mut n = 0u32;
        for (i, c) in chunk.iter().enumerate() {
            n |= u32::from(value(*c)) << (18 - 6 * i);
        }
        let bytes = n.to_be_bytes();
        out.extend_from_slice(&bytes[1..chunk.len()]);
    }
    out
}

#[test]
fn serve_drives_in_a_browser() {
    let Some(chromium) = common::chromium_or_skip("the browser test of serve") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let file = common::copy_scenario(
        dir.path(),
        "support-summarizer.toml",
        "support-summarizer.toml",
    );
    let (_server, url) = serve(&file);
    let (_browser, mut cdp) = browser(&chromium, &dir.path().join("profile"));

    let target = cdp.call("Target.createTarget", serde_json::json!({"url": url}));
    let attached = cdp.call(
        "Target.attachToTarget",
        serde_json::json!({"targetId": target["targetId"], "flatten": true}),
    );
    cdp.session = Some(attached["sessionId"].as_str().unwrap().to_string());
    // The page loads, with the brief, and answers its first (empty) what-if.
    cdp.wait_for("document.readyState === 'complete' && document.body.dataset.whatif === '1'");
    assert_eq!(
        cdp.eval("document.querySelectorAll('#brief svg').length >= 4"),
        true
    );

    // Move the users of the segment as a person drags the slider.
    let moved = cdp.eval(
        "(() => { const i = document.querySelector('input[data-id=\"segment[agents].users\"]'); \
         i.value = '520'; i.dispatchEvent(new Event('input', { bubbles: true })); return i.value; })()",
    );
    assert_eq!(moved, "520");
    cdp.wait_for("Number(document.body.dataset.whatif) >= 2");
    let sets: Vec<String> = cdp
        .eval("document.getElementById('sets').textContent")
        .as_str()
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect();
    assert_eq!(sets, vec!["segment[agents].users=520".to_string()]);
    let rows = cdp.eval(
        "[...document.querySelectorAll('#whatif-table tr[data-stack]')].map((r) => [r.dataset.stack, r.dataset.breach, r.cells[3].textContent])",
    );
    let cli = common::simulate_json(&file, &sets, TRIALS, SEED);
    let rows = rows.as_array().unwrap();
    assert_eq!(rows.len(), 2);
    for row in rows {
        let name = row[0].as_str().unwrap();
        let page: f64 = row[1].as_str().unwrap().parse().unwrap();
        let c = cli["stacks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["name"] == name)
            .unwrap();
        assert_eq!(Some(page), c["breach_probability"].as_f64(), "{name}");
        // What a person reads: the same probability, as a percentage.
        let shown = row[2].as_str().unwrap();
        let expected = aicost::base::format::percent(page);
        assert!(shown.starts_with(&expected), "{shown} shows {expected}");
    }

    cdp.wait_for("document.getElementById('status').textContent === 'up to date'");
    if let Some(path) = std::env::var_os("AICOST_SERVE_SCREENSHOT") {
        let shot = cdp.call(
            "Page.captureScreenshot",
            serde_json::json!({"format": "png"}),
        );
        let png = base64(shot["data"].as_str().unwrap());
        assert!(png.starts_with(b"\x89PNG"));
        std::fs::write(path, png).unwrap();
    }

    // Edit the scenario on disk: the page re-renders by itself.
    let text = std::fs::read_to_string(&file).unwrap();
    std::fs::write(
        &file,
        text.replace("monthly_usd = 600", "monthly_usd = 1200"),
    )
    .unwrap();
    cdp.wait_for("Number(document.body.dataset.version) >= 2 && document.getElementById('brief').textContent.includes('$1,200')");

    // Save the what-if from the page; the file validates.
    cdp.eval(
        "(() => { document.getElementById('save-name').value = 'browser-what-if.toml'; \
         document.getElementById('save').requestSubmit(); return true; })()",
    );
    cdp.wait_for("document.getElementById('save-result').dataset.ok === 'true'");
    let saved = dir.path().join("browser-what-if.toml");
    let out = Command::new(env!("CARGO_BIN_EXE_aicost"))
        .args(["validate", saved.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let saved_text = std::fs::read_to_string(&saved).unwrap();
    assert!(saved_text.contains("users = 520"), "{saved_text}");
}
