//! An item body's credentials read from the text when the body is first asked for: the tree of
//! a kubeconfig of 10,000 certificate users holds their placeholders (see `blobs`), and the
//! 38 MB of base64 stay in the text as read, once.

use std::borrow::Cow;
use std::collections::HashMap;

use serde_json::{Map, Value};

use super::blobs::Blobs;
use super::document::Document;
use super::section::Section;

impl Document {
    /// The body (`cluster`, `user`, `context` map) of item `i` of `section`, its credentials
    /// read from the text on first use.
    pub fn body(&self, section: Section, i: usize) -> Option<&Map<String, Value>> {
        let item = self.root.get(section.list_key())?.as_array()?.get(i)?;
        let body = item.get(section.item_key())?.as_object()?;
        match self.lazy[section.slot()].get(&i) {
            Some(resolved) => Some(resolved.get_or_init(|| self.resolved(body))),
            None => Some(body),
        }
    }

    /// [`Document::body`] without keeping what it reads: for a walk over every entry (`list`),
    /// which then holds one resolved body at a time instead of all of them.
    pub fn body_once(&self, section: Section, i: usize) -> Option<Cow<'_, Map<String, Value>>> {
        let item = self.root.get(section.list_key())?.as_array()?.get(i)?;
        let body = item.get(section.item_key())?.as_object()?;
        match self.lazy[section.slot()].get(&i) {
            Some(resolved) => Some(match resolved.get() {
                Some(kept) => Cow::Borrowed(kept),
                None => Cow::Owned(self.resolved(body)),
            }),
            None => Some(Cow::Borrowed(body)),
        }
    }

    fn resolved(&self, body: &Map<String, Value>) -> Map<String, Value> {
        let mut value = Value::Object(body.clone());
        self.blobs
            .resolve(self.original.as_deref().unwrap_or_default(), &mut value);
        match value {
            Value::Object(map) => map,
            _ => unreachable!("resolving keeps a map a map"),
        }
    }

    /// Put every credential still in the text into the tree: before an edit that changes or
    /// removes items (their indexes move, and the whole tree is rendered).
    pub fn resolve_all(&mut self) {
        let text = self.original.as_deref().unwrap_or_default();
        for (section, items) in Section::ALL.iter().zip(std::mem::take(&mut self.lazy)) {
            for (i, resolved) in items {
                let Some(body) = body_mut(&mut self.root, *section, i) else {
                    continue;
                };
                match resolved.into_inner() {
                    Some(map) => *body = Value::Object(map),
                    None => self.blobs.resolve(text, body),
                }
            }
        }
        self.blobs = Blobs::default();
    }

    /// The whole tree with every credential in it, for rendering it whole.
    pub(super) fn resolved_root(&self) -> Cow<'_, Map<String, Value>> {
        if self.lazy.iter().all(HashMap::is_empty) {
            return Cow::Borrowed(&self.root);
        }
        let text = self.original.as_deref().unwrap_or_default();
        let mut root = self.root.clone();
        for (section, items) in Section::ALL.iter().zip(&self.lazy) {
            for &i in items.keys() {
                if let Some(body) = body_mut(&mut root, *section, i) {
                    self.blobs.resolve(text, body);
                }
            }
        }
        Cow::Owned(root)
    }
}

fn body_mut(root: &mut Map<String, Value>, section: Section, i: usize) -> Option<&mut Value> {
    root.get_mut(section.list_key())?
        .as_array_mut()?
        .get_mut(i)?
        .get_mut(section.item_key())
}
