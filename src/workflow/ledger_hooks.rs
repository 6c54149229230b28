//! The verbs' way into the ledger: open it before anything is issued (so a ledger that cannot be
//! written stops the command while nothing has changed), save the lines after success.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::cli::GlobalArgs;
use crate::error::hinted;
use crate::kubeconfig::{Kubeconfigs, Section};
use crate::ledger::{self, Destination, Event, Ledger, Record};
use crate::pki::CertInfo;

use super::Ctx;

/// `--ledger` / `CERTUSER_LEDGER`, else the default in the user's data folder.
pub fn ledger_path(global: &GlobalArgs) -> anyhow::Result<PathBuf> {
    match &global.ledger {
        Some(path) => Ok(path.clone()),
        None => Ok(ledger::default_path()?),
    }
}

/// The ledger to record into, or None with `--no-ledger`.
pub fn open(ctx: &Ctx) -> anyhow::Result<Option<Ledger>> {
    if ctx.global.no_ledger {
        return Ok(None);
    }
    let path = ledger_path(&ctx.global)?;
    Ledger::open(&path).map(Some).map_err(|e| {
        hinted(
            e.to_string(),
            "fix the folder's permissions, choose another file with --ledger FILE, or pass --no-ledger to record nothing",
        )
    })
}

/// Append `records`. The certificates exist by now, so a failure is a warning, not an error that
/// would suggest nothing happened.
pub fn save(ctx: &Ctx, ledger: Option<&Ledger>, records: Vec<Record>) {
    let Some(ledger) = ledger else { return };
    if records.is_empty() {
        return;
    }
    if let Err(e) = ledger.append(&records) {
        ctx.out.warn(format!(
            "the certificates were issued but not recorded in the ledger: {e}"
        ));
    }
}

/// A certificate this tool just issued or signed.
pub fn issued(
    verb: &str,
    info: &CertInfo,
    cluster: Option<String>,
    signed_by: &str,
    csr_name: Option<String>,
) -> Record {
    Record::new(Event::Issued, verb, info, cluster).signed(signed_by, csr_name)
}

pub fn in_kubeconfig(file: &Path, user: &str) -> Destination {
    Destination::Kubeconfig {
        file: file.to_path_buf(),
        user: user.into(),
    }
}

/// `export`: the user's certificate went into a standalone kubeconfig for hand-over.
pub fn exported(cert_pem: &[u8], cluster: &str, file: &Path) -> Option<Record> {
    let cert = crate::pki::parse_certificate_pem(cert_pem, "the exported certificate").ok()?;
    let info = crate::pki::inspect_certificate(&cert).ok()?;
    let file = std::path::absolute(file).unwrap_or_else(|_| file.to_path_buf());
    Some(
        Record::new(Event::Exported, "export", &info, Some(cluster.into()))
            .to(Destination::ExportFile { file }),
    )
}

/// The cluster a kubeconfig user is used with: its context's (`--cluster` first).
pub fn cluster_of(ctx: &Ctx, kcs: &Kubeconfigs, user: &str) -> Option<String> {
    if let Some(cluster) = &ctx.global.cluster {
        return Some(cluster.clone());
    }
    let context = crate::kubeconfig::context_for_user(kcs, user, None)?;
    kcs.get(Section::Contexts, &context)?
        .value
        .get("cluster")
        .and_then(Value::as_str)
        .map(str::to_string)
}
