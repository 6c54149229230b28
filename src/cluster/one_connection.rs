//! A new client's first request goes alone; the requests asked at the same time wait for its
//! answer, so they share its connection instead of each opening one.
//!
//! Why: hyper-util's pool starts a connection for every request that finds none idle, and learns
//! only after the TLS handshake that ALPN chose HTTP/2, where one connection would carry them
//! all. The access check asks eleven questions at once: eleven handshakes. Held back until the
//! first answer (one round trip), they find the HTTP/2 connection in the pool and are sent on it
//! together; over HTTP/1.1 each still opens its own, as before.
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
    /// The first request is under way; the others wait for what it sends.
    Connecting(watch::Receiver<Option<Outcome>>),
    /// A connection was made: everything goes straight through.
    Connected,
}

#[derive(Clone)]
pub(crate) struct OneConnection<S> {
    inner: S,
    phase: Arc<Mutex<Phase>>,
}

impl<S> OneConnection<S> {
    pub fn new(inner: S) -> OneConnection<S> {
        OneConnection {
            inner,
            phase: Arc::new(Mutex::new(Phase::Untried)),
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
                let (mut first, inner) = (first.clone(), self.inner.clone());
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
                let (tx, rx) = watch::channel(None);
                *phase = Phase::Connecting(rx);
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
    tx: Option<watch::Sender<Option<Outcome>>>,
}

impl First {
    fn connected(mut self) {
        *self.phase.lock().unwrap() = Phase::Connected;
        self.send(Ok(()));
    }

    fn failed(mut self, err: &BoxError) {
        *self.phase.lock().unwrap() = Phase::Untried;
        self.send(Err(Arc::new(Described::of(err.as_ref()))));
    }

    fn send(&mut self, outcome: Outcome) {
        if let Some(tx) = self.tx.take() {
            let _ = tx.send(Some(outcome));
        }
    }
}

impl Drop for First {
    fn drop(&mut self) {
        if self.tx.is_some() {
            *self.phase.lock().unwrap() = Phase::Untried;
        }
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
