//! The verbs on existing users: `list`, `inspect`, `remove`, `export`, `whoami`, `can-i`.

use std::path::PathBuf;

use clap::Args;

pub(super) const CAN_I_EXAMPLES: &str = "Examples:
  # As john: may he list pods in dev1?
  kubectl certuser can-i john list pods -n dev1

  # The default access matrix for john
  kubectl certuser can-i john";

#[derive(Debug, Args)]
pub struct ListArgs {}

#[derive(Debug, Args)]
pub struct InspectArgs {
    /// A kubeconfig user name, a certificate file (PEM, every certificate of a chain, or DER),
    /// or - for standard input.
    #[arg(value_name = "USER|FILE|-")]
    pub target: String,
}

#[derive(Debug, Args)]
pub struct RemoveArgs {
    /// The kubeconfig user(s) to remove, with every context that uses them.
    #[arg(required = true, value_name = "USER")]
    pub users: Vec<String>,
    /// Show the kubeconfig change, change nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Also delete the RoleBindings and ClusterRoleBindings this tool made for the user (those
    /// with its managed-by label that name only this user); others are listed and left alone.
    #[arg(long)]
    pub rbac: bool,
    /// Remove a user this tool did not make: one without a client certificate (token, exec), or
    /// a system:masters administrator.
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// The kubeconfig user to export.
    #[arg(value_name = "USER")]
    pub user: String,
    /// Show the kubeconfig that would be written (key and certificate data elided), write nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Where to write the standalone kubeconfig (0600). Default: ./USER.kubeconfig
    #[arg(short, long, value_name = "FILE")]
    pub file: Option<PathBuf>,
    /// Overwrite FILE if it exists.
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Args)]
pub struct WhoamiArgs {
    /// The user to ask as (default: the current context's user).
    #[arg(value_name = "USER")]
    pub user: Option<String>,
}

#[derive(Debug, Args)]
pub struct CanIArgs {
    /// USER VERB RESOURCE, or USER alone for the default access matrix, or VERB RESOURCE as the
    /// current context's user.
    #[arg(value_name = "ARGS", num_args = 0..=3)]
    pub args: Vec<String>,
}
