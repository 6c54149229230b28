//! The deletion of our CertificateSigningRequest does not hold anything up: the kubeconfig is
//! written (and the access check asked) while the DELETE is still on its way, yet the command
//! does not end before the object is gone, and Ctrl-C meanwhile still lets the delete finish.

use std::os::unix::process::ExitStatusExt as _;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use crate::harness::Sandbox;
use crate::support::fake_apiserver::faults::{Answer, Fault, Gate};
use crate::support::fake_apiserver::{FakeApiServer, FakeOptions};

/// A cluster whose CSR deletions wait for the returned gate.
fn cluster_holding_deletes() -> (FakeApiServer, Sandbox, Gate) {
    let (server, sb) = Sandbox::with_fake_cluster(FakeOptions::default());
    let gate = Gate::new();
    server.inject(Fault::on(
        Some("DELETE"),
        "/apis/certificates.k8s.io/v1/certificatesigningrequests/",
        Answer::After(gate.clone()),
    ));
    (server, sb, gate)
}

fn add_john(sb: &Sandbox, extra: &[&str]) -> Child {
    sb.certuser()
        .args(["add", "john", "--key-type", "ecdsa-p256"])
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// Poll (never a fixed sleep) until `done`, for at most a generous bound.
#[track_caller]
fn eventually(what: &str, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "timed out waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Whether SIGINT is still pending for `pid` (its handler has not run yet), from /proc.
fn sigint_pending(pid: u32) -> bool {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let bit = 1u64 << (libc::SIGINT - 1);
    let mut pending = false;
    for line in status.lines() {
        if let Some(mask) = line
            .strip_prefix("ShdPnd:")
            .or_else(|| line.strip_prefix("SigPnd:"))
        {
            pending |= u64::from_str_radix(mask.trim(), 16).unwrap_or(0) & bit != 0;
        }
    }
    pending
}

fn has_john(sb: &Sandbox) -> bool {
    std::fs::read_to_string(&sb.kubeconfig).is_ok_and(|k| k.contains("john@kubernetes"))
}

#[test]
fn the_kubeconfig_is_written_and_access_checked_while_the_csr_is_being_deleted() {
    let (server, sb, gate) = cluster_holding_deletes();
    let mut child = add_john(&sb, &[]);
    eventually("the DELETE", || gate.reached() == 1);
    eventually("john in the kubeconfig while the DELETE is held", || {
        has_john(&sb)
    });
    eventually("john's access check while the DELETE is held", || {
        server.requests().iter().any(|r| {
            r.user.as_deref() == Some("john") && r.path.contains("selfsubjectaccessreviews")
        })
    });
    assert!(
        child.try_wait().unwrap().is_none(),
        "the command waits for its delete before it ends"
    );
    gate.open();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(server.list("certificatesigningrequests").is_empty());
}

#[test]
fn ctrl_c_during_the_delete_lets_it_finish_then_ends_the_command() {
    let (server, sb, gate) = cluster_holding_deletes();
    let child = add_john(&sb, &["--no-check"]);
    eventually("the DELETE", || gate.reached() == 1);
    eventually("john in the kubeconfig", || has_john(&sb));
    let kill = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    // Only once the process has taken the signal is the delete let through.
    eventually("the signal to be taken", || !sigint_pending(child.id()));
    gate.open();
    let out = child.wait_with_output().unwrap();
    assert_eq!(
        out.status.signal(),
        Some(libc::SIGINT),
        "the signal ends the command once the delete is done: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        server.list("certificatesigningrequests").is_empty(),
        "the CSR is deleted"
    );
    assert!(!sb.path("config.lock").exists(), "no lock left behind");
}
