//! `inspect USER|FILE|-`: what `openssl x509 -text` says, trimmed to what matters for access,
//! for every certificate of the file (a chain shows each).

use std::io::Read as _;
use std::path::Path;

use crate::error::{Outcome, hinted};
use crate::kubeconfig::{Kubeconfigs, Section};
use crate::output::human_duration as human;
use crate::pki::{self, CertInfo};

use super::Ctx;
use crate::kubeconfig::credentials;

pub fn run(ctx: &Ctx, args: &crate::cli::InspectArgs) -> anyhow::Result<Outcome> {
    let (bytes, what) = load(ctx, &args.target)?;
    let infos = pki::read_certificates(&bytes, &what)?
        .iter()
        .map(|cert| pki::inspect_certificate(cert))
        .collect::<Result<Vec<_>, _>>()?;
    let now = jiff::Timestamp::now();
    let names = || infos.iter().map(|i| i.subject.clone()).collect();
    let human = || render_all(&infos, now);
    // One certificate is an object (the stable contract); a chain is a list of them.
    match infos.as_slice() {
        [one] => ctx.out.result(one, names, human)?,
        several => ctx.out.result(&several, names, human)?,
    }
    Ok(Outcome::Ok)
}

/// `-` is standard input. A user name in the kubeconfig wins over a file of the same name;
/// `./name` forces the file.
fn load(ctx: &Ctx, target: &str) -> anyhow::Result<(Vec<u8>, String)> {
    if target == "-" {
        let mut bytes = Vec::new();
        std::io::stdin()
            .read_to_end(&mut bytes)
            .map_err(|e| anyhow::anyhow!("cannot read standard input: {e}"))?;
        return Ok((bytes, "standard input".into()));
    }
    let looks_like_path = target.contains('/')
        || [".crt", ".pem", ".der", ".cer"]
            .iter()
            .any(|ext| target.ends_with(ext));
    if !looks_like_path {
        let kcs = Kubeconfigs::load(&ctx.sources)?;
        if let Some(entry) = kcs.get(Section::Users, target) {
            return match credentials::certificate(&entry)? {
                Some((pem, _)) => Ok((pem, format!("user {target}'s certificate"))),
                None => Err(hinted(
                    format!("user {target:?} has no client certificate (it signs in another way)"),
                    "`kubectl certuser list` shows the certificate users",
                )),
            };
        }
    }
    if Path::new(target).is_file() {
        let pem =
            std::fs::read(target).map_err(|e| anyhow::anyhow!("cannot read {target}: {e}"))?;
        return Ok((pem, target.to_string()));
    }
    Err(hinted(
        format!("{target:?} is neither a kubeconfig user nor a certificate file"),
        "`kubectl certuser list` shows the certificate users; `-` reads a certificate from stdin",
    ))
}

fn render_all(infos: &[CertInfo], now: jiff::Timestamp) -> String {
    if let [one] = infos {
        return render(one, now);
    }
    infos
        .iter()
        .enumerate()
        .map(|(i, info)| {
            format!(
                "Certificate {} of {}\n{}",
                i + 1,
                infos.len(),
                render(info, now)
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

pub fn render(info: &CertInfo, now: jiff::Timestamp) -> String {
    let residual = info.not_after.as_second() - now.as_second();
    let none = || "-".to_string();
    let rows = [
        ("Subject", info.subject.clone()),
        ("User (CN)", info.common_name.clone().unwrap_or_else(none)),
        (
            "Groups (O)",
            if info.groups.is_empty() {
                none()
            } else {
                info.groups.join(", ")
            },
        ),
        ("Issuer", info.issuer.clone()),
        (
            "Not before",
            info.not_before
                .strftime("%Y-%m-%d %H:%M:%S UTC")
                .to_string(),
        ),
        (
            "Not after",
            format!(
                "{} ({})",
                info.not_after.strftime("%Y-%m-%d %H:%M:%S UTC"),
                if residual > 0 {
                    format!("{} left", human(residual))
                } else {
                    "EXPIRED".into()
                }
            ),
        ),
        ("Key", info.key.clone()),
        ("Signature", info.signature_algorithm.clone()),
        ("Serial", info.serial.clone()),
        ("SHA-256", info.sha256_fingerprint.clone()),
        ("Key usage", info.key_usage.join(", ")),
        ("Ext. key usage", info.extended_key_usage.join(", ")),
        (
            "CA",
            if info.is_ca {
                "yes".into()
            } else {
                "no".into()
            },
        ),
    ];
    rows.iter()
        .map(|(k, v)| format!("{:<15} {v}\n", format!("{k}:")))
        .collect()
}
