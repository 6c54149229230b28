//! PEM, CSR, key and certificate parsing from arbitrary bytes: errors are fine, panics are not.

use kubectl_certuser::pki::{self, CertificateAuthority, PrivateKey};

pub fn target(bytes: &[u8]) {
    if let Ok(cert) = pki::parse_certificate_pem(bytes, "fuzz.crt") {
        let _ = pki::inspect_certificate(&cert);
        // `list`'s own DER reader never contradicts OpenSSL on a certificate both can read.
        if let Some(ours) = pki::summary_without_openssl(bytes) {
            assert_eq!(Some(ours), pki::summarize_certificate(&cert).ok());
        }
        // Nor does the CA's: the facts its checks and signing read are OpenSSL's.
        if let Some(ours) = pki::ca_facts_without_openssl(bytes) {
            assert_eq!(Some(ours), pki::CaFacts::of(&cert).ok());
        }
    } else {
        // What OpenSSL cannot parse, the CA's walk does not read either.
        assert_eq!(pki::ca_facts_without_openssl(bytes), None);
    }
    let _ = pki::summarize_certificate_pem(bytes, "fuzz.crt");
    let _ = pki::parse_csr_pem(bytes);
    let _ = PrivateKey::from_pem(bytes, "fuzz.key", None);
    let _ = PrivateKey::from_pem(bytes, "fuzz.key", Some(b"fuzz"));
    // The same bytes as both halves of a CA, and split in two at a BEGIN line.
    let now = jiff::Timestamp::now();
    let _ = CertificateAuthority::from_pem(bytes, bytes, "ca.crt", "ca.key", None, now);
    let text = String::from_utf8_lossy(bytes);
    if let Some(i) = text.get(1..).and_then(|t| t.find("-----BEGIN")) {
        let (cert, key) = bytes.split_at((i + 1).min(bytes.len()));
        let _ = CertificateAuthority::from_pem(cert, key, "ca.crt", "ca.key", None, now);
    }
}
