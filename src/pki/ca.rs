//! The issuer. Validated before it signs anything: it is a CA, it may sign certificates, the key
//! is its key, and it is valid now (smallstep's `step certificate sign` checks the same).

use std::fmt;
use std::path::Path;

use openssl::asn1::Asn1Time;
use openssl::pkey::{PKey, Private};
use openssl::x509::extension::{BasicConstraints, KeyUsage, SubjectKeyIdentifier};
use openssl::x509::{X509, X509Builder, X509KeyUsage, X509Ref};

use super::basic_constraints::is_ca;
use super::csr::digest_for;
use super::inspect::{asn1_to_timestamp, one_line_name};
use super::serial::random_serial;
use super::{KeyType, PkiError, PrivateKey, SecretPem, Subject};

pub struct CertificateAuthority {
    cert: X509,
    key: PKey<Private>,
}

impl fmt::Debug for CertificateAuthority {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "CertificateAuthority({}, key [REDACTED])",
            self.subject()
        )
    }
}

impl CertificateAuthority {
    pub fn load(
        cert_path: &Path,
        key_path: &Path,
        passphrase: Option<&[u8]>,
        now: jiff::Timestamp,
    ) -> Result<Self, PkiError> {
        let read = |p: &Path| {
            std::fs::read(p).map_err(|source| PkiError::Read {
                path: p.to_path_buf(),
                source,
            })
        };
        let (cert_pem, key_pem) = (read(cert_path)?, read(key_path)?);
        let (cert_name, key_name) = (
            cert_path.display().to_string(),
            key_path.display().to_string(),
        );
        Self::from_pem(&cert_pem, &key_pem, &cert_name, &key_name, passphrase, now)
    }

    pub fn from_pem(
        cert_pem: &[u8],
        key_pem: &[u8],
        cert_name: &str,
        key_name: &str,
        passphrase: Option<&[u8]>,
        now: jiff::Timestamp,
    ) -> Result<Self, PkiError> {
        let cert = super::parse_certificate_pem(cert_pem, cert_name)?;
        // A bundle would leave open which certificate signs: OpenSSL would silently take the
        // first, and the kubeconfig's CA may be another one. Counted from the PEM markers, so
        // the certificate is parsed once.
        let count = certificate_blocks(cert_pem);
        if count > 1 {
            return Err(PkiError::SeveralCertificates {
                what: cert_name.into(),
                count,
            });
        }
        if !is_ca(&cert) {
            return Err(PkiError::NotCa {
                what: cert_name.into(),
            });
        }
        if let Some(usage) = cert.key_usage()
            && !usage.contains(X509KeyUsage::KEY_CERT_SIGN)
        {
            return Err(PkiError::CannotSign {
                what: cert_name.into(),
            });
        }
        let key = PrivateKey::from_pem(key_pem, key_name, passphrase)?;
        let public = cert
            .public_key()
            .map_err(PkiError::ssl("reading the CA's public key"))?;
        if !public.public_eq(key.pkey()) {
            return Err(PkiError::KeyMismatch {
                cert: cert_name.into(),
                key: key_name.into(),
            });
        }
        let not_before = asn1_to_timestamp(cert.not_before())?;
        let not_after = asn1_to_timestamp(cert.not_after())?;
        if now >= not_after {
            return Err(PkiError::CaExpired {
                what: cert_name.into(),
                not_after,
            });
        }
        if now < not_before {
            return Err(PkiError::CaNotYetValid {
                what: cert_name.into(),
                not_before,
            });
        }
        Ok(CertificateAuthority {
            cert,
            key: key.pkey().to_owned(),
        })
    }

