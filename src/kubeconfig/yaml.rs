//! Kubeconfig text to an ordered value and back: YAML (JSON is YAML too) with kubectl's layout.

use std::path::Path;

use serde_json::Value;

use super::{KubeconfigError, blobs};

/// The YAML of `text`, parsed with its long base64 values lifted out (see `blobs`) when that is
/// certain to mean the same; otherwise, and for any error, from the text as it is.
pub(super) fn parse(path: &Path, text: &str) -> Result<Value, KubeconfigError> {
    if let Some(lifted) = blobs::lift(text)
        && let Ok(mut value) = serde_saphyr::from_str::<Value>(count_yaml(&lifted.text))
        && lifted.restore(&mut value)
    {
        return Ok(value);
    }
    // No source snippet in the message: the lines around an error may hold a token or key.
    serde_saphyr::from_str(count_yaml(text)).map_err(|e| KubeconfigError::Parse {
        path: path.to_path_buf(),
        detail: e
            .without_snippet()
            .to_string()
            .trim_start_matches("error: ")
            .to_string(),
    })
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
}
