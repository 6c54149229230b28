//! Cluster clients, built from the kubeconfig module's view ([`ClientView`]) and from nothing
//! else: kube's `Kubeconfig` is only the target we fill, never a second reader with its own
//! merge rules. For a command, `workflow::target::cluster_client` picks the view.

use std::time::Duration;

use kube::config::{KubeConfigOptions, Kubeconfig, NamedAuthInfo, NamedCluster};
use serde_json::{Map, Value, json};

use super::ClusterError;
use super::connector::{HttpsConnector, ParkedConnection};
use super::one_connection::{Http2Chosen, OneConnection};
use super::tls::TlsSettings;
use crate::kubeconfig::ClientView;

/// A fresh connection should not hang a command: a server that does not answer the TCP
/// handshake in this time is reported as unreachable.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// The user name a new identity (certificate and key only in memory) is given inside the client.
const NEW_IDENTITY: &str = "certuser-new-identity";

/// A client and what messages and fallbacks need to know about it.
#[derive(Clone)]
pub struct ApiClient {
    pub client: kube::Client,
    /// The API server's URL, for messages.
    pub server: String,
    /// The client certificate the credentials present (PEM), if they are one: the identity a
    /// server without SelfSubjectReview cannot tell us is read from it.
    pub certificate_pem: Option<Vec<u8>>,
}

/// A client for the view's cluster with the view's user's credentials.
pub async fn connect(view: &ClientView) -> Result<ApiClient, ClusterError> {
    let (config, server) = config_of(view).await?;
    let certificate_pem = certificate_of(&view.user);
    let client = if needs_kube_stack(&config) {
        kube::Client::try_from(config)
            .map_err(|e| ClusterError::from_kube(e, &server, "build a client", ""))?
    } else {
        let identity = super::tls::identity(&view.user)?;
        let tls = TlsSettings::new(&config, identity.as_ref(), http2_allowed())?;
        own_stack(config, tls, None)
            .map_err(|e| ClusterError::from_kube(e, &server, "build a client", ""))?
    };
    Ok(ApiClient {
        client,
        server,
        certificate_pem,
    })
}

/// kube's configuration of the view's cluster and user, and the server's URL for messages.
async fn config_of(view: &ClientView) -> Result<(kube::Config, String), ClusterError> {
    let cluster_name = &view.selected.cluster;
    let cluster: NamedCluster = typed(
        json!({ "name": cluster_name, "cluster": view.cluster }),
        || {
            format!(
                "the cluster {cluster_name:?} in {}",
                view.cluster_file.display()
            )
        },
    )?;
    let user_name = view.selected.user.clone().unwrap_or_default();
    let user: NamedAuthInfo = typed(json!({ "name": user_name, "user": view.user }), || {
        let file = view.user_file.as_ref().unwrap_or(&view.cluster_file);
        format!("the user {user_name:?} in {}", file.display())
    })?;
    let context = typed(
        json!({ "name": "certuser", "context": { "cluster": cluster_name, "user": user_name, "namespace": view.namespace } }),
        || "the context".to_string(),
    )?;
    let kubeconfig = Kubeconfig {
        clusters: vec![cluster],
        auth_infos: vec![user],
        contexts: vec![context],
        current_context: Some("certuser".into()),
        ..Kubeconfig::default()
    };
    let mut config =
        kube::Config::from_custom_kubeconfig(kubeconfig, &KubeConfigOptions::default())
            .await
            .map_err(|e| ClusterError::Kubeconfig(super::error::causes(&e)))?;
    config.connect_timeout = Some(CONNECT_TIMEOUT);
    let server = config
        .cluster_url
        .to_string()
        .trim_end_matches('/')
        .to_string();
    if config.proxy_url.is_some() {
        // kube is built without its proxy features, and so are we. Never echo the URL: it may
        // carry credentials.
        return Err(ClusterError::Kubeconfig(format!(
            "the cluster {cluster_name:?} in {} sets proxy-url, which kubectl certuser does not support: it connects to the API server directly",
            view.cluster_file.display()
        )));
    }
    Ok((config, server))
}

