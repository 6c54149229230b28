//! Who signs a new certificate: a local CA key (`--ca-cert/--ca-key`, `--kubeadm`) or the
//! cluster's CSR API with the current context's credentials.

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::cli::AddArgs;
use crate::cluster::{self, CsrEvent, CsrRequest};
use crate::error::hinted;
use crate::pki::{self, CertificateAuthority, PrivateKey};

use super::Ctx;

/// Where kubeadm keeps the cluster CA.
const KUBEADM_PKI: &str = "/etc/kubernetes/pki";
/// How long past --timeout the CSR API calls may take in all before we give up on the server.
const API_GRACE: Duration = Duration::from_secs(10);
/// Environment variable holding the passphrase of an encrypted CA key.
pub const CA_PASSPHRASE_ENV: &str = "CERTUSER_CA_KEY_PASSPHRASE";

pub enum Signer {
    Local(CertificateAuthority),
    Cluster {
        client: cluster::ApiClient,
        approve: bool,
        timeout: Duration,
        keep_csr: bool,
    },
}

/// A certificate in hand, and the CSR object it came through, if any.
pub struct Signed {
    pub certificate_pem: Vec<u8>,
    pub csr_name: Option<String>,
}

impl Signer {
    pub fn choose(
        ctx: &Ctx,
        args: &AddArgs,
        rt: &tokio::runtime::Runtime,
    ) -> anyhow::Result<Signer> {
        let paths = if args.ca.kubeadm {
            Some((
                Path::new(KUBEADM_PKI).join("ca.crt"),
                Path::new(KUBEADM_PKI).join("ca.key"),
            ))
        } else {
            args.ca.ca_cert.clone().zip(args.ca.ca_key.clone())
        };
        match paths {
            Some((cert, key)) => Ok(Signer::Local(load_ca(&cert, &key)?)),
            None => {
                let client = rt.block_on(admin_client(ctx))?;
                Ok(Signer::Cluster {
                    client,
                    approve: !args.csr.no_approve,
                    timeout: args.csr.timeout.0,
                    keep_csr: args.csr.keep_csr,
                })
            }
        }
    }

    pub fn label(&self) -> &'static str {
        match self {
            Signer::Local(_) => "local-ca",
            Signer::Cluster { .. } => "csr-api",
        }
    }

    #[allow(clippy::too_many_arguments)]
    pub fn sign(
        &self,
        ctx: &Ctx,
        rt: &tokio::runtime::Runtime,
        user: &str,
        groups: &[String],
        key: &PrivateKey,
        csr_pem: &[u8],
        rsa: bool,
        validity: Duration,
    ) -> anyhow::Result<Signed> {
        // Parse our own CSR back: it checks the self-signature and yields exactly the subject and
        // public key the certificate must carry, the same path a CSR from someone else takes.
        let csr = pki::parse_csr_pem(csr_pem)?;
        match self {
            Signer::Local(ca) => {
                let now = jiff::Timestamp::now();
                let issued = pki::sign_client_certificate(
                    ca,
                    &csr.subject,
                    &csr.public_key_der,
                    rsa,
                    validity,
                    now,
                )?;
                if issued.clamped {
                    ctx.out.warn(format!(
                        "the CA {} expires {}: {user}'s certificate ends then, earlier than asked",
                        ca.subject(),
                        issued.not_after.strftime("%Y-%m-%d")
                    ));
                }
                Ok(Signed {
                    certificate_pem: issued.certificate_pem,
                    csr_name: None,
                })
            }
            Signer::Cluster {
                client,
                approve,
                timeout,
                keep_csr,
            } => {
                let public_key_der = key.public_key_der()?;
                let request = CsrRequest {
                    csr_pem,
                    public_key_der: &public_key_der,
                    user,
                    groups,
                    rsa,
                    expiration: validity,
                    approve: *approve,
                    timeout: *timeout,
                    keep_csr: *keep_csr,
                };
                let out = &ctx.out;
                // Held while waiting; replacing it stops and clears it.
                let spinner = std::cell::Cell::new(None);
                let mut on_event = |event: CsrEvent<'_>| {
                    match event {
                    CsrEvent::Created { name } => out.progress(format!("CertificateSigningRequest {name} created")),
                    CsrEvent::Approved { name } => out.progress(format!("CertificateSigningRequest {name} approved")),
                    CsrEvent::WaitingForApproval { name } => out.progress(format!(
                        "waiting for someone allowed to approve it to run:\n  kubectl certificate approve {name}"
                    )),
                    CsrEvent::Waiting => spinner.set(out.spinner("waiting for the certificate...")),
                    CsrEvent::Issued => {
                        spinner.set(None);
                        out.progress("certificate issued");
                    }
                }
                };
                // The wait for the certificate is bounded by --timeout inside; this bounds the
                // calls around it, so a server that never answers cannot hang `add`.
                let bound = *timeout + API_GRACE;
                let outcome = rt
                    .block_on(async {
                        tokio::time::timeout(
                            bound,
                            cluster::sign_via_api(client, &request, &mut on_event),
                        )
                        .await
                    })
                    .map_err(|_| {
                        hinted(
                            format!(
                                "the cluster at {} did not answer the CertificateSigningRequest calls within {} (--timeout plus {}s)",
                                client.server,
                                crate::units::human(bound.as_secs() as i64),
                                API_GRACE.as_secs()
                            ),
                            "check the API server (`kubectl get --raw /readyz`) or raise --timeout; a CertificateSigningRequest may be left behind (`kubectl get csr`)",
                        )
                    })??;
                if outcome.not_after
                    < outcome.requested_not_after - jiff::SignedDuration::from_hours(1)
                {
                    ctx.out.warn(format!(
                        "the cluster's signer shortened {user}'s certificate: it ends {} instead of {} (kube-controller-manager --cluster-signing-duration)",
                        outcome.not_after.strftime("%Y-%m-%d %H:%M UTC"),
                        outcome.requested_not_after.strftime("%Y-%m-%d %H:%M UTC"),
                    ));
                }
                Ok(Signed {
                    certificate_pem: outcome.certificate_pem,
                    csr_name: Some(outcome.name),
                })
            }
        }
    }
}

/// Load and validate the CA; an encrypted key takes its passphrase from the environment.
pub fn load_ca(cert: &Path, key: &Path) -> anyhow::Result<CertificateAuthority> {
    let passphrase = std::env::var_os(CA_PASSPHRASE_ENV).map(|p| p.into_encoded_bytes());
    Ok(CertificateAuthority::load(
        cert,
        key,
        passphrase.as_deref(),
        jiff::Timestamp::now(),
    )?)
}

/// A client with the kubeconfig's own credentials (the administrator's), honouring --context and
/// --cluster like kubectl.
pub async fn admin_client(ctx: &Ctx) -> anyhow::Result<cluster::ApiClient> {
    let files: Vec<PathBuf> = ctx
        .sources
        .files
        .iter()
        .filter(|p| p.exists())
        .cloned()
        .collect();
    if files.is_empty() {
        return Err(hinted(
            "no kubeconfig file to reach the cluster with",
            "pass --kubeconfig FILE, or --ca-cert/--ca-key to sign without a cluster",
        ));
    }
    let kc = cluster::load_merged(&files)?;
    Ok(cluster::client_for(
        kc,
        ctx.global.context.as_deref(),
        ctx.global.cluster.as_deref(),
    )
    .await?)
}
