//! The TLS settings of one client, as client-go makes them: trust exactly the cluster's
//! certificate-authority when the kubeconfig gives one, and the system store only when it does
//! not; present the user's client certificate; check the server's name (or `tls-server-name`);
//! check nothing with `insecure-skip-tls-verify`.
//!
//! Why not kube's own setup: `SslConnector::builder` loads the whole system bundle
//! (`/etc/ssl/certs/ca-certificates.crt`, ~55 ms here) for every client, even when the
//! kubeconfig names the CA, and then trusts both.

use std::net::IpAddr;
use std::sync::Arc;

use openssl::pkey::{PKey, PKeyRef, Private};
use openssl::ssl::{
    Ssl, SslContext, SslContextBuilder, SslMethod, SslMode, SslOptions, SslRef, SslVerifyMode,
    SslVersion,
};
use openssl::x509::X509;
use openssl::x509::store::X509StoreBuilder;
use openssl::x509::verify::X509CheckFlags;

use serde_json::{Map, Value};

use super::ClusterError;

mod parked;
mod system_trust;

pub(crate) use parked::{IdentitySlot, awaits_identity};

/// The ciphers `openssl::ssl::SslConnector` allows (no anonymous, null, export or broken ones).
const CIPHERS: &str = "DEFAULT:!aNULL:!eNULL:!MD5:!3DES:!DES:!RC4:!IDEA:!SEED:!aDSS:!SRP:!PSK";

/// What every connection of one client shares.
#[derive(Clone)]
pub(crate) struct TlsSettings {
    context: SslContext,
    /// `tls-server-name`: the name to ask for (SNI) and to find in the server's certificate,
    /// instead of the URL's host.
    server_name: Option<String>,
    verify: bool,
    /// A client certificate presented per connection instead of by the context: a new user's,
    /// over a context shared with other new users (see [`TlsSettings::presenting`]).
    presented: Option<Arc<Presented>>,
}

/// A client certificate, its chain and its key, parsed. No `Debug`: the key is a secret.
pub(crate) struct Presented {
    leaf: X509,
    chain: Vec<X509>,
    key: PKey<Private>,
}

impl Presented {
    /// Present it on one connection.
    fn install(&self, ssl: &mut SslRef) -> Result<(), openssl::error::ErrorStack> {
        ssl.set_certificate(&self.leaf)?;
        for intermediate in &self.chain {
            ssl.add_chain_cert(intermediate.clone())?;
        }
        ssl.set_private_key(&self.key)
    }
}

impl TlsSettings {
    /// From kube's reading of the kubeconfig (the CA certificates as DER,
    /// `insecure-skip-tls-verify`, `tls-server-name`) and the user's client certificate.
    /// `http2`: offer `h2` before `http/1.1` by ALPN, as client-go does unless `DISABLE_HTTP2`
    /// is set; the server chooses.
    pub fn new(
        config: &kube::Config,
        identity: Option<&Identity>,
        http2: bool,
    ) -> Result<TlsSettings, ClusterError> {
        let mut builder = client_builder()?;
        let protocols: &[u8] = if http2 {
            b"\x02h2\x08http/1.1"
        } else {
            b"\x08http/1.1"
        };
        builder
            .set_alpn_protos(protocols)
            .map_err(|e| bad("cannot set up TLS", e))?;
        let verify = !config.accept_invalid_certs;
        builder.set_verify(if verify {
            SslVerifyMode::PEER
        } else {
            SslVerifyMode::NONE
        });
        trust(&mut builder, config.root_cert.as_deref(), verify)?;
        if let Some(identity) = identity {
            present(&mut builder, identity)?;
        }
        Ok(TlsSettings {
            context: builder.build(),
            server_name: config.tls_server_name.clone().filter(|n| !n.is_empty()),
            verify,
            presented: None,
        })
    }

