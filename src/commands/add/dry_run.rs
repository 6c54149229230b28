//! `add --dry-run`: the kubeconfig diff and the API objects `add` would create. No key is made,
//! no object created, no file written. The kubeconfig texts come redacted from
//! `Kubeconfigs::plan`: other users' keys and tokens never reach the diff or the dump.

use std::time::Duration;

use serde_json::json;

use crate::cli::AddArgs;
use crate::cluster;
use crate::error::Outcome;
use crate::kubeconfig::{Kubeconfigs, Section, redact};
use crate::pki::Subject;

use super::entries::cert_files;
use super::replace::{merged_context, merged_user};
use super::role_binding;
use super::signer::Signer;
use crate::commands::Ctx;
use crate::kubeconfig::{self, credentials};

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
                &kubeconfig::user_context(user, cluster),
                context,
            );
        }
        if args.use_context {
            kcs.set_current_context(&kubeconfig::user_context(&args.users[0], cluster));
        }
        Ok(())
    })?;
    let objects = api_objects(ctx, args, groups, signer, validity)?;
    let report = json!({ "dryRun": true, "signedBy": signer.label(), "objects": objects,
        "kubeconfigChanges": changes.iter().map(|c| json!({ "file": c.path, "before": c.before, "after": c.after })).collect::<Vec<_>>() });
    ctx.out.result(
        &report,
        || args.users.iter().map(|u| format!("user/{u}")).collect(),
        || {
            let mut text = crate::output::diff::render_changes(&changes);
            for object in &objects {
                text.push_str("---\n");
                text.push_str(&crate::output::to_yaml(object).unwrap_or_default());
            }
            text
        },
    )?;
    Ok(Outcome::Ok)
}

/// The objects the real run sends, built by the same functions in `cluster/`.
fn api_objects(
    ctx: &Ctx,
    args: &AddArgs,
    groups: &[Vec<String>],
    signer: &Signer,
    validity: Duration,
) -> anyhow::Result<Vec<serde_json::Value>> {
    let binding = role_binding::plan(ctx, &args.rbac);
    let mut objects = Vec::new();
    for (user, groups) in args.users.iter().zip(groups) {
        if let Signer::Cluster { .. } = signer {
            let subject = Subject {
                common_name: user.clone(),
                organizations: groups.clone(),
            };
            objects.push(csr_object(&subject, args.key.key_type.is_rsa(), validity)?);
        }
        if let Some((role, namespace)) = &binding {
            objects.push(cluster::binding_object(user, role, namespace.as_deref())?);
        }
    }
    Ok(objects)
}

/// The CertificateSigningRequest the CSR API path creates for `subject`, built by
/// `cluster::request_object` as the real run builds it; only the random name suffix and the
/// request itself (no key exists yet) are placeholders. `renew --dry-run` shows the same.
pub(crate) fn csr_object(
    subject: &Subject,
    rsa: bool,
    validity: Duration,
) -> anyhow::Result<serde_json::Value> {
    let name = cluster::csr_name(&subject.common_name, "<random>");
    let expiration = cluster::expiration_seconds(validity)?;
    let mut csr = serde_json::to_value(cluster::request_object(&name, b"", rsa, expiration))?;
    let groups: String = subject
        .organizations
        .iter()
        .map(|g| format!(", O={g}"))
        .collect();
    csr["spec"]["request"] = format!("<CSR: CN={}{groups}>", subject.common_name).into();
    Ok(csr)
}
