//! `apply -f team.yaml` against the fake API server: a team from empty, the same file again
//! (nothing changes), a group change (re-issued, judged by openssl), `--prune`, `--dry-run`, the
//! refusals that name the file's line, and `--export-dir`, judged by kubectl.

use std::os::unix::fs::PermissionsExt as _;
use std::path::PathBuf;

use serde_json::{Value, json};

use crate::harness::{Run, Sandbox, decode, entry, openssl_stdin};
use crate::support::fake_apiserver::{FakeApiServer, FakeOptions};

const RB: &str = "/apis/rbac.authorization.k8s.io/v1/namespaces/dev1/rolebindings";

/// An admin kubeconfig for the fake server, and its CA as files for local signing.
fn cluster() -> (FakeApiServer, Sandbox, Vec<String>) {
    let server = FakeApiServer::start(FakeOptions::default());
    let sb = Sandbox::new();
    server.admin_kubeconfig(&sb.kubeconfig, "kubernetes");
    let (crt, key) = (sb.path("cluster-ca.crt"), sb.path("cluster-ca.key"));
    std::fs::write(&crt, server.ca_cert_pem()).unwrap();
    std::fs::write(&key, server.ca_key_pem()).unwrap();
    let ca = vec![
        "--ca-cert".to_string(),
        crt.display().to_string(),
        "--ca-key".to_string(),
        key.display().to_string(),
    ];
    (server, sb, ca)
}

/// A team file: `users` are lines under `users:` (already indented YAML).
fn team(users: &str) -> String {
    format!(
        "apiVersion: certuser.kubectl.io/v1alpha1\nkind: UserList\n\
         defaults: {{namespace: dev1, groups: [dev1], clusterRole: view, keyType: ecdsa-p256, duration: 90d}}\n\
         users:\n{users}"
    )
}

fn twenty() -> String {
    (1..=20)
        .map(|i| {
            if i == 2 {
                "- name: u02\n  groups: [dev1, qa]\n  clusterRole: edit\n".to_string()
            } else {
                format!("- name: u{i:02}\n")
            }
        })
        .collect()
}

fn apply(sb: &Sandbox, ca: &[String], file: &str, extra: &[&str]) -> Run {
    let path = sb.path("team.yaml");
    std::fs::write(&path, file).unwrap();
    let mut args = vec!["apply", "-f", path.to_str().unwrap()];
    args.extend(ca.iter().map(String::as_str));
    args.extend_from_slice(extra);
    sb.run(&args)
}

fn bindings(server: &FakeApiServer) -> Vec<String> {
    let mut names: Vec<String> = ["rolebindings", "clusterrolebindings"]
        .iter()
        .flat_map(|r| server.list(r))
        .map(|b| {
            format!(
                "{}/{}",
                b["metadata"]["namespace"].as_str().unwrap_or("-"),
                b["metadata"]["name"].as_str().unwrap()
            )
        })
        .collect();
    names.sort();
    names
}

/// Requests that change something (reviews are questions, not changes).
fn writes(server: &FakeApiServer) -> Vec<String> {
    server
        .requests()
        .into_iter()
        .filter(|r| r.method != "GET" && !r.path.contains("selfsubject"))
        .map(|r| format!("{} {}", r.method, r.path))
        .collect()
}

fn cert_of(sb: &Sandbox, user: &str) -> Vec<u8> {
    let view = sb.kubectl_view();
    decode(&entry(&view, "users", user).unwrap()["user"]["client-certificate-data"])
}

fn subject(cert: &[u8]) -> String {
    let run = openssl_stdin(&["x509", "-noout", "-subject"], cert);
    run.ok();
    run.stdout.trim().to_string()
}

