//! `remove --rbac` deletes the bindings this tool made for the user, and only those; `remove`
//! of a user this tool did not make needs `--force`.

use serde_json::json;

use crate::harness::{Sandbox, entry, openssl};
use crate::support::fake_apiserver::{FakeApiServer, FakeOptions};

fn cluster_with_john() -> (FakeApiServer, Sandbox) {
    let server = FakeApiServer::start(FakeOptions::default());
    let sb = Sandbox::new();
    server.admin_kubeconfig(&sb.kubeconfig, "kubernetes");
    for extra in [
        &["-n", "dev1", "--clusterrole", "view"][..],
        &["--clusterrole", "view", "--cluster-wide", "--force"][..],
    ] {
        let mut args = vec!["add", "john", "--no-check"];
        args.extend_from_slice(extra);
        sb.run(&args).ok();
    }
    (server, sb)
}

fn binding(name: &str, labelled: bool, users: &[&str]) -> serde_json::Value {
    let mut metadata = json!({ "name": name });
    if labelled {
        metadata["labels"] = json!({ "app.kubernetes.io/managed-by": "kubectl-certuser" });
    }
    json!({
        "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding", "metadata": metadata,
        "roleRef": { "apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "edit" },
        "subjects": users.iter().map(|u| json!({ "apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": u })).collect::<Vec<_>>(),
    })
}

fn binding_names(server: &FakeApiServer) -> Vec<String> {
    let mut names: Vec<String> = ["rolebindings", "clusterrolebindings"]
        .iter()
        .flat_map(|r| server.list(r))
        .map(|b| b["metadata"]["name"].as_str().unwrap().to_string())
        .collect();
    names.sort();
    names
}

#[test]
fn remove_rbac_deletes_only_the_labelled_bindings_of_the_user() {
    let (server, sb) = cluster_with_john();
    let rb = "/apis/rbac.authorization.k8s.io/v1/namespaces/dev1/rolebindings";
    server.insert(rb, binding("by-hand-john", false, &["john"]));
    server.insert(rb, binding("shared-ours", true, &["john", "jane"]));
    server.insert(rb, binding("certuser:jane:edit", true, &["jane"]));
    let before = binding_names(&server);
    assert!(
        before.contains(&"certuser:john:view".to_string()),
        "{before:?}"
    );

    // A dry run lists what would go, and deletes nothing.
    let dry = sb.run(&["remove", "john", "--rbac", "--dry-run"]);
    assert!(
        dry.ok()
            .stdout
            .contains("would delete RoleBinding dev1/certuser:john:view")
            && dry
                .stdout
                .contains("would delete ClusterRoleBinding certuser:john:view"),
        "{}",
        dry.stdout
    );
    assert_eq!(binding_names(&server), before);
    assert!(entry(&sb.kubectl_view(), "users", "john").is_some());

    let run = sb.run(&["remove", "john", "--rbac", "-o", "json"]);
    let report = run.ok().json();
    let deleted: Vec<&str> = report["deletedBindings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["name"].as_str().unwrap())
        .collect();
    assert_eq!(deleted, ["certuser:john:view", "certuser:john:view"]);
    let left: Vec<&str> = report["leftAloneBindings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["name"].as_str().unwrap())
        .collect();
    assert_eq!(left, ["by-hand-john", "shared-ours"], "{report}");
    assert!(report["stillValid"][0]["residualSeconds"].as_i64().unwrap() > 0);
    assert!(
        run.stderr
            .contains("left alone RoleBinding dev1/by-hand-john")
            && run.stderr.contains("stays valid until"),
        "{}",
        run.stderr
    );
    let lines: Vec<&str> = run.stderr.lines().collect();
    let last_done = lines.iter().rposition(|l| l.starts_with('✓')).unwrap();
    let first_warning = lines
        .iter()
        .position(|l| l.starts_with("warning:"))
        .unwrap();
    assert!(
        last_done < first_warning,
        "every ✓ before the warnings:\n{}",
        run.stderr
    );
    let after = binding_names(&server);
    assert!(
        !after.contains(&"certuser:john:view".to_string()),
        "{after:?}"
    );
    for kept in [
        "by-hand-john",
        "shared-ours",
        "certuser:jane:edit",
        "cluster-admin",
    ] {
        assert!(after.contains(&kept.to_string()), "{kept} kept: {after:?}");
    }
    assert!(entry(&sb.kubectl_view(), "users", "john").is_none());
}

#[test]
fn remove_rbac_against_a_cluster_it_cannot_read_changes_nothing() {
    let (server, sb) = cluster_with_john();
    drop(server);
    let before = sb.snapshot();
    sb.run(&["remove", "john", "--rbac"])
        .fails_with("cannot reach the API server");
    assert!(before == sb.snapshot(), "nothing changed");
}

#[test]
fn users_this_tool_did_not_make_need_force() {
    let sb = Sandbox::new();
    let (ca, ca_key) = sb.openssl_ca();
    sb.seed_kubeconfig();
    // An admin in system:masters, as kubeadm's admin.conf had before 1.29.
    let (key, csr, crt) = (
        sb.path("root.key"),
        sb.path("root.csr"),
        sb.path("root.crt"),
    );
    openssl(&[
        "req",
        "-new",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        key.to_str().unwrap(),
        "-subj",
        "/O=system:masters/CN=root",
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
        ca.to_str().unwrap(),
        "-CAkey",
        ca_key.to_str().unwrap(),
        "-days",
        "30",
        "-out",
        crt.to_str().unwrap(),
    ])
    .ok();
    sb.kubectl(&[
        "config",
        "set-credentials",
        "root",
        "--client-certificate",
        crt.to_str().unwrap(),
        "--client-key",
        key.to_str().unwrap(),
    ])
    .ok();

    for (user, needle) in [
        ("kubernetes-admin", "has no client certificate"),
        ("root", "system:masters administrator"),
    ] {
        let before = sb.snapshot();
        sb.run(&["remove", user]).fails_with(needle);
        assert!(before == sb.snapshot(), "refusing {user} changed nothing");
    }
    sb.run(&["remove", "kubernetes-admin", "root", "--force"])
        .ok();
    let view = sb.kubectl_view();
    assert!(
        entry(&view, "users", "root").is_none()
            && entry(&view, "users", "kubernetes-admin").is_none()
    );
}

#[test]
fn remove_rbac_never_touches_another_cluster_than_the_users() {
    let (server, sb) = cluster_with_john();
    let other = FakeApiServer::start(FakeOptions::default());
    let elsewhere = sb.path("elsewhere.json");
    other.admin_kubeconfig(&elsewhere, "elsewhere");
    let merged = format!("{}:{}", elsewhere.display(), sb.kubeconfig.display());
    let before = sb.snapshot();
    let run = sb
        .certuser()
        .env("KUBECONFIG", &merged)
        .args(["remove", "john", "--rbac"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("belongs to cluster \"kubernetes\""),
        "{stderr}"
    );
    assert!(before == sb.snapshot(), "nothing changed");
    assert!(binding_names(&server).contains(&"certuser:john:view".to_string()));
    // With john's cluster current (both files name their admin kubernetes-admin, so merged
    // they cannot both be used: first wins, as in kubectl), it works.
    sb.run(&["remove", "john", "--rbac"]).ok();
    assert!(!binding_names(&server).contains(&"certuser:john:view".to_string()));
}
