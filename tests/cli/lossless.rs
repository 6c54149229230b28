//! Editing a user's kubeconfig loses nothing: other entries, unknown fields, extensions,
//! preferences and relative paths survive; new entries go where kubectl would put them.

use serde_json::Value;

use crate::harness::{Sandbox, entry};

const RICH: &str = include_str!("../fixtures/cli/rich.kubeconfig");

fn parse(text: &str) -> Value {
    serde_saphyr::from_str(text).expect("YAML")
}

/// Mask what changes every run: certificate and key bytes.
fn masked(mut doc: Value) -> Value {
    if let Some(users) = doc["users"].as_array_mut() {
        for user in users {
            for key in ["client-certificate-data", "client-key-data"] {
                if user["user"].get(key).is_some() {
                    user["user"][key] = Value::String("<masked>".into());
                }
            }
        }
    }
    doc
}

fn add_to_rich(sb: &Sandbox) {
    sb.openssl_ca();
    std::fs::write(&sb.kubeconfig, RICH).unwrap();
    let (crt, key) = (sb.path("ca.crt"), sb.path("ca.key"));
    sb.run(&[
        "add",
        "john",
        "-g",
        "dev1",
        "-n",
        "dev1",
        "--ca-cert",
        crt.to_str().unwrap(),
        "--ca-key",
        key.to_str().unwrap(),
        "--no-check",
    ])
    .ok();
}

#[test]
fn everything_else_survives_an_add() {
    let sb = Sandbox::new();
    add_to_rich(&sb);
    let text = std::fs::read_to_string(&sb.kubeconfig).unwrap();
    let (before, mut after) = (parse(RICH), parse(&text));
    // Take out exactly what add meant to add; the rest must be equal as values.
    let users = after["users"].as_array_mut().unwrap();
    let john = users.pop().unwrap();
    assert_eq!(john["name"], "john");
    let contexts = after["contexts"].as_array_mut().unwrap();
    assert_eq!(contexts.pop().unwrap()["name"], "john@kubernetes");
    assert_eq!(
        before, after,
        "the untouched parts of the kubeconfig changed"
    );
    // Relative paths are still relative, and values that look like other types kept their type.
    assert!(
        text.contains("pki/ca.crt") && !text.contains(&format!("{}/pki", sb.dir.path().display()))
    );
    assert_eq!(after["users"][2]["user"]["token"], "0123");
    assert_eq!(after["users"][2]["user"]["x-custom"], "yes");
}

#[test]
fn golden_file_after_add() {
    let sb = Sandbox::new();
    add_to_rich(&sb);
    let got = masked(parse(&std::fs::read_to_string(&sb.kubeconfig).unwrap()));
    let golden = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/cli/rich.after-add.json");
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&golden, serde_json::to_string_pretty(&got).unwrap() + "\n").unwrap();
    }
    let want: Value = serde_json::from_str(
        &std::fs::read_to_string(&golden).expect("golden file (UPDATE_GOLDEN=1 to write it)"),
    )
    .unwrap();
    assert_eq!(
        got,
        want,
        "differs from {} (UPDATE_GOLDEN=1 regenerates)",
        golden.display()
    );
}

#[test]
fn kubectl_reads_what_we_wrote_and_sees_every_entry() {
    let sb = Sandbox::new();
    add_to_rich(&sb);
    let view = sb.kubectl_view();
    for (section, name) in [
        ("clusters", "kubernetes"),
        ("clusters", "staging"),
        ("users", "gke-user"),
        ("users", "robot"),
        ("users", "john"),
        ("contexts", "staging"),
        ("contexts", "john@kubernetes"),
    ] {
        assert!(
            entry(&view, section, name).is_some(),
            "kubectl does not see {section}/{name}"
        );
    }
    assert_eq!(view["current-context"], "kubernetes-admin@kubernetes");
}

