//! `add` with a local CA: what we issue is judged by openssl, what we write by kubectl.

use std::os::unix::fs::PermissionsExt;

use crate::harness::{Sandbox, decode, entry, openssl, openssl_stdin};

fn add(sb: &Sandbox, extra: &[&str]) -> crate::harness::Run {
    let (crt, key) = (sb.path("ca.crt"), sb.path("ca.key"));
    let mut args = vec![
        "add",
        "--ca-cert",
        crt.to_str().unwrap(),
        "--ca-key",
        key.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    sb.run(&args)
}

#[test]
fn seed_recipe_in_one_command() {
    let sb = Sandbox::with_local_ca();
    let run = add(
        &sb,
        &[
            "john",
            "--group",
            "dev1",
            "--namespace",
            "dev1",
            "--no-check",
        ],
    );
    assert!(
        run.ok().stderr.contains(
            "kubectl create rolebinding john-edit --clusterrole edit --user john -n dev1"
        ),
        "names the missing RBAC: {}",
        run.stderr
    );

    let view = sb.kubectl_view();
    let context = entry(&view, "contexts", "john@kubernetes").expect("context john@kubernetes");
    assert_eq!(context["context"]["cluster"], "kubernetes");
    assert_eq!(context["context"]["user"], "john");
    assert_eq!(context["context"]["namespace"], "dev1");
    // The current context is untouched without --use.
    assert_eq!(view["current-context"], "kubernetes-admin@kubernetes");

    let user = &entry(&view, "users", "john").expect("user john")["user"];
    let cert = decode(&user["client-certificate-data"]);
    let key = decode(&user["client-key-data"]);
    let cert_file = sb.path("john.crt");
    std::fs::write(&cert_file, &cert).unwrap();

    // openssl, not us, says the chain is good and the certificate is for client auth only.
    let verify = openssl(&[
        "verify",
        "-CAfile",
        sb.path("ca.crt").to_str().unwrap(),
        cert_file.to_str().unwrap(),
    ]);
    assert!(verify.ok().stdout.contains(": OK"), "{verify:?}");
    let text = openssl(&[
        "x509",
        "-in",
        cert_file.to_str().unwrap(),
        "-noout",
        "-subject",
        "-ext",
        "extendedKeyUsage,keyUsage,basicConstraints",
    ]);
    let text = &text.ok().stdout;
    assert!(
        text.contains("CN = john") || text.contains("CN=john"),
        "{text}"
    );
    assert!(
        text.contains("O = dev1") || text.contains("O=dev1"),
        "{text}"
    );
    assert!(text.contains("TLS Web Client Authentication"), "{text}");
    assert!(!text.contains("TLS Web Server Authentication"), "{text}");
    assert!(text.contains("CA:FALSE"), "{text}");
    assert!(
        text.contains("Digital Signature") && text.contains("Key Encipherment"),
        "{text}"
    );

    // The key is the certificate's: same public key by openssl's own reading.
    let from_key = openssl_stdin(&["pkey", "-pubout"], &key);
    let from_cert = openssl_stdin(&["x509", "-noout", "-pubkey"], &cert);
    assert_eq!(from_key.ok().stdout, from_cert.ok().stdout);
    // 365 days by default, like the seed recipe.
    let dates = openssl_stdin(
        &["x509", "-noout", "-checkend", &(364 * 86_400).to_string()],
        &cert,
    );
    assert_eq!(dates.code, 0, "valid for at least 364 days: {dates:?}");
    let dates = openssl_stdin(
        &["x509", "-noout", "-checkend", &(366 * 86_400).to_string()],
        &cert,
    );
    assert_ne!(dates.code, 0, "not valid for 366 days: {dates:?}");

    // The kubeconfig stays private.
    let mode = std::fs::metadata(&sb.kubeconfig)
        .unwrap()
        .permissions()
        .mode()
        & 0o777;
    assert_eq!(mode, 0o600);
}

#[test]
fn every_key_type_is_read_by_openssl_and_kubectl() {
    let sb = Sandbox::with_local_ca();
    for (i, (kind, public_key)) in [
        ("rsa-2048", "Public-Key: (2048 bit)"),
        ("rsa-3072", "Public-Key: (3072 bit)"),
        ("rsa-4096", "Public-Key: (4096 bit)"),
        ("ecdsa-p256", "NIST CURVE: P-256"),
        ("ecdsa-p384", "NIST CURVE: P-384"),
        ("ed25519", "Public Key Algorithm: ED25519"),
    ]
    .iter()
    .enumerate()
    {
        let user = format!("user{i}");
        add(&sb, &[&user, "--key-type", kind, "--no-check"]).ok();
        let view = sb.kubectl_view();
        let data = &entry(&view, "users", &user).unwrap()["user"];
        let key = decode(&data["client-key-data"]);
        assert!(!String::from_utf8_lossy(&key).contains("ENCRYPTED"));
        openssl_stdin(&["pkey", "-noout"], &key).ok();
        let cert = decode(&data["client-certificate-data"]);
        let cert_path = sb.path(&format!("{user}.pem"));
        std::fs::write(&cert_path, &cert).unwrap();
        openssl(&[
            "verify",
            "-CAfile",
            sb.path("ca.crt").to_str().unwrap(),
            cert_path.to_str().unwrap(),
        ])
        .ok();
        let text = openssl_stdin(&["x509", "-noout", "-text"], &cert);
        assert!(
            text.ok().stdout.contains(public_key),
            "{kind}: {}",
            text.stdout
        );
        // Client authentication and nothing else: no serverAuth, no codeSigning.
        let eku = openssl_stdin(&["x509", "-noout", "-ext", "extendedKeyUsage"], &cert);
        let eku: Vec<&str> = eku.ok().stdout.lines().map(str::trim).collect();
        assert_eq!(
            eku,
            [
                "X509v3 Extended Key Usage:",
                "TLS Web Client Authentication"
            ],
            "{kind}"
        );
        let text = openssl_stdin(&["x509", "-noout", "-ext", "keyUsage"], &cert);
        let rsa = kind.starts_with("rsa");
        assert_eq!(
            text.ok().stdout.contains("Key Encipherment"),
            rsa,
            "{kind}: {}",
            text.stdout
        );
    }
}

#[test]
fn several_users_and_groups_in_one_write() {
    let sb = Sandbox::with_local_ca();
    let out = add(
        &sb,
        &[
            "ann",
            "bob",
            "-g",
            "dev",
            "-g",
            "ops",
            "-n",
            "team",
            "--no-check",
            "-o",
            "json",
        ],
    );
    let report = out.ok().json();
    let users = report["users"].as_array().unwrap();
    assert_eq!(users.len(), 2);
    assert_eq!(
        users[0]["certificate"]["groups"],
        serde_json::json!(["dev", "ops"])
    );
    assert_eq!(users[1]["context"], "bob@kubernetes");
    assert_eq!(users[0]["signedBy"], "local-ca");
    assert_eq!(users[0]["credentials"]["kind"], "embedded");
    let contexts = sb.kubectl(&["config", "get-contexts", "-o", "name"]);
    let names = &contexts.ok().stdout;
    assert!(
        names.contains("ann@kubernetes") && names.contains("bob@kubernetes"),
        "{names}"
    );
    let subject = openssl_stdin(
        &["x509", "-noout", "-subject"],
        &decode(
            &entry(&sb.kubectl_view(), "users", "bob").unwrap()["user"]["client-certificate-data"],
        ),
    );
    let subject = &subject.ok().stdout;
    assert!(
        subject.contains("O = dev, O = ops") || subject.contains("O=dev, O=ops"),
        "{subject}"
    );
}

#[test]
fn cert_dir_writes_private_files_referenced_by_absolute_path() {
    let sb = Sandbox::with_local_ca();
    add(
        &sb,
        &["jane", "--cert-dir", "certs/jane", "--use", "--no-check"],
    )
    .ok();
    let dir = sb.path("certs/jane");
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&dir), 0o700);
    assert_eq!(mode(&dir.join("jane.key")), 0o600);
    let view = sb.kubectl_view();
    let user = &entry(&view, "users", "jane").unwrap()["user"];
    assert_eq!(user["client-key"], dir.join("jane.key").to_str().unwrap());
    assert_eq!(
        user["client-certificate"],
        dir.join("jane.crt").to_str().unwrap()
    );
    assert!(user.get("client-key-data").is_none());
    assert_eq!(view["current-context"], "jane@kubernetes");
    openssl(&[
        "verify",
        "-CAfile",
        sb.path("ca.crt").to_str().unwrap(),
        dir.join("jane.crt").to_str().unwrap(),
    ])
    .ok();
}

