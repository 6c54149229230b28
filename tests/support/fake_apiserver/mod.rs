//! A fake Kubernetes API server for tests, in-process on 127.0.0.1, speaking the real wire
//! format for what kubectl-certuser and kubectl use: HTTPS with client-certificate
//! authentication, discovery, CertificateSigningRequests with their approval subresource,
//! watch and a signer, the self-review APIs decided by RBAC, RBAC objects, and `Status` errors.
//! It plays a Kubernetes version ([`ServerVersion`]) and answers in the real server's order:
//! authentication, then authorization, then the resource lookup.
//! The real kubectl is its judge (tests/fake_apiserver).

#![allow(dead_code)]

mod admission;
mod authz;
mod configmaps;
mod csr;
mod discovery;
pub mod faults;
mod http;
mod protobuf;
mod reviews;
mod status;
mod store;
mod tls;

use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Value, json};

pub use store::Store;

/// What the signer does with an approved `kubernetes.io/kube-apiserver-client` CSR: its job,
/// or the ways a broken or hostile signer gets it wrong.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SignerMode {
    /// Issue the certificate the CSR asks for (within the signer's policy).
    Sign,
    /// Never issue (a cluster whose controller-manager has no signing key).
    Never,
    /// Add a `Failed` condition (reason `SignerValidationFailure`).
    Deny,
    /// Add a `Failed` condition with this reason and message.
    Fail {
        reason: &'static str,
        message: &'static str,
    },
    /// Issue a certificate for a public key other than the CSR's.
    WrongKey,
    /// Issue a certificate for the CSR's key with this subject instead of the CSR's.
    WrongSubject {
        common_name: &'static str,
        groups: &'static [&'static str],
    },
}

/// The Kubernetes version the fake plays: `/version`, discovery, which review APIs exist, the
/// bootstrap roles, and what the CSR API understands all follow it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum ServerVersion {
    /// v1.21: certificates.k8s.io/v1 (from v1.19) without `expirationSeconds` (v1.22): the field
    /// is dropped and the signer's own duration applies, as on v1.19 to v1.21.
    V1_21,
    /// v1.24: `expirationSeconds` honoured; no SelfSubjectReview (alpha from v1.26, off by
    /// default), so a plain user's request for one is 403 and only system:masters sees 404.
    V1_24,
    /// v1.27: SelfSubjectReview in authentication.k8s.io/v1beta1, granted by system:basic-user.
    V1_27,
    /// v1.28 and later (reports v1.32): SelfSubjectReview v1.
    V1_28Plus,
}

impl ServerVersion {
    pub const ALL: [ServerVersion; 4] = [
        ServerVersion::V1_21,
        ServerVersion::V1_24,
        ServerVersion::V1_27,
        ServerVersion::V1_28Plus,
    ];
    pub const OLDEST: ServerVersion = ServerVersion::V1_21;
    pub const NEWEST: ServerVersion = ServerVersion::V1_28Plus;

    /// The minor version `/version` reports.
    pub fn minor(self) -> u32 {
        match self {
            ServerVersion::V1_21 => 21,
            ServerVersion::V1_24 => 24,
            ServerVersion::V1_27 => 27,
            ServerVersion::V1_28Plus => 32,
        }
    }
}

#[derive(Clone, Debug)]
pub struct FakeOptions {
    pub signer: SignerMode,
    /// Like kube-controller-manager's `--cluster-signing-duration` (default one year).
    pub max_signing_duration: Option<Duration>,
    pub version: ServerVersion,
    /// An attacker allowed to delete and create CSRs replaces each new CSR, right after its
    /// creation, with his own of the same name (his key, the same subject).
    pub replace_created_csrs: bool,
    /// Offer HTTP/2 by ALPN, as kube-apiserver (Go's net/http) does; off, only HTTP/1.1 is
    /// spoken, as behind a proxy that does not speak HTTP/2.
    pub http2: bool,
    /// How long a TLS handshake may take before the server drops the connection, as Go's
    /// server does at its read deadline (kube-apiserver: 32 s); `None`: no limit.
    pub handshake_timeout: Option<Duration>,
}

