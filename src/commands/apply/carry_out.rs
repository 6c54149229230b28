//! Carrying out a plan: keys in parallel and certificates signed (add's code), every kubeconfig
//! change in one locked write, then the bindings, the hand-over files and the ledger.

use std::os::unix::fs::{DirBuilderExt, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use serde_json::{Map, Value};

use crate::cluster::{self, ApiClient, ListedBinding, RoleRef, UserBinding};
use crate::error::hinted;
use crate::kubeconfig::{self, Kubeconfigs, Section};
use crate::pki::{self, CertInfo, PrivateKey, SecretPem, Subject};

use super::super::add::keys;
use super::super::add::replace::merged_user;
use super::super::add::signer::{Signed, Signer};
use super::super::{Ctx, export};
use super::marker;
use super::plan::{NewBinding, Plan, UserPlan};
use crate::kubeconfig::credentials::{self, Storage};
use crate::workflow::credential_files::{self, StagedFiles};

/// A certificate issued for a user of the plan, not yet written anywhere.
pub struct Issued<'a> {
    pub plan: &'a UserPlan,
    pub key: SecretPem,
    /// The same key, parsed: what the access check presents.
    pub private: PrivateKey,
    pub signed: Signed,
    pub info: CertInfo,
}

/// Keys and CSRs across the cores (as `add` makes them), then each signed in turn.
pub fn issue<'a>(
    ctx: &Ctx,
    rt: &tokio::runtime::Runtime,
    signer: &Signer,
    users: &[&'a UserPlan],
) -> anyhow::Result<Vec<Issued<'a>>> {
    let slow = users
        .iter()
        .filter(|u| u.wanted.key_type == pki::KeyType::Rsa4096)
        .count();
    let _spinner = (slow > 0).then(|| {
        ctx.out
            .spinner(format!("generating {slow} RSA 4096 keys..."))
    });
    let requests = keys::in_parallel(users.len(), keys::workers_for(users.len()), |i| {
        let wanted = &users[i].wanted;
        let key = PrivateKey::generate(wanted.key_type)?;
        let subject = Subject {
            common_name: wanted.name.clone(),
            organizations: wanted.groups.clone(),
        };
        let csr_pem = pki::build_csr(&key, &subject)?;
        Ok((key, csr_pem))
    })?;
    drop(_spinner);
    let mut issued = Vec::new();
    for (i, (user, (key, csr_pem))) in users.iter().zip(requests).enumerate() {
        if users.len() > 1 {
            ctx.out
                .progress(format!("[{}/{}] {}", i + 1, users.len(), user.name));
        }
        let (signed, info) = signer.issue_csr(ctx, rt, &csr_pem, user.wanted.lifetime)?;
        issued.push(Issued {
            plan: user,
            key: key.to_pem()?,
            private: key,
            signed,
            info,
        });
    }
    Ok(issued)
}

