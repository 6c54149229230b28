//! The newcomer's command: `kubectl certuser demo` on a machine with no cluster and no kubeconfig.

use crate::harness::{Sandbox, decode, entry, openssl};

#[test]
fn demo_adds_john_to_a_fresh_kubeconfig_that_kubectl_reads() {
    let sb = Sandbox::new();
    let run = sb.run(&["demo"]);
    // The newcomer's first run says nothing alarming: the demo CA outlives john's certificate.
    assert!(!run.ok().stderr.contains("warning:"), "{}", run.stderr);
    let kubeconfig = sb.path("certuser-demo/kubeconfig");
    let view = sb.kubectl(&[
        "--kubeconfig",
        kubeconfig.to_str().unwrap(),
        "config",
        "view",
        "--raw",
        "-o",
        "json",
    ]);
    let view: serde_json::Value = serde_json::from_str(&view.ok().stdout).unwrap();
    assert_eq!(view["current-context"], "john@demo");
    assert_eq!(
        entry(&view, "contexts", "john@demo").unwrap()["context"]["namespace"],
        "dev1"
    );
    let cert = decode(&entry(&view, "users", "john").unwrap()["user"]["client-certificate-data"]);
    let cert_file = sb.path("john.crt");
    std::fs::write(&cert_file, cert).unwrap();
    let ca = sb.path("certuser-demo/ca.crt");
    openssl(&[
        "verify",
        "-CAfile",
        ca.to_str().unwrap(),
        cert_file.to_str().unwrap(),
    ])
    .ok();
    let subject = openssl(&["x509", "-in", ca.to_str().unwrap(), "-noout", "-subject"]);
    assert!(
        subject.ok().stdout.contains("DEMO ONLY"),
        "the demo CA says what it is"
    );
    // The real home was not touched, and running it twice is refused rather than clobbering.
    assert!(!sb.home.join(".kube").exists());
    sb.run(&["demo"]).fails_with("already exists");
}
