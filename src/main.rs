//! Thin entry point: parse, run, turn the result into an exit code.

use std::process::ExitCode;

use clap::Parser;
use kubectl_certuser::{cli::Cli, commands, error, output::Output};

fn main() -> ExitCode {
    let cli = Cli::parse_from(arguments());
    match commands::run(cli) {
        Ok(error::Outcome::Ok) => ExitCode::SUCCESS,
        Ok(error::Outcome::Problem) => ExitCode::from(1),
        // `kubectl certuser list | head` closing the pipe is not an error worth a message.
        Err(err) if is_broken_pipe(&err) => ExitCode::SUCCESS,
        Err(err) => {
            Output::failure(&format!("{err:#}"), error::hint_of(&err).as_deref());
            ExitCode::from(2)
        }
    }
}

fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain()
        .filter_map(|e| e.downcast_ref::<std::io::Error>())
        .any(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
}

/// Invoked through a `kubectl_complete-certuser` link, kubectl is asking for completions
/// (its plugin completion protocol): answer as `kubectl-certuser __complete ARGS...`.
fn arguments() -> Vec<std::ffi::OsString> {
    let mut args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    let invoked_as = args
        .first()
        .and_then(|a| std::path::Path::new(a).file_name().map(|n| n.to_owned()));
    if invoked_as.is_some_and(|n| n == "kubectl_complete-certuser") {
        args.insert(1, "__complete".into());
    }
    args
}
