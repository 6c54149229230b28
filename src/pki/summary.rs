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
mod tests {
    use std::process::Command;

    use openssl::asn1::{Asn1Integer, Asn1Time, Asn1TimeRef};
    use openssl::bn::BigNum;
    use openssl::ec::{EcGroup, EcKey};
    use openssl::hash::MessageDigest;
    use openssl::nid::Nid;
    use openssl::pkey::{PKey, Private};
    use openssl::rsa::Rsa;
    use openssl::x509::{X509, X509NameBuilder};

    use super::*;

    /// How a subject attribute is written: which string type.
    type Attribute = (Nid, &'static str, openssl::asn1::Asn1Type);

    fn certificate(key: &PKey<Private>, subject: &[Attribute], not_after: &Asn1TimeRef) -> Vec<u8> {
        let mut name = X509NameBuilder::new().unwrap();
        for (nid, value, kind) in subject {
            name.append_entry_by_nid_with_type(*nid, value, *kind)
                .unwrap();
        }
        let name = name.build();
        let mut b = X509::builder().unwrap();
        b.set_version(2).unwrap();
        let serial = BigNum::from_u32(7).unwrap();
        b.set_serial_number(&Asn1Integer::from_bn(&serial).unwrap())
            .unwrap();
        b.set_subject_name(&name).unwrap();
        b.set_issuer_name(&name).unwrap();
        b.set_pubkey(key).unwrap();
        b.set_not_before(&Asn1Time::from_unix(0).unwrap()).unwrap();
        b.set_not_after(not_after).unwrap();
        b.append_extension(
            openssl::x509::extension::ExtendedKeyUsage::new()
                .client_auth()
                .build()
                .unwrap(),
        )
        .unwrap();
        let digest = match key.id() {
            openssl::pkey::Id::ED25519 => MessageDigest::null(),
            _ => MessageDigest::sha256(),
        };
        b.sign(key, digest).unwrap();
        b.build().to_pem().unwrap()
    }

    /// What the openssl CLI says: (subject, issuer, notAfter, sha256 fingerprint of the DER).
    fn openssl_says(pem: &[u8]) -> (String, String, jiff::Timestamp, String) {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("c.pem"), pem).unwrap();
        let out = Command::new("openssl")
            .args(["x509", "-noout", "-subject", "-issuer", "-enddate"])
            .args([
                "-fingerprint",
                "-sha256",
                "-nameopt",
                "utf8,sep_comma_plus,sname",
            ])
            .args(["-in", "c.pem"])
            .current_dir(dir.path())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let text = String::from_utf8(out.stdout).unwrap();
        let field = |prefix: &str| -> String {
            text.lines()
                .find_map(|l| l.strip_prefix(prefix))
                .unwrap_or_else(|| panic!("no {prefix} in {text}"))
                .to_string()
        };
        let not_after = jiff::fmt::strtime::parse("%b %e %H:%M:%S %Y GMT", field("notAfter="))
            .unwrap()
            .to_datetime()
            .unwrap()
            .to_zoned(jiff::tz::TimeZone::UTC)
            .unwrap()
            .timestamp();
        (
            field("subject="),
            field("issuer="),
            not_after,
            field("sha256 Fingerprint="),
        )
    }

    fn fingerprint(der: &[u8]) -> String {
        openssl::sha::sha256(der)
            .iter()
            .map(|b| format!("{b:02X}"))
            .collect::<Vec<_>>()
            .join(":")
    }

