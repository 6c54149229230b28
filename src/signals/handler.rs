//! The one handler of SIGINT, SIGTERM and SIGHUP for the whole process, and the way the process
//! ends on one of them: always the signal's own default action, so a parent sees a death by that
//! signal (a shell's status 130, 143 or 129), as if we had never caught it.

use std::sync::OnceLock;

use libc::{SIGHUP, SIGINT, SIGTERM, c_int};

use super::gate::{Decision, Gate};
use super::leftovers;

pub(super) static GATE: Gate = Gate::new();

/// The signals we act on.
pub(super) const HANDLED: [c_int; 3] = [SIGINT, SIGTERM, SIGHUP];

/// Which of [`HANDLED`] our handler catches: not one that was ignored when we started (`nohup`
/// ignores SIGHUP, a shell ignores SIGINT for a background job: catching it would undo that),
/// nor one whose handler could not be installed (it keeps its default action).
pub(super) fn caught() -> &'static [bool; 3] {
    static CAUGHT: OnceLock<[bool; 3]> = OnceLock::new();
    CAUGHT.get_or_init(|| HANDLED.map(|signal| !ignored(signal) && install(signal)))
}

fn ignored(signal: c_int) -> bool {
    // SAFETY: a query only (no new action); `old` is a valid out-pointer.
    unsafe {
        let mut old: libc::sigaction = std::mem::zeroed();
        libc::sigaction(signal, std::ptr::null(), &mut old) == 0
            && old.sa_sigaction == libc::SIG_IGN
    }
}

fn install(signal: c_int) -> bool {
    // SAFETY: `on_signal` is async-signal-safe: atomics, write(2), sigaction, raise, _exit.
    unsafe { signal_hook::low_level::register(signal, move || on_signal(signal)) }.is_ok()
}

fn on_signal(signal: c_int) {
    match GATE.on_signal(signal) {
        Decision::HeldBack { first: true } => {
            write_stderr(b"\nkubectl-certuser: ");
            write_stderr(name(signal).as_bytes());
            write_stderr(
                b" received: stopping once no lock or temp file of ours is left (Ctrl-C again stops at once)\n",
            );
        }
        Decision::HeldBack { first: false } | Decision::ToWindow | Decision::AlreadyEnding => {}
        Decision::EndNow { forced } => {
            if forced {
                write_stderr(
                    b"\nkubectl-certuser: stopped at once by a second Ctrl-C; if no kubectl or kubectl-certuser is running, delete what it may have left behind:",
                );
                leftovers::for_each(|path| {
                    write_stderr(b" ");
                    write_stderr(path);
                });
                write_stderr(b" (a kubeconfig's lock is the kubeconfig's name plus .lock)\n");
            }
            default_action(signal);
        }
    }
}

/// End the process as `signal` would have, from any thread; never returns.
pub(super) fn default_action(signal: c_int) -> ! {
    let _ = signal_hook::low_level::emulate_default_handler(signal);
    // Not reached: the signal, now with its default action and unblocked, has ended us.
    // SAFETY: _exit is async-signal-safe and ends the process without running anything else.
    unsafe { libc::_exit(128 + signal) }
}

pub(super) fn name(signal: c_int) -> &'static str {
    match signal {
        SIGINT => "SIGINT",
        SIGTERM => "SIGTERM",
        SIGHUP => "SIGHUP",
        _ => "a signal",
    }
}

pub(super) fn number(name: &str) -> c_int {
    match name {
        "SIGTERM" => SIGTERM,
        "SIGHUP" => SIGHUP,
        _ => SIGINT,
    }
}

fn write_stderr(bytes: &[u8]) {
    // SAFETY: write(2) on fd 2 with a valid buffer; async-signal-safe. A failure is ignored.
    let _ = unsafe { libc::write(2, bytes.as_ptr().cast(), bytes.len()) };
}
