//! `request USER`: the first step of the two-party flow, run by the future user. The key is made
//! here and never leaves: it is written 0600 beside the kubeconfig (or in `--cert-dir`) with a
//! record of the pending request, and only the CSR goes to the administrator.

use std::io::Write as _;
use std::path::Path;

use serde_json::json;

use crate::cli::RequestArgs;
use crate::error::{Outcome, hinted};
use crate::pki::{self, PrivateKey, Subject};
use crate::shell::quote;

use super::Ctx;
use crate::pki::names;
use crate::workflow::pending_request::{self, Pending};

pub fn run(ctx: &Ctx, args: &RequestArgs) -> anyhow::Result<Outcome> {
    let groups = checked_groups(ctx, args)?;
    let dir = pending_request::folder(&ctx.sources, args.cert_dir.as_deref())?;
    let (key_path, record_path) = (
        pending_request::key_path(&dir, &args.user),
        pending_request::record_path(&dir, &args.user),
    );
    if !args.force {
        refuse_to_overwrite(args, &key_path, &record_path)?;
    }

    let key = {
        let _spinner = matches!(args.key.key_type, pki::KeyType::Rsa4096)
            .then(|| ctx.out.spinner("generating an RSA 4096 key..."));
        PrivateKey::generate(args.key.key_type)?
    };
    let subject = Subject {
        common_name: args.user.clone(),
        organizations: groups.clone(),
    };
    let csr_pem = pki::build_csr(&key, &subject)?;
    let public_sha = openssl::sha::sha256(&key.public_key_der()?)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect::<String>();
    pki::write_private_key(&key_path, &key.to_pem()?)?;
    pending_request::write(
        &dir,
        &Pending {
            user: args.user.clone(),
            groups: groups.clone(),
            key_type: args.key.key_type.to_string(),
            key: key_path.clone(),
            public_key_der_sha256: public_sha.clone(),
            created: jiff::Timestamp::now(),
        },
    )?;
    ctx.out.done(format!(
        "{} key for {} in {} (0600); it stays on this machine",
        key.describe(),
        args.user,
        key_path.display()
    ));

    let report = json!({
        "user": args.user, "groups": groups, "keyType": args.key.key_type.to_string(),
        "key": key_path, "csrFile": args.file, "publicKeyDerSha256": public_sha,
        "csr": String::from_utf8_lossy(&csr_pem),
    });
    hand_out(ctx, args, &report, &csr_pem)?;
    ctx.out.hint(format!(
        "send the CSR to an administrator (`kubectl certuser sign FILE`), then run `kubectl certuser install --cert {}` with what comes back",
        quote(&format!("{}.crt", args.user))
    ));
    Ok(Outcome::Ok)
}

/// What the signer would refuse, refused here first: no key is made for a request that cannot
/// be signed. Returns the groups without repeats, in the order given.
fn checked_groups(ctx: &Ctx, args: &RequestArgs) -> anyhow::Result<Vec<String>> {
    names::check_user(&args.user, false)?;
    let mut groups: Vec<String> = Vec::new();
    for group in &args.groups {
        if let Some(warning) = names::check_group(group, names::GroupPolicy::STRICT)? {
            ctx.out.warn(warning);
        }
        if !groups.contains(group) {
            groups.push(group.clone());
        }
    }
    Ok(groups)
}

/// Without --force, a pending request (its key or its record) and an existing --file stay.
fn refuse_to_overwrite(
    args: &RequestArgs,
    key_path: &Path,
    record_path: &Path,
) -> anyhow::Result<()> {
    for path in [key_path, record_path] {
        if path.exists() {
            return Err(hinted(
                format!(
                    "{} already exists: a request for {} is pending",
                    path.display(),
                    args.user
                ),
                "install its certificate with `kubectl certuser install`, or pass --force to start over with a new key",
            ));
        }
    }
    if let Some(file) = &args.file
        && file.exists()
    {
        return Err(hinted(
            format!("{} already exists", file.display()),
            "pass --force to overwrite it, or choose another --file",
        ));
    }
    Ok(())
}

/// The CSR to --file, or to stdout (as PEM, or inside the -o json|yaml report).
fn hand_out(
    ctx: &Ctx,
    args: &RequestArgs,
    report: &serde_json::Value,
    csr_pem: &[u8],
) -> anyhow::Result<()> {
    match &args.file {
        Some(file) => {
            pki::write_public_file(file, csr_pem)?;
            ctx.out.done(format!("CSR written to {}", file.display()));
            ctx.out
                .result(report, || vec![file.display().to_string()], String::new)?;
        }
        None if ctx.out.machine() => {
            ctx.out
                .result(report, || vec![args.user.clone()], String::new)?;
        }
        None => {
            let mut out = std::io::stdout().lock();
            out.write_all(csr_pem)?;
            out.flush()?;
        }
    }
    Ok(())
}
