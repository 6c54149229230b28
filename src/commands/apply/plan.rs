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
mod tests {
    use super::*;
    use crate::pki::KeyType;

    const DAY: i64 = 86_400;

    fn now() -> jiff::Timestamp {
        jiff::Timestamp::from_second(1_800_000_000).unwrap()
    }

    fn wanted(name: &str, groups: &[&str], ns: &str, role: Option<&str>) -> Wanted {
        Wanted {
            name: name.into(),
            groups: groups.iter().map(|g| g.to_string()).collect(),
            namespace: Some(ns.into()),
            role: role.map(|r| Role::ClusterRole(r.into())),
            key_type: KeyType::EcdsaP256,
            lifetime: Duration::from_secs(90 * DAY as u64),
            line: 7,
        }
    }

    /// A user made by apply: certificate issued `age` days ago for `days` days.
    fn existing(name: &str, groups: &[&str], ns: &str, age: i64, days: i64) -> Existing {
        let issued = now().as_second() - age * DAY;
        Existing {
            name: name.into(),
            cert: Some(CertInfo {
                subject: format!("CN={name}"),
                common_name: Some(name.into()),
                groups: groups.iter().map(|g| g.to_string()).collect(),
                issuer: "CN=kubernetes".into(),
                serial: format!("{name}-serial"),
                not_before: jiff::Timestamp::from_second(issued).unwrap(),
                not_after: jiff::Timestamp::from_second(issued + days * DAY).unwrap(),
                key: "ECDSA P-256".into(),
                signature_algorithm: String::new(),
                sha256_fingerprint: String::new(),
                key_usage: vec![],
                extended_key_usage: vec![],
                is_ca: false,
                public_key_der_sha256: String::new(),
            }),
            foreign: None,
            protected: None,
            list: Some("team".into()),
            on_cluster: true,
            clusters: vec!["k".into()],
            context: Some(ExistingContext {
                namespace: Some(ns.into()),
                user: Some(name.into()),
            }),
            contexts: vec![format!("{name}@k")],
        }
    }

    fn ours(user: &str, ns: &str, role: &str) -> ListedBinding {
        ListedBinding {
            kind: "RoleBinding",
            name: binding_name(user, role),
            namespace: Some(ns.into()),
            role_kind: "ClusterRole".into(),
            role_name: role.into(),
            managed_for: Some(user.into()),
        }
    }

