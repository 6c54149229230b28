//! What a real API server checks after authorization and before it stores an object: the
//! NamespaceLifecycle admission plugin (nothing is created in a namespace that does not exist),
//! and the RBAC storage's escalation check (a Role or binding may grant only what its author
//! already holds, unless the author may `escalate` roles or `bind` the role referred to).

use serde_json::Value;

use super::Shared;
use super::authz::{self, Attributes};
use super::http::{Identity, Target};
use super::status::{self, ApiError};
use super::store::Store;

const RBAC: &str = "rbac.authorization.k8s.io";

pub fn admit(
    shared: &Shared,
    who: &Identity,
    t: &Target,
    verb: &str,
    body: &Value,
) -> Result<(), ApiError> {
    let store = shared.store.lock().unwrap();
    if verb == "create" && t.resource.namespaced && store.get("namespaces", "", t.ns()).is_none() {
        return Err(status::not_found("", "namespaces", t.ns()));
    }
    // EscalationAllowed: system:masters may grant anything.
    if !matches!(verb, "create" | "update")
        || t.resource.group != RBAC
        || t.subresource.is_some()
        || who.groups.iter().any(|g| g == "system:masters")
    {
        return Ok(());
    }
    let name = body["metadata"]["name"]
        .as_str()
        .or(t.name.as_deref())
        .unwrap_or("");
    match t.resource.plural {
        "roles" | "clusterroles" => {
            if may(
                &store,
                who,
                "escalate",
                t.resource.plural,
                t.namespace.as_deref(),
                name,
            ) {
                return Ok(());
            }
            let granted = body["rules"].as_array().cloned().unwrap_or_default();
            no_escalation(&store, who, t, name, &granted)
        }
        "rolebindings" | "clusterrolebindings" => {
            let role_ref = &body["roleRef"];
            let role_name = role_ref["name"].as_str().unwrap_or("");
            let role_plural = match role_ref["kind"].as_str() {
                Some("Role") => "roles",
                _ => "clusterroles",
            };
            if may(
                &store,
                who,
                "bind",
                role_plural,
                t.namespace.as_deref(),
                role_name,
            ) {
                return Ok(());
            }
            let role_namespace = if role_plural == "roles" { t.ns() } else { "" };
            let role = store
                .get(role_plural, role_namespace, role_name)
                .ok_or_else(|| status::not_found(RBAC, role_plural, role_name))?;
            let granted = role["rules"].as_array().cloned().unwrap_or_default();
            no_escalation(&store, who, t, name, &granted)
        }
        _ => Ok(()),
    }
}

fn may(
    store: &Store,
    who: &Identity,
    verb: &str,
    resource: &str,
    namespace: Option<&str>,
    name: &str,
) -> bool {
    authz::allowed(
        store,
        &Attributes {
            user: &who.user,
            groups: &who.groups,
            verb,
            group: RBAC,
            resource,
            subresource: None,
            namespace,
            name: Some(name),
        },
    )
    .is_some()
}

/// ConfirmNoEscalation: every right granted must be covered by a rule the author holds (in the
/// object's namespace, or cluster-wide for cluster objects); the refusal lists what is missing
/// as the real server does.
fn no_escalation(
    store: &Store,
    who: &Identity,
    t: &Target,
    name: &str,
    granted: &[Value],
) -> Result<(), ApiError> {
    let held = authz::rules_for(store, &who.user, &who.groups, t.ns());
    let missing: Vec<Simple> = granted
        .iter()
        .flat_map(breakdown)
        .filter(|want| !held.iter().any(|rule| covers(rule, want)))
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    let mut lines: Vec<String> = compact(&missing).iter().map(Compact::describe).collect();
    lines.sort();
    lines.dedup();
    let groups: Vec<String> = who.groups.iter().map(|g| format!("{g:?}")).collect();
    Err(status::forbidden_message(
        t.resource.plural,
        RBAC,
        name,
        &format!(
            "user {:?} (groups=[{}]) is attempting to grant RBAC permissions not currently held:\n{}",
            who.user,
            groups.join(" "),
            lines.join("\n")
        ),
    ))
}

/// One right: a verb on one group/resource (maybe one name), or on one non-resource URL.
#[derive(Clone, Debug, PartialEq)]
struct Simple {
    verb: String,
    group: Option<String>,
    resource: Option<String>,
    resource_name: Option<String>,
    url: Option<String>,
}

