//! Who signs a new certificate: a local CA key (`--ca-cert/--ca-key`, `--kubeadm`) or the
//! cluster's CSR API with the current context's credentials.

use std::cell::RefCell;
use std::time::Duration;

use futures::FutureExt as _;
use futures::future::{BoxFuture, Shared};

use crate::cli::{CaArgs, CsrArgs};
use crate::cluster::{self, CsrRequest};
use crate::error::hinted;
use crate::kubeconfig::Kubeconfigs;
use crate::pki::{self, CertInfo, CertificateAuthority, PrivateKey, Subject};
use crate::workflow::Ctx;

mod api;
mod deletions;
mod local;

pub use api::admin_client;
use api::admin_client_in;
use api::{sign_through_api, warn_if_lifetime_differs};
pub use deletions::Deletions;
pub use local::{issue_for_key, load_ca, local_ca_paths};

pub enum Signer<'rt> {
    Local(CertificateAuthority),
    Cluster {
        client: cluster::ApiClient,
        timeout: Duration,
        keep_csr: bool,
        /// Who approves (SelfSubjectReview), asked as soon as the signer exists: that first
        /// request opens the administrator's connection while the keys are still being made
        /// (see [`Signer::beside_requests`]). `None` when we do not approve (`--no-approve`).
        approver: Option<Shared<BoxFuture<'static, Option<String>>>>,
        /// The CSR objects still being deleted: the signer waits for them when it goes.
        deletions: Deletions<'rt>,
        /// Set once a CSR waits for the cluster's signer ([`Signer::signer_at_work`]).
        at_work: tokio::sync::watch::Sender<bool>,
    },
}

/// A certificate in hand, and the CSR object it came through, if any.
pub struct Signed {
    pub certificate_pem: Vec<u8>,
    pub csr_name: Option<String>,
}

