//! The role binding a verb makes for a new identity (`add`, `sign`): `--role` or `--clusterrole`
//! in the namespace, or `--cluster-wide`. Checked before anything is signed, made after.

use anyhow::Context as _;

use crate::cli::RbacArgs;
use crate::cluster::{self, RoleRef};
use crate::error::hinted;

use super::signer::Signer;
use crate::workflow::Ctx;

pub fn role_ref(rbac: &RbacArgs) -> Option<RoleRef> {
    match (&rbac.role, &rbac.clusterrole) {
        (Some(role), _) => Some(RoleRef::Role(role.clone())),
        (None, Some(role)) => Some(RoleRef::ClusterRole(role.clone())),
        (None, None) => None,
    }
}

/// The role to bind and where: a namespace, or None for cluster-wide.
pub fn plan(ctx: &Ctx, rbac: &RbacArgs) -> Option<(RoleRef, Option<String>)> {
    let role = role_ref(rbac)?;
    let namespace = (!rbac.cluster_wide).then(|| {
        ctx.global
            .namespace
            .clone()
            .unwrap_or_else(|| "default".into())
    });
    Some((role, namespace))
}

/// Before anything is signed or written: a binding we could not create (someone else's under our
/// name, or no permission to read bindings) refuses the whole command. Returns the client to bind with.
pub fn preflight(
    ctx: &Ctx,
    rbac: &RbacArgs,
    users: &[String],
    rt: &tokio::runtime::Runtime,
    signer: &Signer,
) -> anyhow::Result<Option<cluster::ApiClient>> {
    let Some((role, namespace)) = plan(ctx, rbac) else {
        return Ok(None);
    };
    // The signer's client when it has one: a second client costs another kubeconfig read and
    // another TLS connection.
    let client = match signer {
        Signer::Cluster { client, .. } => client.clone(),
        Signer::Local(_) => rt.block_on(super::signer::admin_client(ctx))?,
    };
    let resource = if namespace.is_some() {
        "rolebindings"
    } else {
        "clusterrolebindings"
    };
    let create: cluster::Check = format!("create:{resource}.rbac.authorization.k8s.io")
        .parse()
        .expect("a valid check");
    let may = rt.block_on(cluster::can_i(&client, namespace.as_deref(), &[create]))?;
    if !may.iter().all(|r| r.allowed) {
        return Err(hinted(
            format!(
                "you may not create {resource}{}: nothing was changed",
                namespace
                    .as_deref()
                    .map(|n| format!(" in {n}"))
                    .unwrap_or_default()
            ),
            format!(
                "ask for create on {resource}.rbac.authorization.k8s.io, or run it without --role/--clusterrole"
            ),
        ));
    }
    for user in users {
        rt.block_on(cluster::check_bind(
            &client,
            user,
            &role,
            namespace.as_deref(),
        ))?;
    }
    Ok(Some(client))
}

/// Bind the role to each user (after [`preflight`]); one binding per user, in order.
pub fn bind(
    ctx: &Ctx,
    rbac: &RbacArgs,
    rt: &tokio::runtime::Runtime,
    client: Option<&cluster::ApiClient>,
    users: &[String],
) -> anyhow::Result<Vec<cluster::EnsuredBinding>> {
    let (Some((role, namespace)), Some(client)) = (plan(ctx, rbac), client) else {
        return Ok(Vec::new());
    };
    let mut made = Vec::new();
    for user in users {
        let outcome = rt
            .block_on(cluster::bind(client, user, &role, namespace.as_deref()))
            .with_context(|| {
                format!("{user}'s certificate is issued, but binding the role failed")
            })?;
        let place = outcome
            .namespace
            .as_deref()
            .map(|ns| format!(" in {ns}"))
            .unwrap_or_default();
        let what = if outcome.created {
            "created"
        } else {
            "already in place"
        };
        ctx.out
            .done(format!("{} {} {what}{place}", outcome.kind, outcome.name));
        made.push(outcome);
    }
    Ok(made)
}
