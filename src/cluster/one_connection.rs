//! A new client's first request goes alone; the requests asked at the same time wait for its
//! connection, so they share it instead of each opening one.
//!
//! Why: hyper-util's pool starts a connection for every request that finds none idle, and learns
//! only after the TLS handshake that ALPN chose HTTP/2, where one connection would carry them
//! all. The access check asks eleven questions at once: eleven handshakes. Held back, they find
//! the HTTP/2 connection in the pool and are sent on it together.
//!
//! How long they wait: when the connector says the handshake chose HTTP/2 ([`Http2Chosen`]),
//! they go at once, without the first answer's round trip. hyper-util pools that connection in
//! the same poll as the connector's answer, before any other task runs, so they find it there.
//! Over HTTP/1.1 (or a connector that does not tell) they wait for the first answer, then each
//! opens its own connection, as before.
//!
//! When the first request cannot connect at all (refused, timed out, TLS failed), the requests
//! that waited for it get the same failure instead of waiting out a connect timeout each in turn.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use tokio::sync::watch;
use tower::{Service, ServiceExt as _};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// How the first request's connection ended, for those waiting on it: `Err` only when no
/// connection could be made.
type Outcome = Result<(), Arc<Described>>;

enum Phase {
    /// No request yet, or the last first request could not connect: the next one goes alone.
    Untried,
    /// The first request is under way; the others wait for what it (or the connector) sends.
    Connecting(Arc<watch::Sender<Option<Outcome>>>),
    /// A connection was made: everything goes straight through.
    Connected,
}

#[derive(Clone)]
pub(crate) struct OneConnection<S> {
    inner: S,
    phase: Arc<Mutex<Phase>>,
}

impl<S> OneConnection<S> {
    /// Without a connector that tells: the others always wait for the first answer.
    #[cfg(test)]
    pub fn new(inner: S) -> OneConnection<S> {
        OneConnection::sharing(inner, &Http2Chosen::default())
    }

    /// Told by `chosen` (which the connector holds) when a connection speaks HTTP/2.
    pub fn sharing(inner: S, chosen: &Http2Chosen) -> OneConnection<S> {
        OneConnection {
            inner,
            phase: chosen.phase.clone(),
        }
    }
}

/// The connector's word that a TLS handshake chose HTTP/2: the connection is about to be pooled
/// and shared, so the requests waiting for the first one need not wait for its answer.
#[derive(Clone)]
pub(crate) struct Http2Chosen {
    phase: Arc<Mutex<Phase>>,
}

impl Default for Http2Chosen {
    fn default() -> Self {
        Http2Chosen {
            phase: Arc::new(Mutex::new(Phase::Untried)),
        }
    }
}

impl Http2Chosen {
    /// Called by the connector as it hands hyper-util a connection that negotiated `h2`. The
    /// waiting requests are woken now and run once this poll of the first request ends, by
    /// which time hyper-util has put the connection in its pool.
    pub fn announce(&self) {
        let mut phase = self.phase.lock().unwrap();
        if let Phase::Connecting(first) = &*phase {
            let _ = first.send(Some(Ok(())));
            *phase = Phase::Connected;
        }
    }
}

impl<S, Req> Service<Req> for OneConnection<S>
where
    S: Service<Req> + Clone + Send + 'static,
    S::Future: Send,
    S::Error: Into<BoxError>,
    S::Response: Send,
    Req: Send + 'static,
{
    type Response = S::Response;
    type Error = BoxError;
    type Future = Pin<Box<dyn Future<Output = Result<S::Response, BoxError>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        self.inner.poll_ready(cx).map_err(Into::into)
    }

    fn call(&mut self, req: Req) -> Self::Future {
        let mut phase = self.phase.lock().unwrap();
        match &*phase {
            Phase::Connected => {
                let answer = self.inner.call(req);
                Box::pin(async move { answer.await.map_err(Into::into) })
            }
            Phase::Connecting(first) => {
                let (mut first, inner) = (first.subscribe(), self.inner.clone());
                Box::pin(async move {
                    // A closed channel: the first request was dropped; go on our own.
                    if let Ok(outcome) = first.wait_for(Option::is_some).await
                        && let Some(Err(failure)) = &*outcome
                    {
                        return Err(Box::new(SameFailure(failure.clone())) as BoxError);
                    }
                    inner.oneshot(req).await.map_err(Into::into)
                })
            }
            Phase::Untried => {
                let tx = Arc::new(watch::channel(None).0);
                *phase = Phase::Connecting(tx.clone());
                let first = First {
                    phase: self.phase.clone(),
                    tx: Some(tx),
                };
                let answer = self.inner.call(req);
                Box::pin(async move {
                    let result = answer.await.map_err(Into::into);
                    match &result {
                        Err(e) if cannot_connect(e) => first.failed(e),
                        _ => first.connected(),
                    }
                    result
                })
            }
        }
    }
}

/// No connection at all, as hyper-util's client reports it.
fn cannot_connect(err: &BoxError) -> bool {
    err.downcast_ref::<hyper_util::client::legacy::Error>()
        .is_some_and(|e| e.is_connect())
}

/// The first request's side: says how it ended, or (dropped before it did) lets the next
/// request try alone and those waiting go on their own.
struct First {
    phase: Arc<Mutex<Phase>>,
    tx: Option<Arc<watch::Sender<Option<Outcome>>>>,
}

impl First {
    fn connected(mut self) {
        *self.phase.lock().unwrap() = Phase::Connected;
        self.send(Ok(()));
    }

    fn failed(mut self, err: &BoxError) {
        // Once the connector announced HTTP/2 a connection exists: this failure is the
        // request's own, and the others already went.
        if self.give_up() {
            self.send(Err(Arc::new(Described::of(err.as_ref()))));
        }
    }

    /// Back to `Untried` if the phase is still this request's wait; whether it was.
    fn give_up(&self) -> bool {
        let mut phase = self.phase.lock().unwrap();
        let ours = match (&*phase, &self.tx) {
            (Phase::Connecting(waiting), Some(mine)) => Arc::ptr_eq(waiting, mine),
            _ => false,
        };
        if ours {
            *phase = Phase::Untried;
        }
        ours
    }

    fn send(&mut self, outcome: Outcome) {
        if let Some(tx) = self.tx.take() {
            let _ = tx.send(Some(outcome));
        }
    }
}

impl Drop for First {
    fn drop(&mut self) {
        self.give_up();
    }
}

/// The first request's failure, handed to each request that waited for it: the same message
/// and causes, so it reads (and is classified) as its own.
#[derive(Debug)]
struct SameFailure(Arc<Described>);

impl std::fmt::Display for SameFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl std::error::Error for SameFailure {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.0.source()
    }
}

/// An error's message and chain of causes, kept as text: hyper-util's error cannot be cloned.
#[derive(Debug)]
struct Described {
    message: String,
    source: Option<Box<Described>>,
}

impl Described {
    fn of(err: &(dyn std::error::Error + 'static)) -> Described {
        Described {
            message: err.to_string(),
            source: err.source().map(|s| Box::new(Described::of(s))),
        }
    }
}

impl std::fmt::Display for Described {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Described {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source.as_deref().map(|s| s as _)
    }
}

#[cfg(test)]
mod tests;
