//! One kubeconfig file as an ordered YAML value. Not a typed struct on purpose: whatever we do
//! not edit (unknown fields, extensions, preferences, relative paths, key order) is written back
//! as it was read. Comments are the one loss, as with kubectl itself.

use std::borrow::Cow;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use serde_json::{Map, Value};

use super::blobs::Blobs;
use super::section::Section;
use super::splice::{Appends, splice};
pub use super::yaml::to_yaml;
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
    /// Where, in `original`, the credentials are that item bodies of `root` still hold as
    /// placeholders (see `blobs`): the file's 38 MB are held once, as text, not again as values.
    pub(super) blobs: Blobs,
    /// Per section (in `Section::ALL` order), the items whose body holds such placeholders, each
    /// with its body resolved once asked for (see `lazy_body`).
    pub(super) lazy: [HashMap<usize, OnceLock<Map<String, Value>>>; 3],
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
        let (root, blobs) = match &text {
            Some(text) => parse_lazily(path, text)?,
            None => (Map::new(), Blobs::default()),
        };
        Ok(Document::new(path, text, root, blobs))
    }

    fn new(
        path: &Path,
        original: Option<String>,
        root: Map<String, Value>,
        blobs: Blobs,
    ) -> Document {
        let items = |s: Section| root.get(s.list_key()).and_then(Value::as_array);
        let read_lengths = Section::ALL.map(|s| items(s).map_or(0, Vec::len));
        let lazy = Section::ALL.map(|s| {
            let bodies = items(s).into_iter().flatten().map(|i| i.get(s.item_key()));
            bodies
                .enumerate()
                .filter(|(_, body)| body.is_some_and(|b| blobs.in_value(b)))
                .map(|(i, _)| (i, OnceLock::new()))
                .collect()
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
            blobs,
            lazy,
        }
    }

    /// `load`, but keep `earlier`'s parse when the file still holds the text it was read from:
    /// a second parse of a large kubeconfig costs as much as the whole edit.
    pub fn reload(path: &Path, earlier: Option<Document>) -> Result<Document, KubeconfigError> {
        let Some(earlier) = earlier.filter(|d| d.path == path && !d.changed) else {
            return Document::load(path);
        };
        let unchanged = still_holds(path, earlier.original.as_deref()).map_err(|source| {
            KubeconfigError::Read {
                path: path.to_path_buf(),
                source,
            }
        })?;
        if unchanged {
            return Ok(earlier);
        }
        Document::load(path)
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

    /// The file's new content, as pieces to write one after another: a splice borrows the
    /// unchanged stretches of the text as read.
    pub fn render(&self) -> Result<Vec<Cow<'_, str>>, KubeconfigError> {
        if let Some(pieces) = self.spliced() {
            return Ok(pieces);
        }
        let root = self.resolved_root().into_owned();
        Ok(vec![Cow::Owned(to_yaml(&Value::Object(root))?)])
    }

    fn spliced(&self) -> Option<Vec<Cow<'_, str>>> {
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
        render_shown(&self.resolved_root())
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

/// Kubeconfigs are kilobytes; one of 10,000 certificate users with embedded RSA credentials is
/// about 38 MiB (issue 10's largest case), so allow a few times that. Past this, the file is
/// something else (a disk image, /dev/zero), and reading it whole could exhaust memory.
const MAX_BYTES: u64 = 128 << 20;

/// The file's text, refusing (FileTooLarge) to read more than [`MAX_BYTES`] of it.
fn read_bounded(path: &Path) -> std::io::Result<String> {
    use std::io::Read;
    let file = std::fs::File::open(path)?;
    // Sized from the start: grown by doubling, a 38 MB file would take a 64 MiB buffer.
    let size = file.metadata().map_or(0, |m| m.len()).min(MAX_BYTES + 1);
    let mut bytes = Vec::with_capacity(size as usize);
    file.take(MAX_BYTES + 1).read_to_end(&mut bytes)?;
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

/// Whether the file holds exactly `text` (`None`: that it does not exist), compared a chunk at
/// a time: a 38 MB kubeconfig is not held in memory twice to know it did not change.
fn still_holds(path: &Path, text: Option<&str>) -> std::io::Result<bool> {
    use std::io::Read;
    let mut file = match std::fs::File::open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(text.is_none()),
        Err(e) => return Err(e),
    };
    let Some(text) = text.map(str::as_bytes) else {
        return Ok(false);
    };
    // Large chunks: a 38 MB kubeconfig in 38 reads rather than 600.
    let mut chunk = vec![0u8; 1 << 20];
    let mut at = 0;
    loop {
        let n = match file.read(&mut chunk) {
            Ok(0) => return Ok(at == text.len()),
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if text.get(at..at + n) != Some(&chunk[..n]) {
            return Ok(false);
        }
        at += n;
    }
}

/// Parse kubeconfig text (YAML, or JSON which is YAML too) and check its shape.
pub(crate) fn parse(path: &Path, text: &str) -> Result<Map<String, Value>, KubeconfigError> {
    let (root, blobs) = parse_lazily(path, text)?;
    let mut root = Value::Object(root);
    blobs.resolve(text, &mut root);
    match root {
        Value::Object(map) => Ok(map),
        _ => unreachable!("resolving keeps a map a map"),
    }
}

/// [`parse`], leaving the lifted credentials of item bodies in the text (see `blobs`).
fn parse_lazily(path: &Path, text: &str) -> Result<(Map<String, Value>, Blobs), KubeconfigError> {
    if text.trim().is_empty() {
        return Ok((Map::new(), Blobs::default()));
    }
    let (value, blobs) = super::yaml::parse(path, text)?;
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
    Ok((root, blobs))
}

#[cfg(test)]
mod tests;
