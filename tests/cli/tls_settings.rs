//! The TLS settings of a cluster entry, as kubectl applies them: the kubeconfig's
//! certificate-authority is the only one trusted (the system's store only when there is none),
//! `insecure-skip-tls-verify` checks nothing, `tls-server-name` is the name checked. OpenSSL
//! reads the "system store" from SSL_CERT_FILE, so each test plants its own.

use serde_json::Value;

use crate::harness::{Run, Sandbox};
use crate::support::fake_apiserver::{FakeApiServer, FakeOptions};

/// The fake's admin kubeconfig (JSON), edited by `change`.
fn kubeconfig(sb: &Sandbox, server: &FakeApiServer, change: impl FnOnce(&mut Value)) {
    server.admin_kubeconfig(&sb.kubeconfig, "kubernetes");
    let mut doc: Value = serde_json::from_slice(&std::fs::read(&sb.kubeconfig).unwrap()).unwrap();
    change(&mut doc["clusters"][0]["cluster"]);
    std::fs::write(&sb.kubeconfig, serde_json::to_vec_pretty(&doc).unwrap()).unwrap();
}

/// `whoami` with `system_ca` as the system's store (and no system folder of certificates).
fn whoami_trusting(sb: &Sandbox, system_ca: &[u8]) -> Run {
    let (file, dir) = (sb.path("system-ca.pem"), sb.path("system-certs"));
    std::fs::write(&file, system_ca).unwrap();
    std::fs::create_dir_all(&dir).unwrap();
    Run::of(
        sb.certuser()
            .args(["whoami"])
            .env("SSL_CERT_FILE", &file)
            .env("SSL_CERT_DIR", &dir)
            .output()
            .unwrap(),
    )
}

#[test]
fn the_kubeconfigs_ca_is_the_only_one_trusted() {
    let (ours, other) = (
        FakeApiServer::start(FakeOptions::default()),
        FakeApiServer::start(FakeOptions::default()),
    );
    let sb = Sandbox::new();
    // Our cluster's CA, but the other server's address; the system trusts the other's CA.
    kubeconfig(&sb, &ours, |c| c["server"] = other.url().into());
    let run = whoami_trusting(&sb, &other.ca_cert_pem());
    run.fails_with("certificate verify failed");
    assert_eq!(
        other.handshakes().len(),
        0,
        "no TLS session with a server the kubeconfig's CA did not sign"
    );
    // The same kubeconfig with its own server works.
    kubeconfig(&sb, &ours, |_| {});
    let run = whoami_trusting(&sb, &other.ca_cert_pem());
    run.ok();
    assert!(run.stdout.contains("kubernetes-admin"), "{}", run.stdout);
}

#[test]
fn without_a_ca_the_systems_store_is_trusted() {
    let (server, other) = (
        FakeApiServer::start(FakeOptions::default()),
        FakeApiServer::start(FakeOptions::default()),
    );
    let sb = Sandbox::new();
    kubeconfig(&sb, &server, |c| {
        c.as_object_mut()
            .unwrap()
            .remove("certificate-authority-data");
    });
    whoami_trusting(&sb, &server.ca_cert_pem()).ok();
    whoami_trusting(&sb, &other.ca_cert_pem()).fails_with("certificate verify failed");
}

#[test]
fn insecure_skip_tls_verify_trusts_any_server() {
    let server = FakeApiServer::start(FakeOptions::default());
    let sb = Sandbox::new();
    kubeconfig(&sb, &server, |c| {
        c.as_object_mut()
            .unwrap()
            .remove("certificate-authority-data");
        c["insecure-skip-tls-verify"] = true.into();
    });
    let run = whoami_trusting(&sb, b"");
    run.ok();
    assert!(run.stdout.contains("kubernetes-admin"), "{}", run.stdout);
}

#[test]
fn tls_server_name_is_the_name_checked() {
    // The server's certificate names 127.0.0.1, localhost and kubernetes.
    let server = FakeApiServer::start(FakeOptions::default());
    let sb = Sandbox::new();
    let by_name = server.url().replace("127.0.0.1", "localhost");
    kubeconfig(&sb, &server, |c| c["server"] = by_name.clone().into());
    whoami_trusting(&sb, b"").ok();
    kubeconfig(&sb, &server, |c| c["tls-server-name"] = "kubernetes".into());
    whoami_trusting(&sb, b"").ok();
    kubeconfig(&sb, &server, |c| {
        c["tls-server-name"] = "elsewhere.example".into()
    });
    whoami_trusting(&sb, b"").fails_with("certificate verify failed");
}

#[test]
fn a_command_opens_one_connection_for_its_calls() {
    let server = FakeApiServer::start(FakeOptions::default());
    let sb = Sandbox::new();
    server.admin_kubeconfig(&sb.kubeconfig, "kubernetes");
    sb.run(&["whoami"]).ok();
    sb.run(&["whoami"]).ok();
    assert_eq!(
        server.handshakes(),
        vec![Some("kubernetes-admin".to_string()); 2],
        "one TLS connection per command"
    );
    // can-i asks its three questions at once: at most one connection each, and one in all
    // over HTTP/2 (tests/cli/connections.rs).
    sb.run(&["can-i", "list", "pods"]).ok();
    assert!(
        server.handshakes_of("kubernetes-admin") <= 2 + 3,
        "{:?}",
        server.handshakes()
    );
}

#[test]
fn a_proxy_url_is_refused_by_name_without_echoing_it() {
    let server = FakeApiServer::start(FakeOptions::default());
    let sb = Sandbox::new();
    kubeconfig(&sb, &server, |c| {
        c["proxy-url"] = "http://user:SECRET-PROXY@127.0.0.1:3128".into()
    });
    let run = sb.run(&["whoami"]);
    run.fails_with("proxy-url");
    assert!(!run.stderr.contains("SECRET-PROXY"), "{}", run.stderr);
    assert!(server.handshakes().is_empty());
}