fn strings(rule: &Value, field: &str) -> Vec<String> {
    rule[field]
        .as_array()
        .map(|v| {
            v.iter()
                .filter_map(Value::as_str)
                .map(String::from)
                .collect()
        })
        .unwrap_or_default()
}

fn breakdown(rule: &Value) -> Vec<Simple> {
    let mut out = Vec::new();
    for verb in strings(rule, "verbs") {
        for group in strings(rule, "apiGroups") {
            for resource in strings(rule, "resources") {
                let names = strings(rule, "resourceNames");
                let names: Vec<Option<String>> = if names.is_empty() {
                    vec![None]
                } else {
                    names.into_iter().map(Some).collect()
                };
                for resource_name in names {
                    out.push(Simple {
                        verb: verb.clone(),
                        group: Some(group.clone()),
                        resource: Some(resource.clone()),
                        resource_name,
                        url: None,
                    });
                }
            }
        }
        for url in strings(rule, "nonResourceURLs") {
            out.push(Simple {
                verb: verb.clone(),
                group: None,
                resource: None,
                resource_name: None,
                url: Some(url),
            });
        }
    }
    out
}

fn covers(rule: &Value, want: &Simple) -> bool {
    let has =
        |field: &str, value: &str| strings(rule, field).iter().any(|x| x == "*" || x == value);
    if !has("verbs", &want.verb) {
        return false;
    }
    if let Some(url) = &want.url {
        return strings(rule, "nonResourceURLs").iter().any(|held| {
            held == url
                || held
                    .strip_suffix('*')
                    .is_some_and(|prefix| url.starts_with(prefix))
        });
    }
    let (group, resource) = (
        want.group.as_deref().unwrap(),
        want.resource.as_deref().unwrap(),
    );
    let resource_ok = strings(rule, "resources").iter().any(|held| {
        held == "*"
            || held == resource
            || resource.split_once('/').is_some_and(|(parent, sub)| {
                *held == format!("{parent}/*") || *held == format!("*/{sub}")
            })
    });
    let names = strings(rule, "resourceNames");
    let name_ok = names.is_empty()
        || want
            .resource_name
            .as_ref()
            .is_some_and(|n| names.contains(n));
    has("apiGroups", group) && resource_ok && name_ok
}

/// Missing rights as the real message shows them: verbs on the same group and resource merged.
struct Compact {
    verbs: Vec<String>,
    first: Simple,
}

fn compact(missing: &[Simple]) -> Vec<Compact> {
    let mut out: Vec<Compact> = Vec::new();
    for m in missing {
        let mergeable = m.resource_name.is_none() && m.url.is_none();
        match out.iter_mut().find(|c| {
            mergeable
                && c.first.resource_name.is_none()
                && c.first.url.is_none()
                && c.first.group == m.group
                && c.first.resource == m.resource
        }) {
            Some(c) if !c.verbs.contains(&m.verb) => c.verbs.push(m.verb.clone()),
            Some(_) => {}
            None => out.push(Compact {
                verbs: vec![m.verb.clone()],
                first: m.clone(),
            }),
        }
    }
    out
}

impl Compact {
    /// rbacv1helpers.CompactString: `{APIGroups:[""], Resources:["secrets"], Verbs:["get"]}`.
    fn describe(&self) -> String {
        let quoted = |values: &[&str]| {
            let q: Vec<String> = values.iter().map(|v| format!("{v:?}")).collect();
            format!("[{}]", q.join(" "))
        };
        let mut parts = Vec::new();
        if let Some(g) = &self.first.group {
            parts.push(format!("APIGroups:{}", quoted(&[g])));
        }
        if let Some(r) = &self.first.resource {
            parts.push(format!("Resources:{}", quoted(&[r])));
        }
        if let Some(u) = &self.first.url {
            parts.push(format!("NonResourceURLs:{}", quoted(&[u])));
        }
        if let Some(n) = &self.first.resource_name {
            parts.push(format!("ResourceNames:{}", quoted(&[n])));
        }
        let verbs: Vec<&str> = self.verbs.iter().map(String::as_str).collect();
        parts.push(format!("Verbs:{}", quoted(&verbs)));
        format!("{{{}}}", parts.join(", "))
    }
}
