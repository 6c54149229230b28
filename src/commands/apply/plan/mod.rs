//! What `apply` does, decided before anything is done: a pure comparison of the team file with
//! the kubeconfig's users and the cluster's role bindings, so it is tested with plain values.
//!
//! A certificate's groups cannot be edited, so changed groups mean a new certificate (re-issue);
//! a changed namespace is only the context's. Bindings this tool made (our label, one User
//! subject) for a listed user are exactly the one the file asks for; a binding anyone else made
//! is never changed, and one in the way of ours refuses the whole plan.
//!
//! Only users marked with this file's list (see `marker.rs`) are pruned; a listed user without
//! a marker is adopted (marked); a listed user of another list is refused.

use std::time::Duration;

use serde::Serialize;

use crate::cluster::{ListedBinding, binding_name};
use crate::error::hinted;
use crate::pki::CertInfo;

use super::file::{Role, Wanted};

/// A kubeconfig user as `apply` sees it (see `current.rs`).
#[derive(Clone, Debug)]
pub struct Existing {
    pub name: String,
    /// Its client certificate; None for a user with other credentials (token, exec).
    pub cert: Option<CertInfo>,
    /// Why `apply` must not replace or adopt this user, if it must not.
    pub foreign: Option<String>,
    /// Why it is never pruned even when marked (the acting user, a system:masters one).
    pub protected: Option<String>,
    /// The list its apply marker names; None for a user `apply` does not manage.
    pub list: Option<String>,
    /// Some when a context on the target cluster uses the user.
    pub on_cluster: bool,
    /// The clusters of the contexts that use it, for messages.
    pub clusters: Vec<String>,
    /// The `USER@CLUSTER` context: None when missing, else its namespace and its user.
    pub context: Option<ExistingContext>,
    /// Every context that uses the user (removed with it on prune).
    pub contexts: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExistingContext {
    pub namespace: Option<String>,
    pub user: Option<String>,
}

/// Why a user gets a new certificate.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase", tag = "action")]
pub enum Issue {
    Create,
    /// The groups (or the CN) differ from the current certificate's.
    Reissue {
        groups_before: Vec<String>,
    },
    /// The current certificate expires within the renewal window.
    Renew {
        not_after: jiff::Timestamp,
    },
}

/// The context's namespace changes (or the context is missing).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ContextChange {
    pub name: String,
    pub exists: bool,
    pub namespace_before: Option<String>,
    pub namespace: Option<String>,
}

/// The binding the file asks for, to be created.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NewBinding {
    pub name: String,
    pub namespace: String,
    pub role_kind: &'static str,
    pub role_name: String,
}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UserPlan {
    #[serde(skip)]
    pub wanted: Wanted,
    pub name: String,
    pub issue: Option<Issue>,
    pub context: Option<ContextChange>,
    pub bind: Option<NewBinding>,
    /// Bindings this tool made for the user that the file no longer asks for.
    pub unbind: Vec<ListedBinding>,
    /// An existing user without a marker, marked as this list's from now on.
    pub adopt: bool,
    /// The certificate the plan was made from (checked again under the kubeconfig lock).
    #[serde(skip)]
    pub current_serial: Option<String>,
}

impl UserPlan {
    pub fn unchanged(&self) -> bool {
        self.issue.is_none()
            && !self.adopt
            && self.context.is_none()
            && self.bind.is_none()
            && self.unbind.is_empty()
    }
}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Prune {
    pub name: String,
    pub contexts: Vec<String>,
    pub bindings: Vec<ListedBinding>,
    #[serde(skip)]
    pub current_serial: Option<String>,
}

#[derive(Clone, Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Plan {
    pub users: Vec<UserPlan>,
    pub prune: Vec<Prune>,
    /// Users `--prune` would remove, when it is not given.
    pub not_listed: Vec<String>,
    /// Users of this list the file no longer lists that are never pruned, and why.
    pub kept: Vec<Kept>,
}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Kept {
    pub name: String,
    pub reason: String,
}

impl Plan {
    pub fn unchanged(&self) -> bool {
        self.users.iter().all(UserPlan::unchanged) && self.prune.is_empty()
    }
}

