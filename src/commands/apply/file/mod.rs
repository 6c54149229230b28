//! The team file `apply -f` reads: `apiVersion: certuser.kubectl.io/v1alpha1`, `kind: UserList`,
//! `defaults:` and `users:`, each user's fields overriding the defaults. Everything is checked
//! here, before anything else happens, and every refusal names the line it is about.
//!
//! An optional `metadata: {name: NAME}` names the list (default [`DEFAULT_LIST`]): the users
//! `apply` creates or adopts are marked with it in the kubeconfig, and `--prune` takes only users
//! of that list, so two teams can share a kubeconfig (see `marker.rs`).

mod user;

use std::time::Duration;

use serde::Deserialize;
use serde_saphyr::Spanned;

use crate::error::hinted;
use crate::pki::KeyType;

use crate::pki::names::{self, GroupPolicy};

pub const API_VERSION: &str = "certuser.kubectl.io/v1alpha1";
pub const KIND: &str = "UserList";
/// Without `duration:` anywhere, a certificate lives a year, as `add` makes it.
const DEFAULT_LIFETIME: Duration = Duration::from_secs(365 * 86_400);
/// The list name of a file without `metadata.name`.
pub const DEFAULT_LIST: &str = "default";

/// The fields a user and the defaults share. Strings stay strings (with their place in the file)
/// until [`user::resolve`] checks them, so an error can name the line.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct Fields {
    namespace: Option<Spanned<String>>,
    groups: Option<Vec<Spanned<String>>>,
    cluster_role: Option<Spanned<String>>,
    role: Option<Spanned<String>>,
    key_type: Option<Spanned<String>>,
    duration: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RawUser {
    name: Spanned<String>,
    // The same fields as `Fields`, spelled out: serde's flatten loses the places (and the
    // refusal of unknown fields).
    namespace: Option<Spanned<String>>,
    groups: Option<Vec<Spanned<String>>>,
    cluster_role: Option<Spanned<String>>,
    role: Option<Spanned<String>>,
    key_type: Option<Spanned<String>>,
    duration: Option<Spanned<String>>,
}

