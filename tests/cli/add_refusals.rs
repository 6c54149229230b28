//! Bad input: a clear error naming the problem, exit code 2, and every file exactly as it was.

use crate::harness::{Sandbox, decode, entry, openssl, openssl_stdin};

/// Run `args` and check it is refused with `needle` in the message and nothing changed.
#[track_caller]
fn refused(sb: &Sandbox, args: &[&str], needle: &str) {
    let before = sb.snapshot();
    sb.run(args).fails_with(needle);
    assert!(
        before == sb.snapshot(),
        "a refused command changed files: {args:?}"
    );
}

/// `add john --ca-cert CRT --ca-key KEY --no-check EXTRA...`
fn with_ca(crt: &str, key: &str, extra: &[&str]) -> Vec<String> {
    let mut v: Vec<String> = vec![
        "add".into(),
        "john".into(),
        "--ca-cert".into(),
        crt.into(),
        "--ca-key".into(),
        key.into(),
        "--no-check".into(),
    ];
    v.extend(extra.iter().map(|s| s.to_string()));
    v
}

fn run_refused(sb: &Sandbox, args: Vec<String>, needle: &str) {
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    refused(sb, &args, needle);
}

#[test]
fn malformed_kubeconfig_names_the_file() {
    let sb = Sandbox::with_local_ca();
    std::fs::write(&sb.kubeconfig, "apiVersion: v1\nclusters: [\n  - name: x\n").unwrap();
    let (crt, key) = (sb.path("ca.crt"), sb.path("ca.key"));
    run_refused(
        &sb,
        with_ca(crt.to_str().unwrap(), key.to_str().unwrap(), &[]),
        sb.kubeconfig.to_str().unwrap(),
    );
}

#[test]
fn a_parse_error_never_echoes_the_file() {
    let sb = Sandbox::with_local_ca();
    std::fs::write(
        &sb.kubeconfig,
        "users:\n- name: u\n  user:\n    token: SECRET-TOKEN-123\n    bad: [\n",
    )
    .unwrap();
    let run = sb.run(&["list"]);
    run.fails_with("line");
    assert!(!run.stderr.contains("SECRET-TOKEN-123"), "{}", run.stderr);
}

#[test]
fn missing_cluster() {
    let sb = Sandbox::with_local_ca();
    let (crt, key) = (sb.path("ca.crt"), sb.path("ca.key"));
    run_refused(
        &sb,
        with_ca(
            crt.to_str().unwrap(),
            key.to_str().unwrap(),
            &["--cluster", "nope"],
        ),
        "cluster \"nope\" not found",
    );
    // A context whose cluster entry is missing.
    sb.kubectl(&[
        "config",
        "set-context",
        "orphan",
        "--cluster",
        "gone",
        "--user",
        "x",
    ])
    .ok();
    run_refused(
        &sb,
        with_ca(
            crt.to_str().unwrap(),
            key.to_str().unwrap(),
            &["--context", "orphan"],
        ),
        "cluster \"gone\" not found",
    );
    // No kubeconfig at all.
    std::fs::remove_file(&sb.kubeconfig).unwrap();
    run_refused(
        &sb,
        with_ca(crt.to_str().unwrap(), key.to_str().unwrap(), &[]),
        "there is no kubeconfig",
    );
}

#[test]
fn ca_certificate_that_is_not_a_ca() {
    let sb = Sandbox::with_local_ca();
    let (crt, key) = (sb.path("leaf.crt"), sb.path("leaf.key"));
    openssl(&[
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        key.to_str().unwrap(),
        "-out",
        crt.to_str().unwrap(),
        "-subj",
        "/CN=leaf",
        "-days",
        "30",
        "-addext",
        "basicConstraints=critical,CA:FALSE",
    ])
    .ok();
    run_refused(
        &sb,
        with_ca(crt.to_str().unwrap(), key.to_str().unwrap(), &[]),
        "not a CA",
    );
}

#[test]
fn ca_key_that_does_not_match() {
    let sb = Sandbox::with_local_ca();
    let other = sb.path("other.key");
    openssl(&["genrsa", "-out", other.to_str().unwrap(), "2048"]).ok();
    let crt = sb.path("ca.crt");
    run_refused(
        &sb,
        with_ca(crt.to_str().unwrap(), other.to_str().unwrap(), &[]),
        "match",
    );
}

