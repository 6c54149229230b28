//! What the CA checks and signing need to know of a CA certificate, gathered one of two ways:
//! read from the DER by our own walk (`cert_der`), or from OpenSSL's parse. OpenSSL 3.0 decodes a
//! certificate's public key through its provider decoder set-up on every parse: about 2 ms of
//! CPU the first time in a process, the longest step of a one-user `add` with a local CA.
//!
//! The walk answers only for the plain case and leaves anything else to OpenSSL, which then
//! decides as it always did: a version 3 certificate whose every field is well-formed DER and
//! whose extensions are ones the walk reads whole (basicConstraints, keyUsage, the key
//! identifiers, subjectAltName), each once. That keeps it exact on the subtle point: OpenSSL
//! counts a certificate with any invalid extension as one that may not sign (its key usage reads
//! as none), so an extension the walk cannot judge is never waved through. The CA checks
//! (`ca.rs`) look only at these facts, whichever way they were found; the tests and the fuzz
//! target hold the two ways to the same facts, and hold that OpenSSL parses whatever the walk
//! reads.

use openssl::x509::{X509KeyUsage, X509Ref};

use super::cert_der::{self, CertParts, Extension};
use super::der::{self, Reader};
use super::{PkiError, asn1_to_timestamp};

const BASIC_CONSTRAINTS: &[u8] = &[0x55, 0x1d, 0x13];
const KEY_USAGE: &[u8] = &[0x55, 0x1d, 0x0f];
const SUBJECT_KEY_ID: &[u8] = &[0x55, 0x1d, 0x0e];
const AUTHORITY_KEY_ID: &[u8] = &[0x55, 0x1d, 0x23];
const SUBJECT_ALT_NAME: &[u8] = &[0x55, 0x1d, 0x11];

/// What the CA checks and its signing read of the CA certificate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CaFacts {
    /// The subject Name's DER: the issuer name of everything the CA signs.
    pub subject: Vec<u8>,
    /// The SubjectPublicKeyInfo's DER: what the CA key must match.
    pub public_key_info: Vec<u8>,
    pub not_before: jiff::Timestamp,
    pub not_after: jiff::Timestamp,
    /// basicConstraints says CA:TRUE.
    pub is_ca: bool,
    /// No keyUsage, or one with keyCertSign, as OpenSSL reads it.
    pub may_sign: bool,
    /// The subjectKeyIdentifier: the keyIdentifier of what the CA signs.
    pub subject_key_id: Option<Vec<u8>>,
}

impl CaFacts {
    /// From OpenSSL's parse of the certificate: the way for anything the walk leaves alone.
    pub fn of(cert: &X509Ref) -> Result<CaFacts, PkiError> {
        let ssl = || PkiError::ssl("reading the CA certificate");
        Ok(CaFacts {
            subject: cert.subject_name().to_der().map_err(ssl())?,
            public_key_info: super::inspect::public_key_info(cert)?,
            not_before: asn1_to_timestamp(cert.not_before())?,
            not_after: asn1_to_timestamp(cert.not_after())?,
            is_ca: super::basic_constraints::is_ca(cert),
            // Absent keyUsage puts no limit; OpenSSL reads it as empty for a certificate with
            // any invalid extension.
            may_sign: cert
                .key_usage()
                .is_none_or(|usage| usage.contains(X509KeyUsage::KEY_CERT_SIGN)),
            subject_key_id: cert.subject_key_id().map(|id| id.as_slice().to_vec()),
        })
    }
}

/// The facts of the first certificate of a PEM file, read without OpenSSL; `None` when it is
/// anything but the plain case. Public for the fuzz target's comparison with OpenSSL.
pub fn ca_facts_without_openssl(pem: &[u8]) -> Option<CaFacts> {
    read_der(&super::summary::first_pem_certificate(pem)?)
}

/// The facts of a DER certificate, when it is the plain case.
pub(super) fn read_der(der: &[u8]) -> Option<CaFacts> {
    let parts = cert_der::parts(der)?;
    plain_fields(&parts)?;
    let mut facts = CaFacts {
        subject: parts.subject_whole.to_vec(),
        public_key_info: parts.public_key_info.to_vec(),
        not_before: super::summary::time(parts.not_before)?,
        not_after: super::summary::time(parts.not_after)?,
        is_ca: false,
        may_sign: true,
        subject_key_id: None,
    };
    let extensions = parts.extensions?;
    for (i, extension) in extensions.iter().enumerate() {
        // OpenSSL counts a repeated extension as invalid: its call.
        if extensions[..i].iter().any(|e| e.oid == extension.oid) {
            return None;
        }
        // DER writes `critical` only when TRUE.
        if extension.critical.is_some_and(|flag| flag != 0xff) {
            return None;
        }
        read_extension(extension, &mut facts)?;
    }
    Some(facts)
}

