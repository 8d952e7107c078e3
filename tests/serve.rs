//! `aicost serve` over HTTP: a server on a free port of the loopback address, spoken to with a
//! plain `TcpStream`. Its routes and nothing else; a change only with the page's token and from
//! its origin; a what-if whose figures are those of `aicost simulate --set … --format json` on
//! the same trials and seed; a save that extends the base, validates, and never replaces an
//! input; live reload of the file, with errors located as on the terminal.

use std::io::{Read as _, Write as _};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

mod common;

use aicost::app::serve::Server;
use aicost::app::serve::state;
use assert_cmd::Command;

/// Trials and seed of every test server: small, fixed.
const TRIALS: u64 = 400;
const SEED: u64 = 7;
/// A safety net for waits on the file watcher, not a timing assertion.
const GIVE_UP: Duration = Duration::from_secs(30);

struct Running {
    server: Arc<Server>,
    stop: Arc<AtomicBool>,
    dir: tempfile::TempDir,
    file: PathBuf,
}

impl Drop for Running {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
    }
}

impl Running {
    fn addr(&self) -> SocketAddr {
        self.server.address()
    }
}

/// A copy of a shipped scenario in a folder of its own, served on a free port.
fn start(scenario: &str) -> Running {
    let dir = tempfile::tempdir().unwrap();
    let file = common::copy_scenario(dir.path(), scenario, "s.toml");
    start_at(dir, file)
}

fn start_at(dir: tempfile::TempDir, file: PathBuf) -> Running {
    start_with(dir, file, TRIALS)
}

fn start_with(dir: tempfile::TempDir, file: PathBuf, trials: u64) -> Running {
    let settings = common::serve_settings(file.clone(), trials, SEED, 2);
    let server = Arc::new(Server::start(settings, "127.0.0.1", 0).unwrap());
    let stop = Arc::new(AtomicBool::new(false));
    server.watch(Arc::clone(&stop)).unwrap();
    {
        let (server, stop) = (Arc::clone(&server), Arc::clone(&stop));
        std::thread::spawn(move || server.serve(&stop));
    }
    Running {
        server,
        stop,
        dir,
        file,
    }
}

/// One HTTP/1.0 request (so that the answer is not chunked); the status and the body of the answer.
fn request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> (u16, String) {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(GIVE_UP)).unwrap();
    let mut text = format!(
        "{method} {path} HTTP/1.0\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        text.push_str(&format!("{k}: {v}\r\n"));
    }
    text.push_str("\r\n");
    text.push_str(body);
    s.write_all(text.as_bytes()).unwrap();
    let mut answer = Vec::new();
    s.read_to_end(&mut answer).unwrap();
    let answer = String::from_utf8_lossy(&answer).into_owned();
    let status = status_of(&answer);
    let body = answer
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    (status, body)
}

fn get(r: &Running, path: &str) -> (u16, String) {
    let host = r.addr().to_string();
    request(r.addr(), "GET", path, &[("Host", &host)], "")
}

/// A POST as the page makes it: token, Origin and Host of the server.
fn post(r: &Running, path: &str, body: &serde_json::Value) -> (u16, serde_json::Value) {
    let host = r.addr().to_string();
    let origin = format!("http://{host}");
    let (status, text) = request(
        r.addr(),
        "POST",
        path,
        &[
            ("Host", &host),
            ("Origin", &origin),
            ("X-Aicost-Token", r.server.token()),
            ("Content-Type", "application/json"),
        ],
        &body.to_string(),
    );
    (
        status,
        serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON: {text}")),
    )
}

fn state_of(r: &Running) -> serde_json::Value {
    let (status, body) = get(r, "/state");
    assert_eq!(status, 200, "{body}");
    serde_json::from_str(&body).unwrap()
}

