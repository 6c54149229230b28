//! The access check (`add`'s, `whoami`, `can-i`) on the oldest and the newest server the fake
//! plays: SelfSubjectAccessReview and SelfSubjectRulesReview decide everywhere; who the user is
//! comes from SelfSubjectReview where the server has it, else from the certificate, labelled.

use crate::harness::Sandbox;
use crate::support::fake_apiserver::{FakeApiServer, ServerVersion};

/// The oldest and the newest version, each with an administrator's kubeconfig.
fn each_end(test: impl Fn(&FakeApiServer, &Sandbox)) {
    for version in [ServerVersion::OLDEST, ServerVersion::NEWEST] {
        eprintln!("--- the fake plays {version:?}");
        let server = FakeApiServer::of_version(version);
        let sb = Sandbox::new();
        server.admin_kubeconfig(&sb.kubeconfig, "kubernetes");
        test(&server, &sb);
    }
}

fn has_review(server: &FakeApiServer) -> bool {
    server.version() >= ServerVersion::V1_27
}

#[test]
fn adds_check_names_the_user_and_what_is_missing() {
    each_end(|server, sb| {
        let report = sb
            .run(&["add", "john", "-g", "dev1", "-n", "dev1", "-o", "json"])
            .ok()
            .json();
        let access = &report["users"][0]["access"];
        assert_eq!(access["checks"].as_array().unwrap().len(), 9, "{access}");
        assert!(
            access["checks"]
                .as_array()
                .unwrap()
                .iter()
                .all(|c| c["allowed"] == false)
        );
        let identity = &access["identity"];
        assert_eq!(identity["username"], "john", "{access}");
        assert_eq!(
            identity["groups"],
            serde_json::json!(["dev1", "system:authenticated"])
        );
        assert_eq!(
            identity["fromCertificate"],
            !has_review(server),
            "{identity}"
        );
        let line = access["verdict"]["lines"][0].as_str().unwrap();
        let who = if has_review(server) {
            "john (groups dev1, system:authenticated) in dev1: cannot"
        } else {
            "john (groups dev1, system:authenticated, as the certificate says) in dev1: cannot"
        };
        assert!(line.starts_with(who), "{line}");
    });
}

#[test]
fn clusterrole_view_grants_list_pods() {
    each_end(|_, sb| {
        let jane = sb.run(&["add", "jane", "-n", "dev1", "--clusterrole", "view"]);
        assert!(
            jane.ok()
                .stdout
                .contains("in dev1: can get pods, list pods"),
            "{}",
            jane.stdout
        );
        let yes = sb.kubectl(&[
            "--context",
            "jane@kubernetes",
            "auth",
            "can-i",
            "list",
            "pods",
            "-n",
            "dev1",
        ]);
        assert_eq!(yes.stdout.trim(), "yes", "{yes:?}");
        let yes = sb.run(&["can-i", "jane", "list", "pods", "-n", "dev1"]);
        assert_eq!((yes.code, yes.stdout.trim()), (0, "yes"), "{yes:?}");
    });
}

#[test]
fn whoami_and_can_i_as_an_existing_user() {
    each_end(|server, sb| {
        sb.run(&["add", "john", "-g", "dev1", "-n", "dev1", "--no-check"])
            .ok();
        let run = sb.run(&["whoami", "john", "-o", "json"]);
        let who = run.ok().json();
        assert_eq!(who["username"], "john");
        assert_eq!(
            who["groups"],
            serde_json::json!(["dev1", "system:authenticated"])
        );
        if has_review(server) {
            assert_eq!(who["source"], "authentication.k8s.io/v1 SelfSubjectReview");
            assert!(!run.stderr.contains("certificate"), "{}", run.stderr);
        } else {
            // Exit 0, labelled, with the reason.
            assert_eq!(who["source"], "client certificate");
            assert!(
                run.stderr.contains("read from the client certificate")
                    && run.stderr.contains("Kubernetes v1.21")
                    && run.stderr.contains("no SelfSubjectReview API"),
                "{}",
                run.stderr
            );
            let table = sb.run(&["whoami", "john"]);
            assert!(
                table.ok().stdout.contains("not confirmed by the server"),
                "{}",
                table.stdout
            );
        }
        let no = sb.run(&["can-i", "john", "list", "pods", "-n", "dev1"]);
        assert_eq!((no.code, no.stdout.trim()), (1, "no"), "{no:?}");
        sb.kubectl(&[
            "create",
            "rolebinding",
            "john-view",
            "--clusterrole",
            "view",
            "--user",
            "john",
            "-n",
            "dev1",
        ])
        .ok();
        let yes = sb.run(&["can-i", "john", "list", "pods", "-n", "dev1"]);
        assert_eq!((yes.code, yes.stdout.trim()), (0, "yes"), "{yes:?}");
        let matrix = sb.run(&["can-i", "john", "-n", "dev1"]);
        assert_eq!(matrix.code, 1, "edit rights are still missing: {matrix:?}");
        // -o name: the allowed checks as VERB:RESOURCE[.GROUP][/SUBRESOURCE], subresource kept,
        // each one a question `can-i USER VERB RESOURCE` answers yes to.
        let names = sb.run(&["can-i", "john", "-n", "dev1", "-o", "name"]);
        let allowed: Vec<&str> = names.stdout.lines().collect();
        assert!(
            allowed.contains(&"get:pods/log") && allowed.contains(&"list:pods"),
            "{names:?}"
        );
        for check in allowed {
            let (verb, resource) = check.split_once(':').unwrap();
            let yes = sb.run(&["can-i", "john", verb, resource, "-n", "dev1"]);
            assert_eq!(
                (yes.code, yes.stdout.trim()),
                (0, "yes"),
                "{check}: {yes:?}"
            );
        }
        assert!(
            matrix.stdout.contains("VERB") && matrix.stdout.contains("--clusterrole edit"),
            "{}",
            matrix.stdout
        );
    });
}

