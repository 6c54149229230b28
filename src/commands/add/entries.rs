//! What `add` writes: the kubeconfig user and `USER@CLUSTER` context (and, with `--cert-dir`, the
//! certificate and key files), refused when they would replace someone's credentials.

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Component, Path, PathBuf};

use anyhow::Context as _;

use crate::cli::AddArgs;
use crate::error::hinted;
use crate::kubeconfig::{Kubeconfigs, Section};
use crate::pki;

use super::Issued;
use crate::commands::{Ctx, credentials, names, target};

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
        if let Some(entry) = kcs.get(Section::Users, user) {
            return Err(hinted(
                format!(
                    "user {user:?} already exists in {} with other credentials",
                    entry.file.display()
                ),
                "pass --force to replace it, or remove it first with `kubectl certuser remove`",
            ));
        }
        let context = target::user_context(user, cluster);
        if let Some(entry) = kcs.get(Section::Contexts, &context) {
            return Err(hinted(
                format!(
                    "context {context:?} already exists in {}",
                    entry.file.display()
                ),
                "pass --force to replace it, or remove it first with `kubectl config delete-context`",
            ));
        }
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

/// The user fields that authenticate, or choose whom to act as. `--force` replaces them all, so
/// an old token or exec plugin never rides along with the new certificate; every other field
/// (extensions, fields we do not know) is kept.
const CREDENTIAL_FIELDS: [&str; 14] = [
    "client-certificate",
    "client-certificate-data",
    "client-key",
    "client-key-data",
    "token",
    "tokenFile",
    "username",
    "password",
    "exec",
    "auth-provider",
    "as",
    "as-uid",
    "as-groups",
    "as-user-extra",
];

/// What `add --force` replaces of an existing user, and what it keeps.
pub(super) struct Replacing {
    pub file: PathBuf,
    /// The credential fields the old entry had.
    pub fields: Vec<String>,
    /// The groups of the old certificate, if it has one we can read.
    pub groups: Option<Vec<String>>,
    /// The existing `USER@CLUSTER` context's namespace, if any.
    pub namespace: Option<String>,
    pub context_exists: bool,
}

/// What an existing user (and its context) look like to `--force`; `None` for a new user.
pub(super) fn replacing(kcs: &Kubeconfigs, user: &str, cluster: &str) -> Option<Replacing> {
    let entry = kcs.get(Section::Users, user)?;
    let fields = entry
        .value
        .keys()
        .filter(|k| CREDENTIAL_FIELDS.contains(&k.as_str()))
        .cloned()
        .collect();
    // An unreadable old certificate only means there are no groups to keep.
    let groups = credentials::certificate(&entry)
        .ok()
        .flatten()
        .and_then(|(pem, _)| pki::parse_certificate_pem(&pem, "the old certificate").ok())
        .and_then(|cert| pki::inspect_certificate(&cert).ok())
        .map(|info| info.groups);
    let context = kcs.get(Section::Contexts, &target::user_context(user, cluster));
    Some(Replacing {
        file: entry.file.to_path_buf(),
        fields,
        groups,
        namespace: context
            .and_then(|c| c.value.get("namespace"))
            .and_then(serde_json::Value::as_str)
            .map(str::to_string),
        context_exists: context.is_some(),
    })
}

