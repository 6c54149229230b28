//! Flag groups several verbs share, each defined once and flattened where it is used, so that
//! a flag means the same on every verb and `--help` shows each group under its own heading.

use std::path::PathBuf;

use clap::Args;

use super::key_types;
use crate::cli::Validity;
use crate::pki::KeyType;

/// The lifetime of a new certificate (`add`, `sign`). `renew` has its own group: its default is
/// the lifetime of the certificate it replaces.
#[derive(Debug, Args)]
#[command(next_help_heading = "Certificate lifetime")]
pub struct LifetimeArgs {
    /// Certificate lifetime in days.
    #[arg(
        long,
        value_name = "N",
        conflicts_with = "duration",
        default_value_t = 365
    )]
    pub days: u32,
    /// Certificate lifetime as a duration instead of days, e.g. 12h, 30d, 8760h.
    #[arg(long, value_name = "DURATION")]
    pub duration: Option<Validity>,
    /// Allow a lifetime under 10 minutes from a local CA (refused otherwise: `1m` is easily a
    /// typo for a month). The CSR API never signs for less than 10 minutes.
    #[arg(long)]
    pub allow_short_lifetime: bool,
}

/// The algorithm of a key made here (`add`, `request`).
#[derive(Debug, Args)]
pub struct KeyTypeArgs {
    /// Key algorithm: RSA as kubeadm makes them; ECDSA and Ed25519 keys are made far faster.
    #[arg(long, value_name = "TYPE", default_value_t = KeyType::default(), value_parser = key_types())]
    pub key_type: KeyType,
}

/// The overrides of our naming policy for what a certificate may claim (`add`, `sign`): names
/// Kubernetes reserves and groups that carry rights by their name alone.
#[derive(Debug, Args)]
#[command(next_help_heading = "Reserved names and privileged groups")]
pub struct NamePolicyArgs {
    /// Allow a user name starting with `system:` (names Kubernetes reserves for its components).
    #[arg(long)]
    pub allow_system_user: bool,
    /// Allow the group system:masters, which bypasses RBAC and cannot be revoked.
    #[arg(long)]
    pub allow_system_masters: bool,
    /// Allow a group that carries rights by its name alone: kubeadm:cluster-admins (cluster-admin),
    /// system:nodes, system:bootstrappers[:*], system:serviceaccounts[:*] or any other system:
    /// group. A certificate cannot be revoked: prefer --role/--clusterrole.
    #[arg(long)]
    pub allow_privileged_group: bool,
}

#[derive(Debug, Args)]
#[command(next_help_heading = "Signing with a local CA")]
pub struct CaArgs {
    /// The CA certificate to sign with (PEM). Without it, the cluster's CSR API signs.
    #[arg(
        long,
        value_name = "FILE",
        requires = "ca_key",
        conflicts_with = "kubeadm"
    )]
    pub ca_cert: Option<PathBuf>,
    /// The CA private key (PEM: PKCS#8, PKCS#1 or SEC1). Encrypted: set CERTUSER_CA_KEY_PASSPHRASE.
    #[arg(
        long,
        value_name = "FILE",
        requires = "ca_cert",
        conflicts_with = "kubeadm"
    )]
    pub ca_key: Option<PathBuf>,
    /// Sign with a kubeadm control plane's CA: /etc/kubernetes/pki/ca.crt and ca.key.
    #[arg(long)]
    pub kubeadm: bool,
}

impl CaArgs {
    /// Signing with a CA key on this machine (`--ca-cert/--ca-key` or `--kubeadm`), not the cluster.
    pub fn is_local(&self) -> bool {
        self.ca_cert.is_some() || self.kubeadm
    }
}

#[derive(Debug, Args)]
#[command(next_help_heading = "Signing through the cluster's CSR API")]
pub struct CsrArgs {
    /// CSR API: create the CertificateSigningRequest but let someone else approve it.
    #[arg(long)]
    pub no_approve: bool,
    /// CSR API: how long to wait for the certificate, e.g. 30s, 2m.
    #[arg(long, value_name = "DURATION", default_value = "2m")]
    pub timeout: Validity,
    /// CSR API: keep the CertificateSigningRequest object afterwards.
    #[arg(long)]
    pub keep_csr: bool,
}

#[derive(Debug, Args)]
#[command(next_help_heading = "Role binding")]
pub struct RbacArgs {
    /// Bind this Role (in the namespace) to the user.
    #[arg(long, value_name = "NAME", conflicts_with = "clusterrole")]
    pub role: Option<String>,
    /// Bind this ClusterRole to the user, in the namespace (or cluster-wide with --cluster-wide).
    #[arg(long, value_name = "NAME")]
    pub clusterrole: Option<String>,
    /// With --clusterrole: a ClusterRoleBinding instead of a RoleBinding.
    #[arg(long, requires = "clusterrole")]
    pub cluster_wide: bool,
}
