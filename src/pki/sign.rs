//! Our signing policy: a client-authentication certificate and nothing more, whatever the CSR
//! asked for. Subject and public key come from the caller (who took them from a verified CSR);
//! everything else is decided here.

use std::time::Duration;

use openssl::asn1::{Asn1Object, Asn1OctetString, Asn1Time};
use openssl::error::ErrorStack;
use openssl::pkey::{HasPublic, Id, PKeyRef};
use openssl::x509::extension::{
    AuthorityKeyIdentifier, BasicConstraints, ExtendedKeyUsage, KeyUsage, SubjectKeyIdentifier,
};
use openssl::x509::{X509, X509Builder, X509Extension};

use super::csr::digest_for;
use super::der;
use super::serial::random_serial;
use super::{CertificateAuthority, PkiError, Subject};

/// Clocks drift: a certificate valid from five minutes ago works on a server slightly behind.
const BACKDATE_SECONDS: i64 = 300;
/// The shortest lifetime we issue without `--allow-short-lifetime`: the CSR API's own minimum
/// for `expirationSeconds`. Shorter is more often a typo (`1m` for a month) than a wish.
pub const MIN_LIFETIME: Duration = Duration::from_secs(600);
/// kube-controller-manager's default `--cluster-signing-duration`: a cluster CA signs no longer
/// than this through the CSR API, so a local CA asked for more is warned about.
pub const POLICY_LIFETIME: Duration = Duration::from_secs(365 * 86_400);

/// What our policy says about a lifetime: refused when too short (unless allowed), a warning
/// when longer than a cluster would sign.
pub fn check_lifetime(validity: Duration, allow_short: bool) -> Result<Option<String>, PkiError> {
    if validity < MIN_LIFETIME && !allow_short {
        return Err(PkiError::LifetimeTooShort {
            seconds: validity.as_secs(),
        });
    }
    if validity > POLICY_LIFETIME {
        return Ok(Some(format!(
            "a lifetime of {} is longer than a year, longer than a cluster's signer issues by default: a client certificate cannot be revoked, so prefer a year or less and renew",
            crate::output::human_duration(validity.as_secs() as i64)
        )));
    }
    Ok(None)
}

pub struct SignedCertificate {
    /// The certificate as built and signed: read it without parsing the PEM back.
    pub certificate: X509,
    /// Its PEM, what is written and sent.
    pub certificate_pem: Vec<u8>,
    pub not_after: jiff::Timestamp,
    /// The CA expires before the asked validity ends: the certificate ends with the CA.
    pub clamped: bool,
}

/// A certificate for `public` (a key we made, or one a verified CSR carries), held as a key, not
/// as DER: OpenSSL 3 decodes and re-encodes a DER key through its costly decoder set-up.
pub fn sign_client_certificate<T: HasPublic>(
    ca: &CertificateAuthority,
    subject: &Subject,
    public: &PKeyRef<T>,
    validity: Duration,
    now: jiff::Timestamp,
) -> Result<SignedCertificate, PkiError> {
    let ssl = || PkiError::ssl("signing the certificate");
    // RSA keys may also encipher keys (TLS key transport), so their certificates say so.
    let rsa = public.id() == Id::RSA;
    let seconds = i64::try_from(validity.as_secs()).map_err(|_| PkiError::Validity)?;
    let wanted = now
        .as_second()
        .checked_add(seconds)
        .ok_or(PkiError::Validity)?;
    let ca_end = ca.not_after().as_second();
    let (end, clamped) = if wanted > ca_end {
        (ca_end, true)
    } else {
        (wanted, false)
    };

    let mut b = X509Builder::new().map_err(ssl())?;
    b.set_version(2).map_err(ssl())?;
    let serial = random_serial()?;
    b.set_serial_number(&serial).map_err(ssl())?;
    let name = subject.to_x509_name()?;
    b.set_subject_name(&name).map_err(ssl())?;
    b.set_issuer_name(ca.subject_name()).map_err(ssl())?;
    b.set_pubkey(public).map_err(ssl())?;
    let start = Asn1Time::from_unix(now.as_second() - BACKDATE_SECONDS).map_err(ssl())?;
    let finish = Asn1Time::from_unix(end).map_err(ssl())?;
    b.set_not_before(&start).map_err(ssl())?;
    b.set_not_after(&finish).map_err(ssl())?;

    b.append_extension(BasicConstraints::new().critical().build().map_err(ssl())?)
        .map_err(ssl())?;
    let mut usage = KeyUsage::new();
    usage.critical().digital_signature();
    if rsa {
        usage.key_encipherment();
    }
    b.append_extension(usage.build().map_err(ssl())?)
        .map_err(ssl())?;
    b.append_extension(
        ExtendedKeyUsage::new()
            .client_auth()
            .build()
            .map_err(ssl())?,
    )
    .map_err(ssl())?;
    // The hash of the new certificate's own key: the issuer plays no part.
    let ski = SubjectKeyIdentifier::new()
        .build(&b.x509v3_context(None, None))
        .map_err(ssl())?;
    b.append_extension(ski).map_err(ssl())?;
    b.append_extension(authority_key_id(ca, &b).map_err(ssl())?)
        .map_err(ssl())?;

    b.sign(ca.key(), digest_for(ca.key())).map_err(ssl())?;
    let cert = b.build();
    Ok(SignedCertificate {
        certificate_pem: cert.to_pem().map_err(ssl())?,
        certificate: cert,
        not_after: jiff::Timestamp::from_second(end).map_err(|_| PkiError::Validity)?,
        clamped,
    })
}

