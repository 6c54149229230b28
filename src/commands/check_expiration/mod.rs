//! `check-expiration`: kubeadm's `certs check-expiration` table for people — every certificate
//! user of the kubeconfig, and with a kubeadm PKI folder the control plane's certificates and
//! certificate authorities — with an exit code for cron and CI. `control_plane.rs` reads the
//! PKI folder, `render.rs` draws the tables.

mod control_plane;
mod render;

use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::cli::CheckExpirationArgs;
use crate::error::{Outcome, hinted};
use crate::kubeconfig::Kubeconfigs;

use super::{Ctx, list};

/// Where kubeadm keeps the control plane's PKI; read by default when it is there and readable.
const KUBEADM_PKI: &str = "/etc/kubernetes/pki";

/// Field names are a stable contract (`-o json|yaml`).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Report {
    pub(super) warn_seconds: u64,
    pub(super) users: Vec<DueUser>,
    pub(super) pki_dir: Option<PathBuf>,
    pub(super) certificates: Vec<PkiCertificate>,
    pub(super) certificate_authorities: Vec<PkiCertificate>,
    /// Names of everything that has expired or expires within the window, or cannot be read.
    pub(super) needs_attention: Vec<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct DueUser {
    #[serde(flatten)]
    pub(super) user: list::ListedUser,
    pub(super) due: bool,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct PkiCertificate {
    /// kubeadm's name: `apiserver`, `etcd-server`, `admin.conf`, `front-proxy-ca`.
    pub(super) name: String,
    pub(super) path: PathBuf,
    pub(super) not_after: Option<jiff::Timestamp>,
    pub(super) residual_seconds: Option<i64>,
    /// The CA of this folder that signed it (certificates only).
    pub(super) certificate_authority: Option<String>,
    pub(super) issuer: Option<String>,
    /// kubeadm's meaning: the CA's key is not in the folder, so kubeadm cannot renew it.
    pub(super) externally_managed: bool,
    pub(super) due: bool,
    /// Why the file could not be read as a certificate.
    pub(super) error: Option<String>,
}

pub fn run(ctx: &Ctx, args: &CheckExpirationArgs) -> anyhow::Result<Outcome> {
    let now = jiff::Timestamp::now();
    let window = i64::try_from(args.warn.0.as_secs()).unwrap_or(i64::MAX);
    let due = |residual: Option<i64>| residual.is_none_or(|r| r <= window);

    let kcs = Kubeconfigs::load(&ctx.sources)?;
    let users: Vec<DueUser> = list::collect(&kcs, now)
        .into_iter()
        .map(|user| DueUser {
            due: due(user.residual_seconds),
            user,
        })
        .collect();
    let pki_dir = pki_dir(args)?;
    let (certificates, authorities) = match &pki_dir {
        Some(dir) => control_plane::rows(dir, now, &due),
        None => (Vec::new(), Vec::new()),
    };
    let needs_attention: Vec<String> = users
        .iter()
        .filter(|u| u.due)
        .map(|u| format!("user {}", u.user.name))
        .chain(
            certificates
                .iter()
                .chain(&authorities)
                .filter(|c| c.due)
                .map(|c| c.name.clone()),
        )
        .collect();
    let report = Report {
        warn_seconds: args.warn.0.as_secs(),
        users,
        pki_dir,
        certificates,
        certificate_authorities: authorities,
        needs_attention,
    };
    ctx.out
        .result(&report, || names(&report), || render::render(&report))?;
    if report.needs_attention.is_empty() {
        return Ok(Outcome::Ok);
    }
    ctx.out.warn(format!(
        "expired, expiring within {} or unreadable: {}",
        args.warn,
        report.needs_attention.join(", ")
    ));
    ctx.out.hint(
        "renew users with `kubectl certuser renew USER` (or `renew --all --within 30d`), the control plane with `kubeadm certs renew`",
    );
    Ok(Outcome::Problem)
}

/// `-o name`: the users, then the certificates, then the authorities.
fn names(report: &Report) -> Vec<String> {
    report
        .users
        .iter()
        .map(|u| format!("user/{}", u.user.name))
        .chain(report.certificates.iter().map(|c| c.name.clone()))
        .chain(
            report
                .certificate_authorities
                .iter()
                .map(|c| c.name.clone()),
        )
        .collect()
}

/// `--pki-dir`, else kubeadm's folder when it is there and readable, else none.
fn pki_dir(args: &CheckExpirationArgs) -> anyhow::Result<Option<PathBuf>> {
    match &args.pki_dir {
        Some(dir) => {
            std::fs::read_dir(dir).map_err(|e| {
                hinted(
                    format!("cannot read the PKI folder {}: {e}", dir.display()),
                    "pass the folder that holds ca.crt (kubeadm: /etc/kubernetes/pki); reading it usually needs root",
                )
            })?;
            Ok(Some(dir.clone()))
        }
        None => {
            let dir = Path::new(KUBEADM_PKI);
            Ok(std::fs::read_dir(dir).is_ok().then(|| dir.to_path_buf()))
        }
    }
}
