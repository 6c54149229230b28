//! `add USER...`: key, CSR, certificate (local CA or the cluster's CSR API), kubeconfig user and
//! `USER@CLUSTER` context in one locked write, optional role binding, then an access check as the
//! new user.
//!
//! Order matters for "nothing lost": everything that can be refused (names, flags, kubeconfig
//! conflicts, the CA) is checked before a key is made or an API object created, and the
//! kubeconfig is only written once every certificate is in hand.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context as _;
use serde::Serialize;

use crate::cli::AddArgs;
use crate::cluster::{self, RoleRef};
use crate::error::{Outcome, hinted};
use crate::kubeconfig::Kubeconfigs;
use crate::pki::{self, CertInfo, KeyType, PrivateKey, SecretPem, Subject};

mod dry_run;
mod entries;
mod keys;
mod signer;

use super::access::{self, AccessReport};
use super::{Ctx, credentials, names, target};
use entries::{absolute, check_conflicts, write_kubeconfig};
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
    pub binding: Option<Binding>,
    pub access: Option<AccessReport>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Binding {
    pub kind: &'static str,
    pub name: String,
    pub namespace: Option<String>,
    pub created: bool,
}

/// A user whose certificate is issued but not yet written anywhere.
pub(super) struct Issued {
    user: String,
    key: SecretPem,
    signed: Signed,
    info: CertInfo,
}

pub fn run(ctx: &Ctx, args: &AddArgs) -> anyhow::Result<Outcome> {
    let groups = check_input(ctx, args)?;
    let validity = match args.duration {
        Some(d) => d.0,
        None if args.days == 0 => {
            return Err(hinted(
                "--days 0 makes a certificate that is never valid",
                "use --days 1 or more, or --duration 12h",
            ));
        }
        None => Duration::from_secs(u64::from(args.days) * 86_400),
    };

    let kcs = Kubeconfigs::load(&ctx.sources)?;
    let cluster = target::cluster_name(ctx, &kcs)?;
    let cert_dir = args.cert_dir.as_deref().map(absolute).transpose()?;
    check_conflicts(&kcs, args, &cluster, cert_dir.as_deref())?;

    let rt = super::runtime()?;
    let signer = Signer::choose(ctx, args, &rt)?;
    let binder = preflight_bindings(ctx, args, &rt, &signer)?;
    if args.dry_run {
        return dry_run::run(ctx, args, &cluster, &groups, &signer, validity);
    }

    let requests = make_keys(ctx, &args.users, &groups, args.key_type)?;
    let mut issued = Vec::new();
    for (i, (user, (key, csr_pem))) in args.users.iter().zip(requests).enumerate() {
        if args.users.len() > 1 {
            ctx.out
                .progress(format!("[{}/{}] {user}", i + 1, args.users.len()));
        }
        issued.push(issue(
            ctx,
            &signer,
            &rt,
            user,
            &groups,
            (key, csr_pem),
            args.key_type,
            validity,
        )?);
    }

    let written = write_kubeconfig(ctx, kcs, args, &cluster, cert_dir.as_deref(), &issued)?;
    let mut report = Vec::new();
    for (one, (file, storage)) in issued.iter().zip(written) {
        report.push(AddedUser {
            name: one.user.clone(),
            context: target::user_context(&one.user, &cluster),
            cluster: cluster.clone(),
            namespace: ctx.global.namespace.clone(),
            groups: groups.clone(),
            kubeconfig: file,
            credentials: storage,
            signed_by: signer.label(),
            csr_name: one.signed.csr_name.clone(),
            certificate: one.info.clone(),
            binding: None,
            access: None,
        });
        ctx.out.done(format!(
            "{}: certificate from {} valid until {} ({}), context {} in {}",
            one.user,
            one.info.issuer,
            one.info.not_after.strftime("%Y-%m-%d %H:%M UTC"),
            crate::units::human(
                one.info.not_after.as_second() - jiff::Timestamp::now().as_second()
            ),
            target::user_context(&one.user, &cluster),
            report
                .last()
                .map(|r| r.kubeconfig.display().to_string())
                .unwrap_or_default(),
        ));
    }

    bind_roles(ctx, args, &rt, binder.as_ref(), &mut report)?;
    if !args.no_check {
        let users: Vec<_> = issued
            .iter()
            .map(|one| access::NewUser {
                name: &one.user,
                cert_pem: &one.signed.certificate_pem,
                key_pem: one.key.as_bytes(),
            })
            .collect();
        let reports = access::check_new_users(ctx, &rt, &cluster, &users, &args.checks);
        for (entry, access) in report.iter_mut().zip(reports) {
            entry.access = access;
        }
    }
    print_report(ctx, args, &report)?;
    Ok(Outcome::Ok)
}

