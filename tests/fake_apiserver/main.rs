//! The fake API server is itself tested: the real kubectl must work against it and get the
//! answers a real API server gives. Where kubectl and the fake disagree, the fake is wrong.

#[path = "../support/mod.rs"]
mod support;

use std::process::Command;

use serde_json::{Value, json};
use support::fake_apiserver::{FakeApiServer, FakeOptions, ServerVersion, SignerMode};

struct Kubectl {
    kubeconfig: std::path::PathBuf,
    _dir: tempfile::TempDir,
}

impl Kubectl {
    fn admin(server: &FakeApiServer) -> Kubectl {
        let dir = tempfile::tempdir().unwrap();
        let kubeconfig = dir.path().join("config");
        server.admin_kubeconfig(&kubeconfig, "kubernetes");
        Kubectl {
            kubeconfig,
            _dir: dir,
        }
    }

    fn user(server: &FakeApiServer, user: &str, groups: &[&str]) -> Kubectl {
        let dir = tempfile::tempdir().unwrap();
        let kubeconfig = dir.path().join("config");
        server.user_kubeconfig(&kubeconfig, "kubernetes", user, groups);
        Kubectl {
            kubeconfig,
            _dir: dir,
        }
    }

    fn run(&self, args: &[&str]) -> (i32, String, String) {
        let out = Command::new("kubectl")
            .args(args)
            .env("KUBECONFIG", &self.kubeconfig)
            .env("HOME", self._dir.path())
            .output()
            .expect("kubectl is installed");
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }

    #[track_caller]
    fn ok(&self, args: &[&str]) -> String {
        let (code, out, err) = self.run(args);
        assert_eq!(code, 0, "kubectl {args:?} failed:\n{out}\n{err}");
        out
    }
}

fn csr_object(name: &str, user: &str, groups: &str) -> Value {
    let key = openssl::pkey::PKey::from_ec_key(
        openssl::ec::EcKey::generate(
            &openssl::ec::EcGroup::from_curve_name(openssl::nid::Nid::X9_62_PRIME256V1).unwrap(),
        )
        .unwrap(),
    )
    .unwrap();
    let mut subject = openssl::x509::X509NameBuilder::new().unwrap();
    subject
        .append_entry_by_nid(openssl::nid::Nid::ORGANIZATIONNAME, groups)
        .unwrap();
    subject
        .append_entry_by_nid(openssl::nid::Nid::COMMONNAME, user)
        .unwrap();
    let subject = subject.build();
    let mut req = openssl::x509::X509ReqBuilder::new().unwrap();
    req.set_subject_name(&subject).unwrap();
    req.set_pubkey(&key).unwrap();
    req.sign(&key, openssl::hash::MessageDigest::sha256())
        .unwrap();
    json!({
        "apiVersion": "certificates.k8s.io/v1", "kind": "CertificateSigningRequest", "metadata": { "name": name },
        "spec": { "request": openssl::base64::encode_block(&req.build().to_pem().unwrap()), "signerName": "kubernetes.io/kube-apiserver-client",
                  "expirationSeconds": 86400, "usages": ["client auth", "digital signature"] }
    })
}

/// Every kubectl check runs against each version the fake plays.
fn each_version(test: impl Fn(&FakeApiServer)) {
    for version in ServerVersion::ALL {
        // Shown with the failure, so it is clear which version failed.
        eprintln!("--- the fake plays {version:?}");
        test(&FakeApiServer::of_version(version));
    }
}

#[test]
fn version_and_discovery() {
    each_version(version_and_discovery_of);
}