    fn inputs<'a>(
        existing: &'a [Existing],
        bindings: Option<&'a [ListedBinding]>,
        prune: bool,
    ) -> Inputs<'a> {
        Inputs {
            cluster: "k",
            list: "team",
            existing,
            bindings,
            renew_within: None,
            prune,
            now: now(),
        }
    }

    #[test]
    fn a_missing_user_is_created_with_context_and_binding() {
        let plan = plan(
            &[wanted("john", &["dev1"], "dev1", Some("view"))],
            &inputs(&[], Some(&[]), false),
        )
        .unwrap();
        let john = &plan.users[0];
        assert_eq!(john.issue, Some(Issue::Create));
        assert_eq!(
            john.context.as_ref().unwrap().namespace.as_deref(),
            Some("dev1")
        );
        assert_eq!(john.bind.as_ref().unwrap().name, "certuser:john:view");
        assert!(!plan.unchanged());
    }

    #[test]
    fn a_user_as_the_file_says_is_unchanged() {
        let existing = [existing("john", &["dev1"], "dev1", 10, 90)];
        let bindings = [ours("john", "dev1", "view")];
        let plan = plan(
            &[wanted("john", &["dev1"], "dev1", Some("view"))],
            &inputs(&existing, Some(&bindings), true),
        )
        .unwrap();
        assert!(plan.unchanged(), "{plan:?}");
    }

    #[test]
    fn changed_groups_reissue_whatever_their_order() {
        let existing = [existing("jane", &["qa", "dev1"], "dev1", 10, 90)];
        let same = plan(
            &[wanted("jane", &["dev1", "qa"], "dev1", None)],
            &inputs(&existing, None, false),
        )
        .unwrap();
        assert!(same.unchanged());
        let changed = plan(
            &[wanted("jane", &["dev1"], "dev1", None)],
            &inputs(&existing, None, false),
        )
        .unwrap();
        assert_eq!(
            changed.users[0].issue,
            Some(Issue::Reissue {
                groups_before: vec!["qa".into(), "dev1".into()]
            })
        );
        assert!(
            changed.users[0].context.is_none(),
            "the namespace did not change"
        );
    }

    #[test]
    fn renewal_comes_within_a_third_of_the_lifetime_or_the_window_given() {
        let old = [existing("john", &["dev1"], "dev1", 61, 90)]; // 29 days left of 90
        let p = plan(
            &[wanted("john", &["dev1"], "dev1", None)],
            &inputs(&old, None, false),
        )
        .unwrap();
        assert!(matches!(p.users[0].issue, Some(Issue::Renew { .. })));
        let young = [existing("john", &["dev1"], "dev1", 59, 90)]; // 31 days left
        let p = plan(
            &[wanted("john", &["dev1"], "dev1", None)],
            &inputs(&young, None, false),
        )
        .unwrap();
        assert_eq!(p.users[0].issue, None);
        let mut wide = inputs(&young, None, false);
        wide.renew_within = Some(Duration::from_secs(40 * DAY as u64));
        let p = plan(&[wanted("john", &["dev1"], "dev1", None)], &wide).unwrap();
        assert!(matches!(p.users[0].issue, Some(Issue::Renew { .. })));
    }

    #[test]
    fn a_namespace_change_is_a_context_change_only() {
        let existing = [existing("john", &["dev1"], "dev1", 1, 90)];
        let p = plan(
            &[wanted("john", &["dev1"], "dev2", None)],
            &inputs(&existing, None, false),
        )
        .unwrap();
        let john = &p.users[0];
        assert_eq!(john.issue, None);
        let change = john.context.as_ref().unwrap();
        assert!(change.exists);
        assert_eq!(
            (
                change.namespace_before.as_deref(),
                change.namespace.as_deref()
            ),
            (Some("dev1"), Some("dev2"))
        );
    }

    #[test]
    fn a_changed_role_replaces_our_binding_and_never_touches_others() {
        let existing = [existing("john", &["dev1"], "dev1", 1, 90)];
        let mut foreign = ours("john", "dev1", "admin");
        foreign.name = "by-hand".into();
        foreign.managed_for = None;
        let bindings = [ours("john", "dev1", "view"), foreign];
        let p = plan(
            &[wanted("john", &["dev1"], "dev1", Some("edit"))],
            &inputs(&existing, Some(&bindings), false),
        )
        .unwrap();
        let john = &p.users[0];
        assert_eq!(john.bind.as_ref().unwrap().name, "certuser:john:edit");
        assert_eq!(john.unbind, [bindings[0].clone()]);
    }

    #[test]
    fn a_binding_of_our_name_made_by_someone_else_refuses_the_plan() {
        let mut theirs = ours("john", "dev1", "view");
        theirs.managed_for = None;
        let err = plan(
            &[wanted("john", &["dev1"], "dev1", Some("view"))],
            &inputs(&[], Some(&[theirs]), false),
        )
        .unwrap_err();
        assert!(
            format!("{err:#}").contains("not made by kubectl-certuser"),
            "{err:#}"
        );
    }

    #[test]
    fn prune_takes_only_our_users_of_this_cluster_and_their_bindings() {
        let mut admin = existing("admin", &["kubeadm:cluster-admins"], "default", 1, 365);
        admin.protected = Some("it is the user you act as".into());
        let mut elsewhere = existing("bob", &["dev1"], "dev1", 1, 90);
        elsewhere.on_cluster = false;
        let mut token = existing("tok", &[], "dev1", 1, 90);
        token.cert = None;
        let mut by_add = existing("ann", &["dev1"], "dev1", 1, 90);
        by_add.list = None;
        let mut other_team = existing("al", &["dev1"], "dev1", 1, 90);
        other_team.list = Some("team-b".into());
        let gone = existing("old", &["dev1"], "dev1", 1, 90);
        let existing = [admin, elsewhere, token, by_add, other_team, gone];
        let mut foreign = ours("old", "dev1", "edit");
        foreign.managed_for = None;
        foreign.name = "by-hand".into();
        let bindings = [ours("old", "dev1", "view"), foreign];
        let without = plan(&[], &inputs(&existing, Some(&bindings), false)).unwrap();
        assert!(without.prune.is_empty() && without.unchanged());
        assert_eq!(without.not_listed, ["old"]);
        let with = plan(&[], &inputs(&existing, Some(&bindings), true)).unwrap();
        assert_eq!(with.prune.len(), 1);
        assert_eq!(with.prune[0].name, "old");
        assert_eq!(with.prune[0].contexts, ["old@k"]);
        assert_eq!(with.prune[0].bindings, [bindings[0].clone()]);
        let kept: Vec<&str> = with.kept.iter().map(|k| k.name.as_str()).collect();
        assert_eq!(kept, ["admin", "tok"], "marked, but never pruned");
    }

    #[test]
    fn an_unmarked_user_is_adopted_and_another_lists_user_refused() {
        let mut john = existing("john", &["dev1"], "dev1", 10, 90);
        john.list = None;
        let p = plan(
            &[wanted("john", &["dev1"], "dev1", None)],
            &inputs(std::slice::from_ref(&john), None, true),
        )
        .unwrap();
        assert!(p.users[0].adopt && p.users[0].issue.is_none());
        assert!(!p.unchanged(), "adoption is a change");
        john.list = Some("team-b".into());
        let err = plan(
            &[wanted("john", &["dev1"], "dev1", None)],
            &inputs(&[john], None, true),
        )
        .unwrap_err();
        assert!(
            format!("{err:#}").contains("line 7")
                && format!("{err:#}").contains("managed by the team list \"team-b\""),
            "{err:#}"
        );
    }

    #[test]
    fn a_listed_name_that_is_someone_elses_user_is_refused() {
        let mut token = existing("john", &[], "dev1", 1, 90);
        token.cert = None;
        let err = plan(
            &[wanted("john", &["dev1"], "dev1", None)],
            &inputs(&[token], None, false),
        )
        .unwrap_err();
        assert!(
            format!("{err:#}").contains("line 7")
                && format!("{err:#}").contains("other credentials"),
            "{err:#}"
        );
        let mut elsewhere = existing("john", &["dev1"], "dev1", 1, 90);
        elsewhere.on_cluster = false;
        elsewhere.clusters = vec!["prod".into()];
        let err = plan(
            &[wanted("john", &["dev1"], "dev1", None)],
            &inputs(&[elsewhere], None, false),
        )
        .unwrap_err();
        assert!(format!("{err:#}").contains("\"prod\""), "{err:#}");
    }
}