fn ledger(sb: &Sandbox) -> Vec<Value> {
    let path: PathBuf = sb.home.join(".local/share/kubectl-certuser/ledger.jsonl");
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn a_team_of_twenty_from_empty_then_the_same_file_changes_nothing() {
    let (server, sb, ca) = cluster();
    let run = apply(&sb, &ca, &team(&twenty()), &["--no-check", "-o", "json"]);
    let report = run.ok().json();
    assert_eq!(report["summary"]["create"], 20, "{report}");
    let view = sb.kubectl_view();
    for i in 1..=20 {
        let user = format!("u{i:02}");
        assert!(
            entry(&view, "users", &user).is_some(),
            "{user} in kubeconfig"
        );
        let context = entry(&view, "contexts", &format!("{user}@kubernetes")).unwrap();
        assert_eq!(context["context"]["namespace"], "dev1");
        assert_eq!(context["context"]["user"], user.as_str());
    }
    assert!(subject(&cert_of(&sb, "u02")).contains("O = qa"));
    // No key reaches the output, in any form.
    for user in ["u01", "u20"] {
        let key = entry(&view, "users", user).unwrap()["user"]["client-key-data"]
            .as_str()
            .unwrap()
            .to_string();
        let pem = String::from_utf8(decode(&json!(key))).unwrap();
        let body = pem.lines().nth(1).unwrap();
        for output in [&run.stdout, &run.stderr] {
            assert!(
                !output.contains(&key[..40])
                    && !output.contains(body)
                    && !output.contains("PRIVATE KEY")
            );
        }
    }
    let made = bindings(&server);
    assert!(
        made.contains(&"dev1/certuser:u01:view".to_string()),
        "{made:?}"
    );
    assert!(
        made.contains(&"dev1/certuser:u02:edit".to_string()),
        "{made:?}"
    );
    assert_eq!(made.iter().filter(|b| b.contains("certuser:")).count(), 20);
    // The admin still works and is still current.
    assert_eq!(view["current-context"], "kubernetes-admin@kubernetes");
    let entries = ledger(&sb);
    assert_eq!(entries.len(), 20, "one ledger line per certificate");
    assert!(
        entries
            .iter()
            .all(|e| e["verb"] == "apply" && e["signedBy"] == "local-ca")
    );
    assert_eq!(
        std::fs::metadata(&sb.kubeconfig)
            .unwrap()
            .permissions()
            .mode()
            & 0o777,
        0o600
    );

    let before = std::fs::read(&sb.kubeconfig).unwrap();
    let asked = server.requests().len();
    let again = apply(&sb, &ca, &team(&twenty()), &["--no-check"]);
    assert!(
        again.ok().stdout.contains("No change: 20 users"),
        "{}",
        again.stdout
    );
    assert_eq!(
        std::fs::read(&sb.kubeconfig).unwrap(),
        before,
        "kubeconfig byte-identical"
    );
    let new: Vec<_> = server.requests()[asked..]
        .iter()
        .filter(|r| r.method != "GET")
        .map(|r| format!("{} {}", r.method, r.path))
        .collect();
    assert!(new.is_empty(), "a re-run only reads: {new:?}");
    assert_eq!(ledger(&sb).len(), 20, "nothing issued, nothing recorded");
}

#[test]
fn a_changed_group_reissues_that_user_only_and_a_namespace_change_is_the_context() {
    let (_server, sb, ca) = cluster();
    let users = "- name: john\n- name: jane\n";
    apply(&sb, &ca, &team(users), &["--no-check"]).ok();
    let (john, jane) = (cert_of(&sb, "john"), cert_of(&sb, "jane"));
    assert!(!subject(&john).contains("qa"));

    // A namespace the cluster does not have is refused before anything changes.
    let typo = "- name: john\n- name: jane\n  namespace: dve1\n";
    let before = std::fs::read(&sb.kubeconfig).unwrap();
    apply(&sb, &ca, &team(typo), &["--no-check"]).fails_with("team.yaml:6: namespace \"dve1\"");
    assert_eq!(std::fs::read(&sb.kubeconfig).unwrap(), before);

    let changed = "- name: john\n  groups: [dev1, qa]\n- name: jane\n  namespace: default\n";
    let dry = apply(&sb, &ca, &team(changed), &["--dry-run"]);
    assert!(
        dry.ok()
            .stdout
            .contains("~ re-issue  john  groups dev1 -> dev1,qa"),
        "{}",
        dry.stdout
    );
    assert!(dry.stdout.contains("~ context   jane"), "{}", dry.stdout);
    let run = apply(&sb, &ca, &team(changed), &["--no-check", "-o", "json"]);
    let report = run.ok().json();
    assert_eq!(
        report["users"][0]["actions"],
        json!(["re-issue"]),
        "{report}"
    );
    assert_eq!(report["users"][0]["groupsBefore"], json!(["dev1"]));
    assert_eq!(
        report["users"][1]["actions"],
        json!(["context", "bind"]),
        "{report}"
    );

    let reissued = cert_of(&sb, "john");
    assert_ne!(reissued, john);
    let subject = subject(&reissued);
    assert!(
        subject.contains("O = dev1") && subject.contains("O = qa") && subject.contains("CN = john"),
        "{subject}"
    );
    assert_eq!(cert_of(&sb, "jane"), jane, "jane keeps her certificate");
    let view = sb.kubectl_view();
    let context = entry(&view, "contexts", "jane@kubernetes").unwrap();
    assert_eq!(context["context"]["namespace"], "default");
}

#[test]
fn prune_removes_the_unlisted_user_and_our_binding_and_nothing_foreign() {
    let (server, sb, ca) = cluster();
    apply(
        &sb,
        &ca,
        &team("- name: john\n- name: old\n"),
        &["--no-check"],
    )
    .ok();
    server.insert(
        RB,
        json!({
            "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
            "metadata": { "name": "old-by-hand" },
            "roleRef": { "apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "edit" },
            "subjects": [{ "apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": "old" }],
        }),
    );
    // Without --prune, old stays and the plan says so.
    let kept = apply(&sb, &ca, &team("- name: john\n"), &["--no-check"]);
    assert!(
        kept.ok().stdout.contains("--prune removes them): old"),
        "{}",
        kept.stdout
    );
    assert!(entry(&sb.kubectl_view(), "users", "old").is_some());

    let run = apply(
        &sb,
        &ca,
        &team("- name: john\n"),
        &["--no-check", "--prune"],
    );
    assert!(
        run.ok().stdout.contains("- prune     old"),
        "{}",
        run.stdout
    );
    let view = sb.kubectl_view();
    assert!(entry(&view, "users", "old").is_none());
    assert!(entry(&view, "contexts", "old@kubernetes").is_none());
    assert!(entry(&view, "users", "john").is_some());
    assert!(
        entry(&view, "users", "kubernetes-admin").is_some(),
        "the admin is never pruned"
    );
    let left = bindings(&server);
    assert!(
        !left.contains(&"dev1/certuser:old:view".to_string()),
        "{left:?}"
    );
    assert!(
        left.contains(&"dev1/old-by-hand".to_string()),
        "foreign binding kept: {left:?}"
    );
    assert!(
        left.contains(&"dev1/certuser:john:view".to_string()),
        "{left:?}"
    );
}

#[test]
fn a_dry_run_changes_nothing_anywhere() {
    let (server, sb, ca) = cluster();
    apply(&sb, &ca, &team("- name: old\n"), &["--no-check"]).ok();
    let before = sb.snapshot();
    let writes_before = writes(&server);
    let users = "- name: john\n  groups: [dev1, qa]\n  clusterRole: edit\n";
    let run = apply(
        &sb,
        &ca,
        &team(users),
        &["--dry-run", "--prune", "--export-dir", "out"],
    );
    let out = &run.ok().stdout;
    assert!(out.contains("+ create    john"), "{out}");
    assert!(
        out.contains("RoleBinding dev1/certuser:john:edit (ClusterRole/edit)"),
        "{out}"
    );
    assert!(out.contains("- prune     old"), "{out}");
    assert!(out.contains("Plan: 1 to create, 1 to prune."), "{out}");
    let json = apply(&sb, &ca, &team(users), &["--dry-run", "-o", "yaml"]);
    assert!(json.ok().stdout.contains("dryRun: true"), "{}", json.stdout);
    assert!(unchanged(&before, &sb), "every file byte-identical");
    assert_eq!(writes(&server), writes_before, "the server saw no writes");
}

#[test]
fn refusals_name_the_line_and_change_nothing() {
    let (server, sb, ca) = cluster();
    apply(&sb, &ca, &team("- name: john\n"), &["--no-check"]).ok();
    let before = sb.snapshot();
    let asked = server.requests().len();
    let privileged = team("- name: john\n- name: root\n  groups: [dev1, system:masters]\n");
    apply(&sb, &ca, &privileged, &[])
        .fails_with("team.yaml:7")
        .fails_with("system:masters");
    let admins = team("- name: boss\n  groups:\n  - kubeadm:cluster-admins\n");
    apply(&sb, &ca, &admins, &[])
        .fails_with("team.yaml:7")
        .fails_with("--allow-privileged-group");
    apply(&sb, &ca, &team("- name: john\n  grups: [x]\n"), &[])
        .fails_with("line 6")
        .fails_with("unknown field `grups`");
    apply(
        &sb,
        &ca,
        &team("- name: john\n- name: jane\n- name: john\n"),
        &[],
    )
    .fails_with("team.yaml:7")
    .fails_with("listed twice (first at line 5)");
    apply(&sb, &ca, &team("- name: system:kube-proxy\n"), &[]).fails_with("team.yaml:5");
    apply(&sb, &ca, &team("- name: john\n  duration: 3 months\n"), &[]).fails_with("team.yaml:6");
    // The file is refused before the kubeconfig or the cluster is read.
    assert_eq!(server.requests().len(), asked, "no request at all");
    assert!(unchanged(&before, &sb), "nothing changed");
    // A context left behind with the new user's name is someone's entry: refused, not replaced.
    sb.kubectl(&[
        "config",
        "set-context",
        "zed@kubernetes",
        "--cluster",
        "kubernetes",
        "--user",
        "someone",
    ])
    .ok();
    let before = sb.snapshot();
    apply(&sb, &ca, &team("- name: john\n- name: zed\n"), &[])
        .fails_with("team.yaml:6")
        .fails_with("context \"zed@kubernetes\" already exists")
        .fails_with("delete-context zed@kubernetes");
    assert!(unchanged(&before, &sb), "nothing changed");
}

/// Every file of the sandbox but the team file (the helper rewrites it) is as in `before`.
fn unchanged(before: &[(PathBuf, Vec<u8>)], sb: &Sandbox) -> bool {
    let others = |files: &[(PathBuf, Vec<u8>)]| -> Vec<(PathBuf, Vec<u8>)> {
        files
            .iter()
            .filter(|(p, _)| !p.ends_with("team.yaml"))
            .cloned()
            .collect()
    };
    others(before) == others(&sb.snapshot())
}

#[test]
fn export_dir_holds_a_working_kubeconfig_per_new_user() {
    let (_server, sb, ca) = cluster();
    let run = apply(
        &sb,
        &ca,
        &team("- name: john\n- name: jane\n"),
        &["--export-dir", "handover"],
    );
    run.ok();
    let dir = sb.path("handover");
    assert_eq!(
        std::fs::metadata(&dir).unwrap().permissions().mode() & 0o777,
        0o700
    );
    for user in ["john", "jane"] {
        let file = dir.join(format!("{user}.kubeconfig"));
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
        let view: Value = serde_json::from_str(&view.ok().stdout).unwrap();
        assert_eq!(view["current-context"], format!("{user}@kubernetes"));
        let context = entry(&view, "contexts", &format!("{user}@kubernetes")).unwrap();
        assert_eq!(context["context"]["namespace"], "dev1");
        assert!(
            subject(&decode(
                &entry(&view, "users", user).unwrap()["user"]["client-certificate-data"]
            ))
            .contains(&format!("CN = {user}"))
        );
        // The person's own kubectl reaches the cluster with it, with the role the file gave.
        let can = sb.kubectl(&[
            "--kubeconfig",
            file.to_str().unwrap(),
            "auth",
            "can-i",
            "list",
            "pods",
        ]);
        assert_eq!(can.ok().stdout.trim(), "yes");
    }
    let entries = ledger(&sb);
    assert_eq!(entries.iter().filter(|e| e["event"] == "issued").count(), 2);
    assert_eq!(
        entries.iter().filter(|e| e["event"] == "exported").count(),
        2
    );
    // A link in place of the folder is refused before anything happens.
    std::os::unix::fs::symlink("/tmp", sb.path("link")).unwrap();
    apply(&sb, &ca, &team("- name: ann\n"), &["--export-dir", "link"]).fails_with("symbolic link");
    assert!(entry(&sb.kubectl_view(), "users", "ann").is_none());
}

#[test]
fn the_csr_api_signs_a_team_read_from_stdin_and_checks_its_access() {
    let server = FakeApiServer::start(FakeOptions::default());
    let sb = Sandbox::new();
    server.admin_kubeconfig(&sb.kubeconfig, "kubernetes");
    let mut child = sb
        .certuser()
        .args(["apply", "-f", "-", "-o", "json"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write as _;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(team("- name: john\n- name: jane\n  clusterRole: edit\n").as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let john = &report["users"][0];
    assert_eq!(john["signedBy"], "csr-api", "{report}");
    assert!(john["csrName"].as_str().is_some());
    assert_eq!(john["access"]["namespace"], "dev1", "{report}");
    assert!(
        john["access"]["checks"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["allowed"] == true),
        "view in dev1 allows something: {report}"
    );
    let ledger = ledger(&sb);
    assert_eq!(ledger.len(), 2);
    assert!(
        ledger
            .iter()
            .all(|e| e["signedBy"] == "csr-api" && e["csrName"].is_string())
    );
}

#[test]
fn a_certificate_due_within_the_window_is_renewed_with_the_same_identity() {
    let (_server, sb, ca) = cluster();
    let users = "- name: john\n  groups: [dev1, qa]\n";
    apply(&sb, &ca, &team(users), &["--no-check"]).ok();
    let old = cert_of(&sb, "john");
    // 90 days, a third of it is 30: not due yet.
    let not_yet = apply(&sb, &ca, &team(users), &["--no-check"]);
    assert!(
        not_yet.ok().stdout.contains("No change"),
        "{}",
        not_yet.stdout
    );
    let due = apply(
        &sb,
        &ca,
        &team(users),
        &["--no-check", "--renew-within", "91d", "-o", "json"],
    );
    let report = due.ok().json();
    assert_eq!(report["users"][0]["actions"], json!(["renew"]), "{report}");
    let renewed = cert_of(&sb, "john");
    assert_ne!(renewed, old);
    assert_eq!(subject(&renewed), subject(&old), "same CN and groups");
    let entries = ledger(&sb);
    assert_eq!(entries.len(), 2);
    assert_ne!(entries[0]["serial"], entries[1]["serial"]);
}

/// A team file named `list` (its `metadata.name`).
fn named_team(list: &str, users: &str) -> String {
    team(users).replacen(
        "kind: UserList\n",
        &format!("kind: UserList\nmetadata: {{name: {list}}}\n"),
        1,
    )
}

/// The list name in a user's apply marker, as kubectl reads the kubeconfig.
fn marker(view: &Value, user: &str) -> Option<String> {
    entry(view, "users", user)?["user"]["extensions"]
        .as_array()?
        .iter()
        .find(|e| e["name"] == "certuser.kubectl.io/apply")
        .and_then(|e| e["extension"]["userList"].as_str())
        .map(str::to_string)
}

fn add_user(sb: &Sandbox, ca: &[String], user: &str) {
    let mut args = vec!["add", user, "--no-check"];
    args.extend(ca.iter().map(String::as_str));
    sb.run(&args).ok();
}

#[test]
fn prune_never_takes_a_user_made_by_add() {
    let (_server, sb, ca) = cluster();
    add_user(&sb, &ca, "bob");
    apply(
        &sb,
        &ca,
        &team("- name: john\n- name: old\n"),
        &["--no-check"],
    )
    .ok();
    let dry = apply(&sb, &ca, &team("- name: john\n"), &["--dry-run", "--prune"]);
    assert!(
        dry.ok().stdout.contains("- prune     old"),
        "{}",
        dry.stdout
    );
    assert!(!dry.stdout.contains("bob"), "{}", dry.stdout);
    let run = apply(
        &sb,
        &ca,
        &team("- name: john\n"),
        &["--no-check", "--prune", "-o", "json"],
    );
    let report = run.ok().json();
    assert_eq!(report["pruned"].as_array().unwrap().len(), 1, "{report}");
    let view = sb.kubectl_view();
    assert!(entry(&view, "users", "old").is_none());
    assert!(
        entry(&view, "users", "bob").is_some(),
        "add's user survives --prune"
    );
    assert!(entry(&view, "contexts", "bob@kubernetes").is_some());
    assert_eq!(marker(&view, "bob"), None, "bob is not marked either");
}

#[test]
fn two_lists_share_a_kubeconfig_and_prune_only_their_own() {
    let (server, sb, ca) = cluster();
    apply(
        &sb,
        &ca,
        &named_team("team-a", "- name: ann\n- name: al\n"),
        &["--no-check"],
    )
    .ok();
    apply(
        &sb,
        &ca,
        &named_team("team-b", "- name: bea\n"),
        &["--no-check"],
    )
    .ok();
    let view = sb.kubectl_view();
    assert_eq!(marker(&view, "ann").as_deref(), Some("team-a"));
    assert_eq!(marker(&view, "bea").as_deref(), Some("team-b"));
    // team-b's file does not list ann or al: they are not its to prune, nor to mention.
    let b = apply(
        &sb,
        &ca,
        &named_team("team-b", "- name: bea\n"),
        &["--no-check", "--prune"],
    );
    assert!(b.ok().stdout.contains("No change: 1 users"), "{}", b.stdout);
    // Nor may team-b take one of team-a's users by listing it.
    let before = sb.snapshot();
    apply(
        &sb,
        &ca,
        &named_team("team-b", "- name: bea\n- name: ann\n"),
        &[],
    )
    .fails_with("line 7")
    .fails_with("managed by the team list \"team-a\"");
    assert!(unchanged(&before, &sb), "nothing changed");
    let run = apply(
        &sb,
        &ca,
        &named_team("team-a", "- name: ann\n"),
        &["--no-check", "--prune"],
    );
    assert!(run.ok().stdout.contains("- prune     al"), "{}", run.stdout);
    let view = sb.kubectl_view();
    assert!(entry(&view, "users", "al").is_none());
    assert!(entry(&view, "users", "ann").is_some() && entry(&view, "users", "bea").is_some());
    let left = bindings(&server);
    assert!(
        left.contains(&"dev1/certuser:bea:view".to_string()),
        "{left:?}"
    );
    assert!(
        !left.contains(&"dev1/certuser:al:view".to_string()),
        "{left:?}"
    );
}

#[test]
fn a_listed_user_made_by_add_is_adopted_then_pruned_when_dropped() {
    let (_server, sb, ca) = cluster();
    let mut args = vec![
        "add",
        "bob",
        "--no-check",
        "--group",
        "dev1",
        "--namespace",
        "dev1",
    ];
    args.extend(ca.iter().map(String::as_str));
    sb.run(&args).ok();
    let cert = cert_of(&sb, "bob");
    let users = "- name: bob\n- name: john\n";
    let file = named_team("team-a", users).replace("clusterRole: view, ", "");
    let dry = apply(&sb, &ca, &file, &["--dry-run", "-o", "json"]);
    let plan = dry.ok().json();
    assert_eq!(plan["users"][0]["actions"], json!(["adopt"]), "{plan}");
    let text = apply(&sb, &ca, &file, &["--dry-run"]);
    assert!(
        text.ok().stdout.contains("~ adopt     bob"),
        "{}",
        text.stdout
    );
    assert_eq!(
        marker(&sb.kubectl_view(), "bob"),
        None,
        "a dry run marks nothing"
    );

    let run = apply(&sb, &ca, &file, &["--no-check", "-o", "json"]);
    assert_eq!(run.ok().json()["summary"]["adopt"], 1, "{}", run.stdout);
    let view = sb.kubectl_view();
    assert_eq!(marker(&view, "bob").as_deref(), Some("team-a"));
    assert_eq!(
        cert_of(&sb, "bob"),
        cert,
        "adoption keeps bob's certificate"
    );
    let before = std::fs::read(&sb.kubeconfig).unwrap();
    let again = apply(&sb, &ca, &file, &["--no-check"]);
    assert!(
        again.ok().stdout.contains("No change: 2 users"),
        "{}",
        again.stdout
    );
    assert_eq!(
        std::fs::read(&sb.kubeconfig).unwrap(),
        before,
        "byte-identical"
    );

    let dropped = named_team("team-a", "- name: john\n").replace("clusterRole: view, ", "");
    apply(&sb, &ca, &dropped, &["--no-check", "--prune"]).ok();
    assert!(
        entry(&sb.kubectl_view(), "users", "bob").is_none(),
        "adopted, then pruned"
    );
}

#[test]
fn kubectl_shows_the_marker_and_keeps_it_through_its_own_rewrite() {
    let (_server, sb, ca) = cluster();
    apply(
        &sb,
        &ca,
        &named_team("team-a", "- name: john\n- name: jane\n"),
        &["--no-check"],
    )
    .ok();
    let view = sb.kubectl_view();
    assert_eq!(
        entry(&view, "users", "john").unwrap()["user"]["extensions"],
        json!([{ "name": "certuser.kubectl.io/apply", "extension": { "userList": "team-a" } }])
    );
    // kubectl rewrites the whole file, re-embedding jane's own certificate.
    let crt = sb.path("jane.crt");
    std::fs::write(&crt, cert_of(&sb, "jane")).unwrap();
    sb.kubectl(&[
        "config",
        "set-credentials",
        "jane",
        "--embed-certs=true",
        "--client-certificate",
        crt.to_str().unwrap(),
    ])
    .ok();
    assert_eq!(
        marker(&sb.kubectl_view(), "jane").as_deref(),
        Some("team-a")
    );
    // `renew` replaces the credentials only: the user stays the list's.
    let before = cert_of(&sb, "john");
    let mut renew = vec!["renew", "john"];
    renew.extend(ca.iter().map(String::as_str));
    sb.run(&renew).ok();
    assert_ne!(cert_of(&sb, "john"), before, "renewed");
    assert_eq!(
        marker(&sb.kubectl_view(), "john").as_deref(),
        Some("team-a")
    );
    let run = apply(
        &sb,
        &ca,
        &named_team("team-a", "- name: john\n"),
        &["--no-check", "--prune"],
    );
    assert!(
        run.ok().stdout.contains("- prune     jane"),
        "{}",
        run.stdout
    );
    assert!(entry(&sb.kubectl_view(), "users", "jane").is_none());
}

#[test]
fn metadata_is_checked_before_anything_happens() {
    let (server, sb, ca) = cluster();
    let asked = server.requests().len();
    let extra = team("- name: john\n").replacen(
        "kind: UserList\n",
        "kind: UserList\nmetadata:\n  name: team-a\n  labels: {a: b}\n",
        1,
    );
    apply(&sb, &ca, &extra, &[])
        .fails_with("line 5")
        .fails_with("unknown field `labels`");
    apply(&sb, &ca, &named_team("Team_A", "- name: john\n"), &[])
        .fails_with("team.yaml:3")
        .fails_with("\"Team_A\"");
    assert_eq!(server.requests().len(), asked, "no request at all");
    assert!(entry(&sb.kubectl_view(), "users", "john").is_none());
}

/// A user whose certificate and key are files (`add --cert-dir`) keeps them as files when apply
/// re-issues it: the same paths, new contents that belong together, nothing embedded instead and
/// no old file left behind.
#[test]
fn a_reissued_user_kept_in_files_stays_in_those_files() {
    let (_server, sb, ca) = cluster();
    let mut args = vec![
        "add",
        "kate",
        "-g",
        "dev1",
        "-n",
        "dev1",
        "--key-type",
        "ecdsa-p256",
    ];
    args.extend(["--cert-dir", "certs", "--no-check"]);
    args.extend(ca.iter().map(String::as_str));
    sb.run(&args).ok();
    let before = entry(&sb.kubectl_view(), "users", "kate").unwrap()["user"].clone();
    let (crt, key) = (
        before["client-certificate"].as_str().unwrap().to_string(),
        before["client-key"].as_str().unwrap().to_string(),
    );
    let old_key = std::fs::read(&key).unwrap();

    let run = apply(
        &sb,
        &ca,
        &team("- name: kate\n  groups: [dev1, qa]\n"),
        &["--no-check", "-o", "json"],
    );
    let report = run.ok().json();
    assert!(
        report["users"][0]["actions"]
            .as_array()
            .unwrap()
            .contains(&json!("re-issue")),
        "{report}"
    );
    let after = entry(&sb.kubectl_view(), "users", "kate").unwrap()["user"].clone();
    assert_eq!(
        (
            after["client-certificate"].as_str(),
            after["client-key"].as_str()
        ),
        (Some(crt.as_str()), Some(key.as_str())),
        "{after}"
    );
    assert!(
        after.get("client-certificate-data").is_none() && after.get("client-key-data").is_none(),
        "{after}"
    );
    let cert = std::fs::read(&crt).unwrap();
    assert!(subject(&cert).contains("O = qa"), "{}", subject(&cert));
    assert_ne!(
        std::fs::read(&key).unwrap(),
        old_key,
        "a new key for a new identity"
    );
    assert_eq!(
        std::fs::metadata(&key).unwrap().permissions().mode() & 0o777,
        0o600
    );
    let public = |args: &[&str]| crate::harness::openssl(args).ok().stdout.clone();
    assert_eq!(
        public(&["x509", "-in", &crt, "-noout", "-pubkey"]),
        public(&["pkey", "-in", &key, "-pubout"]),
        "the certificate and the key file belong together"
    );
    let mut names: Vec<String> = std::fs::read_dir(sb.path("certs"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["kate.crt", "kate.key"]);
}

/// `add --force` over a user a list manages makes it add's own: the marker goes with the old
/// certificate, so that list's `--prune` no longer takes the user someone just re-made by hand.
#[test]
fn add_force_over_a_managed_user_makes_it_adds_own() {
    let (_server, sb, ca) = cluster();
    apply(
        &sb,
        &ca,
        &team("- name: zoe\n- name: max\n"),
        &["--no-check"],
    )
    .ok();
    assert_eq!(
        marker(&sb.kubectl_view(), "zoe").as_deref(),
        Some("default")
    );
    let mut args = vec!["add", "zoe", "--force", "--no-check", "-q"];
    args.extend(ca.iter().map(String::as_str));
    sb.run(&args).ok();
    let view = sb.kubectl_view();
    assert_eq!(marker(&view, "zoe"), None, "{view}");
    apply(&sb, &ca, &team("- name: max\n"), &["--no-check", "--prune"]).ok();
    assert!(
        entry(&sb.kubectl_view(), "users", "zoe").is_some(),
        "add's zoe survives --prune"
    );
}
