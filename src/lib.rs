//! kubectl-certuser: certificate-based users for Kubernetes clusters, as a library so that the
//! binary, the integration tests and the benchmarks share one implementation.
//!
//! - [`pki`]: keys, CSRs, CA validation, our signing policy, reading certificates.
//! - [`kubeconfig`]: kubectl's file rules and lossless, locked, atomic edits.
//! - [`cluster`]: the Kubernetes API: CSR signing, access reviews, role bindings.
//! - [`ledger`]: the record of every certificate issued, one JSON line each.
//! - [`commands`]: one file per verb, wiring the three together.
//! - [`workflow`]: the steps several verbs share (target cluster, access check, ledger hooks).
//! - [`output`]: tables, `-o json|yaml|name`, colour, the spinner, dry-run diffs, durations shown.
//! - `atomic_file`: the one crash-safe file replacement under `pki` and `kubeconfig`.
//! - `signals`: SIGINT/SIGTERM/SIGHUP held back while a lock or temp file of ours exists, heard
//!   by the CSR flow while an object of ours exists on the server, default otherwise.

mod atomic_file;
pub mod cli;
pub mod cluster;
pub mod commands;
pub mod error;
pub mod kubeconfig;
pub mod ledger;
pub mod output;
pub mod pki;
pub mod shell;
mod signals;
pub mod workflow;
