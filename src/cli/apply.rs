//! The args of `apply`: one team file for many users.

use std::path::PathBuf;

use clap::Args;

use super::{CaArgs, CsrArgs};
use crate::cli::Validity;

pub(super) const APPLY_EXAMPLES: &str = "The team file:
  apiVersion: certuser.kubectl.io/v1alpha1
  kind: UserList
  metadata: {name: team-dev1}   # optional; --prune removes only this list's users
  defaults: {namespace: dev1, groups: [dev1], clusterRole: view, keyType: ecdsa-p256, duration: 90d}
  users:
  - name: john
  - name: jane
    groups: [dev1, qa]
    clusterRole: edit      # or role: NAME, a Role in the namespace

Examples:
  # See what would change (like kubectl diff), then do it
  kubectl certuser apply -f team.yaml --dry-run
  kubectl certuser apply -f team.yaml --export-dir handover/

  # Also remove this list's users (and the bindings this tool made for them) the file no longer lists
  kubectl certuser apply -f team.yaml --prune

  # Sign with a local CA instead of the cluster's CSR API
  kubectl certuser apply -f team.yaml --ca-cert ca.crt --ca-key ca.key";

#[derive(Debug, Args)]
pub struct ApplyArgs {
    /// The team file (apiVersion: certuser.kubectl.io/v1alpha1, kind: UserList), or - for stdin.
    #[arg(short = 'f', long = "filename", value_name = "FILE")]
    pub file: PathBuf,
    /// Print the plan (create / re-issue / renew / context / bind / prune per user), change nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Also remove the users of this file's list (marked by an earlier apply) on this cluster
    /// that the file no longer lists, with their contexts and the role bindings this tool made
    /// for them. Users made otherwise (add, by hand, another list) are never removed.
    #[arg(long)]
    pub prune: bool,
    /// Renew a listed user's certificate when it expires within this window, e.g. 30d
    /// (default: a third of the certificate's lifetime).
    #[arg(long, value_name = "DURATION")]
    pub renew_within: Option<Validity>,
    /// Write each new, re-issued or renewed user's standalone kubeconfig (0600) into DIR (0700)
    /// as DIR/USER.kubeconfig, for hand-over.
    #[arg(long, value_name = "DIR")]
    pub export_dir: Option<PathBuf>,
    /// Allow groups that carry rights by their name alone (kubeadm:cluster-admins, system:*),
    /// as `add --allow-privileged-group`. A certificate cannot be revoked.
    #[arg(long)]
    pub allow_privileged_group: bool,
    /// Allow the group system:masters, which bypasses RBAC and cannot be revoked.
    #[arg(long)]
    pub allow_system_masters: bool,
    /// Do not check the new users' access afterwards.
    #[arg(long)]
    pub no_check: bool,
    #[command(flatten)]
    pub ca: CaArgs,
    #[command(flatten)]
    pub csr: CsrArgs,
}
