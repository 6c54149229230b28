//! `whoami [USER]`: what the cluster says a user is (SelfSubjectReview), asked with that user's
//! own credentials from the kubeconfig.

use crate::cli::WhoamiArgs;
use crate::cluster;
use crate::error::{Outcome, hinted};
use crate::kubeconfig::Kubeconfigs;

use super::{Ctx, target};

pub fn run(ctx: &Ctx, args: &WhoamiArgs) -> anyhow::Result<Outcome> {
    let rt = super::runtime()?;
    let client = rt.block_on(client_as_user(ctx, args.user.as_deref()))?;
    let identity = rt.block_on(cluster::whoami(&client))?;
    let Some(identity) = identity else {
        return Err(hinted(
            "the cluster does not answer SelfSubjectReview (authentication.k8s.io, Kubernetes 1.28+ or 1.27 with the feature gate)",
            "`kubectl certuser inspect USER` shows what the certificate claims",
        ));
    };
    ctx.out.result(
        &identity,
        || vec![identity.username.clone()],
        || {
            crate::output::table(
                &["ATTRIBUTE", "VALUE"],
                &[
                    vec!["Username".into(), identity.username.clone()],
                    vec!["Groups".into(), format!("[{}]", identity.groups.join(" "))],
                ],
            )
        },
    )?;
    Ok(Outcome::Ok)
}

/// A client with `user`'s credentials: through the context for that user (`USER@CLUSTER`, or any
/// context using it), or the current context when no user is named.
pub async fn client_as_user(ctx: &Ctx, user: Option<&str>) -> anyhow::Result<cluster::ApiClient> {
    let kcs = Kubeconfigs::load(&ctx.sources)?;
    let context = match user {
        None => ctx.global.context.clone(),
        Some(user) => {
            let cluster = ctx
                .global
                .cluster
                .clone()
                .or_else(|| target::cluster_name(ctx, &kcs).ok());
            Some(target::context_for_user(&kcs, user, cluster.as_deref()).ok_or_else(|| {
                hinted(
                    format!("no context in {} uses user {user:?}", target::file_list(&kcs)),
                    format!("add one with `kubectl config set-context {user}@CLUSTER --cluster CLUSTER --user {user}`"),
                )
            })?)
        }
    };
    let files: Vec<_> = ctx
        .sources
        .files
        .iter()
        .filter(|p| p.exists())
        .cloned()
        .collect();
    let kc = cluster::load_merged(&files)?;
    Ok(cluster::client_for(kc, context.as_deref(), ctx.global.cluster.as_deref()).await?)
}
