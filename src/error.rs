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

/// The hint of an error chain, if any link carries one.
pub fn hint_of(err: &anyhow::Error) -> Option<&str> {
    err.chain()
        .find_map(|e| e.downcast_ref::<Hinted>())
        .map(|h| h.hint.as_str())
}
