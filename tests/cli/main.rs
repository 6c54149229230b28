//! Integration tests: the built binary in a temp HOME and kubeconfig, judged by the real
//! `openssl` and `kubectl`. One file per verb.

mod add_csr_api;
mod add_local_ca;
mod add_refusals;
mod cli_surface;
mod closed_pipe;
mod concurrency;
mod crash;
mod demo;
mod export_remove;
mod harness;
mod inspect_files;
mod krew;
mod list_inspect;
mod lossless;
mod one_reader;
mod remove_rbac;
mod secret_canary;
#[path = "../support/mod.rs"]
mod support;
