//! Any bytes as a scenario: loading either succeeds or returns located problems, and rendering
//! those problems, the warnings and the estimate never panics.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        aicost::app::fuzzing::scenario(text);
    }
});
