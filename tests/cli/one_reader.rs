//! Cluster calls read the kubeconfig the way the editor does (one reader, kubectl's rules): the
//! real kubectl judges which context is meant, and nothing of the file leaks into an error.

use crate::harness::{Sandbox, entry};
use crate::support::fake_apiserver::{FakeApiServer, FakeOptions};

#[test]
fn an_empty_current_context_in_the_first_file_does_not_hide_the_second_files() {
    let server = FakeApiServer::start(FakeOptions::default());
    let sb = Sandbox::new();
    let (a, b) = (sb.path("a.yaml"), sb.path("b.yaml"));
    std::fs::write(&a, "apiVersion: v1\nkind: Config\ncurrent-context: \"\"\n").unwrap();
    server.admin_kubeconfig(&b, "kubernetes");
    let env = std::env::join_paths([&a, &b]).unwrap();
    let with_env = |mut cmd: std::process::Command| {
        cmd.env("KUBECONFIG", &env);
        cmd
    };
    // The judge: kubectl means b's context.
    let mut kubectl = std::process::Command::new("kubectl");
    kubectl
        .args(["config", "current-context"])
        .env("HOME", &sb.home)
        .env("KUBECONFIG", &env);
    let judged = kubectl.output().unwrap();
    assert_eq!(
        String::from_utf8_lossy(&judged.stdout).trim(),
        "kubernetes-admin@kubernetes"
    );

    let out = with_env(sb.certuser())
        .args(["add", "h1", "-n", "dev1"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("CertificateSigningRequest"), "{stderr}");
    // The new user went where kubectl puts new entries: the first existing file.
    let view: serde_json::Value =
        serde_saphyr::from_str(&std::fs::read_to_string(&a).unwrap()).unwrap();
    assert!(entry(&view, "users", "h1").is_some(), "{view}");
}

#[test]
fn relative_paths_resolve_against_the_file_that_names_them() {
    let server = FakeApiServer::start(FakeOptions::default());
    let sb = Sandbox::new();
    let generated = sb.path("generated");
    server.admin_kubeconfig(&generated, "kubernetes");
    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&generated).unwrap()).unwrap();
    let folder = sb.path("elsewhere");
    std::fs::create_dir_all(folder.join("pki")).unwrap();
    let data = |v: &serde_json::Value| crate::harness::decode(v);
    std::fs::write(
        folder.join("pki/ca.crt"),
        data(&doc["clusters"][0]["cluster"]["certificate-authority-data"]),
    )
    .unwrap();
    std::fs::write(
        folder.join("pki/admin.crt"),
        data(&doc["users"][0]["user"]["client-certificate-data"]),
    )
    .unwrap();
    std::fs::write(
        folder.join("pki/admin.key"),
        data(&doc["users"][0]["user"]["client-key-data"]),
    )
    .unwrap();
    std::fs::write(
        folder.join("config"),
        format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: kubernetes\n  cluster:\n    server: {}\n    certificate-authority: pki/ca.crt\nusers:\n- name: admin\n  user:\n    client-certificate: pki/admin.crt\n    client-key: pki/admin.key\ncontexts:\n- name: admin@kubernetes\n  context: {{cluster: kubernetes, user: admin}}\ncurrent-context: admin@kubernetes\n",
            server.url()
        ),
    )
    .unwrap();
    // The sandbox's working directory is not `elsewhere`: only resolving against the file works.
    let out = sb
        .certuser()
        .env("KUBECONFIG", folder.join("config"))
        .args(["whoami", "-o", "json"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let who: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(who["username"], "kubernetes-admin");
}

#[test]
fn a_kubeconfig_kube_cannot_use_is_named_without_echoing_any_line() {
    let sb = Sandbox::new();
    let text = "apiVersion: v1\nkind: Config\nclusters:\n- name: kubernetes\n  cluster:\n    server: https://127.0.0.1:1\n    insecure-skip-tls-verify: SECRET-TOKEN-123\nusers:\n- name: admin\n  user:\n    token: OTHER-SECRET-456\ncontexts:\n- name: admin@kubernetes\n  context: {cluster: kubernetes, user: admin}\ncurrent-context: admin@kubernetes\n";
    std::fs::write(&sb.kubeconfig, text).unwrap();
    for verb in [
        &["whoami"][..],
        &["can-i", "list", "pods"],
        &["add", "john"],
    ] {
        let run = sb.run(verb);
        run.fails_with("kubernetes");
        // Every line that holds a value (`key: value`), the kind a snippet would show.
        let valued = text.lines().map(str::trim).filter(|l| l.contains(": "));
        for line in valued {
            assert!(
                !run.stderr.contains(line),
                "{verb:?} echoed {line:?}:\n{}",
                run.stderr
            );
        }
        assert!(!run.stderr.contains("SECRET"), "{}", run.stderr);
    }
}
