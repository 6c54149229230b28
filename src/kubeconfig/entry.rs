//! One named entry of the merged view: its body, and the file it came from.

use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

/// A named entry as merged: its body (the `cluster`/`user`/`context` map) and its file.
/// `Debug` shows the body's field names, never their values (a user's body holds its key).
#[derive(Clone, Copy)]
pub struct Entry<'a> {
    pub name: &'a str,
    pub value: &'a Map<String, Value>,
    pub file: &'a Path,
}

impl std::fmt::Debug for Entry<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Entry")
            .field("name", &self.name)
            .field("fields", &self.value.keys().collect::<Vec<_>>())
            .field("file", &self.file)
            .finish()
    }
}

impl Entry<'_> {
    /// A path from this entry, resolved against its file's folder as kubectl does when reading.
    /// For reading only: we never write a resolved path back.
    pub fn resolve_path(&self, p: &str) -> PathBuf {
        let path = Path::new(p);
        if path.is_absolute() {
            return path.to_path_buf();
        }
        self.file.parent().unwrap_or(Path::new(".")).join(path)
    }
}
