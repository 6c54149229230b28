//! The two-party flow: `request` (the future user), `sign` (an administrator), `install` (the
//! user again). The key never leaves the user's machine.

use std::path::PathBuf;

use clap::Args;

use super::{CaArgs, CsrArgs, KeyTypeArgs, LifetimeArgs, NamePolicyArgs, RbacArgs};

pub(super) const REQUEST_EXAMPLES: &str = "Examples:
  # On john's machine: key in ~/.kube (0600), CSR to a file to send to the administrator
  kubectl certuser request john -g dev1 --file john.csr

  # An ECDSA key, the CSR on stdout
  kubectl certuser request john --key-type ecdsa-p256 > john.csr";

pub(super) const SIGN_EXAMPLES: &str = "Examples:
  # Through the cluster's CSR API, with a RoleBinding to edit in dev1; a kubeconfig without any key
  kubectl certuser sign john.csr -n dev1 --clusterrole edit --kubeconfig-out john.kubeconfig

  # With a kubeadm control plane's CA, the certificate alone
  sudo kubectl certuser sign john.csr --kubeadm --file john.crt";

pub(super) const INSTALL_EXAMPLES: &str = "Examples:
  # The kubeconfig the administrator sent (cluster, certificate, context; no key)
  kubectl certuser install --kubeconfig-in john.kubeconfig --use

  # A bare certificate, for the cluster of the current context
  kubectl certuser install --cert john.crt";

#[derive(Debug, Args)]
pub struct RequestArgs {
    /// Your user name: the certificate's CN.
    #[arg(value_name = "USER")]
    pub user: String,
    /// A group (the certificate's O). Repeat for several.
    #[arg(short, long = "group", value_name = "GROUP")]
    pub groups: Vec<String>,
    /// Write the CSR (PEM) to FILE instead of stdout.
    #[arg(short, long, value_name = "FILE")]
    pub file: Option<PathBuf>,
    /// Keep the key (and later the certificate) in DIR instead of the kubeconfig's folder.
    #[arg(long, value_name = "DIR")]
    pub cert_dir: Option<PathBuf>,
    /// Replace a pending request (and its key) for the same user, or an existing --file.
    #[arg(long)]
    pub force: bool,
    #[command(flatten)]
    pub key: KeyTypeArgs,
}

#[derive(Debug, Args)]
pub struct SignArgs {
    /// The PEM certificate signing request to sign (`-` for stdin).
    #[arg(value_name = "CSR_FILE")]
    pub csr_file: PathBuf,
    /// Write the certificate (PEM) to FILE. Without it or --kubeconfig-out: to stdout.
    #[arg(short, long, value_name = "FILE")]
    pub file: Option<PathBuf>,
    /// Write a standalone kubeconfig (cluster, user with the certificate, context; no key) to FILE.
    #[arg(long, value_name = "FILE")]
    pub kubeconfig_out: Option<PathBuf>,
    /// Overwrite FILE / the --kubeconfig-out file if it exists.
    #[arg(long)]
    pub force: bool,
    #[command(flatten)]
    pub lifetime: LifetimeArgs,
    #[command(flatten)]
    pub policy: NamePolicyArgs,
    #[command(flatten)]
    pub ca: CaArgs,
    #[command(flatten)]
    pub csr: CsrArgs,
    #[command(flatten)]
    pub rbac: RbacArgs,
}

#[derive(Debug, Args)]
pub struct InstallArgs {
    /// The signed certificate (PEM), for the cluster of the current context (or --cluster).
    #[arg(
        long,
        value_name = "FILE",
        required_unless_present = "kubeconfig_in",
        conflicts_with = "kubeconfig_in"
    )]
    pub cert: Option<PathBuf>,
    /// The kubeconfig `sign --kubeconfig-out` wrote: cluster, certificate and context.
    #[arg(long, value_name = "FILE")]
    pub kubeconfig_in: Option<PathBuf>,
    /// Where `request --cert-dir` put the pending key (default: the kubeconfig's folder).
    #[arg(long, value_name = "DIR")]
    pub cert_dir: Option<PathBuf>,
    /// Switch the current context to the new USER@CLUSTER context.
    #[arg(long = "use")]
    pub use_context: bool,
    /// Replace an existing user, context or (with --kubeconfig-in) cluster of the same name.
    #[arg(long)]
    pub force: bool,
    /// Install even when the certificate does not chain to the cluster's CA in kubeconfig (a
    /// cluster whose client CA differs from its serving CA: k3s, some managed clusters).
    #[arg(long)]
    pub skip_ca_check: bool,
}
