//! `add`: the flags of the verb that makes certificate users.

use std::path::PathBuf;

use clap::Args;

use super::{CaArgs, CsrArgs, KeyTypeArgs, LifetimeArgs, NamePolicyArgs, RbacArgs};

pub(super) const ADD_EXAMPLES: &str = "Examples:
  # Sign through the cluster's CSR API with the current context's credentials
  kubectl certuser add john --group dev1 --namespace dev1 --clusterrole edit

  # Sign with the cluster CA on a kubeadm control-plane node (/etc/kubernetes/pki/ca.{crt,key})
  sudo kubectl certuser add john -g dev1 -n dev1 --kubeadm

  # Any CA key, certificate and key as files instead of embedded data
  kubectl certuser add john jane -g dev --ca-cert ca.crt --ca-key ca.key --cert-dir ~/.kube/certs";

#[derive(Debug, Args)]
pub struct AddArgs {
    /// The user name(s): the certificate's CN and the kubeconfig user name.
    #[arg(required = true, value_name = "USER")]
    pub users: Vec<String>,
    /// A group (the certificate's O). Repeat for several.
    #[arg(short, long = "group", value_name = "GROUP")]
    pub groups: Vec<String>,
    /// Write USER.crt and USER.key (0600) into DIR and reference them by absolute path, instead of
    /// embedding them in kubeconfig.
    #[arg(long, value_name = "DIR")]
    pub cert_dir: Option<PathBuf>,
    /// Switch the current context to the new USER@CLUSTER context.
    #[arg(long = "use")]
    pub use_context: bool,
    /// Replace an existing user or context of the same name.
    #[arg(long)]
    pub force: bool,
    /// Extra access check as the new user, VERB:RESOURCE[.GROUP][/SUBRESOURCE]. Repeatable.
    #[arg(long = "check", value_name = "VERB:RESOURCE")]
    pub checks: Vec<String>,
    /// Do not check the new user's access afterwards.
    #[arg(long, conflicts_with = "checks")]
    pub no_check: bool,
    /// Show the kubeconfig change and the API objects, change nothing.
    #[arg(long)]
    pub dry_run: bool,
    // Flattened groups last: each sets the help heading for what follows it.
    #[command(flatten)]
    pub key: KeyTypeArgs,
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