/// What the comparison needs beside the file.
pub struct Inputs<'a> {
    pub cluster: &'a str,
    /// The file's list name: the marker of the users it manages.
    pub list: &'a str,
    pub existing: &'a [Existing],
    /// The cluster's bindings; None when no user is bound and nothing is pruned (the cluster
    /// was not asked).
    pub bindings: Option<&'a [ListedBinding]>,
    /// `--renew-within`; None: a third of each certificate's lifetime.
    pub renew_within: Option<Duration>,
    pub prune: bool,
    pub now: jiff::Timestamp,
}

pub fn plan(wanted: &[Wanted], inputs: &Inputs<'_>) -> anyhow::Result<Plan> {
    let mut plan = Plan::default();
    for user in wanted {
        plan.users.push(plan_user(user, inputs)?);
    }
    for old in inputs.existing {
        let listed = wanted.iter().any(|w| w.name == old.name);
        // Another list's users, `add`'s and everyone else's are not this file's to prune; nor
        // are its users of another cluster (the same list applied there).
        if listed || old.list.as_deref() != Some(inputs.list) || !old.on_cluster {
            continue;
        }
        let reason = match (&old.protected, &old.cert) {
            (Some(why), _) => Some(why.clone()),
            (None, None) => Some(
                "its credentials are no longer a certificate (token, exec), so it is someone's access now"
                    .to_string(),
            ),
            _ => None,
        };
        if let Some(reason) = reason {
            plan.kept.push(Kept {
                name: old.name.clone(),
                reason,
            });
            continue;
        }
        if !inputs.prune {
            plan.not_listed.push(old.name.clone());
            continue;
        }
        plan.prune.push(Prune {
            name: old.name.clone(),
            contexts: old.contexts.clone(),
            bindings: managed_for(inputs.bindings, &old.name).cloned().collect(),
            current_serial: old.cert.as_ref().map(|c| c.serial.clone()),
        });
    }
    Ok(plan)
}

fn plan_user(user: &Wanted, inputs: &Inputs<'_>) -> anyhow::Result<UserPlan> {
    let name = &user.name;
    let context_name = crate::kubeconfig::user_context(name, inputs.cluster);
    let existing = inputs.existing.iter().find(|e| &e.name == name);
    let issue = match existing {
        None => Some(Issue::Create),
        Some(old) => {
            refuse_if_not_ours(user, old, inputs.cluster)?;
            refuse_if_other_list(user, old, inputs.list)?;
            let cert = old.cert.as_ref().expect("checked by refuse_if_not_ours");
            let same_groups = sorted(&cert.groups) == sorted(&user.groups)
                && cert.common_name.as_deref() == Some(name.as_str());
            let lifetime = cert.not_after.as_second() - cert.not_before.as_second();
            let window = inputs
                .renew_within
                .map_or(lifetime / 3, |d| d.as_secs() as i64);
            if !same_groups {
                Some(Issue::Reissue {
                    groups_before: cert.groups.clone(),
                })
            } else if cert.not_after.as_second() - inputs.now.as_second() <= window {
                Some(Issue::Renew {
                    not_after: cert.not_after,
                })
            } else {
                None
            }
        }
    };
    let old_context = existing.and_then(|e| e.context.as_ref());
    if let Some(ctx) = old_context
        && ctx.user.as_deref() != Some(name.as_str())
    {
        return Err(hinted(
            format!(
                "line {}: context {context_name:?} exists for user {:?}, not {name:?}",
                user.line,
                ctx.user.as_deref().unwrap_or("(none)")
            ),
            format!("rename or delete it with `kubectl config delete-context {context_name}`"),
        ));
    }
    let context = match old_context {
        Some(ctx) if ctx.namespace == user.namespace => None,
        _ => Some(ContextChange {
            name: context_name,
            exists: old_context.is_some(),
            namespace_before: old_context.and_then(|c| c.namespace.clone()),
            namespace: user.namespace.clone(),
        }),
    };
    let (bind, unbind) = match inputs.bindings {
        Some(bindings) => plan_bindings(user, bindings)?,
        None => (None, Vec::new()),
    };
    Ok(UserPlan {
        wanted: user.clone(),
        name: name.clone(),
        issue,
        context,
        bind,
        unbind,
        adopt: existing.is_some_and(|e| e.list.is_none()),
        current_serial: existing
            .and_then(|e| e.cert.as_ref())
            .map(|c| c.serial.clone()),
    })
}

