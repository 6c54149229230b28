//! Signing through `certificates.k8s.io/v1` CertificateSigningRequests.
//!
//! The security rules: a name nobody can predict (a pre-created object with a guessable name
//! could be approved by mistake); before approving, the object on the server must be the one we
//! created (same request bytes, hence same public key; same signer; no conditions we did not
//! add); the issued certificate must carry our public key and the subject we asked for, be for
//! client authentication, not be a CA, and be valid now.

use std::time::Duration;

use futures::StreamExt;
use k8s_openapi::ByteString;
use k8s_openapi::api::certificates::v1::{
    CertificateSigningRequest, CertificateSigningRequestCondition, CertificateSigningRequestSpec,
    CertificateSigningRequestStatus,
};
use kube::api::{
    Api, DeleteParams, ObjectMeta, PostParams, Preconditions, WatchEvent, WatchParams,
};

use super::{ApiClient, ClusterError, MANAGED_BY, interrupt};
use crate::pki;

pub const SIGNER: &str = "kubernetes.io/kube-apiserver-client";
/// The API's own minimum for `spec.expirationSeconds`.
const MIN_EXPIRATION: u64 = 600;

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
    pub not_after: jiff::Timestamp,
    pub requested_not_after: jiff::Timestamp,
}

pub async fn sign_via_api(
    api: &ApiClient,
    req: &CsrRequest<'_>,
    on_event: &mut dyn FnMut(CsrEvent<'_>),
) -> Result<CsrCertificate, ClusterError> {
    let expiration = expiration_seconds(req.expiration)?;
    let requested_not_after =
        jiff::Timestamp::now() + jiff::SignedDuration::from_secs(i64::from(expiration));
    let csrs: Api<CertificateSigningRequest> = Api::all(api.client.clone());
    let name = unique_name(req.user);

    // From before the object exists until it is deleted, Ctrl-C means "clean up and stop".
    let mut interrupts = interrupt::Window::open();
    let created = csrs
        .create(
            &PostParams::default(),
            &request_object(&name, req.csr_pem, req.rsa, expiration),
        )
        .await
        .map_err(|e| match e {
            kube::Error::Api(s) if s.code == 409 => ClusterError::CsrExists { name: name.clone() },
            e => ClusterError::from_kube(
                e,
                &api.server,
                "create CertificateSigningRequests",
                "create on certificatesigningrequests.certificates.k8s.io",
            ),
        })?;
    on_event(CsrEvent::Created { name: &name });
    let uid = created.metadata.uid.clone();

    let result = tokio::select! {
        result = approve_and_wait(api, &csrs, &name, created, req, on_event) => result,
        signal = interrupts.received() => {
            let cleanup = if req.keep_csr {
                "it was kept (--keep-csr)".to_string()
            } else {
                match delete_ours(&csrs, &name, uid.as_deref()).await {
                    Ok(()) => "it was deleted".to_string(),
                    Err(why) => format!(
                        "it could not be deleted ({why}): delete it with `kubectl delete csr {name}`"
                    ),
                }
            };
            return Err(ClusterError::Interrupted { signal, name, cleanup });
        }
    };
    if !req.keep_csr
        && let Err(why) = delete_ours(&csrs, &name, uid.as_deref()).await
    {
        // The object holds no secret: a failed delete is said, not allowed to hide the result.
        on_event(CsrEvent::NotDeleted { name: &name, why });
    }
    drop(interrupts);
    let pem = result?;
    let info = check_certificate(&name, &pem, req)?;
    Ok(CsrCertificate {
        name,
        certificate_pem: pem,
        not_after: info.not_after,
        requested_not_after,
    })
}

/// How long a delete may take before we give up on it and say so.
const DELETE_TIMEOUT: Duration = Duration::from_secs(30);

/// Delete the object we created, and only that one: the uid precondition makes the server
/// refuse when another object has taken the name meanwhile. Gone already is fine.
async fn delete_ours(
    csrs: &Api<CertificateSigningRequest>,
    name: &str,
    uid: Option<&str>,
) -> Result<(), String> {
    match tokio::time::timeout(DELETE_TIMEOUT, csrs.delete(name, &delete_params(uid))).await {
        Err(_) => Err(format!(
            "no answer within {}",
            crate::output::human_duration(DELETE_TIMEOUT.as_secs() as i64)
        )),
        Ok(Ok(_)) => Ok(()),
        Ok(Err(kube::Error::Api(s))) if s.code == 404 => Ok(()),
        Ok(Err(kube::Error::Api(s))) if s.code == 409 => {
            Err("another object has taken its name, so the uid precondition kept it".to_string())
        }
        Ok(Err(kube::Error::Api(s))) => Err(format!("{} {}: {}", s.code, s.reason, s.message)),
        Ok(Err(e)) => Err(e.to_string()),
    }
}

fn delete_params(uid: Option<&str>) -> DeleteParams {
    DeleteParams {
        preconditions: uid.map(|uid| Preconditions {
            uid: Some(uid.to_string()),
            resource_version: None,
        }),
        ..DeleteParams::default()
    }
}

/// `spec.expirationSeconds` as the API takes it; less than the API's minimum is refused here,
/// before any object exists.
pub fn expiration_seconds(expiration: Duration) -> Result<i32, ClusterError> {
    let seconds = expiration.as_secs();
    if seconds < MIN_EXPIRATION {
        return Err(ClusterError::ExpirationTooShort { seconds });
    }
    Ok(i32::try_from(seconds).unwrap_or(i32::MAX))
}

/// `certuser-<user>-<16 random hex>`: a valid object name nobody can guess in advance.
fn unique_name(user: &str) -> String {
    let mut random = [0u8; 8];
    openssl::rand::rand_bytes(&mut random).expect("the system random source works");
    let suffix: String = random.iter().map(|b| format!("{b:02x}")).collect();
    csr_name(user, &suffix)
}

/// `certuser-<user>-<suffix>`, the user lower-cased and cut to what an object name may hold.
/// The dry run passes a placeholder suffix; the real run a random one.
pub fn csr_name(user: &str, suffix: &str) -> String {
    let mut clean: String = user
        .to_lowercase()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '.' {
                c
            } else {
                '-'
            }
        })
        .collect();
    clean.truncate(40);
    let clean = clean.trim_matches(|c| c == '-' || c == '.');
    if clean.is_empty() {
        format!("certuser-{suffix}")
    } else {
        format!("certuser-{clean}-{suffix}")
    }
}

