//! kubectl-certuser: certificate-based users for Kubernetes clusters, as a library so that the
//! binary, the integration tests and the benchmarks share one implementation.
