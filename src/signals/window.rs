//! A window in which a flow hears SIGINT, SIGTERM and SIGHUP itself: while an object of ours
//! exists on the server, the flow that created it cleans up before it reports or ends.

use tokio::signal::unix::{Signal, SignalKind, signal};

use super::handler::{self, GATE, HANDLED};

/// While it lives, the signals our handler catches are delivered to [`Window::received`]
/// instead of ending the process. Open it inside the tokio runtime, before creating the object.
pub(crate) struct Window {
    /// One listener per caught signal, with its name; `None` when one could not be made, and
    /// then the signals keep their default action.
    listeners: Option<Vec<(Signal, &'static str)>>,
}

impl Window {
    pub fn open() -> Window {
        let caught = handler::caught();
        // Listen first, then open: no instant in which a signal is lost.
        let listeners: Option<Vec<_>> = HANDLED
            .iter()
            .zip(caught)
            .filter(|(_, caught)| **caught)
            .map(|(&number, _)| {
                let listener = signal(SignalKind::from_raw(number)).ok()?;
                Some((listener, handler::name(number)))
            })
            .collect();
        let listeners = listeners.filter(|l| !l.is_empty());
        if listeners.is_some() {
            GATE.open_window();
        }
        Window { listeners }
    }

    /// The name of the first signal received since the window opened. Never resolves when the
    /// signals could not be caught (they then end the process as usual).
    pub async fn received(&mut self) -> &'static str {
        let Some(listeners) = &mut self.listeners else {
            return std::future::pending().await;
        };
        let heard = listeners.iter_mut().map(|(listener, name)| {
            Box::pin(async move {
                listener.recv().await;
                *name
            })
        });
        let (name, _, _) = futures::future::select_all(heard).await;
        // Ours to act on from here: the window's owner reports, or calls `end_process`.
        GATE.take_pending();
        name
    }

    /// Close the window and let `signal` (received through it) do what it does by default: end
    /// the process, as it would have outside any window, once no kubeconfig lock of ours is held.
    pub fn end_process(self, signal: &'static str) {
        GATE.end_later(handler::number(signal));
        drop(self);
    }
}

impl Drop for Window {
    fn drop(&mut self) {
        if self.listeners.is_some()
            && let Some(signal) = GATE.close_window()
        {
            handler::default_action(signal);
        }
    }
}
