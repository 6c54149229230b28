//! The merged view over every kubeconfig file, and edits that go to the right file: a changed
//! entry to the file that defines it, a new one to kubectl's default file (see `locate`).

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::{LazyLock, OnceLock};

use serde_json::{Map, Value};

use super::document::Document;
use super::section::Section;
use super::write::{self, LOCK_TIMEOUT};
use super::{KubeconfigError, Sources};

static EMPTY: LazyLock<Map<String, Value>> = LazyLock::new(Map::new);

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

/// What `plan` would write: one per changed file, both texts already redacted (see `redact`),
/// so no diff or dump built from it can show a secret.
#[derive(Clone, Debug)]
pub struct FileChange {
    pub path: PathBuf,
    pub before: String,
    pub after: String,
}

#[derive(Debug)]
pub struct Kubeconfigs {
    sources: Sources,
    docs: Vec<Document>,
    write_target: PathBuf,
    /// Per section, where each name's first entry sits (document, item): lookups stay O(1) so a
    /// command over thousands of entries stays linear. Built on first use, kept in step by edits.
    index: OnceLock<[HashMap<String, (usize, usize)>; 3]>,
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
    fn reload(sources: &Sources, mut earlier: Vec<Document>) -> Result<Self, KubeconfigError> {
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

    /// Read every file that exists under its writers' lock, then let go: for the checks before
    /// an edit. kubectl rewrites a kubeconfig in place (truncate, then write) while holding the
    /// lock, so a reader that ignores the lock can see an empty or half-written file.
    pub fn load_locked(sources: &Sources) -> Result<Self, KubeconfigError> {
        let _guards = lock_all(sources, false)?;
        Kubeconfigs::load(sources)
    }

    /// Lock, read, apply `f`, write what changed, unlock. `f` failing writes nothing.
    pub fn edit<T>(
        sources: &Sources,
        f: impl FnOnce(&mut Kubeconfigs) -> anyhow::Result<T>,
    ) -> anyhow::Result<T> {
        Self::edit_reusing(sources, Vec::new(), f)
    }

    /// `edit` after a `load` of the same files: what did not change on disk in between is not
    /// parsed again (it is still read, under the lock, to know).
    pub fn edit_again<T>(
        self,
        f: impl FnOnce(&mut Kubeconfigs) -> anyhow::Result<T>,
    ) -> anyhow::Result<T> {
        let sources = self.sources.clone();
        Self::edit_reusing(&sources, self.docs, f)
    }

    fn edit_reusing<T>(
        sources: &Sources,
        earlier: Vec<Document>,
        f: impl FnOnce(&mut Kubeconfigs) -> anyhow::Result<T>,
    ) -> anyhow::Result<T> {
        let guards = lock_all(sources, true)?;
        // Read under the lock: what another writer just wrote is part of what we write.
        let mut kcs = Kubeconfigs::reload(sources, earlier)?;
        let result = f(&mut kcs)?;
        let rendered: Vec<(PathBuf, String, write::Mode)> = kcs
            .docs
            .iter()
            .filter(|d| d.changed)
            .map(|d| {
                let mode = if d.gains_secret {
                    write::Mode::Private
                } else {
                    write::Mode::Keep
                };
                Ok((d.path.clone(), d.render()?, mode))
            })
            .collect::<Result<_, KubeconfigError>>()?;
        for (path, text, mode) in rendered {
            write::replace(&path, &text, mode)?;
        }
        drop(guards);
        Ok(result)
    }

    /// `edit` without writing: the result and, per changed file, its content before and after,
    /// redacted. Both sides are rendered the same way, so the diff shows what changes in meaning,
    /// not how our YAML differs from the file's formatting.
    pub fn plan<T>(
        sources: &Sources,
        f: impl FnOnce(&mut Kubeconfigs) -> anyhow::Result<T>,
    ) -> anyhow::Result<(T, Vec<FileChange>)> {
        let mut kcs = Kubeconfigs::load(sources)?;
        let result = f(&mut kcs)?;
        let mut changes = Vec::new();
        for doc in kcs.docs.iter().filter(|d| d.changed) {
            changes.push(FileChange {
                path: doc.path.clone(),
                before: doc.render_original_redacted()?,
                after: doc.render_redacted()?,
            });
        }
        Ok((result, changes))
    }

    /// The entry of that name in the first file that defines it (kubectl's merge rule).
    pub fn get(&self, section: Section, name: &str) -> Option<Entry<'_>> {
        let &(d, i) = self.index()[section.slot()].get(name)?;
        let doc = &self.docs[d];
        let item = &items(doc, section)?[i];
        Some(Entry {
            name: item["name"].as_str().unwrap_or_default(),
            value: item
                .get(section.item_key())
                .and_then(Value::as_object)
                .unwrap_or(&EMPTY),
            file: &doc.path,
        })
    }

