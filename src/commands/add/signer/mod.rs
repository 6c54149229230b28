//! Who signs a new certificate: a local CA key (`--ca-cert/--ca-key`, `--kubeadm`) or the
//! cluster's CSR API with the current context's credentials.

use std::cell::RefCell;
use std::time::Duration;

use crate::cli::{CaArgs, CsrArgs};
use crate::cluster::{self, CsrRequest};
use crate::error::hinted;
use crate::pki::{self, CertInfo, CertificateAuthority, PrivateKey, Subject};
use crate::workflow::Ctx;

mod api;
mod deletions;
mod local;

pub use api::admin_client;
use api::{sign_through_api, warn_if_lifetime_differs};
pub use deletions::Deletions;
pub use local::{issue_for_key, load_ca, local_ca_paths};

pub enum Signer<'rt> {
    Local(CertificateAuthority),
    Cluster {
        client: cluster::ApiClient,
        approve: bool,
        timeout: Duration,
        keep_csr: bool,
        /// The CSR objects still being deleted: the signer waits for them when it goes.
        deletions: Deletions<'rt>,
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
        match local_ca_paths(ca) {
            Some((cert, key)) => Ok(Signer::Local(load_ca(&cert, &key)?)),
            None => Ok(Signer::through_api(
                ctx,
                rt.block_on(admin_client(ctx))?,
                csr,
                rt,
            )),
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
        Signer::Cluster {
            client,
            approve: !csr.no_approve,
            timeout: csr.timeout.0,
            keep_csr: csr.keep_csr,
            deletions: Deletions {
                rt,
                out: ctx.out.clone(),
                pending: RefCell::new(Vec::new()),
            },
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
        let csr_pem = pki::build_csr(key, subject)?;
        self.issue_csr(ctx, rt, &csr_pem, validity)
    }

    /// Have a PEM CSR signed and read the certificate back.
    pub fn issue_csr(
        &self,
        ctx: &Ctx,
        rt: &tokio::runtime::Runtime,
        csr_pem: &[u8],
        validity: Duration,
    ) -> anyhow::Result<(Signed, CertInfo)> {
        let signed = self.sign(ctx, rt, csr_pem, validity)?;
        let info = read_back(&signed)?;
        Ok((signed, info))
    }

    /// Sign a PEM CSR: ours, or one someone else made (`sign`). The identity is the CSR's.
    pub fn sign(
        &self,
        ctx: &Ctx,
        rt: &tokio::runtime::Runtime,
        csr_pem: &[u8],
        validity: Duration,
    ) -> anyhow::Result<Signed> {
        // Parse the CSR: it checks the self-signature and yields exactly the subject and public
        // key the certificate must carry, the same path for our CSRs and someone else's.
        let csr = pki::parse_csr_pem(csr_pem)?;
        let rsa = csr.public_key.id() == openssl::pkey::Id::RSA;
        match self {
            Signer::Local(ca) => {
                let (signed, warning) = local::sign_csr(ca, &csr, validity)?;
                if let Some(warning) = warning {
                    ctx.out.warn(warning);
                }
                Ok(signed)
            }
            Signer::Cluster {
                client,
                approve,
                timeout,
                keep_csr,
                deletions,
            } => {
                let request = CsrRequest {
                    csr_pem,
                    public_key_der: &csr.public_key_der,
                    user: &csr.subject.common_name,
                    groups: &csr.subject.organizations,
                    rsa,
                    expiration: validity,
                    approve: *approve,
                    timeout: *timeout,
                    keep_csr: *keep_csr,
                };
                let mut outcome = sign_through_api(ctx, rt, client, &request)?;
                warn_if_lifetime_differs(ctx, request.user, &outcome);
                if let Some(cleanup) = outcome.cleanup.take() {
                    deletions.add(outcome.name.clone(), cleanup);
                }
                Ok(Signed {
                    certificate_pem: outcome.certificate_pem,
                    csr_name: Some(outcome.name),
                })
            }
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