fn version_and_discovery_of(server: &FakeApiServer) {
    let k = Kubectl::admin(server);
    let out = k.ok(&["version", "-o", "json"]);
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        v["serverVersion"]["minor"],
        server.version().minor().to_string()
    );
    // Which SelfSubjectReview the version serves, as kubectl's discovery sees it.
    let auth = k.ok(&[
        "api-resources",
        "--api-group",
        "authentication.k8s.io",
        "-o",
        "wide",
    ]);
    let expected = match server.version() {
        ServerVersion::V1_21 | ServerVersion::V1_24 => None,
        ServerVersion::V1_27 => Some("authentication.k8s.io/v1beta1"),
        ServerVersion::V1_28Plus => Some("authentication.k8s.io/v1 "),
    };
    assert!(auth.contains("tokenreviews"), "{auth}");
    match expected {
        Some(version) => assert!(
            auth.lines()
                .any(|l| l.starts_with("selfsubjectreviews") && l.contains(version)),
            "{auth}"
        ),
        None => assert!(!auth.contains("selfsubjectreviews"), "{auth}"),
    }
    let resources = k.ok(&[
        "api-resources",
        "--api-group",
        "certificates.k8s.io",
        "-o",
        "name",
    ]);
    assert!(
        resources.contains("certificatesigningrequests.certificates.k8s.io"),
        "{resources}"
    );
}

#[test]
fn csr_get_approve_issue_and_deny_with_kubectl() {
    each_version(csr_get_approve_issue_and_deny_of);
}

