//! Clients: for a kubeconfig context (the administrator's credentials), or for a new identity
//! whose certificate and key are still only in memory.

use std::path::PathBuf;
use std::time::Duration;

use kube::config::{KubeConfigOptions, Kubeconfig, NamedCluster};
use serde_json::json;

use super::ClusterError;

/// A fresh connection should not hang a command: a server that does not answer the TCP
/// handshake in this time is reported as unreachable.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// A client and the server it talks to (for messages).
#[derive(Clone)]
pub struct ApiClient {
    pub client: kube::Client,
    pub server: String,
}

/// Merge kubeconfig files as kubectl does (first entry per name wins). kube's `read_from`
/// resolves relative paths against each file, which is right for reading; we never write this.
pub fn load_merged(files: &[PathBuf]) -> Result<Kubeconfig, ClusterError> {
    let mut merged: Option<Kubeconfig> = None;
    for file in files.iter().filter(|f| f.exists()) {
        let kc = Kubeconfig::read_from(file)
            .map_err(|e| ClusterError::Kubeconfig(format!("{}: {e}", file.display())))?;
        merged = Some(match merged {
            None => kc,
            Some(m) => m
                .merge(kc)
                .map_err(|e| ClusterError::Kubeconfig(e.to_string()))?,
        });
    }
    merged.ok_or_else(|| ClusterError::Kubeconfig("no kubeconfig file exists".into()))
}

/// A client for `context` (default: current-context), optionally with another cluster, like
/// kubectl's `--context` and `--cluster`.
pub async fn client_for(
    kc: Kubeconfig,
    context: Option<&str>,
    cluster: Option<&str>,
) -> Result<ApiClient, ClusterError> {
    let options = KubeConfigOptions {
        context: context.map(String::from),
        cluster: cluster.map(String::from),
        user: None,
    };
    let mut config = kube::Config::from_custom_kubeconfig(kc, &options)
        .await
        .map_err(|e| ClusterError::Kubeconfig(e.to_string()))?;
    config.connect_timeout = Some(CONNECT_TIMEOUT);
    let server = config
        .cluster_url
        .to_string()
        .trim_end_matches('/')
        .to_string();
    let client = kube::Client::try_from(config)
        .map_err(|e| ClusterError::from_kube(e, &server, "build a client", ""))?;
    Ok(ApiClient { client, server })
}

/// A client talking to `cluster` as the holder of `cert_pem`/`key_pem`: nothing is written.
pub async fn client_as(
    cluster: &NamedCluster,
    cert_pem: &[u8],
    key_pem: &[u8],
) -> Result<ApiClient, ClusterError> {
    let b64 = |bytes: &[u8]| openssl::base64::encode_block(bytes);
    let doc = json!({
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [serde_json::to_value(cluster).map_err(|e| ClusterError::Kubeconfig(e.to_string()))?],
        "users": [{ "name": "certuser-new-identity", "user": { "client-certificate-data": b64(cert_pem), "client-key-data": b64(key_pem) } }],
        "contexts": [{ "name": "certuser-new-identity", "context": { "cluster": cluster.name, "user": "certuser-new-identity" } }],
        "current-context": "certuser-new-identity",
    });
    let kc: Kubeconfig =
        serde_json::from_value(doc).map_err(|e| ClusterError::Kubeconfig(e.to_string()))?;
    client_for(kc, None, None).await
}
