//! A certificate's SubjectPublicKeyInfo, found by our DER walk: the bytes that name its key.
//! OpenSSL 3 would decode the key and re-encode it through its encoder set-up (about a
//! millisecond the first time) only to hand back these same bytes.

use super::der::{self, Reader};

/// The whole SubjectPublicKeyInfo element (tag and length included) of a DER certificate, or
/// `None` when the certificate is not the plain shape (the caller asks OpenSSL then).
pub(super) fn subject_public_key_info(certificate: &[u8]) -> Option<&[u8]> {
    let mut outer = Reader::new(certificate);
    let mut c = Reader::new(outer.expect(der::SEQUENCE)?);
    let mut tbs = Reader::new(c.expect(der::SEQUENCE)?);
    if tbs.peek_tag()? == der::CONTEXT_0 {
        tbs.next_tlv()?; // version
    }
    tbs.expect(der::INTEGER)?; // serial
    tbs.expect(der::SEQUENCE)?; // signature algorithm
    tbs.expect(der::SEQUENCE)?; // issuer
    tbs.expect(der::SEQUENCE)?; // validity
    tbs.expect(der::SEQUENCE)?; // subject
    let (key, whole) = tbs.next_whole()?;
    (key.tag == der::SEQUENCE).then_some(whole)
}

/// The SubjectPublicKeyInfo element of a DER certification request (PKCS #10: version,
/// subject, then the key), or `None` when it is not that shape.
pub(super) fn request_public_key_info(request: &[u8]) -> Option<&[u8]> {
    let mut outer = Reader::new(request);
    let mut r = Reader::new(outer.expect(der::SEQUENCE)?);
    let mut info = Reader::new(r.expect(der::SEQUENCE)?);
    info.expect(der::INTEGER)?; // version
    info.expect(der::SEQUENCE)?; // subject
    let (key, whole) = info.next_whole()?;
    (key.tag == der::SEQUENCE).then_some(whole)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pki::{CertificateAuthority, KeyType};

    #[test]
    fn the_cut_out_bytes_are_what_openssl_encodes_for_every_key_type() {
        for kind in KeyType::ALL.into_iter().filter(|k| *k != KeyType::Rsa4096) {
            let ca = CertificateAuthority::create_self_signed("k", 1, kind).unwrap();
            let cert = ca.certificate();
            let der = cert.to_der().unwrap();
            let openssl = cert.public_key().unwrap().public_key_to_der().unwrap();
            assert_eq!(subject_public_key_info(&der), Some(&openssl[..]), "{kind}");
        }
        assert_eq!(subject_public_key_info(b"\x30\x03\x30\x01\x00"), None);
        assert_eq!(request_public_key_info(b"\x30\x03\x30\x01\x00"), None);
        assert_eq!(subject_public_key_info(b""), None);
    }

    #[test]
    fn a_requests_key_bytes_are_what_openssl_encodes_for_every_key_type() {
        use crate::pki::{PrivateKey, Subject, build_csr_with_key_info};
        let subject = Subject {
            common_name: "john".into(),
            organizations: vec!["dev1".into()],
        };
        for kind in KeyType::ALL.into_iter().filter(|k| *k != KeyType::Rsa4096) {
            let key = PrivateKey::generate(kind).unwrap();
            let built = build_csr_with_key_info(&key, &subject).unwrap();
            let req = openssl::x509::X509Req::from_pem(&built.pem).unwrap();
            let openssl = req.public_key().unwrap().public_key_to_der().unwrap();
            assert_eq!(built.public_key_der, openssl, "{kind}");
            let der = req.to_der().unwrap();
            assert_eq!(request_public_key_info(&der), Some(&openssl[..]), "{kind}");
        }
    }
}
