//! Errors the command layer raises itself, carrying the fix as a separate `hint:` line.

use std::fmt;

/// What `main` turns into an exit code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Everything done, every check passed.
    Ok,
    /// Done, but a check found a problem (for example the new user may do nothing yet).
    Problem,
}

/// An error with the fix we know: printed as `error: MESSAGE` then `hint: HINT`.
#[derive(Debug)]
pub struct Hinted {
    pub message: String,
    pub hint: String,
}

impl fmt::Display for Hinted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Hinted {}

/// Build a [`Hinted`] error as an `anyhow::Error`.
pub fn hinted(message: impl Into<String>, hint: impl Into<String>) -> anyhow::Error {
    Hinted {
        message: message.into(),
        hint: hint.into(),
    }
    .into()
}

/// The hint of an error chain: the first link that carries one, a [`Hinted`] or a module error
/// that knows its fix (`KubeconfigError::hint`, `PkiError::hint`, `NameError::hint`,
/// `SelectError::hint`, `ClusterError::hint`).
pub fn hint_of(err: &anyhow::Error) -> Option<String> {
    err.chain().find_map(|e| {
        if let Some(h) = e.downcast_ref::<Hinted>() {
            return Some(h.hint.clone());
        }
        if let Some(e) = e.downcast_ref::<crate::kubeconfig::KubeconfigError>() {
            return e.hint();
        }
        if let Some(e) = e.downcast_ref::<crate::pki::PkiError>() {
            return e.hint();
        }
        if let Some(e) = e.downcast_ref::<crate::pki::names::NameError>() {
            return e.hint();
        }
        if let Some(e) = e.downcast_ref::<crate::cluster::ClusterError>() {
            return e.hint();
        }
        let select = e.downcast_ref::<crate::kubeconfig::SelectError>();
        select.map(|e| e.hint().to_string())
    })
}

#[cfg(test)]
mod tests {
    use anyhow::Context as _;

    use super::*;
    use crate::kubeconfig::KubeconfigError;
    use crate::pki::PkiError;

    #[test]
    fn module_errors_carry_their_fix_on_the_hint_line_not_in_the_message() {
        let short: anyhow::Result<()> = Err(PkiError::LifetimeTooShort { seconds: 60 }.into());
        let err = short.context("cannot add john").unwrap_err();
        let hint = hint_of(&err).expect("the PkiError's hint is found behind the context");
        assert!(hint.contains("--allow-short-lifetime"), "{hint}");
        let message = format!("{err:#}");
        assert!(message.contains("under 10 minutes"), "{message}");
        assert!(!message.contains("--allow-short-lifetime"), "{message}");

        let exists: anyhow::Error = KubeconfigError::Exists {
            path: "john.kubeconfig".into(),
        }
        .into();
        assert_eq!(
            hint_of(&exists).as_deref(),
            Some("pass --force to overwrite it")
        );
        assert_eq!(exists.to_string(), "john.kubeconfig already exists");

        // A Hinted link nearer the top wins; an error without a known fix has none.
        let both = hinted("outer", "the outer fix").context("x");
        assert_eq!(hint_of(&both).as_deref(), Some("the outer fix"));
        let plain: anyhow::Error = PkiError::Validity.into();
        assert_eq!(hint_of(&plain), None);
    }

    #[test]
    fn a_cluster_that_cannot_be_chosen_carries_its_fix_through_any_context() {
        let err = anyhow::Error::from(crate::kubeconfig::SelectError::ContextWithoutCluster {
            name: "dev".into(),
        })
        .context("cannot check what john may do");
        assert_eq!(hint_of(&err).as_deref(), Some("pass --cluster NAME"));
    }
}
