//! What a file holds, so that "not a certificate" can say what it is instead: a CSR, a key, DER,
//! or no PEM at all. OpenSSL's own error ("PEM routines:get_name:no start line") says neither.

use openssl::pkey::PKey;
use openssl::x509::{X509, X509Req};

use super::PkiError;

/// Every certificate in `bytes`, in file order: a PEM file with one or more CERTIFICATE blocks
/// (a chain), or one DER certificate. Anything else is refused, named by what it is.
pub fn read_certificates(bytes: &[u8], what: &str) -> Result<Vec<X509>, PkiError> {
    if has_pem_label(bytes, "CERTIFICATE") {
        return X509::stack_from_pem(bytes)
            .ok()
            .filter(|certs| !certs.is_empty())
            .ok_or_else(|| not_a_certificate(what, "a damaged PEM certificate".into()));
    }
    if bytes.first() == Some(&0x30) {
        if let Ok(cert) = X509::from_der(bytes) {
            return Ok(vec![cert]);
        }
    }
    Err(not_a_certificate(what, describe(bytes)))
}

pub(super) fn not_a_certificate(what: &str, found: String) -> PkiError {
    PkiError::NotACertificate {
        what: what.into(),
        found,
    }
}

/// What the bytes are, as a phrase: "a certificate signing request", "a private key", ...
pub(super) fn describe(bytes: &[u8]) -> String {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return "nothing (the file is empty)".into();
    }
    if let Some(label) = first_pem_label(bytes) {
        return match label.as_str() {
            "CERTIFICATE" => "a damaged PEM certificate".into(),
            "CERTIFICATE REQUEST" | "NEW CERTIFICATE REQUEST" => {
                "a certificate signing request (a CSR is signed into a certificate first)".into()
            }
            l if l.ends_with("PRIVATE KEY") => "a private key".into(),
            "PUBLIC KEY" | "RSA PUBLIC KEY" => "a public key".into(),
            "X509 CRL" => "a certificate revocation list".into(),
            other => format!("a PEM block of type {other:?}"),
        };
    }
    if bytes.first() == Some(&0x30) {
        if X509::from_der(bytes).is_ok() {
            return "a DER certificate, where PEM is needed (convert it with `openssl x509 -inform DER -in FILE -out FILE.pem`)".into();
        }
        if X509Req::from_der(bytes).is_ok() {
            return "a DER certificate signing request".into();
        }
        if PKey::private_key_from_der(bytes).is_ok() {
            return "a DER private key".into();
        }
        return "DER data that is not a certificate".into();
    }
    if std::str::from_utf8(bytes).is_err() {
        return "binary data, neither PEM nor DER".into();
    }
    "text without any PEM block (-----BEGIN CERTIFICATE-----)".into()
}

fn has_pem_label(bytes: &[u8], label: &str) -> bool {
    pem_labels(bytes).any(|l| l == label)
}

fn first_pem_label(bytes: &[u8]) -> Option<String> {
    pem_labels(bytes).next()
}

/// The labels of the `-----BEGIN LABEL-----` lines, never any other content of the file.
fn pem_labels(bytes: &[u8]) -> impl Iterator<Item = String> + '_ {
    const BEGIN: &[u8] = b"-----BEGIN ";
    bytes
        .split(|b| *b == b'\n')
        .filter_map(|line| line.trim_ascii().strip_prefix(BEGIN))
        .filter_map(|rest| rest.strip_suffix(b"-----"))
        .filter_map(|label| std::str::from_utf8(label).ok())
        .map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pki::{KeyType, PrivateKey, Subject, build_csr};

    fn key_and_csr() -> (Vec<u8>, Vec<u8>) {
        let key = PrivateKey::generate(KeyType::EcdsaP256).unwrap();
        let subject = Subject {
            common_name: "john".into(),
            organizations: vec![],
        };
        let csr = build_csr(&key, &subject).unwrap();
        (key.to_pem().unwrap().as_bytes().to_vec(), csr)
    }

    #[test]
    fn names_what_a_non_certificate_is_without_echoing_it() {
        let (key, csr) = key_and_csr();
        let cases: [(&[u8], &str); 5] = [
            (&csr, "a certificate signing request"),
            (&key, "a private key"),
            (b"", "empty"),
            (b"hello\n", "without any PEM block"),
            (
                &[0x30, 0x03, 0x02, 0x01, 0x00],
                "DER data that is not a certificate",
            ),
        ];
        for (bytes, expected) in cases {
            let err = read_certificates(bytes, "x.pem").unwrap_err().to_string();
            assert!(err.contains(expected) && err.contains("x.pem"), "{err}");
            assert!(!err.contains("PRIVATE KEY-----"), "{err}");
        }
    }
}