/// authorityKeyIdentifier with the CA's subjectKeyIdentifier as its keyIdentifier, the bytes
/// OpenSSL's `authorityKeyIdentifier=keyid` writes, made without OpenSSL's parse of the CA
/// certificate (see `ca_facts`). A CA without one is OpenSSL's to handle, from its parse.
fn authority_key_id(
    ca: &CertificateAuthority,
    b: &X509Builder,
) -> Result<X509Extension, ErrorStack> {
    let Some(id) = ca.subject_key_id() else {
        return AuthorityKeyIdentifier::new()
            .keyid(false)
            .build(&b.x509v3_context(Some(ca.certificate()), None));
    };
    // AuthorityKeyIdentifier ::= SEQUENCE { keyIdentifier [0] IMPLICIT OCTET STRING, ... }
    let value = der::element(der::SEQUENCE, &der::element(0x80, id));
    let oid = Asn1Object::from_str("2.5.29.35")?;
    let value = Asn1OctetString::new_from_bytes(&value)?;
    X509Extension::new_from_der(&oid, false, &value)
}

#[cfg(test)]
mod tests {
    use std::process::Command;

    use super::*;
    use crate::pki::{KeyType, PrivateKey, parse_csr_pem};

    fn run(args: &[&str], dir: &std::path::Path) -> String {
        let out = crate::pki::testing::judge(Command::new("openssl").args(args).current_dir(dir));
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    #[test]
    fn openssl_verifies_a_client_only_certificate() {
        let dir = tempfile::tempdir().unwrap();
        let ca = CertificateAuthority::create_self_signed("kubernetes", 365, KeyType::EcdsaP256)
            .unwrap();
        std::fs::write(dir.path().join("ca.crt"), ca.certificate_pem().unwrap()).unwrap();
        let key = PrivateKey::generate(KeyType::Rsa2048).unwrap();
        let subject = Subject {
            common_name: "john".into(),
            organizations: vec!["dev1".into()],
        };
        let now = jiff::Timestamp::now();
        let issued = sign_client_certificate(
            &ca,
            &subject,
            key.pkey(),
            Duration::from_secs(30 * 86_400),
            now,
        )
        .unwrap();
        assert!(!issued.clamped);
        std::fs::write(dir.path().join("john.crt"), &issued.certificate_pem).unwrap();
        assert!(
            run(
                &[
                    "verify",
                    "-purpose",
                    "sslclient",
                    "-CAfile",
                    "ca.crt",
                    "john.crt"
                ],
                dir.path()
            )
            .contains("john.crt: OK")
        );
        let text = run(
            &[
                "x509",
                "-in",
                "john.crt",
                "-noout",
                "-subject",
                "-ext",
                "basicConstraints,keyUsage,extendedKeyUsage,subjectKeyIdentifier,authorityKeyIdentifier",
            ],
            dir.path(),
        );
        for want in [
            "O = dev1, CN = john",
            "CA:FALSE",
            "Digital Signature, Key Encipherment",
            "TLS Web Client Authentication",
            "Subject Key Identifier",
            "Authority Key Identifier",
        ] {
            assert!(text.contains(want), "missing {want}:\n{text}");
        }
        // Exactly these values: client authentication only, never serverAuth or codeSigning.
        assert_eq!(
            extension(&text, "X509v3 Extended Key Usage"),
            "TLS Web Client Authentication"
        );
        assert_eq!(
            extension(&text, "X509v3 Key Usage"),
            "Digital Signature, Key Encipherment"
        );
    }

    /// The value line under an extension's heading in `openssl x509 -ext` output.
    fn extension(text: &str, heading: &str) -> String {
        let mut lines = text.lines();
        lines
            .find(|l| l.trim_start().starts_with(heading))
            .unwrap_or_else(|| panic!("no {heading}:\n{text}"));
        lines.next().unwrap_or_default().trim().to_string()
    }

    #[test]
    fn the_policy_ignores_extensions_a_csr_asks_for() {
        let dir = tempfile::tempdir().unwrap();
        run(
            &[
                "req",
                "-new",
                "-newkey",
                "ec",
                "-pkeyopt",
                "ec_paramgen_curve:P-256",
                "-nodes",
                "-keyout",
                "evil.key",
                "-subj",
                "/CN=evil/O=system:masters",
                "-addext",
                "basicConstraints=critical,CA:TRUE",
                "-addext",
                "extendedKeyUsage=serverAuth,clientAuth",
                "-addext",
                "keyUsage=keyCertSign",
                "-out",
                "evil.csr",
            ],
            dir.path(),
        );
        let csr = parse_csr_pem(&std::fs::read(dir.path().join("evil.csr")).unwrap()).unwrap();
        let ca = CertificateAuthority::create_self_signed("kubernetes", 365, KeyType::EcdsaP256)
            .unwrap();
        let issued = sign_client_certificate(
            &ca,
            &csr.subject,
            &csr.req.public_key().unwrap(),
            Duration::from_secs(86_400),
            jiff::Timestamp::now(),
        )
        .unwrap();
        std::fs::write(dir.path().join("evil.crt"), &issued.certificate_pem).unwrap();
        let text = run(
            &[
                "x509",
                "-in",
                "evil.crt",
                "-noout",
                "-ext",
                "basicConstraints,keyUsage,extendedKeyUsage",
            ],
            dir.path(),
        );
        assert!(
            text.contains("CA:FALSE") && !text.contains("CA:TRUE"),
            "{text}"
        );
        // EC keys do not encipher; no serverAuth, no certificate signing.
        assert_eq!(extension(&text, "X509v3 Key Usage"), "Digital Signature");
        assert_eq!(
            extension(&text, "X509v3 Extended Key Usage"),
            "TLS Web Client Authentication"
        );
    }

    /// The keyIdentifier we write without OpenSSL's parse of the CA is the one OpenSSL writes
    /// from it, for a CA we made and one the `openssl` CLI made (read by our walk).
    #[test]
    fn the_authority_key_id_is_the_one_openssl_writes_from_the_ca_certificate() {
        let dir = tempfile::tempdir().unwrap();
        let (crt, key) = crate::pki::testing::openssl_self_signed(
            dir.path(),
            "ca",
            &["rsa:2048"],
            "/CN=cli-ca",
            "2",
            &[],
        );
        let now = jiff::Timestamp::now();
        let cli = CertificateAuthority::load(&crt, &key, None, now).unwrap();
        let ours = CertificateAuthority::create_self_signed("k", 2, KeyType::EcdsaP256).unwrap();
        for ca in [cli, ours] {
            let b = X509Builder::new().unwrap();
            let theirs = AuthorityKeyIdentifier::new()
                .keyid(false)
                .build(&b.x509v3_context(Some(ca.certificate()), None))
                .unwrap();
            let written = authority_key_id(&ca, &b).unwrap();
            assert_eq!(written.to_der().unwrap(), theirs.to_der().unwrap());
        }
    }

    #[test]
    fn lifetimes_under_ten_minutes_need_the_flag_and_long_ones_warn() {
        assert!(check_lifetime(Duration::from_secs(599), false).is_err());
        assert!(
            check_lifetime(Duration::from_secs(60), true)
                .unwrap()
                .is_none()
        );
        assert!(check_lifetime(MIN_LIFETIME, false).unwrap().is_none());
        assert!(check_lifetime(POLICY_LIFETIME, false).unwrap().is_none());
        let warning = check_lifetime(POLICY_LIFETIME + Duration::from_secs(86_400), false)
            .unwrap()
            .unwrap();
        assert!(warning.contains("366d"), "{warning}");
    }

    #[test]
    fn never_outlives_the_ca_and_serials_differ() {
        let ca = CertificateAuthority::create_self_signed("short", 10, KeyType::EcdsaP256).unwrap();
        let key = PrivateKey::generate(KeyType::EcdsaP256).unwrap();
        let subject = Subject {
            common_name: "john".into(),
            organizations: vec![],
        };
        let now = jiff::Timestamp::now();
        let a = sign_client_certificate(
            &ca,
            &subject,
            key.pkey(),
            Duration::from_secs(365 * 86_400),
            now,
        )
        .unwrap();
        assert!(a.clamped);
        assert_eq!(a.not_after, ca.not_after());
        let b =
            sign_client_certificate(&ca, &subject, key.pkey(), Duration::from_secs(86_400), now)
                .unwrap();
        let serial = |pem: &[u8]| {
            crate::pki::inspect_certificate(&crate::pki::parse_certificate_pem(pem, "t").unwrap())
                .unwrap()
                .serial
        };
        assert_ne!(serial(&a.certificate_pem), serial(&b.certificate_pem));
        assert!(
            serial(&b.certificate_pem).len() >= 30,
            "about 128 bits of serial"
        );
    }
}
