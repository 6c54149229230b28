//! A killed writer never leaves half a kubeconfig. `add` and `remove` (local CA, no cluster) are
//! SIGKILLed at random points, most of them inside the write window (after the temp file appears,
//! during its write, fsync and rename), and after every kill the kubeconfig must be exactly the
//! old file or the complete new one. A temp file a killed run left behind is removed by the next
//! run that writes. The assertions hold whatever the timing: the timing only decides how many
//! kills land in each phase, which is counted and printed (`--nocapture`) for the README.

use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::harness::Sandbox;

const RUNS: usize = 200;
/// Independent sandboxes killed side by side, so 200 runs take seconds, not minutes.
const LANES: usize = 8;
/// Users already in the kubeconfig (about 12 KB). The kills find the write window by watching
/// for the temp file, not by a slow write, so the file stays small: parsing it is most of a run's
/// CPU in a debug build, and 200 runs must stay quick on a loaded machine.
const USERS: usize = 12;

#[derive(Default, Debug)]
struct Tally {
    /// Killed, and the kubeconfig is byte-identical to the old one.
    killed_old: usize,
    /// ... of which a temp file was left behind.
    killed_with_temp: usize,
    /// Killed after the rename: the kubeconfig is the complete new one.
    killed_new: usize,
    /// Finished before the kill arrived.
    finished: usize,
    /// Temp files of earlier kills that a later writing run removed.
    temps_cleaned: usize,
}

#[test]
fn sigkill_during_add_and_remove_leaves_the_old_or_the_new_kubeconfig() {
    let started = Instant::now();
    // One CA for every lane: making an RSA key per lane would cost more than the kills.
    let ca_home = Sandbox::new();
    let (crt, key) = ca_home.openssl_ca();
    let ca = [
        "--ca-cert".to_string(),
        crt.to_str().unwrap().to_string(),
        "--ca-key".into(),
        key.to_str().unwrap().into(),
    ];
    let tallies: Vec<Tally> = std::thread::scope(|scope| {
        let lanes: Vec<_> = (0..LANES)
            .map(|lane| {
                let ca = &ca;
                scope.spawn(move || run_lane(lane, RUNS / LANES, ca))
            })
            .collect();
        lanes.into_iter().map(|l| l.join().unwrap()).collect()
    });
    let total = tallies.iter().fold(Tally::default(), |mut t, l| {
        t.killed_old += l.killed_old;
        t.killed_with_temp += l.killed_with_temp;
        t.killed_new += l.killed_new;
        t.finished += l.finished;
        t.temps_cleaned += l.temps_cleaned;
        t
    });
    println!(
        "crash test: {RUNS} runs in {:.1} s: {total:?}",
        started.elapsed().as_secs_f64()
    );
    // How many kills land in each phase depends on the machine (a tmpfs makes the write window
    // tiny); the assertions above hold for every run. That some run was killed at all is as good
    // as certain: a quarter of the runs are killed at a uniform point of a whole run's time.
    assert!(
        total.killed_old + total.killed_new > 0,
        "no run was killed: {total:?}"
    );
}

