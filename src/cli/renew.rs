//! `renew`: re-issuing certificates with the same identity.

use clap::Args;

use super::{CaArgs, CsrArgs, key_types};

use crate::cli::Validity;
use crate::pki::KeyType;

pub(super) const RENEW_EXAMPLES: &str = "Examples:
  # Through the cluster's CSR API: a new key, the same lifetime as before
  kubectl certuser renew john

  # Keep the key, sign with a local CA, for 90 days
  kubectl certuser renew john --reuse-key --ca-cert ca.crt --ca-key ca.key --days 90

  # Every certificate user expiring within 30 days (see the plan first)
  kubectl certuser renew --all --within 30d --dry-run
  sudo kubectl certuser renew --all --within 30d --kubeadm";

#[derive(Debug, Args)]
pub struct RenewArgs {
    /// The kubeconfig user(s) to renew.
    #[arg(
        value_name = "USER",
        required_unless_present = "all",
        conflicts_with = "all"
    )]
    pub users: Vec<String>,
    /// Every certificate user of the kubeconfig whose certificate expires within --within.
    #[arg(long)]
    pub all: bool,
    /// With --all: the window, e.g. 30d, 72h.
    #[arg(long, value_name = "DURATION", default_value = "30d", requires = "all")]
    pub within: Validity,
    /// Keep the current private key (default: a new key of the same type).
    #[arg(long, conflicts_with = "key_type")]
    pub reuse_key: bool,
    /// Key algorithm of the new key (default: the type of the current key).
    #[arg(long, value_name = "TYPE", value_parser = key_types())]
    pub key_type: Option<KeyType>,
    /// Show what would be renewed and skipped, change nothing.
    #[arg(long)]
    pub dry_run: bool,
    #[command(flatten)]
    pub lifetime: RenewLifetimeArgs,
    #[command(flatten)]
    pub ca: CaArgs,
    #[command(flatten)]
    pub csr: CsrArgs,
}

/// `renew`'s lifetime flags: `add`'s [`LifetimeArgs`](super::LifetimeArgs) without its default,
/// because a renewal keeps the lifetime of the certificate it replaces unless told otherwise.
#[derive(Debug, Args)]
#[command(next_help_heading = "Certificate lifetime")]
pub struct RenewLifetimeArgs {
    /// Lifetime in days (default: the lifetime of the current certificate).
    #[arg(long, value_name = "N", conflicts_with = "duration")]
    pub days: Option<u32>,
    /// Lifetime as a duration, e.g. 12h, 90d (default: the lifetime of the current certificate).
    #[arg(long, value_name = "DURATION")]
    pub duration: Option<Validity>,
}