/// Version 3 (the only one with extensions), no unique identifiers, and the fields OpenSSL
/// decodes strictly written as it wants them: names it can read, minimal integers, valid OIDs.
fn plain_fields(parts: &CertParts<'_>) -> Option<()> {
    (parts.version? == [2] && !parts.unique_ids).then_some(())?;
    minimal_integer(parts.serial)?;
    for algorithm in parts
        .signature_algorithms
        .into_iter()
        .chain([parts.public_key_algorithm])
    {
        // OpenSSL decodes the parameters by their type: none, NULL (RSA) and a named curve are
        // what the usual keys and signatures carry.
        valid_oid(algorithm.oid)?;
        match algorithm.parameters {
            None => {}
            Some(der::Tlv {
                tag: 0x05,
                body: [],
            }) => {}
            Some(der::Tlv {
                tag: der::OID,
                body,
            }) => valid_oid(body)?,
            Some(_) => return None,
        }
    }
    // Every attribute of both names, as OpenSSL reads them (it decodes them in the same way
    // when it parses the certificate).
    let issuer = der::element(der::SEQUENCE, parts.issuer);
    for name in [&issuer[..], parts.subject_whole] {
        openssl::x509::X509Name::from_der(name).ok()?;
    }
    Some(())
}

/// One extension into the facts; `None` for one the walk does not read whole.
fn read_extension(extension: &Extension<'_>, facts: &mut CaFacts) -> Option<()> {
    valid_oid(extension.oid)?;
    let mut value = Reader::new(extension.value);
    match extension.oid {
        BASIC_CONSTRAINTS => {
            // BasicConstraints ::= SEQUENCE { cA BOOLEAN DEFAULT FALSE, pathLen INTEGER OPTIONAL }
            let mut fields = Reader::new(value.expect(der::SEQUENCE)?);
            if fields.peek_tag() == Some(der::BOOLEAN) {
                (fields.expect(der::BOOLEAN)? == [0xff]).then_some(())?;
                facts.is_ca = true;
            }
            if !fields.is_empty() {
                // A negative path length is invalid to OpenSSL.
                let length = fields.expect(der::INTEGER)?;
                minimal_integer(length)?;
                (length[0] < 0x80).then_some(())?;
            }
            fields.is_empty().then_some(())?;
        }
        KEY_USAGE => facts.may_sign = key_cert_sign(value.expect(der::BIT_STRING)?)?,
        SUBJECT_KEY_ID => facts.subject_key_id = Some(value.expect(der::OCTET_STRING)?.to_vec()),
        AUTHORITY_KEY_ID => {
            // AuthorityKeyIdentifier ::= SEQUENCE { keyIdentifier [0] OPTIONAL, ... }: the
            // usual form, the key identifier alone.
            let mut fields = Reader::new(value.expect(der::SEQUENCE)?);
            if !fields.is_empty() {
                fields.expect(0x80)?;
            }
            fields.is_empty().then_some(())?;
        }
        SUBJECT_ALT_NAME => {
            // GeneralNames: the plain kinds, rfc822Name, dNSName, URI (IA5String) and
            // iPAddress (OCTET STRING), which OpenSSL takes as they come.
            let mut names = Reader::new(value.expect(der::SEQUENCE)?);
            names.peek_tag()?;
            while !names.is_empty() {
                let name = names.next_tlv()?;
                matches!(name.tag, 0x81 | 0x82 | 0x86 | 0x87).then_some(())?;
            }
        }
        _ => return None,
    }
    value.is_empty().then_some(())
}

/// KeyUsage ::= BIT STRING: whether keyCertSign (bit 5) is set, for a well-formed, non-empty
/// usage of at most two bytes (decipherOnly, bit 8, is the last one defined).
fn key_cert_sign(bits: &[u8]) -> Option<bool> {
    let (&unused, bytes) = bits.split_first()?;
    if unused > 7 || bytes.is_empty() || bytes.len() > 2 {
        return None;
    }
    let last = *bytes.last()?;
    // Unused bits are zero in DER, and a usage with no bit set is invalid to newer OpenSSL.
    if last & !(0xffu8 << unused) != 0 || bytes.iter().all(|&b| b == 0) {
        return None;
    }
    let usage = u32::from(bytes[0]) | bytes.get(1).map_or(0, |&b| u32::from(b) << 8);
    Some(X509KeyUsage::from_bits_retain(usage).contains(X509KeyUsage::KEY_CERT_SIGN))
}

/// An INTEGER's content in its shortest form, as OpenSSL's decoder requires.
fn minimal_integer(body: &[u8]) -> Option<()> {
    match body {
        [] => None,
        [0x00, next, ..] if next & 0x80 == 0 => None,
        [0xff, next, ..] if next & 0x80 != 0 => None,
        _ => Some(()),
    }
}

/// An OID's content as OpenSSL's decoder accepts it: each arc ends with a byte under 0x80 and
/// none starts with the padding byte 0x80.
fn valid_oid(body: &[u8]) -> Option<()> {
    if body.last()? & 0x80 != 0 {
        return None;
    }
    let mut arc_start = true;
    for &byte in body {
        if arc_start && byte == 0x80 {
            return None;
        }
        arc_start = byte & 0x80 == 0;
    }
    Some(())
}

#[cfg(test)]
mod tests;
