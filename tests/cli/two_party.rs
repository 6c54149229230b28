//! The two-party flow across separate HOME folders: the user makes the key and a CSR
//! (`request`), an administrator signs it (`sign`) without ever holding the key, the user
//! installs the certificate (`install`). kubectl and openssl judge the result.

use std::os::unix::fs::PermissionsExt;

use crate::harness::{Sandbox, openssl};
use crate::support::fake_apiserver::{FakeApiServer, FakeOptions};

/// Every file of the sandbox holding `needle` (bytes).
fn files_with(sb: &Sandbox, needle: &[u8]) -> Vec<std::path::PathBuf> {
    sb.snapshot()
        .into_iter()
        .filter(|(_, bytes)| bytes.windows(needle.len()).any(|w| w == needle))
        .map(|(p, _)| p)
        .collect()
}

fn copy(from: &Sandbox, name: &str, to: &Sandbox) {
    std::fs::copy(from.path(name), to.path(name)).unwrap();
}

#[test]
fn request_sign_install_through_the_csr_api_never_moves_the_key() {
    let server = FakeApiServer::start(FakeOptions::default());
    let admin = Sandbox::new();
    server.admin_kubeconfig(&admin.kubeconfig, "kubernetes");
    let alice = Sandbox::new();

    let run = alice.run(&[
        "request",
        "alice",
        "-g",
        "dev1",
        "--key-type",
        "ecdsa-p256",
        "--file",
        "alice.csr",
    ]);
    run.ok();
    let key_path = alice.path("alice.key");
    assert_eq!(
        std::fs::metadata(&key_path).unwrap().permissions().mode() & 0o777,
        0o600
    );
    let key_pem = std::fs::read(&key_path).unwrap();
    assert!(String::from_utf8_lossy(&key_pem).contains("PRIVATE KEY"));
    let subject = openssl(&[
        "req",
        "-in",
        alice.path("alice.csr").to_str().unwrap(),
        "-noout",
        "-verify",
        "-subject",
    ]);
    assert!(
        subject.ok().stdout.contains("O = dev1, CN = alice"),
        "{}",
        subject.stdout
    );
    assert!(!run.stdout.contains("PRIVATE KEY") && !run.stderr.contains("PRIVATE KEY"));

    copy(&alice, "alice.csr", &admin);
    let signed = admin.run(&[
        "sign",
        "alice.csr",
        "-n",
        "dev1",
        "--clusterrole",
        "view",
        "--kubeconfig-out",
        "alice.kubeconfig",
    ]);
    signed.ok();
    assert!(
        signed
            .stderr
            .contains("signing CN=alice, groups dev1, ECDSA P-256 key"),
        "{}",
        signed.stderr
    );
    // The key never existed on the signing side, in any form.
    let b64 = openssl::base64::encode_block(&key_pem);
    assert!(
        files_with(&admin, &key_pem).is_empty() && files_with(&admin, b64.as_bytes()).is_empty()
    );
    let out = admin.kubectl(&[
        "--kubeconfig",
        admin.path("alice.kubeconfig").to_str().unwrap(),
        "config",
        "view",
        "--raw",
        "-o",
        "json",
    ]);
    let view: serde_json::Value = serde_json::from_str(&out.ok().stdout).unwrap();
    assert!(
        view["users"][0]["user"].get("client-key-data").is_none(),
        "no key: {view}"
    );
    assert!(view["clusters"][0]["cluster"]["certificate-authority-data"].is_string());

    copy(&admin, "alice.kubeconfig", &alice);
    alice
        .run(&["install", "--kubeconfig-in", "alice.kubeconfig", "--use"])
        .ok();
    assert!(
        !alice.path("alice.request.json").exists(),
        "no longer pending"
    );
    let yes = alice.kubectl(&["auth", "can-i", "list", "pods"]);
    assert_eq!(
        yes.stdout.trim(),
        "yes",
        "the context's namespace is dev1: {yes:?}"
    );
    let who = alice.kubectl(&["auth", "whoami", "-o", "json"]);
    let who: serde_json::Value = serde_json::from_str(&who.ok().stdout).unwrap();
    assert_eq!(who["status"]["userInfo"]["username"], "alice");
    assert!(
        who["status"]["userInfo"]["groups"]
            .as_array()
            .unwrap()
            .iter()
            .any(|g| g == "dev1")
    );
    assert!(
        server
            .list("rolebindings")
            .iter()
            .any(|b| b["subjects"][0]["name"] == "alice")
    );
}

