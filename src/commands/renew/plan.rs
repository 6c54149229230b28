//! Which users `renew` re-issues, with which key and lifetime, and why the others are skipped:
//! all decided before a key is made or anything is signed.

use std::path::PathBuf;
use std::time::Duration;

use openssl::x509::X509;
use serde::Serialize;

use crate::cli::RenewArgs;
use crate::error::hinted;
use crate::kubeconfig::{Kubeconfigs, Section};
use crate::pki::{self, CertInfo, KeyType, PrivateKey, Subject};

use super::super::add::signer::Signer;
use super::super::list;
use crate::kubeconfig::credentials;
use crate::pki::names;

/// Both our local signer and kube-controller-manager back-date a certificate by five minutes;
/// a lifetime that far from a whole hour is read as that whole hour, so renewals do not drift.
const BACKDATE_SLACK: i64 = 300;

pub struct Candidate {
    pub name: String,
    pub subject: Subject,
    pub old_pem: Vec<u8>,
    pub old: CertInfo,
    pub cert_storage: credentials::Storage,
    pub key_storage: credentials::Storage,
    pub key: KeyPlan,
    pub validity: Duration,
    pub kubeconfig: PathBuf,
}

pub enum KeyPlan {
    Reuse(PrivateKey),
    New(KeyType),
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Skipped {
    pub name: String,
    pub reason: String,
    pub not_after: Option<jiff::Timestamp>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NotDue {
    pub name: String,
    pub not_after: jiff::Timestamp,
    pub residual_seconds: i64,
}

pub struct Plan {
    pub candidates: Vec<Candidate>,
    pub skipped: Vec<Skipped>,
    pub not_due: Vec<NotDue>,
}

/// Named users must all be renewable (else an error, nothing changed); with `--all`, users
/// that are due but cannot be re-issued here are skipped with the reason.
pub fn plan(
    kcs: &Kubeconfigs,
    args: &RenewArgs,
    signer: &Signer,
    cluster: Option<&str>,
    now: jiff::Timestamp,
) -> anyhow::Result<Plan> {
    let listed = list::collect(kcs, now);
    let mut plan = Plan {
        candidates: Vec::new(),
        skipped: Vec::new(),
        not_due: Vec::new(),
    };
    if !args.all {
        for name in &args.users {
            if plan.candidates.iter().any(|c| &c.name == name) {
                continue;
            }
            let contexts = listed
                .iter()
                .find(|l| &l.name == name)
                .map(|l| l.contexts.as_slice())
                .unwrap_or_default();
            plan.candidates
                .push(assess(kcs, name, contexts, args, signer, cluster)?);
        }
        return Ok(plan);
    }
    let window = i64::try_from(args.within.0.as_secs()).unwrap_or(i64::MAX);
    for user in &listed {
        if let Some(residual) = user.residual_seconds
            && residual > window
            && let Some(not_after) = user.not_after
        {
            plan.not_due.push(NotDue {
                name: user.name.clone(),
                not_after,
                residual_seconds: residual,
            });
            continue;
        }
        match assess(kcs, &user.name, &user.contexts, args, signer, cluster) {
            Ok(candidate) => plan.candidates.push(candidate),
            Err(reason) => plan.skipped.push(Skipped {
                name: user.name.clone(),
                reason: format!("{reason:#}"),
                not_after: user.not_after,
            }),
        }
    }
    Ok(plan)
}

fn assess(
    kcs: &Kubeconfigs,
    name: &str,
    contexts: &[String],
    args: &RenewArgs,
    signer: &Signer,
    cluster: Option<&str>,
) -> anyhow::Result<Candidate> {
    let Some(entry) = kcs.get(Section::Users, name) else {
        return Err(hinted(
            format!("user {name:?} not found in the kubeconfig"),
            "`kubectl certuser list` shows the certificate users",
        ));
    };
    let Some((old_pem, cert_storage)) = credentials::certificate(&entry)? else {
        return Err(hinted(
            format!(
                "user {name:?} has no client certificate (token, exec or other credentials): there is nothing to renew"
            ),
            "`kubectl certuser list` shows the certificate users",
        ));
    };
    let cert = pki::parse_certificate_pem(&old_pem, &format!("user {name}'s certificate"))?;
    let old = pki::inspect_certificate(&cert)?;
    let subject = Subject {
        common_name: old.common_name.clone().unwrap_or_default(),
        organizations: old.groups.clone(),
    };
    refuse_what_add_refuses(name, &subject)?;
    match signer {
        Signer::Local(ca) if !pki::issued_by(&cert, ca.certificate()) => {
            return Err(hinted(
                format!(
                    "user {name:?}'s certificate was issued by {}, not by the CA {}",
                    old.issuer,
                    ca.subject()
                ),
                "renew it with its own CA's --ca-cert/--ca-key",
            ));
        }
        Signer::Cluster { .. } => check_cluster(kcs, name, contexts, cluster.unwrap_or_default())?,
        Signer::Local(_) => {}
    }
    let Some((key_pem, key_storage)) = credentials::private_key(&entry)? else {
        return Err(hinted(
            format!("user {name:?} has a certificate but no client key in the kubeconfig"),
            "add the user again with `kubectl certuser add --force`",
        ));
    };
    let key = key_plan(args, name, &cert, &old, &key_pem)?;
    Ok(Candidate {
        name: name.to_string(),
        validity: validity(args, &old)?,
        subject,
        old_pem,
        old,
        cert_storage,
        key_storage,
        key,
        kubeconfig: entry.file.to_path_buf(),
    })
}

/// The same refusals as `add`: a renewal must not mint what add would not. add's hints name
/// its --allow-* flags, which renew does not have, so the hint is renew's own.
fn refuse_what_add_refuses(name: &str, subject: &Subject) -> anyhow::Result<()> {
    let refused = |e: names::NameError| {
        hinted(
            format!("user {name:?}: {e}"),
            "renew re-issues only what add would issue; renew component and admin certificates with `kubeadm certs renew`",
        )
    };
    names::check_user(&subject.common_name, false).map_err(refused)?;
    for group in &subject.organizations {
        names::check_group(group, names::GroupPolicy::STRICT).map_err(refused)?;
    }
    Ok(())
}

/// `--reuse-key`: the current key, which must match the certificate; otherwise a new key of
/// `--key-type` or of the current key's type.
fn key_plan(
    args: &RenewArgs,
    name: &str,
    cert: &X509,
    old: &CertInfo,
    key_pem: &[u8],
) -> anyhow::Result<KeyPlan> {
    if args.reuse_key {
        let key = PrivateKey::from_pem(key_pem, &format!("user {name}'s key"), None)?;
        let public = cert
            .public_key()
            .and_then(|k| k.public_key_to_der())
            .map_err(|e| anyhow::anyhow!("cannot read user {name}'s certificate key: {e}"))?;
        if !key.matches(&public) {
            return Err(hinted(
                format!("user {name:?}'s key does not match its certificate: it cannot be reused"),
                "renew without --reuse-key to make a new key",
            ));
        }
        Ok(KeyPlan::Reuse(key))
    } else {
        let kind = match args.key_type {
            Some(kind) => kind,
            None => cert
                .public_key()
                .ok()
                .and_then(|k| KeyType::of(&k))
                .ok_or_else(|| {
                    hinted(
                        format!(
                            "user {name:?} has a {} key, a type this tool does not make",
                            old.key
                        ),
                        "pass --key-type, e.g. --key-type ecdsa-p256",
                    )
                })?,
        };
        Ok(KeyPlan::New(kind))
    }
}

/// Through the CSR API a certificate comes from the cluster we talk to: the user must be one of
/// that cluster's (one of its contexts names the cluster).
fn check_cluster(
    kcs: &Kubeconfigs,
    name: &str,
    contexts: &[String],
    cluster: &str,
) -> anyhow::Result<()> {
    let clusters: Vec<String> = contexts
        .iter()
        .filter_map(|c| kcs.get(Section::Contexts, c))
        .filter_map(|c| {
            c.value
                .get("cluster")
                .and_then(|v| v.as_str())
                .map(String::from)
        })
        .collect();
    if clusters.iter().any(|c| c == cluster) {
        return Ok(());
    }
    let why = if clusters.is_empty() {
        "no context uses it, so its cluster is unknown".to_string()
    } else {
        format!("it belongs to cluster {}", clusters.join(", "))
    };
    Err(hinted(
        format!("user {name:?} cannot be renewed through cluster {cluster:?}'s CSR API: {why}"),
        "pass --context of the user's cluster, or sign with its CA (--ca-cert/--ca-key)",
    ))
}

/// `--days`/`--duration`, else the old certificate's lifetime (see [`BACKDATE_SLACK`]).
fn validity(args: &RenewArgs, old: &CertInfo) -> anyhow::Result<Duration> {
    if let Some(d) = args.lifetime.duration {
        return Ok(d.0);
    }
    match args.lifetime.days {
        Some(0) => Err(hinted(
            "--days 0 makes a certificate that is never valid",
            "use --days 1 or more, or --duration 12h",
        )),
        Some(days) => Ok(Duration::from_secs(u64::from(days) * 86_400)),
        None => Ok(Duration::from_secs(same_lifetime(
            old.not_after.as_second() - old.not_before.as_second(),
        ))),
    }
}

fn same_lifetime(seconds: i64) -> u64 {
    let hour = 3600;
    let nearest = (seconds + hour / 2) / hour * hour;
    let lifetime = if nearest > 0 && (seconds - nearest).abs() <= BACKDATE_SLACK {
        nearest
    } else {
        seconds
    };
    lifetime.max(1) as u64
}

#[cfg(test)]
mod tests {
    use super::same_lifetime;

    #[test]
    fn the_five_minute_backdate_does_not_make_renewals_drift() {
        let day = 86_400;
        assert_eq!(same_lifetime(365 * day + 300), 365 * day as u64);
        assert_eq!(same_lifetime(365 * day), 365 * day as u64);
        assert_eq!(same_lifetime(12 * 3600 + 300), 12 * 3600);
        assert_eq!(
            same_lifetime(900),
            900,
            "a 15-minute certificate stays 15 minutes"
        );
        assert_eq!(same_lifetime(2 * 3600 + 1800), 2 * 3600 + 1800);
    }
}
