//! Which cluster and context a command means, and the client to reach it: kubectl's rules
//! (`--cluster` beats the context's cluster, `--context` beats current-context), and a person's
//! where kubectl has none (no context at all: the only cluster there is). The choosing itself is
//! `Kubeconfigs::select` (typed `SelectError`) and the `USER@CLUSTER` naming is
//! `kubeconfig::user_context`; this thin command-layer file adds the global flags and the one
//! progress line (`error::hint_of` prints a `SelectError`'s hint).

use std::sync::atomic::{AtomicBool, Ordering};

use crate::cluster::{self, ApiClient};
use crate::error::hinted;
use crate::kubeconfig::{
    ClientView, Kubeconfigs, Selected, Selection, context_for_user, user_context,
};
use crate::shell::quote;

use super::Ctx;

/// Whose credentials a cluster client carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Credentials<'a> {
    /// The kubeconfig's own: `--context`, else current-context (usually the administrator's).
    Kubeconfig,
    /// A named user's, through its `USER@CLUSTER` context (or the first context using it).
    User(&'a str),
}

/// The entry point for every verb that talks to a cluster: reads the kubeconfig once, through the
/// kubeconfig module's merged view, picks the context, cluster and user as [`select`] does, and
/// builds the client from that view. Errors are sentences with a `hint:`.
pub async fn cluster_client(ctx: &Ctx, credentials: Credentials<'_>) -> anyhow::Result<ApiClient> {
    let kcs = Kubeconfigs::load(&ctx.sources)?;
    let view = client_view(ctx, &kcs, credentials)?;
    Ok(cluster::connect(&view).await?)
}

/// The view a client for `credentials` is built from (see [`cluster_client`]).
pub fn client_view(
    ctx: &Ctx,
    kcs: &Kubeconfigs,
    credentials: Credentials<'_>,
) -> anyhow::Result<ClientView> {
    let context = match credentials {
        Credentials::Kubeconfig => ctx.global.context.clone(),
        Credentials::User(user) => {
            let cluster = select(ctx, kcs).ok().map(|s| s.cluster);
            Some(context_for_user(kcs, user, cluster.as_deref()).ok_or_else(|| {
                hinted(
                    format!("no context in {} uses user {user:?}", kcs.file_list()),
                    format!(
                        "add one with `kubectl config set-context {} --cluster CLUSTER --user {}`",
                        quote(&user_context(user, "CLUSTER")),
                        quote(user)
                    ),
                )
            })?)
        }
    };
    let selection = Selection {
        context,
        cluster: ctx.global.cluster.clone(),
    };
    let selected = selected(ctx, kcs, &selection)?;
    Ok(kcs.client_view(&selected)?)
}

/// The context, cluster and user the global flags mean.
pub fn select(ctx: &Ctx, kcs: &Kubeconfigs) -> anyhow::Result<Selected> {
    let selection = Selection {
        context: ctx.global.context.clone(),
        cluster: ctx.global.cluster.clone(),
    };
    selected(ctx, kcs, &selection)
}

/// The cluster a new user is for, checked to exist in the kubeconfig.
pub fn cluster_name(ctx: &Ctx, kcs: &Kubeconfigs) -> anyhow::Result<String> {
    Ok(select(ctx, kcs)?.cluster)
}

fn selected(ctx: &Ctx, kcs: &Kubeconfigs, selection: &Selection) -> anyhow::Result<Selected> {
    let selected = kcs.select(selection)?;
    // A command may build several clients; the choice is said once.
    static SAID: AtomicBool = AtomicBool::new(false);
    if selected.only_cluster && !SAID.swap(true, Ordering::Relaxed) {
        let user = match &selected.user {
            Some(user) => format!(" and its only user ({user})"),
            None => String::new(),
        };
        ctx.out.progress(format!(
            "{} has no current-context: using its only cluster ({}){user}",
            kcs.file_list(),
            selected.cluster
        ));
    }
    Ok(selected)
}
