//! Kubeconfig text to an ordered value and back: YAML (JSON is YAML too) with kubectl's layout.

use std::path::Path;

use serde_json::Value;

use super::KubeconfigError;
use super::blobs::{self, Blobs};

/// The YAML of `text`: read without the YAML parser when it is in kubectl's block layout (see
/// `block_layout`), else parsed with its long base64 values lifted out (see `blobs`) when that
/// is certain to mean the same; otherwise, and for any error, parsed from the text as it is.
/// Inside the bodies of named-list items long base64 values stay placeholders, found in `text`
/// through the `Blobs` returned.
pub(super) fn parse(path: &Path, text: &str) -> Result<(Value, Blobs), KubeconfigError> {
    if let Some(read) = super::block_layout::read(text) {
        return Ok(read);
    }
    if let Some(lifted) = blobs::lift(text)
        && let Ok(mut value) = from_str(&lifted.text)
        && let Some(blobs) = lifted.restore(&mut value)
    {
        return Ok((value, blobs));
    }
    // No source snippet in the message: the lines around an error may hold a token or key.
    let value = from_str(text).map_err(|e| KubeconfigError::Parse {
        path: path.to_path_buf(),
        detail: e
            .without_snippet()
            .to_string()
            .trim_start_matches("error: ")
            .to_string(),
    })?;
    Ok((value, Blobs::default()))
}

pub(super) fn from_str(text: &str) -> Result<Value, serde_saphyr::Error> {
    serde_saphyr::from_str_with_options(count_yaml(text), options())
}

/// The parser's defaults are made for configuration files of a few hundred lines: they refuse a
/// document of more than 250,000 nodes or 64 MiB of scalars, which a kubeconfig of 36,000 token
/// users, or of 14,000 certificate users with a context each, passes. Our own bound is the file's size (128 MiB, see
/// `document`), so those counts are lifted; the limits on aliases, anchors and depth, which stop
/// a small file from expanding without end, stay. Comments are not needed in the tree (the text
/// keeps them), so the parser does not collect their text.
fn options() -> serde_saphyr::Options {
    let mut budget = serde_saphyr::Budget::default();
    budget.max_nodes = usize::MAX;
    budget.max_events = usize::MAX;
    budget.max_total_scalar_bytes = usize::MAX;
    let mut options = serde_saphyr::Options::default();
    options.budget = Some(budget);
    options.emit_comments = false;
    options
}

// Tests read how many bytes went through the YAML parser on this thread.
#[cfg(test)]
thread_local! {
    static YAML_BYTES: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// How many bytes the YAML parser has been handed on this thread so far.
#[cfg(test)]
pub(super) fn yaml_bytes() -> usize {
    YAML_BYTES.with(|n| n.get())
}

fn count_yaml(text: &str) -> &str {
    #[cfg(test)]
    YAML_BYTES.with(|n| n.set(n.get() + text.len()));
    text
}

/// YAML as kubectl writes it: block style, two-space indents, long strings on one line (no
/// folded `>-` blocks for base64 data).
pub fn to_yaml(doc: &Value) -> Result<String, KubeconfigError> {
    let mut options = serde_saphyr::SerializerOptions::default();
    options.prefer_block_scalars = false;
    serde_saphyr::to_string_with_options(doc, options)
        .map_err(|e| KubeconfigError::Render(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_yaml_parser_sees_a_fraction_of_a_kubeconfig_of_embedded_credentials() {
        // 200 users in kubectl's layout, 1.5 KiB of base64 per value, like `kubectl config
        // set-credentials --embed-certs` writes them.
        let data = "TUlJ".repeat(512);
        let mut text = String::from("apiVersion: v1\nkind: Config\nusers:\n");
        for i in 0..200 {
            text.push_str(&format!(
                "- name: u{i}\n  user:\n    client-certificate-data: {data}\n    client-key-data: {data}\n"
            ));
        }
        YAML_BYTES.with(|n| n.set(0));
        let root = super::super::document::parse(Path::new("t"), &text).unwrap();
        let parsed = YAML_BYTES.with(|n| n.get());
        assert!(parsed * 20 < text.len(), "{parsed} of {} bytes", text.len());
        assert_eq!(root["users"][199]["user"]["client-key-data"], data.as_str());
        assert_eq!(root["users"].as_array().unwrap().len(), 200);
    }

    #[test]
    fn a_kubeconfig_in_kubectls_layout_never_reaches_the_yaml_parser() {
        // The 10,000-user add spent most of its time parsing what remained after the lift: the
        // names and placeholders. Only the few distinct short words (`name`, `user`, `c`) are
        // handed to the parser, to type them.
        let text = crate::kubeconfig::testing::embedded_users(200);
        YAML_BYTES.with(|n| n.set(0));
        let root = super::super::document::parse(Path::new("t"), &text).unwrap();
        let parsed = YAML_BYTES.with(|n| n.get());
        assert!(parsed < 100, "{parsed} of {} bytes", text.len());
        assert_eq!(root["users"].as_array().unwrap().len(), 200);
        assert_eq!(root["contexts"][199]["context"]["user"], "u199");
    }

    #[test]
    fn a_kubeconfig_of_many_small_entries_is_not_refused_as_too_big() {
        // The parser's default budget stops at 250,000 nodes: 36,000 token users are 252,000
        // (item, name and user keys and values, the body, its key and value). A real file of
        // that many users is a few MB, far below what we read.
        let mut text = String::from("apiVersion: v1\nkind: Config\nusers:\n");
        for i in 0..36_000 {
            text.push_str(&format!("- name: u{i}\n  user:\n    token: t{i}\n"));
        }
        let root = super::super::document::parse(Path::new("t"), &text).unwrap();
        assert_eq!(root["users"][35_999]["user"]["token"], "t35999");
    }
}