/// kube's own stack, for what ours does not do: exec plugins and auth providers (they may hand
/// back a client certificate only kube sees). It costs a read of the system's CA bundle per
/// client.
fn needs_kube_stack(config: &kube::Config) -> bool {
    config.auth_info.exec.is_some() || config.auth_info.auth_provider.is_some()
}

/// kube's client over our connector ([`super::connector`]): the same layers kube stacks (base
/// URL, retries of 429/503/504, token or basic auth, impersonation headers), our TLS under them,
/// and requests that share one connection ([`OneConnection`]). The error is a layer kube could
/// not make.
fn own_stack(
    config: kube::Config,
    tls: TlsSettings,
    parked: Option<ParkedConnection>,
) -> Result<kube::Client, kube::Error> {
    use kube::client::ConfigExt;
    let http2_chosen = Http2Chosen::default();
    let connector = HttpsConnector::new(tls, config.connect_timeout.unwrap_or(CONNECT_TIMEOUT))
        .announcing(http2_chosen.clone())
        .with_parked(parked);
    let http = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
        .build::<_, kube::client::Body>(connector);
    let service = tower::ServiceBuilder::new()
        .layer(config.base_uri_layer())
        .option_layer(config.default_retry.then(|| {
            tower::retry::RetryLayer::new(kube::client::retry::RetryPolicy::server_retry())
        }))
        .option_layer(config.auth_layer()?)
        .layer(config.extra_headers_layer()?)
        .layer(request_log())
        .service(OneConnection::sharing(http, &http2_chosen));
    Ok(kube::Client::new(service, config.default_namespace))
}

/// client-go's switch, honoured the same way: any non-empty `DISABLE_HTTP2` keeps every
/// connection to HTTP/1.1.
fn http2_allowed() -> bool {
    std::env::var_os("DISABLE_HTTP2").is_none_or(|v| v.is_empty())
}

/// The `-v` request log: plain functions, so the layer's type can be named.
type RequestLog = tower_http::trace::TraceLayer<
    tower_http::classify::SharedClassifier<tower_http::classify::ServerErrorsAsFailures>,
    fn(&http::Request<kube::client::Body>) -> tracing::Span,
    (),
    fn(&http::Response<hyper::body::Incoming>, Duration, &tracing::Span),
>;

/// `-v`: each request's method and URL and its answer's status, as kube's own stack logs them
/// (never a body, so never key material).
fn request_log() -> RequestLog {
    fn span(req: &http::Request<kube::client::Body>) -> tracing::Span {
        tracing::debug_span!("HTTP", http.method = %req.method(), http.url = %req.uri(), http.status_code = tracing::field::Empty)
    }
    fn answered(res: &http::Response<hyper::body::Incoming>, _: Duration, span: &tracing::Span) {
        span.record("http.status_code", res.status().as_u16());
        tracing::debug!("answered");
    }
    tower_http::trace::TraceLayer::new_for_http()
        .make_span_with(span as fn(&_) -> _)
        .on_request(())
        .on_response(answered as fn(&_, _, &_))
}

/// A client for the view's cluster as the holder of `cert_pem`/`key_pem`: nothing is written.
pub async fn connect_as(
    view: &ClientView,
    cert_pem: &[u8],
    key_pem: &[u8],
) -> Result<ApiClient, ClusterError> {
    // Never name the key's bytes in a message: only that it failed.
    let key = super::tls::client_key(key_pem)?;
    NewIdentities::for_cluster(view)
        .await?
        .client(cert_pem, key.pkey())
}

/// Clients for identities that no kubeconfig holds yet (new users' certificates and keys, still
/// in memory), all for one cluster. What they share is made once: kube's configuration of the
/// cluster and the TLS context with its trust; each identity only adds itself to its own
/// connections.
pub struct NewIdentities {
    config: kube::Config,
    tls: TlsSettings,
    server: String,
    /// Connections opened before the certificates existed ([`NewIdentities::park`]), one per
    /// client made after.
    parked: std::sync::Mutex<Vec<ParkedConnection>>,
}

