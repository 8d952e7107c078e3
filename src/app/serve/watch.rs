//! Live reload: watch the folders of a scenario's files (the scenario, the files it extends, its
//! catalog) and reload when one of them changes.
//!
//! Folders are watched rather than files because editors save by writing a new file and renaming
//! it over the old one, which ends a watch on the old file. Events come in bursts (write, rename,
//! metadata), so a reload waits until the folder has been quiet for [`SETTLE`]; the set of
//! files is read again after each reload, since a save may add or drop an `extends`.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::Duration;

use notify::{RecursiveMode, Watcher};

use crate::base::error::{Error, UsageKind};

/// Quiet time after the last event of a burst before reloading.
pub const SETTLE: Duration = Duration::from_millis(80);

/// A file as compared with an event's path: its folder's real path and its name.
fn key(path: &Path) -> Option<(PathBuf, std::ffi::OsString)> {
    let name = path.file_name()?.to_os_string();
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    Some((dir.canonicalize().unwrap_or(dir), name))
}

/// Watch the files `inputs` lists and call `reload` after each change, until `stop`.
pub fn spawn(
    inputs: impl Fn() -> Vec<PathBuf> + Send + 'static,
    reload: impl Fn() + Send + 'static,
    stop: Arc<AtomicBool>,
) -> Result<(), Error> {
    let (tx, rx) = mpsc::channel::<notify::Result<notify::Event>>();
    let mut watcher = notify::recommended_watcher(tx).map_err(|e| {
        Error::from(UsageKind::CannotWatch {
            error: e.to_string(),
        })
    })?;
    let mut watched: BTreeSet<PathBuf> = BTreeSet::new();
    let mut files = rewatch(&mut watcher, &mut watched, &inputs());
    std::thread::spawn(move || {
        while !stop.load(Ordering::SeqCst) {
            let event = match rx.recv_timeout(Duration::from_millis(200)) {
                Ok(e) => e,
                Err(mpsc::RecvTimeoutError::Timeout) => continue,
                Err(mpsc::RecvTimeoutError::Disconnected) => return,
            };
            if !touches(&event, &files) {
                continue;
            }
            // Let the burst end, then reload once.
            while rx.recv_timeout(SETTLE).is_ok() {}
            reload();
            files = rewatch(&mut watcher, &mut watched, &inputs());
        }
    });
    Ok(())
}

fn touches(
    event: &notify::Result<notify::Event>,
    files: &BTreeSet<(PathBuf, std::ffi::OsString)>,
) -> bool {
    match event {
        Ok(e) => {
            !matches!(e.kind, notify::EventKind::Access(_))
                && e.paths
                    .iter()
                    .filter_map(|p| key(p))
                    .any(|k| files.contains(&k))
        }
        // A lost event may have been a change.
        Err(_) => true,
    }
}

/// Watch the folder of every file in `inputs` (once each) and return the files' keys.
fn rewatch(
    watcher: &mut notify::RecommendedWatcher,
    watched: &mut BTreeSet<PathBuf>,
    inputs: &[PathBuf],
) -> BTreeSet<(PathBuf, std::ffi::OsString)> {
    let files: BTreeSet<_> = inputs.iter().filter_map(|p| key(p)).collect();
    for (dir, _) in &files {
        if watched.insert(dir.clone()) {
            let _ = watcher.watch(dir, RecursiveMode::NonRecursive);
        }
    }
    files
}
