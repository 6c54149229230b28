//! `add --dry-run`: the kubeconfig diff and the API objects `add` would create. No key is made,
//! no object created, no file written. The kubeconfig texts come redacted from
//! `Kubeconfigs::plan`: other users' keys and tokens never reach the diff or the dump.

use std::time::Duration;

use serde_json::json;

use crate::cli::AddArgs;
use crate::cluster::RoleRef;
use crate::error::Outcome;
use crate::kubeconfig::{Kubeconfigs, Section, redact};

use super::entries::cert_files;
use super::replace::{merged_context, merged_user};
use super::role_ref;
use super::signer::Signer;
use crate::commands::{Ctx, credentials, target};

pub fn run(
    ctx: &Ctx,
    args: &AddArgs,
    cluster: &str,
    cert_dir: Option<&std::path::Path>,
    groups: &[Vec<String>],
    signer: &Signer,
    validity: Duration,
) -> anyhow::Result<Outcome> {
    let (_, changes) = Kubeconfigs::plan(&ctx.sources, |kcs| {
        for user in &args.users {
            let entry = match cert_dir {
                Some(dir) => {
                    let [cert, key] = cert_files(dir, user);
                    credentials::file_user(&cert, &key)
                }
                None => {
                    let mut m = serde_json::Map::new();
                    m.insert(
                        "client-certificate-data".into(),
                        redact::PENDING_CERTIFICATE.into(),
                    );
                    m.insert("client-key-data".into(), redact::PENDING_KEY.into());
                    m
                }
            };
            let entry = merged_user(kcs, user, entry);
            let context = merged_context(kcs, cluster, user, ctx.global.namespace.as_deref());
            kcs.upsert(Section::Users, user, entry);
            kcs.upsert(
                Section::Contexts,
                &target::user_context(user, cluster),
                context,
            );
        }
        if args.use_context {
            kcs.set_current_context(&target::user_context(&args.users[0], cluster));
        }
        Ok(())
    })?;
    let mut objects = Vec::new();
    for (user, groups) in args.users.iter().zip(groups) {
        if let Signer::Cluster { .. } = signer {
            objects.push(json!({
                "apiVersion": "certificates.k8s.io/v1",
                "kind": "CertificateSigningRequest",
                "metadata": { "name": format!("certuser-{user}-<random>"), "labels": { "app.kubernetes.io/managed-by": "kubectl-certuser" } },
                "spec": {
                    "request": "<CSR: CN=".to_string() + user + &groups.iter().map(|g| format!(", O={g}")).collect::<String>() + ">",
                    "signerName": "kubernetes.io/kube-apiserver-client",
                    "expirationSeconds": validity.as_secs(),
                    "usages": if args.key_type.is_rsa() { json!(["client auth", "digital signature", "key encipherment"]) } else { json!(["client auth", "digital signature"]) },
                },
            }));
        }
        if let Some(role) = role_ref(args) {
            let (kind, name) = match &role {
                RoleRef::Role(n) => ("Role", n.clone()),
                RoleRef::ClusterRole(n) => ("ClusterRole", n.clone()),
            };
            let wide = args.rbac.cluster_wide;
            let mut metadata = json!({ "name": format!("certuser:{user}:{name}"), "labels": { "app.kubernetes.io/managed-by": "kubectl-certuser" } });
            if !wide {
                metadata["namespace"] = ctx
                    .global
                    .namespace
                    .clone()
                    .unwrap_or_else(|| "default".into())
                    .into();
            }
            objects.push(json!({
                "apiVersion": "rbac.authorization.k8s.io/v1",
                "kind": if wide { "ClusterRoleBinding" } else { "RoleBinding" },
                "metadata": metadata,
                "roleRef": { "apiGroup": "rbac.authorization.k8s.io", "kind": kind, "name": name },
                "subjects": [{ "apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": user }],
            }));
        }
    }
    let report = json!({ "dryRun": true, "signedBy": signer.label(), "objects": objects,
        "kubeconfigChanges": changes.iter().map(|c| json!({ "file": c.path, "before": c.before, "after": c.after })).collect::<Vec<_>>() });
    ctx.out.result(
        &report,
        || args.users.iter().map(|u| format!("user/{u}")).collect(),
        || {
            let mut text = crate::diff::render_changes(&changes);
            for object in &objects {
                text.push_str("---\n");
                text.push_str(&crate::output::to_yaml(object).unwrap_or_default());
            }
            text
        },
    )?;
    Ok(Outcome::Ok)
}
