//! `completion SHELL`: a completion script generated from the CLI definition.

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
