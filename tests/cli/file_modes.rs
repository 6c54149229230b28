//! Keys stay private on disk: a kubeconfig that receives a key is made 0600 (and we say so),
//! `export` never writes through a symlink, `--cert-dir` files are 0600 in a folder that is ours,
//! referenced by clean absolute paths.

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;

use crate::harness::{Sandbox, entry};

fn mode(p: &Path) -> u32 {
    std::fs::symlink_metadata(p).unwrap().permissions().mode() & 0o777
}

#[test]
fn a_readable_kubeconfig_that_receives_a_key_is_made_private_and_we_say_so() {
    let sb = Sandbox::with_local_ca();
    std::fs::set_permissions(&sb.kubeconfig, std::fs::Permissions::from_mode(0o644)).unwrap();
    // Files referenced by path put no key into the kubeconfig: its mode is left alone.
    let run = sb.add_local(&["bob", "--cert-dir", "certs"]);
    assert!(!run.ok().stderr.contains("0644"), "{}", run.stderr);
    assert_eq!(mode(&sb.kubeconfig), 0o644);
    let run = sb.add_local(&["john"]);
    let stderr = &run.ok().stderr;
    assert_eq!(mode(&sb.kubeconfig), 0o600);
    assert!(
        stderr.contains("warning:")
            && stderr.contains(sb.kubeconfig.to_str().unwrap())
            && stderr.contains("0644")
            && stderr.contains("0600"),
        "{stderr}"
    );
}

#[test]
fn export_never_writes_through_a_symlink_and_always_writes_0600() {
    let sb = Sandbox::with_local_ca();
    sb.add_local(&["john"]).ok();
    let shared = sb.path("shared-place");
    std::fs::write(&shared, "not yours\n").unwrap();
    std::fs::set_permissions(&shared, std::fs::Permissions::from_mode(0o644)).unwrap();
    let link = sb.path("john.kubeconfig");
    std::os::unix::fs::symlink(&shared, &link).unwrap();
    let before = sb.snapshot();
    let run = sb.run(&["export", "john", "--file", "john.kubeconfig", "--force"]);
    run.fails_with("symbolic link");
    assert!(run.stderr.contains("shared-place"), "{}", run.stderr);
    assert!(before == sb.snapshot(), "nothing written through the link");
    assert!(
        std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink()
    );

    // An existing readable file overwritten with --force is 0600 afterwards, as reported.
    std::fs::remove_file(&link).unwrap();
    std::fs::write(&link, "old\n").unwrap();
    std::fs::set_permissions(&link, std::fs::Permissions::from_mode(0o644)).unwrap();
    let run = sb.run(&["export", "john", "--file", "john.kubeconfig", "--force"]);
    assert!(run.ok().stderr.contains("mode 0600"), "{}", run.stderr);
    assert_eq!(mode(&link), 0o600);
}

#[test]
fn cert_dir_files_are_0600_and_paths_are_clean() {
    let sb = Sandbox::with_local_ca();
    std::fs::create_dir_all(sb.path("certs")).unwrap();
    sb.add_local(&["bob", "--cert-dir", "./certs/../certs/./team"])
        .ok();
    let dir = sb.path("certs/team");
    assert_eq!(mode(&dir.join("bob.crt")), 0o600, "as --help says");
    assert_eq!(mode(&dir.join("bob.key")), 0o600);
    let view = sb.kubectl_view();
    let user = &entry(&view, "users", "bob").unwrap()["user"];
    let canonical = std::fs::canonicalize(&dir).unwrap();
    assert_eq!(
        user["client-certificate"],
        canonical.join("bob.crt").to_str().unwrap()
    );
    assert_eq!(
        user["client-key"],
        canonical.join("bob.key").to_str().unwrap()
    );
}

#[test]
fn a_cert_dir_others_may_write_or_someone_else_owns_is_refused() {
    let sb = Sandbox::with_local_ca();
    let open = sb.path("open");
    std::fs::create_dir(&open).unwrap();
    std::fs::set_permissions(&open, std::fs::Permissions::from_mode(0o777)).unwrap();
    let before = sb.snapshot();
    sb.add_local(&["bob", "--cert-dir", "open"])
        .fails_with("writable");
    assert!(before == sb.snapshot());

    // Someone else's folder (we can make one only as root).
    let theirs = sb.path("theirs");
    std::fs::create_dir(&theirs).unwrap();
    std::fs::set_permissions(&theirs, std::fs::Permissions::from_mode(0o700)).unwrap();
    let chowned = std::process::Command::new("chown")
        .args(["65534", theirs.to_str().unwrap()])
        .status()
        .is_ok_and(|s| s.success());
    if chowned && std::fs::metadata(&theirs).unwrap().uid() == 65534 {
        sb.add_local(&["bob", "--cert-dir", "theirs"])
            .fails_with("owned by");
    }
}
