//! What a user name and a group may be. The certificate's CN becomes the Kubernetes user name and
//! the kubeconfig user name, and with `--cert-dir` a file name: all three must be safe. The one
//! rule for privileged groups lives here, for every verb that puts groups into a certificate.

/// Each variant names the user or group; the fix is [`NameError::hint`], on its own `hint:` line.
#[derive(Debug, thiserror::Error)]
pub enum NameError {
    #[error("the user name is empty")]
    EmptyUser,
    #[error("invalid user name {0:?}: it may not contain path separators or be . or ..")]
    PathInUser(String),
    #[error(
        "invalid user name {name:?}: it contains {code}, an invisible or direction-changing character that makes one name look like another"
    )]
    InvisibleInUser { name: String, code: String },
    #[error("invalid user name {0:?}: it has control characters or surrounding spaces")]
    ControlInUser(String),
    #[error("invalid user name {0:?}: a certificate's CN holds at most 64 characters")]
    UserTooLong(String),
    #[error(
        "refusing user name {0:?}: names starting with system: are reserved for Kubernetes components"
    )]
    SystemUser(String),
    #[error(
        "invalid group {group:?}: it contains {code}, an invisible or direction-changing character that makes one group look like another"
    )]
    InvisibleInGroup { group: String, code: String },
    #[error("invalid group {0:?}")]
    InvalidGroup(String),
    #[error(
        "refusing group system:masters: it bypasses RBAC entirely, and a client certificate cannot be revoked"
    )]
    SystemMasters,
    #[error("refusing group {group:?}: {risk}, and a client certificate cannot be revoked")]
    PrivilegedGroup { group: String, risk: &'static str },
}

impl NameError {
    /// The fix, for the `hint:` line (`error::hint_of` finds it in an error chain).
    pub fn hint(&self) -> Option<String> {
        let hint = match self {
            NameError::EmptyUser => "give the person's name, e.g. `add john`",
            NameError::PathInUser(_) => "use a plain name such as john or john.doe@example.com",
            NameError::InvisibleInUser { .. } => {
                "type the name again by hand, with visible characters only"
            }
            NameError::ControlInUser(_) => "use a plain name such as john",
            NameError::UserTooLong(_) => "use a shorter name",
            NameError::SystemUser(_) => {
                "pass --allow-system-user if you really mean to impersonate a component"
            }
            NameError::InvisibleInGroup { .. } => {
                "type the group again by hand, with visible characters only"
            }
            NameError::InvalidGroup(_) => {
                "a group is a plain name of at most 64 characters, e.g. dev1"
            }
            NameError::SystemMasters => {
                "bind a role instead (--clusterrole cluster-admin --cluster-wide), or pass --allow-system-masters if you accept a credential that can never be taken back"
            }
            NameError::PrivilegedGroup { .. } => {
                "bind a role to the user instead (--role/--clusterrole), or pass --allow-privileged-group if you accept a certificate that carries these rights until it expires"
            }
        };
        Some(hint.into())
    }
}

pub fn check_user(name: &str, allow_system: bool) -> Result<(), NameError> {
    if name.trim().is_empty() {
        return Err(NameError::EmptyUser);
    }
    if name.contains(['/', '\\']) || name == "." || name == ".." {
        return Err(NameError::PathInUser(name.into()));
    }
    if let Some(c) = name.chars().find(|c| is_invisible(*c)) {
        return Err(NameError::InvisibleInUser {
            name: name.into(),
            code: code_point(c),
        });
    }
    if name.chars().any(char::is_control) || name != name.trim() {
        return Err(NameError::ControlInUser(name.into()));
    }
    if name.len() > 64 {
        // X.509 limits a CommonName to 64 characters (RFC 5280 ub-common-name).
        return Err(NameError::UserTooLong(name.into()));
    }
    if name.starts_with("system:") && !allow_system {
        return Err(NameError::SystemUser(name.into()));
    }
    Ok(())
}

