//! `install --cert FILE | --kubeconfig-in F`: the user's last step of the two-party flow. The
//! certificate must belong to a pending key of this machine and chain to the cluster's CA when
//! the kubeconfig knows it; then user and `USER@CLUSTER` context are merged as `add` merges them.

use std::path::{Path, PathBuf};

use openssl::x509::X509;
use serde::Serialize;
use serde_json::{Map, Value};

use crate::cli::InstallArgs;
use crate::error::{Outcome, hinted};
use crate::kubeconfig::{self, Kubeconfigs, Section, Sources};
use crate::pki::{self, CertInfo, PrivateKey};
use crate::shell::quote;

use super::Ctx;
use super::add::entries;
use crate::kubeconfig::credentials;
use crate::workflow::pending_request::{self, Pending};
use crate::workflow::target;

/// Field names are a stable contract (`-o json|yaml`).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Installed {
    name: String,
    context: String,
    cluster: String,
    kubeconfig: PathBuf,
    certificate_file: PathBuf,
    key_file: PathBuf,
    /// The certificate was checked against the cluster's CA from the kubeconfig.
    ca_checked: bool,
    certificate: CertInfo,
}

/// What came from the signer: the certificate, and with `--kubeconfig-in` the cluster and the
/// context's namespace.
struct Delivery {
    certificate_pem: Vec<u8>,
    cluster: Option<(String, Map<String, Value>)>,
    namespace: Option<String>,
}

pub fn run(ctx: &Ctx, args: &InstallArgs) -> anyhow::Result<Outcome> {
    let delivery = read_delivery(args)?;
    let cert = pki::parse_certificate_pem(&delivery.certificate_pem, "the certificate")?;
    let info = pki::inspect_certificate(&cert)?;
    let (request, record) = pending_request_for(ctx, args, &cert, &info)?;
    let user = request.user.clone();

    let kcs = Kubeconfigs::load(&ctx.sources)?;
    let cluster = match &delivery.cluster {
        Some((name, body)) => {
            check_cluster(&kcs, name, body, args.force)?;
            name.clone()
        }
        None => target::cluster_name(ctx, &kcs)?,
    };
    let ca_checked = check_chain(ctx, &kcs, &delivery, &cluster, &cert, args.skip_ca_check)?;
    entries::check_entry_conflicts(&kcs, &user, &cluster, args.force)?;

    let (cert_path, context) = merge_entries(ctx, args, &delivery, &request, &cluster)?;
    // Installed: the request is no longer pending. The key stays where it is, named by the user.
    let _ = std::fs::remove_file(&record);
    let kubeconfig = Kubeconfigs::load(&ctx.sources)?
        .get(Section::Users, &user)
        .map(|e| e.file.to_path_buf())
        .unwrap_or_default();
    ctx.out.done(format!(
        "{user}: certificate from {} valid until {}, context {context} in {}",
        info.issuer,
        info.not_after.strftime("%Y-%m-%d %H:%M UTC"),
        kubeconfig.display()
    ));
    if !args.use_context && !ctx.out.machine() {
        ctx.out.hint(format!(
            "switch with `kubectl config use-context {}`, or pass --use",
            quote(&context)
        ));
    }
    let report = Installed {
        name: user.clone(),
        context,
        cluster,
        kubeconfig,
        certificate_file: cert_path,
        key_file: request.key.clone(),
        ca_checked,
        certificate: info,
    };
    ctx.out
        .result(&report, || vec![format!("user/{user}")], String::new)?;
    Ok(Outcome::Ok)
}

