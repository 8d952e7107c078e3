//! `aicost serve`: start the what-if server of [`crate::app::serve`], print its address, and
//! answer until Ctrl-C (or SIGTERM), which stops it cleanly with exit code 0.

use std::sync::atomic::Ordering;

use crate::app::cli::{Config, ServeArgs};
use crate::app::serve::{Server, state::Settings};
use crate::base::error::{Error, UsageKind};
use crate::base::warning::WarningKind;

pub fn serve(a: &ServeArgs, config: &Config) -> Result<u8, Error> {
    if let Some(t) = a.run.trials
        && (t == 0 || t > crate::model::MAX_TRIALS)
    {
        return Err(UsageKind::TrialsOutOfRange {
            max: crate::model::MAX_TRIALS,
            got: t,
        }
        .into());
    }
    super::check_threads(a.run.threads)?;
    if crate::model::scenario::read_file(&a.file).is_err() {
        // Not there, a folder, unreadable: the same message as every other command.
        super::load(&a.file, config)?;
    }
    let options = super::load_options(config)?;
    let settings = Settings {
        file: a.file.clone(),
        overrides: options.overrides,
        allow_dirs: options.allow_dirs,
        trials: a.run.trials,
        seed: a.run.seed,
        fallback_seed: rand::random(),
        threads: a.run.threads,
    };
    let loopback = a
        .host
        .parse::<std::net::IpAddr>()
        .is_ok_and(|ip| ip.is_loopback())
        || a.host.eq_ignore_ascii_case("localhost");
    if !loopback {
        crate::app::diagnostics::warn(
            &WarningKind::ListensBeyondLoopback {
                host: a.host.clone(),
            }
            .into(),
        );
    }
    let server = Server::start(settings, &a.host, a.port)?;
    if let Some(errors) = server.errors()
        && !config.quiet
    {
        eprint!("{}", crate::base::escape::terminal(&errors));
        eprintln!("the page shows these errors until the file is fixed");
    }
    let stop = crate::app::interrupt::stop_flag();
    server.watch(std::sync::Arc::clone(&stop))?;
    // The address goes to standard output, alone on its line, for scripts to read.
    crate::app::output::write_stdout(format!("{}\n", server.url()).as_bytes())?;
    if !config.quiet {
        eprintln!(
            "serving {} at {} (Ctrl-C stops)",
            crate::base::escape::visible(&a.file.display().to_string()),
            server.url()
        );
    }
    server.serve(&stop);
    stop.store(true, Ordering::SeqCst);
    crate::app::output::remove_live_temporaries();
    if !config.quiet {
        eprintln!("stopped");
    }
    Ok(0)
}
