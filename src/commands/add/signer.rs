//! Who signs a new certificate: a local CA key (`--ca-cert/--ca-key`, `--kubeadm`) or the
//! cluster's CSR API with the current context's credentials.

use std::cell::RefCell;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::cli::{CaArgs, CsrArgs};
use crate::cluster::{self, CsrEvent, CsrRequest};
use crate::error::hinted;
use crate::pki::{self, CertInfo, CertificateAuthority, PrivateKey, Subject};

use crate::workflow::Ctx;
use crate::workflow::target::{self, Credentials};

/// Where kubeadm keeps the cluster CA.
const KUBEADM_PKI: &str = "/etc/kubernetes/pki";
/// How long past --timeout the CSR API calls may take in all before we give up on the server.
const API_GRACE: Duration = Duration::from_secs(10);
/// Environment variable holding the passphrase of an encrypted CA key.
pub const CA_PASSPHRASE_ENV: &str = "CERTUSER_CA_KEY_PASSPHRASE";

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

    /// Make a CSR for `subject` with `key`, have it signed, and read the certificate back.
    pub fn issue(
        &self,
        ctx: &Ctx,
        rt: &tokio::runtime::Runtime,
        key: &PrivateKey,
        subject: &Subject,
        validity: Duration,
    ) -> anyhow::Result<(Signed, CertInfo)> {
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
        let rsa = is_rsa(&csr);
        match self {
            Signer::Local(ca) => {
                let (signed, warning) = sign_with_ca(ca, &csr, rsa, validity)?;
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

/// The deletions of our CSR objects still under way. They run beside what the command does
/// next (they need nothing from it); dropping this waits for each and warns about any that
/// failed, so no command ends before its objects are gone.
pub struct Deletions<'rt> {
    rt: &'rt tokio::runtime::Runtime,
    out: crate::output::Output,
    pending: RefCell<Vec<(String, cluster::CsrCleanup)>>,
}

impl Deletions<'_> {
    fn add(&self, name: String, cleanup: cluster::CsrCleanup) {
        self.pending.borrow_mut().push((name, cleanup));
    }
}

impl Drop for Deletions<'_> {
    fn drop(&mut self) {
        let pending = self.pending.take();
        // Inside the runtime (never, as the commands use it) the tasks run on without us.
        if pending.is_empty() || tokio::runtime::Handle::try_current().is_ok() {
            return;
        }
        for (name, cleanup) in pending {
            if let Err(why) = self.rt.block_on(cleanup.finish()) {
                // The object holds no secret: a failed delete is said, not allowed to hide the result.
                self.out.warn(not_deleted(&name, &why));
            }
        }
    }
}

fn not_deleted(name: &str, why: &str) -> String {
    format!(
        "CertificateSigningRequest {name} could not be deleted ({why}); it holds no secret, but delete it with `kubectl delete csr {name}`"
    )
}

/// A local CA signs, under our policy; a CA that ends sooner than asked shortens the
/// certificate, and the warning that says so is returned, not printed: this runs on any thread.
fn sign_with_ca(
    ca: &CertificateAuthority,
    csr: &pki::ParsedCsr,
    rsa: bool,
    validity: Duration,
) -> anyhow::Result<(Signed, Option<String>)> {
    let issued = pki::sign_client_certificate(
        ca,
        &csr.subject,
        &csr.public_key_der,
        rsa,
        validity,
        jiff::Timestamp::now(),
    )?;
    let warning = issued.clamped.then(|| {
        format!(
            "the CA {} expires {}: {}'s certificate ends then, earlier than asked",
            ca.subject(),
            issued.not_after.strftime("%Y-%m-%d"),
            csr.subject.common_name
        )
    });
    let signed = Signed {
        certificate_pem: issued.certificate_pem,
        csr_name: None,
    };
    Ok((signed, warning))
}

/// A local CA's certificate for a PEM CSR, read back like any issued certificate. It touches
/// nothing but the CA (read-only), so `add` runs it for many users across the cores; the
/// warning, if any, is for the caller to print.
pub fn issue_locally(
    ca: &CertificateAuthority,
    csr_pem: &[u8],
    validity: Duration,
) -> anyhow::Result<(Signed, CertInfo, Option<String>)> {
    let csr = pki::parse_csr_pem(csr_pem)?;
    let rsa = is_rsa(&csr);
    let (signed, warning) = sign_with_ca(ca, &csr, rsa, validity)?;
    let info = read_back(&signed)?;
    Ok((signed, info, warning))
}

