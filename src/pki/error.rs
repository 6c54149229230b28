use std::path::PathBuf;

/// What can go wrong with keys and certificates. Each variant names the file or object; the
/// OpenSSL detail, when there is one, is the `source()`; the fix, where we know it, is
/// [`PkiError::hint`], printed on its own `hint:` line.
#[derive(Debug, thiserror::Error)]
pub enum PkiError {
    #[error("cannot read {path}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot write {path}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    /// `found` says what the file holds instead (see `pem::what_it_holds`).
    #[error("{what} is not a PEM private key (PKCS#8, PKCS#1 or SEC1): {found}")]
    BadKey { what: String, found: String },
    #[error("{what} is encrypted")]
    EncryptedKey { what: String },
    #[error(
        "{what} is encrypted and the passphrase in CERTUSER_CA_KEY_PASSPHRASE does not open it"
    )]
    WrongPassphrase { what: String },
    #[error("{what} is not a PEM certificate: {found}")]
    BadCertificate { what: String, found: String },
    #[error("{what} holds {count} certificates, and the CA certificate must be alone in its file")]
    SeveralCertificates { what: String, count: usize },
    #[error("{what} is not a PEM certificate signing request")]
    BadCsr {
        what: String,
        source: openssl::error::ErrorStack,
    },
    #[error(
        "the certificate signing request's signature does not verify: it was not made with the key it carries"
    )]
    CsrSignature,
    #[error("{what} is not a CA certificate (basicConstraints CA:TRUE is missing)")]
    NotCa { what: String },
    #[error("{what} may not sign certificates (its keyUsage lacks keyCertSign)")]
    CannotSign { what: String },
    #[error("the CA key {key} does not match the CA certificate {cert}")]
    KeyMismatch { cert: String, key: String },
    #[error("the CA certificate {what} expired on {not_after}")]
    CaExpired {
        what: String,
        not_after: jiff::Timestamp,
    },
    #[error("the CA certificate {what} is not valid before {not_before}")]
    CaNotYetValid {
        what: String,
        not_before: jiff::Timestamp,
    },
    #[error("the requested validity is out of range")]
    Validity,
    #[error(
        "a certificate lifetime of {seconds} s is under 10 minutes, too short to be meant (1m is a minute, not a month)"
    )]
    LifetimeTooShort { seconds: u64 },
    #[error("OpenSSL failed while {doing}")]
    OpenSsl {
        doing: &'static str,
        source: openssl::error::ErrorStack,
    },
}

impl PkiError {
    /// The fix, for the `hint:` line (`error::hint_of` finds it in an error chain).
    pub fn hint(&self) -> Option<String> {
        Some(match self {
            PkiError::EncryptedKey { .. } => "set CERTUSER_CA_KEY_PASSPHRASE to its passphrase, or decrypt it with `openssl pkey -in KEY -out PLAIN.key`".into(),
            PkiError::SeveralCertificates { what, .. } => {
                format!("split it (`openssl x509 -in {what} -out ca.crt` keeps the first)")
            }
            PkiError::NotCa { .. } => {
                "sign with the cluster's CA, e.g. /etc/kubernetes/pki/ca.crt".into()
            }
            PkiError::CaExpired { .. } => "renew the cluster CA first".into(),
            PkiError::CaNotYetValid { .. } => "check this machine's clock".into(),
            PkiError::LifetimeTooShort { .. } => "use --duration 30d or --days N, or pass --allow-short-lifetime if you really want it".into(),
            _ => return None,
        })
    }

    pub(crate) fn ssl(doing: &'static str) -> impl FnOnce(openssl::error::ErrorStack) -> PkiError {
        move |source| PkiError::OpenSsl { doing, source }
    }
}
