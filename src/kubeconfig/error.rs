use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum KubeconfigError {
    #[error(
        "{path} is not valid YAML ({detail}): fix it, or point --kubeconfig/KUBECONFIG elsewhere; nothing was changed"
    )]
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
    #[error(
        "{path} is a symbolic link to {target}: refusing to write a private key through it; remove the link or choose another file"
    )]
    Symlink { path: PathBuf, target: PathBuf },
    #[error("{path} already exists: pass --force to overwrite it")]
    Exists { path: PathBuf },
    #[error("cannot render the kubeconfig as YAML: {0}")]
    Render(String),
}
