//! The merged view over every kubeconfig file, read as kubectl merges them: the first file that
//! defines a name wins. Edits to it are in `changes`, the locked read-change-write in
//! `transaction`.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::{LazyLock, OnceLock};

use serde_json::{Map, Value};

use super::document::Document;
use super::entry::Entry;
use super::section::Section;
use super::{KubeconfigError, Sources};

static EMPTY: LazyLock<Map<String, Value>> = LazyLock::new(Map::new);

#[derive(Debug)]
pub struct Kubeconfigs {
    pub(super) sources: Sources,
    pub(super) docs: Vec<Document>,
    pub(super) write_target: PathBuf,
    /// Per section, where each name's first entry sits (document, item): lookups stay O(1) so a
    /// command over thousands of entries stays linear. Built on first use, kept in step by edits.
    pub(super) index: OnceLock<[HashMap<String, (usize, usize)>; 3]>,
    /// How often a whole section list was walked: tests assert lookups do not walk per call.
    #[cfg(test)]
    scans: std::cell::Cell<usize>,
}

impl Kubeconfigs {
    /// Read every file, without locking (for commands that only read).
    pub fn load(sources: &Sources) -> Result<Self, KubeconfigError> {
        Self::reload(sources, Vec::new())
    }

    /// `load`, keeping the parse of every `earlier` document whose file has not changed since.
    pub(super) fn reload(
        sources: &Sources,
        mut earlier: Vec<Document>,
    ) -> Result<Self, KubeconfigError> {
        if sources.explicit && !sources.files[0].exists() {
            return Err(KubeconfigError::NotFound {
                path: sources.files[0].clone(),
            });
        }
        let docs = sources
            .files
            .iter()
            .map(|f| {
                let before = earlier
                    .iter()
                    .position(|d| d.path == *f)
                    .map(|i| earlier.swap_remove(i));
                Document::reload(f, before)
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Kubeconfigs {
            sources: sources.clone(),
            write_target: sources.default_write_file(),
            docs,
            index: OnceLock::new(),
            #[cfg(test)]
            scans: Default::default(),
        })
    }

    /// The entry of that name in the first file that defines it (kubectl's merge rule).
    pub fn get(&self, section: Section, name: &str) -> Option<Entry<'_>> {
        let &(d, i) = self.index()[section.slot()].get(name)?;
        let doc = &self.docs[d];
        let item = &items(doc, section)?[i];
        Some(Entry {
            name: item["name"].as_str().unwrap_or_default(),
            value: doc.body(section, i).unwrap_or(&EMPTY),
            file: &doc.path,
        })
    }