#[test]
fn expired_ca() {
    let sb = Sandbox::with_local_ca();
    let (crt, key) = (sb.path("old.crt"), sb.path("old.key"));
    crate::harness::openssl_ca_with_dates(&sb, &crt, &key, "20200101000000Z", "20210101000000Z");
    run_refused(
        &sb,
        with_ca(crt.to_str().unwrap(), key.to_str().unwrap(), &[]),
        "expired",
    );
}

#[test]
fn encrypted_ca_key_without_passphrase() {
    let sb = Sandbox::with_local_ca();
    let enc = sb.path("enc.key");
    openssl(&[
        "genrsa",
        "-aes256",
        "-passout",
        "pass:x",
        "-out",
        enc.to_str().unwrap(),
        "2048",
    ])
    .ok();
    let crt = sb.path("ca.crt");
    run_refused(
        &sb,
        with_ca(crt.to_str().unwrap(), enc.to_str().unwrap(), &[]),
        "encrypted",
    );
}

#[test]
fn unreadable_files() {
    let sb = Sandbox::with_local_ca();
    let crt = sb.path("ca.crt");
    run_refused(
        &sb,
        with_ca(crt.to_str().unwrap(), "/nonexistent/ca.key", &[]),
        "/nonexistent/ca.key",
    );
    run_refused(
        &sb,
        with_ca("/nonexistent/ca.crt", crt.to_str().unwrap(), &[]),
        "/nonexistent/ca.crt",
    );
    let garbage = sb.path("garbage.crt");
    std::fs::write(&garbage, "not a certificate").unwrap();
    let key = sb.path("ca.key");
    run_refused(
        &sb,
        with_ca(garbage.to_str().unwrap(), key.to_str().unwrap(), &[]),
        "garbage.crt",
    );
}

#[test]
fn invalid_user_names_and_groups() {
    let sb = Sandbox::with_local_ca();
    let (crt, key) = (sb.path("ca.crt"), sb.path("ca.key"));
    let (crt, key) = (crt.to_str().unwrap(), key.to_str().unwrap());
    for (name, needle) in [
        ("", "empty"),
        ("../evil", "path separators"),
        ("a/b", "path separators"),
        ("system:kube-proxy", "--allow-system-user"),
    ] {
        let args = vec![
            "add".to_string(),
            name.to_string(),
            "--ca-cert".into(),
            crt.into(),
            "--ca-key".into(),
            key.into(),
        ];
        run_refused(&sb, args, needle);
    }
    run_refused(
        &sb,
        with_ca(crt, key, &["--group", "system:masters"]),
        "system:masters",
    );
    run_refused(&sb, with_ca(crt, key, &["--days", "0"]), "--days");
    for group in [
        "kubeadm:cluster-admins",
        "system:nodes",
        "system:bootstrappers:worker",
        "system:serviceaccounts:kube-system",
    ] {
        run_refused(
            &sb,
            with_ca(crt, key, &["--group", group]),
            "--allow-privileged-group",
        );
    }
    let mut look_alike = with_ca(crt, key, &[]);
    look_alike[1] = "admin\u{202E}nimda".into();
    run_refused(&sb, look_alike, "U+202E");
    run_refused(
        &sb,
        with_ca(crt, key, &["--group", "dev\u{200B}1"]),
        "U+200B",
    );
    // The override exists and works.
    let mut args = with_ca(
        crt,
        key,
        &["--group", "system:masters", "--allow-system-masters"],
    );
    args[1] = "root".into();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    sb.run(&args).ok();
    let view = sb.kubectl_view();
    let cert = decode(&entry(&view, "users", "root").unwrap()["user"]["client-certificate-data"]);
    let subject = openssl_stdin(&["x509", "-noout", "-subject"], &cert);
    assert_eq!(
        subject.ok().stdout.trim(),
        "subject=O = system:masters, CN = root",
        "the override really grants the group"
    );
    let mut args = with_ca(
        crt,
        key,
        &["--group", "system:nodes", "--allow-privileged-group"],
    );
    args[1] = "node-x".into();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    sb.run(&args).ok();
}

