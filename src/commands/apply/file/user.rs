//! One user of the team file: its own fields over the defaults, each checked where it was
//! written, so a refusal names the line.

use std::time::Duration;

use serde_saphyr::Spanned;

use crate::cli::Validity;
use crate::error::hinted;
use crate::pki::KeyType;
use crate::pki::names::{self, GroupPolicy};

use super::{DEFAULT_LIFETIME, Fields, Role, Wanted, located};

/// A user's fields over the defaults, each checked where it was written.
pub(super) fn resolve(
    name: &str,
    line: u64,
    own: &Fields,
    defaults: &Fields,
    policy: GroupPolicy,
    at: &dyn Fn(u64) -> String,
    warn: &mut dyn FnMut(String),
) -> anyhow::Result<Wanted> {
    let pick = |mine: &'_ Option<Spanned<String>>, default: &'_ Option<Spanned<String>>| {
        mine.clone().or_else(|| default.clone())
    };
    let groups = groups(own, defaults, policy, at, warn)?;
    let role = role(name, own, defaults, at)?;
    let namespace = pick(&own.namespace, &defaults.namespace)
        .map(|ns| non_empty(ns, "namespace", at))
        .transpose()?;
    if matches!(role, Some(Role::Role(_))) && namespace.is_none() {
        return Err(hinted(
            format!(
                "{}: user {name:?} is bound to a Role, which lives in a namespace, and has none",
                at(line)
            ),
            "give the user (or the defaults) a namespace:",
        ));
    }
    Ok(Wanted {
        name: name.to_string(),
        groups,
        namespace,
        role,
        key_type: key_type(pick(&own.key_type, &defaults.key_type), at)?,
        lifetime: lifetime(pick(&own.duration, &defaults.duration), at)?,
        line,
    })
}

/// The user's groups, or the defaults', each checked (`warn` hears of legal but pointless
/// ones), without duplicates, in the file's order.
fn groups(
    own: &Fields,
    defaults: &Fields,
    policy: GroupPolicy,
    at: &dyn Fn(u64) -> String,
    warn: &mut dyn FnMut(String),
) -> anyhow::Result<Vec<String>> {
    let mut groups = Vec::new();
    for group in own
        .groups
        .as_ref()
        .or(defaults.groups.as_ref())
        .into_iter()
        .flatten()
    {
        let place = at(group.referenced.line());
        if let Some(warning) =
            names::check_group(&group.value, policy).map_err(|e| located(e.into(), &place))?
        {
            warn(format!("{place}: {warning}"));
        }
        if !groups.contains(&group.value) {
            groups.push(group.value.clone());
        }
    }
    Ok(groups)
}

/// The role the user is bound to: a user's own role replaces the default one, whichever kind
/// either is.
fn role(
    name: &str,
    own: &Fields,
    defaults: &Fields,
    at: &dyn Fn(u64) -> String,
) -> anyhow::Result<Option<Role>> {
    let (role, cluster_role) = if own.role.is_some() || own.cluster_role.is_some() {
        (own.role.clone(), own.cluster_role.clone())
    } else {
        (defaults.role.clone(), defaults.cluster_role.clone())
    };
    Ok(match (role, cluster_role) {
        (Some(r), Some(_)) => {
            return Err(hinted(
                format!(
                    "{}: user {name:?} has both role and clusterRole",
                    at(r.referenced.line())
                ),
                "bind either a Role (role:) or a ClusterRole (clusterRole:) in the namespace",
            ));
        }
        (Some(r), None) => Some(Role::Role(non_empty(r, "role", at)?)),
        (None, Some(c)) => Some(Role::ClusterRole(non_empty(c, "clusterRole", at)?)),
        (None, None) => None,
    })
}

fn key_type(
    written: Option<Spanned<String>>,
    at: &dyn Fn(u64) -> String,
) -> anyhow::Result<KeyType> {
    match written {
        Some(k) => k.value.parse::<KeyType>().map_err(|e| {
            hinted(
                format!("{}: keyType {:?}: {e}", at(k.referenced.line()), k.value),
                format!("use one of {}", KeyType::ALL.map(KeyType::name).join(", ")),
            )
        }),
        None => Ok(KeyType::default()),
    }
}

fn lifetime(
    written: Option<Spanned<String>>,
    at: &dyn Fn(u64) -> String,
) -> anyhow::Result<Duration> {
    match written {
        Some(d) => Ok(d
            .value
            .parse::<Validity>()
            .map_err(|e| {
                hinted(
                    format!("{}: {e}", at(d.referenced.line())),
                    "write a duration such as 90d, 720h or 1y",
                )
            })?
            .0),
        None => Ok(DEFAULT_LIFETIME),
    }
}

fn non_empty(
    value: Spanned<String>,
    field: &str,
    at: &dyn Fn(u64) -> String,
) -> anyhow::Result<String> {
    if value.value.trim().is_empty() {
        return Err(hinted(
            format!("{}: {field} is empty", at(value.referenced.line())),
            format!("give a {field}, or leave the field out"),
        ));
    }
    Ok(value.value)
}
