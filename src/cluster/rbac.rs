//! Bind a role to a user: a RoleBinding in a namespace, or a ClusterRoleBinding. Idempotent, and
//! never changes a binding someone else made.

use k8s_openapi::api::rbac::v1::{ClusterRoleBinding, RoleBinding, RoleRef as K8sRoleRef, Subject};
use kube::api::{Api, ObjectMeta, PostParams};
use serde::{Serialize, de::DeserializeOwned};

use super::{ApiClient, ClusterError, MANAGED_BY};

#[derive(Clone, Debug)]
pub enum RoleRef {
    Role(String),
    ClusterRole(String),
}

impl RoleRef {
    fn parts(&self) -> (&'static str, &str) {
        match self {
            RoleRef::Role(n) => ("Role", n),
            RoleRef::ClusterRole(n) => ("ClusterRole", n),
        }
    }
}

/// A binding now in place for a user: made by this call, or already there. Field names are a
/// stable contract (`binding` in `add`'s and `sign`'s `-o json|yaml`).
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EnsuredBinding {
    pub kind: &'static str,
    pub name: String,
    pub namespace: Option<String>,
    pub created: bool,
}

/// `certuser:<user>:<role>`; `:` is allowed in RBAC names (the system: bindings use it).
pub fn binding_name(user: &str, role: &str) -> String {
    format!("certuser:{user}:{role}")
}

/// The two binding kinds share their shape: a role reference and subjects.
trait Binding:
    kube::Resource<DynamicType = ()> + Clone + Serialize + DeserializeOwned + std::fmt::Debug
{
    const KIND: &'static str;
    fn new(metadata: ObjectMeta, role_ref: K8sRoleRef, subjects: Vec<Subject>) -> Self;
    fn parts(&self) -> (&K8sRoleRef, Option<&Vec<Subject>>);
}

impl Binding for RoleBinding {
    const KIND: &'static str = "RoleBinding";
    fn new(metadata: ObjectMeta, role_ref: K8sRoleRef, subjects: Vec<Subject>) -> Self {
        RoleBinding {
            metadata,
            role_ref,
            subjects: Some(subjects),
        }
    }
    fn parts(&self) -> (&K8sRoleRef, Option<&Vec<Subject>>) {
        (&self.role_ref, self.subjects.as_ref())
    }
}

impl Binding for ClusterRoleBinding {
    const KIND: &'static str = "ClusterRoleBinding";
    fn new(metadata: ObjectMeta, role_ref: K8sRoleRef, subjects: Vec<Subject>) -> Self {
        ClusterRoleBinding {
            metadata,
            role_ref,
            subjects: Some(subjects),
        }
    }
    fn parts(&self) -> (&K8sRoleRef, Option<&Vec<Subject>>) {
        (&self.role_ref, self.subjects.as_ref())
    }
}

pub async fn bind(
    api: &ApiClient,
    user: &str,
    role: &RoleRef,
    namespace: Option<&str>,
) -> Result<EnsuredBinding, ClusterError> {
    ensure_in_scope(api, user, role, namespace, true).await
}

/// What `bind` would do, without creating anything: fails on a conflicting binding, so a
/// command can refuse before it has changed anything.
pub async fn check_bind(
    api: &ApiClient,
    user: &str,
    role: &RoleRef,
    namespace: Option<&str>,
) -> Result<EnsuredBinding, ClusterError> {
    ensure_in_scope(api, user, role, namespace, false).await
}

async fn ensure_in_scope(
    api: &ApiClient,
    user: &str,
    role: &RoleRef,
    namespace: Option<&str>,
    create: bool,
) -> Result<EnsuredBinding, ClusterError> {
    match namespace {
        Some(ns) => {
            let bindings = Api::namespaced(api.client.clone(), ns);
            ensure::<RoleBinding>(api, bindings, user, role, Some(ns), create).await
        }
        None => {
            let bindings = Api::all(api.client.clone());
            ensure::<ClusterRoleBinding>(api, bindings, user, role, None, create).await
        }
    }
}

