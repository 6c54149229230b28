//! A certificate's parts, found by our strict [`der`] walk: every level read to its end, and
//! the shapes OpenSSL's decoder insists on checked, so what it refuses is not taken apart here
//! either. What the parts mean is for the readers: `list`'s summary (names and expiry) and the
//! CA's facts (`ca_facts`).
//!
//! ```text
//! Certificate ::= SEQUENCE { tbsCertificate, signatureAlgorithm, signatureValue BIT STRING }
//! TBSCertificate ::= SEQUENCE { [0] EXPLICIT version OPTIONAL, serialNumber, signature,
//!     issuer Name, validity SEQUENCE { notBefore, notAfter }, subject Name,
//!     subjectPublicKeyInfo, [1] issuerUniqueID OPTIONAL, [2] subjectUniqueID OPTIONAL,
//!     [3] EXPLICIT extensions OPTIONAL }
//! ```

use super::der::{self, Reader, Tlv};

/// The parts of one DER certificate; slices into its bytes.
pub(super) struct CertParts<'a> {
    /// The version INTEGER's content, when the `[0]` field is there (absent: v1).
    pub version: Option<&'a [u8]>,
    pub serial: &'a [u8],
    /// The two signature algorithms (inside and outside tbsCertificate).
    pub signature_algorithms: [Algorithm<'a>; 2],
    /// Name contents (the RDN sequence), without the outer tag.
    pub issuer: &'a [u8],
    pub subject: &'a [u8],
    /// The subject Name element whole (tag and length too): what `X509Name::from_der` reads.
    pub subject_whole: &'a [u8],
    pub not_before: Tlv<'a>,
    pub not_after: Tlv<'a>,
    /// The SubjectPublicKeyInfo element whole: the bytes that name the key.
    pub public_key_info: &'a [u8],
    /// The algorithm of the public key.
    pub public_key_algorithm: Algorithm<'a>,
    /// issuerUniqueID or subjectUniqueID is present (v2 fields nobody uses).
    pub unique_ids: bool,
    /// The extensions in certificate order; None without the `[3]` field.
    pub extensions: Option<Vec<Extension<'a>>>,
}

/// AlgorithmIdentifier ::= SEQUENCE { algorithm OID, parameters ANY OPTIONAL }
#[derive(Clone, Copy)]
pub(super) struct Algorithm<'a> {
    pub oid: &'a [u8],
    pub parameters: Option<Tlv<'a>>,
}

/// Extension ::= SEQUENCE { extnID OID, critical BOOLEAN DEFAULT FALSE, extnValue OCTET STRING }
pub(super) struct Extension<'a> {
    pub oid: &'a [u8],
    /// The `critical` BOOLEAN's content byte, when it is written out.
    pub critical: Option<u8>,
    /// extnValue's content: the DER of the extension's own value.
    pub value: &'a [u8],
}

/// The parts, or `None` for anything that is not a well-formed certificate of the usual shape.
pub(super) fn parts(der: &[u8]) -> Option<CertParts<'_>> {
    let mut outer = Reader::new(der);
    let certificate = outer.expect(der::SEQUENCE)?;
    if !outer.is_empty() {
        return None;
    }
    let mut c = Reader::new(certificate);
    let tbs = c.expect(der::SEQUENCE)?;
    let outer_algorithm = algorithm(&mut c)?;
    bit_string(&mut c)?;
    if !c.is_empty() {
        return None;
    }
    let mut t = Reader::new(tbs);
    let mut version = None;
    if t.peek_tag()? == der::CONTEXT_0 {
        let mut field = Reader::new(t.next_tlv()?.body);
        version = Some(integer(&mut field)?);
        if !field.is_empty() {
            return None;
        }
    }
    let serial = integer(&mut t)?;
    let inner_algorithm = algorithm(&mut t)?;
    let issuer = t.expect(der::SEQUENCE)?;
    let mut validity = Reader::new(t.expect(der::SEQUENCE)?);
    let (subject, subject_whole) = t.next_whole()?;
    if subject.tag != der::SEQUENCE {
        return None;
    }
    let (key, public_key_info) = t.next_whole()?;
    if key.tag != der::SEQUENCE {
        return None;
    }
    let mut key = Reader::new(key.body);
    let public_key_algorithm = algorithm(&mut key)?;
    bit_string(&mut key)?;
    if !key.is_empty() {
        return None;
    }
    let (mut unique_ids, mut extensions) = (false, None);
    while !t.is_empty() {
        match t.next_tlv()? {
            // issuerUniqueID [1], subjectUniqueID [2]
            Tlv {
                tag: 0x81 | 0x82, ..
            } => unique_ids = true,
            Tlv { tag: 0xa3, body } => extensions = Some(extension_list(body)?),
            _ => return None,
        }
    }
    let not_before = validity.next_tlv()?;
    let not_after = validity.next_tlv()?;
    if !validity.is_empty() {
        return None;
    }
    Some(CertParts {
        version,
        serial,
        signature_algorithms: [inner_algorithm, outer_algorithm],
        issuer,
        subject: subject.body,
        subject_whole,
        not_before,
        not_after,
        public_key_info,
        public_key_algorithm,
        unique_ids,
        extensions,
    })
}

/// A non-empty INTEGER's content.
fn integer<'a>(r: &mut Reader<'a>) -> Option<&'a [u8]> {
    let body = r.expect(der::INTEGER)?;
    (!body.is_empty()).then_some(body)
}

fn algorithm<'a>(r: &mut Reader<'a>) -> Option<Algorithm<'a>> {
    let mut inner = Reader::new(r.expect(der::SEQUENCE)?);
    let oid = inner.expect(der::OID)?;
    if oid.is_empty() {
        return None;
    }
    let parameters = if inner.is_empty() {
        None
    } else {
        Some(inner.next_tlv()?)
    };
    inner.is_empty().then_some(Algorithm { oid, parameters })
}

fn bit_string(r: &mut Reader<'_>) -> Option<()> {
    let body = r.expect(der::BIT_STRING)?;
    (*body.first()? <= 7).then_some(())
}

/// `[3] EXPLICIT SEQUENCE OF Extension`.
fn extension_list(body: &[u8]) -> Option<Vec<Extension<'_>>> {
    let mut wrapper = Reader::new(body);
    let mut list = Reader::new(wrapper.expect(der::SEQUENCE)?);
    if !wrapper.is_empty() {
        return None;
    }
    let mut out = Vec::new();
    while !list.is_empty() {
        let mut extension = Reader::new(list.expect(der::SEQUENCE)?);
        let oid = extension.expect(der::OID)?;
        if oid.is_empty() {
            return None;
        }
        let mut critical = None;
        if extension.peek_tag()? == der::BOOLEAN {
            let &[flag] = extension.expect(der::BOOLEAN)? else {
                return None;
            };
            critical = Some(flag);
        }
        let value = extension.expect(der::OCTET_STRING)?;
        if !extension.is_empty() {
            return None;
        }
        out.push(Extension {
            oid,
            critical,
            value,
        });
    }
    Some(out)
}
