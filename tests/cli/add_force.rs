//! `add --force` on an existing user: says what it replaces, replaces the credentials, and keeps
//! what was not asked to change (the context's namespace, the groups, other fields).

use crate::harness::{Sandbox, decode, entry, openssl_stdin};

fn subject(sb: &Sandbox, user: &str) -> String {
    let view = sb.kubectl_view();
    let cert = decode(&entry(&view, "users", user).unwrap()["user"]["client-certificate-data"]);
    openssl_stdin(&["x509", "-noout", "-subject"], &cert)
        .ok()
        .stdout
        .clone()
}

#[test]
fn force_keeps_the_namespace_and_groups_it_was_not_asked_to_change() {
    let sb = Sandbox::with_local_ca();
    sb.add_local(&["john", "-g", "dev1", "-g", "ops", "-n", "dev1"])
        .ok();
    let run = sb.add_local(&["john", "--force"]);
    let stderr = &run.ok().stderr;
    assert!(
        stderr.contains("replacing user john") && stderr.contains("john@kubernetes"),
        "says what is replaced: {stderr}"
    );
    assert!(stderr.contains("dev1"), "says what is kept: {stderr}");
    let view = sb.kubectl_view();
    let context = &entry(&view, "contexts", "john@kubernetes").unwrap()["context"];
    assert_eq!(context["namespace"], "dev1", "{context}");
    let subject = subject(&sb, "john");
    assert!(
        subject.contains("dev1") && subject.contains("ops"),
        "groups kept: {subject}"
    );

    // Asked to change: the new namespace and groups win.
    sb.add_local(&["john", "--force", "-n", "prod", "-g", "sre"])
        .ok();
    let view = sb.kubectl_view();
    assert_eq!(
        entry(&view, "contexts", "john@kubernetes").unwrap()["context"]["namespace"],
        "prod"
    );
    let subject = self::subject(&sb, "john");
    assert!(
        subject.contains("sre") && !subject.contains("dev1"),
        "{subject}"
    );
}

#[test]
fn force_replaces_other_credentials_and_keeps_other_fields() {
    let sb = Sandbox::with_local_ca();
    // A token user with an extension, and its own context with an extension.
    let mut doc: serde_json::Value =
        serde_saphyr::from_str(&std::fs::read_to_string(&sb.kubeconfig).unwrap()).unwrap();
    doc["users"].as_array_mut().unwrap().push(serde_json::json!({
        "name": "bob",
        "user": { "token": "old-token", "extensions": [{ "name": "x", "extension": { "keep": "me" } }] },
    }));
    doc["contexts"].as_array_mut().unwrap().push(serde_json::json!({
        "name": "bob@kubernetes",
        "context": { "cluster": "kubernetes", "user": "bob", "namespace": "team", "extensions": [{ "name": "y", "extension": { "keep": "too" } }] },
    }));
    std::fs::write(&sb.kubeconfig, serde_json::to_string(&doc).unwrap()).unwrap();
    let run = sb.add_local(&["bob", "--force"]);
    assert!(
        run.ok().stderr.contains("token"),
        "names the credential it replaces: {}",
        run.stderr
    );
    assert!(!run.stderr.contains("old-token"), "{}", run.stderr);
    let view = sb.kubectl_view();
    let user = &entry(&view, "users", "bob").unwrap()["user"];
    assert!(
        user.get("token").is_none(),
        "the old credential is gone: {user}"
    );
    assert!(user["client-certificate-data"].is_string());
    assert_eq!(user["extensions"][0]["extension"]["keep"], "me", "{user}");
    let context = &entry(&view, "contexts", "bob@kubernetes").unwrap()["context"];
    assert_eq!(context["namespace"], "team");
    assert_eq!(
        context["extensions"][0]["extension"]["keep"], "too",
        "{context}"
    );
}