/// The CertificateSigningRequest object we create: the dry run serialises this same object.
pub fn request_object(
    name: &str,
    csr_pem: &[u8],
    rsa: bool,
    expiration_seconds: i32,
) -> CertificateSigningRequest {
    let mut usages = vec!["client auth".to_string(), "digital signature".to_string()];
    if rsa {
        usages.push("key encipherment".to_string());
    }
    CertificateSigningRequest {
        metadata: ObjectMeta {
            name: Some(name.to_string()),
            labels: Some([(MANAGED_BY.0.to_string(), MANAGED_BY.1.to_string())].into()),
            ..Default::default()
        },
        spec: CertificateSigningRequestSpec {
            request: ByteString(csr_pem.to_vec()),
            signer_name: SIGNER.to_string(),
            expiration_seconds: Some(expiration_seconds),
            usages: Some(usages),
            ..Default::default()
        },
        status: None,
    }
}

async fn approve_and_wait(
    api: &ApiClient,
    csrs: &Api<CertificateSigningRequest>,
    name: &str,
    created: CertificateSigningRequest,
    req: &CsrRequest<'_>,
    on_event: &mut dyn FnMut(CsrEvent<'_>),
) -> Result<Vec<u8>, ClusterError> {
    let mut latest = created;
    if req.approve {
        let current = csrs.get(name).await.map_err(|e| {
            ClusterError::from_kube(
                e,
                &api.server,
                "read CertificateSigningRequests",
                "get on certificatesigningrequests.certificates.k8s.io",
            )
        })?;
        verify_ours(name, &current, req)?;
        let mut approving = current;
        let status = approving
            .status
            .get_or_insert_with(CertificateSigningRequestStatus::default);
        status
            .conditions
            .get_or_insert_with(Vec::new)
            .push(CertificateSigningRequestCondition {
                type_: "Approved".into(),
                status: "True".into(),
                reason: Some("KubectlCertuserApprove".into()),
                message: Some(approval_message(api, req.user).await),
                ..Default::default()
            });
        latest = csrs.replace_subresource("approval", name, &PostParams::default(), &approving).await.map_err(|e| {
            ClusterError::from_kube(
                e,
                &api.server,
                "approve CertificateSigningRequests",
                "update on certificatesigningrequests/approval and approve on signers (resourceName kubernetes.io/kube-apiserver-client), or run with --no-approve",
            )
        })?;
        on_event(CsrEvent::Approved { name });
    } else {
        on_event(CsrEvent::WaitingForApproval { name });
    }
    on_event(CsrEvent::Waiting);
    let waited = tokio::time::timeout(
        req.timeout,
        wait_for_certificate(api, csrs, name, &mut latest),
    )
    .await;
    match waited {
        Ok(result) => {
            let pem = result?;
            on_event(CsrEvent::Issued);
            Ok(pem)
        }
        Err(_) => {
            let timeout = crate::output::human_duration(req.timeout.as_secs() as i64);
            if has_condition(&latest, "Approved") {
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

/// "approved by kubernetes-admin with kubectl-certuser for user john": who and what tool. The
/// approver's name comes from SelfSubjectReview when the server has it.
async fn approval_message(api: &ApiClient, user: &str) -> String {
    match super::whoami(api).await {
        Ok(me) => format!(
            "approved by {} with kubectl-certuser for user {user}",
            me.username
        ),
        _ => format!("approved with kubectl-certuser for user {user}"),
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

/// Watch the object until it carries a certificate, or a Denied/Failed condition.
async fn wait_for_certificate(
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

fn has_condition(csr: &CertificateSigningRequest, kind: &str) -> bool {
    csr.status
        .as_ref()
        .and_then(|s| s.conditions.as_ref())
        .is_some_and(|c| c.iter().any(|c| c.type_ == kind && c.status == "True"))
}

/// How far ahead of our clock a certificate may start: the cluster's clock may be ahead.
const CLOCK_SKEW: i64 = 300;

/// Never trust what comes back: our key, our subject, a client certificate (not a CA) valid now.
fn check_certificate(
    name: &str,
    pem: &[u8],
    req: &CsrRequest<'_>,
) -> Result<pki::CertInfo, ClusterError> {
    let wrong = |why: String| ClusterError::WrongCertificate {
        name: name.into(),
        why,
    };
    let cert = pki::parse_certificate_pem(pem, "the issued certificate")
        .map_err(|e| wrong(e.to_string()))?;
    let spki = cert
        .public_key()
        .and_then(|k| k.public_key_to_der())
        .map_err(|e| wrong(e.to_string()))?;
    if spki != req.public_key_der {
        return Err(wrong("it carries another public key".into()));
    }
    let info = pki::inspect_certificate(&cert).map_err(|e| wrong(e.to_string()))?;
    if info.common_name.as_deref() != Some(req.user) {
        return Err(wrong(format!(
            "its CN is {:?}, not {:?}",
            info.common_name.unwrap_or_default(),
            req.user
        )));
    }
    let (mut got, mut want) = (info.groups.clone(), req.groups.to_vec());
    got.sort();
    want.sort();
    if got != want {
        return Err(wrong(format!("its groups are {got:?}, not {want:?}")));
    }
    if !info.extended_key_usage.iter().any(|u| u == "clientAuth") {
        return Err(wrong(format!(
            "it is not for client authentication (extended key usage {:?})",
            info.extended_key_usage
        )));
    }
    if info.is_ca {
        return Err(wrong(
            "it is a CA certificate (basicConstraints CA:TRUE), able to sign others".into(),
        ));
    }
    let now = jiff::Timestamp::now();
    if info.not_after <= now {
        return Err(wrong(format!(
            "it expired on {}",
            info.not_after.strftime("%Y-%m-%d %H:%M:%S UTC")
        )));
    }
    if info.not_before > now + jiff::SignedDuration::from_secs(CLOCK_SKEW) {
        return Err(wrong(format!(
            "it is not valid before {}: check the clocks of this machine and the cluster",
            info.not_before.strftime("%Y-%m-%d %H:%M:%S UTC")
        )));
    }
    Ok(info)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pki::{CertificateAuthority, KeyType, PrivateKey, Subject};

    #[test]
    fn names_are_valid_and_unpredictable() {
        let a = unique_name("John.Doe@Example.com");
        let b = unique_name("John.Doe@Example.com");
        assert_ne!(a, b);
        assert!(a.starts_with("certuser-john.doe-example.com-"), "{a}");
        assert!(
            a.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.')
        );
        assert_eq!(a.rsplit('-').next().unwrap().len(), 16);
        assert!(unique_name("@@@").starts_with("certuser-"));
    }

    fn request<'a>(pem: &'a [u8], spki: &'a [u8], groups: &'a [String]) -> CsrRequest<'a> {
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

    #[test]
    fn the_issued_certificate_must_carry_our_key_and_subject() {
        let ca =
            CertificateAuthority::create_self_signed("kubernetes", 30, KeyType::EcdsaP256).unwrap();
        let ours = PrivateKey::generate(KeyType::EcdsaP256).unwrap();
        let theirs = PrivateKey::generate(KeyType::EcdsaP256).unwrap();
        let groups = vec!["dev1".to_string()];
        let spki = ours.public_key_der().unwrap();
        let req = request(b"", &spki, &groups);
        let issue = |key: &PrivateKey, cn: &str, orgs: Vec<String>| {
            let subject = Subject {
                common_name: cn.into(),
                organizations: orgs,
            };
            pki::sign_client_certificate(
                &ca,
                &subject,
                &key.public_key_der().unwrap(),
                false,
                Duration::from_secs(3600),
                jiff::Timestamp::now(),
            )
            .unwrap()
            .certificate_pem
        };
        assert!(check_certificate("n", &issue(&ours, "john", groups.clone()), &req).is_ok());
        assert!(
            check_certificate("n", &issue(&theirs, "john", groups.clone()), &req)
                .unwrap_err()
                .to_string()
                .contains("another public key")
        );
        assert!(
            check_certificate("n", &issue(&ours, "mallory", groups.clone()), &req)
                .unwrap_err()
                .to_string()
                .contains("CN")
        );
        assert!(
            check_certificate(
                "n",
                &issue(&ours, "john", vec!["system:masters".into()]),
                &req
            )
            .unwrap_err()
            .to_string()
            .contains("groups")
        );
    }

    /// A certificate for `key` as a careless or hostile signer might issue it.
    struct Crafted {
        client_auth: bool,
        server_auth: bool,
        ca: Option<bool>,
        from: i64,
        until: i64,
    }

    fn craft(ca: &CertificateAuthority, key: &PrivateKey, how: Crafted) -> Vec<u8> {
        use openssl::x509::extension::{BasicConstraints, ExtendedKeyUsage};
        let mut b = openssl::x509::X509Builder::new().unwrap();
        b.set_version(2).unwrap();
        let subject = Subject {
            common_name: "john".into(),
            organizations: vec!["dev1".into()],
        };
        b.set_subject_name(&subject.to_x509_name().unwrap())
            .unwrap();
        b.set_issuer_name(ca.certificate().subject_name()).unwrap();
        let public =
            openssl::pkey::PKey::public_key_from_der(&key.public_key_der().unwrap()).unwrap();
        b.set_pubkey(&public).unwrap();
        let now = jiff::Timestamp::now().as_second();
        b.set_not_before(&openssl::asn1::Asn1Time::from_unix(now + how.from).unwrap())
            .unwrap();
        b.set_not_after(&openssl::asn1::Asn1Time::from_unix(now + how.until).unwrap())
            .unwrap();
        match how.ca {
            Some(true) => b
                .append_extension(BasicConstraints::new().critical().ca().build().unwrap())
                .unwrap(),
            Some(false) => b
                .append_extension(BasicConstraints::new().critical().build().unwrap())
                .unwrap(),
            None => {}
        }
        if how.client_auth || how.server_auth {
            let mut eku = ExtendedKeyUsage::new();
            if how.client_auth {
                eku.client_auth();
            }
            if how.server_auth {
                eku.server_auth();
            }
            b.append_extension(eku.build().unwrap()).unwrap();
        }
        b.sign(ca.key(), openssl::hash::MessageDigest::sha256())
            .unwrap();
        b.build().to_pem().unwrap()
    }

    #[test]
    fn the_issued_certificate_must_be_a_current_client_certificate_and_not_a_ca() {
        let ca =
            CertificateAuthority::create_self_signed("kubernetes", 30, KeyType::EcdsaP256).unwrap();
        let ours = PrivateKey::generate(KeyType::EcdsaP256).unwrap();
        let groups = vec!["dev1".to_string()];
        let spki = ours.public_key_der().unwrap();
        let req = request(b"", &spki, &groups);
        let good = Crafted {
            client_auth: true,
            server_auth: false,
            ca: Some(false),
            from: -300,
            until: 3600,
        };
        let check = |how: Crafted| {
            check_certificate("n", &craft(&ca, &ours, how), &req)
                .map(|_| ())
                .map_err(|e| e.to_string())
        };
        check(Crafted { ..good }).unwrap();
        // No basicConstraints at all is a leaf too; extra usages beside clientAuth are tolerated.
        check(Crafted { ca: None, ..good }).unwrap();
        check(Crafted {
            server_auth: true,
            ..good
        })
        .unwrap();
        for (bad, needle) in [
            (
                Crafted {
                    client_auth: false,
                    server_auth: true,
                    ..good
                },
                "client authentication",
            ),
            (
                Crafted {
                    client_auth: false,
                    ..good
                },
                "client authentication",
            ),
            (
                Crafted {
                    ca: Some(true),
                    ..good
                },
                "CA",
            ),
            (
                Crafted {
                    from: -7200,
                    until: -3600,
                    ..good
                },
                "expired",
            ),
            (
                Crafted {
                    from: 3600,
                    until: 7200,
                    ..good
                },
                "not valid before",
            ),
        ] {
            let err = check(bad).unwrap_err();
            assert!(err.contains(needle), "{needle}: {err}");
            assert!(err.contains("refusing it"), "{err}");
        }
    }

    #[test]
    fn deletes_only_the_object_we_created() {
        let params = delete_params(Some("1234-uid"));
        let json = serde_json::to_value(&params).unwrap();
        assert_eq!(json["preconditions"]["uid"], "1234-uid", "{json}");
        assert!(delete_params(None).preconditions.is_none());
    }

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
