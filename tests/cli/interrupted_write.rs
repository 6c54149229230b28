//! A SIGINT, SIGTERM or SIGHUP that lands while we hold kubectl's `<kubeconfig>.lock` never
//! leaves the lock (or a temp file) behind: the write in progress completes or is abandoned, the
//! lock is released, and only then does the process end, killed by the signal as a shell expects.
//! A lock left behind would make every later `kubectl config ...` fail until deleted by hand.

use std::io::{BufRead, Read};
use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use crate::harness::Sandbox;
use crate::lossless::many_embedded_users;

/// Users in the kubeconfig (about 9 MB): in a debug build `add` holds the lock for a second or
/// more on this one (it reads, parses, edits and writes the whole file under it, twice), so the
/// signal sent as soon as the lock appears lands inside the window nearly always, even on a
/// loaded machine. Should it land after the lock is gone, the test still holds (and says so).
const USERS: usize = 2_000;

/// Generous: a debug `add` on this file takes seconds alone, more on a loaded 2-core machine.
const BOUND: Duration = Duration::from_secs(180);

fn add_newcomer(sb: &Sandbox, crt: &Path, key: &Path) -> Child {
    sb.certuser()
        .args([
            "add",
            "newcomer",
            "-q",
            "--no-check",
            "--key-type",
            "ecdsa-p256",
        ])
        .args(["--ca-cert", crt.to_str().unwrap()])
        .args(["--ca-key", key.to_str().unwrap()])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// A sandbox whose kubeconfig is the big file, a local CA, and `add newcomer` started on them:
/// the sandbox, the file as written, the child (its stderr piped).
fn add_to_a_big_kubeconfig() -> (Sandbox, String, Child) {
    let sb = Sandbox::new();
    let (crt, key) = sb.openssl_ca();
    let original = many_embedded_users(USERS);
    std::fs::write(&sb.kubeconfig, &original).unwrap();
    let child = add_newcomer(&sb, &crt, &key);
    (sb, original, child)
}

/// All the child's stderr, read on a thread until it closes.
fn read_stderr(child: &mut Child) -> std::thread::JoinHandle<String> {
    let mut stderr = child.stderr.take().unwrap();
    std::thread::spawn(move || {
        let mut text = String::new();
        stderr.read_to_string(&mut text).unwrap();
        text
    })
}

/// Poll (no fixed sleep) until `path` exists; false when the child ended first.
fn wait_for(path: &Path, child: &mut Child) -> bool {
    let start = Instant::now();
    loop {
        if path.exists() {
            return true;
        }
        if child.try_wait().unwrap().is_some() {
            return false;
        }
        assert!(
            start.elapsed() < BOUND,
            "no {} within {BOUND:?}",
            path.display()
        );
        std::thread::sleep(Duration::from_micros(200));
    }
}

/// Poll until the new kubeconfig's temp file exists (it is being written); false when the child
/// ended first, or wrote and renamed it between two looks.
fn wait_for_temp(dir: &Path, child: &mut Child) -> bool {
    let start = Instant::now();
    loop {
        if leftovers(dir).iter().any(|n| n.starts_with(".config.")) {
            return true;
        }
        if child.try_wait().unwrap().is_some() {
            return false;
        }
        assert!(start.elapsed() < BOUND, "add did not end within {BOUND:?}");
        std::thread::sleep(Duration::from_micros(100));
    }
}

/// The original text, when `text` is it with the new user's context and user written in.
fn without_newcomer(text: &str) -> Option<String> {
    let context =
        "- context:\n    cluster: kubernetes\n    user: newcomer\n  name: newcomer@kubernetes\n";
    let context_at = text.find(context)?;
    let user_at = text.find("- name: newcomer\n")?;
    Some(format!(
        "{}{}",
        &text[..context_at],
        &text[context_at + context.len()..user_at]
    ))
}

fn leftovers(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".lock") || n.ends_with(".tmp"))
        .collect()
}

