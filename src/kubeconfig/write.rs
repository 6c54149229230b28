//! Writing like kubectl, but safer. kubectl (client-go `clientcmd.lockFile`) creates
//! `<file>.lock` with O_EXCL and fails at once when it exists; we take the same lock, so kubectl
//! and we exclude each other, but wait our turn (a bounded time) instead of failing. kubectl
//! writes nothing into its lock and only checks that it can create it, so we write our process
//! id into ours: a waiter can then say who holds the lock, and whether that process still runs. The file itself is replaced
//! atomically (temp file in the same folder, fsync, rename, fsync the folder), keeping its mode
//! and owner; a new file is 0600 in a 0700 folder. A SIGINT, SIGTERM or SIGHUP while the lock is
//! held waits for its release (see `signals`), so a signal never leaves kubectl locked out.

use std::borrow::Cow;
use std::fs::{self, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use super::KubeconfigError;
use crate::atomic_file;
use crate::signals::{Hold, Leftover};

/// How long we wait for another writer's lock before giving up.
pub(crate) const LOCK_TIMEOUT: Duration = Duration::from_secs(30);

/// A held `<file>.lock`; dropping it releases the lock, on every path including panics.
#[derive(Debug)]
pub(crate) struct LockGuard {
    lock: PathBuf,
    // Dropped in this order, after the lock file is removed: the signal a hold kept waiting
    // may end the process only once the lock is gone.
    _named: Leftover,
    _hold: Hold,
}

impl Drop for LockGuard {
    fn drop(&mut self) {
        let _ = fs::remove_file(&self.lock);
    }
}

/// The file we really write: a symlinked kubeconfig is written through, not replaced.
pub(crate) fn target_of(path: &Path) -> PathBuf {
    match fs::symlink_metadata(path) {
        Ok(meta) if meta.file_type().is_symlink() => {
            fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf())
        }
        _ => path.to_path_buf(),
    }
}

/// The lock is named after the path as given, not its symlink target: that is the name kubectl
/// uses, and the point of the lock is that kubectl and we exclude each other.
pub(crate) fn lock(path: &Path, timeout: Duration) -> Result<LockGuard, KubeconfigError> {
    let path = path.to_path_buf();
    ensure_dir(&path)?;
    let mut lock_name = path.clone().into_os_string();
    lock_name.push(".lock");
    let lock = PathBuf::from(lock_name);
    let start = Instant::now();
    let mut pause = Duration::from_millis(5);
    let mut told = false;
    loop {
        // Held back from before the lock exists; on a failed attempt, released again at once.
        let hold = Hold::new();
        let named = Leftover::name(&lock);
        match OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&lock)
        {
            Ok(mut file) => {
                // Who holds it, for a waiter's message; the lock works without it.
                let _ = writeln!(file, "{}", std::process::id());
                return Ok(LockGuard {
                    lock,
                    _named: named,
                    _hold: hold,
                });
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                drop((named, hold));
                // A hold of ours is still open (the edit's own, or the lock of a file locked
                // before this one): a signal waits for it, so stop waiting here and let go.
                if let Some(signal) = Hold::pending() {
                    return Err(KubeconfigError::Interrupted { path, signal });
                }
                if !told {
                    // At once: a silent wait looks like a hang.
                    crate::output::say(format_args!(
                        "warning: {} is locked ({} exists, {}); waiting up to {} for it",
                        path.display(),
                        lock.display(),
                        holder(&lock),
                        crate::output::human_duration(timeout.as_secs() as i64),
                    ));
                    told = true;
                }
                if start.elapsed() >= timeout {
                    let holder = holder(&lock);
                    return Err(KubeconfigError::Locked { path, lock, holder });
                }
                std::thread::sleep(pause + jitter(pause));
                pause = (pause * 2).min(Duration::from_millis(100));
            }
            Err(source) => return Err(KubeconfigError::Write { path: lock, source }),
        }
    }
}

/// Who holds a lock, as far as its file tells: our own locks carry the holder's process id.
fn holder(lock: &Path) -> String {
    let Ok(text) = fs::read_to_string(lock) else {
        return "its holder is unknown".into();
    };
    let age = fs::metadata(lock)
        .and_then(|m| m.modified())
        .ok()
        .and_then(|t| t.elapsed().ok())
        .map(|d| {
            format!(
                ", created {} ago",
                crate::output::human_duration(d.as_secs().max(1) as i64)
            )
        })
        .unwrap_or_default();
    match text.trim().parse::<u32>() {
        Ok(pid) if Path::new("/proc").join(pid.to_string()).exists() => {
            format!("held by process {pid}, still running{age}")
        }
        Ok(pid) if Path::new("/proc/self").exists() => {
            format!("held by process {pid}, which is no longer running: the lock is stale{age}")
        }
        Ok(pid) => format!("held by process {pid}{age}"),
        Err(_) if text.trim().is_empty() => {
            format!("held by kubectl or another program that writes no process id{age}")
        }
        Err(_) => format!("held by an unknown program{age}"),
    }
}

