//! `add USER...`: key, CSR, certificate (local CA or the cluster's CSR API), kubeconfig user and
//! `USER@CLUSTER` context in one locked write, optional role binding, then an access check as the
//! new user.
//!
//! Order matters for "nothing lost": everything that can be refused (names, flags, kubeconfig
//! conflicts, the CA) is checked before a key is made or an API object created, and the
//! kubeconfig is only written once every certificate is in hand.

use std::path::PathBuf;
use std::time::Duration;

use serde::Serialize;

use crate::cli::AddArgs;
use crate::cluster;
use crate::error::{Outcome, hinted};
use crate::kubeconfig::Kubeconfigs;
use crate::ledger::Record;
use crate::pki::{self, CertInfo, KeyType, PrivateKey, SecretPem, Subject};
use crate::shell::quote;

pub(super) mod dry_run;
pub(super) mod entries;
pub(super) mod keys;
pub(super) mod replace;
pub(super) mod role_binding;
pub(super) mod signer;

use super::Ctx;
use crate::kubeconfig::{self, credentials};
use crate::pki::names;
use crate::workflow::access_check::{self, AccessReport};
use crate::workflow::{ledger_hooks, target};
use entries::{absolute, check_cert_dir, check_conflicts, write_kubeconfig};
use replace::plan_users;
use signer::{Signed, Signer};

/// One new user, as reported (`-o json|yaml`). Field names are a stable contract.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AddedUser {
    pub name: String,
    pub context: String,
    pub cluster: String,
    pub namespace: Option<String>,
    pub groups: Vec<String>,
    pub kubeconfig: PathBuf,
    pub credentials: credentials::Storage,
    pub signed_by: &'static str,
    pub csr_name: Option<String>,
    pub certificate: CertInfo,
    pub binding: Option<cluster::EnsuredBinding>,
    pub access: Option<AccessReport>,
}

/// A user whose certificate is issued but not yet written anywhere.
pub(super) struct IssuedUser {
    user: String,
    key: SecretPem,
    signed: Signed,
    info: CertInfo,
}

pub fn run(ctx: &Ctx, args: &AddArgs) -> anyhow::Result<Outcome> {
    let groups = check_input(ctx, args)?;
    let validity = checked_lifetime(ctx, args)?;
    let plan = plan(ctx, args, &groups)?;
    let rt = super::runtime()?;
    let signer = Signer::choose(ctx, &args.ca, &args.csr, &rt)?;
    let binder = role_binding::preflight(ctx, &args.rbac, &args.users, &rt, &signer)?;
    if args.dry_run {
        return dry_run::run(
            ctx,
            args,
            &plan.cluster,
            plan.cert_dir.as_deref(),
            &plan.groups_of(),
            &signer,
            validity,
        );
    }

    let ledger = ledger_hooks::open(ctx)?;
    let issued = issue_all(ctx, args, &signer, &rt, &plan.groups_of(), validity)?;
    let Plan {
        kcs,
        cluster,
        cert_dir,
        users,
    } = plan;
    let written = write_kubeconfig(ctx, kcs, args, &cluster, cert_dir.as_deref(), &issued)?;
    let mut report = report_written(ctx, &signer, &cluster, &issued, written, users);
    ledger_hooks::save(ctx, ledger.as_ref(), ledger_records(&report));
    let names: Vec<String> = report.iter().map(|u| u.name.clone()).collect();
    let made = role_binding::bind(ctx, &args.rbac, &rt, binder.as_ref(), &names)?;
    for (entry, binding) in report.iter_mut().zip(made) {
        entry.binding = Some(binding);
    }
    if !args.no_check {
        check_access(ctx, args, &rt, &cluster, &issued, &mut report);
    }
    print_report(ctx, args, &report)?;
    Ok(Outcome::Ok)
}

