//! `doctor USER`: why does this login fail? Each check is a line with a verdict and, when it
//! fails, the fix: the key, the validity window, the usages, the CA chain, the server, the
//! identity the server sees, and the rights in the namespace. One file per thing checked;
//! `report.rs` holds the findings and the table.

mod certificate;
mod client_ca;
mod identity;
mod probe;
mod report;
mod server;

use serde_json::Value;

use crate::cli::DoctorArgs;
use crate::error::{Outcome, hinted};
use crate::kubeconfig::{self, Entry, Kubeconfigs, Section};

use super::Ctx;
use crate::workflow::target;
use certificate::Material;
use report::{Report, Verdict};

/// What the checks that talk to a cluster need besides the certificate.
#[derive(Clone, Copy)]
struct Scope<'a> {
    ctx: &'a Ctx,
    rt: &'a tokio::runtime::Runtime,
    user: &'a str,
    namespace: &'a str,
}

pub fn run(ctx: &Ctx, args: &DoctorArgs) -> anyhow::Result<Outcome> {
    let kcs = Kubeconfigs::load(&ctx.sources)?;
    let user = match &args.user {
        Some(u) => u.clone(),
        None => current_user(ctx, &kcs)?,
    };
    let Some(entry) = kcs.get(Section::Users, &user) else {
        return Err(hinted(
            format!("user {user:?} not found in {}", kcs.file_list()),
            "`kubectl certuser list` shows the certificate users",
        ));
    };
    let mut report = empty_report(ctx, &kcs, &user);
    let rt = super::runtime()?;
    if let Some(material) = certificate::check_certificate(&mut report, &entry, &user) {
        let namespace = report.namespace.clone();
        let scope = Scope {
            ctx,
            rt: &rt,
            user: &user,
            namespace: &namespace,
        };
        check_with_certificate(&scope, &mut report, args, &kcs, &entry, material);
    }
    report.ok = report.checks.iter().all(|c| c.verdict != Verdict::Fail);
    ctx.out.result(
        &report,
        || vec![format!("user/{user}")],
        || report::render(&report),
    )?;
    Ok(if report.ok {
        Outcome::Ok
    } else {
        Outcome::Problem
    })
}

fn current_user(ctx: &Ctx, kcs: &Kubeconfigs) -> anyhow::Result<String> {
    target::select(ctx, kcs)
        .ok()
        .and_then(|s| s.user)
        .ok_or_else(|| {
            hinted(
                "no USER given and the current context names no user",
                "pass the user: kubectl certuser doctor USER",
            )
        })
}

/// A report without findings yet: where the user logs in (the context that uses it, its
/// cluster, server and namespace; `--cluster` and `-n` first).
fn empty_report(ctx: &Ctx, kcs: &Kubeconfigs, user: &str) -> Report {
    let context = kubeconfig::context_for_user(kcs, user, ctx.global.cluster.as_deref());
    let context_body = context
        .as_deref()
        .and_then(|c| kcs.get(Section::Contexts, c))
        .map(|e| e.value.clone())
        .unwrap_or_default();
    let field = |key: &str| {
        context_body
            .get(key)
            .and_then(Value::as_str)
            .map(String::from)
    };
    let cluster = ctx.global.cluster.clone().or_else(|| field("cluster"));
    let namespace = ctx
        .global
        .namespace
        .clone()
        .or_else(|| field("namespace"))
        .unwrap_or_else(|| "default".into());
    let server = cluster
        .as_deref()
        .and_then(|c| kcs.get(Section::Clusters, c))
        .and_then(|e| {
            e.value
                .get("server")
                .and_then(Value::as_str)
                .map(String::from)
        });
    Report {
        user: user.to_string(),
        context,
        cluster,
        server,
        namespace,
        ok: true,
        checks: Vec::new(),
    }
}

/// Every check after the certificate was read: key, dates, usages, client CA, server, and (with
/// a matching key and a trusted server) identity and access.
fn check_with_certificate(
    scope: &Scope<'_>,
    report: &mut Report,
    args: &DoctorArgs,
    kcs: &Kubeconfigs,
    entry: &Entry<'_>,
    material: Material,
) {
    let Material {
        pem: cert_pem,
        info,
        cert,
    } = material;
    let cluster = report.cluster.clone();
    let cluster_entry = cluster
        .as_deref()
        .and_then(|c| kcs.get(Section::Clusters, c));
    let key_pem = certificate::check_key(report, entry, &cert, scope.user);
    certificate::check_validity(report, &info, jiff::Timestamp::now(), scope.user);
    certificate::check_usage(report, &info);
    let roots = client_ca::kubeconfig_ca(cluster_entry);
    // The config maps are read with the kubeconfig's current credentials: only when they
    // reach the user's cluster, or we would judge the user by another cluster's CA.
    let current_cluster = target::select(scope.ctx, kcs).ok().map(|s| s.cluster);
    let same_cluster = scope.ctx.global.cluster.is_some()
        || (current_cluster.is_some() && current_cluster.as_deref() == cluster.as_deref());
    client_ca::check_client_ca(
        scope,
        report,
        args.pki_dir.as_deref(),
        &cert,
        roots.as_deref(),
        same_cluster,
    );
    let reachable = server::check_server(report, cluster_entry, roots.as_deref());
    match (reachable, key_pem, cluster.as_deref()) {
        (true, Some(key_pem), Some(cluster)) => {
            identity::check_identity_and_access(scope, report, cluster, &cert_pem, &key_pem)
        }
        _ => {
            let why = "skipped: needs a matching key and a reachable, trusted server";
            report.add("identity", Verdict::Skip, why, None);
            report.add("access", Verdict::Skip, why, None);
        }
    }
}
