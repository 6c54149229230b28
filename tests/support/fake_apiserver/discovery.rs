//! What the fake server serves, described as the real one describes it: `/version`, `/api`,
//! `/apis` and each group version's APIResourceList, enough for kubectl's REST mapper.

use serde_json::{Value, json};

use super::ServerVersion;

pub struct Resource {
    pub group: &'static str,
    pub version: &'static str,
    pub plural: &'static str,
    pub singular: &'static str,
    pub kind: &'static str,
    pub namespaced: bool,
    pub verbs: &'static [&'static str],
    pub short_names: &'static [&'static str],
    pub subresources: &'static [&'static str],
    /// Served from this minor version on, and before `until` (1.x).
    pub since: u32,
    pub until: u32,
}

impl Resource {
    pub fn served_by(&self, version: ServerVersion) -> bool {
        (self.since..self.until).contains(&version.minor())
    }
}

const CRUD: &[&str] = &[
    "create",
    "delete",
    "deletecollection",
    "get",
    "list",
    "patch",
    "update",
    "watch",
];
const CREATE: &[&str] = &["create"];

macro_rules! resource {
    ($group:expr, $version:expr, $plural:expr, $singular:expr, $kind:expr, $namespaced:expr, $verbs:expr, [$($short:expr),*], [$($sub:expr),*]) => {
        Resource { group: $group, version: $version, plural: $plural, singular: $singular, kind: $kind, namespaced: $namespaced, verbs: $verbs, short_names: &[$($short),*], subresources: &[$($sub),*], since: 0, until: u32::MAX }
    };
}

pub const RESOURCES: &[Resource] = &[
    resource!(
        "",
        "v1",
        "namespaces",
        "namespace",
        "Namespace",
        false,
        CRUD,
        ["ns"],
        []
    ),
    resource!(
        "",
        "v1",
        "pods",
        "pod",
        "Pod",
        true,
        CRUD,
        ["po"],
        ["log", "exec"]
    ),
    resource!(
        "",
        "v1",
        "services",
        "service",
        "Service",
        true,
        CRUD,
        ["svc"],
        []
    ),
    resource!(
        "",
        "v1",
        "configmaps",
        "configmap",
        "ConfigMap",
        true,
        CRUD,
        ["cm"],
        []
    ),
    resource!("", "v1", "secrets", "secret", "Secret", true, CRUD, [], []),
    resource!(
        "apps",
        "v1",
        "deployments",
        "deployment",
        "Deployment",
        true,
        CRUD,
        ["deploy"],
        []
    ),
    resource!(
        "certificates.k8s.io",
        "v1",
        "certificatesigningrequests",
        "certificatesigningrequest",
        "CertificateSigningRequest",
        false,
        CRUD,
        ["csr"],
        ["approval", "status"]
    ),
    // Any server authenticates tokens; this one knows no tokens, so every review says no.
    resource!(
        "authentication.k8s.io",
        "v1",
        "tokenreviews",
        "tokenreview",
        "TokenReview",
        false,
        CREATE,
        [],
        []
    ),
    // SelfSubjectReview: alpha in v1.26 (off by default, so never served here), beta and on in
    // v1.27, GA in v1.28. The fake serves v1beta1 only as v1.27 does.
    Resource {
        since: 27,
        until: 28,
        ..resource!(
            "authentication.k8s.io",
            "v1beta1",
            "selfsubjectreviews",
            "selfsubjectreview",
            "SelfSubjectReview",
            false,
            CREATE,
            [],
            []
        )
    },
    Resource {
        since: 28,
        ..resource!(
            "authentication.k8s.io",
            "v1",
            "selfsubjectreviews",
            "selfsubjectreview",
            "SelfSubjectReview",
            false,
            CREATE,
            [],
            []
        )
    },
    resource!(
        "authorization.k8s.io",
        "v1",
        "selfsubjectaccessreviews",
        "selfsubjectaccessreview",
        "SelfSubjectAccessReview",
        false,
        CREATE,
        [],
        []
    ),
    resource!(
        "authorization.k8s.io",
        "v1",
        "selfsubjectrulesreviews",
        "selfsubjectrulesreview",
        "SelfSubjectRulesReview",
        false,
        CREATE,
        [],
        []
    ),
    resource!(
        "rbac.authorization.k8s.io",
        "v1",
        "roles",
        "role",
        "Role",
        true,
        CRUD,
        [],
        []
    ),
    resource!(
        "rbac.authorization.k8s.io",
        "v1",
        "rolebindings",
        "rolebinding",
        "RoleBinding",
        true,
        CRUD,
        [],
        []
    ),
    resource!(
        "rbac.authorization.k8s.io",
        "v1",
        "clusterroles",
        "clusterrole",
        "ClusterRole",
        false,
        CRUD,
        [],
        []
    ),
    resource!(
        "rbac.authorization.k8s.io",
        "v1",
        "clusterrolebindings",
        "clusterrolebinding",
        "ClusterRoleBinding",
        false,
        CRUD,
        [],
        []
    ),
];

