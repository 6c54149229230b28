//! One kubeconfig file as an ordered YAML value. Not a typed struct on purpose: whatever we do
//! not edit (unknown fields, extensions, preferences, relative paths, key order) is written back
//! as it was read. Comments are the one loss, as with kubectl itself.

use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use super::{KubeconfigError, redact};

/// The named lists and the key of each item's body.
pub(crate) const SECTIONS: [(&str, &str); 3] = [
    ("clusters", "cluster"),
    ("users", "user"),
    ("contexts", "context"),
];

/// `Debug` shows a redacted copy: the document holds private keys and tokens.
#[derive(Clone)]
pub(crate) struct Document {
    pub path: PathBuf,
    /// The text as read, `None` when the file does not exist yet.
    pub original: Option<String>,
    pub root: Map<String, Value>,
    pub changed: bool,
    /// An edit put credential material (a key, a token) into it: it must not stay readable by
    /// others.
    pub gains_secret: bool,
}

impl Document {
    /// Read and check a file. A missing file is an empty document (created on first write).
    pub fn load(path: &Path) -> Result<Document, KubeconfigError> {
        let text = match std::fs::read_to_string(path) {
            Ok(text) => Some(text),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(source) => {
                return Err(KubeconfigError::Read {
                    path: path.to_path_buf(),
                    source,
                });
            }
        };
        let root = match &text {
            Some(text) => parse(path, text)?,
            None => Map::new(),
        };
        Ok(Document {
            path: path.to_path_buf(),
            original: text,
            root,
            changed: false,
            gains_secret: false,
        })
    }

    /// A brand-new file gets the fields kubectl writes into a new kubeconfig.
    pub fn ensure_skeleton(&mut self) {
        if self.root.is_empty() {
            self.root.insert("apiVersion".into(), "v1".into());
            self.root.insert("kind".into(), "Config".into());
            self.root
                .insert("preferences".into(), Value::Object(Map::new()));
        }
    }

    pub fn render(&self) -> Result<String, KubeconfigError> {
        to_yaml(&Value::Object(self.root.clone()))
    }

    /// The document as it is now, safe to print.
    pub fn render_redacted(&self) -> Result<String, KubeconfigError> {
        render_shown(&self.root)
    }

    /// The document as it was read, safe to print ("" for a file that did not exist).
    pub fn render_original_redacted(&self) -> Result<String, KubeconfigError> {
        match &self.original {
            Some(text) => render_shown(&parse(&self.path, text)?),
            None => Ok(String::new()),
        }
    }
}

fn render_shown(root: &Map<String, Value>) -> Result<String, KubeconfigError> {
    if root.is_empty() {
        return Ok(String::new());
    }
    to_yaml(&Value::Object(redact::redact_document(root)))
}

impl std::fmt::Debug for Document {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Document")
            .field("path", &self.path)
            .field(
                "original",
                &self
                    .original
                    .as_ref()
                    .map(|t| format!("<{} bytes>", t.len())),
            )
            .field("root", &redact::redact_document(&self.root))
            .field("changed", &self.changed)
            .field("gains_secret", &self.gains_secret)
            .finish()
    }
}

/// Parse kubeconfig text (YAML, or JSON which is YAML too) and check its shape.
pub(crate) fn parse(path: &Path, text: &str) -> Result<Map<String, Value>, KubeconfigError> {
    if text.trim().is_empty() {
        return Ok(Map::new());
    }
    // No source snippet in the message: the lines around an error may hold a token or key.
    let value: Value = serde_saphyr::from_str(text).map_err(|e| KubeconfigError::Parse {
        path: path.to_path_buf(),
        detail: e
            .without_snippet()
            .to_string()
            .trim_start_matches("error: ")
            .to_string(),
    })?;
    let invalid = |what: String| KubeconfigError::Invalid {
        path: path.to_path_buf(),
        what,
    };
    let root = match value {
        Value::Object(map) => map,
        Value::Null => Map::new(),
        _ => {
            return Err(invalid(
                "the file is not a YAML mapping (apiVersion, kind, clusters, ...)".into(),
            ));
        }
    };
    for (list, _) in SECTIONS {
        match root.get(list) {
            None | Some(Value::Null) => {}
            Some(Value::Array(items)) => {
                for (i, item) in items.iter().enumerate() {
                    if item.get("name").and_then(Value::as_str).is_none() {
                        return Err(invalid(format!("{list}[{i}] has no name")));
                    }
                }
            }
            Some(_) => return Err(invalid(format!("{list} is not a list"))),
        }
    }
    if let Some(current) = root.get("current-context")
        && !current.is_string()
        && !current.is_null()
    {
        return Err(invalid("current-context is not a string".into()));
    }
    Ok(root)
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

    fn round_trip(text: &str) -> (Value, Value) {
        let before = Value::Object(parse(Path::new("t"), text).unwrap());
        let written = to_yaml(&before).unwrap();
        let after = Value::Object(parse(Path::new("t"), &written).unwrap());
        (before, after)
    }

    #[test]
    fn values_keep_their_meaning_through_a_round_trip() {
        let text = "apiVersion: v1\nkind: Config\nx-strings: [\"yes\", \"on\", \"null\", \"0123\", \"1e3\", \"true\", \"~\"]\n\
                    x-plain: [yes, on, 0123, 1e3, 12345678901234567890]\nx-empty: {}\nx-list: []\n\
                    x-nested: {a: [1, {b: null}], c: \"multi\\nline\"}\nusers: []\n";
        let (before, after) = round_trip(text);
        assert_eq!(before, after);
        assert_eq!(before["x-strings"][0], "yes");
        assert_eq!(before["x-strings"][3], "0123");
    }

    #[test]
    fn key_order_is_kept_and_base64_stays_on_one_line() {
        let long = "A".repeat(300);
        let text = format!(
            "kind: Config\nzeta: 1\napiVersion: v1\nusers:\n- name: u\n  user:\n    client-certificate-data: {long}\n"
        );
        let root = parse(Path::new("t"), &text).unwrap();
        let keys: Vec<&String> = root.keys().collect();
        assert_eq!(keys, ["kind", "zeta", "apiVersion", "users"]);
        let out = to_yaml(&Value::Object(root)).unwrap();
        assert!(
            out.contains(&format!("client-certificate-data: {long}\n")),
            "{out}"
        );
    }

    #[test]
    fn json_kubeconfigs_and_empty_files_are_read() {
        let root = parse(Path::new("t"), r#"{"apiVersion":"v1","kind":"Config","clusters":[{"name":"c","cluster":{"server":"https://x"}}]}"#).unwrap();
        assert_eq!(root["clusters"][0]["name"], "c");
        assert!(parse(Path::new("t"), "").unwrap().is_empty());
        assert!(
            parse(Path::new("t"), "\n# only a comment\n")
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn bad_shapes_are_named() {
        let err = |text: &str| parse(Path::new("/k/config"), text).unwrap_err().to_string();
        assert!(
            err("clusters: [\n").contains("/k/config is not valid YAML"),
            "{}",
            err("clusters: [\n")
        );
        assert!(err("- a\n- b\n").contains("not a YAML mapping"));
        assert!(err("users: {}\n").contains("users is not a list"));
        assert!(err("contexts:\n- context: {}\n").contains("contexts[0] has no name"));
        assert!(err("current-context: [a]\n").contains("current-context is not a string"));
    }
}
