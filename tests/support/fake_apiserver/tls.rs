//! The fake cluster's PKI: one CA that signs the serving certificate, client certificates and
//! approved CSRs, like a kubeadm cluster's `ca.crt` (client CA = signing CA).

use openssl::asn1::Asn1Time;
use openssl::bn::{BigNum, MsbOption};
use openssl::ec::{EcGroup, EcKey};
use openssl::hash::MessageDigest;
use openssl::nid::Nid;
use openssl::pkey::{PKey, PKeyRef, Private, Public};
use openssl::ssl::{AlpnError, SslAcceptor, SslMethod, SslVerifyMode, SslVersion};
use openssl::x509::extension::{
    BasicConstraints, ExtendedKeyUsage, KeyUsage, SubjectAlternativeName, SubjectKeyIdentifier,
};
use openssl::x509::{X509, X509Builder, X509NameBuilder};

pub struct Pki {
    pub ca: X509,
    pub ca_key: PKey<Private>,
}

fn ec_key() -> PKey<Private> {
    PKey::from_ec_key(
        EcKey::generate(&EcGroup::from_curve_name(Nid::X9_62_PRIME256V1).unwrap()).unwrap(),
    )
    .unwrap()
}

fn name(cn: &str, orgs: &[&str]) -> openssl::x509::X509Name {
    let mut b = X509NameBuilder::new().unwrap();
    for o in orgs {
        b.append_entry_by_nid(Nid::ORGANIZATIONNAME, o).unwrap();
    }
    b.append_entry_by_nid(Nid::COMMONNAME, cn).unwrap();
    b.build()
}

fn builder(
    subject: &openssl::x509::X509NameRef,
    key: &PKeyRef<Public>,
    not_after_secs: i64,
) -> X509Builder {
    let mut b = X509Builder::new().unwrap();
    b.set_version(2).unwrap();
    let mut serial = BigNum::new().unwrap();
    serial.rand(120, MsbOption::MAYBE_ZERO, false).unwrap();
    b.set_serial_number(&serial.to_asn1_integer().unwrap())
        .unwrap();
    b.set_subject_name(subject).unwrap();
    b.set_pubkey(key).unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    // A minute of clock skew, like the controller-manager's signer; an hour before the end for
    // a certificate that has already expired.
    let start = if not_after_secs > 0 {
        now - 60
    } else {
        now + not_after_secs - 3600
    };
    b.set_not_before(&Asn1Time::from_unix(start).unwrap())
        .unwrap();
    b.set_not_after(&Asn1Time::from_unix(now + not_after_secs).unwrap())
        .unwrap();
    b
}

fn public(key: &PKeyRef<Private>) -> PKey<Public> {
    PKey::public_key_from_der(&key.public_key_to_der().unwrap()).unwrap()
}

impl Pki {
    pub fn new() -> Pki {
        let ca_key = ec_key();
        let subject = name("fake-kubernetes-ca", &[]);
        let mut b = builder(&subject, &public(&ca_key), 3650 * 86_400);
        b.set_issuer_name(&subject).unwrap();
        b.append_extension(BasicConstraints::new().critical().ca().build().unwrap())
            .unwrap();
        b.append_extension(
            KeyUsage::new()
                .critical()
                .key_cert_sign()
                .digital_signature()
                .build()
                .unwrap(),
        )
        .unwrap();
        let ski = SubjectKeyIdentifier::new()
            .build(&b.x509v3_context(None, None))
            .unwrap();
        b.append_extension(ski).unwrap();
        b.sign(&ca_key, MessageDigest::sha256()).unwrap();
        Pki {
            ca: b.build(),
            ca_key,
        }
    }

    /// A client certificate as kubeadm makes them: CN = user, O = groups, clientAuth.
    pub fn client_cert(
        &self,
        user: &str,
        groups: &[&str],
        key: &PKeyRef<Public>,
        seconds: i64,
    ) -> X509 {
        let mut b = builder(&name(user, groups), key, seconds);
        b.set_issuer_name(self.ca.subject_name()).unwrap();
        b.append_extension(BasicConstraints::new().build().unwrap())
            .unwrap();
        b.append_extension(
            KeyUsage::new()
                .critical()
                .digital_signature()
                .key_encipherment()
                .build()
                .unwrap(),
        )
        .unwrap();
        b.append_extension(ExtendedKeyUsage::new().client_auth().build().unwrap())
            .unwrap();
        b.sign(&self.ca_key, MessageDigest::sha256()).unwrap();
        b.build()
    }

