//! `add` of many users in one call: the cluster is asked once whether it can be reached, and
//! every user lands in the kubeconfig.

use std::net::{TcpListener, TcpStream};
use std::sync::mpsc;

use crate::harness::Sandbox;

/// A server that accepts TCP connections and drops them at once (no TLS): every connection
/// attempt is seen, in order, on the returned channel.
fn dropping_server() -> (u16, mpsc::Receiver<std::net::SocketAddr>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            if tx.send(stream.peer_addr().unwrap()).is_err() {
                break;
            }
        }
    });
    (port, rx)
}

/// `add` of `users` with the access check on; returns the run and how many connections it made.
fn add_counting(
    sb: &Sandbox,
    port: u16,
    attempts: &mpsc::Receiver<std::net::SocketAddr>,
    users: &[String],
) -> (crate::harness::Run, usize) {
    let (crt, key) = (sb.path("ca.crt"), sb.path("ca.key"));
    let mut args = vec![
        "add",
        "--key-type",
        "ecdsa-p256",
        "--ca-cert",
        crt.to_str().unwrap(),
        "--ca-key",
        key.to_str().unwrap(),
    ];
    args.extend(users.iter().map(String::as_str));
    // Our own connections before and after the command's: what is queued between was the command's.
    let mark = || {
        let marker = TcpStream::connect(("127.0.0.1", port)).unwrap();
        let marker = marker.local_addr().unwrap();
        attempts.iter().take_while(|a| *a != marker).count()
    };
    mark();
    let run = sb.run(&args);
    run.ok();
    let tried = mark();
    (run, tried)
}

#[test]
fn a_cluster_that_cannot_be_reached_is_tried_once_for_all_new_users() {
    let sb = Sandbox::new();
    sb.openssl_ca();
    sb.seed_kubeconfig();
    let (port, attempts) = dropping_server();
    sb.kubectl(&[
        "config",
        "set-cluster",
        "kubernetes",
        "--server",
        &format!("https://127.0.0.1:{port}"),
    ])
    .ok();
    // The client stack may try a dropped connection more than once: compare with one user.
    let (_, for_one) = add_counting(&sb, port, &attempts, &["solo".to_string()]);
    let users: Vec<String> = (1..=6).map(|i| format!("u{i}")).collect();
    let (run, for_six) = add_counting(&sb, port, &attempts, &users);
    assert!(for_one >= 1);
    assert_eq!(
        for_six, for_one,
        "six users, one reachability answer: {}",
        run.stderr
    );

    let warnings: Vec<&str> = run
        .stderr
        .lines()
        .filter(|l| l.starts_with("warning:"))
        .collect();
    assert_eq!(warnings.len(), 1, "{}", run.stderr);
    // No server saw the certificates: they were not tried (not "refused").
    assert!(
        warnings[0].contains("the certificates of u1 and 5 other new users were not tried"),
        "{}",
        warnings[0]
    );
    let view = sb.kubectl_view();
    for user in &users {
        assert!(
            crate::harness::entry(&view, "users", user).is_some(),
            "{user}"
        );
    }
}
