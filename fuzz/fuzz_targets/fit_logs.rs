//! Any bytes as a usage log, read as every format `fit` knows: reading either summarizes the
//! calls or returns an error, and fitting a scenario from what was read never panics.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    aicost::app::fuzzing::fit_logs(data);
});
