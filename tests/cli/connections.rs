//! How many connections a command opens, and what they speak: HTTP/2 by ALPN when the server
//! offers it (kube-apiserver does), every request of one identity multiplexed on one connection
//! as client-go does; HTTP/1.1 when the server or `DISABLE_HTTP2` says so.

use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use crate::harness::{Run, Sandbox};
use crate::support::fake_apiserver::faults::{Answer, Fault, Gate};
use crate::support::fake_apiserver::{FakeApiServer, FakeOptions, RequestRecord};

fn cluster(http2: bool) -> (FakeApiServer, Sandbox) {
    Sandbox::with_fake_cluster(FakeOptions {
        http2,
        ..FakeOptions::default()
    })
}

/// The requests `user` made, with the protocol each came in on.
fn requests_of(server: &FakeApiServer, user: &str) -> Vec<RequestRecord> {
    server
        .requests()
        .into_iter()
        .filter(|r| r.user.as_deref() == Some(user))
        .collect()
}

#[track_caller]
fn all_over(requests: &[RequestRecord], version: hyper::Version) {
    assert!(
        !requests.is_empty() && requests.iter().all(|r| r.version == version),
        "expected every request over {version:?}: {:?}",
        requests
            .iter()
            .map(|r| (r.version, &r.method, &r.path))
            .collect::<Vec<_>>()
    );
}

#[test]
fn requests_go_over_http2_when_the_server_offers_it_and_http_1_1_when_not() {
    for (http2, version) in [
        (true, hyper::Version::HTTP_2),
        (false, hyper::Version::HTTP_11),
    ] {
        let (server, sb) = cluster(http2);
        let run = sb.run(&["whoami"]);
        run.ok();
        assert!(run.stdout.contains("kubernetes-admin"), "{}", run.stdout);
        all_over(&requests_of(&server, "kubernetes-admin"), version);
    }
}

#[test]
fn disable_http2_keeps_to_http_1_1_as_kubectl_does() {
    let (server, sb) = cluster(true);
    let run = Run::of(
        sb.certuser()
            .env("DISABLE_HTTP2", "1")
            .arg("whoami")
            .output()
            .unwrap(),
    );
    run.ok();
    all_over(
        &requests_of(&server, "kubernetes-admin"),
        hyper::Version::HTTP_11,
    );
}

#[test]
fn can_i_asks_its_questions_at_once_on_one_connection() {
    let (server, sb) = cluster(true);
    sb.run(&["can-i", "list", "pods"]).ok();
    let requests = requests_of(&server, "kubernetes-admin");
    assert!(requests.len() >= 3, "{requests:?}");
    all_over(&requests, hyper::Version::HTTP_2);
    assert_eq!(
        server.handshakes_of("kubernetes-admin"),
        1,
        "{:?}",
        server.handshakes()
    );
}

/// The new user's check (who am I, nine access reviews, the rules) asks everything at once: over
/// HTTP/2 that is one TLS handshake, not one per question.
#[test]
fn a_new_users_access_check_takes_one_connection() {
    let (server, sb) = cluster(true);
    let run = sb.run(&["add", "john", "-g", "dev1", "-n", "dev1"]);
    run.ok();
    assert!(run.stdout.contains("pods"), "{}", run.stdout);
    let requests = requests_of(&server, "john");
    assert!(requests.len() >= 11, "the whole check ran: {requests:?}");
    all_over(&requests, hyper::Version::HTTP_2);
    assert_eq!(server.handshakes_of("john"), 1, "{:?}", server.handshakes());
}

/// Behind something that speaks only HTTP/1.1 the same check still runs, on as many
/// connections as it asks questions at once.
#[test]
fn without_http2_the_access_check_runs_over_http_1_1() {
    let (server, sb) = cluster(false);
    let run = sb.run(&["add", "john", "-g", "dev1", "-n", "dev1"]);
    run.ok();
    assert!(
        run.stdout.contains("cannot") && run.stdout.contains("pods"),
        "{}\n{}",
        run.stdout,
        run.stderr
    );
    let requests = requests_of(&server, "john");
    assert!(requests.len() >= 11, "the whole check ran: {requests:?}");
    all_over(&requests, hyper::Version::HTTP_11);
    assert!(server.handshakes_of("john") >= 1);
}

