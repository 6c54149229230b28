//! The fake API server is itself tested: the real kubectl must work against it and get the
//! answers a real API server gives. Where kubectl and the fake disagree, the fake is wrong.

#[path = "../support/mod.rs"]
mod support;

use std::process::Command;

use serde_json::{Value, json};
use support::fake_apiserver::{FakeApiServer, FakeOptions, SignerMode};

struct Kubectl {
    kubeconfig: std::path::PathBuf,
    _dir: tempfile::TempDir,
}

impl Kubectl {
    fn admin(server: &FakeApiServer) -> Kubectl {
        let dir = tempfile::tempdir().unwrap();
        let kubeconfig = dir.path().join("config");
        server.admin_kubeconfig(&kubeconfig, "kubernetes");
        Kubectl {
            kubeconfig,
            _dir: dir,
        }
    }

    fn user(server: &FakeApiServer, user: &str, groups: &[&str]) -> Kubectl {
        let dir = tempfile::tempdir().unwrap();
        let kubeconfig = dir.path().join("config");
        server.user_kubeconfig(&kubeconfig, "kubernetes", user, groups);
        Kubectl {
            kubeconfig,
            _dir: dir,
        }
    }

    fn run(&self, args: &[&str]) -> (i32, String, String) {
        let out = Command::new("kubectl")
            .args(args)
            .env("KUBECONFIG", &self.kubeconfig)
            .env("HOME", self._dir.path())
            .output()
            .expect("kubectl is installed");
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }

    #[track_caller]
    fn ok(&self, args: &[&str]) -> String {
        let (code, out, err) = self.run(args);
        assert_eq!(code, 0, "kubectl {args:?} failed:\n{out}\n{err}");
        out
    }
}

fn csr_object(name: &str, user: &str, groups: &str) -> Value {
    let key = openssl::pkey::PKey::from_ec_key(
        openssl::ec::EcKey::generate(
            &openssl::ec::EcGroup::from_curve_name(openssl::nid::Nid::X9_62_PRIME256V1).unwrap(),
        )
        .unwrap(),
    )
    .unwrap();
    let mut subject = openssl::x509::X509NameBuilder::new().unwrap();
    subject
        .append_entry_by_nid(openssl::nid::Nid::ORGANIZATIONNAME, groups)
        .unwrap();
    subject
        .append_entry_by_nid(openssl::nid::Nid::COMMONNAME, user)
        .unwrap();
    let subject = subject.build();
    let mut req = openssl::x509::X509ReqBuilder::new().unwrap();
    req.set_subject_name(&subject).unwrap();
    req.set_pubkey(&key).unwrap();
    req.sign(&key, openssl::hash::MessageDigest::sha256())
        .unwrap();
    json!({
        "apiVersion": "certificates.k8s.io/v1", "kind": "CertificateSigningRequest", "metadata": { "name": name },
        "spec": { "request": openssl::base64::encode_block(&req.build().to_pem().unwrap()), "signerName": "kubernetes.io/kube-apiserver-client",
                  "expirationSeconds": 86400, "usages": ["client auth", "digital signature"] }
    })
}

#[test]
fn version_and_discovery() {
    let server = FakeApiServer::start(FakeOptions::default());
    let k = Kubectl::admin(&server);
    let out = k.ok(&["version", "-o", "json"]);
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["serverVersion"]["minor"], "32");
    let resources = k.ok(&[
        "api-resources",
        "--api-group",
        "certificates.k8s.io",
        "-o",
        "name",
    ]);
    assert!(
        resources.contains("certificatesigningrequests.certificates.k8s.io"),
        "{resources}"
    );
}

