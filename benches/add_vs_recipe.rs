//! `cargo bench`: `kubectl certuser add` against the manual openssl + kubectl recipe it
//! replaces, in one run on one machine, reported as medians and ratios.
//!
//! Sequential: one user at a time, RSA 2048 (the recipe's and our default).
//! Concurrent: N users at once on one kubeconfig, the way a provisioning script fans out; it
//! reports the wall time and how many users each approach actually kept.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_kubectl-certuser");

fn main() {
    let rounds: usize = std::env::var("BENCH_ROUNDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(10);
    let fan_out: usize = std::env::var("BENCH_CONCURRENT")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(20);
    let dir = tempfile::tempdir().unwrap();
    let (ca_crt, ca_key) = make_ca(dir.path());

    let recipe_median = time_rounds(rounds, |i, kc| {
        recipe(dir.path(), &ca_crt, &ca_key, kc, &format!("r{i}"))
    });
    let ours_median = time_rounds(rounds, |i, kc| {
        certuser(&ca_crt, &ca_key, kc, &format!("c{i}"))
    });
    println!("one user, RSA 2048, local CA, {rounds} rounds (median):");
    println!(
        "  manual recipe (openssl x3 + kubectl x2)   {:>8.1} ms",
        ms(recipe_median)
    );
    println!(
        "  kubectl certuser add                      {:>8.1} ms",
        ms(ours_median)
    );
    println!(
        "  ratio recipe / certuser                   {:>8.2}x",
        ms(recipe_median) / ms(ours_median)
    );

    let (recipe_time, recipe_kept) = concurrent(fan_out, dir.path(), |i, kc| {
        recipe(dir.path(), &ca_crt, &ca_key, kc, &format!("cr{i}"))
    });
    let (ours_time, ours_kept) = concurrent(fan_out, dir.path(), |i, kc| {
        certuser(&ca_crt, &ca_key, kc, &format!("cc{i}"))
    });
    println!("{fan_out} users at once on one kubeconfig:");
    println!(
        "  manual recipe         {:>8.1} ms   users kept {recipe_kept}/{fan_out}",
        ms(recipe_time)
    );
    println!(
        "  kubectl certuser add  {:>8.1} ms   users kept {ours_kept}/{fan_out}",
        ms(ours_time)
    );
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Median time of `rounds` runs, each on a fresh kubeconfig with the admin entries in it.
fn time_rounds(rounds: usize, run: impl Fn(usize, &Path) -> Vec<Command>) -> Duration {
    let mut times = Vec::new();
    for i in 0..rounds {
        let dir = tempfile::tempdir().unwrap();
        let kc = seed(dir.path());
        let start = Instant::now();
        for mut cmd in run(i, &kc) {
            let status = cmd
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .unwrap();
            assert!(status.success(), "{cmd:?}");
        }
        times.push(start.elapsed());
    }
    times.sort();
    times[times.len() / 2]
}

/// Run N command sequences at once; return wall time and how many users the kubeconfig kept.
fn concurrent(
    n: usize,
    _base: &Path,
    run: impl Fn(usize, &Path) -> Vec<Command> + Sync,
) -> (Duration, usize) {
    let dir = tempfile::tempdir().unwrap();
    let kc = seed(dir.path());
    let start = Instant::now();
    std::thread::scope(|s| {
        for i in 0..n {
            let (run, kc) = (&run, &kc);
            s.spawn(move || {
                for mut cmd in run(i, kc) {
                    // kubectl fails at once on a held lock: that failure is what we measure.
                    let _ = cmd.stdout(Stdio::null()).stderr(Stdio::null()).status();
                }
            });
        }
    });
    let elapsed = start.elapsed();
    let view = Command::new("kubectl")
        .args(["config", "view", "-o", "jsonpath={.users[*].name}"])
        .env("KUBECONFIG", &kc)
        .output()
        .unwrap();
    let kept = String::from_utf8_lossy(&view.stdout)
        .split_whitespace()
        .filter(|u| *u != "admin")
        .count();
    (elapsed, kept)
}

fn seed(dir: &Path) -> PathBuf {
    let kc = dir.join("config");
    for args in [
        &[
            "config",
            "set-cluster",
            "kubernetes",
            "--server",
            "https://127.0.0.1:1",
        ][..],
        &["config", "set-credentials", "admin", "--token", "t"],
        &[
            "config",
            "set-context",
            "admin@kubernetes",
            "--cluster",
            "kubernetes",
            "--user",
            "admin",
        ],
        &["config", "use-context", "admin@kubernetes"],
    ] {
        assert!(
            Command::new("kubectl")
                .args(args)
                .env("KUBECONFIG", &kc)
                .stdout(Stdio::null())
                .status()
                .unwrap()
                .success()
        );
    }
    kc
}

fn make_ca(dir: &Path) -> (PathBuf, PathBuf) {
    let (crt, key) = (dir.join("ca.crt"), dir.join("ca.key"));
    let ok = Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-subj",
            "/CN=kubernetes",
            "-days",
            "3650",
        ])
        .args([
            "-addext",
            "basicConstraints=critical,CA:TRUE",
            "-addext",
            "keyUsage=critical,keyCertSign",
        ])
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&crt)
        .stderr(Stdio::null())
        .status()
        .unwrap();
    assert!(ok.success());
    (crt, key)
}

