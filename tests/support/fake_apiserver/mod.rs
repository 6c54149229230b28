//! A fake Kubernetes API server for tests, in-process on 127.0.0.1, speaking the real wire
//! format for what kubectl-certuser and kubectl use: HTTPS with client-certificate
//! authentication, discovery, CertificateSigningRequests with their approval subresource,
//! watch and a signer, the self-review APIs decided by RBAC, RBAC objects, and `Status` errors.
//! The real kubectl is its judge (tests/fake_apiserver).

#![allow(dead_code)]

mod authz;
mod configmaps;
mod csr;
mod discovery;
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

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SignerMode {
    /// Approved `kubernetes.io/kube-apiserver-client` CSRs get a certificate.
    Sign,
    /// Approved CSRs are never issued (a cluster whose controller-manager has no signing key).
    Never,
    /// The signer adds a `Failed` condition.
    Deny,
}

#[derive(Clone, Debug)]
pub struct FakeOptions {
    pub signer: SignerMode,
    /// Like kube-controller-manager's `--cluster-signing-duration` (default one year).
    pub max_signing_duration: Option<Duration>,
    /// Serve SelfSubjectReview (false: 404, like a server older than 1.28).
    pub self_subject_review: bool,
}

impl Default for FakeOptions {
    fn default() -> Self {
        FakeOptions {
            signer: SignerMode::Sign,
            max_signing_duration: None,
            self_subject_review: true,
        }
    }
}

#[derive(Clone, Debug)]
pub struct RequestRecord {
    pub method: String,
    pub path: String,
    pub user: Option<String>,
}

pub(crate) struct Shared {
    pub store: Mutex<Store>,
    pub pki: tls::Pki,
    pub options: Mutex<FakeOptions>,
    pub requests: Mutex<Vec<RequestRecord>>,
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
        authz::bootstrap(&mut store);
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
        let (cert, key) = self.shared.pki.client_identity(user, groups);
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

    pub fn set_signer(&self, mode: SignerMode) {
        self.shared.options.lock().unwrap().signer = mode;
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

    /// Every object of a resource (all namespaces).
    pub fn list(&self, resource: &str) -> Vec<Value> {
        self.shared.store.lock().unwrap().list(resource, None)
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
