//! What `list` shows of a certificate (names and expiry), read by the thousand. Our own DER walk
//! reads the common case in microseconds; anything it does not know (another string type, an
//! attribute without a short name we print, an odd date) goes to OpenSSL, which then decides, so
//! both paths give the same answer (the tests and the fuzz target hold them to that).

use openssl::x509::X509Ref;

use super::der::{self, Reader};
use super::inspect::{asn1_to_timestamp, one_line_name, parse_certificate_pem};
use super::{PkiError, Subject};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CertSummary {
    pub common_name: Option<String>,
    pub groups: Vec<String>,
    pub issuer: String,
    pub not_after: jiff::Timestamp,
}

/// The first certificate of a PEM file, summarised; the error says what the file holds instead.
pub fn summarize_certificate_pem(pem: &[u8], what: &str) -> Result<CertSummary, PkiError> {
    if let Some(summary) = summary_without_openssl(pem) {
        return Ok(summary);
    }
    let cert = parse_certificate_pem(pem, what)?;
    summarize_certificate(&cert)
}

/// Through OpenSSL: decoding and re-encoding the public key and hashing the certificate, as
/// `inspect_certificate` does, would cost several times more, once per user.
pub fn summarize_certificate(cert: &X509Ref) -> Result<CertSummary, PkiError> {
    let subject = Subject::from_x509_name(cert.subject_name());
    Ok(CertSummary {
        common_name: Some(subject.common_name).filter(|c| !c.is_empty()),
        groups: subject.organizations,
        issuer: one_line_name(cert.issuer_name()),
        not_after: asn1_to_timestamp(cert.not_after())?,
    })
}

/// The summary from our own reader, or `None` when the PEM or certificate is anything but the
/// plain case (then OpenSSL reads it). Public for the fuzz target's comparison with OpenSSL.
pub fn summary_without_openssl(pem: &[u8]) -> Option<CertSummary> {
    read_der(&first_pem_certificate(pem)?)
}

