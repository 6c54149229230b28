//! The issuance ledger and `issued`: every certificate add, renew and sign make is recorded (never
//! a key), export marks the hand-over, and `issued` tells what became of each.

use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::harness::{Sandbox, decode, entry, openssl_stdin};

/// Where the ledger lands by default: the data folder `dirs` finds under the sandbox's HOME.
fn default_ledger(sb: &Sandbox) -> PathBuf {
    sb.home.join(".local/share/kubectl-certuser/ledger.jsonl")
}

fn ca_flags(sb: &Sandbox) -> Vec<String> {
    let (crt, key) = (sb.path("ca.crt"), sb.path("ca.key"));
    vec![
        "--ca-cert".into(),
        crt.display().to_string(),
        "--ca-key".into(),
        key.display().to_string(),
    ]
}

/// `add USER` with the sandbox's openssl CA, an ECDSA key (fast), no access check.
fn add(sb: &Sandbox, user: &str, extra: &[&str]) {
    let mut args = vec![
        "add",
        user,
        "-g",
        "dev1",
        "--no-check",
        "--key-type",
        "ecdsa-p256",
    ];
    args.extend_from_slice(extra);
    let ca = ca_flags(sb);
    args.extend(ca.iter().map(String::as_str));
    sb.run(&args).ok();
}

fn with_ca() -> Sandbox {
    let sb = Sandbox::new();
    sb.openssl_ca();
    sb.seed_kubeconfig();
    sb
}

fn issued(sb: &Sandbox, args: &[&str]) -> Vec<Value> {
    let mut all = vec!["issued", "-o", "json"];
    all.extend_from_slice(args);
    let run = sb.run(&all);
    run.ok();
    run.json()["certificates"].as_array().unwrap().clone()
}

/// `openssl x509 -fingerprint -sha256` of the certificate kubectl sees for `user`.
fn openssl_fingerprint(sb: &Sandbox, user: &str) -> String {
    let view = sb.kubectl_view();
    let pem = decode(&entry(&view, "users", user).unwrap()["user"]["client-certificate-data"]);
    let out = openssl_stdin(&["x509", "-noout", "-fingerprint", "-sha256"], &pem);
    out.stdout.trim().split('=').nth(1).unwrap().to_string()
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[test]
fn add_export_remove_leaves_an_entry_shown_as_handed_over() {
    let sb = with_ca();
    add(&sb, "john", &[]);
    let fingerprint = openssl_fingerprint(&sb, "john");
    let ledger = default_ledger(&sb);
    assert_eq!(mode(&ledger), 0o600);
    assert_eq!(mode(ledger.parent().unwrap()), 0o700);

    let before = issued(&sb, &[]);
    assert_eq!(before.len(), 1, "{before:?}");
    let one = &before[0];
    assert_eq!(one["commonName"], "john");
    assert_eq!(one["groups"], serde_json::json!(["dev1"]));
    assert_eq!(
        one["sha256Fingerprint"],
        fingerprint.as_str(),
        "openssl agrees"
    );
    assert_eq!(one["signedBy"], "local-ca");
    assert_eq!(one["cluster"], "kubernetes");
    assert_eq!(one["destinations"][0]["kind"], "kubeconfig");
    assert_eq!(one["destinations"][0]["user"], "john");
    assert_eq!(one["inKubeconfig"], true);
    assert_eq!(one["handedOver"], false);
    assert_eq!(one["valid"], true);
    assert!(!one["recordedBy"].as_str().unwrap().is_empty());

    sb.run(&["export", "john", "--file", "john.kubeconfig"])
        .ok();
    sb.run(&["remove", "john"]).ok();
    let after = issued(&sb, &["john"]);
    assert_eq!(after.len(), 1, "remove deletes no ledger entry: {after:?}");
    assert_eq!(after[0]["inKubeconfig"], false);
    assert_eq!(after[0]["handedOver"], true);
    let exported = after[0]["exportedTo"][0].as_str().unwrap();
    assert!(exported.ends_with("john.kubeconfig"), "{exported}");

    let table = sb.run(&["issued"]);
    let text = &table.ok().stdout;
    assert!(
        text.contains("john") && text.contains("handed over") && text.contains("valid"),
        "{text}"
    );
}

#[test]
fn the_ledger_never_holds_key_material() {
    let sb = with_ca();
    add(&sb, "john", &[]);
    sb.run(&["export", "john", "--file", "john.kubeconfig"])
        .ok();
    let mut args = vec!["renew", "john", "--reuse-key"];
    let ca = ca_flags(&sb);
    args.extend(ca.iter().map(String::as_str));
    sb.run(&args).ok();
    let view = sb.kubectl_view();
    let key_data = entry(&view, "users", "john").unwrap()["user"]["client-key-data"]
        .as_str()
        .unwrap()
        .to_string();
    let key_pem = String::from_utf8(decode(&Value::String(key_data.clone()))).unwrap();
    let body: String = key_pem
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .collect();
    let ledger = std::fs::read_to_string(default_ledger(&sb)).unwrap();
    assert!(!ledger.is_empty());
    for canary in [key_data.as_str(), &body[..40], "PRIVATE KEY", "client-key"] {
        assert!(
            !ledger.contains(canary),
            "the ledger holds {canary:?}:\n{ledger}"
        );
    }
}

#[test]
fn renew_marks_the_old_certificate_superseded() {
    let sb = with_ca();
    add(&sb, "john", &[]);
    let old = openssl_fingerprint(&sb, "john");
    let mut args = vec!["renew", "john"];
    let ca = ca_flags(&sb);
    args.extend(ca.iter().map(String::as_str));
    sb.run(&args).ok();
    let new = openssl_fingerprint(&sb, "john");
    assert_ne!(old, new);

    let all = issued(&sb, &[]);
    assert_eq!(all.len(), 2, "{all:?}");
    assert_eq!(all[0]["sha256Fingerprint"], old.as_str());
    assert_eq!(all[0]["superseded"], true);
    assert_eq!(all[0]["supersededBy"], all[1]["serial"]);
    assert_eq!(all[0]["valid"], true, "a renewed certificate still works");
    assert_eq!(all[0]["inKubeconfig"], false);
    assert_eq!(all[0]["handedOver"], false, "replaced, not handed over");
    assert_eq!(all[1]["sha256Fingerprint"], new.as_str());
    assert_eq!(all[1]["verb"], "renew");
    assert_eq!(all[1]["superseded"], false);
    assert_eq!(all[1]["inKubeconfig"], true);
    assert_eq!(all[1]["cluster"], "kubernetes");

    // Only the current one can be due: the old one needs no renewal.
    let due = sb.run(&["issued", "--expiring", "400d", "-o", "json"]);
    assert_eq!(due.code, 1, "{}", due.stderr);
    let due = due.json()["certificates"].as_array().unwrap().clone();
    assert_eq!(due.len(), 1);
    assert_eq!(due[0]["sha256Fingerprint"], new.as_str());
    let none = sb.run(&["issued", "--expiring", "30d", "-o", "json"]);
    assert_eq!(none.code, 0, "{}", none.stderr);
}

#[test]
fn concurrent_adds_never_lose_or_interleave_lines() {
    let sb = with_ca();
    let ledger = sb.path("shared/ledger.jsonl");
    let seed = std::fs::read(&sb.kubeconfig).unwrap();
    let ca = ca_flags(&sb);
    let children: Vec<_> = (0..20)
        .map(|i| {
            let kubeconfig = sb.path(&format!("config-{i}"));
            std::fs::write(&kubeconfig, &seed).unwrap();
            let mut cmd = sb.certuser();
            cmd.env("KUBECONFIG", &kubeconfig)
                .env("CERTUSER_LEDGER", &ledger)
                .args([
                    "add",
                    &format!("user{i}"),
                    "--no-check",
                    "--key-type",
                    "ecdsa-p256",
                ])
                .args(&ca)
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::piped());
            cmd.spawn().unwrap()
        })
        .collect();
    for child in children {
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let text = std::fs::read_to_string(&ledger).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 20, "{text}");
    let mut names: Vec<String> = lines
        .iter()
        .map(|l| {
            let v: Value = serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}"));
            v["commonName"].as_str().unwrap().to_string()
        })
        .collect();
    names.sort();
    let mut want: Vec<String> = (0..20).map(|i| format!("user{i}")).collect();
    want.sort();
    assert_eq!(names, want);
}

