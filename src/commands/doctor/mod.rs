//! `doctor USER`: why does this login fail? Each check is a line with a verdict and, when it
//! fails, the fix: the key, the validity window, the usages, the CA chain, the server, the
//! identity the server sees, and the rights in the namespace.

mod probe;

use std::path::PathBuf;

use k8s_openapi::api::core::v1::ConfigMap;
use openssl::x509::X509;
use serde::Serialize;
use serde_json::Value;

use crate::cli::DoctorArgs;
use crate::cluster::{self, ClusterError};
use crate::error::{Outcome, hinted};
use crate::kubeconfig::{Kubeconfigs, Section};
use crate::output::human_duration as human;
use crate::pki::{self, CertInfo, PrivateKey};
use crate::shell::quote;

use super::Ctx;
use crate::kubeconfig::{self, credentials};
use crate::workflow::{access_check, target};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
enum Verdict {
    Ok,
    Warn,
    Fail,
    Skip,
}

/// Field names are a stable contract (`-o json|yaml`).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Finding {
    /// Stable id: certificate, key, notExpired, validNow, usage, clientCa, server, identity, access.
    check: &'static str,
    verdict: Verdict,
    detail: String,
    fix: Option<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Report {
    user: String,
    context: Option<String>,
    cluster: Option<String>,
    server: Option<String>,
    namespace: String,
    ok: bool,
    checks: Vec<Finding>,
}

impl Report {
    fn add(
        &mut self,
        check: &'static str,
        verdict: Verdict,
        detail: impl Into<String>,
        fix: Option<String>,
    ) {
        self.checks.push(Finding {
            check,
            verdict,
            detail: detail.into(),
            fix,
        });
    }
}

const LABELS: [(&str, &str); 9] = [
    ("certificate", "client certificate"),
    ("key", "key matches certificate"),
    ("notExpired", "not expired"),
    ("validNow", "already valid (clock)"),
    ("usage", "usages allow client auth"),
    ("clientCa", "signed by the client CA"),
    ("server", "server reachable and trusted"),
    ("identity", "who the server says you are"),
    ("access", "what you may do"),
];

pub fn run(ctx: &Ctx, args: &DoctorArgs) -> anyhow::Result<Outcome> {
    let kcs = Kubeconfigs::load(&ctx.sources)?;
    let user = match &args.user {
        Some(u) => u.clone(),
        None => current_user(ctx, &kcs)?,
    };
    let Some(entry) = kcs.get(Section::Users, &user) else {
        return Err(hinted(
            format!("user {user:?} not found in {}", kcs.file_list()),
            "`kubectl certuser list` shows the certificate users",
        ));
    };
    let context = kubeconfig::context_for_user(&kcs, &user, ctx.global.cluster.as_deref());
    let context_body = context
        .as_deref()
        .and_then(|c| kcs.get(Section::Contexts, c))
        .map(|e| e.value.clone())
        .unwrap_or_default();
    let cluster = ctx.global.cluster.clone().or_else(|| {
        context_body
            .get("cluster")
            .and_then(Value::as_str)
            .map(String::from)
    });
    let namespace = ctx
        .global
        .namespace
        .clone()
        .or_else(|| {
            context_body
                .get("namespace")
                .and_then(Value::as_str)
                .map(String::from)
        })
        .unwrap_or_else(|| "default".into());
    let cluster_entry = cluster
        .as_deref()
        .and_then(|c| kcs.get(Section::Clusters, c));
    let mut report = Report {
        user: user.clone(),
        context: context.clone(),
        cluster: cluster.clone(),
        server: cluster_entry.and_then(|e| {
            e.value
                .get("server")
                .and_then(Value::as_str)
                .map(String::from)
        }),
        namespace: namespace.clone(),
        ok: true,
        checks: Vec::new(),
    };
    let now = jiff::Timestamp::now();
    let rt = super::runtime()?;

    // The certificate itself: without it nothing else can be checked.
    let material = match credentials::certificate(&entry) {
        Ok(Some((pem, storage))) => match pki::parse_certificate_pem(&pem, "the certificate")
            .and_then(|c| Ok((pki::inspect_certificate(&c)?, c)))
        {
            Ok((info, cert)) => {
                report.add(
                    "certificate",
                    Verdict::Ok,
                    format!("{} from {}, {}", info.subject, info.issuer, storage.label()),
                    None,
                );
                Some((pem, info, cert))
            }
            Err(e) => {
                report.add(
                    "certificate",
                    Verdict::Fail,
                    e.to_string(),
                    Some(format!(
                        "add the user again: kubectl certuser add {} --force",
                        quote(&user)
                    )),
                );
                None
            }
        },
        Ok(None) => {
            report.add(
                "certificate",
                Verdict::Fail,
                "this user has no client certificate (token, exec or other credentials)",
                Some("doctor checks certificate users; see `kubectl certuser list`".into()),
            );
            None
        }
        Err(e) => {
            report.add(
                "certificate",
                Verdict::Fail,
                format!("{e:#}"),
                Some("restore the file, or add the user again with --force".into()),
            );
            None
        }
    };
    if let Some((cert_pem, info, cert)) = material {
        let key_pem = check_key(&mut report, &entry, &cert, &user);
        check_validity(&mut report, &info, now, &user);
        check_usage(&mut report, &info);
        let roots = kubeconfig_ca(cluster_entry);
        // The config maps are read with the kubeconfig's current credentials: only when they
        // reach the user's cluster, or we would judge the user by another cluster's CA.
        let current_cluster = target::select(ctx, &kcs).ok().map(|s| s.cluster);
        let same_cluster = ctx.global.cluster.is_some()
            || (current_cluster.is_some() && current_cluster.as_deref() == cluster.as_deref());
        check_client_ca(
            ctx,
            &rt,
            &mut report,
            args,
            &cert,
            &namespace,
            roots.as_deref(),
            same_cluster,
        );
        let reachable = check_server(&mut report, cluster_entry, roots.as_deref());
        match (reachable, key_pem, cluster.as_deref()) {
            (true, Some(key_pem), Some(cluster)) => check_identity_and_access(
                &rt,
                &mut report,
                ctx,
                cluster,
                &user,
                &cert_pem,
                &key_pem,
                &namespace,
            ),
            _ => {
                let why = "skipped: needs a matching key and a reachable, trusted server";
                report.add("identity", Verdict::Skip, why, None);
                report.add("access", Verdict::Skip, why, None);
            }
        }
    }
    report.ok = report.checks.iter().all(|c| c.verdict != Verdict::Fail);
    ctx.out
        .result(&report, || vec![format!("user/{user}")], || render(&report))?;
    Ok(if report.ok {
        Outcome::Ok
    } else {
        Outcome::Problem
    })
}

