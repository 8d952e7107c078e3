//! A line with no end reads in flat memory: `fit` stops at the line limit (16 MiB) instead of
//! buffering the line until the allocator gives up, as it once did on `/dev/zero` and on a small
//! gzip that inflated to one 3 GB line. Alone in its file, so no other test shares the process
//! whose memory is measured.

use std::io::Read;

use aicost::analysis::fit::input;
use aicost::analysis::fit::readers::LogFormat;
use aicost::analysis::fit::summary::Accumulator;
use aicost::analysis::fit::{LogOptions, summarize_inputs};

/// A header, then one line that never ends.
struct Endless {
    header: &'static [u8],
    at: usize,
}

impl Read for Endless {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.at < self.header.len() {
            let n = (self.header.len() - self.at).min(buf.len());
            buf[..n].copy_from_slice(&self.header[self.at..self.at + n]);
            self.at += n;
            return Ok(n);
        }
        buf.fill(b'7');
        Ok(buf.len())
    }
}

fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

#[test]
fn an_endless_line_is_refused_in_flat_memory() {
    let before = peak_rss_kib();
    for format in [LogFormat::Csv, LogFormat::Otel, LogFormat::Litellm] {
        let header: &'static [u8] = match format {
            LogFormat::Csv => b"timestamp,user,workflow,model,input_tokens,output_tokens,status\n",
            LogFormat::Litellm => b"[",
            _ => b"",
        };
        let endless = Endless { header, at: 0 };
        let input = input::from_reader("endless.log", Box::new(endless));
        let opts = LogOptions {
            format: Some(format),
            ..LogOptions::default()
        };
        let err = summarize_inputs([input], &opts, Accumulator::new())
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("a line longer than 16 MiB"),
            "{format:?}: {err}"
        );
    }
    if let (Some(b), Some(a)) = (before, peak_rss_kib()) {
        let grown_mib = a.saturating_sub(b) as f64 / 1024.0;
        eprintln!("peak resident memory grew by {grown_mib:.1} MiB");
        assert!(grown_mib < 96.0, "grew by {grown_mib:.1} MiB");
    }
}
