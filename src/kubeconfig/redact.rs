//! What of a kubeconfig may be shown. Dry-run diffs, `-o json|yaml` dumps and `Debug` output are
//! built from a redacted copy, never from the document itself: a secret that is never in the
//! text cannot leak from it.
//!
//! In a user entry only fields known to hold no credential are shown as they are (paths, names,
//! the exec command); credentials (`client-key-data`, `token`, `password`, every
//! `auth-provider` config value, exec `env` values, the value of an exec argument flag that
//! names a credential such as `--token=`) and any field we do not know become
//! `<redacted>`. Certificate data is public, but a 1.5 kB base64 line makes a diff unreadable:
//! it is shortened to a fingerprint, so a changed certificate still shows as a changed line.

use serde_json::{Map, Value};

/// What a secret value is replaced with.
pub const REDACTED: &str = "<redacted>";
/// Placeholders a dry run puts where the certificate and key will be: shown as they are.
pub const PENDING_CERTIFICATE: &str = "<certificate issued when run for real>";
pub const PENDING_KEY: &str = "<private key generated when run for real>";

/// User fields that hold no secret: shown as they are.
const PLAIN_USER_FIELDS: [&str; 8] = [
    "client-certificate",
    "client-key",
    "username",
    "tokenFile",
    "as",
    "as-uid",
    "as-groups",
    "extensions",
];
/// User fields whose value is a credential, whatever its shape.
const SECRET_USER_FIELDS: [&str; 3] = ["client-key-data", "token", "password"];
/// Exec plugin fields that hold no secret (`env` values may: they are redacted one by one).
const PLAIN_EXEC_FIELDS: [&str; 5] = [
    "apiVersion",
    "command",
    "installHint",
    "provideClusterInfo",
    "interactiveMode",
];

/// A copy of a whole kubeconfig document that is safe to print.
pub fn redact_document(root: &Map<String, Value>) -> Map<String, Value> {
    let mut copy = root.clone();
    for (list, body_key) in [("users", "user"), ("clusters", "cluster")] {
        let Some(Value::Array(items)) = copy.get_mut(list) else {
            continue;
        };
        for item in items.iter_mut() {
            let Some(item) = item.as_object_mut() else {
                continue;
            };
            for (key, value) in item.iter_mut() {
                match (key.as_str(), value) {
                    ("name", _) => {}
                    (k, Value::Object(body)) if k == body_key => {
                        *body = if list == "users" {
                            redact_user(body)
                        } else {
                            redact_cluster(body)
                        }
                    }
                    // Anything else beside the body of a user is unknown: not shown.
                    (_, value) if list == "users" => *value = REDACTED.into(),
                    _ => {}
                }
            }
        }
    }
    copy
}

/// A user entry's body (`users[].user`) that is safe to print.
pub fn redact_user(body: &Map<String, Value>) -> Map<String, Value> {
    body.iter()
        .map(|(key, value)| {
            let shown = match key.as_str() {
                k if PLAIN_USER_FIELDS.contains(&k) => value.clone(),
                "client-certificate-data" => certificate_summary(value),
                "exec" => redact_exec(value),
                "auth-provider" => redact_auth_provider(value),
                // client-key-data, token, password, and any field we do not know.
                _ => secret(value),
            };
            (key.clone(), shown)
        })
        .collect()
}

/// True when a user body carries credential material of its own (not just file paths).
pub fn holds_secret(body: &Map<String, Value>) -> bool {
    SECRET_USER_FIELDS
        .iter()
        .any(|k| body.get(*k).is_some_and(|v| !v.is_null()))
        || body.contains_key("auth-provider")
}

fn redact_cluster(body: &Map<String, Value>) -> Map<String, Value> {
    body.iter()
        .map(|(key, value)| {
            let shown = match (key.as_str(), value) {
                ("certificate-authority-data", _) => certificate_summary(value),
                // `https://user:password@proxy:3128`: the userinfo is a credential.
                ("server" | "proxy-url", Value::String(url)) => without_userinfo(url).into(),
                _ => value.clone(),
            };
            (key.clone(), shown)
        })
        .collect()
}

/// Exec arguments are shown, except the value of a flag that names a credential
/// (`--token=X`, `--client-secret X`, `--password=X`...), which is a secret on a command line.
fn redact_args(args: &[Value]) -> Vec<Value> {
    let sensitive = |flag: &str| {
        let flag = flag.to_ascii_lowercase();
        ["token", "secret", "password", "passwd", "key", "credential"]
            .iter()
            .any(|word| flag.contains(word))
    };
    let mut after_sensitive_flag = false;
    args.iter()
        .map(|arg| {
            let Value::String(text) = arg else {
                return secret(arg);
            };
            let is_flag = text.starts_with('-');
            let shown = match text.split_once('=') {
                _ if after_sensitive_flag && !is_flag => secret(arg),
                Some((flag, _)) if is_flag && sensitive(flag) => {
                    Value::String(format!("{flag}=<redacted>"))
                }
                _ => arg.clone(),
            };
            after_sensitive_flag = is_flag && !text.contains('=') && sensitive(text);
            shown
        })
        .collect()
}