    /// [`Self::get`] for a walk over many entries: `f` sees the entry, and a body read from the
    /// text for it is not kept (see `lazy_body`), so `list` over 10,000 users does not end up
    /// holding every user's credentials a second time.
    pub fn with_entry<R>(
        &self,
        section: Section,
        name: &str,
        f: impl FnOnce(&Entry<'_>) -> R,
    ) -> Option<R> {
        let &(d, i) = self.index()[section.slot()].get(name)?;
        let doc = &self.docs[d];
        let item = &items(doc, section)?[i];
        let body = doc.body_once(section, i);
        Some(f(&Entry {
            name: item["name"].as_str().unwrap_or_default(),
            value: body.as_deref().unwrap_or(&EMPTY),
            file: &doc.path,
        }))
    }

    pub(super) fn index(&self) -> &[HashMap<String, (usize, usize)>; 3] {
        self.index.get_or_init(|| {
            Section::ALL.map(|section| {
                self.count_scan();
                let mut found = HashMap::new();
                for (d, doc) in self.docs.iter().enumerate() {
                    for (i, item) in items(doc, section).into_iter().flatten().enumerate() {
                        if let Some(name) = item["name"].as_str() {
                            found.entry(name.to_string()).or_insert((d, i));
                        }
                    }
                }
                found
            })
        })
    }

    /// Every name in the section, merged, in first-seen order.
    pub fn names(&self, section: Section) -> Vec<String> {
        self.count_scan();
        let mut seen = HashSet::new();
        let mut names: Vec<String> = Vec::new();
        for doc in &self.docs {
            for item in items(doc, section).into_iter().flatten() {
                if let Some(name) = item["name"].as_str()
                    && seen.insert(name)
                {
                    names.push(name.to_string());
                }
            }
        }
        names
    }

    /// The contexts whose user is `user`, in first-seen order: the one answer to "which
    /// contexts use this user" (`list`, `remove`, choosing a context for a user).
    pub fn contexts_using(&self, user: &str) -> Vec<String> {
        self.names(Section::Contexts)
            .into_iter()
            .filter(|context| self.user_of_context(context) == Some(user))
            .collect()
    }

    /// Every user's contexts at once, in one pass over the contexts (for `list`, where a pass
    /// per user would be quadratic); the same rule as [`Self::contexts_using`].
    pub fn contexts_by_user(&self) -> HashMap<String, Vec<String>> {
        let mut by_user: HashMap<String, Vec<String>> = HashMap::new();
        for context in self.names(Section::Contexts) {
            if let Some(user) = self.user_of_context(&context) {
                by_user.entry(user.to_string()).or_default().push(context);
            }
        }
        by_user
    }

    fn user_of_context(&self, context: &str) -> Option<&str> {
        self.get(Section::Contexts, context)?
            .value
            .get("user")?
            .as_str()
    }

    /// The first non-empty current-context of the files.
    pub fn current_context(&self) -> Option<&str> {
        self.docs.iter().find_map(|d| {
            d.root
                .get("current-context")
                .and_then(Value::as_str)
                .filter(|s| !s.is_empty())
        })
    }

    fn count_scan(&self) {
        #[cfg(test)]
        self.scans.set(self.scans.get() + 1);
    }

    /// How many whole-section walks lookups have made so far.
    #[cfg(test)]
    pub(crate) fn scans(&self) -> usize {
        self.scans.get()
    }

    /// The files, in precedence order (existing or not).
    pub fn files(&self) -> impl Iterator<Item = &Path> {
        self.sources.files.iter().map(PathBuf::as_path)
    }
}

pub(super) fn items(doc: &Document, section: Section) -> Option<&Vec<Value>> {
    doc.root.get(section.list_key()).and_then(Value::as_array)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kubeconfig::testing::{body, sources};

    #[test]
    fn first_file_wins_when_reading() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("a"),
            "users:\n- name: u\n  user: {token: from-a}\ncurrent-context: ''\n",
        )
        .unwrap();
        std::fs::write(dir.path().join("b"), "users:\n- name: u\n  user: {token: from-b}\n- name: v\n  user: {}\ncurrent-context: ctx-b\n").unwrap();
        let kcs = Kubeconfigs::load(&sources(dir.path(), &["a", "b"])).unwrap();
        assert_eq!(
            kcs.get(Section::Users, "u").unwrap().value["token"],
            "from-a"
        );
        assert_eq!(kcs.names(Section::Users), ["u", "v"]);
        assert_eq!(kcs.current_context(), Some("ctx-b"));
        assert!(kcs.get(Section::Users, "v").unwrap().file.ends_with("b"));
    }

    #[test]
    fn contexts_using_a_user_follow_the_merged_view() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("a"),
            "contexts:\n- name: c1\n  context: {cluster: k, user: u}\n- name: shadow\n  context: {cluster: k, user: u}\n",
        )
        .unwrap();
        // The second file's `shadow` is hidden by the first's, as kubectl merges them.
        std::fs::write(
            dir.path().join("b"),
            "contexts:\n- name: shadow\n  context: {cluster: k, user: v}\n- name: c2\n  context: {cluster: k, user: u}\n- name: c3\n  context: {cluster: k}\n",
        )
        .unwrap();
        let kcs = Kubeconfigs::load(&sources(dir.path(), &["a", "b"])).unwrap();
        assert_eq!(kcs.contexts_using("u"), ["c1", "shadow", "c2"]);
        assert!(kcs.contexts_using("v").is_empty());
        let by_user = kcs.contexts_by_user();
        assert_eq!(by_user["u"], kcs.contexts_using("u"));
        assert_eq!(by_user.len(), 1, "{by_user:?}");
    }

    #[test]
    fn lookups_follow_edits_without_walking_the_lists_again() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("a"),
            "users:\n- name: a1\n  user: {token: a}\n- name: a2\n  user: {}\n",
        )
        .unwrap();
        let mut kcs = Kubeconfigs::load(&sources(dir.path(), &["a"])).unwrap();
        assert!(kcs.get(Section::Users, "new").is_none());
        kcs.upsert(Section::Users, "new", body("token", "n"));
        kcs.upsert(Section::Users, "a1", body("token", "changed"));
        assert_eq!(kcs.get(Section::Users, "new").unwrap().value["token"], "n");
        assert_eq!(
            kcs.get(Section::Users, "a1").unwrap().value["token"],
            "changed"
        );
        assert_eq!(kcs.scans(), 3, "one index build, kept in step by upsert");
        assert!(kcs.remove(Section::Users, "a1"));
        assert!(kcs.get(Section::Users, "a1").is_none());
        assert_eq!(kcs.get(Section::Users, "a2").unwrap().name, "a2");
        assert_eq!(kcs.get(Section::Users, "new").unwrap().value["token"], "n");
        assert_eq!(kcs.names(Section::Users), ["a2", "new"]);
    }

    #[test]
    fn an_explicit_file_must_exist_and_paths_resolve_against_their_file() {
        let dir = tempfile::tempdir().unwrap();
        let missing = Sources::from_parts(Some(&dir.path().join("nope")), None, None);
        assert!(matches!(
            Kubeconfigs::load(&missing),
            Err(KubeconfigError::NotFound { .. })
        ));
        std::fs::write(
            dir.path().join("k"),
            "users:\n- name: u\n  user: {client-certificate: certs/u.crt}\n",
        )
        .unwrap();
        let kcs = Kubeconfigs::load(&Sources::from_parts(
            Some(&dir.path().join("k")),
            None,
            None,
        ))
        .unwrap();
        let entry = kcs.get(Section::Users, "u").unwrap();
        assert_eq!(
            entry.resolve_path("certs/u.crt"),
            dir.path().join("certs/u.crt")
        );
        assert_eq!(
            entry.resolve_path("/abs/u.crt"),
            PathBuf::from("/abs/u.crt")
        );
    }
}
