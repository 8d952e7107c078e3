//! `aicost serve`: a local web server with a live what-if page for one scenario.
//!
//! The server answers five routes and nothing else: `GET /` (the page), `GET /version` (a counter
//! the page polls, cheap enough for every half second), `GET /state` (the brief, controls and
//! errors of the current version), `POST /whatif` and `POST /save`. It never serves a file: a
//! request for any other path, `/../etc/passwd` included, is a 404.
//!
//! Safe by default: it listens on the loopback address unless told otherwise; every request
//! must name this server in its `Host` header (so a web page cannot reach it by a DNS name that
//! points at 127.0.0.1), and a request that changes something needs the per-run token embedded
//! in the page and an `Origin` of this server (so another site's page cannot post to it). A
//! what-if that a newer one overtakes is cancelled through the engine's cancellation flag and
//! answered as stale.

pub mod controls;
pub mod page;
pub mod save;
pub mod state;
pub mod watch;

use std::io::Read as _;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use serde::Deserialize;

use crate::base::error::{Error, UsageKind};
use state::{Settings, Snapshot, WhatIf};

/// The largest request body read: a what-if of every control is a few kilobytes.
const MAX_BODY: u64 = 64 * 1024;

/// The state the request handlers share.
struct Shared {
    settings: Settings,
    token: String,
    /// `Host` header values that name this server.
    hosts: Vec<String>,
    snapshot: Mutex<Arc<Snapshot>>,
    /// The latest what-if's generation and the cancellation flag of the run in flight.
    runs: Mutex<(u64, Arc<AtomicBool>)>,
    /// What-ifs that started a run (`GET /version` shows it).
    started: std::sync::atomic::AtomicU64,
    /// One reload at a time.
    reloading: Mutex<()>,
}

