//! `add` through the CSR API against a cluster that misbehaves the way an attacker or a broken
//! signer would. Each guard must hold end to end: nothing approved that is not ours, no
//! certificate written that is not what we asked for, the reason shown, every file unchanged.

use std::process::{Child, Output, Stdio};
use std::time::{Duration, Instant};

use crate::harness::{Run, Sandbox};
use crate::support::fake_apiserver::{FakeApiServer, FakeOptions, SignerMode};

fn cluster() -> (FakeApiServer, Sandbox) {
    Sandbox::with_fake_cluster(FakeOptions::default())
}

/// A refused command left every file, the kubeconfig first, byte for byte as it was.
#[track_caller]
fn refused_unchanged(sb: &Sandbox, args: &[&str], needle: &str) -> Run {
    let kubeconfig = sb.read(&sb.kubeconfig);
    let before = sb.snapshot();
    let run = sb.run(args);
    run.fails_with(needle);
    assert_eq!(
        kubeconfig,
        sb.read(&sb.kubeconfig),
        "the kubeconfig changed"
    );
    assert!(
        before == sb.snapshot(),
        "a refused command changed files: {args:?}"
    );
    run
}

/// The child's output, or a failure once `limit` has passed (the child is killed): a tool that
/// kept waiting after the CSR was decided must fail the test quickly, not after its timeout.
#[track_caller]
fn finished_within(mut child: Child, limit: Duration) -> Output {
    let started = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > limit {
            let _ = child.kill();
            let out = child.wait_with_output().unwrap();
            panic!(
                "still waiting after {limit:?}:\n{}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().unwrap()
}

fn spawn(sb: &Sandbox, args: &[&str]) -> Child {
    sb.certuser()
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

fn approved(csr: &serde_json::Value) -> bool {
    csr["status"]["conditions"]
        .as_array()
        .is_some_and(|c| c.iter().any(|c| c["type"] == "Approved"))
}

#[test]
fn a_csr_replaced_between_create_and_approve_is_never_approved() {
    let (server, sb) = cluster();
    server.set_replace_created_csrs(true);
    refused_unchanged(
        &sb,
        &["add", "john", "--keep-csr", "--no-check"],
        "is not the one we created (its request is not ours",
    );
    let csrs = server.list("certificatesigningrequests");
    assert_eq!(csrs.len(), 1, "{csrs:?}");
    assert_eq!(
        csrs[0]["spec"]["username"], "mallory",
        "the impostor is there"
    );
    assert!(
        !approved(&csrs[0]),
        "the impostor was approved: {}",
        csrs[0]
    );
    // One approval was sent, for the version of the object the create answered: the server's
    // resourceVersion check refused it (409), and the object read after that was the
    // impostor's, so no second one followed.
    let approvals = server
        .requests()
        .iter()
        .filter(|r| r.path.ends_with("/approval"))
        .count();
    assert_eq!(approvals, 1, "{:?}", server.requests());
}

#[test]
fn a_certificate_for_another_key_is_never_written() {
    let (server, sb) = cluster();
    server.set_signer(SignerMode::WrongKey);
    refused_unchanged(
        &sb,
        &["add", "john", "--no-check"],
        "is not what we asked for (it carries another public key)",
    );
}

#[test]
fn a_certificate_for_another_subject_is_never_written() {
    let (server, sb) = cluster();
    server.set_signer(SignerMode::WrongSubject {
        common_name: "mallory",
        groups: &["dev1"],
    });
    refused_unchanged(
        &sb,
        &["add", "john", "-g", "dev1", "--no-check"],
        r#"(its CN is "mallory", not "john")"#,
    );
    server.set_signer(SignerMode::WrongSubject {
        common_name: "john",
        groups: &["dev1", "system:masters"],
    });
    refused_unchanged(
        &sb,
        &["add", "john", "-g", "dev1", "--no-check"],
        r#"(its groups are ["dev1", "system:masters"], not ["dev1"])"#,
    );
}

#[test]
fn a_failed_csr_ends_the_wait_at_once_with_its_reason_and_message() {
    let (server, sb) = cluster();
    server.set_signer(SignerMode::Fail {
        reason: "SignerQuotaExceeded",
        message: "the signer has issued its 1000 certificates for today",
    });
    let before = sb.snapshot();
    // The Failed condition ends the wait; a tool that kept waiting would take ten minutes.
    let child = spawn(
        &sb,
        &[
            "add",
            "john",
            "--no-check",
            "--keep-csr",
            "--timeout",
            "10m",
        ],
    );
    let out = finished_within(child, Duration::from_secs(60));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    let kept = server.list("certificatesigningrequests");
    let name = kept[0]["metadata"]["name"].as_str().unwrap();
    assert!(
        stderr.contains(&format!("error: the signer failed CertificateSigningRequest {name} (SignerQuotaExceeded: the signer has issued its 1000 certificates for today)")),
        "{stderr}"
    );
    assert!(before == sb.snapshot(), "a failed add changed files");
}

#[test]
fn a_denied_csr_ends_the_wait_at_once_with_its_reason_and_message() {
    let (server, sb) = cluster();
    // Every file but kubectl's discovery cache (kubectl, the admin, runs in the same HOME).
    let files = || {
        let cache = sb.home.join(".kube/cache");
        let mut all = sb.snapshot();
        all.retain(|(path, _)| !path.starts_with(&cache));
        all
    };
    let before = files();
    let started = Instant::now();
    let child = spawn(&sb, &["add", "john", "--no-approve", "--timeout", "10m"]);
    // Wait for the tool to be waiting (its watch is open), then an admin denies with kubectl.
    while !server
        .requests()
        .iter()
        .any(|r| r.path.contains("watch=true"))
    {
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "the tool never started waiting"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let name = server.list("certificatesigningrequests")[0]["metadata"]["name"]
        .as_str()
        .unwrap()
        .to_string();
    sb.kubectl(&["certificate", "deny", &name]).ok();
    // A tool that kept waiting after the denial would take ten minutes.
    let out = finished_within(child, Duration::from_secs(60));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "CertificateSigningRequest {name} was denied (KubectlDeny: This CSR was denied by kubectl certificate deny.)"
        )),
        "{stderr}"
    );
    assert!(before == files(), "a denied add changed files");
}
