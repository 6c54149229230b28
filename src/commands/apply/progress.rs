//! The ✓ lines of a run as each step ends, and the ledger records of what was issued and
//! exported; the filled-in `Done` of each user goes into the final report.

use std::path::{Path, PathBuf};

use crate::kubeconfig;
use crate::ledger::Record;
use crate::workflow::ledger_hooks;

use super::super::Ctx;
use super::carry_out::{self, Issued};
use super::index_of;
use super::plan::{Issue, Plan};
use super::report::Done;

/// Each issued user, now in the kubeconfig `files` (one per user of `issued`): a ✓ line, its
/// part of the report, and the ledger records to save.
pub fn written(
    ctx: &Ctx,
    plan: &Plan,
    cluster: &str,
    signed_by: &'static str,
    issued: &[Issued<'_>],
    files: &[PathBuf],
    done: &mut [Done],
) -> Vec<Record> {
    let mut records = Vec::new();
    for (one, file) in issued.iter().zip(files) {
        records.push(
            ledger_hooks::issued(
                "apply",
                &one.info,
                Some(cluster.to_owned()),
                signed_by,
                one.signed.csr_name.clone(),
            )
            .to(ledger_hooks::in_kubeconfig(file, &one.plan.name)),
        );
        let user = &mut done[index_of(plan, &one.plan.name)];
        user.certificate = Some(one.info.clone());
        user.signed_by = Some(signed_by);
        user.csr_name = one.signed.csr_name.clone();
        user.kubeconfig = Some(file.clone());
        let what = match one.plan.issue {
            Some(Issue::Create) => "created",
            Some(Issue::Reissue { .. }) => "re-issued",
            _ => "renewed",
        };
        ctx.out.done(format!(
            "{}: {what}, certificate from {} valid until {}, context {}",
            one.plan.name,
            one.info.issuer,
            one.info.not_after.strftime("%Y-%m-%d %H:%M UTC"),
            kubeconfig::user_context(&one.plan.name, cluster),
        ));
    }
    records
}

/// The ✓ lines of the kubeconfig changes that signed nothing: contexts, adoptions, prunes.
pub fn unsigned_changes(ctx: &Ctx, plan: &Plan, list: &str) {
    for user in plan.users.iter().filter(|u| u.issue.is_none()) {
        if let Some(change) = &user.context {
            ctx.out.done(format!(
                "context {}: namespace {}",
                change.name,
                change.namespace.as_deref().unwrap_or("(none)")
            ));
        }
    }
    for user in plan.users.iter().filter(|u| u.adopt && u.issue.is_none()) {
        ctx.out.done(format!(
            "{}: adopted, marked as managed by the team list {list:?}",
            user.name
        ));
    }
    for pruned in &plan.prune {
        ctx.out
            .done(format!("removed user {} and its contexts", pruned.name));
    }
}

/// Write each issued user's hand-over kubeconfig into `dir`: a ✓ line each, the file in its
/// part of the report, and the ledger records to save.
pub fn exported(
    ctx: &Ctx,
    dir: &Path,
    cluster: &str,
    plan: &Plan,
    issued: &[Issued<'_>],
    done: &mut [Done],
) -> anyhow::Result<Vec<Record>> {
    let mut records = Vec::new();
    for (one, (path, cert)) in issued
        .iter()
        .zip(carry_out::export_all(ctx, dir, cluster, issued)?)
    {
        records.extend(ledger_hooks::exported(&cert, cluster, &path));
        ctx.out.done(format!(
            "wrote {} (mode 0600) for {}",
            path.display(),
            one.plan.name
        ));
        done[index_of(plan, &one.plan.name)].export_file = Some(path);
    }
    Ok(records)
}

/// A pruned user's certificate outlives its entry: say so, since nothing can revoke it.
pub fn warn_pruned(ctx: &Ctx, plan: &Plan) {
    for user in &plan.prune {
        ctx.out.warn(format!(
            "{}'s certificate stays valid wherever a copy exists: certificates cannot be revoked (its bindings made by this tool are deleted)",
            user.name
        ));
    }
}
