//! `check-expiration` on a kubeadm-like PKI folder built with the openssl tool, and on the
//! kubeconfig's certificate users: kubeadm's columns and an exit code cron can act on.

use std::path::{Path, PathBuf};

use crate::harness::{Sandbox, openssl, openssl_date, openssl_signed};

const LEAF: &str = "basicConstraints = CA:FALSE\nkeyUsage = critical,digitalSignature,keyEncipherment\nextendedKeyUsage = clientAuth";

fn self_signed_ca(dir: &Path, name: &str, cn: &str) -> (PathBuf, PathBuf) {
    let (crt, key) = (
        dir.join(format!("{name}.crt")),
        dir.join(format!("{name}.key")),
    );
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
        &format!("/CN={cn}"),
        "-days",
        "3650",
        "-addext",
        "basicConstraints=critical,CA:TRUE",
        "-addext",
        "keyUsage=critical,keyCertSign,cRLSign",
    ])
    .ok();
    (crt, key)
}

/// kubeadm's layout: ca, etcd/ca and a front-proxy-ca whose key is elsewhere (externally
/// managed); an expired certificate, one expiring in 10 days, a file that is no certificate,
/// and admin.conf beside the folder with its embedded client certificate.
fn kubeadm_pki(sb: &Sandbox) -> PathBuf {
    let pki = sb.path("kubernetes/pki");
    std::fs::create_dir_all(pki.join("etcd")).unwrap();
    let (ca, ca_key) = self_signed_ca(&pki, "ca", "kubernetes");
    let (etcd_ca, etcd_key) = self_signed_ca(&pki.join("etcd"), "ca", "etcd-ca");
    let (fp_ca, fp_key) = self_signed_ca(&pki, "front-proxy-ca", "front-proxy-ca");
    let signed = |ca: &Path, key: &Path, cn: &str, start: i64, end: i64, out: &Path| {
        openssl_signed(
            sb,
            ca,
            key,
            &format!("/CN={cn}"),
            &openssl_date(start),
            &openssl_date(end),
            LEAF,
            out,
            None,
        )
    };
    signed(
        &ca,
        &ca_key,
        "kube-apiserver",
        -1,
        365,
        &pki.join("apiserver.crt"),
    );
    signed(
        &ca,
        &ca_key,
        "kube-apiserver-kubelet-client",
        -1,
        10,
        &pki.join("apiserver-kubelet-client.crt"),
    );
    signed(
        &etcd_ca,
        &etcd_key,
        "kube-etcd",
        -1,
        365,
        &pki.join("etcd/server.crt"),
    );
    signed(
        &fp_ca,
        &fp_key,
        "front-proxy-client",
        -400,
        -35,
        &pki.join("front-proxy-client.crt"),
    );
    std::fs::remove_file(&fp_key).unwrap();
    std::fs::write(pki.join("broken.crt"), "this is not a certificate\n").unwrap();

    let admin = sb.path("admin.crt");
    let admin_key = signed(&ca, &ca_key, "kubernetes-admin", -1, 365, &admin);
    let conf = sb.path("kubernetes/admin.conf");
    let b64 = |p: &Path| openssl::base64::encode_block(&std::fs::read(p).unwrap());
    std::fs::write(
        &conf,
        format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: kubernetes\n  cluster:\n    server: https://127.0.0.1:6443\n\
             users:\n- name: kubernetes-admin\n  user:\n    client-certificate-data: {}\n    client-key-data: {}\n",
            b64(&admin),
            b64(&admin_key)
        ),
    )
    .unwrap();
    pki
}

fn column<'a>(stdout: &'a str, name: &str) -> &'a str {
    stdout
        .lines()
        .find(|l| l.split("   ").next() == Some(name) || l.starts_with(&format!("{name} ")))
        .unwrap_or_else(|| panic!("no row {name}:\n{stdout}"))
}

