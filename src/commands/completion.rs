//! `completion SHELL` and `man`: completion scripts and the manual page, generated from the
//! CLI definition so they never drift from it.

use std::io::Write;

use clap::CommandFactory;

use crate::cli::{Cli, CompletionArgs};
use crate::error::Outcome;

pub fn run(args: &CompletionArgs) -> anyhow::Result<Outcome> {
    let mut command = Cli::command();
    // clap_complete panics when its writer fails (`completion fish | head -1` closes the pipe):
    // generate into memory, then write it ourselves so a broken pipe is an ordinary error,
    // which `main` treats as a quiet success.
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut command, "kubectl-certuser", &mut script);
    let mut out = std::io::stdout().lock();
    out.write_all(&script)?;
    out.flush()?;
    Ok(Outcome::Ok)
}

/// `man`: the manual page, for packagers (`kubectl certuser man > kubectl-certuser.1`).
pub fn man() -> anyhow::Result<Outcome> {
    let command = Cli::command().name("kubectl-certuser");
    clap_mangen::Man::new(command).render(&mut std::io::stdout())?;
    Ok(Outcome::Ok)
}
