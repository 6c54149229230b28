//! The secret canary: a kubeconfig seeded with unique strings as a token, a basic-auth password,
//! a client key and auth-provider secrets goes through every verb, with --dry-run, -o json|yaml,
//! -v/-vv and error paths. None of the strings may ever reach stdout or stderr.

use crate::harness::{Run, Sandbox, decode, entry, openssl};
use crate::support::fake_apiserver::{FakeApiServer, FakeOptions};

/// The seeded secrets, and every form in which one could leak.
struct Canaries {
    needles: Vec<String>,
}

impl Canaries {
    /// Add four users holding the canaries (and a context each) to `sb`'s kubeconfig.
    fn seed(sb: &Sandbox) -> Canaries {
        let key = sb.path("canary.key");
        openssl(&[
            "genpkey",
            "-algorithm",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-out",
            key.to_str().unwrap(),
        ])
        .ok();
        let pem = std::fs::read_to_string(&key).unwrap();
        std::fs::remove_file(&key).unwrap();
        let key_data = openssl::base64::encode_block(pem.as_bytes());
        let body_line = pem.lines().nth(1).unwrap().to_string();
        let mut random = [0u8; 6];
        openssl::rand::rand_bytes(&mut random).unwrap();
        let tag: String = random.iter().map(|b| format!("{b:02x}")).collect();
        let canary = |what: &str| format!("CANARY-{what}-{tag}");
        let users = format!(
            "- name: token-user
  user:
    token: {token}
- name: basic-user
  user:
    username: admin
    password: {password}
- name: key-user
  user:
    client-certificate-data: {cert}
    client-key-data: {key_data}
- name: oidc-user
  user:
    auth-provider:
      name: oidc
      config:
        client-id: kubernetes
        client-secret: {client_secret}
        id-token: {id_token}
        idp-issuer-url: https://issuer.example.com
        refresh-token: {refresh_token}
",
            token = canary("token"),
            password = canary("password"),
            cert = openssl::base64::encode_block(&sb.read(&sb.path("ca.crt"))),
            client_secret = canary("client-secret"),
            id_token = canary("id-token"),
            refresh_token = canary("refresh-token"),
        );
        let mut doc: serde_json::Value =
            serde_saphyr::from_str(&std::fs::read_to_string(&sb.kubeconfig).unwrap()).unwrap();
        let extra: serde_json::Value = serde_saphyr::from_str(&users).unwrap();
        let list = doc["users"].as_array_mut().expect("a users list");
        list.extend(extra.as_array().unwrap().iter().cloned());
        let contexts = doc["contexts"].as_array_mut().expect("a contexts list");
        for user in ["token-user", "basic-user", "key-user", "oidc-user"] {
            contexts.push(serde_json::json!({
                "name": format!("{user}@kubernetes"),
                "context": { "cluster": "kubernetes", "user": user, "namespace": "canary-ns" },
            }));
        }
        std::fs::write(&sb.kubeconfig, serde_json::to_string_pretty(&doc).unwrap()).unwrap();
        let middle = key_data[key_data.len() / 2..key_data.len() / 2 + 24].to_string();
        Canaries {
            needles: vec![
                canary("token"),
                canary("password"),
                canary("client-secret"),
                canary("id-token"),
                canary("refresh-token"),
                "CANARY-".to_string(), // any canary at all, even cut short
                tag,
                key_data,
                middle,
                body_line,
            ],
        }
    }

    /// Neither stdout nor stderr holds any canary.
    #[track_caller]
    fn assert_clean(&self, args: &[&str], run: &Run) {
        for needle in &self.needles {
            for (stream, text) in [("stdout", &run.stdout), ("stderr", &run.stderr)] {
                assert!(
                    !text.contains(needle.as_str()),
                    "{args:?} leaked {needle:?} on {stream}:\n{text}"
                );
            }
        }
    }

    /// Run and check; returns the run for further checks.
    #[track_caller]
    fn run(&self, sb: &Sandbox, args: &[&str]) -> Run {
        let run = sb.run(args);
        self.assert_clean(args, &run);
        run
    }
}

fn local_ca_sandbox() -> (Sandbox, Canaries) {
    let sb = Sandbox::new();
    sb.openssl_ca();
    sb.seed_kubeconfig();
    let canaries = Canaries::seed(&sb);
    (sb, canaries)
}

