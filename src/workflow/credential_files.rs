//! A user's new certificate and key put where the old ones are kept: the `*-data` fields of its
//! kubeconfig entry, or the files the entry names. Files are staged (written and fsynced beside
//! their targets) and only put in place once every file of the change is staged, so a file that
//! cannot be written leaves certificate and key both old, never a new one beside an old one.

use std::path::Path;

use anyhow::Context;
use serde_json::{Map, Value};

use crate::atomic_file::{self, Staged};
use crate::kubeconfig::Entry;
use crate::kubeconfig::credentials::{self, Storage};

/// Where an entry keeps its certificate and its key, without reading either.
pub fn storage_of(entry: &Entry<'_>) -> (Storage, Storage) {
    let one = |data_key: &str, file_key: &str| {
        let field = |k: &str| {
            entry
                .value
                .get(k)
                .and_then(Value::as_str)
                .filter(|s| !s.is_empty())
        };
        match (field(data_key), field(file_key)) {
            (None, Some(path)) => Storage::File(entry.resolve_path(path)),
            _ => Storage::Embedded,
        }
    };
    (
        one("client-certificate-data", "client-certificate"),
        one("client-key-data", "client-key"),
    )
}

/// Files staged for one change, put in place together by [`StagedFiles::commit`]; dropped
/// uncommitted, every temp file is removed.
#[derive(Default)]
pub struct StagedFiles(Vec<Staged>);

impl StagedFiles {
    /// Put `cert_pem` (and `key_pem`, when the key changes) where `cert`/`key` say: into `body`
    /// for embedded ones, staged files for the others.
    pub fn replace(
        &mut self,
        body: &mut Map<String, Value>,
        (cert, key): (&Storage, &Storage),
        cert_pem: &[u8],
        key_pem: Option<&[u8]>,
    ) -> anyhow::Result<()> {
        self.put(body, cert, "client-certificate-data", cert_pem, 0o644)?;
        match key_pem {
            Some(pem) => self.put(body, key, "client-key-data", pem, 0o600),
            None => Ok(()),
        }
    }

    /// One credential: `data_key` in `body` when embedded, else a staged file (`mode`).
    fn put(
        &mut self,
        body: &mut Map<String, Value>,
        storage: &Storage,
        data_key: &str,
        pem: &[u8],
        mode: u32,
    ) -> anyhow::Result<()> {
        match storage {
            Storage::Embedded => {
                body.insert(data_key.into(), credentials::encode_base64(pem).into());
            }
            Storage::File(path) => self.0.push(stage(path, pem, mode)?),
        }
        Ok(())
    }

    /// Rename every staged file over its target.
    pub fn commit(self) -> anyhow::Result<()> {
        for file in self.0 {
            file.commit()
                .context("cannot put a renewed file in place")?;
        }
        Ok(())
    }
}

/// A certificate (0644) or key (0600) file's new content, staged beside it; missing folders are
/// made 0700, as `pki::write_private_key` does.
fn stage(path: &Path, bytes: &[u8], mode: u32) -> anyhow::Result<Staged> {
    atomic_file::create_private_dir(&atomic_file::folder_of(path))
        .and_then(|()| atomic_file::stage(path, &[bytes], mode, |_| Ok(())))
        .with_context(|| format!("cannot write {}: nothing was changed", path.display()))
}
