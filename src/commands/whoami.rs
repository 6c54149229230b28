//! `whoami [USER]`: what the cluster says a user is (SelfSubjectReview), asked with that user's
//! own credentials from the kubeconfig.

use super::Ctx;
use super::target::{self, Credentials};
use crate::cli::WhoamiArgs;
use crate::cluster;
use crate::error::{Outcome, hinted};

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
/// context using it), or the kubeconfig's own when no user is named.
pub async fn client_as_user(ctx: &Ctx, user: Option<&str>) -> anyhow::Result<cluster::ApiClient> {
    let credentials = match user {
        Some(user) => Credentials::User(user),
        None => Credentials::Kubeconfig,
    };
    target::cluster_client(ctx, credentials).await
}