/// Names, groups and flag combinations, before anything is touched. Returns the groups.
fn check_input(ctx: &Ctx, args: &AddArgs) -> anyhow::Result<Vec<String>> {
    let mut seen = std::collections::BTreeSet::new();
    for user in &args.users {
        names::check_user(user, args.allow_system_user)?;
        if !seen.insert(user.as_str()) {
            return Err(hinted(
                format!("user {user:?} is named twice"),
                "name each user once",
            ));
        }
    }
    let mut groups: Vec<String> = Vec::new();
    for group in &args.groups {
        if let Some(warning) = names::check_group(group, args.allow_system_masters)? {
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

/// Every user's key and CSR, across the cores (RSA keys are slow; users do not wait on each other).
fn make_keys(
    ctx: &Ctx,
    users: &[String],
    groups: &[String],
    kind: KeyType,
) -> anyhow::Result<Vec<(PrivateKey, Vec<u8>)>> {
    // RSA 4096 takes seconds: show that something is happening.
    let _spinner = matches!(kind, KeyType::Rsa4096).then(|| {
        ctx.out.spinner(match users {
            [one] => format!("generating an RSA 4096 key for {one}..."),
            _ => format!("generating {} RSA 4096 keys...", users.len()),
        })
    });
    keys::in_parallel(users.len(), keys::cores(), |i| {
        let key = PrivateKey::generate(kind)?;
        let subject = Subject {
            common_name: users[i].clone(),
            organizations: groups.to_vec(),
        };
        let csr_pem = pki::build_csr(&key, &subject)?;
        Ok((key, csr_pem))
    })
}

#[allow(clippy::too_many_arguments)]
fn issue(
    ctx: &Ctx,
    signer: &Signer,
    rt: &tokio::runtime::Runtime,
    user: &str,
    groups: &[String],
    (key, csr_pem): (PrivateKey, Vec<u8>),
    kind: KeyType,
    validity: Duration,
) -> anyhow::Result<Issued> {
    let signed = signer.sign(
        ctx,
        rt,
        user,
        groups,
        &key,
        &csr_pem,
        kind.is_rsa(),
        validity,
    )?;
    let cert = pki::parse_certificate_pem(&signed.certificate_pem, "the issued certificate")?;
    let info = pki::inspect_certificate(&cert)?;
    Ok(Issued {
        user: user.to_string(),
        key: key.to_pem()?,
        signed,
        info,
    })
}

fn role_ref(args: &AddArgs) -> Option<RoleRef> {
    match (&args.rbac.role, &args.rbac.clusterrole) {
        (Some(role), _) => Some(RoleRef::Role(role.clone())),
        (None, Some(role)) => Some(RoleRef::ClusterRole(role.clone())),
        (None, None) => None,
    }
}

/// The role to bind and where: a namespace, or None for cluster-wide.
fn binding_plan(ctx: &Ctx, args: &AddArgs) -> Option<(RoleRef, Option<String>)> {
    let role = role_ref(args)?;
    let namespace = (!args.rbac.cluster_wide).then(|| {
        ctx.global
            .namespace
            .clone()
            .unwrap_or_else(|| "default".into())
    });
    Some((role, namespace))
}

/// Before anything is signed or written: a binding we could not create (someone else's under our
/// name, or no permission to read bindings) refuses the whole command. Returns the client to bind with.
fn preflight_bindings(
    ctx: &Ctx,
    args: &AddArgs,
    rt: &tokio::runtime::Runtime,
    signer: &Signer,
) -> anyhow::Result<Option<cluster::ApiClient>> {
    let Some((role, namespace)) = binding_plan(ctx, args) else {
        return Ok(None);
    };
    // The signer's client when it has one: building a client costs a kubeconfig parse and a TLS
    // setup, and a second one a second connection.
    let client = match signer {
        Signer::Cluster { client, .. } => client.clone(),
        Signer::Local(_) => rt.block_on(signer::admin_client(ctx))?,
    };
    let resource = if namespace.is_some() {
        "rolebindings"
    } else {
        "clusterrolebindings"
    };
    let create: cluster::Check = format!("create:{resource}.rbac.authorization.k8s.io")
        .parse()
        .expect("a valid check");
    let may = rt.block_on(cluster::can_i(&client, namespace.as_deref(), &[create]))?;
    if !may.iter().all(|r| r.allowed) {
        return Err(hinted(
            format!(
                "you may not create {resource}{}: nothing was changed",
                namespace
                    .as_deref()
                    .map(|n| format!(" in {n}"))
                    .unwrap_or_default()
            ),
            format!(
                "ask for create on {resource}.rbac.authorization.k8s.io, or add the user without --role/--clusterrole"
            ),
        ));
    }
    for user in &args.users {
        rt.block_on(cluster::check_bind(
            &client,
            user,
            &role,
            namespace.as_deref(),
        ))?;
    }
    Ok(Some(client))
}

fn bind_roles(
    ctx: &Ctx,
    args: &AddArgs,
    rt: &tokio::runtime::Runtime,
    client: Option<&cluster::ApiClient>,
    report: &mut [AddedUser],
) -> anyhow::Result<()> {
    let (Some((role, namespace)), Some(client)) = (binding_plan(ctx, args), client) else {
        return Ok(());
    };
    for entry in report.iter_mut() {
        let outcome = rt
            .block_on(cluster::bind(
                client,
                &entry.name,
                &role,
                namespace.as_deref(),
            ))
            .with_context(|| {
                format!(
                    "{} is in kubeconfig with a valid certificate, but binding the role failed",
                    entry.name
                )
            })?;
        let place = outcome
            .namespace
            .as_deref()
            .map(|ns| format!(" in {ns}"))
            .unwrap_or_default();
        let what = if outcome.created {
            "created"
        } else {
            "already in place"
        };
        ctx.out
            .done(format!("{} {} {what}{place}", outcome.kind, outcome.name));
        entry.binding = Some(Binding {
            kind: outcome.kind,
            name: outcome.name,
            namespace: outcome.namespace,
            created: outcome.created,
        });
    }
    Ok(())
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
    // Unchecked and unbound (typical with a local CA): say what RBAC is still missing.
    for user in report
        .iter()
        .filter(|u| u.access.is_none() && u.binding.is_none())
    {
        let ns = user.namespace.as_deref().unwrap_or("default");
        ctx.out.hint(format!(
            "{} can sign in but has no role from this command; grant one with `kubectl create rolebinding {}-edit --clusterrole edit --user {} -n {ns}` (or --role/--clusterrole on add)",
            user.name, user.name, user.name
        ));
    }
    if let Some(first) = report.first()
        && !args.use_context
        && !ctx.out.machine()
    {
        ctx.out.hint(format!(
            "switch with `kubectl config use-context {}`, or pass --use",
            first.context
        ));
    }
    Ok(())
}
