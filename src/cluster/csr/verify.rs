//! Never trust what comes back: the issued certificate must carry our key and subject, be for
//! client authentication, not be a CA, and be valid now.

use super::super::ClusterError;
use super::CsrRequest;
use crate::pki;

/// How far ahead of our clock a certificate may start: the cluster's clock may be ahead.
const CLOCK_SKEW: i64 = 300;

/// Never trust what comes back: our key, our subject, a client certificate (not a CA) valid now.
pub(super) fn check_certificate(
    name: &str,
    pem: &[u8],
    req: &CsrRequest<'_>,
) -> Result<pki::CertInfo, ClusterError> {
    let wrong = |why: String| ClusterError::WrongCertificate {
        name: name.into(),
        why,
    };
    let cert = pki::parse_certificate_pem(pem, "the issued certificate")
        .map_err(|e| wrong(e.to_string()))?;
    let info = pki::inspect_certificate(&cert).map_err(|e| wrong(e.to_string()))?;
    // The certificate's own key bytes, hashed as it was read: no second encoding of its key.
    if info.public_key_der_sha256 != hex_sha256(req.public_key_der) {
        return Err(wrong("it carries another public key".into()));
    }
    if info.common_name.as_deref() != Some(req.user) {
        return Err(wrong(format!(
            "its CN is {:?}, not {:?}",
            info.common_name.unwrap_or_default(),
            req.user
        )));
    }
    let (mut got, mut want) = (info.groups.clone(), req.groups.to_vec());
    got.sort();
    want.sort();
    if got != want {
        return Err(wrong(format!("its groups are {got:?}, not {want:?}")));
    }
    if !info.extended_key_usage.iter().any(|u| u == "clientAuth") {
        return Err(wrong(format!(
            "it is not for client authentication (extended key usage {:?})",
            info.extended_key_usage
        )));
    }
    if info.is_ca {
        return Err(wrong(
            "it is a CA certificate (basicConstraints CA:TRUE), able to sign others".into(),
        ));
    }
    let now = jiff::Timestamp::now();
    if info.not_after <= now {
        return Err(wrong(format!(
            "it expired on {}",
            info.not_after.strftime("%Y-%m-%d %H:%M:%S UTC")
        )));
    }
    if info.not_before > now + jiff::SignedDuration::from_secs(CLOCK_SKEW) {
        return Err(wrong(format!(
            "it is not valid before {}: check the clocks of this machine and the cluster",
            info.not_before.strftime("%Y-%m-%d %H:%M:%S UTC")
        )));
    }
    Ok(info)
}

