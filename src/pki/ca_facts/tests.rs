use std::path::Path;
use std::process::Command;

use openssl::x509::X509;

use super::*;

/// A self-signed CA certificate made by the `openssl` CLI with these `-addext` values (and
/// whatever `openssl req -x509` adds itself: subjectKeyIdentifier, authorityKeyIdentifier and
/// basicConstraints unless given), PEM.
fn openssl_ca(dir: &Path, key: &str, extensions: &[&str]) -> Vec<u8> {
    let crt = dir.join("ca.crt");
    let mut cmd = Command::new("openssl");
    cmd.args([
        "req",
        "-x509",
        "-newkey",
        key,
        "-nodes",
        "-subj",
        "/O=acme/CN=test-ca",
    ])
    .args(["-days", "30", "-keyout"])
    .arg(dir.join("ca.key"))
    .arg("-out")
    .arg(&crt);
    for extension in extensions {
        cmd.args(["-addext", extension]);
    }
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{extensions:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::read(crt).unwrap()
}

fn openssl_facts(pem: &[u8]) -> CaFacts {
    CaFacts::of(&X509::from_pem(pem).unwrap()).unwrap()
}

const KUBEADM: &[&str] = &[
    "basicConstraints=critical,CA:TRUE",
    "keyUsage=critical,digitalSignature,keyEncipherment,keyCertSign",
    "subjectAltName=DNS:kubernetes",
];

#[test]
fn the_walk_reads_the_usual_cas_as_openssl_does() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let cases: &[(&str, &[&str], bool, bool)] = &[
        // key, extensions, is_ca, may_sign
        ("rsa:2048", &[], true, true),
        ("rsa:2048", KUBEADM, true, true),
        ("ec", &["keyUsage=keyCertSign,cRLSign"], true, true),
        (
            "ed25519",
            &["basicConstraints=critical,CA:TRUE,pathlen:0"],
            true,
            true,
        ),
        (
            "rsa:2048",
            &["keyUsage=critical,digitalSignature"],
            true,
            false,
        ),
        (
            "rsa:2048",
            &["basicConstraints=critical,CA:FALSE"],
            false,
            true,
        ),
        (
            "rsa:2048",
            &["basicConstraints=CA:FALSE", "keyUsage=decipherOnly"],
            false,
            false,
        ),
        (
            "rsa:2048",
            &["subjectAltName=DNS:ca.example,IP:10.0.0.1,email:ca@example.com,URI:https://ca"],
            true,
            true,
        ),
    ];
    for (key, extensions, is_ca, may_sign) in cases {
        let key = if *key == "ec" {
            format!("ec:{}", p256_params(d))
        } else {
            key.to_string()
        };
        let pem = openssl_ca(d, &key, extensions);
        let ours = ca_facts_without_openssl(&pem).unwrap_or_else(|| panic!("{extensions:?}"));
        assert_eq!(ours, openssl_facts(&pem), "{extensions:?}");
        assert_eq!(
            (ours.is_ca, ours.may_sign),
            (*is_ca, *may_sign),
            "{extensions:?}"
        );
        assert!(ours.subject_key_id.is_some());
    }
}

fn p256_params(dir: &Path) -> String {
    let path = dir.join("p256.pem");
    let out = Command::new("openssl")
        .args(["ecparam", "-name", "prime256v1", "-out"])
        .arg(&path)
        .output()
        .unwrap();
    assert!(out.status.success());
    path.display().to_string()
}

