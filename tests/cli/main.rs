//! Integration tests: the built binary in a temp HOME and kubeconfig, judged by the real
//! `openssl` and `kubectl`. One file per verb.

mod harness;
#[path = "../support/mod.rs"]
mod support;

mod access;
mod add_csr_api;
mod add_local_ca;
mod add_refusals;
mod cli_surface;
mod cluster_choice;
mod concurrency;
mod demo;
mod export_remove;
mod krew;
mod list_inspect;
mod lossless;
mod one_reader;
mod server_versions;
