//! `aicost serve`: start the what-if server of [`crate::app::serve`], print its address, and
//! answer until Ctrl-C (or SIGTERM), which stops it cleanly with exit code 0.

use std::sync::atomic::Ordering;

use crate::app::cli::{Config, ServeArgs};
use crate::app::serve::{
    Server,
    state::{Progress, Settings},
};
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
    let stop = crate::app::interrupt::stop_flag();
    let server = Server::listen(settings, &a.host, a.port, &a.allow_host)?;
    // The address first, alone on its line on standard output for scripts to read: the first
    // forecast and the ranking of the drivers can take a while, and say how far they are.
    crate::app::output::write_stdout(format!("{}\n", server.url()).as_bytes())?;
    if !config.quiet {
        eprintln!(
            "serving {} at {} once it is loaded (Ctrl-C stops)",
            crate::base::escape::visible(&a.file.display().to_string()),
            server.url()
        );
    }
    // On a terminal every step overwrites the last; in a log, the start of each phase and
    // the end of the ranking.
    server.load(&|step| {
        if config.quiet {
            return;
        }
        if config.progress {
            eprint!("\r\x1b[K  {step}");
            return;
        }
        match step {
            Progress::Ranking { done, runs } if done != 0 && done != runs => {}
            _ => eprintln!("  {step}"),
        }
    });
    if config.progress && !config.quiet {
        eprintln!();
    }
    if let Some(errors) = server.errors()
        && !config.quiet
    {
        eprint!("{}", crate::base::escape::terminal(&errors));
        eprintln!("the page shows these errors until the file is fixed");
    }
    server.watch(std::sync::Arc::clone(&stop))?;
    if !config.quiet {
        eprintln!("ready: open {}", server.url());
    }
    server.serve(&stop);
    stop.store(true, Ordering::SeqCst);
    crate::app::output::remove_live_temporaries();
    if !config.quiet {
        eprintln!("stopped");
    }
    Ok(0)
}
