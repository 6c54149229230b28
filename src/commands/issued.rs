//! `issued [USER]`: every certificate in the ledger, and what became of it: still valid or
//! expired, renewed (a later certificate for the same CN and cluster), still in a kubeconfig of
//! ours or handed over (no user of the merged kubeconfig holds a certificate with its fingerprint).

use std::collections::HashSet;
use std::path::PathBuf;

use openssl::hash::MessageDigest;
use serde::Serialize;

use crate::cli::IssuedArgs;
use crate::error::Outcome;
use crate::kubeconfig::{Kubeconfigs, Section};
use crate::ledger::{self, Event, Record};
use crate::output::human_duration as human;
use crate::output::table;

use super::Ctx;
use crate::kubeconfig::credentials;
use crate::workflow::ledger_hooks;

/// Field names are a stable contract (`-o json|yaml`), documented in the README.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Certificate {
    #[serde(flatten)]
    record: Record,
    /// Valid now (not before `notBefore`, not after `notAfter`).
    valid: bool,
    expired: bool,
    /// A later certificate was issued for the same CN and cluster.
    superseded: bool,
    superseded_by: Option<String>,
    /// A user of the merged kubeconfig holds this very certificate.
    in_kubeconfig: bool,
    /// In no kubeconfig of ours and not merely replaced by a renewal (or exported): the
    /// certificate is with its owner.
    handed_over: bool,
    /// The files `export` wrote it to.
    exported_to: Vec<PathBuf>,
    expires_in_seconds: i64,
}

pub fn run(ctx: &Ctx, args: &IssuedArgs) -> anyhow::Result<Outcome> {
    let now = jiff::Timestamp::now();
    let path = ledger_hooks::ledger_path(&ctx.global)?;
    let (records, warnings) = ledger::read(&path)?;
    for warning in warnings {
        ctx.out.warn(warning);
    }
    let held = kubeconfig_fingerprints(ctx);
    let mut all = assess(records, &held, now);
    all.retain(|c| {
        args.user.as_ref().is_none_or(|u| {
            c.record.common_name == *u
                || c.record
                    .destinations
                    .iter()
                    .any(|d| matches!(d, ledger::Destination::Kubeconfig { user, .. } if user == u))
        }) && (!args.valid || c.valid)
            && args
                .expiring
                .is_none_or(|w| !c.superseded && c.expires_in_seconds <= w.0.as_secs() as i64)
    });
    if all.is_empty() && !ctx.out.machine() {
        ctx.out
            .progress(format!("nothing to show from {}", path.display()));
    }
    let rows: Vec<Vec<String>> = all.iter().map(|c| row(c, now)).collect();
    ctx.out.result(
        &serde_json::json!({ "ledger": path, "certificates": all }),
        || {
            all.iter()
                .map(|c| format!("certificate/{}", c.record.serial))
                .collect()
        },
        || {
            table(
                &[
                    "USER", "CLUSTER", "SERIAL", "GROUPS", "EXPIRES", "STATUS", "WHERE",
                ],
                &rows,
            )
        },
    )?;
    Ok(if args.expiring.is_some() && !all.is_empty() {
        Outcome::Problem
    } else {
        Outcome::Ok
    })
}

