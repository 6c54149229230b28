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
    let out = crate::pki::testing::judge(
        Command::new("openssl")
            .args(["x509", "-noout", "-subject", "-issuer", "-enddate"])
            .args([
                "-fingerprint",
                "-sha256",
                "-nameopt",
                "utf8,sep_comma_plus,sname",
            ])
            .args(["-in", "c.pem"])
            .current_dir(dir.path()),
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
        assert_agrees_with_openssl(&certificate(key, &subject, not_after), ours);
    }
}

/// Our summary of `pem` is OpenSSL's, field by field and byte for byte; `ours`: read without
/// OpenSSL.
fn assert_agrees_with_openssl(pem: &[u8], ours: bool) {
    let (subject_line, issuer_line, end, openssl_fp) = openssl_says(pem);
    let fast = summary_without_openssl(pem);
    assert_eq!(fast.is_some(), ours, "{subject_line}");
    let got = summarize_certificate_pem(pem, "c.pem").unwrap();
    let through_openssl = summarize_certificate(&X509::from_pem(pem).unwrap()).unwrap();
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
    let der = first_pem_certificate(pem).unwrap();
    assert_eq!(fingerprint(&der), openssl_fp);
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
