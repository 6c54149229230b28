//! Every flag, its help text and its default. Nothing here does work: `commands::run` dispatches.
//!
//! kubectl hands a plugin none of its own global flags, so `--kubeconfig`, `--context`, `--cluster`
//! and `-n/--namespace` are defined here with kubectl's meaning, global to every verb.

use std::path::PathBuf;

use clap::builder::TypedValueParser as _;
use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::pki::KeyType;
use crate::units::Validity;

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

const ADD_EXAMPLES: &str = "Examples:
  # Sign through the cluster's CSR API with the current context's credentials
  kubectl certuser add john --group dev1 --namespace dev1 --clusterrole edit

  # Sign with the cluster CA on a kubeadm control-plane node (/etc/kubernetes/pki/ca.{crt,key})
  sudo kubectl certuser add john -g dev1 -n dev1 --kubeadm

  # Any CA key, certificate and key as files instead of embedded data
  kubectl certuser add john jane -g dev --ca-cert ca.crt --ca-key ca.key --cert-dir ~/.kube/certs";

const CAN_I_EXAMPLES: &str = "Examples:
  # As john: may he list pods in dev1?
  kubectl certuser can-i john list pods -n dev1

  # The default access matrix for john
  kubectl certuser can-i john";

const RENEW_EXAMPLES: &str = "Examples:
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
    #[arg(long, value_name = "TYPE")]
    pub key_type: Option<KeyType>,
    /// Lifetime in days (default: the lifetime of the current certificate).
    #[arg(long, value_name = "N", conflicts_with = "duration")]
    pub days: Option<u32>,
    /// Lifetime as a duration, e.g. 12h, 90d (default: the lifetime of the current certificate).
    #[arg(long, value_name = "DURATION")]
    pub duration: Option<Validity>,
    /// Show what would be renewed and skipped, change nothing.
    #[arg(long)]
    pub dry_run: bool,
    #[command(flatten)]
    pub ca: CaArgs,
    #[command(flatten)]
    pub csr: CsrArgs,
}

const REQUEST_EXAMPLES: &str = "Examples:
  # On john's machine: key in ~/.kube (0600), CSR to a file to send to the administrator
  kubectl certuser request john -g dev1 --file john.csr

  # An ECDSA key, the CSR on stdout
  kubectl certuser request john --key-type ecdsa-p256 > john.csr";

const SIGN_EXAMPLES: &str = "Examples:
  # Through the cluster's CSR API, with a RoleBinding to edit in dev1; a kubeconfig without any key
  kubectl certuser sign john.csr -n dev1 --clusterrole edit --kubeconfig-out john.kubeconfig

  # With a kubeadm control plane's CA, the certificate alone
  sudo kubectl certuser sign john.csr --kubeadm --file john.crt";

const INSTALL_EXAMPLES: &str = "Examples:
  # The kubeconfig the administrator sent (cluster, certificate, context; no key)
  kubectl certuser install --kubeconfig-in john.kubeconfig --use

  # A bare certificate, for the cluster of the current context
  kubectl certuser install --cert john.crt";

const ISSUED_EXAMPLES: &str = "Examples:
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

const APPLY_EXAMPLES: &str = "The team file:
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

#[derive(Debug, Args)]
pub struct RequestArgs {
    /// Your user name: the certificate's CN.
    #[arg(value_name = "USER")]
    pub user: String,
    /// A group (the certificate's O). Repeat for several.
    #[arg(short, long = "group", value_name = "GROUP")]
    pub groups: Vec<String>,
    /// Key algorithm: rsa-2048, rsa-3072, rsa-4096, ecdsa-p256, ecdsa-p384 or ed25519.
    #[arg(long, value_name = "TYPE", default_value_t = KeyType::default())]
    pub key_type: KeyType,
    /// Write the CSR (PEM) to FILE instead of stdout.
    #[arg(short, long, value_name = "FILE")]
    pub file: Option<PathBuf>,
    /// Keep the key (and later the certificate) in DIR instead of the kubeconfig's folder.
    #[arg(long, value_name = "DIR")]
    pub cert_dir: Option<PathBuf>,
    /// Replace a pending request (and its key) for the same user, or an existing --file.
    #[arg(long)]
    pub force: bool,
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
    /// Certificate lifetime in days.
    #[arg(
        long,
        value_name = "N",
        conflicts_with = "duration",
        default_value_t = 365
    )]
    pub days: u32,
    /// Certificate lifetime as a duration instead of days, e.g. 12h, 30d.
    #[arg(long, value_name = "DURATION")]
    pub duration: Option<Validity>,
    /// Allow a user name starting with `system:` (names Kubernetes reserves for its components).
    #[arg(long)]
    pub allow_system_user: bool,
    /// Allow the group system:masters, which bypasses RBAC and cannot be revoked.
    #[arg(long)]
    pub allow_system_masters: bool,
    /// Allow a group that carries rights by its name alone (kubeadm:cluster-admins, system:nodes,
    /// any other system: group), as `add --allow-privileged-group`.
    #[arg(long)]
    pub allow_privileged_group: bool,
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

const DOCTOR_EXAMPLES: &str = "Examples:
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

const CHECK_EXPIRATION_EXAMPLES: &str = "Examples:
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

#[derive(Debug, Args)]
pub struct AddArgs {
    /// The user name(s): the certificate's CN and the kubeconfig user name.
    #[arg(required = true, value_name = "USER")]
    pub users: Vec<String>,
    /// A group (the certificate's O). Repeat for several.
    #[arg(short, long = "group", value_name = "GROUP")]
    pub groups: Vec<String>,
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
    /// Key algorithm: RSA as kubeadm makes them; ECDSA and Ed25519 keys are made far faster.
    #[arg(long, value_name = "TYPE", default_value_t = KeyType::default(), value_parser = key_types())]
    pub key_type: KeyType,
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
    pub ca: CaArgs,
    #[command(flatten)]
    pub csr: CsrArgs,
    #[command(flatten)]
    pub rbac: RbacArgs,
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
