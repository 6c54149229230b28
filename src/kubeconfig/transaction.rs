//! Edits as transactions: lock every file involved (kubectl's `<file>.lock`), read under the
//! lock, let the caller change the view, write each changed file atomically, unlock. A change
//! that fails writes nothing; `plan` runs one without writing, for dry runs. A signal meanwhile
//! waits (`signals::Hold`): an edit not yet begun is dropped, one begun is finished, the locks are
//! released, and only then does the process end, saying which files were written.

use std::borrow::Cow;
use std::path::PathBuf;

use super::document::Document;
use super::merged::Kubeconfigs;
use super::write::{self, LOCK_TIMEOUT};
use super::{KubeconfigError, Sources};
use crate::signals::Hold;

/// What `plan` would write: one per changed file, both texts already redacted (see `redact`),
/// so no diff or dump built from it can show a secret.
#[derive(Clone, Debug)]
pub struct FileChange {
    pub path: PathBuf,
    pub before: String,
    pub after: String,
}

impl Kubeconfigs {
    /// Read every file that exists under its writers' lock, then let go: for the checks before
    /// an edit. kubectl rewrites a kubeconfig in place (truncate, then write) while holding the
    /// lock, so a reader that ignores the lock can see an empty or half-written file.
    pub fn load_locked(sources: &Sources) -> Result<Self, KubeconfigError> {
        let mut hold = Hold::new();
        hold.note(format!(
            "nothing was written ({} only read)",
            files(&sources.files)
        ));
        let guards = lock_all(sources, false)?;
        let kcs = Kubeconfigs::load(sources);
        drop((guards, hold));
        kcs
    }

    /// Lock, read, apply `f`, write what changed, unlock. `f` failing writes nothing.
    pub fn edit<T>(
        sources: &Sources,
        f: impl FnOnce(&mut Kubeconfigs) -> anyhow::Result<T>,
    ) -> Result<T, KubeconfigError> {
        Self::edit_reusing(sources, Vec::new(), f)
    }

    /// `edit` after a `load` of the same files: what did not change on disk in between is not
    /// parsed again (it is still read, under the lock, to know).
    pub fn edit_again<T>(
        self,
        f: impl FnOnce(&mut Kubeconfigs) -> anyhow::Result<T>,
    ) -> Result<T, KubeconfigError> {
        let sources = self.sources.clone();
        Self::edit_reusing(&sources, self.docs, f)
    }