fn a_signal_while_the_lock_is_held_leaves_no_lock(signal: i32, name: &str) {
    let (sb, original, mut child) = add_to_a_big_kubeconfig();
    let lock = sb.path("config.lock");
    let reader = read_stderr(&mut child);
    let locked = wait_for(&lock, &mut child);
    assert!(locked, "add ended before it took the lock");
    assert_eq!(unsafe { libc::kill(child.id() as i32, signal) }, 0);
    let status = child.wait().unwrap();
    let stderr = reader.join().unwrap();

    assert_eq!(leftovers(sb.dir.path()), Vec::<String>::new(), "{stderr}");
    assert_eq!(
        status.signal(),
        Some(signal),
        "ended by {name}, as a shell expects (exit status {}): {status:?} {stderr}",
        128 + signal
    );
    let text = std::fs::read_to_string(&sb.kubeconfig).unwrap();
    let written = text != original;
    if written {
        assert_eq!(
            without_newcomer(&text).as_deref(),
            Some(original.as_str()),
            "the kubeconfig is the original or the original plus the new user"
        );
        assert!(sb.kubectl_view()["users"].to_string().contains("newcomer"));
    } else {
        sb.kubectl_view();
    }
    // Held back, the signal is reported with what became of the file; a signal that came after
    // the lock was released ends the process at once, with nothing to report.
    if stderr.contains(&format!("stopped by {name}")) {
        let said = if written {
            "was written"
        } else {
            "nothing was written"
        };
        assert!(stderr.contains(said), "{stderr}");
    } else {
        println!("{name}: the lock was released before the signal landed: window not exercised");
    }
}

#[test]
fn sigint_while_the_kubeconfig_is_locked_leaves_no_lock_behind() {
    a_signal_while_the_lock_is_held_leaves_no_lock(libc::SIGINT, "SIGINT");
}

#[test]
fn sigterm_while_the_kubeconfig_is_locked_leaves_no_lock_behind() {
    a_signal_while_the_lock_is_held_leaves_no_lock(libc::SIGTERM, "SIGTERM");
}

#[test]
fn sighup_while_the_kubeconfig_is_locked_leaves_no_lock_behind() {
    a_signal_while_the_lock_is_held_leaves_no_lock(libc::SIGHUP, "SIGHUP");
}

#[test]
fn a_signal_while_the_new_kubeconfig_is_written_lets_it_finish_whole() {
    let (sb, original, mut child) = add_to_a_big_kubeconfig();
    let reader = read_stderr(&mut child);
    // The temp file lives for the write and fsync of 9 MB only: a look may miss it, and then
    // the run ends normally and proves nothing more than the others (it says so).
    let caught = wait_for_temp(sb.dir.path(), &mut child);
    if caught {
        assert_eq!(unsafe { libc::kill(child.id() as i32, libc::SIGTERM) }, 0);
    }
    let status = child.wait().unwrap();
    let stderr = reader.join().unwrap();
    assert_eq!(leftovers(sb.dir.path()), Vec::<String>::new(), "{stderr}");
    let text = std::fs::read_to_string(&sb.kubeconfig).unwrap();
    if !caught || !stderr.contains("stopped by SIGTERM") {
        println!("the temp file came and went between two looks: window not exercised");
        return;
    }
    assert_eq!(status.signal(), Some(libc::SIGTERM), "{stderr}");
    // Begun, so finished: the whole new file, with the new user, and said so.
    assert_eq!(
        without_newcomer(&text).as_deref(),
        Some(original.as_str()),
        "{stderr}"
    );
    assert!(stderr.contains("was written whole"), "{stderr}");
    assert!(sb.kubectl_view()["users"].to_string().contains("newcomer"));
}

