//! `renew` keeps the identity, changes the key and the expiry, and touches nothing else; judged
//! by the openssl tool and kubectl.

use std::path::{Path, PathBuf};

use crate::harness::{Sandbox, decode, entry, openssl, openssl_date, openssl_signed};
use crate::support::fake_apiserver::{FakeApiServer, FakeOptions};

const LEAF: &str = "basicConstraints = CA:FALSE\nkeyUsage = critical,digitalSignature,keyEncipherment\nextendedKeyUsage = clientAuth";

/// A user whose certificate the openssl tool made: valid from `start` to `end` days from now,
/// embedded in the kubeconfig with kubectl, with a `USER@kubernetes` context.
fn openssl_user(
    sb: &Sandbox,
    ca: &Path,
    ca_key: &Path,
    user: &str,
    subject: &str,
    start: i64,
    end: i64,
) {
    let crt = sb.path(&format!("{user}-openssl.crt"));
    let key = openssl_signed(
        sb,
        ca,
        ca_key,
        subject,
        &openssl_date(start),
        &openssl_date(end),
        LEAF,
        &crt,
        None,
    );
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
        &format!("{user}@kubernetes"),
        "--cluster",
        "kubernetes",
        "--user",
        user,
    ])
    .ok();
}

/// A second CA made by openssl (`other-ca.crt`, `other-ca.key`), for certificates ours did not issue.
fn other_ca(sb: &Sandbox) -> (PathBuf, PathBuf) {
    let (crt, key) = (sb.path("other-ca.crt"), sb.path("other-ca.key"));
    let (crt_s, key_s) = (crt.to_str().unwrap(), key.to_str().unwrap());
    let mut args = vec![
        "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key_s,
    ];
    args.extend(["-out", crt_s, "-subj", "/CN=other-ca", "-days", "30"]);
    args.extend(["-addext", "basicConstraints=critical,CA:TRUE"]);
    args.extend(["-addext", "keyUsage=critical,keyCertSign"]);
    openssl(&args).ok();
    (crt, key)
}

fn local_ca() -> (Sandbox, String, String) {
    let sb = Sandbox::new();
    let (ca, key) = sb.openssl_ca();
    sb.seed_kubeconfig();
    (
        sb,
        ca.to_str().unwrap().to_string(),
        key.to_str().unwrap().to_string(),
    )
}

fn user_data(sb: &Sandbox, user: &str) -> (String, String) {
    let view = sb.kubectl_view();
    let u = &entry(&view, "users", user).unwrap()["user"];
    (
        u["client-certificate-data"].as_str().unwrap().to_string(),
        u["client-key-data"].as_str().unwrap().to_string(),
    )
}

/// `openssl x509 -noout FLAGS` of a PEM.
fn x509(sb: &Sandbox, pem: &[u8], flags: &[&str]) -> String {
    let path = sb.path("judge.crt");
    std::fs::write(&path, pem).unwrap();
    let mut args = vec!["x509", "-noout", "-in", path.to_str().unwrap()];
    args.extend_from_slice(flags);
    openssl(&args).ok().stdout.trim().to_string()
}

fn end_date(sb: &Sandbox, pem: &[u8]) -> jiff::Timestamp {
    let text = x509(sb, pem, &["-enddate", "-dateopt", "iso_8601"]);
    text.trim_start_matches("notAfter=")
        .replace(' ', "T")
        .parse()
        .unwrap()
}