    /// These settings presenting `certificate_pem` (and its chain) with `key` on every
    /// connection: the context, with its trust, is shared, not built again (OpenSSL 3.0 takes
    /// about a millisecond per context, and as much again per certificate authority parsed).
    pub fn presenting(
        &self,
        certificate_pem: &[u8],
        key: &PKeyRef<Private>,
    ) -> Result<TlsSettings, ClusterError> {
        let mut chain = X509::stack_from_pem(certificate_pem)
            .map_err(|e| bad("the user's client-certificate is not PEM", e))?;
        if chain.is_empty() {
            return Err(ClusterError::Kubeconfig(
                "the user's client-certificate holds no certificate".into(),
            ));
        }
        let leaf = chain.remove(0);
        let belongs = leaf.public_key().is_ok_and(|public| public.public_eq(key));
        if !belongs {
            return Err(ClusterError::Kubeconfig(
                "the user's client-key does not belong to its client-certificate".into(),
            ));
        }
        Ok(TlsSettings {
            presented: Some(Arc::new(Presented {
                leaf,
                chain,
                key: key.to_owned(),
            })),
            ..self.clone()
        })
    }

    /// One connection's TLS state for `host` (the URL's host, without brackets).
    pub fn ssl_for(&self, host: &str) -> Result<Ssl, openssl::error::ErrorStack> {
        let mut ssl = Ssl::new(&self.context)?;
        if let Some(presented) = &self.presented {
            presented.install(&mut ssl)?;
        }
        let name = self.server_name.as_deref().unwrap_or(host);
        let ip = name.parse::<IpAddr>().ok();
        // SNI is a host name only, never an IP literal (RFC 6066).
        if ip.is_none() {
            ssl.set_hostname(name)?;
        }
        if self.verify {
            let param = ssl.param_mut();
            param.set_hostflags(X509CheckFlags::NO_PARTIAL_WILDCARDS);
            match ip {
                Some(ip) => param.set_ip(ip)?,
                None => param.set_host(name)?,
            }
        }
        Ok(ssl)
    }

    /// How many certificate authorities this client trusts (tests: only the cluster's).
    #[cfg(test)]
    pub fn trusted_count(&self) -> usize {
        self.context.cert_store().all_certificates().len()
    }
}

/// Make OpenSSL's TLS client state on a thread of its own, for a client to be set up soon: the
/// first context of a process fetches every cipher and digest it may use (2 ms of OpenSSL 3.6,
/// measured in C), which a thread started before the kubeconfig is read does meanwhile. The
/// context is thrown away; what it made stays in OpenSSL's store for the real one.
pub fn warm_up() {
    let _ = std::thread::Builder::new()
        .name("tls-warm-up".into())
        .spawn(|| drop(client_builder()));
}

/// A client context with `SslConnector`'s options and client-go's protocol floor.
fn client_builder() -> Result<SslContextBuilder, ClusterError> {
    let mut builder =
        SslContextBuilder::new(SslMethod::tls_client()).map_err(|e| bad("cannot set up TLS", e))?;
    builder.set_options(
        SslOptions::ALL | SslOptions::NO_COMPRESSION | SslOptions::NO_SSLV2 | SslOptions::NO_SSLV3,
    );
    builder.set_mode(
        SslMode::AUTO_RETRY | SslMode::ACCEPT_MOVING_WRITE_BUFFER | SslMode::ENABLE_PARTIAL_WRITE,
    );
    // client-go's minimum; every supported Kubernetes speaks TLS 1.2 or 1.3.
    builder
        .set_min_proto_version(Some(SslVersion::TLS1_2))
        .map_err(|e| bad("cannot set up TLS", e))?;
    builder
        .set_cipher_list(CIPHERS)
        .map_err(|e| bad("cannot set up TLS", e))?;
    Ok(builder)
}

