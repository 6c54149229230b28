//! The verbs that report and exit 1 when something is due: `doctor`, `check-expiration`,
//! `issued`.

use std::path::PathBuf;

use clap::Args;

use crate::cli::Validity;

pub(super) const ISSUED_EXAMPLES: &str = "Examples:
  # Every certificate issued, and where it is now
  kubectl certuser issued

  # John's certificates that are still valid (a certificate cannot be revoked)
  kubectl certuser issued john --valid

  # From cron: exit 1 when a certificate still in use expires within 30 days
  kubectl certuser issued --expiring 30d -q -o json

  # A team's ledger on shared storage
  kubectl certuser issued --ledger /srv/team/certuser-ledger.jsonl";

#[derive(Debug, Args)]
pub struct IssuedArgs {
    /// Only certificates issued to this user (the CN or the kubeconfig user name).
    #[arg(value_name = "USER")]
    pub user: Option<String>,
    /// Only certificates not renewed since that expire within this window (or have expired),
    /// e.g. 30d, 12h; exit 1 when there is any.
    #[arg(long, value_name = "DURATION")]
    pub expiring: Option<Validity>,
    /// Only certificates that are valid now (renewed or handed over ones included: they still work).
    #[arg(long)]
    pub valid: bool,
}

pub(super) const DOCTOR_EXAMPLES: &str = "Examples:
  kubectl certuser doctor john
  kubectl certuser doctor john -n dev1 -o json

  # On a control-plane node: check against the CA the API server trusts for clients
  sudo kubectl certuser doctor john --pki-dir /etc/kubernetes/pki";

#[derive(Debug, Args)]
pub struct DoctorArgs {
    /// The kubeconfig user to check (default: the current context's user).
    #[arg(value_name = "USER")]
    pub user: Option<String>,
    /// A kubeadm PKI folder whose ca.crt is the client CA to check the certificate against.
    #[arg(long, value_name = "DIR")]
    pub pki_dir: Option<PathBuf>,
}

pub(super) const CHECK_EXPIRATION_EXAMPLES: &str = "Examples:
  # Every certificate user of the kubeconfig
  kubectl certuser check-expiration

  # On a kubeadm control-plane node: the users, the control plane's certificates and its CAs
  sudo kubectl certuser check-expiration --pki-dir /etc/kubernetes/pki

  # From cron: exit 1 when anything expires within 14 days
  kubectl certuser check-expiration --warn 14d -q -o json";

#[derive(Debug, Args)]
pub struct CheckExpirationArgs {
    /// A kubeadm PKI folder: its *.crt files, etcd/*.crt and the *.conf kubeconfigs beside it.
    /// Default: /etc/kubernetes/pki when it exists and is readable.
    #[arg(long, value_name = "DIR")]
    pub pki_dir: Option<PathBuf>,
    /// Exit 1 when anything expires within this window (or has expired), e.g. 30d, 12h.
    #[arg(long, value_name = "DURATION", default_value = "30d")]
    pub warn: Validity,
}
