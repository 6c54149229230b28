//! The access check `add`, `whoami` and `can-i` share: who the server says the user is, what the
//! user may do in the namespace, and a plain verdict of what is missing.

use serde::Serialize;

use crate::cluster::{self, Check, CheckResult, Identity};
use crate::kubeconfig::{Kubeconfigs, Selection};

use super::Ctx;

/// Field names are a stable contract (`-o json|yaml`).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AccessReport {
    pub namespace: String,
    pub identity: Option<Identity>,
    pub checks: Vec<CheckResult>,
    /// SelfSubjectRulesReview, one line per rule: `get, list, watch: pods, services`.
    pub rules: Vec<String>,
    pub verdict: VerdictReport,
}

#[derive(Debug, Serialize)]
pub struct VerdictReport {
    pub ok: bool,
    pub lines: Vec<String>,
}

/// The checks to run: the default set plus `--check` ones (already validated).
pub fn checks_with(extra: &[String]) -> Vec<Check> {
    let mut checks = cluster::default_checks();
    for text in extra {
        if let Ok(check) = text.parse::<Check>()
            && !checks.contains(&check)
        {
            checks.push(check);
        }
    }
    checks
}

/// Run the whole check with `client` (already authenticated as `user`).
pub async fn check(
    client: &cluster::ApiClient,
    user: &str,
    namespace: &str,
    checks: &[Check],
) -> anyhow::Result<AccessReport> {
    // SelfSubjectAccessReview decides, and every server since v1.19 has it: its errors (401,
    // unreachable) are the check's. Who the server says we are only adds to the verdict, so a
    // server that cannot say does not fail the check.
    let results = cluster::can_i(client, Some(namespace), checks).await?;
    let identity = cluster::whoami(client).await.ok();
    let verdict = cluster::verdict(user, identity.as_ref(), namespace, &results);
    // A summary only: a server that refuses it does not fail the check.
    let rules = cluster::rules(client, namespace).await.unwrap_or_default();
    Ok(AccessReport {
        namespace: namespace.to_string(),
        identity,
        checks: results,
        rules,
        verdict: VerdictReport {
            ok: verdict.ok,
            lines: verdict.lines,
        },
    })
}

/// Right after `add`: connect as the new user with the certificate and key still in memory. A
/// cluster we cannot reach is reported, not fatal: the user is added either way.
pub fn check_new_user(
    ctx: &Ctx,
    rt: &tokio::runtime::Runtime,
    cluster_name: &str,
    user: &str,
    cert_pem: &[u8],
    key_pem: &[u8],
    extra: &[String],
) -> Option<AccessReport> {
    let namespace = ctx
        .global
        .namespace
        .clone()
        .unwrap_or_else(|| "default".to_string());
    let result = rt.block_on(async {
        let kcs = Kubeconfigs::load(&ctx.sources)?;
        let selection = Selection {
            context: ctx.global.context.clone(),
            cluster: Some(cluster_name.to_string()),
        };
        let view = kcs.client_view(&kcs.select(&selection)?)?;
        let client = cluster::connect_as(&view, cert_pem, key_pem).await?;
        check(&client, user, &namespace, &checks_with(extra)).await
    });
    match result {
        Ok(report) => Some(report),
        Err(err) => {
            // Only a server that answered has seen the certificate: say which case this is.
            let never_sent = matches!(
                err.downcast_ref::<cluster::ClusterError>(),
                Some(cluster::ClusterError::Unreachable { .. } | cluster::ClusterError::Tls { .. })
            );
            if never_sent {
                ctx.out
                    .warn(format!("{user}'s certificate was not tried: {err:#}"));
            } else {
                ctx.out
                    .warn(format!("could not check what {user} may do: {err:#}"));
            }
            None
        }
    }
}
