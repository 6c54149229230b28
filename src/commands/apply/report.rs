//! How `apply` shows its plan and its result: one line per user and action, marked like a diff
//! (`+` new, `~` changed, `-` removed), a summary line, and `-o json|yaml` with stable camelCase
//! fields.

use std::path::PathBuf;

use serde::Serialize;

use crate::cluster::ListedBinding;
use crate::output::human_duration as human;
use crate::pki::CertInfo;

use super::plan::{Issue, Plan, Prune, UserPlan};
use crate::workflow::access_check::AccessReport;

/// What was done for a user beyond the plan: the certificate issued and where it went.
#[derive(Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Done {
    pub certificate: Option<CertInfo>,
    pub signed_by: Option<&'static str>,
    pub csr_name: Option<String>,
    pub kubeconfig: Option<PathBuf>,
    pub export_file: Option<PathBuf>,
    pub access: Option<AccessReport>,
}

/// One user of the file in `-o json|yaml`. Field names are a stable contract.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct UserReport<'a> {
    name: &'a str,
    /// `create`, `re-issue`, `renew`, `adopt`, `context`, `bind`, `unbind`, or `unchanged` alone.
    actions: Vec<&'static str>,
    groups: &'a [String],
    namespace: Option<&'a str>,
    groups_before: Option<&'a [String]>,
    not_after_before: Option<jiff::Timestamp>,
    context: Option<&'a super::plan::ContextChange>,
    bind: Option<&'a super::plan::NewBinding>,
    unbind: &'a [ListedBinding],
    #[serde(flatten)]
    done: Option<&'a Done>,
}

/// The whole plan (dry run) or result as data.
pub fn data(
    plan: &Plan,
    done: &[Done],
    dry_run: bool,
    cluster: &str,
    list: &str,
) -> serde_json::Value {
    let users: Vec<UserReport<'_>> = plan
        .users
        .iter()
        .enumerate()
        .map(|(i, u)| UserReport {
            name: &u.name,
            actions: actions(u),
            groups: &u.wanted.groups,
            namespace: u.wanted.namespace.as_deref(),
            groups_before: match &u.issue {
                Some(Issue::Reissue { groups_before }) => Some(groups_before),
                _ => None,
            },
            not_after_before: match &u.issue {
                Some(Issue::Renew { not_after }) => Some(*not_after),
                _ => None,
            },
            context: u.context.as_ref(),
            bind: u.bind.as_ref(),
            unbind: &u.unbind,
            done: done.get(i),
        })
        .collect();
    serde_json::json!({
        "dryRun": dry_run,
        "changed": !plan.unchanged(),
        "cluster": cluster,
        "list": list,
        "users": users,
        "pruned": plan.prune,
        "notListed": plan.not_listed,
        "kept": plan.kept,
        "summary": summary_counts(plan),
    })
}

pub fn actions(user: &UserPlan) -> Vec<&'static str> {
    let mut out = Vec::new();
    match &user.issue {
        Some(Issue::Create) => out.push("create"),
        Some(Issue::Reissue { .. }) => out.push("re-issue"),
        Some(Issue::Renew { .. }) => out.push("renew"),
        None => {}
    }
    if user.adopt {
        out.push("adopt");
    }
    // A new user's context and binding are part of its creation line.
    if user.context.is_some() && user.issue != Some(Issue::Create) {
        out.push("context");
    }
    if user.bind.is_some() {
        out.push("bind");
    }
    if !user.unbind.is_empty() && user.bind.is_none() {
        out.push("unbind");
    }
    if out.is_empty() {
        out.push("unchanged");
    }
    out
}

/// The plan as text, like `kubectl diff`: what each user gets, one line per action; after a run
/// (`done` given) the summary says what was done, and each new certificate's access verdict.
pub fn lines(plan: &Plan, now: jiff::Timestamp, done: Option<&[Done]>) -> String {
    let mut text = String::new();
    let width = plan
        .users
        .iter()
        .map(|u| u.name.len())
        .chain(plan.prune.iter().map(|p| p.name.len()))
        .max()
        .unwrap_or(0);
    let mut line = |mark: char, action: &str, name: &str, detail: String| {
        let row = format!("{mark} {action:<9} {name:<width$}  {detail}");
        text.push_str(row.trim_end());
        text.push('\n');
    };
    for user in &plan.users {
        for action in actions(user) {
            let (mark, detail) = action_detail(user, action, now);
            if user.issue == Some(Issue::Create) && action == "bind" {
                continue; // already on the create line
            }
            line(mark, action, &user.name, detail);
        }
    }
    for p in &plan.prune {
        line('-', "prune", &p.name, pruned(p));
    }
    text.push_str(&summary(plan, done.is_some()));
    for access in done
        .unwrap_or_default()
        .iter()
        .filter_map(|d| d.access.as_ref())
    {
        for verdict in &access.verdict.lines {
            text.push_str(verdict);
            text.push('\n');
        }
    }
    text
}

/// The mark and the words of one action's line.
fn action_detail(user: &UserPlan, action: &str, now: jiff::Timestamp) -> (char, String) {
    match action {
        "create" => ('+', created(user)),
        "re-issue" => {
            let before = match &user.issue {
                Some(Issue::Reissue { groups_before }) => groups(groups_before),
                _ => String::new(),
            };
            (
                '~',
                format!(
                    "groups {before} -> {} (a new certificate and key)",
                    groups(&user.wanted.groups)
                ),
            )
        }
        "renew" => ('~', renewed(user, now)),
        "context" => ('~', context_change(user)),
        "bind" => {
            let b = user.bind.as_ref().expect("a bind action has a binding");
            (
                '~',
                format!("{}{}", new_binding(b), replacing(&user.unbind)),
            )
        }
        "unbind" => ('~', format!("delete {}", listed(&user.unbind))),
        "adopt" => (
            '~',
            "made outside apply: marked as this list's (its certificate kept)".to_string(),
        ),
        _ => (' ', String::new()),
    }
}