#[test]
fn renew_keeps_cn_and_groups_changes_key_and_expiry_and_nothing_else() {
    let (sb, ca, ca_key) = local_ca();
    openssl_user(
        &sb,
        Path::new(&ca),
        Path::new(&ca_key),
        "john",
        "/O=dev1/O=qa/CN=john",
        -5,
        2,
    );
    sb.run(&[
        "add",
        "jane",
        "--no-check",
        "--ca-cert",
        &ca,
        "--ca-key",
        &ca_key,
    ])
    .ok();
    let before_text = std::fs::read_to_string(&sb.kubeconfig).unwrap();
    let (old_cert, old_key) = user_data(&sb, "john");

    let run = sb.run(&[
        "renew",
        "john",
        "--ca-cert",
        &ca,
        "--ca-key",
        &ca_key,
        "-o",
        "json",
    ]);
    let report = run.ok().json();
    assert_eq!(report["renewed"][0]["name"], "john");
    assert_eq!(report["renewed"][0]["keyReused"], false);
    let (new_cert, new_key) = user_data(&sb, "john");
    assert_ne!(new_cert, old_cert);
    assert_ne!(new_key, old_key, "a new key by default");
    // Neither key reaches the terminal, in any form.
    for out in [&run.stdout, &run.stderr] {
        assert!(!out.contains("PRIVATE KEY") && !out.contains(&new_key) && !out.contains(&old_key));
    }

    let (old_pem, new_pem) = (
        decode(&old_cert.clone().into()),
        decode(&new_cert.clone().into()),
    );
    assert_eq!(
        x509(&sb, &new_pem, &["-subject"]),
        "subject=O = dev1, O = qa, CN = john"
    );
    assert_ne!(
        x509(&sb, &new_pem, &["-serial"]),
        x509(&sb, &old_pem, &["-serial"])
    );
    // The same lifetime as before (7 days), from now: five days later than the old end.
    let (old_end, new_end) = (end_date(&sb, &old_pem), end_date(&sb, &new_pem));
    let gained = (new_end - old_end).get_seconds();
    assert!(
        (5 * 86_400 - 120..=5 * 86_400 + 120).contains(&gained),
        "{old_end} -> {new_end}"
    );
    std::fs::write(sb.path("new.crt"), &new_pem).unwrap();
    openssl(&[
        "verify",
        "-CAfile",
        &ca,
        sb.path("new.crt").to_str().unwrap(),
    ])
    .ok();
    // The new key is the certificate's key.
    let key_path = sb.path("new.key");
    std::fs::write(&key_path, decode(&new_key.clone().into())).unwrap();
    let pub_of_key = openssl(&["pkey", "-in", key_path.to_str().unwrap(), "-pubout"])
        .ok()
        .stdout
        .clone();
    assert_eq!(x509(&sb, &new_pem, &["-pubkey"]).trim(), pub_of_key.trim());

    // Byte for byte, the file changed only in john's two fields.
    let after_text = std::fs::read_to_string(&sb.kubeconfig).unwrap();
    assert_eq!(
        after_text,
        before_text
            .replace(&old_cert, &new_cert)
            .replace(&old_key, &new_key)
    );
}

#[test]
fn reuse_key_with_files_rewrites_only_the_certificate_file() {
    let (sb, ca, ca_key) = local_ca();
    sb.run(&[
        "add",
        "john",
        "-g",
        "dev1",
        "--days",
        "10",
        "--cert-dir",
        "certs",
        "--no-check",
        "--ca-cert",
        &ca,
        "--ca-key",
        &ca_key,
    ])
    .ok();
    let before_kubeconfig = std::fs::read(&sb.kubeconfig).unwrap();
    let (crt, key) = (sb.path("certs/john.crt"), sb.path("certs/john.key"));
    let (old_crt, old_key) = (std::fs::read(&crt).unwrap(), std::fs::read(&key).unwrap());

    sb.run(&[
        "renew",
        "john",
        "--reuse-key",
        "--days",
        "90",
        "--ca-cert",
        &ca,
        "--ca-key",
        &ca_key,
    ])
    .ok();
    assert_eq!(
        std::fs::read(&key).unwrap(),
        old_key,
        "--reuse-key keeps the key file"
    );
    assert_eq!(
        std::fs::read(&sb.kubeconfig).unwrap(),
        before_kubeconfig,
        "the kubeconfig only names the files"
    );
    let new_crt = std::fs::read(&crt).unwrap();
    assert_ne!(new_crt, old_crt);
    assert_eq!(
        x509(&sb, &new_crt, &["-pubkey"]),
        x509(&sb, &old_crt, &["-pubkey"])
    );
    let days = (end_date(&sb, &new_crt) - jiff::Timestamp::now()).get_seconds() / 86_400;
    assert!((89..=90).contains(&days), "{days}");
    assert!(x509(&sb, &new_crt, &["-subject"]).ends_with("O = dev1, CN = john"));
}