/// The administrator's side of the CSR flow (who approves, create, approve, watch, delete) is
/// one client: over HTTP/2 one connection carries it all, the watch included.
#[test]
fn an_add_through_the_csr_api_takes_one_connection_as_the_administrator() {
    let (server, sb) = cluster(true);
    sb.run(&["add", "john", "-g", "dev1", "-n", "dev1"]).ok();
    let requests = requests_of(&server, "kubernetes-admin");
    assert!(
        requests.iter().any(|r| r.path.contains("watch")),
        "{requests:?}"
    );
    all_over(&requests, hyper::Version::HTTP_2);
    assert_eq!(
        server.handshakes_of("kubernetes-admin"),
        1,
        "{:?}",
        server.handshakes()
    );
}

/// Over HTTP/2 the questions asked together go out together: the ones behind the first wait for
/// its connection, not for its answer (a round trip, and the server's check of a new client
/// certificate, which the first request's answer waits on). Here the first question (who am I)
/// is held at the server until the others have arrived; were they held back for its answer,
/// they would never come.
#[test]
fn over_http2_the_questions_behind_the_first_do_not_wait_for_its_answer() {
    let (server, sb) = cluster(true);
    let gate = Gate::new();
    server.inject(Fault::on(
        Some("POST"),
        "/apis/authentication.k8s.io/v1/selfsubjectreviews",
        Answer::After(gate.clone()),
    ));
    let mut child = sb
        .certuser()
        .args(["can-i", "list", "pods"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let start = Instant::now();
    let reviews = || {
        server
            .requests()
            .iter()
            .filter(|r| r.path.contains("selfsubjectaccessreviews"))
            .count()
    };
    while gate.reached() == 0 || reviews() == 0 {
        if start.elapsed() > Duration::from_secs(20) {
            gate.open();
            let _ = child.wait();
            panic!(
                "the access review did not come while the first question was unanswered: {:?}",
                server.requests()
            );
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    gate.open();
    assert!(child.wait().unwrap().success());
    assert_eq!(
        server.handshakes_of("kubernetes-admin"),
        1,
        "{:?}",
        server.handshakes()
    );
}

/// The CSR path holds the certificate's watch at the server here, so the command sits where
/// it waits for the signer.
fn adding_john_held_at_the_watch(server: &FakeApiServer, sb: &Sandbox) -> (Gate, Child) {
    let gate = Gate::new();
    server.inject(
        Fault::on(
            Some("GET"),
            "/apis/certificates.k8s.io/v1/certificatesigningrequests",
            Answer::After(gate.clone()),
        )
        .with_query("watch=true"),
    );
    let child = sb
        .certuser()
        .args(["add", "john", "--key-type", "ecdsa-p256"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    (gate, child)
}

/// Poll until `done` or a generous bound; on the bound, let the command go and fail.
#[track_caller]
fn until(what: &str, gate: &Gate, child: &mut Child, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        if start.elapsed() > Duration::from_secs(20) {
            gate.open();
            let _ = child.wait();
            panic!("timed out waiting for {what}");
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// While the signer works, the new user's connection is opened already, its TLS handshake
/// waiting for the certificate (on a remote cluster: TCP's and TLS's round trips out of the
/// way); the check then runs on it, no other connection made.
#[test]
fn a_new_users_connection_is_opened_while_the_signer_works() {
    let (server, sb) = cluster(true);
    let (gate, mut child) = adding_john_held_at_the_watch(&server, &sb);
    until("john's connection", &gate, &mut child, || {
        gate.reached() == 1 && server.connections() == 2
    });
    assert_eq!(server.handshakes_of("john"), 0, "no certificate yet");
    gate.open();
    assert!(child.wait().unwrap().success());
    assert_eq!(server.handshakes_of("john"), 1, "{:?}", server.handshakes());
    assert_eq!(server.connections(), 2, "{:?}", server.handshakes());
    assert!(
        requests_of(&server, "john").len() >= 11,
        "the whole check ran on it"
    );
}

/// A server that drops a handshake left waiting too long (Go's read deadline) costs only the
/// round trips saved: the check connects again.
#[test]
fn a_waiting_handshake_the_server_dropped_is_replaced_by_a_new_connection() {
    let (server, sb) = Sandbox::with_fake_cluster(FakeOptions {
        handshake_timeout: Some(Duration::from_secs(1)),
        ..FakeOptions::default()
    });
    let (gate, mut child) = adding_john_held_at_the_watch(&server, &sb);
    until(
        "the server to drop john's waiting handshake",
        &gate,
        &mut child,
        || server.handshakes_timed_out() == 1,
    );
    gate.open();
    assert!(child.wait().unwrap().success());
    assert_eq!(server.handshakes_of("john"), 1, "{:?}", server.handshakes());
    assert!(
        requests_of(&server, "john").len() >= 11,
        "the whole check ran"
    );
}
