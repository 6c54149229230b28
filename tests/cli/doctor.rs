//! `doctor` finds each planted fault — wrong key, expired, not yet valid, wrong CA, unreachable
//! server, no rights — and passes a healthy user, against the fake API server.

use std::path::Path;

use serde_json::Value;

use crate::harness::{Sandbox, openssl, openssl_date, openssl_signed};
use crate::support::fake_apiserver::{FakeApiServer, FakeOptions};

const LEAF: &str = "basicConstraints = CA:FALSE\nkeyUsage = critical,digitalSignature,keyEncipherment\nextendedKeyUsage = clientAuth";

fn cluster() -> (FakeApiServer, Sandbox) {
    let (server, sb) = Sandbox::with_fake_cluster(FakeOptions::default());
    std::fs::write(sb.path("fake-ca.crt"), server.ca_cert_pem()).unwrap();
    std::fs::write(sb.path("fake-ca.key"), server.ca_key_pem()).unwrap();
    (server, sb)
}

/// A user whose certificate the openssl tool signed with `ca`, valid `start..end` days from now.
fn planted(sb: &Sandbox, ca: &str, user: &str, start: i64, end: i64) {
    let crt = sb.path(&format!("{user}.crt"));
    let key = openssl_signed(
        sb,
        &sb.path(&format!("{ca}.crt")),
        &sb.path(&format!("{ca}.key")),
        &format!("/CN={user}"),
        &openssl_date(start),
        &openssl_date(end),
        LEAF,
        &crt,
        None,
    );
    credentials(sb, user, &crt, &key, "kubernetes");
}

fn credentials(sb: &Sandbox, user: &str, crt: &Path, key: &Path, cluster: &str) {
    sb.kubectl(&[
        "config",
        "set-credentials",
        user,
        "--client-certificate",
        crt.to_str().unwrap(),
        "--client-key",
        key.to_str().unwrap(),
        "--embed-certs",
    ])
    .ok();
    sb.kubectl(&[
        "config",
        "set-context",
        &format!("{user}@{cluster}"),
        "--cluster",
        cluster,
        "--user",
        user,
        "--namespace",
        "dev1",
    ])
    .ok();
}

fn doctor(sb: &Sandbox, user: &str) -> (i32, Value) {
    let run = sb.run(&["doctor", user, "-o", "json"]);
    assert!(run.code == 0 || run.code == 1, "{run:?}");
    (run.code, run.json())
}

fn verdict<'a>(report: &'a Value, check: &str) -> &'a str {
    report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["check"] == check)
        .unwrap_or_else(|| panic!("no {check} check: {report}"))["verdict"]
        .as_str()
        .unwrap()
}

#[test]
fn a_healthy_user_passes_every_check() {
    let (_server, sb) = cluster();
    sb.run(&[
        "add",
        "good",
        "-n",
        "dev1",
        "--clusterrole",
        "view",
        "--no-check",
    ])
    .ok();
    let (code, report) = doctor(&sb, "good");
    assert_eq!(code, 0, "{report:#}");
    for check in [
        "certificate",
        "key",
        "notExpired",
        "validNow",
        "usage",
        "clientCa",
        "server",
        "identity",
        "access",
    ] {
        assert_eq!(verdict(&report, check), "ok", "{check}: {report:#}");
    }
    assert!(
        report["checks"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["detail"]
                .as_str()
                .unwrap()
                .contains("extension-apiserver-authentication")),
        "{report:#}"
    );
    let key = crate::harness::entry(&sb.kubectl_view(), "users", "good").unwrap()["user"]["client-key-data"].as_str().unwrap().to_string();
    let human = sb.run(&["doctor", "good", "-v"]);
    for out in [&human.stdout, &human.stderr] {
        assert!(
            !out.contains("PRIVATE KEY") && !out.contains(&key),
            "no key material"
        );
    }
    assert!(
        human.ok().stdout.starts_with(
            "doctor good (context good@kubernetes, cluster kubernetes, namespace dev1)"
        ),
        "{}",
        human.stdout
    );
}

