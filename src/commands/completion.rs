//! `completion SHELL` and `man`: completion scripts and the manual page, generated from the
//! CLI definition so they never drift from it.

use clap::CommandFactory;

use crate::cli::{Cli, CompletionArgs};
use crate::error::Outcome;

pub fn run(args: &CompletionArgs) -> anyhow::Result<Outcome> {
    let mut command = Cli::command();
    clap_complete::generate(
        args.shell,
        &mut command,
        "kubectl-certuser",
        &mut std::io::stdout(),
    );
    Ok(Outcome::Ok)
}

/// `man`: the manual page, for packagers (`kubectl certuser man > kubectl-certuser.1`).
pub fn man() -> anyhow::Result<Outcome> {
    let command = Cli::command().name("kubectl-certuser");
    clap_mangen::Man::new(command).render(&mut std::io::stdout())?;
    Ok(Outcome::Ok)
}
