//! Integration tests: the built binary in a temp HOME and kubeconfig, judged by the real
//! `openssl` and `kubectl`. One file per verb.

mod harness;
#[path = "../support/mod.rs"]
mod support;

mod add_csr_api;
mod add_local_ca;
mod add_refusals;
mod cli_surface;
mod concurrency;
mod corpus;
mod crash;
mod demo;
mod export_remove;
mod krew;
mod kubectl_race;
mod list_inspect;
mod lossless;
