//! `export USER`: a standalone kubeconfig for one person: their cluster, their credentials
//! embedded, one context, current. Written 0600, never printed (it holds a private key).

use std::path::PathBuf;

use serde_json::{Map, Value, json};

use crate::cli::ExportArgs;
use crate::error::{Outcome, hinted};
use crate::kubeconfig::{self, Kubeconfigs, Section};
use crate::shell::quote;

use super::Ctx;
use crate::kubeconfig::credentials;
use crate::workflow::ledger_hooks;

pub fn run(ctx: &Ctx, args: &ExportArgs) -> anyhow::Result<Outcome> {
    let kcs = Kubeconfigs::load(&ctx.sources)?;
    let user = &args.user;
    let Standalone {
        doc,
        context: context_name,
        cluster: cluster_name,
        cert,
    } = standalone(
        &kcs,
        user,
        ctx.global.cluster.as_deref(),
        ctx.global.namespace.as_deref(),
    )?;
    let path = args
        .file
        .clone()
        .unwrap_or_else(|| PathBuf::from(format!("{user}.kubeconfig")));
    if args.dry_run {
        let shown = kubeconfig::redact::redact_document(doc.as_object().expect("built as a map"));
        print!(
            "# would write {} (mode 0600)\n{}",
            path.display(),
            kubeconfig::to_yaml(&serde_json::Value::Object(shown))?
        );
        return Ok(Outcome::Ok);
    }
    let ledger = ledger_hooks::open(ctx)?;
    kubeconfig::write_standalone(&path, &doc, args.force)?;
    ledger_hooks::save(
        ctx,
        ledger.as_ref(),
        ledger_hooks::exported(&cert, &cluster_name, &path)
            .into_iter()
            .collect(),
    );
    ctx.out.done(format!("wrote {} (mode 0600): hand it to {user} over a private channel; it holds their private key", path.display()));
    ctx.out.result(
        &json!({ "user": user, "context": context_name, "cluster": cluster_name, "file": path }),
        || vec![path.display().to_string()],
        String::new,
    )?;
    Ok(Outcome::Ok)
}

/// A user's standalone kubeconfig, ready to write, and what it holds.
pub(super) struct Standalone {
    pub doc: Value,
    pub context: String,
    pub cluster: String,
    /// The certificate in it (PEM), for the ledger.
    pub cert: Vec<u8>,
}

/// The standalone kubeconfig for `user` of `kcs`: `cluster` and `namespace` override the
/// context's, as --cluster and -n do for `export`.
pub(super) fn standalone(
    kcs: &Kubeconfigs,
    user: &str,
    cluster: Option<&str>,
    namespace: Option<&str>,
) -> anyhow::Result<Standalone> {
    let files = kcs.file_list();
    let Some(user_entry) = kcs.get(Section::Users, user) else {
        return Err(hinted(
            format!("user {user:?} not found in {files}"),
            "`kubectl certuser list` shows the certificate users",
        ));
    };
    let (Some((cert, _)), Some((key, _))) = (
        credentials::certificate(&user_entry)?,
        credentials::private_key(&user_entry)?,
    ) else {
        return Err(hinted(
            format!("user {user:?} has no client certificate and key here to export"),
            "for a key held by the person, hand them the certificate and cluster details instead",
        ));
    };
    let context_name = kubeconfig::context_for_user(kcs, user, cluster).ok_or_else(|| {
        hinted(
            format!("no context uses user {user:?}"),
            format!(
                "add one: kubectl config set-context {} --cluster CLUSTER --user {}",
                quote(&format!("{user}@CLUSTER")),
                quote(user)
            ),
        )
    })?;
    let context = kcs
        .get(Section::Contexts, &context_name)
        .map(|e| e.value.clone())
        .unwrap_or_default();
    let cluster_name = cluster
        .map(str::to_string)
        .or_else(|| {
            context
                .get("cluster")
                .and_then(Value::as_str)
                .map(str::to_string)
        })
        .unwrap_or_default();
    let cluster_entry = kcs.get(Section::Clusters, &cluster_name).ok_or_else(|| {
        hinted(
            format!("cluster {cluster_name:?} not found in {files}"),
            "see `kubectl config get-clusters`",
        )
    })?;
    let cluster = self_contained_cluster(&cluster_entry)?;

    let mut new_context = Map::new();
    new_context.insert("cluster".into(), cluster_name.clone().into());
    new_context.insert("user".into(), user.into());
    if let Some(ns) = namespace.map(str::to_string).or_else(|| {
        context
            .get("namespace")
            .and_then(Value::as_str)
            .map(str::to_string)
    }) {
        new_context.insert("namespace".into(), ns.into());
    }
    let doc = json!({
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{ "name": cluster_name, "cluster": cluster }],
        "users": [{ "name": user, "user": credentials::embedded_user(&cert, &key) }],
        "contexts": [{ "name": context_name, "context": new_context }],
        "current-context": context_name,
    });
    Ok(Standalone {
        doc,
        context: context_name,
        cluster: cluster_name,
        cert,
    })
}

/// The cluster entry with a CA file turned into `certificate-authority-data`: the file's path
/// means nothing on the other person's machine.
pub(super) fn self_contained_cluster(
    entry: &kubeconfig::Entry<'_>,
) -> anyhow::Result<Map<String, Value>> {
    let mut cluster = entry.value.clone();
    if let Some(path) = cluster
        .get("certificate-authority")
        .and_then(Value::as_str)
        .map(str::to_string)
    {
        let resolved = entry.resolve_path(&path);
        let pem = std::fs::read(&resolved).map_err(|e| {
            anyhow::anyhow!(
                "cannot read cluster {:?}'s certificate-authority {}: {e}",
                entry.name,
                resolved.display()
            )
        })?;
        cluster.remove("certificate-authority");
        cluster.insert(
            "certificate-authority-data".into(),
            credentials::encode_base64(&pem).into(),
        );
    }
    Ok(cluster)
}
