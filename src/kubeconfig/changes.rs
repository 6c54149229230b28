//! Changes to the merged view, each made where kubectl makes it: a changed entry in the file that
//! defines it, a new one in kubectl's default file (see `locate`), current-context in the file
//! kubectl's `writeCurrentContext` picks. Nothing is written until the transaction ends.

use serde_json::{Map, Value};

use super::document::Document;
use super::merged::Kubeconfigs;
use super::section::Section;

impl Kubeconfigs {
    /// Replace the body of an existing entry where it is defined (keeping whatever else sits
    /// beside it in the item), or add a new entry to the default file.
    pub fn upsert(&mut self, section: Section, name: &str, value: Map<String, Value>) {
        let secret = section == Section::Users && super::redact::holds_secret(&value);
        if let Some(&(d, i)) = self.index()[section.slot()].get(name) {
            let doc = &mut self.docs[d];
            doc.resolve_all(); // the whole file is rendered again
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
            let holds = |doc: &Document| {
                let list = doc.root.get(section.list_key()).and_then(Value::as_array);
                list.is_some_and(|l| l.iter().any(|i| i["name"] == name))
            };
            if holds(doc) {
                doc.resolve_all(); // items move, and the whole file is rendered again
            }
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
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kubeconfig::testing::{body, sources};

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
    fn changing_removing_and_rewriting_keep_every_other_entrys_credentials() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config");
        let read = || {
            crate::kubeconfig::document::parse(&path, &std::fs::read_to_string(&path).unwrap())
                .unwrap()
        };
        let s = sources(dir.path(), &["config"]);
        let text = crate::kubeconfig::testing::embedded_users(30);
        // A changed entry, a removed one, and an append to a layout that is not spliced
        // (`contexts: []` is flow style): each renders the whole file.
        let flow = text.replacen("contexts:\n", "contexts: []\nx-old-contexts:\n", 1);
        for (original, edit) in [(&text, 0), (&text, 1), (&flow, 2)] {
            std::fs::write(&path, original).unwrap();
            let mut expected = read();
            let users = expected["users"].as_array_mut().unwrap();
            Kubeconfigs::edit(&s, |k| {
                match edit {
                    0 => k.upsert(Section::Users, "u7", body("token", "t")),
                    1 => assert!(k.remove(Section::Users, "u7")),
                    _ => k.upsert(Section::Contexts, "new@c", body("user", "u7")),
                }
                Ok(())
            })
            .unwrap();
            match edit {
                0 => users[7]["user"] = serde_json::json!({"token": "t"}),
                1 => drop(users.remove(7)),
                _ => {
                    expected["contexts"] =
                        serde_json::json!([{"context": {"user": "u7"}, "name": "new@c"}])
                }
            }
            assert_eq!(read(), expected, "edit {edit}");
        }
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
}