#[test]
fn force_replaces_an_existing_user() {
    let sb = Sandbox::with_local_ca();
    add(&sb, &["john", "--no-check"]).ok();
    let first = sb.kubectl_view();
    add(&sb, &["john", "--force", "--days", "30", "--no-check"]).ok();
    let second = sb.kubectl_view();
    let cert = |v: &serde_json::Value| {
        entry(v, "users", "john").unwrap()["user"]["client-certificate-data"].clone()
    };
    assert_ne!(cert(&first), cert(&second));
    assert_eq!(
        second["users"].as_array().unwrap().len(),
        2,
        "replaced, not duplicated"
    );
    let check = openssl_stdin(
        &["x509", "-noout", "-checkend", &(31 * 86_400).to_string()],
        &decode(&cert(&second)),
    );
    assert_ne!(check.code, 0, "--days 30 is honoured");
}

#[test]
fn clamps_to_the_ca_lifetime_with_a_warning() {
    let sb = Sandbox::new();
    sb.seed_kubeconfig();
    let (crt, key) = (sb.path("ca.crt"), sb.path("ca.key"));
    openssl(&[
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
        "-keyout",
        key.to_str().unwrap(),
        "-out",
        crt.to_str().unwrap(),
        "-subj",
        "/CN=short-lived-ca",
        "-days",
        "10",
        "-addext",
        "basicConstraints=critical,CA:TRUE",
        "-addext",
        "keyUsage=critical,keyCertSign",
    ])
    .ok();
    let out = add(&sb, &["john", "--no-check"]);
    assert!(out.ok().stderr.contains("warning:"), "{}", out.stderr);
    let cert = decode(
        &entry(&sb.kubectl_view(), "users", "john").unwrap()["user"]["client-certificate-data"],
    );
    let check = openssl_stdin(
        &["x509", "-noout", "-checkend", &(11 * 86_400).to_string()],
        &cert,
    );
    assert_ne!(check.code, 0, "the certificate does not outlive its CA");
}

