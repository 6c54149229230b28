//! One kubeconfig file as an ordered YAML value. Not a typed struct on purpose: whatever we do
//! not edit (unknown fields, extensions, preferences, relative paths, key order) is written back
//! as it was read. Comments are the one loss, as with kubectl itself.

use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use super::section::Section;
use super::splice::{Appends, splice};
use super::{KubeconfigError, redact};

/// `Debug` shows a redacted copy: the document holds private keys and tokens.
#[derive(Clone)]
pub(crate) struct Document {
    pub path: PathBuf,
    /// The text as read, `None` when the file does not exist yet.
    pub original: Option<String>,
    pub root: Map<String, Value>,
    pub changed: bool,
    /// An edit did more than append list items or set current-context: render the whole tree.
    /// Appends alone are written into the original text (see `splice`).
    pub rewritten: bool,
    /// How many items each of `Section::ALL` had when read: appended items follow them.
    read_lengths: [usize; 3],
    pub current_context_set: bool,
    /// An edit put credential material (a key, a token) into it: it must not stay readable by
    /// others.
    pub gains_secret: bool,
}

impl Document {
    /// Read and check a file. A missing file is an empty document (created on first write).
    pub fn load(path: &Path) -> Result<Document, KubeconfigError> {
        let text = match read_bounded(path) {
            Ok(text) => Some(text),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) if e.kind() == std::io::ErrorKind::FileTooLarge => {
                return Err(KubeconfigError::Invalid {
                    path: path.to_path_buf(),
                    what: format!(
                        "it is larger than {} MiB, which no kubeconfig is: point --kubeconfig/KUBECONFIG at the right file",
                        MAX_BYTES >> 20
                    ),
                });
            }
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
        Ok(Document::new(path, text, root))
    }

    fn new(path: &Path, original: Option<String>, root: Map<String, Value>) -> Document {
        let read_lengths = Section::ALL.map(|s| {
            root.get(s.list_key())
                .and_then(Value::as_array)
                .map_or(0, Vec::len)
        });
        Document {
            path: path.to_path_buf(),
            original,
            root,
            changed: false,
            rewritten: false,
            read_lengths,
            current_context_set: false,
            gains_secret: false,
        }
    }

    /// `load`, but keep `earlier`'s parse when the file still holds the text it was read from:
    /// a second parse of a large kubeconfig costs as much as the whole edit.
    pub fn reload(path: &Path, earlier: Option<Document>) -> Result<Document, KubeconfigError> {
        let Some(earlier) = earlier.filter(|d| d.path == path && !d.changed) else {
            return Document::load(path);
        };
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
        if text == earlier.original {
            return Ok(earlier);
        }
        let root = match &text {
            Some(text) => parse(path, text)?,
            None => Map::new(),
        };
        Ok(Document::new(path, text, root))
    }

    /// A brand-new file gets the fields kubectl writes into a new kubeconfig.
    pub fn ensure_skeleton(&mut self) {
        if self.root.is_empty() {
            self.rewritten = true;
            self.root.insert("apiVersion".into(), "v1".into());
            self.root.insert("kind".into(), "Config".into());
            self.root
                .insert("preferences".into(), Value::Object(Map::new()));
        }
    }

    pub fn render(&self) -> Result<String, KubeconfigError> {
        if let Some(text) = self.spliced() {
            return Ok(text);
        }
        to_yaml(&Value::Object(self.root.clone()))
    }

    fn spliced(&self) -> Option<String> {
        let original = self.original.as_deref().filter(|_| !self.rewritten)?;
        let lists = Section::ALL
            .iter()
            .zip(self.read_lengths)
            .filter_map(|(section, read)| {
                let list = section.list_key();
                let items = self.root.get(list)?.as_array()?;
                Some((list, items.get(read..)?))
            })
            .collect();
        let current_context = match self.current_context_set {
            true => Some(self.root.get("current-context")?.as_str()?),
            false => None,
        };
        splice(
            original,
            &Appends {
                lists,
                current_context,
            },
        )
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

/// Kubeconfigs are kilobytes; one with a thousand clusters is a few MiB. Past this, the file is
/// something else (a disk image, /dev/zero), and reading it whole could exhaust memory.
const MAX_BYTES: u64 = 32 << 20;

/// The file's text, refusing (FileTooLarge) to read more than [`MAX_BYTES`] of it.
fn read_bounded(path: &Path) -> std::io::Result<String> {
    use std::io::Read;
    let mut bytes = Vec::new();
    std::fs::File::open(path)?
        .take(MAX_BYTES + 1)
        .read_to_end(&mut bytes)?;
    if bytes.len() as u64 > MAX_BYTES {
        return Err(std::io::ErrorKind::FileTooLarge.into());
    }
    String::from_utf8(bytes).map_err(|_| {
        std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            "stream did not contain valid UTF-8",
        )
    })
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
    for (list, body) in Section::ALL.map(|s| (s.list_key(), s.item_key())) {
        match root.get(list) {
            None | Some(Value::Null) => {}
            Some(Value::Array(items)) => {
                // kubectl refuses both, so a file we wrote with them would be unreadable to it.
                let mut seen = std::collections::HashMap::new();
                for (i, item) in items.iter().enumerate() {
                    let Some(name) = item.get("name").and_then(Value::as_str) else {
                        return Err(invalid(format!("{list}[{i}] has no name")));
                    };
                    if let Some(first) = seen.insert(name, i) {
                        return Err(invalid(format!(
                            "{list}[{i}]: the name {name:?} is used twice (also {list}[{first}]), which kubectl refuses too: rename or delete one"
                        )));
                    }
                    if !matches!(item.get(body), None | Some(Value::Null | Value::Object(_))) {
                        return Err(invalid(format!(
                            "{list}[{i}] ({name:?}): its {body} is not a mapping"
                        )));
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
        assert!(
            err("users:\n- name: a\n- name: a\n")
                .contains("users[1]: the name \"a\" is used twice")
        );
        assert!(
            err("contexts:\n- name: c\n  context: [x]\n").contains("its context is not a mapping")
        );
    }
}