#[test]
fn a_corrupt_line_is_reported_and_the_rest_listed() {
    let sb = with_ca();
    add(&sb, "john", &[]);
    let ledger = default_ledger(&sb);
    let mut text = std::fs::read_to_string(&ledger).unwrap();
    text.push_str("{\"event\": \"issued\", \"serial\": \n");
    std::fs::write(&ledger, text).unwrap();
    add(&sb, "jane", &[]);

    let run = sb.run(&["issued", "-o", "json"]);
    run.ok();
    let names: Vec<_> = run.json()["certificates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["commonName"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(names, ["john", "jane"]);
    assert!(
        run.stderr.contains("warning:")
            && run.stderr.contains(&format!("{} line 2", ledger.display())),
        "{}",
        run.stderr
    );
}

#[test]
fn no_ledger_records_nothing_and_ledger_flag_chooses_the_file() {
    let sb = with_ca();
    add(&sb, "john", &["--no-ledger"]);
    assert!(!default_ledger(&sb).exists());
    assert!(
        !sb.home.join(".local").exists(),
        "nothing written under HOME"
    );

    add(&sb, "jane", &["--ledger", "team.jsonl"]);
    assert!(!default_ledger(&sb).exists());
    let team = issued(&sb, &["--ledger", "team.jsonl"]);
    assert_eq!(team.len(), 1);
    assert_eq!(team[0]["commonName"], "jane");
    assert!(issued(&sb, &[]).is_empty());
}

#[test]
fn sign_records_the_certificate_file_it_wrote() {
    let sb = with_ca();
    sb.run(&[
        "request",
        "john",
        "-g",
        "dev1",
        "--key-type",
        "ecdsa-p256",
        "--file",
        "john.csr",
    ])
    .ok();
    let mut args = vec!["sign", "john.csr", "--file", "john.crt"];
    let ca = ca_flags(&sb);
    args.extend(ca.iter().map(String::as_str));
    sb.run(&args).ok();
    let all = issued(&sb, &[]);
    assert_eq!(all.len(), 1, "{all:?}");
    assert_eq!(all[0]["verb"], "sign");
    assert_eq!(all[0]["destinations"][0]["kind"], "certificateFile");
    assert!(
        all[0]["destinations"][0]["file"]
            .as_str()
            .unwrap()
            .ends_with("john.crt")
    );
    assert_eq!(all[0]["handedOver"], true);
}
