use std::process::Command;

use super::*;

fn openssl_ca(dir: &Path, extra: &[&str]) -> (std::path::PathBuf, std::path::PathBuf) {
    crate::pki::testing::openssl_self_signed(dir, "ca", &["rsa:2048"], "/CN=test-ca", "30", extra)
}

#[test]
fn loads_a_ca_made_by_openssl() {
    let dir = tempfile::tempdir().unwrap();
    let (crt, key) = openssl_ca(
        dir.path(),
        &[
            "-addext",
            "basicConstraints=critical,CA:TRUE",
            "-addext",
            "keyUsage=critical,keyCertSign",
        ],
    );
    let ca = CertificateAuthority::load(&crt, &key, None, jiff::Timestamp::now()).unwrap();
    assert_eq!(ca.subject(), "CN=test-ca");
    assert!(format!("{ca:?}").contains("[REDACTED]"));
}

#[test]
fn refuses_what_cannot_be_an_issuer() {
    // Each refusal twice: read by our walk, and by OpenSSL (an extension the walk leaves
    // to it, certificatePolicies, sends the whole certificate there).
    for (walked, extra) in [
        (true, &[][..]),
        (false, &["-addext", "certificatePolicies=2.5.29.32.0"][..]),
    ] {
        refusals(walked, extra);
    }
}

fn refusals(walked: bool, extra: &[&str]) {
    let dir = tempfile::tempdir().unwrap();
    let now = jiff::Timestamp::now();
    let ca = |extensions: &[&str]| {
        let (crt, key) = openssl_ca(dir.path(), &[extensions, extra].concat());
        let pem = std::fs::read(&crt).unwrap();
        assert_eq!(
            ca_facts::ca_facts_without_openssl(&pem).is_some(),
            walked,
            "{extra:?}"
        );
        (crt, key)
    };
    let (crt, key) = ca(&["-addext", "basicConstraints=critical,CA:FALSE"]);
    assert!(matches!(
        CertificateAuthority::load(&crt, &key, None, now),
        Err(PkiError::NotCa { .. })
    ));

    let (crt, key) = ca(&[
        "-addext",
        "basicConstraints=critical,CA:TRUE",
        "-addext",
        "keyUsage=critical,digitalSignature",
    ]);
    assert!(matches!(
        CertificateAuthority::load(&crt, &key, None, now),
        Err(PkiError::CannotSign { .. })
    ));

    let (crt, _) = ca(&["-addext", "basicConstraints=critical,CA:TRUE"]);
    let other = dir.path().join("other.key");
    std::fs::write(
        &other,
        PrivateKey::generate(KeyType::Rsa2048)
            .unwrap()
            .to_pem()
            .unwrap()
            .as_bytes(),
    )
    .unwrap();
    assert!(matches!(
        CertificateAuthority::load(&crt, &other, None, now),
        Err(PkiError::KeyMismatch { .. })
    ));

    let (crt, key) = ca(&["-addext", "basicConstraints=critical,CA:TRUE"]);
    let later = now + jiff::SignedDuration::from_hours(24 * 31);
    assert!(matches!(
        CertificateAuthority::load(&crt, &key, None, later),
        Err(PkiError::CaExpired { .. })
    ));
    let earlier = now - jiff::SignedDuration::from_hours(1);
    assert!(matches!(
        CertificateAuthority::load(&crt, &key, None, earlier),
        Err(PkiError::CaNotYetValid { .. })
    ));
    let loaded = CertificateAuthority::load(&crt, &key, None, jiff::Timestamp::now()).unwrap();
    assert_eq!(loaded.subject(), "CN=test-ca");

    let missing = dir.path().join("missing.crt");
    let err = CertificateAuthority::load(&missing, &key, None, now).unwrap_err();
    assert!(matches!(err, PkiError::Read { .. }) && err.to_string().contains("missing.crt"));
}

/// The same key in another encoding than the certificate's bytes (a compressed EC point)
/// is not a mismatch: OpenSSL compares the keys themselves, as it always did.
#[test]
fn the_same_key_in_another_encoding_is_still_its_key() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let run = |args: &[&str]| {
        crate::pki::testing::judge(Command::new("openssl").args(args).current_dir(d));
    };
    run(&[
        "ecparam",
        "-name",
        "prime256v1",
        "-genkey",
        "-noout",
        "-out",
        "ec.key",
    ]);
    run(&[
        "ec",
        "-in",
        "ec.key",
        "-conv_form",
        "compressed",
        "-out",
        "compressed.key",
    ]);
    run(&[
        "req",
        "-x509",
        "-key",
        "compressed.key",
        "-subj",
        "/CN=c",
        "-days",
        "2",
        "-out",
        "ca.crt",
    ]);
    let pem = std::fs::read(d.join("ca.crt")).unwrap();
    let facts = ca_facts::ca_facts_without_openssl(&pem).expect("a plain certificate");
    let key = PrivateKey::from_pem(&std::fs::read(d.join("ec.key")).unwrap(), "k", None).unwrap();
    assert_ne!(
        key.public_key_der().unwrap(),
        facts.public_key_info,
        "not the same bytes"
    );
    let now = jiff::Timestamp::now();
    CertificateAuthority::load(&d.join("ca.crt"), &d.join("ec.key"), None, now).unwrap();
}

#[test]
fn a_bundle_is_refused_and_a_request_beside_the_certificate_is_not_counted() {
    let dir = tempfile::tempdir().unwrap();
    let (crt, key) = openssl_ca(
        dir.path(),
        &["-addext", "basicConstraints=critical,CA:TRUE"],
    );
    let one = std::fs::read(&crt).unwrap();
    let now = jiff::Timestamp::now();
    let two = [one.clone(), one.clone()].concat();
    std::fs::write(&crt, &two).unwrap();
    let err = CertificateAuthority::load(&crt, &key, None, now).unwrap_err();
    assert!(
        matches!(err, PkiError::SeveralCertificates { count: 2, .. }),
        "{err}"
    );
    let crlf = String::from_utf8(two).unwrap().replace('\n', "\r\n");
    assert_eq!(certificate_blocks(crlf.as_bytes()), 2);
    let with_request = [
        &one[..],
        b"-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n",
    ]
    .concat();
    std::fs::write(&crt, with_request).unwrap();
    CertificateAuthority::load(&crt, &key, None, now).unwrap();
}

#[test]
fn self_signed_ca_is_accepted_by_openssl_and_by_our_own_checks() {
    for kind in [KeyType::EcdsaP256, KeyType::Ed25519] {
        let ca = CertificateAuthority::create_self_signed("demo", 30, kind).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let (crt, key) = (dir.path().join("ca.crt"), dir.path().join("ca.key"));
        std::fs::write(&crt, ca.certificate_pem().unwrap()).unwrap();
        std::fs::write(&key, ca.key_pem().unwrap().as_bytes()).unwrap();
        crate::pki::testing::judge(
            Command::new("openssl")
                .args(["verify", "-CAfile"])
                .arg(&crt)
                .arg(&crt),
        );
        CertificateAuthority::load(&crt, &key, None, jiff::Timestamp::now()).unwrap();
    }
}
