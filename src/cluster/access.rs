//! Who the server says we are, and what we may do: the self-review APIs, answered for whoever
//! the client authenticates as.

use k8s_openapi::api::authorization::v1::{
    ResourceAttributes, SelfSubjectAccessReview, SelfSubjectAccessReviewSpec,
    SelfSubjectRulesReview, SelfSubjectRulesReviewSpec,
};
use kube::api::{Api, ApiResource, DynamicObject, GroupVersionKind, PostParams};
use serde::Serialize;

use super::{ApiClient, Check, CheckResult, ClusterError};

#[derive(Clone, Debug, Serialize)]
pub struct Identity {
    pub username: String,
    pub groups: Vec<String>,
    pub uid: Option<String>,
    /// Which API answered, e.g. `authentication.k8s.io/v1 SelfSubjectReview`.
    pub source: String,
}

/// SelfSubjectReview: v1 (Kubernetes 1.28+), then v1beta1 and v1alpha1 for older servers.
/// `None` when the server has none of them.
pub async fn whoami(api: &ApiClient) -> Result<Option<Identity>, ClusterError> {
    for version in ["v1", "v1beta1", "v1alpha1"] {
        let gvk = GroupVersionKind::gvk("authentication.k8s.io", version, "SelfSubjectReview");
        let resource = ApiResource::from_gvk_with_plural(&gvk, "selfsubjectreviews");
        let reviews: Api<DynamicObject> = Api::all_with(api.client.clone(), &resource);
        let request: DynamicObject = serde_json::from_value(serde_json::json!({
            "apiVersion": resource.api_version, "kind": "SelfSubjectReview", "metadata": {},
        }))
        .expect("a valid object");
        match reviews.create(&PostParams::default(), &request).await {
            Ok(answer) => {
                let info = &answer.data["status"]["userInfo"];
                let strings = |v: &serde_json::Value| {
                    v.as_array()
                        .map(|a| {
                            a.iter()
                                .filter_map(|s| s.as_str().map(String::from))
                                .collect()
                        })
                        .unwrap_or_default()
                };
                return Ok(Some(Identity {
                    username: info["username"].as_str().unwrap_or_default().to_string(),
                    groups: strings(&info["groups"]),
                    uid: info["uid"].as_str().map(String::from),
                    source: format!("{} SelfSubjectReview", resource.api_version),
                }));
            }
            Err(kube::Error::Api(status)) if status.code == 404 => continue,
            Err(e) => {
                return Err(ClusterError::from_kube(
                    e,
                    &api.server,
                    "create SelfSubjectReviews",
                    "create on selfsubjectreviews.authentication.k8s.io (system:basic-user grants it)",
                ));
            }
        }
    }
    Ok(None)
}

/// One SelfSubjectAccessReview per check, all at once.
pub async fn can_i(
    api: &ApiClient,
    namespace: Option<&str>,
    checks: &[Check],
) -> Result<Vec<CheckResult>, ClusterError> {
    let reviews: Api<SelfSubjectAccessReview> = Api::all(api.client.clone());
    let asks = checks.iter().map(|check| {
        let review = SelfSubjectAccessReview {
            spec: SelfSubjectAccessReviewSpec {
                resource_attributes: Some(ResourceAttributes {
                    namespace: namespace.map(String::from),
                    verb: Some(check.verb.clone()),
                    group: Some(check.group.clone()),
                    resource: Some(check.resource.clone()),
                    subresource: check.subresource.clone(),
                    name: check.name.clone(),
                    ..Default::default()
                }),
                ..Default::default()
            },
            ..Default::default()
        };
        let reviews = reviews.clone();
        async move { reviews.create(&PostParams::default(), &review).await }
    });
    let answers = futures::future::join_all(asks).await;
    checks
        .iter()
        .zip(answers)
        .map(|(check, answer)| {
            let answer = answer.map_err(|e| ClusterError::from_kube(e, &api.server, "create SelfSubjectAccessReviews", "create on selfsubjectaccessreviews.authorization.k8s.io (system:basic-user grants it)"))?;
            let status = answer.status.unwrap_or_default();
            Ok(CheckResult {
                check: check.clone(),
                namespace: namespace.map(String::from),
                allowed: status.allowed,
                denied: status.denied.unwrap_or(false),
                reason: status.reason.filter(|r| !r.is_empty()),
            })
        })
        .collect()
}

/// SelfSubjectRulesReview: the resource rules in a namespace, one line each
/// (`get, list, watch: pods, services`).
pub async fn rules(api: &ApiClient, namespace: &str) -> Result<Vec<String>, ClusterError> {
    let reviews: Api<SelfSubjectRulesReview> = Api::all(api.client.clone());
    let review = SelfSubjectRulesReview {
        spec: SelfSubjectRulesReviewSpec {
            namespace: Some(namespace.to_string()),
        },
        ..Default::default()
    };
    let answer = reviews
        .create(&PostParams::default(), &review)
        .await
        .map_err(|e| {
            ClusterError::from_kube(
                e,
                &api.server,
                "create SelfSubjectRulesReviews",
                "create on selfsubjectrulesreviews.authorization.k8s.io",
            )
        })?;
    let status = answer.status.unwrap_or_default();
    Ok(status
        .resource_rules
        .iter()
        .map(|r| {
            let resources = r.resources.clone().unwrap_or_default();
            format!("{}: {}", r.verbs.join(", "), resources.join(", "))
        })
        .collect())
}