#[test]
fn a_second_sigint_while_held_back_ends_at_once_and_names_the_lock_to_delete() {
    let (sb, original, mut child) = add_to_a_big_kubeconfig();
    let lock = sb.path("config.lock");
    let stderr = child.stderr.take().unwrap();
    let (tx, lines) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stderr)
            .lines()
            .map_while(Result::ok)
        {
            let _ = tx.send(line);
        }
    });
    assert!(
        wait_for(&lock, &mut child),
        "add ended before it took the lock"
    );
    let pid = child.id() as i32;
    assert_eq!(unsafe { libc::kill(pid, libc::SIGINT) }, 0);
    // The second only once the first is seen held back: two sent at once may merge into one.
    let mut seen = Vec::new();
    while let Ok(line) = lines.recv_timeout(BOUND) {
        let held = line.contains("SIGINT received");
        seen.push(line);
        if held {
            assert_eq!(unsafe { libc::kill(pid, libc::SIGINT) }, 0);
            break;
        }
    }
    let status = child.wait().unwrap();
    seen.extend(lines.iter());
    let stderr = seen.join("\n");
    assert_eq!(status.signal(), Some(libc::SIGINT), "{stderr}");
    let text = std::fs::read_to_string(&sb.kubeconfig).unwrap();
    assert!(text == original || without_newcomer(&text).as_deref() == Some(&original));
    if stderr.contains("stopped at once") {
        // The lock may be left behind, and then the message names it.
        assert!(stderr.contains(lock.to_str().unwrap()), "{stderr}");
        println!(
            "stopped at once; left behind: {:?}",
            leftovers(sb.dir.path())
        );
    } else {
        // The held-back write ended before the second signal: nothing is left.
        assert_eq!(leftovers(sb.dir.path()), Vec::<String>::new(), "{stderr}");
        println!("the write was done before the second SIGINT: window not exercised");
    }
}

#[test]
fn a_sighup_with_the_terminal_gone_still_ends_by_the_signal_and_leaves_no_lock() {
    // The terminal closed: its SIGHUP comes, and stderr is a dead end. Reporting the stop must
    // not turn it into a panic (exit 101) on the way.
    use std::os::unix::fs::PermissionsExt;
    let sb = Sandbox::new();
    let (crt, key) = sb.openssl_ca();
    std::fs::write(&sb.kubeconfig, many_embedded_users(USERS)).unwrap();
    // No warning of ours on the way (a 0644 file is narrowed with one).
    std::fs::set_permissions(&sb.kubeconfig, std::fs::Permissions::from_mode(0o600)).unwrap();
    let lock = sb.path("config.lock");
    let mut child = add_newcomer(&sb, &crt, &key);
    drop(child.stderr.take());
    assert!(
        wait_for(&lock, &mut child),
        "add ended before it took the lock"
    );
    assert_eq!(unsafe { libc::kill(child.id() as i32, libc::SIGHUP) }, 0);
    let status = child.wait().unwrap();
    assert_eq!(leftovers(sb.dir.path()), Vec::<String>::new());
    assert_eq!(status.signal(), Some(libc::SIGHUP), "{status:?}");
}

#[test]
fn a_ctrl_c_while_waiting_for_kubectls_lock_ends_the_wait_and_keeps_kubectls_lock() {
    // The wait for another writer happens under a hold (the plan's read locks its files in
    // turn): the signal must end the wait, not wait 30 s, and the other writer's lock is theirs.
    let sb = Sandbox::with_local_ca();
    let before = std::fs::read(&sb.kubeconfig).unwrap();
    let lock = sb.path("config.lock");
    std::fs::write(&lock, "").unwrap();
    let mut child = add_newcomer(&sb, &sb.path("ca.crt"), &sb.path("ca.key"));
    let stderr = child.stderr.take().unwrap();
    let mut lines = std::io::BufReader::new(stderr)
        .lines()
        .map_while(Result::ok);
    let waiting = lines.by_ref().find(|l| l.contains("is locked"));
    assert!(waiting.is_some(), "add never said it waits for the lock");
    let asked = Instant::now();
    assert_eq!(unsafe { libc::kill(child.id() as i32, libc::SIGINT) }, 0);
    let status = child.wait().unwrap();
    let rest: Vec<String> = lines.collect();
    assert_eq!(status.signal(), Some(libc::SIGINT), "{rest:?}");
    assert!(
        asked.elapsed() < Duration::from_secs(20),
        "ended the wait, did not sit it out: {:?}",
        asked.elapsed()
    );
    assert!(lock.exists(), "kubectl's lock is not ours to remove");
    assert_eq!(std::fs::read(&sb.kubeconfig).unwrap(), before);
}
