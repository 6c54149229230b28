//! The CSR flow in as few round trips as it can be made safe in: each saved one is a network
//! round trip to a remote API server (tens of milliseconds from a laptop to a cloud cluster).
//! The approval is sent with the object the create answered, the server's resourceVersion
//! check guarding it, and the watch for the certificate is asked while the approval travels.

use std::process::Stdio;
use std::time::{Duration, Instant};

use crate::harness::Sandbox;
use crate::support::fake_apiserver::faults::{Answer, Fault, Gate};
use crate::support::fake_apiserver::{FakeApiServer, FakeOptions, RequestRecord};

const CSRS: &str = "/apis/certificates.k8s.io/v1/certificatesigningrequests";

fn cluster() -> (FakeApiServer, Sandbox) {
    Sandbox::with_fake_cluster(FakeOptions::default())
}

fn csr_requests(server: &FakeApiServer) -> Vec<(String, String)> {
    server
        .requests()
        .into_iter()
        .filter(|r: &RequestRecord| r.path.starts_with(CSRS))
        .map(|r| (r.method, r.path))
        .collect()
}

#[test]
fn the_approval_goes_with_the_created_object_without_reading_it_again() {
    let (server, sb) = cluster();
    sb.run(&["add", "john", "--key-type", "ecdsa-p256", "--no-check"])
        .ok();
    let requests = csr_requests(&server);
    let approval = requests
        .iter()
        .position(|(m, p)| m == "PUT" && p.ends_with("/approval"))
        .unwrap_or_else(|| panic!("no approval: {requests:?}"));
    let create = requests
        .iter()
        .position(|(m, p)| m == "POST" && p == CSRS)
        .unwrap_or_else(|| panic!("no create: {requests:?}"));
    assert!(
        !requests[create..approval]
            .iter()
            .any(|(m, p)| m == "GET" && p.starts_with(&format!("{CSRS}/"))),
        "the object was read again before the approval: {requests:?}"
    );
}

#[test]
fn the_watch_for_the_certificate_is_asked_while_the_approval_travels() {
    let (server, sb) = cluster();
    let gate = Gate::new();
    server.inject(Fault::on(
        Some("PUT"),
        &format!("{CSRS}/"),
        Answer::After(gate.clone()),
    ));
    let mut child = sb
        .certuser()
        .args(["add", "john", "--key-type", "ecdsa-p256", "--no-check"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let watching = || {
        csr_requests(&server)
            .iter()
            .any(|(m, p)| m == "GET" && p.contains("watch=true"))
    };
    let start = Instant::now();
    while gate.reached() == 0 || !watching() {
        if start.elapsed() > Duration::from_secs(20) {
            gate.open();
            let _ = child.wait();
            panic!(
                "no watch while the approval was unanswered: {:?}",
                csr_requests(&server)
            );
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    gate.open();
    assert!(child.wait().unwrap().success());
    assert_eq!(
        server.list("certificatesigningrequests").len(),
        0,
        "cleaned up as usual"
    );
}

/// Someone else's harmless change between create and approve (a label, a controller's
/// annotation) makes the first approval a conflict: the object is read, found to be ours
/// still, and approved.
#[test]
fn an_approval_refused_as_a_conflict_reads_the_object_and_tries_once_more() {
    let (server, sb) = cluster();
    // The create's answer names a version the object no longer has.
    server.inject(Fault::on(
        Some("POST"),
        CSRS,
        Answer::rewrite(|mut created| {
            created["metadata"]["resourceVersion"] = "1".into();
            created
        }),
    ));
    sb.run(&["add", "john", "--key-type", "ecdsa-p256", "--no-check"])
        .ok();
    let requests = csr_requests(&server);
    let approvals = requests
        .iter()
        .filter(|(m, p)| m == "PUT" && p.ends_with("/approval"))
        .count();
    assert_eq!(approvals, 2, "{requests:?}");
    assert!(
        requests
            .iter()
            .any(|(m, p)| m == "GET" && p.starts_with(&format!("{CSRS}/certuser-john-"))),
        "{requests:?}"
    );
}
