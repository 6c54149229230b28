//! What a user name and a group may be. The certificate's CN becomes the Kubernetes user name and
//! the kubeconfig user name, and with `--cert-dir` a file name: all three must be safe.

use crate::error::hinted;

pub fn check_user(name: &str, allow_system: bool) -> anyhow::Result<()> {
    if name.trim().is_empty() {
        return Err(hinted(
            "the user name is empty",
            "give the person's name, e.g. `add john`",
        ));
    }
    if name.contains(['/', '\\']) || name == "." || name == ".." {
        return Err(hinted(
            format!("invalid user name {name:?}: it may not contain path separators or be . or .."),
            "use a plain name such as john or john.doe@example.com",
        ));
    }
    if name.chars().any(char::is_control) || name != name.trim() {
        return Err(hinted(
            format!("invalid user name {name:?}: it has control characters or surrounding spaces"),
            "use a plain name such as john",
        ));
    }
    if name.len() > 64 {
        // X.509 limits a CommonName to 64 characters (RFC 5280 ub-common-name).
        return Err(hinted(
            format!("invalid user name {name:?}: a certificate's CN holds at most 64 characters"),
            "use a shorter name",
        ));
    }
    if name.starts_with("system:") && !allow_system {
        return Err(hinted(
            format!(
                "refusing user name {name:?}: names starting with system: are reserved for Kubernetes components"
            ),
            "pass --allow-system-user if you really mean to impersonate a component",
        ));
    }
    Ok(())
}

/// Returns a warning to print for groups that are legal but pointless.
pub fn check_group(group: &str, allow_masters: bool) -> anyhow::Result<Option<String>> {
    if group.trim().is_empty() || group.chars().any(char::is_control) || group.len() > 64 {
        return Err(hinted(
            format!("invalid group {group:?}"),
            "a group is a plain name of at most 64 characters, e.g. dev1",
        ));
    }
    if group == "system:masters" && !allow_masters {
        return Err(hinted(
            "refusing group system:masters: it bypasses RBAC entirely, and a client certificate cannot be revoked",
            "bind a role instead (--clusterrole cluster-admin --cluster-wide), or pass --allow-system-masters if you accept a credential that can never be taken back",
        ));
    }
    if group == "system:authenticated" {
        return Ok(Some(
            "group system:authenticated is added by the API server to every user; listing it changes nothing".into(),
        ));
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_names() {
        for ok in ["john", "john.doe@example.com", "Jane Doe", "a"] {
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
    fn groups() {
        assert!(check_group("dev1", false).unwrap().is_none());
        assert!(check_group("system:masters", false).is_err());
        assert!(check_group("system:masters", true).is_ok());
        assert!(
            check_group("system:authenticated", false)
                .unwrap()
                .is_some()
        );
        assert!(check_group("", false).is_err());
    }
}