/// Extensions the walk does not read whole, a repeated one, or an old version: OpenSSL's parse
/// decides, as it did before the walk.
#[test]
fn anything_else_is_left_to_openssl() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    for extensions in [
        &["certificatePolicies=2.5.29.32.0"][..],
        &["nameConstraints=permitted;DNS:example.com"],
        &["extendedKeyUsage=serverAuth"],
        &["authorityKeyIdentifier=keyid,issuer:always"],
        &["crlDistributionPoints=URI:http://ca.example/crl"],
        &["subjectAltName=otherName:1.2.3.4;UTF8:x"],
    ] {
        let pem = openssl_ca(d, "rsa:2048", extensions);
        assert_eq!(ca_facts_without_openssl(&pem), None, "{extensions:?}");
        openssl_facts(&pem);
    }

    let key = crate::pki::PrivateKey::generate(crate::pki::KeyType::EcdsaP256).unwrap();
    let build = |version: i32, twice: bool| {
        let mut b = openssl::x509::X509Builder::new().unwrap();
        b.set_version(version).unwrap();
        let name = crate::pki::Subject {
            common_name: "v".into(),
            organizations: vec![],
        }
        .to_x509_name()
        .unwrap();
        b.set_subject_name(&name).unwrap();
        b.set_issuer_name(&name).unwrap();
        b.set_pubkey(key.pkey()).unwrap();
        b.set_not_before(&openssl::asn1::Asn1Time::days_from_now(0).unwrap())
            .unwrap();
        b.set_not_after(&openssl::asn1::Asn1Time::days_from_now(1).unwrap())
            .unwrap();
        if version == 2 {
            let ca = || {
                openssl::x509::extension::BasicConstraints::new()
                    .ca()
                    .build()
                    .unwrap()
            };
            b.append_extension(ca()).unwrap();
            if twice {
                b.append_extension(ca()).unwrap();
            }
        }
        b.sign(key.pkey(), openssl::hash::MessageDigest::sha256())
            .unwrap();
        b.build().to_pem().unwrap()
    };
    assert!(ca_facts_without_openssl(&build(2, false)).is_some());
    for pem in [build(2, true), build(0, false)] {
        assert_eq!(ca_facts_without_openssl(&pem), None);
        openssl_facts(&pem);
    }
}

/// Every truncation and every single-byte change of a kubeadm-like CA certificate: whatever the
/// walk reads, OpenSSL parses too, and finds the same facts in.
#[test]
fn what_the_walk_reads_openssl_parses_and_agrees_with() {
    let dir = tempfile::tempdir().unwrap();
    let pem = openssl_ca(dir.path(), "rsa:2048", KUBEADM);
    let der = crate::pki::summary::first_pem_certificate(&pem).unwrap();
    let check = |bytes: &[u8]| {
        if let Some(ours) = read_der(bytes) {
            let cert = X509::from_der(bytes).expect("OpenSSL parses what the walk reads");
            assert_eq!(Some(ours), CaFacts::of(&cert).ok(), "{bytes:02x?}");
        }
    };
    let mut read = 0;
    for len in 0..=der.len() {
        check(&der[..len]);
    }
    let mut bytes = der.clone();
    for i in 0..der.len() {
        for flip in [0x01, 0x04, 0x80, 0xff] {
            bytes[i] ^= flip;
            check(&bytes);
            read += usize::from(read_der(&bytes).is_some());
            bytes[i] ^= flip;
        }
    }
    // Changes inside values (names, key bits, signature) are still read: the test compares.
    assert!(read > der.len(), "only {read} changed certificates read");
}

#[test]
fn key_usage_bits_as_openssl_numbers_them() {
    // keyCertSign alone: bit 5, 0x04 in the first byte, two unused bits.
    assert_eq!(key_cert_sign(&[0x02, 0x04]), Some(true));
    // digitalSignature + keyEncipherment + keyCertSign, kubeadm's.
    assert_eq!(key_cert_sign(&[0x02, 0xa4]), Some(true));
    assert_eq!(key_cert_sign(&[0x07, 0x80]), Some(false));
    // decipherOnly in the second byte.
    assert_eq!(key_cert_sign(&[0x07, 0x00, 0x80]), Some(false));
    for odd in [
        &[][..],
        &[0x00],
        &[0x08, 0x04],
        &[0x00, 0x00],
        &[0x03, 0x04],
        &[0, 1, 2, 3],
    ] {
        assert_eq!(key_cert_sign(odd), None, "{odd:02x?}");
    }
    assert_eq!(minimal_integer(&[0x00, 0x80]), Some(()));
    assert_eq!(minimal_integer(&[0x00, 0x7f]), None);
    assert_eq!(minimal_integer(&[0xff, 0x80]), None);
    assert_eq!(valid_oid(&[0x55, 0x1d, 0x13]), Some(()));
    assert_eq!(valid_oid(&[0x2a, 0x80, 0x01]), None);
    assert_eq!(valid_oid(&[0x2a, 0x86]), None);
}