fn hex_sha256(bytes: &[u8]) -> String {
    openssl::sha::sha256(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::super::tests::request;
    use super::*;
    use crate::pki::{CertificateAuthority, KeyType, PrivateKey, Subject};

    #[test]
    fn the_issued_certificate_must_carry_our_key_and_subject() {
        let ca =
            CertificateAuthority::create_self_signed("kubernetes", 30, KeyType::EcdsaP256).unwrap();
        let ours = PrivateKey::generate(KeyType::EcdsaP256).unwrap();
        let theirs = PrivateKey::generate(KeyType::EcdsaP256).unwrap();
        let groups = vec!["dev1".to_string()];
        let spki = ours.public_key_der().unwrap();
        let req = request(b"", &spki, &groups);
        let issue = |key: &PrivateKey, cn: &str, orgs: Vec<String>| {
            let subject = Subject {
                common_name: cn.into(),
                organizations: orgs,
            };
            pki::sign_client_certificate(
                &ca,
                &subject,
                key.pkey(),
                Duration::from_secs(3600),
                jiff::Timestamp::now(),
            )
            .unwrap()
            .certificate_pem
        };
        assert!(check_certificate("n", &issue(&ours, "john", groups.clone()), &req).is_ok());
        assert!(
            check_certificate("n", &issue(&theirs, "john", groups.clone()), &req)
                .unwrap_err()
                .to_string()
                .contains("another public key")
        );
        assert!(
            check_certificate("n", &issue(&ours, "mallory", groups.clone()), &req)
                .unwrap_err()
                .to_string()
                .contains("CN")
        );
        assert!(
            check_certificate(
                "n",
                &issue(&ours, "john", vec!["system:masters".into()]),
                &req
            )
            .unwrap_err()
            .to_string()
            .contains("groups")
        );
    }

    /// A certificate for `key` as a careless or hostile signer might issue it.
    struct Crafted {
        client_auth: bool,
        server_auth: bool,
        ca: Option<bool>,
        from: i64,
        until: i64,
    }

    fn craft(ca: &CertificateAuthority, key: &PrivateKey, how: Crafted) -> Vec<u8> {
        use openssl::x509::extension::{BasicConstraints, ExtendedKeyUsage};
        let mut b = openssl::x509::X509Builder::new().unwrap();
        b.set_version(2).unwrap();
        let subject = Subject {
            common_name: "john".into(),
            organizations: vec!["dev1".into()],
        };
        b.set_subject_name(&subject.to_x509_name().unwrap())
            .unwrap();
        b.set_issuer_name(ca.certificate().subject_name()).unwrap();
        let public =
            openssl::pkey::PKey::public_key_from_der(&key.public_key_der().unwrap()).unwrap();
        b.set_pubkey(&public).unwrap();
        let now = jiff::Timestamp::now().as_second();
        b.set_not_before(&openssl::asn1::Asn1Time::from_unix(now + how.from).unwrap())
            .unwrap();
        b.set_not_after(&openssl::asn1::Asn1Time::from_unix(now + how.until).unwrap())
            .unwrap();
        match how.ca {
            Some(true) => b
                .append_extension(BasicConstraints::new().critical().ca().build().unwrap())
                .unwrap(),
            Some(false) => b
                .append_extension(BasicConstraints::new().critical().build().unwrap())
                .unwrap(),
            None => {}
        }
        if how.client_auth || how.server_auth {
            let mut eku = ExtendedKeyUsage::new();
            if how.client_auth {
                eku.client_auth();
            }
            if how.server_auth {
                eku.server_auth();
            }
            b.append_extension(eku.build().unwrap()).unwrap();
        }
        b.sign(ca.key(), openssl::hash::MessageDigest::sha256())
            .unwrap();
        b.build().to_pem().unwrap()
    }

    #[test]
    fn the_issued_certificate_must_be_a_current_client_certificate_and_not_a_ca() {
        let ca =
            CertificateAuthority::create_self_signed("kubernetes", 30, KeyType::EcdsaP256).unwrap();
        let ours = PrivateKey::generate(KeyType::EcdsaP256).unwrap();
        let groups = vec!["dev1".to_string()];
        let spki = ours.public_key_der().unwrap();
        let req = request(b"", &spki, &groups);
        let good = Crafted {
            client_auth: true,
            server_auth: false,
            ca: Some(false),
            from: -300,
            until: 3600,
        };
        let check = |how: Crafted| {
            check_certificate("n", &craft(&ca, &ours, how), &req)
                .map(|_| ())
                .map_err(|e| e.to_string())
        };
        check(Crafted { ..good }).unwrap();
        // No basicConstraints at all is a leaf too; extra usages beside clientAuth are tolerated.
        check(Crafted { ca: None, ..good }).unwrap();
        check(Crafted {
            server_auth: true,
            ..good
        })
        .unwrap();
        for (bad, needle) in [
            (
                Crafted {
                    client_auth: false,
                    server_auth: true,
                    ..good
                },
                "client authentication",
            ),
            (
                Crafted {
                    client_auth: false,
                    ..good
                },
                "client authentication",
            ),
            (
                Crafted {
                    ca: Some(true),
                    ..good
                },
                "CA",
            ),
            (
                Crafted {
                    from: -7200,
                    until: -3600,
                    ..good
                },
                "expired",
            ),
            (
                Crafted {
                    from: 3600,
                    until: 7200,
                    ..good
                },
                "not valid before",
            ),
        ] {
            let err = check(bad).unwrap_err();
            assert!(err.contains(needle), "{needle}: {err}");
            assert!(err.contains("refusing it"), "{err}");
        }
    }
}