async fn ensure<K: Binding>(
    api: &ApiClient,
    bindings: Api<K>,
    user: &str,
    role: &RoleRef,
    namespace: Option<&str>,
    create: bool,
) -> Result<EnsuredBinding, ClusterError> {
    let (role_kind, role_name) = role.parts();
    let name = binding_name(user, role_name);
    let wanted: K = new_binding(user, role, namespace);
    let (role_ref, _) = wanted.parts();
    let err = |e| {
        let action = match namespace {
            Some(ns) => format!("create {}s in {ns}", K::KIND),
            None => format!("create {}s", K::KIND),
        };
        let rbac = format!(
            "create on {}s.rbac.authorization.k8s.io, and either the permissions of {role_kind} {role_name} or `bind` on it",
            K::KIND.to_lowercase()
        );
        ClusterError::from_kube(e, &api.server, &action, &rbac)
    };
    let outcome = |created| EnsuredBinding {
        kind: K::KIND,
        name: name.clone(),
        namespace: namespace.map(String::from),
        created,
    };

    if let Some(existing) = bindings.get_opt(&name).await.map_err(err)? {
        let (existing_ref, subjects) = existing.parts();
        let ours = existing_ref == role_ref
            && subjects.is_some_and(|s| s.iter().any(|s| s.kind == "User" && s.name == user));
        return if ours {
            Ok(outcome(false))
        } else {
            Err(ClusterError::BindingConflict {
                kind: K::KIND,
                name,
            })
        };
    }
    if !create {
        return Ok(outcome(true));
    }
    bindings
        .create(&PostParams::default(), &wanted)
        .await
        .map_err(err)?;
    Ok(outcome(true))
}

/// The binding `bind` creates: a RoleBinding in `namespace`, or a ClusterRoleBinding for None.
/// The dry run serialises this same object.
pub fn binding_object(
    user: &str,
    role: &RoleRef,
    namespace: Option<&str>,
) -> Result<serde_json::Value, serde_json::Error> {
    match namespace {
        Some(_) => serde_json::to_value(new_binding::<RoleBinding>(user, role, namespace)),
        None => serde_json::to_value(new_binding::<ClusterRoleBinding>(user, role, None)),
    }
}

fn new_binding<K: Binding>(user: &str, role: &RoleRef, namespace: Option<&str>) -> K {
    let (role_kind, role_name) = role.parts();
    let metadata = ObjectMeta {
        name: Some(binding_name(user, role_name)),
        namespace: namespace.map(String::from),
        labels: Some([(MANAGED_BY.0.to_string(), MANAGED_BY.1.to_string())].into()),
        ..Default::default()
    };
    let role_ref = K8sRoleRef {
        api_group: "rbac.authorization.k8s.io".into(),
        kind: role_kind.into(),
        name: role_name.into(),
    };
    let subject = Subject {
        api_group: Some("rbac.authorization.k8s.io".into()),
        kind: "User".into(),
        name: user.into(),
        namespace: None,
    };
    K::new(metadata, role_ref, vec![subject])
}

/// A binding that names a user, as `remove --rbac` sees it.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UserBinding {
    pub kind: &'static str,
    pub name: String,
    pub namespace: Option<String>,
    /// `ClusterRole/edit`, `Role/deployer`.
    pub role: String,
    /// Carries our managed-by label and names the user as its only subject: ours to delete.
    pub removable: bool,
    /// Why a binding that names the user is left alone.
    pub left_alone: Option<String>,
}

/// Every RoleBinding (all namespaces) and ClusterRoleBinding whose subjects include the User
/// `user`. We list them all, not by label, so that bindings made by hand are reported as left
/// alone instead of silently surviving a removal.
pub async fn bindings_naming(
    api: &ApiClient,
    user: &str,
) -> Result<Vec<UserBinding>, ClusterError> {
    let mut out = listed::<RoleBinding>(api, Api::all(api.client.clone()), user).await?;
    out.extend(listed::<ClusterRoleBinding>(api, Api::all(api.client.clone()), user).await?);
    Ok(out)
}

async fn listed<K: Binding>(
    api: &ApiClient,
    bindings: Api<K>,
    user: &str,
) -> Result<Vec<UserBinding>, ClusterError> {
    let plural = format!("{}s", K::KIND.to_lowercase());
    let items = bindings
        .list(&kube::api::ListParams::default())
        .await
        .map_err(|e| {
            ClusterError::from_kube(
                e,
                &api.server,
                &format!("list {}s", K::KIND),
                &format!("list on {plural}.rbac.authorization.k8s.io in every namespace"),
            )
        })?;
    let mut out = Vec::new();
    for item in items {
        let (role_ref, subjects) = item.parts();
        let subjects = subjects.map(Vec::as_slice).unwrap_or_default();
        if !subjects.iter().any(|s| is_user(s, user)) {
            continue;
        }
        let meta = kube::Resource::meta(&item);
        let managed = meta
            .labels
            .as_ref()
            .and_then(|l| l.get(MANAGED_BY.0))
            .is_some_and(|v| v == MANAGED_BY.1);
        let left_alone = if !managed {
            Some("not made by kubectl-certuser (no managed-by label)".to_string())
        } else if subjects.len() > 1 {
            Some("it also grants the role to other subjects".to_string())
        } else {
            None
        };
        out.push(UserBinding {
            kind: K::KIND,
            name: meta.name.clone().unwrap_or_default(),
            namespace: meta.namespace.clone(),
            role: format!("{}/{}", role_ref.kind, role_ref.name),
            removable: left_alone.is_none(),
            left_alone,
        });
    }
    Ok(out)
}