impl NewIdentities {
    /// For the view's cluster; the view's own user is not used.
    pub async fn for_cluster(view: &ClientView) -> Result<NewIdentities, ClusterError> {
        let mut view = view.clone();
        view.selected.user = Some(NEW_IDENTITY.into());
        view.user = Map::new();
        let (config, server) = config_of(&view).await?;
        let tls = TlsSettings::new(&config, None, http2_allowed())?;
        Ok(NewIdentities {
            config,
            tls,
            server,
            parked: Default::default(),
        })
    }

    /// Open `count` connections to the cluster now, on the current runtime, each waiting in its
    /// TLS handshake for the certificate of the next client made ([`NewIdentities::client`]):
    /// while a signer works, their round trips are out of the way.
    pub fn park(&self, count: usize) {
        let connector = HttpsConnector::new(
            self.tls.clone(),
            self.config.connect_timeout.unwrap_or(CONNECT_TIMEOUT),
        );
        let opened = (0..count).filter_map(|_| connector.park(&self.config.cluster_url));
        self.parked.lock().unwrap().extend(opened);
    }

    /// A client presenting `cert_pem` (and its chain) with `key`.
    pub fn client(
        &self,
        cert_pem: &[u8],
        key: &openssl::pkey::PKeyRef<openssl::pkey::Private>,
    ) -> Result<ApiClient, ClusterError> {
        let tls = self.tls.presenting(cert_pem, key)?;
        let parked = self.parked.lock().unwrap().pop();
        let client = own_stack(self.config.clone(), tls, parked)
            .map_err(|e| ClusterError::from_kube(e, &self.server, "build a client", ""))?;
        Ok(ApiClient {
            client,
            server: self.server.clone(),
            certificate_pem: Some(cert_pem.to_vec()),
        })
    }
}

/// One part of the kubeconfig as kube's type. A mismatch is named by the entry and the file,
/// never by its value: the values of a kubeconfig include keys and tokens.
fn typed<T: serde::de::DeserializeOwned>(
    value: Value,
    what: impl FnOnce() -> String,
) -> Result<T, ClusterError> {
    serde_json::from_value(value).map_err(|e| {
        ClusterError::Kubeconfig(format!(
            "{} cannot be used: {}",
            what(),
            without_values(&e.to_string())
        ))
    })
}

/// A serde message without the quoted values it cites: `invalid type: string "s3cret",
/// expected a boolean` becomes `invalid type: string, expected a boolean`.
fn without_values(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    let mut chars = message.chars();
    while let Some(c) = chars.next() {
        match c {
            '"' | '`' => {
                for d in chars.by_ref() {
                    if d == c {
                        break;
                    }
                }
                if out.ends_with(' ') {
                    out.pop();
                }
            }
            _ => out.push(c),
        }
    }
    out
}

/// The PEM of the user's client certificate, inline or from its (already resolved) file.
fn certificate_of(user: &Map<String, Value>) -> Option<Vec<u8>> {
    if let Some(data) = user.get("client-certificate-data").and_then(Value::as_str) {
        return openssl::base64::decode_block(data.trim()).ok();
    }
    let path = user.get("client-certificate").and_then(Value::as_str)?;
    std::fs::read(path).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_lose_the_values_they_quote() {
        assert_eq!(
            without_values("invalid type: string \"SECRET-1\", expected a boolean"),
            "invalid type: string, expected a boolean"
        );
        assert_eq!(
            without_values("invalid type: integer `123456`, expected a string"),
            "invalid type: integer, expected a string"
        );
        let err = typed::<NamedCluster>(
            json!({ "name": "k", "cluster": { "server": "https://x", "insecure-skip-tls-verify": "SECRET-2" } }),
            || "the cluster \"k\"".into(),
        )
        .err()
        .unwrap()
        .to_string();
        assert!(
            err.contains("the cluster \"k\" cannot be used: invalid type"),
            "{err}"
        );
        assert!(!err.contains("SECRET"), "{err}");
    }
}
