//! The one locked write of `renew`: each user's certificate (and new key) replaces the old one
//! where it is kept — the `*-data` fields of its kubeconfig entry, or the files the entry names —
//! and nothing else changes.

use serde_json::Value;

use crate::kubeconfig::{Kubeconfigs, Section};
use crate::pki::{self, SecretPem};

use super::plan::Candidate;
use crate::kubeconfig::credentials::{self, Storage};

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
    })?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::kubeconfig::Sources;
    use crate::pki::{CertificateAuthority, KeyType, Subject};

    fn certificate(cn: &str) -> (Vec<u8>, crate::pki::CertInfo) {
        let ca = CertificateAuthority::create_self_signed(cn, 1, KeyType::EcdsaP256).unwrap();
        let pem = ca.certificate_pem().unwrap();
        let info = crate::pki::inspect_certificate(ca.certificate()).unwrap();
        (pem, info)
    }

    #[test]
    fn a_user_changed_since_it_was_read_is_not_overwritten() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config");
        let (on_disk, _) = certificate("on-disk");
        let text = format!(
            "apiVersion: v1\nkind: Config\nusers:\n- name: john\n  user:\n    client-certificate-data: {}\n    client-key-data: a2V5\n",
            credentials::encode_base64(&on_disk)
        );
        std::fs::write(&path, &text).unwrap();
        // What renew read earlier: another certificate (someone renewed john meanwhile).
        let (read_earlier, info) = certificate("read-earlier");
        let candidate = Candidate {
            name: "john".into(),
            subject: Subject {
                common_name: "john".into(),
                organizations: vec![],
            },
            old_pem: read_earlier,
            old: info,
            cert_storage: Storage::Embedded,
            key_storage: Storage::Embedded,
            key: super::super::plan::KeyPlan::New(KeyType::EcdsaP256),
            validity: Duration::from_secs(3600),
            kubeconfig: path.clone(),
        };
        let (new_pem, _) = certificate("new");
        let renewal = Renewal {
            candidate: &candidate,
            certificate_pem: new_pem,
            key: None,
        };
        let sources = Sources::from_parts(Some(&path), None, None);
        let err = write(&sources, &[renewal]).unwrap_err();
        assert!(
            err.to_string()
                .contains("changed in the kubeconfig while it was being renewed"),
            "{err}"
        );
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            text,
            "nothing written"
        );
    }
}
