//! Signing with a local CA (`--ca-cert/--ca-key`, `--kubeadm`): for a key we hold, or for a
//! verified CSR someone else made (`sign`). Both touch nothing but the CA (read-only), so `add`
//! runs them for many users across the cores; a warning, if any, is returned for the caller to
//! print.

use std::path::{Path, PathBuf};
use std::time::Duration;

use super::Signed;
use crate::cli::CaArgs;
use crate::pki::{self, CertInfo, CertificateAuthority, PrivateKey, SignedCertificate, Subject};

/// Where kubeadm keeps the cluster CA.
const KUBEADM_PKI: &str = "/etc/kubernetes/pki";
/// Environment variable holding the passphrase of an encrypted CA key.
pub const CA_PASSPHRASE_ENV: &str = "CERTUSER_CA_KEY_PASSPHRASE";

/// `--ca-cert/--ca-key`, or kubeadm's CA with `--kubeadm`; None means the CSR API.
pub fn local_ca_paths(ca: &CaArgs) -> Option<(PathBuf, PathBuf)> {
    if ca.kubeadm {
        return Some((
            Path::new(KUBEADM_PKI).join("ca.crt"),
            Path::new(KUBEADM_PKI).join("ca.key"),
        ));
    }
    ca.ca_cert.clone().zip(ca.ca_key.clone())
}

/// Load and validate the CA; an encrypted key takes its passphrase from the environment.
pub fn load_ca(cert: &Path, key: &Path) -> anyhow::Result<CertificateAuthority> {
    let passphrase = std::env::var_os(CA_PASSPHRASE_ENV).map(|p| p.into_encoded_bytes());
    Ok(CertificateAuthority::load(
        cert,
        key,
        passphrase.as_deref(),
        jiff::Timestamp::now(),
    )?)
}

/// A certificate for our own new `key` and the `subject` we mean, read back. No CSR: it would
/// only be built, PEM-encoded and parsed again to yield the same key and subject.
pub fn issue_for_key(
    ca: &CertificateAuthority,
    key: &PrivateKey,
    subject: &Subject,
    validity: Duration,
) -> anyhow::Result<(Signed, CertInfo, Option<String>)> {
    let issued =
        pki::sign_client_certificate(ca, subject, key.pkey(), validity, jiff::Timestamp::now())?;
    let info = pki::inspect_certificate(&issued.certificate)?;
    check_as_meant(&info, &issued, ca, subject, &key.public_key_der()?)?;
    let warning = clamped_warning(ca, &issued, &subject.common_name);
    Ok((signed(issued), info, warning))
}

/// A certificate for a verified CSR (ours or someone else's): its subject and key, our policy.
pub(super) fn sign_csr(
    ca: &CertificateAuthority,
    csr: &pki::ParsedCsr,
    validity: Duration,
) -> anyhow::Result<(Signed, Option<String>)> {
    let issued = pki::sign_client_certificate(
        ca,
        &csr.subject,
        &csr.public_key,
        validity,
        jiff::Timestamp::now(),
    )?;
    let warning = clamped_warning(ca, &issued, &csr.subject.common_name);
    Ok((signed(issued), warning))
}

fn signed(issued: SignedCertificate) -> Signed {
    Signed {
        certificate_pem: issued.certificate_pem,
        csr_name: None,
    }
}

/// A CA that ends sooner than asked shortens the certificate: the warning that says so.
fn clamped_warning(
    ca: &CertificateAuthority,
    issued: &SignedCertificate,
    user: &str,
) -> Option<String> {
    issued.clamped.then(|| {
        format!(
            "the CA {} expires {}: {user}'s certificate ends then, earlier than asked",
            ca.subject(),
            issued.not_after.strftime("%Y-%m-%d"),
        )
    })
}

