//! Approving a CSR through its `approval` subresource, as `kubectl certificate approve` does, but
//! only after checking that the object on the server is exactly the one we created.

use k8s_openapi::api::certificates::v1::{
    CertificateSigningRequest, CertificateSigningRequestCondition, CertificateSigningRequestStatus,
};
use kube::api::{Api, PostParams};

use super::super::{ApiClient, ClusterError};
use super::{CsrEvent, CsrRequest, SIGNER, wait};

pub(super) async fn approve_and_wait(
    api: &ApiClient,
    csrs: &Api<CertificateSigningRequest>,
    name: &str,
    created: CertificateSigningRequest,
    req: &CsrRequest<'_>,
    approver: Option<&str>,
    on_event: &mut dyn FnMut(CsrEvent<'_>),
) -> Result<Vec<u8>, ClusterError> {
    let mut latest = created.clone();
    let waited = {
        // The watch is asked now, from the version the create answered, so that it is open
        // when the signer acts: beside the approval, not a round trip after it.
        let watch = tokio::time::timeout(
            req.timeout,
            wait::wait_for_certificate(api, csrs, name, &mut latest),
        );
        tokio::pin!(watch);
        let mut watched = None;
        if req.approve {
            let approval = approve(api, csrs, name, created, req, approver);
            tokio::pin!(approval);
            // The approval's answer decides first: when it fails, what the watch saw meanwhile
            // (our object deleted by whoever replaced it) is not the story.
            loop {
                tokio::select! {
                    approved = &mut approval => {
                        approved?;
                        break;
                    }
                    seen = &mut watch, if watched.is_none() => watched = Some(seen),
                }
            }
            on_event(CsrEvent::Approved { name });
        } else {
            on_event(CsrEvent::WaitingForApproval { name });
        }
        on_event(CsrEvent::Waiting);
        match watched {
            Some(seen) => seen,
            None => watch.await,
        }
    };
    match waited {
        Ok(result) => {
            let pem = result?;
            on_event(CsrEvent::Issued);
            Ok(pem)
        }
        Err(_) => {
            let timeout = crate::output::human_duration(req.timeout.as_secs() as i64);
            if req.approve || wait::has_condition(&latest, "Approved") {
                Err(ClusterError::NotIssued {
                    name: name.into(),
                    timeout,
                })
            } else {
                Err(ClusterError::NotApproved {
                    name: name.into(),
                    timeout,
                })
            }
        }
    }
}

/// Approve our object through its `approval` subresource. Sent with the object the create
/// answered: its resourceVersion makes the server refuse the update (409) if anyone changed or
/// replaced the object since, so nothing but what we created can be approved, without reading
/// it again first. After a 409 the object is read and checked once more before a second try.
async fn approve(
    api: &ApiClient,
    csrs: &Api<CertificateSigningRequest>,
    name: &str,
    created: CertificateSigningRequest,
    req: &CsrRequest<'_>,
    approver: Option<&str>,
) -> Result<CertificateSigningRequest, ClusterError> {
    let refused = |e| {
        ClusterError::from_kube(
            e,
            &api.server,
            "approve CertificateSigningRequests",
            "update on certificatesigningrequests/approval and approve on signers (resourceName kubernetes.io/kube-apiserver-client), or run with --no-approve",
        )
    };
    let send = |current: CertificateSigningRequest| async move {
        let approving = with_approval(current, approver, req.user);
        csrs.replace_subresource("approval", name, &PostParams::default(), &approving)
            .await
    };
    verify_ours(name, &created, req)?;
    match send(created).await {
        Err(kube::Error::Api(status)) if status.code == 409 => {
            let current = csrs.get(name).await.map_err(|e| {
                ClusterError::from_kube(
                    e,
                    &api.server,
                    "read CertificateSigningRequests",
                    "get on certificatesigningrequests.certificates.k8s.io",
                )
            })?;
            verify_ours(name, &current, req)?;
            send(current).await.map_err(refused)
        }
        answer => answer.map_err(refused),
    }
}

/// The object with our Approved condition added.
fn with_approval(
    mut csr: CertificateSigningRequest,
    approver: Option<&str>,
    user: &str,
) -> CertificateSigningRequest {
    csr.status
        .get_or_insert_with(CertificateSigningRequestStatus::default)
        .conditions
        .get_or_insert_with(Vec::new)
        .push(CertificateSigningRequestCondition {
            type_: "Approved".into(),
            status: "True".into(),
            reason: Some("KubectlCertuserApprove".into()),
            message: Some(approval_message(approver, user)),
            ..Default::default()
        });
    csr
}

/// Who approves: SelfSubjectReview's answer when the server has it (or what the fallbacks of
/// [`whoami`](super::super::whoami) can tell). It does not depend on any object, so a flow can
/// ask it first: its round trip opens the connection the CSR calls then take.
pub async fn approver(api: ApiClient) -> Option<String> {
    super::super::whoami(&api).await.ok().map(|me| me.username)
}

/// "approved by kubernetes-admin with kubectl-certuser for user john": who and what tool.
fn approval_message(approver: Option<&str>, user: &str) -> String {
    match approver {
        Some(me) => format!("approved by {me} with kubectl-certuser for user {user}"),
        None => format!("approved with kubectl-certuser for user {user}"),
    }
}

/// The object we are about to approve must be exactly the one we created.
fn verify_ours(
    name: &str,
    csr: &CertificateSigningRequest,
    req: &CsrRequest<'_>,
) -> Result<(), ClusterError> {
    let tampered = |why: &str| {
        Err(ClusterError::CsrTampered {
            name: name.into(),
            why: why.into(),
        })
    };
    if csr.spec.request.0 != req.csr_pem {
        return tampered("its request is not ours, so neither is its public key");
    }
    if csr.spec.signer_name != SIGNER {
        return tampered("its signer changed");
    }
    if csr
        .status
        .as_ref()
        .and_then(|s| s.conditions.as_ref())
        .is_some_and(|c| !c.is_empty())
    {
        return tampered("someone else already approved or denied it");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use k8s_openapi::ByteString;

    use super::super::object::request_object;
    use super::super::tests::request;
    use super::*;

    #[test]
    fn only_our_own_object_is_approved() {
        let groups = vec!["dev1".to_string()];
        let req = request(b"OUR CSR", b"", &groups);
        let ours = request_object("n", req.csr_pem, req.rsa, 3600);
        assert!(verify_ours("n", &ours, &req).is_ok());
        let mut swapped = ours.clone();
        swapped.spec.request = ByteString(b"THEIR CSR".to_vec());
        assert!(matches!(
            verify_ours("n", &swapped, &req),
            Err(ClusterError::CsrTampered { .. })
        ));
        let mut signer = ours.clone();
        signer.spec.signer_name = "example.com/anything".into();
        assert!(verify_ours("n", &signer, &req).is_err());
        let mut decided = ours;
        decided.status = Some(CertificateSigningRequestStatus {
            conditions: Some(vec![CertificateSigningRequestCondition {
                type_: "Approved".into(),
                status: "True".into(),
                ..Default::default()
            }]),
            ..Default::default()
        });
        assert!(verify_ours("n", &decided, &req).is_err());
    }
}