    fn index(&self) -> &[HashMap<String, (usize, usize)>; 3] {
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

    /// Replace the body of an existing entry where it is defined (keeping whatever else sits
    /// beside it in the item), or add a new entry to the default file.
    pub fn upsert(&mut self, section: Section, name: &str, value: Map<String, Value>) {
        let secret = section == Section::Users && super::redact::holds_secret(&value);
        if let Some(&(d, i)) = self.index()[section.slot()].get(name) {
            let doc = &mut self.docs[d];
            let item = doc
                .root
                .get_mut(section.list_key())
                .and_then(Value::as_array_mut)
                .and_then(|list| list.get_mut(i))
                .expect("the index points at an item");
            item[section.item_key()] = Value::Object(value);
            doc.changed = true;
            doc.rewritten = true;
            doc.gains_secret |= secret;
            return;
        }
        let target = self.write_target.clone();
        let d = self
            .docs
            .iter()
            .position(|d| d.path == target)
            .expect("the write target is one of the files");
        let doc = &mut self.docs[d];
        doc.ensure_skeleton();
        let list = doc
            .root
            .entry(section.list_key())
            .or_insert_with(|| Value::Array(Vec::new()));
        if !list.is_array() {
            *list = Value::Array(Vec::new()); // was null
        }
        // Keys in kubectl's (alphabetical) order, so a file kubectl wrote stays uniform.
        let mut item = Map::new();
        if section == Section::Users {
            item.insert("name".into(), name.into());
            item.insert(section.item_key().into(), Value::Object(value));
        } else {
            item.insert(section.item_key().into(), Value::Object(value));
            item.insert("name".into(), name.into());
        }
        let list = list.as_array_mut().expect("made a list above");
        list.push(Value::Object(item));
        let i = list.len() - 1;
        doc.changed = true;
        doc.gains_secret |= secret;
        if let Some(index) = self.index.get_mut() {
            index[section.slot()].insert(name.to_string(), (d, i));
        }
    }

    /// Remove the entry from every file that defines it.
    pub fn remove(&mut self, section: Section, name: &str) -> bool {
        let mut removed = false;
        self.index.take(); // items move: the index is rebuilt on the next lookup
        for doc in &mut self.docs {
            if let Some(list) = doc
                .root
                .get_mut(section.list_key())
                .and_then(Value::as_array_mut)
            {
                let before = list.len();
                list.retain(|i| i["name"] != name);
                if list.len() != before {
                    doc.changed = true;
                    doc.rewritten = true;
                    removed = true;
                }
            }
        }
        removed
    }

    /// kubectl's `writeCurrentContext`: the explicit file, else the default file.
    pub fn set_current_context(&mut self, name: &str) {
        if self.current_context() == Some(name) {
            return;
        }
        let target = if self.sources.explicit {
            self.sources.files[0].clone()
        } else {
            self.write_target.clone()
        };
        let doc = self
            .docs
            .iter_mut()
            .find(|d| d.path == target)
            .expect("the write target is one of the files");
        doc.ensure_skeleton();
        doc.root.insert("current-context".into(), name.into());
        doc.changed = true;
        doc.current_context_set = true;
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

/// Lock the files that exist (an edit may change them) and, for an edit, the file new entries
/// go to, in a fixed order so two writers never wait on each other crosswise.
fn lock_all(
    sources: &Sources,
    with_write_target: bool,
) -> Result<Vec<write::LockGuard>, KubeconfigError> {
    let mut paths: Vec<PathBuf> = sources
        .files
        .iter()
        .filter(|p| p.exists())
        .cloned()
        .collect();
    if with_write_target {
        paths.push(sources.default_write_file());
    }
    paths.sort();
    paths.dedup();
    paths
        .iter()
        .map(|path| write::lock(path, LOCK_TIMEOUT))
        .collect()
}

fn items(doc: &Document, section: Section) -> Option<&Vec<Value>> {
    doc.root.get(section.list_key()).and_then(Value::as_array)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sources(dir: &Path, names: &[&str]) -> Sources {
        let env = std::env::join_paths(names.iter().map(|n| dir.join(n))).unwrap();
        Sources::from_parts(None, Some(&env), None)
    }

    fn body(key: &str, value: &str) -> Map<String, Value> {
        let mut m = Map::new();
        m.insert(key.into(), value.into());
        m
    }

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
    fn remove_takes_the_entry_out_of_every_file_that_defines_it() {
        // kubectl shows the first definition; a removal that left the second behind would let
        // it reappear as the live entry.
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("a"),
            "users:\n- name: u\n  user: {token: from-a}\n",
        )
        .unwrap();
        std::fs::write(
            dir.path().join("b"),
            "users:\n- name: u\n  user: {token: from-b}\n- name: v\n  user: {}\n",
        )
        .unwrap();
        let sources = sources(dir.path(), &["a", "b"]);
        Kubeconfigs::edit(&sources, |kcs| {
            assert!(kcs.remove(Section::Users, "u"));
            Ok(())
        })
        .unwrap();
        let kcs = Kubeconfigs::load(&sources).unwrap();
        assert!(kcs.get(Section::Users, "u").is_none());
        assert_eq!(kcs.names(Section::Users), ["v"]);
    }

    #[test]
    fn edits_go_where_kubectl_puts_them() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("b"),
            "users:\n- name: old\n  user: {token: t}\n  x-keep: 1\n",
        )
        .unwrap();
        std::fs::write(dir.path().join("c"), "kind: Config\n").unwrap();
        let s = sources(dir.path(), &["missing", "b", "c"]);
        Kubeconfigs::edit(&s, |k| {
            k.upsert(Section::Users, "old", body("token", "new"));
            k.upsert(Section::Users, "fresh", body("token", "f"));
            k.upsert(Section::Contexts, "ctx", body("user", "fresh"));
            k.set_current_context("ctx");
            Ok(())
        })
        .unwrap();
        let b: Value =
            serde_saphyr::from_str(&std::fs::read_to_string(dir.path().join("b")).unwrap())
                .unwrap();
        assert_eq!(
            b["users"][0],
            serde_json::json!({"name": "old", "user": {"token": "new"}, "x-keep": 1})
        );
        assert_eq!(
            b["users"][1]["name"], "fresh",
            "new entries go to the first existing file"
        );
        assert_eq!(b["current-context"], "ctx");
        assert_eq!(
            std::fs::read_to_string(dir.path().join("c")).unwrap(),
            "kind: Config\n",
            "c untouched"
        );
        assert!(!dir.path().join("missing").exists());
        assert!(!dir.path().join("b.lock").exists());
    }