    /// A new key and client certificate for `user`, ending `seconds` from now.
    pub fn client_identity(
        &self,
        user: &str,
        groups: &[&str],
        seconds: i64,
    ) -> (X509, PKey<Private>) {
        let key = ec_key();
        (self.client_cert(user, groups, &public(&key), seconds), key)
    }

    /// The x509 authenticator: does the client CA vouch for this certificate as a client
    /// certificate now? The real kube-apiserver asks for the certificate in TLS but verifies
    /// it here, after the handshake, so a foreign, expired or server-only certificate gets a
    /// 401 Unauthorized instead of a broken connection.
    pub fn verifies_client(&self, cert: &X509, chain: &openssl::stack::StackRef<X509>) -> bool {
        let mut store = openssl::x509::store::X509StoreBuilder::new().unwrap();
        store.add_cert(self.ca.clone()).unwrap();
        store
            .set_purpose(openssl::x509::X509PurposeId::SSL_CLIENT)
            .unwrap();
        let store = store.build();
        let mut context = openssl::x509::X509StoreContext::new().unwrap();
        let verified = context
            .init(&store, cert, chain, |c| c.verify_cert())
            .unwrap_or(false);
        // A failed check leaves errors on this thread's OpenSSL queue (the handshake's accepted
        // failure too); a later SSL_read would take them for its own and drop the connection.
        let _ = openssl::error::ErrorStack::get();
        verified
    }

    /// The acceptor: our serving certificate for 127.0.0.1/localhost. Client certificates are
    /// requested but not judged in the handshake (`verifies_client` does that, like the real
    /// authenticator), and requests without one reach the handler as anonymous. ALPN as Go's
    /// net/http server: `h2` preferred, then `http/1.1`; only `http/1.1` with `http2` off (Go's
    /// `GODEBUG=http2server=0`, or a proxy in front that speaks only HTTP/1.1).
    pub fn acceptor(&self, http2: bool) -> SslAcceptor {
        let key = ec_key();
        let mut b = builder(&name("kube-apiserver", &[]), &public(&key), 365 * 86_400);
        b.set_issuer_name(self.ca.subject_name()).unwrap();
        let san = SubjectAlternativeName::new()
            .ip("127.0.0.1")
            .dns("localhost")
            .dns("kubernetes")
            .build(&b.x509v3_context(Some(&self.ca), None))
            .unwrap();
        b.append_extension(san).unwrap();
        b.append_extension(ExtendedKeyUsage::new().server_auth().build().unwrap())
            .unwrap();
        b.sign(&self.ca_key, MessageDigest::sha256()).unwrap();
        let serving = b.build();

        let mut acceptor = SslAcceptor::mozilla_intermediate_v5(SslMethod::tls_server()).unwrap();
        acceptor
            .set_min_proto_version(Some(SslVersion::TLS1_2))
            .unwrap();
        acceptor.set_private_key(&key).unwrap();
        // The serving certificate alone, as kube-apiserver sends kubeadm's apiserver.crt: the
        // client has the CA from its kubeconfig. (Sending the CA too made every client parse a
        // second certificate per handshake, an OpenSSL 3.0 decoder set-up each.) Without
        // NO_AUTO_CHAIN OpenSSL would add the CA from the store below on its own.
        acceptor.set_certificate(&serving).unwrap();
        acceptor.set_mode(openssl::ssl::SslMode::NO_AUTO_CHAIN);
        acceptor.cert_store_mut().add_cert(self.ca.clone()).unwrap();
        // No client CA list is sent, so Go's and OpenSSL's clients present whatever certificate
        // they hold; accepting every chain here leaves the verdict to the authenticator.
        acceptor.set_verify_callback(SslVerifyMode::PEER, |_, _| true);
        // Every connection proves its client certificate afresh: no session resumption (an
        // uninitialised session id context would otherwise abort resumed handshakes).
        acceptor
            .set_session_id_context(b"fake-kube-apiserver")
            .unwrap();
        acceptor.set_session_cache_mode(openssl::ssl::SslSessionCacheMode::OFF);
        acceptor.set_options(openssl::ssl::SslOptions::NO_TICKET);
        let protocols: &'static [u8] = if http2 {
            b"\x02h2\x08http/1.1"
        } else {
            b"\x08http/1.1"
        };
        // The server's preference decides, as in Go's crypto/tls; a client that offers none of
        // them (or no ALPN at all) gets HTTP/1.1 without an ALPN answer.
        acceptor.set_alpn_select_callback(move |_, offered| {
            openssl::ssl::select_next_proto(protocols, offered).ok_or(AlpnError::NOACK)
        });
        acceptor.build()
    }
}