/// A user of the same name that is not a certificate user of this cluster is someone's working
/// access: `apply` refuses rather than replace it.
fn refuse_if_not_ours(user: &Wanted, old: &Existing, cluster: &str) -> anyhow::Result<()> {
    let name = &user.name;
    let why = if let Some(why) = &old.foreign {
        why.clone()
    } else if old.cert.is_none() {
        "it has other credentials (token, exec) or a certificate that cannot be read".to_string()
    } else if !old.on_cluster {
        match old.clusters.as_slice() {
            [] => "no context uses it, so its cluster is unknown".to_string(),
            clusters => format!(
                "it is used with cluster {}, not {cluster:?}",
                clusters
                    .iter()
                    .map(|c| format!("{c:?}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        }
    } else {
        return Ok(());
    };
    Err(hinted(
        format!(
            "line {}: user {name:?} is already in the kubeconfig and kubectl-certuser cannot manage it: {why}; nothing was changed",
            user.line
        ),
        "rename the user in the file, or remove the kubeconfig user first (`kubectl certuser remove`)",
    ))
}

/// A user another team file manages stays that file's: two lists never fight over one user.
fn refuse_if_other_list(user: &Wanted, old: &Existing, list: &str) -> anyhow::Result<()> {
    match old.list.as_deref() {
        Some(other) if other != list => Err(hinted(
            format!(
                "line {}: user {:?} is managed by the team list {other:?}, not {list:?}: nothing was changed",
                user.line, user.name
            ),
            format!(
                "list each user in one team file: drop it here, or give this file `metadata: {{name: {other}}}` if it is that list"
            ),
        )),
        _ => Ok(()),
    }
}

/// The binding the file asks for, and the ones of ours it replaces.
fn plan_bindings(
    user: &Wanted,
    bindings: &[ListedBinding],
) -> anyhow::Result<(Option<NewBinding>, Vec<ListedBinding>)> {
    let wanted = user.role.as_ref().map(|role| {
        let (role_kind, role_name) = match role {
            Role::ClusterRole(n) => ("ClusterRole", n.clone()),
            Role::Role(n) => ("Role", n.clone()),
        };
        NewBinding {
            name: binding_name(&user.name, &role_name),
            namespace: user.namespace.clone().unwrap_or_else(|| "default".into()),
            role_kind,
            role_name,
        }
    });
    let is_wanted = |b: &ListedBinding| {
        wanted.as_ref().is_some_and(|w| {
            b.kind == "RoleBinding"
                && b.name == w.name
                && b.namespace.as_deref() == Some(w.namespace.as_str())
        })
    };
    let mut bind = wanted.clone();
    if let (Some(w), Some(found)) = (&wanted, bindings.iter().find(|b| is_wanted(b))) {
        let ours = found.managed_for.as_deref() == Some(user.name.as_str())
            && found.role_kind == w.role_kind
            && found.role_name == w.role_name;
        if !ours {
            return Err(hinted(
                format!(
                    "line {}: RoleBinding {}/{} already exists and was not made by kubectl-certuser for {:?} alone: nothing was changed",
                    user.line, w.namespace, w.name, user.name
                ),
                format!(
                    "look at it with `kubectl get rolebinding -n {} {} -o yaml`; delete it if it may go",
                    w.namespace, w.name
                ),
            ));
        }
        bind = None; // in place already
    }
    let unbind = managed_for(Some(bindings), &user.name)
        .filter(|b| !is_wanted(b))
        .cloned()
        .collect();
    Ok((bind, unbind))
}

fn managed_for<'a>(
    bindings: Option<&'a [ListedBinding]>,
    user: &'a str,
) -> impl Iterator<Item = &'a ListedBinding> {
    bindings
        .unwrap_or_default()
        .iter()
        .filter(move |b| b.managed_for.as_deref() == Some(user))
}

fn sorted(groups: &[String]) -> Vec<&str> {
    let mut out: Vec<&str> = groups.iter().map(String::as_str).collect();
    out.sort_unstable();
    out.dedup();
    out
}

#[cfg(test)]
mod tests;
