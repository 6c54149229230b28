//! `export USER`: a standalone kubeconfig for one person: their cluster, their credentials
//! embedded, one context, current. Written 0600, never printed (it holds a private key).

use std::path::PathBuf;

use serde_json::{Map, Value, json};

use crate::cli::ExportArgs;
use crate::error::{Outcome, hinted};
use crate::kubeconfig::{self, Kubeconfigs, Section};
use crate::shell::quote;

use super::{Ctx, credentials, target};

pub fn run(ctx: &Ctx, args: &ExportArgs) -> anyhow::Result<Outcome> {
    let kcs = Kubeconfigs::load(&ctx.sources)?;
    let user = &args.user;
    let (cert, key) = credentials_of(&kcs, user)?;
    let place = place_of(ctx, &kcs, user)?;
    let doc = json!({
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{ "name": place.cluster_name, "cluster": place.cluster }],
        "users": [{ "name": user, "user": credentials::embedded_user(&cert, &key) }],
        "contexts": [{ "name": place.context_name, "context": place.context }],
        "current-context": place.context_name,
    });
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
    let ledger = super::record::open(ctx)?;
    kubeconfig::write_standalone(&path, &doc, args.force)?;
    super::record::save(
        ctx,
        ledger.as_ref(),
        super::record::exported(&cert, &place.cluster_name, &path)
            .into_iter()
            .collect(),
    );
    ctx.out.done(format!("wrote {} (mode 0600): hand it to {user} over a private channel; it holds their private key", path.display()));
    ctx.out.result(
        &json!({ "user": user, "context": place.context_name, "cluster": place.cluster_name, "file": path }),
        || vec![path.display().to_string()],
        String::new,
    )?;
    Ok(Outcome::Ok)
}

/// The user's certificate and key PEM: export hands over both, so both must be here.
fn credentials_of(kcs: &Kubeconfigs, user: &str) -> anyhow::Result<(Vec<u8>, Vec<u8>)> {
    let Some(user_entry) = kcs.get(Section::Users, user) else {
        return Err(hinted(
            format!("user {user:?} not found in {}", target::file_list(kcs)),
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
    Ok((cert, key))
}

/// Where the exported user logs in: the context that uses the user (its name kept), its
/// cluster made self-contained, and its namespace (`--cluster` and `-n` first).
struct Place {
    context_name: String,
    context: Map<String, Value>,
    cluster_name: String,
    cluster: Map<String, Value>,
}

fn place_of(ctx: &Ctx, kcs: &Kubeconfigs, user: &str) -> anyhow::Result<Place> {
    let context_name = target::context_for_user(kcs, user, ctx.global.cluster.as_deref())
        .ok_or_else(|| {
            hinted(
                format!("no context uses user {user:?}"),
                format!(
                    "add one: kubectl config set-context {} --cluster CLUSTER --user {}",
                    quote(&format!("{user}@CLUSTER")),
                    quote(user)
                ),
            )
        })?;
    let old_context = kcs
        .get(Section::Contexts, &context_name)
        .map(|e| e.value.clone())
        .unwrap_or_default();
    let field = |key: &str| {
        old_context
            .get(key)
            .and_then(Value::as_str)
            .map(str::to_string)
    };
    let cluster_name = ctx
        .global
        .cluster
        .clone()
        .or_else(|| field("cluster"))
        .unwrap_or_default();
    let cluster_entry = kcs.get(Section::Clusters, &cluster_name).ok_or_else(|| {
        hinted(
            format!(
                "cluster {cluster_name:?} not found in {}",
                target::file_list(kcs)
            ),
            "see `kubectl config get-clusters`",
        )
    })?;
    let cluster = self_contained_cluster(&cluster_entry)?;
    let mut context = Map::new();
    context.insert("cluster".into(), cluster_name.clone().into());
    context.insert("user".into(), user.into());
    if let Some(ns) = ctx.global.namespace.clone().or_else(|| field("namespace")) {
        context.insert("namespace".into(), ns.into());
    }
    Ok(Place {
        context_name,
        context,
        cluster_name,
        cluster,
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
