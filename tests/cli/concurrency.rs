//! Many `add`s at once on one kubeconfig: kubectl's lock file serializes them and every user
//! lands (kubectl itself fails at once when the lock is held; we wait our turn).

use crate::harness::{Sandbox, entry};

#[test]
fn twenty_concurrent_adds_keep_all_twenty_users() {
    let sb = Sandbox::new();
    sb.openssl_ca();
    sb.seed_kubeconfig();
    let (crt, key) = (sb.path("ca.crt"), sb.path("ca.key"));
    let children: Vec<_> = (0..20)
        .map(|i| {
            sb.certuser()
                .args([
                    "add",
                    &format!("user{i:02}"),
                    "-g",
                    "load",
                    "--key-type",
                    "ecdsa-p256",
                    "--no-check",
                    "-q",
                ])
                .args([
                    "--ca-cert",
                    crt.to_str().unwrap(),
                    "--ca-key",
                    key.to_str().unwrap(),
                ])
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for child in children {
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let view = sb.kubectl_view();
    for i in 0..20 {
        assert!(
            entry(&view, "users", &format!("user{i:02}")).is_some(),
            "user{i:02} was lost"
        );
        assert!(entry(&view, "contexts", &format!("user{i:02}@kubernetes")).is_some());
    }
    assert_eq!(view["users"].as_array().unwrap().len(), 21);
    assert!(
        !sb.path("config.lock").exists(),
        "the lock file is gone afterwards"
    );
}

#[test]
fn kubectl_is_refused_while_we_hold_the_lock_and_we_wait_for_kubectls() {
    let sb = Sandbox::new();
    sb.openssl_ca();
    sb.seed_kubeconfig();
    // A lock held by "another kubectl": we wait, and go on once it is released.
    let lock = sb.path("config.lock");
    std::fs::write(&lock, "").unwrap();
    let (crt, key) = (sb.path("ca.crt"), sb.path("ca.key"));
    let mut child = sb
        .certuser()
        .args([
            "add",
            "john",
            "--no-check",
            "--ca-cert",
            crt.to_str().unwrap(),
            "--ca-key",
            key.to_str().unwrap(),
        ])
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let before = sb.read(&sb.kubeconfig);
    // kubectl, meanwhile, gives up at once on the held lock.
    let refused = sb.kubectl(&["config", "set-credentials", "other", "--token", "x"]);
    assert_ne!(
        refused.code, 0,
        "kubectl should fail on a held lock: {refused:?}"
    );
    // While the lock is held we neither finish nor write. (A tool that ignored the lock would
    // be done in well under this window; one that waits is never wrongly caught by it.)
    let window = std::time::Instant::now();
    while window.elapsed() < std::time::Duration::from_secs(2) {
        assert!(
            child.try_wait().unwrap().is_none(),
            "finished while the lock was held"
        );
        assert_eq!(
            sb.read(&sb.kubeconfig),
            before,
            "wrote while the lock was held"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    std::fs::remove_file(&lock).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(entry(&sb.kubectl_view(), "users", "john").is_some());
}
