//! A kubeconfig user's client certificate and key: where they are (embedded `*-data` or a file
//! path relative to the kubeconfig that names it) and how a new user entry is written.

use std::path::{Path, PathBuf};

use serde::Serialize;
use serde_json::{Map, Value};

use super::{Entry, KubeconfigError};

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
pub fn certificate(entry: &Entry<'_>) -> Result<Option<(Vec<u8>, Storage)>, KubeconfigError> {
    read(entry, "client-certificate-data", "client-certificate")
}

/// The user's private key PEM. Only `export` needs it; it never reaches output.
pub fn private_key(entry: &Entry<'_>) -> Result<Option<(Vec<u8>, Storage)>, KubeconfigError> {
    read(entry, "client-key-data", "client-key")
}

fn read(
    entry: &Entry<'_>,
    data_key: &str,
    file_key: &str,
) -> Result<Option<(Vec<u8>, Storage)>, KubeconfigError> {
    if let Some(data) = entry
        .value
        .get(data_key)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
    {
        let bytes = decode_base64(data).map_err(|_| KubeconfigError::Base64 {
            user: entry.name.to_string(),
            file: entry.file.to_path_buf(),
            key: data_key.to_string(),
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
        let bytes = std::fs::read(&resolved).map_err(|source| KubeconfigError::ReadCredential {
            user: entry.name.to_string(),
            file: entry.file.to_path_buf(),
            key: file_key.to_string(),
            path: resolved.clone(),
            source,
        })?;
        return Ok(Some((bytes, Storage::File(resolved))));
    }
    Ok(None)
}

/// A cluster's CA bundle (`certificate-authority-data`, or the `certificate-authority` file), if
/// the kubeconfig names one.
pub fn cluster_ca(entry: &Entry<'_>) -> Result<Option<Vec<u8>>, KubeconfigError> {
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

pub fn decode_base64(text: &str) -> Result<Vec<u8>, openssl::error::ErrorStack> {
    // kubeconfigs written by hand sometimes wrap base64 across lines; most do not, and copying
    // each of 10,000 certificates char by char cost `list` more than decoding them.
    let unwrapped = text
        .bytes()
        .all(|b| b.is_ascii() && !char::from(b).is_whitespace());
    if unwrapped {
        return openssl::base64::decode_block(text);
    }
    let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    openssl::base64::decode_block(&compact)
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

    #[test]
    fn unreadable_credentials_are_kubeconfig_errors_naming_user_file_and_field() {
        let file = Path::new("/nowhere/config");
        let bad_data = serde_json::json!({ "client-certificate-data": "not base64!" });
        let entry = Entry {
            name: "john",
            value: bad_data.as_object().unwrap(),
            file,
        };
        let err = certificate(&entry).unwrap_err();
        assert!(matches!(err, KubeconfigError::Base64 { .. }), "{err:?}");
        assert_eq!(
            err.to_string(),
            "user \"john\" in /nowhere/config: client-certificate-data is not valid base64"
        );

        let missing = serde_json::json!({ "client-key": "john.key" });
        let entry = Entry {
            name: "john",
            value: missing.as_object().unwrap(),
            file,
        };
        let err = private_key(&entry).unwrap_err();
        // The path is resolved against the kubeconfig's folder, and the OS's reason is the source.
        assert_eq!(
            err.to_string(),
            "user \"john\" in /nowhere/config: cannot read client-key /nowhere/john.key"
        );
        let source = std::error::Error::source(&err).expect("the io error");
        assert!(source.downcast_ref::<std::io::Error>().is_some());
    }
}