fn current_user(ctx: &Ctx, kcs: &Kubeconfigs) -> anyhow::Result<String> {
    target::select(ctx, kcs)
        .ok()
        .and_then(|s| s.user)
        .ok_or_else(|| {
            hinted(
                "no USER given and the current context names no user",
                "pass the user: kubectl certuser doctor USER",
            )
        })
}

/// Returns the key PEM when it matches the certificate.
fn check_key(
    report: &mut Report,
    entry: &crate::kubeconfig::Entry<'_>,
    cert: &X509,
    user: &str,
) -> Option<Vec<u8>> {
    let fix = Some(format!(
        "the kubeconfig holds another key than the certificate's: restore the right key, or re-issue: kubectl certuser renew {}",
        quote(user)
    ));
    let (pem, _) = match credentials::private_key(entry) {
        Ok(Some(found)) => found,
        Ok(None) => {
            report.add("key", Verdict::Fail, "no client key in the kubeconfig", fix);
            return None;
        }
        Err(e) => {
            report.add("key", Verdict::Fail, format!("{e:#}"), fix);
            return None;
        }
    };
    let key = match PrivateKey::from_pem(&pem, "the client key", None) {
        Ok(k) => k,
        Err(e) => {
            report.add("key", Verdict::Fail, e.to_string(), fix);
            return None;
        }
    };
    let public = cert
        .public_key()
        .and_then(|k| k.public_key_to_der())
        .unwrap_or_default();
    if key.matches(&public) {
        report.add("key", Verdict::Ok, key.describe(), None);
        Some(pem)
    } else {
        report.add(
            "key",
            Verdict::Fail,
            format!(
                "the {} key does not belong to the certificate",
                key.describe()
            ),
            fix,
        );
        None
    }
}