    #[test]
    fn a_failing_edit_writes_nothing_and_plan_never_writes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config");
        std::fs::write(&path, "users: []\n").unwrap();
        let s = sources(dir.path(), &["config"]);
        let err = Kubeconfigs::edit(&s, |k| -> anyhow::Result<()> {
            k.upsert(Section::Users, "u", Map::new());
            anyhow::bail!("refused")
        });
        assert!(err.is_err());
        let (_, changes) = Kubeconfigs::plan(&s, |k| {
            k.upsert(Section::Users, "u", Map::new());
            Ok(())
        })
        .unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "users: []\n");
        assert_eq!(changes.len(), 1);
        assert!(changes[0].after.contains("name: u"));
    }

    #[test]
    fn debug_output_never_shows_key_material() {
        let canary = "CANARY-debug-5e1f";
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("config"),
            format!(
                "users:\n- name: u\n  user: {{client-key-data: {canary}1, token: {canary}2, password: {canary}3}}\n\
                 - name: o\n  user: {{auth-provider: {{name: oidc, config: {{id-token: {canary}4}}}}}}\n"
            ),
        )
        .unwrap();
        let s = sources(dir.path(), &["config"]);
        let kcs = Kubeconfigs::load(&s).unwrap();
        let shown = [
            format!("{kcs:?}"),
            format!("{:?}", kcs.get(Section::Users, "u").unwrap()),
            format!("{:#?}", kcs.get(Section::Users, "o").unwrap()),
        ];
        let (_, changes) = Kubeconfigs::plan(&s, |k| {
            k.upsert(Section::Users, "new", body("token", &format!("{canary}5")));
            Ok(())
        })
        .unwrap();
        for text in shown.iter().chain([&format!("{changes:?}")]) {
            assert!(!text.contains(canary), "{text}");
        }
        assert!(shown[0].contains("<redacted>") && shown[1].contains("client-key-data"));
        assert!(changes[0].after.contains("name: new"));
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
    fn adding_entries_keeps_the_file_byte_for_byte_comments_included() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config");
        let original = "# team kubeconfig\napiVersion: v1\nclusters:\n- name: c # prod\n  cluster: {server: https://x}\ncontexts:\n- name: a@c\n  context: {cluster: c, user: a}\nusers:\n- name: a\n  user:\n    token: t\nkind: Config\n";
        std::fs::write(&path, original).unwrap();
        let s = sources(dir.path(), &["config"]);
        Kubeconfigs::edit(&s, |k| {
            k.upsert(Section::Users, "new", body("token", "fresh"));
            k.upsert(Section::Contexts, "new@c", body("user", "new"));
            Ok(())
        })
        .unwrap();
        let expected = original
            .replace(
                "    token: t\n",
                "    token: t\n- name: new\n  user:\n    token: fresh\n",
            )
            .replace(
                "user: a}\n",
                "user: a}\n- context:\n    user: new\n  name: new@c\n",
            );
        assert_eq!(std::fs::read_to_string(&path).unwrap(), expected);
    }

    #[test]
    fn an_edit_after_a_load_sees_what_another_writer_wrote_in_between() {
        let dir = tempfile::tempdir().unwrap();
        let s = sources(dir.path(), &["config"]);
        std::fs::write(dir.path().join("config"), "users:\n- name: a\n  user: {}\n").unwrap();
        let unchanged = Kubeconfigs::load(&s).unwrap();
        unchanged
            .edit_again(|k| {
                k.upsert(Section::Users, "b", Map::new());
                Ok(())
            })
            .unwrap();
        let stale = Kubeconfigs::load(&s).unwrap();
        Kubeconfigs::edit(&s, |k| {
            k.upsert(Section::Users, "c", Map::new());
            Ok(())
        })
        .unwrap();
        stale
            .edit_again(|k| {
                assert!(
                    k.get(Section::Users, "c").is_some(),
                    "read again under the lock"
                );
                k.upsert(Section::Users, "d", Map::new());
                Ok(())
            })
            .unwrap();
        let kcs = Kubeconfigs::load(&s).unwrap();
        assert_eq!(kcs.names(Section::Users), ["a", "b", "c", "d"]);
    }

    #[test]
    fn a_locked_read_waits_for_a_writer_that_truncated_the_file() {
        // kubectl rewrites a kubeconfig in place (truncate, then write) while holding the lock:
        // a reader that ignores the lock can see an empty or half-written file.
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config");
        let s = sources(dir.path(), &["config"]);
        std::fs::write(&path, "current-context: c\nusers:\n- name: u\n").unwrap();
        let kubectl = write::lock(&path, LOCK_TIMEOUT).unwrap();
        std::fs::write(&path, "current-context: c\nusers:\n").unwrap();
        let reader = std::thread::spawn(move || Kubeconfigs::load_locked(&s).unwrap());
        std::thread::sleep(std::time::Duration::from_millis(200));
        std::fs::write(&path, "current-context: c\nusers:\n- name: u\n- name: v\n").unwrap();
        drop(kubectl);
        let kcs = reader.join().unwrap();
        assert_eq!(kcs.names(Section::Users), ["u", "v"]);
        assert!(!dir.path().join("config.lock").exists());
    }

    #[test]
    fn concurrent_edits_all_land() {
        let dir = tempfile::tempdir().unwrap();
        let s = sources(dir.path(), &["config"]);
        std::thread::scope(|scope| {
            for i in 0..20 {
                let s = &s;
                scope.spawn(move || {
                    Kubeconfigs::edit(s, |k| {
                        k.upsert(Section::Users, &format!("u{i}"), Map::new());
                        Ok(())
                    })
                    .unwrap()
                });
            }
        });
        let kcs = Kubeconfigs::load(&s).unwrap();
        assert_eq!(kcs.names(Section::Users).len(), 20);
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