#[test]
fn the_page_is_the_brief_with_a_token_and_no_outside_resources() {
    let r = start("support-summarizer.toml");
    let (status, page) = get(&r, "/");
    assert_eq!(status, 200);
    assert!(page.contains(&format!(
        "<meta name=\"aicost-token\" content=\"{}\">",
        r.server.token()
    )));
    // The brief of `--format html`, charts included.
    let html = Command::cargo_bin("aicost")
        .unwrap()
        .args(["simulate", r.file.to_str().unwrap(), "--format", "html"])
        .args(["--trials", &TRIALS.to_string(), "--seed", &SEED.to_string()])
        .output()
        .unwrap();
    let html = String::from_utf8(html.stdout).unwrap();
    let body = html
        .split_once("<main>\n")
        .and_then(|(_, rest)| rest.split_once("</main>"))
        .unwrap()
        .0;
    assert!(page.contains(body), "the page holds the brief as rendered");
    assert!(page.matches("<svg").count() >= 4);
    for external in ["<link", "src=\"http", "@import", "url(http"] {
        assert!(!page.contains(external), "{external}");
    }
    // Controls for the traffic and the prices of the scenario.
    assert!(page.contains("data-id=\"segment[agents].users\""), "{page}");
    assert!(page.contains("data-id=\"price[openai]\""));
}

#[test]
fn only_its_own_routes_are_served() {
    let r = start("support-summarizer.toml");
    for path in [
        "/s.toml",
        "/../s.toml",
        "/%2e%2e/%2e%2e/etc/passwd",
        "/..%2fs.toml",
        "//etc/passwd",
        "/static/../../s.toml",
        "/favicon.ico",
    ] {
        let (status, body) = get(&r, path);
        assert_eq!(status, 404, "{path}: {body}");
        assert!(!body.contains("support-summarizer"), "{path}");
    }
    let host = r.addr().to_string();
    // A request addressed to another name (DNS rebinding) is refused, whatever the path.
    let (status, _) = request(r.addr(), "GET", "/", &[("Host", "evil.example:80")], "");
    assert_eq!(status, 403);
    let (status, _) = request(r.addr(), "GET", "/state", &[], "");
    assert_eq!(status, 403, "no Host at all");
    let (status, _) = request(r.addr(), "DELETE", "/", &[("Host", &host)], "");
    assert_eq!(status, 405);
    let (status, _) = request(r.addr(), "GET", "/whatif", &[("Host", &host)], "");
    assert_eq!(status, 405);
}

/// The status of a request that declares a body of `declared` bytes and sends one.
fn declare_a_body(r: &Running, method: &str, path: &str, declared: u64, auth: bool) -> u16 {
    let host = r.addr().to_string();
    let mut s = TcpStream::connect(r.addr()).unwrap();
    s.set_read_timeout(Some(GIVE_UP)).unwrap();
    let mut text =
        format!("{method} {path} HTTP/1.0\r\nHost: {host}\r\nContent-Length: {declared}\r\n");
    if auth {
        text.push_str(&format!(
            "Origin: http://{host}\r\nX-Aicost-Token: {}\r\n",
            r.server.token()
        ));
    }
    text.push_str("\r\n{");
    s.write_all(text.as_bytes()).unwrap();
    let mut answer = Vec::new();
    let _ = s.read_to_end(&mut answer);
    status_of(&String::from_utf8_lossy(&answer))
}

/// The status code of an HTTP answer's first line.
fn status_of(answer: &str) -> u16 {
    answer
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or_else(|| panic!("not an HTTP answer: {answer}"))
}

#[test]
fn a_request_declaring_a_huge_body_is_refused_and_the_server_lives_on() {
    let r = start("support-summarizer.toml");
    // The HTTP library once sized a buffer from the declared length when it dropped an unread
    // body: 100 GB declared aborted the process, whatever the route and without a token.
    for (method, path, auth, status) in [
        ("GET", "/nothing", false, 404),
        ("POST", "/whatif", false, 403),
        ("POST", "/whatif", true, 413),
        ("POST", "/save", true, 413),
    ] {
        assert_eq!(
            declare_a_body(&r, method, path, 99_999_999_999, auth),
            status,
            "{method} {path}"
        );
        let (ok, _) = get(&r, "/version");
        assert_eq!(ok, 200, "the server answers after {method} {path}");
    }
}

