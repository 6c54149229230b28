//! The command line itself: help with examples for every verb, completions, dry runs.

use crate::harness::{Sandbox, entry};

#[test]
fn every_verb_has_help_with_an_example() {
    let sb = Sandbox::new();
    for verb in [
        "add",
        "list",
        "inspect",
        "remove",
        "export",
        "whoami",
        "can-i",
        "demo",
        "completion",
    ] {
        let run = sb.run(&[verb, "--help"]);
        assert!(
            run.ok().stdout.contains("Examples:"),
            "{verb} --help has no example:\n{}",
            run.stdout
        );
        assert!(
            run.stdout.contains("--kubeconfig"),
            "{verb}: kubectl's global flags are there"
        );
    }
    let top = sb.run(&["--help"]);
    assert!(
        top.ok().stdout.contains("kubectl certuser"),
        "{}",
        top.stdout
    );
}

#[test]
fn completion_scripts_for_each_shell() {
    let sb = Sandbox::new();
    for shell in ["bash", "zsh", "fish", "powershell"] {
        let run = sb.run(&["completion", shell]);
        assert!(run.ok().stdout.contains("kubectl-certuser"), "{shell}");
    }
}

#[test]
fn dry_run_changes_nothing_and_shows_the_diff() {
    let sb = Sandbox::new();
    sb.openssl_ca();
    sb.seed_kubeconfig();
    let before = sb.snapshot();
    let (crt, key) = (sb.path("ca.crt"), sb.path("ca.key"));
    let run = sb.run(&[
        "add",
        "john",
        "-n",
        "dev1",
        "--dry-run",
        "--ca-cert",
        crt.to_str().unwrap(),
        "--ca-key",
        key.to_str().unwrap(),
    ]);
    let out = &run.ok().stdout;
    assert!(
        out.contains("+- name: john") || out.contains("+  name: john"),
        "{out}"
    );
    assert!(out.contains("john@kubernetes"), "{out}");
    assert!(before == sb.snapshot(), "--dry-run wrote something");
    assert!(entry(&sb.kubectl_view(), "users", "john").is_none());
}