#[test]
fn several_files_new_entries_go_where_kubectl_puts_them() {
    // KUBECONFIG=missing:a:b — kubectl writes new entries to the first existing file (a), and
    // reads the cluster from b. We run kubectl on one copy of the files and us on another.
    let ours = Sandbox::new();
    let theirs = Sandbox::new();
    for sb in [&ours, &theirs] {
        std::fs::write(
            sb.path("a"),
            "apiVersion: v1\nkind: Config\nusers:\n- name: someone\n  user:\n    token: t\n",
        )
        .unwrap();
        std::fs::write(sb.path("b"), RICH).unwrap();
    }
    let chain = |sb: &Sandbox| {
        format!(
            "{}:{}:{}",
            sb.path("missing").display(),
            sb.path("a").display(),
            sb.path("b").display()
        )
    };

    ours.openssl_ca();
    let (crt, key) = (ours.path("ca.crt"), ours.path("ca.key"));
    let run = ours
        .certuser()
        .env("KUBECONFIG", chain(&ours))
        .args([
            "add",
            "john",
            "--ca-cert",
            crt.to_str().unwrap(),
            "--ca-key",
            key.to_str().unwrap(),
            "--no-check",
        ])
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );

    let kubectl = |args: &[&str]| {
        let out = std::process::Command::new("kubectl")
            .env("KUBECONFIG", chain(&theirs))
            .env("HOME", &theirs.home)
            .args(args)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    kubectl(&["config", "set-credentials", "john", "--token", "x"]);
    kubectl(&[
        "config",
        "set-context",
        "john@kubernetes",
        "--cluster",
        "kubernetes",
        "--user",
        "john",
    ]);

    for file in ["a", "b"] {
        let o = parse(&std::fs::read_to_string(ours.path(file)).unwrap());
        let t = parse(&std::fs::read_to_string(theirs.path(file)).unwrap());
        // kubectl rewrites lists sorted by name; we keep the file's order. Which file holds
        // which entries is the rule under test.
        let names = |v: &Value, s: &str| {
            let mut n: Vec<String> = v[s]
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|e| e["name"].as_str().map(String::from))
                        .collect()
                })
                .unwrap_or_default();
            n.sort();
            n
        };
        for section in ["users", "contexts", "clusters"] {
            assert_eq!(
                names(&o, section),
                names(&t, section),
                "file {file}, {section}: we and kubectl disagree"
            );
        }
    }
    assert!(!ours.path("missing").exists() && !theirs.path("missing").exists());
}

#[test]
fn an_entry_is_modified_in_the_file_that_defines_it() {
    let sb = Sandbox::new();
    sb.openssl_ca();
    std::fs::write(sb.path("a"), "apiVersion: v1\nkind: Config\nclusters: []\n").unwrap();
    std::fs::write(sb.path("b"), RICH.replace("- name: robot", "- name: john")).unwrap();
    let (crt, key) = (sb.path("ca.crt"), sb.path("ca.key"));
    let chain = format!("{}:{}", sb.path("a").display(), sb.path("b").display());
    let run = sb
        .certuser()
        .env("KUBECONFIG", &chain)
        .args([
            "add",
            "john",
            "--force",
            "--ca-cert",
            crt.to_str().unwrap(),
            "--ca-key",
            key.to_str().unwrap(),
            "--no-check",
        ])
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let b = parse(&std::fs::read_to_string(sb.path("b")).unwrap());
    let john = b["users"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["name"] == "john")
        .unwrap();
    assert!(
        john["user"].get("client-certificate-data").is_some(),
        "replaced in b, where john was defined"
    );
    let a = parse(&std::fs::read_to_string(sb.path("a")).unwrap());
    assert!(
        a["users"]
            .as_array()
            .map(|u| u.iter().all(|e| e["name"] != "john"))
            .unwrap_or(true),
        "not duplicated into a"
    );
}

