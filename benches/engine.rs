//! Engine benchmarks, printed as ratios measured in one run (`cargo bench --bench engine`).
//!
//! Wall-clock figures on a shared machine are noisy, so each figure is the median of several
//! runs and every target is stated as a ratio of two figures taken minutes apart at most:
//!
//! 1. the fast engine on `scenarios/chatbot.toml` (10,000 trials, 3 stacks): seconds, target ≤ 1;
//! 2. the same scenario with 1,000 times the users: time ratio to (1), target ≤ 1.2;
//! 3. the exact engine's throughput in requests per second on one core, on
//!    `benches/throughput.toml`, and its ratio to `benches/numpy_reference.py` (the same months
//!    vectorised with NumPy; skipped when python3 or numpy is missing): target ≥ 3;
//! 4. thread scaling of both engines at 1, 2, 4, … threads up to the machine's cores: speed-up
//!    over one thread, targets ≥ 1.9 at 2 threads and ≥ 12 at 16; beside them the speed-up of
//!    independent arithmetic loops, which shows how many cores were really free during the run.
//!
//! `AICOST_BENCH_REPS` sets the runs per figure (default 5).

use std::path::Path;
use std::process::Command;
use std::time::Instant;

use aicost::model::Scenario;
use aicost::model::dist::Dist;
use aicost::sim::engine::{self, EngineRequest, SimOptions};

fn load(path: &str) -> Scenario {
    let full = Path::new(env!("CARGO_MANIFEST_DIR")).join(path);
    match aicost::model::scenario::load(&full) {
        Ok(l) => l.scenario,
        Err(e) => panic!("{path} should load: {e}"),
    }
}

fn reps() -> usize {
    std::env::var("AICOST_BENCH_REPS")
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|&n| n > 0)
        .unwrap_or(5)
}

/// Median seconds of `reps` runs of `f`, after one warm-up run.
fn median_seconds(reps: usize, mut f: impl FnMut()) -> f64 {
    f();
    let mut times: Vec<f64> = (0..reps)
        .map(|_| {
            let start = Instant::now();
            f();
            start.elapsed().as_secs_f64()
        })
        .collect();
    times.sort_by(f64::total_cmp);
    times[times.len() / 2]
}

fn options(trials: u64, engine: EngineRequest, threads: Option<usize>) -> SimOptions {
    let mut o = SimOptions::new(trials, 11);
    o.engine = engine;
    o.threads = threads;
    o
}

fn run(s: &Scenario, o: &SimOptions) -> engine::SimResult {
    match engine::simulate(s, o) {
        Ok(r) => r,
        Err(e) => panic!("simulation failed: {e}"),
    }
}

/// Requests simulated in one run (every month, counted once whatever the number of stacks).
fn requests(r: &engine::SimResult) -> f64 {
    r.stacks[0].requests.iter().sum()
}

fn verdict(ok: bool) -> &'static str {
    if ok { "met" } else { "NOT met" }
}

/// Speed-up over one thread at 1, 2, 4, … threads up to the cores of this machine.
fn scaling(name: &str, reps: usize, cores: usize, mut time_at: impl FnMut(usize) -> f64) {
    let one = time_at(1);
    println!("  {name}: 1 thread {one:.3} s");
    let mut t = 2;
    while t <= cores {
        let secs = time_at(t);
        let target = match t {
            _ if name.starts_with("reference") => "",
            2 => " (target ≥ 1.9)",
            16 => " (target ≥ 12)",
            _ => "",
        };
        println!(
            "  {name}: {t} threads {secs:.3} s, speed-up {:.2}×{target}",
            one / secs
        );
        t *= 2;
    }
    let _ = reps;
}

