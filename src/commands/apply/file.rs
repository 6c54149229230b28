//! The team file `apply -f` reads: `apiVersion: certuser.kubectl.io/v1alpha1`, `kind: UserList`,
//! `defaults:` and `users:`, each user's fields overriding the defaults. Everything is checked
//! here, before anything else happens, and every refusal names the line it is about.
//!
//! An optional `metadata: {name: NAME}` names the list (default [`DEFAULT_LIST`]): the users
//! `apply` creates or adopts are marked with it in the kubeconfig, and `--prune` takes only users
//! of that list, so two teams can share a kubeconfig (see `marker.rs`).

use std::time::Duration;

use serde::Deserialize;
use serde_saphyr::Spanned;

use crate::cli::Validity;
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
/// until [`resolve`] checks them, so an error can name the line.
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
    let list = match &raw.metadata {
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
    };
    let mut wanted: Vec<Wanted> = Vec::new();
    for user in &raw.users {
        let line = user.name.referenced.line();
        let name = &user.name.value;
        names::check_user(name, false).map_err(|e| located(e.into(), &at(line)))?;
        if let Some(first) = wanted.iter().find(|w| &w.name == name) {
            return Err(hinted(
                format!(
                    "{}: user {name:?} is listed twice (first at line {})",
                    at(line),
                    first.line
                ),
                "list each user once",
            ));
        }
        wanted.push(resolve(
            name,
            line,
            &user.fields(),
            &raw.defaults,
            policy,
            &at,
            warn,
        )?);
    }
    Ok(TeamFile {
        list,
        users: wanted,
    })
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