fn is_rsa(csr: &pki::ParsedCsr) -> bool {
    csr.req
        .public_key()
        .is_ok_and(|k| k.id() == openssl::pkey::Id::RSA)
}

/// The issued certificate parsed back from what will be written: the report and the ledger
/// describe exactly those bytes.
fn read_back(signed: &Signed) -> anyhow::Result<CertInfo> {
    let cert = pki::parse_certificate_pem(&signed.certificate_pem, "the issued certificate")?;
    Ok(pki::inspect_certificate(&cert)?)
}

/// The CSR API flow, its progress on stderr, and a bound on the whole of it.
fn sign_through_api(
    ctx: &Ctx,
    rt: &tokio::runtime::Runtime,
    client: &cluster::ApiClient,
    request: &CsrRequest<'_>,
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
        CsrEvent::Waiting => spinner.set(out.spinner("waiting for the certificate...")),
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
            tokio::time::timeout(bound, cluster::sign_via_api(client, request, &mut on_event))
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
fn warn_if_lifetime_differs(ctx: &Ctx, user: &str, outcome: &cluster::CsrCertificate) {
    let slack = jiff::SignedDuration::from_hours(1);
    let (ends, asked) = (
        outcome.not_after.strftime("%Y-%m-%d %H:%M UTC"),
        outcome.requested_not_after.strftime("%Y-%m-%d %H:%M UTC"),
    );
    if outcome.not_after < outcome.requested_not_after - slack {
        ctx.out.warn(format!(
            "the cluster's signer shortened {user}'s certificate: it ends {ends} instead of {asked} (kube-controller-manager --cluster-signing-duration)"
        ));
    } else if outcome.not_after > outcome.requested_not_after + slack {
        // Only a server that does not know expirationSeconds issues for longer.
        ctx.out.warn(format!(
            "the cluster ignored the lifetime asked for: {user}'s certificate ends {ends} instead of {asked}, and a certificate cannot be revoked. Kubernetes before v1.22 has no expirationSeconds and its signer uses kube-controller-manager --cluster-signing-duration; for a shorter certificate, sign locally with --ca-cert/--ca-key"
        ));
    }
}

/// `--ca-cert/--ca-key`, or kubeadm's CA with `--kubeadm`; None means the CSR API.
pub fn local_ca_paths(ca: &CaArgs) -> Option<(PathBuf, PathBuf)> {
    if ca.kubeadm {
        return Some((
            Path::new(KUBEADM_PKI).join("ca.crt"),
            Path::new(KUBEADM_PKI).join("ca.key"),
        ));
    }
    ca.ca_cert.clone().zip(ca.ca_key.clone())
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
    if !ctx.sources.files.iter().any(|p| p.exists()) {
        return Err(hinted(
            "no kubeconfig file to reach the cluster with",
            "pass --kubeconfig FILE, or --ca-cert/--ca-key to sign without a cluster",
        ));
    }
    target::cluster_client(ctx, Credentials::Kubeconfig).await
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pki::KeyType;

    /// `add` signs many users at once with one CA: the CA is shared by the threads, and each
    /// user gets a certificate from it with their own name, in their own order.
    #[test]
    fn one_ca_signs_for_many_threads_and_each_user_gets_their_own_certificate() {
        fn shared_by_threads<T: Sync>(_: &T) {}
        let ca = CertificateAuthority::create_self_signed("kubernetes", 365, KeyType::EcdsaP256)
            .unwrap();
        shared_by_threads(&ca);
        let users: Vec<String> = (0..6).map(|i| format!("user{i}")).collect();
        let issued = super::super::keys::in_parallel(users.len(), 2, |i| {
            let key = PrivateKey::generate(KeyType::EcdsaP256)?;
            let subject = Subject {
                common_name: users[i].clone(),
                organizations: vec!["dev".into()],
            };
            let csr_pem = pki::build_csr(&key, &subject)?;
            let (signed, info, warning) =
                issue_locally(&ca, &csr_pem, Duration::from_secs(86_400))?;
            Ok((key, signed, info, warning))
        })
        .unwrap();
        for (user, (key, signed, info, warning)) in users.iter().zip(issued) {
            assert_eq!(info.common_name.as_deref(), Some(user.as_str()));
            assert_eq!(info.groups, ["dev"]);
            assert!(warning.is_none());
            let cert = pki::parse_certificate_pem(&signed.certificate_pem, "t").unwrap();
            assert!(pki::issued_by(&cert, ca.certificate()));
            assert!(key.matches(&cert.public_key().unwrap().public_key_to_der().unwrap()));
        }
    }
}