#[test]
fn encrypted_ca_key_with_passphrase_from_the_environment() {
    let sb = Sandbox::with_local_ca();
    let plain = sb.path("ca.key");
    let encrypted = sb.path("ca-enc.key");
    openssl(&[
        "pkey",
        "-in",
        plain.to_str().unwrap(),
        "-aes256",
        "-passout",
        "pass:s3cret",
        "-out",
        encrypted.to_str().unwrap(),
    ])
    .ok();
    let crt = sb.path("ca.crt");
    let args = [
        "add",
        "john",
        "--ca-cert",
        crt.to_str().unwrap(),
        "--ca-key",
        encrypted.to_str().unwrap(),
        "--no-check",
    ];
    sb.run(&args).fails_with("CERTUSER_CA_KEY_PASSPHRASE");
    let out = sb
        .certuser()
        .args(args)
        .env("CERTUSER_CA_KEY_PASSPHRASE", "s3cret")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn pkcs1_and_sec1_ca_keys_are_accepted() {
    let sb = Sandbox::with_local_ca();
    let pkcs1 = sb.path("ca-pkcs1.key");
    openssl(&[
        "rsa",
        "-in",
        sb.path("ca.key").to_str().unwrap(),
        "-traditional",
        "-out",
        pkcs1.to_str().unwrap(),
    ])
    .ok();
    let head = String::from_utf8(sb.read(&pkcs1)).unwrap();
    assert!(
        head.starts_with("-----BEGIN RSA PRIVATE KEY-----"),
        "{head}"
    );
    let crt = sb.path("ca.crt");
    sb.run(&[
        "add",
        "john",
        "--ca-cert",
        crt.to_str().unwrap(),
        "--ca-key",
        pkcs1.to_str().unwrap(),
        "--no-check",
    ])
    .ok();
    issued_by(&sb, "john", &crt);

    let (ec_key, ec_crt) = (sb.path("ec.key"), sb.path("ec.crt"));
    openssl(&[
        "ecparam",
        "-name",
        "prime256v1",
        "-genkey",
        "-noout",
        "-out",
        ec_key.to_str().unwrap(),
    ])
    .ok();
    openssl(&[
        "req",
        "-x509",
        "-key",
        ec_key.to_str().unwrap(),
        "-out",
        ec_crt.to_str().unwrap(),
        "-subj",
        "/CN=ec-ca",
        "-days",
        "30",
        "-addext",
        "basicConstraints=critical,CA:TRUE",
        "-addext",
        "keyUsage=critical,keyCertSign",
    ])
    .ok();
    sb.run(&[
        "add",
        "jane",
        "--ca-cert",
        ec_crt.to_str().unwrap(),
        "--ca-key",
        ec_key.to_str().unwrap(),
        "--days",
        "7",
        "--no-check",
    ])
    .ok();
    issued_by(&sb, "jane", &ec_crt);
}

/// The user's certificate in the kubeconfig verifies against this CA (openssl is the judge).
#[track_caller]
fn issued_by(sb: &Sandbox, user: &str, ca: &std::path::Path) {
    let cert = decode(
        &entry(&sb.kubectl_view(), "users", user).unwrap()["user"]["client-certificate-data"],
    );
    let path = sb.path(&format!("{user}-issued.pem"));
    std::fs::write(&path, cert).unwrap();
    openssl(&[
        "verify",
        "-CAfile",
        ca.to_str().unwrap(),
        path.to_str().unwrap(),
    ])
    .ok();
}
