//! What to ask the cluster about a user, and the verdict from the answers. Pure: no API calls
//! here, so the decision table is tested with plain tables.

use serde::Serialize;

use crate::shell::quote;

use super::Identity;

/// One question: may I VERB RESOURCE[.GROUP][/SUBRESOURCE] [NAME]?
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Check {
    pub verb: String,
    pub resource: String,
    pub group: String,
    pub subresource: Option<String>,
    pub name: Option<String>,
}

impl Check {
    fn new(verb: &str, resource: &str) -> Check {
        format!("{verb}:{resource}")
            .parse()
            .expect("built-in checks parse")
    }

    /// `list pods`, `create deployments.apps`, `get pods/log`.
    pub fn label(&self) -> String {
        format!("{} {}", self.verb, self.resource_label())
    }

    /// What the check is about, without the verb: `pods`, `deployments.apps`, `pods/log`.
    pub fn resource_label(&self) -> String {
        let mut s = self.resource.clone();
        if !self.group.is_empty() {
            s = format!("{s}.{}", self.group);
        }
        if let Some(sub) = &self.subresource {
            s = format!("{s}/{sub}");
        }
        s
    }
}

impl std::str::FromStr for Check {
    type Err = String;

    /// `VERB:RESOURCE[.GROUP][/SUBRESOURCE]`, e.g. `list:pods`, `create:deployments.apps`.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let (verb, rest) = text.split_once(':').ok_or("expected VERB:RESOURCE")?;
        let (target, subresource) = match rest.split_once('/') {
            Some((t, s)) if !s.is_empty() => (t, Some(s.to_string())),
            Some(_) => return Err("empty subresource".into()),
            None => (rest, None),
        };
        let (resource, group) = target.split_once('.').unwrap_or((target, ""));
        let word = |s: &str| {
            !s.is_empty()
                && s.chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '*'))
        };
        if !word(verb) || !word(resource) || !(group.is_empty() || word(group)) {
            return Err("verb and resource are words such as list and pods".into());
        }
        Ok(Check {
            verb: verb.to_lowercase(),
            resource: resource.to_lowercase(),
            group: group.to_string(),
            subresource,
            name: None,
        })
    }
}