/// Per user: the groups to put in the certificate and the namespace its context will have.
/// Under `--force` an existing user keeps its old certificate's groups and its context's
/// namespace unless `-g`/`-n` say otherwise, and we say what is replaced and what is kept.
pub(super) fn plan_users(
    ctx: &Ctx,
    args: &AddArgs,
    kcs: &Kubeconfigs,
    cluster: &str,
    groups: &[String],
    policy: names::GroupPolicy,
) -> anyhow::Result<Vec<(Vec<String>, Option<String>)>> {
    let mut plans = Vec::new();
    for user in &args.users {
        let old = args.force.then(|| replacing(kcs, user, cluster)).flatten();
        let Some(old) = old else {
            plans.push((groups.to_vec(), ctx.global.namespace.clone()));
            continue;
        };
        let mut kept = Vec::new();
        let user_groups = match (&old.groups, args.groups.is_empty()) {
            (Some(previous), true) if !previous.is_empty() => {
                for group in previous {
                    names::check_group(group, policy).map_err(|e| {
                        anyhow::anyhow!("{user}'s current certificate has group {group:?}: {e:#}")
                    })?;
                }
                kept.push(format!(
                    "the groups {} (pass -g to change them)",
                    previous.join(", ")
                ));
                previous.clone()
            }
            _ => groups.to_vec(),
        };
        let namespace = match (&ctx.global.namespace, &old.namespace) {
            (Some(given), _) => Some(given.clone()),
            (None, Some(previous)) => {
                kept.push(format!("namespace {previous} (pass -n to change it)"));
                Some(previous.clone())
            }
            (None, None) => None,
        };
        let context = target::user_context(user, cluster);
        let fields = if old.fields.is_empty() {
            "no credentials".to_string()
        } else {
            old.fields.join(", ")
        };
        ctx.out.warn(format!(
            "replacing user {user} in {} (its {fields}){}{}",
            old.file.display(),
            if old.context_exists {
                format!(" and updating context {context}")
            } else {
                String::new()
            },
            if kept.is_empty() {
                String::new()
            } else {
                format!("; keeping {}", kept.join(" and "))
            }
        ));
        plans.push((user_groups, namespace));
    }
    Ok(plans)
}

/// The user body to write: the new credentials, beside the non-credential fields of an
/// existing entry of that name.
pub(super) fn merged_user(
    kcs: &Kubeconfigs,
    user: &str,
    credentials: serde_json::Map<String, serde_json::Value>,
) -> serde_json::Map<String, serde_json::Value> {
    let mut body = kcs
        .get(Section::Users, user)
        .map(|e| e.value.clone())
        .unwrap_or_default();
    body.retain(|k, _| !CREDENTIAL_FIELDS.contains(&k.as_str()));
    body.extend(credentials);
    body
}

/// The `USER@CLUSTER` context to write: cluster and user set, the namespace set when one was
/// given, and everything else of an existing context kept (its namespace too).
pub(super) fn merged_context(
    kcs: &Kubeconfigs,
    cluster: &str,
    user: &str,
    namespace: Option<&str>,
) -> serde_json::Map<String, serde_json::Value> {
    let fresh = context_entry(cluster, user, namespace);
    let Some(existing) = kcs.get(Section::Contexts, &target::user_context(user, cluster)) else {
        return fresh;
    };
    let mut body = existing.value.clone();
    body.extend(fresh);
    body
}

/// One locked write for all users. Returns, per user, the file that holds it and how.
pub(super) fn write_kubeconfig(
    ctx: &Ctx,
    args: &AddArgs,
    cluster: &str,
    cert_dir: Option<&Path>,
    issued: &[Issued],
) -> anyhow::Result<Vec<(PathBuf, credentials::Storage)>> {
    let storages = Kubeconfigs::edit(&ctx.sources, |kcs| {
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
            kcs.upsert(
                Section::Contexts,
                &target::user_context(&one.user, cluster),
                context,
            );
            storages.push(storage);
        }
        if args.use_context {
            kcs.set_current_context(&target::user_context(&issued[0].user, cluster));
        }
        Ok(storages)
    })?;
    let kcs = Kubeconfigs::load(&ctx.sources)?;
    Ok(issued
        .iter()
        .zip(storages)
        .map(|(one, storage)| {
            let file = kcs
                .get(Section::Users, &one.user)
                .map(|e| e.file.to_path_buf())
                .unwrap_or_default();
            (file, storage)
        })
        .collect())
}

pub(super) fn context_entry(
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
