//! Bind a role to a user: a RoleBinding in a namespace, or a ClusterRoleBinding. Idempotent, and
//! never changes a binding someone else made.

use k8s_openapi::api::rbac::v1::{ClusterRoleBinding, RoleBinding, RoleRef as K8sRoleRef, Subject};
use kube::api::{Api, ObjectMeta, PostParams};

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

#[derive(Clone, Debug)]
pub struct BindingOutcome {
    pub kind: &'static str,
    pub name: String,
    pub namespace: Option<String>,
    pub created: bool,
}

/// `certuser:<user>:<role>`; `:` is allowed in RBAC names (the system: bindings use it).
pub fn binding_name(user: &str, role: &str) -> String {
    format!("certuser:{user}:{role}")
}

pub async fn bind(
    api: &ApiClient,
    user: &str,
    role: &RoleRef,
    namespace: Option<&str>,
) -> Result<BindingOutcome, ClusterError> {
    let (role_kind, role_name) = role.parts();
    let name = binding_name(user, role_name);
    let role_ref = K8sRoleRef {
        api_group: "rbac.authorization.k8s.io".into(),
        kind: role_kind.into(),
        name: role_name.into(),
    };
    let subjects = Some(vec![Subject {
        api_group: Some("rbac.authorization.k8s.io".into()),
        kind: "User".into(),
        name: user.into(),
        namespace: None,
    }]);
    let metadata = ObjectMeta {
        name: Some(name.clone()),
        namespace: namespace.map(String::from),
        labels: Some([(MANAGED_BY.0.to_string(), MANAGED_BY.1.to_string())].into()),
        ..Default::default()
    };
    let rbac_hint = |kind: &str| {
        format!(
            "create on {}s.rbac.authorization.k8s.io, and either the permissions of {role_kind} {role_name} or `bind` on it",
            kind.to_lowercase()
        )
    };
    let same = |existing_ref: &K8sRoleRef, existing_subjects: &Option<Vec<Subject>>| {
        existing_ref == &role_ref
            && existing_subjects
                .as_ref()
                .is_some_and(|s| s.iter().any(|s| s.kind == "User" && s.name == user))
    };
    let outcome = |kind, created| BindingOutcome {
        kind,
        name: name.clone(),
        namespace: namespace.map(String::from),
        created,
    };
    match namespace {
        Some(ns) => {
            let bindings: Api<RoleBinding> = Api::namespaced(api.client.clone(), ns);
            let err = |e| {
                ClusterError::from_kube(
                    e,
                    &api.server,
                    &format!("create RoleBindings in {ns}"),
                    &rbac_hint("RoleBinding"),
                )
            };
            if let Some(existing) = bindings.get_opt(&name).await.map_err(err)? {
                return if same(&existing.role_ref, &existing.subjects) {
                    Ok(outcome("RoleBinding", false))
                } else {
                    Err(ClusterError::BindingConflict {
                        kind: "RoleBinding",
                        name,
                    })
                };
            }
            let binding = RoleBinding {
                metadata,
                role_ref: role_ref.clone(),
                subjects: subjects.clone(),
            };
            bindings
                .create(&PostParams::default(), &binding)
                .await
                .map_err(err)?;
            Ok(outcome("RoleBinding", true))
        }
        None => {
            let bindings: Api<ClusterRoleBinding> = Api::all(api.client.clone());
            let err = |e| {
                ClusterError::from_kube(
                    e,
                    &api.server,
                    "create ClusterRoleBindings",
                    &rbac_hint("ClusterRoleBinding"),
                )
            };
            if let Some(existing) = bindings.get_opt(&name).await.map_err(err)? {
                return if same(&existing.role_ref, &existing.subjects) {
                    Ok(outcome("ClusterRoleBinding", false))
                } else {
                    Err(ClusterError::BindingConflict {
                        kind: "ClusterRoleBinding",
                        name,
                    })
                };
            }
            let binding = ClusterRoleBinding {
                metadata,
                role_ref: role_ref.clone(),
                subjects: subjects.clone(),
            };
            bindings
                .create(&PostParams::default(), &binding)
                .await
                .map_err(err)?;
            Ok(outcome("ClusterRoleBinding", true))
        }
    }
}