/// What the certificate's own bytes say is what we meant: our user and groups, our CA as issuer,
/// the end we computed, and our key (its SubjectPublicKeyInfo, cut from the certificate's DER,
/// against the key's). The report and the ledger describe exactly what will be written.
fn check_as_meant(
    info: &CertInfo,
    issued: &SignedCertificate,
    ca: &CertificateAuthority,
    subject: &Subject,
    public_key_der: &[u8],
) -> anyhow::Result<()> {
    let key_hash: String = openssl::sha::sha256(public_key_der)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let differs = [
        (
            "user",
            info.common_name.as_deref() != Some(&subject.common_name),
        ),
        ("groups", info.groups != subject.organizations),
        ("issuer", info.issuer != ca.subject()),
        ("end", info.not_after != issued.not_after),
        ("public key", info.public_key_der_sha256 != key_hash),
    ];
    match differs.iter().find(|(_, differs)| *differs) {
        Some((what, _)) => anyhow::bail!(
            "the certificate just signed for {} does not carry the {what} it was made with; nothing was written",
            subject.common_name
        ),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pki::KeyType;

    /// `add` signs many users at once with one CA: the CA is shared by the threads, and each
    /// user gets a certificate from it with their own name and key, in their own order.
    #[test]
    fn one_ca_signs_for_many_threads_and_each_user_gets_their_own_certificate() {
        fn shared_by_threads<T: Sync>(_: &T) {}
        let ca = CertificateAuthority::create_self_signed("kubernetes", 365, KeyType::EcdsaP256)
            .unwrap();
        shared_by_threads(&ca);
        let users: Vec<String> = (0..6).map(|i| format!("user{i}")).collect();
        let issued = super::super::super::keys::in_parallel(users.len(), 2, |i| {
            let key = PrivateKey::generate(KeyType::EcdsaP256)?;
            let subject = Subject {
                common_name: users[i].clone(),
                organizations: vec!["dev".into()],
            };
            let (signed, info, warning) =
                issue_for_key(&ca, &key, &subject, Duration::from_secs(86_400))?;
            Ok((key, signed, info, warning))
        })
        .unwrap();
        for (user, (key, signed, info, warning)) in users.iter().zip(issued) {
            assert_eq!(info.common_name.as_deref(), Some(user.as_str()));
            assert_eq!(info.groups, ["dev"]);
            assert!(warning.is_none());
            // Parsed back from the PEM that is written: the same as the report says.
            let cert = pki::parse_certificate_pem(&signed.certificate_pem, "t").unwrap();
            assert!(pki::issued_by(&cert, ca.certificate()));
            assert!(key.matches(&cert.public_key().unwrap().public_key_to_der().unwrap()));
            let back = pki::inspect_certificate(&cert).unwrap();
            assert_eq!(back.sha256_fingerprint, info.sha256_fingerprint);
            assert_eq!(back.public_key_der_sha256, info.public_key_der_sha256);
            assert_eq!(back.not_after, info.not_after);
        }
    }

    #[test]
    fn a_certificate_that_is_not_what_was_meant_is_refused() {
        let ca = CertificateAuthority::create_self_signed("kubernetes", 365, KeyType::EcdsaP256)
            .unwrap();
        let key = PrivateKey::generate(KeyType::EcdsaP256).unwrap();
        let other = PrivateKey::generate(KeyType::EcdsaP256).unwrap();
        let subject = Subject {
            common_name: "john".into(),
            organizations: vec!["dev".into()],
        };
        let now = jiff::Timestamp::now();
        let issued =
            pki::sign_client_certificate(&ca, &subject, key.pkey(), Duration::from_secs(3600), now)
                .unwrap();
        let info = pki::inspect_certificate(&issued.certificate).unwrap();
        let der = key.public_key_der().unwrap();
        check_as_meant(&info, &issued, &ca, &subject, &der).unwrap();
        let err = check_as_meant(
            &info,
            &issued,
            &ca,
            &subject,
            &other.public_key_der().unwrap(),
        )
        .unwrap_err();
        assert!(err.to_string().contains("public key"), "{err}");
        let mallory = Subject {
            common_name: "mallory".into(),
            ..subject.clone()
        };
        let err = check_as_meant(&info, &issued, &ca, &mallory, &der).unwrap_err();
        assert!(err.to_string().contains("the user"), "{err}");
        let other_ca =
            CertificateAuthority::create_self_signed("other", 365, KeyType::EcdsaP256).unwrap();
        let err = check_as_meant(&info, &issued, &other_ca, &subject, &der).unwrap_err();
        assert!(err.to_string().contains("issuer"), "{err}");
    }
}
