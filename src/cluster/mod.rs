//! The Kubernetes API: signing through CertificateSigningRequests, asking who we are and what we
//! may do, and binding roles.
//!
//! - [`client`]: a client from the kubeconfig module's view, or for a new identity held in memory.
//! - [`tls`], [`connector`]: its TLS settings and connections (trusting only the cluster's CA).
//! - [`csr`]: the CSR flow, with its security checks.
//! - [`access`]: SelfSubjectReview, SelfSubjectAccessReview, SelfSubjectRulesReview.
//! - [`checks`]: what to ask and the verdict: a pure decision table.
//! - [`rbac`]: idempotent role bindings.

mod access;
mod checks;
mod client;
mod connector;
mod csr;
mod error;
mod one_connection;
mod rbac;
mod tls;

pub use access::{Identity, can_i, rules, whoami};
pub use checks::{Check, CheckResult, Verdict, default_checks, verdict};
pub use client::{ApiClient, NewIdentities, connect, connect_as};
pub use csr::{
    CsrCertificate, CsrCleanup, CsrEvent, CsrRequest, approver, csr_name, expiration_seconds,
    request_object, sign_via_api,
};
pub use error::ClusterError;
pub use rbac::{
    EnsuredBinding, ListedBinding, RoleRef, UserBinding, bind, binding_name, binding_object,
    bindings_naming, check_bind, delete_binding, list_bindings, namespace_exists,
};
pub use tls::warm_up as warm_up_tls;

/// The label on every object we create, so they can be found and cleaned up.
pub const MANAGED_BY: (&str, &str) = ("app.kubernetes.io/managed-by", "kubectl-certuser");
