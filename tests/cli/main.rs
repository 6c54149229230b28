//! Integration tests: the built binary in a temp HOME and kubeconfig, judged by the real
//! `openssl` and `kubectl`. One file per verb.

mod harness;
#[path = "../support/mod.rs"]
mod support;

mod add_csr_api;
mod add_force;
mod add_local_ca;
mod add_refusals;
mod cli_surface;
mod closed_pipe;
mod concurrency;
mod csr_cleanup;
mod demo;
mod export_remove;
mod file_modes;
mod krew;
mod list_inspect;
mod lock_wait;
mod lossless;
mod secret_canary;
