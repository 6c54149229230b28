//! A held or stale `<kubeconfig>.lock`: we say at once who holds it and how long we wait, then
//! go on as soon as it is released. Messages are awaited by polling stderr, never by sleeping.

use std::io::{BufRead, BufReader};
use std::process::{Child, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use crate::harness::{Sandbox, entry};

fn add_john(sb: &Sandbox) -> Child {
    let (crt, key) = (sb.path("ca.crt"), sb.path("ca.key"));
    sb.certuser()
        .args(["add", "john", "--no-check", "--key-type", "ecdsa-p256"])
        .args([
            "--ca-cert",
            crt.to_str().unwrap(),
            "--ca-key",
            key.to_str().unwrap(),
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// Forward the child's stderr lines to a channel, so the test can wait for one.
fn stderr_lines(child: &mut Child) -> mpsc::Receiver<String> {
    let (tx, rx) = mpsc::channel();
    let stderr = child.stderr.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

/// The first line containing `needle`; fails when stderr ends (the child exited) first.
#[track_caller]
fn wait_for_line(rx: &mpsc::Receiver<String>, needle: &str) -> String {
    let mut seen = Vec::new();
    // A generous bound for a loaded machine; the message normally comes within milliseconds.
    while let Ok(line) = rx.recv_timeout(Duration::from_secs(120)) {
        if line.contains(needle) {
            return line;
        }
        seen.push(line);
    }
    panic!("no line with {needle:?} on stderr; saw: {seen:#?}");
}

#[test]
fn a_lock_held_by_a_running_process_is_named_at_once() {
    let sb = Sandbox::with_local_ca();
    let mut holder = std::process::Command::new("sleep")
        .arg("600")
        .spawn()
        .unwrap();
    let lock = sb.path("config.lock");
    std::fs::write(&lock, format!("{}\n", holder.id())).unwrap();

    let mut child = add_john(&sb);
    let rx = stderr_lines(&mut child);
    let line = wait_for_line(&rx, "is locked");
    assert!(
        child.try_wait().unwrap().is_none(),
        "said while still waiting"
    );
    assert!(
        line.contains(&format!("process {}", holder.id())) && line.contains("running"),
        "{line}"
    );
    assert!(line.contains("30s"), "says how long it waits: {line}");
    std::fs::remove_file(&lock).unwrap();
    assert!(child.wait().unwrap().success());
    assert!(entry(&sb.kubectl_view(), "users", "john").is_some());
    holder.kill().unwrap();
    holder.wait().unwrap();
}

#[test]
fn a_stale_lock_is_called_stale_and_kubectls_own_lock_is_recognised() {
    let sb = Sandbox::with_local_ca();
    // A process that has exited: its lock was left behind.
    let mut gone = std::process::Command::new("true").spawn().unwrap();
    let pid = gone.id();
    gone.wait().unwrap();
    let lock = sb.path("config.lock");
    std::fs::write(&lock, format!("{pid}\n")).unwrap();
    let mut child = add_john(&sb);
    let rx = stderr_lines(&mut child);
    let line = wait_for_line(&rx, "is locked");
    assert!(
        line.contains(&format!("process {pid}")) && line.contains("no longer running"),
        "{line}"
    );
    assert!(
        line.contains(lock.to_str().unwrap()),
        "names the file to delete: {line}"
    );
    std::fs::remove_file(&lock).unwrap();
    assert!(child.wait().unwrap().success());

    // kubectl's lock is an empty file: no process id to name.
    std::fs::write(&lock, "").unwrap();
    let (crt, key) = (sb.path("ca.crt"), sb.path("ca.key"));
    let mut child = sb
        .certuser()
        .args(["add", "jane", "--no-check", "--key-type", "ecdsa-p256"])
        .args([
            "--ca-cert",
            crt.to_str().unwrap(),
            "--ca-key",
            key.to_str().unwrap(),
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let rx = stderr_lines(&mut child);
    let line = wait_for_line(&rx, "is locked");
    assert!(line.contains("kubectl"), "{line}");
    std::fs::remove_file(&lock).unwrap();
    assert!(child.wait().unwrap().success());
    assert!(!lock.exists());
}
