//! A kubeconfig user's client certificate and key: where they are (embedded `*-data` or a file
//! path relative to the kubeconfig that names it) and how a new user entry is written.

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use serde::Serialize;
use serde_json::{Map, Value};

use crate::kubeconfig::Entry;

#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase", tag = "kind", content = "path")]
pub enum Storage {
    /// `client-certificate-data` in the kubeconfig.
    Embedded,
    /// `client-certificate`, resolved against the kubeconfig's folder.
    File(PathBuf),
}

impl Storage {
    pub fn label(&self) -> String {
        match self {
            Storage::Embedded => "embedded".into(),
            Storage::File(p) => p.display().to_string(),
        }
    }
}

/// The user's certificate PEM, if the user authenticates with one.
pub fn certificate(entry: &Entry<'_>) -> anyhow::Result<Option<(Vec<u8>, Storage)>> {
    read(entry, "client-certificate-data", "client-certificate")
}

/// The user's private key PEM. Only `export` needs it; it never reaches output.
pub fn private_key(entry: &Entry<'_>) -> anyhow::Result<Option<(Vec<u8>, Storage)>> {
    read(entry, "client-key-data", "client-key")
}

fn read(
    entry: &Entry<'_>,
    data_key: &str,
    file_key: &str,
) -> anyhow::Result<Option<(Vec<u8>, Storage)>> {
    if let Some(data) = entry
        .value
        .get(data_key)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
    {
        let bytes = decode_base64(data).with_context(|| {
            format!(
                "user {:?} in {}: {data_key} is not valid base64",
                entry.name,
                entry.file.display()
            )
        })?;
        return Ok(Some((bytes, Storage::Embedded)));
    }
    if let Some(path) = entry
        .value
        .get(file_key)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
    {
        let resolved = entry.resolve_path(path);
        let bytes = std::fs::read(&resolved).with_context(|| {
            format!(
                "user {:?} in {}: cannot read {file_key} {}",
                entry.name,
                entry.file.display(),
                resolved.display()
            )
        })?;
        return Ok(Some((bytes, Storage::File(resolved))));
    }
    Ok(None)
}

/// A cluster's CA bundle (`certificate-authority-data`, or the `certificate-authority` file), if
/// the kubeconfig names one.
pub fn cluster_ca(entry: &Entry<'_>) -> anyhow::Result<Option<Vec<u8>>> {
    read(entry, "certificate-authority-data", "certificate-authority")
        .map(|r| r.map(|(pem, _)| pem))
}

/// A user entry with certificate and key embedded, as `kubectl config set-credentials --embed-certs`.
pub fn embedded_user(cert_pem: &[u8], key_pem: &[u8]) -> Map<String, Value> {
    let mut user = Map::new();
    user.insert(
        "client-certificate-data".into(),
        encode_base64(cert_pem).into(),
    );
    user.insert("client-key-data".into(), encode_base64(key_pem).into());
    user
}

/// A user entry referencing files by absolute path.
pub fn file_user(cert: &Path, key: &Path) -> Map<String, Value> {
    let mut user = Map::new();
    user.insert(
        "client-certificate".into(),
        cert.display().to_string().into(),
    );
    user.insert("client-key".into(), key.display().to_string().into());
    user
}

pub fn encode_base64(bytes: &[u8]) -> String {
    openssl::base64::encode_block(bytes)
}

pub fn decode_base64(text: &str) -> anyhow::Result<Vec<u8>> {
    // kubeconfigs written by hand sometimes wrap base64 across lines.
    let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    Ok(openssl::base64::decode_block(&compact)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_round_trip_ignores_line_breaks() {
        let encoded = encode_base64(b"-----BEGIN CERTIFICATE-----\nabc\n");
        let wrapped = format!("{}\n{}", &encoded[..10], &encoded[10..]);
        assert_eq!(
            decode_base64(&wrapped).unwrap(),
            b"-----BEGIN CERTIFICATE-----\nabc\n"
        );
        assert!(decode_base64("not base64!").is_err());
    }
}