#[test]
fn renew_through_the_csr_api_keeps_the_lifetime() {
    let server = FakeApiServer::start(FakeOptions::default());
    let sb = Sandbox::new();
    server.admin_kubeconfig(&sb.kubeconfig, "kubernetes");
    std::fs::write(sb.path("cluster-ca.crt"), server.ca_cert_pem()).unwrap();
    sb.run(&[
        "add",
        "john",
        "-g",
        "dev1",
        "--duration",
        "48h",
        "--no-check",
    ])
    .ok();
    let (old_cert, old_key) = user_data(&sb, "john");
    let run = sb.run(&["renew", "john", "-o", "json"]);
    let report = run.ok().json();
    assert_eq!(report["renewed"][0]["signedBy"], "csr-api");
    let (new_cert, new_key) = user_data(&sb, "john");
    assert!(new_cert != old_cert && new_key != old_key);
    let pem = decode(&new_cert.into());
    std::fs::write(sb.path("john.crt"), &pem).unwrap();
    openssl(&[
        "verify",
        "-CAfile",
        sb.path("cluster-ca.crt").to_str().unwrap(),
        sb.path("john.crt").to_str().unwrap(),
    ])
    .ok();
    assert!(x509(&sb, &pem, &["-subject"]).ends_with("O = dev1, CN = john"));
    let hours = (end_date(&sb, &pem) - jiff::Timestamp::now()).get_seconds() as f64 / 3600.0;
    assert!(
        (47.5..=48.1).contains(&hours),
        "48 hours again, got {hours}"
    );
    assert!(server.list("certificatesigningrequests").is_empty());
    // kubectl signs in with the renewed certificate.
    let who = sb.kubectl(&[
        "--context",
        "john@kubernetes",
        "auth",
        "whoami",
        "-o",
        "json",
    ]);
    assert!(who.ok().stdout.contains("\"john\""), "{}", who.stdout);
}