#[test]
fn each_planted_fault_is_found_with_its_fix() {
    let (_server, sb) = cluster();
    // No rights: a valid certificate, no binding.
    sb.run(&["add", "lonely", "-n", "dev1", "--no-check"]).ok();
    // Wrong key: the certificate of one key, another key beside it.
    sb.run(&["add", "wrongkey", "--no-check"]).ok();
    let stray = sb.path("stray.key");
    openssl(&["genrsa", "-out", stray.to_str().unwrap(), "2048"]).ok();
    sb.kubectl(&[
        "config",
        "set-credentials",
        "wrongkey",
        "--client-key",
        stray.to_str().unwrap(),
        "--embed-certs",
    ])
    .ok();
    planted(&sb, "fake-ca", "expired", -10, -1);
    planted(&sb, "fake-ca", "future", 1, 10);
    // Wrong CA: a CA the cluster has never heard of.
    let (other, other_key) = (sb.path("other-ca.crt"), sb.path("other-ca.key"));
    openssl(&[
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        other_key.to_str().unwrap(),
        "-out",
        other.to_str().unwrap(),
        "-subj",
        "/CN=other-ca",
        "-days",
        "30",
        "-addext",
        "basicConstraints=critical,CA:TRUE",
        "-addext",
        "keyUsage=critical,keyCertSign",
    ])
    .ok();
    planted(&sb, "other-ca", "stranger", -1, 10);
    // Unreachable: a valid certificate for a cluster whose server is gone.
    sb.kubectl(&[
        "config",
        "set-cluster",
        "gone",
        "--server",
        "https://127.0.0.1:1",
        "--certificate-authority",
        sb.path("fake-ca.crt").to_str().unwrap(),
    ])
    .ok();
    let crt = sb.path("far.crt");
    let key = openssl_signed(
        &sb,
        &sb.path("fake-ca.crt"),
        &sb.path("fake-ca.key"),
        "/CN=far",
        &openssl_date(-1),
        &openssl_date(10),
        LEAF,
        &crt,
        None,
    );
    credentials(&sb, "far", &crt, &key, "gone");

    for (user, check, words) in [
        ("lonely", "access", "cannot"),
        ("wrongkey", "key", "does not belong"),
        ("expired", "notExpired", "expired"),
        ("future", "validNow", "clock"),
        ("stranger", "clientCa", "does not chain"),
        ("far", "server", "cannot reach https://127.0.0.1:1"),
    ] {
        let (code, report) = doctor(&sb, user);
        assert_eq!(code, 1, "{user}: {report:#}");
        assert_eq!(verdict(&report, check), "fail", "{user}: {report:#}");
        let finding = report["checks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["check"] == check)
            .unwrap();
        assert!(
            finding["detail"].as_str().unwrap().contains(words),
            "{user}: {finding}"
        );
        assert!(
            finding["fix"].is_string(),
            "{user}: a fix is named: {finding}"
        );
        assert_eq!(report["ok"], false);
    }
    let human = sb.run(&["doctor", "expired"]);
    assert_eq!(human.code, 1);
    assert!(
        human.stdout.contains("FAIL  not expired")
            && human.stdout.contains("fix: kubectl certuser renew expired"),
        "{}",
        human.stdout
    );
}

#[test]
fn doctor_of_an_unknown_user_is_an_error() {
    let (_server, sb) = cluster();
    let before = sb.snapshot();
    sb.run(&["doctor", "nobody"]).fails_with("not found");
    assert!(before == sb.snapshot());
}

#[test]
fn the_client_ca_is_read_from_the_users_cluster_not_the_current_one() {
    let (_server, sb) = cluster();
    sb.run(&[
        "add",
        "good",
        "-n",
        "dev1",
        "--clusterrole",
        "view",
        "--no-check",
    ])
    .ok();
    // The current context now points at another cluster, with another CA.
    let other = FakeApiServer::start(FakeOptions::default());
    let elsewhere = sb.path("elsewhere.json");
    other.admin_kubeconfig(&elsewhere, "elsewhere");
    let merged = format!("{}:{}", elsewhere.display(), sb.kubeconfig.display());
    let run = sb
        .certuser()
        .env("KUBECONFIG", &merged)
        .args(["doctor", "good", "-o", "json"])
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&run.stdout).unwrap();
    assert_eq!(verdict(&report, "clientCa"), "ok", "{report:#}");
    assert_eq!(run.status.code(), Some(0), "{report:#}");
}