fn check_validity(report: &mut Report, info: &CertInfo, now: jiff::Timestamp, user: &str) {
    let at = |t: jiff::Timestamp| t.strftime("%Y-%m-%d %H:%M UTC").to_string();
    if now >= info.not_after {
        report.add(
            "notExpired",
            Verdict::Fail,
            format!(
                "expired {} ({} ago)",
                at(info.not_after),
                human(now.as_second() - info.not_after.as_second())
            ),
            Some(format!("kubectl certuser renew {}", quote(user))),
        );
    } else {
        report.add(
            "notExpired",
            Verdict::Ok,
            format!(
                "valid until {} ({} left)",
                at(info.not_after),
                human(info.not_after.as_second() - now.as_second())
            ),
            None,
        );
    }
    if now < info.not_before {
        report.add("validNow", Verdict::Fail, format!("not valid before {} (in {}): this machine's clock, or the signer's, is off", at(info.not_before), human(info.not_before.as_second() - now.as_second())), Some("check the clocks (timedatectl; NTP) on this machine and the signer's, or wait until then".into()));
    } else {
        report.add(
            "validNow",
            Verdict::Ok,
            format!("valid since {}", at(info.not_before)),
            None,
        );
    }
}

fn check_usage(report: &mut Report, info: &CertInfo) {
    let eku_ok = info.extended_key_usage.is_empty()
        || info
            .extended_key_usage
            .iter()
            .any(|u| u == "clientAuth" || u == "anyExtendedKeyUsage");
    let ku_ok = info.key_usage.is_empty() || info.key_usage.iter().any(|u| u == "digitalSignature");
    if eku_ok && ku_ok {
        let eku = if info.extended_key_usage.is_empty() {
            "any".to_string()
        } else {
            info.extended_key_usage.join(", ")
        };
        report.add(
            "usage",
            Verdict::Ok,
            format!("extended key usage {eku}"),
            None,
        );
    } else {
        report.add(
            "usage",
            Verdict::Fail,
            format!(
                "key usage [{}], extended key usage [{}]: TLS client authentication is not allowed",
                info.key_usage.join(", "),
                info.extended_key_usage.join(", ")
            ),
            Some("re-issue it as a client certificate: kubectl certuser renew USER".into()),
        );
    }
}

fn kubeconfig_ca(cluster: Option<crate::kubeconfig::Entry<'_>>) -> Option<Vec<X509>> {
    let pem = credentials::cluster_ca(&cluster?).ok()??;
    pki::read_certificates(&pem, "certificate-authority").ok()
}

