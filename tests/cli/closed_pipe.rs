//! Output into a pipe the reader already closed (`... | head -1`): never a panic (exit 101),
//! never an error message, whatever the verb writes.

use std::process::Stdio;

use crate::harness::Sandbox;

/// Run `args` with stdout a pipe whose read end is closed before the child writes.
fn into_closed_pipe(sb: &Sandbox, args: &[&str]) -> (i32, String) {
    let mut child = sb
        .certuser()
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take()); // the reader is gone: every write gets EPIPE
    let out = child.wait_with_output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn completion_into_a_closed_pipe_never_panics() {
    let sb = Sandbox::new();
    for shell in ["fish", "bash", "zsh"] {
        for _ in 0..20 {
            let (code, stderr) = into_closed_pipe(&sb, &["completion", shell]);
            assert_eq!(code, 0, "completion {shell}: exit {code}\n{stderr}");
            assert!(stderr.is_empty(), "completion {shell}: {stderr}");
        }
    }
}

#[test]
fn man_into_a_closed_pipe_is_quiet() {
    let sb = Sandbox::new();
    for _ in 0..5 {
        let (code, stderr) = into_closed_pipe(&sb, &["man"]);
        assert_eq!(code, 0, "{stderr}");
        assert!(stderr.is_empty(), "{stderr}");
    }
}

/// stderr gone (its reader closed, or the terminal of a `nohup`ed run hung up): the messages are
/// lost, never the work. An `add` still writes the kubeconfig and records the certificate in the
/// ledger, and succeeds, instead of panicking between the two.
#[test]
fn add_with_stderr_gone_still_records_what_it_issued() {
    let sb = Sandbox::new();
    sb.seed_kubeconfig();
    let (crt, key) = sb.openssl_ca();
    let mut child = sb
        .certuser()
        .args(["add", "john", "--no-check", "--ca-cert"])
        .arg(&crt)
        .arg("--ca-key")
        .arg(&key)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stderr.take()); // every write to stderr gets EPIPE
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(0), "{status:?}");
    assert!(sb.kubectl_view()["users"].to_string().contains("john"));
    let ledger =
        std::fs::read_to_string(sb.home.join(".local/share/kubectl-certuser/ledger.jsonl"))
            .unwrap_or_default();
    assert!(
        ledger.contains("\"john\""),
        "the ledger lost john: {ledger}"
    );
}