fn main() {
    // `cargo bench` passes `--bench`; a filter argument is not supported and ignored.
    let reps = reps();
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    println!("aicost engine benchmark · {cores} cores · median of {reps} runs per figure\n");

    // 1. The fast engine on the chatbot.
    let chatbot = load("scenarios/chatbot.toml");
    let fast = options(10_000, EngineRequest::Fast, None);
    let t_chatbot = median_seconds(reps, || {
        run(&chatbot, &fast);
    });
    println!(
        "1. fast engine, chatbot.toml, 10,000 trials, {} stacks: {t_chatbot:.3} s (target ≤ 1 s: {})",
        chatbot.stacks.len(),
        verdict(t_chatbot <= 1.0)
    );

    // 2. The same with 1,000 times the traffic.
    let mut big = chatbot.clone();
    for seg in &mut big.segments {
        let users = seg.users.mean() * 1000.0;
        seg.users.dist = Dist::Fixed(users);
    }
    let t_big = median_seconds(reps, || {
        run(&big, &fast);
    });
    let ratio = t_big / t_chatbot;
    println!(
        "2. traffic × 1,000: {t_big:.3} s, ratio {ratio:.2} (target ≤ 1.2: {})",
        verdict(ratio <= 1.2)
    );

    // 3. Exact-engine throughput on one core, against NumPy.
    let throughput = load("benches/throughput.toml");
    let exact_1 = options(20, EngineRequest::Exact, Some(1));
    let n = requests(&run(&throughput, &exact_1));
    let t_exact = median_seconds(reps, || {
        run(&throughput, &exact_1);
    });
    let rust_rate = n / t_exact;
    println!(
        "3. exact engine, throughput.toml, one core: {} requests/s ({n:.0} requests in {t_exact:.3} s, 2 stacks)",
        aicost::base::format::count(rust_rate)
    );
    let r = run(&throughput, &options(400, EngineRequest::Exact, None));
    let means: Vec<(String, f64, f64)> = r
        .stacks
        .iter()
        .map(|st| {
            let m = aicost::base::stats::mean(&st.spend);
            let se = aicost::base::stats::sd(&st.spend) / (st.spend.len() as f64).sqrt();
            (st.name.clone(), m, se)
        })
        .collect();
    match numpy(reps) {
        Some(np) => {
            let rate = np["requests_per_second"].as_f64().unwrap_or(f64::NAN);
            println!(
                "   NumPy {} (vectorised, one core): {} requests/s; ratio {:.2}× (target ≥ 3×: {})",
                np["numpy"].as_str().unwrap_or("?"),
                aicost::base::format::count(rate),
                rust_rate / rate,
                verdict(rust_rate / rate >= 3.0)
            );
            for (name, m, se) in &means {
                let other = &np["stacks"][name.as_str()];
                let (om, ose) = (
                    other["mean"].as_f64().unwrap_or(f64::NAN),
                    other["standard_error"].as_f64().unwrap_or(f64::NAN),
                );
                let z = (m - om) / (se * se + ose * ose).sqrt();
                println!(
                    "   same model? {name}: engine ${m:.3} ± {se:.3}, NumPy ${om:.3} ± {ose:.3} a month ({z:+.1} standard errors)"
                );
            }
        }
        None => println!(
            "   NumPy comparison skipped: `python3 benches/numpy_reference.py` needs python3 with numpy (pip install numpy)"
        ),
    }

    // 4. Thread scaling, beside the scaling of a trivially parallel loop: on a shared machine a
    // busy core caps both, and the ratio of the two is the engine's own share of the shortfall.
    println!("4. thread scaling (speed-up over one thread):");
    scaling(
        "reference: independent arithmetic loops",
        reps,
        cores,
        |t| {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(t)
                .build()
                .expect("thread pool");
            median_seconds(reps, || {
                let sum: f64 = pool.install(|| {
                    use rayon::prelude::*;
                    (0..64u64)
                        .into_par_iter()
                        .map(|i| {
                            let mut x = i as f64;
                            for _ in 0..2_000_000 {
                                x = (x * 1.000_000_1).sqrt() + 1.0;
                            }
                            x
                        })
                        .sum()
                });
                std::hint::black_box(sum);
            })
        },
    );
    let exact_trials = 40;
    scaling("exact, throughput.toml, 40 trials", reps, cores, |t| {
        let o = options(exact_trials, EngineRequest::Exact, Some(t));
        median_seconds(reps, || {
            run(&throughput, &o);
        })
    });
    scaling("fast, chatbot.toml, 10,000 trials", reps, cores, |t| {
        let o = options(10_000, EngineRequest::Fast, Some(t));
        median_seconds(reps, || {
            run(&chatbot, &o);
        })
    });
}

/// Run the NumPy reference, median of `reps` runs by requests per second.
fn numpy(reps: usize) -> Option<serde_json::Value> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/numpy_reference.py");
    let mut runs: Vec<serde_json::Value> = (0..reps)
        .filter_map(|_| {
            let out = Command::new("python3")
                .arg(&script)
                .args(["--trials", "20"])
                .output()
                .ok()?;
            if !out.status.success() {
                return None;
            }
            serde_json::from_slice(&out.stdout).ok()
        })
        .collect();
    if runs.is_empty() {
        return None;
    }
    runs.sort_by(|a, b| {
        let rate = |v: &serde_json::Value| v["requests_per_second"].as_f64().unwrap_or(0.0);
        rate(a).total_cmp(&rate(b))
    });
    let mid = runs.len() / 2;
    Some(runs.swap_remove(mid))
}
