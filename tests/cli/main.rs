//! Integration tests: the built binary in a temp HOME and kubeconfig, judged by the real
//! `openssl` and `kubectl`. One file per verb.

mod harness;
#[path = "../support/mod.rs"]
mod support;

mod access;
mod add_csr_api;
mod add_force;
mod add_local_ca;
mod add_refusals;
mod apply;
mod bulk;
mod check_expiration;
mod cli_surface;
mod closed_pipe;
mod cluster_choice;
mod concurrency;
mod connections;
mod corpus;
mod crash;
mod csr_cleanup;
mod csr_overlap;
mod csr_round_trips;
mod demo;
mod doctor;
mod export_remove;
mod file_modes;
mod flag_surface;
mod hostile_cluster;
mod inspect_files;
mod interrupted_write;
mod krew;
mod kubectl_race;
mod ledger;
mod list_inspect;
mod lock_wait;
mod lossless;
mod manners;
mod one_reader;
mod remove_rbac;
mod renew;
mod secret_canary;
mod server_versions;
mod tls_settings;
mod two_party;
