//! `sensitivity --all` on a scenario of many segments runs in bounded memory: its thousands of
//! low and high scenarios are made one at a time and each run is reduced to its spend at once.
//! It once held two copies of the scenario per input and every run's detail, and aborted at
//! 3.6 GB on 300 segments. Alone in its file, so no other test shares the process whose memory
//! is measured.

use aicost::analysis::sensitivity;
use aicost::sim::engine::{self, EngineRequest, SimOptions};

fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

#[test]
fn sensitivity_of_many_segments_runs_in_bounded_memory() {
    let mut t =
        String::from("name = \"segments\"\n[simulation]\nseed = 3\n[budget]\nmonthly_usd = 100\n");
    for i in 0..150 {
        t += &format!(
            "[[segment]]\nname = \"g{i}\"\nusers = {{ low = {}, high = {} }}\nsessions_per_user_per_day = {{ low = 0.5, high = 1.5 }}\nweekend_factor = 0.5\n",
            2 + i % 5,
            8 + i % 5
        );
    }
    t += "[[workflow]]\nname = \"w\"\n[[workflow.step]]\nname = \"a\"\nroute = \"main\"\ninput_tokens = { p50 = 900, p95 = 2000 }\noutput_tokens = 100\n";
    t += "[[model]]\nname = \"m\"\ninput_usd_per_mtok = 1\noutput_usd_per_mtok = 2\n";
    t += "[[stack]]\nname = \"s\"\n[stack.route.main]\nchain = [{ model = \"m\" }]\n";
    let loaded = aicost::model::scenario::from_str("segments.toml", &t).unwrap();
    let s = &loaded.scenario;
    let before = peak_rss_kib();
    let inputs = sensitivity::inputs(s, &loaded.document, true);
    assert!(inputs.len() >= 450, "{} inputs", inputs.len());
    let mut opts = SimOptions::new(20, 3);
    opts.engine = EngineRequest::Fast;
    let base = engine::simulate(s, &opts).unwrap();
    let runs = sensitivity::run_inputs(&inputs, |sc| engine::simulate(sc, &opts)).unwrap();
    let result = sensitivity::analyze(s, &inputs, &base, &runs);
    assert_eq!(result.stacks[0].inputs.len(), inputs.len());
    if let (Some(b), Some(a)) = (before, peak_rss_kib()) {
        let grown_mib = a.saturating_sub(b) as f64 / 1024.0;
        eprintln!("peak resident memory grew by {grown_mib:.1} MiB");
        assert!(grown_mib < 256.0, "grew by {grown_mib:.1} MiB");
    }
}
