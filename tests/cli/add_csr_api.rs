//! `add` through the cluster's CSR API, against the fake API server; the real kubectl then
//! judges what the new user may do.

use std::time::Duration;

use crate::harness::{Run, Sandbox, decode, entry, openssl};
use crate::support::fake_apiserver::{FakeApiServer, FakeOptions, SignerMode};

fn cluster() -> (FakeApiServer, Sandbox) {
    let (server, sb) = Sandbox::with_fake_cluster(FakeOptions::default());
    std::fs::write(sb.path("cluster-ca.crt"), server.ca_cert_pem()).unwrap();
    (server, sb)
}

/// A refused command left every file as it was.
#[track_caller]
fn refused_unchanged(sb: &Sandbox, args: &[&str], needle: &str) -> Run {
    let before = sb.snapshot();
    let run = sb.run(args);
    run.fails_with(needle);
    assert!(
        before == sb.snapshot(),
        "a refused command changed files: {args:?}"
    );
    run
}

#[test]
fn add_through_the_csr_api_then_kubectl_judges_access() {
    let (server, sb) = cluster();
    let run = sb.run(&["add", "john", "-g", "dev1", "-n", "dev1"]);
    run.ok();
    // The verdict names what is missing and how to grant it.
    assert!(
        run.stdout.contains("cannot") && run.stdout.contains("pods"),
        "{}\n{}",
        run.stdout,
        run.stderr
    );

    let view = sb.kubectl_view();
    let cert = decode(&entry(&view, "users", "john").unwrap()["user"]["client-certificate-data"]);
    let cert_path = sb.path("john.crt");
    std::fs::write(&cert_path, cert).unwrap();
    openssl(&[
        "verify",
        "-CAfile",
        sb.path("cluster-ca.crt").to_str().unwrap(),
        cert_path.to_str().unwrap(),
    ])
    .ok();
    assert!(
        server.list("certificatesigningrequests").is_empty(),
        "the CSR object is cleaned up"
    );

    let no = sb.kubectl(&[
        "--context",
        "john@kubernetes",
        "auth",
        "can-i",
        "list",
        "pods",
        "-n",
        "dev1",
    ]);
    assert_eq!(no.stdout.trim(), "no", "{no:?}");
    let who = sb.kubectl(&[
        "--context",
        "john@kubernetes",
        "auth",
        "whoami",
        "-o",
        "json",
    ]);
    let who: serde_json::Value = serde_json::from_str(&who.ok().stdout).unwrap();
    assert_eq!(who["status"]["userInfo"]["username"], "john");

    // jane gets the view ClusterRole in dev1: now kubectl says yes.
    let jane = sb.run(&["add", "jane", "-n", "dev1", "--clusterrole", "view"]);
    // Our own check, run after the binding, already shows the new rights.
    assert!(
        jane.ok()
            .stdout
            .contains("jane (groups system:authenticated) in dev1: can get pods, list pods"),
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
    let bindings = server.list("rolebindings");
    let binding = bindings
        .iter()
        .find(|b| b["roleRef"]["name"] == "view")
        .expect("a RoleBinding to view");
    assert_eq!(
        binding["metadata"]["labels"]["app.kubernetes.io/managed-by"],
        "kubectl-certuser"
    );
    assert_eq!(binding["metadata"]["namespace"], "dev1");
    // Idempotent: binding jane again changes nothing on the server, and says so.
    let again = sb.run(&[
        "add",
        "jane",
        "--force",
        "-n",
        "dev1",
        "--clusterrole",
        "view",
        "--no-check",
    ]);
    assert!(
        again
            .ok()
            .stderr
            .contains("RoleBinding certuser:jane:view already in place in dev1"),
        "{}",
        again.stderr
    );
    assert_eq!(
        server.list("rolebindings"),
        bindings,
        "the binding was changed or another was made"
    );
    assert!(
        !server
            .requests()
            .iter()
            .any(|r| r.method != "GET" && r.path.contains("/rolebindings/certuser:jane:view")),
        "the existing binding was written to"
    );
}

#[test]
fn json_report_and_real_expiry_from_a_signer_that_shortens() {
    let (server, sb) = cluster();
    server.set_max_signing_duration(Some(Duration::from_secs(24 * 3600)));
    let run = sb.run(&["add", "john", "--days", "30", "-o", "json"]);
    let report = run.ok().json();
    assert!(run.stderr.contains("shortened"), "{}", run.stderr);
    let user = &report["users"][0];
    assert_eq!(user["signedBy"], "csr-api");
    assert!(
        user["csrName"]
            .as_str()
            .unwrap()
            .starts_with("certuser-john-")
    );
    let not_after: jiff::Timestamp = user["certificate"]["notAfter"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let left = not_after.as_second() - jiff::Timestamp::now().as_second();
    assert!(
        left <= 24 * 3600 + 60,
        "the real expiry is reported, not the requested one: {left}"
    );
    assert_eq!(user["access"]["identity"]["username"], "john");
}

#[test]
fn csr_names_are_unique_and_strangers_csrs_are_never_approved() {
    let (server, sb) = cluster();
    // Someone pre-created a pending CSR with the name a naive tool would use.
    let (key, csr) = (sb.path("evil.key"), sb.path("evil.csr"));
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
        "/CN=john",
        "-out",
        csr.to_str().unwrap(),
    ])
    .ok();
    let request = openssl::base64::encode_block(&std::fs::read(&csr).unwrap());
    server.insert(
        "/apis/certificates.k8s.io/v1/certificatesigningrequests",
        serde_json::json!({
            "apiVersion": "certificates.k8s.io/v1", "kind": "CertificateSigningRequest",
            "metadata": { "name": "certuser-john" },
            "spec": { "request": request, "signerName": "kubernetes.io/kube-apiserver-client", "usages": ["client auth"] }
        }),
    );
    sb.run(&["add", "john", "--keep-csr", "--no-check"]).ok();
    let kept = server.list("certificatesigningrequests");
    let ours = kept
        .iter()
        .find(|c| c["metadata"]["name"] != "certuser-john")
        .unwrap();
    let approved = &ours["status"]["conditions"][0];
    assert_eq!(
        (approved["type"].as_str(), approved["reason"].as_str()),
        (Some("Approved"), Some("KubectlCertuserApprove"))
    );
    assert_eq!(
        approved["message"],
        "approved by kubernetes-admin with kubectl-certuser for user john"
    );
    sb.run(&["add", "john2", "--keep-csr", "--no-check"]).ok();
    let csrs = server.list("certificatesigningrequests");
    let evil = csrs
        .iter()
        .find(|c| c["metadata"]["name"] == "certuser-john")
        .unwrap();
    assert!(
        evil["status"]["conditions"]
            .as_array()
            .map(|c| c.is_empty())
            .unwrap_or(true),
        "the stranger's CSR was approved: {evil}"
    );
    let ours: Vec<&str> = csrs
        .iter()
        .filter_map(|c| c["metadata"]["name"].as_str())
        .filter(|n| *n != "certuser-john")
        .collect();
    assert_eq!(ours.len(), 2, "--keep-csr keeps them: {ours:?}");
    for name in &ours {
        let suffix = name.rsplit('-').next().unwrap();
        assert!(
            suffix.len() >= 16 && suffix.chars().all(|c| c.is_ascii_hexdigit()),
            "unpredictable name: {name}"
        );
    }
}

