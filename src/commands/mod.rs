//! One file (or folder) per verb, one entry function each. This file only dispatches; what
//! several verbs share is in `crate::workflow`, starting with the [`Ctx`] each is handed.

mod add;
mod apply;
mod can_i;
mod check_expiration;
mod complete;
mod completion;
mod demo;
mod doctor;
mod export;
mod inspect;
mod install;
mod issued;
mod list;
mod remove;
mod renew;
mod request;
mod sign;
mod whoami;

use crate::cli::{Cli, Command};
use crate::error::Outcome;
use crate::kubeconfig::Sources;
use crate::output::Output;
pub use crate::workflow::Ctx;

pub fn run(cli: Cli) -> anyhow::Result<Outcome> {
    // Before anything draws a random number: the choice only takes then (see `pki::random`).
    if prefers_hash_drbg(&cli.command) {
        crate::pki::prefer_hash_drbg();
    }
    init_logging(cli.global.verbose);
    let ctx = Ctx {
        out: Output::new(cli.global.output, cli.global.quiet),
        sources: Sources::resolve(cli.global.kubeconfig.as_deref()),
        global: cli.global,
    };
    match &cli.command {
        Command::Add(args) => add::run(&ctx, args),
        Command::List(_) => list::run(&ctx),
        Command::Inspect(args) => inspect::run(&ctx, args),
        Command::Remove(args) => remove::run(&ctx, args),
        Command::Export(args) => export::run(&ctx, args),
        Command::Whoami(args) => whoami::run(&ctx, args),
        Command::CanI(args) => can_i::run(&ctx, args),
        Command::Demo(args) => demo::run(&ctx, args),
        Command::Renew(args) => renew::run(&ctx, args),
        Command::Doctor(args) => doctor::run(&ctx, args),
        Command::Request(args) => request::run(&ctx, args),
        Command::Sign(args) => sign::run(&ctx, args),
        Command::Install(args) => install::run(&ctx, args),
        Command::CheckExpiration(args) => check_expiration::run(&ctx, args),
        Command::Issued(args) => issued::run(&ctx, args),
        Command::Apply(args) => apply::run(&ctx, args),
        Command::Completion(args) => completion::run(args),
        Command::Man => completion::man(),
        Command::Complete { args } => complete::run(args),
    }
}

/// The verbs that make ECDSA or Ed25519 keys: Hash_DRBG's first use costs a millisecond less than
/// CTR_DRBG's. Not RSA keys: their prime search draws about 100 KB of random numbers, which the
/// CTR_DRBG (AES in hardware) makes at about 4 instructions a byte and Hash_DRBG (SHA-256) at
/// about 100, 0.7 % more for an RSA 2048 key (callgrind, `openssl rand` and `genrsa`).
fn prefers_hash_drbg(command: &Command) -> bool {
    match command {
        Command::Add(args) => !args.key.key_type.is_rsa(),
        Command::Request(args) => !args.key.key_type.is_rsa(),
        _ => false,
    }
}

/// The async runtime for the verbs that talk to a cluster: one thread is plenty for a CLI.
///
/// Never torn down: each verb's runtime lasts until the process ends, right after it. Its
/// teardown frees every connection's TLS and HTTP/2 state and joins the blocking thread, which
/// the kernel's exit does as well: about a millisecond of a 45 ms `add`. Nothing is lost by it:
/// a teardown would cancel what is still pending too, and every verb awaits what it must finish.
pub(crate) fn runtime() -> anyhow::Result<std::mem::ManuallyDrop<tokio::runtime::Runtime>> {
    Ok(std::mem::ManuallyDrop::new(
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?,
    ))
}

/// `-v` logs kube's requests (method and URL), `-vv` more; never bodies, so never key material.
fn init_logging(verbose: u8) {
    let filter = match verbose {
        0 => return,
        1 => "kube_client=debug,kubectl_certuser=debug",
        _ => "kube_client=trace,kubectl_certuser=trace,hyper_util=debug",
    };
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
        .with_writer(std::io::stderr)
        .with_target(false)
        .with_ansi(
            std::io::IsTerminal::is_terminal(&std::io::stderr())
                && std::env::var_os("NO_COLOR").is_none(),
        )
        .try_init();
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[test]
    fn hash_drbg_only_for_commands_that_make_keys_other_than_rsa() {
        let wants = |line: &str| {
            let cli = Cli::try_parse_from(line.split_whitespace()).unwrap();
            prefers_hash_drbg(&cli.command)
        };
        assert!(wants("kubectl-certuser add john --key-type ecdsa-p256"));
        assert!(wants("kubectl-certuser add john --key-type ed25519"));
        assert!(wants("kubectl-certuser request john --key-type ecdsa-p384"));
        assert!(!wants("kubectl-certuser add john"), "RSA 2048 by default");
        assert!(!wants("kubectl-certuser add john --key-type rsa-4096"));
        assert!(!wants("kubectl-certuser request john"));
        assert!(!wants("kubectl-certuser list"));
    }
}