    /// A new self-signed CA, for `demo` and tests.
    pub fn create_self_signed(
        common_name: &str,
        days: u32,
        kind: KeyType,
    ) -> Result<Self, PkiError> {
        let ssl = PkiError::ssl("creating a CA");
        let key = PrivateKey::generate(kind)?;
        let name = Subject {
            common_name: common_name.into(),
            organizations: vec![],
        }
        .to_x509_name()?;
        let mut b = X509Builder::new().map_err(ssl)?;
        let ssl = || PkiError::ssl("creating a CA");
        b.set_version(2).map_err(ssl())?;
        let serial = random_serial()?;
        b.set_serial_number(&serial).map_err(ssl())?;
        b.set_subject_name(&name).map_err(ssl())?;
        b.set_issuer_name(&name).map_err(ssl())?;
        b.set_pubkey(key.pkey()).map_err(ssl())?;
        let now = jiff::Timestamp::now().as_second();
        let (start, end) = (
            Asn1Time::from_unix(now - 300).map_err(ssl())?,
            Asn1Time::from_unix(now + i64::from(days) * 86_400).map_err(ssl())?,
        );
        b.set_not_before(&start).map_err(ssl())?;
        b.set_not_after(&end).map_err(ssl())?;
        b.append_extension(
            BasicConstraints::new()
                .critical()
                .ca()
                .build()
                .map_err(ssl())?,
        )
        .map_err(ssl())?;
        b.append_extension(
            KeyUsage::new()
                .critical()
                .key_cert_sign()
                .crl_sign()
                .digital_signature()
                .build()
                .map_err(ssl())?,
        )
        .map_err(ssl())?;
        let ski = SubjectKeyIdentifier::new()
            .build(&b.x509v3_context(None, None))
            .map_err(ssl())?;
        b.append_extension(ski).map_err(ssl())?;
        b.sign(key.pkey(), digest_for(key.pkey())).map_err(ssl())?;
        Ok(CertificateAuthority {
            cert: b.build(),
            key: key.pkey().to_owned(),
        })
    }

    pub fn certificate_pem(&self) -> Result<Vec<u8>, PkiError> {
        self.cert
            .to_pem()
            .map_err(PkiError::ssl("encoding the CA certificate"))
    }

    pub fn key_pem(&self) -> Result<SecretPem, PkiError> {
        PrivateKey::from_pkey(self.key.clone()).to_pem()
    }

    pub fn not_after(&self) -> jiff::Timestamp {
        asn1_to_timestamp(self.cert.not_after()).unwrap_or(jiff::Timestamp::MIN)
    }

    pub fn subject(&self) -> String {
        one_line_name(self.cert.subject_name())
    }

    pub fn certificate(&self) -> &X509Ref {
        &self.cert
    }

    pub(crate) fn key(&self) -> &PKey<Private> {
        &self.key
    }
}

/// How many certificate blocks a PEM file holds (`CERTIFICATE`, `X509 CERTIFICATE`, `TRUSTED
/// CERTIFICATE`): a marker counts where OpenSSL sees one, at the start of a line.
fn certificate_blocks(pem: &[u8]) -> usize {
    pem.split(|&b| b == b'\n')
        .filter(|line| {
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            line.starts_with(b"-----BEGIN ") && line.ends_with(b"CERTIFICATE-----")
        })
        .count()
}

#[cfg(test)]
mod tests {
    use std::process::Command;

    use super::*;

    fn openssl_ca(dir: &Path, extra: &[&str]) -> (std::path::PathBuf, std::path::PathBuf) {
        let (crt, key) = (dir.join("ca.crt"), dir.join("ca.key"));
        let out = Command::new("openssl")
            .args([
                "req",
                "-x509",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-subj",
                "/CN=test-ca",
                "-days",
                "30",
                "-keyout",
            ])
            .arg(&key)
            .arg("-out")
            .arg(&crt)
            .args(extra)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        (crt, key)
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
        let dir = tempfile::tempdir().unwrap();
        let now = jiff::Timestamp::now();
        let (crt, key) = openssl_ca(
            dir.path(),
            &["-addext", "basicConstraints=critical,CA:FALSE"],
        );
        assert!(matches!(
            CertificateAuthority::load(&crt, &key, None, now),
            Err(PkiError::NotCa { .. })
        ));

        let (crt, key) = openssl_ca(
            dir.path(),
            &[
                "-addext",
                "basicConstraints=critical,CA:TRUE",
                "-addext",
                "keyUsage=critical,digitalSignature",
            ],
        );
        assert!(matches!(
            CertificateAuthority::load(&crt, &key, None, now),
            Err(PkiError::CannotSign { .. })
        ));

        let (crt, _) = openssl_ca(
            dir.path(),
            &["-addext", "basicConstraints=critical,CA:TRUE"],
        );
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

        let (crt, key) = openssl_ca(
            dir.path(),
            &["-addext", "basicConstraints=critical,CA:TRUE"],
        );
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

        let missing = dir.path().join("missing.crt");
        let err = CertificateAuthority::load(&missing, &key, None, now).unwrap_err();
        assert!(matches!(err, PkiError::Read { .. }) && err.to_string().contains("missing.crt"));
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
            let out = Command::new("openssl")
                .args(["verify", "-CAfile"])
                .arg(&crt)
                .arg(&crt)
                .output()
                .unwrap();
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            CertificateAuthority::load(&crt, &key, None, jiff::Timestamp::now()).unwrap();
        }
    }
}
