//! SIGINT (Ctrl-C), SIGTERM and SIGHUP (the terminal closing), for the whole process: one
//! handler per signal, installed on first use, and three situations.
//!
//! - Nothing of ours open: the signal's default action, at once, as if it were never caught.
//! - A [`Hold`] open (a kubeconfig lock of ours held, an atomic write's temp file on disk): the
//!   signal is held back until the last hold is released, so the write completes or is abandoned
//!   whole and the lock is gone; then the process ends by the same signal, saying on stderr what
//!   became of the files. A second Ctrl-C meanwhile ends it at once (a write stuck on a dead NFS
//!   server stays killable), naming the lock and temp files it may leave.
//! - A [`Window`] open (a CSR of ours exists on the server): the flow that opened it hears the
//!   signal, cleans up, and reports or ends the process (after the holds, if any are open).
//!
//! A signal handler, once installed, stays for the life of the process (tokio and
//! signal-hook-registry cannot remove one), so ours performs the default action itself whenever
//! neither a hold nor a window is open.

mod gate;
mod handler;
mod leftovers;
mod window;

use std::io::Write;

pub(crate) use leftovers::Leftover;
pub(crate) use window::Window;

use handler::GATE;

/// While it lives, SIGINT, SIGTERM and SIGHUP wait; dropping the last one ends the process if
/// one came meanwhile, after printing its note (what became of the files).
#[derive(Debug)]
pub(crate) struct Hold {
    note: Option<String>,
}

impl Hold {
    /// Open a hold. Take it before creating the file it protects, drop it after removing it.
    pub(crate) fn new() -> Hold {
        handler::caught();
        if !GATE.hold() {
            // The process is ending on another thread (a signal came with nothing held): it
            // must not take a lock now, which it would then leave behind. It will be gone soon.
            loop {
                std::thread::park();
            }
        }
        Hold { note: None }
    }

    /// What to say, should a signal end the process when this hold is released: what state the
    /// files are in ("... was written", "nothing was written").
    pub(crate) fn note(&mut self, note: String) {
        self.note = Some(note);
    }

    /// The name of a signal that came since a hold opened and waits: the holder may then give
    /// up on work not yet begun (a wait for another writer's lock).
    pub(crate) fn pending() -> Option<&'static str> {
        GATE.pending().map(handler::name)
    }
}

impl Drop for Hold {
    fn drop(&mut self) {
        if let Some(signal) = GATE.release() {
            let name = handler::name(signal);
            let said = match &self.note {
                Some(note) => format!("kubectl-certuser: stopped by {name}: {note}"),
                None => format!(
                    "kubectl-certuser: stopped by {name} once the file write under way was done"
                ),
            };
            // Not eprintln: a terminal gone with its SIGHUP must not turn the stop into a panic.
            let _ = writeln!(std::io::stderr(), "{said}");
            handler::default_action(signal);
        }
    }
}
