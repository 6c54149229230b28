//! The kubeconfig: kubectl's rules for which files are read and written, and a lossless,
//! locked, atomic editor.
//!
//! - [`locate`]: `--kubeconfig`, `KUBECONFIG` (several files), `~/.kube/config`.
//! - [`credentials`]: a user's client certificate and key (embedded `*-data` or a file), and the
//!   user entries we write.
//! - [`document`]: one file as an ordered YAML value, parsed and written back without loss.
//! - [`edit`]: the merged view over all files and the edits, each written to the right file.
//! - [`section`]: `clusters`, `users`, `contexts`: the named lists and their item keys.
//! - [`redact`]: what of a kubeconfig may be shown (dry runs, dumps, `Debug`).
//! - [`client_view`]: which context, cluster and user a command means, paths resolved: what
//!   every cluster client is built from (the one reader for cluster calls).
//! - [`splice`]: an edit that only appends written into the text as read, not re-rendered.
//! - [`user_context`]: `USER@CLUSTER`, and which context reaches the cluster as a user.
//! - [`write`]: kubectl's `<file>.lock`, temp file + fsync + rename, file modes.

mod client_view;
pub mod credentials;
mod document;
mod edit;
mod error;
mod locate;
pub mod redact;
mod section;
mod splice;
mod user_context;
mod write;

pub use client_view::{ClientView, SelectError, Selected, Selection};
pub use document::to_yaml;
pub use edit::{Entry, FileChange, Kubeconfigs};
pub use error::KubeconfigError;
pub use locate::{KUBECONFIG_ENV, Sources};
pub use section::Section;
pub use user_context::{context_for_user, user_context};
pub use write::write_standalone;
