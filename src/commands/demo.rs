//! `demo [DIR]`: the main job on a machine with no cluster. Makes a throw-away CA (marked DEMO
//! ONLY, 60 days), a kubeconfig with a `demo` cluster trusting it, then runs the real `add` path
//! with `--ca-cert/--ca-key` for john in group dev1, namespace dev1, valid 30 days.

use std::path::Path;

use clap::Parser;
use serde_json::json;

use crate::cli::{Cli, Command, DemoArgs};
use crate::error::{Outcome, hinted};
use crate::kubeconfig;
use crate::pki::{self, CertificateAuthority, KeyType};
use crate::shell::quote;

use super::Ctx;
use crate::kubeconfig::credentials;

pub fn run(ctx: &Ctx, args: &DemoArgs) -> anyhow::Result<Outcome> {
    let dir = &args.dir;
    let kubeconfig_path = dir.join("kubeconfig");
    if kubeconfig_path.exists() {
        return Err(hinted(
            format!("{} already exists", kubeconfig_path.display()),
            format!("remove the folder {} or name another one", dir.display()),
        ));
    }
    let ca = CertificateAuthority::create_self_signed(
        "certuser demo CA - DEMO ONLY, NOT FOR A REAL CLUSTER",
        60,
        KeyType::EcdsaP256,
    )?;
    let ca_cert = dir.join("ca.crt");
    let ca_key = dir.join("ca.key");
    pki::write_private_key(&ca_key, &ca.key_pem()?)?;
    pki::write_public_file(&ca_cert, &ca.certificate_pem()?)?;
    write_demo_kubeconfig(&kubeconfig_path, &ca)?;
    ctx.out.done(format!(
        "demo CA {} and kubeconfig {} created",
        ca_cert.display(),
        kubeconfig_path.display()
    ));
    add_john(ctx, &kubeconfig_path, &ca_cert, &ca_key)?;
    let shown = kubeconfig_path.display().to_string();
    let k = quote(&shown);
    ctx.out.hint(format!(
        "see the result with: kubectl --kubeconfig {k} config view   (and `kubectl certuser --kubeconfig {k} list`)"
    ));
    Ok(Outcome::Ok)
}

/// A kubeconfig with one cluster, `demo`, trusting the demo CA, and nothing else yet.
fn write_demo_kubeconfig(path: &Path, ca: &CertificateAuthority) -> anyhow::Result<()> {
    let doc = json!({
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{ "name": "demo", "cluster": {
            // Nothing listens here: the demo shows the kubeconfig and certificate, not a cluster.
            "server": "https://127.0.0.1:6443",
            "certificate-authority-data": credentials::encode_base64(&ca.certificate_pem()?),
        }}],
        "contexts": [],
        "users": [],
        "current-context": "",
        "preferences": {},
    });
    kubeconfig::write_standalone(path, &doc, false)?;
    Ok(())
}

/// The real `add`, parsed from the command line a user would type (shown as progress), so the
/// demo goes through every step and check `add` makes.
fn add_john(
    ctx: &Ctx,
    kubeconfig_path: &Path,
    ca_cert: &Path,
    ca_key: &Path,
) -> anyhow::Result<()> {
    let (k, c, key) = (
        kubeconfig_path.display().to_string(),
        ca_cert.display().to_string(),
        ca_key.display().to_string(),
    );
    let argv = [
        "kubectl-certuser",
        "--kubeconfig",
        &k,
        "--cluster",
        "demo",
        "-n",
        "dev1",
        "add",
        "john",
        "--group",
        "dev1",
        "--ca-cert",
        &c,
        "--ca-key",
        &key,
        "--days",
        "30",
        "--use",
        "--no-check",
    ];
    ctx.out.progress(format!(
        "running: kubectl certuser {}",
        argv[1..]
            .iter()
            .map(|a| quote(a))
            .collect::<Vec<_>>()
            .join(" ")
    ));
    let mut cli = Cli::try_parse_from(argv)?;
    cli.global.output = ctx.global.output;
    cli.global.quiet = ctx.global.quiet;
    let Command::Add(add) = &cli.command else {
        unreachable!("the demo argv is an add")
    };
    let inner = Ctx {
        out: ctx.out.clone(),
        sources: kubeconfig::Sources::resolve(Some(kubeconfig_path)),
        global: cli.global.clone(),
    };
    super::add::run(&inner, add)?;
    Ok(())
}
