//! The CertificateSigningRequest we create is ours to clean up: after success, after an error,
//! after Ctrl-C, SIGTERM or SIGHUP while waiting for a signer, and said aloud when it cannot be deleted.

use std::process::Stdio;
use std::time::{Duration, Instant};

use crate::harness::Sandbox;
use crate::support::fake_apiserver::{FakeApiServer, FakeOptions, SignerMode};

fn cluster(signer: SignerMode) -> (FakeApiServer, Sandbox) {
    let server = FakeApiServer::start(FakeOptions {
        signer,
        ..FakeOptions::default()
    });
    let sb = Sandbox::new();
    server.admin_kubeconfig(&sb.kubeconfig, "kubernetes");
    (server, sb)
}

/// Poll (never a fixed sleep) until `done`, for at most a generous bound.
#[track_caller]
fn eventually(what: &str, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(
            start.elapsed() < Duration::from_secs(120),
            "timed out waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn approved_csr_exists(server: &FakeApiServer) -> bool {
    server.list("certificatesigningrequests").iter().any(|csr| {
        csr["status"]["conditions"]
            .as_array()
            .is_some_and(|c| c.iter().any(|c| c["type"] == "Approved"))
    })
}

fn interrupted_while_waiting(signal: &str) {
    let (server, sb) = cluster(SignerMode::Never);
    let before = sb.snapshot();
    let child = sb
        .certuser()
        .args([
            "add",
            "john",
            "--key-type",
            "ecdsa-p256",
            "--timeout",
            "10m",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    eventually("the approved CSR", || approved_csr_exists(&server));
    let kill = std::process::Command::new("kill")
        .args([&format!("-{signal}"), &child.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    assert_eq!(
        out.status.code(),
        Some(2),
        "an error exit, not a kill: {stderr}"
    );
    assert!(
        stderr.contains(&format!("SIG{signal}")) && stderr.contains("deleted"),
        "{stderr}"
    );
    assert!(
        server.list("certificatesigningrequests").is_empty(),
        "the CSR is deleted"
    );
    assert!(!sb.path("config.lock").exists(), "no lock left behind");
    assert!(before == sb.snapshot(), "nothing written");
}

#[test]
fn sigint_while_waiting_for_the_signer_deletes_our_csr() {
    interrupted_while_waiting("INT");
}

#[test]
fn sigterm_while_waiting_for_the_signer_deletes_our_csr() {
    interrupted_while_waiting("TERM");
}

#[test]
fn sighup_while_waiting_for_the_signer_deletes_our_csr() {
    // The terminal closing ends a wait as Ctrl-C does: our object is not left on the server.
    interrupted_while_waiting("HUP");
}

#[test]
fn a_csr_that_cannot_be_deleted_is_named_with_the_command_to_delete_it() {
    let server = FakeApiServer::start(FakeOptions::default());
    // Bob may request and approve client certificates, but not delete CSRs.
    server.insert(
        "/apis/rbac.authorization.k8s.io/v1/clusterroles",
        serde_json::json!({ "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": { "name": "csr-no-delete" },
            "rules": [
                { "apiGroups": ["certificates.k8s.io"], "resources": ["certificatesigningrequests"], "verbs": ["create", "get", "list", "watch"] },
                { "apiGroups": ["certificates.k8s.io"], "resources": ["certificatesigningrequests/approval"], "verbs": ["update"] },
                { "apiGroups": ["certificates.k8s.io"], "resources": ["signers"], "resourceNames": ["kubernetes.io/kube-apiserver-client"], "verbs": ["approve"] }] }),
    );
    server.insert(
        "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings",
        serde_json::json!({ "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding", "metadata": { "name": "bob-csr" },
            "roleRef": { "apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "csr-no-delete" },
            "subjects": [{ "apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": "bob" }] }),
    );
    let sb = Sandbox::new();
    server.user_kubeconfig(&sb.kubeconfig, "kubernetes", "bob", &["dev"]);
    let run = sb.run(&["add", "john", "--no-check", "--key-type", "ecdsa-p256"]);
    run.ok();
    let left = server.list("certificatesigningrequests");
    assert_eq!(
        left.len(),
        1,
        "the delete was refused, so it is still there"
    );
    let name = left[0]["metadata"]["name"].as_str().unwrap();
    assert!(
        run.stderr.contains("warning:")
            && run.stderr.contains(&format!("kubectl delete csr {name}")),
        "{}",
        run.stderr
    );
    assert!(
        server
            .requests()
            .iter()
            .any(|r| r.method == "DELETE" && r.path.ends_with(name)),
        "a delete was tried"
    );
}
