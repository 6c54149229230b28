//! The control plane's certificates: a kubeadm PKI folder's `*.crt` (and `etcd/*.crt`) and the
//! client certificates of the `*.conf` kubeconfigs beside it, each matched to the CA of the
//! folder that signed it.

use std::path::{Path, PathBuf};

use openssl::x509::X509;

use crate::kubeconfig::credentials;
use crate::kubeconfig::{Kubeconfigs, Section, Sources};
use crate::pki::{self, CertInfo};

use super::PkiCertificate;

/// The rows of the certificates and of the certificate authorities of `dir`; `due` says
/// whether a residual time (none: unreadable) needs attention.
pub(super) fn rows(
    dir: &Path,
    now: jiff::Timestamp,
    due: &dyn Fn(Option<i64>) -> bool,
) -> (Vec<PkiCertificate>, Vec<PkiCertificate>) {
    // Each row with its certificate, to match certificates to the CA that signed them.
    let mut certificates: Vec<(PkiCertificate, Option<X509>)> = Vec::new();
    let mut authorities: Vec<(PkiCertificate, X509)> = Vec::new();
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
    (
        certificates.into_iter().map(|(r, _)| r).collect(),
        authorities.into_iter().map(|(r, _)| r).collect(),
    )
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
