//! What a certificate says, trimmed to what matters for cluster access.

use openssl::asn1::{Asn1Time, Asn1TimeRef};
use openssl::hash::MessageDigest;
use openssl::nid::Nid;
use openssl::x509::{X509, X509ExtendedKeyUsage, X509KeyUsage, X509NameRef, X509Ref};
use serde::Serialize;

use super::PkiError;
use super::csr::Subject;

/// Field names are a stable contract (`inspect -o json|yaml`, and `certificate` in `add`'s).
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CertInfo {
    pub subject: String,
    pub common_name: Option<String>,
    /// The O entries: the Kubernetes groups.
    pub groups: Vec<String>,
    pub issuer: String,
    /// Lower-case hex, as `openssl x509 -serial` prints it (up to case).
    pub serial: String,
    pub not_before: jiff::Timestamp,
    pub not_after: jiff::Timestamp,
    /// "RSA 2048", "ECDSA P-256", "Ed25519".
    pub key: String,
    pub signature_algorithm: String,
    /// `AA:BB:...`, as `openssl x509 -fingerprint -sha256`.
    pub sha256_fingerprint: String,
    pub key_usage: Vec<String>,
    pub extended_key_usage: Vec<String>,
    pub is_ca: bool,
    /// SHA-256 of the SubjectPublicKeyInfo, hex: matches a key to its certificate.
    pub public_key_der_sha256: String,
}

/// The first certificate of a PEM file. When there is none, the error says what the file holds
/// instead (a CSR, a key, DER...), never OpenSSL's "no start line".
pub fn parse_certificate_pem(pem: &[u8], what: &str) -> Result<X509, PkiError> {
    X509::from_pem(pem).map_err(|_| PkiError::BadCertificate {
        what: what.into(),
        found: super::pem::what_it_holds(pem, "CERTIFICATE"),
    })
}

/// Every certificate in `bytes`, in file order: a PEM file with one or more CERTIFICATE blocks
/// (a chain), or one DER certificate. Anything else is refused, saying what the file holds.
pub fn read_certificates(bytes: &[u8], what: &str) -> Result<Vec<X509>, PkiError> {
    let certs = match bytes.first() {
        Some(0x30) => X509::from_der(bytes).map(|c| vec![c]).ok(),
        _ => X509::stack_from_pem(bytes).ok(),
    };
    certs
        .filter(|c| !c.is_empty())
        .ok_or_else(|| PkiError::BadCertificate {
            what: what.into(),
            found: super::pem::what_it_holds(bytes, "CERTIFICATE"),
        })
}

pub fn inspect_certificate(cert: &X509Ref) -> Result<CertInfo, PkiError> {
    let ssl = || PkiError::ssl("reading a certificate");
    let subject = Subject::from_x509_name(cert.subject_name());
    let public = cert.public_key().map_err(ssl())?;
    let spki = public_key_info(cert)?;
    let fingerprint = cert.digest(MessageDigest::sha256()).map_err(ssl())?;
    Ok(CertInfo {
        subject: one_line_name(cert.subject_name()),
        common_name: Some(subject.common_name).filter(|c| !c.is_empty()),
        groups: subject.organizations,
        issuer: one_line_name(cert.issuer_name()),
        serial: cert
            .serial_number()
            .to_bn()
            .and_then(|b| b.to_hex_str().map(|s| s.to_lowercase()))
            .map_err(ssl())?,
        not_before: asn1_to_timestamp(cert.not_before())?,
        not_after: asn1_to_timestamp(cert.not_after())?,
        key: super::key::describe(&public),
        signature_algorithm: cert
            .signature_algorithm()
            .object()
            .nid()
            .long_name()
            .unwrap_or("unknown")
            .to_string(),
        sha256_fingerprint: fingerprint
            .iter()
            .map(|b| format!("{b:02X}"))
            .collect::<Vec<_>>()
            .join(":"),
        key_usage: key_usage_names(cert.key_usage()),
        extended_key_usage: extended_key_usage_names(cert.extended_key_usage()),
        is_ca: super::basic_constraints::is_ca(cert),
        public_key_der_sha256: openssl::sha::sha256(&spki)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect(),
    })
}

/// The certificate's SubjectPublicKeyInfo DER: cut from the certificate's own bytes, or (for
/// a shape our walk does not read) re-encoded by OpenSSL, which gives the same bytes.
pub(super) fn public_key_info(cert: &X509Ref) -> Result<Vec<u8>, PkiError> {
    let ssl = || PkiError::ssl("reading a certificate's public key");
    let der = cert.to_der().map_err(ssl())?;
    match super::spki::subject_public_key_info(&der) {
        Some(spki) => Ok(spki.to_vec()),
        None => cert
            .public_key()
            .and_then(|k| k.public_key_to_der())
            .map_err(ssl()),
    }
}

/// ASN.1 time to a timestamp, through OpenSSL's own difference from the epoch.
pub fn asn1_to_timestamp(t: &Asn1TimeRef) -> Result<jiff::Timestamp, PkiError> {
    let epoch = Asn1Time::from_unix(0).map_err(PkiError::ssl("reading a date"))?;
    let diff = epoch.diff(t).map_err(PkiError::ssl("reading a date"))?;
    jiff::Timestamp::from_second(i64::from(diff.days) * 86_400 + i64::from(diff.secs))
        .map_err(|_| PkiError::Validity)
}

