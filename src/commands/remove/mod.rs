//! `remove USER...`: the kubeconfig user and every context that uses it. A client certificate
//! cannot be revoked, so we say what still works and how to take the rights away.

use crate::cli::RemoveArgs;
use crate::error::{Outcome, hinted};
use crate::kubeconfig::{Kubeconfigs, Section};

mod rbac;

use super::{Ctx, list};
use crate::kubeconfig::credentials;

pub fn run(ctx: &Ctx, args: &RemoveArgs) -> anyhow::Result<Outcome> {
    let before = if args.dry_run {
        Kubeconfigs::load(&ctx.sources)?
    } else {
        Kubeconfigs::load_locked(&ctx.sources)?
    };
    refuse_unknown(&before, &args.users)?;
    let now = jiff::Timestamp::now();
    let listed = list::collect(&before, now);
    if !args.force {
        refuse_foreign(&before, &listed, &args.users)?;
    }
    let current = before.current_context().map(str::to_string);
    // Read the cluster before changing anything: a cluster we cannot read refuses the command.
    let rt = super::runtime()?;
    let rbac = args
        .rbac
        .then(|| rbac::plan(ctx, &rt, &before, &listed, &args.users))
        .transpose()?;

    let apply = |kcs: &mut Kubeconfigs| -> anyhow::Result<Vec<String>> {
        let mut contexts = Vec::new();
        for user in &args.users {
            for context in kcs.contexts_using(user) {
                kcs.remove(Section::Contexts, &context);
                contexts.push(context);
            }
            kcs.remove(Section::Users, user);
        }
        Ok(contexts)
    };

    if args.dry_run {
        let (_, changes) = Kubeconfigs::plan(&ctx.sources, apply)?;
        print!("{}", crate::output::diff::render_changes(&changes));
        if let Some(plan) = &rbac {
            for binding in plan.removable() {
                println!("would delete {}", rbac::describe(binding));
            }
            plan.report_left_alone(ctx);
        }
        return Ok(Outcome::Ok);
    }
    let contexts = Kubeconfigs::edit(&ctx.sources, apply)?;
    if let Some(plan) = &rbac {
        plan.apply(ctx, &rt)?;
    }
    // What was done first, then what it leaves behind: the ✓ lines must not hide under warnings.
    for user in &args.users {
        ctx.out.done(format!("removed user {user}"));
    }
    for context in &contexts {
        ctx.out.done(format!("removed context {context}"));
    }
    if let Some(plan) = &rbac {
        plan.report_left_alone(ctx);
    }
    warn_what_still_works(ctx, args, &listed, now);
    if contexts
        .iter()
        .any(|c| current.as_deref() == Some(c.as_str()))
    {
        ctx.out.warn(
            "this removed your current context; choose another with `kubectl config use-context`",
        );
    }
    let report = result_report(args, &listed, &contexts, rbac.as_ref())?;
    ctx.out.result(
        &report,
        || args.users.iter().map(|u| format!("user/{u}")).collect(),
        String::new,
    )?;
    Ok(Outcome::Ok)
}

/// A removed user's certificate still works until it expires (it cannot be revoked), and its
/// files stay where they are: say so, with the way to take the access away.
fn warn_what_still_works(
    ctx: &Ctx,
    args: &RemoveArgs,
    listed: &[list::ListedUser],
    now: jiff::Timestamp,
) {
    for user in &args.users {
        if let Some(entry) = listed.iter().find(|l| &l.name == user) {
            if let Some(not_after) = entry.not_after {
                let rest = if args.rbac {
                    "Its bindings made by this tool are deleted; check the ones left alone"
                        .to_string()
                } else {
                    format!(
                        "Remove {user}'s RoleBindings and ClusterRoleBindings to take the access away (`remove --rbac` deletes the ones this tool made)"
                    )
                };
                ctx.out.warn(format!(
                    "{user}'s certificate stays valid until {} ({} from now) wherever a copy exists: certificates cannot be revoked. {rest}",
                    not_after.strftime("%Y-%m-%d %H:%M UTC"),
                    crate::output::human_duration(not_after.as_second() - now.as_second()),
                ));
            }
            if let credentials::Storage::File(path) = &entry.storage {
                ctx.out.hint(format!(
                    "its certificate and key files were left in place: {}",
                    path.parent()
                        .map(|p| p.display().to_string())
                        .unwrap_or_default()
                ));
            }
        }
    }
}

/// The `-o json|yaml` report (a stable contract).
fn result_report(
    args: &RemoveArgs,
    listed: &[list::ListedUser],
    contexts: &[String],
    rbac: Option<&rbac::Plan>,
) -> anyhow::Result<serde_json::Value> {
    let still_valid: Vec<_> = listed
        .iter()
        .filter(|l| args.users.contains(&l.name))
        .filter_map(|l| Some(serde_json::json!({ "user": l.name, "notAfter": l.not_after?, "residualSeconds": l.residual_seconds? })))
        .collect();
    let mut report = serde_json::json!({ "removedUsers": args.users, "removedContexts": contexts, "stillValid": still_valid });
    if let Some(plan) = rbac {
        report["deletedBindings"] = serde_json::to_value(plan.removable().collect::<Vec<_>>())?;
        report["leftAloneBindings"] = serde_json::to_value(plan.left_alone().collect::<Vec<_>>())?;
    }
    Ok(report)
}

/// Every user named must be in the kubeconfig: nothing is removed otherwise.
fn refuse_unknown(kcs: &Kubeconfigs, users: &[String]) -> anyhow::Result<()> {
    for user in users {
        if kcs.get(Section::Users, user).is_none() {
            return Err(hinted(
                format!("user {user:?} not found in {}", kcs.file_list()),
                "`kubectl certuser list` shows the certificate users",
            ));
        }
    }
    Ok(())
}

/// A user this tool did not make is someone's working access: removing it needs `--force`.
fn refuse_foreign(
    kcs: &Kubeconfigs,
    listed: &[list::ListedUser],
    users: &[String],
) -> anyhow::Result<()> {
    for user in users {
        let file = kcs
            .get(Section::Users, user)
            .map(|e| e.file.display().to_string())
            .unwrap_or_default();
        match listed.iter().find(|l| &l.name == user) {
            None => {
                return Err(hinted(
                    format!(
                        "user {user:?} in {file} has no client certificate (token, exec or other credentials): kubectl-certuser did not make it"
                    ),
                    "pass --force to remove it anyway",
                ));
            }
            Some(l) if l.groups.iter().any(|g| g == "system:masters") => {
                return Err(hinted(
                    format!(
                        "user {user:?} in {file} is a system:masters administrator, which kubectl-certuser does not make"
                    ),
                    "pass --force to remove it anyway; keep another way in to the cluster first",
                ));
            }
            Some(_) => {}
        }
    }
    Ok(())
}