/// Trust exactly the kubeconfig's CA certificates (DER), or the system's when it names none.
fn trust(
    builder: &mut SslContextBuilder,
    root_cert: Option<&[Vec<u8>]>,
    verify: bool,
) -> Result<(), ClusterError> {
    match root_cert {
        Some(ders) if !ders.is_empty() => {
            let mut store = X509StoreBuilder::new().map_err(|e| bad("cannot set up TLS", e))?;
            for der in ders {
                let ca = X509::from_der(der).map_err(|e| {
                    bad(
                        "the cluster's certificate-authority is not a certificate",
                        e,
                    )
                })?;
                store
                    .add_cert(ca)
                    .map_err(|e| bad("the cluster's certificate-authority cannot be used", e))?;
            }
            builder.set_cert_store(store.build());
        }
        // No CA in the kubeconfig: the system's, as kubectl does. Skipped when nothing is
        // verified anyway.
        _ if verify => system_trust::trust_system(builder)
            .map_err(|e| bad("cannot read the system's certificate authorities", e))?,
        _ => {}
    }
    Ok(())
}

/// Present the user's client certificate (and its chain) with its key.
fn present(builder: &mut SslContextBuilder, identity: &Identity) -> Result<(), ClusterError> {
    let mut chain = X509::stack_from_pem(&identity.certificate_pem)
        .map_err(|e| bad("the user's client-certificate is not PEM", e))?
        .into_iter();
    let leaf = chain.next().ok_or_else(|| {
        ClusterError::Kubeconfig("the user's client-certificate holds no certificate".into())
    })?;
    builder
        .set_certificate(&leaf)
        .map_err(|e| bad("the user's client-certificate cannot be used", e))?;
    for intermediate in chain {
        builder
            .add_extra_chain_cert(intermediate)
            .map_err(|e| bad("the user's certificate chain cannot be used", e))?;
    }
    let key = client_key(&identity.key_pem)?;
    // OpenSSL's own refusal would say "key values mismatch".
    if !leaf
        .public_key()
        .is_ok_and(|public| public.public_eq(key.pkey()))
    {
        return Err(ClusterError::Kubeconfig(
            "the user's client-key does not belong to its client-certificate".into(),
        ));
    }
    builder
        .set_private_key(key.pkey())
        .map_err(|e| bad("the user's client-key cannot be used", e))?;
    builder.check_private_key().map_err(|_| {
        ClusterError::Kubeconfig(
            "the user's client-key does not belong to its client-certificate".into(),
        )
    })
}

/// A user's client key from its PEM. The usual formats (kubeadm's RSA PKCS#1) are read without
/// OpenSSL 3's decoder set-up. Never names the key's bytes in a message: only that it failed.
pub(crate) fn client_key(pem: &[u8]) -> Result<crate::pki::PrivateKey, ClusterError> {
    crate::pki::PrivateKey::from_pem(pem, "the user's client-key", None).map_err(|_| {
        ClusterError::Kubeconfig(
            "the user's client-key is not a PEM private key (encrypted keys are not supported)"
                .into(),
        )
    })
}

fn bad(what: &str, e: openssl::error::ErrorStack) -> ClusterError {
    ClusterError::Kubeconfig(format!("{what}: {e}"))
}

/// The client certificate and key PEM of the user (the view's entry, paths resolved), from
/// `*-data` (base64) or from the file, as kube reads them.
pub(crate) fn identity(user: &Map<String, Value>) -> Result<Option<Identity>, ClusterError> {
    let certificate = load(user, "client-certificate")?;
    let key = load(user, "client-key")?;
    match (certificate, key) {
        (None, None) => Ok(None),
        (Some(certificate_pem), Some(key_pem)) => Ok(Some(Identity {
            certificate_pem,
            key_pem,
        })),
        (Some(_), None) => Err(ClusterError::Kubeconfig(
            "the user has a client-certificate but no client-key".into(),
        )),
        (None, Some(_)) => Err(ClusterError::Kubeconfig(
            "the user has a client-key but no client-certificate".into(),
        )),
    }
}

/// A client certificate and its key. No `Debug`: the key is a secret.
pub(crate) struct Identity {
    pub certificate_pem: Vec<u8>,
    pub key_pem: Vec<u8>,
}