/// What the command will do, decided from the kubeconfig before any key exists.
struct Plan {
    /// Read under the lock (unlocked for a dry run); the write reuses this parse.
    kcs: Kubeconfigs,
    cluster: String,
    cert_dir: Option<PathBuf>,
    /// Per user: its groups and the namespace of its context.
    users: Vec<(Vec<String>, Option<String>)>,
}

impl Plan {
    fn groups_of(&self) -> Vec<Vec<String>> {
        self.users.iter().map(|(g, _)| g.clone()).collect()
    }
}

/// The certificate lifetime asked for, refused or warned about by our policy for a local CA. The
/// CSR API has its own minimum (600 s) that no flag lifts.
fn checked_lifetime(ctx: &Ctx, args: &AddArgs) -> anyhow::Result<Duration> {
    let validity = signer::lifetime(args.lifetime.days, args.lifetime.duration)?;
    let local_ca = args.ca.ca_cert.is_some() || args.ca.kubeadm;
    if local_ca && let Some(warning) = pki::check_lifetime(validity, args.allow_short_lifetime)? {
        ctx.out.warn(warning);
    }
    Ok(validity)
}

/// The target cluster, the cert folder, and per user what is replaced or created: every refusal
/// that needs the kubeconfig, before a key is made.
fn plan(ctx: &Ctx, args: &AddArgs, groups: &[String]) -> anyhow::Result<Plan> {
    // A real run reads under the lock, so it never sees a file kubectl is rewriting; a dry run
    // writes nothing and does not wait for anyone's lock.
    let kcs = if args.dry_run {
        Kubeconfigs::load(&ctx.sources)?
    } else {
        Kubeconfigs::load_locked(&ctx.sources)?
    };
    let cluster = target::cluster_name(ctx, &kcs)?;
    let cert_dir = args.cert_dir.as_deref().map(absolute).transpose()?;
    if let Some(dir) = &cert_dir {
        check_cert_dir(dir)?;
    }
    check_conflicts(&kcs, args, &cluster, cert_dir.as_deref())?;
    let users = plan_users(ctx, args, &kcs, &cluster, groups, group_policy(args))?;
    Ok(Plan {
        kcs,
        cluster,
        cert_dir,
        users,
    })
}

/// Every user's key and CSR (across the cores), then each certificate from the signer.
fn issue_all(
    ctx: &Ctx,
    args: &AddArgs,
    signer: &Signer,
    rt: &tokio::runtime::Runtime,
    groups_of: &[Vec<String>],
    validity: Duration,
) -> anyhow::Result<Vec<IssuedUser>> {
    if let Signer::Local(ca) = signer {
        return issue_all_locally(ctx, ca, &args.users, groups_of, args.key.key_type, validity);
    }
    let requests = make_keys(ctx, &args.users, groups_of, args.key.key_type)?;
    let mut issued = Vec::new();
    for (i, (user, (key, csr_pem))) in args.users.iter().zip(requests).enumerate() {
        if args.users.len() > 1 {
            ctx.out
                .progress(format!("[{}/{}] {user}", i + 1, args.users.len()));
        }
        issued.push(issue(ctx, signer, rt, user, (key, csr_pem), validity)?);
    }
    Ok(issued)
}

/// With a local CA each user's whole issue (key, CSR, signature, read-back) is CPU work that
/// needs nothing from another user's: one job per user across the cores, the CA shared read-only.
fn issue_all_locally(
    ctx: &Ctx,
    ca: &pki::CertificateAuthority,
    users: &[String],
    groups_of: &[Vec<String>],
    kind: KeyType,
    validity: Duration,
) -> anyhow::Result<Vec<IssuedUser>> {
    let _spinner = rsa_4096_spinner(ctx, users, kind);
    let issued = keys::in_parallel(users.len(), keys::cores(), |i| {
        let (key, csr_pem) = key_and_csr(&users[i], &groups_of[i], kind)?;
        let (signed, info, warning) = signer::issue_locally(ca, &csr_pem, validity)?;
        let one = IssuedUser {
            user: users[i].clone(),
            key: key.to_pem()?,
            signed,
            info,
        };
        Ok((one, warning))
    })?;
    Ok(issued
        .into_iter()
        .map(|(one, warning)| {
            if let Some(warning) = warning {
                ctx.out.warn(warning);
            }
            one
        })
        .collect())
}

