//! Does a certificate chain to a CA? For `install` (the certificate from the signer belongs to
//! this cluster), `doctor` (the server will accept it) and `check-expiration` (which CA signed
//! each control-plane certificate).

use openssl::stack::Stack;
use openssl::x509::store::X509StoreBuilder;
use openssl::x509::verify::X509VerifyFlags;
use openssl::x509::{X509, X509Ref, X509StoreContext};

/// True when `ca` issued `cert`: the issuer name is the CA's subject and the CA's key made the
/// signature.
pub fn issued_by(cert: &X509Ref, ca: &X509Ref) -> bool {
    let names_match = cert
        .issuer_name()
        .try_cmp(ca.subject_name())
        .is_ok_and(|o| o.is_eq());
    names_match
        && ca
            .public_key()
            .and_then(|k| cert.verify(&k))
            .unwrap_or(false)
}

/// Verify `cert` against the trusted `roots` as a TLS server would verify a client certificate,
/// at the current time. `Err` carries OpenSSL's reason ("certificate has expired", "unable to
/// get local issuer certificate").
pub fn verify_against(cert: &X509Ref, roots: &[X509]) -> Result<(), String> {
    let ssl = |e: openssl::error::ErrorStack| e.to_string();
    let mut store = X509StoreBuilder::new().map_err(ssl)?;
    for root in roots {
        store.add_cert(root.clone()).map_err(ssl)?;
    }
    // Roots only, as kube-apiserver's --client-ca-file: an intermediate in the bundle counts too.
    store
        .set_flags(X509VerifyFlags::PARTIAL_CHAIN)
        .map_err(ssl)?;
    let store = store.build();
    let chain = Stack::new().map_err(ssl)?;
    let mut context = X509StoreContext::new().map_err(ssl)?;
    let verdict = context
        .init(&store, cert, &chain, |c| {
            Ok(c.verify_cert()?.then_some(()).ok_or(c.error()))
        })
        .map_err(ssl)?;
    verdict.map_err(|e| e.error_string().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pki::{CertificateAuthority, KeyType, PrivateKey, Subject, sign_client_certificate};

    #[test]
    fn a_certificate_chains_to_its_ca_and_not_to_another() {
        let ca = CertificateAuthority::create_self_signed("one", 30, KeyType::EcdsaP256).unwrap();
        let other =
            CertificateAuthority::create_self_signed("one", 30, KeyType::EcdsaP256).unwrap();
        let key = PrivateKey::generate(KeyType::EcdsaP256).unwrap();
        let subject = Subject {
            common_name: "john".into(),
            organizations: vec![],
        };
        let issued = sign_client_certificate(
            &ca,
            &subject,
            key.pkey(),
            std::time::Duration::from_secs(86_400),
            jiff::Timestamp::now(),
        )
        .unwrap();
        let cert = X509::from_pem(&issued.certificate_pem).unwrap();
        assert!(issued_by(&cert, ca.certificate()));
        // Same name, other key: the signature decides.
        assert!(!issued_by(&cert, other.certificate()));
        assert!(verify_against(&cert, &[ca.certificate().to_owned()]).is_ok());
        let err = verify_against(&cert, &[other.certificate().to_owned()]).unwrap_err();
        assert!(err.contains("signature") || err.contains("issuer"), "{err}");
        let bundle = [
            other.certificate_pem().unwrap(),
            ca.certificate_pem().unwrap(),
        ]
        .concat();
        let roots = crate::pki::read_certificates(&bundle, "bundle").unwrap();
        assert_eq!(roots.len(), 2);
        assert!(verify_against(&cert, &roots).is_ok());
        assert!(crate::pki::read_certificates(b"nothing", "x").is_err());
    }
}