/// One sandbox: a large kubeconfig, then `runs` add/remove runs, each killed at a random point.
fn run_lane(lane: usize, runs: usize, ca: &[String]) -> Tally {
    let sb = Sandbox::new();
    std::fs::write(&sb.kubeconfig, big_kubeconfig(lane)).unwrap();
    let add = |user: &str| -> Child {
        sb.certuser()
            .args(["add", user, "--key-type", "ecdsa-p256", "--no-check", "-q"])
            .args(ca)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap()
    };
    let remove = |user: &str| -> Child {
        sb.certuser()
            .args(["remove", user, "-q"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap()
    };

    // One complete run: proves the setup works and times a whole run for the "anywhere" kills.
    let t = Instant::now();
    let status = add("calibrate").wait().unwrap();
    assert!(status.success());
    let full_run = t.elapsed();

    let mut tally = Tally::default();
    let mut added: Vec<String> = vec!["calibrate".into()];
    for i in 0..runs {
        let old = std::fs::read(&sb.kubeconfig).unwrap();
        let temps_before = temp_files(sb.dir.path());
        let op = if !added.is_empty() && random(3) == 0 {
            Op::Remove(added[random(added.len() as u64) as usize].clone())
        } else {
            Op::Add(format!("crash{lane}-{i}"))
        };
        let mut child = match &op {
            Op::Add(user) => add(user),
            Op::Remove(user) => remove(user),
        };
        if random(4) == 0 {
            // Anywhere in the run: reading, signing, waiting for the lock, writing.
            std::thread::sleep(full_run.mul_f64(random(1000) as f64 / 1000.0));
        } else {
            // Inside the write window: from the moment our temp file exists, up to 20 ms later
            // (its write, fsync, rename and the folder's fsync all fall in there).
            wait_for_temp_file(&mut child, sb.dir.path());
            std::thread::sleep(Duration::from_micros(random(20_000)));
        }
        let _ = child.kill();
        let status = child.wait().unwrap();
        let killed = status.signal() == Some(9);

        let now = std::fs::read(&sb.kubeconfig).unwrap();
        if now == old {
            assert!(killed, "run {i} ({op:?}) finished but changed nothing");
            tally.killed_old += 1;
            if temp_files(sb.dir.path()).len() > temps_before.len() {
                tally.killed_with_temp += 1;
            }
        } else {
            assert_is_the_new_file(&old, &now, &op, i);
            // A run that wrote removed every stale temp file that was there when it started.
            let left: Vec<_> = temp_files(sb.dir.path())
                .into_iter()
                .filter(|t| temps_before.contains(t))
                .collect();
            assert!(
                left.is_empty(),
                "run {i} wrote but left stale temp files {left:?}"
            );
            tally.temps_cleaned += temps_before.len();
            if killed {
                tally.killed_new += 1;
            } else {
                assert!(status.success(), "run {i} ({op:?}) failed: {status}");
                tally.finished += 1;
            }
            match op {
                Op::Add(user) => added.push(user),
                Op::Remove(user) => added.retain(|u| *u != user),
            }
        }
        // A killed lock holder leaves kubectl's lock behind; the user deletes it, as the error
        // message of the next run would tell them to.
        let _ = std::fs::remove_file(sb.path("config.lock"));
    }

    // The next complete run cleans whatever temp files the kills left, and kubectl, an
    // independent reader, sees every user that survived.
    let status = add("final").wait().unwrap();
    assert!(status.success());
    let leftovers = temp_files(sb.dir.path());
    assert!(leftovers.is_empty(), "temp files left: {leftovers:?}");
    let view = sb.kubectl_view();
    let users: Vec<&str> = view["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["name"].as_str().unwrap())
        .collect();
    assert_eq!(users.len(), USERS + added.len() + 1, "{users:?}");
    for user in &added {
        assert!(users.contains(&user.as_str()), "{user} was lost");
    }
    tally
}

#[derive(Debug)]
enum Op {
    Add(String),
    Remove(String),
}

/// The kubeconfig after a run that got through: exactly the old one plus the new user and
/// context, or minus the removed ones. Every other entry and key is as it was.
#[track_caller]
fn assert_is_the_new_file(old: &[u8], now: &[u8], op: &Op, run: usize) {
    let parse = |bytes: &[u8]| -> Value {
        let text = std::str::from_utf8(bytes)
            .unwrap_or_else(|_| panic!("run {run} ({op:?}): the kubeconfig is not UTF-8"));
        serde_saphyr::from_str(text).unwrap_or_else(|e| {
            panic!(
                "run {run} ({op:?}): the kubeconfig is partial ({e}), {} bytes",
                bytes.len()
            )
        })
    };
    let (old, now) = (parse(old), parse(now));
    let names = |doc: &Value, section: &str| -> Vec<String> {
        doc[section]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["name"].as_str().unwrap().to_string())
            .collect()
    };
    let mut expected = old.clone();
    match op {
        Op::Add(user) => {
            assert_eq!(
                names(&now, "users"),
                [names(&old, "users"), vec![user.clone()]].concat(),
                "run {run}"
            );
            assert_eq!(
                names(&now, "contexts"),
                [names(&old, "contexts"), vec![format!("{user}@kubernetes")]].concat(),
                "run {run}"
            );
            // The old entries, byte for byte in value; the new ones are ours to write.
            for section in ["users", "contexts"] {
                let n = old[section].as_array().unwrap().len();
                expected[section] = Value::Array(now[section].as_array().unwrap()[..n].to_vec());
                assert_eq!(
                    expected[section], old[section],
                    "run {run}: an old {section} entry changed"
                );
                expected[section] = now[section].clone();
            }
        }
        Op::Remove(user) => {
            let context = format!("{user}@kubernetes");
            for (section, gone) in [("users", user), ("contexts", &context)] {
                let list = expected[section].as_array_mut().unwrap();
                list.retain(|e| e["name"] != gone.as_str());
            }
        }
    }
    assert_eq!(
        now, expected,
        "run {run} ({op:?}): not the expected new file"
    );
}

/// Poll (no fixed sleep) until the child's own temp file exists, or it has exited.
fn wait_for_temp_file(child: &mut Child, dir: &Path) {
    let ours = format!(".config.{}.", child.id());
    let deadline = Instant::now() + Duration::from_secs(120);
    while Instant::now() < deadline {
        if child.try_wait().unwrap().is_some()
            || temp_files(dir).iter().any(|t| t.starts_with(&ours))
        {
            return;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
}

fn temp_files(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".config.") && n.ends_with(".tmp"))
        .collect()
}

/// A kubeconfig as an admin has it: a cluster, users (token and unknown fields) and
/// their contexts, current context set.
fn big_kubeconfig(lane: usize) -> String {
    let mut text = String::from(
        "apiVersion: v1\nkind: Config\npreferences: {}\nclusters:\n- cluster:\n    server: https://127.0.0.1:1\n  name: kubernetes\n",
    );
    text.push_str("users:\n");
    for i in 0..USERS {
        let mut token = [0u8; 384];
        openssl::rand::rand_bytes(&mut token).unwrap();
        let token: String = token.iter().map(|b| format!("{b:02x}")).collect();
        text.push_str(&format!(
            "- name: user{lane}-{i:03}\n  user:\n    token: {token}\n  x-team: team{}\n",
            i % 7
        ));
    }
    text.push_str("contexts:\n");
    for i in 0..USERS {
        text.push_str(&format!(
            "- context:\n    cluster: kubernetes\n    namespace: ns{i}\n    user: user{lane}-{i:03}\n  name: user{lane}-{i:03}@kubernetes\n"
        ));
    }
    text.push_str(&format!("current-context: user{lane}-000@kubernetes\n"));
    text
}

/// A uniform random number below `n`.
fn random(n: u64) -> u64 {
    let mut bytes = [0u8; 8];
    openssl::rand::rand_bytes(&mut bytes).unwrap();
    u64::from_le_bytes(bytes) % n
}