/// Which privileged groups the caller has explicitly accepted.
#[derive(Clone, Copy, Debug, Default)]
pub struct GroupPolicy {
    /// `--allow-system-masters`: the group that bypasses RBAC.
    pub allow_system_masters: bool,
    /// `--allow-privileged-group`: every other group that carries rights by itself.
    pub allow_privileged: bool,
}

impl GroupPolicy {
    /// No override given: every privileged group is refused.
    pub const STRICT: GroupPolicy = GroupPolicy {
        allow_system_masters: false,
        allow_privileged: false,
    };
}

/// Refuses groups that are invalid, or privileged without the override; returns a warning to
/// print for groups that are legal but pointless.
pub fn check_group(group: &str, policy: GroupPolicy) -> Result<Option<String>, NameError> {
    if let Some(c) = group.chars().find(|c| is_invisible(*c)) {
        return Err(NameError::InvisibleInGroup {
            group: group.into(),
            code: code_point(c),
        });
    }
    if group.trim().is_empty() || group.chars().any(char::is_control) || group.len() > 64 {
        return Err(NameError::InvalidGroup(group.into()));
    }
    if group == "system:masters" {
        if policy.allow_system_masters {
            return Ok(None);
        }
        return Err(NameError::SystemMasters);
    }
    if group == "system:authenticated" {
        return Ok(Some(
            "group system:authenticated is added by the API server to every user; listing it changes nothing".into(),
        ));
    }
    if let Some(risk) = privileged_group(group)
        && !policy.allow_privileged
    {
        return Err(NameError::PrivilegedGroup {
            group: group.into(),
            risk,
        });
    }
    Ok(None)
}

/// Why a group carries rights by its name alone, or `None` for an ordinary group.
fn privileged_group(group: &str) -> Option<&'static str> {
    if group == "kubeadm:cluster-admins" {
        return Some("kubeadm binds it to cluster-admin (since Kubernetes 1.29)");
    }
    if group == "system:nodes" {
        return Some("it makes the holder a kubelet in the eyes of the Node authorizer");
    }
    if group == "system:bootstrappers" || group.starts_with("system:bootstrappers:") {
        return Some("it is a bootstrap token's group, allowed to request node credentials");
    }
    if group == "system:serviceaccounts" || group.starts_with("system:serviceaccounts:") {
        return Some("it would share every right granted to service accounts");
    }
    if group.starts_with("system:") {
        return Some(
            "groups starting with system: are reserved for Kubernetes components and carry their rights",
        );
    }
    None
}

/// Characters that do not show, or that reorder what is shown, so two different names look
/// the same: Unicode format characters (category Cf: zero-width, bidi embeddings, overrides and
/// isolates, tags), fillers, variation selectors, and spaces other than the ASCII one.
fn is_invisible(c: char) -> bool {
    matches!(c as u32,
        0x00A0 | 0x00AD | 0x034F | 0x061C | 0x115F | 0x1160 | 0x17B4 | 0x17B5 | 0x180B..=0x180F
        | 0x1680 | 0x2000..=0x200F | 0x2028..=0x202F | 0x205F..=0x206F | 0x3000 | 0x3164
        | 0x0600..=0x0605 | 0x06DD | 0x070F | 0x0890 | 0x0891 | 0x08E2
        | 0xFE00..=0xFE0F | 0xFEFF | 0xFFA0 | 0xFFF9..=0xFFFB
        | 0x110BD | 0x110CD | 0x13430..=0x1343F | 0x1BCA0..=0x1BCA3 | 0x1D173..=0x1D17A
        | 0xE0000..=0xE0FFF)
}

