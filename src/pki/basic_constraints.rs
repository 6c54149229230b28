//! The basicConstraints extension (RFC 5280 4.2.1.9): is a certificate a CA?
//!
//! The openssl crate has no getter for the CA flag (`pathlen` is only set when a path length is
//! given), so we read the extension from the certificate's DER ourselves. DER is strict
//! (definite lengths, one encoding per value), which keeps this walk short:
//!
//! ```text
//! Certificate ::= SEQUENCE { tbsCertificate SEQUENCE { ..., [3] EXPLICIT Extensions }, ... }
//! Extensions  ::= SEQUENCE OF Extension
//! Extension   ::= SEQUENCE { extnID OID, critical BOOLEAN DEFAULT FALSE, extnValue OCTET STRING }
//! BasicConstraints ::= SEQUENCE { cA BOOLEAN DEFAULT FALSE, pathLenConstraint INTEGER OPTIONAL }
//! ```

use openssl::x509::X509Ref;

const SEQUENCE: u8 = 0x30;
const BOOLEAN: u8 = 0x01;
const OCTET_STRING: u8 = 0x04;
const OID: u8 = 0x06;
/// `[3]`, constructed: where the extensions sit in tbsCertificate.
const EXTENSIONS: u8 = 0xa3;
/// 2.5.29.19, as the content bytes of its OID.
const BASIC_CONSTRAINTS_OID: &[u8] = &[0x55, 0x1d, 0x13];

/// basicConstraints says CA:TRUE. Absent, CA:FALSE or unreadable all mean "not a CA".
pub(crate) fn is_ca(cert: &X509Ref) -> bool {
    let Ok(der) = cert.to_der() else {
        return false;
    };
    ca_flag(&der).unwrap_or(false)
}

/// The cA field of the certificate's basicConstraints; None when the extension is absent or the
/// DER cannot be read.
fn ca_flag(certificate_der: &[u8]) -> Option<bool> {
    let (certificate, _) = element(certificate_der, SEQUENCE)?;
    let (tbs, _) = element(certificate, SEQUENCE)?;
    let mut fields = tbs;
    let extensions = loop {
        let (tag, content, rest) = any_element(fields)?;
        if tag == EXTENSIONS {
            break content;
        }
        fields = rest;
    };
    let (mut list, _) = element(extensions, SEQUENCE)?;
    while !list.is_empty() {
        let (extension, rest) = element(list, SEQUENCE)?;
        list = rest;
        let (oid, mut after) = element(extension, OID)?;
        if oid != BASIC_CONSTRAINTS_OID {
            continue;
        }
        if let Some((_, rest)) = element(after, BOOLEAN) {
            after = rest; // the `critical` flag
        }
        let (value, _) = element(after, OCTET_STRING)?;
        let (constraints, _) = element(value, SEQUENCE)?;
        // cA is DEFAULT FALSE: DER leaves it out when false, so an empty sequence is a leaf.
        return Some(match element(constraints, BOOLEAN) {
            Some((flag, _)) => flag.iter().any(|b| *b != 0),
            None => false,
        });
    }
    None
}

/// The content of the first element if it has the tag `want`, and what follows it.
fn element(der: &[u8], want: u8) -> Option<(&[u8], &[u8])> {
    let (tag, content, rest) = any_element(der)?;
    (tag == want).then_some((content, rest))
}

/// Tag, content and the rest, for the first element (single-byte tags: all we meet here).
fn any_element(der: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, der) = der.split_first()?;
    let (&first, mut der) = der.split_first()?;
    let len = if first < 0x80 {
        usize::from(first)
    } else {
        let octets = usize::from(first & 0x7f);
        if octets == 0 || octets > std::mem::size_of::<usize>() || der.len() < octets {
            return None;
        }
        let (len, rest) = der.split_at(octets);
        der = rest;
        len.iter().fold(0usize, |n, b| (n << 8) | usize::from(*b))
    };
    (der.len() >= len).then(|| (tag, &der[..len], &der[len..]))
}

#[cfg(test)]
mod tests {
    use openssl::asn1::Asn1Time;
    use openssl::hash::MessageDigest;
    use openssl::x509::X509Builder;
    use openssl::x509::extension::{BasicConstraints, KeyUsage};

    use super::*;
    use crate::pki::{KeyType, PrivateKey};

    /// A self-signed certificate with the given basicConstraints (None: without the extension),
    /// behind another extension so the walk has to skip one.
    fn certificate(kind: KeyType, constraints: Option<BasicConstraints>) -> openssl::x509::X509 {
        let key = PrivateKey::generate(kind).unwrap();
        let mut b = X509Builder::new().unwrap();
        b.set_version(2).unwrap();
        b.set_pubkey(key.pkey()).unwrap();
        b.set_not_before(&Asn1Time::days_from_now(0).unwrap())
            .unwrap();
        b.set_not_after(&Asn1Time::days_from_now(1).unwrap())
            .unwrap();
        b.append_extension(KeyUsage::new().digital_signature().build().unwrap())
            .unwrap();
        if let Some(constraints) = constraints {
            b.append_extension(constraints.build().unwrap()).unwrap();
        }
        let digest = if kind == KeyType::Ed25519 {
            MessageDigest::null()
        } else {
            MessageDigest::sha256()
        };
        b.sign(key.pkey(), digest).unwrap();
        b.build()
    }

    #[test]
    fn reads_the_ca_flag_of_basic_constraints() {
        let ca = || {
            let mut c = BasicConstraints::new();
            c.critical().ca();
            c
        };
        let with_pathlen = || {
            let mut c = ca();
            c.pathlen(0);
            c
        };
        let leaf = || {
            let mut c = BasicConstraints::new();
            c.critical();
            c
        };
        // RSA-2048 makes the outer lengths long-form; Ed25519 keeps the key short.
        for kind in [KeyType::Rsa2048, KeyType::Ed25519] {
            assert!(is_ca(&certificate(kind, Some(ca()))), "{kind:?} CA:TRUE");
            assert!(
                is_ca(&certificate(kind, Some(with_pathlen()))),
                "{kind:?} pathlen"
            );
            assert!(
                !is_ca(&certificate(kind, Some(leaf()))),
                "{kind:?} CA:FALSE"
            );
            assert!(!is_ca(&certificate(kind, None)), "{kind:?} no extension");
            assert_eq!(ca_flag(&certificate(kind, None).to_der().unwrap()), None);
        }
    }

    #[test]
    fn broken_der_is_not_a_ca() {
        let der = certificate(KeyType::EcdsaP256, {
            let mut c = BasicConstraints::new();
            c.ca();
            Some(c)
        })
        .to_der()
        .unwrap();
        assert_eq!(ca_flag(&der), Some(true));
        for cut in [0, 1, 2, 10, der.len() / 2, der.len() - 1] {
            assert_eq!(ca_flag(&der[..cut]), None, "cut at {cut}");
        }
        assert_eq!(ca_flag(&[0x30, 0x84, 0xff, 0xff, 0xff, 0xff]), None);
    }
}
