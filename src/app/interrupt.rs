//! Signals that stop the program: Ctrl-C (SIGINT), SIGTERM and SIGHUP.
//!
//! A command that can stop early with a partial result (`simulate`) asks for a `stop_flag`: the
//! first signal sets it, the run stops after the trials in flight and the command reports what it
//! has, marked partial, writing its files as usual. Any other signal — the first one for a
//! command that cannot stop early, or a second one — ends the program at once with exit code 130,
//! after removing the temporary files of outputs still being written, so that no
//! `.aicost-*.tmp` is left behind and every earlier file stays as it was.

use std::sync::Arc;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, Ordering};

/// Exit code of a program ended by a signal (128 + SIGINT, what shells report for Ctrl-C).
pub(crate) const EXIT_CODE: i32 = 130;

/// The flag a run polls; present once a command asked to stop gracefully.
static STOP: OnceLock<Arc<AtomicBool>> = OnceLock::new();

/// Install the handler (once, by the binary; a library caller keeps its own signal handling).
pub fn install() {
    // Another handler already installed (a host program) is left in place.
    let _ = ctrlc::set_handler(on_signal);
}

/// The flag that the first signal sets instead of ending the program: the calling command
/// promises to poll it and stop cleanly.
pub(crate) fn stop_flag() -> Arc<AtomicBool> {
    Arc::clone(STOP.get_or_init(|| Arc::new(AtomicBool::new(false))))
}

fn on_signal() {
    if let Some(stop) = STOP.get()
        && !stop.swap(true, Ordering::SeqCst)
    {
        return;
    }
    crate::app::output::remove_temporaries_for_exit();
    std::process::exit(EXIT_CODE);
}