/// The report of each user now in the kubeconfig, each announced on stderr as it is.
fn report_written(
    ctx: &Ctx,
    signer: &Signer,
    cluster: &str,
    issued: &[IssuedUser],
    written: Vec<(PathBuf, credentials::Storage)>,
    users: Vec<(Vec<String>, Option<String>)>,
) -> Vec<AddedUser> {
    let mut report = Vec::new();
    for ((one, (file, storage)), (groups, namespace)) in issued.iter().zip(written).zip(users) {
        let context = kubeconfig::user_context(&one.user, cluster);
        ctx.out.done(format!(
            "{}: certificate from {} valid until {} ({}), context {context} in {}",
            one.user,
            one.info.issuer,
            one.info.not_after.strftime("%Y-%m-%d %H:%M UTC"),
            crate::output::human_duration(
                one.info.not_after.as_second() - jiff::Timestamp::now().as_second()
            ),
            file.display(),
        ));
        report.push(AddedUser {
            name: one.user.clone(),
            context,
            cluster: cluster.to_string(),
            namespace,
            groups,
            kubeconfig: file,
            credentials: storage,
            signed_by: signer.label(),
            csr_name: one.signed.csr_name.clone(),
            certificate: one.info.clone(),
            binding: None,
            access: None,
        });
    }
    report
}

/// Sign in as each new user and ask what it may do; the answers go into the report.
fn check_access(
    ctx: &Ctx,
    args: &AddArgs,
    rt: &tokio::runtime::Runtime,
    cluster: &str,
    issued: &[IssuedUser],
    report: &mut [AddedUser],
) {
    let users: Vec<_> = issued
        .iter()
        .map(|one| access_check::NewUser {
            name: &one.user,
            cert_pem: &one.signed.certificate_pem,
            key_pem: one.key.as_bytes(),
            namespace: None,
        })
        .collect();
    let reports = access_check::check_new_users(ctx, rt, cluster, &users, &args.checks);
    for (entry, access) in report.iter_mut().zip(reports) {
        entry.access = access;
    }
}

/// Names, groups and flag combinations, before anything is touched. Returns the groups.
fn check_input(ctx: &Ctx, args: &AddArgs) -> anyhow::Result<Vec<String>> {
    let mut seen = std::collections::BTreeSet::new();
    for user in &args.users {
        names::check_user(user, args.policy.allow_system_user)?;
        if !seen.insert(user.as_str()) {
            return Err(hinted(
                format!("user {user:?} is named twice"),
                "name each user once",
            ));
        }
    }
    let mut groups: Vec<String> = Vec::new();
    for group in &args.groups {
        if let Some(warning) = names::check_group(group, group_policy(args))? {
            ctx.out.warn(warning);
        }
        if !groups.contains(group) {
            groups.push(group.clone());
        }
    }
    if args.use_context && args.users.len() != 1 {
        return Err(hinted(
            "--use needs exactly one USER",
            "add the users, then `kubectl config use-context USER@CLUSTER`",
        ));
    }
    if args.rbac.role.is_some() && ctx.global.namespace.is_none() {
        return Err(hinted(
            "--role binds a Role in a namespace, and no namespace was given",
            "pass -n NAMESPACE",
        ));
    }
    for check in &args.checks {
        check.parse::<cluster::Check>().map_err(|e| hinted(format!("invalid --check {check:?}: {e}"), "write VERB:RESOURCE[.GROUP][/SUBRESOURCE], e.g. list:pods or create:deployments.apps"))?;
    }
    Ok(groups)
}

fn group_policy(args: &AddArgs) -> names::GroupPolicy {
    names::GroupPolicy {
        allow_system_masters: args.policy.allow_system_masters,
        allow_privileged: args.policy.allow_privileged_group,
    }
}