#[test]
fn signer_that_never_issues_times_out_with_the_diagnosis() {
    let (server, sb) = cluster();
    server.set_signer(SignerMode::Never);
    // The timeout starts once the CSR is approved, so a short one decides nothing by chance.
    let run = refused_unchanged(
        &sb,
        &["add", "john", "--timeout", "1s"],
        "was approved but no certificate was issued within 1s",
    );
    run.fails_with("--cluster-signing-cert-file");
    assert!(
        server
            .requests()
            .iter()
            .any(|r| r.path.contains("watch=true")),
        "the tool waited on a watch"
    );
    assert!(
        run.stderr.contains("--ca-cert"),
        "names the alternative: {}",
        run.stderr
    );
}

#[test]
fn no_approve_tells_who_must_approve() {
    let (server, sb) = cluster();
    let run = refused_unchanged(
        &sb,
        &["add", "john", "--no-approve", "--timeout", "1s"],
        "was not approved within 1s",
    );
    assert!(
        !server
            .requests()
            .iter()
            .any(|r| r.path.ends_with("/approval")),
        "--no-approve never approves"
    );
    assert!(
        run.stderr
            .contains("kubectl certificate approve certuser-john-"),
        "{}",
        run.stderr
    );
}

#[test]
fn forbidden_to_create_csrs_names_the_missing_rbac() {
    let server = FakeApiServer::start(FakeOptions::default());
    let sb = Sandbox::new();
    server.user_kubeconfig(&sb.kubeconfig, "kubernetes", "bob", &["dev"]);
    refused_unchanged(&sb, &["add", "john"], "certificatesigningrequests");
}

