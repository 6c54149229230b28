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
        "check-expiration",
        "renew",
        "request",
        "sign",
        "install",
        "doctor",
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

#[test]
fn man_page_is_generated_from_the_cli() {
    let sb = Sandbox::new();
    let run = sb.run(&["man"]);
    let page = &run.ok().stdout;
    assert!(page.contains(".TH kubectl-certuser 1"), "{page}");
    for verb in [
        "add", "list", "inspect", "remove", "export", "whoami", "can\\-i",
    ] {
        assert!(page.contains(verb), "the man page lists {verb}");
    }
    // Rendered by the real man tool when present.
    if std::process::Command::new("man")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
    {
        std::fs::write(sb.path("kubectl-certuser.1"), page).unwrap();
        let out = std::process::Command::new("man")
            .arg(sb.path("kubectl-certuser.1"))
            .env("MANPAGER", "cat")
            .output()
            .unwrap();
        assert!(String::from_utf8_lossy(&out.stdout).contains("kubectl certuser"));
    }
}

#[test]
fn closing_the_pipe_early_is_not_an_error() {
    use std::io::Read;
    let sb = Sandbox::new();
    let mut child = sb
        .certuser()
        .arg("man")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = [0u8; 10];
    child.stdout.take().unwrap().read_exact(&mut first).unwrap(); // then drop: the pipe closes
    let out = child.wait_with_output().unwrap();
    assert!(
        !String::from_utf8_lossy(&out.stderr).contains("error"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn kubectl_completes_user_names_through_the_plugin_protocol() {
    let sb = Sandbox::new();
    sb.openssl_ca();
    sb.seed_kubeconfig();
    let (crt, key) = (sb.path("ca.crt"), sb.path("ca.key"));
    sb.run(&[
        "add",
        "john",
        "jane",
        "--no-check",
        "--ca-cert",
        crt.to_str().unwrap(),
        "--ca-key",
        key.to_str().unwrap(),
    ])
    .ok();
    // As documented: a kubectl_complete-certuser link to the binary, on PATH.
    let bin = sb.path("bin");
    std::fs::create_dir_all(&bin).unwrap();
    std::os::unix::fs::symlink(crate::harness::BIN, bin.join("kubectl_complete-certuser")).unwrap();
    std::os::unix::fs::symlink(crate::harness::BIN, bin.join("kubectl-certuser")).unwrap();
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap());
    let complete = |args: &[&str]| {
        let out = std::process::Command::new("kubectl")
            .arg("__complete")
            .args(args)
            .env("PATH", &path)
            .env("KUBECONFIG", &sb.kubeconfig)
            .env("HOME", &sb.home)
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let users = complete(&["certuser", "inspect", "j"]);
    assert!(
        users.contains("jane\n") && users.contains("john\n") && !users.contains("kubernetes-admin"),
        "{users}"
    );
    let verbs = complete(&["certuser", ""]);
    assert!(
        verbs.contains("add\n")
            && verbs.contains("can-i\n")
            && verbs.contains("renew\n")
            && verbs.contains("check-expiration\n")
            && verbs.contains(":4"),
        "{verbs}"
    );
    // Flags and their values too, from the same definition as --help.
    let flags = complete(&["certuser", "add", "john", "--key"]);
    assert!(flags.contains("--key-type\n"), "{flags}");
    let types = complete(&["certuser", "add", "john", "--key-type", ""]);
    assert!(
        types.contains("ecdsa-p256\n") && types.contains("ed25519\n") && types.contains(":4"),
        "{types}"
    );
}

#[test]
fn colour_only_on_a_terminal_and_never_with_no_color() {
    let sb = Sandbox::new();
    sb.seed_kubeconfig(); // no certificate users: `list` prints a hint on stderr
    let on_terminal_run = |args: &str, no_color: bool| {
        // `script` gives the command a pseudo-terminal, as a person's shell would.
        let mut cmd = std::process::Command::new("script");
        cmd.args([
            "-qec",
            &format!("{} {args}", crate::harness::BIN),
            "/dev/null",
        ])
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", &sb.home)
        .env("KUBECONFIG", &sb.kubeconfig);
        if no_color {
            cmd.env("NO_COLOR", "1");
        }
        String::from_utf8_lossy(
            &cmd.output()
                .expect("script (util-linux) is installed")
                .stdout,
        )
        .into_owned()
    };
    let on_terminal = |no_color: bool| on_terminal_run("list", no_color);
    let coloured = on_terminal(false);
    assert!(coloured.contains("\x1b[36mhint:"), "{coloured:?}");
    // An error is as visible as a warning, and so is its fix.
    let failed = on_terminal_run("inspect nobody", false);
    assert!(
        failed.contains("\x1b[31merror:") && failed.contains("\x1b[36mhint:"),
        "{failed:?}"
    );
    let failed_plain = on_terminal_run("inspect nobody", true);
    assert!(
        failed_plain.contains("error:") && !failed_plain.contains('\x1b'),
        "{failed_plain:?}"
    );
    let plain = on_terminal(true);
    assert!(
        plain.contains("hint:") && !plain.contains('\x1b'),
        "{plain:?}"
    );
    let piped = sb.run(&["list"]);
    assert!(piped.stderr.contains("hint:") && !piped.stderr.contains('\x1b'));
    let piped_with_colour_allowed = sb
        .certuser()
        .env_remove("NO_COLOR")
        .arg("list")
        .output()
        .unwrap();
    assert!(
        !String::from_utf8_lossy(&piped_with_colour_allowed.stderr).contains('\x1b'),
        "no colour into a pipe"
    );
}
