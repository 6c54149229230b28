//! The small manners a user notices: hints that paste, arguments read one way only, a missing
//! kubeconfig that says how to make one, a manual with every verb, results before warnings.

use crate::harness::Sandbox;

/// A name a shell splits (space) and whose quoting needs care (`'`).
const AWKWARD: &str = "John O'Brien";

fn add_local(sb: &Sandbox, user: &str, extra: &[&str]) -> crate::harness::Run {
    let (crt, key) = (sb.path("ca.crt"), sb.path("ca.key"));
    let mut args = vec![
        "add",
        user,
        "--ca-cert",
        crt.to_str().unwrap(),
        "--ca-key",
        key.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    sb.run(&args)
}

/// The text between the backticks of the first stderr line containing `marker`.
fn quoted_command<'a>(stderr: &'a str, marker: &str) -> &'a str {
    let line = stderr
        .lines()
        .find(|l| l.contains(marker))
        .unwrap_or_else(|| panic!("no line with {marker:?}:\n{stderr}"));
    let start = line.find('`').expect("a command in backticks") + 1;
    let end = start + line[start..].find('`').expect("closing backtick");
    &line[start..end]
}

/// Run a hint as a person would paste it: through `sh`, with the sandbox's kubeconfig.
fn paste(sb: &Sandbox, command: &str) -> std::process::Output {
    std::process::Command::new("sh")
        .args(["-c", command])
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", &sb.home)
        .env("KUBECONFIG", &sb.kubeconfig)
        .current_dir(sb.dir.path())
        .output()
        .expect("sh")
}

#[test]
fn hints_with_a_name_paste_into_a_shell_as_one_word() {
    let sb = Sandbox::new();
    sb.openssl_ca();
    sb.seed_kubeconfig();
    let run = add_local(&sb, AWKWARD, &["--no-check", "-n", "dev 1"]);
    let stderr = &run.ok().stderr;
    let quoted_user = r"'John O'\''Brien'";
    let grant = quoted_command(stderr, "create rolebinding");
    assert!(
        grant.contains(&format!("--user {quoted_user}")) && grant.contains("-n 'dev 1'"),
        "{grant}"
    );
    // kubectl itself reads the pasted grant as one binding for one user, in one namespace.
    let out = paste(&sb, &format!("{grant} --dry-run=client -o json"));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let binding: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(binding["subjects"][0]["name"], AWKWARD);
    assert_eq!(binding["metadata"]["namespace"], "dev 1");

    let switch = quoted_command(stderr, "use-context");
    let out = paste(&sb, switch);
    assert!(
        out.status.success(),
        "{switch}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let current = sb.kubectl(&["config", "current-context"]);
    assert_eq!(current.ok().stdout.trim(), format!("{AWKWARD}@kubernetes"));
}

#[test]
fn can_i_refuses_a_user_and_verb_without_a_resource() {
    let sb = Sandbox::new();
    sb.seed_kubeconfig();
    let run = sb.run(&["can-i", "alice", "list"]);
    run.fails_with("alice");
    assert!(
        run.stderr.contains("can-i alice list RESOURCE")
            || run.stderr.contains("can-i alice list pods"),
        "the hint shows both ways to ask:\n{}",
        run.stderr
    );
    assert!(
        !run.stderr.contains("verb alice"),
        "not read as the verb alice: {}",
        run.stderr
    );
}

#[test]
fn can_i_says_when_a_word_is_read_as_an_unusual_verb() {
    let sb = Sandbox::new();
    sb.seed_kubeconfig();
    // No server answers: the reading is said before the cluster is asked.
    let run = sb.run(&["can-i", "alice", "pods"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("verb \"alice\"") && run.stderr.contains("`can-i alice`"),
        "{}",
        run.stderr
    );
}

#[test]
fn add_refuses_check_with_no_check() {
    let sb = Sandbox::new();
    sb.openssl_ca();
    sb.seed_kubeconfig();
    let before = sb.snapshot();
    let run = add_local(&sb, "john", &["--check", "get:pods", "--no-check"]);
    run.fails_with("--no-check");
    assert!(run.stderr.contains("--check"), "{}", run.stderr);
    assert_eq!(sb.snapshot(), before, "nothing was written");
}

#[test]
fn no_kubeconfig_at_all_says_what_is_missing_and_how_to_make_it() {
    let sb = Sandbox::new();
    sb.openssl_ca();
    let run = add_local(&sb, "john", &[]);
    run.fails_with("does not exist");
    assert!(!run.stderr.contains("current-context"), "{}", run.stderr);
    let make = quoted_command(&run.stderr, "set-cluster");
    assert!(
        make.contains("kubectl config set-cluster NAME --server URL --certificate-authority"),
        "{make}"
    );
}

#[test]
fn a_missing_kubeconfig_flag_file_says_how_to_make_it() {
    let sb = Sandbox::new();
    sb.openssl_ca();
    let run = sb.run(&["--kubeconfig", "new kc", "list"]);
    run.fails_with("new kc does not exist");
    assert!(!run.stderr.contains("stat:"), "{}", run.stderr);
    let make = quoted_command(&run.stderr, "set-cluster");
    assert!(
        make.starts_with("kubectl --kubeconfig 'new kc' config set-cluster NAME --server URL"),
        "{make}"
    );
}

#[test]
fn the_man_page_has_every_verb_and_its_flags() {
    let sb = Sandbox::new();
    let help = sb.run(&["--help"]);
    assert!(
        help.ok()
            .stdout
            .lines()
            .any(|l| l.trim_start().starts_with("man ")),
        "man is in the command list:\n{}",
        help.stdout
    );
    let page = sb.run(&["man"]).ok().stdout.clone();
    for flag in [
        r"\-\-ca\-cert",
        r"\-\-no\-check",
        r"\-\-pki\-dir",
        r"\-\-kubeconfig\-in",
    ] {
        assert!(page.contains(flag), "the page lists {flag}");
    }
    // clap_mangen's own page pointed to `kubectl-certuser-add(1)` and the like: pages nobody installs.
    assert!(
        !page.contains("kubectl-certuser-")
            && !page.contains(r"kubectl\-certuser\-")
            && !page.contains("(1)"),
        "no reference to a page that does not exist"
    );
}

#[test]
fn remove_prints_what_it_did_before_warnings_and_hints() {
    let sb = Sandbox::new();
    sb.openssl_ca();
    sb.seed_kubeconfig();
    add_local(&sb, "john", &["--no-check", "--cert-dir", "certs"]).ok();
    let run = sb.run(&["remove", "john"]);
    let lines: Vec<&str> = run.ok().stderr.lines().collect();
    let last_done = lines.iter().rposition(|l| l.starts_with('✓')).unwrap();
    let first_note = lines
        .iter()
        .position(|l| l.starts_with("warning:") || l.starts_with("hint:"))
        .expect("remove warns that the certificate stays valid");
    assert!(last_done < first_note, "{}", run.stderr);
}
