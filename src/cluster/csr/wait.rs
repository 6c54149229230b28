//! Waiting for the certificate: a watch on our one object from the version we last saw, until
//! the signer has issued it or someone has denied it.

use futures::StreamExt;
use k8s_openapi::api::certificates::v1::CertificateSigningRequest;
use kube::api::{Api, WatchEvent, WatchParams};

use super::super::{ApiClient, ClusterError};

/// Watch the object until it carries a certificate, or a Denied/Failed condition.
pub(super) async fn wait_for_certificate(
    api: &ApiClient,
    csrs: &Api<CertificateSigningRequest>,
    name: &str,
    latest: &mut CertificateSigningRequest,
) -> Result<Vec<u8>, ClusterError> {
    let read_err = |e| {
        ClusterError::from_kube(
            e,
            &api.server,
            "watch CertificateSigningRequests",
            "watch on certificatesigningrequests.certificates.k8s.io",
        )
    };
    loop {
        if let Some(done) = outcome(name, latest)? {
            return Ok(done);
        }
        let version = latest.metadata.resource_version.clone().unwrap_or_default();
        let params = WatchParams::default()
            .fields(&format!("metadata.name={name}"))
            .timeout(290);
        let stream = csrs.watch(&params, &version).await.map_err(read_err)?;
        let mut stream = std::pin::pin!(stream);
        while let Some(event) = stream.next().await {
            match event.map_err(read_err)? {
                WatchEvent::Added(csr) | WatchEvent::Modified(csr) => {
                    *latest = csr;
                    if let Some(done) = outcome(name, latest)? {
                        return Ok(done);
                    }
                }
                WatchEvent::Deleted(_) => {
                    return Err(ClusterError::Failed {
                        name: name.into(),
                        reason: "Deleted".into(),
                        message: "the object was deleted while we waited".into(),
                    });
                }
                WatchEvent::Bookmark(b) => {
                    latest.metadata.resource_version = Some(b.metadata.resource_version)
                }
                WatchEvent::Error(status) if status.code == 410 => break, // too old: re-read below
                WatchEvent::Error(status) => {
                    return Err(ClusterError::Api {
                        action: "watch CertificateSigningRequests".into(),
                        code: status.code,
                        reason: status.reason,
                        message: status.message,
                    });
                }
            }
        }
        // The watch ended (server timeout or 410 Gone): re-read, then watch from there.
        *latest = csrs.get(name).await.map_err(read_err)?;
    }
}

/// Issued (the PEM), or ended (Denied/Failed), or still pending (`None`).
fn outcome(name: &str, csr: &CertificateSigningRequest) -> Result<Option<Vec<u8>>, ClusterError> {
    let Some(status) = &csr.status else {
        return Ok(None);
    };
    for condition in status.conditions.iter().flatten() {
        let (reason, message) = (
            condition.reason.clone().unwrap_or_default(),
            condition.message.clone().unwrap_or_default(),
        );
        match condition.type_.as_str() {
            "Denied" => {
                return Err(ClusterError::Denied {
                    name: name.into(),
                    reason,
                    message,
                });
            }
            "Failed" => {
                return Err(ClusterError::Failed {
                    name: name.into(),
                    reason,
                    message,
                });
            }
            _ => {}
        }
    }
    Ok(status
        .certificate
        .as_ref()
        .filter(|c| !c.0.is_empty())
        .map(|c| c.0.clone()))
}

pub(super) fn has_condition(csr: &CertificateSigningRequest, kind: &str) -> bool {
    csr.status
        .as_ref()
        .and_then(|s| s.conditions.as_ref())
        .is_some_and(|c| c.iter().any(|c| c.type_ == kind && c.status == "True"))
}

#[cfg(test)]
mod tests {
    use k8s_openapi::api::certificates::v1::{
        CertificateSigningRequestCondition, CertificateSigningRequestStatus,
    };

    use super::*;

    #[test]
    fn denied_and_failed_end_the_wait() {
        let mut csr = CertificateSigningRequest::default();
        assert!(outcome("n", &csr).unwrap().is_none());
        csr.status = Some(CertificateSigningRequestStatus {
            conditions: Some(vec![CertificateSigningRequestCondition {
                type_: "Denied".into(),
                status: "True".into(),
                reason: Some("Policy".into()),
                message: Some("no".into()),
                ..Default::default()
            }]),
            ..Default::default()
        });
        let err = outcome("n", &csr).unwrap_err().to_string();
        assert!(err.contains("denied") && err.contains("Policy"), "{err}");
    }
}
