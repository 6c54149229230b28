//! Ctrl-C (SIGINT) and SIGTERM while an object of ours exists on the server: the flow that
//! created it hears the signal and cleans up before it reports. Outside such a window the two
//! signals keep their default action, ending the process at once as before.
//!
//! A signal handler, once installed, stays for the life of the process (tokio and
//! signal-hook-registry cannot remove one). So the handler we install performs the default
//! action itself whenever no window is open.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};

use signal_hook::consts::{SIGINT, SIGTERM};
use tokio::signal::unix::{Signal, SignalKind, signal};

/// True while the default action (end the process) applies; `None` when the handler could not
/// be installed, in which case the default action simply stays.
static DEFAULT_ACTION: OnceLock<Option<Arc<AtomicBool>>> = OnceLock::new();

fn default_action() -> Option<&'static Arc<AtomicBool>> {
    DEFAULT_ACTION
        .get_or_init(|| {
            let flag = Arc::new(AtomicBool::new(true));
            for sig in [SIGINT, SIGTERM] {
                signal_hook::flag::register_conditional_default(sig, flag.clone()).ok()?;
            }
            Some(flag)
        })
        .as_ref()
}

/// While it lives, SIGINT and SIGTERM are delivered to [`Window::received`] instead of ending
/// the process. Open it inside the tokio runtime, before creating the object.
pub(crate) struct Window {
    interrupt: Option<Signal>,
    terminate: Option<Signal>,
    flag: Option<&'static Arc<AtomicBool>>,
}

impl Window {
    pub fn open() -> Window {
        let flag = default_action();
        // Listen first, then lift the default action: no instant in which a signal is lost.
        let interrupt = signal(SignalKind::interrupt()).ok();
        let terminate = signal(SignalKind::terminate()).ok();
        let flag = flag.filter(|_| interrupt.is_some() && terminate.is_some());
        if let Some(flag) = flag {
            flag.store(false, Ordering::SeqCst);
        }
        Window {
            interrupt,
            terminate,
            flag,
        }
    }

    /// The name of the first signal received since the window opened. Never resolves when the
    /// signals could not be caught (they then end the process as usual).
    pub async fn received(&mut self) -> &'static str {
        match (&mut self.interrupt, &mut self.terminate, self.flag) {
            (Some(int), Some(term), Some(_)) => tokio::select! {
                _ = int.recv() => "SIGINT",
                _ = term.recv() => "SIGTERM",
            },
            _ => std::future::pending().await,
        }
    }
}

impl Window {
    /// Close the window and let `signal` (received through it) do what it does by default: end
    /// the process, as it would have outside any window.
    pub fn end_process(self, signal: &'static str) {
        drop(self);
        let number = if signal == "SIGTERM" { SIGTERM } else { SIGINT };
        let _ = signal_hook::low_level::emulate_default_handler(number);
    }
}

impl Drop for Window {
    fn drop(&mut self) {
        if let Some(flag) = self.flag {
            flag.store(true, Ordering::SeqCst);
        }
    }
}
