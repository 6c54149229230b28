//! `whoami [USER]`: what the cluster says a user is (SelfSubjectReview), asked with that user's
//! own credentials from the kubeconfig. A server without SelfSubjectReview (before v1.27) gets
//! the certificate's identity, labelled as such, once the server has accepted the certificate.

use super::Ctx;
use crate::cli::WhoamiArgs;
use crate::cluster;
use crate::error::Outcome;
use crate::workflow::target::{self, Credentials};

pub fn run(ctx: &Ctx, args: &WhoamiArgs) -> anyhow::Result<Outcome> {
    cluster::warm_up_tls();
    let rt = super::runtime()?;
    let client = rt.block_on(client_as_user(ctx, args.user.as_deref()))?;
    let identity = rt.block_on(cluster::whoami(&client))?;
    if let Some(why) = &identity.unconfirmed_because {
        ctx.out.warn(format!(
            "read from the client certificate: the server accepted the certificate but could not confirm the groups, because {why}"
        ));
    }
    ctx.out.result(
        &identity,
        || vec![identity.username.clone()],
        || {
            let mut rows = vec![
                vec!["Username".into(), identity.username.clone()],
                vec!["Groups".into(), format!("[{}]", identity.groups.join(" "))],
            ];
            if identity.from_certificate {
                rows.push(vec![
                    "Source".into(),
                    "client certificate (not confirmed by the server)".into(),
                ]);
            }
            crate::output::table(&["ATTRIBUTE", "VALUE"], &rows)
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