impl<'rt> Signer<'rt> {
    pub fn choose(
        ctx: &Ctx,
        ca: &CaArgs,
        csr: &CsrArgs,
        rt: &'rt tokio::runtime::Runtime,
    ) -> anyhow::Result<Signer<'rt>> {
        Self::choose_with(ctx, ca, csr, rt, || rt.block_on(admin_client(ctx)))
    }

    /// [`Signer::choose`] with the kubeconfig already read (`add`'s plan): the administrator's
    /// client comes from that parse.
    pub fn choose_in(
        ctx: &Ctx,
        kcs: &Kubeconfigs,
        ca: &CaArgs,
        csr: &CsrArgs,
        rt: &'rt tokio::runtime::Runtime,
    ) -> anyhow::Result<Signer<'rt>> {
        Self::choose_with(ctx, ca, csr, rt, || rt.block_on(admin_client_in(ctx, kcs)))
    }

    fn choose_with(
        ctx: &Ctx,
        ca: &CaArgs,
        csr: &CsrArgs,
        rt: &'rt tokio::runtime::Runtime,
        admin: impl FnOnce() -> anyhow::Result<cluster::ApiClient>,
    ) -> anyhow::Result<Signer<'rt>> {
        match local_ca_paths(ca) {
            Some((cert, key)) => Ok(Signer::Local(load_ca(&cert, &key)?)),
            None => Ok(Signer::through_api(ctx, admin()?, csr, rt)),
        }
    }

    /// The cluster's CSR API, as the administrator's `client`, with the `--no-approve`,
    /// `--timeout` and `--keep-csr` of `csr`.
    pub fn through_api(
        ctx: &Ctx,
        client: cluster::ApiClient,
        csr: &CsrArgs,
        rt: &'rt tokio::runtime::Runtime,
    ) -> Signer<'rt> {
        let approver = (!csr.no_approve).then(|| {
            // A task of the runtime: it runs whenever the runtime does, first of all requests.
            let asking = rt.spawn(cluster::approver(client.clone()));
            async move { asking.await.ok().flatten() }.boxed().shared()
        });
        Signer::Cluster {
            client,
            approver,
            timeout: csr.timeout.0,
            keep_csr: csr.keep_csr,
            deletions: Deletions {
                rt,
                out: ctx.out.clone(),
                pending: RefCell::new(Vec::new()),
            },
            at_work: tokio::sync::watch::Sender::new(false),
        }
    }

    /// For the CSR API: turns true when the first CSR waits for the cluster's signer, the time
    /// other work can take without delaying the calls before it. `None` for a local CA.
    pub fn signer_at_work(&self) -> Option<tokio::sync::watch::Receiver<bool>> {
        match self {
            Signer::Local(_) => None,
            Signer::Cluster { at_work, .. } => Some(at_work.subscribe()),
        }
    }

    /// `work` (a wait for keys) on a blocking thread while the runtime runs the requests already
    /// under way: a CSR signer's first request (who approves) connects meanwhile, so the TCP and
    /// TLS handshakes are over before the first CSR is ready. A local CA has none: `work` runs
    /// here.
    pub fn beside_requests<T: Send + 'static>(
        &self,
        rt: &tokio::runtime::Runtime,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> T {
        if let Signer::Local(_) = self {
            return work();
        }
        match rt.block_on(rt.spawn_blocking(work)) {
            Ok(value) => value,
            Err(failed) => std::panic::resume_unwind(failed.into_panic()),
        }
    }

    pub fn label(&self) -> &'static str {
        match self {
            Signer::Local(_) => "local-ca",
            Signer::Cluster { .. } => "csr-api",
        }
    }

    /// Have a certificate for `key` and `subject` signed and read it back: a local CA signs
    /// the key directly, the CSR API gets a CSR made with it.
    pub fn issue(
        &self,
        ctx: &Ctx,
        rt: &tokio::runtime::Runtime,
        key: &PrivateKey,
        subject: &Subject,
        validity: Duration,
    ) -> anyhow::Result<(Signed, CertInfo)> {
        if let Signer::Local(ca) = self {
            let (signed, info, warning) = issue_for_key(ca, key, subject, validity)?;
            if let Some(warning) = warning {
                ctx.out.warn(warning);
            }
            return Ok((signed, info));
        }
        // Our own CSR, just made: its subject and key are known, so it is not parsed back.
        let csr = pki::build_csr_with_key_info(key, subject)?;
        let request = Request {
            pem: &csr.pem,
            public_key_der: &csr.public_key_der,
            subject,
            rsa: key.pkey().id() == openssl::pkey::Id::RSA,
            parsed: None,
        };
        self.sign_request(ctx, rt, &request, validity)
    }

    /// Have a PEM CSR signed and read the certificate back.
    pub fn issue_csr(
        &self,
        ctx: &Ctx,
        rt: &tokio::runtime::Runtime,
        csr_pem: &[u8],
        validity: Duration,
    ) -> anyhow::Result<(Signed, CertInfo)> {
        let csr = pki::parse_csr_pem(csr_pem)?;
        self.sign_request(ctx, rt, &Request::parsed(csr_pem, &csr), validity)
    }

    /// Sign a PEM CSR: ours, or one someone else made (`sign`). The identity is the CSR's.
    pub fn sign(
        &self,
        ctx: &Ctx,
        rt: &tokio::runtime::Runtime,
        csr_pem: &[u8],
        validity: Duration,
    ) -> anyhow::Result<Signed> {
        Ok(self.issue_csr(ctx, rt, csr_pem, validity)?.0)
    }

    /// Sign `request` and read the certificate back: a local CA signs its public key, the CSR
    /// API the request itself (the certificate that comes back is checked against it).
    fn sign_request(
        &self,
        ctx: &Ctx,
        rt: &tokio::runtime::Runtime,
        request: &Request<'_>,
        validity: Duration,
    ) -> anyhow::Result<(Signed, CertInfo)> {
        match self {
            Signer::Local(ca) => {
                // The parse checked the self-signature and yields exactly the subject and
                // public key the certificate must carry.
                let parsed;
                let csr = match request.parsed {
                    Some(csr) => csr,
                    None => {
                        parsed = pki::parse_csr_pem(request.pem)?;
                        &parsed
                    }
                };
                let (signed, warning) = local::sign_csr(ca, csr, validity)?;
                if let Some(warning) = warning {
                    ctx.out.warn(warning);
                }
                let info = read_back(&signed)?;
                Ok((signed, info))
            }
            Signer::Cluster {
                client,
                timeout,
                keep_csr,
                approver,
                deletions,
                at_work,
            } => {
                let request = CsrRequest {
                    csr_pem: request.pem,
                    public_key_der: request.public_key_der,
                    user: &request.subject.common_name,
                    groups: &request.subject.organizations,
                    rsa: request.rsa,
                    expiration: validity,
                    approve: approver.is_some(),
                    timeout: *timeout,
                    keep_csr: *keep_csr,
                };
                let approver = approver.clone();
                let approver = async move {
                    match approver {
                        Some(asked) => asked.await,
                        None => None,
                    }
                };
                let mut outcome = sign_through_api(ctx, rt, client, &request, approver, at_work)?;
                warn_if_lifetime_differs(ctx, request.user, &outcome);
                if let Some(cleanup) = outcome.cleanup.take() {
                    deletions.add(outcome.name.clone(), cleanup);
                }
                // The certificate was read and checked against the request as it came back.
                let signed = Signed {
                    certificate_pem: outcome.certificate_pem,
                    csr_name: Some(outcome.name),
                };
                Ok((signed, outcome.info))
            }
        }
    }
}

/// A CSR to sign, with what it names: parsed and verified when someone else made it, known
/// when we just built it.
struct Request<'a> {
    pem: &'a [u8],
    /// SubjectPublicKeyInfo DER of its key: what the issued certificate must carry.
    public_key_der: &'a [u8],
    subject: &'a Subject,
    rsa: bool,
    /// The parse, when there was one: a local CA signs over its public key.
    parsed: Option<&'a pki::ParsedCsr>,
}

impl<'a> Request<'a> {
    fn parsed(pem: &'a [u8], csr: &'a pki::ParsedCsr) -> Self {
        Request {
            pem,
            public_key_der: &csr.public_key_der,
            subject: &csr.subject,
            rsa: csr.public_key.id() == openssl::pkey::Id::RSA,
            parsed: Some(csr),
        }
    }
}

/// The issued certificate parsed back from what will be written: the report and the ledger
/// describe exactly those bytes.
fn read_back(signed: &Signed) -> anyhow::Result<CertInfo> {
    let cert = pki::parse_certificate_pem(&signed.certificate_pem, "the issued certificate")?;
    Ok(pki::inspect_certificate(&cert)?)
}

/// The lifetime `--days N` or `--duration D` asks for (`add`, `sign`).
pub fn lifetime(days: u32, duration: Option<crate::cli::Validity>) -> anyhow::Result<Duration> {
    match duration {
        Some(d) => Ok(d.0),
        None if days == 0 => Err(hinted(
            "--days 0 makes a certificate that is never valid",
            "use --days 1 or more, or --duration 12h",
        )),
        None => Ok(Duration::from_secs(u64::from(days) * 86_400)),
    }
}
