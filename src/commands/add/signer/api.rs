//! Signing through the cluster's CSR API: the flow, its progress on stderr, a bound on it.

use std::time::Duration;

use super::deletions::not_deleted;
use crate::cluster::{self, CsrEvent, CsrRequest};
use crate::error::hinted;
use crate::kubeconfig::Kubeconfigs;
use crate::workflow::Ctx;
use crate::workflow::target::{self, Credentials};

/// How long past --timeout the CSR API calls may take in all before we give up on the server.
const API_GRACE: Duration = Duration::from_secs(10);

/// The CSR API flow, its progress on stderr, and a bound on the whole of it.
pub(super) fn sign_through_api(
    ctx: &Ctx,
    rt: &tokio::runtime::Runtime,
    client: &cluster::ApiClient,
    request: &CsrRequest<'_>,
    approver: impl Future<Output = Option<String>>,
    at_work: &tokio::sync::watch::Sender<bool>,
) -> anyhow::Result<cluster::CsrCertificate> {
    let out = &ctx.out;
    // Held while waiting; replacing it stops and clears it.
    let spinner = std::cell::Cell::new(None);
    let mut on_event = |event: CsrEvent<'_>| {
        match event {
        CsrEvent::Created { name } => {
            out.progress(format!("CertificateSigningRequest {name} created"))
        }
        CsrEvent::Approved { name } => {
            out.progress(format!("CertificateSigningRequest {name} approved"))
        }
        CsrEvent::WaitingForApproval { name } => out.progress(format!(
            "waiting for someone allowed to approve it to run:\n  kubectl certificate approve {name}"
        )),
        CsrEvent::Waiting => {
            at_work.send_replace(true);
            spinner.set(out.spinner("waiting for the certificate..."));
        }
        CsrEvent::Issued => {
            spinner.set(None);
            out.progress("certificate issued");
        }
        CsrEvent::NotDeleted { name, why } => out.warn(not_deleted(name, &why)),
    }
    };
    // The wait for the certificate is bounded by --timeout inside; this bounds the calls around
    // it, so a server that never answers cannot hang `add`.
    let bound = request.timeout + API_GRACE;
    let outcome = rt
        .block_on(async {
            tokio::time::timeout(bound, cluster::sign_via_api(client, request, approver, &mut on_event))
                .await
        })
        .map_err(|_| {
            hinted(
                format!(
                    "the cluster at {} did not answer the CertificateSigningRequest calls within {} (--timeout plus {}s)",
                    client.server,
                    crate::output::human_duration(bound.as_secs() as i64),
                    API_GRACE.as_secs()
                ),
                "check the API server (`kubectl get --raw /readyz`) or raise --timeout; a CertificateSigningRequest may be left behind (`kubectl get csr`)",
            )
        })??;
    Ok(outcome)
}

/// The cluster's signer decides the lifetime in the end: say when it is not what was asked.
pub(super) fn warn_if_lifetime_differs(ctx: &Ctx, user: &str, outcome: &cluster::CsrCertificate) {
    let slack = jiff::SignedDuration::from_hours(1);
    let (ends, asked) = (
        outcome.info.not_after.strftime("%Y-%m-%d %H:%M UTC"),
        outcome.requested_not_after.strftime("%Y-%m-%d %H:%M UTC"),
    );
    if outcome.info.not_after < outcome.requested_not_after - slack {
        ctx.out.warn(format!(
            "the cluster's signer shortened {user}'s certificate: it ends {ends} instead of {asked} (kube-controller-manager --cluster-signing-duration)"
        ));
    } else if outcome.info.not_after > outcome.requested_not_after + slack {
        // Only a server that does not know expirationSeconds issues for longer.
        ctx.out.warn(format!(
            "the cluster ignored the lifetime asked for: {user}'s certificate ends {ends} instead of {asked}, and a certificate cannot be revoked. Kubernetes before v1.22 has no expirationSeconds and its signer uses kube-controller-manager --cluster-signing-duration; for a shorter certificate, sign locally with --ca-cert/--ca-key"
        ));
    }
}

/// A client with the kubeconfig's own credentials (the administrator's), honouring --context and
/// --cluster like kubectl.
pub async fn admin_client(ctx: &Ctx) -> anyhow::Result<cluster::ApiClient> {
    has_a_kubeconfig(ctx)?;
    target::cluster_client(ctx, Credentials::Kubeconfig).await
}

/// [`admin_client`] from a kubeconfig already read (`add`: its plan's parse, made under the
/// lock): a large file is not parsed a second time.
pub async fn admin_client_in(ctx: &Ctx, kcs: &Kubeconfigs) -> anyhow::Result<cluster::ApiClient> {
    has_a_kubeconfig(ctx)?;
    let view = target::client_view(ctx, kcs, Credentials::Kubeconfig)?;
    Ok(cluster::connect(&view).await?)
}

fn has_a_kubeconfig(ctx: &Ctx) -> anyhow::Result<()> {
    if !ctx.sources.files.iter().any(|p| p.exists()) {
        return Err(hinted(
            "no kubeconfig file to reach the cluster with",
            "pass --kubeconfig FILE, or --ca-cert/--ca-key to sign without a cluster",
        ));
    }
    Ok(())
}