/// A running server; requests are answered by [`Server::serve`].
pub struct Server {
    http: Arc<tiny_http::Server>,
    shared: Arc<Shared>,
    addr: SocketAddr,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Server {
    /// Load the scenario, run its base forecast and listen on `host:port` (port 0: any free
    /// port). A scenario that does not validate still starts a server: the page shows why.
    pub fn start(settings: Settings, host: &str, port: u16) -> Result<Server, Error> {
        let server = Server::listen(settings, host, port, &[])?;
        server.load(&|_| {});
        Ok(server)
    }

    /// Listen on `host:port` (port 0: any free port) without loading the scenario yet, so that
    /// the address can be printed before the first forecast and the ranking of the drivers:
    /// requests wait until [`Server::serve`] answers them. Requests must name the server in
    /// their `Host`: its bound address, a loopback name (`localhost`, `127.0.0.1`, `[::1]`), or
    /// one of `allowed_hosts` (`--allow-host`, a name with or without its port).
    pub fn listen(
        settings: Settings,
        host: &str,
        port: u16,
        allowed_hosts: &[String],
    ) -> Result<Server, Error> {
        let http = tiny_http::Server::http((host, port)).map_err(|e| {
            Error::from(UsageKind::CannotListen {
                host: host.to_string(),
                port,
                error: e.to_string(),
            })
        })?;
        let addr = http.server_addr().to_ip().ok_or_else(|| {
            Error::from(UsageKind::NotAnIpAddress {
                host: host.to_string(),
                port,
            })
        })?;
        let port = addr.port();
        let mut hosts = vec![format!("{host}:{port}"), addr.to_string()];
        for name in ["localhost", "127.0.0.1", "[::1]"] {
            hosts.push(format!("{name}:{port}"));
        }
        for name in allowed_hosts {
            // A name given with its port is taken as it is; else it is the name at this port.
            let with_port = name
                .rsplit_once(':')
                .is_some_and(|(_, p)| p.parse::<u16>().is_ok())
                && (!name.contains('[') || name.contains("]:"));
            hosts.push(if with_port {
                name.clone()
            } else {
                format!("{name}:{port}")
            });
        }
        let token = format!("{:032x}", rand::random::<u128>());
        let loading = Snapshot {
            version: 0,
            inputs: Vec::new(),
            outcome: Err("the scenario is still loading".to_string()),
        };
        Ok(Server {
            http: Arc::new(http),
            shared: Arc::new(Shared {
                settings,
                token,
                hosts,
                snapshot: Mutex::new(Arc::new(loading)),
                runs: Mutex::new((0, Arc::new(AtomicBool::new(false)))),
                started: std::sync::atomic::AtomicU64::new(0),
                reloading: Mutex::new(()),
            }),
            addr,
        })
    }

    /// Load the scenario and run its base forecast (version 1), telling `progress` what it is
    /// doing: the forecast and the ranking of the top drivers take a while on a large scenario.
    pub fn load(&self, progress: &dyn Fn(state::Progress)) {
        let snap = state::snapshot_with_progress(&self.shared.settings, 1, None, progress);
        *lock(&self.shared.snapshot) = Arc::new(snap);
    }

    pub fn address(&self) -> SocketAddr {
        self.addr
    }

    /// The address to open in a browser.
    pub fn url(&self) -> String {
        format!("http://{}/", self.addr)
    }

    /// The per-run token the page carries (for tests that post like the page does).
    pub fn token(&self) -> &str {
        &self.shared.token
    }

    /// The current version's errors, if it does not validate (printed at start).
    pub fn errors(&self) -> Option<String> {
        lock(&self.shared.snapshot).outcome.as_ref().err().cloned()
    }

    /// Re-read the scenario from disk and re-run its base forecast; the page sees a new version.
    pub fn reload(&self) {
        reload(&self.shared);
    }

    /// The files the current version was read from.
    pub fn inputs(&self) -> Vec<std::path::PathBuf> {
        lock(&self.shared.snapshot).inputs.clone()
    }

    /// Watch the scenario's files and reload on every change, until `stop`.
    pub fn watch(&self, stop: Arc<AtomicBool>) -> Result<(), Error> {
        let shared = Arc::clone(&self.shared);
        let inputs = {
            let shared = Arc::clone(&self.shared);
            move || lock(&shared.snapshot).inputs.clone()
        };
        watch::spawn(inputs, move || reload(&shared), stop)
    }

    /// Answer requests until `stop` becomes true, each on a thread of its own so that a newer
    /// what-if can cancel the one in flight.
    pub fn serve(&self, stop: &AtomicBool) {
        while !stop.load(Ordering::SeqCst) {
            match self.http.recv_timeout(Duration::from_millis(100)) {
                Ok(Some(request)) => {
                    let shared = Arc::clone(&self.shared);
                    std::thread::spawn(move || handle(&shared, request));
                }
                Ok(None) => {}
                Err(_) => std::thread::sleep(Duration::from_millis(50)),
            }
        }
        lock(&self.shared.runs).1.store(true, Ordering::SeqCst);
        self.http.unblock();
    }
}

fn reload(shared: &Shared) {
    let _one = lock(&shared.reloading);
    let (version, drivers) = {
        let old = lock(&shared.snapshot);
        let drivers = old.outcome.as_ref().ok().map(|b| b.drivers.clone());
        (old.version + 1, drivers)
    };
    // The top drivers are ranked once (a sensitivity run per uncertain input) and kept while
    // the file is edited, so that a save re-renders in the time of one forecast.
    let snap = state::snapshot(&shared.settings, version, drivers.as_deref());
    *lock(&shared.snapshot) = Arc::new(snap);
}

/// An answer: status, content type, body.
struct Answer(u16, &'static str, String);

fn json(status: u16, value: serde_json::Value) -> Answer {
    Answer(status, "application/json", value.to_string())
}

fn refuse(status: u16, why: &str) -> Answer {
    json(status, serde_json::json!({ "error": why }))
}

fn header<'a>(request: &'a tiny_http::Request, name: &str) -> Option<&'a str> {
    request
        .headers()
        .iter()
        .find(|h| h.field.as_str().as_str().eq_ignore_ascii_case(name))
        .map(|h| h.value.as_str())
}

fn handle(shared: &Shared, mut request: tiny_http::Request) {
    let answer = route(shared, &mut request);
    let Answer(status, kind, body) = answer;
    let mut response = tiny_http::Response::from_string(body).with_status_code(status);
    for (k, v) in [
        ("Content-Type", kind),
        ("Cache-Control", "no-store"),
        ("X-Content-Type-Options", "nosniff"),
        ("X-Frame-Options", "DENY"),
        ("Referrer-Policy", "no-referrer"),
        (
            "Content-Security-Policy",
            "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:; connect-src 'self'; form-action 'none'; base-uri 'none'; frame-ancestors 'none'",
        ),
    ] {
        if let Ok(h) = tiny_http::Header::from_bytes(k.as_bytes(), v.as_bytes()) {
            response.add_header(h);
        }
    }
    let _ = request.respond(response);
}

