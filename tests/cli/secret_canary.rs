//! The secret canary: a kubeconfig seeded with unique strings as a token, a basic-auth password,
//! a client key and auth-provider secrets goes through every verb, with --dry-run, -o json|yaml,
//! -v/-vv and error paths. None of the strings may ever reach stdout or stderr.

use crate::harness::{Run, Sandbox, openssl};

/// The seeded secrets, and every form in which one could leak.
struct Canaries {
    needles: Vec<String>,
}

impl Canaries {
    /// Seed `users` (kubeconfig YAML list items) with the canaries, beside what `sb` has.
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
                format!("CANARY-"), // any canary at all, even cut short
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

fn with_ca<'a>(sb: &'a Sandbox, args: &[&'a str], paths: &'a [String; 2]) -> Vec<&'a str> {
    let _ = sb;
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
        let run = canaries.run(&sb, &with_ca(&sb, &args, &ca));
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
        canaries.run(&sb, &with_ca(&sb, &args, &ca)).ok();
    }
}