fn csr_get_approve_issue_and_deny_of(server: &FakeApiServer) {
    let k = Kubectl::admin(server);
    server.insert(
        "/apis/certificates.k8s.io/v1/certificatesigningrequests",
        csr_object("john-csr", "john", "dev1"),
    );
    server.insert(
        "/apis/certificates.k8s.io/v1/certificatesigningrequests",
        csr_object("eve-csr", "eve", "dev1"),
    );
    let listed = k.ok(&["get", "csr"]);
    assert!(
        listed.contains("john-csr") && listed.contains("eve-csr"),
        "{listed}"
    );

    let approved = k.ok(&["certificate", "approve", "john-csr"]);
    assert!(approved.contains("approved"), "{approved}");
    let mut pem = String::new();
    for _ in 0..50 {
        pem = k.ok(&[
            "get",
            "csr",
            "john-csr",
            "-o",
            "jsonpath={.status.certificate}",
        ]);
        if !pem.is_empty() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let cert = openssl::base64::decode_block(&pem).expect("the signer issued a certificate");
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("ca.crt"), server.ca_cert_pem()).unwrap();
    std::fs::write(dir.path().join("john.crt"), &cert).unwrap();
    let verify = Command::new("openssl")
        .args(["verify", "-CAfile", "ca.crt", "john.crt"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(
        verify.status.success(),
        "{}",
        String::from_utf8_lossy(&verify.stderr)
    );
    let subject = Command::new("openssl")
        .args(["x509", "-noout", "-subject", "-in", "john.crt"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&subject.stdout).contains("CN = john"));
    // expirationSeconds (one day here) is honoured from v1.22; before, the signer's year applies.
    let cert = openssl::x509::X509::from_pem(&cert).unwrap();
    let lifetime = cert.not_before().diff(cert.not_after()).unwrap().days;
    let expected = if server.version().minor() >= 22 {
        1
    } else {
        365
    };
    assert!(
        (lifetime - expected).abs() <= 1,
        "{lifetime} days on {:?}",
        server.version()
    );

    k.ok(&["certificate", "deny", "eve-csr"]);
    let conditions = k.ok(&[
        "get",
        "csr",
        "eve-csr",
        "-o",
        "jsonpath={.status.conditions[0].type}",
    ]);
    assert_eq!(conditions, "Denied");
    let (code, _, err) = k.run(&["get", "csr", "nobody-csr"]);
    assert_ne!(code, 0);
    assert!(
        err.contains(r#"certificatesigningrequests.certificates.k8s.io "nobody-csr" not found"#),
        "404 NotFound: {err}"
    );
    // The server, not the body, says who asked: a claimed username and groups are replaced.
    let mut claimed = csr_object("claimed", "x", "g");
    claimed["spec"]["username"] = json!("mallory");
    claimed["spec"]["groups"] = json!(["system:masters"]);
    let file = dir.path().join("claimed.json");
    std::fs::write(&file, claimed.to_string()).unwrap();
    k.ok(&["create", "-f", file.to_str().unwrap(), "--validate=false"]);
    let who = k.ok(&[
        "get",
        "csr",
        "claimed",
        "-o",
        "jsonpath={.spec.username} {.spec.groups}",
    ]);
    assert_eq!(
        who,
        r#"kubernetes-admin ["kubeadm:cluster-admins","system:authenticated"]"#
    );
}

#[test]
fn can_i_whoami_and_role_bindings_with_kubectl() {
    each_version(can_i_whoami_and_role_bindings_of);
}

fn can_i_whoami_and_role_bindings_of(server: &FakeApiServer) {
    let admin = Kubectl::admin(server);
    let john = Kubectl::user(server, "john", &["dev1"]);

    let (code, out, _) = john.run(&["auth", "can-i", "list", "pods", "-n", "dev1"]);
    assert_eq!((code, out.trim()), (1, "no"));
    if server.version() >= ServerVersion::V1_27 {
        let who: Value = serde_json::from_str(&john.ok(&["auth", "whoami", "-o", "json"])).unwrap();
        assert_eq!(who["status"]["userInfo"]["username"], "john");
        assert_eq!(
            who["status"]["userInfo"]["groups"],
            json!(["dev1", "system:authenticated"])
        );
    } else {
        // kubectl's own words for an old server, whoever asks.
        for who in [&john, &admin] {
            let (code, _, err) = who.run(&["auth", "whoami"]);
            assert_ne!(code, 0);
            assert!(
                err.contains("selfsubjectreviews API is not enabled in the cluster"),
                "{err}"
            );
        }
        // Authorized before looked up: john may not ask, the administrator learns it is not there.
        let body = john._dir.path().join("review.json");
        std::fs::write(
            &body,
            r#"{"apiVersion":"authentication.k8s.io/v1","kind":"SelfSubjectReview"}"#,
        )
        .unwrap();
        let raw = [
            "create",
            "--raw",
            "/apis/authentication.k8s.io/v1/selfsubjectreviews",
            "-f",
            body.to_str().unwrap(),
        ];
        let (code, _, err) = john.run(&raw);
        assert_ne!(code, 0);
        assert!(err.contains(r#"User "john" cannot create resource "selfsubjectreviews" in API group "authentication.k8s.io" at the cluster scope"#), "{err}");
        let (code, _, err) = admin.run(&raw);
        assert_ne!(code, 0);
        assert!(
            err.contains("NotFound") && !err.contains("Forbidden"),
            "{err}"
        );
    }
    let (code, _, err) = john.run(&["get", "pods", "-n", "dev1"]);
    assert_ne!(code, 0);
    assert!(err.contains(r#"pods is forbidden: User "john" cannot list resource "pods" in API group "" in the namespace "dev1""#), "{err}");

    admin.ok(&[
        "create",
        "rolebinding",
        "john-view",
        "--clusterrole",
        "view",
        "--user",
        "john",
        "-n",
        "dev1",
    ]);
    let (code, out, _) = john.run(&["auth", "can-i", "list", "pods", "-n", "dev1"]);
    assert_eq!((code, out.trim()), (0, "yes"));
    let (code, out, _) = john.run(&["auth", "can-i", "get", "secrets", "-n", "dev1"]);
    assert_eq!((code, out.trim()), (1, "no"), "view does not read secrets");
    let (code, out, _) = john.run(&["auth", "can-i", "list", "pods", "-n", "default"]);
    assert_eq!((code, out.trim()), (1, "no"), "a RoleBinding is namespaced");
    let pods = john.ok(&["get", "pods", "-n", "dev1"]);
    assert!(pods.is_empty() || pods.contains("No resources"), "{pods}");

    let (code, _, err) = admin.run(&[
        "create",
        "rolebinding",
        "john-view",
        "--clusterrole",
        "view",
        "--user",
        "john",
        "-n",
        "dev1",
    ]);
    assert_ne!(code, 0);
    assert!(err.contains("already exists"), "409 AlreadyExists: {err}");
}

#[test]
fn a_user_without_rights_is_forbidden() {
    each_version(a_user_without_rights_is_forbidden_of);
}

fn a_user_without_rights_is_forbidden_of(server: &FakeApiServer) {
    let bob = Kubectl::user(server, "bob", &["dev"]);
    let (code, _, err) = bob.run(&["get", "csr"]);
    assert_ne!(code, 0);
    assert!(err.contains(r#"User "bob" cannot list resource "certificatesigningrequests" in API group "certificates.k8s.io" at the cluster scope"#), "{err}");
    // A resource no version has: bob is refused before anyone looks; the administrator gets 404.
    let (code, _, err) = bob.run(&["get", "--raw", "/api/v1/namespaces/dev1/foos"]);
    assert_ne!(code, 0);
    assert!(
        err.contains(
            r#"User "bob" cannot list resource "foos" in API group "" in the namespace "dev1""#
        ),
        "{err}"
    );
    let (code, _, err) =
        Kubectl::admin(server).run(&["get", "--raw", "/api/v1/namespaces/dev1/foos"]);
    assert_ne!(code, 0);
    assert!(
        err.contains("NotFound") || err.contains("could not find the requested resource"),
        "{err}"
    );
}

/// A kubeconfig for the cluster with these user credentials (YAML lines under `user:`).
fn kubeconfig_with(server: &FakeApiServer, dir: &std::path::Path, user: &str) -> Kubectl {
    let path = dir.join(format!("config-{}", dir.read_dir().unwrap().count()));
    let ca = openssl::base64::encode_block(&server.ca_cert_pem());
    std::fs::write(&path, format!(
        "apiVersion: v1\nkind: Config\nclusters:\n- name: k\n  cluster:\n    server: {}\n    certificate-authority-data: {ca}\nusers:\n- name: u\n  user: {user}\ncontexts:\n- name: c\n  context:\n    cluster: k\n    user: u\ncurrent-context: c\n",
        server.url()
    )).unwrap();
    Kubectl {
        kubeconfig: path,
        _dir: tempfile::tempdir_in(dir).unwrap(),
    }
}

/// curl without credentials (kubectl would prompt for a password): (HTTP code, body).
fn anonymous_get(server: &FakeApiServer, path: &str) -> (String, String) {
    let dir = tempfile::tempdir().unwrap();
    let ca = dir.path().join("ca.crt");
    std::fs::write(&ca, server.ca_cert_pem()).unwrap();
    let out = Command::new("curl")
        .args([
            "-sS",
            "--cacert",
            ca.to_str().unwrap(),
            "-w",
            "\n%{http_code}",
        ])
        .arg(format!("{}{path}", server.url()))
        .output()
        .expect("curl is installed");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let (body, code) = text.rsplit_once('\n').unwrap();
    (code.to_string(), body.to_string())
}

#[test]
fn anonymous_requests_see_only_public_info() {
    let server = FakeApiServer::start(FakeOptions::default());
    // system:public-info-viewer is bound to system:unauthenticated.
    let (code, body) = anonymous_get(&server, "/version");
    assert_eq!(code, "200", "{body}");
    assert_eq!(serde_json::from_str::<Value>(&body).unwrap()["minor"], "32");
    for check in ["/healthz", "/livez", "/readyz"] {
        assert_eq!(anonymous_get(&server, check), ("200".into(), "ok".into()));
    }
    // Discovery is for authenticated users only (system:discovery), and so is everything else.
    let (code, body) = anonymous_get(&server, "/apis");
    assert_eq!(code, "403");
    let status: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        status,
        json!({ "kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
            "message": "forbidden: User \"system:anonymous\" cannot get path \"/apis\"",
            "reason": "Forbidden", "details": {}, "code": 403 })
    );
    let (code, body) = anonymous_get(
        &server,
        "/apis/certificates.k8s.io/v1/certificatesigningrequests",
    );
    assert_eq!(code, "403");
    assert!(body.contains(r#"User \"system:anonymous\" cannot list resource \"certificatesigningrequests\" in API group \"certificates.k8s.io\" at the cluster scope"#), "{body}");
}

#[test]
fn credentials_the_cluster_does_not_accept_are_unauthorized() {
    let server = FakeApiServer::start(FakeOptions::default());
    let dir = tempfile::tempdir().unwrap();
    // A token no authenticator knows is 401, not anonymous.
    let token = kubeconfig_with(&server, dir.path(), "{ token: not-a-valid-token }");
    let (code, _, err) = token.run(&["auth", "whoami"]);
    assert_ne!(code, 0);
    assert!(
        err.contains("error: You must be logged in to the server (Unauthorized)"),
        "{err}"
    );
    // A certificate from another cluster's CA is taken in TLS and refused by the authenticator.
    let other = FakeApiServer::start(FakeOptions::default());
    let theirs = dir.path().join("theirs");
    other.user_kubeconfig(&theirs, "k", "john", &["dev1"]);
    let theirs: Value = serde_json::from_str(&std::fs::read_to_string(&theirs).unwrap()).unwrap();
    let user = &theirs["users"][0]["user"];
    let foreign = kubeconfig_with(
        &server,
        dir.path(),
        &format!(
            "{{ client-certificate-data: {}, client-key-data: {} }}",
            user["client-certificate-data"].as_str().unwrap(),
            user["client-key-data"].as_str().unwrap()
        ),
    );
    // kubectl's typed clients decode the Status; its discovery client gives the generic 401 text.
    let (code, _, err) = foreign.run(&["auth", "whoami"]);
    assert_ne!(code, 0);
    assert!(
        err.contains("error: You must be logged in to the server (Unauthorized)"),
        "{err}"
    );
    let (code, _, err) = foreign.run(&["get", "csr"]);
    assert_ne!(code, 0);
    assert!(
        err.contains("error: You must be logged in to the server (the server has asked for the client to provide credentials)"),
        "{err}"
    );
    // An expired certificate from the right CA: the same 401.
    let expired = dir.path().join("expired");
    server.user_kubeconfig_expiring(&expired, "k", "john", &["dev1"], -60);
    let expired = Kubectl {
        kubeconfig: expired,
        _dir: tempfile::tempdir_in(dir.path()).unwrap(),
    };
    let (code, _, err) = expired.run(&["auth", "whoami"]);
    assert_ne!(code, 0);
    assert!(
        err.contains("error: You must be logged in to the server (Unauthorized)"),
        "{err}"
    );
    let unauthorized = server
        .requests()
        .into_iter()
        .filter(|r| r.user.is_none())
        .count();
    assert!(
        unauthorized >= 3,
        "all three reached the server and were refused there"
    );
}

#[test]
fn signer_modes_and_validation() {
    for version in ServerVersion::ALL {
        eprintln!("--- the fake plays {version:?}");
        signer_modes_and_validation_of(&FakeApiServer::start(FakeOptions {
            signer: SignerMode::Deny,
            version,
            ..FakeOptions::default()
        }));
    }
}

fn signer_modes_and_validation_of(server: &FakeApiServer) {
    let k = Kubectl::admin(server);
    server.insert(
        "/apis/certificates.k8s.io/v1/certificatesigningrequests",
        csr_object("x", "x", "g"),
    );
    k.ok(&["certificate", "approve", "x"]);
    // The signer works in the background: poll (bounded) rather than guess a delay.
    let mut types = String::new();
    for _ in 0..100 {
        types = k.ok(&[
            "get",
            "csr",
            "x",
            "-o",
            "jsonpath={.status.conditions[*].type}",
        ]);
        if types != "Approved" {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    assert_eq!(types, "Approved Failed");

    let dir = tempfile::tempdir().unwrap();
    let mut short = csr_object("short", "y", "g");
    short["spec"]["expirationSeconds"] = json!(300);
    std::fs::write(dir.path().join("short.json"), short.to_string()).unwrap();
    let (code, _, err) = k.run(&[
        "create",
        "-f",
        dir.path().join("short.json").to_str().unwrap(),
        "--validate=false",
    ]);
    if server.version().minor() >= 22 {
        assert_ne!(code, 0);
        assert!(
            err.contains("spec.expirationSeconds: Invalid value: 300"),
            "{err}"
        );
    } else {
        // Before v1.22 the field does not exist: dropped, not refused.
        assert_eq!(code, 0, "{err}");
        let spec = k.ok(&["get", "csr", "short", "-o", "jsonpath={.spec}"]);
        assert!(!spec.contains("expirationSeconds"), "{spec}");
    }
}

#[test]
fn created_roles_keep_their_rules_and_bindings_to_them_work() {
    let server = FakeApiServer::start(FakeOptions::default());
    let admin = Kubectl::admin(&server);
    let john = Kubectl::user(&server, "john", &["dev1"]);
    // kubectl sends these as protobuf: the rules must survive the decoder.
    admin.ok(&[
        "create",
        "clusterrole",
        "secret-reader",
        "--verb=get,list",
        "--resource=secrets",
    ]);
    admin.ok(&[
        "create",
        "role",
        "pod-deleter",
        "--verb=delete",
        "--resource=pods",
        "--resource-name=web",
        "-n",
        "dev1",
    ]);
    let rules: Value = serde_json::from_str(&admin.ok(&[
        "get",
        "clusterrole",
        "secret-reader",
        "-o",
        "jsonpath={.rules}",
    ]))
    .unwrap();
    assert_eq!(
        rules,
        json!([{ "apiGroups": [""], "resources": ["secrets"], "verbs": ["get", "list"] }])
    );
    admin.ok(&[
        "create",
        "rolebinding",
        "john-secrets",
        "--clusterrole=secret-reader",
        "--user=john",
        "-n",
        "dev1",
    ]);
    admin.ok(&[
        "create",
        "rolebinding",
        "john-deletes-web",
        "--role=pod-deleter",
        "--user=john",
        "-n",
        "dev1",
    ]);
    for (args, want) in [
        (vec!["get", "secrets", "-n", "dev1"], "yes"),
        (vec!["list", "secrets", "-n", "dev1"], "yes"),
        (vec!["delete", "secrets", "-n", "dev1"], "no"),
        (vec!["get", "secrets", "-n", "default"], "no"),
        (vec!["delete", "pods/web", "-n", "dev1"], "yes"),
        (vec!["delete", "pods/db", "-n", "dev1"], "no"),
    ] {
        let mut full = vec!["auth", "can-i"];
        full.extend(&args);
        let (_, out, err) = john.run(&full);
        assert_eq!(out.trim(), want, "can-i {args:?}: {err}");
    }
}

#[test]
fn bindings_and_roles_that_grant_more_than_their_author_holds_are_refused() {
    let server = FakeApiServer::start(FakeOptions::default());
    let admin = Kubectl::admin(&server);
    let bob = Kubectl::user(&server, "bob", &["dev"]);
    // bob may manage RoleBindings and Roles in dev1, and hold nothing else there.
    admin.ok(&[
        "create",
        "role",
        "binder",
        "--verb=create,get,list,update",
        "--resource=rolebindings,roles",
        "-n",
        "dev1",
    ]);
    admin.ok(&[
        "create",
        "rolebinding",
        "bob-binds",
        "--role=binder",
        "--user=bob",
        "-n",
        "dev1",
    ]);
    let (code, _, err) = bob.run(&[
        "create",
        "rolebinding",
        "bob-admin",
        "--clusterrole=cluster-admin",
        "--user=bob",
        "-n",
        "dev1",
    ]);
    assert_ne!(code, 0);
    assert!(
        err.contains(concat!(
            r#"error: failed to create rolebinding: rolebindings.rbac.authorization.k8s.io "bob-admin" is forbidden: "#,
            r#"user "bob" (groups=["dev" "system:authenticated"]) is attempting to grant RBAC permissions not currently held:"#,
            "\n",
            r#"{APIGroups:["*"], Resources:["*"], Verbs:["*"]}"#,
            "\n",
            r#"{NonResourceURLs:["*"], Verbs:["*"]}"#
        )),
        "{err}"
    );
    let (_, out, _) = bob.run(&["auth", "can-i", "delete", "secrets", "-n", "dev1"]);
    assert_eq!(out.trim(), "no", "the escalation did not happen");
    // A Role with rights bob lacks is refused too; one within his rights is fine.
    let (code, _, err) = bob.run(&[
        "create",
        "role",
        "secrets",
        "--verb=get,delete",
        "--resource=secrets",
        "-n",
        "dev1",
    ]);
    assert_ne!(code, 0);
    assert!(
        err.contains(r#"{APIGroups:[""], Resources:["secrets"], Verbs:["get" "delete"]}"#),
        "{err}"
    );
    bob.ok(&[
        "create",
        "role",
        "read-bindings",
        "--verb=get",
        "--resource=rolebindings",
        "-n",
        "dev1",
    ]);
    // `bind` on the view ClusterRole lets bob grant it without holding it.
    let (code, _, _) = bob.run(&[
        "create",
        "rolebinding",
        "bob-view",
        "--clusterrole=view",
        "--user=bob",
        "-n",
        "dev1",
    ]);
    assert_ne!(code, 0, "view grants more than bob holds");
    admin.ok(&[
        "create",
        "clusterrole",
        "view-binder",
        "--verb=bind",
        "--resource=clusterroles",
        "--resource-name=view",
    ]);
    admin.ok(&[
        "create",
        "rolebinding",
        "bob-binds-view",
        "--clusterrole=view-binder",
        "--user=bob",
        "-n",
        "dev1",
    ]);
    bob.ok(&[
        "create",
        "rolebinding",
        "bob-view",
        "--clusterrole=view",
        "--user=bob",
        "-n",
        "dev1",
    ]);
    let (_, out, _) = bob.run(&["auth", "can-i", "list", "pods", "-n", "dev1"]);
    assert_eq!(out.trim(), "yes");
}

#[test]
fn namespaces_that_do_not_exist_and_resources_that_do_not_exist() {
    let server = FakeApiServer::start(FakeOptions::default());
    let admin = Kubectl::admin(&server);
    let (code, _, err) = admin.run(&[
        "create",
        "rolebinding",
        "john-view",
        "--clusterrole=view",
        "--user=john",
        "-n",
        "nowhere",
    ]);
    assert_ne!(code, 0);
    assert!(
        err.contains(r#"error: failed to create rolebinding: namespaces "nowhere" not found"#),
        "{err}"
    );
    assert!(server.list("rolebindings").is_empty());
    let (code, _, err) = admin.run(&["get", "--raw", "/api/v1/namespaces/dev1/foos"]);
    assert_ne!(code, 0);
    assert!(
        err.contains(
            "Error from server (NotFound): the server could not find the requested resource"
        ),
        "{err}"
    );
    let ns: Value =
        serde_json::from_str(&admin.ok(&["get", "--raw", "/api/v1/namespaces/dev1"])).unwrap();
    assert_eq!(ns["metadata"]["name"], "dev1");
}

#[test]
fn ca_config_maps_as_a_real_cluster_publishes_them() {
    let server = FakeApiServer::start(FakeOptions::default());
    let admin = Kubectl::admin(&server);
    let ca = String::from_utf8(server.ca_cert_pem()).unwrap();
    let client_ca = admin.ok(&[
        "get",
        "configmap",
        "extension-apiserver-authentication",
        "-n",
        "kube-system",
        "-o",
        "jsonpath={.data.client-ca-file}",
    ]);
    assert_eq!(client_ca, ca);
    let root = admin.ok(&[
        "get",
        "configmap",
        "kube-root-ca.crt",
        "-n",
        "dev1",
        "-o",
        "json",
    ]);
    let root: Value = serde_json::from_str(&root).unwrap();
    assert_eq!(root["data"]["ca.crt"], ca.as_str());
    // A user without rights may not read them, as on a real cluster.
    let (code, _, err) = Kubectl::user(&server, "jane", &[]).run(&[
        "get",
        "configmap",
        "extension-apiserver-authentication",
        "-n",
        "kube-system",
    ]);
    assert_ne!(code, 0);
    assert!(
        err.contains("Forbidden") || err.contains("forbidden"),
        "{err}"
    );
}

/// Go's net package sets TCP_NODELAY on every connection, so a real API server never holds the
/// second segment of a handshake flight or a response until the client's delayed ACK (40 ms on
/// Linux). HTTP/1.1, the protocol of the first measurement; best of five, so a busy machine
/// does not fail it.
#[test]
fn a_handshake_and_a_request_are_not_held_for_a_delayed_ack() {
    let server = FakeApiServer::start(FakeOptions::default());
    let dir = tempfile::tempdir().unwrap();
    let ca = dir.path().join("ca.crt");
    std::fs::write(&ca, server.ca_cert_pem()).unwrap();
    let best = (0..5)
        .map(|_| {
            let out = Command::new("curl")
                .args(["-sS", "--http1.1", "-o", "/dev/null", "-w", "%{time_total}"])
                .arg("--cacert")
                .arg(&ca)
                .arg(format!("{}/version", server.url()))
                .output()
                .expect("curl is installed");
            let seconds: f64 = String::from_utf8_lossy(&out.stdout).trim().parse().unwrap();
            seconds
        })
        .fold(f64::INFINITY, f64::min);
    assert!(
        best < 0.035,
        "connect, TLS handshake and GET /version took {:.1} ms at best",
        best * 1000.0
    );
}

/// kube-apiserver sends its serving certificate alone (kubeadm's apiserver.crt holds one): the
/// client has the CA from its kubeconfig. openssl s_client counts what the handshake carried.
#[test]
fn the_handshake_carries_the_serving_certificate_alone() {
    let server = FakeApiServer::start(FakeOptions::default());
    let port = server.url().rsplit(':').next().unwrap().to_string();
    let out = Command::new("openssl")
        .args(["s_client", "-showcerts", "-connect"])
        .arg(format!("127.0.0.1:{port}"))
        .stdin(std::process::Stdio::null())
        .output()
        .expect("openssl is installed");
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        text.matches("-----BEGIN CERTIFICATE-----").count(),
        1,
        "{text}"
    );
    assert!(text.contains("CN = kube-apiserver"), "{text}");
}

/// kube-apiserver (Go's net/http) offers HTTP/2 by ALPN and kubectl takes it: its requests and
/// its watches (DATA frames, not chunks) go over h2. With h2 off, both speak HTTP/1.1. curl,
/// which offers both, is the second judge of what the server chose.
#[test]
fn kubectl_speaks_http2_to_it_and_http_1_1_when_h2_is_off() {
    for http2 in [true, false] {
        eprintln!("--- http2: {http2}");
        let server = FakeApiServer::start(FakeOptions {
            http2,
            ..FakeOptions::default()
        });
        let expected = if http2 {
            hyper::Version::HTTP_2
        } else {
            hyper::Version::HTTP_11
        };
        let k = Kubectl::admin(&server);
        server.insert(
            "/apis/certificates.k8s.io/v1/certificatesigningrequests",
            csr_object("john-csr", "john", "dev1"),
        );
        // A watch that must see an event sent after it started.
        let waiting = Command::new("kubectl")
            .args([
                "wait",
                "--for=condition=Approved",
                "csr/john-csr",
                "--timeout=60s",
            ])
            .env("KUBECONFIG", &k.kubeconfig)
            .env("HOME", k._dir.path())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("kubectl is installed");
        let watching = || {
            server
                .requests()
                .iter()
                .any(|r| r.path.contains("watch=true"))
        };
        let started = std::time::Instant::now();
        while !watching() {
            assert!(
                started.elapsed() < std::time::Duration::from_secs(60),
                "kubectl wait never watched"
            );
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        k.ok(&["certificate", "approve", "john-csr"]);
        let waited = waiting.wait_with_output().unwrap();
        assert!(
            waited.status.success(),
            "kubectl wait: {}",
            String::from_utf8_lossy(&waited.stderr)
        );
        let versions: Vec<_> = server.requests().iter().map(|r| r.version).collect();
        assert!(
            !versions.is_empty() && versions.iter().all(|v| *v == expected),
            "{versions:?}"
        );

        let dir = tempfile::tempdir().unwrap();
        let ca = dir.path().join("ca.crt");
        std::fs::write(&ca, server.ca_cert_pem()).unwrap();
        let curl = Command::new("curl")
            .args(["-sS", "--http2", "-o", "/dev/null", "-w", "%{http_version}"])
            .arg("--cacert")
            .arg(&ca)
            .arg(format!("{}/version", server.url()))
            .output()
            .expect("curl is installed");
        let chosen = String::from_utf8_lossy(&curl.stdout).into_owned();
        assert_eq!(chosen, if http2 { "2" } else { "1.1" });
    }
}