#[test]
fn an_old_server_is_asked_each_review_version_only_while_it_says_not_found() {
    let server = FakeApiServer::of_version(ServerVersion::V1_24);
    let sb = Sandbox::new();
    server.admin_kubeconfig(&sb.kubeconfig, "kubernetes");
    sb.run(&["add", "john", "-n", "dev1", "--no-check"]).ok();
    let reviews_by = |user: &str| -> Vec<String> {
        server
            .requests()
            .into_iter()
            .filter(|r| r.path.contains("selfsubjectreviews") && r.user.as_deref() == Some(user))
            .map(|r| r.path)
            .collect()
    };
    // The administrator may do anything, so the server admits the API is not there: all three.
    let admin = sb.run(&["whoami", "-o", "json"]).ok().json();
    assert_eq!(admin["username"], "kubernetes-admin");
    let tried = reviews_by("kubernetes-admin");
    for version in ["/v1/", "/v1beta1/", "/v1alpha1/"] {
        assert!(tried.iter().any(|p| p.contains(version)), "{tried:?}");
    }
    // john is refused (403) before the server looks: no other version would answer otherwise.
    sb.run(&["whoami", "john"]).ok();
    let tried = reviews_by("john");
    assert_eq!(tried.len(), 1, "{tried:?}");
    // The certificate was confirmed with a SelfSubjectAccessReview, as john.
    assert!(
        server
            .requests()
            .iter()
            .any(|r| r.path.contains("selfsubjectaccessreviews")
                && r.user.as_deref() == Some("john"))
    );
}

#[test]
fn unauthorized_still_means_not_accepted_on_an_old_server() {
    let server = FakeApiServer::of_version(ServerVersion::OLDEST);
    let sb = Sandbox::new();
    // A token the server does not know: every request is 401.
    let ca = sb.path("ca.crt");
    std::fs::write(&ca, server.ca_cert_pem()).unwrap();
    let url = server.url();
    for args in [
        vec![
            "config",
            "set-cluster",
            "kubernetes",
            "--server",
            &url,
            "--certificate-authority",
            ca.to_str().unwrap(),
        ],
        vec!["config", "set-credentials", "nobody", "--token", "unknown"],
        vec![
            "config",
            "set-context",
            "nobody@kubernetes",
            "--cluster",
            "kubernetes",
            "--user",
            "nobody",
        ],
        vec!["config", "use-context", "nobody@kubernetes"],
    ] {
        sb.kubectl(&args).ok();
    }
    sb.run(&["whoami"])
        .fails_with("did not accept these credentials (401 Unauthorized)");
    sb.run(&["can-i", "list", "pods"])
        .fails_with("401 Unauthorized");
}

#[test]
fn a_new_server_that_refuses_self_subject_review_gets_the_certificate_and_the_reason() {
    let server = FakeApiServer::of_version(ServerVersion::NEWEST);
    let sb = Sandbox::new();
    server.admin_kubeconfig(&sb.kubeconfig, "kubernetes");
    sb.run(&["add", "john", "-g", "dev1", "-n", "dev1", "--no-check"])
        .ok();
    // A locked-down cluster: system:basic-user no longer grants SelfSubjectReview.
    server.set_cluster_role_rules(
        "system:basic-user",
        serde_json::json!([{ "apiGroups": ["authorization.k8s.io"], "resources": ["selfsubjectaccessreviews", "selfsubjectrulesreviews"], "verbs": ["create"] }]),
    );
    let run = sb.run(&["whoami", "john", "-o", "json"]);
    let who = run.ok().json();
    assert_eq!(
        (who["username"].as_str(), who["fromCertificate"].as_bool()),
        (Some("john"), Some(true))
    );
    let why = who["unconfirmedBecause"].as_str().unwrap();
    assert!(
        why.contains("refused SelfSubjectReview")
            && why.contains("system:basic-user")
            && why.contains("Kubernetes v1.32"),
        "{why}"
    );
    assert!(run.stderr.contains(why), "{}", run.stderr);
}
