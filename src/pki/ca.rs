//! The issuer. Validated before it signs anything: it is a CA, it may sign certificates, the key
//! is its key, and it is valid now (smallstep's `step certificate sign` checks the same).

use std::fmt;
use std::path::Path;
use std::sync::OnceLock;

use openssl::asn1::Asn1Time;
use openssl::pkey::{PKey, Private};
use openssl::x509::extension::{BasicConstraints, KeyUsage, SubjectKeyIdentifier};
use openssl::x509::{X509, X509Builder, X509Name, X509NameRef, X509Ref};

use super::ca_facts::{self, CaFacts};
use super::csr::digest_for;
use super::inspect::{asn1_to_timestamp, one_line_name};
use super::serial::random_serial;
use super::{KeyType, PkiError, PrivateKey, SecretPem, Subject};

pub struct CertificateAuthority {
    /// The certificate's DER, as read.
    der: Vec<u8>,
    /// OpenSSL's parse of it: made by the load when our walk could not read the certificate,
    /// else only when someone asks for it (`certificate`), never on the way to signing.
    cert: OnceLock<X509>,
    /// The subject: the issuer name of everything this CA signs.
    subject: X509Name,
    /// The keyIdentifier of everything it signs (its subjectKeyIdentifier), if it has one.
    subject_key_id: Option<Vec<u8>>,
    not_after: jiff::Timestamp,
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

    /// The checks, in this order: one certificate, a CA, that may sign certificates, the key
    /// (readable, and the certificate's), valid now. The facts come from our DER walk when it
    /// reads the certificate, else from OpenSSL's parse (`ca_facts`); the refusals are the same.
    pub fn from_pem(
        cert_pem: &[u8],
        key_pem: &[u8],
        cert_name: &str,
        key_name: &str,
        passphrase: Option<&[u8]>,
        now: jiff::Timestamp,
    ) -> Result<Self, PkiError> {
        let cert = OnceLock::new();
        let walked = super::summary::first_pem_certificate(cert_pem)
            .and_then(|der| Some((ca_facts::read_der(&der)?, der)));
        let (der, facts) = match walked {
            Some((facts, der)) => (der, facts),
            None => {
                let parsed = super::parse_certificate_pem(cert_pem, cert_name)?;
                let ssl = PkiError::ssl("reading the CA certificate");
                let der = parsed.to_der().map_err(ssl)?;
                let facts = CaFacts::of(&parsed);
                let _ = cert.set(parsed);
                (der, facts?)
            }
        };
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
        if !facts.is_ca {
            return Err(PkiError::NotCa {
                what: cert_name.into(),
            });
        }
        if !facts.may_sign {
            return Err(PkiError::CannotSign {
                what: cert_name.into(),
            });
        }
        let key = PrivateKey::from_pem(key_pem, key_name, passphrase)?;
        let mut ca = CertificateAuthority {
            der,
            cert,
            subject: X509Name::from_der(&facts.subject)
                .map_err(PkiError::ssl("reading the CA's subject"))?,
            subject_key_id: facts.subject_key_id,
            not_after: facts.not_after,
            key: key.pkey().to_owned(),
        };
        // The same bytes are the same key. Anything else (another encoding of the same key, a
        // key OpenSSL cannot read) is OpenSSL's to judge, as it always was.
        let same_bytes = key
            .public_key_der()
            .is_ok_and(|der| der == facts.public_key_info);
        if !same_bytes {
            let public = ca
                .parsed(cert_pem, cert_name)?
                .public_key()
                .map_err(PkiError::ssl("reading the CA's public key"))?;
            if !public.public_eq(key.pkey()) {
                return Err(PkiError::KeyMismatch {
                    cert: cert_name.into(),
                    key: key_name.into(),
                });
            }
        }
        if now >= facts.not_after {
            return Err(PkiError::CaExpired {
                what: cert_name.into(),
                not_after: facts.not_after,
            });
        }
        if now < facts.not_before {
            return Err(PkiError::CaNotYetValid {
                what: cert_name.into(),
                not_before: facts.not_before,
            });
        }
        Ok(ca)
    }

    /// OpenSSL's parse of the certificate, made now if the load did not need it.
    fn parsed(&mut self, cert_pem: &[u8], cert_name: &str) -> Result<&X509, PkiError> {
        if self.cert.get().is_none() {
            let parsed = super::parse_certificate_pem(cert_pem, cert_name)?;
            let _ = self.cert.set(parsed);
        }
        Ok(self.cert.get().expect("set just now"))
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
        let cert = b.build();
        Ok(CertificateAuthority {
            der: cert.to_der().map_err(ssl())?,
            // Read back from DER, so it is never in OpenSSL's "modified" state, which re-encodes
            // on use: threads that sign at once share it.
            subject: X509Name::from_der(&name.to_der().map_err(ssl())?).map_err(ssl())?,
            subject_key_id: cert.subject_key_id().map(|id| id.as_slice().to_vec()),
            not_after: asn1_to_timestamp(cert.not_after())?,
            cert: OnceLock::from(cert),
            key: key.pkey().to_owned(),
        })
    }

    pub fn certificate_pem(&self) -> Result<Vec<u8>, PkiError> {
        self.certificate()
            .to_pem()
            .map_err(PkiError::ssl("encoding the CA certificate"))
    }

    pub fn key_pem(&self) -> Result<SecretPem, PkiError> {
        PrivateKey::from_pkey(self.key.clone()).to_pem()
    }

    pub fn not_after(&self) -> jiff::Timestamp {
        self.not_after
    }

    pub fn subject(&self) -> String {
        one_line_name(&self.subject)
    }

    /// The subject as a name: the issuer of what it signs.
    pub(crate) fn subject_name(&self) -> &X509NameRef {
        &self.subject
    }

    /// The keyIdentifier for the certificates it signs: its own subjectKeyIdentifier.
    pub(crate) fn subject_key_id(&self) -> Option<&[u8]> {
        self.subject_key_id.as_deref()
    }

    /// The certificate as OpenSSL holds it, parsed on first use when the load read it with our
    /// own walk (`ca_facts`: whatever the walk reads, OpenSSL parses; the fuzz target holds it).
    pub fn certificate(&self) -> &X509Ref {
        self.cert.get_or_init(|| {
            X509::from_der(&self.der).expect("OpenSSL parses every certificate our walk reads")
        })
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
mod tests;