#[test]
fn expiration_below_the_api_minimum_is_refused_before_any_call() {
    let (server, sb) = cluster();
    refused_unchanged(
        &sb,
        &["add", "john", "--duration", "5m"],
        "expirationSeconds must be at least 600 (10 minutes) for the CSR API, and 300 s was asked",
    );
    assert!(
        !server
            .requests()
            .iter()
            .any(|r| r.path.contains("certificatesigningrequests")),
        "the server was never asked (it would have refused with its own 422)"
    );
}

#[test]
fn unreachable_server_and_wrong_server_ca() {
    let (server, sb) = cluster();
    let good = std::fs::read_to_string(&sb.kubeconfig).unwrap();
    let port = server.url().rsplit(':').next().unwrap().to_string();
    // Nothing listens on port 1.
    std::fs::write(&sb.kubeconfig, good.replace(&format!(":{port}"), ":1")).unwrap();
    refused_unchanged(&sb, &["add", "john", "--timeout", "5s"], "127.0.0.1:1");
    // A CA that did not sign the server's certificate.
    let other = FakeApiServer::start(FakeOptions::default());
    let theirs = openssl::base64::encode_block(&server.ca_cert_pem());
    let wrong = openssl::base64::encode_block(&other.ca_cert_pem());
    std::fs::write(&sb.kubeconfig, good.replace(&theirs, &wrong)).unwrap();
    refused_unchanged(&sb, &["add", "john", "--timeout", "5s"], "certificate");
}

#[test]
fn a_certificate_from_another_ca_is_unauthorized_and_says_so() {
    let (server, sb) = cluster();
    // Another cluster's admin certificate, pointed at this cluster: TLS takes it, the
    // authenticator refuses it.
    let other = FakeApiServer::start(FakeOptions::default());
    other.admin_kubeconfig(&sb.kubeconfig, "kubernetes");
    let theirs = std::fs::read_to_string(&sb.kubeconfig).unwrap();
    let ours = |pem: Vec<u8>| openssl::base64::encode_block(&pem);
    std::fs::write(
        &sb.kubeconfig,
        theirs
            .replace(&other.url(), &server.url())
            .replace(&ours(other.ca_cert_pem()), &ours(server.ca_cert_pem())),
    )
    .unwrap();
    let run = refused_unchanged(&sb, &["add", "john"], "401 Unauthorized");
    assert!(
        run.stderr.contains("not signed by the cluster's client CA"),
        "{}",
        run.stderr
    );
    assert!(server.list("certificatesigningrequests").is_empty());
}

#[test]
fn an_expired_certificate_is_unauthorized_and_says_so() {
    let server = FakeApiServer::start(FakeOptions::default());
    let sb = Sandbox::new();
    server.user_kubeconfig_expiring(
        &sb.kubeconfig,
        "kubernetes",
        "kubernetes-admin",
        &["kubeadm:cluster-admins"],
        -60,
    );
    let run = refused_unchanged(&sb, &["add", "john"], "401 Unauthorized");
    assert!(
        run.stderr.contains("the certificate may be expired"),
        "{}",
        run.stderr
    );
    assert!(server.list("certificatesigningrequests").is_empty());
}

