//! Which cluster and context a command means, following kubectl: `--cluster` beats the context's
//! cluster, `--context` beats current-context.

use crate::error::hinted;
use crate::kubeconfig::{Kubeconfigs, Section};

use super::Ctx;

/// The context name in use: `--context`, else current-context.
pub fn context_name<'a>(ctx: &'a Ctx, kcs: &'a Kubeconfigs) -> Option<&'a str> {
    ctx.global
        .context
        .as_deref()
        .or_else(|| kcs.current_context())
}

/// The cluster a new user is for, checked to exist in the kubeconfig.
pub fn cluster_name(ctx: &Ctx, kcs: &Kubeconfigs) -> anyhow::Result<String> {
    let files = file_list(kcs);
    let name = match &ctx.global.cluster {
        Some(name) => name.clone(),
        None => {
            let Some(context) = context_name(ctx, kcs) else {
                return Err(hinted(
                    format!("no cluster to add users to: {files} has no current-context"),
                    "pass --cluster NAME or --context NAME (see `kubectl config get-contexts`)",
                ));
            };
            let Some(entry) = kcs.get(Section::Contexts, context) else {
                return Err(hinted(
                    format!("context {context:?} not found in {files}"),
                    "see `kubectl config get-contexts` for the names",
                ));
            };
            match entry.value.get("cluster").and_then(|c| c.as_str()) {
                Some(c) if !c.is_empty() => c.to_string(),
                _ => {
                    return Err(hinted(
                        format!("context {context:?} names no cluster"),
                        "pass --cluster NAME",
                    ));
                }
            }
        }
    };
    if kcs.get(Section::Clusters, &name).is_none() {
        return Err(hinted(
            format!("cluster {name:?} not found in {files}"),
            "add it with `kubectl config set-cluster`, or see `kubectl config get-clusters` for the names",
        ));
    }
    Ok(name)
}

/// The kubeconfig context for a user: `USER@CLUSTER`, the seed recipe's naming.
pub fn user_context(user: &str, cluster: &str) -> String {
    format!("{user}@{cluster}")
}

/// The context to reach the cluster as `user`: `USER@CLUSTER` if it exists, else the first context
/// whose user is `user`.
pub fn context_for_user(kcs: &Kubeconfigs, user: &str, cluster: Option<&str>) -> Option<String> {
    if let Some(cluster) = cluster {
        let preferred = user_context(user, cluster);
        if kcs.get(Section::Contexts, &preferred).is_some() {
            return Some(preferred);
        }
    }
    kcs.names(Section::Contexts).into_iter().find(|name| {
        kcs.get(Section::Contexts, name)
            .and_then(|e| {
                e.value
                    .get("user")
                    .and_then(|u| u.as_str())
                    .map(|u| u == user)
            })
            .unwrap_or(false)
    })
}

/// The kubeconfig files, for messages: "/root/.kube/config" or "a:b".
pub fn file_list(kcs: &Kubeconfigs) -> String {
    let files: Vec<String> = kcs.files().map(|p| p.display().to_string()).collect();
    if files.is_empty() {
        "the kubeconfig".to_string()
    } else {
        files.join(":")
    }
}
