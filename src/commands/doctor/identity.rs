//! The checks made as the user, with the user's certificate and key: who the server says the
//! user is (SelfSubjectReview), and what the user may do in the namespace.

use crate::cluster::{self, ClusterError};
use crate::shell::quote;
use crate::workflow::access_check;

use super::Scope;
use super::report::{Report, Verdict};

pub(super) fn check_identity_and_access(
    scope: &Scope<'_>,
    report: &mut Report,
    cluster: &str,
    cert_pem: &[u8],
    key_pem: &[u8],
) {
    let Scope {
        ctx,
        rt,
        user,
        namespace,
    } = *scope;
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