    fn edit_reusing<T>(
        sources: &Sources,
        earlier: Vec<Document>,
        f: impl FnOnce(&mut Kubeconfigs) -> anyhow::Result<T>,
    ) -> Result<T, KubeconfigError> {
        let mut hold = Hold::new();
        hold.note(format!("nothing was written to {}", files(&sources.files)));
        let guards = lock_all(sources, true)?;
        // Read under the lock: what another writer just wrote is part of what we write.
        let mut kcs = Kubeconfigs::reload(sources, earlier)?;
        if let Some(signal) = Hold::pending() {
            // Not begun yet: the change (and any file it would write beside) is not made.
            return Err(KubeconfigError::Interrupted {
                path: sources.default_write_file(),
                signal,
            });
        }
        let result = f(&mut kcs).map_err(KubeconfigError::Change)?;
        let rendered: Vec<(PathBuf, Vec<Cow<'_, str>>, write::Mode)> = kcs
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
        // Begun, so finished: the change may already have put files beside the kubeconfig.
        let mut written = Vec::new();
        for (path, pieces, mode) in &rendered {
            let unwritten = || files(rendered[written.len()..].iter().map(|(p, ..)| p));
            hold.note(match written.is_empty() {
                true => format!("nothing was written to {}", unwritten()),
                false => format!(
                    "{} written; {} left as it was",
                    files(&written),
                    unwritten()
                ),
            });
            write::replace_pieces(path, pieces, *mode)?;
            written.push(path.clone());
        }
        if !written.is_empty() {
            hold.note(format!("{} was written whole", files(&written)));
        }
        drop((guards, hold));
        drop_aside(kcs);
        Ok(result)
    }

    /// `edit` without writing: the result and, per changed file, its content before and after,
    /// redacted. Both sides are rendered the same way, so the diff shows what changes in meaning,
    /// not how our YAML differs from the file's formatting.
    pub fn plan<T>(
        sources: &Sources,
        f: impl FnOnce(&mut Kubeconfigs) -> anyhow::Result<T>,
    ) -> Result<(T, Vec<FileChange>), KubeconfigError> {
        let mut kcs = Kubeconfigs::load(sources)?;
        let result = f(&mut kcs).map_err(KubeconfigError::Change)?;
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
}

/// Paths for a note: `a, b`.
fn files<'a>(paths: impl IntoIterator<Item = &'a PathBuf>) -> String {
    let names: Vec<String> = paths.into_iter().map(|p| p.display().to_string()).collect();
    names.join(", ")
}

/// The files as read are of no more use once written. Freeing the tree of a kubeconfig of
/// 10,000 users (hundreds of thousands of allocations) took ~15 ms of the whole `add`, which
/// need not wait for it: a big one is freed on a thread of its own (inline if none can start).
fn drop_aside(kcs: Kubeconfigs) {
    let text: usize = kcs
        .docs
        .iter()
        .filter_map(|d| d.original.as_ref())
        .map(String::len)
        .sum();
    if text < BIG_TEXT {
        return;
    }
    let _ = std::thread::Builder::new()
        .name("kubeconfig-drop".into())
        .spawn(move || drop(kcs));
}

/// Past this much text a kubeconfig's tree is worth freeing aside (a few hundred users).
const BIG_TEXT: usize = 1 << 20;

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

#[cfg(test)]
mod tests {
    use serde_json::Map;

    use super::*;
    use crate::kubeconfig::Section;
    use crate::kubeconfig::testing::{body, sources};

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
    fn a_refused_change_is_a_typed_error_that_keeps_the_callers_message_and_hint() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("config"), "users: []\n").unwrap();
        let s = sources(dir.path(), &["config"]);
        let refuse = |_: &mut Kubeconfigs| -> anyhow::Result<()> {
            Err(crate::error::hinted(
                "user \"u\" already exists",
                "pass --force",
            ))
        };
        let edited: KubeconfigError = Kubeconfigs::edit(&s, refuse).unwrap_err();
        let planned: KubeconfigError = Kubeconfigs::plan(&s, refuse).unwrap_err();
        for err in [edited, planned] {
            assert!(matches!(err, KubeconfigError::Change(_)), "{err:?}");
            assert_eq!(err.to_string(), "user \"u\" already exists");
            assert_eq!(err.hint().as_deref(), Some("pass --force"));
            let err = anyhow::Error::from(err).context("cannot add u");
            assert_eq!(crate::error::hint_of(&err).as_deref(), Some("pass --force"));
            assert_eq!(
                format!("{err:#}"),
                "cannot add u: user \"u\" already exists"
            );
        }
        // The module's own failures are its own variants, with their fix.
        std::fs::write(dir.path().join("config"), "users: [\n").unwrap();
        let err = Kubeconfigs::edit(&s, |_| Ok(())).unwrap_err();
        assert!(matches!(err, KubeconfigError::Parse { .. }), "{err:?}");
        assert!(err.hint().is_some());
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
    fn a_big_kubeconfig_is_written_whole_while_its_tree_is_freed_aside() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config");
        let text = crate::kubeconfig::testing::embedded_users(400);
        assert!(text.len() > BIG_TEXT, "{} bytes", text.len());
        std::fs::write(&path, &text).unwrap();
        let s = sources(dir.path(), &["config"]);
        for name in ["new", "newer"] {
            Kubeconfigs::load(&s)
                .unwrap()
                .edit_again(|k| {
                    k.upsert(Section::Users, name, Map::new());
                    Ok(())
                })
                .unwrap();
        }
        let written = std::fs::read_to_string(&path).unwrap();
        assert_eq!(
            written,
            format!("{text}- name: new\n  user: {{}}\n- name: newer\n  user: {{}}\n")
        );
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
}
