//! Certificate signing requests: `CN=user`, one `O=` per group, as Kubernetes reads them.

use openssl::hash::MessageDigest;
use openssl::nid::Nid;
use openssl::pkey::{Id, PKey, PKeyRef, Private, Public};
use openssl::x509::{X509NameBuilder, X509NameRef, X509Req, X509ReqBuilder};
use serde::Serialize;

use super::{PkiError, PrivateKey};

/// Who a certificate is for: the Kubernetes user (CN) and groups (O).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Subject {
    pub common_name: String,
    pub organizations: Vec<String>,
}

impl Subject {
    pub(crate) fn to_x509_name(&self) -> Result<openssl::x509::X509Name, PkiError> {
        let ssl = PkiError::ssl("building a subject name");
        let mut name = X509NameBuilder::new().map_err(ssl)?;
        // O before CN: the order of kubeadm's own client certificates. Kubernetes reads either.
        for org in &self.organizations {
            name.append_entry_by_nid(Nid::ORGANIZATIONNAME, org)
                .map_err(PkiError::ssl("adding a group"))?;
        }
        name.append_entry_by_nid(Nid::COMMONNAME, &self.common_name)
            .map_err(PkiError::ssl("adding the user name"))?;
        Ok(name.build())
    }

    pub(crate) fn from_x509_name(name: &X509NameRef) -> Subject {
        let text = |nid| -> Vec<String> {
            name.entries_by_nid(nid)
                .filter_map(|e| e.data().to_string().ok())
                .collect()
        };
        Subject {
            common_name: text(Nid::COMMONNAME).into_iter().next().unwrap_or_default(),
            organizations: text(Nid::ORGANIZATIONNAME),
        }
    }
}

/// The digest to sign with: SHA-256, except for Ed25519 which hashes internally.
pub(crate) fn digest_for<T>(key: &PKeyRef<T>) -> MessageDigest {
    match key.id() {
        Id::ED25519 | Id::ED448 => MessageDigest::null(),
        _ => MessageDigest::sha256(),
    }
}

/// A PEM CSR for `subject`, signed with `key`. It asks for no extensions: what the certificate
/// may do is our signing policy's business, not the request's.
pub fn build_csr(key: &PrivateKey, subject: &Subject) -> Result<Vec<u8>, PkiError> {
    Ok(build_csr_with_key_info(key, subject)?.pem)
}

/// A CSR we just made, and the SubjectPublicKeyInfo it carries.
pub struct BuiltCsr {
    pub pem: Vec<u8>,
    /// SubjectPublicKeyInfo DER of the key: what a certificate for it must carry.
    pub public_key_der: Vec<u8>,
}

/// [`build_csr`], with the key's SubjectPublicKeyInfo cut from the request's own bytes:
/// OpenSSL 3.0 would run its encoder set-up again to hand back the same bytes.
pub fn build_csr_with_key_info(key: &PrivateKey, subject: &Subject) -> Result<BuiltCsr, PkiError> {
    let ssl = PkiError::ssl("building the certificate signing request");
    let pkey: &PKeyRef<Private> = key.pkey();
    let mut req = X509ReqBuilder::new().map_err(ssl)?;
    req.set_version(0)
        .map_err(PkiError::ssl("building the CSR"))?;
    let name = subject.to_x509_name()?;
    req.set_subject_name(&name)
        .map_err(PkiError::ssl("building the CSR"))?;
    req.set_pubkey(pkey)
        .map_err(PkiError::ssl("building the CSR"))?;
    req.sign(pkey, digest_for(pkey))
        .map_err(PkiError::ssl("signing the CSR"))?;
    let req = req.build();
    let der = req.to_der().map_err(PkiError::ssl("encoding the CSR"))?;
    let public_key_der = match super::spki::request_public_key_info(&der) {
        Some(spki) => spki.to_vec(),
        None => key.public_key_der()?,
    };
    Ok(BuiltCsr {
        pem: req.to_pem().map_err(PkiError::ssl("encoding the CSR"))?,
        public_key_der,
    })
}

/// A parsed and verified CSR.
pub struct ParsedCsr {
    pub subject: Subject,
    /// The key the CSR carries: what a certificate for it is signed over.
    pub public_key: PKey<Public>,
    /// SubjectPublicKeyInfo DER of that key: what an issued certificate is compared with.
    pub public_key_der: Vec<u8>,
    pub req: X509Req,
}

/// Parse a PEM CSR and check its self-signature: the requester holds the key it names.
pub fn parse_csr_pem(pem: &[u8]) -> Result<ParsedCsr, PkiError> {
    let req = X509Req::from_pem(pem).map_err(|source| PkiError::BadCsr {
        what: "the request".into(),
        source,
    })?;
    let public = req
        .public_key()
        .map_err(PkiError::ssl("reading the CSR's public key"))?;
    if !req.verify(&public).unwrap_or(false) {
        return Err(PkiError::CsrSignature);
    }
    Ok(ParsedCsr {
        subject: Subject::from_x509_name(req.subject_name()),
        public_key_der: public
            .public_key_to_der()
            .map_err(PkiError::ssl("encoding the CSR's public key"))?,
        public_key: public,
        req,
    })
}

#[cfg(test)]
mod tests {
    use std::process::Command;

    use super::*;
    use crate::pki::KeyType;

    fn subject() -> Subject {
        Subject {
            common_name: "john".into(),
            organizations: vec!["dev1".into(), "qa".into()],
        }
    }

    #[test]
    fn openssl_verifies_our_csr_and_reads_the_subject() {
        for kind in [KeyType::Rsa2048, KeyType::EcdsaP256, KeyType::Ed25519] {
            let key = PrivateKey::generate(kind).unwrap();
            let pem = build_csr(&key, &subject()).unwrap();
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("john.csr");
            std::fs::write(&path, &pem).unwrap();
            let out = crate::pki::testing::judge(
                Command::new("openssl")
                    .args(["req", "-verify", "-noout", "-subject", "-in"])
                    .arg(&path),
            );
            let text = String::from_utf8_lossy(&out.stdout);
            assert!(text.contains("O = dev1, O = qa, CN = john"), "{text}");

            let parsed = parse_csr_pem(&pem).unwrap();
            assert_eq!(parsed.subject, subject());
            assert_eq!(parsed.public_key_der, key.public_key_der().unwrap());
        }
    }

    #[test]
    fn reads_a_csr_made_by_openssl_and_rejects_garbage() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.csr");
        let out = Command::new("openssl")
            .args(["req", "-new", "-newkey", "rsa:2048", "-nodes", "-keyout"])
            .arg(dir.path().join("x.key"))
            .args(["-subj", "/CN=jane/O=ops", "-out"])
            .arg(&path)
            .output()
            .unwrap();
        assert!(out.status.success());
        let parsed = parse_csr_pem(&std::fs::read(&path).unwrap()).unwrap();
        assert_eq!(
            parsed.subject,
            Subject {
                common_name: "jane".into(),
                organizations: vec!["ops".into()]
            }
        );
        assert!(matches!(
            parse_csr_pem(
                b"-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n"
            ),
            Err(PkiError::BadCsr { .. })
        ));
    }
}