/// Up to `pause` more, so waiting writers do not wake in lockstep.
fn jitter(pause: Duration) -> Duration {
    let mut byte = [0u8; 1];
    let _ = openssl::rand::rand_bytes(&mut byte);
    pause * u32::from(byte[0]) / 255
}

/// A missing parent folder is created 0700: it will hold credentials.
fn ensure_dir(path: &Path) -> Result<(), KubeconfigError> {
    let dir = atomic_file::folder_of(path);
    atomic_file::create_private_dir(&dir)
        .map_err(|source| KubeconfigError::Write { path: dir, source })
}

/// What mode the written file gets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Mode {
    /// The existing file's (a new file is 0600): an edit does not change who may read it.
    Keep,
    /// The existing file's, but never readable by group or others: the file now holds a key we
    /// put there. A mode that was wider is narrowed with a warning.
    Private,
    /// 0600 whatever the file had: a file we write anew for one person.
    Fresh,
}

/// Replace `path` with `text` atomically. Call with the lock held.
pub(crate) fn replace(path: &Path, text: &str, policy: Mode) -> Result<(), KubeconfigError> {
    replace_pieces(path, &[Cow::Borrowed(text)], policy)
}

/// [`replace`] with the new content given as pieces written one after another.
pub(crate) fn replace_pieces(
    path: &Path,
    pieces: &[Cow<'_, str>],
    policy: Mode,
) -> Result<(), KubeconfigError> {
    let path = target_of(path);
    ensure_dir(&path)?;
    let err = |source| KubeconfigError::Write {
        path: path.clone(),
        source,
    };
    let existing = fs::metadata(&path).ok();
    let old_mode = existing.as_ref().map(|m| m.permissions().mode() & 0o7777);
    let mode = match (policy, old_mode) {
        (Mode::Fresh, _) | (_, None) => 0o600,
        (Mode::Keep, Some(old)) => old,
        (Mode::Private, Some(old)) if old & 0o077 == 0 => old,
        (Mode::Private, Some(old)) => {
            // Printed here, as it happens: a key must never become readable silently.
            crate::output::say(format_args!(
                "warning: {} was mode {old:04o}, readable by others; it now holds a private key, so it is written 0600",
                path.display()
            ));
            old & 0o7700 | 0o600
        }
    };
    let dir = atomic_file::folder_of(&path);
    remove_stale_temp_files(&dir, &atomic_file::file_name(&path));
    // Created 0600, then given its exact mode (the umask may have narrowed it) and its owner
    // before a byte of the kubeconfig is in it.
    let bytes: Vec<&[u8]> = pieces.iter().map(|p| p.as_bytes()).collect();
    atomic_file::replace_pieces(&path, &bytes, 0o600, |file| {
        file.set_permissions(fs::Permissions::from_mode(mode))?;
        if let Some(meta) = &existing {
            let ours = file.metadata()?;
            if (ours.uid(), ours.gid()) != (meta.uid(), meta.gid()) {
                // Keep the owner when root edits someone's file (sudo); fails harmlessly otherwise.
                let _ = std::os::unix::fs::fchown(file, Some(meta.uid()), Some(meta.gid()));
            }
        }
        Ok(())
    })
    .map_err(err)
}

/// A writer killed between creating its temp file and renaming it leaves `.NAME.PID.HEX.tmp`
/// behind (a partial copy of the kubeconfig, credentials included). Only a lock holder writes
/// such a file, and we hold the lock, so any that exists is stale: remove it. Only our exact
/// pattern for this file's name is touched.
fn remove_stale_temp_files(dir: &Path, name: &str) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        if entry
            .file_name()
            .to_str()
            .is_some_and(|f| atomic_file::is_temp_of(name, f))
        {
            let _ = fs::remove_file(entry.path());
        }
    }
}

/// Write a brand-new standalone kubeconfig (for `export` and `demo`): locked, atomic, 0600 even
/// over an existing file, and never through a symlink.
pub fn write_standalone(
    path: &Path,
    doc: &serde_json::Value,
    overwrite: bool,
) -> Result<(), KubeconfigError> {
    let text = super::to_yaml(doc)?;
    let _guard = lock(path, LOCK_TIMEOUT)?;
    // Writing through a link would put a key wherever the link points, with that file's mode
    // (a classic trap in shared folders); replacing the link would surprise whoever made it.
    if let Ok(meta) = fs::symlink_metadata(path)
        && meta.file_type().is_symlink()
    {
        return Err(KubeconfigError::Symlink {
            path: path.to_path_buf(),
            target: fs::read_link(path).unwrap_or_default(),
        });
    }
    if path.exists() && !overwrite {
        return Err(KubeconfigError::Exists {
            path: path.to_path_buf(),
        });
    }
    replace(path, &text, Mode::Fresh)
}

#[cfg(test)]
mod tests;
