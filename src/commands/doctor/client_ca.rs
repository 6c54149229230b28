//! The `clientCa` check: does the certificate chain to the CA the API server trusts for
//! clients? The CA is taken from the most authoritative source at hand.

use std::path::Path;

use k8s_openapi::api::core::v1::ConfigMap;
use openssl::x509::X509;

use crate::kubeconfig::Entry;
use crate::kubeconfig::credentials;
use crate::pki;

use super::Scope;
use super::report::{Report, Verdict};

/// A set of CA certificates and where it came from. Only an authoritative source (the client
/// CA itself) makes a certificate that does not chain to it a failure.
struct CaSource {
    what: String,
    roots: Vec<X509>,
    authoritative: bool,
}

/// The cluster's CA certificates from the kubeconfig (the serving CA), if any are readable.
pub(super) fn kubeconfig_ca(cluster: Option<Entry<'_>>) -> Option<Vec<X509>> {
    let pem = credentials::cluster_ca(&cluster?).ok()??;
    pki::read_certificates(&pem, "certificate-authority").ok()
}

/// Which CA the server trusts for clients, from the most to the least authoritative source:
/// the kubeadm PKI folder, the API server's client CA config map, the serving CA config map,
/// the kubeconfig. `read_cluster`: whether the kubeconfig's current credentials reach the
/// user's cluster (the config maps are read with them).
pub(super) fn check_client_ca(
    scope: &Scope<'_>,
    report: &mut Report,
    pki_dir: Option<&Path>,
    cert: &X509,
    kubeconfig_roots: Option<&[X509]>,
    read_cluster: bool,
) {
    let mut sources = Vec::new();
    if let Some(dir) = pki_dir {
        sources.extend(pki_dir_source(report, dir));
    }
    if read_cluster {
        sources.extend(cluster_sources(scope));
    }
    if let Some(roots) = kubeconfig_roots {
        sources.push(CaSource {
            what: "the kubeconfig's certificate-authority (the serving CA)".into(),
            roots: roots.to_vec(),
            authoritative: false,
        });
    }
    judge(report, cert, sources.into_iter().next());
}

/// `--pki-dir`'s ca.crt; an unreadable one is a warning, and the next source is used.
fn pki_dir_source(report: &mut Report, dir: &Path) -> Option<CaSource> {
    let path = dir.join("ca.crt");
    let read = std::fs::read(&path)
        .map_err(|e| e.to_string())
        .and_then(|pem| {
            pki::read_certificates(&pem, &path.display().to_string()).map_err(|e| e.to_string())
        });
    match read {
        Ok(roots) => Some(CaSource {
            what: path.display().to_string(),
            roots,
            authoritative: true,
        }),
        Err(e) => {
            report.add(
                "clientCa",
                Verdict::Warn,
                format!("cannot read {}: {e}", path.display()),
                None,
            );
            None
        }
    }
}

/// The two config maps, read as the kubeconfig's current identity (usually the administrator);
/// unreadable is fine: the kubeconfig's CA is the fallback.
fn cluster_sources(scope: &Scope<'_>) -> Vec<CaSource> {
    let namespace = scope.namespace;
    let (client_ca, root_ca) = scope.rt.block_on(async {
        let Ok(client) = crate::commands::add::signer::admin_client(scope.ctx).await else {
            return (None, None);
        };
        let get = |ns: &str, name: &str, key: &str| {
            let api: kube::Api<ConfigMap> = kube::Api::namespaced(client.client.clone(), ns);
            let (name, key) = (name.to_string(), key.to_string());
            async move { api.get_opt(&name).await.ok()??.data?.get(&key).cloned() }
        };
        (
            get(
                "kube-system",
                "extension-apiserver-authentication",
                "client-ca-file",
            )
            .await,
            get(namespace, "kube-root-ca.crt", "ca.crt").await,
        )
    });
    let mut sources = Vec::new();
    if let Some(roots) =
        client_ca.and_then(|p| pki::read_certificates(p.as_bytes(), "client-ca-file").ok())
    {
        sources.push(CaSource {
            what: "the API server's client CA (kube-system/extension-apiserver-authentication)"
                .into(),
            roots,
            authoritative: true,
        });
    }
    if let Some(roots) = root_ca.and_then(|p| pki::read_certificates(p.as_bytes(), "ca.crt").ok()) {
        sources.push(CaSource {
            what: format!("the cluster's serving CA ({namespace}/kube-root-ca.crt)"),
            roots,
            authoritative: false,
        });
    }
    sources
}

fn judge(report: &mut Report, cert: &X509, source: Option<CaSource>) {
    let Some(CaSource {
        what,
        roots,
        authoritative,
    }) = source
    else {
        report.add("clientCa", Verdict::Skip, "no CA to check against: pass --pki-dir, or run as someone who may read kube-system config maps", None);
        return;
    };
    match pki::verify_against(cert, &roots) {
        Ok(()) => report.add("clientCa", Verdict::Ok, format!("chains to {what}"), None),
        // Expiry and not-yet-valid have their own lines; the chain question is the issuer.
        Err(reason) if reason.contains("expired") || reason.contains("not yet valid") => {
            report.add("clientCa", Verdict::Ok, format!("issued by {what} ({reason})"), None)
        }
        Err(reason) if authoritative => report.add("clientCa", Verdict::Fail, format!("does not chain to {what}: {reason}"), Some("re-issue it with the cluster's CA: kubectl certuser renew USER (CSR API, or --kubeadm on a control-plane node)".into())),
        Err(reason) => report.add("clientCa", Verdict::Warn, format!("does not chain to {what} ({reason}); a cluster with a separate client CA (k3s, some managed clusters) may still accept it"), Some("compare with the API server's --client-ca-file".into())),
    }
}