/// Whether a namespace exists: a RoleBinding in a missing one is refused by the API server, so
/// `apply` asks before it changes anything.
pub async fn namespace_exists(api: &ApiClient, namespace: &str) -> Result<bool, ClusterError> {
    let namespaces: Api<k8s_openapi::api::core::v1::Namespace> = Api::all(api.client.clone());
    let found = namespaces.get_opt(namespace).await.map_err(|e| {
        ClusterError::from_kube(
            e,
            &api.server,
            &format!("read namespace {namespace}"),
            "get on namespaces",
        )
    })?;
    Ok(found.is_some())
}

/// Any RoleBinding or ClusterRoleBinding, as `apply` compares the cluster with a team file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ListedBinding {
    pub kind: &'static str,
    pub name: String,
    pub namespace: Option<String>,
    /// `Role` or `ClusterRole`.
    pub role_kind: String,
    pub role_name: String,
    /// The user it was made for, when it carries our managed-by label and names only that User.
    pub managed_for: Option<String>,
}

/// Every RoleBinding (all namespaces) and ClusterRoleBinding: two list calls, whatever the
/// number of users.
pub async fn list_bindings(api: &ApiClient) -> Result<Vec<ListedBinding>, ClusterError> {
    let mut out = every::<RoleBinding>(api).await?;
    out.extend(every::<ClusterRoleBinding>(api).await?);
    Ok(out)
}

async fn every<K: Binding>(api: &ApiClient) -> Result<Vec<ListedBinding>, ClusterError> {
    let plural = format!("{}s", K::KIND.to_lowercase());
    let items = Api::<K>::all(api.client.clone())
        .list(&kube::api::ListParams::default())
        .await
        .map_err(|e| {
            ClusterError::from_kube(
                e,
                &api.server,
                &format!("list {}s", K::KIND),
                &format!("list on {plural}.rbac.authorization.k8s.io in every namespace"),
            )
        })?;
    Ok(items
        .iter()
        .map(|item| {
            let (role_ref, subjects) = item.parts();
            let meta = kube::Resource::meta(item);
            let labelled = meta
                .labels
                .as_ref()
                .and_then(|l| l.get(MANAGED_BY.0))
                .is_some_and(|v| v == MANAGED_BY.1);
            let managed_for = match subjects.map(Vec::as_slice) {
                Some([only]) if labelled && only.kind == "User" => Some(only.name.clone()),
                _ => None,
            };
            ListedBinding {
                kind: K::KIND,
                name: meta.name.clone().unwrap_or_default(),
                namespace: meta.namespace.clone(),
                role_kind: role_ref.kind.clone(),
                role_name: role_ref.name.clone(),
                managed_for,
            }
        })
        .collect())
}

fn is_user(subject: &Subject, user: &str) -> bool {
    subject.kind == "User" && subject.name == user
}

/// Delete one binding found by [`bindings_naming`]. Gone already counts as done.
pub async fn delete_binding(api: &ApiClient, binding: &UserBinding) -> Result<(), ClusterError> {
    let result = match binding.namespace.as_deref() {
        Some(ns) => Api::<RoleBinding>::namespaced(api.client.clone(), ns)
            .delete(&binding.name, &kube::api::DeleteParams::default())
            .await
            .map(|_| ()),
        None => Api::<ClusterRoleBinding>::all(api.client.clone())
            .delete(&binding.name, &kube::api::DeleteParams::default())
            .await
            .map(|_| ()),
    };
    match result {
        Ok(()) => Ok(()),
        Err(kube::Error::Api(s)) if s.code == 404 => Ok(()),
        Err(e) => Err(ClusterError::from_kube(
            e,
            &api.server,
            &format!("delete {} {}", binding.kind, binding.name),
            &format!(
                "delete on {}s.rbac.authorization.k8s.io",
                binding.kind.to_lowercase()
            ),
        )),
    }
}