impl RawUser {
    fn fields(&self) -> Fields {
        Fields {
            namespace: self.namespace.clone(),
            groups: self.groups.clone(),
            cluster_role: self.cluster_role.clone(),
            role: self.role.clone(),
            key_type: self.key_type.clone(),
            duration: self.duration.clone(),
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RawFile {
    api_version: Spanned<String>,
    kind: Spanned<String>,
    metadata: Option<RawMetadata>,
    #[serde(default)]
    defaults: Fields,
    users: Vec<RawUser>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMetadata {
    name: Spanned<String>,
}

/// The whole file as `apply` means it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TeamFile {
    /// `metadata.name`, or [`DEFAULT_LIST`]: the marker of the users this file manages.
    pub list: String,
    pub users: Vec<Wanted>,
}

/// The role a user is bound to in its namespace.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Role {
    ClusterRole(String),
    Role(String),
}

/// One user as the file means it, defaults applied.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Wanted {
    pub name: String,
    /// Without duplicates, in the file's order.
    pub groups: Vec<String>,
    pub namespace: Option<String>,
    pub role: Option<Role>,
    pub key_type: KeyType,
    pub lifetime: Duration,
    /// The file's line that names the user, for messages.
    pub line: u64,
}

/// Parse and check the whole file. `source` names it in messages (`team.yaml`, `stdin`);
/// `warn` receives warnings for legal but pointless groups.
pub fn parse(
    text: &str,
    source: &str,
    policy: GroupPolicy,
    warn: &mut dyn FnMut(String),
) -> anyhow::Result<TeamFile> {
    let raw: RawFile = serde_saphyr::from_str(text).map_err(|e| {
        // serde-saphyr's own text says where ("line 9 column 3: unknown field ..."); its source
        // snippet is left out, the message is one line like every other error of ours.
        let plain = e.without_snippet().to_string();
        let plain = plain.strip_prefix("error: ").unwrap_or(&plain);
        hinted(
            format!("{source}: not a valid team file: {plain}"),
            "the fields are apiVersion, kind, metadata {name}, defaults {namespace, groups, clusterRole, role, keyType, duration} and users [{name, ...the same}]; see `kubectl certuser apply --help`",
        )
    })?;
    let at = |line: u64| format!("{source}:{line}");
    check_kind(&raw, &at)?;
    let list = list_name(raw.metadata.as_ref(), &at)?;
    let mut wanted: Vec<Wanted> = Vec::new();
    for user in &raw.users {
        wanted.push(one_user(user, &wanted, &raw.defaults, policy, &at, warn)?);
    }
    Ok(TeamFile {
        list,
        users: wanted,
    })
}

/// The file says it is a team file of the version this one reads.
fn check_kind(raw: &RawFile, at: &dyn Fn(u64) -> String) -> anyhow::Result<()> {
    if raw.api_version.value != API_VERSION {
        return Err(hinted(
            format!(
                "{}: apiVersion {:?} is not one this version reads",
                at(raw.api_version.referenced.line()),
                raw.api_version.value
            ),
            format!("write apiVersion: {API_VERSION}"),
        ));
    }
    if raw.kind.value != KIND {
        return Err(hinted(
            format!(
                "{}: kind {:?} is not a team file",
                at(raw.kind.referenced.line()),
                raw.kind.value
            ),
            format!("write kind: {KIND}"),
        ));
    }
    Ok(())
}

/// `metadata.name`, checked, or the default list's name.
fn list_name(metadata: Option<&RawMetadata>, at: &dyn Fn(u64) -> String) -> anyhow::Result<String> {
    Ok(match metadata {
        Some(meta) => {
            check_list_name(&meta.name.value).map_err(|why| {
                hinted(
                    format!(
                        "{}: metadata.name {:?} {why}",
                        at(meta.name.referenced.line()),
                        meta.name.value
                    ),
                    "name the list like a Kubernetes object: lower-case letters, digits, '-' and '.', e.g. team-a",
                )
            })?;
            meta.name.value.clone()
        }
        None => DEFAULT_LIST.to_string(),
    })
}

/// One entry of `users:`: a valid name, listed once (`before` are the entries above it), its
/// fields over the defaults.
fn one_user(
    user: &RawUser,
    before: &[Wanted],
    defaults: &Fields,
    policy: GroupPolicy,
    at: &dyn Fn(u64) -> String,
    warn: &mut dyn FnMut(String),
) -> anyhow::Result<Wanted> {
    let line = user.name.referenced.line();
    let name = &user.name.value;
    names::check_user(name, false).map_err(|e| located(e.into(), &at(line)))?;
    if let Some(first) = before.iter().find(|w| &w.name == name) {
        return Err(hinted(
            format!(
                "{}: user {name:?} is listed twice (first at line {})",
                at(line),
                first.line
            ),
            "list each user once",
        ));
    }
    user::resolve(name, line, &user.fields(), defaults, policy, at, warn)
}

/// A list name is a Kubernetes object name (a DNS-1123 subdomain): it goes into every managed
/// user's marker, so it is kept to names any tool reading the kubeconfig can take.
fn check_list_name(name: &str) -> Result<(), &'static str> {
    if name.is_empty() || name.len() > 253 {
        return Err("must be 1 to 253 characters long");
    }
    for label in name.split('.') {
        let alnum =
            |c: Option<char>| c.is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
        if !alnum(label.chars().next()) || !alnum(label.chars().last()) {
            return Err(
                "must start and end with a lower-case letter or digit (around each '.' too)",
            );
        }
        if !label
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        {
            return Err("may hold only lower-case letters, digits, '-' and '.'");
        }
    }
    Ok(())
}

/// `error` with the file and line in front, keeping its hint.
fn located(error: anyhow::Error, place: &str) -> anyhow::Error {
    match crate::error::hint_of(&error) {
        Some(hint) => hinted(format!("{place}: {error}"), hint),
        None => anyhow::anyhow!("{place}: {error:#}"),
    }
}

#[cfg(test)]
mod tests;