fn load(user: &Map<String, Value>, field: &str) -> Result<Option<Vec<u8>>, ClusterError> {
    let text = |key: &str| {
        user.get(key)
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
    };
    if let Some(data) = text(&format!("{field}-data")) {
        let compact: String = data.split_whitespace().collect();
        return openssl::base64::decode_block(&compact)
            .map(Some)
            .map_err(|_| {
                ClusterError::Kubeconfig(format!("the user's {field}-data is not base64"))
            });
    }
    match text(field) {
        None => Ok(None),
        Some(path) => std::fs::read(path).map(Some).map_err(|e| {
            ClusterError::Kubeconfig(format!("cannot read the user's {field} {path}: {e}"))
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pki::{CertificateAuthority, KeyType};

    /// kube's configuration of a cluster whose certificate-authority is `ca`.
    fn trusting(ca: &CertificateAuthority) -> kube::Config {
        let mut config = kube::Config::new("https://127.0.0.1:6443".parse().unwrap());
        config.root_cert = Some(vec![ca.certificate().to_der().unwrap()]);
        config
    }

    #[test]
    fn a_cluster_ca_is_the_only_trust_anchor() {
        let ca =
            CertificateAuthority::create_self_signed("kubernetes", 30, KeyType::EcdsaP256).unwrap();
        let config = trusting(&ca);
        assert_eq!(
            TlsSettings::new(&config, None, true)
                .unwrap()
                .trusted_count(),
            1
        );
    }

    #[test]
    fn a_new_identity_shares_the_context_and_must_hold_its_certificates_key() {
        let ca =
            CertificateAuthority::create_self_signed("kubernetes", 30, KeyType::EcdsaP256).unwrap();
        let config = trusting(&ca);
        let shared = TlsSettings::new(&config, None, true).unwrap();
        let user = CertificateAuthority::create_self_signed("john", 1, KeyType::EcdsaP256).unwrap();
        let cert = user.certificate_pem().unwrap();
        let john = shared.presenting(&cert, user.key()).unwrap();
        use foreign_types::ForeignTypeRef as _;
        assert_eq!(
            (*john.context).as_ptr(),
            (*shared.context).as_ptr(),
            "one context, shared"
        );
        let ssl = john.ssl_for("127.0.0.1").unwrap();
        assert_eq!(
            ssl.certificate().unwrap().to_der().unwrap(),
            user.certificate().to_der().unwrap()
        );
        assert!(shared.ssl_for("127.0.0.1").unwrap().certificate().is_none());
        let err = shared.presenting(&cert, ca.key()).err().unwrap();
        assert!(err.to_string().contains("does not belong"), "{err}");
    }

    #[test]
    fn client_keys_of_the_usual_formats_are_presented_and_a_stranger_is_refused() {
        let config = kube::Config::new("https://127.0.0.1:6443".parse().unwrap());
        for kind in [KeyType::Rsa2048, KeyType::EcdsaP256] {
            let user = CertificateAuthority::create_self_signed("admin", 1, kind).unwrap();
            let pkey = user.key();
            // kubeadm writes RSA PKCS#1; we write PKCS#8.
            let pkcs1 = pkey.rsa().ok().map(|rsa| rsa.private_key_to_pem().unwrap());
            let formats = [Some(pkey.private_key_to_pem_pkcs8().unwrap()), pkcs1];
            for key_pem in formats.into_iter().flatten() {
                let identity = Identity {
                    certificate_pem: user.certificate_pem().unwrap(),
                    key_pem,
                };
                assert!(
                    TlsSettings::new(&config, Some(&identity), true).is_ok(),
                    "{kind}"
                );
            }
            let stranger = CertificateAuthority::create_self_signed("x", 1, kind).unwrap();
            let identity = Identity {
                certificate_pem: user.certificate_pem().unwrap(),
                key_pem: stranger.key().private_key_to_pem_pkcs8().unwrap(),
            };
            let err = TlsSettings::new(&config, Some(&identity), true)
                .err()
                .unwrap();
            assert!(err.to_string().contains("does not belong"), "{err}");
        }
    }
}