fn route(shared: &Shared, request: &mut tiny_http::Request) -> Answer {
    // A Host that is not this server: a page of another site reaching 127.0.0.1 through a name
    // of its own (DNS rebinding).
    match header(request, "Host") {
        Some(h) if names_this_server(shared, h) => {}
        _ => return refuse(403, "this server answers only requests addressed to it"),
    }
    let url = request.url().to_string();
    let path = url.split(['?', '#']).next().unwrap_or("");
    let method = request.method().clone();
    let snap = Arc::clone(&lock(&shared.snapshot));
    match (&method, path) {
        (tiny_http::Method::Get, "/") => Answer(
            200,
            "text/html; charset=utf-8",
            page::page(
                &snap,
                &shared.token,
                &shared
                    .settings
                    .file
                    .file_name()
                    .map_or_else(String::new, |n| n.to_string_lossy().into_owned()),
            ),
        ),
        (tiny_http::Method::Get, "/version") => json(
            200,
            serde_json::json!({
                "version": snap.version,
                "what_ifs_started": shared.started.load(Ordering::SeqCst),
            }),
        ),
        (tiny_http::Method::Get, "/state") => json(200, state_json(&snap)),
        (tiny_http::Method::Post, "/whatif" | "/save") => {
            if let Err(why) = check_change(shared, request) {
                return refuse(403, why);
            }
            let body = match read_body(request) {
                Ok(b) => b,
                Err((status, why)) => return refuse(status, &why),
            };
            if path == "/whatif" {
                what_if(shared, &snap, &body)
            } else {
                save(shared, &snap, &body)
            }
        }
        (_, "/" | "/version" | "/state" | "/whatif" | "/save") => refuse(405, "method not allowed"),
        _ => refuse(
            404,
            "not found: this server serves its page and nothing else",
        ),
    }
}

/// Whether `host` (a `Host` header, or the host of an `Origin`) names this server: its bound
/// address, a loopback name, or a name allowed by `--allow-host`. Nothing else does, not even
/// another IP address of the machine when it listens on every address: a page of another site
/// cannot reach the server through a name of its own that points at it (DNS rebinding).
fn names_this_server(shared: &Shared, host: &str) -> bool {
    shared.hosts.iter().any(|ok| ok.eq_ignore_ascii_case(host))
}

/// A change must carry the page's token and come from the page's origin.
fn check_change(shared: &Shared, request: &tiny_http::Request) -> Result<(), &'static str> {
    match header(request, "X-Aicost-Token") {
        Some(t) if t.as_bytes() == shared.token.as_bytes() => {}
        _ => return Err("missing or wrong token: reload the page"),
    }
    let origin = header(request, "Origin").ok_or("a change needs an Origin header")?;
    let host = origin
        .strip_prefix("http://")
        .ok_or("the Origin is not this server")?;
    if names_this_server(shared, host) {
        Ok(())
    } else {
        Err("the Origin is not this server")
    }
}

fn read_body(request: &mut tiny_http::Request) -> Result<Vec<u8>, (u16, String)> {
    // A declared length over the limit is refused before a byte is read: waiting for a body
    // that large would hold the server for as long as the client cares to send it.
    let too_large = || (413, format!("the request is larger than {MAX_BODY} bytes"));
    if request.body_length().is_some_and(|n| n as u64 > MAX_BODY) {
        return Err(too_large());
    }
    let mut body = Vec::new();
    request
        .as_reader()
        .take(MAX_BODY + 1)
        .read_to_end(&mut body)
        .map_err(|e| (400, format!("cannot read the request: {e}")))?;
    if body.len() as u64 > MAX_BODY {
        return Err(too_large());
    }
    Ok(body)
}

fn state_json(snap: &Snapshot) -> serde_json::Value {
    match &snap.outcome {
        Ok(b) => serde_json::json!({
            "version": snap.version,
            "ok": true,
            "brief": b.brief_html,
            "errors": "",
            "controls": page::controls_html(&b.controls),
            "control_list": b.controls,
            "run": page::run_text(b.trials, b.seed),
            "trials": b.trials,
            "seed": b.seed,
        }),
        Err(e) => serde_json::json!({
            "version": snap.version,
            "ok": false,
            "brief": "",
            "errors": page::errors_html(e),
            "error_text": e,
            "controls": "",
            "control_list": [],
            "run": "",
        }),
    }
}

