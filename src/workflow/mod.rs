//! The steps several verbs share, at the command layer (anyhow errors with a `hint:` line): the
//! [`Ctx`] every verb is handed, which cluster the global flags mean, the access check as a user,
//! the ledger hooks and the request waiting for its certificate. Verbs live in `commands/`; the
//! library modules below (`pki`, `kubeconfig`, `cluster`, `ledger`) never import this one.
//!
//! - [`target`]: the context, cluster and user the flags mean; the cluster client for them.
//! - [`access_check`]: who the server says a user is, what they may do, and the verdict.
//! - [`ledger_hooks`]: open the ledger before anything is issued, save its lines after.
//! - [`pending_request`]: `request`'s record beside the key, found again by `install`.
//! - [`credential_files`]: a user's new certificate and key where the old ones are kept.

pub mod access_check;
pub mod credential_files;
pub mod ledger_hooks;
pub mod pending_request;
pub mod target;

use crate::cli::GlobalArgs;
use crate::kubeconfig::Sources;
use crate::output::Output;

/// What every verb is handed.
pub struct Ctx {
    pub global: GlobalArgs,
    pub out: Output,
    pub sources: Sources,
}
