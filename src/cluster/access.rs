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
    /// Where the identity comes from: `authentication.k8s.io/v1 SelfSubjectReview`, or
    /// `client certificate` when the server could not say.
    pub source: String,
    /// Read from the client certificate (CN, O) and not confirmed by the server; the server did
    /// accept the certificate.
    #[serde(rename = "fromCertificate")]
    pub from_certificate: bool,
    /// Why the server could not confirm the groups (with `fromCertificate`).
    #[serde(rename = "unconfirmedBecause", skip_serializing_if = "Option::is_none")]
    pub unconfirmed_because: Option<String>,
}

/// The SelfSubjectReview versions, newest first: v1 (Kubernetes 1.28+), v1beta1 (1.27), v1alpha1
/// (1.26 with the APISelfSubjectReview feature gate).
const REVIEW_VERSIONS: [&str; 3] = ["v1", "v1beta1", "v1alpha1"];

/// Why no SelfSubjectReview answered.
enum NoReview {
    /// 404 for every version: only a caller allowed everything sees that on an older server.
    NotServed,
    /// 403: a server authorizes before it looks, so an older server says this to plain users;
    /// a newer one where RBAC does not grant the review says it too.
    Forbidden(String),
}

/// Who the server says we are. A server without SelfSubjectReview (before v1.27), or one that
/// refuses it, does not stop us: the identity is read from the client certificate, and a
/// SelfSubjectAccessReview (open to any authenticated user since v1.19) confirms the server
/// accepts that certificate. A 401 still means it does not.
pub async fn whoami(api: &ApiClient) -> Result<Identity, ClusterError> {
    let no_review = match self_subject_review(api).await? {
        Ok(identity) => return Ok(identity),
        Err(no_review) => no_review,
    };
    let why = why_no_review(api, no_review).await;
    let Some(pem) = &api.certificate_pem else {
        return Err(ClusterError::IdentityUnknown {
            server: api.server.clone(),
            why,
        });
    };
    let cert = crate::pki::parse_certificate_pem(pem, "the client certificate")
        .and_then(|c| crate::pki::inspect_certificate(&c))
        .map_err(|e| ClusterError::Other {
            action: "read the client certificate".into(),
            detail: e.to_string(),
        })?;
    confirm_authenticated(api).await?;
    let mut groups = cert.groups;
    // What the server adds to every authenticated user.
    groups.push("system:authenticated".into());
    Ok(Identity {
        username: cert.common_name.unwrap_or_default(),
        groups,
        uid: None,
        source: "client certificate".into(),
        from_certificate: true,
        unconfirmed_because: Some(why),
    })
}

/// SelfSubjectReview, newest version first; `Err(NoReview)` when none answers.
async fn self_subject_review(api: &ApiClient) -> Result<Result<Identity, NoReview>, ClusterError> {
    for version in REVIEW_VERSIONS {
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
                return Ok(Ok(Identity {
                    username: info["username"].as_str().unwrap_or_default().to_string(),
                    groups: strings(&info["groups"]),
                    uid: info["uid"].as_str().map(String::from),
                    source: format!("{} SelfSubjectReview", resource.api_version),
                    from_certificate: false,
                    unconfirmed_because: None,
                }));
            }
            Err(kube::Error::Api(status)) if status.code == 404 => continue,
            // RBAC does not look at the version: every other version would be refused too.
            Err(kube::Error::Api(status)) if status.code == 403 => {
                return Ok(Err(NoReview::Forbidden(status.message)));
            }
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
    Ok(Err(NoReview::NotServed))
}

/// The reason in words, with the server's version where it tells (`/version` is open to all).
async fn why_no_review(api: &ApiClient, no_review: NoReview) -> String {
    let version = api.client.apiserver_version().await.ok();
    let minor: Option<u32> = version
        .as_ref()
        .and_then(|v| v.minor.trim_end_matches('+').parse().ok());
    let server = match &version {
        Some(v) => format!("the server (Kubernetes {})", v.git_version),
        None => "the server".to_string(),
    };
    let absent = format!(
        "{server} has no SelfSubjectReview API (it came in Kubernetes v1.27, or v1.26 with a feature gate)"
    );
    match no_review {
        NoReview::NotServed => absent,
        NoReview::Forbidden(_) if minor.is_none_or(|m| m < 27) => format!(
            "{absent}; it answers 403 Forbidden for it, as a server does for an API it does not have"
        ),
        NoReview::Forbidden(message) => format!(
            "{server} refused SelfSubjectReview ({message}): RBAC does not grant create on selfsubjectreviews.authentication.k8s.io, which system:basic-user grants by default"
        ),
    }
}

/// An authenticated call any user may make: a 401 here means the credentials are not accepted.
async fn confirm_authenticated(api: &ApiClient) -> Result<(), ClusterError> {
    let probe: Check = "create:selfsubjectaccessreviews.authorization.k8s.io"
        .parse()
        .expect("a valid check");
    can_i(api, None, &[probe]).await.map(|_| ())
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
