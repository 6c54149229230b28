//! Integration tests: the built binary in a temp HOME and kubeconfig, judged by the real
//! `openssl` and `kubectl`. One file per verb.

mod harness;
#[path = "../support/mod.rs"]
mod support;

mod add_csr_api;
mod add_local_ca;
mod add_refusals;
mod check_expiration;
mod cli_surface;
mod concurrency;
mod demo;
mod doctor;
mod export_remove;
mod krew;
mod list_inspect;
mod lossless;
mod remove_rbac;
mod renew;
mod two_party;