/// A user's fields over the defaults, each checked where it was written.
fn resolve(
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
    // A user's own role replaces the default one, whichever kind either is.
    let (role, cluster_role) = if own.role.is_some() || own.cluster_role.is_some() {
        (own.role.clone(), own.cluster_role.clone())
    } else {
        (defaults.role.clone(), defaults.cluster_role.clone())
    };
    let role = match (role, cluster_role) {
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
    };
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
    let key_type = match pick(&own.key_type, &defaults.key_type) {
        Some(k) => k.value.parse::<KeyType>().map_err(|e| {
            hinted(
                format!("{}: keyType {:?}: {e}", at(k.referenced.line()), k.value),
                format!("use one of {}", KeyType::ALL.map(KeyType::name).join(", ")),
            )
        })?,
        None => KeyType::default(),
    };
    let lifetime = match pick(&own.duration, &defaults.duration) {
        Some(d) => {
            d.value
                .parse::<Validity>()
                .map_err(|e| {
                    hinted(
                        format!("{}: {e}", at(d.referenced.line())),
                        "write a duration such as 90d, 720h or 1y",
                    )
                })?
                .0
        }
        None => DEFAULT_LIFETIME,
    };
    Ok(Wanted {
        name: name.to_string(),
        groups,
        namespace,
        role,
        key_type,
        lifetime,
        line,
    })
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

/// `error` with the file and line in front, keeping its hint.
fn located(error: anyhow::Error, place: &str) -> anyhow::Error {
    match crate::error::hint_of(&error) {
        Some(hint) => hinted(format!("{place}: {error}"), hint),
        None => anyhow::anyhow!("{place}: {error:#}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEAM: &str = "apiVersion: certuser.kubectl.io/v1alpha1
kind: UserList
defaults: {namespace: dev1, groups: [dev1], clusterRole: view, keyType: ecdsa-p256, duration: 90d}
users:
- name: john
- name: jane
  groups: [dev1, qa, qa]
  clusterRole: edit
- name: ops
  role: deployer
  namespace: prod
  duration: 12h
";

    fn parse_strict(text: &str) -> anyhow::Result<Vec<Wanted>> {
        parse(text, "team.yaml", GroupPolicy::STRICT, &mut |_| {}).map(|f| f.users)
    }

    fn message(text: &str) -> String {
        let err = parse_strict(text).unwrap_err();
        format!("{err:#}")
    }

    #[test]
    fn users_take_the_defaults_and_override_them() {
        let users = parse_strict(TEAM).unwrap();
        assert_eq!(users.len(), 3);
        let john = &users[0];
        assert_eq!(john.groups, ["dev1"]);
        assert_eq!(john.namespace.as_deref(), Some("dev1"));
        assert_eq!(john.role, Some(Role::ClusterRole("view".into())));
        assert_eq!(john.key_type, KeyType::EcdsaP256);
        assert_eq!(john.lifetime, Duration::from_secs(90 * 86_400));
        assert_eq!(john.line, 5);
        let jane = &users[1];
        assert_eq!(jane.groups, ["dev1", "qa"], "a repeated group counts once");
        assert_eq!(jane.role, Some(Role::ClusterRole("edit".into())));
        let ops = &users[2];
        assert_eq!(ops.role, Some(Role::Role("deployer".into())));
        assert_eq!(ops.namespace.as_deref(), Some("prod"));
        assert_eq!(ops.lifetime, Duration::from_secs(12 * 3600));
    }

    #[test]
    fn a_file_without_defaults_gives_a_year_and_no_binding() {
        let users = parse_strict(
            "apiVersion: certuser.kubectl.io/v1alpha1\nkind: UserList\nusers:\n- name: solo\n",
        )
        .unwrap();
        assert_eq!(users[0].lifetime, DEFAULT_LIFETIME);
        assert_eq!(users[0].role, None);
        assert!(users[0].groups.is_empty() && users[0].namespace.is_none());
    }

    #[test]
    fn an_unknown_field_is_refused_with_its_line() {
        let text = TEAM.replace(
            "  clusterRole: edit\n",
            "  clusterRole: edit\n  cluserRole: x\n",
        );
        let msg = message(&text);
        assert!(
            msg.contains("cluserRole") && msg.contains("line 9"),
            "{msg}"
        );
        let msg = message(&TEAM.replace("defaults: {", "defaults: {grups: [x], "));
        assert!(msg.contains("grups") && msg.contains("line 3"), "{msg}");
    }

    #[test]
    fn the_list_is_named_by_metadata_or_default() {
        let file = parse(TEAM, "t", GroupPolicy::STRICT, &mut |_| {}).unwrap();
        assert_eq!(file.list, DEFAULT_LIST);
        let named = TEAM.replace(
            "kind: UserList\n",
            "kind: UserList\nmetadata: {name: team-a.dev}\n",
        );
        let file = parse(&named, "t", GroupPolicy::STRICT, &mut |_| {}).unwrap();
        assert_eq!(file.list, "team-a.dev");
        for bad in ["Team", "-a", "a-", "a..b", "a_b", "\"\""] {
            let text = TEAM.replace(
                "kind: UserList\n",
                &format!("kind: UserList\nmetadata: {{name: {bad}}}\n"),
            );
            let msg = message(&text);
            assert!(msg.contains("team.yaml:3: metadata.name"), "{bad}: {msg}");
        }
        assert!(check_list_name(&"a".repeat(254)).is_err());
    }

    #[test]
    fn a_duplicate_name_names_both_lines() {
        let msg = message(&format!("{TEAM}- name: john\n"));
        assert!(
            msg.contains("team.yaml:13") && msg.contains("listed twice") && msg.contains("line 5"),
            "{msg}"
        );
    }

    #[test]
    fn privileged_groups_and_system_names_are_refused_where_written() {
        let msg = message(&TEAM.replace("[dev1, qa, qa]", "[dev1,\n    system:masters]"));
        assert!(
            msg.contains("team.yaml:8") && msg.contains("system:masters"),
            "{msg}"
        );
        let msg = message(&TEAM.replace("[dev1, qa, qa]", "[kubeadm:cluster-admins]"));
        assert!(msg.contains("team.yaml:7"), "{msg}");
        let allowed = parse(
            &TEAM.replace("[dev1, qa, qa]", "[kubeadm:cluster-admins]"),
            "team.yaml",
            GroupPolicy {
                allow_system_masters: false,
                allow_privileged: true,
            },
            &mut |_| {},
        );
        assert!(allowed.is_ok(), "{allowed:?}");
        let msg = message(&TEAM.replace("name: ops", "name: system:kube-proxy"));
        assert!(
            msg.contains("team.yaml:9") && msg.contains("reserved"),
            "{msg}"
        );
        let msg = message(&TEAM.replace("name: ops", "name: ../etc"));
        assert!(msg.contains("team.yaml:9"), "{msg}");
    }

    #[test]
    fn bad_values_name_their_line() {
        let msg = message(&TEAM.replace("duration: 12h", "duration: 12 hours"));
        assert!(
            msg.contains("team.yaml:12") && msg.contains("duration"),
            "{msg}"
        );
        let msg = message(&TEAM.replace("keyType: ecdsa-p256", "keyType: dsa"));
        assert!(
            msg.contains("team.yaml:3") && msg.contains("keyType"),
            "{msg}"
        );
        let msg = message(&TEAM.replace("v1alpha1", "v1"));
        assert!(
            msg.contains("team.yaml:1") && msg.contains("apiVersion"),
            "{msg}"
        );
        let msg = message(&TEAM.replace("kind: UserList", "kind: Config"));
        assert!(msg.contains("team.yaml:2"), "{msg}");
        let msg = message(&TEAM.replace(
            "  role: deployer\n",
            "  role: deployer\n  clusterRole: view\n",
        ));
        assert!(msg.contains("both role and clusterRole"), "{msg}");
        let msg = message(&TEAM.replace("  namespace: prod\n", "  namespace: \"\"\n"));
        assert!(msg.contains("namespace is empty"), "{msg}");
    }
}