/// `args` signed by the sandbox's local CA.
fn with_ca<'a>(args: &[&'a str], paths: &'a [String; 2]) -> Vec<&'a str> {
    let mut all: Vec<&str> = args.to_vec();
    all.extend(["--ca-cert", &paths[0], "--ca-key", &paths[1]]);
    all
}

fn ca_paths(sb: &Sandbox) -> [String; 2] {
    [
        sb.path("ca.crt").display().to_string(),
        sb.path("ca.key").display().to_string(),
    ]
}

#[test]
fn dry_runs_never_show_a_secret() {
    let (sb, canaries) = local_ca_sandbox();
    let ca = ca_paths(&sb);
    for extra in [&[][..], &["-o", "json"], &["-o", "yaml"], &["-v"], &["-vv"]] {
        let mut args = vec!["add", "john", "-g", "dev1", "--dry-run"];
        args.extend_from_slice(extra);
        let run = canaries.run(&sb, &with_ca(&args, &ca));
        run.ok();
        assert!(run.stdout.contains("john"), "{}", run.stdout);
    }
    // A user beside the removed one, and the removed one itself (`--force`: users this tool
    // did not make are removed only on request).
    for user in ["token-user", "basic-user", "key-user", "oidc-user"] {
        for extra in [&[][..], &["-o", "json"], &["-o", "yaml"], &["-vv"]] {
            let mut args = vec!["remove", user, "--force", "--dry-run"];
            args.extend_from_slice(extra);
            canaries.run(&sb, &args).ok();
        }
    }
    // Replacing a user that has secrets shows what goes, not its secrets.
    for user in ["token-user", "key-user", "oidc-user"] {
        let args = vec!["add", user, "--force", "--dry-run"];
        canaries.run(&sb, &with_ca(&args, &ca)).ok();
    }
}

#[test]
fn every_local_verb_with_every_output_keeps_the_secrets() {
    let (sb, canaries) = local_ca_sandbox();
    let ca = ca_paths(&sb);
    let outputs: [&[&str]; 5] = [&[], &["-o", "json"], &["-o", "yaml"], &["-v"], &["-vv"]];
    for (i, extra) in outputs.iter().enumerate() {
        let name = format!("user{i}");
        let mut args = vec!["add", name.as_str(), "-g", "dev1", "--no-check"];
        args.extend_from_slice(extra);
        canaries.run(&sb, &with_ca(&args, &ca)).ok();
        for verb in [
            &["list"][..],
            &["inspect", "key-user"],
            &["inspect", name.as_str()],
        ] {
            let mut args = verb.to_vec();
            args.extend_from_slice(extra);
            canaries.run(&sb, &args).ok();
        }
        let file = format!("key-user-{i}.kubeconfig");
        let mut args = vec!["export", "key-user", "--file", file.as_str()];
        args.extend_from_slice(extra);
        canaries.run(&sb, &args).ok();
        let mut args = vec!["export", "key-user", "--dry-run"];
        args.extend_from_slice(extra);
        canaries.run(&sb, &args).ok();
    }
    // Error paths: each names its problem, none shows a secret.
    let refusals: [(&[&str], &str); 6] = [
        (&["inspect", "token-user"], "token-user"),
        (&["inspect", "oidc-user", "-o", "json"], "oidc-user"),
        (&["export", "token-user"], "token-user"),
        (&["export", "basic-user", "-vv"], "basic-user"),
        (&["remove", "nobody", "-vv"], "nobody"),
        (&["add", "token-user", "-vv"], "token-user"),
    ];
    for (args, needle) in refusals {
        let all = if args[0] == "add" {
            with_ca(args, &ca)
        } else {
            args.to_vec()
        };
        canaries.run(&sb, &all).fails_with(needle);
    }
    let bad_ca = [
        "add",
        "x",
        "--ca-cert",
        "ca.key",
        "--ca-key",
        "ca.crt",
        "-vv",
    ];
    canaries.run(&sb, &bad_ca).fails_with("ca.key");
    // A removed user: the message, the JSON, the verbose log.
    for (user, extra) in [
        ("token-user", &["-o", "json"][..]),
        ("basic-user", &["-o", "yaml"]),
        ("oidc-user", &["-vv"]),
        ("key-user", &[]),
    ] {
        // `--force`: these users were not made by this tool.
        let mut args = vec!["remove", user, "--force"];
        args.extend_from_slice(extra);
        canaries.run(&sb, &args).ok();
    }
}