#[test]
fn reading_several_files_first_definition_wins_as_in_kubectl() {
    let sb = Sandbox::new();
    sb.openssl_ca();
    let (crt, key) = (sb.path("ca.crt"), sb.path("ca.key"));
    // The same user name in a and b, with different certificates.
    for (file, group) in [("a", "from-a"), ("b", "from-b")] {
        let kc = sb.path(file);
        std::fs::write(&kc, "apiVersion: v1\nkind: Config\nclusters:\n- name: kubernetes\n  cluster:\n    server: https://127.0.0.1:1\n").unwrap();
        let status = sb
            .certuser()
            .args([
                "--kubeconfig",
                kc.to_str().unwrap(),
                "--cluster",
                "kubernetes",
                "add",
                "u",
                "-g",
                group,
                "--no-check",
                "-q",
            ])
            .args([
                "--ca-cert",
                crt.to_str().unwrap(),
                "--ca-key",
                key.to_str().unwrap(),
            ])
            .status()
            .unwrap();
        assert!(status.success());
    }
    let chain = format!("{}:{}", sb.path("a").display(), sb.path("b").display());
    let ours = sb
        .certuser()
        .env("KUBECONFIG", &chain)
        .args(["inspect", "u", "-o", "json"])
        .output()
        .unwrap();
    let ours: Value = serde_json::from_slice(&ours.stdout).unwrap();
    let theirs = std::process::Command::new("kubectl")
        .env("KUBECONFIG", &chain)
        .args(["config", "view", "--raw", "-o", "json"])
        .output()
        .unwrap();
    let theirs: Value = serde_json::from_slice(&theirs.stdout).unwrap();
    let cert = crate::harness::decode(
        &entry(&theirs, "users", "u").unwrap()["user"]["client-certificate-data"],
    );
    let subject = crate::harness::openssl_stdin(&["x509", "-noout", "-subject"], &cert);
    assert!(subject.ok().stdout.contains("from-a"), "kubectl reads a's");
    assert_eq!(
        ours["groups"],
        serde_json::json!(["from-a"]),
        "and so do we"
    );
}

#[test]
fn a_kubeconfig_written_by_kubectl_config_set_is_edited_without_loss() {
    let sb = Sandbox::new();
    sb.openssl_ca();
    let ca = sb.path("ca.crt");
    for args in [
        vec![
            "config",
            "set-cluster",
            "kubernetes",
            "--server",
            "https://10.0.0.1:6443",
            "--embed-certs",
            "--certificate-authority",
            ca.to_str().unwrap(),
        ],
        vec![
            "config",
            "set-cluster",
            "staging",
            "--server",
            "https://staging:6443",
            "--insecure-skip-tls-verify",
        ],
        vec!["config", "set-credentials", "robot", "--token", "0123"],
        vec![
            "config",
            "set-credentials",
            "sso",
            "--exec-command",
            "kubelogin",
            "--exec-api-version",
            "client.authentication.k8s.io/v1",
            "--exec-arg",
            "get-token",
        ],
        vec![
            "config",
            "set-context",
            "staging",
            "--cluster",
            "staging",
            "--user",
            "robot",
            "--namespace",
            "apps",
        ],
        vec![
            "config",
            "set-context",
            "prod",
            "--cluster",
            "kubernetes",
            "--user",
            "sso",
        ],
        vec!["config", "use-context", "prod"],
        vec!["config", "set", "preferences.colors", "true"],
    ] {
        sb.kubectl(&args).ok();
    }
    let before = parse(&std::fs::read_to_string(&sb.kubeconfig).unwrap());
    let kubectl_before = sb.kubectl_view();
    let key = sb.path("ca.key");
    sb.run(&[
        "add",
        "john",
        "--cluster",
        "kubernetes",
        "-n",
        "dev1",
        "--ca-cert",
        ca.to_str().unwrap(),
        "--ca-key",
        key.to_str().unwrap(),
        "--no-check",
    ])
    .ok();

    let mut after = parse(&std::fs::read_to_string(&sb.kubeconfig).unwrap());
    let drop_named = |doc: &mut Value, section: &str, name: &str| {
        doc[section]
            .as_array_mut()
            .unwrap()
            .retain(|e| e["name"] != name);
    };
    drop_named(&mut after, "users", "john");
    drop_named(&mut after, "contexts", "john@kubernetes");
    assert_eq!(before, after, "everything kubectl wrote is kept, as values");
    // And kubectl itself sees its old entries unchanged.
    let mut kubectl_after = sb.kubectl_view();
    drop_named(&mut kubectl_after, "users", "john");
    drop_named(&mut kubectl_after, "contexts", "john@kubernetes");
    assert_eq!(kubectl_before, kubectl_after);
}