/// `CN=kubernetes` or `O=dev1, CN=john`: the RFC 4514 short names, in certificate order.
pub(crate) fn one_line_name(name: &X509NameRef) -> String {
    name.entries()
        .map(|e| {
            let nid = e.object().nid();
            let key = match nid {
                Nid::COMMONNAME => "CN".to_string(),
                Nid::ORGANIZATIONNAME => "O".to_string(),
                Nid::ORGANIZATIONALUNITNAME => "OU".to_string(),
                Nid::COUNTRYNAME => "C".to_string(),
                Nid::LOCALITYNAME => "L".to_string(),
                Nid::STATEORPROVINCENAME => "ST".to_string(),
                _ => nid.short_name().unwrap_or("?").to_string(),
            };
            let value = e.data().to_string().unwrap_or_default();
            format!("{key}={value}")
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn key_usage_names(usage: Option<X509KeyUsage>) -> Vec<String> {
    let Some(usage) = usage else {
        return Vec::new();
    };
    [
        (X509KeyUsage::DIGITAL_SIGNATURE, "digitalSignature"),
        (X509KeyUsage::NON_REPUDIATION, "nonRepudiation"),
        (X509KeyUsage::KEY_ENCIPHERMENT, "keyEncipherment"),
        (X509KeyUsage::DATA_ENCIPHERMENT, "dataEncipherment"),
        (X509KeyUsage::KEY_AGREEMENT, "keyAgreement"),
        (X509KeyUsage::KEY_CERT_SIGN, "keyCertSign"),
        (X509KeyUsage::CRL_SIGN, "cRLSign"),
    ]
    .iter()
    .filter(|(flag, _)| usage.contains(*flag))
    .map(|(_, name)| name.to_string())
    .collect()
}

fn extended_key_usage_names(usage: Option<X509ExtendedKeyUsage>) -> Vec<String> {
    let Some(usage) = usage else {
        return Vec::new();
    };
    [
        (X509ExtendedKeyUsage::SSL_CLIENT, "clientAuth"),
        (X509ExtendedKeyUsage::SSL_SERVER, "serverAuth"),
        (X509ExtendedKeyUsage::CODE_SIGN, "codeSigning"),
        (X509ExtendedKeyUsage::SMIME, "emailProtection"),
        (X509ExtendedKeyUsage::TIMESTAMP, "timeStamping"),
        (X509ExtendedKeyUsage::OCSP_SIGN, "OCSPSigning"),
        (X509ExtendedKeyUsage::ANYEKU, "anyExtendedKeyUsage"),
    ]
    .iter()
    .filter(|(flag, _)| usage.contains(*flag))
    .map(|(_, name)| name.to_string())
    .collect()
}

#[cfg(test)]
mod tests {
    use std::process::Command;

    use super::*;

    #[test]
    fn agrees_with_openssl_on_a_certificate_openssl_made() {
        let dir = tempfile::tempdir().unwrap();
        crate::pki::testing::openssl_self_signed(
            dir.path(),
            "c",
            &["ec", "-pkeyopt", "ec_paramgen_curve:P-384"],
            "/CN=jane/O=ops/O=sre",
            "10",
            &[
                "-addext",
                "extendedKeyUsage=clientAuth,serverAuth",
                "-addext",
                "keyUsage=digitalSignature",
            ],
        );
        let pem = std::fs::read(dir.path().join("c.crt")).unwrap();
        let info = inspect_certificate(&parse_certificate_pem(&pem, "c.crt").unwrap()).unwrap();
        assert_eq!(info.common_name.as_deref(), Some("jane"));
        assert_eq!(info.groups, ["ops", "sre"]);
        assert_eq!(info.key, "ECDSA P-384");
        assert_eq!(info.extended_key_usage, ["clientAuth", "serverAuth"]);
        assert_eq!(info.key_usage, ["digitalSignature"]);
        let openssl = |flag: &str| {
            let o = Command::new("openssl")
                .args(["x509", "-noout", flag, "-in", "c.crt"])
                .current_dir(dir.path())
                .output()
                .unwrap();
            String::from_utf8_lossy(&o.stdout).trim().to_string()
        };
        let fp = Command::new("openssl")
            .args(["x509", "-noout", "-fingerprint", "-sha256", "-in", "c.crt"])
            .current_dir(dir.path())
            .output()
            .unwrap();
        assert_eq!(
            String::from_utf8_lossy(&fp.stdout).trim(),
            format!("sha256 Fingerprint={}", info.sha256_fingerprint)
        );
        assert_eq!(
            openssl("-serial")
                .trim_start_matches("serial=")
                .to_lowercase(),
            info.serial
        );
        // The public key's hash, against OpenSSL's own DER of it.
        let spki = Command::new("sh")
            .args(["-c", "openssl x509 -in c.crt -noout -pubkey | openssl pkey -pubin -outform DER | openssl dgst -sha256 -r"])
            .current_dir(dir.path())
            .output()
            .unwrap();
        let spki = String::from_utf8_lossy(&spki.stdout);
        assert_eq!(
            spki.split(' ').next(),
            Some(info.public_key_der_sha256.as_str())
        );
        let days = (info.not_after.as_second() - info.not_before.as_second()) / 86_400;
        assert_eq!(days, 10);
        assert!(matches!(
            parse_certificate_pem(b"nope", "x.crt"),
            Err(PkiError::BadCertificate { .. })
        ));
    }
}
