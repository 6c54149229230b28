//! What `add` writes: the kubeconfig user and `USER@CLUSTER` context (and, with `--cert-dir`, the
//! certificate and key files), refused when they would replace someone's credentials.

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Component, Path, PathBuf};

use anyhow::Context as _;

use crate::cli::AddArgs;
use crate::error::hinted;
use crate::kubeconfig::{Kubeconfigs, Section};
use crate::pki;

use super::IssuedUser;
use super::replace::{merged_context, merged_user};
use crate::commands::Ctx;
use crate::kubeconfig::{self, credentials};

/// An existing user or context is someone's working credential: refuse to replace it unless
/// `--force`. Checked before signing and again under the kubeconfig lock.
pub(super) fn check_conflicts(
    kcs: &Kubeconfigs,
    args: &AddArgs,
    cluster: &str,
    cert_dir: Option<&Path>,
) -> anyhow::Result<()> {
    if args.force {
        return Ok(());
    }
    for user in &args.users {
        check_entry_conflicts(kcs, user, cluster, false)?;
        if let Some(dir) = cert_dir {
            for path in cert_files(dir, user) {
                if path.exists() {
                    return Err(hinted(
                        format!("{} already exists", path.display()),
                        "pass --force to overwrite it, or choose another --cert-dir",
                    ));
                }
            }
        }
    }
    Ok(())
}

/// The user and its `USER@CLUSTER` context must not exist yet, unless `force` (`add`, `install`).
pub(crate) fn check_entry_conflicts(
    kcs: &Kubeconfigs,
    user: &str,
    cluster: &str,
    force: bool,
) -> anyhow::Result<()> {
    if force {
        return Ok(());
    }
    if let Some(entry) = kcs.get(Section::Users, user) {
        return Err(hinted(
            format!(
                "user {user:?} already exists in {} with other credentials",
                entry.file.display()
            ),
            "pass --force to replace it, or remove it first with `kubectl certuser remove`",
        ));
    }
    let context = kubeconfig::user_context(user, cluster);
    if let Some(entry) = kcs.get(Section::Contexts, &context) {
        return Err(hinted(
            format!(
                "context {context:?} already exists in {}",
                entry.file.display()
            ),
            "pass --force to replace it, or remove it first with `kubectl config delete-context`",
        ));
    }
    Ok(())
}

/// One locked write for all users, reusing the parse of `kcs` (read earlier) where the files did
/// not change since. Returns, per user, the file that holds it and how.
pub(super) fn write_kubeconfig(
    ctx: &Ctx,
    kcs: Kubeconfigs,
    args: &AddArgs,
    cluster: &str,
    cert_dir: Option<&Path>,
    issued: &[IssuedUser],
) -> anyhow::Result<Vec<(PathBuf, credentials::Storage)>> {
    let written = kcs.edit_again(|kcs| {
        check_conflicts(kcs, args, cluster, cert_dir)?;
        let mut storages = Vec::new();
        for one in issued {
            let (user_entry, storage) = match cert_dir {
                Some(dir) => {
                    let [cert_path, key_path] = cert_files(dir, &one.user);
                    pki::write_private_key(&key_path, &one.key)?;
                    // 0600 like the key, as --help promises: the pair is one person's.
                    pki::write_private_file(&cert_path, &one.signed.certificate_pem)?;
                    (
                        credentials::file_user(&cert_path, &key_path),
                        credentials::Storage::File(cert_path),
                    )
                }
                None => (
                    credentials::embedded_user(&one.signed.certificate_pem, one.key.as_bytes()),
                    credentials::Storage::Embedded,
                ),
            };
            let user_entry = merged_user(kcs, &one.user, user_entry);
            let context = merged_context(kcs, cluster, &one.user, ctx.global.namespace.as_deref());
            kcs.upsert(Section::Users, &one.user, user_entry);
            let file = kcs
                .get(Section::Users, &one.user)
                .map(|e| e.file.to_path_buf())
                .unwrap_or_default();
            kcs.upsert(
                Section::Contexts,
                &kubeconfig::user_context(&one.user, cluster),
                context,
            );
            storages.push((file, storage));
        }
        if args.use_context {
            kcs.set_current_context(&kubeconfig::user_context(&issued[0].user, cluster));
        }
        Ok(storages)
    })?;
    Ok(written)
}

pub(crate) fn context_entry(
    cluster: &str,
    user: &str,
    namespace: Option<&str>,
) -> serde_json::Map<String, serde_json::Value> {
    let mut context = serde_json::Map::new();
    context.insert("cluster".into(), cluster.into());
    context.insert("user".into(), user.into());
    if let Some(ns) = namespace {
        context.insert("namespace".into(), ns.into());
    }
    context
}

pub(super) fn cert_files(dir: &Path, user: &str) -> [PathBuf; 2] {
    [
        dir.join(format!("{user}.crt")),
        dir.join(format!("{user}.key")),
    ]
}

/// kubeconfig paths we write are absolute (a relative one would be read against the
/// kubeconfig's folder, not the folder the command ran in) and clean: no `.` or `..` segments.
/// A `..` is resolved as the kernel would, against the real folder when it exists (through a
/// symlink that is not the lexical parent).
pub(super) fn absolute(dir: &Path) -> anyhow::Result<PathBuf> {
    let joined = if dir.is_absolute() {
        dir.to_path_buf()
    } else {
        std::env::current_dir()
            .context("cannot read the current folder")?
            .join(dir)
    };
    let mut clean = PathBuf::new();
    for part in joined.components() {
        match part {
            Component::CurDir => {}
            Component::ParentDir => {
                if clean.exists() {
                    clean = std::fs::canonicalize(&clean)
                        .with_context(|| format!("cannot resolve {}", clean.display()))?;
                }
                clean.pop();
            }
            other => clean.push(other),
        }
    }
    Ok(clean)
}

/// An existing `--cert-dir` must be ours and closed to others: whoever may write into it could
/// swap the certificate, or plant a link where the key is about to be written.
pub(super) fn check_cert_dir(dir: &Path) -> anyhow::Result<()> {
    let Ok(meta) = std::fs::metadata(dir) else {
        return Ok(()); // created 0700 by us
    };
    if !meta.is_dir() {
        return Err(hinted(
            format!("--cert-dir {} is not a folder", dir.display()),
            "choose a folder, e.g. ~/.kube/certs",
        ));
    }
    // SAFETY: geteuid has no preconditions and cannot fail.
    let me = unsafe { libc::geteuid() };
    if meta.uid() != me {
        return Err(hinted(
            format!(
                "--cert-dir {} is owned by uid {}, not by you (uid {me}): its owner could read or replace the key",
                dir.display(),
                meta.uid()
            ),
            "use a folder of your own, e.g. ~/.kube/certs, or have its owner run the command",
        ));
    }
    let mode = meta.permissions().mode() & 0o777;
    if mode & 0o022 != 0 {
        return Err(hinted(
            format!(
                "--cert-dir {} is writable by {} (mode {mode:04o}): they could replace the certificate or plant a link where the key goes",
                dir.display(),
                if mode & 0o002 != 0 {
                    "everyone"
                } else {
                    "its group"
                }
            ),
            format!(
                "close it with `chmod 700 {}`, or choose another folder",
                dir.display()
            ),
        ));
    }
    Ok(())
}
