//! RBAC as the real authorizer evaluates it, over the Roles, ClusterRoles and bindings stored,
//! plus the bootstrap policy a kubeadm cluster starts with.

use serde_json::{Value, json};

use super::ServerVersion;
use super::store::Store;

/// What a request asks to do.
pub struct Attributes<'a> {
    pub user: &'a str,
    pub groups: &'a [String],
    pub verb: &'a str,
    pub group: &'a str,
    pub resource: &'a str,
    pub subresource: Option<&'a str>,
    pub namespace: Option<&'a str>,
    pub name: Option<&'a str>,
}

/// `Some(reason)` when allowed, as the RBAC authorizer reports it.
pub fn allowed(store: &Store, a: &Attributes) -> Option<String> {
    if a.groups.iter().any(|g| g == "system:masters") {
        return Some("allowed by the system:masters group".into());
    }
    for (binding, rules, namespace) in applicable(store, a.user, a.groups, a.namespace) {
        if rules.iter().any(|r| rule_matches(r, a)) {
            let where_ = namespace
                .map(|n| {
                    format!(
                        "RoleBinding \"{}/{n}\"",
                        binding["metadata"]["name"].as_str().unwrap_or("")
                    )
                })
                .unwrap_or_else(|| {
                    format!(
                        "ClusterRoleBinding \"{}\"",
                        binding["metadata"]["name"].as_str().unwrap_or("")
                    )
                });
            return Some(format!(
                "RBAC: allowed by {where_} of {} \"{}\"",
                binding["roleRef"]["kind"].as_str().unwrap_or(""),
                binding["roleRef"]["name"].as_str().unwrap_or("")
            ));
        }
    }
    None
}

/// A non-resource URL (`/version`, `/api`, `/healthz`): rules with `nonResourceURLs`, where a
/// trailing `*` matches any suffix.
pub fn allowed_path(store: &Store, user: &str, groups: &[String], verb: &str, path: &str) -> bool {
    if groups.iter().any(|g| g == "system:masters") {
        return true;
    }
    applicable(store, user, groups, None)
        .iter()
        .flat_map(|(_, rules, _)| rules)
        .any(|rule| {
            let verb_ok = rule["verbs"]
                .as_array()
                .is_some_and(|v| v.iter().any(|x| x == "*" || x == verb));
            let path_ok = rule["nonResourceURLs"].as_array().is_some_and(|urls| {
                urls.iter().filter_map(Value::as_str).any(|url| {
                    url == path
                        || url
                            .strip_suffix('*')
                            .is_some_and(|prefix| path.starts_with(prefix))
                })
            });
            verb_ok && path_ok
        })
}

/// The rules that apply to a subject in a namespace (for SelfSubjectRulesReview).
pub fn rules_for(store: &Store, user: &str, groups: &[String], namespace: &str) -> Vec<Value> {
    if groups.iter().any(|g| g == "system:masters") {
        return vec![json!({ "verbs": ["*"], "apiGroups": ["*"], "resources": ["*"] })];
    }
    applicable(store, user, groups, Some(namespace))
        .into_iter()
        .flat_map(|(_, rules, _)| rules)
        .collect()
}

/// (binding, its role's rules, Some(namespace) for a RoleBinding)
fn applicable(
    store: &Store,
    user: &str,
    groups: &[String],
    namespace: Option<&str>,
) -> Vec<(Value, Vec<Value>, Option<String>)> {
    let mut out = Vec::new();
    let matches_subject = |binding: &Value| {
        binding["subjects"].as_array().is_some_and(|subjects| {
            subjects.iter().any(|s| match s["kind"].as_str() {
                Some("User") => s["name"] == user,
                Some("Group") => groups.iter().any(|g| s["name"] == g.as_str()),
                _ => false,
            })
        })
    };
    let role_rules = |binding: &Value, ns: &str| -> Vec<Value> {
        let name = binding["roleRef"]["name"].as_str().unwrap_or_default();
        let role = match binding["roleRef"]["kind"].as_str() {
            Some("ClusterRole") => store.get("clusterroles", "", name),
            Some("Role") => store.get("roles", ns, name),
            _ => None,
        };
        role.and_then(|r| r["rules"].as_array().cloned())
            .unwrap_or_default()
    };
    for binding in store
        .list("clusterrolebindings", None)
        .into_iter()
        .filter(|b| matches_subject(b))
    {
        let rules = role_rules(&binding, "");
        out.push((binding, rules, None));
    }
    if let Some(ns) = namespace {
        for binding in store
            .list("rolebindings", Some(ns))
            .into_iter()
            .filter(|b| matches_subject(b))
        {
            let rules = role_rules(&binding, ns);
            out.push((binding, rules, Some(ns.to_string())));
        }
    }
    out
}

/// What every authenticated user may ask about itself. SelfSubjectReview joined the role in v1.27,
/// when the API was first on by default.
fn basic_user_rules(version: ServerVersion) -> Value {
    let mut rules = vec![
        json!({ "apiGroups": ["authorization.k8s.io"], "resources": ["selfsubjectaccessreviews", "selfsubjectrulesreviews"], "verbs": ["create"] }),
    ];
    if version >= ServerVersion::V1_27 {
        rules.push(json!({ "apiGroups": ["authentication.k8s.io"], "resources": ["selfsubjectreviews"], "verbs": ["create"] }));
    }
    Value::Array(rules)
}

