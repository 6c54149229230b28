//! `add --force` on an existing user: what it replaces (every credential field, so an old token
//! or exec plugin never rides along with the new certificate), what it keeps (the context's
//! namespace and the old certificate's groups unless `-n`/`-g` are given, every other field),
//! and saying so before anything is signed.

use std::path::PathBuf;

use crate::cli::AddArgs;
use crate::commands::Ctx;
use crate::kubeconfig::{self, credentials};
use crate::kubeconfig::{Kubeconfigs, Section};
use crate::pki;
use crate::pki::names;

use super::entries::context_entry;

/// The user fields that authenticate, or choose whom to act as. `--force` replaces them all, so
/// an old token or exec plugin never rides along with the new certificate; every other field
/// (extensions, fields we do not know) is kept.
const CREDENTIAL_FIELDS: [&str; 14] = [
    "client-certificate",
    "client-certificate-data",
    "client-key",
    "client-key-data",
    "token",
    "tokenFile",
    "username",
    "password",
    "exec",
    "auth-provider",
    "as",
    "as-uid",
    "as-groups",
    "as-user-extra",
];

/// What `add --force` replaces of an existing user, and what it keeps.
pub(super) struct Replacing {
    pub file: PathBuf,
    /// The credential fields the old entry had.
    pub fields: Vec<String>,
    /// The groups of the old certificate, if it has one we can read.
    pub groups: Option<Vec<String>>,
    /// The existing `USER@CLUSTER` context's namespace, if any.
    pub namespace: Option<String>,
    pub context_exists: bool,
}

/// What an existing user (and its context) look like to `--force`; `None` for a new user.
pub(super) fn replacing(kcs: &Kubeconfigs, user: &str, cluster: &str) -> Option<Replacing> {
    let entry = kcs.get(Section::Users, user)?;
    let fields = entry
        .value
        .keys()
        .filter(|k| CREDENTIAL_FIELDS.contains(&k.as_str()))
        .cloned()
        .collect();
    // An unreadable old certificate only means there are no groups to keep.
    let groups = credentials::certificate(&entry)
        .ok()
        .flatten()
        .and_then(|(pem, _)| pki::parse_certificate_pem(&pem, "the old certificate").ok())
        .and_then(|cert| pki::inspect_certificate(&cert).ok())
        .map(|info| info.groups);
    let context = kcs.get(Section::Contexts, &kubeconfig::user_context(user, cluster));
    Some(Replacing {
        file: entry.file.to_path_buf(),
        fields,
        groups,
        namespace: context
            .and_then(|c| c.value.get("namespace"))
            .and_then(serde_json::Value::as_str)
            .map(str::to_string),
        context_exists: context.is_some(),
    })
}

/// Per user: the groups to put in the certificate and the namespace its context will have.
/// Under `--force` an existing user keeps its old certificate's groups and its context's
/// namespace unless `-g`/`-n` say otherwise, and we say what is replaced and what is kept.
pub(super) fn plan_users(
    ctx: &Ctx,
    args: &AddArgs,
    kcs: &Kubeconfigs,
    cluster: &str,
    groups: &[String],
    policy: names::GroupPolicy,
) -> anyhow::Result<Vec<(Vec<String>, Option<String>)>> {
    let mut plans = Vec::new();
    for user in &args.users {
        let old = args.force.then(|| replacing(kcs, user, cluster)).flatten();
        let Some(old) = old else {
            plans.push((groups.to_vec(), ctx.global.namespace.clone()));
            continue;
        };
        let mut kept = Vec::new();
        let user_groups = match (&old.groups, args.groups.is_empty()) {
            (Some(previous), true) if !previous.is_empty() => {
                for group in previous {
                    names::check_group(group, policy).map_err(|e| {
                        anyhow::anyhow!("{user}'s current certificate has group {group:?}: {e:#}")
                    })?;
                }
                kept.push(format!(
                    "the groups {} (pass -g to change them)",
                    previous.join(", ")
                ));
                previous.clone()
            }
            _ => groups.to_vec(),
        };
        let namespace = match (&ctx.global.namespace, &old.namespace) {
            (Some(given), _) => Some(given.clone()),
            (None, Some(previous)) => {
                kept.push(format!("namespace {previous} (pass -n to change it)"));
                Some(previous.clone())
            }
            (None, None) => None,
        };
        let context = kubeconfig::user_context(user, cluster);
        let fields = if old.fields.is_empty() {
            "no credentials".to_string()
        } else {
            old.fields.join(", ")
        };
        ctx.out.warn(format!(
            "replacing user {user} in {} (its {fields}){}{}",
            old.file.display(),
            if old.context_exists {
                format!(" and updating context {context}")
            } else {
                String::new()
            },
            if kept.is_empty() {
                String::new()
            } else {
                format!("; keeping {}", kept.join(" and "))
            }
        ));
        plans.push((user_groups, namespace));
    }
    Ok(plans)
}

/// The user body to write: the new credentials, beside the non-credential fields of an
/// existing entry of that name (but not an `apply` list's marker).
pub(crate) fn merged_user(
    kcs: &Kubeconfigs,
    user: &str,
    credentials: serde_json::Map<String, serde_json::Value>,
) -> serde_json::Map<String, serde_json::Value> {
    let mut body = kcs
        .get(Section::Users, user)
        .map(|e| e.value.clone())
        .unwrap_or_default();
    body.retain(|k, _| !CREDENTIAL_FIELDS.contains(&k.as_str()));
    body.extend(credentials);
    // A replaced user is the replacer's: a list's marker would let that list prune it (apply
    // marks its own users again after this).
    super::super::apply::marker::unmarked(body)
}

/// The `USER@CLUSTER` context to write: cluster and user set, the namespace set when one was
/// given, and everything else of an existing context kept (its namespace too).
pub(crate) fn merged_context(
    kcs: &Kubeconfigs,
    cluster: &str,
    user: &str,
    namespace: Option<&str>,
) -> serde_json::Map<String, serde_json::Value> {
    let fresh = context_entry(cluster, user, namespace);
    let Some(existing) = kcs.get(Section::Contexts, &kubeconfig::user_context(user, cluster))
    else {
        return fresh;
    };
    let mut body = existing.value.clone();
    body.extend(fresh);
    body
}