#[test]
fn existing_user_or_context_without_force() {
    let sb = Sandbox::with_local_ca();
    let (crt, key) = (sb.path("ca.crt"), sb.path("ca.key"));
    let (crt, key) = (crt.to_str().unwrap(), key.to_str().unwrap());
    sb.kubectl(&[
        "config",
        "set-credentials",
        "john",
        "--token",
        "johns-token",
    ])
    .ok();
    run_refused(&sb, with_ca(crt, key, &[]), "--force");
    sb.kubectl(&["config", "delete-user", "john"]).ok();
    sb.kubectl(&[
        "config",
        "set-context",
        "john@kubernetes",
        "--cluster",
        "kubernetes",
        "--user",
        "someone",
    ])
    .ok();
    run_refused(
        &sb,
        with_ca(crt, key, &[]),
        "context \"john@kubernetes\" already exists",
    );
}

#[test]
fn bad_flags_are_usage_errors() {
    let sb = Sandbox::with_local_ca();
    let run = sb.run(&["add", "john", "--key-type", "dsa-1024"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("rsa-2048"),
        "lists the valid key types: {}",
        run.stderr
    );
    let run = sb.run(&["add", "john", "--ca-cert", "x.crt"]);
    assert_eq!(run.code, 2, "--ca-cert needs --ca-key");
    let run = sb.run(&["add", "john", "--duration", "tomorrow"]);
    assert!(run.stderr.contains("invalid duration"), "{}", run.stderr);
}

#[test]
fn kubeadm_flag_reads_the_control_plane_ca() {
    let sb = Sandbox::with_local_ca();
    // On any machine, control plane or not, --kubeadm does exactly what naming kubeadm's files
    // does; --dry-run, so a real cluster CA is at most read, and nothing is written.
    let before = sb.snapshot();
    let kubeadm = sb.run(&["add", "john", "--kubeadm", "--no-check", "--dry-run"]);
    let named = sb.run(&[
        "add",
        "john",
        "--ca-cert",
        "/etc/kubernetes/pki/ca.crt",
        "--ca-key",
        "/etc/kubernetes/pki/ca.key",
        "--no-check",
        "--dry-run",
    ]);
    assert_eq!(kubeadm.code, named.code, "{kubeadm:?}\n{named:?}");
    assert_eq!(
        kubeadm.stderr.lines().next(),
        named.stderr.lines().next(),
        "{kubeadm:?}\n{named:?}"
    );
    assert!(before == sb.snapshot(), "a dry run changed files");
    if !std::path::Path::new("/etc/kubernetes/pki/ca.crt").exists() {
        kubeadm.fails_with("/etc/kubernetes/pki/ca.crt");
    }
}

#[test]
fn a_local_ca_refuses_lifetimes_under_ten_minutes_unless_allowed() {
    let sb = Sandbox::with_local_ca();
    let (crt, key) = (sb.path("ca.crt"), sb.path("ca.key"));
    let (crt, key) = (crt.to_str().unwrap(), key.to_str().unwrap());
    for short in ["30s", "1m", "9m59s"] {
        run_refused(
            &sb,
            with_ca(crt, key, &["--duration", short]),
            "--allow-short-lifetime",
        );
    }
    let mut args = with_ca(crt, key, &["--duration", "2m", "--allow-short-lifetime"]);
    args.push("-q".into());
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    sb.run(&args).ok();
    // Ten minutes is enough without the flag, as for the CSR API.
    let mut args = with_ca(crt, key, &["--duration", "10m", "--force"]);
    args.push("-q".into());
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    sb.run(&args).ok();
}

#[test]
fn a_local_ca_warns_about_lifetimes_beyond_a_year() {
    let sb = Sandbox::with_local_ca();
    let (crt, key) = (sb.path("ca.crt"), sb.path("ca.key"));
    let (crt, key) = (crt.to_str().unwrap(), key.to_str().unwrap());
    let long = with_ca(crt, key, &["--days", "800"]);
    let long: Vec<&str> = long.iter().map(String::as_str).collect();
    let run = sb.run(&long);
    assert!(
        run.ok().stderr.contains("warning:") && run.stderr.contains("longer than a year"),
        "{}",
        run.stderr
    );
    let mut normal = with_ca(crt, key, &["--days", "365"]);
    normal[1] = "jane".into();
    let normal: Vec<&str> = normal.iter().map(String::as_str).collect();
    let run = sb.run(&normal);
    assert!(!run.ok().stderr.contains("warning:"), "{}", run.stderr);
}
