//! The krew manifest follows krew's rules, and the archive the release script builds installs the
//! way krew installs it and runs through kubectl's real plugin mechanism.

use std::path::Path;
use std::process::Command;

use serde_json::Value;

use crate::harness::{BIN, Run, Sandbox};

fn manifest(path: &Path) -> Value {
    serde_saphyr::from_str(&std::fs::read_to_string(path).unwrap()).expect("plugin.yaml is YAML")
}

fn is_semver_with_v(v: &str) -> bool {
    let Some(rest) = v.strip_prefix('v') else {
        return false;
    };
    let core = rest.split(['-', '+']).next().unwrap();
    let parts: Vec<&str> = core.split('.').collect();
    parts.len() == 3
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()))
}

/// krew's validation rules (krew pkg/index/validation), as far as a manifest alone can be checked.
fn check_rules(m: &Value) {
    assert_eq!(
        m["apiVersion"],
        "krew.googlecontainertools.github.com/v1alpha2"
    );
    assert_eq!(m["kind"], "Plugin");
    assert_eq!(m["metadata"]["name"], "certuser");
    let spec = &m["spec"];
    let version = spec["version"].as_str().unwrap();
    assert!(is_semver_with_v(version), "{version}");
    assert_eq!(
        version,
        format!("v{}", env!("CARGO_PKG_VERSION")),
        "manifest and Cargo.toml agree"
    );
    for field in ["homepage", "shortDescription", "description"] {
        assert!(
            spec[field].as_str().is_some_and(|s| !s.trim().is_empty()),
            "{field}"
        );
    }
    assert!(spec["shortDescription"].as_str().unwrap().len() <= 255);
    let platforms = spec["platforms"].as_array().unwrap();
    let mut selectors = Vec::new();
    for p in platforms {
        let labels = &p["selector"]["matchLabels"];
        let key = (
            labels["os"].as_str().unwrap().to_string(),
            labels["arch"].as_str().unwrap().to_string(),
        );
        assert!(!selectors.contains(&key), "overlapping selectors {key:?}");
        selectors.push(key);
        let sha = p["sha256"].as_str().unwrap();
        assert!(
            sha.len() == 64
                && sha
                    .chars()
                    .all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c)),
            "sha256 {sha}"
        );
        let uri = p["uri"].as_str().unwrap();
        assert!(
            uri.starts_with("https://") && uri.ends_with(".tar.gz") && uri.contains(version),
            "{uri}"
        );
        assert_eq!(p["bin"], "kubectl-certuser");
        let files = p["files"].as_array().unwrap();
        assert!(
            files.iter().any(|f| f["from"] == "LICENSE"),
            "LICENSE ships"
        );
    }
}

#[test]
fn committed_manifest_follows_krew_rules() {
    check_rules(&manifest(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("plugin.yaml"),
    ));
}

#[test]
fn release_archive_installs_like_krew_and_runs_as_a_kubectl_plugin() {
    let sb = Sandbox::new();
    let dist = sb.path("dist");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/release.sh");
    let out = Command::new("bash")
        .arg(&script)
        .arg(&dist)
        .env("CERTUSER_BIN", BIN)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let m = manifest(&dist.join("plugin.yaml"));
    check_rules(&m);
    let version = m["spec"]["version"].as_str().unwrap();
    let platform = m["spec"]["platforms"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| {
            p["selector"]["matchLabels"]["os"] == "linux"
                && p["selector"]["matchLabels"]["arch"] == "amd64"
        })
        .expect("linux/amd64 entry")
        .clone();
    let archive = dist.join(format!("kubectl-certuser_{version}_linux_amd64.tar.gz"));
    let sha = Command::new("sha256sum").arg(&archive).output().unwrap();
    assert_eq!(
        String::from_utf8_lossy(&sha.stdout)
            .split_whitespace()
            .next()
            .unwrap(),
        platform["sha256"],
        "the manifest names this archive's sha256"
    );

    // Install as krew does: unpack into store/<plugin>/<version>, copy `files`, link `bin` into bin/.
    let root = sb.path("krew");
    let unpack = sb.path("unpack");
    std::fs::create_dir_all(&unpack).unwrap();
    let tar = Command::new("tar")
        .arg("-xzf")
        .arg(&archive)
        .arg("-C")
        .arg(&unpack)
        .status()
        .unwrap();
    assert!(tar.success());
    let store = root.join("store/certuser").join(version);
    std::fs::create_dir_all(&store).unwrap();
    for file in platform["files"].as_array().unwrap() {
        let from = unpack.join(file["from"].as_str().unwrap());
        assert!(from.exists(), "the archive holds {}", from.display());
        std::fs::copy(&from, store.join(from.file_name().unwrap())).unwrap();
    }
    std::fs::create_dir_all(root.join("bin")).unwrap();
    std::os::unix::fs::symlink(
        store.join(platform["bin"].as_str().unwrap()),
        root.join("bin/kubectl-certuser"),
    )
    .unwrap();

    let path = format!(
        "{}:{}",
        root.join("bin").display(),
        std::env::var("PATH").unwrap()
    );
    let kubectl = |args: &[&str]| {
        Command::new("kubectl")
            .args(args)
            .env("PATH", &path)
            .env("HOME", &sb.home)
            .output()
            .unwrap()
    };
    let list = kubectl(&["plugin", "list", "--name-only"]);
    assert!(
        String::from_utf8_lossy(&list.stdout).contains("kubectl-certuser"),
        "{}{}",
        String::from_utf8_lossy(&list.stdout),
        String::from_utf8_lossy(&list.stderr)
    );
    let help = kubectl(&["certuser", "--help"]);
    assert!(help.status.success());
    assert!(String::from_utf8_lossy(&help.stdout).contains("kubectl certuser"));
}