/// The pending request (and its record file) whose key the certificate is for: the key must
/// match and the CN must be the requested user; other groups than requested are a warning.
fn pending_request_for(
    ctx: &Ctx,
    args: &InstallArgs,
    cert: &X509,
    info: &CertInfo,
) -> anyhow::Result<(Pending, PathBuf)> {
    let dir = pending_request::folder(&ctx.sources, args.cert_dir.as_deref())?;
    let Some((request, record)) = pending_request::find(&dir, &info.public_key_der_sha256) else {
        return Err(hinted(
            format!(
                "no pending request in {} is for this certificate's key: it was not made for a key of this machine",
                dir.display()
            ),
            "install on the machine that ran `kubectl certuser request` (pass --cert-dir if it used one)",
        ));
    };
    let key_pem = std::fs::read(&request.key).map_err(|e| {
        hinted(
            format!("cannot read the pending key {}: {e}", request.key.display()),
            "run `kubectl certuser request` again for a new key and certificate",
        )
    })?;
    let key = PrivateKey::from_pem(&key_pem, &request.key.display().to_string(), None)?;
    let public = cert
        .public_key()
        .and_then(|k| k.public_key_to_der())
        .map_err(|e| anyhow::anyhow!("cannot read the certificate's public key: {e}"))?;
    if !key.matches(&public) {
        return Err(hinted(
            format!(
                "the certificate does not belong to the key {}",
                request.key.display()
            ),
            "ask the administrator to sign the CSR `request` wrote for this key",
        ));
    }
    let user = &request.user;
    if info.common_name.as_deref() != Some(user.as_str()) {
        return Err(hinted(
            format!(
                "the certificate is for {:?}, but the request was for {user:?}",
                info.common_name.as_deref().unwrap_or_default()
            ),
            "ask the administrator to sign your CSR unchanged",
        ));
    }
    if info.groups != request.groups {
        ctx.out.warn(format!(
            "the certificate's groups [{}] differ from the requested [{}]",
            info.groups.join(", "),
            request.groups.join(", ")
        ));
    }
    Ok((request, record))
}

/// Writes the certificate beside the pending key and merges the user (both by path), the
/// `USER@CLUSTER` context and, from --kubeconfig-in, the cluster. Returns the certificate's
/// path and the context's name.
fn merge_entries(
    ctx: &Ctx,
    args: &InstallArgs,
    delivery: &Delivery,
    request: &Pending,
    cluster: &str,
) -> anyhow::Result<(PathBuf, String)> {
    let user = &request.user;
    let key_dir = request.key.parent().unwrap_or(Path::new(".")).to_path_buf();
    let cert_path = key_dir.join(format!("{user}.crt"));
    let context = kubeconfig::user_context(user, cluster);
    let namespace = ctx.global.namespace.clone().or(delivery.namespace.clone());
    Kubeconfigs::edit(&ctx.sources, |kcs| {
        entries::check_entry_conflicts(kcs, user, cluster, args.force)?;
        if let Some((name, body)) = &delivery.cluster {
            check_cluster(kcs, name, body, args.force)?;
            kcs.upsert(Section::Clusters, name, body.clone());
        }
        pki::write_public_file(&cert_path, &delivery.certificate_pem)?;
        kcs.upsert(
            Section::Users,
            user,
            credentials::file_user(&cert_path, &request.key),
        );
        kcs.upsert(
            Section::Contexts,
            &context,
            entries::context_entry(cluster, user, namespace.as_deref()),
        );
        if args.use_context {
            kcs.set_current_context(&context);
        }
        Ok(())
    })?;
    Ok((cert_path, context))
}