/// The seed recipe, verbatim, with embedded credentials so the kubeconfig is self-contained like ours.
fn recipe(dir: &Path, ca_crt: &Path, ca_key: &Path, kc: &Path, user: &str) -> Vec<Command> {
    let key = dir.join(format!("{user}.key"));
    let csr = dir.join(format!("{user}.csr"));
    let crt = dir.join(format!("{user}.crt"));
    let serial = dir.join(format!("{user}.srl"));
    let mut cmds = Vec::new();
    let mut c = Command::new("openssl");
    c.args(["genrsa", "-out"]).arg(&key).arg("2048");
    cmds.push(c);
    let mut c = Command::new("openssl");
    c.args(["req", "-new", "-key"])
        .arg(&key)
        .arg("-out")
        .arg(&csr)
        .args(["-subj", &format!("/CN={user}/O=dev1")]);
    cmds.push(c);
    let mut c = Command::new("openssl");
    c.args(["x509", "-req", "-in"])
        .arg(&csr)
        .arg("-CA")
        .arg(ca_crt)
        .arg("-CAkey")
        .arg(ca_key)
        .arg("-CAserial")
        .arg(&serial)
        .arg("-CAcreateserial")
        .arg("-out")
        .arg(&crt)
        .args(["-days", "365"]);
    cmds.push(c);
    let mut c = Command::new("kubectl");
    c.args(["config", "set-credentials", user, "--embed-certs"])
        .arg(format!("--client-certificate={}", crt.display()))
        .arg(format!("--client-key={}", key.display()))
        .env("KUBECONFIG", kc);
    cmds.push(c);
    let mut c = Command::new("kubectl");
    c.args([
        "config",
        "set-context",
        &format!("{user}@kubernetes"),
        "--cluster=kubernetes",
        "--namespace=dev1",
        &format!("--user={user}"),
    ])
    .env("KUBECONFIG", kc);
    cmds.push(c);
    cmds
}

fn certuser(ca_crt: &Path, ca_key: &Path, kc: &Path, user: &str) -> Vec<Command> {
    let mut c = Command::new(BIN);
    c.args([
        "add",
        user,
        "-g",
        "dev1",
        "-n",
        "dev1",
        "--no-check",
        "-q",
        "--ca-cert",
    ])
    .arg(ca_crt)
    .arg("--ca-key")
    .arg(ca_key)
    .env("KUBECONFIG", kc)
    // The ledger beside the benchmark's kubeconfig: measured, and never the real home's.
    .env("CERTUSER_LEDGER", kc.with_file_name("ledger.jsonl"));
    vec![c]
}
