//! What the kubeconfig module's tests share.

use std::path::Path;

use serde_json::{Map, Value};

use super::Sources;

/// `KUBECONFIG` naming these files of `dir`, in this order.
pub(super) fn sources(dir: &Path, names: &[&str]) -> Sources {
    let env = std::env::join_paths(names.iter().map(|n| dir.join(n))).unwrap();
    Sources::from_parts(None, Some(&env), None)
}

/// An entry body of one field.
pub(super) fn body(key: &str, value: &str) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert(key.into(), value.into());
    m
}

/// A kubeconfig of `n` certificate users in kubectl's layout (one cluster with its CA, a context
/// per user, flow-style `preferences`), each user's data distinct, so a value put back in the
/// wrong place shows.
pub(super) fn embedded_users(n: usize) -> String {
    let data = |seed: usize| {
        let bytes: Vec<u8> = (0..1200usize).map(|i| ((i * 31) ^ seed) as u8).collect();
        openssl::base64::encode_block(&bytes)
    };
    let mut text = format!(
        "apiVersion: v1\nclusters:\n- cluster:\n    certificate-authority-data: {}\n    server: https://x\n  name: c\ncontexts:\n",
        data(7777)
    );
    for i in 0..n {
        text.push_str(&format!(
            "- context:\n    cluster: c\n    user: u{i}\n  name: u{i}@c\n"
        ));
    }
    text.push_str("current-context: u0@c\nkind: Config\npreferences: {}\nusers:\n");
    for i in 0..n {
        text.push_str(&format!(
            "- name: u{i}\n  user:\n    client-certificate-data: {}\n    client-key-data: {}\n",
            data(2 * i),
            data(2 * i + 1)
        ));
    }
    text
}
