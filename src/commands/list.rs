//! `list`: every kubeconfig user that authenticates with a client certificate, and its expiry,
//! like `kubeadm certs check-expiration` does for the control plane's own certificates.

use serde::Serialize;

use crate::error::Outcome;
use crate::kubeconfig::{Entry, Kubeconfigs, Section};
use crate::output::human_duration as human;
use crate::output::table;
use crate::pki;

use super::Ctx;
use crate::kubeconfig::credentials;

/// Field names are a stable contract (`-o json|yaml`).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ListedUser {
    pub name: String,
    pub common_name: Option<String>,
    pub groups: Vec<String>,
    pub issuer: Option<String>,
    pub not_after: Option<jiff::Timestamp>,
    /// Seconds left; negative once expired.
    pub residual_seconds: Option<i64>,
    pub storage: credentials::Storage,
    pub kubeconfig: std::path::PathBuf,
    pub contexts: Vec<String>,
    /// Why the certificate could not be read, when it could not.
    pub error: Option<String>,
}

pub fn run(ctx: &Ctx) -> anyhow::Result<Outcome> {
    let kcs = Kubeconfigs::load(&ctx.sources)?;
    let users = collect(&kcs, jiff::Timestamp::now());
    // Serialized from the rows themselves: a JSON tree of every row (about 10 MB for 10,000
    // users) is not built, and not at all for the table.
    #[derive(serde::Serialize)]
    struct Listed<'a> {
        users: &'a [ListedUser],
    }
    ctx.out.result(
        &Listed { users: &users },
        || users.iter().map(|u| format!("user/{}", u.name)).collect(),
        || render(&users),
    )?;
    if users.is_empty() && !ctx.out.machine() {
        ctx.out.hint("no user in the kubeconfig has a client certificate; add one with `kubectl certuser add USER`");
    }
    Ok(Outcome::Ok)
}

pub fn collect(kcs: &Kubeconfigs, now: jiff::Timestamp) -> Vec<ListedUser> {
    let mut contexts = kcs.contexts_by_user();
    let mut names = kcs.names(Section::Users);
    names.sort(); // like `kubectl config get-users`, whatever order the files have
    names
        .iter()
        .filter_map(|name| {
            let contexts = contexts.remove(name).unwrap_or_default();
            // One entry at a time: its credentials are read for this row and let go after.
            kcs.with_entry(Section::Users, name, |entry| listed(entry, contexts, now))?
        })
        .collect()
}

/// The row of one user, or `None` for a user without a client certificate (token, exec or
/// basic auth: not ours to list).
fn listed(entry: &Entry<'_>, contexts: Vec<String>, now: jiff::Timestamp) -> Option<ListedUser> {
    let name = entry.name;
    let (pem, storage) = match credentials::certificate(entry) {
        Ok(Some(found)) => found,
        Ok(None) => return None,
        Err(err) => {
            let storage = match entry
                .value
                .get("client-certificate")
                .and_then(|v| v.as_str())
            {
                Some(p) => credentials::Storage::File(entry.resolve_path(p)),
                None => credentials::Storage::Embedded,
            };
            return Some(unreadable(
                name,
                storage,
                entry.file,
                format!("{err:#}"),
                contexts,
            ));
        }
    };
    let info = pki::summarize_certificate_pem(&pem, &format!("user {name}'s certificate"));
    Some(match info {
        Ok(info) => ListedUser {
            name: name.to_string(),
            common_name: info.common_name,
            groups: info.groups,
            issuer: Some(info.issuer),
            residual_seconds: Some(info.not_after.as_second() - now.as_second()),
            not_after: Some(info.not_after),
            storage,
            kubeconfig: entry.file.to_path_buf(),
            contexts,
            error: None,
        },
        Err(err) => unreadable(name, storage, entry.file, err.to_string(), contexts),
    })
}

fn unreadable(
    name: &str,
    storage: credentials::Storage,
    file: &std::path::Path,
    error: String,
    contexts: Vec<String>,
) -> ListedUser {
    ListedUser {
        name: name.to_string(),
        common_name: None,
        groups: Vec::new(),
        issuer: None,
        not_after: None,
        residual_seconds: None,
        storage,
        kubeconfig: file.to_path_buf(),
        contexts,
        error: Some(error),
    }
}

fn render(users: &[ListedUser]) -> String {
    let rows: Vec<Vec<String>> = users
        .iter()
        .map(|u| {
            vec![
                u.name.clone(),
                u.common_name.clone().unwrap_or_else(|| "-".into()),
                if u.groups.is_empty() {
                    "-".into()
                } else {
                    u.groups.join(",")
                },
                u.issuer.clone().unwrap_or_else(|| "-".into()),
                u.not_after
                    .map(|t| t.strftime("%b %d, %Y %H:%M UTC").to_string())
                    .unwrap_or_else(|| "-".into()),
                match (&u.error, u.residual_seconds) {
                    (Some(_), _) => "unreadable".into(),
                    (None, Some(s)) => human(s),
                    (None, None) => "-".into(),
                },
                u.storage.label(),
            ]
        })
        .collect();
    let mut text = table(
        &[
            "NAME",
            "CN",
            "GROUPS",
            "ISSUER",
            "EXPIRES",
            "RESIDUAL TIME",
            "STORED",
        ],
        &rows,
    );
    for u in users {
        if let Some(err) = &u.error {
            text.push_str(&format!("{}: {err}\n", u.name));
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kubeconfig::Sources;
    use crate::pki::{CertificateAuthority, KeyType};

    /// A kubeconfig of `n` users with one embedded certificate each and a context per user.
    fn kubeconfig(n: usize) -> String {
        let cert = CertificateAuthority::create_self_signed("someone", 1, KeyType::EcdsaP256)
            .unwrap()
            .certificate_pem()
            .unwrap();
        let data = credentials::encode_base64(&cert);
        let mut text = String::from(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster: {server: https://x}\nusers:\n",
        );
        for i in 0..n {
            text.push_str(&format!(
                "- name: u{i:04}\n  user:\n    client-certificate-data: {data}\n"
            ));
        }
        text.push_str("contexts:\n");
        for i in 0..n {
            text.push_str(&format!(
                "- name: u{i:04}@c\n  context: {{cluster: c, user: u{i:04}}}\n"
            ));
        }
        text
    }

    #[test]
    fn listing_walks_each_section_a_fixed_number_of_times_whatever_its_size() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config");
        std::fs::write(&path, kubeconfig(300)).unwrap();
        let kcs = Kubeconfigs::load(&Sources::from_parts(Some(&path), None, None)).unwrap();
        let users = collect(&kcs, jiff::Timestamp::now());
        assert_eq!(users.len(), 300);
        assert_eq!(users[7].name, "u0007");
        assert_eq!(users[7].contexts, ["u0007@c"]);
        assert!(
            users
                .iter()
                .all(|u| u.error.is_none() && u.contexts.len() == 1)
        );
        // One pass to index each section, not one per user (or per user and context).
        assert!(
            kcs.scans() <= 6,
            "{} section walks for 300 users",
            kcs.scans()
        );
    }
}
