//! What a signal does, decided from one word of state: how many holds and windows are open, and
//! whether the process is already ending. Plain atomics, so the signal handler may use it; no
//! side effects, so every rule is tested in-process without sending a signal.

use std::sync::atomic::{AtomicI32, AtomicU32, Ordering::SeqCst};

/// Holds are counted in the low 15 bits, windows in the next 15.
const HOLD: u32 = 1;
const WINDOW: u32 = 1 << 15;
const COUNT: u32 = WINDOW - 1;
/// Set once the process has decided to end: no new hold may start (it could take a lock that
/// the ending process would then leave behind).
const ENDING: u32 = 1 << 31;

pub(super) struct Gate {
    state: AtomicU32,
    /// The signal received and not yet acted on (0: none).
    pending: AtomicI32,
}

/// What the handler does with a signal.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Decision {
    /// A hold is open: the signal waits for its release. `first` when none was waiting yet.
    HeldBack { first: bool },
    /// A window is open and hears the signal itself.
    ToWindow,
    /// Nothing of ours is open: the default action, now. `forced` for a second SIGINT while
    /// held back, which ends the process even with a lock held (a stuck write stays killable).
    EndNow { forced: bool },
    /// The process is already ending on another thread: let it finish its report.
    AlreadyEnding,
}

impl Gate {
    pub(super) const fn new() -> Gate {
        Gate {
            state: AtomicU32::new(0),
            pending: AtomicI32::new(0),
        }
    }

    /// Async-signal-safe: atomics only.
    pub(super) fn on_signal(&self, signal: i32) -> Decision {
        // Recorded before the state is read, so that a hold released meanwhile sees it.
        let first = self
            .pending
            .compare_exchange(0, signal, SeqCst, SeqCst)
            .is_ok();
        let mut state = self.state.load(SeqCst);
        loop {
            let forced = !first && signal == libc::SIGINT;
            if state & ENDING != 0 {
                return match forced {
                    true => Decision::EndNow { forced },
                    false => Decision::AlreadyEnding,
                };
            }
            if state & COUNT != 0 {
                if forced {
                    self.state.fetch_or(ENDING, SeqCst);
                    return Decision::EndNow { forced };
                }
                return Decision::HeldBack { first };
            }
            if state != 0 {
                return Decision::ToWindow;
            }
            match self.state.compare_exchange(0, ENDING, SeqCst, SeqCst) {
                Ok(_) => return Decision::EndNow { forced: false },
                Err(now) => state = now,
            }
        }
    }

    /// Open a hold; false when the process is ending (the caller must not go on).
    pub(super) fn hold(&self) -> bool {
        self.state
            .fetch_update(SeqCst, SeqCst, |s| {
                debug_assert!(s & COUNT < COUNT, "32,767 holds at once");
                (s & ENDING == 0).then_some(s + HOLD)
            })
            .is_ok()
    }

    /// Close a hold: the signal to end the process with now, if one waited for the last hold.
    pub(super) fn release(&self) -> Option<i32> {
        self.state.fetch_sub(HOLD, SeqCst);
        self.claim_end()
    }

    pub(super) fn open_window(&self) {
        self.state.fetch_add(WINDOW, SeqCst);
    }

    /// Close a window: the signal to end the process with now, if one waited for it.
    pub(super) fn close_window(&self) -> Option<i32> {
        self.state.fetch_sub(WINDOW, SeqCst);
        self.claim_end()
    }

    /// A window heard the signal: its owner acts on it from here on.
    pub(super) fn take_pending(&self) {
        self.pending.store(0, SeqCst);
    }

    /// A window's owner, done with its cleanup, ends the process as `signal` would have: at once,
    /// or when the last hold is released.
    pub(super) fn end_later(&self, signal: i32) {
        self.pending.store(signal, SeqCst);
    }

    pub(super) fn pending(&self) -> Option<i32> {
        Some(self.pending.load(SeqCst)).filter(|&s| s != 0)
    }