fn read_delivery(args: &InstallArgs) -> anyhow::Result<Delivery> {
    if let Some(path) = &args.cert {
        let pem = std::fs::read(path).map_err(|e| {
            hinted(
                format!("cannot read {}: {e}", path.display()),
                "pass the certificate file the administrator sent",
            )
        })?;
        return Ok(Delivery {
            certificate_pem: pem,
            cluster: None,
            namespace: None,
        });
    }
    let path = args
        .kubeconfig_in
        .as_ref()
        .expect("clap requires --cert or --kubeconfig-in");
    // The same kubeconfig reader as for our own files.
    let kcs = Kubeconfigs::load(&Sources::from_parts(Some(path), None, None))?;
    let users = kcs.names(Section::Users);
    let [user] = users.as_slice() else {
        return Err(hinted(
            format!(
                "{} holds {} users; expected the one `sign --kubeconfig-out` writes",
                path.display(),
                users.len()
            ),
            "pass the file the administrator sent, or its certificate with --cert",
        ));
    };
    let entry = kcs.get(Section::Users, user).expect("named above");
    let Some((pem, _)) = credentials::certificate(&entry)? else {
        return Err(hinted(
            format!(
                "user {user:?} in {} has no client certificate",
                path.display()
            ),
            "pass the file `sign --kubeconfig-out` wrote",
        ));
    };
    let context = kcs
        .contexts_using(user)
        .first()
        .and_then(|c| kcs.get(Section::Contexts, c).map(|e| e.value.clone()));
    let cluster_name = context
        .as_ref()
        .and_then(|c| c.get("cluster").and_then(Value::as_str).map(String::from))
        .or_else(|| kcs.names(Section::Clusters).into_iter().next());
    let cluster = cluster_name.and_then(|name| {
        kcs.get(Section::Clusters, &name)
            .map(|e| (name.clone(), e.value.clone()))
    });
    if cluster.is_none() {
        return Err(hinted(
            format!("{} names no cluster", path.display()),
            "pass the file `sign --kubeconfig-out` wrote, or --cert with a kubeconfig that has the cluster",
        ));
    }
    Ok(Delivery {
        certificate_pem: pem,
        cluster,
        namespace: context
            .as_ref()
            .and_then(|c| c.get("namespace").and_then(Value::as_str).map(String::from)),
    })
}

/// A cluster of that name already here must be the same server, or `--force` replaces it.
fn check_cluster(
    kcs: &Kubeconfigs,
    name: &str,
    body: &Map<String, Value>,
    force: bool,
) -> anyhow::Result<()> {
    let Some(existing) = kcs.get(Section::Clusters, name) else {
        return Ok(());
    };
    let server = |m: &Map<String, Value>| m.get("server").and_then(Value::as_str).map(String::from);
    if force || server(existing.value) == server(body) {
        return Ok(());
    }
    Err(hinted(
        format!(
            "cluster {name:?} in {} is {}, the file's is {}",
            existing.file.display(),
            server(existing.value).unwrap_or_default(),
            server(body).unwrap_or_default()
        ),
        "pass --force to replace it",
    ))
}

/// The certificate must chain to the cluster's CA when the kubeconfig knows it. Returns whether
/// it could be checked.
fn check_chain(
    ctx: &Ctx,
    kcs: &Kubeconfigs,
    delivery: &Delivery,
    cluster: &str,
    cert: &X509,
    skip: bool,
) -> anyhow::Result<bool> {
    let ca_pem = match &delivery.cluster {
        Some((_, body)) => body
            .get("certificate-authority-data")
            .and_then(Value::as_str)
            .map(credentials::decode_base64)
            .transpose()?,
        None => match kcs.get(Section::Clusters, cluster) {
            Some(entry) => credentials::cluster_ca(&entry)?,
            None => None,
        },
    };
    let Some(ca_pem) = ca_pem else {
        ctx.out.warn(format!("cluster {cluster:?} has no certificate-authority in kubeconfig: the certificate's issuer was not checked"));
        return Ok(false);
    };
    let roots = pki::read_certificates(
        &ca_pem,
        &format!("cluster {cluster}'s certificate-authority"),
    )?;
    match pki::verify_against(cert, &roots) {
        Ok(()) => Ok(true),
        Err(_) if skip => {
            ctx.out.warn("the certificate does not chain to the cluster's CA in kubeconfig (installed anyway: --skip-ca-check)");
            Ok(false)
        }
        Err(reason) => Err(hinted(
            format!(
                "the certificate does not chain to cluster {cluster:?}'s CA in kubeconfig ({reason}): the API server would likely refuse it"
            ),
            "ask the administrator to sign with this cluster's CA; if the cluster has a separate client CA (k3s, some managed clusters), pass --skip-ca-check",
        )),
    }
}
