//! `renew USER...` / `renew --all --within 30d`: re-issue certificates with the same identity (CN
//! and every O, read from the current certificate), through the CSR API or a local CA, with a new
//! key (or `--reuse-key`) and the same lifetime unless told otherwise, then replace them in place
//! in one locked write.

mod plan;
mod write;

use serde::Serialize;

use crate::cli::RenewArgs;
use crate::error::Outcome;
use crate::kubeconfig::Kubeconfigs;
use crate::output::human_duration as human;
use crate::output::table;
use crate::pki::{CertInfo, PrivateKey};

use super::Ctx;
use super::add::signer::Signer;
use crate::kubeconfig::credentials;
use crate::workflow::{ledger_hooks, target};
use plan::{KeyPlan, Plan};
use write::Renewal;

/// Field names are a stable contract (`-o json|yaml`).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Renewed {
    name: String,
    kubeconfig: std::path::PathBuf,
    credentials: credentials::Storage,
    signed_by: &'static str,
    csr_name: Option<String>,
    key_reused: bool,
    previous_not_after: jiff::Timestamp,
    previous_serial: String,
    certificate: CertInfo,
}

pub fn run(ctx: &Ctx, args: &RenewArgs) -> anyhow::Result<Outcome> {
    let now = jiff::Timestamp::now();
    let kcs = Kubeconfigs::load(&ctx.sources)?;
    let rt = super::runtime()?;
    let signer = Signer::choose(ctx, &args.ca, &args.csr, &rt)?;
    let cluster = match signer {
        Signer::Cluster { .. } => Some(target::cluster_name(ctx, &kcs)?),
        Signer::Local(_) => None,
    };
    let plan = plan::plan(&kcs, args, &signer, cluster.as_deref(), now)?;
    if args.dry_run {
        return print_plan(ctx, &plan, &signer);
    }

    let ledger = ledger_hooks::open(ctx)?;
    let (renewals, report) = issue_all(ctx, &rt, &signer, &plan)?;
    write::write(&ctx.sources, &renewals)?;
    ledger_hooks::save(
        ctx,
        ledger.as_ref(),
        report
            .iter()
            .map(|r| {
                ledger_hooks::issued(
                    "renew",
                    &r.certificate,
                    ledger_hooks::cluster_of(ctx, &kcs, &r.name),
                    r.signed_by,
                    r.csr_name.clone(),
                )
                .to(ledger_hooks::in_kubeconfig(&r.kubeconfig, &r.name))
            })
            .collect(),
    );
    for r in &report {
        ctx.out.done(format!(
            "{}: renewed by {}, valid until {} ({}; was {}), {} key",
            r.name,
            r.certificate.issuer,
            r.certificate.not_after.strftime("%Y-%m-%d %H:%M UTC"),
            human(r.certificate.not_after.as_second() - now.as_second()),
            r.previous_not_after.strftime("%Y-%m-%d %H:%M UTC"),
            if r.key_reused { "same" } else { "new" },
        ));
    }
    report_skips(ctx, &plan);
    let rows: Vec<Vec<String>> = report
        .iter()
        .map(|r| {
            row(
                &r.name,
                "renewed",
                Some(r.certificate.not_after),
                now,
                if r.key_reused { "same key" } else { "new key" },
            )
        })
        .chain(plan_rows(&plan, now, false))
        .collect();
    ctx.out.result(
        &serde_json::json!({ "dryRun": false, "renewed": report, "skipped": plan.skipped, "notDue": plan.not_due }),
        || report.iter().map(|r| format!("user/{}", r.name)).collect(),
        || table(&["USER", "RESULT", "EXPIRES", "DETAIL"], &rows),
    )?;
    Ok(outcome(&plan))
}

/// A key (new or the old one) and a certificate for every candidate, nothing written yet: the
/// kubeconfig changes all at once afterwards, or not at all.
fn issue_all<'p>(
    ctx: &Ctx,
    rt: &tokio::runtime::Runtime,
    signer: &Signer,
    plan: &'p Plan,
) -> anyhow::Result<(Vec<Renewal<'p>>, Vec<Renewed>)> {
    let mut renewals = Vec::new();
    let mut report = Vec::new();
    for (i, c) in plan.candidates.iter().enumerate() {
        if plan.candidates.len() > 1 {
            ctx.out
                .progress(format!("[{}/{}] {}", i + 1, plan.candidates.len(), c.name));
        }
        let generated;
        let key = match &c.key {
            KeyPlan::Reuse(key) => key,
            KeyPlan::New(kind) => {
                // RSA 4096 takes seconds: show that something is happening.
                let _spinner = matches!(kind, crate::pki::KeyType::Rsa4096).then(|| {
                    ctx.out
                        .spinner(format!("generating an RSA 4096 key for {}...", c.name))
                });
                generated = PrivateKey::generate(*kind)?;
                &generated
            }
        };
        let (signed, info) = signer.issue(ctx, rt, key, &c.subject, c.validity)?;
        let reused = matches!(c.key, KeyPlan::Reuse(_));
        renewals.push(Renewal {
            candidate: c,
            certificate_pem: signed.certificate_pem,
            key: if reused { None } else { Some(key.to_pem()?) },
        });
        report.push(Renewed {
            name: c.name.clone(),
            kubeconfig: c.kubeconfig.clone(),
            credentials: c.cert_storage.clone(),
            signed_by: signer.label(),
            csr_name: signed.csr_name,
            key_reused: reused,
            previous_not_after: c.old.not_after,
            previous_serial: c.old.serial.clone(),
            certificate: info,
        });
    }
    Ok((renewals, report))
}

