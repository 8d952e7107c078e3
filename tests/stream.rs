//! `fit` reads a stream of any size in bounded memory: a generated 1 GB log (64 MB in a debug
//! build) with two million distinct users streams through the reader while the process's peak
//! resident memory grows by a small, fixed amount. Alone in its file, so no other test shares the
//! process whose memory is measured.

use std::io::Read;

use aicost::analysis::fit::input;
use aicost::analysis::fit::readers::LogFormat;
use aicost::analysis::fit::summary::Accumulator;
use aicost::analysis::fit::{LogOptions, summarize_inputs};

/// A CSV log generated on the fly: `rows` rows, users drawn from `users`, a few workflows.
struct Generated {
    rows: u64,
    users: u64,
    next: u64,
    state: u64,
    pending: Vec<u8>,
    at: usize,
}

impl Generated {
    fn new(rows: u64, users: u64) -> Self {
        Generated {
            rows,
            users,
            next: 0,
            state: 0x9e37_79b9_7f4a_7c15,
            pending:
                b"timestamp,user,workflow,model,input_tokens,cached_tokens,output_tokens,status\n"
                    .to_vec(),
            at: 0,
        }
    }

    fn rand(&mut self) -> u64 {
        // SplitMix64.
        self.state = self.state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
}

impl Read for Generated {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let mut n = 0;
        while n < buf.len() {
            if self.at == self.pending.len() {
                if self.next == self.rows {
                    break;
                }
                self.next += 1;
                let r = self.rand();
                let user = r % self.users;
                let day = 1 + (r >> 40) % 30;
                let input = 200 + (r >> 20) % 3000;
                let output = 50 + (r >> 32) % 400;
                let wf = (r >> 50) % 4;
                self.pending.clear();
                self.at = 0;
                use std::io::Write as _;
                let _ = writeln!(
                    self.pending,
                    "2026-11-{day:02}T12:00:00Z,u{user},wf{wf},gpt-4o-mini,{input},0,{output},ok"
                );
            }
            let take = (self.pending.len() - self.at).min(buf.len() - n);
            buf[n..n + take].copy_from_slice(&self.pending[self.at..self.at + take]);
            self.at += take;
            n += take;
        }
        Ok(n)
    }
}

/// Peak resident memory of this process in KiB (Linux), if known.
fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

#[test]
fn a_gigabyte_streams_through_in_bounded_memory() {
    let bytes_wanted: u64 = if cfg!(debug_assertions) {
        64 << 20
    } else {
        1 << 30
    };
    // About 70 bytes a row.
    let rows = bytes_wanted / 70;
    let users = 2_000_000;
    let before = peak_rss_kib();
    let input = input::from_reader("generated.csv", Box::new(Generated::new(rows, users)));
    let opts = LogOptions {
        format: Some(LogFormat::Csv),
        ..LogOptions::default()
    };
    let ing = summarize_inputs([input], &opts, Accumulator::new()).unwrap();
    let after = peak_rss_kib();
    assert_eq!(ing.budget.lines, rows);
    assert_eq!(ing.budget.malformed.count, 0);
    let s = &ing.summary;
    assert_eq!(s.calls(), rows as f64);
    // Users were sampled, and the estimate of distinct users is still close: every one of the
    // 2,000,000 users is seen when rows ≫ users; fewer otherwise (the expected distinct count).
    let seen_expected = users as f64 * (1.0 - (-(rows as f64) / users as f64).exp());
    let estimated: f64 = s.workflows.values().map(|w| w.users).sum();
    // Each workflow sees its own users: about a quarter of the rows each.
    let per_wf_expected = users as f64 * (1.0 - (-(rows as f64 / 4.0) / users as f64).exp());
    assert!(
        (estimated / 4.0 - per_wf_expected).abs() < 0.05 * per_wf_expected,
        "estimated {estimated} users over 4 workflows, expected about {per_wf_expected} each ({seen_expected} overall)"
    );
    if let (Some(b), Some(a)) = (before, after) {
        let grown_mib = (a.saturating_sub(b)) as f64 / 1024.0;
        eprintln!(
            "streamed {} MiB ({rows} rows): peak memory grew by {grown_mib:.1} MiB",
            bytes_wanted >> 20
        );
        assert!(grown_mib < 96.0, "peak memory grew by {grown_mib} MiB");
    }
}