    #[test]
    fn agrees_with_the_openssl_cli_on_odd_certificates_and_reads_the_plain_ones_itself() {
        use openssl::asn1::Asn1Type as T;
        let rsa = PKey::from_rsa(Rsa::generate(2048).unwrap()).unwrap();
        let ec = PKey::from_ec_key(
            EcKey::generate(&EcGroup::from_curve_name(Nid::X9_62_PRIME256V1).unwrap()).unwrap(),
        )
        .unwrap();
        let ed = PKey::generate_ed25519().unwrap();
        let generalized = Asn1Time::from_str("20601231235958Z").unwrap(); // GeneralizedTime
        let utc = Asn1Time::from_str("491231235959Z").unwrap(); // UTCTime, 2049
        let expired = Asn1Time::from_unix(1_000_000_000).unwrap();
        let cn = Nid::COMMONNAME;
        let o = Nid::ORGANIZATIONNAME;
        // (key, subject, notAfter, read without OpenSSL?)
        let cases: Vec<(&PKey<Private>, Vec<Attribute>, &Asn1Time, bool)> = vec![
            (
                &rsa,
                vec![
                    (cn, "ann", T::UTF8STRING),
                    (o, "dev", T::UTF8STRING),
                    (o, "ops", T::UTF8STRING),
                ],
                &utc,
                true,
            ),
            (
                &ec,
                vec![
                    (o, "sre", T::PRINTABLESTRING),
                    (cn, "bob", T::PRINTABLESTRING),
                ],
                &generalized,
                true,
            ),
            (
                &ed,
                vec![
                    (cn, "Zoë", T::UTF8STRING),
                    (o, "dév", T::UTF8STRING),
                    (Nid::COUNTRYNAME, "DE", T::PRINTABLESTRING),
                ],
                &expired,
                true,
            ),
            (
                &ec,
                vec![
                    (cn, "ia5", T::IA5STRING),
                    (Nid::ORGANIZATIONALUNITNAME, "unit", T::UTF8STRING),
                ],
                &utc,
                true,
            ),
            (&ec, vec![(o, "only-groups", T::UTF8STRING)], &utc, true),
            // OpenSSL's business: another string type, an attribute we print no short name for.
            (
                &ec,
                vec![(cn, "wide", T::BMPSTRING), (o, "g", T::UTF8STRING)],
                &utc,
                false,
            ),
            (
                &ed,
                vec![
                    (cn, "mail", T::UTF8STRING),
                    (Nid::PKCS9_EMAILADDRESS, "m@x.io", T::IA5STRING),
                ],
                &expired,
                false,
            ),
        ];
        for (key, subject, not_after, ours) in cases {
            let pem = certificate(key, &subject, not_after);
            let (subject_line, issuer_line, end, openssl_fp) = openssl_says(&pem);
            let fast = summary_without_openssl(&pem);
            assert_eq!(fast.is_some(), ours, "{subject_line}");
            let got = summarize_certificate_pem(&pem, "c.pem").unwrap();
            let through_openssl = summarize_certificate(&X509::from_pem(&pem).unwrap()).unwrap();
            assert_eq!(got, through_openssl, "{subject_line}");
            assert_eq!(got.issuer.replace(", ", ","), issuer_line);
            assert_eq!(got.not_after, end, "{subject_line}");
            let openssl_pairs: Vec<(String, String)> = subject_line
                .split(',')
                .map(|kv| {
                    kv.split_once('=')
                        .map(|(k, v)| (k.into(), v.into()))
                        .unwrap()
                })
                .collect();
            let of = |k: &str| -> Vec<String> {
                openssl_pairs
                    .iter()
                    .filter(|(key, _)| key == k)
                    .map(|(_, v)| v.clone())
                    .collect()
            };
            assert_eq!(
                got.common_name,
                of("CN").into_iter().next(),
                "{subject_line}"
            );
            assert_eq!(got.groups, of("O"), "{subject_line}");
            // The DER we decoded ourselves is the certificate openssl read, byte for byte.
            let der = first_pem_certificate(&pem).unwrap();
            assert_eq!(fingerprint(&der), openssl_fp);
        }
    }

    #[test]
    fn anything_but_a_plain_pem_certificate_goes_to_openssl_and_garbage_never_panics() {
        let key = PKey::generate_ed25519().unwrap();
        let cn = (Nid::COMMONNAME, "x", openssl::asn1::Asn1Type::UTF8STRING);
        let pem = certificate(&key, &[cn], &Asn1Time::days_from_now(1).unwrap());
        assert!(summary_without_openssl(&pem).is_some());
        let text = String::from_utf8(pem.clone()).unwrap();
        for odd in [
            format!("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n{text}"),
            format!("x{text}"),
            text.replacen(
                "-----BEGIN CERTIFICATE-----\n",
                "-----BEGIN CERTIFICATE-----\nProc-Type: 4,ENCRYPTED\n\n",
                1,
            ),
            text.replace("CERTIFICATE", "X509 CERTIFICATE"),
        ] {
            assert_eq!(summary_without_openssl(odd.as_bytes()), None, "{odd}");
        }
        // Text before the block is skipped, as OpenSSL skips it.
        assert!(summary_without_openssl(format!("# john\n{text}").as_bytes()).is_some());

        // Every truncation and every single-byte change of the DER: no panic, and where both
        // readers answer, the same answer.
        let der = first_pem_certificate(&pem).unwrap();
        let check = |bytes: &[u8]| {
            let ours = read_der(bytes);
            if let (Some(ours), Ok(cert)) = (&ours, X509::from_der(bytes)) {
                assert_eq!(Some(ours), summarize_certificate(&cert).ok().as_ref());
            }
        };
        for len in 0..der.len() {
            check(&der[..len]);
        }
        let mut bytes = der.clone();
        for i in 0..der.len() {
            for flip in [0x01, 0x80, 0xff] {
                bytes[i] ^= flip;
                check(&bytes);
                bytes[i] ^= flip;
            }
        }
    }
}