#[test]
fn install_checks_the_key_and_the_cluster_ca_with_a_local_ca() {
    let server = FakeApiServer::start(FakeOptions::default());
    let admin = Sandbox::new();
    server.admin_kubeconfig(&admin.kubeconfig, "kubernetes");
    let (ca, ca_key) = admin.openssl_ca();
    // bob's kubeconfig knows the cluster by the local CA.
    let bob = Sandbox::new();
    copy(&admin, "ca.crt", &bob);
    bob.seed_kubeconfig();
    bob.run(&["request", "bob", "--file", "bob.csr"]).ok();
    copy(&bob, "bob.csr", &admin);

    let (ca, ca_key) = (ca.to_str().unwrap(), ca_key.to_str().unwrap());
    admin
        .run(&[
            "sign",
            "bob.csr",
            "--ca-cert",
            ca,
            "--ca-key",
            ca_key,
            "--file",
            "bob.crt",
        ])
        .ok();
    openssl(&[
        "verify",
        "-CAfile",
        ca,
        admin.path("bob.crt").to_str().unwrap(),
    ])
    .ok();
    // The same CSR signed by the fake cluster's CA: not the CA bob's kubeconfig trusts.
    let pem = admin.run(&["sign", "bob.csr"]);
    std::fs::write(bob.path("other.crt"), &pem.ok().stdout).unwrap();
    let before = bob.snapshot();
    bob.run(&["install", "--cert", "other.crt"])
        .fails_with("does not chain to cluster \"kubernetes\"'s CA");
    assert!(
        before == bob.snapshot(),
        "a refused install changes nothing"
    );

    // A certificate for someone else's key.
    let carol = Sandbox::new();
    carol.run(&["request", "carol", "--file", "carol.csr"]).ok();
    copy(&carol, "carol.csr", &admin);
    admin
        .run(&[
            "sign",
            "carol.csr",
            "--ca-cert",
            ca,
            "--ca-key",
            ca_key,
            "--file",
            "carol.crt",
        ])
        .ok();
    copy(&admin, "carol.crt", &bob);
    bob.run(&["install", "--cert", "carol.crt"])
        .fails_with("no pending request");
    assert!(
        before.len() + 1 == bob.snapshot().len(),
        "only the copied file is new"
    );

    copy(&admin, "bob.crt", &bob);
    let run = bob.run(&["install", "--cert", "bob.crt", "-o", "json"]);
    let report = run.ok().json();
    assert_eq!(report["caChecked"], true);
    assert_eq!(report["context"], "bob@kubernetes");
    let view = bob.kubectl_view();
    let user = &crate::harness::entry(&view, "users", "bob").unwrap()["user"];
    assert_eq!(user["client-key"], bob.path("bob.key").to_str().unwrap());
    assert_eq!(
        user["client-certificate"],
        bob.path("bob.crt").to_str().unwrap()
    );
}

#[test]
fn sign_refuses_what_add_refuses_and_changes_nothing() {
    let server = FakeApiServer::start(FakeOptions::default());
    let admin = Sandbox::new();
    server.admin_kubeconfig(&admin.kubeconfig, "kubernetes");
    let make = |name: &str, subject: &str| {
        let (key, csr) = (
            admin.path(&format!("{name}.key-elsewhere")),
            admin.path(&format!("{name}.csr")),
        );
        openssl(&[
            "req",
            "-new",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-keyout",
            key.to_str().unwrap(),
            "-subj",
            subject,
            "-out",
            csr.to_str().unwrap(),
        ])
        .ok();
        std::fs::remove_file(key).unwrap();
    };
    make("proxy", "/CN=system:kube-proxy");
    make("root", "/O=system:masters/CN=root");
    make("nocn", "/O=dev1");
    let (weak_key, weak) = (admin.path("weak.key-elsewhere"), admin.path("weak.csr"));
    openssl(&[
        "req",
        "-new",
        "-newkey",
        "rsa:1024",
        "-nodes",
        "-keyout",
        weak_key.to_str().unwrap(),
        "-subj",
        "/CN=weak",
        "-out",
        weak.to_str().unwrap(),
    ])
    .ok();
    std::fs::remove_file(weak_key).unwrap();
    std::fs::write(admin.path("junk.csr"), "not a request\n").unwrap();
    for (file, needle) in [
        ("proxy.csr", "reserved for Kubernetes components"),
        ("root.csr", "system:masters"),
        ("nocn.csr", "no CN"),
        ("weak.csr", "RSA 1024"),
        ("junk.csr", "not a PEM certificate signing request"),
        ("missing.csr", "cannot read"),
    ] {
        let before = admin.snapshot();
        admin
            .run(&["sign", file, "--file", "out.crt"])
            .fails_with(needle);
        assert!(before == admin.snapshot(), "{file}: nothing written");
    }
    assert!(
        server.list("certificatesigningrequests").is_empty(),
        "nothing was sent"
    );
    // add's escape hatches work the same way.
    admin
        .run(&[
            "sign",
            "proxy.csr",
            "--allow-system-user",
            "--file",
            "proxy.crt",
        ])
        .ok();

    // request refuses the same names before making a key.
    let user = Sandbox::new();
    user.run(&["request", "system:evil"]).fails_with("reserved");
    user.run(&["request", "eve", "-g", "system:masters"])
        .fails_with("system:masters");
    assert!(user.snapshot().is_empty(), "no key was made");
    user.run(&["request", "eve", "--file", "eve.csr"]).ok();
    user.run(&["request", "eve", "--file", "eve2.csr"])
        .fails_with("pending");
}

/// `sign` with a local CA holds the same line as `add`: under 10 minutes is refused (a `1m` is
/// easily a typo for a month) before anything is signed, unless `--allow-short-lifetime`.
#[test]
fn sign_with_a_local_ca_refuses_lifetimes_under_ten_minutes_unless_allowed() {
    let sb = Sandbox::new();
    let (crt, key) = sb.openssl_ca();
    let (crt, key) = (crt.to_str().unwrap(), key.to_str().unwrap());
    sb.run(&[
        "request",
        "bob",
        "--key-type",
        "ecdsa-p256",
        "--file",
        "bob.csr",
    ])
    .ok();
    let sign = |extra: &[&str]| {
        let mut args = vec!["sign", "bob.csr", "--file", "bob.crt", "--ca-cert", crt];
        args.extend(["--ca-key", key]);
        args.extend(extra);
        sb.run(&args)
    };
    let before = sb.snapshot();
    let refused = sign(&["--duration", "1m"]);
    refused.fails_with("--allow-short-lifetime");
    assert_eq!(refused.code, 2, "{refused:?}");
    assert!(before == sb.snapshot(), "a refused sign changed files");
    sign(&["--duration", "2m", "--allow-short-lifetime"]).ok();
    let end = openssl(&[
        "x509",
        "-in",
        sb.path("bob.crt").to_str().unwrap(),
        "-noout",
        "-enddate",
    ]);
    assert!(end.ok().stdout.starts_with("notAfter="), "{}", end.stdout);
}
