//! Replacing a file so that a crash leaves the old one or the new one, never half of one: a temp
//! file in the same folder, fsync it, rename it over the target, fsync the folder (the rename is
//! only durable once the folder is). The one writer under both keys and certificates (`pki`) and
//! kubeconfigs (`kubeconfig/write.rs`, which adds kubectl's lock and its mode rules). While a temp
//! file exists a signal waits (`signals::Hold`): it is renamed into place or removed first.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use crate::signals::{Hold, Leftover};

/// Replace `path` with `bytes`. The temp file is created with `create_mode` (the umask applies),
/// so it is never more open than asked, even for a moment; `prepare` may then adjust it (exact
/// mode, owner) before anything is written. On error the temp file is removed.
pub(crate) fn replace(
    path: &Path,
    bytes: &[u8],
    create_mode: u32,
    prepare: impl FnOnce(&File) -> io::Result<()>,
) -> io::Result<()> {
    replace_pieces(path, &[bytes], create_mode, prepare)
}

/// [`replace`] with the content in pieces, written one after another: an edit of a large
/// kubeconfig writes the unchanged stretches straight from the text as read, without first
/// joining them into a second copy of the file.
pub(crate) fn replace_pieces(
    path: &Path,
    pieces: &[&[u8]],
    create_mode: u32,
    prepare: impl FnOnce(&File) -> io::Result<()>,
) -> io::Result<()> {
    stage(path, pieces, create_mode, prepare)?.commit()
}

/// The new content of a file, written and fsynced in a temp file beside it but not yet in place.
/// [`Staged::commit`] renames it over the target; dropped uncommitted, it is removed. Staging
/// every file of a change before committing any means a file that cannot be written (a full
/// disk, a folder we may not write) leaves all of them as they were.
pub(crate) struct Staged {
    tmp: PathBuf,
    path: PathBuf,
    committed: bool,
    // Dropped after the temp file is renamed or removed, in this order.
    _named: Leftover,
    _hold: Hold,
}

/// Write `pieces`, one after another, to a temp file for `path` (see [`replace`] for
/// `create_mode` and `prepare`).
pub(crate) fn stage(
    path: &Path,
    pieces: &[&[u8]],
    create_mode: u32,
    prepare: impl FnOnce(&File) -> io::Result<()>,
) -> io::Result<Staged> {
    let hold = Hold::new();
    let tmp = temp_path(&folder_of(path), &file_name(path));
    // From here on, dropping `staged` removes the temp file whatever fails.
    let staged = Staged {
        _named: Leftover::name(&tmp),
        tmp,
        path: path.to_path_buf(),
        committed: false,
        _hold: hold,
    };
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(create_mode)
        .open(&staged.tmp)?;
    prepare(&file)?;
    for piece in pieces {
        file.write_all(piece)?;
    }
    file.sync_all()?;
    Ok(staged)
}

impl Staged {
    /// Rename over the target, then fsync the folder: the rename is only durable once it is.
    pub(crate) fn commit(mut self) -> io::Result<()> {
        fs::rename(&self.tmp, &self.path)?;
        self.committed = true;
        File::open(folder_of(&self.path))?.sync_all()
    }
}

impl Drop for Staged {
    fn drop(&mut self) {
        if !self.committed {
            let _ = fs::remove_file(&self.tmp);
        }
    }
}

/// Create `dir` and its missing parents 0700: they will hold credentials. An existing folder is
/// left as it is.
pub(crate) fn create_private_dir(dir: &Path) -> io::Result<()> {
    if dir.as_os_str().is_empty() || dir.exists() {
        return Ok(());
    }
    fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
}

/// The folder `path` is in (`.` for a bare name).
pub(crate) fn folder_of(path: &Path) -> PathBuf {
    match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

pub(crate) fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// `.NAME.PID.HEX.tmp`, with 12 random hex digits: unique even for two writers in one process.
fn temp_path(dir: &Path, name: &str) -> PathBuf {
    let mut suffix = [0u8; 6];
    let _ = openssl::rand::rand_bytes(&mut suffix);
    let hex: String = suffix.iter().map(|b| format!("{b:02x}")).collect();
    dir.join(format!(".{name}.{}.{hex}.tmp", std::process::id()))
}

/// Whether `file_name` is one of our temp files for a file called `name` (exactly the pattern of
/// [`temp_path`], nothing that merely looks like it).
pub(crate) fn is_temp_of(name: &str, file_name: &str) -> bool {
    let Some(rest) = file_name
        .strip_prefix(&format!(".{name}."))
        .and_then(|f| f.strip_suffix(".tmp"))
    else {
        return false;
    };
    rest.split_once('.').is_some_and(|(pid, hex)| {
        !pid.is_empty()
            && pid.bytes().all(|b| b.is_ascii_digit())
            && hex.len() == 12
            && hex.bytes().all(|b| b.is_ascii_hexdigit())
    })
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    #[test]
    fn replaces_whole_files_and_leaves_no_temp_behind() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("key.pem");
        fs::write(&path, "old").unwrap();
        replace(&path, b"new", 0o600, |_| Ok(())).unwrap();
        assert_eq!(fs::read_to_string(&path).unwrap(), "new");
        assert_eq!(
            fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o600
        );
        let names: Vec<String> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, ["key.pem"]);
    }

    #[test]
    fn a_failed_preparation_leaves_the_old_file_and_no_temp() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config");
        fs::write(&path, "old").unwrap();
        let err = replace(&path, b"new", 0o600, |_| Err(io::Error::other("no"))).unwrap_err();
        assert_eq!(err.to_string(), "no");
        assert_eq!(fs::read_to_string(&path).unwrap(), "old");
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn temp_names_match_their_own_pattern_only() {
        let dir = Path::new("/x");
        let tmp = temp_path(dir, "config");
        let name = tmp.file_name().unwrap().to_str().unwrap();
        assert!(is_temp_of("config", name), "{name}");
        assert!(!is_temp_of("config2", name));
        for other in [
            ".config.tmp",
            ".config.1.short.tmp",
            ".config.x.0123456789ab.tmp",
            "config",
        ] {
            assert!(!is_temp_of("config", other), "{other}");
        }
    }
}