/// The resource, if this version of the server has it.
pub fn find(
    server: ServerVersion,
    group: &str,
    version: &str,
    plural: &str,
) -> Option<&'static Resource> {
    served(server).find(|r| r.group == group && r.version == version && r.plural == plural)
}

fn served(server: ServerVersion) -> impl Iterator<Item = &'static Resource> {
    RESOURCES.iter().filter(move |r| r.served_by(server))
}

/// Each group and the versions it serves (GA first, the preferred one).
fn groups(server: ServerVersion) -> Vec<(&'static str, Vec<&'static str>)> {
    let mut groups: Vec<(&str, Vec<&str>)> = Vec::new();
    for r in served(server).filter(|r| !r.group.is_empty()) {
        match groups.iter_mut().find(|(g, _)| *g == r.group) {
            Some((_, versions)) if !versions.contains(&r.version) => versions.push(r.version),
            Some(_) => {}
            None => groups.push((r.group, vec![r.version])),
        }
    }
    for (_, versions) in &mut groups {
        versions.sort_by_key(|v| (v.contains("alpha"), v.contains("beta"), *v));
    }
    groups
}

pub fn version(server: ServerVersion) -> Value {
    let minor = server.minor();
    json!({ "major": "1", "minor": minor.to_string(), "gitVersion": format!("v1.{minor}.4-fake"), "gitCommit": "fake", "gitTreeState": "clean",
            "buildDate": "2026-01-01T00:00:00Z", "goVersion": "go1.23", "compiler": "gc", "platform": "linux/amd64" })
}

pub fn api_versions() -> Value {
    json!({ "kind": "APIVersions", "versions": ["v1"], "serverAddressByClientCIDRs": [{ "clientCIDR": "0.0.0.0/0", "serverAddress": "127.0.0.1:6443" }] })
}

pub fn api_group_list(server: ServerVersion) -> Value {
    let groups: Vec<Value> = groups(server)
        .into_iter()
        .map(|(g, versions)| {
            let versions: Vec<Value> = versions
                .iter()
                .map(|v| json!({ "groupVersion": format!("{g}/{v}"), "version": v }))
                .collect();
            json!({ "name": g, "preferredVersion": versions[0].clone(), "versions": versions })
        })
        .collect();
    json!({ "kind": "APIGroupList", "apiVersion": "v1", "groups": groups })
}

/// The APIResourceList of one group version, or None.
pub fn resource_list(server: ServerVersion, group: &str, version: &str) -> Option<Value> {
    let mut resources = Vec::new();
    for r in served(server).filter(|r| r.group == group && r.version == version) {
        resources.push(json!({ "name": r.plural, "singularName": r.singular, "namespaced": r.namespaced, "kind": r.kind, "verbs": r.verbs, "shortNames": r.short_names }));
        for sub in r.subresources {
            let verbs = match *sub {
                "log" => vec!["get"],
                "exec" => vec!["create", "get"],
                _ => vec!["get", "patch", "update"],
            };
            resources.push(json!({ "name": format!("{}/{sub}", r.plural), "singularName": "", "namespaced": r.namespaced, "kind": r.kind, "verbs": verbs }));
        }
    }
    if resources.is_empty() {
        return None;
    }
    let gv = if group.is_empty() {
        version.to_string()
    } else {
        format!("{group}/{version}")
    };
    Some(
        json!({ "kind": "APIResourceList", "apiVersion": "v1", "groupVersion": gv, "resources": resources }),
    )
}
