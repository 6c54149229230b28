//! `check-expiration`: kubeadm's `certs check-expiration` table for people — every certificate
//! user of the kubeconfig, and with a kubeadm PKI folder the control plane's certificates and
//! certificate authorities — with an exit code for cron and CI.

use std::path::{Path, PathBuf};

use openssl::x509::X509;
use serde::Serialize;

use crate::cli::CheckExpirationArgs;
use crate::error::{Outcome, hinted};
use crate::kubeconfig::{Kubeconfigs, Section, Sources};
use crate::output::human_duration as human;
use crate::output::table;
use crate::pki::{self, CertInfo};

use super::{Ctx, list};
use crate::kubeconfig::credentials;

/// Where kubeadm keeps the control plane's PKI; read by default when it is there and readable.
const KUBEADM_PKI: &str = "/etc/kubernetes/pki";

/// Field names are a stable contract (`-o json|yaml`).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Report {
    warn_seconds: u64,
    users: Vec<DueUser>,
    pki_dir: Option<PathBuf>,
    certificates: Vec<PkiCertificate>,
    certificate_authorities: Vec<PkiCertificate>,
    /// Names of everything that has expired or expires within the window, or cannot be read.
    needs_attention: Vec<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct DueUser {
    #[serde(flatten)]
    user: list::ListedUser,
    due: bool,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct PkiCertificate {
    /// kubeadm's name: `apiserver`, `etcd-server`, `admin.conf`, `front-proxy-ca`.
    name: String,
    path: PathBuf,
    not_after: Option<jiff::Timestamp>,
    residual_seconds: Option<i64>,
    /// The CA of this folder that signed it (certificates only).
    certificate_authority: Option<String>,
    issuer: Option<String>,
    /// kubeadm's meaning: the CA's key is not in the folder, so kubeadm cannot renew it.
    externally_managed: bool,
    due: bool,
    /// Why the file could not be read as a certificate.
    error: Option<String>,
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
    // Each row with its certificate, to match certificates to the CA that signed them.
    let mut certificates: Vec<(PkiCertificate, Option<X509>)> = Vec::new();
    let mut authorities: Vec<(PkiCertificate, X509)> = Vec::new();
    if let Some(dir) = &pki_dir {
        for (name, path, read) in control_plane_files(dir) {
            let mut row = PkiCertificate {
                name,
                path,
                not_after: None,
                residual_seconds: None,
                certificate_authority: None,
                issuer: None,
                externally_managed: false,
                due: true,
                error: None,
            };
            match read {
                Err(error) => {
                    row.error = Some(error);
                    certificates.push((row, None));
                }
                Ok((cert, info)) => {
                    row.residual_seconds = Some(info.not_after.as_second() - now.as_second());
                    row.not_after = Some(info.not_after);
                    row.issuer = Some(info.issuer);
                    row.due = due(row.residual_seconds);
                    if info.is_ca {
                        row.externally_managed = !row.path.with_extension("key").exists();
                        authorities.push((row, cert));
                    } else {
                        certificates.push((row, Some(cert)));
                    }
                }
            }
        }
        for (row, cert) in &mut certificates {
            let Some(cert) = cert else { continue };
            if let Some((ca, _)) = authorities
                .iter()
                .find(|(_, ca_cert)| pki::issued_by(cert, ca_cert))
            {
                row.certificate_authority = Some(ca.name.clone());
                row.externally_managed = ca.externally_managed;
            }
        }
    }
    let certificates: Vec<PkiCertificate> = certificates.into_iter().map(|(r, _)| r).collect();
    let authorities: Vec<PkiCertificate> = authorities.into_iter().map(|(r, _)| r).collect();

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
    ctx.out.result(
        &report,
        || {
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
        },
        || render(&report),
    )?;
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

type Read = Result<(X509, CertInfo), String>;

/// The `*.crt` files of the folder and its `etcd/` folder, and the client certificates of the
/// `*.conf` kubeconfigs beside the folder, by kubeadm's names, sorted like kubeadm's table.
fn control_plane_files(dir: &Path) -> Vec<(String, PathBuf, Read)> {
    let mut out = Vec::new();
    for (folder, prefix) in [(dir.to_path_buf(), ""), (dir.join("etcd"), "etcd-")] {
        for path in files_ending(&folder, ".crt") {
            let stem = path
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default();
            let read = std::fs::read(&path)
                .map_err(|e| format!("cannot read {}: {e}", path.display()))
                .and_then(|pem| read_certificate(&pem, &path.display().to_string()));
            out.push((format!("{prefix}{stem}"), path, read));
        }
    }
    if let Some(parent) = dir.parent() {
        for path in files_ending(parent, ".conf") {
            let file_name = path
                .file_name()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default();
            for (user, read) in conf_certificates(&path) {
                let name = match user {
                    Some(user) => format!("{file_name} ({user})"),
                    None => file_name.clone(),
                };
                out.push((name, path.clone(), read));
            }
        }
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

fn files_ending(dir: &Path, suffix: &str) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file() && p.to_string_lossy().ends_with(suffix))
        .collect();
    files.sort();
    files
}

fn read_certificate(pem: &[u8], what: &str) -> Read {
    let cert = pki::parse_certificate_pem(pem, what).map_err(|e| e.to_string())?;
    let info = pki::inspect_certificate(&cert).map_err(|e| e.to_string())?;
    Ok((cert, info))
}

/// The client certificates of one kubeconfig (`admin.conf`): one per certificate user, the user
/// named only when there are several. Read by the kubeconfig module, like every kubeconfig.
fn conf_certificates(path: &Path) -> Vec<(Option<String>, Read)> {
    let sources = Sources::from_parts(Some(path), None, None);
    let kcs = match Kubeconfigs::load(&sources) {
        Ok(kcs) => kcs,
        Err(e) => return vec![(None, Err(e.to_string()))],
    };
    let mut found = Vec::new();
    for name in kcs.names(Section::Users) {
        let Some(entry) = kcs.get(Section::Users, &name) else {
            continue;
        };
        match credentials::certificate(&entry) {
            Ok(Some((pem, _))) => found.push((name.clone(), read_certificate(&pem, &name))),
            Ok(None) => {}
            Err(e) => found.push((name.clone(), Err(format!("{e:#}")))),
        }
    }
    if found.is_empty() {
        return vec![(
            None,
            Err(format!("{} has no client certificate", path.display())),
        )];
    }
    let several = found.len() > 1;
    found
        .into_iter()
        .map(|(user, read)| (several.then_some(user), read))
        .collect()
}

fn date(t: Option<jiff::Timestamp>) -> String {
    t.map(|t| t.strftime("%b %d, %Y %H:%M UTC").to_string())
        .unwrap_or_else(|| "-".into())
}

fn residual(seconds: Option<i64>, error: Option<&String>) -> String {
    match (error, seconds) {
        (Some(_), _) => "unreadable".into(),
        (None, Some(s)) => human(s),
        (None, None) => "-".into(),
    }
}

fn yes_no(b: bool) -> String {
    if b { "yes" } else { "no" }.into()
}

fn render(report: &Report) -> String {
    let mut text = String::new();
    let mut problems = Vec::new();
    if !report.users.is_empty() || report.pki_dir.is_none() {
        let rows: Vec<Vec<String>> = report
            .users
            .iter()
            .map(|u| {
                let u = &u.user;
                if let Some(e) = &u.error {
                    problems.push(format!("user {}: {e}", u.name));
                }
                vec![
                    u.name.clone(),
                    date(u.not_after),
                    residual(u.residual_seconds, u.error.as_ref()),
                    u.issuer.clone().unwrap_or_else(|| "-".into()),
                ]
            })
            .collect();
        text.push_str(&table(
            &["USER", "EXPIRES", "RESIDUAL TIME", "ISSUER"],
            &rows,
        ));
    }
    if report.pki_dir.is_some() {
        if !text.is_empty() {
            text.push('\n');
        }
        let rows: Vec<Vec<String>> = report
            .certificates
            .iter()
            .map(|c| {
                if let Some(e) = &c.error {
                    problems.push(format!("{}: {e}", c.name));
                }
                vec![
                    c.name.clone(),
                    date(c.not_after),
                    residual(c.residual_seconds, c.error.as_ref()),
                    c.certificate_authority
                        .clone()
                        .unwrap_or_else(|| "-".into()),
                    yes_no(c.externally_managed),
                ]
            })
            .collect();
        text.push_str(&table(
            &[
                "CERTIFICATE",
                "EXPIRES",
                "RESIDUAL TIME",
                "CERTIFICATE AUTHORITY",
                "EXTERNALLY MANAGED",
            ],
            &rows,
        ));
        text.push('\n');
        let rows: Vec<Vec<String>> = report
            .certificate_authorities
            .iter()
            .map(|c| {
                vec![
                    c.name.clone(),
                    date(c.not_after),
                    residual(c.residual_seconds, None),
                    yes_no(c.externally_managed),
                ]
            })
            .collect();
        text.push_str(&table(
            &[
                "CERTIFICATE AUTHORITY",
                "EXPIRES",
                "RESIDUAL TIME",
                "EXTERNALLY MANAGED",
            ],
            &rows,
        ));
    }
    if !problems.is_empty() {
        text.push('\n');
        for p in problems {
            text.push_str(&p);
            text.push('\n');
        }
    }
    text
}