#[test]
fn cluster_wide_binding_and_a_conflicting_binding_is_refused() {
    let (server, sb) = cluster();
    sb.run(&[
        "add",
        "ops",
        "--clusterrole",
        "view",
        "--cluster-wide",
        "--no-check",
    ])
    .ok();
    let bindings = server.list("clusterrolebindings");
    assert!(
        bindings
            .iter()
            .any(|b| b["metadata"]["name"] == "certuser:ops:view"
                && b["subjects"][0]["name"] == "ops")
    );
    // Someone else's binding under the name we would use is never changed.
    server.insert(
        "/apis/rbac.authorization.k8s.io/v1/namespaces/dev1/rolebindings",
        serde_json::json!({ "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding", "metadata": { "name": "certuser:eve:view" },
            "roleRef": { "apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "view" },
            "subjects": [{ "apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": "mallory" }] }),
    );
    // Refused before anything is signed or written.
    refused_unchanged(
        &sb,
        &[
            "add",
            "eve",
            "-n",
            "dev1",
            "--clusterrole",
            "view",
            "--no-check",
        ],
        "refusing to change someone else's binding",
    );
    assert!(
        server.list("certificatesigningrequests").is_empty(),
        "no certificate was even requested"
    );
}

#[test]
fn verbose_logs_api_calls_but_never_key_material() {
    let (_server, sb) = cluster();
    let run = sb.run(&["-v", "add", "john", "-n", "dev1"]);
    run.ok();
    assert!(
        run.stderr
            .contains("/apis/certificates.k8s.io/v1/certificatesigningrequests"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("selfsubjectaccessreviews"),
        "the check as john is logged too"
    );
    let key =
        decode(&entry(&sb.kubectl_view(), "users", "john").unwrap()["user"]["client-key-data"]);
    let key_b64 = openssl::base64::encode_block(&key);
    let body: String = String::from_utf8_lossy(&key)
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .collect();
    for secret in [&key_b64[..40], &body[..40], "PRIVATE KEY"] {
        assert!(
            !run.stderr.contains(secret) && !run.stdout.contains(secret),
            "key material in the output"
        );
    }
}

#[test]
fn may_create_but_not_approve_names_the_approval_rbac() {
    let server = FakeApiServer::start(FakeOptions::default());
    server.insert(
        "/apis/rbac.authorization.k8s.io/v1/clusterroles",
        serde_json::json!({ "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": { "name": "csr-requester" },
            "rules": [{ "apiGroups": ["certificates.k8s.io"], "resources": ["certificatesigningrequests"], "verbs": ["create", "get", "list", "watch", "delete"] }] }),
    );
    server.insert(
        "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings",
        serde_json::json!({ "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding", "metadata": { "name": "bob-requests" },
            "roleRef": { "apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "csr-requester" },
            "subjects": [{ "apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": "bob" }] }),
    );
    let sb = Sandbox::new();
    server.user_kubeconfig(&sb.kubeconfig, "kubernetes", "bob", &["dev"]);
    let run = refused_unchanged(&sb, &["add", "john"], "approve on signers");
    assert!(
        run.stderr.contains("certificatesigningrequests/approval")
            && run.stderr.contains("--no-approve"),
        "{}",
        run.stderr
    );
    assert!(
        server.list("certificatesigningrequests").is_empty(),
        "the CSR that could not be approved is cleaned up"
    );
}

#[test]
fn binding_without_permission_is_refused_before_anything_is_signed() {
    let server = FakeApiServer::start(FakeOptions::default());
    // Bob may sign and approve client certificates, but not bind roles.
    server.insert(
        "/apis/rbac.authorization.k8s.io/v1/clusterroles",
        serde_json::json!({ "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": { "name": "csr-approver" },
            "rules": [
                { "apiGroups": ["certificates.k8s.io"], "resources": ["certificatesigningrequests", "certificatesigningrequests/approval"], "verbs": ["*"] },
                { "apiGroups": ["certificates.k8s.io"], "resources": ["signers"], "resourceNames": ["kubernetes.io/kube-apiserver-client"], "verbs": ["approve"] },
                { "apiGroups": ["rbac.authorization.k8s.io"], "resources": ["rolebindings"], "verbs": ["get", "list"] }] }),
    );
    server.insert(
        "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings",
        serde_json::json!({ "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding", "metadata": { "name": "bob-approves" },
            "roleRef": { "apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "csr-approver" },
            "subjects": [{ "apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": "bob" }] }),
    );
    let sb = Sandbox::new();
    server.user_kubeconfig(&sb.kubeconfig, "kubernetes", "bob", &["dev"]);
    refused_unchanged(
        &sb,
        &["add", "john", "-n", "dev1", "--clusterrole", "view"],
        "may not create rolebindings in dev1",
    );
    assert!(server.list("certificatesigningrequests").is_empty());
    // Without a role, bob can add john.
    sb.run(&["add", "john", "-n", "dev1", "--no-check"]).ok();
}

/// The dry run prints the objects the real run sends (STYLE habit 14): for a name with capitals
/// and characters an object name may not hold, the CSR's name pattern and labels, and the whole
/// RoleBinding, equal what the real run then creates on the server.
#[test]
fn dry_run_objects_are_the_ones_the_real_run_creates() {
    let (server, sb) = cluster();
    let args = [
        "add",
        "John_Smith",
        "-g",
        "dev1",
        "-n",
        "dev1",
        "--clusterrole",
        "view",
        "--keep-csr",
        "--no-check",
    ];
    let mut dry_args = args.to_vec();
    dry_args.extend(["--dry-run", "-o", "json"]);
    let dry = sb.run(&dry_args).ok().json();
    let objects = dry["objects"].as_array().unwrap();
    let of_kind = |kind: &str| {
        objects
            .iter()
            .find(|o| o["kind"] == kind)
            .unwrap_or_else(|| panic!("no {kind} in {dry}"))
            .clone()
    };
    let (dry_csr, dry_binding) = (of_kind("CertificateSigningRequest"), of_kind("RoleBinding"));

    sb.run(&args).ok();
    let csrs = server.list("certificatesigningrequests");
    let [real_csr] = csrs.as_slice() else {
        panic!("one CSR kept: {csrs:?}")
    };
    let real_name = real_csr["metadata"]["name"].as_str().unwrap();
    let (real_prefix, random) = real_name.rsplit_once('-').unwrap();
    assert!(random.chars().all(|c| c.is_ascii_hexdigit()), "{real_name}");
    assert_eq!(
        dry_csr["metadata"]["name"],
        format!("{real_prefix}-<random>"),
        "dry-run CSR name vs the real {real_name}"
    );
    for field in [
        &["metadata", "labels"][..],
        &["spec", "signerName"],
        &["spec", "usages"],
        &["spec", "expirationSeconds"],
    ] {
        let pick = |o: &serde_json::Value| field.iter().fold(o.clone(), |v, k| v[k].clone());
        assert_eq!(pick(&dry_csr), pick(real_csr), "{field:?}");
    }
    let bindings = server.list("rolebindings");
    let real_binding = bindings
        .iter()
        .find(|b| b["metadata"]["name"] == dry_binding["metadata"]["name"])
        .unwrap_or_else(|| panic!("dry run named {dry_binding}, the server has {bindings:?}"));
    for field in ["apiVersion", "kind", "roleRef", "subjects"] {
        assert_eq!(dry_binding[field], real_binding[field], "{field}");
    }
    for field in ["name", "namespace", "labels"] {
        assert_eq!(
            dry_binding["metadata"][field], real_binding["metadata"][field],
            "{field}"
        );
    }
}

#[test]
fn dry_run_shows_the_api_objects_and_creates_none() {
    let (server, sb) = cluster();
    let before = sb.snapshot();
    let run = sb.run(&[
        "add",
        "john",
        "-g",
        "dev1",
        "-n",
        "dev1",
        "--clusterrole",
        "view",
        "--dry-run",
    ]);
    let out = &run.ok().stdout;
    for want in [
        "+- name: john",
        "kind: CertificateSigningRequest",
        "signerName: kubernetes.io/kube-apiserver-client",
        "kind: RoleBinding",
        "name: certuser:john:view",
    ] {
        assert!(out.contains(want), "missing {want}:\n{out}");
    }
    assert!(before == sb.snapshot(), "--dry-run wrote a file");
    assert!(server.list("certificatesigningrequests").is_empty());
    assert!(
        !server
            .list("rolebindings")
            .iter()
            .any(|b| b["metadata"]["name"] == "certuser:john:view")
    );
}

/// `binding` in `add -o json` is a contract: kind, name, namespace and whether it was created.
#[test]
fn json_report_names_the_binding_and_whether_it_was_created() {
    let (_server, sb) = cluster();
    let add = |extra: &[&str]| {
        let mut args = vec!["add", "jane", "-n", "dev1", "--clusterrole", "view"];
        args.extend_from_slice(extra);
        args.extend_from_slice(&["--no-check", "-o", "json"]);
        sb.run(&args).ok().json()["users"][0]["binding"].clone()
    };
    let expected = |created| {
        serde_json::json!({
            "kind": "RoleBinding",
            "name": "certuser:jane:view",
            "namespace": "dev1",
            "created": created,
        })
    };
    assert_eq!(add(&[]), expected(true));
    assert_eq!(add(&["--force"]), expected(false));
}

#[test]
fn the_administrators_first_request_asks_who_approves_so_it_connects_while_the_key_is_made() {
    let (server, sb) = cluster();
    sb.run(&["add", "john", "--no-check"]).ok();
    let admin: Vec<String> = server
        .requests()
        .iter()
        .filter(|r| r.user.as_deref() == Some("kubernetes-admin"))
        .map(|r| format!("{} {}", r.method, r.path))
        .collect();
    // Who approves depends on no object: asked first, it is what opens the connection, and it
    // goes while the key is still being made instead of after the first CSR is answered.
    assert!(
        admin[0].starts_with("POST /apis/authentication.k8s.io/v1/selfsubjectreviews"),
        "{admin:#?}"
    );
    assert!(
        admin[1].starts_with("POST /apis/certificates.k8s.io/v1/certificatesigningrequests"),
        "{admin:#?}"
    );
    assert_eq!(
        server.handshakes_of("kubernetes-admin"),
        1,
        "the CSR calls share the connection the question opened"
    );
}
