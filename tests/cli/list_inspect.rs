//! `list` and `inspect`: what the certificates in a kubeconfig say, including ones kubectl wrote.

use crate::harness::{Sandbox, openssl};

fn add(sb: &Sandbox, args: &[&str]) {
    let (crt, key) = (sb.path("ca.crt"), sb.path("ca.key"));
    let mut all = vec![
        "add",
        "--no-check",
        "--ca-cert",
        crt.to_str().unwrap(),
        "--ca-key",
        key.to_str().unwrap(),
    ];
    all.extend_from_slice(args);
    sb.run(&all).ok();
}

#[test]
fn list_shows_certificate_users_with_expiry() {
    let sb = Sandbox::with_local_ca();
    add(&sb, &["john", "-g", "dev1", "-g", "qa"]);
    add(&sb, &["jane", "--days", "30", "--cert-dir", "certs"]);
    // A user kubectl wrote from openssl-made files, with a relative path.
    let (key, csr, crt) = (sb.path("ops.key"), sb.path("ops.csr"), sb.path("ops.crt"));
    openssl(&["genrsa", "-out", key.to_str().unwrap(), "2048"]).ok();
    openssl(&[
        "req",
        "-new",
        "-key",
        key.to_str().unwrap(),
        "-subj",
        "/CN=ops/O=sre",
        "-out",
        csr.to_str().unwrap(),
    ])
    .ok();
    openssl(&[
        "x509",
        "-req",
        "-in",
        csr.to_str().unwrap(),
        "-CA",
        sb.path("ca.crt").to_str().unwrap(),
        "-CAkey",
        sb.path("ca.key").to_str().unwrap(),
        "-CAcreateserial",
        "-out",
        crt.to_str().unwrap(),
        "-days",
        "10",
    ])
    .ok();
    sb.kubectl(&[
        "config",
        "set-credentials",
        "ops",
        "--client-certificate",
        "ops.crt",
        "--client-key",
        "ops.key",
    ])
    .ok();

    let json = sb.run(&["list", "-o", "json"]).ok().json();
    let users = json["users"].as_array().unwrap();
    let names: Vec<_> = users.iter().map(|u| u["name"].as_str().unwrap()).collect();
    assert_eq!(
        names,
        ["jane", "john", "ops"],
        "sorted; token user kubernetes-admin is not listed"
    );
    let (jane, john) = (&users[0], &users[1]);
    assert_eq!(john["groups"], serde_json::json!(["dev1", "qa"]));
    assert_eq!(john["issuer"], "CN=kubernetes");
    assert_eq!(john["storage"]["kind"], "embedded");
    assert_eq!(jane["storage"]["kind"], "file");
    let residual = jane["residualSeconds"].as_i64().unwrap();
    assert!(
        (29 * 86_400..=30 * 86_400).contains(&residual),
        "{residual}"
    );
    assert_eq!(users[2]["commonName"], "ops");
    assert_eq!(users[2]["contexts"], serde_json::json!([]));
    assert_eq!(john["contexts"], serde_json::json!(["john@kubernetes"]));

    let table = sb.run(&["list"]).ok().stdout.clone();
    let header = table.lines().next().unwrap();
    assert!(
        header.starts_with("NAME") && header.contains("RESIDUAL TIME"),
        "{table}"
    );
    let jane = table.lines().find(|l| l.starts_with("jane")).unwrap();
    assert!(jane.contains("29d") || jane.contains("30d"), "{jane}");

    let names = sb.run(&["list", "-o", "name"]).ok().stdout.clone();
    assert_eq!(names, "user/jane\nuser/john\nuser/ops\n");
    let yaml = sb.run(&["list", "-o", "yaml"]).ok().stdout.clone();
    let parsed: serde_json::Value = serde_saphyr::from_str(&yaml).unwrap();
    assert_eq!(parsed["users"][1]["name"], "john");
}

#[test]
fn list_reports_a_broken_certificate_without_failing() {
    let sb = Sandbox::with_local_ca();
    sb.kubectl(&[
        "config",
        "set-credentials",
        "broken",
        "--client-certificate",
        "missing.crt",
        "--client-key",
        "missing.key",
    ])
    .ok();
    let json = sb.run(&["list", "-o", "json"]).ok().json();
    assert!(
        json["users"][0]["error"]
            .as_str()
            .unwrap()
            .contains("missing.crt")
    );
}

#[test]
fn inspect_a_user_and_a_file_agree_with_openssl() {
    let sb = Sandbox::with_local_ca();
    add(
        &sb,
        &[
            "john",
            "-g",
            "dev1",
            "--key-type",
            "ecdsa-p384",
            "--cert-dir",
            "certs",
        ],
    );
    let info = sb.run(&["inspect", "john", "-o", "json"]).ok().json();
    assert_eq!(info["commonName"], "john");
    assert_eq!(info["groups"], serde_json::json!(["dev1"]));
    assert_eq!(info["key"], "ECDSA P-384");
    assert_eq!(info["extendedKeyUsage"], serde_json::json!(["clientAuth"]));
    assert_eq!(info["isCa"], false);
    let fingerprint = openssl(&[
        "x509",
        "-in",
        sb.path("certs/john.crt").to_str().unwrap(),
        "-noout",
        "-fingerprint",
        "-sha256",
    ]);
    assert!(
        fingerprint
            .ok()
            .stdout
            .contains(info["sha256Fingerprint"].as_str().unwrap()),
        "{}",
        fingerprint.stdout
    );
    let serial = openssl(&[
        "x509",
        "-in",
        sb.path("certs/john.crt").to_str().unwrap(),
        "-noout",
        "-serial",
    ]);
    assert_eq!(
        serial
            .ok()
            .stdout
            .trim()
            .trim_start_matches("serial=")
            .to_lowercase(),
        info["serial"].as_str().unwrap().to_lowercase()
    );

    let text = sb.run(&["inspect", "certs/john.crt"]).ok().stdout.clone();
    assert!(
        text.contains("User (CN):") && text.contains("john") && text.contains("left)"),
        "{text}"
    );
    sb.run(&["inspect", "nobody"])
        .fails_with("neither a kubeconfig user nor a certificate file");
}
