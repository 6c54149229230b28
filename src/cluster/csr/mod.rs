//! Signing through `certificates.k8s.io/v1` CertificateSigningRequests.
//!
//! The security rules: a name nobody can predict (a pre-created object with a guessable name
//! could be approved by mistake); before approving, the object on the server must be the one we
//! created (same request bytes, hence same public key; same signer; no conditions we did not
//! add); the issued certificate must carry our public key and the subject we asked for, be for
//! client authentication, not be a CA, and be valid now.
//!
//! - [`object`]: the object we create, its unguessable name, its lifetime field.
//! - [`approve`]: approving exactly our own object.
//! - [`wait`]: watching it until a certificate (or a refusal) is there.
//! - [`verify`]: what the issued certificate must be before we accept it.
//! - [`cleanup`]: deleting our object, and only ours.

mod approve;
mod cleanup;
mod object;
mod verify;
mod wait;

use std::time::Duration;

use k8s_openapi::api::certificates::v1::CertificateSigningRequest;
use kube::api::{Api, PostParams};

use super::{ApiClient, ClusterError};
use crate::pki;
use crate::signals as interrupt;

pub use approve::approver;
pub use cleanup::CsrCleanup;
pub use object::{csr_name, expiration_seconds, request_object};

pub const SIGNER: &str = "kubernetes.io/kube-apiserver-client";

pub struct CsrRequest<'a> {
    pub csr_pem: &'a [u8],
    /// SubjectPublicKeyInfo DER of our key.
    pub public_key_der: &'a [u8],
    pub user: &'a str,
    pub groups: &'a [String],
    pub rsa: bool,
    pub expiration: Duration,
    /// Approve it ourselves (needs RBAC), or wait for someone else to.
    pub approve: bool,
    pub timeout: Duration,
    pub keep_csr: bool,
}

pub enum CsrEvent<'a> {
    Created {
        name: &'a str,
    },
    Approved {
        name: &'a str,
    },
    WaitingForApproval {
        name: &'a str,
    },
    Waiting,
    Issued,
    /// Our object could not be deleted afterwards: someone should.
    NotDeleted {
        name: &'a str,
        why: String,
    },
}

pub struct CsrCertificate {
    pub name: String,
    pub certificate_pem: Vec<u8>,
    /// What the certificate says, read once as it was checked against the request.
    pub info: pki::CertInfo,
    pub requested_not_after: jiff::Timestamp,
    /// The deletion of our object, under way: [`CsrCleanup::finish`] says how it ended.
    /// `None` with `--keep-csr`.
    pub cleanup: Option<CsrCleanup>,
}

/// `approver`: who approves, for the approval's message ([`approver`], usually asked before as
/// the client's first request); awaited while the object is created, only when we approve.
pub async fn sign_via_api(
    api: &ApiClient,
    req: &CsrRequest<'_>,
    approver: impl Future<Output = Option<String>>,
    on_event: &mut dyn FnMut(CsrEvent<'_>),
) -> Result<CsrCertificate, ClusterError> {
    let expiration = expiration_seconds(req.expiration)?;
    let requested_not_after =
        jiff::Timestamp::now() + jiff::SignedDuration::from_secs(i64::from(expiration));
    let csrs: Api<CertificateSigningRequest> = Api::all(api.client.clone());
    let name = object::unique_name(req.user);

    // From before the object exists until it is deleted, Ctrl-C means "clean up and stop".
    let mut interrupts = interrupt::Window::open();
    let approver = async {
        match req.approve {
            true => approver.await,
            false => None,
        }
    };
    let (created, approver) =
        tokio::join!(create_ours(api, &csrs, &name, req, expiration), approver);
    let created = created?;
    on_event(CsrEvent::Created { name: &name });
    let uid = created.metadata.uid.clone();

    let waited = approve::approve_and_wait(
        api,
        &csrs,
        &name,
        created,
        req,
        approver.as_deref(),
        on_event,
    );
    let result = tokio::select! {
        result = waited => result,
        signal = interrupts.received() => {
            let cleanup = clean_up_interrupted(&csrs, &name, uid.as_deref(), req.keep_csr).await;
            return Err(ClusterError::Interrupted { signal, name, cleanup });
        }
    };
    let checked = result.and_then(|pem| {
        let info = verify::check_certificate(&name, &pem, req)?;
        Ok((pem, info))
    });
    // The delete runs from here on, beside whatever the caller does next (writing the
    // kubeconfig, checking the new user's access): nothing waits for it but the end.
    let cleanup = match req.keep_csr {
        true => None,
        false => Some(CsrCleanup::start(
            csrs.clone(),
            name.clone(),
            uid,
            interrupts,
        )),
    };
    match checked {
        Ok((pem, info)) => Ok(CsrCertificate {
            name,
            certificate_pem: pem,
            info,
            requested_not_after,
            cleanup,
        }),
        Err(err) => {
            if let Some(cleanup) = cleanup
                && let Err(why) = cleanup.finish().await
            {
                on_event(CsrEvent::NotDeleted { name: &name, why });
            }
            Err(err)
        }
    }
}

/// Create our object named `name`.
async fn create_ours(
    api: &ApiClient,
    csrs: &Api<CertificateSigningRequest>,
    name: &str,
    req: &CsrRequest<'_>,
    expiration: i32,
) -> Result<CertificateSigningRequest, ClusterError> {
    let object = request_object(name, req.csr_pem, req.rsa, expiration);
    let created = csrs.create(&PostParams::default(), &object).await;
    created.map_err(|e| match e {
        kube::Error::Api(s) if s.code == 409 => ClusterError::CsrExists {
            name: name.to_owned(),
        },
        e => ClusterError::from_kube(
            e,
            &api.server,
            "create CertificateSigningRequests",
            "create on certificatesigningrequests.certificates.k8s.io",
        ),
    })
}

/// After Ctrl-C: delete our object (unless `--keep-csr`) and say what became of it.
async fn clean_up_interrupted(
    csrs: &Api<CertificateSigningRequest>,
    name: &str,
    uid: Option<&str>,
    keep_csr: bool,
) -> String {
    if keep_csr {
        return "it was kept (--keep-csr)".to_string();
    }
    match cleanup::delete_ours(csrs, name, uid).await {
        Ok(()) => "it was deleted".to_string(),
        Err(why) => {
            format!("it could not be deleted ({why}): delete it with `kubectl delete csr {name}`")
        }
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;

    pub(crate) fn request<'a>(
        pem: &'a [u8],
        spki: &'a [u8],
        groups: &'a [String],
    ) -> CsrRequest<'a> {
        CsrRequest {
            csr_pem: pem,
            public_key_der: spki,
            user: "john",
            groups,
            rsa: false,
            expiration: Duration::from_secs(3600),
            approve: true,
            timeout: Duration::from_secs(1),
            keep_csr: false,
        }
    }
}