    /// With nothing open any more and a signal waiting, this caller ends the process (and only
    /// this one: a hold or window opened meanwhile takes the duty over).
    fn claim_end(&self) -> Option<i32> {
        let signal = self.pending()?;
        self.state
            .compare_exchange(0, ENDING, SeqCst, SeqCst)
            .ok()
            .map(|_| signal)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use libc::{SIGHUP, SIGINT, SIGTERM};

    #[test]
    fn with_nothing_open_a_signal_ends_the_process_at_once() {
        let gate = Gate::new();
        assert_eq!(gate.on_signal(SIGTERM), Decision::EndNow { forced: false });
        assert!(!gate.hold(), "no lock may be taken by an ending process");
        assert_eq!(gate.on_signal(SIGTERM), Decision::AlreadyEnding);
    }

    #[test]
    fn a_held_back_signal_ends_the_process_when_the_last_hold_is_released() {
        let gate = Gate::new();
        assert!(gate.hold() && gate.hold());
        assert_eq!(gate.on_signal(SIGHUP), Decision::HeldBack { first: true });
        // Another SIGHUP (a closing terminal sends one, the shell another) is no hurry.
        assert_eq!(gate.on_signal(SIGHUP), Decision::HeldBack { first: false });
        assert_eq!(gate.on_signal(SIGTERM), Decision::HeldBack { first: false });
        assert_eq!(gate.release(), None, "one hold is still open");
        assert_eq!(
            gate.release(),
            Some(SIGHUP),
            "with the first signal's status"
        );
        assert!(!gate.hold());
    }

    #[test]
    fn a_second_sigint_while_held_back_ends_the_process_at_once() {
        let gate = Gate::new();
        assert!(gate.hold());
        assert_eq!(gate.on_signal(SIGINT), Decision::HeldBack { first: true });
        assert_eq!(gate.on_signal(SIGINT), Decision::EndNow { forced: true });
        assert!(!gate.hold());
        assert_eq!(gate.release(), None, "the process is ending already");
        // Also after a SIGTERM that is held back: Ctrl-C is the user's "now".
        let gate = Gate::new();
        assert!(gate.hold());
        gate.on_signal(SIGTERM);
        assert_eq!(gate.on_signal(SIGINT), Decision::EndNow { forced: true });
    }

    #[test]
    fn a_hold_released_without_a_signal_leaves_the_default_action() {
        let gate = Gate::new();
        assert!(gate.hold());
        assert_eq!(gate.release(), None);
        assert!(gate.hold());
        assert_eq!(gate.release(), None);
        assert_eq!(gate.on_signal(SIGINT), Decision::EndNow { forced: false });
    }

    #[test]
    fn a_window_hears_its_signal_and_its_owner_decides() {
        let gate = Gate::new();
        gate.open_window();
        assert_eq!(gate.on_signal(SIGINT), Decision::ToWindow);
        gate.take_pending();
        assert_eq!(gate.close_window(), None, "the owner reports and ends");
        assert_eq!(gate.on_signal(SIGINT), Decision::EndNow { forced: false });
    }

    #[test]
    fn a_window_closed_before_it_heard_its_signal_ends_the_process() {
        let gate = Gate::new();
        gate.open_window();
        assert_eq!(gate.on_signal(SIGTERM), Decision::ToWindow);
        assert_eq!(gate.close_window(), Some(SIGTERM), "never lost");
    }

    #[test]
    fn a_window_that_ends_the_process_waits_for_the_holds() {
        // The CSR delete runs beside the kubeconfig write: a Ctrl-C lets both finish.
        let gate = Gate::new();
        gate.open_window();
        assert!(gate.hold());
        assert_eq!(gate.on_signal(SIGINT), Decision::HeldBack { first: true });
        gate.take_pending();
        gate.end_later(SIGINT);
        assert_eq!(gate.close_window(), None, "the write is still under way");
        assert_eq!(gate.release(), Some(SIGINT));

        let gate = Gate::new();
        gate.open_window();
        assert!(gate.hold());
        gate.on_signal(SIGINT);
        assert_eq!(gate.release(), None, "the window has not heard it yet");
        gate.take_pending();
        gate.end_later(SIGINT);
        assert_eq!(gate.close_window(), Some(SIGINT));
    }
}