#[test]
fn kubeadm_tables_with_the_right_exit_code() {
    let sb = Sandbox::new();
    let pki = kubeadm_pki(&sb);
    let run = sb.run(&["check-expiration", "--pki-dir", pki.to_str().unwrap()]);
    assert_eq!(
        run.code, 1,
        "something is due:\n{}\n{}",
        run.stdout, run.stderr
    );
    let out = &run.stdout;
    assert!(
        out.contains("CERTIFICATE   ")
            && out.contains("EXPIRES")
            && out.contains("RESIDUAL TIME")
            && out.contains("CERTIFICATE AUTHORITY   EXTERNALLY MANAGED"),
        "{out}"
    );
    assert!(
        out.contains("\nCERTIFICATE AUTHORITY   EXPIRES"),
        "the CA table: {out}"
    );
    let apiserver = column(out, "apiserver");
    assert!(
        apiserver.contains("365d") && apiserver.contains("   ca   ") && apiserver.ends_with("no"),
        "{apiserver}"
    );
    let soon = column(out, "apiserver-kubelet-client");
    assert!(soon.contains("10d") && soon.contains("   ca   "), "{soon}");
    let expired = column(out, "front-proxy-client");
    assert!(
        expired.contains("expired")
            && expired.contains("front-proxy-ca")
            && expired.ends_with("yes"),
        "{expired}"
    );
    assert!(column(out, "etcd-server").contains("etcd-ca"), "{out}");
    assert!(column(out, "admin.conf").contains("   ca   "), "{out}");
    assert!(column(out, "etcd-ca").ends_with("no"), "{out}");
    assert!(
        column(out, "front-proxy-ca").ends_with("yes"),
        "key elsewhere: {out}"
    );
    assert!(
        out.contains("broken: ") && out.contains("not a PEM certificate"),
        "{out}"
    );
    assert!(
        run.stderr.contains("front-proxy-client") && run.stderr.contains("renew"),
        "{}",
        run.stderr
    );

    let json = sb.run(&[
        "check-expiration",
        "--pki-dir",
        pki.to_str().unwrap(),
        "-o",
        "json",
    ]);
    assert_eq!(json.code, 1);
    let report = json.json();
    let mut due: Vec<&str> = report["needsAttention"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    due.sort();
    assert_eq!(
        due,
        ["apiserver-kubelet-client", "broken", "front-proxy-client"]
    );
    let names: Vec<&str> = report["certificateAuthorities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["ca", "etcd-ca", "front-proxy-ca"]);
    let broken = report["certificates"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "broken")
        .unwrap();
    assert!(
        broken["error"]
            .as_str()
            .unwrap()
            .contains("not a PEM certificate")
    );
    assert_eq!(report["warnSeconds"], 30 * 86_400);
}

#[test]
fn exit_zero_when_nothing_is_due_and_users_are_listed() {
    let sb = Sandbox::new();
    let pki = sb.path("pki");
    std::fs::create_dir_all(&pki).unwrap();
    let (ca, ca_key) = self_signed_ca(&pki, "ca", "kubernetes");
    openssl_signed(
        &sb,
        &ca,
        &ca_key,
        "/CN=kube-apiserver",
        &openssl_date(-1),
        &openssl_date(100),
        LEAF,
        &pki.join("apiserver.crt"),
        None,
    );
    std::fs::copy(&ca, sb.path("ca.crt")).unwrap();
    sb.seed_kubeconfig();
    sb.run(&[
        "add",
        "john",
        "--days",
        "200",
        "--no-check",
        "--ca-cert",
        ca.to_str().unwrap(),
        "--ca-key",
        ca_key.to_str().unwrap(),
    ])
    .ok();

    let run = sb.run(&["check-expiration", "--pki-dir", pki.to_str().unwrap()]);
    run.ok();
    assert!(run.stdout.starts_with("USER   "), "{}", run.stdout);
    let john = column(&run.stdout, "john");
    assert!(
        (john.contains("199d") || john.contains("200d")) && john.contains("CN=kubernetes"),
        "{john}"
    );
    // A wider window catches both the user and the control plane's certificate.
    let wide = sb.run(&[
        "check-expiration",
        "--pki-dir",
        pki.to_str().unwrap(),
        "--warn",
        "250d",
        "-o",
        "yaml",
    ]);
    assert_eq!(wide.code, 1, "{}", wide.stdout);
    assert!(
        wide.stdout.contains("- user john\n") && wide.stdout.contains("- apiserver\n"),
        "{}",
        wide.stdout
    );
    let users_only = sb.run(&["check-expiration", "--warn", "250d"]);
    assert_eq!(users_only.code, 1);
    assert!(
        !users_only.stdout.contains("CERTIFICATE AUTHORITY"),
        "{}",
        users_only.stdout
    );
}

#[test]
fn bad_input_is_named() {
    let sb = Sandbox::new();
    sb.run(&["check-expiration", "--pki-dir", "no-such-dir"])
        .fails_with("cannot read the PKI folder");
    let run = sb.run(&["check-expiration", "--warn", "soon"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("invalid duration"), "{}", run.stderr);
}