impl Default for FakeOptions {
    fn default() -> Self {
        FakeOptions {
            signer: SignerMode::Sign,
            max_signing_duration: None,
            version: ServerVersion::NEWEST,
            replace_created_csrs: false,
            http2: true,
            handshake_timeout: None,
        }
    }
}

#[derive(Clone, Debug)]
pub struct RequestRecord {
    /// HTTP/2 or HTTP/1.1: what the connection negotiated.
    pub version: hyper::Version,
    pub method: String,
    pub path: String,
    pub user: Option<String>,
}

pub(crate) struct Shared {
    pub store: Mutex<Store>,
    pub pki: tls::Pki,
    pub options: Mutex<FakeOptions>,
    pub requests: Mutex<Vec<RequestRecord>>,
    pub faults: Mutex<Vec<faults::Fault>>,
    /// One entry per completed TLS handshake: the client certificate's user, if any.
    pub handshakes: Mutex<Vec<Option<String>>>,
    /// TCP connections accepted, and those dropped because their handshake took too long.
    pub accepted: std::sync::atomic::AtomicUsize,
    pub handshakes_timed_out: std::sync::atomic::AtomicUsize,
}

pub struct FakeApiServer {
    shared: Arc<Shared>,
    addr: SocketAddr,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl FakeApiServer {
    pub fn start(options: FakeOptions) -> FakeApiServer {
        let mut store = Store::new();
        authz::bootstrap(&mut store, options.version);
        let pki = tls::Pki::new();
        configmaps::publish(
            &mut store,
            &String::from_utf8(pki.ca.to_pem().unwrap()).unwrap(),
        );
        let shared = Arc::new(Shared {
            store: Mutex::new(store),
            pki,
            options: Mutex::new(options),
            requests: Mutex::new(Vec::new()),
            faults: Mutex::new(Vec::new()),
            handshakes: Mutex::new(Vec::new()),
            accepted: Default::default(),
            handshakes_timed_out: Default::default(),
        });
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        listener.set_nonblocking(true).unwrap();
        let addr = listener.local_addr().unwrap();
        let (tx, rx) = tokio::sync::oneshot::channel();
        let server = shared.clone();
        let thread = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(http::serve(server, listener, rx));
        });
        FakeApiServer {
            shared,
            addr,
            shutdown: Some(tx),
            thread: Some(thread),
        }
    }

    pub fn url(&self) -> String {
        format!("https://{}", self.addr)
    }

    pub fn ca_cert_pem(&self) -> Vec<u8> {
        self.shared.pki.ca.to_pem().unwrap()
    }

    pub fn ca_key_pem(&self) -> Vec<u8> {
        self.shared.pki.ca_key.private_key_to_pem_pkcs8().unwrap()
    }

    /// kubeadm's admin.conf: user kubernetes-admin in group kubeadm:cluster-admins.
    pub fn admin_kubeconfig(&self, path: &Path, cluster_name: &str) {
        self.user_kubeconfig(
            path,
            cluster_name,
            "kubernetes-admin",
            &["kubeadm:cluster-admins"],
        );
    }

    /// A kubeconfig for `user` with a client certificate signed by the cluster CA.
    pub fn user_kubeconfig(&self, path: &Path, cluster_name: &str, user: &str, groups: &[&str]) {
        self.user_kubeconfig_expiring(path, cluster_name, user, groups, 365 * 86_400);
    }

    /// Like `user_kubeconfig`, with a certificate that ends `seconds` from now (negative: one
    /// that has expired).
    pub fn user_kubeconfig_expiring(
        &self,
        path: &Path,
        cluster_name: &str,
        user: &str,
        groups: &[&str],
        seconds: i64,
    ) {
        let (cert, key) = self.shared.pki.client_identity(user, groups, seconds);
        let b64 = |b: &[u8]| openssl::base64::encode_block(b);
        let context = format!("{user}@{cluster_name}");
        let doc = json!({
            "apiVersion": "v1", "kind": "Config", "preferences": {},
            "clusters": [{ "name": cluster_name, "cluster": { "server": self.url(), "certificate-authority-data": b64(&self.ca_cert_pem()) } }],
            "users": [{ "name": user, "user": { "client-certificate-data": b64(&cert.to_pem().unwrap()), "client-key-data": b64(&key.private_key_to_pem_pkcs8().unwrap()) } }],
            "contexts": [{ "name": context, "context": { "cluster": cluster_name, "user": user } }],
            "current-context": context,
        });
        std::fs::write(path, serde_json::to_string_pretty(&doc).unwrap()).unwrap();
    }

    /// A server of that version with the default options.
    pub fn of_version(version: ServerVersion) -> FakeApiServer {
        FakeApiServer::start(FakeOptions {
            version,
            ..FakeOptions::default()
        })
    }

    pub fn version(&self) -> ServerVersion {
        self.shared.options.lock().unwrap().version
    }

    pub fn set_signer(&self, mode: SignerMode) {
        self.shared.options.lock().unwrap().signer = mode;
    }

    pub fn set_replace_created_csrs(&self, on: bool) {
        self.shared.options.lock().unwrap().replace_created_csrs = on;
    }

    pub fn set_max_signing_duration(&self, d: Option<Duration>) {
        self.shared.options.lock().unwrap().max_signing_duration = d;
    }

    /// Put an object straight into the store, e.g. a CSR someone else created.
    /// `resource_path` is the collection: `/apis/GROUP/VERSION[/namespaces/NS]/RESOURCE`.
    pub fn insert(&self, resource_path: &str, object: Value) -> Value {
        let parts: Vec<&str> = resource_path.trim_matches('/').split('/').collect();
        let (group, rest) = match parts.first() {
            Some(&"api") => ("", &parts[2..]),
            _ => (parts[1], &parts[3..]),
        };
        let (namespace, resource) = match rest {
            ["namespaces", ns, resource] => (*ns, *resource),
            [resource] => ("", *resource),
            _ => panic!("not a collection path: {resource_path}"),
        };
        self.shared
            .store
            .lock()
            .unwrap()
            .create(group, resource, namespace, object)
            .unwrap_or_else(|e| panic!("{}", e.body))
    }

    /// Replace a ClusterRole's rules, as an administrator who tightens a bootstrap role does.
    pub fn set_cluster_role_rules(&self, name: &str, rules: Value) {
        let mut store = self.shared.store.lock().unwrap();
        let mut role = store
            .get("clusterroles", "", name)
            .unwrap_or_else(|| panic!("no ClusterRole {name}"));
        role["rules"] = rules;
        store.update("clusterroles", "", name, role);
    }

    /// Every object of a resource (all namespaces).
    pub fn list(&self, resource: &str) -> Vec<Value> {
        self.shared.store.lock().unwrap().list(resource, None)
    }

    /// Misbehave from now on: see [`faults`]. The first matching fault decides.
    pub fn inject(&self, fault: faults::Fault) {
        self.shared.faults.lock().unwrap().push(fault);
    }

    /// The TLS handshakes so far, each by the user its client certificate names (`None`: no
    /// certificate, or one the server rejected): how many connections each identity opened.
    pub fn handshakes(&self) -> Vec<Option<String>> {
        self.shared.handshakes.lock().unwrap().clone()
    }

    /// How many TLS connections `user` opened.
    pub fn handshakes_of(&self, user: &str) -> usize {
        self.handshakes()
            .iter()
            .filter(|u| u.as_deref() == Some(user))
            .count()
    }

    /// TCP connections accepted so far, handshake finished or not.
    pub fn connections(&self) -> usize {
        self.shared
            .accepted
            .load(std::sync::atomic::Ordering::SeqCst)
    }

    /// Connections dropped because their TLS handshake outlasted `handshake_timeout`.
    pub fn handshakes_timed_out(&self) -> usize {
        self.shared
            .handshakes_timed_out
            .load(std::sync::atomic::Ordering::SeqCst)
    }

    pub fn requests(&self) -> Vec<RequestRecord> {
        self.shared.requests.lock().unwrap().clone()
    }
}

impl Drop for FakeApiServer {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