/// Every user's key and CSR, across the cores (RSA keys are slow; users do not wait on each other).
fn make_keys(
    ctx: &Ctx,
    users: &[String],
    groups_of: &[Vec<String>],
    kind: KeyType,
) -> anyhow::Result<Vec<(PrivateKey, Vec<u8>)>> {
    let _spinner = rsa_4096_spinner(ctx, users, kind);
    keys::in_parallel(users.len(), keys::cores(), |i| {
        key_and_csr(&users[i], &groups_of[i], kind)
    })
}

/// RSA 4096 takes seconds: show that something is happening.
fn rsa_4096_spinner(ctx: &Ctx, users: &[String], kind: KeyType) -> Option<crate::output::Spinner> {
    if !matches!(kind, KeyType::Rsa4096) {
        return None;
    }
    ctx.out.spinner(match users {
        [one] => format!("generating an RSA 4096 key for {one}..."),
        _ => format!("generating {} RSA 4096 keys...", users.len()),
    })
}

/// One user's new key and the PEM CSR it signs.
fn key_and_csr(
    user: &str,
    groups: &[String],
    kind: KeyType,
) -> anyhow::Result<(PrivateKey, Vec<u8>)> {
    let key = PrivateKey::generate(kind)?;
    let subject = Subject {
        common_name: user.to_string(),
        organizations: groups.to_vec(),
    };
    let csr_pem = pki::build_csr(&key, &subject)?;
    Ok((key, csr_pem))
}

/// Sign one user's CSR (made by `make_keys`) and keep the key for the kubeconfig write.
fn issue(
    ctx: &Ctx,
    signer: &Signer,
    rt: &tokio::runtime::Runtime,
    user: &str,
    (key, csr_pem): (PrivateKey, Vec<u8>),
    validity: Duration,
) -> anyhow::Result<IssuedUser> {
    let (signed, info) = signer.issue_csr(ctx, rt, &csr_pem, validity)?;
    Ok(IssuedUser {
        user: user.to_string(),
        key: key.to_pem()?,
        signed,
        info,
    })
}

fn print_report(ctx: &Ctx, args: &AddArgs, report: &[AddedUser]) -> anyhow::Result<()> {
    ctx.out.result(
        &serde_json::json!({ "users": report }),
        || report.iter().map(|u| format!("user/{}", u.name)).collect(),
        || {
            let mut text = String::new();
            for user in report {
                if let Some(access) = &user.access {
                    for line in &access.verdict.lines {
                        text.push_str(line);
                        text.push('\n');
                    }
                }
            }
            text
        },
    )?;
    // Unchecked and unbound (typical with a local CA): say what RBAC is still missing. Not that
    // the user can sign in: no server has confirmed that.
    for user in report
        .iter()
        .filter(|u| u.access.is_none() && u.binding.is_none())
    {
        let ns = quote(user.namespace.as_deref().unwrap_or("default"));
        ctx.out.hint(format!(
            "{} has no role from this command; grant one with `kubectl create rolebinding {} --clusterrole edit --user {} -n {ns}` (or --role/--clusterrole on add)",
            user.name,
            quote(&format!("{}-edit", user.name)),
            quote(&user.name)
        ));
    }
    if let Some(first) = report.first()
        && !args.use_context
        && !ctx.out.machine()
    {
        ctx.out.hint(format!(
            "switch with `kubectl config use-context {}`, or pass --use",
            quote(&first.context)
        ));
    }
    Ok(())
}

/// The ledger's lines for `add`'s users, each in its kubeconfig.
fn ledger_records(report: &[AddedUser]) -> Vec<Record> {
    report
        .iter()
        .map(|u| {
            ledger_hooks::issued(
                "add",
                &u.certificate,
                Some(u.cluster.clone()),
                u.signed_by,
                u.csr_name.clone(),
            )
            .to(ledger_hooks::in_kubeconfig(&u.kubeconfig, &u.name))
        })
        .collect()
}