#[test]
fn a_change_needs_the_token_and_the_origin() {
    let r = start("support-summarizer.toml");
    let host = r.addr().to_string();
    let origin = format!("http://{host}");
    let body = serde_json::json!({"generation": 1, "values": []}).to_string();
    let token = r.server.token().to_string();
    let cases: [(&str, Vec<(&str, &str)>); 5] = [
        ("no token", vec![("Host", &host), ("Origin", &origin)]),
        (
            "a wrong token",
            vec![
                ("Host", &host),
                ("Origin", &origin),
                ("X-Aicost-Token", "0123456789abcdef0123456789abcdef"),
            ],
        ),
        (
            "no Origin",
            vec![("Host", &host), ("X-Aicost-Token", &token)],
        ),
        (
            "another site's Origin",
            vec![
                ("Host", &host),
                ("Origin", "http://evil.example"),
                ("X-Aicost-Token", &token),
            ],
        ),
        (
            "an https Origin of another port",
            vec![
                ("Host", &host),
                ("Origin", "https://127.0.0.1:1"),
                ("X-Aicost-Token", &token),
            ],
        ),
    ];
    for (what, headers) in cases {
        for path in ["/whatif", "/save"] {
            let (status, text) = request(r.addr(), "POST", path, &headers, &body);
            assert_eq!(status, 403, "{what} on {path}: {text}");
        }
    }
    let (status, _) = post(
        &r,
        "/whatif",
        &serde_json::json!({"generation": 1, "values": []}),
    );
    assert_eq!(status, 200);
    // Nothing was saved by the refused requests.
    let files: Vec<_> = std::fs::read_dir(r.dir.path()).unwrap().collect();
    assert_eq!(files.len(), 1);
}

/// The figures of `aicost simulate FILE --set … --trials N --seed S --format json`.
fn simulate_json(file: &Path, sets: &[String]) -> serde_json::Value {
    common::simulate_json(file, sets, &TRIALS.to_string(), &SEED.to_string())
}

