//! `export` hands one person a standalone kubeconfig; `remove` takes a user out of ours.

use std::os::unix::fs::PermissionsExt;

use crate::harness::{Sandbox, entry};

fn with_john() -> Sandbox {
    let sb = Sandbox::new();
    sb.openssl_ca();
    sb.seed_kubeconfig();
    let (crt, key) = (sb.path("ca.crt"), sb.path("ca.key"));
    sb.run(&[
        "add",
        "john",
        "-n",
        "dev1",
        "--no-check",
        "--cert-dir",
        "certs",
        "--ca-cert",
        crt.to_str().unwrap(),
        "--ca-key",
        key.to_str().unwrap(),
    ])
    .ok();
    sb
}

#[test]
fn export_writes_a_private_self_contained_kubeconfig() {
    let sb = with_john();
    sb.run(&["export", "john", "--file", "john.kubeconfig"])
        .ok();
    let file = sb.path("john.kubeconfig");
    assert_eq!(
        std::fs::metadata(&file).unwrap().permissions().mode() & 0o777,
        0o600
    );
    let view = sb.kubectl(&[
        "--kubeconfig",
        file.to_str().unwrap(),
        "config",
        "view",
        "--raw",
        "-o",
        "json",
    ]);
    let view: serde_json::Value = serde_json::from_str(&view.ok().stdout).unwrap();
    assert_eq!(view["current-context"], "john@kubernetes");
    assert_eq!(
        view["users"].as_array().unwrap().len(),
        1,
        "only john's credentials"
    );
    let user = &entry(&view, "users", "john").unwrap()["user"];
    assert!(user["client-key-data"].is_string() && user["client-certificate-data"].is_string());
    let cluster = &entry(&view, "clusters", "kubernetes").unwrap()["cluster"];
    assert!(
        cluster["certificate-authority-data"].is_string(),
        "the CA file is embedded: {cluster}"
    );
    assert_eq!(
        entry(&view, "contexts", "john@kubernetes").unwrap()["context"]["namespace"],
        "dev1"
    );
    // The private key never reaches the terminal.
    let run = sb.run(&["export", "john", "--file", "john.kubeconfig"]);
    run.fails_with("already exists");
    assert!(!run.stdout.contains("PRIVATE KEY") && !run.stderr.contains("PRIVATE KEY"));
}

#[test]
fn export_dry_run_shows_the_file_without_secrets() {
    let sb = with_john();
    let run = sb.run(&["export", "john", "--dry-run"]);
    let out = &run.ok().stdout;
    assert!(
        out.contains("john@kubernetes") && out.contains("<certificate data, sha256 "),
        "{out}"
    );
    assert!(
        out.contains("client-key-data: <redacted>"),
        "no key material: {out}"
    );
    assert!(!out.contains("PRIVATE KEY"));
    assert!(!sb.path("john.kubeconfig").exists());
}

#[test]
fn remove_takes_the_user_and_its_contexts_and_warns_about_revocation() {
    let sb = with_john();
    let dry = sb.run(&["remove", "john", "--dry-run"]);
    // The diff takes out john's user entry and his context, and adds nothing.
    let removed: Vec<&str> = dry
        .ok()
        .stdout
        .lines()
        .filter(|l| l.starts_with('-') && !l.starts_with("---"))
        .collect();
    assert!(
        removed
            .iter()
            .any(|l| l.trim_start_matches('-').trim() == "name: john"),
        "{}",
        dry.stdout
    );
    assert!(
        removed.iter().any(|l| l.contains("name: john@kubernetes")),
        "{}",
        dry.stdout
    );
    assert!(
        !removed.iter().any(|l| l.contains("kubernetes-admin")),
        "{}",
        dry.stdout
    );
    assert!(
        !dry.stdout
            .lines()
            .any(|l| l.starts_with('+') && !l.starts_with("+++")),
        "{}",
        dry.stdout
    );
    assert!(
        entry(&sb.kubectl_view(), "users", "john").is_some(),
        "dry run changed nothing"
    );

    let run = sb.run(&["remove", "john"]);
    assert!(
        run.ok().stderr.contains("cannot be revoked"),
        "{}",
        run.stderr
    );
    let view = sb.kubectl_view();
    assert!(entry(&view, "users", "john").is_none());
    assert!(entry(&view, "contexts", "john@kubernetes").is_none());
    assert!(
        entry(&view, "users", "kubernetes-admin").is_some(),
        "others stay"
    );
    sb.run(&["remove", "john"]).fails_with("not found");
}