/// What a person with namespace access usually needs, read and write.
pub fn default_checks() -> Vec<Check> {
    [
        ("get", "pods"),
        ("list", "pods"),
        ("watch", "pods"),
        ("get", "pods/log"),
        ("create", "pods/exec"),
        ("list", "services"),
        ("create", "deployments.apps"),
        ("list", "configmaps"),
        ("get", "secrets"),
    ]
    .iter()
    .map(|(v, r)| Check::new(v, r))
    .collect()
}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CheckResult {
    pub check: Check,
    pub namespace: Option<String>,
    pub allowed: bool,
    pub denied: bool,
    pub reason: Option<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Verdict {
    /// Every question was answered yes.
    pub ok: bool,
    pub lines: Vec<String>,
}

/// "john (groups dev1, system:authenticated) in dev1: cannot list pods, ... — grant with ...".
pub fn verdict(
    user: &str,
    identity: Option<&Identity>,
    namespace: &str,
    results: &[CheckResult],
) -> Verdict {
    let who = match identity {
        Some(id) if id.from_certificate => format!(
            "{} (groups {}, as the certificate says)",
            id.username,
            id.groups.join(", ")
        ),
        Some(id) if id.groups.is_empty() => id.username.clone(),
        Some(id) => format!("{} (groups {})", id.username, id.groups.join(", ")),
        None => user.to_string(),
    };
    let (allowed, denied): (Vec<&CheckResult>, Vec<&CheckResult>) =
        results.iter().partition(|r| r.allowed);
    let labels = |rs: &[&CheckResult]| {
        rs.iter()
            .map(|r| r.check.label())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let can = |verb: &str, resource: &str| {
        results.iter().any(|r| {
            r.allowed
                && r.check.verb == verb
                && r.check.resource == resource
                && r.check.subresource.is_none()
        })
    };
    let mut lines = Vec::new();
    if let Some(id) = identity
        && id.username != user
    {
        lines.push(format!(
            "warning: the server knows this certificate as {:?}, not {user:?}",
            id.username
        ));
    }
    match (allowed.is_empty(), denied.is_empty()) {
        (_, true) => lines.push(format!("{who} in {namespace}: can {}", labels(&allowed))),
        (true, false) => lines.push(format!(
            "{who} in {namespace}: cannot {} — no role grants anything yet",
            labels(&denied)
        )),
        (false, false) => lines.push(format!(
            "{who} in {namespace}: can {}; cannot {}",
            labels(&allowed),
            labels(&denied)
        )),
    }
    let role = if !can("list", "pods") {
        Some("view")
    } else if !can("create", "deployments") {
        Some("edit")
    } else {
        None
    };
    if let Some(role) = role {
        let binding = format!("{user}-{role}");
        let (binding, who, ns) = (quote(&binding), quote(user), quote(namespace));
        lines.push(format!(
            "grant with `kubectl create rolebinding {binding} --clusterrole {role} --user {who} -n {ns}` (or `--clusterrole {role}` on the next `kubectl certuser add`)"
        ));
    }
    Verdict {
        ok: denied.is_empty(),
        lines,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn result(check: &str, allowed: bool) -> CheckResult {
        CheckResult {
            check: check.parse().unwrap(),
            namespace: Some("dev1".into()),
            allowed,
            denied: !allowed,
            reason: None,
        }
    }

    fn john() -> Identity {
        Identity {
            username: "john".into(),
            groups: vec!["dev1".into(), "system:authenticated".into()],
            uid: None,
            source: "test".into(),
            from_certificate: false,
            unconfirmed_because: None,
        }
    }

    #[test]
    fn parses_checks() {
        let c: Check = "create:deployments.apps".parse().unwrap();
        assert_eq!(
            (c.verb.as_str(), c.resource.as_str(), c.group.as_str()),
            ("create", "deployments", "apps")
        );
        let c: Check = "get:pods/log".parse().unwrap();
        assert_eq!(c.subresource.as_deref(), Some("log"));
        assert_eq!(c.label(), "get pods/log");
        for bad in ["pods", ":pods", "list:", "list:pods/", "li st:pods"] {
            assert!(bad.parse::<Check>().is_err(), "{bad}");
        }
    }

    #[test]
    fn the_decision_table() {
        // (results, expected ok, expected suggestion)
        let table: Vec<(Vec<CheckResult>, bool, Option<&str>)> = vec![
            (
                vec![
                    result("list:pods", false),
                    result("create:deployments.apps", false),
                ],
                false,
                Some("view"),
            ),
            (
                vec![
                    result("list:pods", true),
                    result("create:deployments.apps", false),
                ],
                false,
                Some("edit"),
            ),
            (
                vec![
                    result("list:pods", true),
                    result("create:deployments.apps", true),
                ],
                true,
                None,
            ),
        ];
        for (results, ok, role) in table {
            let v = verdict("john", Some(&john()), "dev1", &results);
            assert_eq!(v.ok, ok, "{:?}", v.lines);
            match role {
                Some(role) => assert!(
                    v.lines
                        .iter()
                        .any(|l| l.contains(&format!("--clusterrole {role}"))),
                    "{:?}",
                    v.lines
                ),
                None => assert_eq!(v.lines.len(), 1, "{:?}", v.lines),
            }
        }
    }

    #[test]
    fn names_the_user_groups_and_what_is_missing() {
        let v = verdict("john", Some(&john()), "dev1", &[result("list:pods", false)]);
        assert_eq!(
            v.lines[0],
            "john (groups dev1, system:authenticated) in dev1: cannot list pods — no role grants anything yet"
        );
        let v = verdict(
            "john",
            None,
            "dev1",
            &[result("list:pods", true), result("get:secrets", false)],
        );
        assert_eq!(
            v.lines[0],
            "john in dev1: can list pods; cannot get secrets"
        );
        let mut other = john();
        other.username = "mallory".into();
        let v = verdict("john", Some(&other), "dev1", &[result("list:pods", true)]);
        assert!(v.lines[0].starts_with("warning:"));
        let mut read = john();
        read.from_certificate = true;
        let v = verdict("john", Some(&read), "dev1", &[result("list:pods", true)]);
        assert_eq!(
            v.lines[0],
            "john (groups dev1, system:authenticated, as the certificate says) in dev1: can list pods"
        );
    }
    #[test]
    fn the_grant_hint_quotes_names_for_the_shell() {
        let v = verdict("John Smith", None, "dev 1", &[result("list:pods", false)]);
        let grant = v.lines.iter().find(|l| l.contains("rolebinding")).unwrap();
        assert!(
            grant.contains(
                "rolebinding 'John Smith-view' --clusterrole view --user 'John Smith' -n 'dev 1'"
            ),
            "{grant}"
        );
    }
}
