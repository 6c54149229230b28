use std::path::PathBuf;

/// Each variant names the file; the fix, where we know it, is [`KubeconfigError::hint`], printed
/// on its own `hint:` line.

#[derive(Debug, thiserror::Error)]
pub enum KubeconfigError {
    #[error("{path} is not valid YAML ({detail}); nothing was changed")]
    Parse { path: PathBuf, detail: String },
    #[error("{path}: {what}; nothing was changed")]
    Invalid { path: PathBuf, what: String },
    /// `--kubeconfig` names one file, and only that one: kubectl creates it with a first entry.
    #[error(
        "kubeconfig {path} does not exist: create it with `kubectl --kubeconfig {} config set-cluster NAME --server URL --certificate-authority ca.crt`, or check the path",
        crate::shell::quote(&path.display().to_string())
    )]
    NotFound { path: PathBuf },
    #[error("cannot read {path}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot write {path}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "{path} is still locked ({holder}): if no kubectl or kubectl-certuser is running, delete {lock}"
    )]
    Locked {
        path: PathBuf,
        lock: PathBuf,
        holder: String,
    },
    /// A signal came while we waited for another writer's lock, with a lock of ours held.
    #[error("interrupted by {signal} while waiting for the lock of {path}; nothing was written")]
    Interrupted { path: PathBuf, signal: &'static str },
    #[error("{path} is a symbolic link to {target}: refusing to write a private key through it")]
    Symlink { path: PathBuf, target: PathBuf },
    #[error("{path} already exists")]
    Exists { path: PathBuf },
    /// A user's (or cluster's) `*-data` field that does not decode.
    #[error("user {user:?} in {file}: {key} is not valid base64")]
    Base64 {
        user: String,
        file: PathBuf,
        key: String,
    },
    /// A certificate, key or CA file a kubeconfig entry names, resolved against its folder.
    #[error("user {user:?} in {file}: cannot read {key} {path}")]
    ReadCredential {
        user: String,
        file: PathBuf,
        key: String,
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot render the kubeconfig as YAML: {0}")]
    Render(String),
    /// The caller's change inside an edit failed (a conflict seen under the lock, a file written
    /// beside the kubeconfig): its own message, causes and hint; nothing was written.
    #[error(transparent)]
    Change(anyhow::Error),
}

impl KubeconfigError {
    /// The fix, for the `hint:` line (`error::hint_of` finds it in an error chain).
    pub fn hint(&self) -> Option<String> {
        match self {
            KubeconfigError::Parse { .. } => {
                Some("fix it, or point --kubeconfig/KUBECONFIG elsewhere".into())
            }
            KubeconfigError::Symlink { .. } => {
                Some("remove the link or choose another file".into())
            }
            KubeconfigError::Exists { .. } => Some("pass --force to overwrite it".into()),
            KubeconfigError::Change(err) => crate::error::hint_of(err),
            _ => None,
        }
    }
}