#[test]
fn a_kubeconfig_that_does_not_parse_never_echoes_its_secrets() {
    let (sb, canaries) = local_ca_sandbox();
    let ca = ca_paths(&sb);
    let text = std::fs::read_to_string(&sb.kubeconfig).unwrap();
    // Break the YAML right after the secrets: a parser's snippet would show them.
    std::fs::write(&sb.kubeconfig, format!("{text}\n  - : [unclosed\n")).unwrap();
    for args in [
        vec!["list"],
        vec!["list", "-vv"],
        vec!["inspect", "key-user"],
        vec!["remove", "token-user", "--dry-run"],
        vec!["export", "key-user"],
    ] {
        canaries.run(&sb, &args).fails_with("config");
    }
    canaries
        .run(&sb, &with_ca(&["add", "john", "--dry-run", "-vv"], &ca))
        .fails_with("config");
}

#[test]
fn demo_output_holds_no_secret() {
    let (sb, canaries) = local_ca_sandbox();
    for (dir, extra) in [("d1", &[][..]), ("d2", &["-o", "json"]), ("d3", &["-vv"])] {
        let mut args = vec!["demo", dir];
        args.extend_from_slice(extra);
        let run = canaries.run(&sb, &args);
        run.ok();
        assert!(!run.stdout.contains("PRIVATE KEY") && !run.stderr.contains("PRIVATE KEY"));
    }
}

#[test]
fn through_the_csr_api_and_as_the_users_the_secrets_stay() {
    let server = FakeApiServer::start(FakeOptions::default());
    let sb = Sandbox::new();
    server.admin_kubeconfig(&sb.kubeconfig, "kubernetes");
    std::fs::write(sb.path("ca.crt"), server.ca_cert_pem()).unwrap();
    let canaries = Canaries::seed(&sb);
    for (i, extra) in [&[][..], &["-o", "json"], &["-o", "yaml"], &["-v"], &["-vv"]]
        .iter()
        .enumerate()
    {
        let name = format!("api{i}");
        let mut args = vec!["add", name.as_str(), "-g", "dev1", "-n", "dev1"];
        args.extend_from_slice(extra);
        let run = canaries.run(&sb, &args);
        run.ok();
        // Nor the new user's own key, which the access check used as its client credential.
        let view = sb.kubectl_view();
        let data = &entry(&view, "users", &name).unwrap()["user"]["client-key-data"];
        let key = data.as_str().unwrap().to_string();
        let pem = String::from_utf8(decode(data)).unwrap();
        let body_line = pem.lines().nth(1).unwrap().to_string();
        for secret in [&key[..40], &body_line, "PRIVATE KEY"] {
            assert!(
                !run.stdout.contains(secret) && !run.stderr.contains(secret),
                "{args:?} shows the new key"
            );
        }
        let mut args = vec!["add", "more", "--dry-run", "--clusterrole", "view"];
        args.extend_from_slice(extra);
        canaries.run(&sb, &args).ok();
        let mut args = vec!["whoami", name.as_str()];
        args.extend_from_slice(extra);
        canaries.run(&sb, &args).ok();
        let mut args = vec!["can-i", name.as_str(), "list", "pods"];
        args.extend_from_slice(extra);
        canaries.run(&sb, &args);
    }
    // As the canary users themselves: the server refuses them; the refusal shows no secret.
    for user in ["token-user", "basic-user", "key-user", "oidc-user"] {
        for verb in [
            vec!["whoami", user, "-vv"],
            vec!["can-i", user, "list", "pods", "-vv"],
        ] {
            let run = canaries.run(&sb, &verb);
            assert_ne!(run.code, 0, "{verb:?} as a user the fake does not know");
        }
    }
    // Their contexts as the current one: add signs with their credentials, and fails.
    for user in ["token-user", "oidc-user"] {
        let context = format!("{user}@kubernetes");
        canaries
            .run(&sb, &["add", "x", "--context", &context, "-vv"])
            .fails_with("");
    }
}
