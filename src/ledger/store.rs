//! Where the ledger lives and how lines get in and out of it.
//!
//! Appends are safe with many writers, even on shared storage: the file is opened with O_APPEND,
//! and each batch of complete lines goes in one `write_all` under an exclusive lock of the file
//! itself, so two processes never interleave or lose lines. A reader takes a shared lock and so
//! never sees half a line; a line it cannot read (a hand edit, a crash of some other tool) is
//! reported and skipped, never fatal.

use std::fs::{DirBuilder, File, OpenOptions};
use std::io::{Read as _, Write as _};
use std::os::unix::fs::{DirBuilderExt as _, OpenOptionsExt as _};
use std::path::{Path, PathBuf};

use super::Record;

#[derive(Debug, thiserror::Error)]
pub enum LedgerError {
    #[error(
        "no data folder to keep the ledger in (neither XDG_DATA_HOME nor HOME is set): pass --ledger FILE or set CERTUSER_LEDGER, or --no-ledger"
    )]
    NoDataDir,
    #[error("cannot open the ledger {}: {source}", path.display())]
    Open {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot write to the ledger {}: {source}", path.display())]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot read the ledger {}: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// `$XDG_DATA_HOME/kubectl-certuser/ledger.jsonl`, else `~/.local/share/...` (Linux), through `dirs`.
pub fn default_path() -> Result<PathBuf, LedgerError> {
    dirs::data_dir()
        .map(|d| d.join("kubectl-certuser").join("ledger.jsonl"))
        .ok_or(LedgerError::NoDataDir)
}

/// A ledger to append to. Checked before anything is issued, so a ledger that cannot be written
/// stops a command before it changes anything; but created only by the first append, so a command
/// refused later leaves no new file behind.
#[derive(Debug)]
pub struct Ledger {
    path: PathBuf,
}

impl Ledger {
    /// Check that `path` can be appended to: an existing file opens for writing, or the nearest
    /// existing folder above it is writable.
    pub fn open(path: &Path) -> Result<Ledger, LedgerError> {
        let err = |source| LedgerError::Open {
            path: path.to_path_buf(),
            source,
        };
        if path.exists() {
            OpenOptions::new().append(true).open(path).map_err(err)?;
        } else {
            let mut dir = path.parent();
            while let Some(d) = dir.filter(|d| !d.as_os_str().is_empty() && !d.exists()) {
                dir = d.parent();
            }
            let dir = dir
                .filter(|d| !d.as_os_str().is_empty())
                .unwrap_or(Path::new("."));
            writable_dir(dir).map_err(err)?;
        }
        // Who records is settled now, before the command's work: the lines are written when
        // every certificate is in hand, on the way to the end.
        super::local_user();
        Ok(Ledger {
            path: path.to_path_buf(),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Append `records`, one line each, in one write under the lock. Creates the file 0600 and
    /// missing folders 0700; an existing file or folder keeps its mode (a team's shared ledger
    /// may be group-writable on purpose).
    pub fn append(&self, records: &[Record]) -> Result<(), LedgerError> {
        let mut text = String::new();
        for record in records {
            text.push_str(&serde_json::to_string(record).expect("a record always serialises"));
            text.push('\n');
        }
        let err = |source| LedgerError::Write {
            path: self.path.clone(),
            source,
        };
        if let Some(dir) = self.path.parent().filter(|d| !d.as_os_str().is_empty()) {
            DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(dir)
                .map_err(err)?;
        }
        let file = OpenOptions::new()
            .append(true)
            .create(true)
            .mode(0o600)
            .open(&self.path)
            .map_err(err)?;
        file.lock().map_err(err)?;
        let written = (&file)
            .write_all(text.as_bytes())
            .and_then(|()| file.sync_data());
        let unlocked = file.unlock();
        written.map_err(err)?;
        unlocked.map_err(err)
    }
}

/// A folder we may create entries in (as this process's user, root included).
fn writable_dir(dir: &Path) -> std::io::Result<()> {
    use std::os::unix::ffi::OsStrExt as _;
    if !dir.is_dir() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::NotADirectory,
            format!("{} is not a folder", dir.display()),
        ));
    }
    let c = std::ffi::CString::new(dir.as_os_str().as_bytes())
        .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e))?;
    // SAFETY: a valid NUL-terminated path; access only reads it.
    if unsafe { libc::access(c.as_ptr(), libc::W_OK | libc::X_OK) } == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