/// Every kubeconfig change of the plan in one locked write: new credentials, the `list` marker
/// on every user issued or adopted, contexts, pruned users and their contexts. Checked again under the lock against what the plan was made from,
/// so a user someone changed meanwhile is never overwritten. Returns each issued user's file.
pub fn write_kubeconfig(
    kcs: Kubeconfigs,
    cluster: &str,
    list: &str,
    plan: &Plan,
    issued: &[Issued<'_>],
) -> anyhow::Result<Vec<PathBuf>> {
    Ok(kcs.edit_again(|kcs| {
        for user in &plan.users {
            check_unchanged(kcs, &user.name, user.current_serial.as_deref())?;
        }
        for pruned in &plan.prune {
            check_unchanged(kcs, &pruned.name, pruned.current_serial.as_deref())?;
        }
        let mut staged = StagedFiles::default();
        for one in issued {
            let body = new_credentials(kcs, one, &mut staged)?;
            kcs.upsert(Section::Users, &one.plan.name, marker::marked(body, list));
        }
        staged.commit()?;
        // Adopted users keep their credentials; only the marker is added.
        for user in plan.users.iter().filter(|u| u.adopt && u.issue.is_none()) {
            let body = kcs
                .get(Section::Users, &user.name)
                .map(|e| e.value.clone())
                .expect("an adopted user exists (checked under the lock above)");
            kcs.upsert(Section::Users, &user.name, marker::marked(body, list));
        }
        for user in &plan.users {
            if let Some(change) = &user.context {
                let body = context_body(kcs, cluster, &user.name, change.namespace.as_deref());
                kcs.upsert(Section::Contexts, &change.name, body);
            }
        }
        for pruned in &plan.prune {
            for context in kcs.contexts_using(&pruned.name) {
                kcs.remove(Section::Contexts, &context);
            }
            kcs.remove(Section::Users, &pruned.name);
        }
        Ok(issued
            .iter()
            .map(|one| {
                kcs.get(Section::Users, &one.plan.name)
                    .map(|e| e.file.to_path_buf())
                    .unwrap_or_default()
            })
            .collect())
    })?)
}

/// The user entry with its new certificate and key: embedded for a new user or one whose
/// credentials were embedded; a user kept in files (`add --cert-dir`) keeps its files, replaced
/// with the others of this write (staged).
fn new_credentials(
    kcs: &Kubeconfigs,
    one: &Issued<'_>,
    staged: &mut StagedFiles,
) -> anyhow::Result<serde_json::Map<String, serde_json::Value>> {
    let (cert_pem, key_pem) = (&one.signed.certificate_pem, one.key.as_bytes());
    if let Some(entry) = kcs.get(Section::Users, &one.plan.name) {
        let (cert, key) = credential_files::storage_of(&entry);
        if (&cert, &key) != (&Storage::Embedded, &Storage::Embedded) {
            let mut body = entry.value.clone();
            staged.replace(&mut body, (&cert, &key), cert_pem, Some(key_pem))?;
            return Ok(body);
        }
    }
    Ok(merged_user(
        kcs,
        &one.plan.name,
        credentials::embedded_user(cert_pem, key_pem),
    ))
}

/// The user's certificate is still the one the plan read (or the user is still absent).
fn check_unchanged(kcs: &Kubeconfigs, name: &str, serial: Option<&str>) -> anyhow::Result<()> {
    let now = kcs.get(Section::Users, name).map(|e| {
        credentials::certificate(&e)
            .ok()
            .flatten()
            .and_then(|(pem, _)| pki::parse_certificate_pem(&pem, "a certificate").ok())
            .and_then(|c| pki::inspect_certificate(&c).ok())
            .map(|i| i.serial)
    });
    let same = match (serial, &now) {
        (None, None) => true,
        (Some(planned), Some(Some(current))) => planned == current,
        _ => false,
    };
    if same {
        return Ok(());
    }
    Err(hinted(
        format!(
            "user {name:?} changed in the kubeconfig while apply was running: nothing was written"
        ),
        "run apply again (its --dry-run shows the new plan)",
    ))
}

/// The `USER@CLUSTER` context: cluster, user and namespace as the file says, every other field
/// of an existing context kept.
fn context_body(
    kcs: &Kubeconfigs,
    cluster: &str,
    user: &str,
    namespace: Option<&str>,
) -> Map<String, Value> {
    let mut body = kcs
        .get(Section::Contexts, &kubeconfig::user_context(user, cluster))
        .map(|e| e.value.clone())
        .unwrap_or_default();
    body.insert("cluster".into(), cluster.into());
    body.insert("user".into(), user.into());
    match namespace {
        Some(ns) => body.insert("namespace".into(), ns.into()),
        None => body.remove("namespace"),
    };
    body
}

/// Before anything is issued: may we create and delete the bindings the plan changes? A
/// refusal here changes nothing.
pub fn check_binding_rights(
    rt: &tokio::runtime::Runtime,
    client: &ApiClient,
    plan: &Plan,
) -> anyhow::Result<()> {
    let mut needed: Vec<(&str, &str, Option<&str>)> = Vec::new();
    for user in &plan.users {
        if let Some(b) = &user.bind {
            needed.push(("create", "rolebindings", Some(b.namespace.as_str())));
        }
    }
    let deleted = plan
        .users
        .iter()
        .flat_map(|u| &u.unbind)
        .chain(plan.prune.iter().flat_map(|p| &p.bindings));
    for b in deleted {
        needed.push(("delete", plural(b), b.namespace.as_deref()));
    }
    needed.sort();
    needed.dedup();
    for (verb, resource, namespace) in needed {
        let check: cluster::Check = format!("{verb}:{resource}.rbac.authorization.k8s.io")
            .parse()
            .expect("a valid check");
        let may = rt.block_on(cluster::can_i(client, namespace, &[check]))?;
        if !may.iter().all(|r| r.allowed) {
            let place = namespace.map(|n| format!(" in {n}")).unwrap_or_default();
            return Err(hinted(
                format!("you may not {verb} {resource}{place}: nothing was changed"),
                format!(
                    "ask for {verb} on {resource}.rbac.authorization.k8s.io, or drop the roles (and --prune) from the file"
                ),
            ));
        }
    }
    Ok(())
}

fn plural(b: &ListedBinding) -> &'static str {
    if b.namespace.is_some() {
        "rolebindings"
    } else {
        "clusterrolebindings"
    }
}

