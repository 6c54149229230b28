//! The checks that need only the kubeconfig: the certificate, its key, its validity window and
//! its usages.

use openssl::x509::X509;

use crate::kubeconfig::Entry;
use crate::kubeconfig::credentials;
use crate::output::human_duration as human;
use crate::pki::{self, CertInfo, PrivateKey};
use crate::shell::quote;

use super::report::{Report, Verdict};

/// The user's certificate as PEM, read and parsed: without it nothing else can be checked.
pub(super) struct Material {
    pub pem: Vec<u8>,
    pub info: CertInfo,
    pub cert: X509,
}

/// The `certificate` line; the certificate when there is one to check further.
pub(super) fn check_certificate(
    report: &mut Report,
    entry: &Entry<'_>,
    user: &str,
) -> Option<Material> {
    let (pem, storage) = match credentials::certificate(entry) {
        Ok(Some(found)) => found,
        Ok(None) => {
            report.add(
                "certificate",
                Verdict::Fail,
                "this user has no client certificate (token, exec or other credentials)",
                Some("doctor checks certificate users; see `kubectl certuser list`".into()),
            );
            return None;
        }
        Err(e) => {
            report.add(
                "certificate",
                Verdict::Fail,
                format!("{e:#}"),
                Some("restore the file, or add the user again with --force".into()),
            );
            return None;
        }
    };
    match pki::parse_certificate_pem(&pem, "the certificate")
        .and_then(|c| Ok((pki::inspect_certificate(&c)?, c)))
    {
        Ok((info, cert)) => {
            report.add(
                "certificate",
                Verdict::Ok,
                format!("{} from {}, {}", info.subject, info.issuer, storage.label()),
                None,
            );
            Some(Material { pem, info, cert })
        }
        Err(e) => {
            report.add(
                "certificate",
                Verdict::Fail,
                e.to_string(),
                Some(format!(
                    "add the user again: kubectl certuser add {} --force",
                    quote(user)
                )),
            );
            None
        }
    }
}

/// Returns the key PEM when it matches the certificate.
pub(super) fn check_key(
    report: &mut Report,
    entry: &Entry<'_>,
    cert: &X509,
    user: &str,
) -> Option<Vec<u8>> {
    let fix = Some(format!(
        "the kubeconfig holds another key than the certificate's: restore the right key, or re-issue: kubectl certuser renew {}",
        quote(user)
    ));
    let (pem, _) = match credentials::private_key(entry) {
        Ok(Some(found)) => found,
        Ok(None) => {
            report.add("key", Verdict::Fail, "no client key in the kubeconfig", fix);
            return None;
        }
        Err(e) => {
            report.add("key", Verdict::Fail, format!("{e:#}"), fix);
            return None;
        }
    };
    let key = match PrivateKey::from_pem(&pem, "the client key", None) {
        Ok(k) => k,
        Err(e) => {
            report.add("key", Verdict::Fail, e.to_string(), fix);
            return None;
        }
    };
    let public = cert
        .public_key()
        .and_then(|k| k.public_key_to_der())
        .unwrap_or_default();
    if key.matches(&public) {
        report.add("key", Verdict::Ok, key.describe(), None);
        Some(pem)
    } else {
        report.add(
            "key",
            Verdict::Fail,
            format!(
                "the {} key does not belong to the certificate",
                key.describe()
            ),
            fix,
        );
        None
    }
}

pub(super) fn check_validity(
    report: &mut Report,
    info: &CertInfo,
    now: jiff::Timestamp,
    user: &str,
) {
    let at = |t: jiff::Timestamp| t.strftime("%Y-%m-%d %H:%M UTC").to_string();
    if now >= info.not_after {
        report.add(
            "notExpired",
            Verdict::Fail,
            format!(
                "expired {} ({} ago)",
                at(info.not_after),
                human(now.as_second() - info.not_after.as_second())
            ),
            Some(format!("kubectl certuser renew {}", quote(user))),
        );
    } else {
        report.add(
            "notExpired",
            Verdict::Ok,
            format!(
                "valid until {} ({} left)",
                at(info.not_after),
                human(info.not_after.as_second() - now.as_second())
            ),
            None,
        );
    }
    if now < info.not_before {
        report.add("validNow", Verdict::Fail, format!("not valid before {} (in {}): this machine's clock, or the signer's, is off", at(info.not_before), human(info.not_before.as_second() - now.as_second())), Some("check the clocks (timedatectl; NTP) on this machine and the signer's, or wait until then".into()));
    } else {
        report.add(
            "validNow",
            Verdict::Ok,
            format!("valid since {}", at(info.not_before)),
            None,
        );
    }
}

pub(super) fn check_usage(report: &mut Report, info: &CertInfo) {
    let eku_ok = info.extended_key_usage.is_empty()
        || info
            .extended_key_usage
            .iter()
            .any(|u| u == "clientAuth" || u == "anyExtendedKeyUsage");
    let ku_ok = info.key_usage.is_empty() || info.key_usage.iter().any(|u| u == "digitalSignature");
    if eku_ok && ku_ok {
        let eku = if info.extended_key_usage.is_empty() {
            "any".to_string()
        } else {
            info.extended_key_usage.join(", ")
        };
        report.add(
            "usage",
            Verdict::Ok,
            format!("extended key usage {eku}"),
            None,
        );
    } else {
        report.add(
            "usage",
            Verdict::Fail,
            format!(
                "key usage [{}], extended key usage [{}]: TLS client authentication is not allowed",
                info.key_usage.join(", "),
                info.extended_key_usage.join(", ")
            ),
            Some("re-issue it as a client certificate: kubectl certuser renew USER".into()),
        );
    }
}