/// Every readable line of the ledger (none when it does not exist yet), and a warning for each
/// line that is not a ledger record, naming the file and the line.
pub fn read(path: &Path) -> Result<(Vec<Record>, Vec<String>), LedgerError> {
    let err = |source| LedgerError::Read {
        path: path.to_path_buf(),
        source,
    };
    let mut file = match File::open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok((Vec::new(), Vec::new())),
        Err(e) => return Err(err(e)),
    };
    file.lock_shared().map_err(err)?;
    let mut bytes = Vec::new();
    let read = file.read_to_end(&mut bytes);
    let _ = file.unlock();
    read.map_err(err)?;

    let (mut records, mut warnings) = (Vec::new(), Vec::new());
    for (i, line) in bytes.split(|&b| b == b'\n').enumerate() {
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        match serde_json::from_slice::<Record>(line) {
            Ok(record) => records.push(record),
            Err(e) => warnings.push(format!(
                "{} line {}: not a ledger record ({e}); skipped",
                path.display(),
                i + 1
            )),
        }
    }
    Ok((records, warnings))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ledger::{Destination, Event};
    use std::os::unix::fs::PermissionsExt as _;

    fn record(serial: &str) -> Record {
        Record {
            event: Event::Issued,
            recorded_at: jiff::Timestamp::UNIX_EPOCH,
            recorded_by: "tester@host".into(),
            verb: "add".into(),
            serial: serial.into(),
            sha256_fingerprint: "AA:BB".into(),
            common_name: "john".into(),
            groups: vec!["dev1".into()],
            issuer: "CN=kubernetes".into(),
            not_before: jiff::Timestamp::UNIX_EPOCH,
            not_after: jiff::Timestamp::UNIX_EPOCH,
            signed_by: Some("local-ca".into()),
            csr_name: None,
            cluster: Some("kubernetes".into()),
            destinations: vec![Destination::Stdout],
        }
    }

    #[test]
    fn appends_round_trip_and_new_files_are_private() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("new/folder/ledger.jsonl");
        let ledger = Ledger::open(&path).unwrap();
        assert!(!path.exists(), "checking creates nothing");
        ledger.append(&[record("01"), record("02")]).unwrap();
        Ledger::open(&path)
            .unwrap()
            .append(&[record("03")])
            .unwrap();
        let (records, warnings) = read(&path).unwrap();
        assert!(warnings.is_empty(), "{warnings:?}");
        let serials: Vec<_> = records.iter().map(|r| r.serial.as_str()).collect();
        assert_eq!(serials, ["01", "02", "03"]);
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&path), 0o600);
        assert_eq!(mode(path.parent().unwrap()), 0o700);
    }

    #[test]
    fn a_corrupt_line_is_skipped_and_named() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ledger.jsonl");
        let good = serde_json::to_string(&record("01")).unwrap();
        std::fs::write(&path, format!("{good}\n{{\"half\": \n\n{good}\n")).unwrap();
        let (records, warnings) = read(&path).unwrap();
        assert_eq!(records.len(), 2);
        assert_eq!(warnings.len(), 1);
        assert!(
            warnings[0].contains("ledger.jsonl line 2"),
            "{}",
            warnings[0]
        );
    }

    #[test]
    fn an_unwritable_folder_is_refused_before_anything() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("plain-file");
        std::fs::write(&file, "").unwrap();
        let err = Ledger::open(&file.join("ledger.jsonl")).unwrap_err();
        assert!(err.to_string().contains("plain-file"), "{err}");
    }

    #[test]
    fn a_missing_ledger_reads_as_empty() {
        let dir = tempfile::tempdir().unwrap();
        let (records, warnings) = read(&dir.path().join("none.jsonl")).unwrap();
        assert!(records.is_empty() && warnings.is_empty());
    }
}
