//! A request waiting for its certificate: `request` writes the key and this record beside it,
//! `install` finds the record by the certificate's public key (never by a name someone typed).

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::kubeconfig::Sources;

const SUFFIX: &str = ".request.json";

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Pending {
    pub user: String,
    pub groups: Vec<String>,
    pub key_type: String,
    /// The private key file (0600), absolute.
    pub key: PathBuf,
    /// SHA-256 of the key's SubjectPublicKeyInfo, hex: what the certificate must carry.
    pub public_key_der_sha256: String,
    pub created: jiff::Timestamp,
}

/// Where `request` puts the key and record: `--cert-dir`, else the kubeconfig's folder.
pub fn folder(sources: &Sources, cert_dir: Option<&Path>) -> anyhow::Result<PathBuf> {
    let dir = match cert_dir {
        Some(dir) => dir.to_path_buf(),
        None => sources
            .default_write_file()
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default(),
    };
    if dir.is_absolute() {
        return Ok(dir);
    }
    Ok(std::env::current_dir()?.join(dir))
}

pub fn record_path(dir: &Path, user: &str) -> PathBuf {
    dir.join(format!("{user}{SUFFIX}"))
}

pub fn key_path(dir: &Path, user: &str) -> PathBuf {
    dir.join(format!("{user}.key"))
}

pub fn write(dir: &Path, pending: &Pending) -> anyhow::Result<()> {
    let text = serde_json::to_string_pretty(pending)? + "\n";
    // Not a secret, but nobody else's business: private like the key beside it.
    crate::pki::write_private_file(&record_path(dir, &pending.user), text.as_bytes())?;
    Ok(())
}

/// The pending request in `dir` whose key the certificate carries, with its record's path.
pub fn find(dir: &Path, public_key_der_sha256: &str) -> Option<(Pending, PathBuf)> {
    let entries = std::fs::read_dir(dir).ok()?;
    entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.to_string_lossy().ends_with(SUFFIX))
        .find_map(|path| {
            let pending: Pending = serde_json::from_slice(&std::fs::read(&path).ok()?).ok()?;
            (pending.public_key_der_sha256 == public_key_der_sha256).then_some((pending, path))
        })
}