fn redact_exec(exec: &Value) -> Value {
    let Value::Object(exec) = exec else {
        return secret(exec);
    };
    exec.iter()
        .map(|(key, value)| {
            let shown = match (key.as_str(), value) {
                (k, _) if PLAIN_EXEC_FIELDS.contains(&k) => value.clone(),
                ("args", Value::Array(args)) => Value::Array(redact_args(args)),
                ("env", Value::Array(vars)) => Value::Array(
                    vars.iter()
                        .map(|var| match var {
                            Value::Object(var) => Value::Object(
                                var.iter()
                                    .map(|(k, v)| {
                                        let v = if k == "name" { v.clone() } else { secret(v) };
                                        (k.clone(), v)
                                    })
                                    .collect(),
                            ),
                            other => secret(other),
                        })
                        .collect(),
                ),
                _ => secret(value),
            };
            (key.clone(), shown)
        })
        .collect::<Map<_, _>>()
        .into()
}

/// `auth-provider: {name, config}`: the name is shown, every config value is not (id-token,
/// refresh-token, client-secret, access-token, and whatever a provider adds).
fn redact_auth_provider(provider: &Value) -> Value {
    let Value::Object(provider) = provider else {
        return secret(provider);
    };
    provider
        .iter()
        .map(|(key, value)| {
            let shown = match (key.as_str(), value) {
                ("name", _) => value.clone(),
                ("config", Value::Object(config)) => {
                    Value::Object(config.iter().map(|(k, v)| (k.clone(), secret(v))).collect())
                }
                _ => secret(value),
            };
            (key.clone(), shown)
        })
        .collect::<Map<_, _>>()
        .into()
}

fn secret(value: &Value) -> Value {
    match value {
        // Empty is not a secret, and shows that the field is unset.
        Value::Null => Value::Null,
        Value::String(s) if s.is_empty() => value.clone(),
        Value::String(s) if s == PENDING_KEY => value.clone(),
        _ => REDACTED.into(),
    }
}

/// `<certificate data, sha256 1a2b3c4d5e6f7a8b>`: short, and different for another certificate.
fn certificate_summary(value: &Value) -> Value {
    match value {
        Value::String(s) if s.is_empty() || s == PENDING_CERTIFICATE => value.clone(),
        Value::String(s) => {
            let digest = openssl::sha::sha256(s.as_bytes());
            let short: String = digest[..8].iter().map(|b| format!("{b:02x}")).collect();
            format!("<certificate data, sha256 {short}>").into()
        }
        Value::Null => Value::Null,
        _ => REDACTED.into(),
    }
}

fn without_userinfo(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    match rest[..authority_end].rfind('@') {
        Some(at) => format!("{scheme}://{REDACTED}@{}", &rest[at + 1..]),
        None => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CANARY: &str = "CANARY-7f3a9c";

    fn doc(text: &str) -> Map<String, Value> {
        serde_saphyr::from_str::<Value>(text)
            .unwrap()
            .as_object()
            .unwrap()
            .clone()
    }

    #[test]
    fn every_credential_of_every_user_is_hidden() {
        let root = doc(&format!(
            "users:
- name: token
  user: {{token: {CANARY}-t}}
- name: basic
  user: {{username: admin, password: {CANARY}-p}}
- name: cert
  user: {{client-certificate-data: QUJD, client-key-data: {CANARY}-k}}
- name: oidc
  user:
    auth-provider:
      name: oidc
      config: {{id-token: {CANARY}-i, refresh-token: {CANARY}-r, client-secret: {CANARY}-s, client-id: kube}}
- name: exec
  user:
    exec: {{command: aws, args: [eks, get-token, '--token={CANARY}-a1', --client-secret, '{CANARY}-a2', --region, eu-1], env: [{{name: AWS_SECRET, value: {CANARY}-e}}], x-new: {CANARY}-x}}
- name: odd
  user: {{x-unknown: {CANARY}-u, client-key: /keys/odd.key}}
  x-beside: {CANARY}-b
clusters:
- name: c
  cluster: {{server: 'https://me:{CANARY}-url@h:6443', proxy-url: 'http://u:{CANARY}-proxy@p:3128/', certificate-authority-data: QUJD}}
"
        ));
        let shown = serde_json::to_string(&redact_document(&root)).unwrap();
        assert!(!shown.contains(CANARY), "{shown}");
        for visible in [
            "admin",
            "oidc",
            "client-id",
            "aws",
            "get-token",
            "--token=<redacted>",
            "--client-secret",
            "eu-1",
            "AWS_SECRET",
            "/keys/odd.key",
            "h:6443",
            "p:3128",
            "<certificate data, sha256 ",
        ] {
            assert!(shown.contains(visible), "{visible} should show: {shown}");
        }
        // The document itself is untouched.
        assert!(serde_json::to_string(&root).unwrap().contains(CANARY));
    }

    #[test]
    fn a_changed_certificate_still_shows_as_a_change() {
        let a = certificate_summary(&"QUJD".into());
        let b = certificate_summary(&"REVG".into());
        assert_ne!(a, b);
        assert_eq!(
            certificate_summary(&PENDING_CERTIFICATE.into()),
            PENDING_CERTIFICATE
        );
        assert_eq!(secret(&PENDING_KEY.into()), PENDING_KEY);
    }

    #[test]
    fn secrets_are_recognised() {
        assert!(holds_secret(&doc("client-key-data: abc")));
        assert!(holds_secret(&doc("token: abc")));
        assert!(!holds_secret(&doc("client-key: /k.key")));
        assert_eq!(
            without_userinfo("http://u:p@proxy:1/x@y"),
            "http://<redacted>@proxy:1/x@y"
        );
        assert_eq!(without_userinfo("https://h:6443"), "https://h:6443");
    }
}
