//! What `add` reports: each user as written (stderr as it goes, stdout `-o json|yaml` at the
//! end), the access check's answers, the hints for what is still missing, the ledger's lines.

use std::path::PathBuf;

use serde::Serialize;

use super::IssuedUser;
use crate::cli::AddArgs;
use crate::cluster;
use crate::commands::Ctx;
use crate::kubeconfig::{self, credentials};
use crate::ledger::Record;
use crate::pki::CertInfo;
use crate::shell::quote;
use crate::workflow::access_check::{self, AccessReport, IdentitiesInMaking, NewUserAnswers};
use crate::workflow::ledger_hooks;

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

/// The report of each user now in the kubeconfig, each announced on stderr as it is.
pub(super) fn report_written(
    ctx: &Ctx,
    signed_by: &'static str,
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
            signed_by,
            csr_name: one.signed.csr_name.clone(),
            certificate: one.info.clone(),
            binding: None,
            access: None,
        });
    }
    report
}

/// Sign in as each new user and ask what it may do; nothing is printed yet (see
/// [`attach_access`]).
pub(super) fn ask_access(
    ctx: &Ctx,
    args: &AddArgs,
    rt: &tokio::runtime::Runtime,
    identities: IdentitiesInMaking,
    issued: &[IssuedUser],
) -> NewUserAnswers {
    let identities = identities.wait(rt);
    access_check::ask_new_users(ctx, rt, identities, &new_users(issued), &args.checks)
}

/// The answers into the report, with a warning for each user that could not be checked.
pub(super) fn attach_access(
    ctx: &Ctx,
    answers: NewUserAnswers,
    issued: &[IssuedUser],
    report: &mut [AddedUser],
) {
    let reports = answers.say(ctx, &new_users(issued));
    for (entry, access) in report.iter_mut().zip(reports) {
        entry.access = access;
    }
}

/// The new users as the access check takes them: certificate and key still only in memory.
fn new_users(issued: &[IssuedUser]) -> Vec<access_check::NewUser<'_>> {
    issued
        .iter()
        .map(|one| access_check::NewUser {
            name: &one.user,
            cert_pem: &one.signed.certificate_pem,
            key: one.private.pkey(),
            namespace: None,
        })
        .collect()
}

pub(super) fn print_report(ctx: &Ctx, args: &AddArgs, report: &[AddedUser]) -> anyhow::Result<()> {
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
pub(super) fn ledger_records(report: &[AddedUser]) -> Vec<Record> {
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
