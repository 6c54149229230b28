//! `sign CSR_FILE`: the administrator's step of the two-party flow. Shows what is being signed,
//! refuses what `add` refuses, signs through the CSR API or a local CA, and hands back the
//! certificate (or a kubeconfig without any key). No private key is made, read or written here.

use std::io::{Read as _, Write as _};
use std::path::PathBuf;

use serde::Serialize;
use serde_json::json;

use crate::cli::SignArgs;
use crate::error::{Outcome, hinted};
use crate::kubeconfig::{self, Kubeconfigs, Section};
use crate::pki::{self, CertInfo};

use super::add::role_binding;
use super::add::signer::{self, Signer};
use super::{Ctx, export};
use crate::kubeconfig::credentials;
use crate::pki::names;
use crate::workflow::{ledger_hooks, target};

/// Field names are a stable contract (`-o json|yaml`).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct SignedUser {
    name: String,
    groups: Vec<String>,
    key: String,
    signed_by: &'static str,
    csr_name: Option<String>,
    certificate: CertInfo,
    file: Option<PathBuf>,
    kubeconfig_out: Option<PathBuf>,
    binding: Option<crate::cluster::EnsuredBinding>,
    /// The certificate itself (PEM), when it went to no file.
    certificate_pem: Option<String>,
}

pub fn run(ctx: &Ctx, args: &SignArgs) -> anyhow::Result<Outcome> {
    let validity = signer::lifetime(args.lifetime.days, args.lifetime.duration)?;
    // The same line as `add`'s: the CSR API has its own minimum that no flag lifts.
    if args.ca.is_local()
        && let Some(warning) = pki::check_lifetime(validity, args.lifetime.allow_short_lifetime)?
    {
        ctx.out.warn(warning);
    }
    let request = read_request(ctx, args)?;
    refuse_what_add_refuses(ctx, args, &request)?;
    check_destinations(ctx, args)?;
    // The cluster for --kubeconfig-out, found before anything is signed.
    let kcs = Kubeconfigs::load(&ctx.sources)?;
    let cluster = match &args.kubeconfig_out {
        Some(_) => Some(target::cluster_name(ctx, &kcs)?),
        None => None,
    };

    let user = &request.user;
    let rt = super::runtime()?;
    let signer = Signer::choose(ctx, &args.ca, &args.csr, &rt)?;
    let binder =
        role_binding::preflight(ctx, &args.rbac, std::slice::from_ref(user), &rt, &signer)?;
    let ledger = ledger_hooks::open(ctx)?;
    let signed = signer.sign(ctx, &rt, &request.pem, validity)?;
    let cert = pki::parse_certificate_pem(&signed.certificate_pem, "the issued certificate")?;
    let info = pki::inspect_certificate(&cert)?;
    ctx.out.done(format!(
        "{user}: certificate from {} valid until {}",
        info.issuer,
        info.not_after.strftime("%Y-%m-%d %H:%M UTC")
    ));
    let binding = role_binding::bind(
        ctx,
        &args.rbac,
        &rt,
        binder.as_ref(),
        std::slice::from_ref(user),
    )?
    .pop();

    hand_over(
        ctx,
        args,
        &kcs,
        cluster.as_deref(),
        user,
        &signed.certificate_pem,
    )?;
    ledger_hooks::save(
        ctx,
        ledger.as_ref(),
        vec![sign_record(ctx, &kcs, &signer, &signed, &info, args, user)],
    );
    let to_stdout = args.file.is_none() && args.kubeconfig_out.is_none();
    let report = SignedUser {
        name: request.user,
        groups: request.groups,
        key: request.key,
        signed_by: signer.label(),
        csr_name: signed.csr_name,
        certificate: info,
        file: args.file.clone(),
        kubeconfig_out: args.kubeconfig_out.clone(),
        binding,
        certificate_pem: to_stdout
            .then(|| String::from_utf8_lossy(&signed.certificate_pem).into_owned()),
    };
    if to_stdout && !ctx.out.machine() {
        let mut out = std::io::stdout().lock();
        out.write_all(&signed.certificate_pem)?;
        out.flush()?;
    } else {
        ctx.out.result(
            &report,
            || vec![format!("user/{}", report.name)],
            String::new,
        )?;
    }
    Ok(Outcome::Ok)
}

/// The CSR as sent, and what it asks for.
struct Request {
    pem: Vec<u8>,
    user: String,
    groups: Vec<String>,
    /// The public key, described ("RSA 2048", "ECDSA P-256", ...).
    key: String,
}

/// Reads and parses the CSR, and says what is being signed.
fn read_request(ctx: &Ctx, args: &SignArgs) -> anyhow::Result<Request> {
    let pem = read_csr(args)?;
    let csr = pki::parse_csr_pem(&pem).map_err(|e| {
        hinted(
            format!("{}: {e}", args.csr_file.display()),
            "ask for the file `kubectl certuser request USER --file USER.csr` wrote",
        )
    })?;
    let user = csr.subject.common_name.clone();
    let groups = csr.subject.organizations.clone();
    let key = csr
        .req
        .public_key()
        .map(|k| pki::describe_public_key(&k))
        .unwrap_or_else(|_| "unknown".into());
    ctx.out.progress(format!(
        "signing CN={user}, groups {}, {key} key",
        if groups.is_empty() {
            "(none)".to_string()
        } else {
            groups.join(", ")
        }
    ));
    // add never makes a key weaker than RSA 2048; neither does anything it signs.
    if let Ok(public) = csr.req.public_key()
        && public.id() == openssl::pkey::Id::RSA
        && public.bits() < 2048
    {
        return Err(hinted(
            format!("refusing to sign an {key} key: RSA keys shorter than 2048 bits are too weak"),
            "ask for a new request with `kubectl certuser request USER` (RSA 2048 or stronger, ECDSA or Ed25519)",
        ));
    }
    Ok(Request {
        pem,
        user,
        groups,
        key,
    })
}