/// A kubeconfig of many certificate users with embedded data, in the layout kubectl writes (the
/// shape of issue 10's 10,000-user file, smaller): each user's base64 distinct.
pub(crate) fn many_embedded_users(n: usize) -> String {
    let data = |seed: usize| {
        let bytes: Vec<u8> = (0..1600usize).map(|i| ((i * 7) ^ seed) as u8).collect();
        openssl::base64::encode_block(&bytes)
    };
    let mut text = format!(
        "apiVersion: v1\nclusters:\n- cluster:\n    certificate-authority-data: {}\n    server: https://127.0.0.1:1\n  name: kubernetes\ncontexts:\n",
        data(99_999)
    );
    for i in 0..n {
        text.push_str(&format!(
            "- context:\n    cluster: kubernetes\n    user: user{i:05}\n  name: user{i:05}@kubernetes\n"
        ));
    }
    text.push_str("current-context: user00000@kubernetes\nkind: Config\npreferences: {}\nusers:\n");
    for i in 0..n {
        text.push_str(&format!(
            "- name: user{i:05}\n  user:\n    client-certificate-data: {}\n    client-key-data: {}\n",
            data(2 * i),
            data(2 * i + 1)
        ));
    }
    text
}

#[test]
fn an_add_to_a_kubeconfig_of_many_embedded_users_changes_no_other_byte() {
    let sb = Sandbox::new();
    let (crt, key) = sb.openssl_ca();
    let original = many_embedded_users(300);
    std::fs::write(&sb.kubeconfig, &original).unwrap();
    let before = sb.kubectl_view();
    sb.run(&[
        "add",
        "newcomer",
        "-q",
        "--no-check",
        "--ca-cert",
        crt.to_str().unwrap(),
        "--ca-key",
        key.to_str().unwrap(),
    ])
    .ok();
    // The real kubectl reads every other entry exactly as before (its view lists them sorted by
    // name), and the new ones.
    let mut after = sb.kubectl_view();
    for (list, name) in [("users", "newcomer"), ("contexts", "newcomer@kubernetes")] {
        let items = after[list].as_array_mut().unwrap();
        let position = items.iter().position(|c| c["name"] == name);
        let new = items.remove(position.unwrap_or_else(|| panic!("kubectl sees {name}")));
        assert!(new.to_string().contains("newcomer"), "{list}/{name}");
    }
    assert_eq!(before, after, "an entry other than the new ones changed");
    // And the file is the original with the new lines written in: byte for byte elsewhere.
    let text = std::fs::read_to_string(&sb.kubeconfig).unwrap();
    let context_at = text
        .find("- context:\n    cluster: kubernetes\n    user: newcomer\n")
        .unwrap();
    let context_end = context_at
        + text[context_at..]
            .find("name: newcomer@kubernetes\n")
            .unwrap()
        + "name: newcomer@kubernetes\n".len();
    let user_at = text.find("- name: newcomer\n").unwrap();
    let without = format!("{}{}", &text[..context_at], &text[context_end..user_at]);
    assert_eq!(without, original, "the text around the new entries changed");
}