#[test]
fn renew_all_within_renews_the_due_skips_the_foreign_and_says_so() {
    let (sb, ca, ca_key) = local_ca();
    let (other_ca, other_key) = other_ca(&sb);
    openssl_user(
        &sb,
        Path::new(&ca),
        Path::new(&ca_key),
        "john",
        "/CN=john",
        -10,
        3,
    );
    openssl_user(
        &sb,
        Path::new(&ca),
        Path::new(&ca_key),
        "jane",
        "/CN=jane",
        -1,
        200,
    );
    openssl_user(&sb, &other_ca, &other_key, "bob", "/CN=bob", -1, 5);
    let args = [
        "renew",
        "--all",
        "--within",
        "30d",
        "--ca-cert",
        &ca,
        "--ca-key",
        &ca_key,
    ];

    let before = sb.snapshot();
    let mut dry = args.to_vec();
    dry.push("--dry-run");
    let plan = sb.run(&dry);
    assert_eq!(plan.code, 1, "a due user is skipped: {}", plan.stderr);
    assert!(before == sb.snapshot(), "a dry run changes nothing");
    for want in ["john   would renew", "bob    skipped", "jane   not due"] {
        assert!(plan.stdout.contains(want), "{want}:\n{}", plan.stdout);
    }

    let (john_before, _) = user_data(&sb, "john");
    let (jane_before, _) = user_data(&sb, "jane");
    let (bob_before, _) = user_data(&sb, "bob");
    let mut json = args.to_vec();
    json.extend(["-o", "json"]);
    let run = sb.run(&json);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let report = run.json();
    assert_eq!(report["renewed"].as_array().unwrap().len(), 1);
    assert_eq!(report["renewed"][0]["name"], "john");
    assert_eq!(report["skipped"][0]["name"], "bob");
    assert!(
        report["skipped"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("issued by CN=other-ca"),
        "{report}"
    );
    assert_eq!(report["notDue"][0]["name"], "jane");
    assert!(run.stderr.contains("skipped bob"), "{}", run.stderr);
    assert_ne!(user_data(&sb, "john").0, john_before);
    assert_eq!(user_data(&sb, "jane").0, jane_before);
    assert_eq!(user_data(&sb, "bob").0, bob_before);

    // Within 10 days only bob is due (john now has 13): with bob's CA, exit 0.
    sb.run(&[
        "renew",
        "--all",
        "--within",
        "10d",
        "--ca-cert",
        other_ca.to_str().unwrap(),
        "--ca-key",
        other_key.to_str().unwrap(),
    ])
    .ok();
}

#[test]
fn bad_input_changes_nothing() {
    let (sb, ca, ca_key) = local_ca();
    openssl_user(
        &sb,
        Path::new(&ca),
        Path::new(&ca_key),
        "john",
        "/CN=john",
        -1,
        5,
    );
    let (other_ca, other_key) = other_ca(&sb);
    // john's key replaced by another one: --reuse-key must refuse it.
    let stray = sb.path("stray.key");
    openssl(&["genrsa", "-out", stray.to_str().unwrap(), "2048"]).ok();
    openssl_user(
        &sb,
        Path::new(&ca),
        Path::new(&ca_key),
        "mismatch",
        "/CN=mismatch",
        -1,
        5,
    );
    sb.kubectl(&[
        "config",
        "set-credentials",
        "mismatch",
        "--client-key",
        stray.to_str().unwrap(),
        "--embed-certs",
    ])
    .ok();
    openssl_user(
        &sb,
        Path::new(&ca),
        Path::new(&ca_key),
        "sysadmin",
        "/O=system:masters/CN=sysadmin",
        -1,
        5,
    );
    let local = ["--ca-cert", ca.as_str(), "--ca-key", ca_key.as_str()];
    for (args, needle) in [
        (vec!["renew", "nobody"], "not found"),
        (vec!["renew", "kubernetes-admin"], "no client certificate"),
        (
            vec!["renew", "mismatch", "--reuse-key"],
            "does not match its certificate",
        ),
        (vec!["renew", "sysadmin"], "kubeadm certs renew"),
        (vec!["renew", "john", "--days", "0"], "never valid"),
        (vec!["renew", "john", "nobody"], "not found"),
    ] {
        let mut args = args;
        args.extend_from_slice(&local);
        let before = sb.snapshot();
        sb.run(&args).fails_with(needle);
        assert!(before == sb.snapshot(), "{args:?} changed files");
    }
    let before = sb.snapshot();
    sb.run(&[
        "renew",
        "john",
        "--ca-cert",
        other_ca.to_str().unwrap(),
        "--ca-key",
        other_key.to_str().unwrap(),
    ])
    .fails_with("not by the CA CN=other-ca");
    assert!(before == sb.snapshot());
}

/// As `add`'s (STYLE habit 14): renew's dry run through the CSR API shows the
/// CertificateSigningRequest it would create, and the real renewal creates that object: the
/// name pattern (a user name with capitals cleaned as the real one is), the labels, the signer,
/// the usages and the lifetime.
#[test]
fn dry_run_shows_the_csr_the_real_renewal_creates() {
    let server = FakeApiServer::start(FakeOptions::default());
    let sb = Sandbox::new();
    server.admin_kubeconfig(&sb.kubeconfig, "kubernetes");
    sb.run(&[
        "add",
        "John_Smith",
        "-g",
        "dev1",
        "--key-type",
        "ecdsa-p256",
        "--duration",
        "48h",
        "--no-check",
    ])
    .ok();
    let before = sb.snapshot();
    let dry = sb
        .run(&[
            "renew",
            "John_Smith",
            "--keep-csr",
            "--dry-run",
            "-o",
            "json",
        ])
        .ok()
        .json();
    assert!(before == sb.snapshot(), "a dry run changes nothing");
    assert!(server.list("certificatesigningrequests").is_empty());
    let objects = dry["objects"]
        .as_array()
        .unwrap_or_else(|| panic!("no objects in {dry}"));
    let [dry_csr] = objects.as_slice() else {
        panic!("one CSR: {dry}")
    };
    assert_eq!(dry_csr["kind"], "CertificateSigningRequest", "{dry_csr}");
    assert_eq!(dry_csr["spec"]["request"], "<CSR: CN=John_Smith, O=dev1>");

    sb.run(&["renew", "John_Smith", "--keep-csr"]).ok();
    let csrs = server.list("certificatesigningrequests");
    let [real_csr] = csrs.as_slice() else {
        panic!("one CSR kept: {csrs:?}")
    };
    let real_name = real_csr["metadata"]["name"].as_str().unwrap();
    let (real_prefix, _) = real_name.rsplit_once('-').unwrap();
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
        assert_eq!(pick(dry_csr), pick(real_csr), "{field:?}");
    }
}
