//! The one locked write of `renew`: each user's certificate (and new key) replaces the old one
//! where it is kept — the `*-data` fields of its kubeconfig entry, or the files the entry names —
//! and nothing else changes.

use serde_json::Value;

use crate::kubeconfig::{Kubeconfigs, Section};
use crate::pki::{self, SecretPem};

use super::super::credentials::{self, Storage};
use super::plan::Candidate;

/// A certificate in hand for a candidate; `key` is None when the old key is kept.
pub struct Renewal<'a> {
    pub candidate: &'a Candidate,
    pub certificate_pem: Vec<u8>,
    pub key: Option<SecretPem>,
}

pub fn write(sources: &crate::kubeconfig::Sources, renewals: &[Renewal<'_>]) -> anyhow::Result<()> {
    Kubeconfigs::edit(sources, |kcs| {
        // Under the lock, before anything is written: another writer may have renewed first.
        for r in renewals {
            let name = &r.candidate.name;
            let current = kcs
                .get(Section::Users, name)
                .map(|e| credentials::certificate(&e))
                .transpose()?
                .flatten()
                .map(|(pem, _)| pem);
            if current.as_deref() != Some(r.candidate.old_pem.as_slice()) {
                anyhow::bail!(
                    "user {name:?} changed in the kubeconfig while it was being renewed: nothing was written; run renew again"
                );
            }
        }
        for r in renewals {
            let c = r.candidate;
            let entry = kcs
                .get(Section::Users, &c.name)
                .expect("checked under the lock above");
            let mut body = entry.value.clone();
            match &c.cert_storage {
                Storage::Embedded => {
                    body.insert(
                        "client-certificate-data".into(),
                        Value::String(credentials::encode_base64(&r.certificate_pem)),
                    );
                }
                Storage::File(path) => pki::write_public_file(path, &r.certificate_pem)?,
            }
            if let Some(key) = &r.key {
                match &c.key_storage {
                    Storage::Embedded => {
                        body.insert(
                            "client-key-data".into(),
                            Value::String(credentials::encode_base64(key.as_bytes())),
                        );
                    }
                    Storage::File(path) => pki::write_private_key(path, key)?,
                }
            }
            if &body != entry.value {
                kcs.upsert(Section::Users, &c.name, body);
            }
        }
        Ok(())
    })
}
