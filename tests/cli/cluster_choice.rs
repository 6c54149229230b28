//! Choosing the cluster like a person would, and saying only what the server confirmed.

use crate::harness::{Sandbox, entry};
use crate::support::fake_apiserver::{FakeApiServer, FakeOptions};

/// A CA from openssl and a kubeconfig made by `kubectl config set-cluster` alone: one cluster,
/// no context, no user (nothing listens on its server).
fn only_a_cluster() -> Sandbox {
    let sb = Sandbox::new();
    sb.openssl_ca();
    sb.kubectl(&[
        "config",
        "set-cluster",
        "solo",
        "--server",
        "https://127.0.0.1:1",
    ])
    .ok();
    sb
}

fn with_ca(sb: &Sandbox, extra: &[&str]) -> Vec<String> {
    let mut args: Vec<String> = ["add", "john", "--ca-cert"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    args.push(sb.path("ca.crt").display().to_string());
    args.push("--ca-key".into());
    args.push(sb.path("ca.key").display().to_string());
    args.extend(extra.iter().map(|s| s.to_string()));
    args
}

fn run(sb: &Sandbox, args: &[String]) -> crate::harness::Run {
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    sb.run(&args)
}

#[test]
fn the_only_cluster_is_used_and_said_so() {
    let sb = only_a_cluster();
    let added = run(&sb, &with_ca(&sb, &["--timeout", "5s"]));
    added.ok();
    assert!(
        added
            .stderr
            .contains("has no current-context: using its only cluster (solo)"),
        "{}",
        added.stderr
    );
    let view = sb.kubectl_view();
    assert_eq!(
        entry(&view, "contexts", "john@solo").unwrap()["context"]["cluster"],
        "solo"
    );
    // The server could not be reached: the certificate was never tried, and nothing claims it works.
    assert!(
        added.stderr.contains("john's certificate was not tried")
            && added.stderr.contains("127.0.0.1:1"),
        "{}",
        added.stderr
    );
    assert!(!added.stderr.contains("can sign in"), "{}", added.stderr);
    // The check runs while the kubeconfig is written, but speaks after the write's line.
    let (written, untried) = (
        added.stderr.find("john: certificate from").unwrap(),
        added.stderr.find("was not tried").unwrap(),
    );
    assert!(written < untried, "{}", added.stderr);
}

#[test]
fn several_clusters_and_no_context_are_listed() {
    let sb = only_a_cluster();
    sb.kubectl(&[
        "config",
        "set-cluster",
        "other",
        "--server",
        "https://127.0.0.1:2",
    ])
    .ok();
    let before = sb.snapshot();
    let refused = run(&sb, &with_ca(&sb, &[]));
    refused.fails_with("has no current-context, and 2 clusters: other, solo");
    assert!(
        refused.stderr.contains("hint: pass --cluster NAME"),
        "{}",
        refused.stderr
    );
    assert!(before == sb.snapshot(), "nothing changed");
    run(&sb, &with_ca(&sb, &["--cluster", "other", "--no-check"])).ok();
}

#[test]
fn without_a_check_nothing_claims_the_user_can_sign_in() {
    let sb = only_a_cluster();
    let added = run(&sb, &with_ca(&sb, &["--no-check"]));
    added.ok();
    assert!(!added.stderr.contains("can sign in"), "{}", added.stderr);
    assert!(
        added.stderr.contains("has no role from this command"),
        "{}",
        added.stderr
    );
}

#[test]
fn whoami_with_only_a_cluster_and_a_user_uses_both_and_says_so() {
    let server = FakeApiServer::start(FakeOptions::default());
    let sb = Sandbox::new();
    server.admin_kubeconfig(&sb.kubeconfig, "kubernetes");
    // What `set-cluster` and `set-credentials` leave behind: no context at all.
    let mut doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&sb.kubeconfig).unwrap()).unwrap();
    doc["contexts"] = serde_json::json!([]);
    doc["current-context"] = "".into();
    std::fs::write(&sb.kubeconfig, doc.to_string()).unwrap();
    let run = sb.run(&["whoami", "-o", "json"]);
    assert_eq!(run.ok().json()["username"], "kubernetes-admin");
    assert!(
        run.stderr
            .contains("using its only cluster (kubernetes) and its only user (kubernetes-admin)"),
        "{}",
        run.stderr
    );
}