/// Each issued certificate with its status; export lines mark where an issued one went.
fn assess(records: Vec<Record>, held: &HashSet<String>, now: jiff::Timestamp) -> Vec<Certificate> {
    let mut exports: Vec<(String, PathBuf)> = Vec::new();
    let mut issued: Vec<Record> = Vec::new();
    for record in records {
        match record.event {
            Event::Issued => issued.push(record),
            Event::Exported => {
                for d in &record.destinations {
                    if let ledger::Destination::ExportFile { file } = d {
                        exports.push((record.sha256_fingerprint.clone(), file.clone()));
                    }
                }
            }
        }
    }
    let mut out: Vec<Certificate> = Vec::new();
    for (i, record) in issued.iter().enumerate() {
        // The ledger is in the order things happened: a later line for the same identity wins.
        let successor = issued[i + 1..].iter().rev().find(|later| {
            later.common_name == record.common_name
                && later.cluster == record.cluster
                && later.sha256_fingerprint != record.sha256_fingerprint
        });
        let in_kubeconfig = held.contains(&record.sha256_fingerprint);
        let exported_to: Vec<PathBuf> = exports
            .iter()
            .filter(|(fp, _)| *fp == record.sha256_fingerprint)
            .map(|(_, f)| f.clone())
            .collect();
        out.push(Certificate {
            valid: record.not_before <= now && now < record.not_after,
            expired: record.not_after <= now,
            superseded: successor.is_some(),
            superseded_by: successor.map(|s| s.serial.clone()),
            in_kubeconfig,
            // A renewal replaces the old certificate in the kubeconfig: gone, but not handed over.
            handed_over: !in_kubeconfig && (successor.is_none() || !exported_to.is_empty()),
            exported_to,
            expires_in_seconds: record.not_after.as_second() - now.as_second(),
            record: record.clone(),
        });
    }
    out
}

/// SHA-256 fingerprints (`AA:BB:...`) of every client certificate in the merged kubeconfig. A
/// kubeconfig that cannot be read holds none, with a warning: the ledger is still worth showing.
fn kubeconfig_fingerprints(ctx: &Ctx) -> HashSet<String> {
    let kcs = match Kubeconfigs::load(&ctx.sources) {
        Ok(kcs) => kcs,
        Err(e) => {
            ctx.out.warn(format!(
                "cannot read the kubeconfig ({e}): every certificate shows as handed over"
            ));
            return HashSet::new();
        }
    };
    let mut held = HashSet::new();
    for name in kcs.names(Section::Users) {
        let Some(entry) = kcs.get(Section::Users, &name) else {
            continue;
        };
        let Ok(Some((pem, _))) = credentials::certificate(&entry) else {
            continue;
        };
        let Ok(cert) = crate::pki::parse_certificate_pem(&pem, "a kubeconfig user's certificate")
        else {
            continue;
        };
        if let Ok(digest) = cert.digest(MessageDigest::sha256()) {
            held.insert(
                digest
                    .iter()
                    .map(|b| format!("{b:02X}"))
                    .collect::<Vec<_>>()
                    .join(":"),
            );
        }
    }
    held
}

fn row(c: &Certificate, now: jiff::Timestamp) -> Vec<String> {
    let r = &c.record;
    let mut status = vec![if c.valid {
        "valid"
    } else if c.expired {
        "expired"
    } else {
        "not yet valid"
    }];
    if c.superseded {
        status.push("renewed");
    }
    if c.in_kubeconfig {
        status.push("in kubeconfig");
    } else if c.handed_over {
        status.push("handed over");
    }
    let mut places: Vec<String> = r
        .destinations
        .iter()
        .map(|d| match d {
            ledger::Destination::Kubeconfig { file, user } => {
                format!("user {user} in {}", file.display())
            }
            ledger::Destination::ExportFile { file } => format!("export {}", file.display()),
            ledger::Destination::CertificateFile { file } => format!("file {}", file.display()),
            ledger::Destination::Stdout => "stdout".into(),
        })
        .collect();
    places.extend(
        c.exported_to
            .iter()
            .map(|f| format!("export {}", f.display())),
    );
    vec![
        r.common_name.clone(),
        r.cluster.clone().unwrap_or_else(|| "-".into()),
        r.serial.chars().take(12).collect(),
        if r.groups.is_empty() {
            "-".into()
        } else {
            r.groups.join(",")
        },
        format!(
            "{} ({})",
            r.not_after.strftime("%Y-%m-%d %H:%M UTC"),
            human(r.not_after.as_second() - now.as_second())
        ),
        status.join(", "),
        places.join("; "),
    ]
}