/// scripts/glibc-floor.sh, which scripts/release.sh runs on each Linux archive's binary.
fn glibc_floor(floor: &str, bin: &Path) -> Run {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/glibc-floor.sh");
    Run::of(
        Command::new("bash")
            .arg(script)
            .arg(floor)
            .arg(bin)
            .output()
            .unwrap(),
    )
}

/// "2.34" as (2, 34), to compare glibc versions as numbers, not strings ("2.4" < "2.17").
fn glibc_version(v: &str) -> Vec<u32> {
    v.split('.').map(|part| part.parse().unwrap()).collect()
}

/// This machine's glibc, e.g. "2.36": a binary linked here needs that much at most.
fn host_glibc() -> String {
    let out = Command::new("getconf")
        .arg("GNU_LIBC_VERSION")
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    text.trim().strip_prefix("glibc ").unwrap().to_string()
}

/// The test build links against this machine's glibc (2.36), as a plain `cargo build --release`
/// on the release runner would: its versioned symbols (pthread_create@GLIBC_2.34 ...) would
/// not load on RHEL 8's 2.28 or Amazon Linux 2's 2.26, so the archives' floor refuses it.
#[test]
fn a_binary_built_against_this_machines_glibc_is_refused_under_the_archives_floor() {
    let refused = glibc_floor("2.17", Path::new(BIN));
    assert_eq!(refused.code, 1, "{refused:?}");
    assert!(refused.stderr.contains("glibc 2.17"), "{}", refused.stderr);
    // Each symbol named is one that really needs more than 2.17.
    let culprits: Vec<&str> = refused
        .stderr
        .lines()
        .filter_map(|line| line.trim().split_once("@GLIBC_").map(|(_, v)| v))
        .collect();
    assert!(!culprits.is_empty(), "{}", refused.stderr);
    for version in culprits {
        assert!(
            glibc_version(version) > glibc_version("2.17"),
            "{version}: {}",
            refused.stderr
        );
    }

    let accepted = glibc_floor(&host_glibc(), Path::new(BIN));
    accepted.ok();
    assert!(accepted.stdout.contains("at most"), "{}", accepted.stdout);
}

/// A need without a number (the loader's GLIBC_ABI_DT_RELR, glibc 2.36+, asked for by
/// `-z pack-relative-relocs`) names no symbol, and no floor promises it.
#[test]
fn a_glibc_need_without_a_version_number_is_refused_even_at_this_machines_glibc() {
    let sb = Sandbox::new();
    let source = sb.path("hello.c");
    std::fs::write(&source, "int main(void) { return 0; }\n").unwrap();
    let bin = sb.path("hello");
    let cc = Command::new("cc")
        .arg(&source)
        .arg("-o")
        .arg(&bin)
        .arg("-Wl,-z,pack-relative-relocs")
        .output()
        .unwrap();
    assert!(
        cc.status.success(),
        "{}",
        String::from_utf8_lossy(&cc.stderr)
    );

    let refused = glibc_floor(&host_glibc(), &bin);
    assert_eq!(refused.code, 1, "{refused:?}");
    assert!(
        refused.stderr.contains("GLIBC_ABI_DT_RELR"),
        "{}",
        refused.stderr
    );
}