fn rule_matches(rule: &Value, a: &Attributes) -> bool {
    let has = |field: &str, want: &str| {
        rule[field]
            .as_array()
            .is_some_and(|v| v.iter().any(|x| x == "*" || x == want))
    };
    let full = match a.subresource {
        Some(sub) => format!("{}/{sub}", a.resource),
        None => a.resource.to_string(),
    };
    let names_ok = match rule["resourceNames"].as_array() {
        None => true,
        Some(names) if names.is_empty() => true,
        Some(names) => a.name.is_some_and(|n| names.iter().any(|x| x == n)),
    };
    has("verbs", a.verb) && has("apiGroups", a.group) && has("resources", &full) && names_ok
}

/// The policy a kubeadm cluster of that version starts with (a faithful subset of the real
/// bootstrap roles).
pub fn bootstrap(store: &mut Store, version: ServerVersion) {
    let read = json!(["get", "list", "watch"]);
    let write = json!(["create", "delete", "deletecollection", "patch", "update"]);
    let view_rules = json!([
        { "apiGroups": [""], "resources": ["pods", "pods/log", "pods/status", "services", "configmaps", "endpoints", "persistentvolumeclaims", "replicationcontrollers", "events"], "verbs": read },
        { "apiGroups": [""], "resources": ["namespaces"], "verbs": read },
        { "apiGroups": ["apps"], "resources": ["deployments", "replicasets", "statefulsets", "daemonsets"], "verbs": read },
        { "apiGroups": ["batch"], "resources": ["jobs", "cronjobs"], "verbs": read },
    ]);
    let mut edit_rules = view_rules.as_array().unwrap().clone();
    edit_rules.extend([
        json!({ "apiGroups": [""], "resources": ["pods", "services", "configmaps", "secrets", "persistentvolumeclaims"], "verbs": write }),
        json!({ "apiGroups": [""], "resources": ["secrets"], "verbs": read }),
        json!({ "apiGroups": [""], "resources": ["pods/exec", "pods/attach", "pods/portforward"], "verbs": ["create", "get"] }),
        json!({ "apiGroups": ["apps"], "resources": ["deployments", "replicasets", "statefulsets", "daemonsets", "deployments/scale"], "verbs": write }),
        json!({ "apiGroups": ["batch"], "resources": ["jobs", "cronjobs"], "verbs": write }),
    ]);
    let mut admin_rules = edit_rules.clone();
    admin_rules.push(json!({ "apiGroups": ["rbac.authorization.k8s.io"], "resources": ["roles", "rolebindings"], "verbs": ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"] }));
    let roles = [
        (
            "cluster-admin",
            json!([{ "apiGroups": ["*"], "resources": ["*"], "verbs": ["*"] }, { "nonResourceURLs": ["*"], "verbs": ["*"] }]),
        ),
        ("admin", Value::Array(admin_rules)),
        ("edit", Value::Array(edit_rules)),
        ("view", view_rules),
        (
            "system:discovery",
            json!([{ "nonResourceURLs": ["/api", "/api/*", "/apis", "/apis/*", "/healthz", "/livez", "/openapi", "/openapi/*", "/readyz", "/version", "/version/"], "verbs": ["get"] }]),
        ),
        (
            "system:public-info-viewer",
            json!([{ "nonResourceURLs": ["/healthz", "/livez", "/readyz", "/version", "/version/"], "verbs": ["get"] }]),
        ),
        ("system:basic-user", basic_user_rules(version)),
    ];
    for (name, rules) in roles {
        let labels = json!({ "kubernetes.io/bootstrapping": "rbac-defaults" });
        store.create("rbac.authorization.k8s.io", "clusterroles", "", json!({ "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": { "name": name, "labels": labels }, "rules": rules })).unwrap();
    }
    for (name, role, group) in [
        ("cluster-admin", "cluster-admin", "system:masters"),
        (
            "kubeadm:cluster-admins",
            "cluster-admin",
            "kubeadm:cluster-admins",
        ),
        (
            "system:basic-user",
            "system:basic-user",
            "system:authenticated",
        ),
        (
            "system:discovery",
            "system:discovery",
            "system:authenticated",
        ),
        (
            "system:public-info-viewer",
            "system:public-info-viewer",
            "system:authenticated system:unauthenticated",
        ),
    ] {
        let subjects: Vec<Value> = group
            .split(' ')
            .map(|g| json!({ "apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": g }))
            .collect();
        store
            .create("rbac.authorization.k8s.io", "clusterrolebindings", "", json!({
                "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding", "metadata": { "name": name },
                "roleRef": { "apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": role },
                "subjects": subjects,
            }))
            .unwrap();
    }
    for ns in ["default", "kube-system", "dev1"] {
        store.create("", "namespaces", "", json!({ "apiVersion": "v1", "kind": "Namespace", "metadata": { "name": ns }, "spec": { "finalizers": ["kubernetes"] }, "status": { "phase": "Active" } })).unwrap();
    }
}
