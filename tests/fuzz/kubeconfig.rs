//! A kubeconfig from arbitrary bytes: read it; when it reads, edit it as `add` and `remove` do,
//! write it, and read it back. The edit must change only the entries it names, and what we wrote
//! must read back to the same entries.

use std::collections::BTreeSet;

use kubectl_certuser::kubeconfig::{Kubeconfigs, Section, Sources};
use serde_json::{Map, Value, json};

const SECTIONS: [Section; 3] = [Section::Clusters, Section::Users, Section::Contexts];

pub fn target(bytes: &[u8]) {
    // In memory where the machine has it: every write fsyncs, which on a busy disk is most of
    // the cost of a run.
    let shm = std::path::Path::new("/dev/shm");
    let dir = if shm.is_dir() {
        tempfile::tempdir_in(shm).unwrap()
    } else {
        tempfile::tempdir().unwrap()
    };
    let path = dir.path().join("config");
    std::fs::write(&path, bytes).unwrap();
    let sources = Sources::from_parts(Some(&path), None, None);
    let Ok(before) = Kubeconfigs::load(&sources) else {
        assert_eq!(
            std::fs::read(&path).unwrap(),
            bytes,
            "a failed read changed the file"
        );
        return;
    };
    let names = |k: &Kubeconfigs| -> Vec<BTreeSet<String>> {
        SECTIONS
            .iter()
            .map(|s| k.names(*s).into_iter().collect())
            .collect()
    };
    let old = names(&before);
    // Remove the first user, if any; add (or replace) "fuzz-user" and its context.
    let removed = before.names(Section::Users).into_iter().next();
    let edited = Kubeconfigs::edit(&sources, |k| {
        if let Some(user) = &removed {
            k.remove(Section::Users, user);
        }
        k.upsert(Section::Users, "fuzz-user", body(json!({"token": "t"})));
        k.upsert(
            Section::Contexts,
            "fuzz-user@fuzz",
            body(json!({"cluster": "fuzz", "user": "fuzz-user"})),
        );
        k.set_current_context("fuzz-user@fuzz");
        Ok(())
    });
    let Ok(()) = edited else {
        // Rendering may refuse (e.g. a value YAML cannot hold); the file must be as it was.
        assert_eq!(
            std::fs::read(&path).unwrap(),
            bytes,
            "a failed edit changed the file"
        );
        return;
    };
    let after = Kubeconfigs::load(&sources).expect("what we wrote reads back");
    let mut expected = old.clone();
    if let Some(user) = &removed {
        expected[1].remove(user);
    }
    expected[1].insert("fuzz-user".into());
    expected[2].insert("fuzz-user@fuzz".into());
    assert_eq!(names(&after), expected, "the edit changed other entries");
    assert_eq!(after.current_context(), Some("fuzz-user@fuzz"));
    // Writing what we read is stable: a second round trip changes nothing.
    let text = std::fs::read(&path).unwrap();
    Kubeconfigs::edit(&sources, |k| {
        k.upsert(Section::Users, "fuzz-user", body(json!({"token": "t"})));
        Ok(())
    })
    .expect("a file we wrote edits again");
    assert_eq!(
        std::fs::read(&path).unwrap(),
        text,
        "the second write differs"
    );
}

fn body(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        _ => unreachable!(),
    }
}
