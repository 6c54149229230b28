use std::fs::File;

use super::*;

#[test]
fn keeps_the_mode_of_an_existing_file_and_makes_new_ones_private() {
    let dir = tempfile::tempdir().unwrap();
    let existing = dir.path().join("shared");
    fs::write(&existing, "old").unwrap();
    fs::set_permissions(&existing, fs::Permissions::from_mode(0o640)).unwrap();
    replace(&existing, "new", Mode::Keep).unwrap();
    assert_eq!(fs::read_to_string(&existing).unwrap(), "new");
    assert_eq!(
        fs::metadata(&existing).unwrap().permissions().mode() & 0o777,
        0o640
    );

    let fresh = dir.path().join("sub/dir/config");
    replace(&fresh, "x", Mode::Keep).unwrap();
    assert_eq!(
        fs::metadata(&fresh).unwrap().permissions().mode() & 0o777,
        0o600
    );
    assert_eq!(
        fs::metadata(dir.path().join("sub"))
            .unwrap()
            .permissions()
            .mode()
            & 0o777,
        0o700
    );
    let leftovers: Vec<_> = fs::read_dir(dir.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty());
}

#[test]
fn temp_files_left_by_a_killed_writer_are_removed_by_the_next_write() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config");
    fs::write(&path, "old").unwrap();
    // What a writer killed between create and rename leaves behind, and look-alikes that are
    // not ours (another file's temp, a user's own dotfile) and must stay.
    let stale = dir.path().join(".config.4242.0123456789ab.tmp");
    let others = [
        ".config2.4242.0123456789ab.tmp",
        ".config.notapid.0123456789ab.tmp",
        ".config.4242.short.tmp",
        ".config.tmp",
        "config.4242.0123456789ab.tmp",
    ];
    fs::write(&stale, "half a kubeconf").unwrap();
    for other in others {
        fs::write(dir.path().join(other), "keep").unwrap();
    }
    let _guard = lock(&path, LOCK_TIMEOUT).unwrap();
    replace(&path, "new", Mode::Keep).unwrap();
    assert!(!stale.exists(), "the stale temp file is cleaned up");
    for other in others {
        assert!(
            dir.path().join(other).exists(),
            "{other} is not ours to remove"
        );
    }
    assert_eq!(fs::read_to_string(&path).unwrap(), "new");
}

#[test]
fn a_file_that_receives_a_key_is_never_left_readable_by_others() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config");
    for (before, after) in [
        (0o644, 0o600),
        (0o640, 0o600),
        (0o600, 0o600),
        (0o400, 0o400),
    ] {
        fs::write(&path, "old").unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(before)).unwrap();
        replace(&path, "new", Mode::Private).unwrap();
        let mode = fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, after, "{before:o}");
    }
    fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).unwrap();
    replace(&path, "new", Mode::Fresh).unwrap();
    assert_eq!(
        fs::metadata(&path).unwrap().permissions().mode() & 0o777,
        0o600
    );
}

#[test]
fn writes_through_a_symlink_instead_of_replacing_it() {
    let dir = tempfile::tempdir().unwrap();
    let real = dir.path().join("real-config");
    let link = dir.path().join("config");
    fs::write(&real, "old").unwrap();
    std::os::unix::fs::symlink(&real, &link).unwrap();
    let guard = lock(&link, LOCK_TIMEOUT).unwrap();
    assert!(
        dir.path().join("config.lock").exists(),
        "kubectl's lock name: the path as given"
    );
    replace(&link, "new", Mode::Keep).unwrap();
    drop(guard);
    assert!(
        fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink()
    );
    assert_eq!(fs::read_to_string(&real).unwrap(), "new");
}

#[test]
fn a_held_lock_is_waited_for_then_reported_with_its_name() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config");
    let guard = lock(&path, LOCK_TIMEOUT).unwrap();
    let err = lock(&path, Duration::from_millis(50)).unwrap_err();
    assert!(err.to_string().contains("config.lock"), "{err}");
    drop(guard);
    assert!(!dir.path().join("config.lock").exists());
    let _again = lock(&path, Duration::from_millis(50)).unwrap();
}

#[test]
fn standalone_files_refuse_to_overwrite_unless_asked() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("john.kubeconfig");
    let doc = serde_json::json!({"apiVersion": "v1", "kind": "Config"});
    write_standalone(&path, &doc, false).unwrap();
    assert!(matches!(
        write_standalone(&path, &doc, false),
        Err(KubeconfigError::Exists { .. })
    ));
    write_standalone(&path, &doc, true).unwrap();
    assert_eq!(
        fs::metadata(&path).unwrap().permissions().mode() & 0o777,
        0o600
    );
}

#[test]
fn the_old_file_is_replaced_whole_never_rewritten_in_place() {
    // A reader (kubectl, mid-read) keeps the complete old file: the new one is a different
    // file renamed over it. Rewriting in place would truncate what the reader sees.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config");
    fs::write(&path, "old contents").unwrap();
    let mut reader = File::open(&path).unwrap();
    replace(&path, "new", Mode::Keep).unwrap();
    let mut seen = String::new();
    std::io::Read::read_to_string(&mut reader, &mut seen).unwrap();
    assert_eq!(seen, "old contents");
    assert_eq!(fs::read_to_string(&path).unwrap(), "new");
}