/// Which CA the server trusts for clients, from the most to the least authoritative source.
#[allow(clippy::too_many_arguments)]
fn check_client_ca(
    ctx: &Ctx,
    rt: &tokio::runtime::Runtime,
    report: &mut Report,
    args: &DoctorArgs,
    cert: &X509,
    namespace: &str,
    kubeconfig_roots: Option<&[X509]>,
    read_cluster: bool,
) {
    let mut sources: Vec<(String, Vec<X509>, bool)> = Vec::new();
    if let Some(dir) = &args.pki_dir {
        let path: PathBuf = dir.join("ca.crt");
        match std::fs::read(&path)
            .map_err(|e| e.to_string())
            .and_then(|pem| {
                pki::read_certificates(&pem, &path.display().to_string()).map_err(|e| e.to_string())
            }) {
            Ok(roots) => sources.push((path.display().to_string(), roots, true)),
            Err(e) => report.add(
                "clientCa",
                Verdict::Warn,
                format!("cannot read {}: {e}", path.display()),
                None,
            ),
        }
    }
    // Read as the kubeconfig's current identity (usually the administrator); unreadable is fine.
    let from_cluster = rt.block_on(async {
        if !read_cluster {
            return None;
        }
        let client = super::add::signer::admin_client(ctx).await.ok()?;
        let get = |ns: &str, name: &str, key: &str| {
            let api: kube::Api<ConfigMap> = kube::Api::namespaced(client.client.clone(), ns);
            let (name, key) = (name.to_string(), key.to_string());
            async move { api.get_opt(&name).await.ok()??.data?.get(&key).cloned() }
        };
        Some((
            get(
                "kube-system",
                "extension-apiserver-authentication",
                "client-ca-file",
            )
            .await,
            get(namespace, "kube-root-ca.crt", "ca.crt").await,
        ))
    });
    if let Some((client_ca, root_ca)) = from_cluster {
        if let Some(roots) =
            client_ca.and_then(|p| pki::read_certificates(p.as_bytes(), "client-ca-file").ok())
        {
            sources.push((
                "the API server's client CA (kube-system/extension-apiserver-authentication)"
                    .into(),
                roots,
                true,
            ));
        }
        if let Some(roots) =
            root_ca.and_then(|p| pki::read_certificates(p.as_bytes(), "ca.crt").ok())
        {
            sources.push((
                format!("the cluster's serving CA ({namespace}/kube-root-ca.crt)"),
                roots,
                false,
            ));
        }
    }
    if let Some(roots) = kubeconfig_roots {
        sources.push((
            "the kubeconfig's certificate-authority (the serving CA)".into(),
            roots.to_vec(),
            false,
        ));
    }
    let Some((what, roots, authoritative)) = sources.into_iter().next() else {
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

/// Returns whether the server is reachable with a trusted certificate.
fn check_server(
    report: &mut Report,
    cluster: Option<crate::kubeconfig::Entry<'_>>,
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

#[allow(clippy::too_many_arguments)]
fn check_identity_and_access(
    rt: &tokio::runtime::Runtime,
    report: &mut Report,
    ctx: &Ctx,
    cluster: &str,
    user: &str,
    cert_pem: &[u8],
    key_pem: &[u8],
    namespace: &str,
) {
    let result: anyhow::Result<_> = rt.block_on(async {
        let view = access_check::client_view(ctx, cluster)?;
        let client = cluster::connect_as(&view, cert_pem, key_pem).await?;
        let identity = cluster::whoami(&client).await;
        let access = match &identity {
            Ok(_) => Some(
                access_check::check(&client, user, namespace, &cluster::default_checks()).await,
            ),
            Err(_) => None,
        };
        Ok((identity, access))
    });
    let skip = |report: &mut Report| {
        report.add(
            "access",
            Verdict::Skip,
            "skipped: the server did not accept the certificate",
            None,
        )
    };
    match result {
        Err(e) => {
            report.add("identity", Verdict::Fail, format!("{e:#}"), None);
            skip(report);
        }
        Ok((Err(e), _)) => {
            let fix = match e {
                ClusterError::Unauthorized { .. } => {
                    "the server does not trust the certificate's CA for clients, or it expired: re-issue it with `kubectl certuser renew USER`"
                }
                _ => {
                    "the server ended the TLS handshake: it most likely does not trust the certificate's CA for clients; re-issue it with the cluster's CA"
                }
            };
            report.add("identity", Verdict::Fail, e.to_string(), Some(fix.into()));
            skip(report);
        }
        Ok((Ok(identity), access)) => {
            match Some(identity).filter(|id| !id.from_certificate) {
                Some(id) if id.username == user => report.add("identity", Verdict::Ok, format!("{} (groups {})", id.username, id.groups.join(", ")), None),
                Some(id) => report.add("identity", Verdict::Warn, format!("the server knows this certificate as {:?}, not {user:?} (groups {})", id.username, id.groups.join(", ")), Some("the kubeconfig user name and the certificate's CN differ; RBAC uses the CN".into())),
                None => report.add("identity", Verdict::Skip, "the server has no SelfSubjectReview (before Kubernetes 1.28)", None),
            }
            match access {
                // "No rights" is the failure; a partial set of rights is what RBAC is for.
                Some(Ok(a)) if a.checks.iter().any(|c| c.allowed) => report.add("access", Verdict::Ok, a.verdict.lines.join(" "), None),
                Some(Ok(a)) => report.add("access", Verdict::Fail, a.verdict.lines.join(" "), Some(format!("grant a role: kubectl create rolebinding {} --clusterrole edit --user {} -n {}", quote(&format!("{user}-edit")), quote(user), quote(namespace)))),
                Some(Err(e)) => report.add("access", Verdict::Fail, format!("{e:#}"), None),
                None => skip(report),
            }
        }
    }
}

fn render(report: &Report) -> String {
    let mut text = format!(
        "doctor {} (context {}, cluster {}, namespace {})\n",
        report.user,
        report.context.as_deref().unwrap_or("-"),
        report.cluster.as_deref().unwrap_or("-"),
        report.namespace
    );
    let width = LABELS.iter().map(|(_, l)| l.len()).max().unwrap_or(0);
    for f in &report.checks {
        let label = LABELS
            .iter()
            .find(|(id, _)| *id == f.check)
            .map(|(_, l)| *l)
            .unwrap_or(f.check);
        let verdict = match f.verdict {
            Verdict::Ok => "ok",
            Verdict::Warn => "WARN",
            Verdict::Fail => "FAIL",
            Verdict::Skip => "skip",
        };
        text.push_str(&format!("{verdict:<5} {label:<width$}   {}\n", f.detail));
        if let Some(fix) = &f.fix
            && f.verdict != Verdict::Ok
        {
            text.push_str(&format!("{:<5} {:<width$}   fix: {fix}\n", "", ""));
        }
    }
    text
}
