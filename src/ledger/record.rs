//! One ledger line. Field names are a stable contract (camelCase JSON), read back by `issued` and
//! by anyone's own scripts on a shared ledger.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::pki::CertInfo;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Event {
    /// A certificate was issued or signed (`add`, `renew`, `sign`).
    Issued,
    /// A certificate already issued was written somewhere else for hand-over (`export`).
    Exported,
}

/// Where a certificate went.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", tag = "kind")]
pub enum Destination {
    /// A user entry of a kubeconfig file.
    Kubeconfig { file: PathBuf, user: String },
    /// A standalone kubeconfig for the person (`export`).
    ExportFile { file: PathBuf },
    /// The bare certificate, for someone who holds the key (`sign --file`).
    CertificateFile { file: PathBuf },
    /// Printed to standard output (`sign` without a file).
    Stdout,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Record {
    pub event: Event,
    /// When this line was written.
    pub recorded_at: jiff::Timestamp,
    /// `user@host` of whoever ran the command.
    pub recorded_by: String,
    /// The verb: add, renew, sign, export.
    pub verb: String,
    /// Lower-case hex, as `openssl x509 -serial` prints it (up to case).
    pub serial: String,
    /// `AA:BB:...`, as `openssl x509 -fingerprint -sha256`.
    pub sha256_fingerprint: String,
    pub common_name: String,
    pub groups: Vec<String>,
    pub issuer: String,
    pub not_before: jiff::Timestamp,
    pub not_after: jiff::Timestamp,
    /// `local-ca` or `csr-api`; none for an export.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signed_by: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub csr_name: Option<String>,
    /// The kubeconfig cluster the certificate is for, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster: Option<String>,
    pub destinations: Vec<Destination>,
}

impl Record {
    /// A line for `info`, taken from the certificate itself: nothing here can be secret.
    pub fn new(event: Event, verb: &str, info: &CertInfo, cluster: Option<String>) -> Record {
        Record {
            event,
            recorded_at: jiff::Timestamp::now(),
            recorded_by: local_user(),
            verb: verb.into(),
            serial: info.serial.clone(),
            sha256_fingerprint: info.sha256_fingerprint.clone(),
            common_name: info.common_name.clone().unwrap_or_default(),
            groups: info.groups.clone(),
            issuer: info.issuer.clone(),
            not_before: info.not_before,
            not_after: info.not_after,
            signed_by: None,
            csr_name: None,
            cluster,
            destinations: Vec::new(),
        }
    }

    pub fn signed(mut self, signed_by: &str, csr_name: Option<String>) -> Record {
        self.signed_by = Some(signed_by.into());
        self.csr_name = csr_name;
        self
    }

    pub fn to(mut self, destination: Destination) -> Record {
        self.destinations.push(destination);
        self
    }
}

/// `user@host`: on a shared ledger, who issued it and from where. Looked up once per process
/// (it may read /etc/passwd).
pub fn local_user() -> String {
    static LOCAL_USER: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    LOCAL_USER.get_or_init(look_up_local_user).clone()
}

fn look_up_local_user() -> String {
    let user = ["USER", "LOGNAME"]
        .iter()
        .find_map(|v| std::env::var(v).ok().filter(|u| !u.is_empty()))
        .or_else(account_name)
        // SAFETY: getuid has no preconditions and cannot fail.
        .unwrap_or_else(|| format!("uid {}", unsafe { libc::getuid() }));
    let mut buf = [0u8; 256];
    // SAFETY: the buffer is valid for its length; gethostname NUL-terminates within it or fails.
    let host = (unsafe { libc::gethostname(buf.as_mut_ptr().cast(), buf.len()) } == 0)
        .then(|| {
            let end = buf.iter().position(|&b| b == 0).unwrap_or(buf.len());
            String::from_utf8_lossy(&buf[..end]).into_owned()
        })
        .filter(|h| !h.is_empty());
    match host {
        Some(host) => format!("{user}@{host}"),
        None => user,
    }
}

/// The account name of this process's user, when the environment names none (cron, sudo -i).
fn account_name() -> Option<String> {
    let mut pwd: libc::passwd = unsafe { std::mem::zeroed() };
    let mut buf = vec![0 as libc::c_char; 4096];
    let mut found: *mut libc::passwd = std::ptr::null_mut();
    // SAFETY: every pointer is valid for the sizes given; getpwuid_r writes only into them.
    let rc = unsafe {
        libc::getpwuid_r(
            libc::getuid(),
            &mut pwd,
            buf.as_mut_ptr(),
            buf.len(),
            &mut found,
        )
    };
    if rc != 0 || found.is_null() || pwd.pw_name.is_null() {
        return None;
    }
    // SAFETY: on success pw_name points to a NUL-terminated string inside `buf`.
    let name = unsafe { std::ffi::CStr::from_ptr(pwd.pw_name) };
    Some(name.to_string_lossy().into_owned()).filter(|n| !n.is_empty())
}
