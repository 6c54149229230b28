//! Our writers and kubectl's on one kubeconfig at the same time. kubectl (client-go) takes the
//! same `<file>.lock` and gives up at once when it is held; we wait for it, and read the file
//! again under the lock. So: every `add` succeeds, every `kubectl config set-context` that
//! reported success is kept, and kubectl only ever fails on the lock, never on a half-written
//! file.
//!
//! What we cannot promise: kubectl v1.32 reads the kubeconfig *before* it takes the lock, then,
//! under the lock, deletes every entry that is in the file but was not in what it read
//! (client-go `ModifyConfig`). An entry written in between, by us or by another kubectl, is
//! dropped by kubectl's write. Two kubectls alone lose each other's contexts the same way. The
//! test therefore runs one kubectl at a time (so kubectl cannot drop kubectl's entries), and
//! allows an `add` to go missing only when it ran while a kubectl that succeeded was running.

use std::process::Stdio;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use crate::harness::{Sandbox, entry};

const ADDS: usize = 50;

struct Ran {
    name: String,
    start: Instant,
    end: Instant,
}

fn overlaps(a: &Ran, b: &Ran) -> bool {
    a.start < b.end && b.start < a.end
}

#[test]
fn fifty_adds_and_kubectl_set_context_at_once() {
    let sb = Sandbox::new();
    let (crt, key) = sb.openssl_ca();
    sb.seed_kubeconfig();
    let adds_done = AtomicBool::new(false);
    let (adds, kept, refused) = std::thread::scope(|scope| {
        let add_threads: Vec<_> = (0..ADDS)
            .map(|i| {
                let (sb, crt, key) = (&sb, &crt, &key);
                scope.spawn(move || {
                    let name = format!("racer{i:02}");
                    let start = Instant::now();
                    let out = sb
                        .certuser()
                        .args(["add", &name, "--key-type", "ecdsa-p256", "--no-check", "-q"])
                        .args(["--ca-cert", crt.to_str().unwrap()])
                        .args(["--ca-key", key.to_str().unwrap()])
                        .stdout(Stdio::null())
                        .output()
                        .unwrap();
                    assert!(
                        out.status.success(),
                        "add {name} failed: {}",
                        String::from_utf8_lossy(&out.stderr)
                    );
                    Ran {
                        name,
                        start,
                        end: Instant::now(),
                    }
                })
            })
            .collect();
        // Meanwhile kubectl, one run after another, until every add has finished, and a few
        // runs at least.
        let kubectl_thread = {
            let (sb, adds_done) = (&sb, &adds_done);
            scope.spawn(move || {
                let (mut kept, mut refused) = (Vec::new(), 0);
                for j in 0.. {
                    if adds_done.load(Ordering::SeqCst) && j >= 10 {
                        break;
                    }
                    let name = format!("kubectl-{j}");
                    let start = Instant::now();
                    let out = sb.kubectl(&[
                        "config",
                        "set-context",
                        &name,
                        "--cluster",
                        "kubernetes",
                        "--user",
                        "kubernetes-admin",
                        "--namespace",
                        &name,
                    ]);
                    let ran = Ran {
                        name,
                        start,
                        end: Instant::now(),
                    };
                    if out.code == 0 {
                        kept.push(ran);
                    } else {
                        assert!(
                            out.stderr.contains("config.lock"),
                            "kubectl failed for another reason than the held lock: {}",
                            out.stderr
                        );
                        refused += 1;
                    }
                }
                (kept, refused)
            })
        };
        let adds: Vec<Ran> = add_threads.into_iter().map(|t| t.join().unwrap()).collect();
        adds_done.store(true, Ordering::SeqCst);
        let (kept, refused) = kubectl_thread.join().unwrap();
        (adds, kept, refused)
    });

    let view = sb.kubectl_view();
    // Ours to guarantee: kubectl's successful writes all survive our writes.
    for ran in &kept {
        let context = entry(&view, "contexts", &ran.name).unwrap_or_else(|| {
            panic!("kubectl reported success for {}, and it was lost", ran.name)
        });
        assert_eq!(context["context"]["namespace"], ran.name.as_str());
    }
    // An add may only be missing through kubectl's stale write: user and context gone
    // together, while a successful kubectl was running.
    let mut dropped_by_kubectl = Vec::new();
    for add in &adds {
        let user = entry(&view, "users", &add.name).is_some();
        let context = entry(&view, "contexts", &format!("{}@kubernetes", add.name)).is_some();
        if user && context {
            continue;
        }
        assert!(
            !user && !context,
            "{} lost only its user or only its context: user {user}, context {context}",
            add.name
        );
        assert!(
            kept.iter().any(|k| overlaps(add, k)),
            "{} was lost with no kubectl write running at the same time",
            add.name
        );
        dropped_by_kubectl.push(add.name.clone());
    }
    println!(
        "kubectl race: {ADDS} adds all succeeded, {} kubectl set-context succeeded and were kept, \
         {refused} kubectl runs refused on the lock, adds dropped by kubectl's stale write: {dropped_by_kubectl:?}",
        kept.len()
    );
    assert!(!sb.path("config.lock").exists(), "no lock left behind");
}