#[derive(Deserialize)]
struct Value {
    id: String,
    value: f64,
}

#[derive(Deserialize)]
struct WhatIfRequest {
    #[serde(default)]
    generation: u64,
    #[serde(default)]
    values: Vec<Value>,
}

#[derive(Deserialize)]
struct SaveRequest {
    name: String,
    #[serde(default)]
    values: Vec<Value>,
}

fn pairs(values: Vec<Value>) -> Vec<(String, f64)> {
    values.into_iter().map(|v| (v.id, v.value)).collect()
}

fn what_if(shared: &Shared, snap: &Snapshot, body: &[u8]) -> Answer {
    let req: WhatIfRequest = match serde_json::from_slice(body) {
        Ok(r) => r,
        Err(e) => return refuse(400, &format!("not a what-if: {e}")),
    };
    let Ok(base) = &snap.outcome else {
        return refuse(422, "the scenario does not validate; fix it first");
    };
    let sets = match controls::sets_of(&base.controls, &pairs(req.values)) {
        Ok(s) => s,
        Err(why) => return refuse(422, &why),
    };
    // A newer what-if cancels the one in flight.
    let (run, cancel) = {
        let mut runs = lock(&shared.runs);
        runs.1.store(true, Ordering::SeqCst);
        runs.0 += 1;
        runs.1 = Arc::new(AtomicBool::new(false));
        (runs.0, Arc::clone(&runs.1))
    };
    shared.started.fetch_add(1, Ordering::SeqCst);
    let stale = serde_json::json!({ "stale": true, "generation": req.generation });
    match state::what_if(&shared.settings, base, sets, cancel) {
        Ok(WhatIf::Cancelled) => json(200, stale),
        Ok(WhatIf::Done { .. }) if lock(&shared.runs).0 != run => json(200, stale),
        Ok(WhatIf::Done {
            sets,
            stacks,
            partial,
        }) => json(
            200,
            serde_json::json!({
                "generation": req.generation,
                "stale": false,
                "version": snap.version,
                "sets": sets,
                "command": command_line(&shared.settings, base, &sets),
                "stacks": stacks,
                "partial": partial,
                "html": page::what_if_html(&stacks),
            }),
        ),
        Err(e) => json(
            422,
            serde_json::json!({
                "generation": req.generation,
                "error": state::error_text(&e),
                "sets": Vec::<String>::new(),
            }),
        ),
    }
}

fn save(shared: &Shared, snap: &Snapshot, body: &[u8]) -> Answer {
    let req: SaveRequest = match serde_json::from_slice(body) {
        Ok(r) => r,
        Err(e) => return refuse(400, &format!("not a save: {e}")),
    };
    let Ok(base) = &snap.outcome else {
        return refuse(422, "the scenario does not validate; fix it first");
    };
    let sets = match controls::sets_of(&base.controls, &pairs(req.values)) {
        Ok(s) => s,
        Err(why) => return refuse(422, &why),
    };
    match state::save(&shared.settings, &req.name, &sets) {
        Ok(saved) => json(
            200,
            serde_json::json!({
                "path": saved.path.display().to_string(),
                "summary": saved.summary,
            }),
        ),
        Err(why) => refuse(422, &why),
    }
}

/// `aicost simulate FILE --trials N --seed S --set …`: the run a what-if is, on the command line.
fn command_line(settings: &Settings, base: &state::Base, sets: &[String]) -> String {
    let mut parts = vec![
        "aicost simulate".to_string(),
        shell_word(&settings.file.display().to_string()),
        format!("--trials {}", base.trials),
        format!("--seed {}", base.seed),
    ];
    for s in settings.overrides.iter().chain(sets) {
        parts.push(format!("--set {}", shell_word(s)));
    }
    parts.push("--format json".to_string());
    parts.join(" ")
}

/// A word for a POSIX shell: as it is when plain, else single-quoted.
fn shell_word(s: &str) -> String {
    if !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./=:+,@%".contains(c))
    {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', "'\\''"))
    }
}