/// A new user's groups, key and lifetime, with its context and binding.
fn created(user: &UserPlan) -> String {
    let w = &user.wanted;
    let mut parts = vec![format!(
        "groups {}, {} key, {}",
        groups(&w.groups),
        w.key_type,
        human(w.lifetime.as_secs() as i64)
    )];
    if let Some(c) = &user.context {
        parts.push(format!(
            "context {}{}",
            c.name,
            in_ns(c.namespace.as_deref())
        ));
    }
    if let Some(b) = &user.bind {
        parts.push(format!("{}{}", new_binding(b), replacing(&user.unbind)));
    }
    parts.join("; ")
}

fn renewed(user: &UserPlan, now: jiff::Timestamp) -> String {
    match &user.issue {
        Some(Issue::Renew { not_after }) => format!(
            "expires {} ({}) -> renewed for {}",
            not_after.strftime("%Y-%m-%d %H:%M UTC"),
            human(not_after.as_second() - now.as_second()),
            human(user.wanted.lifetime.as_secs() as i64)
        ),
        _ => String::new(),
    }
}

fn context_change(user: &UserPlan) -> String {
    let c = user
        .context
        .as_ref()
        .expect("a context action has a change");
    if c.exists {
        format!(
            "{}: namespace {} -> {}",
            c.name,
            c.namespace_before.as_deref().unwrap_or("(none)"),
            c.namespace.as_deref().unwrap_or("(none)")
        )
    } else {
        format!("{} (missing){}", c.name, in_ns(c.namespace.as_deref()))
    }
}

/// `Plan: 2 to create, 1 to re-issue, ...` (`Applied: 2 created, ...` once `done`), or
/// `No change: ...`.
pub fn summary(plan: &Plan, done: bool) -> String {
    let counts = summary_counts(plan);
    let mut text = if plan.unchanged() {
        format!("No change: {} users as the file says.\n", counts.unchanged)
    } else {
        let parts: Vec<String> = [
            (counts.create, "to create", "created"),
            (counts.reissue, "to re-issue", "re-issued"),
            (counts.renew, "to renew", "renewed"),
            (counts.adopt, "to adopt", "adopted"),
            (
                counts.update,
                "to update (context or binding)",
                "updated (context or binding)",
            ),
            (counts.prune, "to prune", "pruned"),
            (counts.unchanged, "unchanged", "unchanged"),
        ]
        .iter()
        .filter(|(n, _, _)| *n > 0)
        .map(|(n, planned, applied)| format!("{n} {}", if done { applied } else { planned }))
        .collect();
        let head = if done { "Applied" } else { "Plan" };
        format!("{head}: {}.\n", parts.join(", "))
    };
    if !plan.not_listed.is_empty() {
        text.push_str(&format!(
            "Not in the file (kept; --prune removes them): {}\n",
            plan.not_listed.join(", ")
        ));
    }
    for kept in &plan.kept {
        text.push_str(&format!(
            "Not in the file, never pruned: {}: {}\n",
            kept.name, kept.reason
        ));
    }
    text
}

#[derive(Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Counts {
    pub create: usize,
    pub reissue: usize,
    pub renew: usize,
    pub adopt: usize,
    pub update: usize,
    pub prune: usize,
    pub unchanged: usize,
}

fn summary_counts(plan: &Plan) -> Counts {
    let mut c = Counts {
        prune: plan.prune.len(),
        ..Counts::default()
    };
    for user in &plan.users {
        match &user.issue {
            Some(Issue::Create) => c.create += 1,
            Some(Issue::Reissue { .. }) => c.reissue += 1,
            Some(Issue::Renew { .. }) => c.renew += 1,
            None if user.unchanged() => c.unchanged += 1,
            None if user.adopt => c.adopt += 1,
            None => c.update += 1,
        }
    }
    c
}

fn groups(groups: &[String]) -> String {
    if groups.is_empty() {
        "(none)".into()
    } else {
        groups.join(",")
    }
}

fn in_ns(ns: Option<&str>) -> String {
    ns.map(|n| format!(" in namespace {n}")).unwrap_or_default()
}

fn new_binding(b: &super::plan::NewBinding) -> String {
    format!(
        "RoleBinding {}/{} ({}/{})",
        b.namespace, b.name, b.role_kind, b.role_name
    )
}

pub fn describe(b: &ListedBinding) -> String {
    let name = match &b.namespace {
        Some(ns) => format!("{ns}/{}", b.name),
        None => b.name.clone(),
    };
    format!("{} {name} ({}/{})", b.kind, b.role_kind, b.role_name)
}

fn listed(bindings: &[ListedBinding]) -> String {
    bindings.iter().map(describe).collect::<Vec<_>>().join(", ")
}

fn replacing(bindings: &[ListedBinding]) -> String {
    if bindings.is_empty() {
        String::new()
    } else {
        format!(", replacing {}", listed(bindings))
    }
}

fn pruned(p: &Prune) -> String {
    let mut parts = vec!["user".to_string()];
    if !p.contexts.is_empty() {
        parts.push(format!("context {}", p.contexts.join(", ")));
    }
    if !p.bindings.is_empty() {
        parts.push(listed(&p.bindings));
    }
    parts.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_plan_says_no_change() {
        let plan = Plan::default();
        assert_eq!(
            summary(&plan, true),
            "No change: 0 users as the file says.\n"
        );
        let data = data(&plan, &[], true, "k", "default");
        assert_eq!(data["changed"], false);
        assert_eq!(data["dryRun"], true);
    }
}
