//! Every flag, its help text and its default. Nothing here does work: `commands::run` dispatches.
//!
//! kubectl hands a plugin none of its own global flags, so `--kubeconfig`, `--context`, `--cluster`
//! and `-n/--namespace` are defined here with kubectl's meaning, global to every verb.

use std::path::PathBuf;

use clap::builder::TypedValueParser as _;
use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::pki::KeyType;

mod add;
mod apply;
mod renew;
mod reports;
mod shared;
mod two_party;
mod users;
mod validity;

pub use add::AddArgs;
pub use apply::ApplyArgs;
pub use renew::{RenewArgs, RenewLifetimeArgs};
pub use reports::{CheckExpirationArgs, DoctorArgs, IssuedArgs};
pub use shared::{CaArgs, CsrArgs, KeyTypeArgs, LifetimeArgs, NamePolicyArgs, RbacArgs};
pub use two_party::{InstallArgs, RequestArgs, SignArgs};
pub use users::{CanIArgs, ExportArgs, InspectArgs, ListArgs, RemoveArgs, WhoamiArgs};
pub use validity::Validity;

use add::ADD_EXAMPLES;
use apply::APPLY_EXAMPLES;
use renew::RENEW_EXAMPLES;
use reports::{CHECK_EXPIRATION_EXAMPLES, DOCTOR_EXAMPLES, ISSUED_EXAMPLES};
use two_party::{INSTALL_EXAMPLES, REQUEST_EXAMPLES, SIGN_EXAMPLES};
use users::CAN_I_EXAMPLES;

#[derive(Debug, Parser)]
#[command(
    name = "kubectl-certuser",
    bin_name = "kubectl certuser",
    version,
    about = "Give people x.509 client-certificate access to a Kubernetes cluster, one command per step",
    long_about = "Give people x.509 client-certificate access to a Kubernetes cluster.\n\n\
        `add` makes the key and certificate (local CA or the cluster's CSR API), merges the user and a \
        USER@CLUSTER context into kubeconfig without losing anything else, and checks what the new user \
        may do. `list` shows every certificate user and when it expires; `check-expiration` (also the \
        control plane's PKI), `renew`, `doctor`, `remove --rbac` and the two-party `request`/`sign`/`install` \
        cover the rest of a certificate user's life.",
    after_help = "Exit codes: 0 ok, 1 a check found a problem (for example a user who may do nothing), 2 error.",
    propagate_version = true
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

/// kubectl's own global flags, re-implemented with its meaning.
#[derive(Debug, Args, Clone, Default)]
#[command(next_help_heading = "Global options (as kubectl's)")]
pub struct GlobalArgs {
    /// Path to the kubeconfig file to use (only that file), as kubectl's --kubeconfig.
    #[arg(long, global = true, value_name = "FILE")]
    pub kubeconfig: Option<PathBuf>,
    /// The kubeconfig context to use instead of the current one.
    #[arg(long, global = true, value_name = "NAME")]
    pub context: Option<String>,
    /// The kubeconfig cluster to use instead of the context's.
    #[arg(long, global = true, value_name = "NAME")]
    pub cluster: Option<String>,
    /// Namespace for the new context, bindings and access checks.
    #[arg(short = 'n', long, global = true, value_name = "NS")]
    pub namespace: Option<String>,
    /// Output format for results: json, yaml or name (tables otherwise).
    #[arg(short = 'o', long, global = true, value_enum, value_name = "FORMAT")]
    pub output: Option<OutputFormat>,
    /// Print only results and errors, no progress or hints.
    #[arg(short, long, global = true)]
    pub quiet: bool,
    /// Log API calls to stderr (-v requests, -vv details). Key material is never logged.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// The issuance ledger (JSON Lines) that add, renew, sign and export append to and `issued`
    /// reads. Default: the data folder's kubectl-certuser/ledger.jsonl (~/.local/share on Linux).
    #[arg(long, global = true, value_name = "FILE", env = "CERTUSER_LEDGER")]
    pub ledger: Option<PathBuf>,
    /// Record nothing in the issuance ledger.
    #[arg(long, global = true)]
    pub no_ledger: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    Json,
    Yaml,
    Name,
}

