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