#[test]
fn csr_get_approve_issue_and_deny_with_kubectl() {
    let server = FakeApiServer::start(FakeOptions::default());
    let k = Kubectl::admin(&server);
    server.insert(
        "/apis/certificates.k8s.io/v1/certificatesigningrequests",
        csr_object("john-csr", "john", "dev1"),
    );
    server.insert(
        "/apis/certificates.k8s.io/v1/certificatesigningrequests",
        csr_object("eve-csr", "eve", "dev1"),
    );
    let listed = k.ok(&["get", "csr"]);
    assert!(
        listed.contains("john-csr") && listed.contains("eve-csr"),
        "{listed}"
    );

    let approved = k.ok(&["certificate", "approve", "john-csr"]);
    assert!(approved.contains("approved"), "{approved}");
    let mut pem = String::new();
    for _ in 0..50 {
        pem = k.ok(&[
            "get",
            "csr",
            "john-csr",
            "-o",
            "jsonpath={.status.certificate}",
        ]);
        if !pem.is_empty() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let cert = openssl::base64::decode_block(&pem).expect("the signer issued a certificate");
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("ca.crt"), server.ca_cert_pem()).unwrap();
    std::fs::write(dir.path().join("john.crt"), &cert).unwrap();
    let verify = Command::new("openssl")
        .args(["verify", "-CAfile", "ca.crt", "john.crt"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(
        verify.status.success(),
        "{}",
        String::from_utf8_lossy(&verify.stderr)
    );
    let subject = Command::new("openssl")
        .args(["x509", "-noout", "-subject", "-in", "john.crt"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&subject.stdout).contains("CN = john"));

    k.ok(&["certificate", "deny", "eve-csr"]);
    let conditions = k.ok(&[
        "get",
        "csr",
        "eve-csr",
        "-o",
        "jsonpath={.status.conditions[0].type}",
    ]);
    assert_eq!(conditions, "Denied");
    let (code, _, err) = k.run(&["get", "csr", "nobody-csr"]);
    assert_ne!(code, 0);
    assert!(
        err.contains(r#"certificatesigningrequests.certificates.k8s.io "nobody-csr" not found"#),
        "404 NotFound: {err}"
    );
    let spec_user = k.ok(&["get", "csr", "john-csr", "-o", "jsonpath={.metadata.name}"]);
    assert_eq!(spec_user, "john-csr");
}

#[test]
fn can_i_whoami_and_role_bindings_with_kubectl() {
    let server = FakeApiServer::start(FakeOptions::default());
    let admin = Kubectl::admin(&server);
    let john = Kubectl::user(&server, "john", &["dev1"]);

    let (code, out, _) = john.run(&["auth", "can-i", "list", "pods", "-n", "dev1"]);
    assert_eq!((code, out.trim()), (1, "no"));
    let who: Value = serde_json::from_str(&john.ok(&["auth", "whoami", "-o", "json"])).unwrap();
    assert_eq!(who["status"]["userInfo"]["username"], "john");
    assert_eq!(
        who["status"]["userInfo"]["groups"],
        json!(["dev1", "system:authenticated"])
    );
    let (code, _, err) = john.run(&["get", "pods", "-n", "dev1"]);
    assert_ne!(code, 0);
    assert!(err.contains(r#"pods is forbidden: User "john" cannot list resource "pods" in API group "" in the namespace "dev1""#), "{err}");

    admin.ok(&[
        "create",
        "rolebinding",
        "john-view",
        "--clusterrole",
        "view",
        "--user",
        "john",
        "-n",
        "dev1",
    ]);
    let (code, out, _) = john.run(&["auth", "can-i", "list", "pods", "-n", "dev1"]);
    assert_eq!((code, out.trim()), (0, "yes"));
    let (code, out, _) = john.run(&["auth", "can-i", "get", "secrets", "-n", "dev1"]);
    assert_eq!((code, out.trim()), (1, "no"), "view does not read secrets");
    let (code, out, _) = john.run(&["auth", "can-i", "list", "pods", "-n", "default"]);
    assert_eq!((code, out.trim()), (1, "no"), "a RoleBinding is namespaced");
    let pods = john.ok(&["get", "pods", "-n", "dev1"]);
    assert!(pods.is_empty() || pods.contains("No resources"), "{pods}");

    let (code, _, err) = admin.run(&[
        "create",
        "rolebinding",
        "john-view",
        "--clusterrole",
        "view",
        "--user",
        "john",
        "-n",
        "dev1",
    ]);
    assert_ne!(code, 0);
    assert!(err.contains("already exists"), "409 AlreadyExists: {err}");
}

#[test]
fn unauthenticated_and_unauthorized() {
    let server = FakeApiServer::start(FakeOptions::default());
    let dir = tempfile::tempdir().unwrap();
    let anonymous = dir.path().join("anon");
    let ca = openssl::base64::encode_block(&server.ca_cert_pem());
    std::fs::write(&anonymous, format!(
        "apiVersion: v1\nkind: Config\nclusters:\n- name: k\n  cluster:\n    server: {}\n    certificate-authority-data: {ca}\nusers:\n- name: nobody\n  user:\n    token: not-a-valid-token\ncontexts:\n- name: c\n  context:\n    cluster: k\n    user: nobody\ncurrent-context: c\n",
        server.url()
    )).unwrap();
    let out = Command::new("kubectl")
        .args(["get", "csr"])
        .env("KUBECONFIG", &anonymous)
        .env("HOME", dir.path())
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("Unauthorized") || err.contains("provide credentials"),
        "{err}"
    );

    let bob = Kubectl::user(&server, "bob", &["dev"]);
    let (code, _, err) = bob.run(&["get", "csr"]);
    assert_ne!(code, 0);
    assert!(err.contains(r#"User "bob" cannot list resource "certificatesigningrequests" in API group "certificates.k8s.io" at the cluster scope"#), "{err}");
}

#[test]
fn signer_modes_and_validation() {
    let server = FakeApiServer::start(FakeOptions {
        signer: SignerMode::Deny,
        ..FakeOptions::default()
    });
    let k = Kubectl::admin(&server);
    server.insert(
        "/apis/certificates.k8s.io/v1/certificatesigningrequests",
        csr_object("x", "x", "g"),
    );
    k.ok(&["certificate", "approve", "x"]);
    // The signer works in the background: poll (bounded) rather than guess a delay.
    let mut types = String::new();
    for _ in 0..100 {
        types = k.ok(&[
            "get",
            "csr",
            "x",
            "-o",
            "jsonpath={.status.conditions[*].type}",
        ]);
        if types != "Approved" {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    assert_eq!(types, "Approved Failed");

    let dir = tempfile::tempdir().unwrap();
    let mut short = csr_object("short", "y", "g");
    short["spec"]["expirationSeconds"] = json!(300);
    std::fs::write(dir.path().join("short.json"), short.to_string()).unwrap();
    let (code, _, err) = k.run(&[
        "create",
        "-f",
        dir.path().join("short.json").to_str().unwrap(),
        "--validate=false",
    ]);
    assert_ne!(code, 0);
    assert!(
        err.contains("spec.expirationSeconds: Invalid value: 300"),
        "{err}"
    );
}

#[test]
fn ca_config_maps_as_a_real_cluster_publishes_them() {
    let server = FakeApiServer::start(FakeOptions::default());
    let admin = Kubectl::admin(&server);
    let ca = String::from_utf8(server.ca_cert_pem()).unwrap();
    let client_ca = admin.ok(&[
        "get",
        "configmap",
        "extension-apiserver-authentication",
        "-n",
        "kube-system",
        "-o",
        "jsonpath={.data.client-ca-file}",
    ]);
    assert_eq!(client_ca, ca);
    let root = admin.ok(&[
        "get",
        "configmap",
        "kube-root-ca.crt",
        "-n",
        "dev1",
        "-o",
        "json",
    ]);
    let root: Value = serde_json::from_str(&root).unwrap();
    assert_eq!(root["data"]["ca.crt"], ca.as_str());
    // A user without rights may not read them, as on a real cluster.
    let (code, _, err) = Kubectl::user(&server, "jane", &[]).run(&[
        "get",
        "configmap",
        "extension-apiserver-authentication",
        "-n",
        "kube-system",
    ]);
    assert_ne!(code, 0);
    assert!(
        err.contains("Forbidden") || err.contains("forbidden"),
        "{err}"
    );
}
