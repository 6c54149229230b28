//! `inspect` on files as people have them: chains, DER, stdin, and things that are not a
//! certificate at all (a CSR, a key), judged by the openssl tool that made them.

use std::io::Write as _;
use std::process::Stdio;

use crate::harness::{Sandbox, openssl};

/// A self-signed certificate and its key made by openssl: `NAME.crt`, `NAME.key`.
fn openssl_cert(sb: &Sandbox, name: &str) -> (String, String) {
    let (crt, key) = (
        sb.path(&format!("{name}.crt")),
        sb.path(&format!("{name}.key")),
    );
    let (crt, key) = (crt.to_str().unwrap(), key.to_str().unwrap());
    openssl(&[
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
        "-keyout",
        key,
        "-out",
        crt,
        "-subj",
        &format!("/CN={name}/O=team-{name}"),
        "-days",
        "5",
    ])
    .ok();
    (crt.to_string(), key.to_string())
}

#[test]
fn a_chain_shows_every_certificate_in_file_order() {
    let sb = Sandbox::new();
    let (first, _) = openssl_cert(&sb, "leaf");
    let (second, _) = openssl_cert(&sb, "issuer");
    let chain = sb.path("chain.pem");
    let mut bytes = std::fs::read(&first).unwrap();
    bytes.extend(std::fs::read(&second).unwrap());
    std::fs::write(&chain, bytes).unwrap();

    let json = sb
        .run(&["inspect", chain.to_str().unwrap(), "-o", "json"])
        .ok()
        .json();
    let names: Vec<_> = json
        .as_array()
        .expect("a chain is a list")
        .iter()
        .map(|c| c["commonName"].clone())
        .collect();
    assert_eq!(names, ["leaf", "issuer"]);
    let text = sb
        .run(&["inspect", chain.to_str().unwrap()])
        .ok()
        .stdout
        .clone();
    assert!(
        text.contains("Certificate 1 of 2") && text.contains("Certificate 2 of 2"),
        "{text}"
    );

    // One certificate stays one object: the documented -o json shape.
    let one = sb.run(&["inspect", &first, "-o", "json"]).ok().json();
    assert_eq!(one["commonName"], "leaf");
}

#[test]
fn der_and_standard_input_are_read_like_pem() {
    let sb = Sandbox::new();
    let (crt, _) = openssl_cert(&sb, "jane");
    let der = sb.path("jane.der");
    openssl(&[
        "x509",
        "-in",
        &crt,
        "-outform",
        "DER",
        "-out",
        der.to_str().unwrap(),
    ])
    .ok();
    let fingerprint = openssl(&["x509", "-in", &crt, "-noout", "-fingerprint", "-sha256"])
        .ok()
        .stdout
        .clone();

    let from_der = sb
        .run(&["inspect", der.to_str().unwrap(), "-o", "json"])
        .ok()
        .json();
    assert!(
        fingerprint.contains(from_der["sha256Fingerprint"].as_str().unwrap()),
        "{fingerprint}"
    );
    assert_eq!(from_der["groups"], serde_json::json!(["team-jane"]));

    let mut child = sb
        .certuser()
        .args(["inspect", "-", "-o", "json"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(&std::fs::read(&crt).unwrap())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    let from_stdin: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        from_stdin["sha256Fingerprint"],
        from_der["sha256Fingerprint"]
    );
}

#[test]
fn a_csr_or_a_key_is_named_as_what_it_is_and_never_echoed() {
    let sb = Sandbox::new();
    let (_, key) = openssl_cert(&sb, "bob");
    let csr = sb.path("bob.csr");
    openssl(&[
        "req",
        "-new",
        "-key",
        &key,
        "-subj",
        "/CN=bob",
        "-out",
        csr.to_str().unwrap(),
    ])
    .ok();
    let der_csr = sb.path("bob.csr.der");
    openssl(&[
        "req",
        "-in",
        csr.to_str().unwrap(),
        "-outform",
        "DER",
        "-out",
        der_csr.to_str().unwrap(),
    ])
    .ok();
    let key_text = std::fs::read_to_string(&key).unwrap();
    let key_body = key_text.lines().nth(1).unwrap();

    for (file, found) in [
        (csr.to_str().unwrap(), "holds a CERTIFICATE REQUEST"),
        (key.as_str(), "holds a PRIVATE KEY"),
        (der_csr.to_str().unwrap(), "a DER CERTIFICATE REQUEST"),
    ] {
        let run = sb.run(&["inspect", file]);
        run.fails_with(found).fails_with(file);
        assert!(
            !run.stderr.contains("routines"),
            "raw OpenSSL error: {}",
            run.stderr
        );
        assert!(
            !run.stderr.contains(key_body) && !run.stdout.contains(key_body),
            "key echoed"
        );
    }
}
