//! The kubeconfig's users as `apply` compares them with the file: each with its certificate,
//! its apply marker (which list manages it, if any) and why it must be left alone, if it must.

use serde_json::Value;

use crate::kubeconfig::{self, Kubeconfigs, Section};
use crate::pki;

use super::super::list;
use super::marker;
use super::plan::{Existing, ExistingContext};
use crate::kubeconfig::credentials;
use crate::pki::names::{self, GroupPolicy};

/// Every kubeconfig user, with what the plan needs. `acting_user` is the user of the context we
/// act with (the administrator's): never replaced, never pruned.
pub fn existing(
    kcs: &Kubeconfigs,
    cluster: &str,
    acting_user: Option<&str>,
    policy: GroupPolicy,
    now: jiff::Timestamp,
) -> Vec<Existing> {
    let listed = list::collect(kcs, now);
    let mut out = Vec::new();
    for name in kcs.names(Section::Users) {
        let Some(entry) = kcs.get(Section::Users, &name) else {
            continue;
        };
        let cert = listed
            .iter()
            .find(|l| l.name == name && l.error.is_none())
            .and_then(|_| credentials::certificate(&entry).ok().flatten())
            .and_then(|(pem, _)| pki::parse_certificate_pem(&pem, "a user's certificate").ok())
            .and_then(|c| pki::inspect_certificate(&c).ok());
        let contexts = kcs.contexts_using(&name);
        let clusters: Vec<String> = contexts
            .iter()
            .filter_map(|c| kcs.get(Section::Contexts, c))
            .filter_map(|e| {
                e.value
                    .get("cluster")
                    .and_then(Value::as_str)
                    .map(str::to_string)
            })
            .collect();
        let context = kcs
            .get(Section::Contexts, &kubeconfig::user_context(&name, cluster))
            .map(|e| ExistingContext {
                namespace: text(e.value, "namespace"),
                user: text(e.value, "user"),
            });
        let protected = protected(&name, cert.as_ref(), acting_user);
        let foreign = protected
            .clone()
            .or_else(|| privileged(cert.as_ref(), policy));
        out.push(Existing {
            list: marker::list_of(entry.value).map(str::to_string),
            protected,
            on_cluster: clusters.iter().any(|c| c == cluster),
            name,
            cert,
            foreign,
            clusters,
            context,
            contexts,
        });
    }
    out
}

/// Why a user is never replaced nor pruned, whatever its marker says: `remove`'s rule (a
/// system:masters administrator) and the identity we act with.
fn protected(
    name: &str,
    cert: Option<&pki::CertInfo>,
    acting_user: Option<&str>,
) -> Option<String> {
    if acting_user == Some(name) {
        return Some("it is the user of the context this command acts with".into());
    }
    let cert = cert?;
    if cert.groups.iter().any(|g| g == "system:masters") {
        return Some(
            "it is a system:masters administrator, which kubectl-certuser does not make".into(),
        );
    }
    None
}

/// Groups `apply` would refuse to put in a certificate under this run's flags: such a user is
/// not adopted or re-issued (a user apply made with them is still pruned with its list).
fn privileged(cert: Option<&pki::CertInfo>, policy: GroupPolicy) -> Option<String> {
    let cert = cert?;
    if let Some(group) = cert
        .groups
        .iter()
        .find(|g| names::check_group(g, policy).is_err())
    {
        return Some(format!(
            "its certificate carries the privileged group {group:?} (allowed only with --allow-privileged-group)"
        ));
    }
    None
}

fn text(body: &serde_json::Map<String, Value>, key: &str) -> Option<String> {
    body.get(key).and_then(Value::as_str).map(str::to_string)
}