/// `U+202E (right-to-left override)`, naming the usual suspects.
fn code_point(c: char) -> String {
    let name = match c {
        '\u{200B}' => " (zero width space)",
        '\u{200C}' => " (zero width non-joiner)",
        '\u{200D}' => " (zero width joiner)",
        '\u{200E}' => " (left-to-right mark)",
        '\u{200F}' => " (right-to-left mark)",
        '\u{202A}' => " (left-to-right embedding)",
        '\u{202B}' => " (right-to-left embedding)",
        '\u{202C}' => " (pop directional formatting)",
        '\u{202D}' => " (left-to-right override)",
        '\u{202E}' => " (right-to-left override)",
        '\u{2066}' => " (left-to-right isolate)",
        '\u{2067}' => " (right-to-left isolate)",
        '\u{2068}' => " (first strong isolate)",
        '\u{2069}' => " (pop directional isolate)",
        '\u{00A0}' => " (no-break space)",
        '\u{00AD}' => " (soft hyphen)",
        '\u{FEFF}' => " (zero width no-break space)",
        _ => "",
    };
    format!("U+{:04X}{name}", c as u32)
}

#[cfg(test)]
mod tests {
    use super::*;

    const STRICT: GroupPolicy = GroupPolicy::STRICT;

    #[test]
    fn user_names() {
        for ok in [
            "john",
            "john.doe@example.com",
            "Jane Doe",
            "a",
            "Jürgen",
            "李",
        ] {
            assert!(check_user(ok, false).is_ok(), "{ok}");
        }
        for bad in [
            "",
            " ",
            "a/b",
            "a\\b",
            "..",
            ".",
            "john\n",
            " john",
            &"x".repeat(65),
        ] {
            assert!(check_user(bad, false).is_err(), "{bad:?}");
        }
        assert!(check_user("system:kube-proxy", false).is_err());
        assert!(check_user("system:kube-proxy", true).is_ok());
    }

    #[test]
    fn invisible_and_direction_changing_characters_are_named() {
        for (name, code) in [
            ("jo\u{200B}hn", "U+200B"),
            ("admin\u{202E}nimda", "U+202E"),
            ("\u{2066}john", "U+2066"),
            ("jo\u{00AD}hn", "U+00AD"),
            ("jo\u{FEFF}hn", "U+FEFF"),
            ("jo\u{2060}hn", "U+2060"),
            ("john\u{E0041}", "U+E0041"),
            ("jo\u{00A0}hn", "U+00A0"),
            ("jo\u{3164}hn", "U+3164"),
            ("jo\u{FE0F}hn", "U+FE0F"),
        ] {
            let err = check_user(name, false).unwrap_err().to_string();
            assert!(err.contains(code), "{name:?}: {err}");
            let err = check_group(name, STRICT).unwrap_err().to_string();
            assert!(err.contains(code), "group {name:?}: {err}");
        }
    }

    #[test]
    fn groups() {
        assert!(check_group("dev1", STRICT).unwrap().is_none());
        assert!(check_group("system:masters", STRICT).is_err());
        let masters_only = GroupPolicy {
            allow_system_masters: true,
            allow_privileged: false,
        };
        assert!(check_group("system:masters", masters_only).is_ok());
        assert!(
            check_group("system:authenticated", STRICT)
                .unwrap()
                .is_some()
        );
        assert!(check_group("", STRICT).is_err());
    }

    #[test]
    fn every_privileged_group_needs_the_override_that_names_the_risk() {
        let privileged = GroupPolicy {
            allow_system_masters: false,
            allow_privileged: true,
        };
        for group in [
            "kubeadm:cluster-admins",
            "system:nodes",
            "system:bootstrappers",
            "system:bootstrappers:kubeadm:default-node-token",
            "system:serviceaccounts",
            "system:serviceaccounts:kube-system",
            "system:kube-controller-manager",
            "system:unauthenticated",
        ] {
            let err = anyhow::Error::from(check_group(group, STRICT).unwrap_err());
            assert!(
                crate::error::hint_of(&err).is_some_and(|h| h.contains("--allow-privileged-group")),
                "{group}: {err}"
            );
            assert!(err.to_string().contains(group), "{err}");
            assert!(check_group(group, privileged).is_ok(), "{group}");
        }
        // Each override covers its own risk only.
        assert!(check_group("system:masters", privileged).is_err());
        for plain in ["dev1", "kubeadm-users", "system-admins", "ops:system:x"] {
            assert!(check_group(plain, STRICT).unwrap().is_none(), "{plain}");
        }
    }
}
