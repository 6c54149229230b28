//! The kubeconfig: kubectl's rules for which files are read and written, and a lossless,
//! locked, atomic editor.
//!
//! - [`locate`]: `--kubeconfig`, `KUBECONFIG` (several files), `~/.kube/config`.
//! - [`credentials`]: a user's client certificate and key (embedded `*-data` or a file), and the
//!   user entries we write.
//! - [`document`]: one file as an ordered YAML value, parsed and written back without loss.
//! - [`yaml`]: the text to an ordered value and back, as kubectl lays it out.
//! - [`blobs`]: long base64 values kept out of the YAML parser's way (most of a big file).
//! - [`block_layout`]: kubectl's own plain block layout, read without the YAML parser.
//! - [`lazy_body`]: an entry's credentials read from the text when the entry is first read.
//! - [`lines`]: a text's lines, found many bytes at a time (a big kubeconfig is walked twice).
//! - [`merged`]: the merged view over all files (kubectl's first-file-wins), with O(1) lookups.
//! - [`entry`]: one named entry of that view and the file it came from.
//! - [`changes`]: upsert, remove, current-context, each in the file kubectl would change.
//! - [`transaction`]: lock, read, change, write atomically, unlock; or plan without writing.
//! - [`section`]: `clusters`, `users`, `contexts`: the named lists and their item keys.
//! - [`redact`]: what of a kubeconfig may be shown (dry runs, dumps, `Debug`).
//! - [`client_view`]: which context, cluster and user a command means, paths resolved: what
//!   every cluster client is built from (the one reader for cluster calls).
//! - [`splice`]: an edit that only appends written into the text as read, not re-rendered.
//! - [`user_context`]: `USER@CLUSTER`, and which context reaches the cluster as a user.
//! - [`write`]: kubectl's `<file>.lock`, temp file + fsync + rename, file modes.

mod blobs;
mod block_layout;
mod changes;
mod client_view;
pub mod credentials;
mod document;
mod entry;
mod error;
mod lazy_body;
mod lines;
mod locate;
mod merged;
pub mod redact;
mod section;
mod splice;
#[cfg(test)]
mod testing;
mod transaction;
mod user_context;
mod write;
mod yaml;

pub use client_view::{ClientView, SelectError, Selected, Selection};
pub use document::to_yaml;
pub use entry::Entry;
pub use error::KubeconfigError;
pub use locate::{KUBECONFIG_ENV, Sources};
pub use merged::Kubeconfigs;
pub use section::Section;
pub use transaction::FileChange;
pub use user_context::{context_for_user, user_context};
pub use write::write_standalone;