fn assert_same_figures(answer: &serde_json::Value, cli: &serde_json::Value) {
    let stacks = answer["stacks"].as_array().unwrap();
    assert!(!stacks.is_empty());
    for st in stacks {
        let name = st["name"].as_str().unwrap();
        let c = cli["stacks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["name"] == name)
            .unwrap();
        assert_eq!(st["mean_usd"], c["monthly_spend_usd"]["mean"], "{name}");
        assert_eq!(st["p95_usd"], c["monthly_spend_usd"]["p95"], "{name}");
        assert_eq!(st["breach_probability"], c["breach_probability"], "{name}");
    }
}

#[test]
fn a_what_if_is_the_simulate_run_of_its_set_lines() {
    let r = start("support-summarizer.toml");
    let (status, a) = post(
        &r,
        "/whatif",
        &serde_json::json!({"generation": 3, "values": [
            {"id": "segment[agents].users", "value": 520},
            {"id": "price[openai]", "value": 1.25}
        ]}),
    );
    assert_eq!(status, 200, "{a}");
    assert_eq!(a["generation"], 3);
    let sets: Vec<String> = serde_json::from_value(a["sets"].clone()).unwrap();
    assert_eq!(sets[0], "segment[agents].users=520");
    // Every price of openai's models times 1.25: one line, applied by the billing itself.
    assert_eq!(sets[1..], ["price_multiplier.openai=1.25".to_string()]);
    assert_same_figures(&a, &simulate_json(&r.file, &sets));
    let command = a["command"].as_str().unwrap();
    assert!(
        command.contains("--set 'segment[agents].users=520'"),
        "{command}"
    );
    assert!(command.contains(&format!("--trials {TRIALS} --seed {SEED}")));
    // Common random numbers: the base figures are the run without the lines, and more users at
    // higher prices cost more in every stack.
    let base = simulate_json(&r.file, &[]);
    for st in a["stacks"].as_array().unwrap() {
        let b = base["stacks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|b| b["name"] == st["name"])
            .unwrap();
        assert_eq!(st["base_mean_usd"], b["monthly_spend_usd"]["mean"]);
        assert_eq!(st["base_breach_probability"], b["breach_probability"]);
        assert!(st["mean_usd"].as_f64() > st["base_mean_usd"].as_f64());
    }
    // An untouched page is the base itself.
    let (_, none) = post(&r, "/whatif", &serde_json::json!({"values": []}));
    assert_eq!(none["sets"], serde_json::json!([]));
    assert_same_figures(&none, &base);
    // An unknown control is refused, not ignored.
    let (status, bad) = post(
        &r,
        "/whatif",
        &serde_json::json!({"values": [{"id": "simulation.trials", "value": 1}]}),
    );
    assert_eq!(status, 422, "{bad}");
}

#[test]
fn a_what_if_overtaken_by_a_newer_one_is_cancelled() {
    let dir = tempfile::tempdir().unwrap();
    let file = common::copy_scenario(dir.path(), "support-summarizer.toml", "s.toml");
    let settings = common::serve_settings(file, TRIALS, SEED, 1);
    let snap = state::snapshot(&settings, 1, None);
    let base = snap.outcome.as_ref().unwrap();
    // The flag a newer what-if sets: the engine stops and the result is dropped as stale.
    let cancelled = Arc::new(AtomicBool::new(true));
    let out = state::what_if(&settings, base, vec![], cancelled).unwrap();
    assert!(matches!(out, state::WhatIf::Cancelled), "{out:?}");
    let out = state::what_if(&settings, base, vec![], Arc::new(AtomicBool::new(false))).unwrap();
    assert!(
        matches!(out, state::WhatIf::Done { partial: false, .. }),
        "{out:?}"
    );
}

/// Trials of the server whose what-ifs are slow enough to be overtaken: about a second of one
/// core for each run, which a newer what-if cuts short.
const SLOW_TRIALS: u64 = 20_000;

#[test]
fn over_http_a_slow_what_if_is_answered_stale_once_a_newer_one_arrives() {
    let dir = tempfile::tempdir().unwrap();
    let file = common::copy_scenario(dir.path(), "support-summarizer.toml", "s.toml");
    let r = start_with(dir, file, SLOW_TRIALS);
    let started = || -> u64 {
        let (status, body) = get(&r, "/version");
        assert_eq!(status, 200, "{body}");
        let v: serde_json::Value = serde_json::from_str(&body).unwrap();
        v["what_ifs_started"].as_u64().unwrap()
    };
    assert_eq!(started(), 0);
    let (addr, token) = (r.addr(), r.server.token().to_string());
    let slow = std::thread::spawn(move || {
        let host = addr.to_string();
        let origin = format!("http://{host}");
        let body = serde_json::json!({
            "generation": 1,
            "values": [{"id": "segment[agents].users", "value": 600}],
        });
        request(
            addr,
            "POST",
            "/whatif",
            &[
                ("Host", &host),
                ("Origin", &origin),
                ("X-Aicost-Token", &token),
                ("Content-Type", "application/json"),
            ],
            &body.to_string(),
        )
    });
    // Once the server has started the slow run, a newer change arrives.
    let start = Instant::now();
    while started() < 1 {
        assert!(start.elapsed() < GIVE_UP, "the first what-if never started");
        std::thread::sleep(Duration::from_millis(10));
    }
    let (status, newer) = post(
        &r,
        "/whatif",
        &serde_json::json!({
            "generation": 2,
            "values": [{"id": "segment[agents].users", "value": 500}],
        }),
    );
    let (old_status, older) = slow.join().unwrap();
    let older: serde_json::Value = serde_json::from_str(&older).unwrap();
    assert_eq!(old_status, 200, "{older}");
    assert_eq!(older["stale"], true, "{older}");
    assert_eq!(older["generation"], 1, "{older}");
    assert!(older.get("stacks").is_none(), "{older}");
    assert_eq!(status, 200, "{newer}");
    assert_eq!(newer["stale"], false, "{newer}");
    assert_eq!(newer["generation"], 2, "{newer}");
    assert_eq!(
        newer["sets"],
        serde_json::json!(["segment[agents].users=500"]),
        "{newer}"
    );
    assert_eq!(started(), 2);
}

#[test]
fn save_writes_a_scenario_that_extends_the_base_and_never_an_input() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("s.toml");
    let base = common::copy_scenario(dir.path(), "support-summarizer.toml", "base.toml");
    std::fs::write(&file, "extends = \"base.toml\"\nname = \"layered\"\n").unwrap();
    let r = start_at(dir, file.clone());
    let values = serde_json::json!([{"id": "segment[agents].users", "value": 600}]);
    let before: Vec<(PathBuf, Vec<u8>)> = [&file, &base]
        .iter()
        .map(|p| (p.to_path_buf(), std::fs::read(p).unwrap()))
        .collect();
    for (name, why) in [
        ("s.toml", "refusing to overwrite the input file"),
        ("base.toml", "refusing to overwrite the input file"),
        ("../escape.toml", "not a plain file name"),
        ("/tmp/abs.toml", "not a plain file name"),
        ("sub/x.toml", "not a plain file name"),
        ("w.txt", "does not end in .toml"),
        ("-rf.toml", "begins with `-`"),
        ("CON.toml", "device name on Windows"),
        ("w.toml ", "space or a dot"),
    ] {
        let (status, answer) = post(
            &r,
            "/save",
            &serde_json::json!({"name": name, "values": values}),
        );
        assert_eq!(status, 422, "{name}: {answer}");
        assert!(
            answer["error"].as_str().unwrap().contains(why),
            "{name}: {answer}"
        );
    }
    for (p, bytes) in &before {
        assert_eq!(
            &std::fs::read(p).unwrap(),
            bytes,
            "{} unchanged",
            p.display()
        );
    }
    assert!(!r.dir.path().parent().unwrap().join("escape.toml").exists());

    let (status, saved) = post(
        &r,
        "/save",
        &serde_json::json!({"name": "more-agents.toml", "values": values}),
    );
    assert_eq!(status, 200, "{saved}");
    assert!(saved["summary"].as_str().unwrap().contains("validates"));
    let written = r.dir.path().join("more-agents.toml");
    let text = std::fs::read_to_string(&written).unwrap();
    assert!(text.contains("extends = \"s.toml\""), "{text}");
    assert!(
        text.contains("[[segment]]\nname = \"agents\"\nusers = 600\n"),
        "{text}"
    );
    // The saved file alone is the what-if: the same figures as the page's.
    let (_, w) = post(&r, "/whatif", &serde_json::json!({"values": values}));
    assert_same_figures(&w, &simulate_json(&written, &[]));
    Command::cargo_bin("aicost")
        .unwrap()
        .args(["validate", written.to_str().unwrap()])
        .assert()
        .success();
    // A second save of the same name does not replace the first.
    let (status, again) = post(
        &r,
        "/save",
        &serde_json::json!({"name": "more-agents.toml", "values": []}),
    );
    assert_eq!(status, 422, "{again}");
    assert_eq!(std::fs::read_to_string(&written).unwrap(), text);

    // The page follows the file the scenario extends, too.
    let v = state_of(&r)["version"].as_u64().unwrap();
    let base_text = std::fs::read_to_string(&base).unwrap();
    std::fs::write(
        &base,
        base_text.replace("monthly_usd = 600", "monthly_usd = 1200"),
    )
    .unwrap();
    let after = next_state(&r, v);
    assert!(after["brief"].as_str().unwrap().contains("$1,200"));
}

/// Wait for the page's version to pass `after`; the new state.
fn next_state(r: &Running, after: u64) -> serde_json::Value {
    let start = Instant::now();
    loop {
        let st = state_of(r);
        if st["version"].as_u64().unwrap() > after {
            return st;
        }
        assert!(
            start.elapsed() < GIVE_UP,
            "no reload after the file changed"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn the_page_follows_the_file_and_shows_its_errors_located() {
    let r = start("support-summarizer.toml");
    let first = state_of(&r);
    assert_eq!(first["ok"], true);
    let v1 = first["version"].as_u64().unwrap();
    let text = std::fs::read_to_string(&r.file).unwrap();

    // A budget twice as large: a new version with the new figure.
    let edited = text.replace("monthly_usd = 600", "monthly_usd = 1200");
    assert_ne!(edited, text);
    std::fs::write(&r.file, &edited).unwrap();
    let second = next_state(&r, v1);
    assert_eq!(second["ok"], true);
    assert!(second["brief"].as_str().unwrap().contains("$1,200"));

    // A mistake: the errors as the terminal shows them, escaped for the page.
    let broken = edited.replace(
        "users = { low = 350, high = 450 }",
        "users = \"<b>many</b>\"",
    );
    assert_ne!(broken, edited);
    std::fs::write(&r.file, &broken).unwrap();
    let third = next_state(&r, second["version"].as_u64().unwrap());
    assert_eq!(third["ok"], false);
    let plain = third["error_text"].as_str().unwrap();
    let line = broken
        .lines()
        .position(|l| l.contains("<b>many</b>"))
        .unwrap()
        + 1;
    assert!(plain.contains(&format!("s.toml:{line}:")), "{plain}");
    let shown = third["errors"].as_str().unwrap();
    assert!(shown.contains("&lt;b&gt;many&lt;/b&gt;"), "{shown}");
    assert!(!shown.contains("<b>many"), "{shown}");
    let (status, _) = post(&r, "/whatif", &serde_json::json!({"values": []}));
    assert_eq!(
        status, 422,
        "no what-if of a scenario that does not validate"
    );

    // Fixed again: figures again.
    std::fs::write(&r.file, &text).unwrap();
    let fourth = next_state(&r, third["version"].as_u64().unwrap());
    assert_eq!(fourth["ok"], true);
}

#[test]
fn the_command_prints_its_address_and_stops_on_a_signal() {
    let dir = tempfile::tempdir().unwrap();
    let file = common::copy_scenario(dir.path(), "support-summarizer.toml", "s.toml");
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_aicost"))
        .args([
            "serve",
            file.to_str().unwrap(),
            "--port",
            "0",
            "--trials",
            "200",
        ])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    std::io::BufRead::read_line(&mut stdout, &mut line).unwrap();
    assert!(line.starts_with("http://127.0.0.1:"), "{line}");
    let addr: SocketAddr = line
        .trim()
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .parse()
        .unwrap();
    let (status, _) = request(addr, "GET", "/version", &[("Host", &addr.to_string())], "");
    assert_eq!(status, 200);
    // SIGINT, as Ctrl-C sends it.
    unsafe {
        libc::kill(child.id() as i32, libc::SIGINT);
    }
    let start = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        assert!(start.elapsed() < GIVE_UP, "serve did not stop on SIGINT");
        std::thread::sleep(Duration::from_millis(50));
    };
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    assert!(status.success(), "{status:?}: {err}");
    assert!(err.contains("stopped"), "{err}");
    assert!(!err.contains("warning"), "{err}");
    // The address first, then what the loading does (the ranking of the drivers takes a while
    // on a large scenario), then that it is ready.
    let at = |what: &str| {
        err.find(what)
            .unwrap_or_else(|| panic!("no `{what}` in {err}"))
    };
    assert!(at("serving ") < at("running the forecast"), "{err}");
    assert!(
        at("running the forecast") < at("ranking the top drivers: 0 of"),
        "{err}"
    );
    assert!(
        at("ranking the top drivers: 0 of") < at("ready: open http://"),
        "{err}"
    );
}

#[test]
fn another_host_than_loopback_is_warned_about_and_still_checks_the_host() {
    let dir = tempfile::tempdir().unwrap();
    let file = common::copy_scenario(dir.path(), "support-summarizer.toml", "s.toml");
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_aicost"))
        .args([
            "serve",
            file.to_str().unwrap(),
            "--port",
            "0",
            "--trials",
            "100",
        ])
        .args(["--host", "0.0.0.0"])
        .args([
            "--allow-host",
            "10.9.8.7",
            "--allow-host",
            "lan-box.example",
        ])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    std::io::BufRead::read_line(&mut stdout, &mut line).unwrap();
    let port: u16 = line
        .trim()
        .trim_end_matches('/')
        .rsplit(':')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    // Listening on every address, it answers its bound address, the loopback names and the
    // names of --allow-host, and nothing else: not a DNS name, not another IP address (a name
    // of another site may resolve to either).
    for (host, expected) in [
        (addr.to_string(), 200),
        (format!("localhost:{port}"), 200),
        (format!("0.0.0.0:{port}"), 200),
        (format!("10.9.8.7:{port}"), 200),
        (format!("lan-box.example:{port}"), 200),
        (format!("evil.example:{port}"), 403),
        (format!("10.1.2.3:{port}"), 403),
        (format!("192.168.0.9:{port}"), 403),
        ("10.9.8.7:1".to_string(), 403),
    ] {
        let (status, _) = request(addr, "GET", "/version", &[("Host", &host)], "");
        assert_eq!(status, expected, "Host: {host}");
    }
    unsafe {
        libc::kill(child.id() as i32, libc::SIGINT);
    }
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("warning: listening on 0.0.0.0"), "{err}");
}