/// Create the bindings the file asks for, delete the ones of ours it no longer does.
pub fn change_bindings(
    ctx: &Ctx,
    rt: &tokio::runtime::Runtime,
    client: &ApiClient,
    plan: &Plan,
) -> anyhow::Result<()> {
    for user in &plan.users {
        if let Some(b) = &user.bind {
            create(ctx, rt, client, &user.name, b)?;
        }
        for old in &user.unbind {
            delete(ctx, rt, client, old)?;
        }
    }
    for pruned in &plan.prune {
        for old in &pruned.bindings {
            delete(ctx, rt, client, old)?;
        }
    }
    Ok(())
}

fn create(
    ctx: &Ctx,
    rt: &tokio::runtime::Runtime,
    client: &ApiClient,
    user: &str,
    b: &NewBinding,
) -> anyhow::Result<()> {
    let role = match b.role_kind {
        "Role" => RoleRef::Role(b.role_name.clone()),
        _ => RoleRef::ClusterRole(b.role_name.clone()),
    };
    let made = rt
        .block_on(cluster::bind(client, user, &role, Some(&b.namespace)))
        .with_context(|| {
            format!("{user}'s kubeconfig entry is written, but binding the role failed")
        })?;
    ctx.out.done(format!(
        "RoleBinding {}/{} ({}/{}) {}",
        b.namespace,
        made.name,
        b.role_kind,
        b.role_name,
        if made.created {
            "created"
        } else {
            "already in place"
        }
    ));
    Ok(())
}

fn delete(
    ctx: &Ctx,
    rt: &tokio::runtime::Runtime,
    client: &ApiClient,
    b: &ListedBinding,
) -> anyhow::Result<()> {
    let target = UserBinding {
        kind: b.kind,
        name: b.name.clone(),
        namespace: b.namespace.clone(),
        role: format!("{}/{}", b.role_kind, b.role_name),
        removable: true,
        left_alone: None,
    };
    rt.block_on(cluster::delete_binding(client, &target))?;
    ctx.out
        .done(format!("deleted {}", super::report::describe(b)));
    Ok(())
}

/// `--export-dir` is checked before anything happens: a folder of ours, closed to others (it
/// will hold private keys), not a link that could send them elsewhere.
pub fn check_export_dir(dir: &Path) -> anyhow::Result<()> {
    let Ok(meta) = std::fs::symlink_metadata(dir) else {
        return Ok(()); // made 0700 when needed
    };
    if meta.file_type().is_symlink() {
        return Err(hinted(
            format!(
                "--export-dir {} is a symbolic link: the keys would go wherever it points",
                dir.display()
            ),
            "give the real folder, or a new one",
        ));
    }
    if !meta.is_dir() {
        return Err(hinted(
            format!("--export-dir {} is not a folder", dir.display()),
            "give a folder, e.g. handover/",
        ));
    }
    // SAFETY: geteuid has no preconditions and cannot fail.
    let me = unsafe { libc::geteuid() };
    let mode = meta.permissions().mode() & 0o777;
    if meta.uid() != me || mode & 0o077 != 0 {
        return Err(hinted(
            format!(
                "--export-dir {} (mode {mode:04o}, uid {}) is open to others, and it will hold private keys",
                dir.display(),
                meta.uid()
            ),
            format!(
                "use a folder of yours closed to others: `chmod 700 {}`",
                dir.display()
            ),
        ));
    }
    Ok(())
}

/// Each issued user's standalone kubeconfig as `export` writes it: DIR/USER.kubeconfig, 0600.
pub fn export_all(
    ctx: &Ctx,
    dir: &Path,
    cluster: &str,
    issued: &[Issued<'_>],
) -> anyhow::Result<Vec<(PathBuf, Vec<u8>)>> {
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .with_context(|| format!("cannot create --export-dir {}", dir.display()))?;
    check_export_dir(dir)?;
    let kcs = Kubeconfigs::load(&ctx.sources)?;
    let mut written = Vec::new();
    for one in issued {
        let name = &one.plan.name;
        let standalone = export::standalone(&kcs, name, Some(cluster), None)?;
        let path = dir.join(format!("{name}.kubeconfig"));
        // Overwritten on purpose: a re-issued user's old file holds the old certificate.
        kubeconfig::write_standalone(&path, &standalone.doc, true)?;
        written.push((path, standalone.cert));
    }
    Ok(written)
}
