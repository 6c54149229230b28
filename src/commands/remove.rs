//! `remove USER...`: the kubeconfig user and every context that uses it. A client certificate
//! cannot be revoked, so we say what still works and how to take the rights away.

use crate::cli::RemoveArgs;
use crate::error::{Outcome, hinted};
use crate::kubeconfig::{Kubeconfigs, Section};

use super::{Ctx, credentials, list};

pub fn run(ctx: &Ctx, args: &RemoveArgs) -> anyhow::Result<Outcome> {
    let before = if args.dry_run {
        Kubeconfigs::load(&ctx.sources)?
    } else {
        Kubeconfigs::load_locked(&ctx.sources)?
    };
    for user in &args.users {
        if before.get(Section::Users, user).is_none() {
            return Err(hinted(
                format!(
                    "user {user:?} not found in {}",
                    super::target::file_list(&before)
                ),
                "`kubectl certuser list` shows the certificate users",
            ));
        }
    }
    let listed = list::collect(&before, jiff::Timestamp::now());
    let current = before.current_context().map(str::to_string);

    let apply = |kcs: &mut Kubeconfigs| -> anyhow::Result<Vec<String>> {
        let mut contexts = Vec::new();
        for user in &args.users {
            for context in kcs.names(Section::Contexts) {
                let uses = kcs
                    .get(Section::Contexts, &context)
                    .and_then(|e| {
                        e.value
                            .get("user")
                            .and_then(|u| u.as_str())
                            .map(|u| u == user)
                    })
                    .unwrap_or(false);
                if uses {
                    kcs.remove(Section::Contexts, &context);
                    contexts.push(context);
                }
            }
            kcs.remove(Section::Users, user);
        }
        Ok(contexts)
    };

    if args.dry_run {
        let (_, changes) = Kubeconfigs::plan(&ctx.sources, apply)?;
        print!("{}", crate::diff::render_changes(&changes));
        return Ok(Outcome::Ok);
    }
    let contexts = Kubeconfigs::edit(&ctx.sources, apply)?;
    for user in &args.users {
        ctx.out.done(format!("removed user {user}"));
        if let Some(entry) = listed.iter().find(|l| &l.name == user) {
            if let Some(not_after) = entry.not_after {
                ctx.out.warn(format!(
                    "{user}'s certificate stays valid until {} wherever a copy exists: certificates cannot be revoked. Remove {user}'s RoleBindings and ClusterRoleBindings to take the access away",
                    not_after.strftime("%Y-%m-%d")
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
    for context in &contexts {
        ctx.out.done(format!("removed context {context}"));
        if current.as_deref() == Some(context.as_str()) {
            ctx.out.warn("this removed your current context; choose another with `kubectl config use-context`");
        }
    }
    ctx.out.result(
        &serde_json::json!({ "removedUsers": args.users, "removedContexts": contexts }),
        || args.users.iter().map(|u| format!("user/{u}")).collect(),
        String::new,
    )?;
    Ok(Outcome::Ok)
}