/// Exactly add's refusals of names and groups, through the same checks.
fn refuse_what_add_refuses(ctx: &Ctx, args: &SignArgs, request: &Request) -> anyhow::Result<()> {
    if request.user.is_empty() {
        return Err(hinted(
            "the CSR has no CN: Kubernetes would see no user name",
            "ask for a new request made with `kubectl certuser request USER`",
        ));
    }
    names::check_user(&request.user, args.policy.allow_system_user)?;
    for group in &request.groups {
        if let Some(warning) = names::check_group(
            group,
            names::GroupPolicy {
                allow_system_masters: args.policy.allow_system_masters,
                allow_privileged: args.policy.allow_privileged_group,
            },
        )? {
            ctx.out.warn(warning);
        }
    }
    Ok(())
}

/// What must hold before anything is signed: a namespace for --role, and no file overwritten
/// without --force.
fn check_destinations(ctx: &Ctx, args: &SignArgs) -> anyhow::Result<()> {
    if args.rbac.role.is_some() && ctx.global.namespace.is_none() {
        return Err(hinted(
            "--role binds a Role in a namespace, and no namespace was given",
            "pass -n NAMESPACE",
        ));
    }
    for path in [&args.file, &args.kubeconfig_out].into_iter().flatten() {
        if path.exists() && !args.force {
            return Err(hinted(
                format!("{} already exists", path.display()),
                "pass --force to overwrite it",
            ));
        }
    }
    Ok(())
}

/// Writes the certificate to --file and the keyless kubeconfig to --kubeconfig-out.
fn hand_over(
    ctx: &Ctx,
    args: &SignArgs,
    kcs: &Kubeconfigs,
    cluster: Option<&str>,
    user: &str,
    certificate_pem: &[u8],
) -> anyhow::Result<()> {
    if let Some(file) = &args.file {
        pki::write_public_file(file, certificate_pem)?;
        ctx.out
            .done(format!("certificate written to {}", file.display()));
    }
    if let (Some(out), Some(cluster)) = (&args.kubeconfig_out, cluster) {
        write_kubeconfig_out(ctx, kcs, cluster, user, certificate_pem, out, args.force)?;
        ctx.out.done(format!(
            "kubeconfig without any key written to {}: send it to {user}, who runs `kubectl certuser install --kubeconfig-in FILE`",
            out.display()
        ));
    }
    Ok(())
}

/// The ledger line: where the certificate went, and for which cluster when that is known (the
/// CSR API's cluster, or the one --kubeconfig-out names; a local CA's certificate may be for any).
fn sign_record(
    ctx: &Ctx,
    kcs: &Kubeconfigs,
    signer: &Signer,
    signed: &super::add::signer::Signed,
    info: &CertInfo,
    args: &SignArgs,
    user: &str,
) -> crate::ledger::Record {
    let cluster = match (&args.kubeconfig_out, signer) {
        (Some(_), _) | (None, Signer::Cluster { .. }) => target::cluster_name(ctx, kcs).ok(),
        (None, Signer::Local(_)) => None,
    };
    let absolute = |p: &PathBuf| std::path::absolute(p).unwrap_or_else(|_| p.clone());
    let mut record = ledger_hooks::issued(
        "sign",
        info,
        cluster,
        signer.label(),
        signed.csr_name.clone(),
    );
    if let Some(file) = &args.file {
        record = record.to(crate::ledger::Destination::CertificateFile {
            file: absolute(file),
        });
    }
    if let Some(out) = &args.kubeconfig_out {
        record = record.to(ledger_hooks::in_kubeconfig(&absolute(out), user));
    }
    if record.destinations.is_empty() {
        record = record.to(crate::ledger::Destination::Stdout);
    }
    record
}

fn read_csr(args: &SignArgs) -> anyhow::Result<Vec<u8>> {
    if args.csr_file.as_os_str() == "-" {
        let mut bytes = Vec::new();
        std::io::stdin().read_to_end(&mut bytes)?;
        return Ok(bytes);
    }
    std::fs::read(&args.csr_file).map_err(|e| {
        hinted(
            format!("cannot read {}: {e}", args.csr_file.display()),
            "pass the CSR file the user sent (or - for stdin)",
        )
    })
}

/// A kubeconfig for the user with the cluster (its CA embedded), the certificate and a
/// `USER@CLUSTER` context: everything but the key, which only the user has.
fn write_kubeconfig_out(
    ctx: &Ctx,
    kcs: &Kubeconfigs,
    cluster: &str,
    user: &str,
    certificate_pem: &[u8],
    out: &std::path::Path,
    force: bool,
) -> anyhow::Result<()> {
    let entry = kcs
        .get(Section::Clusters, cluster)
        .expect("cluster_name checked it exists");
    let context_name = kubeconfig::user_context(user, cluster);
    let mut context = serde_json::Map::new();
    context.insert("cluster".into(), cluster.into());
    context.insert("user".into(), user.into());
    if let Some(ns) = &ctx.global.namespace {
        context.insert("namespace".into(), ns.clone().into());
    }
    let doc = json!({
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{ "name": cluster, "cluster": export::self_contained_cluster(&entry)? }],
        "users": [{ "name": user, "user": { "client-certificate-data": credentials::encode_base64(certificate_pem) } }],
        "contexts": [{ "name": context_name, "context": context }],
        "current-context": context_name,
    });
    kubeconfig::write_standalone(out, &doc, force)?;
    Ok(())
}