/// Everything due was renewed, or a due user was skipped (exit 1).
fn outcome(plan: &Plan) -> Outcome {
    if plan.skipped.is_empty() {
        Outcome::Ok
    } else {
        Outcome::Problem
    }
}

fn report_skips(ctx: &Ctx, plan: &Plan) {
    for s in &plan.skipped {
        ctx.out.warn(format!("skipped {}: {}", s.name, s.reason));
    }
}

fn row(
    name: &str,
    result: &str,
    expires: Option<jiff::Timestamp>,
    now: jiff::Timestamp,
    detail: &str,
) -> Vec<String> {
    let expires = expires
        .map(|t| {
            format!(
                "{} ({})",
                t.strftime("%Y-%m-%d %H:%M UTC"),
                human(t.as_second() - now.as_second())
            )
        })
        .unwrap_or_else(|| "-".into());
    vec![name.into(), result.into(), expires, detail.into()]
}

/// Rows for the users planned (dry run), skipped and not due.
fn plan_rows(plan: &Plan, now: jiff::Timestamp, with_candidates: bool) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    if with_candidates {
        for c in &plan.candidates {
            let key = match &c.key {
                KeyPlan::Reuse(_) => "same key".to_string(),
                KeyPlan::New(kind) => format!("new {kind} key"),
            };
            let detail = format!(
                "{key}, lifetime {}, CN={}{}",
                human(c.validity.as_secs() as i64),
                c.subject.common_name,
                c.subject
                    .organizations
                    .iter()
                    .map(|g| format!(", O={g}"))
                    .collect::<String>()
            );
            rows.push(row(
                &c.name,
                "would renew",
                Some(c.old.not_after),
                now,
                &detail,
            ));
        }
    }
    for s in &plan.skipped {
        rows.push(row(&s.name, "skipped", s.not_after, now, &s.reason));
    }
    for n in &plan.not_due {
        rows.push(row(&n.name, "not due", Some(n.not_after), now, ""));
    }
    rows
}

/// `--dry-run`: the plan, as a table or JSON. No key is made, nothing signed or written.
/// The objects the renewal would send: through the CSR API one CertificateSigningRequest per
/// candidate, built as `add --dry-run` builds it (by `cluster::request_object`); a local CA
/// sends nothing.
fn api_objects(plan: &Plan, signer: &Signer) -> anyhow::Result<Vec<serde_json::Value>> {
    let Signer::Cluster { .. } = signer else {
        return Ok(Vec::new());
    };
    plan.candidates
        .iter()
        .map(|c| {
            let rsa = match &c.key {
                KeyPlan::Reuse(key) => key.pkey().id() == openssl::pkey::Id::RSA,
                KeyPlan::New(kind) => kind.is_rsa(),
            };
            super::add::dry_run::csr_object(&c.subject, rsa, c.validity)
        })
        .collect()
}

fn print_plan(ctx: &Ctx, plan: &Plan, signer: &Signer) -> anyhow::Result<Outcome> {
    let now = jiff::Timestamp::now();
    report_skips(ctx, plan);
    let planned: Vec<serde_json::Value> = plan
        .candidates
        .iter()
        .map(|c| {
            serde_json::json!({
                "name": c.name,
                "commonName": c.subject.common_name,
                "groups": c.subject.organizations,
                "currentNotAfter": c.old.not_after,
                "lifetimeSeconds": c.validity.as_secs(),
                "keyReused": matches!(c.key, KeyPlan::Reuse(_)),
                "kubeconfig": c.kubeconfig,
                "credentials": c.cert_storage,
            })
        })
        .collect();
    let objects = api_objects(plan, signer)?;
    let rows = plan_rows(plan, now, true);
    ctx.out.result(
        &serde_json::json!({ "dryRun": true, "signedBy": signer.label(), "renew": planned, "skipped": plan.skipped, "notDue": plan.not_due, "objects": objects }),
        || plan.candidates.iter().map(|c| format!("user/{}", c.name)).collect(),
        || {
            let mut text = table(&["USER", "RESULT", "EXPIRES", "DETAIL"], &rows);
            for object in &objects {
                text.push_str("---\n");
                text.push_str(&crate::output::to_yaml(object).unwrap_or_default());
            }
            text
        },
    )?;
    Ok(outcome(plan))
}
