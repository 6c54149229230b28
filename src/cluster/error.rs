//! Kubernetes errors as sentences: a `Status` becomes what was refused, why, and the fix.

use std::error::Error as _;

#[derive(Debug, thiserror::Error)]
pub enum ClusterError {
    #[error("cannot use the kubeconfig to reach the cluster: {0}")]
    Kubeconfig(String),
    #[error("cannot reach the API server at {server}: {detail}")]
    Unreachable { server: String, detail: String },
    #[error("TLS with the API server at {server} failed ({detail})")]
    Tls { server: String, detail: String },
    #[error("the API server at {server} did not accept these credentials (401 Unauthorized)")]
    Unauthorized { server: String },
    #[error(
        "the API server at {server} cannot say who you are ({why}), and the credentials are not a client certificate to read it from"
    )]
    IdentityUnknown { server: String, why: String },
    #[error("the cluster refused to {action} (Forbidden: {message})")]
    Forbidden {
        action: String,
        message: String,
        rbac: String,
    },
    #[error("the cluster refused to {action} ({code} {reason}: {message})")]
    Api {
        action: String,
        code: u16,
        reason: String,
        message: String,
    },
    #[error("the request to {action} failed: {detail}")]
    Other { action: String, detail: String },
    #[error(
        "expirationSeconds must be at least 600 (10 minutes) for the CSR API, and {seconds} s was asked"
    )]
    ExpirationTooShort { seconds: u64 },
    #[error("CertificateSigningRequest {name} already exists and is not ours: refusing to use it")]
    CsrExists { name: String },
    #[error(
        "CertificateSigningRequest {name} on the server is not the one we created ({why}): refusing to approve it"
    )]
    CsrTampered { name: String, why: String },
    #[error("CertificateSigningRequest {name} was denied ({reason}: {message})")]
    Denied {
        name: String,
        reason: String,
        message: String,
    },
    #[error("the signer failed CertificateSigningRequest {name} ({reason}: {message})")]
    Failed {
        name: String,
        reason: String,
        message: String,
    },
    #[error(
        "CertificateSigningRequest {name} was approved but no certificate was issued within {timeout}: the cluster's signer for kubernetes.io/kube-apiserver-client is not running (kube-controller-manager needs --cluster-signing-cert-file and --cluster-signing-key-file) or the cluster is managed and does not sign this signer"
    )]
    NotIssued { name: String, timeout: String },
    #[error("CertificateSigningRequest {name} was not approved within {timeout}")]
    NotApproved { name: String, timeout: String },
    #[error(
        "the certificate issued for CertificateSigningRequest {name} is not what we asked for ({why}): refusing it"
    )]
    WrongCertificate { name: String, why: String },
    #[error(
        "interrupted by {signal} while waiting for CertificateSigningRequest {name}: {cleanup}; nothing was written"
    )]
    Interrupted {
        signal: &'static str,
        name: String,
        cleanup: String,
    },
    #[error(
        "{kind} {name} already exists with another role or subject: refusing to change someone else's binding"
    )]
    BindingConflict { kind: &'static str, name: String },
}

impl ClusterError {
    /// The fix, for the `hint:` line (`error::hint_of`); the message says only what happened.
    pub fn hint(&self) -> Option<String> {
        Some(match self {
            ClusterError::Tls { .. } => "check the cluster's certificate-authority in the kubeconfig (and tls-server-name, if the server's certificate names another host)".into(),
            ClusterError::Unauthorized { .. } => "the certificate may be expired, or not signed by the cluster's client CA: `kubectl certuser inspect` shows its dates and issuer".into(),
            ClusterError::Forbidden { rbac, .. } => format!("ask for {rbac}"),
            ClusterError::ExpirationTooShort { .. } => "use --days or a --duration of 10m or more".into(),
            ClusterError::NotIssued { .. } => "on a control-plane node, sign locally with --ca-cert/--ca-key (or --kubeadm) instead".into(),
            ClusterError::NotApproved { name, .. } => format!("someone allowed to approve it must run `kubectl certificate approve {name}`"),
            _ => return None,
        })
    }

    /// Turn a kube error into ours. `action` says what we were doing ("create
    /// CertificateSigningRequests"); `rbac` what permission a 403 means is missing.
    pub(crate) fn from_kube(
        err: kube::Error,
        server: &str,
        action: &str,
        rbac: &str,
    ) -> ClusterError {
        match err {
            kube::Error::Api(status) => match status.code {
                401 => ClusterError::Unauthorized {
                    server: server.into(),
                },
                403 => ClusterError::Forbidden {
                    action: action.into(),
                    message: status.message,
                    rbac: rbac.into(),
                },
                code => ClusterError::Api {
                    action: action.into(),
                    code,
                    reason: status.reason,
                    message: status.message,
                },
            },
            other => {
                let detail = chain(&other);
                if detail.contains("certificate verify failed")
                    || detail.contains("self-signed certificate")
                    || detail.contains("unable to get local issuer")
                {
                    ClusterError::Tls {
                        server: server.into(),
                        detail,
                    }
                } else if matches!(other, kube::Error::HyperError(_) | kube::Error::Service(_)) {
                    ClusterError::Unreachable {
                        server: server.into(),
                        detail,
                    }
                } else {
                    ClusterError::Other {
                        action: action.into(),
                        detail,
                    }
                }
            }
        }
    }
}

/// An error and its causes in one line, each cause once.
fn chain(err: &kube::Error) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut current: Option<&dyn std::error::Error> = err.source();
    while let Some(e) = current {
        let text = e.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        current = e.source();
    }
    if parts.is_empty() {
        parts.push(err.to_string());
    }
    parts.join(": ")
}

/// An error with its causes in one line, each cause once (kube's `KubeconfigError` repeats its
/// source in its message).
pub(crate) fn causes(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut current = err.source();
    while let Some(e) = current {
        let cause = e.to_string();
        if !text.contains(&cause) {
            text = format!("{text}: {cause}");
        }
        current = e.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use anyhow::Context as _;

    use super::*;

    #[test]
    fn the_fix_is_on_the_hint_line_not_in_the_message() {
        let refused: anyhow::Result<()> = Err(ClusterError::Forbidden {
            action: "create CertificateSigningRequests".into(),
            message: "no".into(),
            rbac: "create on certificatesigningrequests.certificates.k8s.io".into(),
        }
        .into());
        let err = refused.context("cannot add john").unwrap_err();
        let message = format!("{err:#}");
        assert!(message.contains("(Forbidden: no)"), "{message}");
        assert!(!message.contains("ask for"), "{message}");
        assert_eq!(
            crate::error::hint_of(&err).as_deref(),
            Some("ask for create on certificatesigningrequests.certificates.k8s.io")
        );
        let waiting = ClusterError::NotApproved {
            name: "certuser-john-1".into(),
            timeout: "5m".into(),
        };
        assert!(!waiting.to_string().contains("kubectl certificate approve"));
        assert!(
            waiting
                .hint()
                .unwrap()
                .contains("kubectl certificate approve certuser-john-1")
        );
    }
}