#[derive(Debug, Subcommand)]
// Each verb's arguments are built only when that verb runs (or help, completions and man pages
// ask for them all): clap building all of them took about a millisecond of every start.
#[command(defer = true)]
pub enum Command {
    /// Create certificate users: key, certificate, kubeconfig user and USER@CLUSTER context.
    #[command(after_help = ADD_EXAMPLES)]
    Add(Box<AddArgs>),
    /// List the kubeconfig users that authenticate with a client certificate, and their expiry.
    #[command(
        visible_alias = "ls",
        after_help = "Examples:\n  kubectl certuser list\n  kubectl certuser list -o json"
    )]
    List(ListArgs),
    /// Show what a user's certificate (or a PEM file) says: subject, groups, issuer, validity, key.
    #[command(
        after_help = "Examples:\n  kubectl certuser inspect john\n  kubectl certuser inspect ./john.crt -o yaml\n  kubectl get csr NAME -o jsonpath='{.status.certificate}' | base64 -d | kubectl certuser inspect -"
    )]
    Inspect(InspectArgs),
    /// Remove certificate users and their contexts from kubeconfig.
    #[command(
        visible_alias = "rm",
        after_help = "Examples:\n  kubectl certuser remove john\n  kubectl certuser remove john jane --dry-run\n\n  # Also delete the role bindings add --role/--clusterrole made for john\n  kubectl certuser remove john --rbac"
    )]
    Remove(RemoveArgs),
    /// Write a standalone kubeconfig for one user, to hand to that person.
    #[command(after_help = "Examples:\n  kubectl certuser export john --file john.kubeconfig")]
    Export(ExportArgs),
    /// Ask the cluster who a user is (SelfSubjectReview), using that user's credentials.
    #[command(
        after_help = "Examples:\n  kubectl certuser whoami\n  kubectl certuser whoami john -o json"
    )]
    Whoami(WhoamiArgs),
    /// Check what a user may do (SelfSubjectAccessReview), as that user.
    #[command(name = "can-i", after_help = CAN_I_EXAMPLES)]
    CanI(CanIArgs),
    /// Try it without a cluster: make a throw-away demo CA and kubeconfig, then add a user to it.
    #[command(
        after_help = "Examples:\n  kubectl certuser demo\n  kubectl --kubeconfig certuser-demo/kubeconfig config view"
    )]
    Demo(DemoArgs),
    /// Re-issue users' certificates with the same identity (CN and groups), in place.
    #[command(after_help = RENEW_EXAMPLES)]
    Renew(Box<RenewArgs>),
    /// Two-party flow, step 1 (the future user): make a key here and a CSR to send to an admin.
    #[command(after_help = REQUEST_EXAMPLES)]
    Request(RequestArgs),
    /// Two-party flow, step 2 (an administrator): sign someone's CSR; no key is ever seen.
    #[command(after_help = SIGN_EXAMPLES)]
    Sign(Box<SignArgs>),
    /// Two-party flow, step 3 (the user): install the signed certificate next to the pending key.
    #[command(after_help = INSTALL_EXAMPLES)]
    Install(InstallArgs),
    /// Why does this login fail? Checks the key, dates, usages, CA, server, identity and rights.
    #[command(after_help = DOCTOR_EXAMPLES)]
    Doctor(DoctorArgs),
    /// When certificates expire: the kubeconfig's certificate users and a kubeadm control plane's
    /// PKI, in kubeadm's tables. Exit 1 when something expires within --warn.
    #[command(name = "check-expiration", after_help = CHECK_EXPIRATION_EXAMPLES)]
    CheckExpiration(CheckExpirationArgs),
    /// What this tool issued, from the ledger: still valid, renewed, handed over. Exit 1 with
    /// --expiring when something is due.
    #[command(after_help = ISSUED_EXAMPLES)]
    Issued(IssuedArgs),
    /// Make the kubeconfig and the cluster match a team file (kind: UserList): create, re-issue,
    /// renew and bind its users, and with --prune remove the ones it no longer lists.
    #[command(after_help = APPLY_EXAMPLES)]
    Apply(Box<ApplyArgs>),
    /// kubectl's plugin completion protocol (called by the kubectl_complete-certuser script).
    #[command(name = "__complete", hide = true)]
    Complete {
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<String>,
    },
    /// Print the manual page (roff) with every verb and its flags, generated from this definition.
    #[command(
        after_help = "Examples:\n  kubectl certuser man > kubectl-certuser.1\n  man ./kubectl-certuser.1"
    )]
    Man,
    /// Print a shell completion script.
    #[command(
        after_help = "Examples:\n  source <(kubectl certuser completion bash)\n  kubectl certuser completion zsh > \"${fpath[1]}/_kubectl-certuser\""
    )]
    Completion(CompletionArgs),
}

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Folder for the demo CA and kubeconfig.
    #[arg(value_name = "DIR", default_value = "certuser-demo")]
    pub dir: PathBuf,
}

#[derive(Debug, Args)]
pub struct CompletionArgs {
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

/// `--key-type` values, listed so that `--help`, errors and completion name every choice.
pub fn key_types() -> impl clap::builder::TypedValueParser<Value = KeyType> {
    clap::builder::PossibleValuesParser::new(KeyType::ALL.map(KeyType::name))
        .map(|name| name.parse::<KeyType>().expect("every listed name parses"))
}
