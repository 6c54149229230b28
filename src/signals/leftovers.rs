//! The files a forced stop (a second Ctrl-C while held back) may leave behind: kubeconfig locks
//! and temp files being written. The handler names them so the user knows what to delete; it
//! does not delete them itself, because a write stuck on a dead NFS server would stall the
//! unlink too, and the whole point of a second Ctrl-C is that the process ends at once.
//!
//! The handler may not allocate or take a lock, so the names live in a few fixed slots of
//! atomic bytes: registering copies a name in, the handler copies it out. A name that does not
//! fit, or finds no free slot, is simply not named (the message says what to look for).

use std::path::Path;
use std::sync::atomic::{AtomicU8, AtomicUsize, Ordering::SeqCst};

const SLOTS: usize = 8;
const NAME_MAX: usize = 512;

const FREE: u8 = 0;
const FILLING: u8 = 1;
const READY: u8 = 2;

struct Slot {
    state: AtomicU8,
    len: AtomicUsize,
    bytes: [AtomicU8; NAME_MAX],
}

impl Slot {
    const fn new() -> Slot {
        Slot {
            state: AtomicU8::new(FREE),
            len: AtomicUsize::new(0),
            bytes: [const { AtomicU8::new(0) }; NAME_MAX],
        }
    }
}

static NAMED: [Slot; SLOTS] = [const { Slot::new() }; SLOTS];

/// A file named in the forced-stop message while this lives.
#[derive(Debug)]
pub(crate) struct Leftover {
    slot: Option<usize>,
}

impl Leftover {
    pub(crate) fn name(path: &Path) -> Leftover {
        let bytes = path.as_os_str().as_encoded_bytes();
        if bytes.len() > NAME_MAX {
            return Leftover { slot: None };
        }
        let slot = NAMED.iter().position(|s| {
            s.state
                .compare_exchange(FREE, FILLING, SeqCst, SeqCst)
                .is_ok()
        });
        if let Some(i) = slot {
            let s = &NAMED[i];
            for (cell, b) in s.bytes.iter().zip(bytes) {
                cell.store(*b, SeqCst);
            }
            s.len.store(bytes.len(), SeqCst);
            s.state.store(READY, SeqCst);
        }
        Leftover { slot }
    }
}

impl Drop for Leftover {
    fn drop(&mut self) {
        if let Some(i) = self.slot {
            NAMED[i].state.store(FREE, SeqCst);
        }
    }
}

/// Call `each` with every name registered now. Async-signal-safe: atomics and a stack buffer.
pub(super) fn for_each(mut each: impl FnMut(&[u8])) {
    let mut buf = [0u8; NAME_MAX];
    for slot in &NAMED {
        if slot.state.load(SeqCst) != READY {
            continue;
        }
        let len = slot.len.load(SeqCst).min(NAME_MAX);
        for (b, cell) in buf.iter_mut().zip(&slot.bytes).take(len) {
            *b = cell.load(SeqCst);
        }
        each(&buf[..len]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn named() -> Vec<String> {
        let mut names = Vec::new();
        for_each(|n| names.push(String::from_utf8_lossy(n).into_owned()));
        names
    }

    #[test]
    fn names_live_as_long_as_their_guard() {
        // Other tests of this binary may hold names of their own: look for ours only.
        let lock = Leftover::name(Path::new("/tmp/leftover-test/config.lock"));
        let tmp = Leftover::name(Path::new("/tmp/leftover-test/.config.1.0123456789ab.tmp"));
        let now = named();
        assert!(
            now.contains(&"/tmp/leftover-test/config.lock".to_string()),
            "{now:?}"
        );
        assert!(
            now.iter().any(|n| n.ends_with(".0123456789ab.tmp")),
            "{now:?}"
        );
        drop(lock);
        assert!(!named().contains(&"/tmp/leftover-test/config.lock".to_string()));
        drop(tmp);
        assert!(!named().iter().any(|n| n.starts_with("/tmp/leftover-test/")));
    }
}
