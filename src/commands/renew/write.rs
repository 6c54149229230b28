//! The one locked write of `renew`: each user's certificate (and new key) replaces the old one
//! where it is kept — the `*-data` fields of its kubeconfig entry, or the files the entry names —
//! and nothing else changes.

use crate::kubeconfig::{Kubeconfigs, Section};
use crate::pki::SecretPem;

use super::plan::Candidate;
use crate::kubeconfig::credentials;
use crate::workflow::credential_files::StagedFiles;

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
        let mut staged = StagedFiles::default();
        let mut bodies = Vec::new();
        for r in renewals {
            let c = r.candidate;
            let entry = kcs
                .get(Section::Users, &c.name)
                .expect("checked under the lock above");
            let mut body = entry.value.clone();
            let key = r.key.as_ref().map(SecretPem::as_bytes);
            staged.replace(
                &mut body,
                (&c.cert_storage, &c.key_storage),
                &r.certificate_pem,
                key,
            )?;
            if &body != entry.value {
                bodies.push((c.name.clone(), body));
            }
        }
        staged.commit()?;
        for (name, body) in bodies {
            kcs.upsert(Section::Users, &name, body);
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
    use crate::kubeconfig::credentials::Storage;
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

    #[test]
    fn a_key_file_that_cannot_be_written_leaves_the_certificate_file_as_it_was() {
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("config");
        let (cert_path, key_path) = (
            dir.path().join("john.crt"),
            dir.path().join("blocked/john.key"),
        );
        // A file where the key's folder should be: no temp file can be made there, even as root.
        std::fs::write(dir.path().join("blocked"), "a file, not a folder").unwrap();
        let (old_pem, info) = certificate("old");
        std::fs::write(&cert_path, &old_pem).unwrap();
        let text = format!(
            "apiVersion: v1\nkind: Config\nusers:\n- name: john\n  user:\n    client-certificate: {}\n    client-key: {}\n",
            cert_path.display(),
            key_path.display()
        );
        std::fs::write(&config, &text).unwrap();
        let candidate = Candidate {
            name: "john".into(),
            subject: Subject {
                common_name: "john".into(),
                organizations: vec![],
            },
            old_pem: old_pem.clone(),
            old: info,
            cert_storage: Storage::File(cert_path.clone()),
            key_storage: Storage::File(key_path),
            key: super::super::plan::KeyPlan::New(KeyType::EcdsaP256),
            validity: Duration::from_secs(3600),
            kubeconfig: config.clone(),
        };
        let key = crate::pki::PrivateKey::generate(KeyType::EcdsaP256).unwrap();
        let renewal = Renewal {
            candidate: &candidate,
            certificate_pem: certificate("new").0,
            key: Some(key.to_pem().unwrap()),
        };
        let sources = Sources::from_parts(Some(&config), None, None);
        write(&sources, &[renewal]).unwrap_err();
        assert_eq!(
            std::fs::read(&cert_path).unwrap(),
            old_pem,
            "a new certificate beside the old key"
        );
        assert_eq!(std::fs::read_to_string(&config).unwrap(), text);
        let mut names: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        assert_eq!(
            names,
            ["blocked", "config", "john.crt"],
            "no temp file left"
        );
    }
}