/// The DER of the first PEM block, if that block is a plain `CERTIFICATE` (no headers). OpenSSL
/// reads the first certificate block too, skipping text before it.
fn first_pem_certificate(pem: &[u8]) -> Option<Vec<u8>> {
    const BEGIN: &[u8] = b"-----BEGIN CERTIFICATE-----";
    const END: &[u8] = b"-----END CERTIFICATE-----";
    let start = find(pem, b"-----BEGIN ")?;
    if start > 0 && pem[start - 1] != b'\n' {
        return None; // OpenSSL only sees a marker at the start of a line
    }
    let body = pem[start..].strip_prefix(BEGIN)?;
    // PEM headers (Proc-Type: ...) are not base64, so they fail here and go to OpenSSL.
    super::base64::decode(&body[..find(body, END)?])
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// Certificate ::= SEQUENCE { tbsCertificate, signatureAlgorithm, signatureValue }, every level
/// walked to its end so a truncated or padded certificate is not taken for a good one.
fn read_der(der: &[u8]) -> Option<CertSummary> {
    let mut outer = Reader::new(der);
    let certificate = outer.expect(der::SEQUENCE)?;
    if !outer.is_empty() {
        return None;
    }
    let mut c = Reader::new(certificate);
    let tbs = c.expect(der::SEQUENCE)?;
    algorithm(&mut c)?;
    bit_string(&mut c)?;
    if !c.is_empty() {
        return None;
    }
    let mut t = Reader::new(tbs);
    if t.peek_tag()? == der::CONTEXT_0 {
        let mut version = Reader::new(t.next_tlv()?.body);
        integer(&mut version)?;
        if !version.is_empty() {
            return None;
        }
    }
    integer(&mut t)?; // serial
    algorithm(&mut t)?; // signature algorithm
    let issuer = names(t.expect(der::SEQUENCE)?)?;
    let mut validity = Reader::new(t.expect(der::SEQUENCE)?);
    let subject = names(t.expect(der::SEQUENCE)?)?;
    let mut key = Reader::new(t.expect(der::SEQUENCE)?); // subject public key info
    algorithm(&mut key)?;
    bit_string(&mut key)?;
    if !key.is_empty() {
        return None;
    }
    while !t.is_empty() {
        match t.next_tlv()? {
            // issuerUniqueID [1], subjectUniqueID [2]
            der::Tlv {
                tag: 0x81 | 0x82, ..
            } => {}
            der::Tlv { tag: 0xa3, body } => extensions(body)?,
            _ => return None,
        }
    }
    time(validity.next_tlv()?)?; // notBefore: well-formed, like notAfter
    let not_after = time(validity.next_tlv()?)?;
    if !validity.is_empty() {
        return None;
    }
    let values = |key: &str| -> Vec<String> {
        subject
            .iter()
            .filter(|(k, _)| *k == key)
            .map(|(_, v)| v.clone())
            .collect()
    };
    Some(CertSummary {
        common_name: values("CN").into_iter().next().filter(|c| !c.is_empty()),
        groups: values("O"),
        issuer: issuer
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join(", "),
        not_after,
    })
}

/// The shapes OpenSSL's decoder insists on, so what it refuses is not read here either; the
/// contents (key bits, extension values) are not decoded by it at this point, nor here.
fn integer(r: &mut Reader<'_>) -> Option<()> {
    (!r.expect(der::INTEGER)?.is_empty()).then_some(())
}

/// AlgorithmIdentifier ::= SEQUENCE { OID, parameters ANY OPTIONAL }
fn algorithm(r: &mut Reader<'_>) -> Option<()> {
    let mut inner = Reader::new(r.expect(der::SEQUENCE)?);
    if inner.expect(der::OID)?.is_empty() {
        return None;
    }
    if !inner.is_empty() {
        inner.next_tlv()?;
    }
    inner.is_empty().then_some(())
}

fn bit_string(r: &mut Reader<'_>) -> Option<()> {
    let body = r.expect(der::BIT_STRING)?;
    (*body.first()? <= 7).then_some(())
}

/// [3] EXPLICIT SEQUENCE OF Extension ::= SEQUENCE { OID, critical BOOLEAN DEFAULT FALSE, OCTET STRING }
fn extensions(body: &[u8]) -> Option<()> {
    let mut wrapper = Reader::new(body);
    let mut list = Reader::new(wrapper.expect(der::SEQUENCE)?);
    if !wrapper.is_empty() {
        return None;
    }
    while !list.is_empty() {
        let mut extension = Reader::new(list.expect(der::SEQUENCE)?);
        if extension.expect(der::OID)?.is_empty() {
            return None;
        }
        if extension.peek_tag()? == der::BOOLEAN && extension.expect(der::BOOLEAN)?.len() != 1 {
            return None;
        }
        extension.expect(der::OCTET_STRING)?;
        if !extension.is_empty() {
            return None;
        }
    }
    Some(())
}

/// Name ::= SEQUENCE OF SET OF AttributeTypeAndValue: every attribute in order, as OpenSSL lists
/// them (a multi-valued RDN's attributes one after another).
fn names(body: &[u8]) -> Option<Vec<(&'static str, String)>> {
    let mut out = Vec::new();
    let mut rdns = Reader::new(body);
    while !rdns.is_empty() {
        let mut set = Reader::new(rdns.expect(der::SET)?);
        if set.is_empty() {
            return None; // an empty RDN: OpenSSL's call
        }
        while !set.is_empty() {
            let mut attribute = Reader::new(set.expect(der::SEQUENCE)?);
            let key = short_name(attribute.expect(der::OID)?)?;
            let value = attribute.next_tlv()?;
            if !attribute.is_empty() {
                return None;
            }
            out.push((key, text(value)?));
        }
    }
    Some(out)
}

/// The names `one_line_name` prints itself (2.5.4.x); OpenSSL's table covers the rest.
fn short_name(oid: &[u8]) -> Option<&'static str> {
    match oid {
        [0x55, 0x04, 0x03] => Some("CN"),
        [0x55, 0x04, 0x0a] => Some("O"),
        [0x55, 0x04, 0x0b] => Some("OU"),
        [0x55, 0x04, 0x06] => Some("C"),
        [0x55, 0x04, 0x07] => Some("L"),
        [0x55, 0x04, 0x08] => Some("ST"),
        _ => None,
    }
}

/// UTF8String, PrintableString, IA5String; OpenSSL converts the others (BMP, T61...) itself.
fn text(value: der::Tlv<'_>) -> Option<String> {
    match value.tag {
        der::UTF8_STRING => String::from_utf8(value.body.to_vec()).ok(),
        der::PRINTABLE_STRING | der::IA5_STRING if value.body.is_ascii() => {
            String::from_utf8(value.body.to_vec()).ok()
        }
        _ => None,
    }
}

/// `YYMMDDHHMMSSZ` (UTCTime, 1950–2049) or `YYYYMMDDHHMMSSZ` (GeneralizedTime), the forms RFC 5280
/// requires; fractions and offsets go to OpenSSL.
fn time(value: der::Tlv<'_>) -> Option<jiff::Timestamp> {
    let digits = value.body.strip_suffix(b"Z")?;
    if !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let number = |range: std::ops::Range<usize>| -> Option<i16> {
        std::str::from_utf8(digits.get(range)?).ok()?.parse().ok()
    };
    let (year, rest) = match (value.tag, digits.len()) {
        (der::UTC_TIME, 12) => {
            let yy = number(0..2)?;
            (if yy < 50 { 2000 + yy } else { 1900 + yy }, 2)
        }
        (der::GENERALIZED_TIME, 14) => (number(0..4)?, 4),
        _ => return None,
    };
    let field =
        |i: usize| -> Option<i8> { i8::try_from(number(rest + 2 * i..rest + 2 * i + 2)?).ok() };
    jiff::civil::DateTime::new(
        year,
        field(0)?,
        field(1)?,
        field(2)?,
        field(3)?,
        field(4)?,
        0,
    )
    .ok()?
    .to_zoned(jiff::tz::TimeZone::UTC)
    .ok()
    .map(|z| z.timestamp())
}

#[cfg(test)]
mod tests;
