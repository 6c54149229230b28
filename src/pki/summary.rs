//! What `list` shows of a certificate (names and expiry), read by the thousand. Our own DER walk
//! reads the common case in microseconds; anything it does not know (another string type, an
//! attribute without a short name we print, an odd date) goes to OpenSSL, which then decides, so
//! both paths give the same answer (the tests and the fuzz target hold them to that).

use openssl::x509::X509Ref;

use super::cert_der;
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
pub(super) fn first_pem_certificate(pem: &[u8]) -> Option<Vec<u8>> {
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

/// The names and the end of a certificate our walk (`cert_der`) takes apart, or `None`.
fn read_der(der: &[u8]) -> Option<CertSummary> {
    let parts = cert_der::parts(der)?;
    let issuer = names(parts.issuer)?;
    let subject = names(parts.subject)?;
    time(parts.not_before)?; // well-formed, like notAfter
    let not_after = time(parts.not_after)?;
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
pub(super) fn time(value: der::Tlv<'_>) -> Option<jiff::Timestamp> {
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
