//! `remove --rbac`: the role bindings `add --role/--clusterrole` made for a user. A binding is
//! deleted only when it carries our managed-by label and names nobody but the user; any other
//! binding that names the user is reported as left alone, so nothing surprising survives.

use crate::cluster::{self, UserBinding};

use crate::error::hinted;
use crate::kubeconfig::{Kubeconfigs, Section};

use super::super::list;
use crate::workflow::{Ctx, target};

/// What `--rbac` found before anything changed, with the client to act with.
pub struct Plan {
    client: cluster::ApiClient,
    pub bindings: Vec<UserBinding>,
}

/// Read every binding naming the users. Fails (and the command changes nothing) when the
/// cluster cannot be read, or is not the users' cluster: bindings are found by user name, and
/// the same name on another cluster is someone else.
pub fn plan(
    ctx: &Ctx,
    rt: &tokio::runtime::Runtime,
    kcs: &Kubeconfigs,
    listed: &[list::ListedUser],
    users: &[String],
) -> anyhow::Result<Plan> {
    // The cluster the global flags mean (--cluster, else the context's).
    let admin_cluster = target::select(ctx, kcs).ok().map(|s| s.cluster);
    for user in users {
        let clusters: Vec<String> = listed
            .iter()
            .find(|l| &l.name == user)
            .map(|l| l.contexts.as_slice())
            .unwrap_or_default()
            .iter()
            .filter_map(|c| kcs.get(Section::Contexts, c))
            .filter_map(|e| {
                e.value
                    .get("cluster")
                    .and_then(|v| v.as_str())
                    .map(String::from)
            })
            .collect();
        let ours = match &admin_cluster {
            Some(admin) => {
                clusters.contains(admin) || (clusters.is_empty() && ctx.global.cluster.is_some())
            }
            None => false,
        };
        if !ours {
            let why = if clusters.is_empty() {
                "no context uses it, so its cluster is unknown".to_string()
            } else {
                format!(
                    "it belongs to cluster {}",
                    clusters
                        .iter()
                        .map(|c| format!("{c:?}"))
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            };
            return Err(hinted(
                format!(
                    "--rbac would look for {user:?}'s bindings on cluster {:?}, but {why}: nothing was changed",
                    admin_cluster.as_deref().unwrap_or("(none)")
                ),
                "pass --context NAME of an administrator's context on the user's cluster (or --cluster NAME)",
            ));
        }
    }
    let client = rt.block_on(super::super::add::signer::admin_client(ctx))?;
    let mut bindings = Vec::new();
    for user in users {
        bindings.extend(rt.block_on(cluster::bindings_naming(&client, user))?);
    }
    Ok(Plan { client, bindings })
}

impl Plan {
    pub fn removable(&self) -> impl Iterator<Item = &UserBinding> {
        self.bindings.iter().filter(|b| b.removable)
    }

    pub fn left_alone(&self) -> impl Iterator<Item = &UserBinding> {
        self.bindings.iter().filter(|b| !b.removable)
    }

    /// Delete the removable bindings; report each, and the ones left alone.
    pub fn apply(&self, ctx: &Ctx, rt: &tokio::runtime::Runtime) -> anyhow::Result<()> {
        for binding in self.removable() {
            rt.block_on(cluster::delete_binding(&self.client, binding))?;
            ctx.out.done(format!("deleted {}", describe(binding)));
        }
        Ok(())
    }

    /// Warnings, printed after every ✓ of the command (`apply` does not print them).
    pub fn report_left_alone(&self, ctx: &Ctx) {
        for binding in self.left_alone() {
            ctx.out.warn(format!(
                "left alone {}: {}",
                describe(binding),
                binding.left_alone.as_deref().unwrap_or_default()
            ));
        }
    }
}

/// `RoleBinding dev1/certuser:john:edit (ClusterRole/edit)`.
pub fn describe(binding: &UserBinding) -> String {
    let name = match &binding.namespace {
        Some(ns) => format!("{ns}/{}", binding.name),
        None => binding.name.clone(),
    };
    format!("{} {name} ({})", binding.kind, binding.role)
}
