//! The `server` check: is the kubeconfig's server reachable, and does it present a
//! certificate the kubeconfig's CA accepts?

use openssl::x509::X509;
use serde_json::Value;

use crate::kubeconfig::Entry;
use crate::shell::quote;

use super::probe;
use super::report::{Report, Verdict};

/// Returns whether the server is reachable with a trusted certificate.
pub(super) fn check_server(
    report: &mut Report,
    cluster: Option<Entry<'_>>,
    roots: Option<&[X509]>,
) -> bool {
    let Some(cluster) = cluster else {
        report.add(
            "server",
            Verdict::Fail,
            "no context names a cluster for this user",
            Some("kubectl config set-context USER@CLUSTER --cluster CLUSTER --user USER".into()),
        );
        return false;
    };
    let Some(server) = cluster.value.get("server").and_then(Value::as_str) else {
        report.add(
            "server",
            Verdict::Fail,
            format!("cluster {:?} has no server", cluster.name),
            Some("kubectl config set-cluster NAME --server https://HOST:6443".into()),
        );
        return false;
    };
    if cluster
        .value
        .get("insecure-skip-tls-verify")
        .and_then(Value::as_bool)
        == Some(true)
    {
        report.add(
            "server",
            Verdict::Warn,
            format!(
                "{server}: insecure-skip-tls-verify is set, the server's certificate is not checked"
            ),
            Some("set certificate-authority-data instead".into()),
        );
        return true;
    }
    let name = cluster.value.get("tls-server-name").and_then(Value::as_str);
    match probe::probe(server, roots, name) {
        probe::Probe::Unreachable(e) => {
            report.add("server", Verdict::Fail, format!("cannot reach {server}: {e}"), Some("check the server address in kubeconfig, the network (VPN, firewall), and that the API server runs".into()));
            false
        }
        probe::Probe::Untrusted(e) => {
            report.add("server", Verdict::Fail, format!("{server} presents a certificate the kubeconfig's CA does not accept: {e}"), Some(format!("update the cluster's CA: kubectl config set-cluster {} --certificate-authority CA.crt --embed-certs", quote(cluster.name))));
            false
        }
        probe::Probe::Trusted(subject) => {
            report.add(
                "server",
                Verdict::Ok,
                format!("{server} answers as {subject}, accepted by the kubeconfig's CA"),
                None,
            );
            true
        }
    }
}
